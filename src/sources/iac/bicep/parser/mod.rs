//! Recursive-descent parser over the token stream produced by `lexer`.
//!
//! Line breaks are significant (statement and item separators) except inside `( … )` and `[ … ]`
//! index brackets, where the parser runs with `nl_ok` set and skips them. A few continuation
//! lines are accepted anywhere: a line starting with `?` / `:` (multi-line ternaries), with a
//! binary operator other than `+`/`-`, or with `|` in a union type.
//!
//! Functions on the recursive path keep few locals (debug builds give every temporary its own
//! stack slot); node construction after a recursive call lives in separate `*_rest` helpers.

mod expr;

use super::lexer::{lex, Tok, Token};
use super::syntax::*;

type R<T> = Result<T, ParseError>;

pub(crate) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    nl_ok: bool,
    depth: usize,
    prev_end: usize,
    eof: Token,
}

#[rustfmt::skip]
const BINOPS: [(&str, BinaryOp, u8); 16] = {
    use BinaryOp::*;
    [("??", Coalesce, 1), ("||", Or, 2), ("&&", And, 3), ("==", Eq, 4), ("!=", NotEq, 4),
     ("=~", EqInsensitive, 4), ("!~", NotEqInsensitive, 4), ("<", Lt, 5), ("<=", LtEq, 5), (">", Gt, 5),
     (">=", GtEq, 5), ("+", Add, 6), ("-", Sub, 6), ("*", Mul, 7), ("/", Div, 7), ("%", Mod, 7)]
};

fn binop(s: &str) -> Option<(BinaryOp, u8)> {
    BINOPS.iter().find(|b| b.0 == s).map(|b| (b.1, b.2))
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

const DECL_EXPECTED: &str =
    "expected a declaration such as 'param', 'var', 'resource', 'module' or 'output'";

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> R<Self> {
        let toks = lex(src)?;
        let eof = Token {
            kind: Tok::Eof,
            start: src.len(),
            end: src.len(),
        };
        Ok(Parser {
            src,
            toks,
            pos: 0,
            nl_ok: false,
            depth: 0,
            prev_end: 0,
            eof,
        })
    }

    // ---- token access ------------------------------------------------------------------

    /// First index at or after `i` that is not a line break.
    fn skip_nl_from(&self, mut i: usize) -> usize {
        while matches!(self.toks.get(i), Some(Token { kind: Tok::Nl, .. })) {
            i += 1;
        }
        i
    }

    /// Index of the next significant token (skipping line breaks when `nl_ok`).
    fn idx(&self) -> usize {
        if self.nl_ok {
            self.skip_nl_from(self.pos)
        } else {
            self.pos
        }
    }

    fn tok(&self) -> &Token {
        self.toks.get(self.idx()).unwrap_or(&self.eof)
    }

    fn peek(&self) -> &Tok {
        &self.tok().kind
    }

    /// The token after the current one.
    fn peek2(&self) -> &Tok {
        let i = self.idx() + 1;
        let i = if self.nl_ok { self.skip_nl_from(i) } else { i };
        self.toks.get(i).map_or(&Tok::Eof, |t| &t.kind)
    }

    fn bump(&mut self) -> Token {
        let i = self.idx();
        let t = self
            .toks
            .get(i)
            .cloned()
            .unwrap_or_else(|| self.eof.clone());
        self.pos = (i + 1).min(self.toks.len());
        if t.kind != Tok::Eof {
            self.prev_end = t.end;
        }
        t
    }

    fn is(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn is_kw(&self, kw: &str) -> bool {
        let t = self.tok();
        t.kind == Tok::Ident && self.src.get(t.start..t.end) == Some(kw)
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), Tok::Nl | Tok::Eof)
    }

    fn eat(&mut self, s: &str) -> bool {
        let hit = self.is(s);
        if hit {
            self.bump();
        }
        hit
    }

    fn expect(&mut self, s: &str, msg: &str) -> R<Token> {
        if self.is(s) {
            Ok(self.bump())
        } else {
            Err(self.err(msg))
        }
    }

    fn skip_nl(&mut self) {
        self.pos = self.skip_nl_from(self.pos);
    }

    /// True if the next token is `s`, possibly at the start of a following line (continuation);
    /// in the latter case the line breaks are consumed.
    fn cont(&mut self, s: &str) -> bool {
        let i = self.skip_nl_from(self.pos);
        let hit = matches!(self.toks.get(i), Some(Token { kind: Tok::Sym(x), .. }) if *x == s);
        if hit {
            self.pos = i;
        }
        hit
    }

    fn err(&self, msg: &str) -> ParseError {
        self.err_at(self.tok(), msg)
    }

    /// An error at token `t`, naming what was found there.
    fn err_at(&self, t: &Token, msg: &str) -> ParseError {
        let found = match &t.kind {
            Tok::Nl => "end of line".to_string(),
            Tok::Eof => "end of file".to_string(),
            _ => {
                let text = self.src.get(t.start..t.end).unwrap_or("");
                let short: String = text.chars().take(30).collect();
                format!(
                    "'{short}'{}",
                    if short.len() < text.len() { "…" } else { "" }
                )
            }
        };
        ParseError {
            offset: t.start,
            message: format!("{msg}, found {found}"),
        }
    }

    fn span_from(&self, start: usize) -> Span {
        Span {
            start,
            end: self.prev_end.max(start),
        }
    }

    fn node(&self, start: usize, kind: ExprKind) -> Expr {
        Expr {
            span: self.span_from(start),
            kind,
        }
    }

    /// Go one nesting level deeper, failing cleanly beyond `MAX_DEPTH`.
    fn deeper(&mut self) -> R<()> {
        if self.depth >= MAX_DEPTH {
            let message = format!("nesting is too deep (more than {MAX_DEPTH} levels)");
            return Err(ParseError {
                offset: self.tok().start,
                message,
            });
        }
        self.depth += 1;
        Ok(())
    }

    /// Run `f` one nesting level deeper.
    fn nested<T>(&mut self, f: fn(&mut Self) -> R<T>) -> R<T> {
        self.deeper()?;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Run `f` (after an opening bracket) with line breaks significant or not, then expect `close`.
    /// Each bracket pair counts as a nesting level.
    fn bracketed<T>(
        &mut self,
        nl_ok: bool,
        f: fn(&mut Self) -> R<T>,
        close: &str,
        msg: &str,
    ) -> R<T> {
        self.deeper()?;
        let old = std::mem::replace(&mut self.nl_ok, nl_ok);
        let r = f(self).and_then(|v| self.expect(close, msg).map(|_| v));
        self.nl_ok = old;
        self.depth -= 1;
        r
    }

    /// Items separated by commas and/or line breaks (a trailing separator is allowed), up to but
    /// not including `close`.
    fn items<T>(&mut self, close: &str, item: fn(&mut Self) -> R<T>) -> R<Vec<T>> {
        let mut out = Vec::new();
        self.skip_nl();
        while !self.is(close) {
            out.push(item(self)?);
            if !(self.eat(",") || self.at_line_end()) {
                break;
            }
            self.skip_nl();
        }
        Ok(out)
    }

    fn ident(&mut self, msg: &str) -> R<Ident> {
        if *self.peek() != Tok::Ident {
            return Err(self.err(msg));
        }
        let t = self.bump();
        let span = Span {
            start: t.start,
            end: t.end,
        };
        Ok(Ident {
            name: span.text(self.src).to_string(),
            span,
        })
    }

    fn end_of_statement(&self) -> R<()> {
        if self.at_line_end() {
            Ok(())
        } else {
            Err(self.err("expected a new line after the declaration"))
        }
    }

    /// Skip the rest of a statement: up to a line break outside brackets.
    fn skip_rest(&mut self) {
        let mut depth = 0i64;
        while let Some(t) = self.toks.get(self.pos) {
            match &t.kind {
                Tok::Eof => break,
                Tok::Nl if depth <= 0 => break,
                Tok::Sym("(" | "[" | "{") => depth += 1,
                Tok::Sym(")" | "]" | "}") => depth -= 1,
                _ => {}
            }
            if t.kind != Tok::Nl {
                self.prev_end = t.end;
            }
            self.pos += 1;
        }
    }

    // ---- files ---------------------------------------------------------------------------

    pub(crate) fn program(&mut self) -> R<Program> {
        let mut statements = Vec::new();
        loop {
            self.skip_nl();
            if *self.peek() == Tok::Eof {
                return Ok(Program { statements });
            }
            statements.push(self.statement()?);
            self.end_of_statement()?;
        }
    }

    pub(crate) fn params_file(&mut self) -> R<ParamsFile> {
        let mut file = ParamsFile::default();
        loop {
            self.skip_nl();
            if self.is_kw("using") {
                self.bump();
                if self.is_kw("none") {
                    self.bump();
                } else {
                    let e =
                        self.decl_string("expected a file path string or 'none' after 'using'")?;
                    let path = e.as_str_literal().ok_or_else(|| ParseError {
                        offset: e.span.start,
                        message: "the 'using' path cannot contain interpolation".into(),
                    })?;
                    file.using = Some((path, e.span));
                }
                self.skip_rest(); // e.g. a trailing `with { … }` clause
            } else if self.is_kw("param") || self.is_kw("var") {
                let is_param = self.is_kw("param");
                self.bump();
                let what = if is_param { "parameter" } else { "variable" };
                let name = self.ident(&format!("expected a {what} name"))?;
                self.expect("=", &format!("expected '=' after the {what} name"))?;
                self.skip_nl();
                let value = self.expr()?;
                if is_param {
                    file.params.push((name, value))
                } else {
                    file.vars.push((name, value))
                }
            } else if self.is_kw("import") || self.is_kw("extends") || self.is_kw("type") {
                self.skip_rest();
            } else if *self.peek() == Tok::Eof {
                return Ok(file);
            } else {
                return Err(self.err("expected 'using', 'param' or 'var'"));
            }
            self.end_of_statement()?;
        }
    }

    // ---- statements ----------------------------------------------------------------------

    fn statement(&mut self) -> R<Statement> {
        let start = self.tok().start;
        let decorators = self.decorators()?;
        let t = self.tok().clone();
        let kw = if t.kind == Tok::Ident {
            self.src.get(t.start..t.end).unwrap_or("")
        } else {
            ""
        };
        if matches!(kw, "resource" | "module") {
            let kind = self.resource_or_module(kw == "resource")?;
            return Ok(Statement {
                span: self.span_from(start),
                decorators,
                kind,
            });
        }
        self.bump();
        let kind = match kw {
            "targetScope" => {
                self.expect("=", "expected '=' after 'targetScope'")?;
                self.skip_nl();
                StatementKind::TargetScope(self.expr()?)
            }
            "metadata" => {
                let name = self.ident("expected a metadata name after 'metadata'")?;
                StatementKind::Metadata {
                    name,
                    value: self.assigned("expected '=' after the metadata name")?,
                }
            }
            "param" => {
                let name = self.ident("expected a parameter name after 'param'")?;
                let ty = self.type_text("expected a type after the parameter name")?;
                let default = if self.is("=") {
                    Some(self.assigned("")?)
                } else {
                    None
                };
                StatementKind::Param { name, ty, default }
            }
            "var" => {
                let name = self.ident("expected a variable name after 'var'")?;
                if !self.is("=") {
                    self.type_text("expected '=' after the variable name")?;
                }
                StatementKind::Var {
                    name,
                    value: self.assigned("expected '=' after the variable name")?,
                }
            }
            "output" => {
                let name = self.ident("expected an output name after 'output'")?;
                let ty = self.type_text("expected a type after the output name")?;
                StatementKind::Output {
                    name,
                    ty,
                    value: self.assigned("expected '=' after the output type")?,
                }
            }
            "type" => {
                let name = self.ident("expected a type name after 'type'")?;
                self.expect("=", "expected '=' after the type name")?;
                self.skip_nl();
                self.ty()?;
                StatementKind::Type { name }
            }
            "func" => self.func()?,
            "import" | "extension" | "provider" | "using" => {
                self.skip_rest();
                StatementKind::Import {
                    span: self.span_from(t.start),
                }
            }
            "test" | "assert" => {
                self.skip_rest();
                StatementKind::Other
            }
            _ => return Err(self.err_at(&t, DECL_EXPECTED)),
        };
        Ok(Statement {
            span: self.span_from(start),
            decorators,
            kind,
        })
    }

    /// `= expr` (line breaks allowed after `=`).
    fn assigned(&mut self, msg: &str) -> R<Expr> {
        self.expect("=", msg)?;
        self.skip_nl();
        self.expr()
    }

    fn decorators(&mut self) -> R<Vec<Decorator>> {
        let mut decorators = Vec::new();
        while self.is("@") {
            let start = self.bump().start;
            let mut name = self.ident("expected a decorator name after '@'")?.name;
            while self.eat(".") {
                name.push('.');
                name.push_str(&self.ident("expected a decorator name after '.'")?.name);
            }
            let args = self.call_args("expected '(' after the decorator name")?;
            decorators.push(Decorator {
                span: self.span_from(start),
                name,
                args,
            });
            self.skip_nl();
        }
        Ok(decorators)
    }

    /// `resource name 'type' existing? = body` or `module name 'path' = body`; the current
    /// token is the keyword.
    fn resource_or_module(&mut self, is_resource: bool) -> R<StatementKind> {
        let (name, target, existing) = self.decl_header(is_resource)?;
        let body = self.nested(Self::decl_body)?;
        Ok(if is_resource {
            StatementKind::Resource {
                name,
                type_string: target,
                existing,
                body,
            }
        } else {
            StatementKind::Module {
                name,
                path: target,
                body,
            }
        })
    }

    /// Everything of a resource/module declaration up to and including `=`.
    fn decl_header(&mut self, is_resource: bool) -> R<(Ident, Expr, bool)> {
        self.bump();
        let name = self.ident(if is_resource {
            "expected a name after 'resource'"
        } else {
            "expected a name after 'module'"
        })?;
        let target = self.decl_string(if is_resource {
            "expected the resource type string (e.g. 'Microsoft.Storage/storageAccounts@2023-01-01')"
        } else {
            "expected the module path string (e.g. './module.bicep' or 'br/public:…')"
        })?;
        let existing = is_resource && self.is_kw("existing");
        if existing {
            self.bump();
        }
        let what = if is_resource {
            "resource type"
        } else {
            "module path"
        };
        self.expect("=", &format!("expected '=' after the {what}"))?;
        self.skip_nl();
        Ok((name, target, existing))
    }

    fn decl_string(&mut self, msg: &str) -> R<Expr> {
        if matches!(self.peek(), Tok::Str { open: true, .. }) {
            self.string()
        } else {
            Err(self.err(msg))
        }
    }

    fn decl_body(&mut self) -> R<Expr> {
        match self.peek() {
            Tok::Sym("{") => self.object(),
            Tok::Sym("[") => self.array(),
            _ if self.is_kw("if") => self.if_body(),
            _ => Err(self.err("expected '{', '[for …]' or 'if (…)' after '='")),
        }
    }

    fn if_body(&mut self) -> R<Expr> {
        let start = self.bump().start; // 'if'
        self.expect("(", "expected '(' after 'if'")?;
        let cond = self.bracketed(true, Self::expr, ")", "expected ')' after the if condition")?;
        if !self.is("{") {
            return Err(self.err("expected '{' after the if condition"));
        }
        let body = self.object()?;
        Ok(self.node(
            start,
            ExprKind::If {
                cond: boxed(cond),
                body: boxed(body),
            },
        ))
    }

    fn func(&mut self) -> R<StatementKind> {
        let name = self.ident("expected a function name after 'func'")?;
        self.expect("(", "expected '(' after the function name")?;
        let params = self.bracketed(
            true,
            Self::func_params,
            ")",
            "expected ',' or ')' in the parameter list",
        )?;
        self.ty()?;
        self.expect("=>", "expected '=>' after the function return type")?;
        self.skip_nl();
        Ok(StatementKind::Func {
            name,
            params,
            body: self.expr()?,
        })
    }

    fn func_params(&mut self) -> R<Vec<Ident>> {
        self.items(")", |p| {
            let name = p.ident("expected a parameter name")?;
            p.ty().map(|_| name)
        })
    }

    // ---- types (parsed only to be skipped) ---------------------------------------------------

    fn type_text(&mut self, msg: &str) -> R<TypeText> {
        if self.at_line_end() || self.is("=") {
            return Err(self.err(msg));
        }
        let start = self.tok().start;
        self.ty()?;
        let span = self.span_from(start);
        Ok(TypeText {
            text: span.text(self.src).to_string(),
            span,
        })
    }

    fn ty(&mut self) -> R<()> {
        self.nested(Self::ty_union)
    }

    fn ty_union(&mut self) -> R<()> {
        self.eat("|");
        self.ty_single()?;
        while self.cont("|") {
            self.bump();
            self.skip_nl();
            self.ty_single()?;
        }
        Ok(())
    }

    fn ty_single(&mut self) -> R<()> {
        let t = self.bump();
        match t.kind {
            Tok::Ident => match self.src.get(t.start..t.end) {
                Some("resourceInput" | "resourceOutput") if self.eat("<") => {
                    self.decl_string("expected a resource type string after '<'")?;
                    self.expect(">", "expected '>' after the resource type string")?;
                }
                Some("resource") if matches!(self.peek(), Tok::Str { open: true, .. }) => {
                    self.string()?;
                }
                _ => {}
            },
            Tok::Int(_)
            | Tok::Multi(_)
            | Tok::Str {
                open: true,
                close: true,
                ..
            } => {}
            Tok::Sym("-" | "+") if matches!(self.peek(), Tok::Int(_)) => {
                self.bump();
            }
            Tok::Sym("(") => self.bracketed(
                true,
                Self::ty,
                ")",
                "expected ')' to close the parenthesized type",
            )?,
            Tok::Sym("{") => {
                self.bracketed(
                    false,
                    |p| p.items("}", Self::ty_property),
                    "}",
                    "expected a new line or '}'",
                )?;
            }
            Tok::Sym("[") => {
                self.bracketed(
                    false,
                    |p| p.items("]", Self::ty_item),
                    "]",
                    "expected a new line or ']'",
                )?;
            }
            _ => return Err(self.err_at(&t, "expected a type")),
        }
        loop {
            if self.is("[") && matches!(self.peek2(), Tok::Sym("]")) {
                self.bump();
                self.bump();
            } else if self.eat("[") {
                if !(matches!(self.peek(), Tok::Int(_)) || self.is("*")) {
                    return Err(self.err("expected an index or '*' in the type"));
                }
                self.bump();
                self.expect("]", "expected ']' in the type")?;
            } else if self.eat(".") {
                if !self.eat("*") {
                    self.ident("expected a property name after '.' in the type")?;
                }
            } else if !self.eat("?") {
                return Ok(());
            }
        }
    }

    /// `@dec key: type` in an object type.
    fn ty_property(&mut self) -> R<()> {
        self.decorators()?;
        match self.peek() {
            Tok::Ident
            | Tok::Str {
                open: true,
                close: true,
                ..
            }
            | Tok::Multi(_)
            | Tok::Sym("*") => self.bump(),
            _ => return Err(self.err("expected a property name in the object type")),
        };
        self.eat("?");
        self.expect(
            ":",
            "expected ':' after the property name in the object type",
        )?;
        self.ty()
    }

    /// `@dec type` in a tuple type.
    fn ty_item(&mut self) -> R<()> {
        self.decorators()?;
        self.ty()
    }
}
