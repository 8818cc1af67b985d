//! The functions themselves, by name.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::encode::*;
use super::*;
use crate::sources::iac::net::*;

// ---------------------------------------------------------------- the functions

/// (min, max) argument counts.
pub(super) fn arity_of(name: &str) -> (usize, usize) {
    const MANY: usize = usize::MAX;
    match name {
        "merge" | "concat" | "coalesce" | "coalescelist" => (0, MANY),
        "format" | "formatlist" | "max" | "min" | "setunion" | "setintersection" => (1, MANY),
        "join" => (2, MANY),
        "lookup" => (2, 3),
        "range" => (1, 3),
        "contains" | "index" | "split" | "trim" | "trimprefix" | "trimsuffix" | "startswith"
        | "endswith" | "strcontains" | "indent" | "element" | "zipmap" | "cidrhost" | "pow"
        | "parseint" | "setsubtract" | "chunklist" => (2, 2),
        "replace" | "substr" | "cidrsubnet" | "slice" | "matchkeys" => (3, 3),
        _ => (1, 1),
    }
}

pub(super) fn strs(v: &Value) -> Result<Vec<String>, String> {
    list(v)?
        .iter()
        .map(|x| prim_str(x).ok_or_else(|| "expects a list of strings".to_string()))
        .collect()
}

pub(super) fn eval(name: &str, a: &[Value]) -> R {
    let (min, max) = arity_of(name);
    arity(a, min, max)?;
    let s = |i: usize| string(&a[i]);
    let n = |i: usize| number(&a[i]);
    let str1 = |f: &dyn Fn(&str) -> String| Ok(Value::String(f(&s(0)?)));
    let str2 = |f: &dyn Fn(&str, &str) -> bool| Ok(Value::Bool(f(&s(0)?, &s(1)?)));
    let num1 = |f: fn(f64) -> f64| num(f(n(0)?));
    let array = |v: Vec<Value>| Ok(Value::Array(v));
    match name {
        "lookup" => match (map(&a[0])?.get(&s(1)?), a.get(2)) {
            (Some(v), _) | (None, Some(v)) => Ok(v.clone()),
            _ => Err(format!("found no key {:?} and no default was given", s(1)?)),
        },
        "merge" => {
            let mut out = Map::new();
            for v in a.iter().filter(|v| !v.is_null()) {
                out.extend(
                    map(v)
                        .map_err(|_| "expects maps or objects")?
                        .iter()
                        .map(|(k, x)| (k.clone(), x.clone())),
                );
            }
            Ok(Value::Object(out))
        }
        "concat" => {
            let ls = a.iter().map(list).collect::<Result<Vec<_>, _>>()?;
            ensure!(
                ls.iter().map(|l| l.len()).sum::<usize>() <= MAX_ITEMS,
                "{TOO_LARGE}"
            );
            array(ls.into_iter().flatten().cloned().collect())
        }
        "flatten" => {
            fn go(l: &[Value], out: &mut Vec<Value>, d: usize) -> Result<(), String> {
                ensure!(d <= MAX_DEPTH, "value nested too deeply");
                for x in l {
                    match x {
                        Value::Array(inner) => go(inner, out, d + 1)?,
                        _ if out.len() >= MAX_ITEMS => return Err(TOO_LARGE.into()),
                        _ => out.push(x.clone()),
                    }
                }
                Ok(())
            }
            let mut out = Vec::new();
            go(list(&a[0])?, &mut out, 0)?;
            array(out)
        }
        "distinct" => array(distinct(list(&a[0])?)),
        "keys" => array(
            sorted_entries(map(&a[0])?)
                .into_iter()
                .map(|(k, _)| Value::String(k.clone()))
                .collect(),
        ),
        "values" => array(
            sorted_entries(map(&a[0])?)
                .into_iter()
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        "length" => match &a[0] {
            Value::String(x) => Ok(Value::from(x.chars().count())),
            Value::Array(l) => Ok(Value::from(l.len())),
            Value::Object(m) => Ok(Value::from(m.len())),
            _ => Err(format!(
                "expects a string, list or map, got {}",
                canon(&a[0])
            )),
        },
        "contains" => Ok(Value::Bool(list(&a[0])?.iter().any(|x| loose_eq(x, &a[1])))),
        "index" => list(&a[0])?
            .iter()
            .position(|x| loose_eq(x, &a[1]))
            .map(Value::from)
            .ok_or_else(|| "item not found".into()),
        "coalesce" => {
            let v = a
                .iter()
                .find(|v| !v.is_null() && v.as_str() != Some(""))
                .ok_or("has no non-null, non-empty-string arguments")?;
            let to_str = (v.is_number() || v.is_boolean()) && a.iter().any(Value::is_string);
            Ok(if to_str {
                Value::String(string(v)?)
            } else {
                v.clone()
            })
        }
        "coalescelist" => {
            for v in a.iter().filter(|v| !v.is_null()) {
                if !list(v)?.is_empty() {
                    return Ok(v.clone());
                }
            }
            Err("has no non-empty list arguments".into())
        }
        "tostring" | "tonumber" | "tobool" | "tolist" | "toset" | "tomap" | "sensitive"
        | "nonsensitive"
            if a[0].is_null() =>
        {
            Ok(Value::Null)
        }
        "tostring" => s(0)
            .map(Value::String)
            .map_err(|_| "cannot convert a list or map to string".into()),
        "tonumber" => num(n(0)?),
        "tobool" => boolean(&a[0]).map(Value::Bool),
        "tolist" => array(unify(list(&a[0])?)),
        "toset" => array(set_norm(list(&a[0])?)),
        "tomap" => {
            let e = sorted_entries(map(&a[0])?);
            let vals = unify(&e.iter().map(|(_, x)| (*x).clone()).collect::<Vec<_>>());
            Ok(Value::Object(
                e.into_iter().map(|(k, _)| k.clone()).zip(vals).collect(),
            ))
        }
        "sensitive" | "nonsensitive" => Ok(a[0].clone()),
        "format" => format_str(&s(0)?, &a[1..].iter().collect::<Vec<_>>()).map(Value::String),
        "formatlist" => {
            let f = s(0)?;
            let mut len: Option<usize> = None;
            for l in a[1..].iter().filter_map(Value::as_array) {
                ensure!(
                    len.is_none_or(|n| n == l.len()),
                    "expects all list arguments to have the same length"
                );
                len = Some(l.len());
            }
            let (mut out, mut total) = (Vec::new(), 0usize);
            for i in 0..len.unwrap_or(1) {
                let row: Vec<&Value> = a[1..]
                    .iter()
                    .map(|v| if let Value::Array(l) = v { &l[i] } else { v })
                    .collect();
                let r = format_str(&f, &row)?;
                total += r.len();
                ensure!(
                    total <= MAX_TOTAL_BYTES && out.len() < MAX_ITEMS,
                    "{TOO_LARGE}"
                );
                out.push(Value::String(r));
            }
            array(out)
        }
        "join" => {
            let sep = s(0)?;
            let mut items = Vec::new();
            for l in &a[1..] {
                for x in list(l)? {
                    items.push(prim_str(x).ok_or("expects lists of strings (no nulls)")?);
                }
            }
            ensure!(
                items.iter().map(|x| x.len() + sep.len()).sum::<usize>()
                    <= MAX_STRING_BYTES + sep.len(),
                "{TOO_LARGE}"
            );
            Ok(Value::String(items.join(&sep)))
        }
        "split" => {
            let (sep, x) = (s(0)?, s(1)?);
            ensure!(
                (if sep.is_empty() {
                    x.chars().count()
                } else {
                    x.matches(sep.as_str()).count()
                }) < MAX_ITEMS,
                "{TOO_LARGE}"
            );
            if sep.is_empty() {
                return array(x.chars().map(|c| Value::String(c.to_string())).collect());
            }
            array(
                x.split(sep.as_str())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            )
        }
        "replace" => {
            let (x, from, to) = (s(0)?, s(1)?, s(2)?);
            ensure!(
                from.len() < 2 || !from.starts_with('/') || !from.ends_with('/'),
                "uses a /regex/ pattern: regex replace is not evaluated"
            );
            let hits = if from.is_empty() {
                x.chars().count() + 1
            } else {
                x.matches(from.as_str()).count()
            };
            ensure!(
                x.len().saturating_add(hits.saturating_mul(to.len())) <= MAX_STRING_BYTES,
                "{TOO_LARGE}"
            );
            Ok(Value::String(x.replace(from.as_str(), &to)))
        }
        "lower" => str1(&|x| x.to_lowercase()),
        "upper" => str1(&|x| x.to_uppercase()),
        "trimspace" => str1(&|x| x.trim().to_string()),
        "strrev" => str1(&|x| x.chars().rev().collect()),
        "chomp" => str1(&|x| x.trim_end_matches(['\n', '\r']).to_string()),
        "title" => str1(&|x| {
            // like Go's strings.Title: upper-case letters that follow a separator
            let mut sep = true;
            let mut out = String::new();
            for c in x.chars() {
                out.extend(if sep {
                    c.to_uppercase().collect::<Vec<_>>()
                } else {
                    vec![c]
                });
                sep = if c.is_ascii() {
                    !(c.is_ascii_alphanumeric() || c == '_')
                } else {
                    c.is_whitespace()
                };
            }
            out
        }),
        "trim" => Ok(Value::String(
            s(0)?
                .trim_matches(|c| s(1).unwrap_or_default().contains(c))
                .to_string(),
        )),
        "trimprefix" => Ok(Value::String(
            s(0)?
                .strip_prefix(s(1)?.as_str())
                .map(str::to_string)
                .unwrap_or(s(0)?),
        )),
        "trimsuffix" => Ok(Value::String(
            s(0)?
                .strip_suffix(s(1)?.as_str())
                .map(str::to_string)
                .unwrap_or(s(0)?),
        )),
        "startswith" => str2(&|x, p| x.starts_with(p)),
        "endswith" => str2(&|x, p| x.ends_with(p)),
        "strcontains" => str2(&|x, p| x.contains(p)),
        "substr" => {
            let c: Vec<char> = s(0)?.chars().collect();
            let (off, len) = (int(&a[1])?, int(&a[2])?);
            // a negative offset counts from the end; a negative length means "to the end"
            let off = (if off < 0 {
                (off + c.len() as i64).max(0)
            } else {
                off
            } as usize)
                .min(c.len());
            let end = if len < 0 {
                c.len()
            } else {
                off.saturating_add(len as usize).min(c.len())
            };
            Ok(Value::String(c[off..end].iter().collect()))
        }
        "indent" => {
            let (k, x) = (
                int(&a[0])?.clamp(0, MAX_STRING_BYTES as i64 + 1) as usize,
                s(1)?,
            );
            ensure!(
                k <= MAX_STRING_BYTES
                    && x.len()
                        .saturating_add(k.saturating_mul(x.matches('\n').count()))
                        <= MAX_STRING_BYTES,
                "{TOO_LARGE}"
            );
            Ok(Value::String(
                x.replace('\n', &format!("\n{}", " ".repeat(k))),
            ))
        }
        "element" => {
            let (l, i) = (list(&a[0])?, int(&a[1])?);
            ensure!(!l.is_empty(), "cannot be used with an empty list");
            ensure!(i >= 0, "cannot be used with a negative index");
            Ok(l[i as usize % l.len()].clone())
        }
        "zipmap" => {
            let (k, v) = (strs(&a[0])?, list(&a[1])?);
            ensure!(
                k.len() == v.len(),
                "expects keys and values of the same length"
            );
            Ok(Value::Object(
                k.into_iter().zip(v.iter().cloned()).collect(),
            ))
        }
        "range" => {
            let (start, limit) = if a.len() == 1 {
                (0.0, n(0)?)
            } else {
                (n(0)?, n(1)?)
            };
            let step = if a.len() == 3 {
                n(2)?
            } else if start > limit {
                -1.0
            } else {
                1.0
            };
            ensure!(step != 0.0, "step must not be zero");
            let count = ((limit - start) / step).ceil().max(0.0);
            ensure!(
                count.le(&(MAX_RANGE as f64)),
                "would produce more than {MAX_RANGE} elements: {TOO_LARGE}"
            );
            (0..count as usize)
                .map(|i| num(start + i as f64 * step))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        "cidrsubnet" => {
            let (net, bits, plen) = parse_cidr(&s(0)?)?;
            let (newbits, netnum) = (int(&a[1])?, big_int(&a[2])?);
            ensure!(
                newbits >= 0 && plen as i64 + newbits <= bits as i64,
                "cannot extend a prefix of {plen} bits by {newbits} bits"
            );
            let ok = netnum >= 0 && (newbits >= 127 || netnum < 1i128 << newbits);
            ensure!(
                ok,
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            );
            // the new bits follow the prefix: shift the subnet number left by the remaining host bits
            let newlen = plen + newbits as u32;
            let addr = net
                | if bits - newlen >= 128 {
                    0
                } else {
                    (netnum as u128) << (bits - newlen)
                };
            Ok(Value::String(format!("{}/{newlen}", fmt_ip(addr, bits))))
        }
        "cidrhost" => {
            let (net, bits, plen) = parse_cidr(&s(0)?)?;
            let (host, hb) = (big_int(&a[1])?, bits - plen);
            ensure!(
                hb >= 127 || (host >= -(1i128 << hb) && host < 1i128 << hb),
                "prefix of {plen} does not accommodate a host numbered {host}"
            );
            // negative host numbers count back from the end of the range (2^hb wraps to 0 when hb = 128)
            let size = if hb >= 128 { 0 } else { 1u128 << hb };
            let h = if host < 0 {
                size.wrapping_add(host as u128)
            } else {
                host as u128
            };
            Ok(Value::String(fmt_ip(net | h, bits)))
        }
        "cidrnetmask" => {
            let (_, bits, plen) = parse_cidr(&s(0)?)?;
            ensure!(bits == 32, "only supports IPv4 prefixes");
            Ok(Value::String(fmt_ip(mask(plen, 32), 32)))
        }
        "jsonencode" => {
            let out = canon(&a[0]);
            ensure!(out.len() <= MAX_STRING_BYTES, "{TOO_LARGE}");
            Ok(Value::String(out))
        }
        "jsondecode" => serde_json::from_str::<Value>(&s(0)?)
            .map(normalize)
            .map_err(|e| format!("cannot parse JSON: {e}")),
        "abs" => num1(f64::abs),
        "ceil" => num1(f64::ceil),
        "floor" => num1(f64::floor),
        "signum" => num1(|x| if x == 0.0 { 0.0 } else { x.signum() }),
        "pow" => num(n(0)?.powf(n(1)?)),
        "parseint" => {
            let (x, base) = (s(0)?, int(&a[1])?);
            ensure!((2..=36).contains(&base), "supports bases 2 to 36 only");
            i64::from_str_radix(&x, base as u32)
                .map(Value::from)
                .map_err(|_| format!("cannot parse {x:?} as a base {base} integer"))
        }
        "max" | "min" | "sum" => {
            let items = if name == "sum" {
                list(&a[0])?.as_slice()
            } else {
                a
            };
            let xs = items.iter().map(number).collect::<Result<Vec<_>, _>>()?;
            ensure!(!xs.is_empty(), "needs at least one number");
            num(match name {
                "max" => xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                "min" => xs.iter().cloned().fold(f64::INFINITY, f64::min),
                _ => xs.iter().sum(),
            })
        }
        "one" if a[0].is_null() => Ok(Value::Null),
        "one" => match list(&a[0])?.as_slice() {
            [] => Ok(Value::Null),
            [x] => Ok(x.clone()),
            _ => Err("expects a list with zero or one elements".into()),
        },
        "slice" => {
            let (l, st, en) = (list(&a[0])?, int(&a[1])?, int(&a[2])?);
            ensure!(
                st >= 0 && en >= st && en as usize <= l.len(),
                "indexes {st}..{en} are out of range for a list of {}",
                l.len()
            );
            array(l[st as usize..en as usize].to_vec())
        }
        "reverse" => array(list(&a[0])?.iter().rev().cloned().collect()),
        "sort" => {
            let mut v = strs(&a[0])?;
            v.sort();
            array(v.into_iter().map(Value::String).collect())
        }
        "setunion" | "setintersection" | "setsubtract" => {
            let ls = a.iter().map(list).collect::<Result<Vec<_>, _>>()?;
            // all sets are converted to one element type, as Terraform does
            let mut all = unify(
                &ls.iter()
                    .flat_map(|l| l.iter().cloned())
                    .collect::<Vec<_>>(),
            )
            .into_iter();
            let ls: Vec<Vec<Value>> = ls
                .iter()
                .map(|l| all.by_ref().take(l.len()).collect())
                .collect();
            let keyset = |l: &Vec<Value>| l.iter().map(canon).collect::<HashSet<_>>();
            let others: Vec<_> = ls[1..].iter().map(keyset).collect();
            let items: Vec<Value> = match name {
                "setunion" => ls.concat(),
                "setintersection" => ls[0]
                    .iter()
                    .filter(|x| others.iter().all(|o| o.contains(&canon(x))))
                    .cloned()
                    .collect(),
                _ => ls[0]
                    .iter()
                    .filter(|x| !others[0].contains(&canon(x)))
                    .cloned()
                    .collect(),
            };
            array(set_norm(&items))
        }
        "compact" => {
            let l = list(&a[0])?.iter().filter(|x| !x.is_null());
            let v = l
                .map(|x| prim_str(x).ok_or("expects a list of strings"))
                .collect::<Result<Vec<_>, _>>()?;
            array(
                v.into_iter()
                    .filter(|x| !x.is_empty())
                    .map(Value::String)
                    .collect(),
            )
        }
        "chunklist" => {
            let (l, size) = (list(&a[0])?, int(&a[1])?);
            ensure!(size >= 0, "size must not be negative");
            match (l.is_empty(), size) {
                (true, _) => array(vec![]),
                (false, 0) => array(vec![Value::Array(l.clone())]),
                _ => array(
                    l.chunks(size as usize)
                        .map(|c| Value::Array(c.to_vec()))
                        .collect(),
                ),
            }
        }
        "transpose" => {
            let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for (k, v) in sorted_entries(map(&a[0])?) {
                for x in strs(v).map_err(|_| "expects a map of lists of strings")? {
                    out.entry(x).or_default().push(Value::String(k.clone()));
                }
            }
            Ok(Value::Object(
                out.into_iter().map(|(k, v)| (k, Value::Array(v))).collect(),
            ))
        }
        "matchkeys" => {
            let (vals, keys, search) = (list(&a[0])?, list(&a[1])?, list(&a[2])?);
            ensure!(
                vals.len() == keys.len(),
                "expects values and keys of the same length"
            );
            array(
                vals.iter()
                    .zip(keys)
                    .filter(|(_, k)| search.iter().any(|s| loose_eq(k, s)))
                    .map(|(v, _)| v.clone())
                    .collect(),
            )
        }
        "alltrue" | "anytrue" => {
            let bs = list(&a[0])?
                .iter()
                .map(boolean)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Bool(if name == "alltrue" {
                bs.iter().all(|b| *b)
            } else {
                bs.iter().any(|b| *b)
            }))
        }
        "base64encode" => {
            let x = s(0)?;
            ensure!(x.len() / 3 * 4 <= MAX_STRING_BYTES, "{TOO_LARGE}");
            Ok(Value::String(b64_encode(x.as_bytes())))
        }
        "base64decode" => {
            let b = b64_decode(&s(0)?).ok_or("got invalid base64")?;
            String::from_utf8(b)
                .map(Value::String)
                .map_err(|_| "result is not valid UTF-8".into())
        }
        _ => Err("is not evaluated".into()),
    }
}
