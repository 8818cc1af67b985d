//! Variable type constraints, applied as Terraform applies them to a module's inputs: an
//! object attribute declared `optional(T, default)` that the caller left out (or set to
//! null) gets its default, recursively through lists, sets, maps and nested objects.
//! Module authors rely on it (an NAT pool whose backend port defaults to 3389), so the
//! values a rule sees must have it.

use hcl_edit::expr::{Expression, ObjectKey};
use serde_json::Value;

use crate::sources::iac::hcl;
use crate::sources::iac::unknown::unknown_reason;

/// `value` converted to the type written as `ty` (only what changes values: defaults of
/// optional attributes, numbers from strings; anything else passes as it is).
pub(crate) fn convert(ty: &Expression, value: Value) -> Value {
    convert_depth(ty, value, 0)
}

fn convert_depth(ty: &Expression, value: Value, depth: usize) -> Value {
    if depth > 32 || unknown_reason(&value).is_some() || value.is_null() {
        return value;
    }
    let Expression::FuncCall(f) = ty else {
        return match (ty, value) {
            (Expression::Variable(v), Value::String(s)) if v.as_str() == "number" => s
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| s.parse::<f64>().map(Value::from))
                .unwrap_or(Value::String(s)),
            (_, v) => v,
        };
    };
    let args: Vec<&Expression> = f.args.iter().collect();
    let Some(inner) = args.first() else {
        return value;
    };
    match (f.name.name.as_str(), value) {
        ("list" | "set", Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|v| convert_depth(inner, v, depth + 1))
                .collect(),
        ),
        ("map", Value::Object(o)) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, convert_depth(inner, v, depth + 1)))
                .collect(),
        ),
        ("tuple", Value::Array(items)) => match inner {
            Expression::Array(types) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| match types.iter().nth(i) {
                        Some(t) => convert_depth(t, v, depth + 1),
                        None => v,
                    })
                    .collect(),
            ),
            _ => Value::Array(items),
        },
        ("object", Value::Object(mut o)) => {
            let Expression::Object(attrs) = inner else {
                return Value::Object(o);
            };
            for (k, t) in attrs.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                    ObjectKey::Expression(_) => continue,
                };
                let current = o.remove(&key).unwrap_or(Value::Null);
                o.insert(key, attribute(t.expr(), current, depth));
            }
            Value::Object(o)
        }
        ("optional", v) => convert_depth(inner, v, depth + 1),
        (_, v) => v,
    }
}

/// One object attribute: `optional(T, default)` fills a missing or null value.
fn attribute(ty: &Expression, value: Value, depth: usize) -> Value {
    if let Expression::FuncCall(f) = ty {
        if f.name.name.as_str() == "optional" {
            let args: Vec<&Expression> = f.args.iter().collect();
            let Some(inner) = args.first() else {
                return value;
            };
            let value = match (value, args.get(1)) {
                (Value::Null, Some(d)) => default(d),
                (v, _) => v,
            };
            return convert_depth(inner, value, depth + 1);
        }
    }
    convert_depth(ty, value, depth + 1)
}

fn default(e: &Expression) -> Value {
    let none = Default::default();
    hcl::Scope::new(&none, &none, &|_| None).eval(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ty(text: &str) -> Expression {
        let body = hcl::parse(&format!("t = {text}\n")).expect("parses");
        body.get_attribute("t").expect("attribute").value.clone()
    }

    #[test]
    fn optional_attributes_get_their_defaults_through_maps_and_lists() {
        let t = ty(r#"map(object({
  name          = string
  backend_port  = optional(number, 3389)
  frontend      = optional(object({ start = optional(number, 3000) }), {})
  tags          = optional(map(string))
}))"#);
        let v = convert(
            &t,
            json!({"rdp": {"name": "rdp"}, "ssh": {"name": "ssh", "backend_port": "22"}}),
        );
        assert_eq!(v["rdp"]["backend_port"], 3389);
        assert_eq!(v["rdp"]["frontend"]["start"], 3000);
        assert_eq!(v["rdp"]["tags"], Value::Null);
        assert_eq!(v["ssh"]["backend_port"], 22);
        let l = convert(
            &ty("list(object({ p = optional(bool, true) }))"),
            json!([{}, {"p": false}]),
        );
        assert_eq!(l, json!([{"p": true}, {"p": false}]));
    }
}
