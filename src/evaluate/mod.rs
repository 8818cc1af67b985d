//! Stage 3: evaluate every applicable rule on every resource. The policies are compiled once;
//! each worker thread clones the prepared engine (a few Arc clones) and evaluates its share.

pub mod pack;
pub mod policy_test;

use std::collections::HashMap;

use rayon::prelude::*;
use regorus::Value;

use crate::error::{Error, Result};
use crate::inventory::Inventory;
pub use pack::{Meta, Pack, Rule};

/// One object a rule's `deny` produced, not yet shaped into a finding.
pub struct RawFinding {
    pub rule: usize,
    pub resource: usize,
    pub value: serde_json::Value,
}

/// Something a rule could not decide (its `unknown` set).
pub struct Undecided {
    pub rule: usize,
    pub resource: usize,
    pub reason: String,
}

#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<RawFinding>,
    pub undecided: Vec<Undecided>,
    /// Resources at least one rule applied to.
    pub resources_evaluated: usize,
    /// (rule, resource) evaluations.
    pub evaluations: usize,
}

pub struct Evaluator<'p> {
    pack: &'p Pack,
    engine: regorus::Engine,
    /// Indices of the enabled rules, by the lower-cased type they apply to (`*` = any).
    by_type: HashMap<String, Vec<usize>>,
}

impl<'p> Evaluator<'p> {
    /// `params` becomes `data.kensa.params`, `now` (RFC 3339) `data.kensa.now`.
    pub fn new(pack: &'p Pack, params: serde_json::Value, now: &str, enabled: impl Fn(&str) -> bool) -> Result<Evaluator<'p>> {
        let mut engine = pack.engine.clone();
        let data = serde_json::json!({"kensa": {"params": params, "now": now}});
        let value = Value::from_json_str(&data.to_string()).map_err(|e| Error::Usage(format!("parameters: {e}")))?;
        engine.add_data(value).map_err(|e| Error::Usage(format!("parameters: {e}")))?;
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in pack.rules.iter().enumerate().filter(|(_, r)| enabled(&r.meta.id)) {
            for t in &rule.meta.resource_types {
                by_type.entry(t.clone()).or_default().push(i);
            }
        }
        Ok(Evaluator { pack, engine, by_type })
    }

    fn rules_for(&self, kind: &str) -> impl Iterator<Item = usize> + '_ {
        let exact = self.by_type.get(kind).into_iter().flatten();
        let any = self.by_type.get("*").into_iter().flatten();
        exact.chain(any).copied()
    }

    pub fn run(&self, inv: &Inventory) -> Result<Outcome> {
        let subjects: Vec<usize> = (0..inv.resources.len()).filter(|i| self.rules_for(&inv.resources[*i].kind).next().is_some()).collect();
        let parts: Vec<Outcome> = subjects
            .par_iter()
            .map_init(|| self.engine.clone(), |engine, &i| self.evaluate_one(engine, inv, i))
            .collect::<Result<_>>()?;
        let mut all = Outcome { resources_evaluated: subjects.len(), ..Outcome::default() };
        for p in parts {
            all.findings.extend(p.findings);
            all.undecided.extend(p.undecided);
            all.evaluations += p.evaluations;
        }
        Ok(all)
    }

    fn evaluate_one(&self, engine: &mut regorus::Engine, inv: &Inventory, i: usize) -> Result<Outcome> {
        let resource = &inv.resources[i];
        let input = Value::from_json_str(&inv.input_json(i)).map_err(|e| Error::input(&resource.id, format!("cannot be handed to the policies: {e}")))?;
        engine.set_input(input);
        let mut out = Outcome::default();
        for r in self.rules_for(&resource.kind) {
            let rule = &self.pack.rules[r];
            let fail = |e: String| Error::Policy { file: rule.file.clone(), message: format!("rule {} failed on {}: {e}", rule.meta.id, resource.id) };
            out.evaluations += 1;
            let deny = engine.eval_rule(format!("{}.deny", rule.path)).map_err(|e| fail(e.to_string()))?;
            for v in set_items(&deny) {
                out.findings.push(RawFinding { rule: r, resource: i, value: serde_json::to_value(v).map_err(|e| fail(e.to_string()))? });
            }
            if rule.has_unknown {
                let unknown = engine.eval_rule(format!("{}.unknown", rule.path)).map_err(|e| fail(e.to_string()))?;
                for v in set_items(&unknown) {
                    let reason = v.as_string().map(|s| s.to_string()).unwrap_or_else(|_| v.to_string());
                    out.undecided.push(Undecided { rule: r, resource: i, reason });
                }
            }
        }
        Ok(out)
    }
}

/// Members of a partial set rule's value (empty when undefined).
fn set_items(v: &Value) -> Vec<&Value> {
    if let Ok(s) = v.as_set() {
        return s.iter().collect();
    }
    v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}
