//! `connector-audit check` with suppressions (the `connector-audit-ignore` tag in the dump and
//! `--suppressions FILE`) and with `--baseline` (new, known and resolved against a previous
//! report). Offline: the CLI binary on dumps written here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "connector-audit-suppressions-{}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_connector-audit"))
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A dump of two connector roles: `open` trusts anyone (critical), `wide` has `s3:*` on `*`.
fn dump(open_tags: Value) -> Value {
    json!({"RoleDetailList": [
        {"RoleName": "open", "Arn": "arn:aws:iam::123456789012:role/open",
         "Tags": open_tags,
         "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole"}}},
        {"RoleName": "wide", "Arn": "arn:aws:iam::123456789012:role/wide",
         "Tags": [{"Key": "connector", "Value": "acme"}],
         "AssumeRolePolicyDocument": {"Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}},
         "RolePolicyList": [{"PolicyName": "all", "PolicyDocument":
            {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}}]}
    ]})
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, v.to_string()).unwrap();
    path.display().to_string()
}

fn tags(ignore: &str) -> Value {
    json!([{"Key": "connector", "Value": "acme"}, {"Key": "connector-audit-ignore", "Value": ignore}])
}

fn findings_of<'a>(r: &'a Value, role: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["role_name"] == role)
        .collect()
}

#[test]
fn a_live_tag_suppression_keeps_the_finding_and_spares_the_exit_code() {
    let dir = TempDir::new();
    let input = write(
        dir.path(),
        "d.json",
        &dump(tags("trust-any-principal until=2099-12-31 ticket=SEC-123")),
    );
    // `open` alone: --fail-on critical passes once its critical finding is suppressed
    let only_open = [
        "--roles",
        "open",
        "--format",
        "json",
        "--fail-on",
        "critical",
    ];
    let out = cli(&[&["check", "--input", &input][..], &only_open].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    let open = findings_of(&r, "open");
    assert_eq!(open.len(), 1);
    assert_eq!(
        open[0]["suppressed"],
        json!({"by": "tag:connector-audit-ignore", "reason": "ticket=SEC-123", "until": "2099-12-31"})
    );
    assert_eq!(r["summary"]["suppressed"], 1);
    assert_eq!(r["summary"]["findings"]["critical"], 0);
    // without the tag the same dump fails
    let plain = write(
        dir.path(),
        "p.json",
        &dump(json!([{"Key": "connector", "Value": "acme"}])),
    );
    let out = cli(&[&["check", "--input", &plain][..], &only_open].concat());
    assert_eq!(out.status.code(), Some(1));
    // the table says which findings are suppressed
    let out = cli(&["check", "--input", &input, "--format", "table"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("suppressed until 2099-12-31"), "{table}");
}

#[test]
fn an_expired_tag_suppression_no_longer_applies_and_says_so() {
    let dir = TempDir::new();
    let input = write(
        dir.path(),
        "d.json",
        &dump(tags(
            "trust-any-principal until=2021-06-30 reason=vendor-migration",
        )),
    );
    let out = cli(&["check", "--input", &input, "--format", "json"]);
    let r = json_of(&out);
    let open = findings_of(&r, "open");
    let rules: Vec<&str> = open.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["trust-any-principal", "suppression-expired"]);
    assert!(open[0].get("suppressed").is_none());
    assert_eq!(open[1]["severity"], "low");
    assert_eq!(open[1]["policy"], "suppression:tag:connector-audit-ignore");
    assert_eq!(open[1]["evidence"]["reason"], "vendor-migration");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_malformed_tag_is_an_error_naming_the_role_and_suppresses_nothing() {
    let dir = TempDir::new();
    let input = write(
        dir.path(),
        "d.json",
        &dump(tags("trust-any-principal until=next-week")),
    );
    let out = cli(&["check", "--input", &input, "--format", "json"]);
    // incomplete: exit 3
    assert_eq!(out.status.code(), Some(3));
    let r = json_of(&out);
    let e = &r["errors"][0];
    assert_eq!(e["role_name"], "open");
    assert_eq!(e["code"], "InvalidSuppression");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("`trust-any-principal until=next-week`")
            && message.contains("`until=next-week` is not a date"),
        "{message}"
    );
    assert!(findings_of(&r, "open")[0].get("suppressed").is_none());
    // the other role was audited as usual
    assert!(!findings_of(&r, "wide").is_empty());
}

#[test]
fn the_central_file_by_pattern_and_account() {
    let dir = TempDir::new();
    let input = write(
        dir.path(),
        "d.json",
        &dump(json!([{"Key": "connector", "Value": "acme"}])),
    );
    let file = write(
        dir.path(),
        "s.json",
        &json!({"suppressions": [
            {"rule": "s3-wildcard-bucket", "role": "w*", "account": "123456789012", "reason": "SEC-7"},
            {"rule": "trust-any-principal", "role": "open", "account": "999999999999", "reason": "other account"},
            {"rule": "trust-any-principal", "role": "op?n", "until": "2021-01-01", "reason": "SEC-8"},
            {"rule": "trust-any-principal", "role": "open"}
        ]}),
    );
    let out = cli(&[
        "check",
        "--input",
        &input,
        "--suppressions",
        &file,
        "--format",
        "json",
    ]);
    let r = json_of(&out);
    let wide = findings_of(&r, "wide");
    let wildcard = wide
        .iter()
        .find(|f| f["rule"] == "s3-wildcard-bucket")
        .unwrap();
    assert_eq!(wildcard["suppressed"]["by"], format!("file:{file}#1"));
    assert_eq!(wildcard["suppressed"]["reason"], "SEC-7");
    let open = findings_of(&r, "open");
    // another account's entry does not apply; the expired one says so
    assert!(open[0].get("suppressed").is_none());
    assert!(open.iter().any(|f| f["rule"] == "suppression-expired"
        && f["policy"] == format!("suppression:file:{file}#3")));
    // the entry without a reason is refused, naming the entry and its role
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["role_name"], "open");
    assert!(errors[0]["message"].as_str().unwrap().contains("entry 4"));

    // a file that is not JSON is a usage error, before anything is audited
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "suppressions: []").unwrap();
    let out = cli(&[
        "check",
        "--input",
        &input,
        "--suppressions",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("not JSON"),
        "{err}"
    );
}

#[test]
fn baseline_marks_new_known_and_resolved() {
    let dir = TempDir::new();
    let before = write(
        dir.path(),
        "before.json",
        &dump(json!([{"Key": "connector", "Value": "acme"}])),
    );
    let out = cli(&["check", "--input", &before, "--format", "json"]);
    let previous = json_of(&out);
    let baseline = write(dir.path(), "previous-report.json", &previous);

    // `open` is fixed, `wide` is unchanged, and a new role appears
    let mut after = dump(json!([{"Key": "connector", "Value": "acme"}]));
    after["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Statement"]["Principal"] =
        json!({"AWS": "arn:aws:iam::123456789012:root"});
    let mut third = after["RoleDetailList"][1].clone();
    third["RoleName"] = json!("wide2");
    third["Arn"] = json!("arn:aws:iam::123456789012:role/wide2");
    after["RoleDetailList"].as_array_mut().unwrap().push(third);
    let after = write(dir.path(), "after.json", &after);
    let out = cli(&[
        "check",
        "--input",
        &after,
        "--baseline",
        &baseline,
        "--format",
        "json",
    ]);
    let r = json_of(&out);
    let status = |role: &str| -> Vec<String> {
        findings_of(&r, role)
            .iter()
            .map(|f| f["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(status("wide").iter().all(|s| s == "known"));
    assert!(status("wide2").iter().all(|s| s == "new"));
    let changes = &r["summary"]["changes"];
    assert_eq!(changes["previous_report"], baseline.as_str());
    assert_eq!(changes["previous_generated_at"], previous["generated_at"]);
    assert_eq!(changes["new"], status("wide2").len());
    assert_eq!(changes["known"], status("wide").len());
    let resolved = changes["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["rule"], "trust-any-principal");
    assert_eq!(resolved[0]["role_name"], "open");

    let out = cli(&["check", "--input", &after, "--baseline", &before]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a connector-audit report"));
}
