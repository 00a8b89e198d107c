//! Property tests: the document and dump parsers, and every rule behind them, never panic on
//! any input, and answer with an error that names a place when they refuse it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use connector_audit::audit::{AuditOptions, audit};
use connector_audit::dump::parse_dump;
use connector_audit::model::{Inventory, NamedDocument, RoleSnapshot, Source};
use connector_audit::policy::Policy;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// JSON values biased towards the policy grammar, so that most of them get deep into it.
fn policy_like() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("Version"),
        Just("Statement"),
        Just("Effect"),
        Just("Sid"),
        Just("Principal"),
        Just("NotPrincipal"),
        Just("Action"),
        Just("NotAction"),
        Just("Resource"),
        Just("NotResource"),
        Just("Condition"),
        Just("AWS"),
        Just("Service"),
        Just("Federated"),
        Just("StringEquals"),
        Just("StringLikeIfExists"),
        Just("ForAllValues:StringEquals"),
        Just("Null"),
        Just("ArnLike"),
        Just("Bool"),
        Just("sts:ExternalId"),
        Just("aws:SourceArn"),
        Just("accounts.google.com:sub"),
        Just("bogus"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("*"),
            Just("Allow"),
            Just("Deny"),
            Just("s3:*"),
            Just("S3:GetObject"),
            Just("sts:AssumeRole"),
            Just("sts:AssumeRoleWithWebIdentity"),
            Just("arn:aws:s3:::b/*"),
            Just("arn:aws:iam::111122223333:root"),
            Just("123456789012"),
            Just("accounts.google.com"),
            Just("qbusiness.amazonaws.com"),
            Just("arn:aws:s3:::*"),
            Just("?"),
            Just(""),
        ]
        .prop_map(|s| Value::String(s.to_string())),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn audit_documents(trust: &str, inline: &str) {
    let role = RoleSnapshot {
        name: "r".into(),
        arn: "arn:aws:iam::123456789012:role/r".into(),
        tags: [
            ("connector".to_string(), "x".to_string()),
            ("connector-access".to_string(), "read".to_string()),
        ]
        .into_iter()
        .collect(),
        trust: trust.to_string(),
        inline: vec![NamedDocument {
            name: "p".into(),
            document: inline.into(),
        }],
        managed: vec![],
        boundary: None,
        last_used: None,
    };
    let inventory = Inventory {
        account_id: None,
        roles: vec![role],
        errors: vec![],
    };
    let report = audit(
        inventory,
        &AuditOptions::default(),
        Source::File,
        "t".into(),
    );
    assert_eq!(report.summary.roles_audited, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn policy_values_never_panic(value in policy_like()) {
        match Policy::from_value(&value) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let text = value.to_string();
        audit_documents(&text, &text);
    }

    #[test]
    fn wrapped_statements_never_panic(statement in policy_like()) {
        let doc = json!({"Version": "2012-10-17", "Statement": [statement]}).to_string();
        let _ = Policy::parse(&doc);
        audit_documents(&doc, &doc);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}|%[0-9A-Fa-f%]{0,12}") {
        let _ = Policy::parse(&text);
        let _ = parse_dump(&text);
        audit_documents(&text, &text);
    }

    #[test]
    fn arbitrary_dump_entries_never_panic(role in policy_like()) {
        let dump = json!({"RoleDetailList": [role], "Policies": []}).to_string();
        if let Ok(inventory) = parse_dump(&dump) {
            let _ = audit(inventory, &AuditOptions::default(), Source::File, "t".into());
        }
    }
}
