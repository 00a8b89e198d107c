//! `s3-bucket-admin` (high): see [`DOC`].

use super::s3_wildcard_bucket::join_short;
use super::{RoleView, Rule, RuleContext, actions_and_buckets, statement_label, witnessed};
use crate::fix::{self, FixInput, Placeholder};
use crate::model::{Finding, Severity};
use serde_json::Value;
use serde_json::json;

pub static RULE: Rule = Rule {
    id: "s3-bucket-admin",
    severity: Severity::High,
    title: "the role can change bucket configuration, policy or ACLs",
    doc: DOC,
    check,
    fix: Some(fix),
};

pub const DOC: &str = "\
What it flags
  Bucket-configuration actions reachable on a bucket resource: PutBucketPolicy,
  DeleteBucketPolicy, PutBucketAcl, PutBucketPublicAccessBlock, DeleteBucket,
  PutEncryptionConfiguration, PutBucketVersioning, PutLifecycleConfiguration,
  PutReplicationConfiguration, PutBucketOwnershipControls and every other action the S3
  service authorization reference lists as Write or Permissions management on the bucket
  resource type. `s3:*` on `arn:aws:s3:::bucket/*` alone does not grant them: that ARN is an
  object resource.

Why it matters
  A connector reads or writes objects. With bucket administration it can make the bucket
  public, replicate it to another account, switch off versioning, expire every object with a
  lifecycle rule, or delete the bucket.

Example
  {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": [\"arn:aws:s3:::acme\", \"arn:aws:s3:::acme/*\"]}

Fix
  Grant the object and list actions the connector uses (s3:GetObject, s3:PutObject,
  s3:ListBucket) instead of s3:* or s3:Put*.";

fn check(role: &RoleView<'_>, _ctx: &RuleContext, out: &mut Vec<Finding>) {
    for ((pi, si), grants) in role.grants_by_statement(|g| g.action.is_bucket_admin()) {
        let Some(statement) = role.statement(pi, si) else {
            continue;
        };
        let (actions, buckets) = actions_and_buckets(&grants);
        let policy = role.policy_ref(pi);
        let witness = super::representative(&grants)
            .and_then(|g| role.access_witness(&g.action.qualified(), &g.witness));
        out.push(witnessed(
            witness,
            role.finding(
            &RULE,
            policy.clone(),
            Some(statement),
            format!(
                "{} of {policy} grants {} bucket-administration action(s) ({}) on {}",
                statement_label(statement),
                actions.len(),
                join_short(&actions),
                join_short(&buckets)
            ),
            json!({ "actions": actions, "buckets": buckets }),
            format!(
                "Replace the wildcard actions of {} with the object and list actions the connector uses (s3:GetObject, s3:PutObject, s3:ListBucket)",
                statement_label(statement)
            ),
        )));
    }
}

/// The fix: the bucket-administration actions taken out (wildcards expanded into the
/// declared access).
fn fix(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let st = fix::statement(doc, input.finding)?;
    fix::narrow_actions(st, input.view.access, |a| a.is_bucket_admin());
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{SAME_ACCOUNT_TRUST, check as run, role, seed_roles};

    #[test]
    fn fires() {
        for (doc, expect) in [
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::acme","arn:aws:s3:::acme/*"]}}"#,
                "s3:PutBucketPolicy",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:PutBucketAcl","Resource":"arn:aws:s3:::acme"}}"#,
                "s3:PutBucketAcl",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:Put*","Resource":"*"}}"#,
                "s3:PutLifecycleConfiguration",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:deletebucket","Resource":"arn:aws:s3:::acme*"}}"#,
                "s3:DeleteBucket",
            ),
        ] {
            let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &[doc], &[]));
            assert_eq!(f.len(), 1, "{doc}");
            assert!(
                f[0].evidence["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a == expect),
                "{doc}"
            );
            assert_eq!(f[0].severity, Severity::High);
        }
    }

    #[test]
    fn does_not_fire() {
        for docs in [
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::acme/*"}}"#,
            ],
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}}"#,
            ],
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":"s3:PutBucketTagging","Resource":"arn:aws:s3:::acme"}}"#,
            ],
            vec![
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::acme"}}"#,
                r#"{"Statement":{"Effect":"Deny","NotAction":["s3:GetObject","s3:ListBucket"],"Resource":"*"}}"#,
            ],
        ] {
            let f = run(&RULE, &role(SAME_ACCOUNT_TRUST, &docs, &[]));
            assert!(f.is_empty(), "{docs:?}: {f:?}");
        }
    }

    #[test]
    fn seed_vendors_are_clean() {
        for (vendor, r) in seed_roles() {
            assert!(run(&RULE, &r).is_empty(), "{vendor}");
        }
    }
}
