//! The Bicep syntax tree the parser builds: statements, decorators and expressions, every
//! node with its byte span in the file.

pub(crate) use crate::text::Span;

/// Nesting limit. Every nested expression, bracket pair (`(…)`, `[…]`, `{…}`), string,
/// lambda, type and child resource counts as a level, and so does every operator or accessor in
/// a chain (`a + b + …`, `a.b.c…`), which bounds the height of the syntax tree. Real files stay
/// far below it; at the limit, parsing needs under ~1 MiB of stack in debug builds (much less
/// optimised), so it is safe on 2 MiB threads.
pub(crate) const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParseError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Program {
    pub(crate) statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) span: Span,
    pub(crate) decorators: Vec<Decorator>,
    pub(crate) kind: StatementKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decorator {
    pub(crate) span: Span,
    /// `"secure"`, or with its namespace as written: `"sys.description"`.
    pub(crate) name: String,
    pub(crate) args: Vec<Expr>,
}

#[rustfmt::skip]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StatementKind {
    TargetScope(Expr),
    Metadata { name: Ident, value: Expr },
    /// `param x string = 'a'`, `param x resource 'T@v'`.
    Param { name: Ident, ty: TypeText, default: Option<Expr> },
    Var { name: Ident, value: Expr },
    /// A user-defined type declaration; the type expression is parsed and skipped.
    Type { name: Ident },
    /// `body` is an object, an `If` (`if (…) {…}`) or a `For` (`[for …]`).
    Resource { name: Ident, type_string: Expr, existing: bool, body: Expr },
    Module { name: Ident, path: Expr, body: Expr },
    Output { name: Ident, ty: TypeText, value: Expr },
    /// `import … from '…'`, `extension …`, `provider …`, `using …` (in a .bicep file): skipped.
    Import { span: Span },
    Func { name: Ident, params: Vec<Ident>, body: Expr },
    /// `test …` and `assert …` declarations: recognised and skipped.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ident {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// A type expression exactly as written in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypeText {
    pub(crate) text: String,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub(crate) span: Span,
    pub(crate) kind: ExprKind,
}

impl Expr {
    /// The value of a string literal without interpolation (`'abc'`, `'''abc'''`).
    pub(crate) fn as_str_literal(&self) -> Option<String> {
        match &self.kind {
            ExprKind::MultilineStr(s) => Some(s.clone()),
            ExprKind::Str(parts) => parts.iter().try_fold(String::new(), |mut acc, p| match p {
                StrPart::Lit(s) => {
                    acc.push_str(s);
                    Some(acc)
                }
                StrPart::Expr(_) => None,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrPart {
    /// Literal text with escapes resolved (empty pieces are omitted).
    Lit(String),
    /// An interpolated `${…}` expression.
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Property {
    /// Identifier key, or the value of a quoted key; for an interpolated key, its source text.
    pub(crate) key: String,
    pub(crate) key_span: Span,
    /// Set only for a quoted key with interpolation (`'${name}': …`).
    pub(crate) key_expr: Option<Expr>,
    pub(crate) value: Expr,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ObjectItem {
    Property(Property),
    /// A nested child resource declaration inside a resource body.
    Resource(Statement),
    /// `...expr`; the expression has kind `ExprKind::Spread`.
    Spread(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Not,
    Minus,
    Plus,
}

#[rustfmt::skip]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or, And, Eq, NotEq, EqInsensitive, NotEqInsensitive, Lt, LtEq, Gt, GtEq, Add, Sub, Mul, Div, Mod, Coalesce,
}

#[rustfmt::skip]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    /// `'abc ${x} def'`: literal parts (escapes resolved) and interpolated expressions, in order.
    Str(Vec<StrPart>),
    /// `'''…'''` verbatim, without the line break right after the opening quotes.
    MultilineStr(String),
    Int(i64),
    Bool(bool),
    Null,
    Array(Vec<Expr>),
    Object(Vec<ObjectItem>),
    /// A symbol reference (parameter, variable, resource, module, loop variable, lambda
    /// parameter) or a namespace (`az`, `sys`).
    Ident(String),
    /// `a.b`, `a.?b` (safe).
    Member { target: Box<Expr>, name: String, safe: bool },
    /// `a[i]`, `a[?i]` (safe), `a[^i]` (from_end), `a[?^i]`.
    Index { target: Box<Expr>, index: Box<Expr>, safe: bool, from_end: bool },
    /// `f(x)` (target `None`), `az.resourceGroup()` (target `Ident("az")`), `kv.getSecret('s')`.
    Call { target: Option<Box<Expr>>, name: String, args: Vec<Expr> },
    /// `vnet::subnet`.
    ResourceAccess { target: Box<Expr>, name: String },
    Unary { op: UnaryOp, expr: Box<Expr> },
    Binary { op: BinaryOp, left: Box<Expr>, right: Box<Expr> },
    Ternary { cond: Box<Expr>, then: Box<Expr>, otherwise: Box<Expr> },
    Paren(Box<Expr>),
    /// `[for x in xs: body]`, `[for (x, i) in xs: body]`; `body` may be an `If`.
    For { item: Ident, index: Option<Ident>, iterable: Box<Expr>, body: Box<Expr> },
    /// `if (cond) { … }`: only as a resource/module/for body.
    If { cond: Box<Expr>, body: Box<Expr> },
    /// `x => e`, `(a, b) => e`, `() => e`.
    Lambda { params: Vec<Ident>, body: Box<Expr> },
    /// Postfix non-null assertion `expr!`.
    NonNull(Box<Expr>),
    /// `...expr` as an array item or object entry.
    Spread(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ParamsFile {
    /// `using 'path'`; `None` when absent or for `using none`.
    pub(crate) using: Option<(String, Span)>,
    pub(crate) params: Vec<(Ident, Expr)>,
    pub(crate) vars: Vec<(Ident, Expr)>,
}
