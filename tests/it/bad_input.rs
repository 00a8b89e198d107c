//! Bad input of every kind the auditor meets: dump files (truncated, wrong shape, huge, not
//! UTF-8), policy documents (10,000 statements, deep nesting, huge strings, bad escapes),
//! events (wrong types, unknown fields, 100,000-element arrays, anything at all). Each gets a
//! clear error naming the input and the place, never a panic, and never costs the other
//! roles their audit. The event parser is fuzzed here (proptest, a bounded number of cases
//! on every `cargo test`, so CI runs it on every change); the document and dump parsers in
//! `parser_props.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use connector_audit::audit::{AuditOptions, audit};
use connector_audit::dump::{MAX_DUMP_BYTES, parse_dump};
use connector_audit::lambda::parse_event;
use connector_audit::model::Source;
use connector_audit::policy::document::MAX_STATEMENTS;
use connector_audit::policy::{Policy, PolicyError};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_one_gigabyte_dump_is_refused_before_it_is_read() {
    let dir = tempdir();
    let path = dir.join("huge.json");
    // sparse: costs no disk; the CLI must look at the size, not read a gigabyte
    std::fs::File::create(&path)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let out = cli(&["check", "--input", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("huge.json") && err.contains("1073741824 bytes"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{MAX_DUMP_BYTES}-byte limit")),
        "{err}"
    );
    // the library refuses it too, whoever calls it
    let big = " ".repeat(MAX_DUMP_BYTES as usize + 1);
    assert!(parse_dump(&big).unwrap_err().to_string().contains("limit"));
}

#[test]
fn truncated_wrong_shaped_and_binary_dumps_name_the_file_and_place() {
    let dir = tempdir();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let whole = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo-account.json"),
    )
    .unwrap();
    let cut = &whole[..whole.len() / 2];
    for (name, bytes, want) in [
        ("truncated.json", cut.as_bytes().to_vec(), "line "),
        ("array.json", b"[1, 2, 3]".to_vec(), "RoleDetailList"),
        (
            "roles-object.json",
            br#"{"RoleDetailList": {"RoleName": "x"}}"#.to_vec(),
            "`RoleDetailList` is not an array",
        ),
        (
            "binary.json",
            vec![b'{', 0xff, 0xfe, b'}'],
            "not UTF-8 text: invalid byte at offset 1",
        ),
    ] {
        let path = write(name, &bytes);
        let out = cli(&["check", "--input", &path]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(name) && err.contains(want), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

fn statements(n: usize) -> String {
    let one = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![one; n].join(",")
    )
}

#[test]
fn bad_documents_are_errors_with_a_place() {
    let nested = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}1{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(String, &str)> = vec![
        (statements(10_000), "`Statement`: 10000 statements"),
        (nested, "line 1, column"),
        (
            format!(r#"{{"Statement":{{"Sid":"{}"}}}}"#, "x".repeat(2 << 20)),
            "over the 1048576-byte limit",
        ),
        ("%7B%22Statement%ZZ".to_string(), "URL encoding"),
        ("%7B%FF%FE%7D".to_string(), "URL encoding"),
    ];
    for (doc, want) in &cases {
        let err = Policy::parse(doc).unwrap_err();
        assert!(err.to_string().contains(want), "{want}: {err}");
    }
    // the limit itself is accepted
    let ok = Policy::parse(&statements(MAX_STATEMENTS)).unwrap();
    assert_eq!(ok.statements.len(), MAX_STATEMENTS);
    assert!(matches!(
        Policy::parse(&statements(MAX_STATEMENTS + 1)),
        Err(PolicyError::Shape { .. })
    ));
}

#[test]
fn a_role_with_monstrous_documents_does_not_cost_the_others_their_audit() {
    let role = |name: &str, inline: &str| {
        json!({
            "RoleName": name,
            "Arn": format!("arn:aws:iam::123456789012:role/{name}"),
            "Tags": [{"Key": "connector", "Value": "x"}],
            "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow",
                "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}},
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": inline}],
        })
    };
    let dump = json!({"RoleDetailList": [
        role("monster", &statements(10_000)),
        role("big-but-legal", &statements(MAX_STATEMENTS)),
        role("plain", &statements(1)),
    ]})
    .to_string();
    let report = audit(
        parse_dump(&dump).unwrap(),
        &AuditOptions::default(),
        Source::File,
        "t".into(),
    );
    assert_eq!(report.summary.roles_audited, 3);
    let rules_of = |role: &str| -> Vec<&str> {
        report
            .findings
            .iter()
            .filter(|f| f.role_name == role)
            .map(|f| f.rule.as_str())
            .collect()
    };
    assert!(rules_of("monster").contains(&"policy-unparseable"));
    for r in ["monster", "big-but-legal", "plain"] {
        assert!(rules_of(r).contains(&"trust-any-principal"), "{r}");
    }
}

#[test]
fn events_of_the_wrong_shape_are_refused_with_the_field_named() {
    for (event, want) in [
        (
            json!({"roles": vec!["r"; 100_000]}),
            "`roles` has 100000 entries",
        ),
        (
            json!({"trusted_accounts": vec!["123456789012"; 100_000]}),
            "`trusted_accounts`",
        ),
        (json!({"roles": [1, 2]}), "field `roles[0]`"),
        (json!({"min_severity": 3}), "field `min_severity`"),
        (json!({"probe": "yes"}), "field `probe`"),
        (json!({"tag_key": ""}), "`tag_key` is empty"),
        (json!({"rolez": []}), "unknown field `rolez`"),
        (json!(null), "not a JSON object"),
        (
            json!({"source": "aws.events", "detail-type": 5}),
            "detail-type",
        ),
    ] {
        let err = parse_event(&event).unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
        assert!(err.contains("Accepted:"), "{err}");
    }
}

/// Any JSON value.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("roles"),
            Just("tag_key"),
            Just("publish"),
            Just("probe"),
            Just("min_severity"),
            Just("high"),
            Just("aws.events"),
            Just("Scheduled Event"),
            Just("123456789012"),
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let key = prop_oneof![
            Just("roles".to_string()),
            Just("tag_key".to_string()),
            Just("tag_value".to_string()),
            Just("trusted_accounts".to_string()),
            Just("publish".to_string()),
            Just("min_severity".to_string()),
            Just("probe".to_string()),
            Just("probe_delete".to_string()),
            Just("source".to_string()),
            Just("detail-type".to_string()),
            "\\PC{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The event parser never panics, and every refusal says what is accepted.
    #[test]
    fn any_event_is_accepted_or_refused_with_the_accepted_fields(event in any_json()) {
        if let Err(e) = parse_event(&event) {
            prop_assert!(e.to_string().contains("Accepted:"));
        }
    }
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "connector-audit-bad-input-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
