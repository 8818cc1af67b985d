//! HCL (Terraform `.tf`, Packer `.pkr.hcl`) read with `hcl-edit`, which keeps spans;
//! `eval` evaluates it, `functions` is the function library both languages share.

mod eval;
mod functions;

use std::collections::HashMap;
use std::sync::Arc;

use hcl_edit::structure::{Block, Body};
use serde_json::Value;

use super::FileError;
use crate::text::{SourceFile, Span};
pub(crate) use eval::{text, Scope};

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

/// The files of one HCL configuration (a Terraform module, a Packer directory), parsed.
pub(crate) type Bodies = Vec<(Arc<SourceFile>, Body)>;

/// Parses every file of a configuration; the first that fails stops it.
pub(crate) fn parse_all(files: &[Arc<SourceFile>]) -> Result<Bodies, (Arc<SourceFile>, FileError)> {
    files
        .iter()
        .map(|f| {
            let body = parse(&f.text).map_err(|e| (Arc::clone(f), e))?;
            mark_sensitive_defaults(&body, f);
            Ok((Arc::clone(f), body))
        })
        .collect()
}

/// The default of a `sensitive = true` variable (Terraform, Packer) is a secret whatever
/// its name.
fn mark_sensitive_defaults(body: &Body, file: &SourceFile) {
    for v in body.get_blocks("variable") {
        let sensitive = v
            .body
            .get_attribute("sensitive")
            .is_some_and(|a| matches!(&a.value, hcl_edit::expr::Expression::Bool(b) if *b.value()));
        if let Some(d) = v.body.get_attribute("default").filter(|_| sensitive) {
            file.mark_secret(span_of(&d.value));
        }
    }
}

/// Input variables: `variable` blocks' defaults, overridden by the values files
/// (`*.tfvars`, `*.auto.pkrvars.hcl`) in order.
pub(crate) fn variables(
    bodies: &Bodies,
    value_files: &[Arc<SourceFile>],
) -> Result<HashMap<String, Value>, (Arc<SourceFile>, FileError)> {
    let none = HashMap::new();
    let bare = Scope::new(&none, &none, &|_| None);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_variable_defaults_are_masked() {
        let text = "variable \"bootstrap\" {\n  sensitive = true\n  default   = \"TfS3cretValue\"\n}\nvariable \"region\" {\n  default = \"westeurope\"\n}\n";
        let file = Arc::new(SourceFile::new("vars.tf".into(), text.into()));
        parse_all(std::slice::from_ref(&file)).expect("parses");
        let shown = file.masked();
        assert!(!shown.text.contains("TfS3cretValue") && shown.text.contains("westeurope"));
    }
    use serde_json::json;

    use crate::sources::iac::unknown::unknown_reason;

    fn eval_body(text: &str, vars: &[(&str, Value)]) -> (Value, Vec<(String, Span)>) {
        let body = parse(text).expect("parses");
        let vars: HashMap<String, Value> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let locals = HashMap::from([("Name".to_string(), json!("WEB"))]);
        let resolve = |p: &[String]| {
            (p.first().map(String::as_str) == Some("azurerm_network_security_group"))
                .then(|| (json!({"id": "/nsg/web", "name": "web"}), 2))
        };
        let scope = Scope::new(&vars, &locals, &resolve);
        let mut spans = Vec::new();
        (scope.body(&body, "", &mut spans), spans)
    }

    #[test]
    fn evaluates_variables_locals_templates_and_references() {
        let (v, spans) = eval_body(
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
            &[("env", json!("prod"))],
        );
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
    fn for_expressions_splats_try_and_dynamic_blocks() {
        let (v, _) = eval_body(
            r#"
ports  = [for k, p in var.rules : p.port if p.open]
byname = { for r in var.list : r.name => r.port }
group  = { for r in var.list : r.kind => r.name... }
names  = var.list[*].name
legacy = var.list.*.name
single = var.single[*]
none   = var.nothing[*]
safe   = try(var.list[5].name, "fallback")
ok     = can(var.list[0].name)
bad    = can(var.list[9])
keys   = keys(var.rules)
dynamic "security_rule" {
  for_each = var.rules
  iterator = r
  content {
    name = r.key
    port = r.value.port
  }
}
dynamic "tag" {
  for_each = ["a", "b"]
  content { v = tag.value }
}
"#,
            &[
                (
                    "rules",
                    json!({"ssh": {"port": 22, "open": true}, "web": {"port": 80, "open": false}}),
                ),
                (
                    "list",
                    json!([{"name": "a", "port": 1, "kind": "x"}, {"name": "b", "port": 2, "kind": "x"}]),
                ),
                ("single", json!(false)),
                ("nothing", Value::Null),
            ],
        );
        assert_eq!(v["ports"], json!([22]));
        assert_eq!(v["byname"], json!({"a": 1, "b": 2}));
        assert_eq!(v["group"], json!({"x": ["a", "b"]}));
        assert_eq!(v["names"], json!(["a", "b"]));
        assert_eq!(v["legacy"], json!(["a", "b"]));
        assert_eq!(v["single"], json!([false]));
        assert_eq!(v["none"], json!([]));
        assert_eq!(v["safe"], "fallback");
        assert_eq!(v["ok"], true);
        assert_eq!(v["bad"], false);
        assert_eq!(v["keys"], json!(["ssh", "web"]));
        assert_eq!(v["security_rule"][0], json!({"name": "ssh", "port": 22}));
        assert_eq!(v["security_rule"][1]["port"], 80);
        assert_eq!(v["tag"], json!([{"v": "a"}, {"v": "b"}]));
    }

    #[test]
    fn unknowns_propagate_and_decided_logic_stays_decided() {
        let (v, _) = eval_body(
            r#"
a = var.u == "x" ? 1 : 2
b = false && var.u
c = [for x in var.u : x]
d = var.u[*].id
e = "${var.u}-x"
dynamic "rule" {
  for_each = var.u
  content { p = 1 }
}
"#,
            &[("u", crate::sources::iac::unknown::unknown("known at apply"))],
        );
        for k in ["a", "c", "d", "e", "rule"] {
            assert!(unknown_reason(&v[k]).is_some(), "{k}: {}", v[k]);
        }
        assert_eq!(v["b"], false);
    }

    #[test]
    fn bad_and_hostile_input() {
        assert!(parse("resource \"x\" {").is_err());
        let deep = format!("x = {}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(&deep).expect_err("too deep");
        assert!(e.message.contains("nested deeper"));
    }
}
