//! The roles in `template.yaml` (the function's execution role, the organization state
//! machine's role) and in `org-member-role.yaml` are least privilege: no wildcard action
//! anywhere, and `Resource: "*"` only for actions whose AWS API has no resource-level
//! permissions (each listed here with the reason). The templates are read as YAML with their
//! CloudFormation tags; policies written as JSON strings (`!Sub`) are parsed too, and both
//! branches of every `!If` are checked. The state machine's events are ones the function
//! accepts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value as Json;
use serde_yaml::Value;

/// Actions that may have `Resource: "*"`, and why.
const UNSCOPABLE: &[(&str, &str)] = &[
    (
        "iam:GetAccountAuthorizationDetails",
        "IAM defines no resource type for it: `*` is the only form AWS accepts",
    ),
    (
        "organizations:ListAccounts",
        "Organizations defines no resource type for it (only with OrgAuditRoleName): `*` is the only form AWS accepts",
    ),
    (
        "organizations:DescribeOrganization",
        "Organizations defines no resource type for it (with CloudTrailBucket, to find an organization trail's folder when the bucket's AWSLogs/ cannot be listed; with OrgAuditRoleName, to know the management account, which no guardrail affects): `*` is the only form AWS accepts",
    ),
];

fn read(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn template() -> Value {
    read("template.yaml")
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

/// The statements of the template's roles: the function's and the state machine's `Policies`,
/// and the role policies.
fn execution_role_statements() -> Vec<Json> {
    let t = template();
    let mut out = Vec::new();
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        let kind = resource["Type"].as_str().unwrap();
        match kind {
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
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

/// The function's `Policies` as JSON text, to find the `!If` a statement stands under.
fn function_policies() -> String {
    serde_json::to_string(&template()["Resources"]["AuditFunction"]["Properties"]["Policies"])
        .unwrap()
}

/// The statement of the template's roles with this `Sid`.
fn statement_with_sid(sid: &str) -> Json {
    execution_role_statements()
        .into_iter()
        .find(|s| s.get("Sid").and_then(Json::as_str) == Some(sid))
        .unwrap_or_else(|| panic!("no statement with Sid {sid}"))
}

/// Fails on a wildcard action, and on `Resource: "*"` for an action not in [`UNSCOPABLE`];
/// returns the actions on `*`.
fn check_least_privilege(statements: &[Json]) -> Vec<String> {
    let mut star = Vec::new();
    for s in statements {
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
    star
}

#[test]
fn no_wildcard_actions_and_star_resources_only_where_unavoidable() {
    let statements = execution_role_statements();
    // the function's policies, the optional report bucket, the organization's statements, the
    // probe's role policy and the state machine's
    assert!(statements.len() >= 11, "{statements:#?}");
    let star = check_least_privilege(&statements);
    assert_eq!(
        star,
        [
            "iam:GetAccountAuthorizationDetails",
            "organizations:DescribeOrganization",
            "organizations:ListAccounts",
            "organizations:DescribeOrganization"
        ]
    );
}

/// The organization's guardrails are read only in organization mode, and only through the
/// organization's own account, OU, root and policy ARNs.
#[test]
fn the_function_reads_the_organizations_guardrails_only_in_organization_mode() {
    let policies = function_policies();
    for sid in [
        "FindManagementAccount",
        "ReadOrganizationGuardrails",
        "ReadGuardrailPolicies",
    ] {
        assert!(
            policies.contains(&format!(r#"{{"!If":["OrgEnabled",{{"Sid":"{sid}""#)),
            "{sid}: {policies}"
        );
    }
    let by_sid = statement_with_sid;
    let read = by_sid("ReadOrganizationGuardrails");
    assert_eq!(
        list(&read["Action"]),
        [
            "organizations:ListParents",
            "organizations:ListPoliciesForTarget"
        ]
    );
    let resources = serde_json::to_string(&read["Resource"]).unwrap();
    for kind in [":account/o-*/*", ":ou/o-*/ou-*", ":root/o-*/r-*"] {
        assert!(resources.contains(kind), "{resources}");
    }
    let describe = by_sid("ReadGuardrailPolicies");
    assert_eq!(list(&describe["Action"]), ["organizations:DescribePolicy"]);
    let resources = serde_json::to_string(&describe["Resource"]).unwrap();
    assert!(
        resources.contains("service_control_policy/p-*")
            && resources.contains("resource_control_policy/p-*")
            && !resources.contains("tag_policy"),
        "{resources}"
    );
}

#[test]
fn the_probe_may_assume_only_tagged_roles() {
    let statements = execution_role_statements();
    // the probe's statement (the organization's is checked below)
    let assume: Vec<&Json> = statements
        .iter()
        .filter(|s| list(&s["Action"]).iter().any(|a| a == "sts:AssumeRole"))
        .filter(|s| s.get("Sid").and_then(Json::as_str) != Some("EnterMemberAccounts"))
        .collect();
    // two branches: with ConnectorTagValue, the tag must have that value; without, the tag
    // must be there
    assert_eq!(assume.len(), 2);
    let valued = &assume[0]["Condition"]["StringEquals"];
    assert_eq!(
        valued["aws:ResourceTag/${ConnectorTagKey}"], "${ConnectorTagValue}",
        "{}",
        assume[0]
    );
    let condition = &assume[1]["Condition"]["Null"];
    assert_eq!(
        condition["aws:ResourceTag/${ConnectorTagKey}"], "false",
        "{}",
        assume[1]
    );
    for a in assume {
        assert!(a["Resource"].as_str().unwrap().ends_with(":role/*"));
    }
    let t = template();
    let doc = &t["Resources"]["ProbePolicy"]["Properties"]["PolicyDocument"];
    let Value::Tagged(branches) = doc else {
        panic!("{doc:?}")
    };
    assert_eq!(branches.tag, "!If");
    assert_eq!(branches.value[0].as_str(), Some("HasConnectorTagValue"));
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

#[test]
fn the_function_enters_member_accounts_only_through_the_org_role() {
    let statements = execution_role_statements();
    let enter: Vec<&Json> = statements
        .iter()
        .filter(|s| s.get("Sid").and_then(Json::as_str) == Some("EnterMemberAccounts"))
        .collect();
    assert_eq!(enter.len(), 1, "{statements:#?}");
    assert_eq!(list(&enter[0]["Action"]), ["sts:AssumeRole"]);
    assert_eq!(
        enter[0]["Resource"]["!Sub"],
        "arn:${AWS::Partition}:iam::*:role/${OrgAuditRoleName}"
    );
    // and only when the organization is audited
    let policies = function_policies();
    assert!(
        policies.contains(r#"{"!If":["OrgEnabled",{"Sid":"EnterMemberAccounts""#),
        "{policies}"
    );
    assert!(
        policies.contains(r#"{"!If":["OrgEnabled",{"Sid":"ListOrganizationAccounts""#),
        "{policies}"
    );
}

/// The trail is read, and the organization's id asked for, only when a trail is configured.
#[test]
fn the_function_reads_the_trail_and_its_organization_only_with_a_trail() {
    let policies = function_policies();
    for sid in ["ListTrail", "ReadTrail", "FindOrganizationTrail"] {
        assert!(
            policies.contains(&format!(
                r#"{{"!If":["HasCloudTrailBucket",{{"Sid":"{sid}""#
            )),
            "{sid}: {policies}"
        );
    }
    let statements = execution_role_statements();
    let find: Vec<&Json> = statements
        .iter()
        .filter(|s| s.get("Sid").and_then(Json::as_str) == Some("FindOrganizationTrail"))
        .collect();
    assert_eq!(find.len(), 1, "{statements:#?}");
    assert_eq!(
        list(&find[0]["Action"]),
        ["organizations:DescribeOrganization"]
    );
}

#[test]
fn the_state_machine_sends_events_the_function_accepts() {
    let t = template();
    let machine = &t["Resources"]["OrgAuditStateMachine"];
    assert_eq!(machine["Condition"], "OrgStateMachineEnabled");
    let states = &machine["Properties"]["Definition"]["States"];
    let list_payload: Json =
        serde_json::to_value(&states["ListAccounts"]["Parameters"]["Payload"]).unwrap();
    assert_eq!(list_payload, serde_json::json!({"list_accounts": true}));
    assert!(connector_audit::lambda::parse_event(&list_payload).is_ok());
    let map = &states["AuditEachAccount"];
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["ExecutionType"],
        "STANDARD"
    );
    assert_eq!(map["ItemsPath"], "$.accounts");
    assert_eq!(map["ResultWriter"]["Parameters"]["Prefix"], "org-runs");
    // the Map's items are the `list_accounts` answer's accounts: each item becomes this event
    let item = serde_json::json!({"account_id": "222222222222", "name": "prod"});
    let mut event = serde_json::Map::new();
    for (key, value) in map["ItemSelector"].as_mapping().unwrap() {
        let key = key.as_str().unwrap();
        let value = match key.strip_suffix(".$") {
            Some(field) => {
                let path = value.as_str().unwrap();
                let item_field = path.strip_prefix("$$.Map.Item.Value.").unwrap();
                event.insert(field.to_string(), item[item_field].clone());
                continue;
            }
            None => serde_json::to_value(value).unwrap(),
        };
        event.insert(key.to_string(), value);
    }
    let event = Json::Object(event);
    assert_eq!(
        event,
        serde_json::json!({"account_id": "222222222222", "account_name": "prod", "summary_only": true})
    );
    assert!(
        connector_audit::lambda::parse_event(&event).is_ok(),
        "{event}"
    );
    let listing_item =
        serde_json::to_value(connector_audit::org::Account::parse("222222222222", None).unwrap())
            .unwrap();
    assert!(
        listing_item.get("name").is_some(),
        "the Map's path to `name` must never fail"
    );
    let task = &map["ItemProcessor"]["States"]["AuditAccount"];
    assert_eq!(task["Parameters"]["Payload.$"], "$");
    assert_eq!(task["OutputPath"], "$.Payload");
}

#[test]
fn the_member_role_reads_iam_and_trusts_the_auditor_only() {
    let t = read("org-member-role.yaml");
    let mut out = Vec::new();
    let role = &t["Resources"]["ConnectorAuditRole"]["Properties"];
    statements(&role["Policies"], &mut out);
    statements(
        &t["Resources"]["ProbePolicy"]["Properties"]["PolicyDocument"],
        &mut out,
    );
    let star = check_least_privilege(&out);
    assert_eq!(star, ["iam:GetAccountAuthorizationDetails"]);
    let mut actions: Vec<String> = out.iter().flat_map(|s| list(&s["Action"])).collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "iam:GetAccountAuthorizationDetails",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "sts:AssumeRole"
        ]
    );
    // the probe's AssumeRole: only tagged roles of the account
    let probe = out
        .iter()
        .find(|s| list(&s["Action"]) == ["sts:AssumeRole"])
        .unwrap();
    assert!(probe["Condition"]["Null"].is_object(), "{probe}");
    let trust: Json = serde_json::to_value(&role["AssumeRolePolicyDocument"]).unwrap();
    assert_eq!(
        trust["Statement"],
        serde_json::json!([{"Sid": "TheAuditorOnly", "Effect": "Allow",
            "Principal": {"AWS": {"!Ref": "AuditorRoleArn"}}, "Action": "sts:AssumeRole"}])
    );
}

/// IAM changes are buffered: the rule targets the queue, the function reads it in batches and
/// answers partial failures.
#[test]
fn change_events_are_buffered_through_the_queue() {
    let t = template();
    let target = &t["Resources"]["IamChangeRule"]["Properties"]["Targets"][0];
    assert_eq!(target["Id"].as_str(), Some("ChangeEventsQueue"));
    let mapping = &t["Resources"]["ChangeEventsMapping"]["Properties"];
    assert_eq!(mapping["BatchSize"].as_u64(), Some(100));
    assert!(mapping["MaximumBatchingWindowInSeconds"].as_u64().unwrap() > 0);
    assert_eq!(
        mapping["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
    assert!(t["Resources"]["IamChangeRulePermission"].is_null());
}

/// Security Hub: only with EnableSecurityHub, only into the account's own default product;
/// GetFindings only when no report bucket keeps the previous report.
#[test]
fn security_hub_is_least_privilege_and_off_by_default() {
    let t = template();
    assert_eq!(t["Parameters"]["EnableSecurityHub"]["Default"], "false");
    let policies = function_policies();
    assert!(
        policies.contains(r#"{"!If":["SecurityHubEnabled",{"Sid":"ImportFindings""#),
        "{policies}"
    );
    assert!(
        policies.contains(r#"{"!If":["SecurityHubReadsBack",{"Sid":"ReadOwnFindings""#),
        "{policies}"
    );
    let by_sid = statement_with_sid;
    let import = by_sid("ImportFindings");
    assert_eq!(list(&import["Action"]), ["securityhub:BatchImportFindings"]);
    assert_eq!(
        import["Resource"]["!Sub"],
        "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default",
        "{import}"
    );
    let read = by_sid("ReadOwnFindings");
    assert_eq!(list(&read["Action"]), ["securityhub:GetFindings"]);
    assert!(
        read["Resource"]["!Sub"]
            .as_str()
            .unwrap()
            .ends_with(":hub/default"),
        "{read}"
    );
    let env = serde_json::to_string(
        &t["Resources"]["AuditFunction"]["Properties"]["Environment"]["Variables"]["SECURITY_HUB"],
    )
    .unwrap();
    assert_eq!(env, r#"{"!Ref":"EnableSecurityHub"}"#);
}
