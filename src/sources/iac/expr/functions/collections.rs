//! Functions over values: comparison, logic, arithmetic, arrays and objects.

use serde_json::{json, Map, Value};

use super::{arity, int, one, s, truth};
use crate::sources::iac::expr::{kind, text, EvalResult, ExprError};

pub(super) const NAMES: &[&str] = &[
    "objectkeys",
    "shallowmerge",
    "flatten",
    "indexfromend",
    "tryindexfromend",
    "tryget",
    "equals",
    "not",
    "empty",
    "createarray",
    "createobject",
    "union",
    "intersection",
    "contains",
    "length",
    "first",
    "last",
    "greater",
    "greaterorequals",
    "less",
    "lessorequals",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "min",
    "max",
    "range",
    "take",
    "skip",
    "array",
    "true",
    "false",
    "null",
    "items",
];

pub(super) fn call(name: &str, a: &[Value]) -> EvalResult {
    Ok(match name {
        "equals" => {
            arity(name, a, 2, 2)?;
            Value::Bool(a[0] == a[1] || numeric_eq(&a[0], &a[1]))
        }
        "not" => {
            arity(name, a, 1, 1)?;
            Value::Bool(!truth(name, &a[0])?)
        }
        "empty" => {
            arity(name, a, 1, 1)?;
            Value::Bool(match &a[0] {
                Value::Null => true,
                Value::String(t) => t.is_empty(),
                Value::Array(x) => x.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            })
        }
        "createarray" => Value::Array(a.to_vec()),
        "createobject" => {
            if !a.len().is_multiple_of(2) {
                return Err("createObject() takes key/value pairs".into());
            }
            let mut o = Map::new();
            for pair in a.chunks(2) {
                o.insert(s(name, &pair[0])?.to_string(), pair[1].clone());
            }
            Value::Object(o)
        }
        "union" => union(a)?,
        "intersection" => match a.first() {
            Some(Value::Array(first)) => Value::Array(
                first
                    .iter()
                    .filter(|x| {
                        a[1..]
                            .iter()
                            .all(|o| o.as_array().is_some_and(|o| o.contains(x)))
                    })
                    .cloned()
                    .collect(),
            ),
            Some(Value::Object(first)) => Value::Object(
                first
                    .iter()
                    .filter(|(k, v)| a[1..].iter().all(|o| o.get(k.as_str()) == Some(v)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            _ => return Err("intersection() expects arrays or objects".into()),
        },
        "contains" => {
            arity(name, a, 2, 2)?;
            Value::Bool(match &a[0] {
                Value::String(t) => t.contains(&text(&a[1])),
                Value::Array(x) => x.contains(&a[1]),
                Value::Object(o) => {
                    let k = text(&a[1]);
                    o.keys().any(|x| x.eq_ignore_ascii_case(&k))
                }
                other => return Err(format!("contains() cannot search {}", kind(other)).into()),
            })
        }
        "length" => json!(match one(name, a)? {
            Value::String(t) => t.chars().count(),
            Value::Array(x) => x.len(),
            Value::Object(o) => o.len(),
            other => return Err(format!("length() of {}", kind(other)).into()),
        }),
        "first" | "last" => match one(name, a)? {
            Value::Array(x) => {
                let item = if name == "first" { x.first() } else { x.last() };
                item.cloned().unwrap_or(Value::Null)
            }
            Value::String(t) => {
                let c = if name == "first" {
                    t.chars().next()
                } else {
                    t.chars().last()
                };
                Value::String(c.map(String::from).unwrap_or_default())
            }
            other => return Err(format!("{name}() of {}", kind(other)).into()),
        },
        "greater" | "greaterorequals" | "less" | "lessorequals" => {
            arity(name, a, 2, 2)?;
            let ord = match (&a[0], &a[1]) {
                (Value::String(x), Value::String(y)) => x.cmp(y),
                (x, y) => int(name, x)?.cmp(&int(name, y)?),
            };
            Value::Bool(match name {
                "greater" => ord.is_gt(),
                "greaterorequals" => ord.is_ge(),
                "less" => ord.is_lt(),
                _ => ord.is_le(),
            })
        }
        "add" | "sub" | "mul" | "div" | "mod" => {
            arity(name, a, 2, 2)?;
            let (x, y) = (int(name, &a[0])?, int(name, &a[1])?);
            let r = match name {
                "add" => x.checked_add(y),
                "sub" => x.checked_sub(y),
                "mul" => x.checked_mul(y),
                "div" => x.checked_div(y),
                _ => x.checked_rem(y),
            };
            json!(r.ok_or_else(|| format!("{name}({x}, {y}) overflows or divides by zero"))?)
        }
        "min" | "max" => {
            let items: Vec<i64> = match a {
                [Value::Array(x)] => x.iter().map(|v| int(name, v)).collect::<Result<_, _>>()?,
                _ => a.iter().map(|v| int(name, v)).collect::<Result<_, _>>()?,
            };
            let r = if name == "min" {
                items.iter().min()
            } else {
                items.iter().max()
            };
            json!(r.ok_or_else(|| format!("{name}() of nothing"))?)
        }
        "range" => {
            arity(name, a, 2, 2)?;
            let (start, count) = (int(name, &a[0])?, int(name, &a[1])?);
            if !(0..=10_000).contains(&count) {
                return Err(format!("range() count {count} is outside 0..10000").into());
            }
            json!((start..start + count).collect::<Vec<_>>())
        }
        "take" | "skip" => {
            arity(name, a, 2, 2)?;
            let n = usize::try_from(int(name, &a[1])?.max(0)).unwrap_or(0);
            match &a[0] {
                Value::Array(x) => Value::Array(if name == "take" {
                    x.iter().take(n).cloned().collect()
                } else {
                    x.iter().skip(n).cloned().collect()
                }),
                Value::String(t) => Value::String(if name == "take" {
                    t.chars().take(n).collect()
                } else {
                    t.chars().skip(n).collect()
                }),
                other => return Err(format!("{name}() of {}", kind(other)).into()),
            }
        }
        "array" => match one(name, a)? {
            Value::Array(x) => Value::Array(x.clone()),
            other => json!([other]),
        },
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "items" => match one(name, a)? {
            Value::Object(o) => {
                let mut keys: Vec<_> = o.iter().collect();
                keys.sort_by_key(|x| x.0.to_lowercase());
                Value::Array(
                    keys.into_iter()
                        .map(|(k, v)| json!({"key": k, "value": v}))
                        .collect(),
                )
            }
            other => return Err(format!("items() of {}", kind(other)).into()),
        },

        "objectkeys" => match one(name, a)? {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort_by_key(|k| k.to_lowercase());
                json!(keys)
            }
            other => return Err(format!("objectKeys() of {}", kind(other)).into()),
        },
        "shallowmerge" => {
            let items = one(name, a)?
                .as_array()
                .ok_or("shallowMerge() expects an array of objects")?;
            let mut out = Map::new();
            for o in items {
                match o {
                    Value::Object(o) => out.extend(o.clone()),
                    Value::Null => {}
                    other => return Err(format!("shallowMerge() of {}", kind(other)).into()),
                }
            }
            Value::Object(out)
        }
        "flatten" => {
            let items = one(name, a)?
                .as_array()
                .ok_or("flatten() expects an array of arrays")?;
            let mut out = Vec::new();
            for x in items {
                match x {
                    Value::Array(inner) => out.extend(inner.iter().cloned()),
                    other => {
                        return Err(format!("flatten() of an array holding {}", kind(other)).into())
                    }
                }
            }
            Value::Array(out)
        }
        "indexfromend" | "tryindexfromend" => {
            arity(name, a, 2, 2)?;
            let list = a[0].as_array().ok_or("indexFromEnd() expects an array")?;
            let n = int(name, &a[1])?;
            let at = usize::try_from(n)
                .ok()
                .and_then(|n| list.len().checked_sub(n));
            match (at.and_then(|i| list.get(i)), name) {
                (Some(v), _) => v.clone(),
                (None, "tryindexfromend") => Value::Null,
                (None, _) => {
                    return Err(format!("indexFromEnd({n}) of an array of {}", list.len()).into())
                }
            }
        }
        "tryget" => {
            if a.len() < 2 {
                return Err("tryGet() needs a value and at least one key".into());
            }
            let mut v = a[0].clone();
            for k in &a[1..] {
                v = match (&v, k) {
                    (Value::Object(o), _) => {
                        let key = text(k);
                        o.iter()
                            .find(|(x, _)| x.eq_ignore_ascii_case(&key))
                            .map(|(_, x)| x.clone())
                            .unwrap_or(Value::Null)
                    }
                    (Value::Array(l), Value::Number(n)) => n
                        .as_u64()
                        .and_then(|n| l.get(n as usize))
                        .cloned()
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                };
            }
            v
        }
        _ => return Err(ExprError::UnknownFunction(name.to_string())),
    })
}

fn numeric_eq(a: &Value, b: &Value) -> bool {
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

fn union(a: &[Value]) -> EvalResult {
    match a.first() {
        Some(Value::Object(_)) => {
            let mut out = Map::new();
            for o in a {
                let o = o
                    .as_object()
                    .ok_or("union() mixes objects and other values")?;
                for (k, v) in o {
                    // Nested objects merge, as ARM does since 2022.
                    match (out.get_mut(k), v) {
                        (Some(Value::Object(old)), Value::Object(new)) => {
                            for (nk, nv) in new {
                                old.insert(nk.clone(), nv.clone());
                            }
                        }
                        _ => {
                            out.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Some(Value::Array(_)) => {
            let mut out: Vec<Value> = Vec::new();
            for x in a {
                for v in x
                    .as_array()
                    .ok_or("union() mixes arrays and other values")?
                {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                }
            }
            Ok(Value::Array(out))
        }
        _ => Err("union() expects objects or arrays".into()),
    }
}
