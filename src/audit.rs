//! Orchestration: an [`Inventory`] (from a dump now, from IAM later) -> the connector roles
//! selected by tag -> every rule -> a [`Report`]. No I/O here besides the clock the caller
//! passes in; the binaries read files and print.

use crate::model::{
    Access, ErrorEntry, Finding, Inventory, Report, RoleEntry, RoleSnapshot, SeverityCounts,
    Source, Summary, Tool,
};
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
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            tag_key: "connector".to_string(),
            tag_value: None,
            trusted_accounts: Vec::new(),
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

    /// Is this role a connector role under these options?
    pub fn selects(&self, role: &RoleSnapshot) -> bool {
        match (role.tags.get(&self.tag_key), &self.tag_value) {
            (Some(v), Some(want)) => v == want,
            (Some(_), None) => true,
            (None, _) => false,
        }
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
