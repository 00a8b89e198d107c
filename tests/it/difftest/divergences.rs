//! The documented divergences (tests/simulator/DIVERGENCES.md), each as the simulator's
//! reading of one point: the shape of the cases it concerns, and a counterfactual that reads
//! the case that way (a rewrite of the case before connector-audit evaluates it, or of the
//! decision after). A disagreement is documented when the counterfactuals of the divergences
//! present in the case (one, or else all of them together) reproduce the simulator's answer
//! exactly; anything else is a failure.

use super::cases::{Case, HOME};
use super::ours;
use connector_audit::policy::Decision;
use connector_audit::policy::Policy;
use connector_audit::policy::principal::Caller;
use connector_audit::policy::request::{Policies, Request, evaluate};
use serde_json::{Value, json};

pub struct Divergence {
    /// The section heading in DIVERGENCES.md.
    pub id: &'static str,
    /// Does the case have the shape this divergence is about?
    pub shape: fn(&Case) -> bool,
    /// The simulator's reading, applied to the case before connector-audit evaluates it ...
    pub rewrite: fn(&mut Case),
    /// ... and to connector-audit's decision afterwards.
    pub after: fn(&Case, Decision) -> Decision,
}

pub fn all() -> Vec<Divergence> {
    vec![
        Divergence {
            id: "scp-on-non-iam-caller",
            shape: |c| !matches!(c.caller, Caller::Aws { .. }) && !c.scps.is_empty(),
            rewrite: |_| {},
            after: scps_applied,
        },
        Divergence {
            id: "federated-provider-without-arn",
            shape: |c| matches!(&c.caller, Caller::Federated(p) if !p.starts_with("arn:") && !p.ends_with("amazonaws.com")),
            rewrite: |_| {},
            // no account: a cross-account request, which needs an identity policy it has not
            after: |_, d| worst(d, Decision::ImplicitDeny),
        },
        Divergence {
            id: "date-epoch-against-iso",
            shape: has_date_conditions,
            rewrite: dates_as_the_simulator_reads_them,
            after: |_, d| d,
        },
        Divergence {
            id: "variables-outside-2012-10-17",
            shape: |c| {
                let mut found = false;
                let mut c = c.clone();
                rewrite_policies(&mut c, &mut |doc| {
                    found |= doc.get("Version").and_then(Value::as_str) != Some("2012-10-17")
                        && doc.to_string().contains("${");
                });
                found
            },
            rewrite: |c| {
                rewrite_policies(c, &mut |doc| {
                    if let Value::Object(o) = doc {
                        o.insert("Version".into(), json!("2012-10-17"));
                    }
                })
            },
            after: |_, d| d,
        },
        Divergence {
            id: "for-any-value-if-exists-on-absent-key",
            shape: |c| {
                documents_text(c)
                    .to_ascii_lowercase()
                    .contains("foranyvalue:")
                    && documents_text(c).contains("IfExists\"")
            },
            rewrite: |c| {
                rewrite_policies(c, &mut |doc| {
                    rename_operators(doc, &mut |op| {
                        let lower = op.to_ascii_lowercase();
                        (lower.starts_with("foranyvalue:") && lower.ends_with("ifexists"))
                            .then(|| op[..op.len() - "IfExists".len()].to_string())
                    })
                })
            },
            after: |_, d| d,
        },
        Divergence {
            id: "not-ip-address-bare-address-other-family",
            shape: |c| {
                let mut c = c.clone();
                let mut found = false;
                bare_addresses_of_the_other_family(&mut c, &mut |_| found = true);
                found
            },
            // the simulator finds the request's address "in" a bare address of the other
            // family: as if the value were every address of the request's family
            rewrite: |c| {
                bare_addresses_of_the_other_family(c, &mut |v| {
                    *v = if v.contains(':') { "0.0.0.0/0" } else { "::/0" }.into();
                })
            },
            after: |_, d| d,
        },
        Divergence {
            id: "arn-condition-variable-before-the-resource-part",
            shape: |c| {
                let mut c = c.clone();
                let mut found = false;
                arn_values_with_early_variables(&mut c, &mut |_| found = true);
                found
            },
            // the simulator cuts the ARN at the colon inside `${aws:...}`: a value that
            // matches no ARN
            rewrite: |c| {
                arn_values_with_early_variables(c, &mut |v| {
                    *v = "arn:none:none:none:none:matches-no-arn".into();
                })
            },
            after: |_, d| d,
        },
    ]
}

/// Each value of an ARN condition with a policy variable before the ARN's resource part.
fn arn_values_with_early_variables(c: &mut Case, f: &mut dyn FnMut(&mut String)) {
    rewrite_policies(c, &mut |doc| {
        for_each_condition(doc, &mut |op, _key, values| {
            if !op.to_ascii_lowercase().contains("arn") {
                return;
            }
            let mut each = |s: &mut String| {
                let early = s
                    .find("${")
                    .is_some_and(|at| s[..at].matches(':').count() < 5);
                if early {
                    f(s);
                }
            };
            match values {
                Value::String(s) => each(s),
                Value::Array(list) => {
                    for x in list {
                        if let Value::String(s) = x {
                            each(s);
                        }
                    }
                }
                _ => {}
            }
        });
    });
}

/// Each value of a `NotIpAddress` condition that is a single address (no `/prefix`) of the
/// other family than the request's address for that key.
fn bare_addresses_of_the_other_family(c: &mut Case, f: &mut dyn FnMut(&mut String)) {
    let context = c.context.clone();
    rewrite_policies(c, &mut |doc| {
        for_each_condition(doc, &mut |op, key, values| {
            if !op.to_ascii_lowercase().contains("notipaddress") {
                return;
            }
            let Some(ip) = context
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v.first())
            else {
                return;
            };
            let v6 = ip.contains(':');
            let mut each = |s: &mut String| {
                if !s.contains('/') && s.contains(':') != v6 {
                    f(s);
                }
            };
            match values {
                Value::String(s) => each(s),
                Value::Array(list) => {
                    for x in list {
                        if let Value::String(s) = x {
                            each(s);
                        }
                    }
                }
                _ => {}
            }
        });
    });
}

/// Which documented divergences explain the simulator's `answer` on `case`: the smallest set
/// of those present in the case whose readings, together, reproduce it. `None`: an
/// undocumented disagreement.
pub fn explain(known: &[Divergence], case: &Case, answer: Decision) -> Option<String> {
    let present: Vec<&Divergence> = known.iter().filter(|d| (d.shape)(case)).collect();
    let reading = |ds: &[&Divergence]| -> Option<Decision> {
        let mut c = case.clone();
        for d in ds {
            (d.rewrite)(&mut c);
        }
        let mut decision = ours(&c).ok()?.decision;
        for d in ds {
            decision = (d.after)(&c, decision);
        }
        Some(decision)
    };
    let mut subsets: Vec<Vec<&Divergence>> = (1u32..(1 << present.len()))
        .map(|bits| {
            present
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, d)| *d)
                .collect()
        })
        .collect();
    subsets.sort_by_key(Vec::len);
    subsets
        .into_iter()
        .find(|ds| reading(ds) == Some(answer))
        .map(|ds| ds.iter().map(|d| d.id).collect::<Vec<_>>().join(" + "))
}

/// The more restrictive of two decisions.
fn worst(a: Decision, b: Decision) -> Decision {
    let rank = |d: Decision| match d {
        Decision::Allowed => 0,
        Decision::ImplicitDeny => 1,
        Decision::ExplicitDeny => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// The decision with the case's SCPs applied as to an IAM role of the resource's account.
fn scps_applied(case: &Case, decision: Decision) -> Decision {
    let parse = |v: &Value| Policy::from_value(v).ok();
    let Some(scps) = case
        .scps
        .iter()
        .map(|level| level.iter().map(parse).collect::<Option<Vec<_>>>())
        .collect::<Option<Vec<_>>>()
    else {
        return decision;
    };
    let allow_all = Policy::from_value(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    .unwrap();
    let probe = Request {
        caller: Caller::Aws {
            arn: format!("arn:aws:iam::{HOME}:role/scp-probe"),
            account: case.resource_account.clone(),
        },
        action: case.action.clone(),
        resource: case.resource.clone(),
        resource_account: case.resource_account.parse().unwrap(),
        context: case.context.clone(),
    };
    let scp = evaluate(
        &probe,
        &Policies {
            identity: vec![allow_all],
            scps,
            ..Policies::default()
        },
    )
    .decision;
    worst(decision, scp)
}

fn documents_text(case: &Case) -> String {
    let mut text = String::new();
    let mut c = case.clone();
    rewrite_policies(&mut c, &mut |doc| text.push_str(&doc.to_string()));
    text
}

/// The simulator reads epoch values as seconds and ISO 8601 dates as milliseconds: every ISO
/// date (in Date conditions and in the context) becomes epoch milliseconds.
fn dates_as_the_simulator_reads_them(c: &mut Case) {
    for values in c.context.values_mut() {
        for v in values.iter_mut() {
            if let Some(ms) = iso_millis(v) {
                *v = ms;
            }
        }
    }
    rewrite_policies(c, &mut |doc| {
        for_each_condition(doc, &mut |op, _key, values| {
            if op.to_ascii_lowercase().contains("date") {
                map_strings(values, &mut |s| iso_millis(s));
            }
        });
    });
}

fn has_date_conditions(case: &Case) -> bool {
    let mut found = false;
    let mut c = case.clone();
    rewrite_policies(&mut c, &mut |doc| {
        for_each_condition(doc, &mut |op, _, _| {
            found |= op.to_ascii_lowercase().contains("date");
        });
    });
    found
}

/// `2026-11-20T10:00:00Z` -> epoch milliseconds.
fn iso_millis(s: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp() * 1000).to_string())
}

fn rewrite_policies(case: &mut Case, f: &mut dyn FnMut(&mut Value)) {
    for p in case.identity.iter_mut() {
        f(p);
    }
    if let Some(p) = case.trust.as_mut() {
        f(p);
    }
    if let Some(p) = case.boundary.as_mut() {
        f(p);
    }
    for p in case.scps.iter_mut().flatten() {
        f(p);
    }
}

fn statements(doc: &mut Value) -> Vec<&mut Value> {
    match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().collect(),
        Some(one) => vec![one],
        None => vec![],
    }
}

fn for_each_condition(doc: &mut Value, f: &mut dyn FnMut(&str, &str, &mut Value)) {
    for s in statements(doc) {
        if let Some(Value::Object(ops)) = s.get_mut("Condition") {
            for (op, keys) in ops.iter_mut() {
                if let Value::Object(keys) = keys {
                    for (key, values) in keys.iter_mut() {
                        f(op, key, values);
                    }
                }
            }
        }
    }
}

fn rename_operators(doc: &mut Value, f: &mut dyn FnMut(&str) -> Option<String>) {
    for s in statements(doc) {
        if let Some(Value::Object(ops)) = s.get_mut("Condition") {
            let renamed: Vec<(String, Value)> = std::mem::take(ops)
                .into_iter()
                .map(|(op, keys)| (f(&op).unwrap_or(op), keys))
                .collect();
            // two operators renamed to one: merge their keys
            *ops = serde_json::Map::new();
            for (op, keys) in renamed {
                match (ops.get_mut(&op), keys) {
                    (Some(Value::Object(into)), Value::Object(from)) => into.extend(from),
                    (_, keys) => {
                        ops.insert(op, keys);
                    }
                }
            }
        }
    }
}

fn map_strings(v: &mut Value, f: &mut dyn FnMut(&str) -> Option<String>) {
    match v {
        Value::String(s) => {
            if let Some(n) = f(s) {
                *s = n;
            }
        }
        Value::Array(list) => {
            for x in list {
                map_strings(x, f);
            }
        }
        _ => {}
    }
}
