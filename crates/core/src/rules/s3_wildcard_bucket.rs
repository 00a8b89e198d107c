//! `s3-wildcard-bucket` (high; critical with write or delete): see [`DOC`].

use super::{RoleView, Rule, RuleContext, statement_label, witnessed};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, Severity};
use crate::policy::s3::Bucket;
use serde_json::Value;
use serde_json::json;
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    id: "s3-wildcard-bucket",
    severity: Severity::High,
    title: "S3 data access on buckets nobody named",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  An S3 data or list action (GetObject, PutObject, DeleteObject, ListBucket, ...) reachable on
  more than named buckets: `Resource: \"*\"`, `arn:aws:s3:::*`, a wildcard inside the bucket
  name (`arn:aws:s3:::acme-*`), or `NotResource`, after Deny statements are applied. AWS managed
  policies count (AmazonS3ReadOnlyAccess grants s3:Get* and s3:List* on `*`). High; critical
  when a write or delete action is reachable that way.

Why it matters
  A connector needs its own bucket. A wildcard reaches every bucket the account has now and
  will create later, including ones holding data the vendor should never see.

Example
  {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}

Fix
  List the connector's buckets: `\"Resource\": [\"arn:aws:s3:::BUCKET\", \"arn:aws:s3:::BUCKET/*\"]`,
  or add a Deny of s3:* with `NotResource` naming only those buckets.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    let groups =
        role.grants_by_statement(|g| g.bucket == Bucket::Unnamed && g.action.is_data_or_list());
    for ((pi, si), grants) in groups {
        let Some(statement) = role.statement(pi, si) else {
            continue;
        };
        let actions: BTreeSet<String> = grants.iter().map(|g| g.action.qualified()).collect();
        let writes: BTreeSet<String> = grants
            .iter()
            .filter(|g| g.action.is_object_write())
            .map(|g| g.action.qualified())
            .collect();
        let resources = statement
            .resource
            .as_ref()
            .map(|r| json!({ "negated": r.negated, "patterns": r.items }))
            .unwrap_or(serde_json::Value::Null);
        let policy = role.policy_ref(pi);
        let witness = super::representative(&grants)
            .and_then(|g| role.access_witness(&g.action.qualified(), &g.witness));
        let mut f = witnessed(
            witness,
            role.finding(
            &RULE,
            policy.clone(),
            Some(statement),
            format!(
                "{} of {policy} grants {} S3 data action(s) on buckets it does not name{}",
                statement_label(statement),
                actions.len(),
                if writes.is_empty() { String::new() } else { format!(", including write/delete ({})", join_short(&writes)) }
            ),
            json!({ "actions": actions, "write_actions": writes, "resource": resources }),
            "Replace the wildcard resource with the connector's buckets (`arn:aws:s3:::BUCKET` and `arn:aws:s3:::BUCKET/*`), or add `{\"Effect\": \"Deny\", \"Action\": \"s3:*\", \"NotResource\": [those ARNs]}`".to_string(),
        ));
        if !writes.is_empty() {
            f.severity = Severity::Critical;
        }
        role.add_probe_evidence(&mut f, |c| c.scope != crate::model::BucketScope::InScope);
        out.push(f);
    }
}

/// At most five names, then "and N more".
pub(crate) fn join_short(names: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    match names.len().saturating_sub(5) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// The fix: the wildcard buckets replaced by the connector's own.
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let st = fix::statement(doc, input.finding)?;
    let (buckets, placeholders) = fix::buckets(input);
    fix::name_buckets(st, &buckets);
    Some(placeholders)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NamedDocument, PolicyRef};
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, bounded, check as run, role, seed_roles};

    const READONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#;

    #[test]
    fn fires() {
        for (doc, sev) in [
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
                Severity::High,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::*"}}"#,
                Severity::High,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-*/*"}}"#,
                Severity::High,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
                Severity::Critical,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"S3:PUTOBJECT","Resource":"arn:aws:s3:::*/*"}}"#,
                Severity::Critical,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}}"#,
                Severity::High,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
                Severity::Critical,
            ),
        ] {
            let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &[doc], &[]));
            assert_eq!(f.len(), 1, "{doc}");
            assert_eq!(f[0].severity, sev, "{doc}");
            assert_eq!(f[0].policy, PolicyRef::Inline("p0".into()));
        }
    }

    #[test]
    fn aws_managed_read_only() {
        let mut r = role(SAME_ACCOUNT_TRUST, &[], &[]);
        r.managed.push(NamedDocument {
            name: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into(),
            document: READONLY.into(),
        });
        let f = run(&RULE, &r);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(
            f[0].policy,
            PolicyRef::Managed("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into())
        );
        let actions = f[0].evidence["actions"].as_array().unwrap();
        assert!(actions.iter().any(|a| a == "s3:GetObject"));
        assert!(actions.iter().any(|a| a == "s3:ListBucket"));
    }

    #[test]
    fn a_policy_variable_the_connector_controls_is_any_bucket() {
        let by_tag = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:PrincipalTag/bucket}/*"}}"#;
        let vendor = |actions: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::428641199958:role/vendor"}},"Action":{actions},"Condition":{{"StringEquals":{{"sts:ExternalId":"GTWKRE6K"}}}}}}]}}"#
            )
        };
        // the vendor may tag its sessions: session tags override the role's tag
        let tagging = role(
            &vendor(r#"["sts:AssumeRole","sts:TagSession"]"#),
            &[by_tag],
            &[("bucket", "exports")],
        );
        assert_eq!(run(&RULE, &tagging).len(), 1);
        // it may not: the role's own tag names the bucket
        let fixed = role(
            &vendor(r#""sts:AssumeRole""#),
            &[by_tag],
            &[("bucket", "exports")],
        );
        assert!(run(&RULE, &fixed).is_empty());
        // `aws:userid` holds the caller's session name
        let by_session = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:userid}/*"}}"#;
        assert_eq!(
            run(
                &RULE,
                &role(&vendor(r#""sts:AssumeRole""#), &[by_session], &[])
            )
            .len(),
            1
        );
        // a key a role session never has matches nothing
        let by_user = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"}}"#;
        assert!(
            run(
                &RULE,
                &role(&vendor(r#""sts:AssumeRole""#), &[by_user], &[])
            )
            .is_empty()
        );
    }

    #[test]
    fn a_permissions_boundary_limits_what_the_policies_grant() {
        let open = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        let one_bucket = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::exports","arn:aws:s3:::exports/*"]}}"#;
        let r = bounded(role(SAME_ACCOUNT_TRUST, &[open], &[]), one_bucket);
        assert!(run(&RULE, &r).is_empty());
        // a boundary that allows everything limits nothing; one that denies the bucket's
        // wildcard only conditionally limits nothing for sure
        for boundary in [
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#,
        ] {
            let r = bounded(role(SAME_ACCOUNT_TRUST, &[open], &[]), boundary);
            assert_eq!(run(&RULE, &r).len(), 1, "{boundary}");
        }
        // a boundary that does not parse is reported elsewhere and limits nothing here
        let r = bounded(role(SAME_ACCOUNT_TRUST, &[open], &[]), "not json");
        assert_eq!(run(&RULE, &r).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        for docs in [
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::acme","arn:aws:s3:::acme/*"]}}"#,
            ],
            // Deny carve-out leaves only the named bucket
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}}"#,
                r#"{"Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::acme","arn:aws:s3:::acme/*"]}}"#,
            ],
            // account-level actions on * are not bucket data
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}}"#,
            ],
            // non-S3 actions
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":"qbusiness:BatchPutDocument","Resource":"*"}}"#,
            ],
        ] {
            assert!(
                run(&RULE, &role(SAME_ACCOUNT_TRUST, &docs, &[])).is_empty(),
                "{docs:?}"
            );
        }
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
