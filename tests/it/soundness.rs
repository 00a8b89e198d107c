//! Soundness, case by case, against the independent simulator (`@cloud-copilot/iam-simulate`,
//! test-time only, `make simulator`): on every fixture account (the seed vendors' demo account,
//! the semantics, parties and guardrails accounts),
//! - every trust and S3 finding carries a witness request, and the simulator allows it: the
//!   way in or the access the finding claims is real;
//! - for every role without a trust finding, the adversary's candidate requests are refused:
//!   another AWS account assuming it without an external id, another identity of each web
//!   identity provider it trusts (the pinned audience, a subject of its own); for every role
//!   without an S3 finding, a session of the role reading a bucket no policy names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::difftest::{check_simulator, simulator_dir};
use connector_audit::audit::{AuditOptions, Evidence, audit_with};
use connector_audit::dump::parse_dump;
use connector_audit::model::{Guardrails, Report, RoleSnapshot, Source};
use connector_audit::policy::decode::decode_document;
use connector_audit::policy::witness::FRESH;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Rules whose findings claim a way in or an access, and so carry a witness.
const WITNESSED: &[&str] = &[
    "trust-any-principal",
    "trust-confused-deputy",
    "trust-missing-external-id",
    "trust-unknown-account",
    "trust-unscoped-federation",
    "trust-vendor-mismatch",
    "trust-weak-external-id",
    "s3-wildcard-bucket",
    "s3-bucket-admin",
    "s3-unused-delete",
    "permissions-admin",
];

const ADVERSARY: &str = "arn:aws:iam::000000000000:role/connector-audit-adversary";

/// Multivalued context keys (the simulator takes arrays for them only).
fn is_multi(key: &str) -> bool {
    super::difftest::is_multi(key)
}

fn doc(text: &str) -> Value {
    serde_json::from_str(&decode_document(text).unwrap()).unwrap()
}

fn allow_all() -> Value {
    json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
}

/// The simulator's answers to `requests`, in order (one node process for all).
fn simulate(requests: &[Value]) -> Vec<Value> {
    check_simulator();
    let mut child = Command::new("node")
        .arg("simulate.mjs")
        .current_dir(simulator_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let lines: Vec<String> = requests.iter().map(Value::to_string).collect();
    let writer = std::thread::spawn(move || {
        for l in lines {
            stdin.write_all(l.as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
        }
    });
    let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(answers.len(), requests.len());
    answers
}

fn context(map: &serde_json::Map<String, Value>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| {
                let values = v.as_array().unwrap();
                let v = if is_multi(k) {
                    v.clone()
                } else {
                    values[0].clone()
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

/// Organization levels as the simulator takes them; AWS's `RCPFullAWSAccess` is left out
/// (the simulator adds it to every level itself, and refuses it as a customer RCP).
fn levels(levels: &[connector_audit::model::GuardrailLevel]) -> Value {
    levels
        .iter()
        .map(|l| {
            json!({"orgIdentifier": l.target,
                "policies": l.policies.iter()
                    .filter(|p| !p.name.starts_with("RCPFullAWSAccess"))
                    .map(|p| json!({"name": p.name, "policy": doc(&p.document)}))
                    .collect::<Vec<_>>()})
        })
        .collect()
}

/// A web identity provider named without an ARN (`accounts.google.com`) has no account for the
/// simulator, which then asks for an identity-based policy that such a caller cannot have
/// (tests/simulator/DIVERGENCES.md, `federated-provider-without-arn`): the request carries an
/// allow-all one, so that the trust policy alone decides, as in AWS.
fn no_arn_provider(r: &mut Value) {
    let p = r["principal"].as_str().unwrap_or_default();
    if r["action"] == "sts:AssumeRoleWithWebIdentity" && !p.starts_with("arn:") {
        r["identityPolicies"] = json!([allow_all()]);
    }
}

/// The simulator's request for a witness of `role`'s finding.
fn witness_request(
    id: String,
    role: &RoleSnapshot,
    w: &Value,
    guardrails: Option<&Guardrails>,
) -> Value {
    let action = w["action"].as_str().unwrap();
    let principal = w["principal"].as_str().unwrap();
    let mut r = json!({
        "id": id,
        "principal": principal,
        "action": action,
        "resource": w["resource"],
        "resourceAccount": role.account_id(),
        "context": context(w["context"].as_object().unwrap()),
    });
    if action.to_ascii_lowercase().starts_with("sts:assumerole") {
        r["resourcePolicy"] = doc(&role.trust);
        if principal.starts_with("arn:aws:iam::") || principal.starts_with("arn:aws:sts::") {
            r["identityPolicies"] = json!([allow_all()]);
        }
        if let Some(g) = guardrails {
            r["resourceControlPolicies"] = levels(&g.rcps);
        }
        no_arn_provider(&mut r);
    } else {
        r["identityPolicies"] = role
            .inline
            .iter()
            .chain(&role.managed)
            .map(|d| doc(&d.document))
            .collect();
        if let Some(b) = &role.boundary {
            r["permissionBoundaryPolicies"] = json!([doc(&b.document)]);
        }
        if let Some(g) = guardrails {
            r["serviceControlPolicies"] = levels(&g.scps);
        }
    }
    r
}

/// The adversary's candidate requests against a role with no trust finding: another AWS
/// account without an external id, another identity of each web identity provider.
fn trust_candidates(role: &RoleSnapshot, guardrails: Option<&Guardrails>) -> Vec<(String, Value)> {
    let trust = doc(&role.trust);
    let mut out = Vec::new();
    let mut base = json!({
        "resource": role.arn,
        "resourceAccount": role.account_id(),
        "resourcePolicy": trust,
    });
    if let Some(g) = guardrails {
        base["resourceControlPolicies"] = levels(&g.rcps);
    }
    let mut foreign = base.clone();
    foreign["principal"] = json!(ADVERSARY);
    foreign["action"] = json!("sts:AssumeRole");
    foreign["identityPolicies"] = json!([allow_all()]);
    foreign["context"] = json!({"aws:PrincipalArn": ADVERSARY, "aws:PrincipalAccount": "000000000000",
        "aws:PrincipalIsAWSService": "false"});
    out.push(("another AWS account".to_string(), foreign));
    // every web identity provider the trust names: its pinned audience, a subject of ours
    let statements = match &trust["Statement"] {
        Value::Array(a) => a.clone(),
        s => vec![s.clone()],
    };
    for s in &statements {
        let Some(federated) = s["Principal"].get("Federated") else {
            continue;
        };
        let providers = match federated {
            Value::Array(a) => a.clone(),
            p => vec![p.clone()],
        };
        for p in providers {
            let p = p.as_str().unwrap();
            if p.contains(":saml-provider/") {
                continue;
            }
            let issuer = p.split(":oidc-provider/").nth(1).unwrap_or(p);
            // the provider's claims as the trust pins them, then the identity changed: its
            // subject where the trust pins one, else its audience (a Cognito identity pool)
            let mut ctx = serde_json::Map::new();
            for (_, keys) in s["Condition"].as_object().into_iter().flatten() {
                for (k, v) in keys.as_object().unwrap() {
                    if k.to_ascii_lowercase()
                        .starts_with(&issuer.to_ascii_lowercase())
                    {
                        let v = match v {
                            Value::Array(a) => a[0].clone(),
                            v => v.clone(),
                        };
                        ctx.insert(k.clone(), v);
                    }
                }
            }
            let claim = |c: &str| {
                ctx.keys()
                    .find(|k| k.to_ascii_lowercase().ends_with(c))
                    .cloned()
            };
            let changed = claim(":sub")
                .or_else(|| claim(":aud"))
                .unwrap_or(format!("{issuer}:sub"));
            ctx.insert(
                changed.clone(),
                json!(format!("system:serviceaccount:{FRESH}:{FRESH}")),
            );
            let mut r = base.clone();
            r["principal"] = json!(p);
            r["action"] = json!("sts:AssumeRoleWithWebIdentity");
            r["context"] = Value::Object(ctx);
            no_arn_provider(&mut r);
            out.push((format!("another identity of `{p}` (`{changed}`)"), r));
        }
    }
    out
}

/// A session of the role reading a bucket that no policy names.
fn access_candidate(role: &RoleSnapshot, guardrails: Option<&Guardrails>) -> Value {
    let mut r = json!({
        "principal": role.arn,
        "action": "s3:GetObject",
        "resource": format!("arn:aws:s3:::{FRESH}/{FRESH}"),
        "resourceAccount": role.account_id(),
        "context": {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account_id(),
            "aws:PrincipalIsAWSService": "false"},
        "identityPolicies": role.inline.iter().chain(&role.managed).map(|d| doc(&d.document)).collect::<Vec<_>>(),
    });
    if let Some(b) = &role.boundary {
        r["permissionBoundaryPolicies"] = json!([doc(&b.document)]);
    }
    if let Some(g) = guardrails {
        r["serviceControlPolicies"] = levels(&g.scps);
    }
    r
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn every_witness_is_allowed_and_every_clean_role_refuses_the_adversary() {
    let guardrails: Guardrails = serde_json::from_str(&fixture("guardrails.json")).unwrap();
    let accounts: [(&str, Option<&Guardrails>); 5] = [
        ("demo-account.json", None),
        ("semantics-account.json", None),
        ("parties-account.json", None),
        ("guardrails-account.json", None),
        ("guardrails-account.json", Some(&guardrails)),
    ];
    let mut requests = Vec::new();
    // (what, expected Allowed)
    let mut expect: Vec<(String, bool)> = Vec::new();
    let mut witnesses = 0;
    for (file, g) in accounts {
        let inventory = parse_dump(&fixture(file)).unwrap();
        let roles = inventory.roles.clone();
        let report: Report = audit_with(
            inventory,
            &AuditOptions::default(),
            Source::File,
            "2026-11-30T00:00:00Z".into(),
            Evidence {
                guardrails: g.cloned(),
                ..Evidence::default()
            },
        );
        let role = |name: &str| roles.iter().find(|r| r.name == name).unwrap();
        for f in &report.findings {
            if !WITNESSED.contains(&f.rule.as_str()) {
                continue;
            }
            let Some(w) = f.evidence.get("witness") else {
                panic!(
                    "{file}: {} on `{}` has no witness: {}",
                    f.rule, f.role_name, f.evidence
                );
            };
            let what = format!(
                "{file}: the witness of {} on `{}`: {w}",
                f.rule, f.role_name
            );
            requests.push(witness_request(
                requests.len().to_string(),
                role(&f.role_name),
                w,
                g,
            ));
            expect.push((what, true));
            witnesses += 1;
        }
        for entry in &report.roles {
            let r = role(&entry.role_name);
            let has = |prefix: &str| {
                report
                    .findings
                    .iter()
                    .any(|f| f.role_name == entry.role_name && f.rule.starts_with(prefix))
            };
            if !has("trust-") && !has("policy-unparseable") {
                for (what, mut req) in trust_candidates(r, g) {
                    req["id"] = json!(requests.len().to_string());
                    requests.push(req);
                    expect.push((format!("{file}: `{}` admits {what}", r.name), false));
                }
            }
            if !has("s3-") && !has("permissions-") && !has("policy-unparseable") {
                let mut req = access_candidate(r, g);
                req["id"] = json!(requests.len().to_string());
                requests.push(req);
                expect.push((
                    format!("{file}: `{}` reads a bucket no policy names", r.name),
                    false,
                ));
            }
        }
    }
    assert!(witnesses >= 20, "only {witnesses} witnesses");
    let answers = simulate(&requests);
    let wrong: Vec<String> = answers
        .iter()
        .zip(&expect)
        .zip(&requests)
        .filter(|((a, (_, allowed)), _)| (a["result"] == "Allowed") != *allowed)
        .map(|((a, (what, allowed)), req)| {
            format!(
                "{what}\n  expected {}, the simulator says {}\n  request: {req}\n  explain: {}",
                if *allowed { "Allowed" } else { "a refusal" },
                a.get("result").unwrap_or(&a["error"]),
                a["explain"]
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} requests disagree:\n{}",
        wrong.len(),
        requests.len(),
        wrong.join("\n")
    );
    eprintln!(
        "soundness: {witnesses} witnesses allowed, {} adversary requests refused",
        requests.len() - witnesses
    );
}

/// The fixes keep what the connector is declared to need: for every role with a corrected
/// S3 document (placeholders filled), each request of its declared access (`connector-access`;
/// without the tag, reading and listing) on each of its buckets (`connector-buckets`, else the
/// filled `<BUCKET>`) that the simulator allows under the role's documents is still allowed
/// under the corrected ones.
#[test]
fn fixes_keep_the_declared_access() {
    use connector_audit::fix::fill;
    use connector_audit::model::{Access, PolicyRef};
    let mut requests = Vec::new();
    let mut what = Vec::new();
    for file in [
        "demo-account.json",
        "semantics-account.json",
        "parties-account.json",
        "guardrails-account.json",
    ] {
        let inventory = parse_dump(&fixture(file)).unwrap();
        let roles = inventory.roles.clone();
        let report = audit_with(
            inventory,
            &AuditOptions::default(),
            Source::File,
            "2026-11-30T00:00:00Z".into(),
            Evidence::default(),
        );
        for role in &roles {
            let values = std::collections::BTreeMap::from([(
                "<BUCKET>".to_string(),
                "acme-connector-data".to_string(),
            )]);
            let fixed: std::collections::BTreeMap<String, Value> = report
                .findings
                .iter()
                .filter(|f| f.role_arn == role.arn)
                .filter_map(|f| f.fix.as_ref())
                .filter(|x| !matches!(x.policy, PolicyRef::Trust))
                .map(|x| (x.policy.to_string(), fill(&x.document, &values)))
                .collect();
            if fixed.is_empty() {
                continue;
            }
            let named = |d: &connector_audit::model::NamedDocument, managed: bool| {
                let key = if managed {
                    PolicyRef::Managed(d.name.clone())
                } else {
                    PolicyRef::Inline(d.name.clone())
                }
                .to_string();
                fixed.get(&key).cloned().unwrap_or_else(|| doc(&d.document))
            };
            let corrected: Vec<Value> = role
                .inline
                .iter()
                .map(|d| named(d, false))
                .chain(role.managed.iter().map(|d| named(d, true)))
                .collect();
            let original: Vec<Value> = role
                .inline
                .iter()
                .chain(&role.managed)
                .map(|d| doc(&d.document))
                .collect();
            let access = role.tags.get(Access::TAG).and_then(|v| Access::parse(v));
            let actions: &[&str] = match access {
                None | Some(Access::Read) => &["s3:GetObject", "s3:ListBucket"],
                Some(Access::Write | Access::Append) => &["s3:PutObject", "s3:ListBucket"],
                Some(Access::ReadWrite) => &["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                Some(Access::Full) => &[
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:ListBucket",
                ],
            };
            let buckets: Vec<String> = role
                .tags
                .get("connector-buckets")
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .filter(|b: &Vec<String>| !b.is_empty())
                .unwrap_or_else(|| vec!["acme-connector-data".to_string()]);
            for bucket in &buckets {
                for action in actions {
                    let resource = if *action == "s3:ListBucket" {
                        format!("arn:aws:s3:::{bucket}")
                    } else {
                        format!("arn:aws:s3:::{bucket}/exports/part-0001.parquet")
                    };
                    for (which, policies) in [("original", &original), ("corrected", &corrected)] {
                        let mut r = json!({
                            "id": requests.len().to_string(),
                            "principal": role.arn,
                            "action": action,
                            "resource": resource,
                            "resourceAccount": role.account_id(),
                            "context": {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account_id(),
                                "aws:PrincipalIsAWSService": "false", "aws:SecureTransport": "true"},
                            "identityPolicies": policies,
                        });
                        if let Some(b) = &role.boundary {
                            r["permissionBoundaryPolicies"] = json!([doc(&b.document)]);
                        }
                        requests.push(r);
                        what.push(format!(
                            "{file}: `{}` {action} on {bucket} ({which})",
                            role.name
                        ));
                    }
                }
            }
        }
    }
    assert!(requests.len() >= 8, "{}", requests.len());
    let answers = simulate(&requests);
    let mut kept = 0;
    for pair in answers.chunks(2).zip(what.chunks(2)) {
        let ([before, after], [_, label]) = pair else {
            panic!("answers come in pairs");
        };
        if before["result"] == "Allowed" {
            kept += 1;
            assert_eq!(after["result"], "Allowed", "{label}: the fix takes it away");
        }
    }
    assert!(
        kept >= 4,
        "only {kept} declared requests were allowed before the fixes"
    );
}
