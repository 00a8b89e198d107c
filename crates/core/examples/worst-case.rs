//! The engine on the worst documents IAM accepts: roles with 10 attached managed policies of
//! 6,144 characters each, 10,240 characters of inline policy and a 4,096-character trust
//! policy, filled with one family of resource patterns each (wildcard buckets, literal buckets,
//! leading wildcards, `?`, Deny-heavy, `NotAction`/`NotResource`), audited one role at a time.
//! Prints one line per family: milliseconds per role (median and worst of `RUNS`), grants of
//! the role's findings, and the document sizes.
//!
//! ```text
//! cargo run --release -p connector-audit-core --example worst-case -- [RUNS] [--dump FAMILY]
//! ```
//!
//! `--dump FAMILY` prints that family's role as a GAAD dump instead (for
//! `connector-audit check --input`). IAM's limits: managed policy 6,144 characters, a role's
//! inline policies 10,240 together, trust policy 2,048 by default (4,096 on request); the
//! sizes count characters without whitespace, as IAM does.

use connector_audit_core::audit::{AuditOptions, audit};
use connector_audit_core::dump::parse_dump;
use connector_audit_core::model::Source;
use serde_json::{Value, json};
use std::time::Instant;

const ACCOUNT: &str = "123456789012";
const MANAGED_LIMIT: usize = 6_144;
const INLINE_LIMIT: usize = 10_240;
const TRUST_LIMIT: usize = 4_096;

/// A statement's shape: effect, action, resource key, and the pattern of item i in document m.
type Shape = (
    &'static str,
    Value,
    &'static str,
    fn(usize, usize) -> String,
);

/// A family: the statements of managed policy `m` (of 10) and of the inline policy, each
/// given a pattern generator that is called until the document is full.
struct Family {
    name: &'static str,
    /// (effect, action, resource key, pattern of item i in document m)
    statement: fn(m: usize) -> Shape,
}

fn wildcard_buckets(m: usize, i: usize) -> String {
    format!("arn:aws:s3:::bkt-{m}-{i}-*/*")
}
fn named_buckets(m: usize, i: usize) -> String {
    format!("arn:aws:s3:::named-{m}-{i}/*")
}
fn leading_wildcards(m: usize, i: usize) -> String {
    format!("arn:aws:s3:::*{m}x{i}*/*")
}
fn question_marks(m: usize, i: usize) -> String {
    format!("arn:aws:s3:::b?{m}?{i}*/?*")
}
fn deny_patterns(m: usize, i: usize) -> String {
    format!("arn:aws:s3:::*-{m}-{i}-*/*")
}
fn everything(_: usize, _: usize) -> String {
    "*".to_string()
}

const FAMILIES: [Family; 6] = [
    Family {
        name: "wildcard-buckets",
        statement: |_| ("Allow", json!("s3:*"), "Resource", wildcard_buckets),
    },
    Family {
        name: "named-buckets",
        statement: |_| ("Allow", json!("s3:*"), "Resource", named_buckets),
    },
    Family {
        name: "leading-wildcards",
        statement: |_| {
            (
                "Allow",
                json!(["s3:*Object*", "s3:List*"]),
                "Resource",
                leading_wildcards,
            )
        },
    },
    Family {
        name: "question-marks",
        statement: |_| ("Allow", json!("s3:*"), "Resource", question_marks),
    },
    Family {
        name: "deny-heavy",
        statement: |m| {
            if m % 2 == 0 {
                ("Allow", json!("s3:*"), "Resource", wildcard_buckets)
            } else {
                (
                    "Deny",
                    json!(["s3:Delete*", "s3:Put*"]),
                    "Resource",
                    deny_patterns,
                )
            }
        },
    },
    Family {
        name: "not-resource",
        statement: |m| {
            if m % 2 == 0 {
                ("Allow", json!("s3:*"), "NotResource", leading_wildcards)
            } else {
                ("Allow", json!("s3:*"), "Resource", everything)
            }
        },
    },
];

/// The value at a JSON pointer, or null.
fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or(&Value::Null)
}

/// IAM's size of a document: its JSON without whitespace.
fn size(doc: &Value) -> usize {
    doc.to_string().len()
}

/// One statement of `effect` and `action` whose `key` lists patterns `pattern(m, 0..)` until
/// the document would pass `limit` characters.
fn full_document(
    limit: usize,
    m: usize,
    effect: &str,
    action: &Value,
    key: &str,
    pattern: fn(usize, usize) -> String,
) -> Value {
    let mut items: Vec<String> = Vec::new();
    let doc = |items: &[String]| json!({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, key: items}]});
    loop {
        items.push(pattern(m, items.len()));
        if size(&doc(&items)) > limit || items.len() > 4_000 {
            items.pop();
            return doc(&items);
        }
        if pattern(m, 0) == pattern(m, 1) {
            // a single pattern (`*`): fill no further
            return doc(&items);
        }
    }
}

/// A trust policy of `limit` characters: vendors' roles under external ids with wildcards.
fn trust(limit: usize) -> Value {
    let mut statements: Vec<Value> = Vec::new();
    let doc = |s: &[Value]| json!({"Version": "2012-10-17", "Statement": s});
    for i in 0.. {
        statements.push(json!({
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{:012}:role/*", 100_000_000_000u64 + i)},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringLike": {"sts:ExternalId": format!("*{i}?*")}}
        }));
        if size(&doc(&statements)) > limit {
            statements.pop();
            break;
        }
    }
    doc(&statements)
}

/// The family's role as a GAAD dump.
fn dump(family: &Family) -> Value {
    let mut policies = Vec::new();
    let mut attached = Vec::new();
    for m in 0..10 {
        let (effect, action, key, pattern) = (family.statement)(m);
        let doc = full_document(MANAGED_LIMIT, m, effect, &action, key, pattern);
        let arn = format!("arn:aws:iam::{ACCOUNT}:policy/worst-{m}");
        attached.push(json!({"PolicyName": format!("worst-{m}"), "PolicyArn": arn}));
        policies.push(json!({
            "PolicyName": format!("worst-{m}"), "Arn": arn, "DefaultVersionId": "v1",
            "AttachmentCount": 1, "IsAttachable": true,
            "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}]
        }));
    }
    let (effect, action, key, pattern) = (family.statement)(10);
    let inline = full_document(INLINE_LIMIT, 10, effect, &action, key, pattern);
    json!({
        "UserDetailList": [], "GroupDetailList": [],
        "RoleDetailList": [{
            "Path": "/", "RoleName": format!("worst-{}", family.name), "RoleId": "AROAWORSTCASE0000001",
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/worst-{}", family.name),
            "AssumeRolePolicyDocument": trust(TRUST_LIMIT),
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": inline}],
            "AttachedManagedPolicies": attached,
            "Tags": [{"Key": "connector", "Value": "worst"}],
            "RoleLastUsed": {}
        }],
        "Policies": policies
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--dump") {
        let name = args.get(i + 1).ok_or("--dump FAMILY")?;
        let family = FAMILIES
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| format!("no family `{name}`"))?;
        println!("{}", serde_json::to_string_pretty(&dump(family))?);
        return Ok(());
    }
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    println!(
        "| family | ms per role (median) | ms (worst) | findings | managed chars (max) | inline chars | trust chars |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for family in &FAMILIES {
        let d = dump(family);
        let text = d.to_string();
        let managed = (0..10)
            .map(|m| {
                size(at(
                    &d,
                    &format!("/Policies/{m}/PolicyVersionList/0/Document"),
                ))
            })
            .max()
            .unwrap_or(0);
        let inline = size(at(&d, "/RoleDetailList/0/RolePolicyList/0/PolicyDocument"));
        let trust = size(at(&d, "/RoleDetailList/0/AssumeRolePolicyDocument"));
        let mut times = Vec::new();
        let mut findings = 0;
        for _ in 0..runs {
            let inventory = parse_dump(&text)?;
            let started = Instant::now();
            let report = audit(
                inventory,
                &AuditOptions::default(),
                Source::File,
                "2026-01-01T00:00:00Z".into(),
            );
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            findings = report.findings.len();
        }
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
        let worst = times.last().copied().unwrap_or(0.0);
        println!(
            "| {} | {median:.1} | {worst:.1} | {findings} | {managed} | {inline} | {trust} |",
            family.name
        );
    }
    Ok(())
}
