//! JSON text read into policy values, as `regorus::Value::from_json_str` reads it (but for
//! serde_json's private big-number object, which regorus turns into a number and kensa
//! keeps as the object it is: serde_json here never writes one), with two
//! savings that matter when every resource's input is parsed (an eighth of a large scan's
//! instructions): a string is copied once (regorus copies each string, key or not, twice),
//! and object keys — a few hundred names repeated in every row — come from a table the
//! worker keeps (regorus builds a table per call and hashes every key with SipHash).

use std::collections::BTreeMap;
use std::fmt;

use regorus::Value;
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Object keys already made, shared by every value a worker reads. Bounded: a hostile
/// snapshot with endless distinct keys gets fresh keys past it.
#[derive(Default)]
pub(crate) struct Keys(FxHashMap<Box<str>, Value>);

/// Distinct keys kept, and the longest kept (ARM's property names are shorter).
const KEYS: usize = 4096;
const KEY_LEN: usize = 64;

impl Keys {
    fn get(&mut self, key: &str) -> Value {
        if let Some(v) = self.0.get(key) {
            return v.clone();
        }
        let v = Value::from(key);
        if self.0.len() < KEYS && key.len() <= KEY_LEN {
            self.0.insert(key.into(), v.clone());
        }
        v
    }
}

/// `json` as a value; the error is serde's.
pub(crate) fn read(json: &str, keys: &mut Keys) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = Reader(keys).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Reader<'k>(&'k mut Keys);

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // As regorus: a non-finite number has no place in a policy value.
        if !v.is_finite() {
            return Err(E::custom(format!(
                "invalid non-finite number in input: {v}"
            )));
        }
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Reader(&mut *self.0))? {
            items.push(v);
        }
        Ok(Value::from(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = BTreeMap::new();
        while let Some(key) = map.next_key_seed(Key(&mut *self.0))? {
            // A repeated key keeps its last value, as in regorus.
            fields.insert(key, map.next_value_seed(Reader(&mut *self.0))?);
        }
        Ok(Value::from(fields))
    }
}

struct Key<'k>(&'k mut Keys);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Key<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(self.0.get(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_those_regorus_reads() {
        let mut keys = Keys::default();
        for json in [
            r#"{"id": "/subscriptions/s", "properties": {"a": [1, -2, 3.5, 1e3, 18446744073709551615, -9223372036854775808], "b": null, "c": true, "d": "x\u0041\n"}, "tags": {}, "zones": []}"#,
            r#"{"k": 1, "k": 2, "\u006b2": "é", "": 0}"#,
            "[[], {}, 0.1, 12345678901234567890123, \"\"]",
            "  \"text\"  ",
            "null",
        ] {
            let ours = read(json, &mut keys).unwrap();
            assert_eq!(ours, Value::from_json_str(json).unwrap(), "{json}");
            assert_eq!(
                ours.to_json_str().unwrap(),
                Value::from_json_str(json).unwrap().to_json_str().unwrap()
            );
        }
        // Read twice, a key is one string.
        let a = read(r#"{"name": 1}"#, &mut keys).unwrap();
        let b = read(r#"{"name": 2}"#, &mut keys).unwrap();
        let (ka, kb) = (
            a.as_object().unwrap().keys().next().unwrap(),
            b.as_object().unwrap().keys().next().unwrap(),
        );
        assert!(
            matches!((ka, kb), (Value::String(x), Value::String(y)) if std::ptr::eq(x.as_ptr(), y.as_ptr()))
        );
    }

    #[test]
    fn bad_text_is_refused_as_regorus_refuses_it() {
        let mut keys = Keys::default();
        for json in ["{\"a\": }", "[1, ", "{} x", "1e999", "{\"a\" 1}", ""] {
            assert!(read(json, &mut keys).is_err(), "{json}");
            assert!(Value::from_json_str(json).is_err(), "{json}");
        }
    }

    #[test]
    fn the_key_table_is_bounded() {
        let mut keys = Keys::default();
        let many: Vec<String> = (0..KEYS + 10).map(|i| format!("\"k{i}\": {i}")).collect();
        let long = "x".repeat(KEY_LEN + 1);
        read(
            &format!("{{{}, \"{long}\": 0}}", many.join(", ")),
            &mut keys,
        )
        .unwrap();
        assert_eq!(keys.0.len(), KEYS);
        assert!(!keys.0.contains_key(long.as_str()));
    }
}
