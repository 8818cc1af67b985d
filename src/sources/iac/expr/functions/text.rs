//! String functions: concatenation, formatting, conversion, search, hashing.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{arity, int, one, s, truth};
use crate::sources::iac::expr::{text, EvalResult, ExprError, MAX_TEXT};

pub(super) const NAMES: &[&str] = &[
    "concat",
    "format",
    "tolower",
    "toupper",
    "trim",
    "string",
    "int",
    "bool",
    "json",
    "split",
    "replace",
    "join",
    "uniquestring",
    "guid",
    "substring",
    "startswith",
    "endswith",
    "indexof",
    "lastindexof",
    "padleft",
    "base64",
    "uri",
];

pub(super) fn call(name: &str, a: &[Value]) -> EvalResult {
    Ok(match name {
        "concat" => {
            if a.iter().all(|x| x.is_array() || x.is_null()) && !a.is_empty() {
                Value::Array(
                    a.iter()
                        .filter_map(Value::as_array)
                        .flatten()
                        .cloned()
                        .collect(),
                )
            } else {
                Value::String(a.iter().map(text).collect())
            }
        }
        "format" => {
            if a.is_empty() {
                return Err("format() needs a format string".into());
            }
            Value::String(format_net(s(name, &a[0])?, &a[1..])?)
        }
        "tolower" => Value::String(s(name, one(name, a)?)?.to_lowercase()),
        "toupper" => Value::String(s(name, one(name, a)?)?.to_uppercase()),
        "trim" => Value::String(s(name, one(name, a)?)?.trim().to_string()),
        "string" => Value::String(text(one(name, a)?)),
        "int" => json!(int(name, one(name, a)?)?),
        "bool" => Value::Bool(truth(name, one(name, a)?)?),
        "json" => {
            let t = s(name, one(name, a)?)?;
            serde_json::from_str(t).map_err(|e| format!("json(): {e}"))?
        }
        "split" => {
            arity(name, a, 2, 2)?;
            let t = s(name, &a[0])?;
            let delims: Vec<String> = match &a[1] {
                Value::Array(d) => d.iter().map(text).collect(),
                d => vec![text(d)],
            };
            let mut parts = vec![t.to_string()];
            for d in delims.iter().filter(|d| !d.is_empty()) {
                parts = parts
                    .iter()
                    .flat_map(|p| p.split(d.as_str()).map(str::to_string).collect::<Vec<_>>())
                    .collect();
            }
            json!(parts)
        }
        "replace" => {
            arity(name, a, 3, 3)?;
            let (t, from, to) = (s(name, &a[0])?, s(name, &a[1])?, s(name, &a[2])?);
            // The result's size is known before it is built.
            let hits = if from.is_empty() {
                0
            } else {
                t.matches(from).count()
            };
            if t.len() + hits.saturating_mul(to.len()) > MAX_TEXT {
                return Err(format!(
                    "replace() would produce more than kensa's limit ({MAX_TEXT} bytes)"
                )
                .into());
            }
            Value::String(t.replace(from, to))
        }
        "join" => {
            arity(name, a, 2, 2)?;
            let items = a[0].as_array().ok_or("join() expects an array")?;
            Value::String(
                items
                    .iter()
                    .map(text)
                    .collect::<Vec<_>>()
                    .join(s(name, &a[1])?),
            )
        }
        "uniquestring" => {
            let h = digest(a);
            let alphabet = b"abcdefghijklmnopqrstuvwxyz234567";
            Value::String(
                h.iter()
                    .take(13)
                    .map(|b| alphabet[(*b as usize) % 32] as char)
                    .collect(),
            )
        }
        "guid" => {
            let h: String = digest(a).iter().map(|b| format!("{b:02x}")).collect();
            Value::String(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ))
        }
        "substring" => {
            arity(name, a, 2, 3)?;
            let t: Vec<char> = s(name, &a[0])?.chars().collect();
            let start = usize::try_from(int(name, &a[1])?).map_err(|_| "negative start")?;
            let len = match a.get(2) {
                Some(l) => usize::try_from(int(name, l)?).map_err(|_| "negative length")?,
                None => t.len().saturating_sub(start),
            };
            if start + len > t.len() {
                return Err(format!(
                    "substring({start}, {len}) is beyond a string of {}",
                    t.len()
                )
                .into());
            }
            Value::String(t[start..start + len].iter().collect())
        }
        "startswith" | "endswith" | "indexof" | "lastindexof" => {
            arity(name, a, 2, 2)?;
            let t = s(name, &a[0])?.to_lowercase();
            let p = s(name, &a[1])?.to_lowercase();
            match name {
                "startswith" => Value::Bool(t.starts_with(&p)),
                "endswith" => Value::Bool(t.ends_with(&p)),
                "indexof" => json!(t.find(&p).map_or(-1, |i| t[..i].chars().count() as i64)),
                _ => json!(t.rfind(&p).map_or(-1, |i| t[..i].chars().count() as i64)),
            }
        }
        "padleft" => {
            arity(name, a, 2, 3)?;
            let t = text(&a[0]);
            let width = usize::try_from(int(name, &a[1])?).unwrap_or(0);
            if width > MAX_TEXT {
                return Err(format!(
                    "padLeft() to {width} characters is beyond kensa's limit ({MAX_TEXT})"
                )
                .into());
            }
            let pad = a
                .get(2)
                .map(text)
                .and_then(|p| p.chars().next())
                .unwrap_or(' ');
            let n = width.saturating_sub(t.chars().count());
            Value::String(std::iter::repeat_n(pad, n).chain(t.chars()).collect())
        }
        "base64" => Value::String(base64(s(name, one(name, a)?)?.as_bytes())),
        "uri" => {
            arity(name, a, 2, 2)?;
            let base = s(name, &a[0])?;
            let rel = s(name, &a[1])?;
            let cut = base.rfind('/').map_or(base.len(), |i| i + 1);
            Value::String(format!("{}{}", &base[..cut], rel.trim_start_matches('/')))
        }
        _ => return Err(ExprError::UnknownFunction(name.to_string())),
    })
}

/// .NET composite formatting as format() uses it: `{0}`, `{1:fmt}`, `{{` `}}`.
fn format_net(f: &str, args: &[Value]) -> Result<String, ExprError> {
    let mut out = String::new();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    spec.push(c);
                }
                let (idx, fmt) = spec.split_once(':').unwrap_or((&spec, ""));
                let i: usize = idx
                    .trim()
                    .parse()
                    .map_err(|_| format!("format(): bad placeholder {{{spec}}}"))?;
                let v = args
                    .get(i)
                    .ok_or_else(|| format!("format(): no argument {i}"))?;
                let t = text(v);
                // `D3` pads integers with zeros; other specifiers are left as they are.
                match fmt
                    .strip_prefix(['D', 'd'])
                    .and_then(|w| w.parse::<usize>().ok())
                {
                    Some(w) => out.push_str(&format!("{t:0>w$}")),
                    None => out.push_str(&t),
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn digest(a: &[Value]) -> Vec<u8> {
    let joined: Vec<String> = a.iter().map(text).collect();
    Sha256::digest(joined.join("-").as_bytes()).to_vec()
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(T[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
