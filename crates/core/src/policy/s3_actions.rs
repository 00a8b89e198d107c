//! The Amazon S3 actions (IAM prefix `s3:`), read from the embedded Service Authorization
//! Reference ([`super::service_reference`]), with the ARN form each action applies to:
//! `arn:aws:s3:::bucket` (bucket) or `arn:aws:s3:::bucket/key` (object). Used to expand
//! `s3:*`, `s3:Get*`, `NotAction` and `*` into concrete actions. PURE: no I/O.
//!
//! Resource rule: `Object` if `object` is among an action's resource types, else `Bucket` if
//! `bucket` is, else `Account` when the action has no resource type (only `*`), else `Other`
//! (access points, Multi-Region Access Points, Object Lambda access points, Storage Lens,
//! Batch Operations jobs, Access Grants). The reference lists `object` and `accesspointobject`
//! (and `bucket` and `accesspoint`) as alternatives, neither required: a request names one of
//! them, and on a bucket ARN it is the bucket or object form.

pub use super::service_reference::AccessLevel;
use std::sync::OnceLock;

/// The ARN form an action's required resource takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum S3Resource {
    /// `arn:aws:s3:::bucket`
    Bucket,
    /// `arn:aws:s3:::bucket/key`
    Object,
    /// no resource-level permissions: the action is granted on `*` (e.g. ListAllMyBuckets, CreateJob)
    Account,
    /// access points, multi-region access points, Storage Lens, batch jobs and other non-bucket resources
    Other,
}

/// One S3 action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Action {
    /// the action name without the `s3:` prefix, in the reference's casing, e.g. `GetObject`
    pub name: &'static str,
    pub resource: S3Resource,
    pub access: AccessLevel,
}

/// Every S3 action of the reference, sorted by name (case-insensitively).
pub fn s3_actions() -> &'static [S3Action] {
    static ACTIONS: OnceLock<Vec<S3Action>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let Some(s3) = super::service_reference::service("s3") else {
            return Vec::new();
        };
        s3.actions
            .iter()
            .map(|a| {
                let has = |name: &str| {
                    a.resources.iter().any(|r| {
                        s3.resource_type(r.index)
                            .is_some_and(|t| t.name.eq_ignore_ascii_case(name))
                    })
                };
                let resource = if has("object") {
                    S3Resource::Object
                } else if has("bucket") {
                    S3Resource::Bucket
                } else if a.resources.is_empty() {
                    S3Resource::Account
                } else {
                    S3Resource::Other
                };
                S3Action {
                    name: a.name,
                    resource,
                    access: a.access,
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(name: &str) -> S3Action {
        *s3_actions().iter().find(|a| a.name == name).unwrap()
    }

    /// What the hand-written table this replaces said of these actions, and still holds.
    #[test]
    fn the_reference_classifies_as_before() {
        assert_eq!(s3_actions().len(), 180);
        for (name, resource, access) in [
            ("GetObject", S3Resource::Object, AccessLevel::Read),
            (
                "DeleteObjectVersion",
                S3Resource::Object,
                AccessLevel::Write,
            ),
            ("ListBucket", S3Resource::Bucket, AccessLevel::List),
            (
                "PutBucketPolicy",
                S3Resource::Bucket,
                AccessLevel::PermissionsManagement,
            ),
            ("PutBucketTagging", S3Resource::Bucket, AccessLevel::Tagging),
            ("ListAllMyBuckets", S3Resource::Account, AccessLevel::List),
            ("CreateAccessPoint", S3Resource::Other, AccessLevel::Write),
            (
                "PutObjectAcl",
                S3Resource::Object,
                AccessLevel::PermissionsManagement,
            ),
            ("TagResource", S3Resource::Bucket, AccessLevel::Tagging),
            (
                "InitiateReplication",
                S3Resource::Object,
                AccessLevel::Write,
            ),
        ] {
            let a = find(name);
            assert_eq!((a.resource, a.access), (resource, access), "{name}");
        }
    }
}
