//! Stage 3: evaluate every applicable rule on every resource. The policies are compiled once;
//! each worker thread clones the prepared engine (a few Arc clones) and evaluates its share.

pub(crate) mod config;
pub(crate) mod decode;
pub(crate) mod discover;
#[cfg(test)]
mod fuzz_ports;
pub(crate) mod meta;
pub(crate) mod pack;
mod recursion;
pub(crate) mod verify;
mod vm;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use regorus::Value;

use crate::error::{Error, Result};
use crate::inventory::parsed::Parsed;
use crate::inventory::related::Facts;
use crate::inventory::Inventory;
use crate::sources::Origin;
pub(crate) use decode::{RuleFailure, Undecided, Violation};
pub(crate) use meta::{Meta, Severity};
pub(crate) use pack::{Pack, Rule};

/// Where the rules run (see `vm`); `--evaluator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Runner {
    /// The VM from 1,000 resources on (compiling for it takes about 0.1 s)
    Auto,
    /// The built-in pack compiled for regorus' virtual machine: twice as fast, held to the
    /// interpreter's findings by tests (a pack with added or replaced files runs in the
    /// interpreter)
    Vm,
    /// Every rule in regorus' interpreter: the reference
    Interpreter,
}

/// Compiling the pack for the VM takes about 0.1 s; the VM saves about 0.35 ms of CPU per
/// resource evaluated (2,000-VM estate: 2.2 s instead of 5.1 s for 8,040 resources), so it
/// pays from a few hundred resources: counted with a margin.
const VM_FROM: usize = 1_000;

/// Snapshot bytes from which a scan compiles for the VM while reading them: `VM_FROM` rows
/// of 1 KB (Resource Graph rows are 0.8-28 KB, 1.9 KB on average in the benchmark estate).
const VM_FROM_BYTES: u64 = VM_FROM as u64 * 1024;

/// The pack compiled for the VM, or why it stays in the interpreter (`Evaluator::compile`).
pub(crate) struct Compiled(Result<vm::Vm, String>);

/// What evaluating every applicable rule on every resource gave.
#[derive(Default)]
pub(crate) struct Evaluation {
    pub(crate) violations: Vec<Violation>,
    pub(crate) undecided: Vec<Undecided>,
    /// Rules that failed on a resource (a runtime error, a broken contract).
    pub(crate) failures: Vec<RuleFailure>,
    /// Resources at least one rule applied to.
    pub(crate) resources_evaluated: usize,
    /// Each of them (inventory index) with the rules that ran on it (pack indexes, shared
    /// by every resource of a type).
    pub(crate) judged: Vec<(usize, Arc<[usize]>)>,
    /// (rule, resource) evaluations.
    pub(crate) evaluations: usize,
    /// Why the rules ran in the interpreter although `--evaluator vm` asked for the VM.
    pub(crate) vm_refused: Option<String>,
}

/// Evaluations (by all workers) between two releases of the snapshot's pages (see
/// `Inventory::release_pages`): a few MB of rows are read in between.
const RELEASE_EVERY: usize = 1024;

/// Resources evaluated as one unit of parallel work, at most.
const PART: usize = 256;

/// What one worker evaluates with: cloning the engine copies the interpreter's tables, and
/// a machine copies the program, so each serves many parts.
struct Worker {
    engine: regorus::Engine,
    machine: Option<regorus::rvm::RegoVM>,
    parsed: Parsed,
    /// The facts of the `SHARED` resources this worker evaluated in its current part, by
    /// inventory index (see `Evaluator::schedule`).
    facts: Facts,
}

/// The rules for one resource type, gathered by a generated `kensa.run` rule.
struct Plan {
    /// `data.kensa.run.t<n>`: `{"deny": {id: set}, "unknown": {id: set}}`, and `"facts"`
    /// when `shares`.
    path: String,
    /// Pack indexes of the rules it gathers.
    rules: Arc<[usize]>,
    /// Whether the inputs of related resources carry what it works out (`SHARED`).
    shares: bool,
}

/// A type whose resources' evaluation works out facts that related resources read again,
/// and the rule holding them: an NSG's internet rules, which every machine behind it would
/// otherwise work out again (`lib/nsg.rego`). They reach the machines' inputs as
/// `input.facts` (`Inventory::input`).
const SHARED: (&str, &str) = (
    "microsoft.network/networksecuritygroups",
    "data.kensa.lib.nsg.input_rules",
);

/// Values that depend on the configuration alone, each worked out once per scan by the rule
/// at its path and handed to the VM's evaluations as `data.kensa.scan.<name>`: the approved
/// gallery patterns' segments (`lib/image.rego`), which every machine's image rules would
/// otherwise work out again (4% of the VM's instructions on the bench estate). In the
/// interpreter the rules work them out where they need them. Worked out from the configured
/// parameters: a rule must not read them under `with data.kensa.params…`.
const SCAN_FACTS: &[(&str, &str)] = &[("star_segments", "data.kensa.lib.image.pattern_segments")];

pub(crate) struct Evaluator<'p> {
    pack: &'p Pack,
    /// The pack plus a generated `kensa.run` package with one rule per resource type that
    /// gathers every applicable rule's `deny` and `unknown`: one evaluation per resource,
    /// so library rules shared by several rules are computed once.
    engine: regorus::Engine,
    plans: Vec<Plan>,
    /// Lower-cased resource type (or `*`) → its plan.
    by_type: HashMap<String, usize>,
    /// Where the rules run; the generated `kensa.run` module and the data it reads, for
    /// the VM.
    runner: Runner,
    run_module: String,
    data: Value,
}

impl<'p> Evaluator<'p> {
    /// `params` becomes `data.kensa.params`, `now` (RFC 3339) `data.kensa.now`.
    pub(crate) fn new(
        pack: &'p Pack,
        runner: Runner,
        params: serde_json::Value,
        now: &str,
        enabled: impl Fn(&str) -> bool,
    ) -> Result<Evaluator<'p>> {
        let mut engine = pack.engine.clone();
        let data = serde_json::json!({"kensa": {"params": params, "now": now}});
        let data = Value::from_json_str(&data.to_string())
            .map_err(|e| Error::Usage(format!("parameters: {e}")))?;
        engine
            .add_data(data.clone())
            .map_err(|e| Error::Usage(format!("parameters: {e}")))?;
        let mut rules_by_type: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in pack
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| enabled(&r.meta.id))
        {
            for t in &rule.meta.resource_types {
                rules_by_type.entry(t.clone()).or_default().push(i);
            }
        }
        // A rule for `*` applies to every type: fold it into each, and keep `*` for the rest.
        let any = rules_by_type.get("*").cloned().unwrap_or_default();
        for (t, rules) in rules_by_type.iter_mut() {
            if t != "*" {
                rules.extend(&any);
            }
        }
        // The facts are null when the pack does not define them, never undefined (which
        // would make the whole plan's result undefined); `v == v` fails an undefined `v` in
        // the VM too, where `x := <undefined>` binds.
        let mut module = format!(
            "package kensa.run\n\nimport rego.v1\n\nprepared := true\n\n\
             facts := v if {{\n\tv := {}\n\tv == v\n}} else := null\n",
            SHARED.1
        );
        let mut plans = Vec::new();
        let mut by_type = HashMap::new();
        let mut types: Vec<_> = rules_by_type.into_iter().collect();
        types.sort();
        for (n, (kind, rules)) in types.into_iter().enumerate() {
            let gather = |part: &str, with: fn(&Rule) -> bool| {
                rules
                    .iter()
                    .map(|r| &pack.rules[*r])
                    .filter(|r| with(r))
                    .map(|r| format!("{:?}: {}.{part}", r.meta.id, r.path))
                    .collect::<Vec<_>>()
                    // One per line: regorus rejects lines over 1024 columns.
                    .join(",\n\t")
            };
            let shares = kind == SHARED.0;
            module.push_str(&format!(
                "\n# {kind}\nt{n} := {{\"deny\": {{{}}}, \"unknown\": {{{}}}{}}}\n",
                gather("deny", |_| true),
                gather("unknown", |r| r.has_unknown),
                if shares { ", \"facts\": facts" } else { "" },
            ));
            by_type.insert(kind, plans.len());
            plans.push(Plan {
                path: format!("data.kensa.run.t{n}"),
                rules: rules.into(),
                shares,
            });
        }
        engine
            .add_policy("<kensa.run>".into(), module.clone())
            .map_err(generated)?;
        // regorus analyses the modules on the first evaluation of an engine; doing it here,
        // once, means every worker's clone starts prepared (it was a quarter of a small scan).
        engine.set_input(Value::new_object());
        engine
            .eval_rule("data.kensa.run.prepared".into())
            .map_err(generated)?;
        Ok(Evaluator {
            pack,
            engine,
            plans,
            by_type,
            runner,
            run_module: module,
            data,
        })
    }

    fn plan(&self, kind: &str) -> Option<usize> {
        self.by_type
            .get(kind)
            .or_else(|| self.by_type.get("*"))
            .copied()
    }

    /// Whether a scan of snapshots of `bytes` in all should compile the pack for the VM
    /// while it reads them (`compile`), before it knows how many resources they hold: one
    /// core is idle during the read's first pass over the text, which takes longer than
    /// compiling. A small file would not use the VM.
    pub(crate) fn compiles_early(&self, bytes: u64) -> bool {
        self.uses_vm(bytes >= VM_FROM_BYTES)
    }

    /// Whether the rules run in the VM, for a scan that `Auto` finds `large` enough.
    fn uses_vm(&self, large: bool) -> bool {
        match self.runner {
            Runner::Interpreter => false,
            Runner::Auto => large,
            Runner::Vm => true,
        }
    }

    /// The pack compiled for the VM (or why it stays in the interpreter).
    pub(crate) fn compile(&self) -> Compiled {
        let paths: Vec<&str> = self.plans.iter().map(|p| p.path.as_str()).collect();
        Compiled(vm::Vm::compile(
            self.pack,
            &self.run_module,
            &paths,
            &self.with_scan_facts(),
        ))
    }

    /// `data` with the `SCAN_FACTS` the pack defines as `data.kensa.scan`. A fact that JSON
    /// cannot carry as it is (a set: the VM's data crosses as JSON text) is left out, and
    /// the rules work it out themselves.
    fn with_scan_facts(&self) -> Value {
        let key = Value::from("kensa");
        let kensa = self.data.as_object().ok().and_then(|d| d.get(&key));
        let Some(kensa) = kensa.and_then(|k| k.as_object().ok()) else {
            return self.data.clone();
        };
        let mut engine = self.engine.clone();
        let facts: BTreeMap<Value, Value> = SCAN_FACTS
            .iter()
            .filter_map(|(name, path)| {
                let value = engine.eval_rule((*path).into()).ok()?;
                let text = value.to_json_str().ok()?;
                (value != Value::Undefined && Value::from_json_str(&text).ok()? == value)
                    .then(|| (Value::from(*name), value))
            })
            .collect();
        if facts.is_empty() {
            return self.data.clone();
        }
        let mut kensa: BTreeMap<Value, Value> =
            kensa.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        kensa.insert(Value::from("scan"), Value::from(facts));
        Value::from(BTreeMap::from([(key, Value::from(kensa))]))
    }

    /// Every applicable rule on every resource; `progress` counts the resources done. The
    /// VM's program is `compiled` here when it was not before (and not used when the
    /// interpreter is the one to run).
    pub(crate) fn run(
        &self,
        inv: &Inventory,
        progress: &indicatif::ProgressBar,
        compiled: Option<Compiled>,
    ) -> Evaluation {
        let subjects: Vec<(usize, usize)> = (0..inv.resources.len())
            .filter_map(|i| Some((i, self.plan(&inv.resources[i].kind)?)))
            .collect();
        progress.set_length(subjects.len() as u64);
        let vm = self
            .uses_vm(subjects.len() >= VM_FROM)
            .then(|| compiled.unwrap_or_else(|| self.compile()).0);
        // Asked for and refused: said (with `auto` the interpreter is simply the fallback).
        let vm_refused = match (&vm, self.runner) {
            (Some(Err(why)), Runner::Vm) => Some(why.clone()),
            _ => None,
        };
        let vm = vm.and_then(Result::ok);
        // Small parts, so that both threads finish together whatever the order of the
        // resources (an estate sorted by type had one thread evaluating the last VMs alone
        // for 3 s). A worker's engine, machine and parsed fragments serve every part of one
        // rayon job (16 workers for the 20k estate's 314 parts, 32 when sorted by type).
        // A small scan still gets a few parts per thread.
        let part = subjects
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .clamp(1, PART);
        let done = AtomicUsize::new(0);
        let parts: Vec<Evaluation> = self
            .schedule(inv, &subjects)
            .par_chunks(part)
            .map_init(
                || Worker {
                    engine: self.engine.clone(),
                    machine: vm.as_ref().and_then(|vm| vm.machine(self.pack.limit)),
                    parsed: Parsed::default(),
                    facts: Facts::new(),
                },
                |w, part| {
                    let mut out = Evaluation::default();
                    w.facts.clear();
                    for &(i, p) in part {
                        self.evaluate_one(w, &self.plans[p], inv, i, &mut out);
                    }
                    let before = done.fetch_add(part.len(), Ordering::Relaxed);
                    if (before + part.len()) / RELEASE_EVERY > before / RELEASE_EVERY {
                        inv.release_pages();
                    }
                    progress.inc(part.len() as u64);
                    out
                },
            )
            .collect();
        let judged = subjects
            .iter()
            .map(|&(i, p)| (i, Arc::clone(&self.plans[p].rules)))
            .collect();
        let mut all = Evaluation {
            resources_evaluated: subjects.len(),
            judged,
            vm_refused,
            ..Evaluation::default()
        };
        for p in parts {
            all.violations.extend(p.violations);
            all.undecided.extend(p.undecided);
            all.failures.extend(p.failures);
            all.evaluations += p.evaluations;
        }
        all
    }

    /// The order in which the subjects are evaluated: a resource whose facts others read
    /// (`SHARED`) just before the first resource that reads them, wherever it lies, so that
    /// the worker evaluating that one holds them (`Worker::facts`; a reader in another part
    /// works them out itself). The rest keep their order; the report does not depend on it.
    fn schedule(&self, inv: &Inventory, subjects: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let shared: HashMap<usize, usize> = subjects
            .iter()
            .filter(|(_, p)| self.plans[*p].shares)
            .copied()
            .collect();
        if shared.is_empty() {
            return subjects.to_vec();
        }
        // What each subject reads of them (nothing, for those themselves).
        let reads: Vec<Vec<usize>> = subjects
            .iter()
            .map(|(i, _)| match shared.contains_key(i) {
                true => Vec::new(),
                false => inv
                    .shared_with(*i)
                    .into_iter()
                    .filter(|d| shared.contains_key(d))
                    .collect(),
            })
            .collect();
        let read: HashSet<usize> = reads.iter().flatten().copied().collect();
        let mut placed = HashSet::new();
        let mut order = Vec::with_capacity(subjects.len());
        for (&(i, p), reads) in subjects.iter().zip(&reads) {
            for &d in reads {
                if placed.insert(d) {
                    order.push((d, shared[&d]));
                }
            }
            // One that is read goes just before its first reader instead.
            if !read.contains(&i) {
                order.push((i, p));
            }
        }
        order
    }

    fn evaluate_one(
        &self,
        Worker {
            engine,
            machine,
            parsed,
            facts,
        }: &mut Worker,
        Plan {
            path,
            rules,
            shares,
        }: &Plan,
        inv: &Inventory,
        i: usize,
        out: &mut Evaluation,
    ) {
        let resource = &inv.resources[i];
        out.evaluations += rules.len();
        let input = match inv.input(i, parsed, facts) {
            Ok(v) => v,
            Err(why) => {
                // Not one rule's fault: every rule applicable to it is undecided, at the
                // resource's own place.
                let place = match &resource.origin {
                    Origin::Snapshot { file, row, line } => format!("{file}:{line} (row {row})"),
                    Origin::File { file, line, column } => format!("{file}:{line}:{column}"),
                };
                for &r in rules.iter() {
                    out.failures.push(RuleFailure::new(
                        &self.pack.rules[r],
                        resource,
                        format!("the resource at {place} cannot be handed to the policies: {why}"),
                    ));
                }
                return;
            }
        };
        // The VM first when there is one; what it fails on, the interpreter evaluates again.
        let in_vm = machine.as_mut().and_then(|vm| {
            vm.set_input(input.clone());
            vm.execute_entry_point_by_name(path).ok()
        });
        let result = match in_vm {
            Some(result) => Ok(result),
            None => {
                engine.set_input(input);
                engine.eval_rule(path.clone())
            }
        };
        match result {
            Ok(result) => {
                let shared = &result["facts"];
                if *shares && !matches!(shared, Value::Null | Value::Undefined) {
                    facts.insert(i, shared.clone());
                }
                for &r in rules.iter() {
                    let id = Value::from(self.pack.rules[r].meta.id.as_str());
                    let (deny, unknown) = (&result["deny"][&id], &result["unknown"][&id]);
                    self.decode(r, (i, resource), deny, unknown, out);
                }
            }
            // One rule's runtime error must not cost the others their verdicts: evaluate
            // each rule alone to find the one(s) that fail.
            Err(_) => {
                for &r in rules.iter() {
                    let rule = &self.pack.rules[r];
                    let deny = engine.eval_rule(format!("{}.deny", rule.path));
                    let unknown = match rule.has_unknown {
                        true => engine.eval_rule(format!("{}.unknown", rule.path)),
                        false => Ok(Value::Undefined),
                    };
                    match (deny, unknown) {
                        (Ok(d), Ok(u)) => self.decode(r, (i, resource), &d, &u, out),
                        (Err(e), _) | (_, Err(e)) => {
                            out.failures
                                .push(RuleFailure::new(rule, resource, e.to_string()))
                        }
                    }
                }
            }
        }
    }

    /// A rule's `deny` and `unknown` sets on one resource, decoded into `out`; a member
    /// that breaks the contract fails that rule on that resource.
    fn decode(
        &self,
        r: usize,
        (i, resource): (usize, &crate::sources::Resource),
        deny: &Value,
        unknown: &Value,
        out: &mut Evaluation,
    ) {
        let rule = &self.pack.rules[r];
        let mut violations = Vec::new();
        for v in set_items(deny) {
            let decoded = serde_json::to_value(v)
                .map_err(|e| format!("a `deny` member is not JSON: {e}"))
                .and_then(|value| {
                    Violation::decode((r, rule), (i, resource), &value).map_err(|e| e.to_string())
                });
            match decoded {
                Ok(v) => violations.push(v),
                Err(message) => {
                    out.failures.push(RuleFailure::new(rule, resource, message));
                    return;
                }
            }
        }
        out.violations.extend(violations);
        for v in set_items(unknown) {
            let value = serde_json::to_value(v).unwrap_or_default();
            out.undecided
                .push(Undecided::decode(rule, resource, &value));
        }
    }
}

/// An error in the generated `kensa.run` package.
fn generated(e: impl std::fmt::Display) -> Error {
    Error::Policy {
        file: "<generated kensa.run>".into(),
        message: e.to_string(),
    }
}

/// Members of a partial set rule's value (empty when undefined).
fn set_items(v: &Value) -> Vec<&Value> {
    if let Ok(s) = v.as_set() {
        return s.iter().collect();
    }
    v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{snapshot, Estate};
    use crate::text::read::Text;

    /// Two VMs behind one NSG (their NICs'), and an NSG behind which no VM is, in the order
    /// given.
    fn inventory(order: &[usize]) -> Inventory {
        let p = "/subscriptions/s/resourceGroups/rg/providers";
        let nsg = format!("{p}/Microsoft.Network/networkSecurityGroups/nsg");
        let vm = |n: usize| {
            serde_json::json!({"id": format!("{p}/Microsoft.Compute/virtualMachines/vm{n}"),
                "type": "Microsoft.Compute/virtualMachines", "name": format!("vm{n}"),
                "properties": {"networkProfile": {"networkInterfaces": [
                    {"id": format!("{p}/Microsoft.Network/networkInterfaces/nic{n}")}]}}})
        };
        let nic = |n: usize| {
            serde_json::json!({"id": format!("{p}/Microsoft.Network/networkInterfaces/nic{n}"),
                "type": "Microsoft.Network/networkInterfaces", "name": format!("nic{n}"),
                "properties": {"networkSecurityGroup": {"id": nsg}, "ipConfigurations": []}})
        };
        let rows = [
            vm(1),
            nic(1),
            vm(2),
            nic(2),
            serde_json::json!({"id": nsg, "type": "Microsoft.Network/networkSecurityGroups",
                "name": "nsg", "properties": {"securityRules": []}}),
            serde_json::json!({"id": format!("{nsg}-other"),
                "type": "Microsoft.Network/networkSecurityGroups",
                "name": "other", "properties": {"securityRules": []}}),
        ];
        let rows: Vec<_> = order.iter().map(|i| rows[*i].clone()).collect();
        let mut estate = Estate::default();
        let text = serde_json::Value::from(rows).to_string();
        snapshot::load_text("t.json", Text::Owned(text), &mut estate).unwrap();
        Inventory::build(estate).unwrap()
    }

    /// The names of the subjects in the order they are evaluated.
    fn scheduled(order: &[usize]) -> Vec<String> {
        let pack = Pack::load(&[], false).unwrap();
        let evaluator = Evaluator::new(
            &pack,
            Runner::Vm,
            serde_json::json!({}),
            "2026-11-20T06:00:00Z",
            |_| true,
        )
        .unwrap();
        let inv = inventory(order);
        let subjects: Vec<_> = (0..inv.resources.len())
            .filter_map(|i| Some((i, evaluator.plan(&inv.resources[i].kind)?)))
            .collect();
        evaluator
            .schedule(&inv, &subjects)
            .iter()
            .map(|(i, _)| inv.resources[*i].name.clone())
            .collect()
    }

    #[test]
    fn configuration_facts_reach_the_vm_as_the_rules_work_them_out() {
        let pack = Pack::load(&[], false).unwrap();
        let galleries = [
            "/subscriptions/*/resourceGroups/RG/providers/Microsoft.Compute/galleries/g",
            "/x/[ab]",
        ];
        let params = serde_json::json!({"image": {"approved_galleries": galleries}});
        let evaluator =
            Evaluator::new(&pack, Runner::Vm, params, "2026-11-20T06:00:00Z", |_| true).unwrap();
        let data = evaluator.with_scan_facts();
        let facts = &data["kensa"]["scan"]["star_segments"];
        let worked_out = evaluator
            .engine
            .clone()
            .eval_rule("data.kensa.lib.image.pattern_segments".into())
            .unwrap();
        assert_eq!(facts, &worked_out);
        // The pattern with glob syntax is left to glob.match.
        assert_eq!(facts.as_object().map(|o| o.len()).ok(), Some(1));
        assert_eq!(data["kensa"]["params"], evaluator.data["kensa"]["params"]);
        assert_eq!(data["kensa"]["now"], evaluator.data["kensa"]["now"]);
    }

    #[test]
    fn the_pack_compiles_early_only_for_snapshots_large_enough_for_the_vm() {
        let pack = Pack::load(&[], false).unwrap();
        let make = |runner| {
            Evaluator::new(
                &pack,
                runner,
                serde_json::json!({}),
                "2026-11-20T06:00:00Z",
                |_| true,
            )
            .unwrap()
        };
        assert!(!make(Runner::Auto).compiles_early(VM_FROM_BYTES - 1));
        assert!(make(Runner::Auto).compiles_early(VM_FROM_BYTES));
        assert!(make(Runner::Vm).compiles_early(0));
        assert!(!make(Runner::Interpreter).compiles_early(u64::MAX));
        // Compiled before the estate is read, the program judges as one compiled after.
        let evaluator = make(Runner::Vm);
        let inv = inventory(&[0, 1, 2, 3, 4, 5]);
        let hidden = indicatif::ProgressBar::hidden();
        let early = evaluator.run(&inv, &hidden, Some(evaluator.compile()));
        let late = evaluator.run(&inv, &hidden, None);
        assert!(early.evaluations > 0 && early.vm_refused.is_none());
        assert_eq!(
            format!(
                "{:?}",
                (&early.violations, &early.undecided, &early.failures)
            ),
            format!("{:?}", (&late.violations, &late.undecided, &late.failures))
        );
    }

    #[test]
    fn an_nsg_is_evaluated_once_just_before_the_first_machine_behind_it() {
        // Rows: 0 vm1, 1 nic1, 2 vm2, 3 nic2, 4 nsg, 5 other; NICs are not evaluated.
        let cases: [(&[usize], [&str; 4]); 4] = [
            (&[0, 1, 2, 3, 4, 5], ["nsg", "vm1", "vm2", "other"]),
            (&[4, 5, 0, 1, 2, 3], ["other", "nsg", "vm1", "vm2"]),
            (&[5, 0, 1, 4, 2, 3], ["other", "nsg", "vm1", "vm2"]),
            (&[2, 3, 4, 0, 1, 5], ["nsg", "vm2", "vm1", "other"]),
        ];
        for (order, expected) in cases {
            assert_eq!(scheduled(order), expected, "rows {order:?}");
        }
    }
}
