//! Orchestration: an [`Inventory`] (from a dump or from IAM) -> the connector roles selected
//! by tag (and by name) -> every rule -> a [`Report`] -> the messages subscribers get.
//! The live path ([`run_live`]) reaches AWS only through two small traits, [`RoleSource`]
//! and [`FindingSink`], implemented in `aws/`; the clock and the run id come from the caller.

use crate::model::{
    Access, ErrorEntry, Finding, Inventory, Report, RoleEntry, RoleSnapshot, Severity,
    SeverityCounts, Source, Summary, Tool,
};
use crate::notify::{Message, RunInfo, messages};
use crate::policy::principal::is_account_id;
use crate::rules::registry::RULES;
use crate::rules::{RoleView, RuleContext, run_all};

/// What to audit and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// Roles carrying this tag key are connector roles.
    pub tag_key: String,
    /// When set, the tag must also have this value.
    pub tag_value: Option<String>,
    /// Accounts that are the user's own: their principals need no external id.
    pub trusted_accounts: Vec<String>,
    /// Only these roles (names or ARNs), when not empty; they must still carry the tag.
    pub roles: Vec<String>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            tag_key: "connector".to_string(),
            tag_value: None,
            trusted_accounts: Vec::new(),
            roles: Vec::new(),
        }
    }
}

/// A bad option value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("trusted account `{0}` is not a 12-digit AWS account id")]
    TrustedAccount(String),
    #[error("the tag key is empty")]
    EmptyTagKey,
}

impl AuditOptions {
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.tag_key.trim().is_empty() {
            return Err(OptionsError::EmptyTagKey);
        }
        if let Some(bad) = self.trusted_accounts.iter().find(|a| !is_account_id(a)) {
            return Err(OptionsError::TrustedAccount(bad.clone()));
        }
        Ok(())
    }

    /// Is this role a connector role under these options (tag, and name when roles are given)?
    pub fn selects(&self, role: &RoleSnapshot) -> bool {
        self.is_tagged(role) && (self.roles.is_empty() || self.names(role))
    }

    fn is_tagged(&self, role: &RoleSnapshot) -> bool {
        match (role.tags.get(&self.tag_key), &self.tag_value) {
            (Some(v), Some(want)) => v == want,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    fn names(&self, role: &RoleSnapshot) -> bool {
        self.roles.iter().any(|r| *r == role.name || *r == role.arn)
    }

    /// Error entries for requested roles that are missing or not connector roles.
    fn unselected_requests(&self, roles: &[RoleSnapshot]) -> Vec<ErrorEntry> {
        self.roles
            .iter()
            .filter_map(|wanted| {
                let found = roles.iter().find(|r| r.name == *wanted || r.arn == *wanted);
                let (code, message) = match found {
                    None => ("NoSuchEntity", format!("role `{wanted}` does not exist in the account")),
                    Some(r) if !self.is_tagged(r) => (
                        "NotAConnectorRole",
                        format!(
                            "role `{wanted}` does not carry the tag `{}`{}: only connector roles are audited",
                            self.tag_key,
                            self.tag_value.as_deref().map(|v| format!("={v}")).unwrap_or_default()
                        ),
                    ),
                    Some(_) => return None,
                };
                Some(ErrorEntry {
                    role_name: Some(wanted.clone()),
                    operation: "select-roles".into(),
                    code: code.into(),
                    message,
                })
            })
            .collect()
    }
}

/// Audits the connector roles of an inventory.
pub fn audit(
    inventory: Inventory,
    options: &AuditOptions,
    source: Source,
    generated_at: String,
) -> Report {
    let Inventory {
        account_id,
        roles,
        mut errors,
    } = inventory;
    errors.extend(options.unselected_requests(&roles));
    let mut selected: Vec<&RoleSnapshot> = roles.iter().filter(|r| options.selects(r)).collect();
    selected.sort_by(|a, b| a.name.cmp(&b.name));
    let views: Vec<RoleView<'_>> = selected.iter().map(|r| RoleView::new(r)).collect();
    for v in &views {
        if let Some(value) = v.snapshot.tags.get(Access::TAG)
            && v.access.is_none()
        {
            errors.push(ErrorEntry {
                role_name: Some(v.snapshot.name.clone()),
                operation: "read-tags".into(),
                code: "InvalidTagValue".into(),
                message: format!(
                    "tag `{}` has value `{value}`: expected one of read, write, append, read-write, full; delete grants were not judged",
                    Access::TAG
                ),
            });
        }
    }
    let ctx = RuleContext::new(&views, options.trusted_accounts.clone());
    let mut findings = run_all(&views, &ctx);
    sort_findings(&mut findings);
    let roles: Vec<RoleEntry> = views
        .iter()
        .map(|v| RoleEntry {
            role_name: v.snapshot.name.clone(),
            role_arn: v.snapshot.arn.clone(),
            connector: v.snapshot.tags.get(&options.tag_key).cloned(),
            access: v.access,
        })
        .collect();
    Report {
        schema_version: Report::SCHEMA_VERSION,
        tool: Tool::default(),
        account_id,
        generated_at,
        source,
        complete: errors.is_empty(),
        summary: Summary {
            roles_audited: roles.len(),
            findings: SeverityCounts::of(&findings),
        },
        roles,
        findings,
        errors,
    }
}

/// Where a live run gets its roles (IAM, in `aws/`).
pub trait RoleSource {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Every role of the account with its documents; per-role problems are error entries.
    fn inventory(&self) -> impl Future<Output = Result<Inventory, Self::Error>> + Send;
}

/// Where a live run sends its messages (SNS, in `aws/`).
pub trait FindingSink {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Publishes every message or fails; returns how many were accepted.
    fn publish(
        &self,
        messages: &[Message],
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send;
}

/// One live run's parameters.
#[derive(Debug, Clone)]
pub struct LiveRun {
    pub options: AuditOptions,
    /// Findings below this are not published (they stay in the report).
    pub min_severity: Severity,
    pub run_id: String,
    pub generated_at: String,
}

/// What a live run produced.
#[derive(Debug, Clone)]
pub struct LiveOutcome {
    pub report: Report,
    /// Messages accepted by the sink (0 when not publishing).
    pub published: usize,
}

/// A live run that could not finish. The report is kept whenever one was built, so that the
/// caller can still return or log it.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("publishing the findings failed: {source}")]
    Publish {
        report: Box<Report>,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Inventory -> audit -> publish. An inventory that cannot be read at all still gives a
/// report (no roles, `complete: false`, the error named) and a published summary, so that
/// subscribers hear of it.
pub async fn run_live<S: RoleSource, P: FindingSink>(
    source: &S,
    sink: Option<&P>,
    run: &LiveRun,
) -> Result<LiveOutcome, LiveError> {
    let inventory = match source.inventory().await {
        Ok(inv) => inv,
        Err(e) => Inventory {
            account_id: None,
            roles: Vec::new(),
            errors: vec![ErrorEntry {
                role_name: None,
                operation: "inventory".into(),
                code: "InventoryFailed".into(),
                message: format!("no role could be read: {e}"),
            }],
        },
    };
    let report = audit(
        inventory,
        &run.options,
        Source::Live,
        run.generated_at.clone(),
    );
    let Some(sink) = sink else {
        return Ok(LiveOutcome {
            report,
            published: 0,
        });
    };
    let info = RunInfo {
        run_id: &run.run_id,
        account_id: report.account_id.as_deref().unwrap_or("unknown"),
        min_severity: run.min_severity,
    };
    let messages = messages(&report, &info);
    match sink.publish(&messages).await {
        Ok(published) => Ok(LiveOutcome { report, published }),
        Err(e) => Err(LiveError::Publish {
            report: Box::new(report),
            source: Box::new(e),
        }),
    }
}

/// Most severe first, then by role, then in registry order, then by document and statement.
fn sort_findings(findings: &mut [Finding]) {
    let rank = |id: &str| RULES.iter().position(|r| r.id == id).unwrap_or(usize::MAX);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.role_name.cmp(&b.role_name))
            .then_with(|| rank(&a.rule).cmp(&rank(&b.rule)))
            .then_with(|| a.policy.cmp(&b.policy))
            .then_with(|| {
                let idx = |f: &Finding| f.statement.as_ref().map(|s| s.index);
                idx(a).cmp(&idx(b))
            })
    });
}

/// A run id for runs without a Lambda request id: time and process, hex.
pub fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("run-{nanos:x}-{:x}", std::process::id())
}

/// Now, as RFC 3339 UTC with second precision.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::parse_dump;
    use crate::model::Severity;

    #[test]
    fn selects_by_tag_and_value() {
        let mut opts = AuditOptions::default();
        let mut r = RoleSnapshot::default();
        assert!(!opts.selects(&r));
        r.tags.insert("connector".into(), "onyx".into());
        assert!(opts.selects(&r));
        opts.tag_value = Some("upsolver".into());
        assert!(!opts.selects(&r));
        opts.tag_value = Some("onyx".into());
        assert!(opts.selects(&r));
    }

    #[test]
    fn explicit_roles_must_exist_and_be_tagged() {
        let dump = r#"{"RoleDetailList":[
            {"RoleName":"a","Arn":"arn:aws:iam::123456789012:role/a","Tags":[{"Key":"connector","Value":"x"}]},
            {"RoleName":"b","Arn":"arn:aws:iam::123456789012:role/b","Tags":[{"Key":"connector","Value":"x"}]},
            {"RoleName":"plain","Arn":"arn:aws:iam::123456789012:role/plain"}]}"#;
        let opts = AuditOptions {
            roles: vec![
                "arn:aws:iam::123456789012:role/b".into(),
                "plain".into(),
                "ghost".into(),
            ],
            ..AuditOptions::default()
        };
        let report = audit(parse_dump(dump).unwrap(), &opts, Source::File, "t".into());
        assert_eq!(
            report
                .roles
                .iter()
                .map(|r| r.role_name.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        let codes: Vec<(&str, &str)> = report
            .errors
            .iter()
            .map(|e| (e.role_name.as_deref().unwrap(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [("plain", "NotAConnectorRole"), ("ghost", "NoSuchEntity")]
        );
        assert!(!report.complete);
    }

    #[test]
    fn validates_options() {
        let mut opts = AuditOptions::default();
        assert!(opts.validate().is_ok());
        opts.trusted_accounts = vec!["12345".into()];
        assert_eq!(
            opts.validate().unwrap_err().to_string(),
            "trusted account `12345` is not a 12-digit AWS account id"
        );
    }

    #[test]
    fn invalid_access_tag_is_an_error_entry() {
        let dump = r#"{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r",
            "AssumeRolePolicyDocument":{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}},
            "Tags":[{"Key":"connector","Value":"x"},{"Key":"connector-access","Value":"reed"}]}]}"#;
        let report = audit(
            parse_dump(dump).unwrap(),
            &AuditOptions::default(),
            Source::File,
            "t".into(),
        );
        assert!(!report.complete);
        assert_eq!(report.errors[0].code, "InvalidTagValue");
        assert!(report.errors[0].message.contains("`reed`"));
        assert_eq!(report.roles[0].access, None);
        assert_eq!(report.summary.roles_audited, 1);
        assert_eq!(report.max_severity(), None::<Severity>);
    }
}
