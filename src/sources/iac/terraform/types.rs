//! Variable type constraints, applied as Terraform applies them to a module's inputs: an
//! object attribute declared `optional(T, default)` that the caller left out (or set to
//! null) gets its default, recursively through lists, sets, maps and nested objects.
//! Module authors rely on it (an NAT pool whose backend port defaults to 3389), so the
//! values a rule sees must have it.

use hcl_edit::expr::{Expression, ObjectKey};
use serde_json::Value;

use crate::sources::iac::hcl;
use crate::sources::iac::unknown::unknown_reason;

/// `value` converted to the type written as `ty` as Terraform converts a variable's value:
/// defaults of optional attributes filled, numbers and bools from their strings; a value
/// that does not convert is an error saying where (`[0].port: a number is required…`).
pub(crate) fn convert(ty: &Expression, value: Value) -> Result<Value, String> {
    convert_depth(ty, value, 0).map_err(|(at, why)| match at.is_empty() {
        true => why,
        false => format!("{at}: {why}"),
    })
}

/// (where inside the value, why)
type Failure = (String, String);

fn inside(key: impl std::fmt::Display, (at, why): Failure) -> Failure {
    (format!("[{key}]{at}"), why)
}

fn convert_depth(ty: &Expression, value: Value, depth: usize) -> Result<Value, Failure> {
    if depth > 32 || unknown_reason(&value).is_some() || value.is_null() {
        return Ok(value);
    }
    let wrong = |wanted: &str, v: &Value| {
        let got = crate::text::clip(&v.to_string(), 61);
        Err((String::new(), format!("{wanted} is required, got {got}")))
    };
    let Expression::FuncCall(f) = ty else {
        let Expression::Variable(name) = ty else {
            return Ok(value);
        };
        return match (name.as_str(), value) {
            ("number", Value::Number(n)) => Ok(Value::Number(n)),
            ("number", Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Value::from(i)),
                Err(_) => match s.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Value::from(x)),
                    _ => wrong("a number", &Value::String(s)),
                },
            },
            ("number", v) => wrong("a number", &v),
            ("bool", Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            ("bool", Value::Bool(b)) => Ok(Value::Bool(b)),
            ("bool", v) => wrong("a bool", &v),
            ("string", Value::String(s)) => Ok(Value::String(s)),
            ("string", Value::Number(n)) => Ok(Value::String(n.to_string())),
            ("string", Value::Bool(b)) => Ok(Value::String(b.to_string())),
            ("string", v) => wrong("a string", &v),
            (_, v) => Ok(v),
        };
    };
    let args: Vec<&Expression> = f.args.iter().collect();
    let Some(inner) = args.first() else {
        return Ok(value);
    };
    let kind = f.name.name.as_str();
    match (kind, value) {
        ("list" | "set", Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| convert_depth(inner, v, depth + 1).map_err(|e| inside(i, e)))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        ("tuple", Value::Array(items)) => {
            let Expression::Array(types) = inner else {
                return Ok(Value::Array(items));
            };
            if types.len() != items.len() {
                return wrong(
                    &format!("a tuple of {} elements", types.len()),
                    &Value::Array(items),
                );
            }
            items
                .into_iter()
                .zip(types.iter())
                .enumerate()
                .map(|(i, (v, t))| convert_depth(t, v, depth + 1).map_err(|e| inside(i, e)))
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        ("list" | "set" | "tuple", v) => wrong(&format!("a {kind}"), &v),
        ("map", Value::Object(o)) => o
            .into_iter()
            .map(|(k, v)| {
                let v =
                    convert_depth(inner, v, depth + 1).map_err(|e| inside(format!("{k:?}"), e))?;
                Ok((k, v))
            })
            .collect::<Result<_, _>>()
            .map(Value::Object),
        ("object", Value::Object(mut o)) => {
            let Expression::Object(attrs) = inner else {
                return Ok(Value::Object(o));
            };
            for (k, t) in attrs.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                    ObjectKey::Expression(_) => continue,
                };
                let current = o.remove(&key);
                let v = attribute(t.expr(), current, depth)
                    .map_err(|(at, why)| (format!(".{key}{at}"), why))?;
                o.insert(key, v);
            }
            Ok(Value::Object(o))
        }
        ("map" | "object", v) => wrong(&format!("an {kind}"), &v),
        ("optional", v) => convert_depth(inner, v, depth + 1),
        (_, v) => Ok(v),
    }
}

/// One object attribute (`None`: absent): `optional(T, default)` fills a missing or null
/// value; any other absent attribute is an error, as in Terraform.
fn attribute(ty: &Expression, value: Option<Value>, depth: usize) -> Result<Value, Failure> {
    if let Expression::FuncCall(f) = ty {
        if f.name.name.as_str() == "optional" {
            let args: Vec<&Expression> = f.args.iter().collect();
            let Some(inner) = args.first() else {
                return Ok(value.unwrap_or(Value::Null));
            };
            let value = match (value.unwrap_or(Value::Null), args.get(1)) {
                (Value::Null, Some(d)) => default(d),
                (v, _) => v,
            };
            return convert_depth(inner, value, depth + 1);
        }
    }
    match value {
        Some(v) => convert_depth(ty, v, depth + 1),
        None => Err((String::new(), "the attribute is required".into())),
    }
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
        )
        .unwrap();
        assert_eq!(v["rdp"]["backend_port"], 3389);
        assert_eq!(v["rdp"]["frontend"]["start"], 3000);
        assert_eq!(v["rdp"]["tags"], Value::Null);
        assert_eq!(v["ssh"]["backend_port"], 22);
        let l = convert(
            &ty("list(object({ p = optional(bool, true) }))"),
            json!([{}, {"p": false}]),
        )
        .unwrap();
        assert_eq!(l, json!([{"p": true}, {"p": false}]));
    }

    #[test]
    fn values_terraform_would_refuse_are_errors_that_say_where() {
        let e = convert(&ty("list(number)"), json!("22")).unwrap_err();
        assert_eq!(e, "a list is required, got \"22\"");
        let e = convert(&ty("bool"), json!("yes")).unwrap_err();
        assert_eq!(e, "a bool is required, got \"yes\"");
        assert_eq!(convert(&ty("bool"), json!("true")).unwrap(), json!(true));
        let e = convert(
            &ty("list(object({ port = number }))"),
            json!([{"port": 22}, {"port": "ssh"}]),
        )
        .unwrap_err();
        assert_eq!(e, "[1].port: a number is required, got \"ssh\"");
        let e = convert(&ty("object({ name = string })"), json!({})).unwrap_err();
        assert_eq!(e, ".name: the attribute is required");
        assert_eq!(convert(&ty("string"), json!(22)).unwrap(), json!("22"));
        assert_eq!(
            convert(&ty("any"), json!({"a": 1})).unwrap(),
            json!({"a": 1})
        );
    }
}
