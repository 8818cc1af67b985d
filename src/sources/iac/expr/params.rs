//! A parameter's value checked against its declaration, as Resource Manager checks it before
//! deploying: the declared type and `allowedValues` (ARM) / `@allowed` (Bicep). A value the
//! deployment would refuse is an error naming the parameter, never evaluated as if valid.

use serde_json::Value;

use super::super::unknown::unknown_reason;

/// The value given for a parameter, if any: Resource Manager reads a given null as no
/// value, so the parameter's default applies (AVM modules pass `x.?y` to mean "default").
pub(crate) fn given(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

/// `Err` says why `value` cannot be given for parameter `name` of type `ty` (as written:
/// `int`, `securestring`, Bicep's `string?`; other types are not checked) and the allowed
/// values, when any. Values only known at deployment are not judged. (Bicep's `@secure()`
/// parameters are given as `securestring`/`secureObject`: their values are never shown.)
pub(crate) fn check(
    name: &str,
    ty: &str,
    allowed: Option<&Value>,
    value: &Value,
) -> Result<(), String> {
    if unknown_reason(value).is_some() {
        return Ok(());
    }
    // Resource Manager reads a null value as no value (the default applies, see `given`).
    if value.is_null() {
        return Ok(());
    }
    let ty = ty.trim();
    let ty = ty.strip_suffix('?').map_or(ty, str::trim_end);
    let fits = match ty.to_ascii_lowercase().as_str() {
        "string" | "securestring" => value.is_string(),
        "int" => value.is_i64() || value.is_u64(),
        "bool" => value.is_boolean(),
        "object" | "secureobject" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    };
    let secret = ty.to_ascii_lowercase().starts_with("secure");
    if !fits {
        return Err(format!(
            "parameter '{name}' is declared {ty} but is given {}",
            shown(value, secret)
        ));
    }
    let Some(allowed) = allowed.and_then(Value::as_array) else {
        return Ok(());
    };
    // An array parameter's allowed values are those of its items.
    let items = match value {
        Value::Array(items) if !allowed.iter().any(Value::is_array) => items.iter().collect(),
        _ => vec![value],
    };
    match items
        .into_iter()
        .find(|v| !allowed.iter().any(|a| same(a, v)))
    {
        None => Ok(()),
        Some(v) => Err(format!(
            "parameter '{name}' is given {}, which is not one of its allowed values {}",
            shown(v, secret),
            Value::Array(allowed.clone())
        )),
    }
}

/// Resource Manager compares allowed strings without regard to case.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

/// The value as the message shows it: short, and never a secret's text.
fn shown(v: &Value, secret: bool) -> String {
    let kind = match v {
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Null => "null",
    };
    if secret {
        return kind.to_string();
    }
    crate::text::clip(&v.to_string(), 81)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_and_allowed_values_are_those_resource_manager_checks() {
        let allowed = json!(["Standard_LRS", "Premium_LRS"]);
        assert!(check("sku", "string", Some(&allowed), &json!("premium_lrs")).is_ok());
        let e = check("sku", "string", Some(&allowed), &json!("UltraSSD_LRS")).unwrap_err();
        assert!(
            e.contains("'UltraSSD_LRS'") || e.contains("\"UltraSSD_LRS\""),
            "{e}"
        );
        assert!(check("size", "int", None, &json!("big")).is_err());
        assert!(check("size", "int", None, &json!(64)).is_ok());
        assert!(check(
            "zones",
            "array",
            Some(&json!(["1", "2", "3"])),
            &json!(["1", "3"])
        )
        .is_ok());
        assert!(check("zones", "array", Some(&json!(["1", "2"])), &json!(["4"])).is_err());
        assert!(check("tag", "string?", None, &Value::Null).is_ok());
        assert!(check("x", "myType", None, &json!(1)).is_ok());
        let e = check("pw", "securestring", None, &json!(12345678)).unwrap_err();
        assert!(!e.contains("12345678") && e.contains("a number"), "{e}");
        let later = crate::sources::iac::unknown::unknown("known at deployment");
        assert!(check("size", "int", None, &later).is_ok());
    }
}
