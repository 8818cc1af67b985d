//! The policy pack: the built-in Rego files embedded in the binary, plus `--policy-dir`
//! files that add rules or override built-in ones (same package replaces the built-in).

use std::collections::BTreeMap;
use std::path::Path;

use regorus::Engine;

use super::discover::rego_files;
use super::meta::Meta;
use crate::error::{Error, Result};

/// (path, source) of every file under `policies/`, embedded by build.rs.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

#[derive(Debug, Clone)]
pub(crate) struct PolicyFile {
    pub(crate) path: String,
    pub(crate) source: String,
    pub(crate) package: String,
    pub(crate) builtin: bool,
}

impl PolicyFile {
    pub(crate) fn is_test(&self) -> bool {
        self.path.ends_with("_test.rego")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) meta: Meta,
    /// `data.<package>`
    pub(crate) path: String,
    pub(crate) file: String,
    pub(crate) has_unknown: bool,
}

pub(crate) struct Pack {
    pub(crate) files: Vec<PolicyFile>,
    pub(crate) rules: Vec<Rule>,
    /// Policies compiled once; cloned per worker.
    pub(crate) engine: Engine,
    /// The bound on one evaluation's wall time (`limit`), for the VM's machines too.
    pub(crate) limit: Option<regorus::utils::limits::ExecutionTimerConfig>,
}

fn package_of(source: &str) -> Option<String> {
    source
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("package "))
        .map(|p| p.trim().to_string())
}

fn builtin_files() -> Vec<PolicyFile> {
    BUILTIN
        .iter()
        .map(|(path, source)| PolicyFile {
            path: path.to_string(),
            source: source.to_string(),
            package: package_of(source).unwrap_or_default(),
            builtin: true,
        })
        .collect()
}

/// Every `.rego` file below `dir`, sorted by path.
pub(crate) fn dir_files(dir: &Path) -> Result<Vec<PolicyFile>> {
    let paths = rego_files(dir).map_err(|cause| Error::Read {
        path: dir.display().to_string(),
        cause,
    })?;
    paths
        .into_iter()
        .map(|p| {
            let path = p.display().to_string();
            let source = crate::text::read::text(&p).map_err(|cause| Error::Read {
                path: path.clone(),
                cause,
            })?;
            let package = package_of(&source).ok_or_else(|| Error::Policy {
                file: path.clone(),
                message: "no `package` declaration".into(),
            })?;
            Ok(PolicyFile {
                path,
                source,
                package,
                builtin: false,
            })
        })
        .collect()
}

impl Pack {
    /// Built-in files, overridden and extended by the files of `dirs`. Test files are
    /// compiled only when `with_tests` (they are not needed to scan).
    pub(crate) fn load(dirs: &[std::path::PathBuf], with_tests: bool) -> Result<Pack> {
        let mut user = Vec::new();
        for d in dirs {
            user.extend(dir_files(d)?);
        }
        let overridden: Vec<&str> = user.iter().map(|f| f.package.as_str()).collect();
        let (replaced, mut files): (Vec<PolicyFile>, Vec<PolicyFile>) = builtin_files()
            .into_iter()
            .partition(|f| overridden.contains(&f.package.as_str()));
        // A replacement of a built-in rule that declares no rule would make it vanish
        // without a word: disabling a rule is `rules.disable`, which the report shows.
        let replaced_rules: Vec<(String, String)> = replaced
            .iter()
            .filter(|f| f.package.starts_with("kensa.rules.") && !f.is_test())
            .filter_map(|b| {
                let by = user
                    .iter()
                    .find(|u| u.package == b.package && !u.is_test())?;
                Some((b.package.clone(), by.path.clone()))
            })
            .collect();
        files.extend(user);
        let pack = Pack::compile(files, with_tests)?;
        for (package, file) in replaced_rules {
            if !pack
                .rules
                .iter()
                .any(|r| r.path == format!("data.{package}"))
            {
                return Err(Error::Policy {
                    file,
                    message: format!(
                        "replaces the built-in rule package `{package}` but declares no rule (`metadata` and `deny`): the built-in rule would silently disappear; to turn a rule off, list its id under `[rules] disable` in kensa.toml"
                    ),
                });
            }
        }
        Ok(pack)
    }

    pub(crate) fn compile(files: Vec<PolicyFile>, with_tests: bool) -> Result<Pack> {
        let mut engine = Engine::new();
        // OPA's semantics: a builtin error (to_number("20-25")) makes the expression
        // undefined instead of failing the whole evaluation.
        engine.set_strict_builtin_errors(false);
        for f in files.iter().filter(|f| with_tests || !f.is_test()) {
            engine
                .add_policy(f.path.clone(), f.source.clone())
                .map_err(|e| Error::Policy {
                    file: f.path.clone(),
                    message: format!("does not compile:\n{e}"),
                })?;
        }
        // The built-in pack is checked by a test; only added files can bring recursion.
        if files.iter().any(|f| !f.builtin) {
            super::recursion::refuse_recursion(&engine)?;
        }
        let mut rules = Vec::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for f in files.iter().filter(|f| !f.is_test()) {
            let declares = |name: &str| {
                engine
                    .has_declared_rule_rooted_at(&f.path, name)
                    .unwrap_or(false)
            };
            let (has_meta, has_deny) = (declares("metadata"), declares("deny"));
            if !has_meta && !has_deny {
                continue; // a library
            }
            if !has_meta || !has_deny {
                return Err(Error::Policy { file: f.path.clone(), message: "a rule declares both `metadata := {…}` and `deny contains …`; this file has only one of them".into() });
            }
            let path = format!("data.{}", f.package);
            let has_unknown = declares("unknown");
            let value =
                engine
                    .eval_rule(format!("{path}.metadata"))
                    .map_err(|e| Error::Policy {
                        file: f.path.clone(),
                        message: format!("evaluating metadata: {e}"),
                    })?;
            let json = serde_json::to_value(&value).map_err(|e| Error::Policy {
                file: f.path.clone(),
                message: format!("metadata: {e}"),
            })?;
            let mut meta: Meta = serde_json::from_value(json).map_err(|e| Error::Policy { file: f.path.clone(), message: format!("metadata is not {{id, title, severity, description, remediation, help, resource_types}}: {e}") })?;
            meta.resource_types = meta
                .resource_types
                .iter()
                .map(|t| t.to_lowercase())
                .collect();
            if meta.id.is_empty() {
                return Err(Error::Policy {
                    file: f.path.clone(),
                    message: "metadata.id is empty".into(),
                });
            }
            if let Some(other) = ids.insert(meta.id.clone(), f.path.clone()) {
                return Err(Error::Policy {
                    file: f.path.clone(),
                    message: format!(
                        "rule id `{}` is already declared by {other}; rule ids are unique",
                        meta.id
                    ),
                });
            }
            rules.push(Rule {
                meta,
                path,
                file: f.path.clone(),
                has_unknown,
            });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        Ok(Pack {
            files,
            rules,
            engine,
            limit: None,
        })
    }

    /// Bounds every evaluation (one resource's rules, one Rego test) to `limit` of wall
    /// time: a policy that loops fails there with its file named instead of hanging the scan.
    pub(crate) fn limit(&mut self, limit: std::time::Duration) {
        let timer = regorus::utils::limits::ExecutionTimerConfig {
            limit,
            check_interval: std::num::NonZeroU32::MIN.saturating_add(999),
        };
        self.limit = Some(timer);
        self.engine.set_execution_timer_config(timer);
    }

    pub(crate) fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    pub(crate) fn ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.meta.id.as_str()).collect()
    }
}
