//! The probe's pure half: what to ask AWS with a connector role's own credentials, what the
//! engine expects the answers to be, and how to read them. The requests themselves are made
//! in `aws/probe.rs`; the run-wide scheduling (concurrency, time budget) is in `audit.rs`.
//!
//! Safety is built in three layers, so that a security team can run it in production:
//! 1. every session carries [`session_policy`], which AWS intersects with the role's own
//!    policies: the session can list only under [`PREFIX`] and read or delete only keys under
//!    it, whatever the role allows (proved with our own engine in this module's tests);
//! 2. object keys exist only as [`ProbeKey`], which cannot be built outside [`PREFIX`];
//! 3. the executor knows three requests (list, get, delete) and no write.
//!
//! PURE: no AWS SDK, no I/O.

use crate::model::{
    BUCKETS_TAG, BucketScope, ErrorCode, Outcome, Predicted, ProbeAction, ProbeCheck, RoleProbe,
};
use crate::policy::condition::KeyState;
use crate::policy::eval::{Certainty, Scenario};
use crate::policy::principal::{Caller, arn_account, session_of};
use crate::policy::trust;
use crate::view::RoleView;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Every key the probe names starts with this; the session policy allows nothing else.
pub const PREFIX: &str = "connector-audit-probe/";
/// Default number of roles probed at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// At most this many buckets are probed per role (the canary included); the rest are listed.
pub const MAX_BUCKETS_PER_ROLE: usize = 10;
/// How long the role's session lasts: the shortest AWS allows.
pub const SESSION_SECONDS: i32 = 900;

/// How to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    /// A bucket the security team owns and no connector should reach.
    pub canary_bucket: Option<String>,
    /// Also try DeleteObject of a random key under the prefix.
    pub delete: bool,
    /// Roles probed at once.
    pub concurrency: usize,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            canary_bucket: None,
            delete: true,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// A bad probe option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeOptionsError {
    #[error("canary bucket `{0}` is not a valid S3 bucket name")]
    CanaryBucket(String),
    #[error("probe concurrency {0} is out of range: expected 1 to 64")]
    Concurrency(usize),
}

impl ProbeOptions {
    pub fn validate(&self) -> Result<(), ProbeOptionsError> {
        if let Some(c) = &self.canary_bucket
            && !is_bucket_name(c)
        {
            return Err(ProbeOptionsError::CanaryBucket(c.clone()));
        }
        if !(1..=64).contains(&self.concurrency) {
            return Err(ProbeOptionsError::Concurrency(self.concurrency));
        }
        Ok(())
    }
}

/// S3's bucket naming rules: 3-63 characters, lowercase letters, digits, `.` and `-`,
/// starting and ending with a letter or digit.
pub fn is_bucket_name(name: &str) -> bool {
    let ok_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ok_edge(name.chars().next())
        && ok_edge(name.chars().last())
        && !name.contains("..")
}

/// The largest inline session policy AssumeRole takes (characters of plain text).
pub const MAX_SESSION_POLICY: usize = 2_048;

/// The inline session policy passed with every AssumeRole of the probe: listing each probed
/// bucket under [`PREFIX`] only, and reading and deleting keys under
/// `BUCKET/connector-audit-probe/` of each probed bucket only. (A bucket wildcard,
/// `arn:aws:s3:::*/connector-audit-probe/*`, would also match
/// `bucket/a/b/connector-audit-probe/x`: IAM's `*` crosses `/`.) The session's effective
/// access is the role's access intersected with this.
pub fn session_policy(partition: &str, buckets: &[String]) -> String {
    let bucket_arns: Vec<String> = buckets
        .iter()
        .map(|b| format!("arn:{partition}:s3:::{b}"))
        .collect();
    let key_arns: Vec<String> = buckets
        .iter()
        .map(|b| format!("arn:{partition}:s3:::{b}/{PREFIX}*"))
        .collect();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arns,
                "Condition": {"StringLike": {"s3:prefix": format!("{PREFIX}*")}}
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:DeleteObject"],
                "Resource": key_arns
            }
        ]
    })
    .to_string()
}

/// An object key under [`PREFIX`]; no other key can be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeKey(String);

impl ProbeKey {
    /// A key under the prefix whose last part is derived from `seed` (hex, 32 characters):
    /// random enough that it names no object anyone wrote.
    pub fn derive(seed: &str) -> ProbeKey {
        let digest = Sha256::digest(seed.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        ProbeKey(format!("{PREFIX}{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCheck {
    pub bucket: String,
    pub scope: BucketScope,
    pub action: ProbeAction,
    pub predicted: Predicted,
    /// The object key (GetObject, DeleteObject); ListObjectsV2 lists [`PREFIX`].
    pub key: ProbeKey,
}

impl PlannedCheck {
    /// The check's report entry, given what AWS answered.
    pub fn observe(&self, answer: &Answer) -> ProbeCheck {
        let outcome = classify(self.action, answer);
        let note = (self.action == ProbeAction::GetObject && outcome == Outcome::Denied).then(|| {
            "S3 answers 403 instead of 404 for a missing key when the caller may not list the bucket, and the probe session may list only under connector-audit-probe/: a denied read is not proof that reads are denied".to_string()
        });
        ProbeCheck {
            bucket: self.bucket.clone(),
            scope: self.scope,
            action: self.action,
            predicted: self.predicted,
            outcome,
            error_code: match answer {
                Answer::Success => None,
                Answer::Failure { code, .. } => Some(code.to_string()),
            },
            note,
        }
    }
}

/// What AWS said to one probe request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Success,
    /// An error answer (or none): its code (`HTTP 403` when it had none) and HTTP status.
    Failure {
        code: ErrorCode,
        status: Option<u16>,
    },
}

/// Reads an answer: `AccessDenied` is a result, not an error; a missing key read means the
/// read itself was allowed.
pub fn classify(action: ProbeAction, answer: &Answer) -> Outcome {
    match answer {
        Answer::Success => Outcome::Allowed,
        Answer::Failure { code, status } => {
            let denied = *code == ErrorCode::AccessDenied
                || (code.as_str().starts_with("HTTP ") && *status == Some(403));
            if denied {
                Outcome::Denied
            } else if action == ProbeAction::GetObject && *code == ErrorCode::NoSuchKey {
                Outcome::Allowed
            } else {
                Outcome::Error
            }
        }
    }
}

/// Everything needed to probe one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePlan {
    pub role_name: String,
    pub role_arn: String,
    pub session_name: String,
    /// The id the auditor's own trust statement pins, if any.
    pub external_id: Option<String>,
    pub session_policy: String,
    pub checks: Vec<PlannedCheck>,
    pub buckets_skipped: Vec<String>,
    /// `connector-buckets` tag entries that are not bucket names (not probed).
    pub invalid_buckets: Vec<String>,
}

impl RolePlan {
    /// The probe result when the role cannot be probed for a reason known before any call.
    pub fn not_probed(&self, code: impl Into<ErrorCode>, message: String) -> RoleProbe {
        RoleProbe {
            assumed: false,
            error_code: Some(code.into()),
            error_message: Some(message),
            external_id_used: self.external_id.is_some(),
            checks: Vec::new(),
            buckets_skipped: self.buckets_skipped.clone(),
        }
    }
}

/// The auditor as a trust policy sees it: a session of a role counts as the role.
pub fn auditor_caller(arn: &str) -> Caller {
    let arn = session_of(arn).unwrap_or_else(|| arn.to_string());
    Caller::Aws {
        account: arn_account(&arn).unwrap_or_default().to_string(),
        arn,
    }
}

/// The ARN to name in a trust statement for the auditor (a role for a role's session).
pub fn auditor_principal(arn: &str) -> String {
    session_of(arn).unwrap_or_else(|| arn.to_string())
}

/// The external id we suggest for the auditor's statement on a role: stable per auditor and
/// role, so the suggestion (and the finding) does not change between runs.
pub fn suggested_external_id(auditor_arn: &str, role_arn: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{role_arn}", auditor_principal(auditor_arn)));
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("connector-audit-{hex}")
}

/// The trust statement that lets the auditor probe the role.
pub fn trust_statement(auditor_arn: &str, role_arn: &str) -> serde_json::Value {
    serde_json::json!({
        "Sid": "ConnectorAuditProbe",
        "Effect": "Allow",
        "Principal": {"AWS": auditor_principal(auditor_arn)},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": suggested_external_id(auditor_arn, role_arn)}}
    })
}

/// A session name AWS accepts (`[\w+=,.@-]`, at most 64 characters) naming the run.
pub fn session_name(run_id: &str) -> String {
    let clean: String = run_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
        .collect();
    let mut name = format!("connector-audit-{clean}");
    name.truncate(64);
    name
}

/// Plans the probe of one role. `Err` carries the result for a role the auditor may not
/// assume according to its trust policy (no call is made for it).
pub fn plan(
    view: &RoleView<'_>,
    auditor_arn: &str,
    options: &ProbeOptions,
    run_id: &str,
) -> Result<RolePlan, RoleProbe> {
    let snapshot = view.snapshot;
    let partition = snapshot.arn.split(':').nth(1).unwrap_or("aws");
    let entry = view
        .trust
        .as_ref()
        .ok()
        .and_then(|t| trust::entry_for(t, &auditor_caller(auditor_arn)));
    let Some(external_id) = entry else {
        return Err(RoleProbe {
            assumed: false,
            error_code: Some(ErrorCode::NotTrusted),
            error_message: Some(match &view.trust {
                Ok(_) => format!(
                    "the trust policy has no statement that lets `{}` assume the role",
                    auditor_principal(auditor_arn)
                ),
                Err(e) => format!("the trust policy cannot be read: {e}"),
            }),
            ..RoleProbe::default()
        });
    };
    let (buckets, invalid) = buckets(view, options);
    let mut checks = Vec::new();
    let mut skipped = Vec::new();
    for (i, (bucket, scope)) in buckets.into_iter().enumerate() {
        if i >= MAX_BUCKETS_PER_ROLE {
            skipped.push(bucket);
            continue;
        }
        let mut actions = vec![ProbeAction::ListBucket, ProbeAction::GetObject];
        if options.delete {
            actions.push(ProbeAction::DeleteObject);
        }
        for action in actions {
            let key = ProbeKey::derive(&format!(
                "{run_id}\n{}\n{bucket}\n{}",
                snapshot.arn,
                action.as_str()
            ));
            checks.push(PlannedCheck {
                predicted: predict(view, partition, &bucket, action, &key),
                bucket: bucket.clone(),
                scope,
                action,
                key,
            });
        }
    }
    // the session policy names every probed bucket: those that do not fit in AssumeRole's
    // limit are skipped, like those past MAX_BUCKETS_PER_ROLE
    let mut probed: Vec<String> = Vec::new();
    for c in &checks {
        if !probed.contains(&c.bucket) {
            probed.push(c.bucket.clone());
        }
    }
    while probed.len() > 1 && session_policy(partition, &probed).len() > MAX_SESSION_POLICY {
        if let Some(last) = probed.pop() {
            checks.retain(|c| c.bucket != last);
            skipped.insert(0, last);
        }
    }
    Ok(RolePlan {
        role_name: snapshot.name.clone(),
        role_arn: snapshot.arn.clone(),
        session_name: session_name(run_id),
        external_id: external_id.map(str::to_string),
        session_policy: session_policy(partition, &probed),
        checks,
        buckets_skipped: skipped,
        invalid_buckets: invalid,
    })
}

/// The buckets to probe, in scope first, then out of scope, then the canary; and the tag
/// entries that are not bucket names.
fn buckets(
    view: &RoleView<'_>,
    options: &ProbeOptions,
) -> (Vec<(String, BucketScope)>, Vec<String>) {
    let named = view.permissions.named_buckets();
    let (tagged, invalid): (BTreeSet<String>, Vec<String>) =
        match view.snapshot.tags.get(BUCKETS_TAG) {
            Some(value) => {
                let (ok, bad): (Vec<&str>, Vec<&str>) =
                    value.split_whitespace().partition(|b| is_bucket_name(b));
                (
                    ok.into_iter().map(str::to_string).collect(),
                    bad.into_iter().map(str::to_string).collect(),
                )
            }
            None => (named.clone(), Vec::new()),
        };
    let mut out: Vec<(String, BucketScope)> = tagged
        .iter()
        .map(|b| (b.clone(), BucketScope::InScope))
        .collect();
    out.extend(
        named
            .iter()
            .filter(|b| !tagged.contains(*b))
            .map(|b| (b.clone(), BucketScope::OutOfScope)),
    );
    if let Some(canary) = &options.canary_bucket
        && !out.iter().any(|(b, _)| b == canary)
    {
        out.push((canary.clone(), BucketScope::Canary));
    }
    (out, invalid)
}

/// What the role's documents say about one probe request. The session policy allows every
/// request the probe makes, so the role's own documents decide.
fn predict(
    view: &RoleView<'_>,
    partition: &str,
    bucket: &str,
    action: ProbeAction,
    key: &ProbeKey,
) -> Predicted {
    let (resource, scenario) = request(partition, bucket, action, key);
    match view
        .permissions
        .certainty(action.as_str(), &resource, &scenario)
    {
        Certainty::Allowed => Predicted::Allowed,
        Certainty::Denied => Predicted::Denied,
        Certainty::Depends => Predicted::Conditional,
    }
}

/// The resource ARN and the known context of a probe request.
pub fn request(
    partition: &str,
    bucket: &str,
    action: ProbeAction,
    key: &ProbeKey,
) -> (String, Scenario) {
    match action {
        ProbeAction::ListBucket => (
            format!("arn:{partition}:s3:::{bucket}"),
            Scenario::new().with("s3:prefix", KeyState::Known(vec![PREFIX.to_string()])),
        ),
        ProbeAction::GetObject | ProbeAction::DeleteObject => (
            format!("arn:{partition}:s3:::{bucket}/{}", key.as_str()),
            Scenario::new().with("s3:prefix", KeyState::Absent),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::policy::eval::{Decision, Request, decide};
    use crate::policy::s3_actions::{S3Resource, s3_actions};
    use crate::rules::testing::role;

    const AUDITOR: &str = "arn:aws:sts::123456789012:assumed-role/connector-audit/run-1";

    /// The session policy alone decides what a session of *any* role can do at most (AWS
    /// intersects the two): check it with our own engine, action by action.
    #[test]
    fn session_policy_confines_every_session_to_the_prefix() {
        let p = Policy::parse(&session_policy("aws", &["data".to_string()])).unwrap();
        let ask = |action: &str, resource: &str, scenario: &Scenario| {
            decide(
                &p.statements,
                &Request {
                    caller: None,
                    action,
                    resource: Some(resource),
                    scenario,
                },
            )
        };
        let none = Scenario::new();
        let prefix = |v: &str| Scenario::new().with("s3:prefix", KeyState::Known(vec![v.into()]));
        let absent = Scenario::new().with("s3:prefix", KeyState::Absent);
        // what the probe does is allowed
        assert_eq!(
            ask("s3:ListBucket", "arn:aws:s3:::data", &prefix(PREFIX)),
            Decision::Allowed
        );
        let key = ProbeKey::derive("x");
        for a in ["s3:GetObject", "s3:DeleteObject"] {
            let r = format!("arn:aws:s3:::data/{}", key.as_str());
            assert_eq!(ask(a, &r, &none), Decision::Allowed, "{a}");
        }
        // listing anything else, or without a prefix, is not
        for p in [
            "",
            "reports/",
            "connector-audit-probe",
            "connector-audit-probe-x/",
        ] {
            assert_ne!(
                ask("s3:ListBucket", "arn:aws:s3:::data", &prefix(p)),
                Decision::Allowed,
                "{p:?}"
            );
        }
        assert_ne!(
            ask("s3:ListBucket", "arn:aws:s3:::data", &absent),
            Decision::Allowed
        );
        // no other action of the S3 table, on any resource it applies to, real keys included
        for action in s3_actions() {
            let name = action.qualified();
            let resources: &[&str] = match action.resource {
                S3Resource::Object => &[
                    "arn:aws:s3:::data/reports/q3.csv",
                    "arn:aws:s3:::data/connector-audit-probe/k",
                ],
                _ => &["arn:aws:s3:::data", "*", "arn:aws:s3:::data/reports/"],
            };
            for r in resources {
                let allowed = ask(&name, r, &prefix(PREFIX)) == Decision::Allowed;
                let expected = match action.name {
                    // only the probed bucket itself
                    "ListBucket" => *r == "arn:aws:s3:::data",
                    "GetObject" | "DeleteObject" => r.contains("/connector-audit-probe/"),
                    _ => false,
                };
                assert_eq!(allowed, expected, "{name} on {r}");
            }
        }
        // only under the probed bucket's own prefix: IAM's `*` crosses `/`, so a bucket
        // wildcard would also allow a deeper `connector-audit-probe/`, or another bucket
        for r in [
            "arn:aws:s3:::data/a/b/connector-audit-probe/x",
            "arn:aws:s3:::other/connector-audit-probe/k",
        ] {
            assert_ne!(ask("s3:GetObject", r, &none), Decision::Allowed, "{r}");
        }
        assert_ne!(
            ask("s3:ListBucket", "arn:aws:s3:::other", &prefix(PREFIX)),
            Decision::Allowed
        );
        // ten buckets of the longest names still fit AssumeRole's limit once some are skipped
        let long: Vec<String> = (0..10).map(|i| format!("{i}{}", "b".repeat(62))).collect();
        let fit = (1..=10)
            .take_while(|n| session_policy("aws", &long[..*n]).len() <= MAX_SESSION_POLICY)
            .count();
        assert!(fit >= 8, "{fit}");
        // never a write, anywhere; and nothing outside S3
        assert_ne!(
            ask(
                "s3:PutObject",
                "arn:aws:s3:::data/connector-audit-probe/k",
                &none
            ),
            Decision::Allowed
        );
        for a in ["iam:PassRole", "sts:AssumeRole", "kms:Decrypt", "s3:*"] {
            assert_ne!(ask(a, "*", &none), Decision::Allowed, "{a}");
        }
    }

    #[test]
    fn keys_stay_under_the_prefix() {
        for seed in ["", "../../etc", "a/b/c", "\u{0}"] {
            let k = ProbeKey::derive(seed);
            assert!(k.as_str().starts_with(PREFIX));
            assert_eq!(k.as_str().len(), PREFIX.len() + 32);
            assert!(
                k.as_str()[PREFIX.len()..]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit())
            );
        }
        assert_ne!(ProbeKey::derive("a"), ProbeKey::derive("b"));
    }

    #[test]
    fn bucket_names_and_session_names() {
        for ok in ["abc", "data-lake.prod", "a1-b2"] {
            assert!(is_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Data",
            "-abc",
            "abc-",
            "a..b",
            "a/b",
            "a*",
            &"a".repeat(64),
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
        let n = session_name(&"x/y z".repeat(30));
        assert!(n.len() <= 64 && n.starts_with("connector-audit-xyz"));
    }

    #[test]
    fn answers() {
        let f = |code: &str, status: u16| Answer::Failure {
            code: code.into(),
            status: Some(status),
        };
        assert_eq!(
            classify(ProbeAction::ListBucket, &Answer::Success),
            Outcome::Allowed
        );
        assert_eq!(
            classify(ProbeAction::ListBucket, &f("AccessDenied", 403)),
            Outcome::Denied
        );
        assert_eq!(
            classify(ProbeAction::DeleteObject, &f("HTTP 403", 403)),
            Outcome::Denied
        );
        assert_eq!(
            classify(ProbeAction::GetObject, &f("NoSuchKey", 404)),
            Outcome::Allowed
        );
        assert_eq!(
            classify(ProbeAction::ListBucket, &f("NoSuchKey", 404)),
            Outcome::Error
        );
        assert_eq!(
            classify(ProbeAction::GetObject, &f("NoSuchBucket", 404)),
            Outcome::Error
        );
        // a bad signature or an expired token is not a policy's answer
        assert_eq!(
            classify(ProbeAction::GetObject, &f("ExpiredToken", 400)),
            Outcome::Error
        );
        assert_eq!(
            classify(ProbeAction::GetObject, &f("SignatureDoesNotMatch", 403)),
            Outcome::Error
        );
    }

    const AUDITED_TRUST: &str = r#"{"Statement":[
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::428641199958:root"},"Action":"sts:AssumeRole",
       "Condition":{"StringEquals":{"sts:ExternalId":"vendor-id"}}},
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/connector-audit"},"Action":"sts:AssumeRole",
       "Condition":{"StringEquals":{"sts:ExternalId":"audit-id"}}}]}"#;

    const READ_A_WRITE_B: &str = r#"{"Statement":[
      {"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::data-a","arn:aws:s3:::data-a/*"]},
      {"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data-b/*"}]}"#;

    #[test]
    fn plans_scope_canary_and_predictions() {
        let snapshot = role(
            AUDITED_TRUST,
            &[READ_A_WRITE_B],
            &[("connector", "x"), (BUCKETS_TAG, "data-a BAD/NAME")],
        );
        let view = RoleView::new(&snapshot);
        let options = ProbeOptions {
            canary_bucket: Some("canary".into()),
            ..ProbeOptions::default()
        };
        let p = plan(&view, AUDITOR, &options, "run-1").unwrap();
        assert_eq!(p.external_id.as_deref(), Some("audit-id"));
        assert_eq!(p.invalid_buckets, ["BAD/NAME"]);
        let got: Vec<(&str, BucketScope, ProbeAction, Predicted)> = p
            .checks
            .iter()
            .map(|c| (c.bucket.as_str(), c.scope, c.action, c.predicted))
            .collect();
        use BucketScope::*;
        use Predicted::*;
        use ProbeAction::*;
        assert_eq!(
            got,
            [
                ("data-a", InScope, ListBucket, Allowed),
                ("data-a", InScope, GetObject, Allowed),
                ("data-a", InScope, DeleteObject, Denied),
                ("data-b", OutOfScope, ListBucket, Denied),
                ("data-b", OutOfScope, GetObject, Denied),
                ("data-b", OutOfScope, DeleteObject, Allowed),
                ("canary", Canary, ListBucket, Denied),
                ("canary", Canary, GetObject, Denied),
                ("canary", Canary, DeleteObject, Denied),
            ]
        );
        assert!(p.checks.iter().all(|c| c.key.as_str().starts_with(PREFIX)));
        // without the tag, the buckets the policies name are the scope; no delete checks
        let snapshot = role(AUDITED_TRUST, &[READ_A_WRITE_B], &[("connector", "x")]);
        let view = RoleView::new(&snapshot);
        let options = ProbeOptions {
            delete: false,
            ..ProbeOptions::default()
        };
        let p = plan(&view, AUDITOR, &options, "run-1").unwrap();
        assert!(
            p.checks
                .iter()
                .all(|c| c.scope == InScope && c.action != DeleteObject)
        );
        assert_eq!(p.checks.len(), 4);
    }

    #[test]
    fn a_role_that_does_not_trust_the_auditor_is_not_called() {
        let trust = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"428641199958"},"Action":"sts:AssumeRole"}}"#;
        let snapshot = role(trust, &[READ_A_WRITE_B], &[("connector", "x")]);
        let probe = plan(
            &RoleView::new(&snapshot),
            AUDITOR,
            &ProbeOptions::default(),
            "r",
        )
        .unwrap_err();
        assert!(!probe.assumed);
        assert_eq!(probe.error_code.unwrap(), "NotTrusted");
        assert!(
            probe
                .error_message
                .unwrap()
                .contains("role/connector-audit`")
        );
        let st = trust_statement(AUDITOR, &snapshot.arn);
        assert_eq!(
            st["Principal"]["AWS"],
            "arn:aws:iam::123456789012:role/connector-audit"
        );
        assert_eq!(
            st["Condition"]["StringEquals"]["sts:ExternalId"],
            suggested_external_id(AUDITOR, &snapshot.arn)
        );
        // stable across runs, distinct per role
        assert_eq!(
            suggested_external_id(AUDITOR, "r1"),
            suggested_external_id("arn:aws:iam::123456789012:role/connector-audit", "r1")
        );
        assert_ne!(
            suggested_external_id(AUDITOR, "r1"),
            suggested_external_id(AUDITOR, "r2")
        );
    }

    #[test]
    fn bucket_limit_lists_the_rest() {
        let names: Vec<String> = (0..15).map(|i| format!("bucket-{i:02}")).collect();
        let snapshot = role(
            AUDITED_TRUST,
            &[READ_A_WRITE_B],
            &[("connector", "x"), (BUCKETS_TAG, &names.join(" "))],
        );
        let p = plan(
            &RoleView::new(&snapshot),
            AUDITOR,
            &ProbeOptions::default(),
            "r",
        )
        .unwrap();
        let probed: BTreeSet<&str> = p.checks.iter().map(|c| c.bucket.as_str()).collect();
        assert_eq!(probed.len(), MAX_BUCKETS_PER_ROLE);
        // the tag's buckets, then data-a and data-b out of scope: 17 in all
        assert_eq!(p.buckets_skipped.len(), 17 - MAX_BUCKETS_PER_ROLE);
    }
}
