//! The report as a SARIF 2.1.0 log, for code scanning: GitHub's `upload-sarif`, or any SARIF
//! viewer. PURE: no I/O. One run; the driver lists every rule of the registry (in registry
//! order) with its documentation as help; one result per finding, located in the audited file
//! (a dump given to `check`) or, for a live run, at a stable per-role path; the finding's id
//! is the partial fingerprint, so code scanning tracks the same problem across runs.
//! The mapping is documented in the README ("SARIF and OCSF").

use crate::model::{ErrorEntry, Finding, FindingStatus, Report, Severity};
use crate::rules::{Rule, registry::RULES};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The `$schema` of the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of a result's fingerprint in `partialFingerprints`. Versioned: if the finding id's
/// recipe ever changes, the key changes with it, so old and new ids are never compared.
pub const FINGERPRINT_KEY: &str = "connectorAuditFindingId/v1";

/// What a SARIF log needs beyond the report: where the audited roles were read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SarifOptions {
    /// The audited input as given (`check --input PATH`): the results point into it. `None` for
    /// a live run or standard input: each result then points at `<partition>/<account>/iam/role/<path><name>`,
    /// a stable name per role that no file in the repository has to match.
    pub input: Option<String>,
    /// The line (1-based) of each role's `RoleName` in the input (see [`role_lines`]), so that
    /// code scanning annotates the role itself; roles not listed point at line 1.
    pub role_lines: BTreeMap<String, usize>,
}

impl SarifOptions {
    /// Options for a dump read from `path` (`-` is standard input) whose text is `text`.
    pub fn for_dump(path: &str, text: &str) -> SarifOptions {
        if path == "-" || path.is_empty() {
            return SarifOptions::default();
        }
        SarifOptions {
            input: Some(path.to_string()),
            role_lines: role_lines(text),
        }
    }
}

/// The report as a pretty-printed SARIF 2.1.0 log.
pub fn sarif(report: &Report, options: &SarifOptions) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&sarif_log(report, options))
}

/// The report as a SARIF 2.1.0 log (a JSON value).
pub fn sarif_log(report: &Report, options: &SarifOptions) -> Value {
    let input_uri = options.input.as_deref().and_then(artifact_uri);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            result(
                f,
                &report.trusted_by(&f.role_arn),
                input_uri.as_deref(),
                options,
            )
        })
        .collect();
    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(report.complete));
    if !report.errors.is_empty() {
        invocation.insert(
            "toolExecutionNotifications".into(),
            report.errors.iter().map(notification).collect(),
        );
    }
    let mut run_properties = Map::new();
    if let Some(account) = &report.account_id {
        run_properties.insert("account_id".into(), json!(account));
    }
    run_properties.insert("generated_at".into(), json!(report.generated_at));
    run_properties.insert("source".into(), json!(report.source));
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver(report)},
            "invocations": [invocation],
            "results": results,
            "properties": run_properties,
        }],
    })
}

/// `error` for critical and high, `warning` for medium, `note` for low and info.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The score GitHub code scanning reads from a rule's `security-severity` (critical 9.0-10,
/// high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9). None for info: it is no security problem, and
/// the rule keeps the plain `note` level.
pub fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

fn driver(report: &Report) -> Value {
    let mut driver = Map::new();
    driver.insert("name".into(), json!(report.tool.name));
    driver.insert("version".into(), json!(report.tool.version));
    driver.insert("semanticVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    // Cargo.toml's `repository`, when the package names one.
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver.insert("informationUri".into(), json!(repository));
    }
    driver.insert(
        "rules".into(),
        RULES.iter().copied().map(descriptor).collect(),
    );
    Value::Object(driver)
}

fn descriptor(rule: &Rule) -> Value {
    let mut properties = Map::new();
    properties.insert("tags".into(), json!(tags(rule.id)));
    properties.insert("precision".into(), json!("high"));
    if let Some(score) = security_severity(rule.severity) {
        properties.insert("security-severity".into(), json!(score));
    }
    properties.insert("severity".into(), json!(rule.severity));
    let full = doc_section(rule.doc, "What it flags").unwrap_or_else(|| rule.title.to_string());
    json!({
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": full},
        "help": {"text": rule.doc, "markdown": doc_markdown(rule.doc)},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": properties,
    })
}

/// `security`, `iam` and the rule's family (the id's first word: `trust`, `s3`, `probe`, ...).
fn tags(id: &str) -> Vec<&str> {
    let mut tags = vec!["security", "iam"];
    if let Some(family) = id.split('-').next().filter(|f| !f.is_empty()) {
        tags.push(family);
    }
    tags
}

fn result(
    finding: &Finding,
    trusted_by: &[String],
    input_uri: Option<&str>,
    options: &SarifOptions,
) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(finding.rule));
    if let Some(index) = RULES.iter().position(|rule| rule.id == finding.rule) {
        r.insert("ruleIndex".into(), json!(index));
    }
    r.insert("level".into(), json!(level(finding.severity)));
    r.insert("message".into(), json!({"text": finding.message}));
    let (uri, line) = match input_uri {
        Some(uri) => (
            uri.to_string(),
            options
                .role_lines
                .get(&finding.role_name)
                .copied()
                .unwrap_or(1)
                .max(1),
        ),
        None => (role_uri(finding), 1),
    };
    r.insert(
        "locations".into(),
        json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": line},
            },
            "logicalLocations": logical_locations(finding),
        }]),
    );
    r.insert(
        "partialFingerprints".into(),
        json!({FINGERPRINT_KEY: finding.id}),
    );
    if let Some(s) = &finding.suppressed {
        let mut justification: Vec<String> = s.reason.iter().cloned().collect();
        if let Some(until) = &s.until {
            justification.push(format!("until {until}"));
        }
        if justification.is_empty() {
            justification.push(format!("suppressed by {}", s.by));
        }
        r.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": justification.join("; "),
                "properties": s,
            }]),
        );
    }
    if let Some(status) = finding.status {
        r.insert(
            "baselineState".into(),
            json!(match status {
                FindingStatus::New => "new",
                FindingStatus::Known => "unchanged",
            }),
        );
    }
    let mut properties = Map::new();
    properties.insert("severity".into(), json!(finding.severity));
    properties.insert("role_name".into(), json!(finding.role_name));
    properties.insert("role_arn".into(), json!(finding.role_arn));
    properties.insert("policy".into(), json!(finding.policy));
    if let Some(statement) = &finding.statement {
        properties.insert("statement".into(), json!(statement));
    }
    properties.insert("evidence".into(), finding.evidence.value());
    properties.insert("remediation".into(), json!(finding.remediation));
    if !trusted_by.is_empty() {
        // who is behind the role: every way in, named
        properties.insert("trusted_by".into(), json!(trusted_by));
    }
    if let Some(first_seen) = &finding.first_seen {
        properties.insert("first_seen".into(), json!(first_seen));
    }
    r.insert("properties".into(), Value::Object(properties));
    Value::Object(r)
}

/// The role, its document, and the statement when the finding names one.
fn logical_locations(finding: &Finding) -> Vec<Value> {
    let policy_fqn = format!("{}/{}", finding.role_arn, finding.policy);
    let mut locations = vec![
        json!({"name": finding.role_name, "fullyQualifiedName": finding.role_arn, "kind": "resource"}),
        json!({"name": finding.policy.to_string(), "fullyQualifiedName": policy_fqn, "kind": "object"}),
    ];
    if let Some(s) = &finding.statement {
        let name = match &s.sid {
            Some(sid) => format!("statement {} ({sid})", s.index),
            None => format!("statement {}", s.index),
        };
        locations.push(json!({
            "name": name,
            "fullyQualifiedName": format!("{policy_fqn}#{}", s.index),
            "kind": "element",
        }));
    }
    locations
}

fn notification(e: &ErrorEntry) -> Value {
    let mut n = Map::new();
    n.insert("level".into(), json!("error"));
    n.insert("message".into(), json!({"text": e.to_string()}));
    if let Some(role) = &e.role_name {
        n.insert(
            "locations".into(),
            json!([{"logicalLocations": [{"name": role, "kind": "resource"}]}]),
        );
    }
    n.insert("properties".into(), json!(e));
    Value::Object(n)
}

/// Characters escaped in a URI path (RFC 3986): controls, space, delimiters that would end
/// the path, and `%` itself.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');
/// In a relative reference a colon would read as a scheme: escape it too.
const RELATIVE_PATH: &AsciiSet = &PATH.add(b':');

/// The URI of an input path as given on the command line: relative paths stay relative (what
/// code scanning resolves against the repository root), `./` and Windows separators dropped;
/// absolute paths become `file://` URIs. None for standard input (`-`) or an empty path.
pub fn artifact_uri(path: &str) -> Option<String> {
    let mut p = path.replace('\\', "/");
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_string();
    }
    if p.is_empty() || p == "-" {
        return None;
    }
    let bytes = p.as_bytes();
    let windows_drive = bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.get(1) == Some(&b':')
        && bytes.get(2) == Some(&b'/');
    Some(if p.starts_with('/') {
        format!("file://{}", utf8_percent_encode(&p, PATH))
    } else if windows_drive {
        format!("file:///{}", utf8_percent_encode(&p, PATH))
    } else {
        utf8_percent_encode(&p, RELATIVE_PATH).to_string()
    })
}

/// A live finding's location: `<partition>/<account>/iam/<resource>` from the role's ARN
/// (`aws/123456789012/iam/role/service-role/x`); `aws/iam/role/<name>` if the ARN is not one.
fn role_uri(finding: &Finding) -> String {
    let parts: Vec<&str> = finding.role_arn.splitn(6, ':').collect();
    let segments: Vec<&str> = match parts.as_slice() {
        ["arn", partition, _, _, account, resource]
            if !partition.is_empty() && !account.is_empty() && !resource.is_empty() =>
        {
            [*partition, *account, "iam"]
                .into_iter()
                .chain(resource.split('/'))
                .collect()
        }
        _ => vec!["aws", "iam", "role", finding.role_name.as_str()],
    };
    segments
        .iter()
        .map(|s| utf8_percent_encode(s, RELATIVE_PATH).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The line (1-based) of the first `"RoleName": "<name>"` of each role in a dump's text: where
/// the role's entry starts in `aws iam get-account-authorization-details` output (a role's
/// instance profiles name it again further down; the first one counts).
pub fn role_lines(text: &str) -> BTreeMap<String, usize> {
    const KEY: &str = "\"RoleName\"";
    let mut lines = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(KEY) {
            rest = rest.get(at + KEY.len()..).unwrap_or_default();
            let value = rest
                .trim_start()
                .strip_prefix(':')
                .map(str::trim_start)
                .and_then(|v| v.strip_prefix('"'))
                .and_then(|v| v.split_once('"'))
                .map(|(name, _)| name);
            if let Some(name) = value {
                lines.entry(name.to_string()).or_insert(n + 1);
            }
        }
    }
    lines
}

/// `trust-missing-external-id` -> `TrustMissingExternalId`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A rule doc's sections: a heading line, then lines indented by two spaces, separated by a
/// blank line (`What it flags`, `Why it matters`, `Example`, `Fix`).
fn doc_sections(doc: &str) -> Vec<(&str, Vec<&str>)> {
    doc.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines();
            let heading = lines.next()?.trim();
            let body = lines.map(|l| l.strip_prefix("  ").unwrap_or(l)).collect();
            Some((heading, body))
        })
        .collect()
}

/// One section's text as a paragraph.
fn doc_section(doc: &str, heading: &str) -> Option<String> {
    doc_sections(doc)
        .into_iter()
        .find(|(h, _)| *h == heading)
        .map(|(_, body)| body.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" "))
}

/// The doc as Markdown: a heading per section, the example as a code block.
fn doc_markdown(doc: &str) -> String {
    doc_sections(doc)
        .into_iter()
        .map(|(heading, body)| {
            if heading == "Example" {
                format!("## {heading}\n\n```\n{}\n```", body.join("\n"))
            } else {
                format!("## {heading}\n\n{}", body.join("\n"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorEntry, FindingStatus, Severity, Suppressed};
    use crate::render::testing::{finding, report};

    fn results(log: &Value) -> &Vec<Value> {
        log["runs"][0]["results"].as_array().unwrap()
    }

    #[test]
    fn levels_and_scores_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        for (severity, low, high) in [
            (Severity::Critical, 9.0, 10.0),
            (Severity::High, 7.0, 8.9),
            (Severity::Medium, 4.0, 6.9),
            (Severity::Low, 0.1, 3.9),
        ] {
            let score: f64 = security_severity(severity).unwrap().parse().unwrap();
            assert!((low..=high).contains(&score), "{severity}: {score}");
        }
        assert_eq!(security_severity(Severity::Info), None);
    }

    #[test]
    fn every_rule_is_described_in_registry_order() {
        let log = sarif_log(&report(vec![], vec![]), &SarifOptions::default());
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA_URI);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "connector-audit");
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), RULES.len());
        for (d, rule) in rules.iter().zip(RULES) {
            assert_eq!(d["id"], rule.id);
            assert_eq!(d["shortDescription"]["text"], rule.title);
            assert_eq!(d["help"]["text"], rule.doc);
            let md = d["help"]["markdown"].as_str().unwrap();
            for heading in ["What it flags", "Why it matters", "Example", "Fix"] {
                assert!(md.contains(&format!("## {heading}\n")), "{}: {md}", rule.id);
            }
            assert!(md.contains("```\n"), "{md}");
            assert!(
                !d["fullDescription"]["text"]
                    .as_str()
                    .unwrap()
                    .contains('\n')
            );
            assert_eq!(d["defaultConfiguration"]["level"], level(rule.severity));
            let tags = d["properties"]["tags"].as_array().unwrap();
            assert!(tags.contains(&json!("security")) && tags.contains(&json!("iam")));
        }
        assert_eq!(rules[1]["name"], "TrustMissingExternalId");
        assert!(results(&log).is_empty());
        assert_eq!(
            log["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }

    #[test]
    fn one_result_per_finding_located_in_the_dump() {
        let findings = vec![
            finding("trust-any-principal", Severity::Critical, "vendor-any"),
            finding("s3-unused-delete", Severity::Medium, "datasync"),
            finding("role-unused", Severity::Low, "vendor-any"),
        ];
        let text = "{\n \"RoleDetailList\": [\n  {\"RoleName\": \"datasync\"},\n  {\n   \"RoleName\":  \"vendor-any\"\n  }]}";
        let options = SarifOptions::for_dump("./dumps/account 1.json", text);
        let log = sarif_log(&report(findings.clone(), vec![]), &options);
        let rs = results(&log);
        assert_eq!(rs.len(), 3);
        for (r, f) in rs.iter().zip(&findings) {
            assert_eq!(r["ruleId"], f.rule);
            let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(RULES[index].id, f.rule);
            assert_eq!(r["partialFingerprints"][FINGERPRINT_KEY], f.id);
            assert_eq!(r["message"]["text"], f.message);
            assert_eq!(r["properties"]["role_arn"], f.role_arn);
            assert_eq!(r["properties"]["policy"], "trust");
            assert_eq!(r["properties"]["statement"]["index"], 0);
            assert_eq!(r["properties"]["evidence"], f.evidence);
            assert_eq!(r["properties"]["remediation"], f.remediation);
            let loc = &r["locations"][0];
            assert_eq!(
                loc["physicalLocation"]["artifactLocation"]["uri"],
                "dumps/account%201.json"
            );
            assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], f.role_arn);
            assert_eq!(loc["logicalLocations"][1]["name"], "trust");
            assert_eq!(loc["logicalLocations"][2]["name"], "statement 0 (Vendor)");
            assert!(r.get("suppressions").is_none() && r.get("baselineState").is_none());
        }
        let lines: Vec<&Value> = rs
            .iter()
            .map(|r| &r["locations"][0]["physicalLocation"]["region"]["startLine"])
            .collect();
        assert_eq!(lines, [&json!(5), &json!(3), &json!(5)]);
        assert_eq!(
            [&rs[0]["level"], &rs[1]["level"], &rs[2]["level"]],
            [&json!("error"), &json!("warning"), &json!("note")]
        );
    }

    #[test]
    fn live_results_point_at_a_stable_path_per_role() {
        let mut f = finding("trust-any-principal", Severity::High, "x");
        f.role_arn = "arn:aws-us-gov:iam::123456789012:role/service-role/x".into();
        let log = sarif_log(&report(vec![f], vec![]), &SarifOptions::default());
        let loc = &results(&log)[0]["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "aws-us-gov/123456789012/iam/role/service-role/x"
        );
        assert_eq!(loc["region"]["startLine"], 1);
        // standard input has no path to point at
        assert_eq!(SarifOptions::for_dump("-", "{}"), SarifOptions::default());
    }

    #[test]
    fn suppressions_and_baseline_state() {
        let mut a = finding("trust-any-principal", Severity::Critical, "a");
        a.suppressed = Some(Suppressed {
            by: "tag:connector-audit-ignore".into(),
            reason: Some("SEC-42".into()),
            until: Some("2026-12-31".into()),
        });
        a.status = Some(FindingStatus::Known);
        let mut b = finding("trust-any-principal", Severity::Critical, "bb");
        b.suppressed = Some(Suppressed {
            by: "file:ignore.txt#3".into(),
            reason: None,
            until: None,
        });
        b.status = Some(FindingStatus::New);
        let log = sarif_log(&report(vec![a, b], vec![]), &SarifOptions::default());
        let rs = results(&log);
        let s = &rs[0]["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(s["status"], "accepted");
        assert_eq!(s["justification"], "SEC-42; until 2026-12-31");
        assert_eq!(s["properties"]["by"], "tag:connector-audit-ignore");
        assert_eq!(rs[0]["baselineState"], "unchanged");
        assert_eq!(
            rs[1]["suppressions"][0]["justification"],
            "suppressed by file:ignore.txt#3"
        );
        assert_eq!(rs[1]["baselineState"], "new");
    }

    #[test]
    fn errors_are_notifications_and_the_run_is_unsuccessful() {
        let e = ErrorEntry::new(
            crate::model::Operation::ResolveManagedPolicy,
            "NoSuchEntity",
            "arn:aws:iam::aws:policy/AmazonS3FullAccess is not in the dump",
        )
        .role("onyx-s3-full-missing");
        let log = sarif_log(&report(vec![], vec![e]), &SarifOptions::default());
        let inv = &log["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let n = &inv["toolExecutionNotifications"][0];
        assert_eq!(n["level"], "error");
        assert!(
            n["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("onyx-s3-full-missing: resolve-managed-policy [NoSuchEntity]")
        );
        assert_eq!(
            n["locations"][0]["logicalLocations"][0]["name"],
            "onyx-s3-full-missing"
        );
    }

    #[test]
    fn artifact_uris() {
        assert_eq!(artifact_uri("dump.json").as_deref(), Some("dump.json"));
        assert_eq!(artifact_uri("./a/./b.json").as_deref(), Some("a/./b.json"));
        assert_eq!(
            artifact_uri(r"audits\acct.json").as_deref(),
            Some("audits/acct.json")
        );
        assert_eq!(
            artifact_uri("/tmp/my dump#1.json").as_deref(),
            Some("file:///tmp/my%20dump%231.json")
        );
        assert_eq!(
            artifact_uri(r"C:\dumps\a.json").as_deref(),
            Some("file:///C:/dumps/a.json")
        );
        assert_eq!(artifact_uri("a:b.json").as_deref(), Some("a%3Ab.json"));
        assert_eq!(artifact_uri("ab:c.json").as_deref(), Some("ab%3Ac.json"));
        assert_eq!(artifact_uri("-"), None);
        assert_eq!(artifact_uri("./"), None);
    }

    #[test]
    fn role_lines_take_the_first_mention() {
        let text = "{\"RoleDetailList\": [\n{\"RoleName\": \"a\", \"InstanceProfileList\": [\n{\"Roles\": [{\"RoleName\": \"a\"}]}]},\n{\"RoleName\":\"b\"}, {\"RoleName\": \"c\"}]}";
        let lines = role_lines(text);
        assert_eq!(lines.get("a"), Some(&2));
        assert_eq!(lines.get("b"), Some(&4));
        assert_eq!(lines.get("c"), Some(&4));
        assert!(role_lines("\"RoleName\": 7").is_empty());
    }
}
