//! The template functions kensa evaluates, over plain JSON values; by topic in the
//! submodules. A function that needs the deployment (`utcNow`, `list*`, `reference` to
//! something outside the template) yields an unknown, never an error; a function kensa
//! does not know at all is an error naming it.

mod collections;
mod deployment;
mod lambda;
mod network;
mod text;

use serde_json::Value;

use super::super::unknown::{unknown, unknown_reason};
use super::{eval_in, kind, Context, EvalResult, Expr, ExprError, Locals, MAX_ITEMS, MAX_TEXT};

/// Functions ARM has that kensa does not evaluate: their value is unknown, never an error.
const UNEVALUATED: &[&str] = &[
    "utcnow",
    "newguid",
    "providers",
    "tojson",
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
    "pickzones",
];

pub(crate) fn call(name: &str, exprs: &[Expr], cx: &dyn Context, locals: &Locals) -> EvalResult {
    let eval = |e: &Expr, cx: &dyn Context| eval_in(e, cx, locals);
    // Lazy functions first: only the branch taken is evaluated.
    match name {
        "if" => {
            if exprs.len() != 3 {
                return Err(ExprError::Arity {
                    function: "if".into(),
                    expected: "3".into(),
                    got: exprs.len(),
                });
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
        "lambdavariables" => {
            let args = exprs
                .iter()
                .map(|e| eval(e, cx))
                .collect::<Result<Vec<_>, _>>()?;
            let var = s(name, one(name, &args)?)?;
            return eval_in(&Expr::Local(var.to_string()), cx, locals);
        }
        _ if lambda::NAMES.contains(&name) => return lambda::call(name, exprs, cx, locals),
        _ => {}
    }
    if let Some((namespace, member)) = name.split_once('.') {
        return Ok(unknown(match namespace {
            "resource" => format!("{member}() of a resource is only known at deployment"),
            "bicep" => format!("{member}() is not evaluated (it reads files or the environment when the template is built)"),
            _ => format!("user-defined function {name}() is not evaluated"),
        }));
    }
    if name.starts_with("list") || UNEVALUATED.contains(&name) {
        return Ok(unknown(format!("{name}() is only known at deployment")));
    }
    let args = exprs
        .iter()
        .map(|e| eval(e, cx))
        .collect::<Result<Vec<_>, _>>()?;
    if !known(name) && cx.lenient() {
        return Ok(unknown(format!("{name}() is not evaluated")));
    }
    if let Some(u) = args.iter().find(|a| unknown_reason(a).is_some()) {
        // Still check the function exists, so a typo is reported even here.
        if !known(name) {
            return Err(ExprError::UnknownFunction(name.to_string()));
        }
        return Ok(u.clone());
    }
    let value = if deployment::NAMES.contains(&name) {
        deployment::call(name, &args, cx)
    } else if text::NAMES.contains(&name) {
        text::call(name, &args)
    } else if collections::NAMES.contains(&name) {
        collections::call(name, &args)
    } else if network::NAMES.contains(&name) {
        network::call(name, &args)
    } else {
        Err(ExprError::UnknownFunction(name.to_string()))
    }?;
    bounded(name, value)
}

/// Every value a function returns stays within the size limits, so that repeated doubling
/// (`concat(x, x)` over variables) stops with a diagnostic instead of exhausting memory.
fn bounded(name: &str, value: Value) -> EvalResult {
    let too_big = match &value {
        Value::String(s) => (s.len() > MAX_TEXT).then(|| format!("{} bytes", s.len())),
        Value::Array(a) => (a.len() > MAX_ITEMS).then(|| format!("{} items", a.len())),
        Value::Object(o) => (o.len() > MAX_ITEMS).then(|| format!("{} members", o.len())),
        _ => None,
    };
    match too_big {
        Some(size) => Err(ExprError::Value(format!(
            "{name}() produced {size}, beyond kensa's limit ({MAX_TEXT} bytes, {MAX_ITEMS} items per value)"
        ))),
        None => Ok(value),
    }
}

/// Every function the library evaluates.
fn known(name: &str) -> bool {
    [
        deployment::NAMES,
        text::NAMES,
        collections::NAMES,
        network::NAMES,
        lambda::NAMES,
    ]
    .iter()
    .any(|names| names.contains(&name))
}

pub(super) fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), ExprError> {
    if args.len() < min || args.len() > max {
        return Err(ExprError::Arity {
            function: name.to_string(),
            expected: if min == max {
                min.to_string()
            } else {
                format!("{min} to {max}")
            },
            got: args.len(),
        });
    }
    Ok(())
}

pub(super) fn s<'a>(name: &str, v: &'a Value) -> Result<&'a str, ExprError> {
    v.as_str().ok_or_else(|| mismatch(name, "a string", v))
}

fn mismatch(name: &str, expected: &'static str, v: &Value) -> ExprError {
    ExprError::Argument {
        function: name.to_string(),
        expected,
        got: kind(v),
    }
}

pub(super) fn int(name: &str, v: &Value) -> Result<i64, ExprError> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| mismatch(name, "an integer", v)),
        Value::String(t) => t
            .trim()
            .parse()
            .map_err(|_| format!("{name}(): {t:?} is not an integer").into()),
        _ => Err(mismatch(name, "an integer", v)),
    }
}

pub(super) fn truth(name: &str, v: &Value) -> Result<bool, ExprError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(t) if t.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(t) if t.eq_ignore_ascii_case("false") => Ok(false),
        Value::Number(n) => Ok(n.as_i64() != Some(0)),
        _ => Err(mismatch(name, "a bool", v)),
    }
}

pub(super) fn one<'a>(name: &str, a: &'a [Value]) -> Result<&'a Value, ExprError> {
    arity(name, a, 1, 1)?;
    Ok(&a[0])
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::super::{eval, Context, EvalResult, ExprError};
    use super::*;
    use serde_json::json;

    struct Cx;
    impl Context for Cx {
        fn parameter(&self, name: &str) -> EvalResult {
            match name.to_lowercase().as_str() {
                "os" => Ok(json!("Windows")),
                "missing" => Ok(unknown("parameter 'missing' has no value")),
                _ => Err(ExprError::Undeclared {
                    kind: "parameter",
                    name: name.to_string(),
                }),
            }
        }
        fn variable(&self, _: &str) -> EvalResult {
            Ok(json!({"Ubuntu": "22", "Windows": "3389"}))
        }
        fn copy_index(&self, _: Option<&str>) -> EvalResult {
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
        eval(&parse::parse(t).expect("parses"), &Cx).expect("evaluates")
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
        let err = |t: &str| eval(&parse::parse(t).expect("parses"), &Cx).expect_err("fails");
        assert_eq!(
            err("nosuchfn(1)"),
            ExprError::UnknownFunction("nosuchfn".into())
        );
        assert!(matches!(
            err("parameters('nope')"),
            ExprError::Undeclared {
                kind: "parameter",
                ..
            }
        ));
        assert!(err("createArray(1)[5]")
            .to_string()
            .contains("out of range"));
    }
}
