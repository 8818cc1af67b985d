//! The template expression language ARM and Bicep share: one tree (`Expr`), one evaluator
//! over plain JSON values, one function library. ARM strings (`[concat(…)]`) are parsed by
//! `parse`; Bicep's front end builds the same tree. A value that cannot be known before
//! deployment is an unknown (`super::unknown`); functions propagate it.

pub(crate) mod functions;
pub(crate) mod parse;

use serde_json::{json, Value};

use super::unknown::{unknown, unknown_reason};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Str(String),
    Int(i64),
    /// `name(args)`; names are lower-cased (ARM is case-insensitive), user functions keep
    /// their `namespace.member` form.
    Call(String, Vec<Expr>),
    Prop(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
}

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
}

pub(crate) fn eval(e: &Expr, cx: &dyn Context) -> EvalResult {
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
        Expr::Call(name, args) => functions::call(name, args, cx),
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
