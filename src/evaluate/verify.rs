//! `kensa policy test`: runs the Rego unit tests (`test_*` rules in `*_test.rego` files) of
//! the built-in pack and of `--policy-dir` directories. `cargo test` runs the same runner.

use regorus::Value;

use super::config::Config;
use super::Pack;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(crate) struct TestResult {
    pub(crate) file: String,
    pub(crate) name: String,
    /// None when the test passed; otherwise what happened.
    pub(crate) failure: Option<String>,
}

/// The instant policy tests see as `data.kensa.now` unless they override it.
pub(crate) const TEST_NOW: &str = "2026-01-01T00:00:00Z";

/// Test rule names declared in a Rego source: `test_…` heads at the start of a line.
fn test_names(source: &str) -> Vec<String> {
    let mut names: Vec<String> = source
        .lines()
        .filter(|l| l.starts_with("test_"))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    names.dedup();
    names
}

/// Runs the tests of the files `select` picks; default parameters are in `data.kensa`.
pub(crate) fn run(
    pack: &Pack,
    select: impl Fn(&super::pack::PolicyFile) -> bool,
) -> Result<Vec<TestResult>> {
    let mut engine = pack.engine.clone();
    let params = Config::default().params_json();
    let data = serde_json::json!({"kensa": {"params": params, "now": TEST_NOW}});
    engine
        .add_data(Value::from_json_str(&data.to_string()).map_err(|e| Error::Usage(e.to_string()))?)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let mut results = Vec::new();
    for f in pack.files.iter().filter(|f| f.is_test() && select(f)) {
        for name in test_names(&f.source) {
            let failure = match engine.eval_rule(format!("data.{}.{name}", f.package)) {
                Ok(Value::Bool(true)) => None,
                Ok(Value::Undefined) => Some("undefined (a condition did not hold)".to_string()),
                Ok(v) => Some(format!("evaluated to {v}")),
                Err(e) => Some(format!("error: {e}")),
            };
            results.push(TestResult {
                file: f.path.clone(),
                name,
                failure,
            });
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::pack::PolicyFile;

    fn file(path: &str, source: &str) -> PolicyFile {
        PolicyFile {
            path: path.into(),
            source: source.into(),
            package: source
                .lines()
                .next()
                .unwrap()
                .trim_start_matches("package ")
                .into(),
            builtin: false,
        }
    }

    #[test]
    fn failing_and_erroring_tests_are_reported() {
        let files = vec![file(
            "t_test.rego",
            "package t_test\nimport rego.v1\n\ntest_ok if 1 == 1\n\ntest_bad if 1 == 2\n\ntest_params if data.kensa.params.patch.max_pending_days == 14\n",
        )];
        let pack = Pack::compile(files, true).unwrap();
        let results = run(&pack, |_| true).unwrap();
        let outcome: Vec<(&str, bool)> = results
            .iter()
            .map(|r| (r.name.as_str(), r.failure.is_none()))
            .collect();
        assert_eq!(
            outcome,
            vec![
                ("test_ok", true),
                ("test_bad", false),
                ("test_params", true)
            ]
        );
    }
}
