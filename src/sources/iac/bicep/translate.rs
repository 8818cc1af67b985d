//! Bicep expressions turned into the expression tree ARM templates evaluate to, as the
//! Bicep compiler does: operators become `equals`/`and`/`add`/…, interpolation `concat`,
//! `a.?b` `tryGet`, the ternary `if`, loops and lambdas bind locals. Names resolve to loop
//! or lambda variables first, then to the file's declarations (symbols).

use std::collections::HashSet;

use super::syntax::{BinaryOp, Expr as Ast, ExprKind, ObjectItem, StrPart, UnaryOp};
use crate::sources::iac::expr::Expr;
use crate::text::Span;

/// What a name in the file can refer to.
pub(super) struct Names<'a> {
    /// User-defined functions (`func`): calls to them are not evaluated.
    pub(super) functions: &'a HashSet<String>,
    /// Loop and lambda variables in scope, innermost last.
    pub(super) locals: Vec<String>,
}

/// Why an expression cannot be translated, and where.
pub(super) type Error = (Span, String);

impl Names<'_> {
    fn with(&self, names: impl IntoIterator<Item = String>) -> Names<'_> {
        let mut locals = self.locals.clone();
        locals.extend(names);
        Names {
            functions: self.functions,
            locals,
        }
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(name.to_string(), args)
}

pub(super) fn expr(e: &Ast, names: &Names) -> Result<Expr, Error> {
    let b = |x: &Ast| expr(x, names).map(Box::new);
    Ok(match &e.kind {
        ExprKind::Str(parts) => match parts.as_slice() {
            [] => Expr::Str(String::new()),
            [StrPart::Lit(s)] => Expr::Str(s.clone()),
            _ => call(
                "concat",
                parts
                    .iter()
                    .map(|p| match p {
                        StrPart::Lit(s) => Ok(Expr::Str(s.clone())),
                        StrPart::Expr(x) => Ok(call("string", vec![expr(x, names)?])),
                    })
                    .collect::<Result<_, Error>>()?,
            ),
        },
        ExprKind::MultilineStr(s) => Expr::Str(s.clone()),
        ExprKind::Int(n) => Expr::Int(*n),
        ExprKind::Bool(v) => Expr::Bool(*v),
        ExprKind::Null => Expr::Null,
        ExprKind::Array(items) => Expr::Array(
            items
                .iter()
                .map(|x| expr(x, names))
                .collect::<Result<_, _>>()?,
        ),
        ExprKind::Object(items) => {
            let mut entries = Vec::new();
            for item in items {
                match item {
                    ObjectItem::Property(p) => {
                        let key = match &p.key_expr {
                            Some(k) => expr(k, names)?,
                            None => Expr::Str(p.key.clone()),
                        };
                        entries.push((Some(key), expr(&p.value, names)?));
                    }
                    ObjectItem::Spread(x) => entries.push((None, expr(x, names)?)),
                    // Child resources are declarations, not values.
                    ObjectItem::Resource(_) => {}
                }
            }
            Expr::Object(entries)
        }
        ExprKind::Ident(name) => match names.locals.iter().rev().find(|l| *l == name) {
            Some(_) => Expr::Local(name.clone()),
            None => Expr::Symbol(name.clone()),
        },
        ExprKind::Member { target, name, safe } => {
            let t = expr(target, names)?;
            if *safe {
                call("tryget", vec![t, Expr::Str(name.clone())])
            } else {
                Expr::Prop(Box::new(t), name.clone())
            }
        }
        ExprKind::Index {
            target,
            index,
            safe,
            from_end,
        } => {
            let (t, i) = (expr(target, names)?, expr(index, names)?);
            match (safe, from_end) {
                (_, true) => call(
                    if *safe {
                        "tryindexfromend"
                    } else {
                        "indexfromend"
                    },
                    vec![t, i],
                ),
                (true, false) => call("tryget", vec![t, i]),
                (false, false) => Expr::Index(Box::new(t), Box::new(i)),
            }
        }
        ExprKind::Call { target, name, args } if target.is_none() && name == "nameof" => {
            // The name of a symbol or property, as written.
            match args.first().map(|a| &a.kind) {
                Some(ExprKind::Ident(n)) | Some(ExprKind::Member { name: n, .. }) => {
                    Expr::Str(n.clone())
                }
                Some(ExprKind::Index { index, .. }) => match index.as_str_literal() {
                    Some(n) => Expr::Str(n),
                    None => return Err((e.span, "nameof() of a computed index".into())),
                },
                _ => return Err((e.span, "nameof() needs a symbol or a property".into())),
            }
        }
        ExprKind::Call { target, name, args } => {
            let args: Vec<Expr> = args
                .iter()
                .map(|x| expr(x, names))
                .collect::<Result<_, _>>()?;
            let namespace = match target.as_deref().map(|t| &t.kind) {
                None => None,
                Some(ExprKind::Ident(ns)) if ns == "az" || ns == "sys" => None,
                Some(_) => Some("resource"),
            };
            let lower = name.to_lowercase();
            match (namespace, lower.as_str()) {
                // A method of a resource (`kv.getSecret()`, `sa.listKeys()`): runtime only.
                (Some(ns), _) => call(&format!("{ns}.{name}"), args),
                (None, "any") if args.len() == 1 => args.into_iter().next().unwrap_or(Expr::Null),
                (None, _) if names.functions.contains(name) => call(&format!("user.{name}"), args),
                (
                    None,
                    "loadtextcontent"
                    | "loadjsoncontent"
                    | "loadyamlcontent"
                    | "loadfileasbase64"
                    | "readenvironmentvariable"
                    | "deployer",
                ) => call(&format!("bicep.{name}"), args),
                (None, _) => call(&lower, args),
            }
        }
        ExprKind::ResourceAccess { .. } => Expr::Symbol(access_path(e)),
        ExprKind::Unary { op, expr: inner } => match op {
            UnaryOp::Not => call("not", vec![expr(inner, names)?]),
            UnaryOp::Minus => call("sub", vec![Expr::Int(0), expr(inner, names)?]),
            UnaryOp::Plus => expr(inner, names)?,
        },
        ExprKind::Binary { op, left, right } => {
            let (l, r) = (expr(left, names)?, expr(right, names)?);
            let insensitive = |l: Expr, r: Expr| {
                call(
                    "equals",
                    vec![
                        call("tolower", vec![call("string", vec![l])]),
                        call("tolower", vec![call("string", vec![r])]),
                    ],
                )
            };
            match op {
                BinaryOp::Or => call("or", vec![l, r]),
                BinaryOp::And => call("and", vec![l, r]),
                BinaryOp::Eq => call("equals", vec![l, r]),
                BinaryOp::NotEq => call("not", vec![call("equals", vec![l, r])]),
                BinaryOp::EqInsensitive => insensitive(l, r),
                BinaryOp::NotEqInsensitive => call("not", vec![insensitive(l, r)]),
                BinaryOp::Lt => call("less", vec![l, r]),
                BinaryOp::LtEq => call("lessorequals", vec![l, r]),
                BinaryOp::Gt => call("greater", vec![l, r]),
                BinaryOp::GtEq => call("greaterorequals", vec![l, r]),
                BinaryOp::Add => call("add", vec![l, r]),
                BinaryOp::Sub => call("sub", vec![l, r]),
                BinaryOp::Mul => call("mul", vec![l, r]),
                BinaryOp::Div => call("div", vec![l, r]),
                BinaryOp::Mod => call("mod", vec![l, r]),
                BinaryOp::Coalesce => call("coalesce", vec![l, r]),
            }
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => call(
            "if",
            vec![
                expr(cond, names)?,
                expr(then, names)?,
                expr(otherwise, names)?,
            ],
        ),
        ExprKind::Paren(inner) | ExprKind::NonNull(inner) => expr(inner, names)?,
        ExprKind::For {
            item,
            index,
            iterable,
            body,
        } => {
            let inner = names.with(
                std::iter::once(item.name.clone()).chain(index.iter().map(|i| i.name.clone())),
            );
            let (cond, body) = match &body.kind {
                ExprKind::If { cond, body } => (Some(expr(cond, &inner)?), &**body),
                _ => (None, &**body),
            };
            Expr::For {
                item: item.name.clone(),
                index: index.as_ref().map(|i| i.name.clone()),
                iterable: b(iterable)?,
                cond: cond.map(Box::new),
                body: Box::new(expr(body, &inner)?),
            }
        }
        ExprKind::If { .. } => {
            return Err((
                e.span,
                "a condition `if (…)` outside a resource or module".into(),
            ))
        }
        ExprKind::Lambda { params, body } => {
            let params: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
            let inner = names.with(params.clone());
            Expr::Lambda(params, Box::new(expr(body, &inner)?))
        }
        ExprKind::Spread(inner) => Expr::Spread(b(inner)?),
    })
}

/// `a::b::c` as the symbol name child resources are declared under.
pub(super) fn access_path(e: &Ast) -> String {
    match &e.kind {
        ExprKind::ResourceAccess { target, name } => format!("{}::{name}", access_path(target)),
        ExprKind::Ident(name) => name.clone(),
        _ => String::from("?"),
    }
}
