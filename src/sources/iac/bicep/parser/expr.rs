//! Expressions: operators by precedence, postfix accessors, literals, strings with
//! interpolation, arrays, objects, `for` expressions and lambdas.

use super::super::lexer::{Tok, Token};
use super::super::syntax::*;
use super::{binop, boxed, Parser, R};

impl Parser<'_> {
    pub(crate) fn expr(&mut self) -> R<Expr> {
        self.nested(Self::ternary)
    }

    pub(super) fn ternary(&mut self) -> R<Expr> {
        let start = self.tok().start;
        let cond = self.binary(0)?;
        if self.cont("?") {
            self.ternary_rest(start, cond)
        } else {
            Ok(cond)
        }
    }

    pub(super) fn ternary_rest(&mut self, start: usize, cond: Expr) -> R<Expr> {
        self.bump(); // '?'
        self.skip_nl();
        let then = self.expr()?;
        if !self.cont(":") {
            return Err(self.err("expected ':' in the conditional expression"));
        }
        self.bump();
        self.skip_nl();
        let otherwise = self.expr()?;
        let kind = ExprKind::Ternary {
            cond: boxed(cond),
            then: boxed(then),
            otherwise: boxed(otherwise),
        };
        Ok(self.node(start, kind))
    }

    /// The binary operator at the current position, accepting one at the start of a following
    /// line (except `+`/`-`, which could begin a new array item).
    pub(super) fn peek_binop(&mut self) -> Option<(BinaryOp, u8)> {
        if let Tok::Sym(s) = self.peek() {
            return binop(s);
        }
        let i = self.skip_nl_from(self.pos);
        match self.toks.get(i) {
            Some(Token {
                kind: Tok::Sym(s), ..
            }) if !matches!(*s, "+" | "-") => {
                let op = binop(s)?;
                self.pos = i;
                Some(op)
            }
            _ => None,
        }
    }

    pub(super) fn binary(&mut self, min: u8) -> R<Expr> {
        let start = self.tok().start;
        let left = self.unary()?;
        let base = self.depth;
        let r = self.binary_rest(start, min, left);
        self.depth = base;
        r
    }

    /// Every operator application in a chain counts as a nesting level (until the chain ends),
    /// which bounds the height of the syntax tree.
    pub(super) fn binary_rest(&mut self, start: usize, min: u8, mut left: Expr) -> R<Expr> {
        while let Some((op, prec)) = self.peek_binop() {
            if prec < min {
                break;
            }
            self.deeper()?;
            self.bump();
            self.skip_nl();
            let right = self.binary(prec + 1)?;
            left = self.node(
                start,
                ExprKind::Binary {
                    op,
                    left: boxed(left),
                    right: boxed(right),
                },
            );
        }
        Ok(left)
    }

    pub(super) fn unary(&mut self) -> R<Expr> {
        if matches!(self.peek(), Tok::Sym("!" | "-" | "+")) {
            self.unary_op()
        } else {
            self.postfix()
        }
    }

    pub(super) fn unary_op(&mut self) -> R<Expr> {
        let t = self.bump();
        let op = match t.kind {
            Tok::Sym("!") => UnaryOp::Not,
            Tok::Sym("-") => UnaryOp::Minus,
            _ => UnaryOp::Plus,
        };
        let e = self.nested(Self::unary)?;
        Ok(self.node(t.start, ExprKind::Unary { op, expr: boxed(e) }))
    }

    pub(super) fn postfix(&mut self) -> R<Expr> {
        let start = self.tok().start;
        let e = self.primary()?;
        let base = self.depth;
        let r = self.postfix_rest(start, e);
        self.depth = base;
        r
    }

    /// Like `binary_rest`, every accessor in a chain counts as a nesting level.
    pub(super) fn postfix_rest(&mut self, start: usize, mut e: Expr) -> R<Expr> {
        loop {
            if !matches!(self.peek(), Tok::Sym("." | "::" | "[" | "!")) {
                return Ok(e);
            }
            self.deeper()?;
            let kind = match self.bump().kind {
                Tok::Sym(".") => {
                    let safe = self.eat("?");
                    let name = self.ident("expected a property name after '.'")?.name;
                    if !safe && self.is("(") {
                        ExprKind::Call {
                            target: Some(boxed(e)),
                            name,
                            args: self.call_args("")?,
                        }
                    } else {
                        ExprKind::Member {
                            target: boxed(e),
                            name,
                            safe,
                        }
                    }
                }
                Tok::Sym("::") => {
                    let name = self
                        .ident("expected a nested resource name after '::'")?
                        .name;
                    ExprKind::ResourceAccess {
                        target: boxed(e),
                        name,
                    }
                }
                Tok::Sym("[") => {
                    let (safe, from_end, index) = self.bracketed(
                        true,
                        Self::index,
                        "]",
                        "expected ']' after the index expression",
                    )?;
                    ExprKind::Index {
                        target: boxed(e),
                        index: boxed(index),
                        safe,
                        from_end,
                    }
                }
                _ => ExprKind::NonNull(boxed(e)),
            };
            e = self.node(start, kind);
        }
    }

    /// Inside `[…]` after an expression: `?` (safe) and `^` (from the end) markers, then the index.
    pub(super) fn index(&mut self) -> R<(bool, bool, Expr)> {
        let safe = self.eat("?");
        let from_end = self.eat("^");
        Ok((safe, from_end, self.expr()?))
    }

    pub(super) fn call_args(&mut self, msg: &str) -> R<Vec<Expr>> {
        self.expect("(", msg)?;
        self.bracketed(
            true,
            |p| p.items(")", Self::expr),
            ")",
            "expected ',' or ')' in the argument list",
        )
    }

    pub(super) fn primary(&mut self) -> R<Expr> {
        match self.peek() {
            Tok::Str { open: true, .. } => self.nested(Self::string),
            Tok::Sym("[") => self.array(),
            Tok::Sym("{") => self.object(),
            Tok::Sym("(") if self.lambda_ahead() => self.nested(Self::lambda),
            Tok::Sym("(") => {
                let start = self.bump().start;
                let inner = self.bracketed(
                    true,
                    Self::expr,
                    ")",
                    "expected ')' to close the parenthesized expression",
                )?;
                Ok(self.node(start, ExprKind::Paren(boxed(inner))))
            }
            Tok::Ident if matches!(self.peek2(), Tok::Sym("=>")) => self.nested(Self::lambda),
            _ => self.atom(),
        }
    }

    pub(super) fn atom(&mut self) -> R<Expr> {
        let t = self.tok().clone();
        let kind = match t.kind {
            Tok::Int(n) => ExprKind::Int(n),
            Tok::Multi(s) => ExprKind::MultilineStr(s),
            Tok::Ident => match self.src.get(t.start..t.end).unwrap_or("") {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                name => {
                    let name = name.to_string();
                    self.bump();
                    let kind = if self.is("(") {
                        ExprKind::Call {
                            target: None,
                            name,
                            args: self.call_args("")?,
                        }
                    } else {
                        ExprKind::Ident(name)
                    };
                    return Ok(self.node(t.start, kind));
                }
            },
            Tok::Str { open: false, .. } => {
                return Err(self.err("unexpected '}' in string interpolation"))
            }
            _ => return Err(self.err("expected an expression")),
        };
        self.bump();
        Ok(self.node(t.start, kind))
    }

    /// At `(`: is this the parameter list of a lambda, `( [a [, b]*] ) =>`?
    pub(super) fn lambda_ahead(&self) -> bool {
        let mut i = self.idx();
        let mut next = || {
            i = self.skip_nl_from(i + 1);
            self.toks.get(i).map_or(&Tok::Eof, |t| &t.kind)
        };
        let mut t = next();
        if *t != Tok::Sym(")") {
            loop {
                let (name, sep) = (t, next());
                if *name != Tok::Ident || !matches!(sep, Tok::Sym(",") | Tok::Sym(")")) {
                    return false;
                }
                if *sep == Tok::Sym(")") {
                    break;
                }
                t = next();
            }
        }
        *next() == Tok::Sym("=>")
    }

    pub(super) fn lambda(&mut self) -> R<Expr> {
        let start = self.tok().start;
        let params = if self.eat("(") {
            let msg = "expected ',' or ')' in the lambda parameter list";
            self.bracketed(
                true,
                |p| p.items(")", |p| p.ident("expected a lambda parameter name")),
                ")",
                msg,
            )?
        } else {
            vec![self.ident("expected a lambda parameter name")?]
        };
        self.expect("=>", "expected '=>' after the lambda parameters")?;
        self.skip_nl();
        let body = self.expr()?;
        Ok(self.node(
            start,
            ExprKind::Lambda {
                params,
                body: boxed(body),
            },
        ))
    }

    /// A single-quoted string, possibly interpolated; the current token opens it.
    pub(super) fn string(&mut self) -> R<Expr> {
        let first = self.bump();
        let mut parts = Vec::new();
        let mut close = true;
        if let Tok::Str { text, close: c, .. } = first.kind {
            if !text.is_empty() {
                parts.push(StrPart::Lit(text));
            }
            close = c;
        }
        while !close {
            close = self.string_hole(&mut parts)?;
        }
        Ok(self.node(first.start, ExprKind::Str(parts)))
    }

    /// One `${expr}` and the literal piece after it; returns whether the string ended.
    pub(super) fn string_hole(&mut self, parts: &mut Vec<StrPart>) -> R<bool> {
        let old = std::mem::replace(&mut self.nl_ok, true);
        let e = self.expr();
        let piece = if matches!(self.peek(), Tok::Str { open: false, .. }) {
            Some(self.bump())
        } else {
            None
        };
        self.nl_ok = old;
        parts.push(StrPart::Expr(e?));
        match piece {
            Some(Token {
                kind: Tok::Str { text, close, .. },
                ..
            }) => {
                if !text.is_empty() {
                    parts.push(StrPart::Lit(text));
                }
                Ok(close)
            }
            _ => Err(self.err("expected '}' to close the string interpolation")),
        }
    }

    pub(super) fn array(&mut self) -> R<Expr> {
        let start = self.bump().start; // '['
        let kind = self.bracketed(
            false,
            Self::array_body,
            "]",
            "expected ',', a new line or ']' in the array",
        )?;
        Ok(self.node(start, kind))
    }

    pub(super) fn array_body(&mut self) -> R<ExprKind> {
        self.skip_nl();
        if self.is_kw("for") && matches!(self.peek2(), Tok::Ident | Tok::Sym("(")) {
            return self.for_expr();
        }
        Ok(ExprKind::Array(self.items("]", |p| {
            if p.is("...") {
                p.spread()
            } else {
                p.expr()
            }
        })?))
    }

    pub(super) fn spread(&mut self) -> R<Expr> {
        let start = self.bump().start; // '...'
        let e = self.expr()?;
        Ok(self.node(start, ExprKind::Spread(boxed(e))))
    }

    pub(super) fn for_expr(&mut self) -> R<ExprKind> {
        let (item, index) = self.for_vars()?;
        let iterable = self.expr()?;
        self.expect(":", "expected ':' after the loop's array expression")?;
        self.skip_nl();
        let body = if self.is_kw("if") && matches!(self.peek2(), Tok::Sym("(")) {
            self.if_body()
        } else {
            self.expr()
        }?;
        self.skip_nl();
        Ok(ExprKind::For {
            item,
            index,
            iterable: boxed(iterable),
            body: boxed(body),
        })
    }

    /// `for x in` or `for (x, i) in`.
    pub(super) fn for_vars(&mut self) -> R<(Ident, Option<Ident>)> {
        self.bump(); // 'for'
        let vars = if self.eat("(") {
            let item = self.ident("expected the loop item variable name")?;
            self.expect(",", "expected ',' after the loop item variable")?;
            let index = self.ident("expected the loop index variable name")?;
            self.expect(")", "expected ')' after the loop index variable")?;
            (item, Some(index))
        } else {
            (
                self.ident("expected the loop variable name after 'for'")?,
                None,
            )
        };
        if !self.is_kw("in") {
            return Err(self.err("expected 'in' after the loop variable"));
        }
        self.bump();
        Ok(vars)
    }

    pub(super) fn object(&mut self) -> R<Expr> {
        let start = self.bump().start; // '{'
        let msg = "expected ',', a new line or '}' after the object property";
        let items = self.bracketed(false, |p| p.items("}", Self::object_item), "}", msg)?;
        Ok(self.node(start, ExprKind::Object(items)))
    }

    pub(super) fn object_item(&mut self) -> R<ObjectItem> {
        if self.is("...") {
            self.spread().map(ObjectItem::Spread)
        } else if self.is("@") || (self.is_kw("resource") && *self.peek2() == Tok::Ident) {
            self.decorated_item()
        } else {
            self.property(self.tok().start).map(ObjectItem::Property)
        }
    }

    /// A nested resource declaration, or a property, with optional decorators.
    pub(super) fn decorated_item(&mut self) -> R<ObjectItem> {
        let start = self.tok().start;
        let decorators = self.decorators()?;
        if !(self.is_kw("resource") && *self.peek2() == Tok::Ident) {
            return self.property(start).map(ObjectItem::Property); // decorators on properties are dropped
        }
        let kind = self.resource_or_module(true)?;
        Ok(ObjectItem::Resource(Statement {
            span: self.span_from(start),
            decorators,
            kind,
        }))
    }

    pub(super) fn property(&mut self, start: usize) -> R<Property> {
        let (key, key_span, key_expr) = self.object_key()?;
        let value = self.expr()?;
        Ok(Property {
            key,
            key_span,
            key_expr,
            value,
            span: self.span_from(start),
        })
    }

    /// A property name and the `:` after it.
    pub(super) fn object_key(&mut self) -> R<(String, Span, Option<Expr>)> {
        let t = self.tok().clone();
        let (key, key_expr) = match t.kind {
            Tok::Ident => {
                self.bump();
                (self.src.get(t.start..t.end).unwrap_or("").to_string(), None)
            }
            Tok::Str {
                open: true,
                close: true,
                text,
            } => {
                self.bump();
                (text, None)
            }
            Tok::Str {
                open: true,
                close: false,
                ..
            } => {
                let e = self.string()?;
                (e.span.text(self.src).to_string(), Some(e))
            }
            _ => {
                return Err(self.err("expected a property name (an identifier or a quoted string)"))
            }
        };
        let key_span = self.span_from(t.start);
        self.expect(":", "expected ':' after the property name")?;
        self.skip_nl();
        Ok((key, key_span, key_expr))
    }
}
