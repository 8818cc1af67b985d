//! Rows and row fragments parsed into policy values, each once per worker while it is in
//! use: one VM's input holds its NIC, NSG, disks, subnet, load balancer paths and image
//! versions, and most of those are also in other inputs (a disk's VM, the NSG itself, the
//! subnet NSG and image versions of 250 VMs in the benchmark estate). Parsing the composed
//! text of every input was a fifth of a large scan's CPU.

use std::collections::{BTreeMap, HashMap};

use regorus::Value;

use super::reader::{self, Keys};
use crate::sources::iac::unknown::mentioned_in;

/// Fragments parsed by one worker, by place (address and length of the text they were
/// parsed from: the inventory's rows do not move while it is evaluated).
#[derive(Default)]
pub(crate) struct Parsed {
    /// Each fragment's value and whether its text may hold an IaC unknown.
    values: HashMap<(usize, usize), (Value, bool)>,
    /// Text length of the fragments held: the bound on the memory they take.
    held: usize,
    keys: Keys,
}

/// Text bytes a worker keeps parsed (in memory several times that): about a hundred VMs'
/// inputs, so that what neighbouring resources share is parsed once. On 20k VMs, 8 MB
/// peaked at 410 MB, 2 MB at 373 MB and 1 MB at 364 MB for the same time.
const HOLD: usize = 2 << 20;

impl Parsed {
    fn get(&mut self, json: &str) -> Result<(Value, bool), String> {
        let place = (json.as_ptr() as usize, json.len());
        if let Some(v) = self.values.get(&place) {
            return Ok(v.clone());
        }
        // The position serde gives is in the fragment, not in any file: left out.
        let v = reader::read(json, &mut self.keys).map_err(|e| {
            let why = e.to_string();
            why.split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string()
        })?;
        if self.held + json.len() > HOLD {
            self.values.clear();
            self.held = 0;
        }
        self.held += json.len();
        let parsed = (v, mentioned_in(json));
        self.values.insert(place, parsed.clone());
        Ok(parsed)
    }
}

/// One input document being built: parsed fragments, whether any holds an IaC unknown, and
/// the first fragment that could not be parsed.
pub(crate) struct Doc<'p> {
    parsed: &'p mut Parsed,
    pub(crate) unknown: bool,
    pub(crate) error: Option<String>,
}

impl<'p> Doc<'p> {
    pub(crate) fn new(parsed: &'p mut Parsed) -> Doc<'p> {
        Doc {
            parsed,
            unknown: false,
            error: None,
        }
    }

    /// A fragment of JSON text as a value (null when it cannot be parsed; `error` says why).
    pub(crate) fn raw(&mut self, json: &str) -> Value {
        match self.parsed.get(json) {
            Ok((v, unknown)) => {
                self.unknown |= unknown;
                v
            }
            Err(e) => {
                self.unknown |= mentioned_in(json);
                self.error.get_or_insert(e);
                Value::Null
            }
        }
    }

    pub(crate) fn opt_raw(&mut self, json: Option<&str>) -> Value {
        json.map_or(Value::Null, |j| self.raw(j))
    }

    pub(crate) fn raw_array<'r>(&mut self, items: impl Iterator<Item = &'r str>) -> Value {
        Value::from(items.map(|j| self.raw(j)).collect::<Vec<_>>())
    }

    pub(crate) fn string(&mut self, value: Option<&str>) -> Value {
        match value {
            Some(v) => {
                self.unknown |= mentioned_in(v);
                Value::from(v)
            }
            None => Value::Null,
        }
    }
}

/// One object, field by field.
#[derive(Default)]
pub(crate) struct Obj(BTreeMap<Value, Value>);

impl Obj {
    pub(crate) fn set(&mut self, key: &str, value: Value) {
        self.0.insert(Value::from(key), value);
    }

    pub(crate) fn finish(self) -> Value {
        Value::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Value, b: &Value) -> bool {
        std::ptr::eq(a.as_object().unwrap(), b.as_object().unwrap())
    }

    #[test]
    fn a_fragment_is_parsed_once_while_held() {
        let nsg = r#"{"name": "nsg-1", "properties": {"securityRules": []}}"#.to_string();
        let copy = nsg.clone();
        let mut parsed = Parsed::default();
        let mut doc = Doc::new(&mut parsed);
        let first = doc.raw(&nsg);
        assert!(same(&first, &doc.raw(&nsg)));
        // The same text elsewhere is another fragment: equal, not shared.
        let other = doc.raw(&copy);
        assert!(!same(&first, &other) && first == other);
        assert_eq!(first["name"], Value::from("nsg-1"));
    }

    #[test]
    fn what_is_held_is_bounded() {
        let small = r#"{"a": 1}"#.to_string();
        let big = format!("[{}0]", "0,".repeat(HOLD / 2));
        let mut parsed = Parsed::default();
        let mut doc = Doc::new(&mut parsed);
        let first = doc.raw(&small);
        doc.raw(&big);
        assert!(!same(&first, &doc.raw(&small)));
        assert!(parsed.held <= HOLD);
    }

    #[test]
    fn unknowns_and_unreadable_fragments_are_noticed() {
        let mut parsed = Parsed::default();
        let mut doc = Doc::new(&mut parsed);
        doc.raw(r#"{"id": "/subscriptions/s/x"}"#);
        doc.string(Some("nsg-1"));
        assert!(!doc.unknown && doc.error.is_none());
        doc.string(Some(r#"{"kensa:unknown": "var.nsg_id"}"#));
        assert!(doc.unknown);
        assert_eq!(doc.raw(r#"{"a": "#), Value::Null);
        assert_eq!(doc.raw("[1, "), Value::Null);
        assert!(doc
            .error
            .as_deref()
            .is_some_and(|e| e.contains("EOF") && !e.contains(" at line ")));
    }
}
