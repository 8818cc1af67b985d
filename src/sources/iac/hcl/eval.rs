//! HCL expressions evaluated as far as a scan without credentials can: literals, templates,
//! operators, conditionals, `for` expressions, splats, index and attribute access, the
//! function library (`try`/`can` lazily), references the caller resolves, and dynamic
//! blocks. A value only known at apply is an unknown; an expression Terraform itself would
//! reject is an error, which `try()`/`can()` catch and anything else turns into an unknown
//! with the error as its reason.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::structure::Body;
use hcl_edit::template::Element;
use serde_json::{json, Map, Value};

use super::functions::MAX_STRING_BYTES;
use super::{functions, labels, span_of};
use crate::sources::iac::unknown::{unknown, unknown_reason};
use crate::text::Span;

/// Deeper than any real configuration.
const MAX_DEPTH: usize = 128;
/// Expression nodes one configuration may evaluate (all passes, all modules): beyond it
/// the values are unknown, so a hostile file costs bounded time.
const BUDGET: usize = 5_000_000;
/// Elements a `for` expression or a dynamic block may produce.
const MAX_ITEMS: usize = 10_000;

type Eval = Result<Value, String>;

/// Resolves the root of a reference: given the leading names of a traversal
/// (`["azurerm_lb", "main", "id"]`, `["module", "vm", …]`, `["data", "t", "n", …]`), the
/// value they name and how many names it took.
type Resolver<'a> = &'a dyn Fn(&[String]) -> Option<(Value, usize)>;

/// What names mean while evaluating.
#[derive(Clone)]
pub(crate) struct Scope<'a> {
    pub(crate) vars: &'a HashMap<String, Value>,
    pub(crate) locals: &'a HashMap<String, Value>,
    pub(crate) reference: Resolver<'a>,
    /// Names bound by what encloses the expression (`count`, `each`, `path`, a `for`
    /// expression's variables, a dynamic block's iterator), innermost last.
    bound: Vec<(String, Value)>,
    steps: Rc<Cell<usize>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(
        vars: &'a HashMap<String, Value>,
        locals: &'a HashMap<String, Value>,
        reference: Resolver<'a>,
    ) -> Scope<'a> {
        Scope {
            vars,
            locals,
            reference,
            bound: Vec::new(),
            steps: Rc::new(Cell::new(0)),
        }
    }

    /// The same scope with `name` bound to `value` (shares the step budget).
    pub(crate) fn with(&self, name: &str, value: Value) -> Scope<'a> {
        let mut s = self.clone();
        s.bound.push((name.to_string(), value));
        s
    }

    /// The same scope with other locals (shares the step budget).
    pub(crate) fn with_locals<'b>(&self, locals: &'b HashMap<String, Value>) -> Scope<'b>
    where
        'a: 'b,
    {
        Scope {
            vars: self.vars,
            locals,
            reference: self.reference,
            bound: self.bound.clone(),
            steps: Rc::clone(&self.steps),
        }
    }

    /// The value of `e`; an error becomes an unknown naming it.
    pub(crate) fn eval(&self, e: &Expression) -> Value {
        self.try_eval(e).unwrap_or_else(unknown)
    }

    pub(crate) fn try_eval(&self, e: &Expression) -> Eval {
        self.expr(e, 0)
    }

    fn expr(&self, e: &Expression, depth: usize) -> Eval {
        if depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let used = self.steps.get() + 1;
        self.steps.set(used);
        if used > BUDGET {
            return Ok(unknown(
                "evaluation budget exhausted (the configuration is too large or loops)",
            ));
        }
        let d = depth + 1;
        Ok(match e {
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
            Expression::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.expr(x, d))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.to_string(),
                        ObjectKey::Expression(x) => match self.expr(x, d)? {
                            Value::String(s) => s,
                            u if unknown_reason(&u).is_some() => return Ok(u),
                            other => text(&other),
                        },
                    };
                    out.insert(key, self.expr(v.expr(), d)?);
                }
                Value::Object(out)
            }
            Expression::StringTemplate(t) => self.template(t.iter(), d)?,
            Expression::HeredocTemplate(h) => self.template(h.template.iter(), d)?,
            Expression::Parenthesis(p) => self.expr(p.inner(), d)?,
            Expression::Variable(v) => self.root(&[v.as_str().to_string()])?.0,
            Expression::Conditional(c) => match self.expr(&c.cond_expr, d)? {
                Value::Bool(true) => self.expr(&c.true_expr, d)?,
                Value::Bool(false) => self.expr(&c.false_expr, d)?,
                u if unknown_reason(&u).is_some() => u,
                Value::String(s) if s == "true" || s == "false" => self.expr(
                    if s == "true" {
                        &c.true_expr
                    } else {
                        &c.false_expr
                    },
                    d,
                )?,
                other => return Err(format!("a condition must be a bool, got {other}")),
            },
            Expression::FuncCall(f) => {
                let mut name: Vec<&str> = f.name.namespace.iter().map(|n| n.as_str()).collect();
                name.push(f.name.name.as_str());
                let name = name.join("::");
                let args: Vec<&Expression> = f.args.iter().collect();
                self.call(&name, &args, f.args.expand_final(), d)?
            }
            Expression::Traversal(t) => self.traversal(t, d)?,
            Expression::UnaryOp(u) => {
                let v = self.expr(&u.expr, d)?;
                if unknown_reason(&v).is_some() {
                    return Ok(v);
                }
                match (u.operator.value(), &v) {
                    (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOperator::Neg, Value::Number(n)) => n
                        .as_i64()
                        .map(|i| json!(-i))
                        .unwrap_or_else(|| json!(-n.as_f64().unwrap_or(0.0))),
                    _ => return Err(format!("an operator on a value of the wrong type ({v})")),
                }
            }
            Expression::BinaryOp(b) => {
                let op = *b.operator.value();
                let l = self.expr(&b.lhs_expr, d)?;
                // `&&` and `||` short-circuit (as Terraform does since 1.10): `x != null &&
                // x.attr` must not evaluate `x.attr` when x is null.
                match (op, &l) {
                    (BinaryOperator::And, Value::Bool(false)) => return Ok(json!(false)),
                    (BinaryOperator::Or, Value::Bool(true)) => return Ok(json!(true)),
                    _ => {}
                }
                let r = self.expr(&b.rhs_expr, d)?;
                binary(op, &l, &r)?
            }
            Expression::ForExpr(f) => self.for_expr(f, d)?,
        })
    }

    fn template<'t>(&self, elements: impl Iterator<Item = &'t Element>, d: usize) -> Eval {
        let mut out = String::new();
        for el in elements {
            match el {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match self.expr(&i.expr, d)? {
                    v if unknown_reason(&v).is_some() => return Ok(v),
                    Value::Null => return Err("a null value in a string template".into()),
                    v => {
                        out.push_str(&text(&v));
                        // Doubling through locals must stop, not exhaust memory.
                        if out.len() > MAX_STRING_BYTES {
                            return Err(format!(
                                "a string template longer than kensa's limit ({MAX_STRING_BYTES} bytes)"
                            ));
                        }
                    }
                },
                Element::Directive(_) => {
                    return Ok(unknown("a template directive is not evaluated"))
                }
            }
        }
        Ok(Value::String(out))
    }

    /// The value a reference's leading names stand for, and how many names it took.
    fn root(&self, names: &[String]) -> Result<(Value, usize), String> {
        let Some(first) = names.first() else {
            return Err("an empty reference".into());
        };
        if let Some((_, v)) = self.bound.iter().rev().find(|(n, _)| n == first) {
            return Ok((v.clone(), 1));
        }
        match (first.as_str(), names.get(1)) {
            ("var", Some(n)) => Ok((
                self.vars
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| unknown(format!("var.{n} has no value"))),
                2,
            )),
            ("local", Some(n)) => Ok((
                self.locals
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| unknown(format!("local.{n} is not evaluated"))),
                2,
            )),
            ("var" | "local", None) => Err(format!("`{first}` needs an attribute")),
            ("terraform", _) => Ok((json!({ "workspace": "default" }), 1)),
            _ => Ok((self.reference)(names).unwrap_or_else(|| {
                (
                    unknown(format!("{} is only known at apply", names.join("."))),
                    names.len(),
                )
            })),
        }
    }

    fn traversal(&self, t: &hcl_edit::expr::Traversal, d: usize) -> Eval {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (value, rest) = match &t.expr {
            Expression::Variable(root) => {
                // The leading names: the root and the attribute accesses that follow it.
                let mut names = vec![root.as_str().to_string()];
                for op in &ops {
                    match op {
                        TraversalOperator::GetAttr(a) => names.push(a.as_str().to_string()),
                        _ => break,
                    }
                }
                let (v, took) = self.root(&names)?;
                (v, &ops[took.saturating_sub(1).min(ops.len())..])
            }
            other => (self.expr(other, d)?, &ops[..]),
        };
        self.apply(value, rest, d)
    }

    fn apply(&self, mut value: Value, ops: &[&TraversalOperator], d: usize) -> Eval {
        for (i, op) in ops.iter().enumerate() {
            if unknown_reason(&value).is_some() {
                return Ok(value);
            }
            value = match op {
                TraversalOperator::GetAttr(a) => match &value {
                    Value::Object(o) => o.get(a.as_str()).cloned().unwrap_or_else(|| {
                        unknown(format!(
                            "attribute {} is not set (known after apply)",
                            a.as_str()
                        ))
                    }),
                    Value::Null => return Err(format!("attribute {} of null", a.as_str())),
                    other => return Err(format!("attribute {} of {}", a.as_str(), kind(other))),
                },
                TraversalOperator::Index(x) => {
                    let idx = self.expr(x, d)?;
                    index(&value, &idx)?
                }
                TraversalOperator::LegacyIndex(n) => index(&value, &json!(*n.value()))?,
                TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => {
                    let rest = &ops[i + 1..];
                    let items = match value {
                        Value::Null => Vec::new(),
                        Value::Array(items) => items,
                        Value::Object(ref o)
                            if o.contains_key(crate::sources::iac::unknown::UNKNOWN_KEY) =>
                        {
                            return Ok(value)
                        }
                        single => vec![single],
                    };
                    return Ok(Value::Array(
                        items
                            .into_iter()
                            .map(|item| self.apply(item, rest, d))
                            .collect::<Result<_, _>>()?,
                    ));
                }
            };
        }
        Ok(value)
    }

    fn call(&self, name: &str, args: &[&Expression], expand: bool, d: usize) -> Eval {
        match name {
            // Lazy: an error in one argument picks the next.
            "try" => {
                let mut last = String::from("try() needs an argument");
                for a in args {
                    match self.expr(a, d) {
                        Ok(v) => return Ok(v),
                        Err(e) => last = e,
                    }
                }
                Err(format!("no argument of try() could be evaluated: {last}"))
            }
            "can" => Ok(match args.first().map(|a| self.expr(a, d)) {
                Some(Ok(v)) if unknown_reason(&v).is_some() => v,
                Some(Ok(_)) => Value::Bool(true),
                _ => Value::Bool(false),
            }),
            _ => {
                let mut values: Vec<Value> = args
                    .iter()
                    .map(|a| self.expr(a, d))
                    .collect::<Result<_, _>>()?;
                // `f(a, list...)`: the last argument's elements are the trailing arguments.
                if expand {
                    match values.pop() {
                        Some(Value::Array(tail)) => values.extend(tail),
                        Some(u) if unknown_reason(&u).is_some() => return Ok(u),
                        Some(other) => {
                            return Err(format!("{name}(...) expands a non-list {other}"))
                        }
                        None => {}
                    }
                }
                functions::call(name, &values)
            }
        }
    }

    fn for_expr(&self, f: &ForExpr, d: usize) -> Eval {
        let collection = self.expr(&f.intro.collection_expr, d)?;
        let pairs: Vec<(Value, Value)> = match collection {
            u if unknown_reason(&u).is_some() => return Ok(u),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (json!(i), v))
                .collect(),
            Value::Object(o) => {
                let mut entries: Vec<(String, Value)> = o.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.into_iter().map(|(k, v)| (json!(k), v)).collect()
            }
            Value::Null => return Err("a for expression over null".into()),
            other => return Err(format!("a for expression over {}", kind(&other))),
        };
        if pairs.len() > MAX_ITEMS {
            return Ok(unknown(format!(
                "a for expression over more than {MAX_ITEMS} elements"
            )));
        }
        let value_var = f.intro.value_var.as_str();
        let mut list = Vec::new();
        let mut map = Map::new();
        let mut groups: Map<String, Value> = Map::new();
        for (k, v) in pairs {
            let mut inner = self.with(value_var, v);
            if let Some(key_var) = &f.intro.key_var {
                inner = inner.with(key_var.as_str(), k);
            }
            if let Some(cond) = &f.cond {
                match inner.expr(&cond.expr, d)? {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    u if unknown_reason(&u).is_some() => return Ok(u),
                    other => return Err(format!("a for condition must be a bool, got {other}")),
                }
            }
            let value = inner.expr(&f.value_expr, d)?;
            match &f.key_expr {
                None => list.push(value),
                Some(key_expr) => {
                    let key = match inner.expr(key_expr, d)? {
                        u if unknown_reason(&u).is_some() => return Ok(u),
                        Value::Null => return Err("a null key in a for expression".into()),
                        other => text(&other),
                    };
                    if f.grouping {
                        if let Value::Array(g) = groups.entry(key).or_insert_with(|| json!([])) {
                            g.push(value);
                        }
                    } else if map.insert(key.clone(), value).is_some() {
                        return Err(format!(
                            "duplicate key {key:?} in a for expression (use ...)"
                        ));
                    }
                }
            }
        }
        Ok(match (&f.key_expr, f.grouping) {
            (None, _) => Value::Array(list),
            (Some(_), true) => Value::Object(groups),
            (Some(_), false) => Value::Object(map),
        })
    }

    /// A body as JSON: attributes evaluated, nested blocks as arrays under their name,
    /// `dynamic` blocks expanded. Records the span of every attribute and block at its
    /// JSON pointer under `path`.
    pub(crate) fn body(&self, body: &Body, path: &str, spans: &mut Vec<(String, Span)>) -> Value {
        let mut out = Map::new();
        for attr in body.attributes() {
            let p = format!("{path}/{}", attr.key.as_str());
            spans.push((p, span_of(&attr.value)));
            out.insert(attr.key.as_str().to_string(), self.eval(&attr.value));
        }
        for block in body.blocks() {
            if block.ident.as_str() == "dynamic" {
                self.dynamic(block, path, spans, &mut out);
                continue;
            }
            let name = block.ident.as_str().to_string();
            let list = out.entry(name.clone()).or_insert_with(|| json!([]));
            if let Value::Array(items) = list {
                let p = format!("{path}/{name}/{}", items.len());
                spans.push((p.clone(), span_of(block)));
                items.push(self.body(&block.body, &p, spans));
            }
        }
        Value::Object(out)
    }

    /// `dynamic "name" { for_each = …, iterator = it, content { … } }`: one `name` block
    /// per element, with `it.key` and `it.value` (the iterator is the label by default).
    fn dynamic(
        &self,
        block: &hcl_edit::structure::Block,
        path: &str,
        spans: &mut Vec<(String, Span)>,
        out: &mut Map<String, Value>,
    ) {
        let Some(name) = labels(block).into_iter().next() else {
            return;
        };
        let iterator = block
            .body
            .get_attribute("iterator")
            .and_then(|a| match &a.value {
                Expression::Variable(v) => Some(v.as_str().to_string()),
                _ => None,
            })
            .unwrap_or_else(|| name.clone());
        let collection = block
            .body
            .get_attribute("for_each")
            .map(|a| self.eval(&a.value))
            .unwrap_or(Value::Null);
        let content = block.body.get_blocks("content").next();
        let elements: Vec<(Value, Value)> = match collection {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (json!(i), v))
                .collect(),
            Value::Object(o) if unknown_reason(&Value::Object(o.clone())).is_none() => {
                let mut e: Vec<(String, Value)> = o.into_iter().collect();
                e.sort_by(|a, b| a.0.cmp(&b.0));
                e.into_iter().map(|(k, v)| (json!(k), v)).collect()
            }
            Value::Null => Vec::new(),
            other => {
                let why = unknown_reason(&other)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("for_each is {}", kind(&other)));
                spans.push((format!("{path}/{name}"), span_of(block)));
                out.insert(name.clone(), unknown(format!("dynamic \"{name}\": {why}")));
                return;
            }
        };
        let list = out.entry(name.clone()).or_insert_with(|| json!([]));
        let Value::Array(items) = list else { return };
        for (key, value) in elements.into_iter().take(MAX_ITEMS) {
            let inner = self.with(&iterator, json!({ "key": key, "value": value }));
            let p = format!("{path}/{name}/{}", items.len());
            spans.push((p.clone(), span_of(block)));
            items.push(match content {
                Some(c) => inner.body(&c.body, &p, spans),
                None => json!({}),
            });
        }
    }
}

fn index(value: &Value, idx: &Value) -> Eval {
    if unknown_reason(idx).is_some() {
        return Ok(idx.clone());
    }
    match (value, idx) {
        (Value::Array(a), _) => {
            let n = match idx {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.parse::<f64>().ok(),
                _ => None,
            }
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .ok_or_else(|| format!("an index {idx} into a list"))?;
            a.get(n as usize)
                .cloned()
                .ok_or_else(|| format!("index {n} is out of range (a list of {})", a.len()))
        }
        (Value::Object(o), _) => {
            let k = text(idx);
            o.get(&k)
                .cloned()
                .ok_or_else(|| format!("no element {k:?} in the map"))
        }
        (Value::Null, _) => Err("an index into null".into()),
        (other, _) => Err(format!("an index into {}", kind(other))),
    }
}

fn binary(op: BinaryOperator, l: &Value, r: &Value) -> Eval {
    use BinaryOperator::*;
    // A decided operand decides a logical operator whatever the other one is.
    match (op, l, r) {
        (And, Value::Bool(false), _) | (And, _, Value::Bool(false)) => return Ok(json!(false)),
        (Or, Value::Bool(true), _) | (Or, _, Value::Bool(true)) => return Ok(json!(true)),
        _ => {}
    }
    if unknown_reason(l).is_some() {
        return Ok(l.clone());
    }
    if unknown_reason(r).is_some() {
        return Ok(r.clone());
    }
    Ok(match op {
        Eq => Value::Bool(equal(l, r)),
        NotEq => Value::Bool(!equal(l, r)),
        And | Or => match (l, r) {
            (Value::Bool(a), Value::Bool(b)) => {
                Value::Bool(if op == And { *a && *b } else { *a || *b })
            }
            _ => return Err("a logical operator on non-bools".into()),
        },
        _ => {
            let num = |v: &Value| match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            };
            let (Some(a), Some(b)) = (num(l), num(r)) else {
                return Err(format!("arithmetic on non-numbers ({l}, {r})"));
            };
            let n = |f: f64| {
                if f.fract() == 0.0 && f.abs() < 9e15 {
                    json!(f as i64)
                } else {
                    json!(f)
                }
            };
            match op {
                Less => Value::Bool(a < b),
                LessEq => Value::Bool(a <= b),
                Greater => Value::Bool(a > b),
                GreaterEq => Value::Bool(a >= b),
                Plus => n(a + b),
                Minus => n(a - b),
                Mul => n(a * b),
                Div if b != 0.0 => n(a / b),
                Mod if b != 0.0 => n(a % b),
                _ => return Err("a division by zero".into()),
            }
        }
    })
}

/// Terraform's `==`: numbers compare by value (1 == 1.0).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// How a value reads in a string template or as a key.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}
