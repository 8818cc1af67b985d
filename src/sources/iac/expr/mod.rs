//! The template expression language ARM and Bicep share: one tree (`Expr`), one evaluator
//! over plain JSON values, one function library. ARM strings (`[concat(…)]`) are parsed by
//! `parse`; Bicep's front end builds the same tree. A value that cannot be known before
//! deployment is an unknown (`super::unknown`); functions propagate it.

pub(crate) mod functions;
pub(crate) mod params;
pub(crate) mod parse;

use serde_json::{json, Value};

use super::unknown::{unknown, unknown_reason};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
    /// `name(args)`; names are lower-cased (ARM is case-insensitive), user functions keep
    /// their `namespace.member` form.
    Call(String, Vec<Expr>),
    Prop(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// Literals of Bicep (ARM writes them as JSON around the expression). An item that is a
    /// `Spread` is spread into the array.
    Array(Vec<Expr>),
    /// Entries in order; a `None` key spreads the value (an object) into this one.
    Object(Vec<(Option<Expr>, Expr)>),
    /// `...x` inside an array or object.
    Spread(Box<Expr>),
    /// A name bound by a lambda or a loop (`lambdaVariables('x')`, Bicep's `x`).
    Local(String),
    /// A Bicep declaration (parameter, variable, resource, module), resolved by the context.
    Symbol(String),
    /// `lambda('x', …)` / `x => …`: only as an argument of filter, map, reduce, sort, …
    Lambda(Vec<String>, Box<Expr>),
    /// `[for (item, index) in iterable: if (cond) body]` (Bicep).
    For {
        item: String,
        index: Option<String>,
        iterable: Box<Expr>,
        cond: Option<Box<Expr>>,
        body: Box<Expr>,
    },
}

/// Names bound by enclosing lambdas and loops, innermost last.
pub(crate) type Locals = [(String, Value)];

/// The largest array or string an expression may produce: beyond it the template is
/// rejected (a hostile `range()` or string doubling must not exhaust memory).
pub(crate) const MAX_ITEMS: usize = 100_000;

/// The longest string an expression may produce (bytes): the same reason.
pub(crate) const MAX_TEXT: usize = 1 << 20;

/// Why an expression cannot be evaluated: the template is wrong, or uses a function kensa
/// does not know. (A value only known at deployment is not an error but an unknown.)
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprError {
    /// The expression text does not parse.
    Syntax(String),
    UnknownFunction(String),
    Arity {
        function: String,
        expected: String,
        got: usize,
    },
    /// An argument of the wrong kind.
    Argument {
        function: String,
        expected: &'static str,
        got: &'static str,
    },
    /// A parameter or variable that the template does not declare.
    Undeclared {
        kind: &'static str,
        name: String,
    },
    /// A value the function cannot work with (out of range, malformed, too large…).
    Value(String),
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExprError::Syntax(m) | ExprError::Value(m) => f.write_str(m),
            ExprError::UnknownFunction(n) => write!(f, "unknown function {n}()"),
            ExprError::Arity {
                function,
                expected,
                got,
            } => write!(f, "{function}() takes {expected} arguments, got {got}"),
            ExprError::Argument {
                function,
                expected,
                got,
            } => write!(f, "{function}() expects {expected}, got {got}"),
            ExprError::Undeclared { kind, name } => write!(f, "{kind} '{name}' is not declared"),
        }
    }
}

impl From<String> for ExprError {
    fn from(m: String) -> ExprError {
        ExprError::Value(m)
    }
}

impl From<&str> for ExprError {
    fn from(m: &str) -> ExprError {
        ExprError::Value(m.to_string())
    }
}

pub(crate) type EvalResult = Result<Value, ExprError>;

/// The link a template is deployed from, as `deployment()` answers: a placeholder that a
/// linked template's `uri(…, 'nested/x.json')` resolves against the template's own folder.
pub(crate) const LINK_BASE: &str = "kensa-template:///";

/// Placeholders for the deployment scope: a template is scanned outside any subscription.
pub(crate) const SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000000";

/// What an expression can ask of the template it sits in.
pub(crate) trait Context {
    fn parameter(&self, name: &str) -> EvalResult;
    fn variable(&self, name: &str) -> EvalResult;
    fn copy_index(&self, loop_name: Option<&str>) -> EvalResult;
    fn resource_group(&self) -> &str;
    /// `reference(target[, apiVersion, 'Full'])`: a resource declared in the same template,
    /// as far as the template says; unknown otherwise.
    fn reference(&self, target: &str, full: bool) -> Value;
    /// Whether a function the library does not know yields an unknown (Bicep: newer
    /// functions are values kensa cannot compute) instead of failing the template (ARM,
    /// where an unknown name is most often a typo).
    fn lenient(&self) -> bool {
        false
    }

    /// A Bicep declaration by name (ARM templates have none).
    fn symbol(&self, name: &str) -> EvalResult {
        Err(ExprError::Undeclared {
            kind: "symbol",
            name: name.to_string(),
        })
    }
}

pub(crate) fn eval(e: &Expr, cx: &dyn Context) -> EvalResult {
    eval_in(e, cx, &[])
}

/// `e` evaluated with `locals` bound.
pub(crate) fn eval_in(e: &Expr, cx: &dyn Context, locals: &Locals) -> EvalResult {
    match e {
        Expr::Str(s) => Ok(Value::String(s.clone())),
        Expr::Int(n) => Ok(json!(n)),
        Expr::Bool(b) => Ok(Value::Bool(*b)),
        Expr::Null => Ok(Value::Null),
        Expr::Prop(inner, name) => {
            let v = eval_in(inner, cx, locals)?;
            Ok(property(&v, name))
        }
        Expr::Index(inner, idx) => {
            let v = eval_in(inner, cx, locals)?;
            let i = eval_in(idx, cx, locals)?;
            index(&v, &i)
        }
        Expr::Call(name, args) => functions::call(name, args, cx, locals),
        Expr::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Expr::Spread(inner) => match eval_in(inner, cx, locals)? {
                        Value::Array(a) => out.extend(a),
                        u if unknown_reason(&u).is_some() => return Ok(u),
                        other => {
                            return Err(
                                format!("cannot spread {} into an array", kind(&other)).into()
                            )
                        }
                    },
                    other => out.push(eval_in(other, cx, locals)?),
                }
            }
            Ok(Value::Array(out))
        }
        Expr::Object(entries) => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                let value = eval_in(v, cx, locals)?;
                match k {
                    None => match value {
                        Value::Object(o) if unknown_reason(&Value::Object(o.clone())).is_none() => {
                            out.extend(o)
                        }
                        u if unknown_reason(&u).is_some() => return Ok(u),
                        other => {
                            return Err(
                                format!("cannot spread {} into an object", kind(&other)).into()
                            )
                        }
                    },
                    Some(k) => match eval_in(k, cx, locals)? {
                        u if unknown_reason(&u).is_some() => return Ok(u),
                        key => {
                            out.insert(text(&key), value);
                        }
                    },
                }
            }
            Ok(Value::Object(out))
        }
        Expr::Spread(_) => Err("`...` outside an array or object".into()),
        Expr::Local(name) => locals
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ExprError::Undeclared {
                kind: "lambda or loop variable",
                name: name.clone(),
            }),
        Expr::Symbol(name) => cx.symbol(name),
        Expr::Lambda(..) => Err("a lambda outside filter(), map(), reduce() or sort()".into()),
        Expr::For {
            item,
            index: idx,
            iterable,
            cond,
            body,
        } => {
            let items = match eval_in(iterable, cx, locals)? {
                Value::Array(a) => a,
                u if unknown_reason(&u).is_some() => return Ok(u),
                other => return Err(format!("a for loop over {}", kind(&other)).into()),
            };
            if items.len() > MAX_ITEMS {
                return Err(format!("a for loop over more than {MAX_ITEMS} items").into());
            }
            let mut out = Vec::new();
            for (i, v) in items.into_iter().enumerate() {
                let mut inner = locals.to_vec();
                inner.push((item.clone(), v));
                if let Some(n) = idx {
                    inner.push((n.clone(), json!(i)));
                }
                if let Some(c) = cond {
                    match eval_in(c, cx, &inner)? {
                        Value::Bool(false) => continue,
                        Value::Bool(true) => {}
                        u if unknown_reason(&u).is_some() => return Ok(u),
                        other => return Err(format!("a loop condition is {}", kind(&other)).into()),
                    }
                }
                out.push(eval_in(body, cx, &inner)?);
            }
            Ok(Value::Array(out))
        }
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

fn index(v: &Value, i: &Value) -> EvalResult {
    if unknown_reason(v).is_some() {
        return Ok(v.clone());
    }
    if unknown_reason(i).is_some() {
        return Ok(i.clone());
    }
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => {
            let n = n.as_i64().ok_or("array index is not an integer")?;
            Ok(usize::try_from(n)
                .ok()
                .and_then(|n| a.get(n))
                .cloned()
                .ok_or_else(|| format!("index {n} is out of range (array of {})", a.len()))?)
        }
        (Value::Object(_), Value::String(k)) => Ok(property(v, k)),
        _ => Err(format!("cannot index {} with {}", kind(v), kind(i)).into()),
    }
}

/// How error messages name the kind of a value.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value as text, the way concat()/string() render it.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(t) => t.clone(),
        Value::Null => String::new(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}
