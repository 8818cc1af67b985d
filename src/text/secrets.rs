//! Secrets never leave kensa in clear: values under names that hold credentials (passwords,
//! client secrets, keys, tokens, custom data) are masked wherever kensa prints or writes
//! something it read — the source lines shown under a finding, the inventory.

use serde_json::Value;

/// Parts of a property or attribute name that mark its value as secret.
const SECRET_NAMES: &[&str] = &[
    "password",
    "secret",
    "customdata",
    "custom_data",
    "token",
    "connectionstring",
    "connection_string",
    "privatekey",
    "private_key",
    "accountkey",
    "account_key",
    "sastoken",
    "sas_token",
];

/// Whether a property or attribute named `key` holds a secret.
pub(crate) fn is_secret_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| key.contains(s))
}

/// `text` with the value of every `name = value` / `"name": value` / `name: value` whose
/// name holds a secret, and the text of every span in `spans`, replaced by `*`, byte for
/// byte (line breaks kept), so that every offset and line of the text stays where it was.
pub(crate) fn mask_text(text: &str, spans: &[super::Span]) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&mask_line(line));
    }
    let mut bytes = out.into_bytes();
    for span in spans {
        let Some(secret) = text.get(span.start..span.end) else {
            continue;
        };
        for (i, c) in secret.char_indices() {
            if c != '\n' && c != '\r' {
                let at = span.start + i;
                bytes[at..at + c.len_utf8()].fill(b'*');
            }
        }
    }
    // Whole characters were replaced by ASCII: still UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

fn mask_line(line: &str) -> String {
    let Some(sep) = line.find(['=', ':']) else {
        return line.to_string();
    };
    let name = line[..sep].trim().trim_matches(['"', '\'']);
    if !is_secret_name(name) || name.contains(' ') && !name.starts_with("param ") {
        return line.to_string();
    }
    let value = &line[sep + 1..];
    let body = value.trim_end_matches(['\n', '\r']);
    let lead = body.len() - body.trim_start().len();
    let mut out = String::with_capacity(line.len());
    out.push_str(&line[..=sep]);
    out.push_str(&body[..lead]);
    for c in body[lead..].chars() {
        out.extend(std::iter::repeat_n('*', c.len_utf8()));
    }
    out.push_str(&value[body.len()..]);
    out
}

/// A copy of `v` with the value of every member named like a secret replaced.
pub(crate) fn mask_value(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let masked = match x {
                        Value::String(_) | Value::Number(_) if is_secret_name(k) => {
                            Value::String("<redacted>".into())
                        }
                        other => mask_value(other),
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(mask_value).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_values_and_keeps_offsets() {
        let text = "name = \"vm\"\nclient_secret = \"s3cr3t\"\n  \"adminPassword\": \"hunter2\",\ncustomData: base64('x')\n";
        let masked = mask_text(text, &[]);
        assert_eq!(masked.len(), text.len());
        assert!(
            !masked.contains("s3cr3t") && !masked.contains("hunter2") && !masked.contains("base64")
        );
        assert!(masked.contains("name = \"vm\""));
        assert_eq!(masked.lines().count(), text.lines().count());
    }

    #[test]
    fn marked_spans_are_masked_whatever_the_name() {
        let text = "variable \"init\" {\n  default = \"tök3n\"\n}\n";
        let start = text.find("\"tök3n\"").unwrap();
        let span = super::super::Span::new(start, start + "\"tök3n\"".len());
        let masked = mask_text(text, &[span]);
        assert_eq!(masked.len(), text.len());
        assert!(
            !masked.contains("tök3n") && masked.contains("default = *******"),
            "{masked}"
        );
    }

    #[test]
    fn masks_members_of_json() {
        let v =
            serde_json::json!({"osProfile": {"adminPassword": "hunter2", "adminUsername": "ops"}});
        let m = mask_value(&v);
        assert_eq!(m["osProfile"]["adminPassword"], "<redacted>");
        assert_eq!(m["osProfile"]["adminUsername"], "ops");
    }
}
