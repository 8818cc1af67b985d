//! The functions that take a lambda (`lambda('x', …)` in ARM, `x => …` in Bicep): filter,
//! map, reduce, sort, toObject, groupBy, mapValues. The lambda's parameters are bound as
//! locals while its body is evaluated for each element.

use serde_json::{json, Map, Value};

use super::super::{eval_in, kind, text, Context, EvalResult, Expr, ExprError, Locals};
use super::truth;
use crate::sources::iac::unknown::unknown_reason;

pub(super) const NAMES: &[&str] = &[
    "filter",
    "map",
    "reduce",
    "sort",
    "toobject",
    "groupby",
    "mapvalues",
];

/// A lambda argument: its parameter names and body.
fn lambda<'e>(name: &str, e: Option<&'e Expr>) -> Result<(Vec<String>, &'e Expr), ExprError> {
    match e {
        Some(Expr::Lambda(params, body)) => Ok((params.clone(), body)),
        Some(Expr::Call(f, args)) if f == "lambda" && !args.is_empty() => {
            let (body, params) = args.split_last().ok_or("an empty lambda")?;
            let names = params
                .iter()
                .map(|p| match p {
                    Expr::Str(s) => Ok(s.clone()),
                    _ => Err(ExprError::Value("lambda parameters are strings".into())),
                })
                .collect::<Result<_, _>>()?;
            Ok((names, body))
        }
        _ => Err(ExprError::Value(format!(
            "{name}() needs a lambda argument"
        ))),
    }
}

/// Applies a lambda to `args` (extra parameters past the lambda's are dropped).
fn apply(
    (params, body): &(Vec<String>, &Expr),
    args: &[Value],
    cx: &dyn Context,
    locals: &Locals,
) -> EvalResult {
    let mut inner = locals.to_vec();
    for (p, a) in params.iter().zip(args) {
        inner.push((p.clone(), a.clone()));
    }
    eval_in(body, cx, &inner)
}

pub(super) fn call(name: &str, exprs: &[Expr], cx: &dyn Context, locals: &Locals) -> EvalResult {
    let input = match exprs.first() {
        Some(e) => eval_in(e, cx, locals)?,
        None => return Err(format!("{name}() needs an input").into()),
    };
    if unknown_reason(&input).is_some() {
        return Ok(input);
    }
    let items = |v: &Value| -> Result<Vec<Value>, ExprError> {
        v.as_array()
            .cloned()
            .ok_or_else(|| ExprError::Value(format!("{name}() expects an array, got {}", kind(v))))
    };
    // A decided answer needs every lambda result known: the first unknown one is the answer.
    macro_rules! known {
        ($v:expr) => {{
            let v = $v;
            if unknown_reason(&v).is_some() {
                return Ok(v);
            }
            v
        }};
    }
    Ok(match name {
        "filter" => {
            let f = lambda(name, exprs.get(1))?;
            let mut out = Vec::new();
            for (i, x) in items(&input)?.into_iter().enumerate() {
                if truth(
                    name,
                    &known!(apply(&f, &[x.clone(), json!(i)], cx, locals)?),
                )? {
                    out.push(x);
                }
            }
            Value::Array(out)
        }
        "map" => {
            let f = lambda(name, exprs.get(1))?;
            let mut out = Vec::new();
            for (i, x) in items(&input)?.into_iter().enumerate() {
                out.push(apply(&f, &[x, json!(i)], cx, locals)?);
            }
            Value::Array(out)
        }
        "reduce" => {
            let mut acc = match exprs.get(1) {
                Some(e) => eval_in(e, cx, locals)?,
                None => return Err("reduce() needs an initial value".into()),
            };
            let f = lambda(name, exprs.get(2))?;
            for (i, x) in items(&input)?.into_iter().enumerate() {
                acc = known!(apply(&f, &[acc, x, json!(i)], cx, locals)?);
            }
            acc
        }
        "sort" => {
            let f = lambda(name, exprs.get(1))?;
            let mut list = items(&input)?;
            // Insertion sort with the lambda as "comes before": lists in templates are small.
            for i in 1..list.len() {
                let mut j = i;
                while j > 0 {
                    let before = known!(apply(
                        &f,
                        &[list[j].clone(), list[j - 1].clone()],
                        cx,
                        locals
                    )?);
                    if !truth(name, &before)? {
                        break;
                    }
                    list.swap(j, j - 1);
                    j -= 1;
                }
            }
            Value::Array(list)
        }
        "toobject" | "groupby" => {
            let key_fn = lambda(name, exprs.get(1))?;
            let value_fn = match exprs.get(2) {
                Some(e) => Some(lambda(name, Some(e))?),
                None => None,
            };
            let mut out = Map::new();
            for x in items(&input)? {
                let key = text(&known!(apply(
                    &key_fn,
                    std::slice::from_ref(&x),
                    cx,
                    locals
                )?));
                let value = match &value_fn {
                    Some(f) => apply(f, &[x], cx, locals)?,
                    None => x,
                };
                if name == "groupby" {
                    if let Value::Array(g) = out.entry(key).or_insert_with(|| json!([])) {
                        g.push(value);
                    }
                } else {
                    out.insert(key, value);
                }
            }
            Value::Object(out)
        }
        "mapvalues" => {
            let f = lambda(name, exprs.get(1))?;
            let object = input.as_object().ok_or_else(|| {
                ExprError::Value(format!(
                    "mapValues() expects an object, got {}",
                    kind(&input)
                ))
            })?;
            let mut out = Map::new();
            for (k, v) in object {
                out.insert(k.clone(), apply(&f, std::slice::from_ref(v), cx, locals)?);
            }
            Value::Object(out)
        }
        _ => return Err(ExprError::UnknownFunction(name.to_string())),
    })
}
