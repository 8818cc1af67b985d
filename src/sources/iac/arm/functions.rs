//! The template functions kensa evaluates, over plain JSON values. A value that cannot be
//! known before deployment (a parameter without a value, `reference()`, `utcNow()`…) is an
//! *unknown*: `{"kensa:unknown": "<why>"}`. Functions propagate it, so a rule that reads
//! such a value can say "unknown" instead of passing or failing with confidence.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::expr::Expr;

pub const UNKNOWN_KEY: &str = "kensa:unknown";

pub fn unknown(reason: impl Into<String>) -> Value {
    json!({ UNKNOWN_KEY: reason.into() })
}

pub fn unknown_reason(v: &Value) -> Option<&str> {
    match v {
        Value::Object(o) if o.len() == 1 => o.get(UNKNOWN_KEY).and_then(Value::as_str),
        _ => None,
    }
}

/// Placeholders for the deployment scope: a template is scanned outside any subscription.
pub const SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000000";

/// What an expression can ask of the template it sits in.
pub trait Context {
    fn parameter(&self, name: &str) -> Result<Value, String>;
    fn variable(&self, name: &str) -> Result<Value, String>;
    fn copy_index(&self, loop_name: Option<&str>) -> Result<Value, String>;
    fn resource_group(&self) -> &str;
    /// `reference(target[, apiVersion, 'Full'])`: a resource declared in the same template,
    /// as far as the template says; unknown otherwise.
    fn reference(&self, target: &str, full: bool) -> Value;
}

/// Functions ARM has that kensa does not evaluate: their value is unknown, never an error.
const UNEVALUATED: &[&str] = &[
    "utcnow",
    "newguid",
    "providers",
    "filter",
    "map",
    "reduce",
    "sort",
    "tojson",
    "lambda",
    "lambdavariables",
    "datauri",
    "datauritostring",
    "base64tostring",
    "base64tojson",
    "uricomponent",
    "uricomponenttostring",
    "dateTimeAdd",
    "datetimeadd",
    "datetimefromepoch",
    "datetimetoepoch",
    "managementgroup",
    "managementgroupresourceid",
    "tenant",
    "float",
    "objectkeys",
    "shallowmerge",
    "groupby",
    "mapvalues",
    "toobject",
    "flatten",
    "indexfromend",
    "tryget",
    "tryindexfromend",
    "parsecidr",
    "cidrsubnet",
    "cidrhost",
    "pickzones",
];

pub fn eval(e: &Expr, cx: &dyn Context) -> Result<Value, String> {
    match e {
        Expr::Str(s) => Ok(Value::String(s.clone())),
        Expr::Int(n) => Ok(json!(n)),
        Expr::Prop(inner, name) => {
            let v = eval(inner, cx)?;
            Ok(property(&v, name))
        }
        Expr::Index(inner, idx) => {
            let v = eval(inner, cx)?;
            let i = eval(idx, cx)?;
            index(&v, &i)
        }
        Expr::Call(name, args) => call(name, args, cx),
    }
}

fn property(v: &Value, name: &str) -> Value {
    if unknown_reason(v).is_some() {
        return v.clone();
    }
    match v {
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| unknown(format!("property '{name}' is not set"))),
        _ => unknown(format!("property '{name}' of a non-object")),
    }
}

fn index(v: &Value, i: &Value) -> Result<Value, String> {
    if unknown_reason(v).is_some() {
        return Ok(v.clone());
    }
    if unknown_reason(i).is_some() {
        return Ok(i.clone());
    }
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => {
            let n = n.as_i64().ok_or("array index is not an integer")?;
            usize::try_from(n)
                .ok()
                .and_then(|n| a.get(n))
                .cloned()
                .ok_or_else(|| format!("index {n} is out of range (array of {})", a.len()))
        }
        (Value::Object(_), Value::String(k)) => Ok(property(v, k)),
        _ => Err(format!("cannot index {} with {}", kind(v), kind(i))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        return Err(format!(
            "{name}() takes {} arguments, got {}",
            if min == max {
                min.to_string()
            } else {
                format!("{min} to {max}")
            },
            args.len()
        ));
    }
    Ok(())
}

fn s<'a>(name: &str, v: &'a Value) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{name}() expects a string, got {}", kind(v)))
}

fn int(name: &str, v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{name}() expects an integer")),
        Value::String(t) => t
            .trim()
            .parse()
            .map_err(|_| format!("{name}(): {t:?} is not an integer")),
        _ => Err(format!("{name}() expects an integer, got {}", kind(v))),
    }
}

fn truth(name: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(t) if t.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(t) if t.eq_ignore_ascii_case("false") => Ok(false),
        Value::Number(n) => Ok(n.as_i64() != Some(0)),
        _ => Err(format!("{name}() expects a bool, got {}", kind(v))),
    }
}

fn call(name: &str, exprs: &[Expr], cx: &dyn Context) -> Result<Value, String> {
    // Lazy functions first: only the branch taken is evaluated.
    match name {
        "if" => {
            if exprs.len() != 3 {
                return Err(format!("if() takes 3 arguments, got {}", exprs.len()));
            }
            let c = eval(&exprs[0], cx)?;
            if unknown_reason(&c).is_some() {
                return Ok(c);
            }
            return eval(&exprs[if truth("if", &c)? { 1 } else { 2 }], cx);
        }
        "and" | "or" => {
            let decisive = name == "or";
            let mut pending = None;
            for e in exprs {
                let v = eval(e, cx)?;
                if unknown_reason(&v).is_some() {
                    pending.get_or_insert(v);
                } else if truth(name, &v)? == decisive {
                    return Ok(Value::Bool(decisive));
                }
            }
            return Ok(pending.unwrap_or(Value::Bool(!decisive)));
        }
        "coalesce" => {
            for e in exprs {
                let v = eval(e, cx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            return Ok(Value::Null);
        }
        _ => {}
    }
    if name.contains('.') {
        return Ok(unknown(format!(
            "user-defined function {name}() is not evaluated"
        )));
    }
    if name.starts_with("list") || UNEVALUATED.contains(&name) {
        return Ok(unknown(format!("{name}() is only known at deployment")));
    }
    let args = exprs
        .iter()
        .map(|e| eval(e, cx))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(u) = args.iter().find(|a| unknown_reason(a).is_some()) {
        // Still check the function exists, so a typo is reported even here.
        if !KNOWN.contains(&name) {
            return Err(format!("unknown function {name}()"));
        }
        return Ok(u.clone());
    }
    strict(name, &args, cx)
}

/// Every function `strict` evaluates.
const KNOWN: &[&str] = &[
    "reference",
    "parameters",
    "variables",
    "copyindex",
    "concat",
    "format",
    "equals",
    "not",
    "empty",
    "tolower",
    "toupper",
    "string",
    "int",
    "bool",
    "json",
    "split",
    "replace",
    "createarray",
    "createobject",
    "union",
    "intersection",
    "contains",
    "resourceid",
    "subscriptionresourceid",
    "tenantresourceid",
    "extensionresourceid",
    "resourcegroup",
    "subscription",
    "deployment",
    "environment",
    "uniquestring",
    "guid",
    "length",
    "first",
    "last",
    "substring",
    "trim",
    "startswith",
    "endswith",
    "indexof",
    "lastindexof",
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
    "padleft",
    "base64",
    "uri",
    "true",
    "false",
    "null",
    "items",
    "join",
];

fn strict(name: &str, a: &[Value], cx: &dyn Context) -> Result<Value, String> {
    let v = match name {
        "parameters" => {
            arity(name, a, 1, 1)?;
            cx.parameter(s(name, &a[0])?)?
        }
        "variables" => {
            arity(name, a, 1, 1)?;
            cx.variable(s(name, &a[0])?)?
        }
        "reference" => {
            arity(name, a, 1, 3)?;
            let full = a
                .get(2)
                .and_then(Value::as_str)
                .is_some_and(|f| f.eq_ignore_ascii_case("full"));
            cx.reference(s(name, &a[0])?, full)
        }
        "copyindex" => {
            arity(name, a, 0, 2)?;
            let (loop_name, offset) = match a {
                [] => (None, 0),
                [Value::String(l)] => (Some(l.as_str()), 0),
                [o] => (None, int(name, o)?),
                [o, Value::String(l)] | [Value::String(l), o] => (Some(l.as_str()), int(name, o)?),
                _ => return Err("copyIndex() takes an offset and/or a loop name".into()),
            };
            let i = cx.copy_index(loop_name)?;
            match i.as_i64() {
                Some(i) => json!(i + offset),
                None => i,
            }
        }
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
            Value::String(s(name, &a[0])?.replace(s(name, &a[1])?, s(name, &a[2])?))
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
                other => return Err(format!("contains() cannot search {}", kind(other))),
            })
        }
        "resourceid" => Value::String(resource_id(a, cx.resource_group())?),
        "subscriptionresourceid" => {
            let (scope, rest) = match a.first().and_then(Value::as_str) {
                Some(t) if !t.contains('/') && a.len() > 2 => (t.to_string(), &a[1..]),
                _ => (SUBSCRIPTION_ID.to_string(), a),
            };
            Value::String(format!("/subscriptions/{scope}{}", provider_path(rest)?))
        }
        "tenantresourceid" => Value::String(provider_path(a)?),
        "extensionresourceid" => {
            if a.len() < 3 {
                return Err("extensionResourceId() needs a scope, a type and a name".into());
            }
            Value::String(format!("{}{}", s(name, &a[0])?, provider_path(&a[1..])?))
        }
        "resourcegroup" => {
            let rg = cx.resource_group();
            json!({
                "id": format!("/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}"),
                "name": rg,
                "type": "Microsoft.Resources/resourceGroups",
                "location": "resourcegroup-location",
                "properties": {"provisioningState": "Succeeded"},
                "tags": {},
            })
        }
        "subscription" => json!({
            "id": format!("/subscriptions/{SUBSCRIPTION_ID}"),
            "subscriptionId": SUBSCRIPTION_ID,
            "tenantId": SUBSCRIPTION_ID,
            "displayName": "subscription",
        }),
        "deployment" => {
            json!({"name": "kensa-iac", "properties": {}, "location": "deployment-location"})
        }
        "environment" => json!({
            "name": "AzureCloud",
            "resourceManager": "https://management.azure.com/",
            "authentication": {"loginEndpoint": "https://login.microsoftonline.com/"},
            "suffixes": {
                "storage": "core.windows.net",
                "keyvaultDns": ".vault.azure.net",
                "sqlServerHostname": ".database.windows.net",
                "acrLoginServer": ".azurecr.io",
            },
        }),
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
        "length" => json!(match one(name, a)? {
            Value::String(t) => t.chars().count(),
            Value::Array(x) => x.len(),
            Value::Object(o) => o.len(),
            other => return Err(format!("length() of {}", kind(other))),
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
            other => return Err(format!("{name}() of {}", kind(other))),
        },
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
                ));
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
                return Err(format!("range() count {count} is outside 0..10000"));
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
                other => return Err(format!("{name}() of {}", kind(other))),
            }
        }
        "array" => match one(name, a)? {
            Value::Array(x) => Value::Array(x.clone()),
            other => json!([other]),
        },
        "padleft" => {
            arity(name, a, 2, 3)?;
            let t = text(&a[0]);
            let width = usize::try_from(int(name, &a[1])?).unwrap_or(0);
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
            other => return Err(format!("items() of {}", kind(other))),
        },
        _ => return Err(format!("unknown function {name}()")),
    };
    Ok(v)
}

fn one<'a>(name: &str, a: &'a [Value]) -> Result<&'a Value, String> {
    arity(name, a, 1, 1)?;
    Ok(&a[0])
}

fn numeric_eq(a: &Value, b: &Value) -> bool {
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

/// A value as text, the way concat()/string() render it.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(t) => t.clone(),
        Value::Null => String::new(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

fn union(a: &[Value]) -> Result<Value, String> {
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

/// .NET composite formatting as format() uses it: `{0}`, `{1:fmt}`, `{{` `}}`.
fn format_net(f: &str, args: &[Value]) -> Result<String, String> {
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

/// `/providers/{namespace}/{type}/{name}[/{type}/{name}…]` from a type and its names.
fn provider_path(a: &[Value]) -> Result<String, String> {
    let Some((t, names)) = a.split_first() else {
        return Err("a resource type is missing".into());
    };
    // ARM accepts a trailing slash on the type.
    let t = t
        .as_str()
        .ok_or("the resource type must be a string")?
        .trim_end_matches('/');
    let mut segs = t.split('/');
    let ns = segs.next().unwrap_or_default();
    let types: Vec<&str> = segs.collect();
    if types.len() != names.len() {
        return Err(format!(
            "resource type {t} needs {} name(s), got {}",
            types.len(),
            names.len()
        ));
    }
    let mut out = format!("/providers/{ns}");
    for (ty, n) in types.iter().zip(names) {
        out.push_str(&format!("/{ty}/{}", text(n)));
    }
    Ok(out)
}

fn resource_id(a: &[Value], rg: &str) -> Result<String, String> {
    let at = a
        .iter()
        .position(|v| {
            v.as_str()
                .is_some_and(|t| t.contains('/') && t.contains('.'))
        })
        .ok_or(
            "resourceId() needs a resource type such as Microsoft.Network/networkSecurityGroups",
        )?;
    let (sub, group) = match &a[..at] {
        [] => (SUBSCRIPTION_ID.to_string(), rg.to_string()),
        [g] => (SUBSCRIPTION_ID.to_string(), text(g)),
        [s, g] => (text(s), text(g)),
        _ => return Err("resourceId() has too many arguments before the type".into()),
    };
    Ok(format!(
        "/subscriptions/{sub}/resourceGroups/{group}{}",
        provider_path(&a[at..])?
    ))
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

#[cfg(test)]
mod tests {
    use super::super::expr;
    use super::*;

    struct Cx;
    impl Context for Cx {
        fn parameter(&self, name: &str) -> Result<Value, String> {
            match name.to_lowercase().as_str() {
                "os" => Ok(json!("Windows")),
                "missing" => Ok(unknown("parameter 'missing' has no value")),
                _ => Err(format!("parameter '{name}' is not declared")),
            }
        }
        fn variable(&self, _: &str) -> Result<Value, String> {
            Ok(json!({"Ubuntu": "22", "Windows": "3389"}))
        }
        fn copy_index(&self, _: Option<&str>) -> Result<Value, String> {
            Ok(json!(2))
        }
        fn resource_group(&self) -> &str {
            "rg"
        }
        fn reference(&self, _: &str, _: bool) -> Value {
            unknown("reference() is only known at deployment")
        }
    }

    fn run(t: &str) -> Value {
        eval(&expr::parse(t).expect("parses"), &Cx).expect("evaluates")
    }

    #[test]
    fn evaluates_the_functions_templates_use() {
        assert_eq!(run("variables('p')[parameters('OS')]"), json!("3389"));
        assert_eq!(
            run("if(equals(parameters('os'),'Windows'),'3389','22')"),
            json!("3389")
        );
        assert_eq!(run("concat('vm-', copyIndex(1))"), json!("vm-3"));
        assert_eq!(run("format('{0}-{1:D3}', 'a', 7)"), json!("a-007"));
        assert_eq!(
            run("resourceId('Microsoft.Network/networkSecurityGroups/securityRules', 'n', 'r')"),
            json!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/r")
        );
        assert_eq!(
            run("length(split('a,b;c', createArray(',', ';')))"),
            json!(3)
        );
        assert_eq!(
            run("union(createObject('a', 1), json('{\"b\": 2}'))"),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(run("empty(json('null'))"), json!(true));
        assert_eq!(run("base64('hello')"), json!("aGVsbG8="));
        assert_eq!(run("uniqueString('x')"), run("uniqueString('x')"));
        assert_eq!(run("and(true(), not(false()))"), json!(true));
    }

    #[test]
    fn unknowns_propagate_but_do_not_hide_decided_values() {
        assert!(unknown_reason(&run("concat('a', parameters('missing'))")).is_some());
        assert!(unknown_reason(&run("reference('x').properties")).is_some());
        assert_eq!(run("if(true(), 'a', parameters('missing'))"), json!("a"));
        assert_eq!(run("or(true(), parameters('missing'))"), json!(true));
        assert!(unknown_reason(&run("and(true(), parameters('missing'))")).is_some());
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |t: &str| eval(&expr::parse(t).expect("parses"), &Cx).expect_err("fails");
        assert!(err("nosuchfn(1)").contains("unknown function nosuchfn()"));
        assert!(err("parameters('nope')").contains("not declared"));
        assert!(err("createArray(1)[5]").contains("out of range"));
    }
}
