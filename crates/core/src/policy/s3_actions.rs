//! The embedded table of Amazon S3 actions (IAM prefix `s3:`), from the AWS Service Authorization
//! Reference ("Actions, resources, and condition keys for Amazon S3"), revision current in 2026
//! (180 actions, including the S3 ABAC, S3 Metadata, object annotation and
//! `UpdateObjectEncryption` actions).
//! Used to expand `s3:*`, `s3:Get*`, `NotAction` and `*` into concrete actions, and to know which
//! ARN form each action applies to: `arn:aws:s3:::bucket` (bucket) or `arn:aws:s3:::bucket/key` (object).
//! PURE: no I/O.
//!
//! Sources. The action list and access levels follow the 2026 revision as mirrored in
//! `udondan/iam-floyd` (`lib/generated/policy-statements/s3.ts`). The resource types follow the
//! page's HTML as archived in `salesforce/policy_sentry`
//! (`policy_sentry/shared/data/docs/list_amazons3.html`, 2024), which covers 160 of the rows.
//!
//! Choices made where the sources need reading:
//! - The 2026 revision gives some actions two access levels ("Permissions management, Write",
//!   "Tagging, Write"). The table keeps the more specific one (Tagging, then Permissions
//!   management), as the HTML page shows it. This is why the Access Grants administration
//!   actions and `PutBucketOwnershipControls` are Permissions management here; the 2024 page
//!   had them as Write.
//! - `InitiateReplication` and `PauseReplication` are "[permission only]" actions. They are on
//!   the 2024 and 2025 pages but missing from the 2026 mirror. They are kept, because an
//!   expansion that misses an action is worse than one with an extra action.
//! - Resource types for the 20 actions added after 2024 are inferred from their APIs (bucket
//!   configuration → `Bucket`, per-object calls → `Object`). `ListTagsForResource`,
//!   `TagResource` and `UntagResource` are `Bucket` because they now also take general purpose
//!   buckets. None of their resource types is required, so this goes by the listed types.
//!
//! Resource rule: `Object` if `object` is among an action's required resource types, else
//! `Bucket` if `bucket` is, else `Account` when the action has no resource type (only `*`), else
//! `Other` (access points, Multi-Region Access Points, Object Lambda access points, Storage Lens,
//! Batch Operations jobs, Access Grants).

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

/// The access level the reference assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Action {
    /// the action name without the `s3:` prefix, in the reference's casing, e.g. `GetObject`
    pub name: &'static str,
    pub resource: S3Resource,
    pub access: AccessLevel,
}

/// Every S3 action, sorted by name.
pub const S3_ACTIONS: &[S3Action] = &[
    S3Action {
        name: "AbortMultipartUpload",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "AllowVendedLogDeliveryForResource",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "AssociateAccessGrantsIdentityCenter",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "BypassGovernanceRetention",
        resource: S3Resource::Object,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "CreateAccessGrant",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "CreateAccessGrantsInstance",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "CreateAccessGrantsLocation",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "CreateAccessPoint",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "CreateAccessPointForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "CreateBucket",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "CreateBucketMetadataTableConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "CreateJob",
        resource: S3Resource::Account,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "CreateMultiRegionAccessPoint",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "CreateStorageLensGroup",
        resource: S3Resource::Account,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteAccessGrant",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteAccessGrantsInstance",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteAccessGrantsInstanceResourcePolicy",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteAccessGrantsLocation",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteAccessPoint",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteAccessPointForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteAccessPointPolicy",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteAccessPointPolicyForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteBucket",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteBucketMetadataTableConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteBucketPolicy",
        resource: S3Resource::Bucket,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "DeleteBucketWebsite",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteJobTagging",
        resource: S3Resource::Other,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "DeleteMultiRegionAccessPoint",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteObject",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteObjectAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteObjectTagging",
        resource: S3Resource::Object,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "DeleteObjectVersion",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteObjectVersionAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteObjectVersionTagging",
        resource: S3Resource::Object,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "DeleteStorageLensConfiguration",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DeleteStorageLensConfigurationTagging",
        resource: S3Resource::Other,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "DeleteStorageLensGroup",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "DescribeJob",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "DescribeMultiRegionAccessPointOperation",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "DissociateAccessGrantsIdentityCenter",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "GetAccelerateConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessGrant",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessGrantsInstance",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessGrantsInstanceForPrefix",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessGrantsInstanceResourcePolicy",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessGrantsLocation",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPoint",
        resource: S3Resource::Account,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPointConfigurationForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPointForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPointPolicy",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPointPolicyForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPointPolicyStatus",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccessPointPolicyStatusForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAccountPublicAccessBlock",
        resource: S3Resource::Account,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetAnalyticsConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketAbac",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketAcl",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketCORS",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketLocation",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketLogging",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketMetadataTableConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketNotification",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketObjectLockConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketOwnershipControls",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketPolicy",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketPolicyStatus",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketPublicAccessBlock",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketRequestPayment",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketTagging",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketVersioning",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetBucketWebsite",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetDataAccess",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetEncryptionConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetIntelligentTieringConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetInventoryConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetJobTagging",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetLifecycleConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetMetricsConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetMultiRegionAccessPoint",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetMultiRegionAccessPointPolicy",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetMultiRegionAccessPointPolicyStatus",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetMultiRegionAccessPointRoutes",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObject",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectAcl",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectAttributes",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectLegalHold",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectRetention",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectTagging",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectTorrent",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersion",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionAcl",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionAnnotationForReplication",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionAttributes",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionForReplication",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionTagging",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetObjectVersionTorrent",
        resource: S3Resource::Object,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetReplicationConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetStorageLensConfiguration",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetStorageLensConfigurationTagging",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetStorageLensDashboard",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "GetStorageLensGroup",
        resource: S3Resource::Other,
        access: AccessLevel::Read,
    },
    S3Action {
        name: "InitiateReplication",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "ListAccessGrants",
        resource: S3Resource::Other,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListAccessGrantsInstances",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListAccessGrantsLocations",
        resource: S3Resource::Other,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListAccessPoints",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListAccessPointsForObjectLambda",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListAllMyBuckets",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListBucket",
        resource: S3Resource::Bucket,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListBucketMultipartUploads",
        resource: S3Resource::Bucket,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListBucketVersions",
        resource: S3Resource::Bucket,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListCallerAccessGrants",
        resource: S3Resource::Other,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListJobs",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListMultiRegionAccessPoints",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListMultipartUploadParts",
        resource: S3Resource::Object,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListObjectAnnotations",
        resource: S3Resource::Object,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListObjectVersionAnnotations",
        resource: S3Resource::Object,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListStorageLensConfigurations",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListStorageLensGroups",
        resource: S3Resource::Account,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ListTagsForResource",
        resource: S3Resource::Bucket,
        access: AccessLevel::List,
    },
    S3Action {
        name: "ObjectOwnerOverrideToBucketOwner",
        resource: S3Resource::Object,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PauseReplication",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutAccelerateConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutAccessGrantsInstanceResourcePolicy",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutAccessPointConfigurationForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutAccessPointPolicy",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutAccessPointPolicyForObjectLambda",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutAccessPointPublicAccessBlock",
        resource: S3Resource::Account,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutAccountPublicAccessBlock",
        resource: S3Resource::Account,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutAnalyticsConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketAbac",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketAcl",
        resource: S3Resource::Bucket,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutBucketCORS",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketLogging",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketNotification",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketObjectLockConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketOwnershipControls",
        resource: S3Resource::Bucket,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutBucketPolicy",
        resource: S3Resource::Bucket,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutBucketPublicAccessBlock",
        resource: S3Resource::Bucket,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutBucketRequestPayment",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketTagging",
        resource: S3Resource::Bucket,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "PutBucketVersioning",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutBucketWebsite",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutEncryptionConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutIntelligentTieringConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutInventoryConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutJobTagging",
        resource: S3Resource::Other,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "PutLifecycleConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutMetricsConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutMultiRegionAccessPointPolicy",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutObject",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutObjectAcl",
        resource: S3Resource::Object,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutObjectAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutObjectLegalHold",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutObjectRetention",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutObjectTagging",
        resource: S3Resource::Object,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "PutObjectVersionAcl",
        resource: S3Resource::Object,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "PutObjectVersionAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutObjectVersionTagging",
        resource: S3Resource::Object,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "PutReplicationConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutStorageLensConfiguration",
        resource: S3Resource::Account,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "PutStorageLensConfigurationTagging",
        resource: S3Resource::Other,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "ReplicateDelete",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "ReplicateObject",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "ReplicateObjectAnnotation",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "ReplicateTags",
        resource: S3Resource::Object,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "RestoreObject",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "SubmitMultiRegionAccessPointRoutes",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "TagResource",
        resource: S3Resource::Bucket,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "UntagResource",
        resource: S3Resource::Bucket,
        access: AccessLevel::Tagging,
    },
    S3Action {
        name: "UpdateAccessGrantsLocation",
        resource: S3Resource::Other,
        access: AccessLevel::PermissionsManagement,
    },
    S3Action {
        name: "UpdateBucketMetadataAnnotationTableConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "UpdateBucketMetadataInventoryTableConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "UpdateBucketMetadataJournalTableConfiguration",
        resource: S3Resource::Bucket,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "UpdateJobPriority",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "UpdateJobStatus",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "UpdateObjectEncryption",
        resource: S3Resource::Object,
        access: AccessLevel::Write,
    },
    S3Action {
        name: "UpdateStorageLensGroup",
        resource: S3Resource::Other,
        access: AccessLevel::Write,
    },
];

#[cfg(test)]
mod tests {
    use super::{AccessLevel, S3_ACTIONS, S3Action, S3Resource};
    use std::collections::HashSet;

    fn lookup(name: &str) -> S3Action {
        *S3_ACTIONS
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the table"))
    }

    #[test]
    fn names_are_unique() {
        let mut seen = HashSet::new();
        for action in S3_ACTIONS {
            assert!(seen.insert(action.name), "duplicate row {}", action.name);
        }
    }

    #[test]
    fn table_is_sorted_by_name() {
        for pair in S3_ACTIONS.windows(2) {
            assert!(
                pair[0].name.as_bytes() < pair[1].name.as_bytes(),
                "{} should come after {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn names_are_bare_action_names() {
        for action in S3_ACTIONS {
            assert!(!action.name.is_empty());
            assert!(
                action.name.bytes().all(|b| b.is_ascii_alphabetic()),
                "{} is not a bare action name",
                action.name
            );
            assert!(
                action.name.as_bytes()[0].is_ascii_uppercase(),
                "{}",
                action.name
            );
        }
    }

    #[test]
    fn has_at_least_120_rows() {
        assert!(S3_ACTIONS.len() >= 120, "only {} rows", S3_ACTIONS.len());
    }

    #[test]
    fn known_classifications() {
        use AccessLevel::{List, PermissionsManagement, Read, Tagging, Write};
        use S3Resource::{Account, Bucket, Object};
        let expected = [
            ("GetObject", Object, Read),
            ("PutObject", Object, Write),
            ("DeleteObject", Object, Write),
            ("DeleteObjectVersion", Object, Write),
            ("ListBucket", Bucket, List),
            ("ListBucketVersions", Bucket, List),
            ("ListBucketMultipartUploads", Bucket, List),
            ("ListMultipartUploadParts", Object, List),
            ("ListAllMyBuckets", Account, List),
            ("PutBucketPolicy", Bucket, PermissionsManagement),
            ("PutBucketAcl", Bucket, PermissionsManagement),
            ("PutObjectAcl", Object, PermissionsManagement),
            ("DeleteBucket", Bucket, Write),
            ("PutLifecycleConfiguration", Bucket, Write),
            ("PutReplicationConfiguration", Bucket, Write),
            ("PutEncryptionConfiguration", Bucket, Write),
            ("PutBucketVersioning", Bucket, Write),
            ("PutBucketPublicAccessBlock", Bucket, PermissionsManagement),
            ("PutBucketOwnershipControls", Bucket, PermissionsManagement),
            ("CreateBucket", Bucket, Write),
            ("CreateJob", Account, Write),
            ("GetAccessPoint", Account, Read),
            ("PutObjectTagging", Object, Tagging),
        ];
        for (name, resource, access) in expected {
            let row = lookup(name);
            assert_eq!(row.resource, resource, "resource of {name}");
            assert_eq!(row.access, access, "access level of {name}");
        }
    }

    #[test]
    fn other_resources_are_not_buckets_or_objects() {
        for name in [
            "CreateAccessPoint",
            "GetAccessPointPolicy",
            "PutMultiRegionAccessPointPolicy",
            "GetStorageLensConfiguration",
            "DescribeJob",
            "CreateAccessGrant",
        ] {
            assert_eq!(lookup(name).resource, S3Resource::Other, "{name}");
        }
    }
}
