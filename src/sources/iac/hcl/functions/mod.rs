//! Terraform's (and Packer's HCL2) built-in functions, evaluated offline over JSON values.
//!
//! A value that Terraform only knows at apply time is represented by an *unknown*:
//! the single-key object `{"kensa:unknown": "<reason>"}`. [`call`] never panics and never
//! errors: unsupported functions, wrong arity and wrong argument types all yield an unknown
//! whose reason names the function and the problem.

/// Returns `Err(format!(...))` from the enclosing function unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

mod encode;
mod library;

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

use encode::json_encode;

use crate::sources::iac::unknown::{unknown, unknown_reason};

/// Largest string (in bytes) a function may produce.
pub(crate) const MAX_STRING_BYTES: usize = 1 << 20;
/// Largest list or map a function may produce.
pub(super) const MAX_ITEMS: usize = 100_000;
/// Largest list `range()` may produce.
pub(super) const MAX_RANGE: usize = 10_000;
/// Budget for all strings produced by one call (formatlist, join...).
pub(super) const MAX_TOTAL_BYTES: usize = 16 << 20;
pub(super) const MAX_DEPTH: usize = 256;
pub(super) const TOO_LARGE: &str = "result too large";

/// The reason of the first unknown found anywhere inside `v` (depth first, keys in map order).
pub(crate) fn first_unknown_deep(v: &Value) -> Option<&str> {
    fn walk(v: &Value, depth: usize) -> Option<&str> {
        match v {
            _ if unknown_reason(v).is_some() => unknown_reason(v),
            _ if depth > MAX_DEPTH => Some("value nested too deeply"),
            Value::Array(a) => a.iter().find_map(|x| walk(x, depth + 1)),
            Value::Object(m) => m.values().find_map(|x| walk(x, depth + 1)),
            _ => None,
        }
    }
    walk(v, 0)
}

/// Functions evaluated by [`call`]; any other name yields an unknown.
#[rustfmt::skip]
pub(crate) const FUNCTIONS: &[&str] = &[
    "lookup", "merge", "concat", "flatten", "distinct", "keys", "values", "length", "contains", "index", "coalesce",
    "coalescelist", "tostring", "tonumber", "tobool", "toset", "tolist", "tomap", "sensitive", "nonsensitive", "format",
    "formatlist", "join", "split", "replace", "lower", "upper", "title", "trimspace", "trim", "trimprefix", "trimsuffix",
    "strrev", "chomp", "indent", "substr", "startswith", "endswith", "strcontains", "element", "zipmap", "range",
    "cidrsubnet", "cidrhost", "cidrnetmask", "jsonencode", "jsondecode", "abs", "ceil", "floor", "signum", "pow",
    "parseint", "max", "min", "sum", "one", "slice", "reverse", "sort", "setunion", "setintersection", "setsubtract",
    "compact", "chunklist", "transpose", "matchkeys", "alltrue", "anytrue", "base64encode", "base64decode",
];

/// Functions whose result is still meaningful when an argument merely *contains* an unknown:
/// for these only top-level unknown arguments make the result unknown (zipmap: its values).
#[rustfmt::skip]
pub(super) const SHALLOW: &[&str] = &[
    "lookup", "merge", "concat", "element", "slice", "reverse", "tolist", "tomap", "one", "chunklist", "coalesce",
    "coalescelist", "values", "sensitive", "nonsensitive", "zipmap",
];

/// Why a function that is not evaluated is not.
pub(super) fn not_evaluated(name: &str) -> Option<&'static str> {
    Some(match name {
        "uuid" | "timestamp" | "plantimestamp" | "bcrypt" | "uuidv5" | "formatdate" | "timeadd"
        | "timecmp" => "is only known when Terraform runs",
        "file" | "filebase64" | "templatefile" | "fileexists" | "fileset" | "filemd5"
        | "filesha1" | "filesha256" | "filesha512" | "filebase64sha256" | "filebase64sha512"
        | "abspath" | "pathexpand" => "reads files and is not evaluated",
        "md5" | "sha1" | "sha256" | "sha512" | "base64sha256" | "base64sha512" | "base64gzip"
        | "textencodebase64" | "textdecodebase64" => {
            "is a hash/encoding function and is not evaluated"
        }
        "can" | "try" => "must be evaluated lazily by the caller",
        "regex" | "regexall" => "uses a regular expression and is not evaluated",
        _ if !FUNCTIONS.contains(&name) => "is not evaluated",
        _ => return None,
    })
}

pub(super) type R = Result<Value, String>;

/// Calls function `name` on evaluated `args`. Never panics. An unknown argument, or a
/// function that needs the run (time, files), gives an unknown; a wrong argument is an
/// error (as in Terraform), which `try()` and `can()` catch.
pub(crate) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    if name.contains("::") {
        return Ok(unknown(format!(
            "{name}() is a provider function and is not evaluated"
        )));
    }
    let shallow = SHALLOW.contains(&name);
    for (i, a) in args.iter().enumerate() {
        let deep = !shallow || (name == "zipmap" && i == 0);
        if let Some(r) = if deep {
            first_unknown_deep(a)
        } else {
            unknown_reason(a)
        } {
            return Ok(unknown(r));
        }
    }
    if let Some(msg) = not_evaluated(name) {
        return Ok(unknown(format!("{name}() {msg}")));
    }
    match library::eval(name, args) {
        Ok(v) if too_large(&v, 0) => Ok(unknown(format!("{name}() result too large"))),
        Ok(v) => Ok(v),
        Err(e) => Err(format!("{name}() {e}")),
    }
}

pub(super) fn too_large(v: &Value, depth: usize) -> bool {
    depth > MAX_DEPTH
        || match v {
            Value::String(s) => s.len() > MAX_STRING_BYTES,
            Value::Array(a) => a.len() > MAX_ITEMS || a.iter().any(|x| too_large(x, depth + 1)),
            Value::Object(m) => m.len() > MAX_ITEMS || m.values().any(|x| too_large(x, depth + 1)),
            _ => false,
        }
}

// ---------------------------------------------------------------- argument helpers

pub(super) fn arity(a: &[Value], min: usize, max: usize) -> Result<(), String> {
    let want = match (min, max) {
        _ if min == max => format!("{min}"),
        (_, usize::MAX) => format!("at least {min}"),
        _ => format!("{min} to {max}"),
    };
    if a.len() < min || a.len() > max {
        Err(format!("expects {want} argument(s), got {}", a.len()))
    } else {
        Ok(())
    }
}

pub(super) fn expects(what: &str, v: &Value) -> String {
    format!(
        "expects {what}{}",
        if v.is_null() { ", got null" } else { "" }
    )
}

pub(super) fn list(v: &Value) -> Result<&Vec<Value>, String> {
    v.as_array().ok_or_else(|| expects("a list", v))
}

pub(super) fn map(v: &Value) -> Result<&Map<String, Value>, String> {
    v.as_object().ok_or_else(|| expects("a map", v))
}

/// Map entries in key order, whatever the `serde_json` map ordering feature.
pub(super) fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut e: Vec<_> = m.iter().collect();
    e.sort_by(|a, b| a.0.cmp(b.0));
    e
}

/// String form of a primitive (Terraform converts numbers and bools to strings implicitly).
pub(super) fn prim_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(num_str(n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn string(v: &Value) -> Result<String, String> {
    prim_str(v).ok_or_else(|| expects("a string", v))
}

pub(super) fn number(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| "expects a number".into()),
        Value::String(s) => parse_num(s).ok_or_else(|| format!("cannot convert {s:?} to a number")),
        _ => Err(expects("a number", v)),
    }
}

pub(super) fn parse_num(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    s.parse::<f64>().ok().filter(|f| ok && f.is_finite())
}

pub(super) fn int(v: &Value) -> Result<i64, String> {
    match v.as_i64() {
        Some(i) => Ok(i),
        None => match number(v)? {
            f if f.fract() != 0.0 => Err("expects a whole number".into()),
            f if f.abs() >= 9.2e18 => Err("number out of range".into()),
            f => Ok(f as i64),
        },
    }
}

/// Whole numbers as i128 (cidr functions need more than 2^53).
pub(super) fn big_int(v: &Value) -> Result<i128, String> {
    match v {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or(0) as i128),
        Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or(0) as i128),
        Value::String(s) if s.parse::<i128>().is_ok() => Ok(s.parse::<i128>().unwrap_or(0)),
        _ => Some(number(v)?)
            .filter(|f| f.fract() == 0.0 && f.abs() < 1.7e38)
            .map(|f| f as i128)
            .ok_or_else(|| "expects a whole number".into()),
    }
}

pub(super) fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(expects("a bool", v)),
    }
}

pub(super) fn fmt_f64(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        (f as i64).to_string()
    } else {
        format!("{f}")
    }
}

pub(super) fn num_str(n: &Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i.to_string(),
        (_, Some(u)) => u.to_string(),
        _ => fmt_f64(n.as_f64().unwrap_or(0.0)),
    }
}

/// A number result: whole floats become integers.
pub(super) fn num(f: f64) -> R {
    match f {
        f if !f.is_finite() => Err("result is not a finite number".into()),
        f if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Value::from(f as i64)),
        f => Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| "result is not a finite number".into()),
    }
}

pub(super) fn normalize(v: Value) -> Value {
    match v {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => {
            num(n.as_f64().unwrap_or(0.0)).unwrap_or(Value::Number(n))
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        v => v,
    }
}

/// Canonical encoding used for equality and set membership (1 == 1.0).
pub(super) fn canon(v: &Value) -> String {
    let mut s = String::new();
    json_encode(v, &mut s, 0);
    s
}

pub(super) fn loose_eq(a: &Value, b: &Value) -> bool {
    canon(a) == canon(b)
        || (a.is_string() || b.is_string())
            && matches!((prim_str(a), prim_str(b)), (Some(x), Some(y)) if x == y)
}

/// Terraform converts a mix of strings and numbers/bools to strings.
pub(super) fn unify(items: &[Value]) -> Vec<Value> {
    let prim = items
        .iter()
        .all(|v| v.is_null() || v.is_string() || v.is_number() || v.is_boolean());
    let to_str = prim && items.iter().any(Value::is_string);
    items
        .iter()
        .map(|v| {
            if to_str {
                prim_str(v).map_or(Value::Null, Value::String)
            } else {
                v.clone()
            }
        })
        .collect()
}

pub(super) fn distinct(items: &[Value]) -> Vec<Value> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter(|v| seen.insert(canon(v)))
        .cloned()
        .collect()
}

/// Set semantics: unified, distinct, sorted like Terraform sorts sets of strings and numbers.
pub(super) fn set_norm(items: &[Value]) -> Vec<Value> {
    let mut v = distinct(&unify(items));
    match () {
        _ if v.iter().all(Value::is_string) => v.sort_by(|a, b| a.as_str().cmp(&b.as_str())),
        _ if v.iter().all(Value::is_number) => v.sort_by(|a, b| {
            a.as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b.as_f64().unwrap_or(0.0))
        }),
        _ => {}
    }
    v
}
