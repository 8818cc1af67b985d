//! What names mean while a Bicep file is evaluated: its parameters (given, or defaults),
//! variables, resources and modules, each evaluated once on first use (a resource symbol is
//! the resource as declared: id, name, type, properties; a module symbol its outputs).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::syntax::{Expr as Ast, ExprKind, ObjectItem, Program, Statement, StatementKind};
use super::translate::{self, Names};
use crate::sources::iac::expr::{self, ExprError, Locals};
use crate::sources::iac::unknown::unknown;
use crate::text::{SourceFile, Span};

/// A declaration of the file, by the name other expressions use for it.
pub(super) enum Decl<'p> {
    /// `param name type = default`, with its decorators (`@allowed`, `@secure`).
    Param(&'p Statement),
    Var(&'p Ast),
    Resource(ResourceDecl<'p>),
    Module(&'p Statement),
}

pub(super) struct ResourceDecl<'p> {
    pub(super) stmt: &'p Statement,
    /// As written: `'Microsoft.Network/networkSecurityGroups@2023-09-01'`, or a child's
    /// short type (`'subnets'`) when declared inside its parent.
    pub(super) type_string: &'p Ast,
    pub(super) existing: bool,
    /// An object, `if (…) {…}` or `[for …]`.
    pub(super) body: &'p Ast,
    /// The symbol of the resource it is declared inside.
    pub(super) parent: Option<String>,
}

/// A module call evaluated: what its symbol stands for, and what it deploys.
#[derive(Default)]
pub(super) struct ModuleRun {
    pub(super) outputs: Value,
    pub(super) resources: Vec<crate::sources::iac::Declared>,
    pub(super) notes: Vec<Note>,
}

/// Something not evaluated, where it is written.
pub(crate) use crate::sources::iac::FileNote as Note;

/// A template error at a span of the file.
pub(super) type Failure = (Span, String);

pub(super) struct Scope<'p> {
    pub(super) file: Arc<SourceFile>,
    pub(super) decls: HashMap<String, Decl<'p>>,
    /// Declaration names in file order (resources and modules are deployed in this order).
    pub(super) order: Vec<String>,
    functions: HashSet<String>,
    pub(super) given: HashMap<String, Value>,
    pub(super) rg: String,
    /// The module calls that lead here, and how deep.
    pub(super) via: Vec<String>,
    pub(super) depth: usize,
    pub(super) cache: RefCell<HashMap<String, Value>>,
    stack: RefCell<Vec<String>>,
    /// Modules evaluated so far, by symbol.
    pub(super) modules: RefCell<HashMap<String, Rc<ModuleRun>>>,
}

impl<'p> Scope<'p> {
    pub(super) fn new(
        file: Arc<SourceFile>,
        program: &'p Program,
        given: HashMap<String, Value>,
        rg: String,
        via: Vec<String>,
        depth: usize,
    ) -> Scope<'p> {
        let mut decls = HashMap::new();
        let mut order = Vec::new();
        let mut functions = HashSet::new();
        for s in &program.statements {
            declare(s, None, &mut decls, &mut order, &mut functions);
            // A `@secure()` parameter's default is a secret whatever its name.
            if let StatementKind::Param {
                default: Some(d), ..
            } = &s.kind
            {
                if s.decorators
                    .iter()
                    .any(|d| d.name == "secure" || d.name == "sys.secure")
                {
                    file.mark_secret(d.span);
                }
            }
        }
        Scope {
            file,
            decls,
            order,
            functions,
            given,
            rg,
            via,
            depth,
            cache: RefCell::default(),
            stack: RefCell::default(),
            modules: RefCell::default(),
        }
    }

    /// The value of a Bicep expression with `locals` bound.
    pub(super) fn value(&self, e: &Ast, locals: &Locals) -> Result<Value, Failure> {
        let names = Names {
            functions: &self.functions,
            locals: locals.iter().map(|(n, _)| n.clone()).collect(),
        };
        let tree = translate::expr(e, &names)?;
        expr::eval_in(&tree, self, locals).map_err(|err| (e.span, err.to_string()))
    }

    /// The value of `e`, recording the span of every value it writes at its JSON pointer
    /// under `path` (literal objects, arrays and loops are walked; anything else is one
    /// value).
    pub(super) fn walk(
        &self,
        e: &Ast,
        path: &str,
        locals: &Locals,
        spans: &mut Vec<(String, Span)>,
    ) -> Result<Value, Failure> {
        spans.push((path.to_string(), e.span));
        match &e.kind {
            ExprKind::Object(items)
                if items.iter().all(|i| !matches!(i, ObjectItem::Spread(_))) =>
            {
                let mut out = Map::new();
                for item in items {
                    if let ObjectItem::Property(p) = item {
                        let key = match &p.key_expr {
                            Some(k) => super::super::expr::text(&self.value(k, locals)?),
                            None => p.key.clone(),
                        };
                        let sub = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                        out.insert(key, self.walk(&p.value, &sub, locals, spans)?);
                    }
                }
                Ok(Value::Object(out))
            }
            ExprKind::Array(items)
                if items.iter().all(|i| !matches!(i.kind, ExprKind::Spread(_))) =>
            {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    out.push(self.walk(item, &format!("{path}/{i}"), locals, spans)?);
                }
                Ok(Value::Array(out))
            }
            ExprKind::For {
                item,
                index,
                iterable,
                body,
            } => {
                let items = match self.value(iterable, locals)? {
                    Value::Array(a) => a,
                    u if crate::sources::iac::unknown::unknown_reason(&u).is_some() => {
                        return Ok(u)
                    }
                    other => return Err((iterable.span, format!("a for loop over {other}"))),
                };
                let mut out = Vec::new();
                for (i, v) in items.into_iter().enumerate() {
                    let mut inner = locals.to_vec();
                    inner.push((item.name.clone(), v));
                    if let Some(ix) = index {
                        inner.push((ix.name.clone(), json!(i)));
                    }
                    let body = match &body.kind {
                        ExprKind::If { cond, body } => match self.value(cond, &inner)? {
                            Value::Bool(true) => body,
                            Value::Bool(false) => continue,
                            u => {
                                return Ok(unknown(format!("a loop condition is not known ({u})")))
                            }
                        },
                        _ => body,
                    };
                    let at = format!("{path}/{}", out.len());
                    out.push(self.walk(body, &at, &inner, spans)?);
                }
                Ok(Value::Array(out))
            }
            _ => self.value(e, locals),
        }
    }

    pub(super) fn guard<T>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, ExprError>,
    ) -> Result<T, ExprError> {
        if self.stack.borrow().iter().any(|s| s == what) {
            let chain = self.stack.borrow().join(" → ");
            return Err(ExprError::Value(format!(
                "{what} refers to itself ({chain} → {what})"
            )));
        }
        if self.stack.borrow().len() > 64 {
            return Err(ExprError::Value(format!(
                "{what}: references nested too deeply"
            )));
        }
        self.stack.borrow_mut().push(what.to_string());
        let r = f();
        self.stack.borrow_mut().pop();
        r
    }
}

/// Registers a statement's declaration (and, for a resource, the child resources declared
/// inside it, as `parent::child` and by their own name).
fn declare<'p>(
    s: &'p Statement,
    parent: Option<&str>,
    decls: &mut HashMap<String, Decl<'p>>,
    order: &mut Vec<String>,
    functions: &mut HashSet<String>,
) {
    let (name, decl) = match &s.kind {
        StatementKind::Param { name, .. } => (name.name.clone(), Decl::Param(s)),
        StatementKind::Var { name, value } => (name.name.clone(), Decl::Var(value)),
        StatementKind::Module { name, .. } => (name.name.clone(), Decl::Module(s)),
        StatementKind::Func { name, .. } => {
            functions.insert(name.name.clone());
            return;
        }
        StatementKind::Resource {
            name,
            type_string,
            existing,
            body,
        } => {
            let symbol = match parent {
                Some(p) => format!("{p}::{}", name.name),
                None => name.name.clone(),
            };
            let object = match &body.kind {
                ExprKind::If { body, .. } => body,
                ExprKind::For { body, .. } => match &body.kind {
                    ExprKind::If { body, .. } => body,
                    _ => body,
                },
                _ => body,
            };
            if let ExprKind::Object(items) = &object.kind {
                for item in items {
                    if let ObjectItem::Resource(child) = item {
                        declare(child, Some(&symbol), decls, order, functions);
                    }
                }
            }
            let decl = ResourceDecl {
                stmt: s,
                type_string,
                existing: *existing,
                body,
                parent: parent.map(str::to_string),
            };
            // Inside its parents a child is also known by the shorter paths (`child`,
            // `parent::child` from a sibling).
            let parts: Vec<&str> = symbol.split("::").collect();
            for k in 1..parts.len() {
                decls
                    .entry(parts[k..].join("::"))
                    .or_insert(Decl::Resource(decl_copy(&decl)));
            }
            (symbol, Decl::Resource(decl))
        }
        _ => return,
    };
    order.push(name.clone());
    decls.insert(name, decl);
}

fn decl_copy<'p>(d: &ResourceDecl<'p>) -> ResourceDecl<'p> {
    ResourceDecl {
        stmt: d.stmt,
        type_string: d.type_string,
        existing: d.existing,
        body: d.body,
        parent: d.parent.clone(),
    }
}
