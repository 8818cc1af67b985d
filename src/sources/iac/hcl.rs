//! HCL (Terraform `.tf`, Packer `.pkr.hcl`) read with `hcl-edit`, which keeps spans, and
//! evaluated as far as a scan without credentials can: literals, templates, `var.*`,
//! `local.*`, references the caller resolves, and a few pure functions. Everything else is
//! an unknown (see `unknown`).

use std::collections::HashMap;

use hcl_edit::expr::{BinaryOperator, Expression, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;
use serde_json::{json, Map, Value};

use super::unknown::{unknown, unknown_reason};
use super::FileError;
use crate::text::Span;

/// Deeper than any real configuration; checked before parsing (the parser recurses).
const MAX_DEPTH: usize = 128;

pub(crate) fn parse(text: &str) -> Result<Body, FileError> {
    check_depth(text)?;
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        let offset = crate::text::offset_of(text, loc.line(), loc.column());
        FileError::at(offset, e.message().to_string())
    })
}

/// Brackets nested deeper than MAX_DEPTH (outside strings and comments) are refused.
fn check_depth(text: &str) -> Result<(), FileError> {
    let b = text.as_bytes();
    let (mut depth, mut i, mut in_str) = (0usize, 0usize, false);
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(FileError::at(
                            i,
                            format!("nested deeper than {MAX_DEPTH} levels"),
                        ));
                    }
                }
                b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    Ok(())
}

pub(crate) fn span_of(s: &impl hcl_edit::Span) -> Span {
    s.span()
        .map(|r| Span {
            start: r.start,
            end: r.end,
        })
        .unwrap_or_default()
}

/// What names resolve to while evaluating.
pub(crate) struct Scope<'a> {
    pub(crate) vars: &'a HashMap<String, Value>,
    pub(crate) locals: &'a HashMap<String, Value>,
    /// Resolves a reference such as `azurerm_network_security_group.web.id`.
    pub(crate) reference: &'a dyn Fn(&[String]) -> Option<Value>,
}

impl Scope<'_> {
    pub(crate) fn eval(&self, e: &Expression) -> Value {
        self.eval_depth(e, 0)
    }

    fn eval_depth(&self, e: &Expression, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return unknown("expression nested too deeply");
        }
        let d = depth + 1;
        match e {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => {
                let n = n.value();
                n.as_i64()
                    .map(|i| json!(i))
                    .or_else(|| n.as_f64().map(|f| json!(f)))
                    .unwrap_or(Value::Null)
            }
            Expression::String(s) => Value::String(s.value().to_string()),
            Expression::Array(a) => Value::Array(a.iter().map(|x| self.eval_depth(x, d)).collect()),
            Expression::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        hcl_edit::expr::ObjectKey::Ident(i) => i.to_string(),
                        hcl_edit::expr::ObjectKey::Expression(x) => match self.eval_depth(x, d) {
                            Value::String(s) => s,
                            other if unknown_reason(&other).is_some() => continue,
                            other => other.to_string(),
                        },
                    };
                    out.insert(key, self.eval_depth(v.expr(), d));
                }
                Value::Object(out)
            }
            Expression::StringTemplate(t) => self.template(t.iter(), d),
            Expression::HeredocTemplate(h) => self.template(h.template.iter(), d),
            Expression::Parenthesis(p) => self.eval_depth(p.inner(), d),
            Expression::Variable(v) => unknown(format!("'{}' is only known at apply", v.as_str())),
            Expression::Conditional(c) => match self.eval_depth(&c.cond_expr, d) {
                Value::Bool(true) => self.eval_depth(&c.true_expr, d),
                Value::Bool(false) => self.eval_depth(&c.false_expr, d),
                other if unknown_reason(&other).is_some() => other,
                other => unknown(format!("condition {other} is not a bool")),
            },
            Expression::FuncCall(f) => {
                let args: Vec<Value> = f.args.iter().map(|x| self.eval_depth(x, d)).collect();
                function(f.name.name.as_str(), &args)
            }
            Expression::Traversal(t) => self.traversal(t, d),
            Expression::UnaryOp(u) => {
                let v = self.eval_depth(&u.expr, d);
                if unknown_reason(&v).is_some() {
                    return v;
                }
                match (u.operator.value(), &v) {
                    (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOperator::Neg, Value::Number(n)) => n
                        .as_i64()
                        .map(|i| json!(-i))
                        .unwrap_or_else(|| json!(-n.as_f64().unwrap_or(0.0))),
                    _ => unknown("an operator on a value of the wrong type"),
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval_depth(&b.lhs_expr, d);
                let r = self.eval_depth(&b.rhs_expr, d);
                binary(*b.operator.value(), &l, &r)
            }
            Expression::ForExpr(_) => unknown("a for expression is not evaluated"),
        }
    }

    fn template<'t>(&self, elements: impl Iterator<Item = &'t Element>, d: usize) -> Value {
        let mut out = String::new();
        for el in elements {
            match el {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match self.eval_depth(&i.expr, d) {
                    v if unknown_reason(&v).is_some() => return v,
                    Value::String(s) => out.push_str(&s),
                    Value::Null => {}
                    other => out.push_str(&other.to_string()),
                },
                Element::Directive(_) => return unknown("a template directive is not evaluated"),
            }
        }
        Value::String(out)
    }

    fn traversal(&self, t: &hcl_edit::expr::Traversal, d: usize) -> Value {
        // Plain references first: var.x, local.x, and what the caller knows.
        // Indexes after a resource name (`count` instances) are passed over: one instance
        // is evaluated.
        let mut path: Vec<String> = Vec::new();
        let mut taken = 0;
        if let Expression::Variable(root) = &t.expr {
            path.push(root.as_str().to_string());
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(a) => path.push(a.as_str().to_string()),
                    TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)
                        if path.len() == 2 && !matches!(path[0].as_str(), "var" | "local") => {}
                    _ => break,
                }
                taken += 1;
            }
        }
        let (mut value, consumed) = match path.first().map(String::as_str) {
            Some("var") if path.len() >= 2 => (
                self.vars
                    .get(&path[1])
                    .cloned()
                    .unwrap_or_else(|| unknown(format!("var.{} has no value", path[1]))),
                2,
            ),
            Some("local") if path.len() >= 2 => (
                self.locals
                    .get(&path[1])
                    .cloned()
                    .unwrap_or_else(|| unknown(format!("local.{} is not evaluated", path[1]))),
                2,
            ),
            Some(_) => match (self.reference)(&path) {
                Some(v) => (v, taken + 1),
                None => (
                    unknown(format!("{} is only known at apply", path.join("."))),
                    t.operators.len() + 1,
                ),
            },
            None => (self.eval_depth(&t.expr, d), 1),
        };
        for op in t.operators.iter().skip(consumed.saturating_sub(1)) {
            if unknown_reason(&value).is_some() {
                return value;
            }
            value = match op.value() {
                TraversalOperator::GetAttr(a) => value
                    .get(a.as_str())
                    .cloned()
                    .unwrap_or_else(|| unknown(format!("attribute {} is not set", a.as_str()))),
                TraversalOperator::Index(i) => {
                    let idx = self.eval_depth(i, d);
                    match (&value, &idx) {
                        (Value::Array(a), Value::Number(n)) => n
                            .as_u64()
                            .and_then(|n| a.get(n as usize))
                            .cloned()
                            .unwrap_or_else(|| unknown("index out of range")),
                        (Value::Object(o), Value::String(k)) => o
                            .get(k)
                            .cloned()
                            .unwrap_or_else(|| unknown(format!("key {k} is not set"))),
                        _ => unknown("an index that is not known"),
                    }
                }
                TraversalOperator::LegacyIndex(n) => value
                    .get(*n.value() as usize)
                    .cloned()
                    .unwrap_or_else(|| unknown("index out of range")),
                _ => unknown("a splat expression is not evaluated"),
            };
        }
        value
    }

    /// A body as JSON: attributes evaluated, nested blocks as arrays under their name.
    /// Records the span of every attribute and block at its JSON pointer under `path`.
    pub(crate) fn body(&self, body: &Body, path: &str, spans: &mut Vec<(String, Span)>) -> Value {
        let mut out = Map::new();
        for attr in body.attributes() {
            let p = format!("{path}/{}", attr.key.as_str());
            spans.push((p, span_of(&attr.value)));
            out.insert(attr.key.as_str().to_string(), self.eval(&attr.value));
        }
        for block in body.blocks() {
            let name = block.ident.as_str().to_string();
            let list = out
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                let p = format!("{path}/{name}/{}", items.len());
                spans.push((p.clone(), span_of(block)));
                items.push(self.body(&block.body, &p, spans));
            }
        }
        Value::Object(out)
    }
}

/// The files of one HCL configuration (a Terraform module, a Packer directory), parsed.
pub(crate) type Bodies = Vec<(std::sync::Arc<crate::text::SourceFile>, Body)>;

/// Parses every file of a configuration; the first that fails stops it.
pub(crate) fn parse_all(
    files: &[std::sync::Arc<crate::text::SourceFile>],
) -> Result<Bodies, (std::sync::Arc<crate::text::SourceFile>, FileError)> {
    files
        .iter()
        .map(|f| {
            parse(&f.text)
                .map(|b| (std::sync::Arc::clone(f), b))
                .map_err(|e| (std::sync::Arc::clone(f), e))
        })
        .collect()
}

/// Input variables: `variable` blocks' defaults, overridden by the values files
/// (`*.tfvars`, `*.auto.pkrvars.hcl`) in order.
pub(crate) fn variables(
    bodies: &Bodies,
    value_files: &[std::sync::Arc<crate::text::SourceFile>],
) -> Result<HashMap<String, Value>, (std::sync::Arc<crate::text::SourceFile>, FileError)> {
    let none = HashMap::new();
    let no_refs = |_: &[String]| None;
    let bare = Scope {
        vars: &none,
        locals: &none,
        reference: &no_refs,
    };
    let mut vars = HashMap::new();
    for (_, body) in bodies {
        for b in body.get_blocks("variable") {
            if let (Some(name), Some(d)) =
                (labels(b).first().cloned(), b.body.get_attribute("default"))
            {
                vars.insert(name, bare.eval(&d.value));
            }
        }
    }
    for (_, body) in parse_all(value_files)? {
        for a in body.attributes() {
            vars.insert(a.key.as_str().to_string(), bare.eval(&a.value));
        }
    }
    Ok(vars)
}

/// One round of local values: `locals { … }` attributes and Packer's `local "name"` blocks,
/// evaluated in `scope` (whose `locals` are the previous round's).
pub(crate) fn locals(bodies: &Bodies, scope: &Scope<'_>) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for (_, body) in bodies {
        for b in body.get_blocks("locals") {
            for a in b.body.attributes() {
                out.insert(a.key.as_str().to_string(), scope.eval(&a.value));
            }
        }
        for b in body.get_blocks("local") {
            if let (Some(name), Some(e)) = (
                labels(b).first().cloned(),
                b.body.get_attribute("expression"),
            ) {
                out.insert(name, scope.eval(&e.value));
            }
        }
    }
    out
}

/// The labels of a block as strings.
pub(crate) fn labels(block: &Block) -> Vec<String> {
    block
        .labels
        .iter()
        .map(|l| l.as_str().to_string())
        .collect()
}

fn binary(op: BinaryOperator, l: &Value, r: &Value) -> Value {
    if unknown_reason(l).is_some() {
        return l.clone();
    }
    if unknown_reason(r).is_some() {
        return r.clone();
    }
    use BinaryOperator::*;
    match op {
        Eq => Value::Bool(l == r),
        NotEq => Value::Bool(l != r),
        And | Or => match (l, r) {
            (Value::Bool(a), Value::Bool(b)) => {
                Value::Bool(if op == And { *a && *b } else { *a || *b })
            }
            _ => unknown("a logical operator on non-bools"),
        },
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => match op {
                Less => Value::Bool(a < b),
                LessEq => Value::Bool(a <= b),
                Greater => Value::Bool(a > b),
                GreaterEq => Value::Bool(a >= b),
                Plus => json!(a + b),
                Minus => json!(a - b),
                Mul => json!(a * b),
                Div if b != 0.0 => json!(a / b),
                Mod if b != 0.0 => json!(a % b),
                _ => unknown("a division by zero"),
            },
            _ => unknown("arithmetic on non-numbers"),
        },
    }
}

/// The pure functions whose results matter to the rules; the rest are unknown.
fn function(name: &str, args: &[Value]) -> Value {
    if let Some(u) = args.iter().find(|a| unknown_reason(a).is_some()) {
        return u.clone();
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match (name, args) {
        ("lower", [v]) => Value::String(text(v).to_lowercase()),
        ("upper", [v]) => Value::String(text(v).to_uppercase()),
        ("tostring", [v]) => Value::String(text(v)),
        ("tonumber", [v]) => text(v)
            .parse::<f64>()
            .map(|f| {
                if f.fract() == 0.0 {
                    json!(f as i64)
                } else {
                    json!(f)
                }
            })
            .unwrap_or_else(|_| unknown("tonumber() of a non-number")),
        ("tolist" | "toset", [Value::Array(a)]) => Value::Array(a.clone()),
        ("tomap", [Value::Object(o)]) => Value::Object(o.clone()),
        ("join", [sep, Value::Array(items)]) => {
            Value::String(items.iter().map(text).collect::<Vec<_>>().join(&text(sep)))
        }
        ("concat", lists) if lists.iter().all(Value::is_array) => Value::Array(
            lists
                .iter()
                .filter_map(Value::as_array)
                .flatten()
                .cloned()
                .collect(),
        ),
        ("merge", maps) if maps.iter().all(|m| m.is_object() || m.is_null()) => {
            let mut out = Map::new();
            for m in maps.iter().filter_map(Value::as_object) {
                out.extend(m.clone());
            }
            Value::Object(out)
        }
        ("lookup", [Value::Object(o), k, rest @ ..]) => o
            .get(&text(k))
            .cloned()
            .or_else(|| rest.first().cloned())
            .unwrap_or_else(|| unknown("lookup() of a missing key")),
        ("coalesce", items) => items
            .iter()
            .find(|v| !v.is_null() && *v != &Value::String(String::new()))
            .cloned()
            .unwrap_or(Value::Null),
        ("format", [f, rest @ ..]) => {
            let mut out = String::new();
            let mut it = rest.iter();
            let f = text(f);
            let mut chars = f.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '%' {
                    match chars.next() {
                        Some('%') => out.push('%'),
                        Some(_) => out.push_str(&it.next().map(text).unwrap_or_default()),
                        None => out.push('%'),
                    }
                } else {
                    out.push(c);
                }
            }
            Value::String(out)
        }
        ("jsonencode", [v]) => Value::String(v.to_string()),
        ("env", [v]) => unknown(format!(
            "env(\"{}\") is only known when the tool runs",
            text(v)
        )),
        ("timestamp", []) => unknown("timestamp() is only known when the tool runs"),
        _ => unknown(format!("{name}() is not evaluated")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_variables_locals_templates_and_references() {
        let body = parse(
            r#"
x = "${var.env}-vm"
y = var.missing
z = lower(local.Name)
w = azurerm_network_security_group.web.id
c = var.env == "prod" ? 22 : 2222
t = timestamp()
b { k = 1 }
b { k = 2 }
"#,
        )
        .expect("parses");
        let vars = HashMap::from([("env".to_string(), json!("prod"))]);
        let locals = HashMap::from([("Name".to_string(), json!("WEB"))]);
        let resolve = |p: &[String]| {
            (p.first().map(String::as_str) == Some("azurerm_network_security_group"))
                .then(|| json!({"id": "/nsg/web"}))
        };
        let scope = Scope {
            vars: &vars,
            locals: &locals,
            reference: &|p: &[String]| {
                resolve(p)
                    .map(|v| v["id"].clone())
                    .filter(|_| p.last().map(String::as_str) == Some("id"))
            },
        };
        let mut spans = Vec::new();
        let v = scope.body(&body, "", &mut spans);
        assert_eq!(v["x"], "prod-vm");
        assert!(unknown_reason(&v["y"]).is_some_and(|r| r.contains("var.missing")));
        assert_eq!(v["z"], "web");
        assert_eq!(v["w"], "/nsg/web");
        assert_eq!(v["c"], 22);
        assert!(unknown_reason(&v["t"]).is_some());
        assert_eq!(v["b"][1]["k"], 2);
        assert!(spans.iter().any(|(p, _)| p == "/b/1/k"));
    }

    #[test]
    fn bad_and_hostile_input() {
        assert!(parse("resource \"x\" {").is_err());
        let deep = format!("x = {}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(&deep).expect_err("too deep");
        assert!(e.message.contains("nested deeper"));
    }
}
