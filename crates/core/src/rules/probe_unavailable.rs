//! `probe-unavailable` (info): see [`DOC`].

use super::{RoleView, Rule, RuleContext};
use crate::model::{Finding, PolicyRef, Severity};
use crate::probe::trust_statement;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "probe-unavailable",
    severity: Severity::Info,
    title: "the auditor could not assume the role to probe its effective access",
    doc: DOC,
    check,
    fix: None,
};

pub const DOC: &str = "\
What it flags
  With probing on (`--probe`, PROBE=on), a connector role whose credentials the auditor could
  not get: its trust policy has no statement for the auditor (`NotTrusted`, no call made), or
  sts:AssumeRole failed (the AWS error code is in the evidence).

Why it matters
  The probe is what shows effective access: SCPs, permissions boundaries, bucket and KMS key
  policies are invisible to a document reader. A role the auditor cannot assume is audited
  from its documents only.

Example
  A trust policy that names only the vendor:
  {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::428641199958:root\"},
   \"Action\": \"sts:AssumeRole\", \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"...\"}}}

Fix
  Add the statement in the remediation (the auditor's principal, with an external id of its
  own) to the role's trust policy. Every probe session carries a session policy that confines
  it to keys under connector-audit-probe/, whatever the role allows.";

fn check(role: &RoleView<'_>, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let Some(probe) = role.probe else { return };
    let code = probe
        .error_code
        .as_ref()
        .map_or("Unknown", crate::model::ErrorCode::as_str);
    if probe.assumed || probe.error_code == Some(crate::model::ErrorCode::DeadlineExceeded) {
        return;
    }
    let auditor = ctx.auditor_arn.as_deref().unwrap_or("the auditor");
    let statement = trust_statement(auditor, &role.snapshot.arn);
    let statement_text = statement.to_string();
    let remediation = if probe.error_code == Some(crate::model::ErrorCode::NotTrusted) {
        format!(
            "To let connector-audit probe this role, add this statement to its trust policy: {statement_text}"
        )
    } else {
        format!(
            "The trust policy lets the auditor in, but sts:AssumeRole failed with {code}: check that the role still carries the connector tag (the auditor may assume tagged roles only), that no SCP or permissions boundary denies sts:AssumeRole, and that the external id matches. The statement the auditor expects: {statement_text}"
        )
    };
    out.push(role.finding(
        &RULE,
        PolicyRef::Trust,
        None,
        format!(
            "the auditor could not assume the role to probe it ({code}): {}",
            probe.error_message.as_deref().unwrap_or("no detail")
        ),
        json!({
            "error_code": code,
            "auditor": auditor,
            "statement": statement,
        }),
        remediation,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RoleProbe;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, role};
    use crate::rules::{RoleView, RuleContext};

    fn run(probe: &RoleProbe) -> Vec<Finding> {
        let snapshot = role(SAME_ACCOUNT_TRUST, &[], &[("connector", "x")]);
        let view = RoleView::new(&snapshot).with_probe(Some(probe));
        let mut ctx = RuleContext::new(std::slice::from_ref(&view), vec![]);
        ctx.auditor_arn = Some("arn:aws:iam::123456789012:role/connector-audit".into());
        let mut out = vec![];
        check(&view, &ctx, &mut out);
        out
    }

    #[test]
    fn not_trusted_gets_the_statement_to_add() {
        let f = run(&RoleProbe {
            error_code: Some("NotTrusted".into()),
            error_message: Some("no statement".into()),
            ..RoleProbe::default()
        });
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].policy, PolicyRef::Trust);
        assert_eq!(
            f[0].evidence["statement"]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:role/connector-audit"
        );
        assert!(
            f[0].remediation
                .contains("\"sts:ExternalId\":\"connector-audit-")
        );
    }

    #[test]
    fn failed_assume_names_the_code_and_probed_roles_are_quiet() {
        let f = run(&RoleProbe {
            error_code: Some("AccessDenied".into()),
            ..RoleProbe::default()
        });
        assert!(f[0].remediation.contains("failed with AccessDenied"));
        assert!(
            run(&RoleProbe {
                assumed: true,
                ..RoleProbe::default()
            })
            .is_empty()
        );
        // a role the time budget left out is an error entry, not this finding
        assert!(
            run(&RoleProbe {
                error_code: Some("DeadlineExceeded".into()),
                ..RoleProbe::default()
            })
            .is_empty()
        );
    }
}
