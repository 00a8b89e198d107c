//! `--format sarif` and `--format ocsf` end to end, through the real CLI on the fixture dumps:
//! the SARIF log is validated against the official OASIS SARIF 2.1.0 schema
//! (`tests/fixtures/sarif-schema-2.1.0.json`, see tests/fixtures/README.md), and documents
//! broken on purpose must fail it; every OCSF line is a Detection Finding with the class's
//! required attributes. No AWS here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEMO: &str = "tests/fixtures/demo-account.json";
const MISSING_MANAGED: &str = "tests/fixtures/missing-managed.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The CLI run from the repository root, as a CI job would run it.
fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn report(input: &str) -> Value {
    stdout_json(&cli(&["check", "--input", input, "--format", "json"]))
}

/// The OASIS schema, checked to be the one it claims, and validated against by the venv's
/// Python `jsonschema` (pinned in requirements-dev.txt, Draft 4, as the schema declares), in a
/// process of its own: a Rust validator would bring its own copies of serde's and regex's
/// features into the test build, and make `cargo run` rebuild after `cargo test`.
struct Validator {
    schema: PathBuf,
}

fn sarif_validator() -> Validator {
    let schema = root().join("tests/fixtures/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&schema).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    Validator { schema }
}

const VALIDATE: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(sys.stdin)
v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
for e in v.iter_errors(log):
    print("/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message.replace("\n", " ")[:300])
"#;

fn schema_errors(validator: &Validator, log: &Value) -> Vec<String> {
    use std::io::Write as _;
    let python = crate::support::venv().join("bin/python");
    let mut child = Command::new(&python)
        .args(["-c", VALIDATE])
        .arg(&validator.schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (run `make venv`)", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(log.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_valid_sarif(validator: &Validator, log: &Value) {
    let errors = schema_errors(validator, log);
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
}

/// The results match the report's findings one to one, and every rule they name is described.
fn assert_results_match(log: &Value, report: &Value) {
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let results = run["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(results.len(), findings.len(), "one result per finding");
    for (r, f) in results.iter().zip(findings) {
        let rule_id = r["ruleId"].as_str().unwrap();
        assert_eq!(rule_id, f["rule"]);
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rule_ids[index], rule_id, "ruleIndex points at the rule");
        assert_eq!(
            r["partialFingerprints"]["connectorAuditFindingId/v1"], f["id"],
            "the fingerprint is the finding's stable id"
        );
        assert_eq!(r["properties"]["role_arn"], f["role_arn"]);
    }
    let used: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(
        used.iter().all(|id| rule_ids.contains(id)),
        "{used:?} not all in {rule_ids:?}"
    );
}

/// The line of `"RoleName": "<role>"` in a dump, found independently of the renderer.
fn role_line(dump: &Path, role: &str) -> usize {
    let text = std::fs::read_to_string(dump).unwrap();
    let needle = format!("\"RoleName\": \"{role}\"");
    text.lines().position(|l| l.contains(&needle)).unwrap() + 1
}

#[test]
fn sarif_of_the_demo_dump_is_valid_and_complete() {
    let validator = sarif_validator();
    let out = cli(&["check", "--input", DEMO, "--format", "sarif"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit codes are the format's business: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = stdout_json(&out);
    assert_valid_sarif(&validator, &log);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "connector-audit");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let report = report(DEMO);
    assert_results_match(&log, &report);

    // every result points into the dump given, at its role's entry
    let dump = root().join(DEMO);
    for r in run["results"].as_array().unwrap() {
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], DEMO);
        let role = r["properties"]["role_name"].as_str().unwrap();
        assert_eq!(
            physical["region"]["startLine"],
            role_line(&dump, role),
            "{role}"
        );
        let logical = r["locations"][0]["logicalLocations"].as_array().unwrap();
        assert_eq!(
            logical[0]["fullyQualifiedName"],
            r["properties"]["role_arn"]
        );
        assert_eq!(logical[1]["name"], r["properties"]["policy"]);
    }
    // security-severity as GitHub code scanning reads it
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let critical = rules
        .iter()
        .find(|r| r["id"] == "trust-any-principal")
        .unwrap();
    assert_eq!(critical["properties"]["security-severity"], "9.5");
    assert!(
        critical["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Fix")
    );
}

#[test]
fn deliberately_broken_sarif_fails_the_schema() {
    let validator = sarif_validator();
    let log = stdout_json(&cli(&["check", "--input", DEMO, "--format", "sarif"]));
    assert_valid_sarif(&validator, &log);
    /// What is broken, and how.
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 6] = [
        ("wrong version", |l| l["version"] = json!("2.0.0")),
        ("no runs", |l| {
            l.as_object_mut().unwrap().remove("runs");
        }),
        ("a driver without a name", |l| {
            l["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
        ("an unknown level", |l| {
            l["runs"][0]["results"][0]["level"] = json!("critical")
        }),
        ("line 0", |l| {
            l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                json!(0)
        }),
        ("an unknown suppression kind", |l| {
            l["runs"][0]["results"][0]["suppressions"] =
                json!([{"kind": "ignoredByTag", "status": "accepted"}])
        }),
    ];
    for (what, break_it) in breakages {
        let mut broken = log.clone();
        break_it(&mut broken);
        assert!(
            !schema_errors(&validator, &broken).is_empty(),
            "{what}: the schema accepted it"
        );
    }
}

#[test]
fn sarif_of_an_incomplete_audit_reports_the_errors() {
    let validator = sarif_validator();
    let out = cli(&["check", "--input", MISSING_MANAGED, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(3));
    let log = stdout_json(&out);
    assert_valid_sarif(&validator, &log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("onyx-s3-full-missing"),
        "{notes:?}"
    );
}

#[test]
fn render_turns_a_saved_report_into_sarif_and_ocsf() {
    let validator = sarif_validator();
    let saved = cli(&["check", "--input", DEMO, "--format", "json"]);
    let dir = std::env::temp_dir().join(format!("connector-audit-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    std::fs::write(&file, &saved.stdout).unwrap();
    let report: Value = serde_json::from_slice(&saved.stdout).unwrap();

    let out = cli(&[
        "render",
        "--report",
        file.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let log = stdout_json(&out);
    assert_valid_sarif(&validator, &log);
    assert_results_match(&log, &report);
    // no input file to point at: a stable path per role
    let first = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    let arn = log["runs"][0]["results"][0]["properties"]["role_arn"]
        .as_str()
        .unwrap();
    let resource = arn.splitn(6, ':').last().unwrap();
    assert!(resource.starts_with("role/"), "{arn}");
    assert_eq!(
        first["artifactLocation"]["uri"],
        format!("aws/123456789012/iam/{resource}")
    );

    let out = cli(&[
        "render",
        "--report",
        file.to_str().unwrap(),
        "--format",
        "ocsf",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        report["findings"].as_array().unwrap().len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Detection Finding 1.1.0's attributes (with the `cloud` profile): an event may carry no other.
const DETECTION_FINDING_ATTRIBUTES: &[&str] = &[
    "activity_id",
    "activity_name",
    "api",
    "category_name",
    "category_uid",
    "class_name",
    "class_uid",
    "cloud",
    "comment",
    "confidence",
    "confidence_id",
    "confidence_score",
    "count",
    "duration",
    "end_time",
    "enrichments",
    "evidences",
    "finding_info",
    "impact",
    "impact_id",
    "impact_score",
    "message",
    "metadata",
    "observables",
    "raw_data",
    "remediation",
    "resources",
    "risk_level",
    "risk_level_id",
    "risk_score",
    "severity",
    "severity_id",
    "start_time",
    "status",
    "status_code",
    "status_detail",
    "status_id",
    "time",
    "timezone_offset",
    "type_name",
    "type_uid",
    "unmapped",
    "vulnerabilities",
];

#[test]
fn ocsf_is_one_detection_finding_per_line() {
    let out = cli(&["check", "--input", DEMO, "--format", "ocsf"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with('\n'));
    let report = report(DEMO);
    let findings = report["findings"].as_array().unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(events.len(), findings.len(), "one line per finding");
    for (e, f) in events.iter().zip(findings) {
        // required by the class (and by the base event it extends)
        for key in [
            "activity_id",
            "category_uid",
            "class_uid",
            "finding_info",
            "metadata",
            "severity_id",
            "time",
            "type_uid",
        ] {
            assert!(e.get(key).is_some(), "{key} missing: {e}");
        }
        assert_eq!(e["class_uid"], 2004);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(
            e["type_uid"].as_u64().unwrap(),
            e["class_uid"].as_u64().unwrap() * 100 + e["activity_id"].as_u64().unwrap()
        );
        assert!(e["time"].as_i64().unwrap() > 0);
        assert!((1..=6).contains(&e["severity_id"].as_u64().unwrap()));
        // required within the objects
        assert_eq!(e["finding_info"]["uid"], f["id"]);
        assert!(e["finding_info"]["title"].is_string());
        assert_eq!(e["metadata"]["version"], "1.1.0");
        assert!(e["metadata"]["product"]["vendor_name"].is_string());
        assert_eq!(e["cloud"]["provider"], "AWS");
        assert!(e["remediation"]["desc"].is_string());
        // recommended ones this product knows
        assert_eq!(e["resources"][0]["uid"], f["role_arn"]);
        assert_eq!(e["status_id"], 1);
        assert_eq!(e["message"], f["message"]);
        for key in e.as_object().unwrap().keys() {
            assert!(
                DETECTION_FINDING_ATTRIBUTES.contains(&key.as_str()),
                "`{key}` is not a Detection Finding attribute"
            );
        }
        assert_eq!(e["unmapped"]["policy"], f["policy"]);
        assert_eq!(e["unmapped"]["evidence"], f["evidence"]);
    }

    // an incomplete audit still gives its findings, and exits 3
    let out = cli(&["check", "--input", MISSING_MANAGED, "--format", "ocsf"]);
    assert_eq!(out.status.code(), Some(3));
}

/// SARIF and OCSF name the party behind each finding's role: in the message, and as
/// `trusted_by` (SARIF `properties`, OCSF `unmapped`); the SARIF log stays valid.
#[test]
fn sarif_and_ocsf_name_the_party() {
    const PARTIES: &str = "tests/fixtures/parties-account.json";
    let validator = sarif_validator();
    let log = stdout_json(&cli(&["check", "--input", PARTIES, "--format", "sarif"]));
    assert_valid_sarif(&validator, &log);
    let report = report(PARTIES);
    assert_results_match(&log, &report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let mismatch = results
        .iter()
        .find(|r| r["properties"]["role_name"] == "upsolver-tag-datadog-trust")
        .unwrap();
    assert_eq!(mismatch["ruleId"], "trust-vendor-mismatch");
    assert!(
        mismatch["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Datadog (464622532012) can assume it")
    );
    assert_eq!(
        mismatch["properties"]["trusted_by"],
        json!(["Datadog (464622532012)"])
    );

    let out = cli(&["check", "--input", PARTIES, "--format", "ocsf"]);
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let unknown = events
        .iter()
        .find(|e| e["resources"][0]["name"] == "unlisted-vendor")
        .unwrap();
    assert_eq!(
        unknown["finding_info"]["types"],
        json!(["trust-unknown-account"])
    );
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown account 111122223333 can assume the role")
    );
    assert_eq!(
        unknown["unmapped"]["trusted_by"],
        json!(["unknown account 111122223333"])
    );
}
