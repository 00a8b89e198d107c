//! The function's execution role in `template.yaml` is least privilege: no wildcard action
//! anywhere, and `Resource: "*"` only for actions whose AWS API has no resource-level
//! permissions (each listed here with the reason). The template is read as YAML with its
//! CloudFormation tags; policies written as JSON strings (`!Sub`) are parsed too, and both
//! branches of every `!If` are checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value as Json;
use serde_yaml::Value;

/// Actions that may have `Resource: "*"`, and why.
const UNSCOPABLE: &[(&str, &str)] = &[(
    "iam:GetAccountAuthorizationDetails",
    "IAM defines no resource type for it: `*` is the only form AWS accepts",
)];

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every IAM statement in `v`: mappings with `Effect`, looked for through lists, maps, tags
/// (`!If` branches included) and JSON strings under `!Sub`.
fn statements(v: &Value, out: &mut Vec<Json>) {
    match v {
        Value::Mapping(m) => {
            if m.contains_key("Effect") {
                out.push(serde_json::to_value(v).unwrap());
            }
            for (_, child) in m {
                statements(child, out);
            }
        }
        Value::Sequence(s) => s.iter().for_each(|c| statements(c, out)),
        Value::Tagged(t) => {
            if let Value::String(text) = &t.value
                && t.tag == "!Sub"
                && let Ok(doc) = serde_json::from_str::<Json>(text)
            {
                json_statements(&doc, out);
            }
            statements(&t.value, out);
        }
        _ => {}
    }
}

fn json_statements(v: &Json, out: &mut Vec<Json>) {
    match v {
        Json::Object(m) => {
            if m.contains_key("Effect") {
                out.push(v.clone());
            }
            m.values().for_each(|c| json_statements(c, out));
        }
        Json::Array(a) => a.iter().for_each(|c| json_statements(c, out)),
        _ => {}
    }
}

fn list(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .map(|x| x.as_str().unwrap_or("<intrinsic>").to_string())
            .collect(),
        // an intrinsic (!Ref, !Sub, ...) names one specific resource
        _ => vec!["<intrinsic>".to_string()],
    }
}

/// The statements of the execution role: the function's `Policies` and the role policies.
fn execution_role_statements() -> Vec<Json> {
    let t = template();
    let mut out = Vec::new();
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        let kind = resource["Type"].as_str().unwrap();
        match kind {
            "AWS::Serverless::Function" => {
                statements(&resource["Properties"]["Policies"], &mut out)
            }
            "AWS::IAM::RolePolicy" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                statements(&resource["Properties"]["PolicyDocument"], &mut out)
            }
            "AWS::IAM::Role" => panic!("{name:?}: review this role in the least-privilege test"),
            _ => {}
        }
    }
    out
}

#[test]
fn no_wildcard_actions_and_star_resources_only_where_unavoidable() {
    let statements = execution_role_statements();
    // the function's policies, the optional report bucket and the probe's role policy
    assert!(statements.len() >= 5, "{statements:#?}");
    let mut star = Vec::new();
    for s in &statements {
        assert_eq!(s["Effect"], "Allow", "{s}");
        assert!(
            s.get("NotAction").is_none() && s.get("NotResource").is_none(),
            "{s}"
        );
        let actions = list(&s["Action"]);
        for a in &actions {
            assert!(
                !a.contains('*') && !a.contains('?'),
                "wildcard action `{a}` in {s}"
            );
        }
        if list(&s["Resource"]).iter().any(|r| r == "*") {
            for a in &actions {
                let allowed = UNSCOPABLE.iter().any(|(name, _)| name == a);
                assert!(
                    allowed,
                    "`{a}` on Resource \"*\": scope it, or list it with the reason"
                );
                star.push(a.clone());
            }
        }
    }
    assert_eq!(star, ["iam:GetAccountAuthorizationDetails"]);
}

#[test]
fn the_probe_may_assume_only_tagged_roles() {
    let statements = execution_role_statements();
    let assume: Vec<&Json> = statements
        .iter()
        .filter(|s| list(&s["Action"]).iter().any(|a| a == "sts:AssumeRole"))
        .collect();
    assert_eq!(assume.len(), 1);
    let condition = &assume[0]["Condition"]["Null"];
    assert_eq!(
        condition["aws:ResourceTag/${ConnectorTagKey}"], "false",
        "{}",
        assume[0]
    );
    assert!(assume[0]["Resource"].as_str().unwrap().ends_with(":role/*"));
}

#[test]
fn the_test_catches_a_wildcard() {
    // the checks above must fail on a template that grants s3:* on *
    let mut out = Vec::new();
    let bad: Value =
        serde_yaml::from_str("Statement: [{Effect: Allow, Action: 's3:*', Resource: '*'}]")
            .unwrap();
    statements(&bad, &mut out);
    assert_eq!(out.len(), 1);
    assert!(list(&out[0]["Action"])[0].contains('*'));
}

#[test]
fn the_change_rule_sends_exactly_the_calls_the_function_audits() {
    let t = template();
    let pattern = &t["Resources"]["IamChangeRule"]["Properties"]["EventPattern"];
    assert_eq!(pattern["source"][0].as_str(), Some("aws.iam"));
    let names: Vec<&str> = pattern["detail"]["eventName"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, connector_audit::lambda::CHANGE_EVENTS);
    // failed calls changed nothing: they are filtered out before the function runs
    assert_eq!(
        pattern["detail"]["errorCode"][0]["exists"].as_bool(),
        Some(false)
    );
    let target = &t["Resources"]["IamChangeRule"]["Properties"]["Targets"][0];
    assert!(
        target["RetryPolicy"]["MaximumRetryAttempts"]
            .as_u64()
            .is_some()
    );
}
