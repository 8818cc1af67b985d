//! What names mean while a template is evaluated: its parameters (given or defaults), its
//! variables (with variable copy loops), the copy loops being expanded, and what
//! `reference()` can answer from the template itself.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use super::super::expr::{self, params, parse, Context, EvalResult, ExprError};
use super::super::jsonc::{Kind, Node};
use super::super::unknown::{unknown, unknown_reason};
use super::MAX_COPIES;
use crate::text::Span;

pub(super) struct Scope<'t> {
    pub(super) params: HashMap<String, &'t Node>,
    pub(super) given: HashMap<String, Value>,
    pub(super) vars: HashMap<String, &'t Node>,
    pub(super) cache: RefCell<HashMap<String, Value>>,
    /// Variables and parameters being evaluated, to catch recursion.
    pub(super) stack: RefCell<Vec<String>>,
    /// Copy loops being expanded: (name, index, a property or variable loop?).
    pub(super) copies: RefCell<Vec<(String, Value, bool)>>,
    pub(super) rg: String,
    /// Where the innermost failure happened.
    pub(super) fail_at: RefCell<Option<Span>>,
    /// Resources of the template by lower-cased id and name (second pass only).
    pub(super) refs: Rc<HashMap<String, Value>>,
    pub(super) referenced: Cell<bool>,
}

impl<'t> Scope<'t> {
    pub(super) fn new(
        template: &'t Node,
        given: HashMap<String, Value>,
        rg: &str,
        refs: Rc<HashMap<String, Value>>,
    ) -> Scope<'t> {
        let lower = |section: &str| -> HashMap<String, &'t Node> {
            template
                .get(section)
                .map(|s| {
                    s.members()
                        .iter()
                        .map(|(k, v)| (k.to_lowercase(), v))
                        .collect()
                })
                .unwrap_or_default()
        };
        Scope {
            params: lower("parameters"),
            given,
            vars: lower("variables"),
            cache: RefCell::default(),
            stack: RefCell::default(),
            copies: RefCell::default(),
            rg: rg.to_string(),
            fail_at: RefCell::default(),
            refs,
            referenced: Cell::new(false),
        }
    }

    pub(super) fn fail(&self, span: Span, message: String) -> String {
        self.fail_at.borrow_mut().get_or_insert(span);
        message
    }

    /// Evaluates a template value: expressions in strings, property copy loops in objects.
    pub(super) fn eval(&self, node: &Node, rec: &mut Option<Rec<'_>>) -> Result<Value, String> {
        if let Some(r) = rec.as_mut() {
            r.spans.push((r.path.clone(), node.span));
        }
        match &node.kind {
            Kind::String(s) => match parse::expression_text(s) {
                Some(text) => {
                    let e = parse::parse(text).map_err(|m| {
                        self.fail(node.span, format!("in expression [{text}]: {m}"))
                    })?;
                    expr::eval(&e, self)
                        .map_err(|m| self.fail(node.span, format!("in expression [{text}]: {m}")))
                }
                None => Ok(Value::String(parse::literal(s).to_string())),
            },
            Kind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let mut sub = rec.as_mut().map(|r| r.child(&i.to_string()));
                    out.push(self.eval(item, &mut sub)?);
                }
                Ok(Value::Array(out))
            }
            Kind::Object(members) => {
                let mut out = Map::new();
                for (k, v) in members {
                    if k.eq_ignore_ascii_case("copy") && is_property_copy(v) {
                        for spec in v.items() {
                            let (name, list) = self.property_copy(spec, rec)?;
                            out.insert(name, list);
                        }
                        continue;
                    }
                    // A property name may itself be an expression (Bicep compiles `'${x}': v`
                    // to `"[format('{0}', variables('x'))]": v`).
                    let key = match parse::expression_text(k) {
                        Some(_) => {
                            let key_node = Node {
                                span: node.span,
                                kind: Kind::String(k.clone()),
                            };
                            match self.eval(&key_node, &mut None)? {
                                u if unknown_reason(&u).is_some() => continue,
                                v => expr::text(&v),
                            }
                        }
                        None => parse::literal(k).to_string(),
                    };
                    let mut sub = rec.as_mut().map(|r| r.child(&key));
                    out.insert(key, self.eval(v, &mut sub)?);
                }
                Ok(Value::Object(out))
            }
            _ => Ok(node.to_value()),
        }
    }

    /// `"copy": [{"name": "dataDisks", "count": N, "input": {…}}]` inside properties.
    pub(super) fn property_copy(
        &self,
        spec: &Node,
        rec: &mut Option<Rec<'_>>,
    ) -> Result<(String, Value), String> {
        let name = spec
            .get("name")
            .and_then(Node::as_str)
            .ok_or_else(|| self.fail(spec.span, "a property copy needs a `name`".into()))?;
        let input = spec.get("input").ok_or_else(|| {
            self.fail(
                spec.span,
                format!("property copy '{name}' needs an `input`"),
            )
        })?;
        let count = match self.count(spec)? {
            Some(n) => n,
            None => {
                return Ok((
                    name.to_string(),
                    unknown(format!("the count of copy loop '{name}' is not known")),
                ))
            }
        };
        let mut items = Vec::new();
        for i in 0..count {
            self.copies
                .borrow_mut()
                .push((name.to_lowercase(), json!(i), true));
            let mut sub = rec.as_mut().map(|r| r.child(&format!("{name}/{i}")));
            let v = self.eval(input, &mut sub);
            self.copies.borrow_mut().pop();
            items.push(v?);
        }
        Ok((name.to_string(), Value::Array(items)))
    }

    /// A copy loop's count: `Some(n)`, `None` when unknown, an error when not an integer.
    pub(super) fn count(&self, spec: &Node) -> Result<Option<i64>, String> {
        let node = spec
            .get("count")
            .ok_or_else(|| self.fail(spec.span, "a copy loop needs a `count`".into()))?;
        let v = self.eval(node, &mut None)?;
        if unknown_reason(&v).is_some() {
            return Ok(None);
        }
        let n = match &v {
            Value::Number(n) => n.as_i64(),
            Value::String(t) => t.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| self.fail(node.span, format!("copy count {v} is not an integer")))?;
        if !(0..=MAX_COPIES).contains(&n) {
            return Err(self.fail(
                node.span,
                format!("copy count {n} is outside 0..{MAX_COPIES}"),
            ));
        }
        Ok(Some(n))
    }

    pub(super) fn guard<T>(
        &self,
        what: String,
        f: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, String> {
        if self.stack.borrow().contains(&what) {
            let chain = self.stack.borrow().join(" → ");
            return Err(format!("{what} refers to itself ({chain} → {what})"));
        }
        if self.stack.borrow().len() > 64 {
            return Err(format!("{what}: references nested too deeply"));
        }
        self.stack.borrow_mut().push(what);
        let r = f();
        self.stack.borrow_mut().pop();
        r
    }
}

fn is_property_copy(v: &Node) -> bool {
    matches!(&v.kind, Kind::Array(items) if items.iter().all(|i| i.get("input").is_some()))
}

impl Context for Scope<'_> {
    fn parameter(&self, name: &str) -> EvalResult {
        let key = name.to_lowercase();
        let cache_key = format!("parameter '{name}'");
        if let Some(v) = self.cache.borrow().get(&cache_key) {
            return Ok(v.clone());
        }
        let decl = self.params.get(&key);
        let v = match (params::given(self.given.get(&key)), decl) {
            (Some(v), _) => v.clone(),
            (None, None) => {
                return Err(ExprError::Undeclared {
                    kind: "parameter",
                    name: name.to_string(),
                })
            }
            (None, Some(decl)) => match decl.get("defaultValue") {
                Some(d) => self.guard(cache_key.clone(), || self.eval(d, &mut None))?,
                None => unknown(format!(
                    "parameter '{name}' has no default and no value (give --parameters FILE)"
                )),
            },
        };
        if let Some(decl) = decl {
            let ty = decl.get("type").and_then(Node::as_str).unwrap_or_default();
            let allowed = decl.get("allowedValues").map(Node::to_value);
            params::check(name, ty, allowed.as_ref(), &v)
                .map_err(|m| ExprError::Value(self.fail(decl.span, m)))?;
        }
        self.cache.borrow_mut().insert(cache_key, v.clone());
        Ok(v)
    }

    fn variable(&self, name: &str) -> EvalResult {
        let key = name.to_lowercase();
        let cache_key = format!("variable '{name}'");
        if let Some(v) = self.cache.borrow().get(&cache_key) {
            return Ok(v.clone());
        }
        let v = if let Some(node) = self.vars.get(&key) {
            self.guard(cache_key.clone(), || self.eval(node, &mut None))?
        } else {
            // Variable copy loops: `"copy": [{"name": "x", "count": n, "input": …}]`.
            let spec = self
                .vars
                .get("copy")
                .map(|c| c.items())
                .unwrap_or_default()
                .iter()
                .find(|s| {
                    s.get("name")
                        .and_then(Node::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .ok_or_else(|| ExprError::Undeclared {
                    kind: "variable",
                    name: name.to_string(),
                })?;
            self.guard(cache_key.clone(), || {
                self.property_copy(spec, &mut None).map(|(_, v)| v)
            })?
        };
        self.cache.borrow_mut().insert(cache_key, v.clone());
        Ok(v)
    }

    fn copy_index(&self, loop_name: Option<&str>) -> EvalResult {
        let copies = self.copies.borrow();
        // Without a name, copyIndex() is the resource loop's, even inside a property loop.
        let found = match loop_name {
            Some(n) => copies
                .iter()
                .rev()
                .find(|(l, _, _)| l.eq_ignore_ascii_case(n)),
            None => copies.iter().rev().find(|(_, _, property)| !property),
        };
        found.map(|(_, i, _)| i.clone()).ok_or_else(|| {
            ExprError::Value(match loop_name {
                Some(n) => format!("copyIndex('{n}') outside a copy loop of that name"),
                None => "copyIndex() outside a copy loop".into(),
            })
        })
    }

    fn resource_group(&self) -> &str {
        &self.rg
    }

    fn reference(&self, target: &str, full: bool) -> Value {
        self.referenced.set(true);
        match self.refs.get(&target.to_lowercase()) {
            Some(r) if full => r.clone(),
            Some(r) => r.get("properties").cloned().unwrap_or_else(|| json!({})),
            None => unknown(format!("reference('{target}') is only known at deployment")),
        }
    }
}

/// Records spans while a value is evaluated: the JSON pointer of the current value.
pub(super) struct Rec<'a> {
    pub(super) path: String,
    pub(super) spans: &'a mut Vec<(String, Span)>,
}

impl Rec<'_> {
    /// `key` is a JSON pointer suffix (already escaped).
    pub(super) fn child(&mut self, key: &str) -> Rec<'_> {
        Rec {
            path: format!("{}/{key}", self.path),
            spans: self.spans,
        }
    }
}
