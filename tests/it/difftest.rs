//! The differential test of connector-audit's request evaluator
//! (`connector_audit::policy::request::evaluate`) against an independent IAM simulator,
//! `@cloud-copilot/iam-simulate`, pinned in tests/simulator/package.json. The simulator is
//! AGPL: it runs only here, at test time, as a separate `node` process (`tests/simulator/
//! simulate.mjs`, spawned once per run and fed JSON Lines); nothing of it is linked or shipped.
//!
//! Cases come from a seeded generator (`difftest/cases.rs`): `DIFFTEST_CASES` cases (default
//! 2,000) from `DIFFTEST_SEED` (default fixed); `DIFFTEST_CASE=<index>` runs one case of the
//! run, printed in full. Every decision must equal the simulator's, except the divergences
//! documented in tests/simulator/DIVERGENCES.md, each recognised by a predicate in
//! `difftest/divergences.rs` and counted apart. `make difftest` runs 100,000 cases.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cases;
mod divergences;

pub use cases::is_multi;
use cases::{Case, Family, HOME as HOME_ACCOUNT};
use connector_audit::model::ids::AccountId;
use connector_audit::policy::request::{Evaluation, Policies, Request, evaluate};
use connector_audit::policy::{Decision, Policy};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

const DEFAULT_SEED: u64 = 0x00C0_FFEE_2026_1130;
/// Disagreements printed in full.
const SHOWN: usize = 5;

pub fn simulator_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/simulator")
}

/// Fails (never skips) when node or the pinned simulator is missing.
pub fn check_simulator() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "the differential test needs `node` (20 or newer) on PATH: {node:?}; then run `make simulator`"
    );
    let package = simulator_dir().join("node_modules/@cloud-copilot/iam-simulate/package.json");
    assert!(
        package.exists(),
        "{} is missing: run `make simulator` (npm ci in tests/simulator) before the differential test",
        package.display()
    );
}

/// The case as the simulator's request (see tests/simulator/simulate.mjs).
fn simulator_request(case: &Case) -> Value {
    let context: Map<String, Value> = case
        .context
        .iter()
        .map(|(k, v)| {
            let value = if is_multi(k) { json!(v) } else { json!(v[0]) };
            (k.clone(), value)
        })
        .collect();
    let mut r = json!({
        "id": case.index.to_string(),
        "principal": case.principal,
        "action": case.action,
        "resource": case.resource,
        "resourceAccount": case.resource_account,
        "context": context,
        "identityPolicies": case.identity,
        "resourcePolicy": case.trust,
        "serviceControlPolicies": case.scps,
    });
    if let Some(b) = &case.boundary {
        r["permissionBoundaryPolicies"] = json!([b]);
    }
    r
}

/// connector-audit's decision on the case.
pub fn ours(case: &Case) -> Result<Evaluation, String> {
    let parse = |v: &Value| Policy::from_value(v).map_err(|e| format!("{e} in {v}"));
    let policies = Policies {
        identity: case.identity.iter().map(parse).collect::<Result<_, _>>()?,
        resource: case.trust.as_ref().map(parse).transpose()?,
        boundary: case.boundary.as_ref().map(parse).transpose()?,
        scps: case
            .scps
            .iter()
            .map(|level| level.iter().map(parse).collect::<Result<Vec<_>, _>>())
            .collect::<Result<_, _>>()?,
    };
    let request = Request {
        caller: case.caller.clone(),
        action: case.action.clone(),
        resource: case.resource.clone(),
        resource_account: AccountId::parse(&case.resource_account).map_err(|e| e.to_string())?,
        context: case.context.clone(),
    };
    Ok(evaluate(&request, &policies))
}

fn decision_of(result: &str) -> Option<Decision> {
    match result {
        "Allowed" => Some(Decision::Allowed),
        "ExplicitlyDenied" => Some(Decision::ExplicitDeny),
        "ImplicitlyDenied" => Some(Decision::ImplicitDeny),
        _ => None,
    }
}

/// The simulator, started once for the run: a thread generates the cases and writes their
/// requests to it, while the caller takes each case with the simulator's answer, in order
/// (only a bounded window of the run is ever held in memory).
struct Simulator {
    child: std::process::Child,
    answers: std::io::Lines<BufReader<std::process::ChildStdout>>,
    cases: std::sync::mpsc::Receiver<Case>,
    writer: std::thread::JoinHandle<()>,
}

impl Simulator {
    fn start(seed: u64, indices: Vec<u64>) -> Simulator {
        let dir = simulator_dir();
        let mut child = Command::new("node")
            .arg("simulate.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start node in {}: {e}; run `make simulator`",
                    dir.display()
                )
            });
        let stdin = child.stdin.take().unwrap();
        let answers = BufReader::new(child.stdout.take().unwrap()).lines();
        let (sender, cases) = std::sync::mpsc::sync_channel::<Case>(4096);
        // the simulator answers while it reads, and pipes are small: write from a thread
        let writer = std::thread::spawn(move || {
            let mut out = std::io::BufWriter::new(stdin);
            for i in indices {
                let case = cases::case(seed, i);
                let line = simulator_request(&case).to_string();
                out.write_all(line.as_bytes()).unwrap();
                out.write_all(b"\n").unwrap();
                if sender.send(case).is_err() {
                    break;
                }
            }
            out.flush().unwrap();
        });
        Simulator {
            child,
            answers,
            cases,
            writer,
        }
    }

    /// The next case, and the simulator's answer to it.
    fn next(&mut self) -> (Case, Value) {
        let case = self.cases.recv().expect("the case generator stopped");
        let line = self
            .answers
            .next()
            .expect("the simulator stopped answering")
            .unwrap();
        let answer = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        (case, answer)
    }

    fn finish(mut self) {
        assert!(
            self.answers.next().is_none(),
            "the simulator answered more requests than it was sent"
        );
        self.writer.join().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "simulate.mjs exited with {status}");
    }
}

/// Features of the generated policies, counted over the run: the generator must reach each.
const FEATURES: &[(&str, &str)] = &[
    ("NotPrincipal", "\"NotPrincipal\""),
    ("NotAction", "\"NotAction\""),
    ("NotResource", "\"NotResource\""),
    ("Deny", "\"Deny\""),
    ("IfExists", "IfExists\""),
    ("Null", "\"Null\""),
    ("ForAnyValue", "\"ForAnyValue:"),
    ("ForAllValues", "\"ForAllValues:"),
    ("negated operator", "Not"),
    ("StringLike", "StringLike"),
    ("StringEqualsIgnoreCase", "IgnoreCase"),
    ("BinaryEquals", "BinaryEquals"),
    ("Numeric", "\"Numeric"),
    ("Date", "\"Date"),
    ("IpAddress", "IpAddress\""),
    ("Bool", "\"Bool"),
    ("Arn", "\"Arn"),
    ("policy variable", "${"),
    ("`?` wildcard", "?"),
    ("Principal *", "\"Principal\":\"*\""),
    ("AWS *", "\"AWS\":\"*\""),
    ("Service principal", "\"Service\""),
    ("Federated principal", "\"Federated\""),
    ("Version 2008-10-17", "2008-10-17"),
];

/// Features of the case itself (not of its documents' text), counted likewise.
fn case_features(case: &Case) -> Vec<&'static str> {
    let mut out = Vec::new();
    if case.boundary.is_some() {
        out.push("permissions boundary");
    }
    if !case.scps.is_empty() {
        out.push("SCP levels");
    }
    if case.scps.len() > 1 {
        out.push("several SCP levels");
    }
    if case.resource_account != HOME_ACCOUNT {
        out.push("resource in another account");
    }
    match &case.caller {
        connector_audit::policy::principal::Caller::Aws { arn, account } => {
            out.push(if arn.contains(":assumed-role/") {
                "role session caller"
            } else if arn.contains(":user/") {
                "IAM user caller"
            } else {
                "IAM role caller"
            });
            if account != &case.resource_account {
                out.push("cross-account caller");
            }
        }
        connector_audit::policy::principal::Caller::Service(_) => out.push("service caller"),
        connector_audit::policy::principal::Caller::Federated(_) => out.push("federated caller"),
    }
    out
}

const CASE_FEATURES: &[&str] = &[
    "permissions boundary",
    "SCP levels",
    "several SCP levels",
    "resource in another account",
    "role session caller",
    "IAM user caller",
    "IAM role caller",
    "cross-account caller",
    "service caller",
    "federated caller",
];

fn documents(case: &Case) -> String {
    let mut text = String::new();
    for d in case
        .identity
        .iter()
        .chain(case.trust.iter())
        .chain(case.boundary.iter())
        .chain(case.scps.iter().flatten())
    {
        text.push_str(&d.to_string());
    }
    text
}

fn show(case: &Case, ours: &Result<Evaluation, String>, sim: &Value) -> String {
    format!(
        "case {} ({:?})\nrequest and policies (as sent to the simulator):\n{}\nconnector-audit: {:?}\nsimulator: {}\nexplain: {}\n",
        case.index,
        case.family,
        serde_json::to_string_pretty(&simulator_request(case)).unwrap(),
        ours,
        sim.get("result")
            .or(sim.get("error"))
            .unwrap_or(&Value::Null),
        serde_json::to_string_pretty(
            sim.get("explain")
                .or(sim.get("details"))
                .unwrap_or(&Value::Null)
        )
        .unwrap(),
    )
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        let v = v.trim();
        let parsed = match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse(),
        };
        parsed.unwrap_or_else(|e| panic!("{name}={v}: {e}"))
    })
}

fn count_of(only: &Option<u64>, count: u64) -> usize {
    if only.is_some() { 1 } else { count as usize }
}

#[test]
fn evaluator_agrees_with_the_independent_simulator() {
    check_simulator();
    let seed = env_u64("DIFFTEST_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("DIFFTEST_CASES").unwrap_or(2_000);
    let only = env_u64("DIFFTEST_CASE");
    let indices: Vec<u64> = match only {
        Some(i) => vec![i],
        None => (0..count).collect(),
    };
    let started = Instant::now();
    let mut simulator = Simulator::start(seed, indices.clone());

    let known = divergences::all();
    let documented_text = std::fs::read_to_string(simulator_dir().join("DIVERGENCES.md"))
        .expect("tests/simulator/DIVERGENCES.md");
    for d in &known {
        assert!(
            documented_text.contains(&format!("## `{}`", d.id)),
            "divergence `{}` has a predicate but no section `## `{}`` in DIVERGENCES.md",
            d.id,
            d.id
        );
    }

    let mut agree = 0usize;
    let mut documented: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut failure_count = 0usize;
    let mut sim_decisions: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_family: BTreeMap<(Family, String), usize> = BTreeMap::new();
    let mut features: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..indices.len() {
        let (case, answer) = simulator.next();
        let (case, answer) = (&case, &answer);
        let evaluation = ours(case);
        if only.is_some() {
            println!("{}", show(case, &evaluation, answer));
        }
        let text = documents(case);
        for (name, needle) in FEATURES {
            if text.contains(needle) {
                *features.entry(name).or_default() += 1;
            }
        }
        for name in case_features(case) {
            *features.entry(name).or_default() += 1;
        }
        let mut fail = |why: &str| {
            failure_count += 1;
            if failures.len() < SHOWN {
                failures.push(format!("{why}\n{}", show(case, &evaluation, answer)));
            }
        };
        if answer.get("id") != Some(&Value::String(case.index.to_string())) {
            fail("answer out of order");
            continue;
        }
        let Some(sim) = answer
            .get("result")
            .and_then(Value::as_str)
            .and_then(decision_of)
        else {
            fail("the simulator refused the request (a generator bug)");
            continue;
        };
        let explain = answer.get("explain").cloned().unwrap_or(Value::Null);
        if let Some(ignored) = explain.get("ignoredContextKeys") {
            fail(&format!(
                "the simulator ignored context keys {ignored} (a generator bug)"
            ));
            continue;
        }
        let e = match &evaluation {
            Ok(e) => e,
            Err(_) => {
                fail("connector-audit could not parse a generated policy");
                continue;
            }
        };
        if !e.undecided.is_empty() {
            fail("the engine left statements undecided on a concrete request (an engine bug)");
            continue;
        }
        *sim_decisions.entry(format!("{sim:?}")).or_default() += 1;
        *by_family
            .entry((case.family, format!("{sim:?}")))
            .or_default() += 1;
        if e.decision == sim {
            agree += 1;
            continue;
        }
        match divergences::explain(&known, case, sim) {
            Some(ids) => *documented.entry(ids).or_default() += 1,
            None => fail("DISAGREEMENT"),
        }
    }

    simulator.finish();
    let total = count_of(&only, count);
    let documented_total: usize = documented.values().sum();
    println!(
        "difftest: {total} cases, seed {seed:#x}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("  simulator decisions: {sim_decisions:?}");
    println!(
        "  agreement: {agree}; documented divergences: {documented_total} {documented:?}; disagreements: {failure_count}"
    );
    for ((family, decision), n) in &by_family {
        println!("    {family:?} {decision}: {n}");
    }
    println!("  cases with: {features:?}");
    if !failures.is_empty() {
        panic!(
            "{failure_count} of {total} cases disagree with the simulator outside DIVERGENCES.md (first {} below)\n\n{}",
            failures.len(),
            failures.join("\n----------------------------------------\n")
        );
    }
    if only.is_none() && total >= 2_000 {
        for name in FEATURES.iter().map(|(n, _)| n).chain(CASE_FEATURES) {
            assert!(
                features.contains_key(name),
                "the generator produced no case with {name}: {features:?}"
            );
        }
        let allowed = sim_decisions.get("Allowed").copied().unwrap_or(0);
        assert!(
            allowed * 5 >= total,
            "only {allowed} of {total} cases are allowed: the generator lost its aim"
        );
    }
}
