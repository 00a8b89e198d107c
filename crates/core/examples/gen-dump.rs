//! Generates a synthetic `aws iam get-account-authorization-details` (GAAD) dump for benchmarks.
//!
//! ```text
//! cargo run --release -p connector-audit-core --example gen-dump -- [ROLES] [SEED] > dump.json
//! ```
//!
//! `ROLES` defaults to 1000 and `SEED` to 42. The same pair always gives byte-identical output:
//! the randomness is a small xorshift64 generator, not the `rand` crate. A one-line summary goes
//! to stderr; the dump goes to stdout.
//!
//! The dump has the top-level shape the AWS CLI prints (`UserDetailList`, `GroupDetailList`,
//! `RoleDetailList`, `Policies`, indented by 4 spaces) for account `123456789012`:
//!
//! - About 90% of the roles carry the tag `connector` (one of `onyx`, `amazon-q`, `upsolver`,
//!   `milvus`, `google-datasync`) and `connector-access` (`read`, `write`, `append`,
//!   `read-write` or `full`). Their trust and permissions follow the vendors' set-up guides
//!   (`tests/fixtures/seeds/`), with a bucket per role.
//! - About 30% of those connector roles are a risky variant: no `sts:ExternalId`,
//!   `StringEqualsIfExists`, a placeholder external id, `Principal {"AWS": "*"}`,
//!   `system:serviceaccount:*:*` under `StringLike`, a service trust with no condition, a Google
//!   trust with no `sub`, `s3:*` on `*`, or `DeleteObject` while access is `read`.
//! - The other ~10% have no `connector` tag (cross-account trust, admin permissions): the
//!   auditor must skip them.
//! - About 20% of all roles also attach a managed policy: one of three customer managed policies
//!   or the AWS managed `AmazonS3ReadOnlyAccess`. Each attached policy appears once in `Policies`
//!   with its `AttachmentCount`.
//! - About 20% of all policy documents are URL-encoded strings instead of JSON objects, as the
//!   IAM API returns them (every byte other than ASCII alphanumerics and `-_.~` is escaped).
//!
//! `make bench` runs `scripts/bench.sh`, which builds this example and `connector-audit` in
//! release mode, generates dumps of 1000 and 5000 roles with the default seed, and times
//! `connector-audit check --input DUMP --format json --fail-on critical` on each.
//!
//! Object keys are written in insertion order, which relies on the crate's `serde_json`
//! `preserve_order` feature.

use std::error::Error;
use std::io::{self, BufWriter, Write};

use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const UPSOLVER_ACCOUNT: &str = "428641199958";
const REGION: &str = "us-east-1";
const ROLE_CREATE_DATE: &str = "2025-01-02T03:04:05+00:00";
const POLICY_DATE: &str = "2024-11-05T08:09:10+00:00";
const POLICY_VERSION: &str = "2012-10-17";

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_HEX: &[u8] = b"0123456789ABCDEF";
const DIGITS: &[u8] = b"0123456789";

/// Share of roles without the `connector` tag, in percent.
const UNTAGGED_PERCENT: u64 = 10;
/// Share of connector roles that get a risky variant, in percent.
const RISKY_PERCENT: u64 = 30;
/// Share of roles that attach a managed policy, in percent.
const MANAGED_PERCENT: u64 = 20;
/// Share of policy documents written URL-encoded, in percent.
const ENCODED_PERCENT: u64 = 20;

/// xorshift64 (13, 7, 17), seeded through splitmix64 so that any seed, even 0, works.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self(if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-shift rather than modulo.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index in `0..len`.
    fn index(&mut self, len: usize) -> usize {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        usize::try_from(self.below(len)).unwrap_or(0)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                let at = self.index(alphabet.len());
                alphabet.get(at).map_or('A', |b| char::from(*b))
            })
            .collect()
    }

    /// A random version-4 UUID, lowercase.
    fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

#[derive(Clone, Copy)]
enum Vendor {
    Onyx,
    AmazonQ,
    Upsolver,
    Milvus,
    Google,
}

impl Vendor {
    fn from_index(i: u64) -> Self {
        match i {
            0 => Self::Onyx,
            1 => Self::AmazonQ,
            2 => Self::Upsolver,
            3 => Self::Milvus,
            _ => Self::Google,
        }
    }

    /// Value of the `connector` tag, also used in role names.
    fn tag(self) -> &'static str {
        match self {
            Self::Onyx => "onyx",
            Self::AmazonQ => "amazon-q",
            Self::Upsolver => "upsolver",
            Self::Milvus => "milvus",
            Self::Google => "google-datasync",
        }
    }

    fn bucket_prefix(self) -> &'static str {
        match self {
            Self::Onyx => "acme-onyx",
            Self::AmazonQ => "acme-q",
            Self::Upsolver => "acme-upsolver",
            Self::Milvus => "acme-milvus",
            Self::Google => "acme-datasync",
        }
    }

    fn inline_policy_name(self) -> &'static str {
        match self {
            Self::Onyx => "OnyxS3SourceBucketRead",
            Self::AmazonQ => "AmazonQ-S3-DataSource-Policy",
            Self::Upsolver => "UpsolverS3Access",
            Self::Milvus => "MilvusS3ReadWrite",
            Self::Google => "DataSyncS3DestinationWrite",
        }
    }
}

/// How a connector role departs from its vendor's guide.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Risk {
    None,
    NoExternalId,
    IfExists,
    PlaceholderId,
    AnyPrincipal,
    AnyServiceAccount,
    UnpinnedService,
    UnpinnedGoogle,
    S3StarOnStar,
    DeleteWhileRead,
}

impl Risk {
    const RISKY_KINDS: u64 = 9;

    fn from_index(i: u64) -> Self {
        match i {
            0 => Self::NoExternalId,
            1 => Self::IfExists,
            2 => Self::PlaceholderId,
            3 => Self::AnyPrincipal,
            4 => Self::AnyServiceAccount,
            5 => Self::UnpinnedService,
            6 => Self::UnpinnedGoogle,
            7 => Self::S3StarOnStar,
            _ => Self::DeleteWhileRead,
        }
    }

    /// The vendor whose trust this variant bends, if it is tied to one.
    fn vendor(self) -> Option<Vendor> {
        match self {
            Self::NoExternalId | Self::IfExists | Self::PlaceholderId | Self::AnyPrincipal => {
                Some(Vendor::Upsolver)
            }
            Self::AnyServiceAccount => Some(Vendor::Milvus),
            Self::UnpinnedService => Some(Vendor::AmazonQ),
            Self::UnpinnedGoogle => Some(Vendor::Google),
            Self::None | Self::S3StarOnStar | Self::DeleteWhileRead => None,
        }
    }
}

/// A managed policy that roles may attach; listed in `Policies` when attached (customer
/// managed ones always, as GAAD does).
struct Managed {
    name: &'static str,
    arn: String,
    id: String,
    owned_by_aws: bool,
    allows_delete: bool,
    version_id: &'static str,
    create_date: &'static str,
    update_date: &'static str,
    document: Value,
    attachments: u64,
}

#[derive(Default)]
struct Stats {
    connector: u64,
    untagged: u64,
    risky: u64,
    attachments: u64,
    documents: u64,
    encoded: u64,
}

struct Generator {
    rng: Rng,
    managed: Vec<Managed>,
    /// OIDC issuer ids of a few EKS clusters, shared by the Milvus roles.
    eks_clusters: Vec<String>,
    stats: Stats,
}

fn s3_statement(actions: &[&str], resources: &[String]) -> Value {
    json!({ "Effect": "Allow", "Action": actions, "Resource": resources })
}

fn bucket_arns(bucket: &str) -> Vec<String> {
    vec![
        format!("arn:aws:s3:::{bucket}"),
        format!("arn:aws:s3:::{bucket}/*"),
    ]
}

fn policy(statements: Vec<Value>) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("Version".to_owned(), Value::from(POLICY_VERSION));
    doc.insert("Statement".to_owned(), Value::Array(statements));
    Value::Object(doc)
}

/// Adds a `Condition` block to a statement object.
fn with_condition(mut statement: Value, condition: Value) -> Value {
    if let Some(fields) = statement.as_object_mut() {
        fields.insert("Condition".to_owned(), condition);
    }
    statement
}

/// Percent-encodes every byte that is not an ASCII alphanumeric or one of `-_.~`, like
/// Python's `urllib.parse.quote(text, safe='')`.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    UPPER_HEX
        .get(usize::from(nibble))
        .map_or('0', |b| char::from(*b))
}

impl Generator {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let customer = |rng: &mut Rng, name: &'static str, allows_delete, statements| Managed {
            name,
            arn: format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
            id: format!("ANPA{}", rng.string(UPPER_ALNUM, 17)),
            owned_by_aws: false,
            allows_delete,
            version_id: "v1",
            create_date: POLICY_DATE,
            update_date: POLICY_DATE,
            document: policy(statements),
            attachments: 0,
        };
        let managed = vec![
            customer(
                &mut rng,
                "ConnectorSharedReferenceRead",
                false,
                vec![s3_statement(
                    &["s3:GetObject", "s3:ListBucket"],
                    &bucket_arns("acme-connector-reference"),
                )],
            ),
            customer(
                &mut rng,
                "MilvusSharedIndexReadWrite",
                true,
                vec![
                    s3_statement(
                        &["s3:ListBucket"],
                        &["arn:aws:s3:::acme-milvus-shared-index".to_owned()],
                    ),
                    s3_statement(
                        &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                        &["arn:aws:s3:::acme-milvus-shared-index/*".to_owned()],
                    ),
                ],
            ),
            customer(
                &mut rng,
                "DataSyncSharedExportWrite",
                false,
                vec![s3_statement(
                    &["s3:PutObject"],
                    &["arn:aws:s3:::acme-datasync-shared-exports/*".to_owned()],
                )],
            ),
            Managed {
                name: "AmazonS3ReadOnlyAccess",
                arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".to_owned(),
                id: "ANPAIZTJ4DXE7G6AGAE6M".to_owned(),
                owned_by_aws: true,
                allows_delete: false,
                version_id: "v3",
                create_date: "2015-02-06T18:40:59+00:00",
                update_date: "2023-08-10T21:31:39+00:00",
                document: policy(vec![json!({
                    "Effect": "Allow",
                    "Action": [
                        "s3:Get*",
                        "s3:List*",
                        "s3:Describe*",
                        "s3-object-lambda:Get*",
                        "s3-object-lambda:List*"
                    ],
                    "Resource": "*"
                })]),
                attachments: 0,
            },
        ];
        let eks_clusters = (0..3).map(|_| rng.string(UPPER_HEX, 32)).collect();
        Self {
            rng,
            managed,
            eks_clusters,
            stats: Stats::default(),
        }
    }

    /// Returns the document as is, or (sometimes) as the URL-encoded string IAM returns.
    fn document(&mut self, doc: Value) -> Value {
        self.stats.documents += 1;
        if self.rng.percent(ENCODED_PERCENT) {
            self.stats.encoded += 1;
            Value::String(url_encode(&doc.to_string()))
        } else {
            doc
        }
    }

    fn role(&mut self, index: usize) -> Value {
        if self.rng.percent(UNTAGGED_PERCENT) {
            self.stats.untagged += 1;
            return self.untagged_role(index);
        }
        self.stats.connector += 1;
        let risk = if self.rng.percent(RISKY_PERCENT) {
            self.stats.risky += 1;
            Risk::from_index(self.rng.below(Risk::RISKY_KINDS))
        } else {
            Risk::None
        };
        let vendor = match risk.vendor() {
            Some(v) => v,
            None => Vendor::from_index(self.rng.below(5)),
        };
        let name = format!("connector-{index:06}-{}", vendor.tag());
        let bucket = format!("{}-{index:06}", vendor.bucket_prefix());
        let access = match (risk, vendor) {
            (Risk::DeleteWhileRead, _) | (_, Vendor::Onyx | Vendor::AmazonQ) => "read",
            (_, Vendor::Milvus) => "full",
            (_, Vendor::Upsolver) => {
                if self.rng.percent(50) {
                    "full"
                } else {
                    "read-write"
                }
            }
            (_, Vendor::Google) => {
                if self.rng.percent(50) {
                    "append"
                } else {
                    "write"
                }
            }
        };

        let trust = self.trust(vendor, risk, index);
        let (policy_name, permissions) = match risk {
            Risk::S3StarOnStar => (
                "LegacyS3FullAccess",
                policy(vec![
                    json!({ "Effect": "Allow", "Action": "s3:*", "Resource": "*" }),
                ]),
            ),
            Risk::DeleteWhileRead => (
                vendor.inline_policy_name(),
                policy(vec![s3_statement(
                    &["s3:GetObject", "s3:ListBucket", "s3:DeleteObject"],
                    &bucket_arns(&bucket),
                )]),
            ),
            _ => (
                vendor.inline_policy_name(),
                self.permissions(vendor, access, &bucket),
            ),
        };
        let trust = self.document(trust);
        let permissions = self.document(permissions);
        let attached = self.maybe_attach(access == "full");
        let role_id = format!("AROA{}", self.rng.string(UPPER_ALNUM, 17));
        json!({
            "Path": "/",
            "RoleName": name,
            "RoleId": role_id,
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "CreateDate": ROLE_CREATE_DATE,
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [],
            "RolePolicyList": [{ "PolicyName": policy_name, "PolicyDocument": permissions }],
            "AttachedManagedPolicies": attached,
            "Tags": [
                { "Key": "connector", "Value": vendor.tag() },
                { "Key": "connector-access", "Value": access }
            ],
            "RoleLastUsed": {}
        })
    }

    /// A role an auditor that ignores tags would flag: cross-account trust without a
    /// condition and `*` on `*`.
    fn untagged_role(&mut self, index: usize) -> Value {
        let name = format!("internal-{index:06}-ops");
        let trust = self.document(policy(vec![json!({
            "Effect": "Allow",
            "Principal": { "AWS": "arn:aws:iam::210987654321:root" },
            "Action": "sts:AssumeRole"
        })]));
        let permissions = self.document(policy(vec![json!({
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*"
        })]));
        let attached = self.maybe_attach(true);
        let role_id = format!("AROA{}", self.rng.string(UPPER_ALNUM, 17));
        json!({
            "Path": "/",
            "RoleName": name,
            "RoleId": role_id,
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "CreateDate": ROLE_CREATE_DATE,
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [],
            "RolePolicyList": [{ "PolicyName": "OpsBreakglass", "PolicyDocument": permissions }],
            "AttachedManagedPolicies": attached,
            "Tags": [{ "Key": "owner", "Value": "platform-ops" }],
            "RoleLastUsed": {}
        })
    }

    /// Attaches a managed policy to about `MANAGED_PERCENT` of roles. A policy that allows
    /// deletes only goes to roles whose access allows them.
    fn maybe_attach(&mut self, deletes_ok: bool) -> Value {
        if !self.rng.percent(MANAGED_PERCENT) {
            return json!([]);
        }
        let mut at = self.rng.index(self.managed.len());
        if !deletes_ok && self.managed.get(at).is_some_and(|m| m.allows_delete) {
            at = 0;
        }
        match self.managed.get_mut(at) {
            Some(m) => {
                m.attachments += 1;
                self.stats.attachments += 1;
                json!([{ "PolicyName": m.name, "PolicyArn": m.arn }])
            }
            None => json!([]),
        }
    }

    fn trust(&mut self, vendor: Vendor, risk: Risk, index: usize) -> Value {
        let statement = match vendor {
            Vendor::Onyx => json!({
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:role/OnyxEC2Role") },
                "Action": "sts:AssumeRole"
            }),
            Vendor::AmazonQ => {
                let app = self.rng.uuid();
                let statement = json!({
                    "Sid": "AllowsAmazonQToAssumeRoleForServicePrincipal",
                    "Effect": "Allow",
                    "Principal": { "Service": "qbusiness.amazonaws.com" },
                    "Action": "sts:AssumeRole"
                });
                if risk == Risk::UnpinnedService {
                    statement
                } else {
                    let condition = json!({
                        "StringEquals": { "aws:SourceAccount": ACCOUNT },
                        "ArnLike": {
                            "aws:SourceArn":
                                format!("arn:aws:qbusiness:{REGION}:{ACCOUNT}:application/{app}")
                        }
                    });
                    with_condition(statement, condition)
                }
            }
            Vendor::Upsolver => self.upsolver_trust(risk),
            Vendor::Milvus => self.milvus_trust(risk, index),
            Vendor::Google => {
                let statement = json!({
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRoleWithWebIdentity"],
                    "Principal": { "Federated": "accounts.google.com" }
                });
                if risk == Risk::UnpinnedGoogle {
                    statement
                } else {
                    let sub = format!("1{}", self.rng.string(DIGITS, 20));
                    let condition = json!({ "StringEquals": { "accounts.google.com:sub": sub } });
                    with_condition(statement, condition)
                }
            }
        };
        policy(vec![statement])
    }

    /// The Upsolver guide's trust: Upsolver's role in account 428641199958, pinned by
    /// `sts:ExternalId`, or one of its risky variants.
    fn upsolver_trust(&mut self, risk: Risk) -> Value {
        let principal = if risk == Risk::AnyPrincipal {
            "*".to_owned()
        } else {
            format!(
                "arn:aws:iam::{UPSOLVER_ACCOUNT}:role/upsolver-role-{}",
                self.rng.uuid()
            )
        };
        let statement = json!({
            "Effect": "Allow",
            "Principal": { "AWS": principal },
            "Action": "sts:AssumeRole"
        });
        let condition = match risk {
            Risk::NoExternalId => return statement,
            Risk::IfExists => json!({
                "StringEqualsIfExists": { "sts:ExternalId": self.rng.string(UPPER_ALNUM, 8) }
            }),
            Risk::PlaceholderId => json!({
                "StringEquals": { "sts:ExternalId": "YOUR_EXTERNAL_ID" }
            }),
            Risk::AnyPrincipal => json!({
                "StringEquals": { "sts:ExternalId": self.rng.string(MIXED_ALNUM, 24) }
            }),
            _ => json!({
                "StringEquals": { "sts:ExternalId": self.rng.string(UPPER_ALNUM, 8) }
            }),
        };
        with_condition(statement, condition)
    }

    /// The Milvus guide's EKS IRSA trust: `:sub` pinned to one service account and `:aud` to
    /// STS, or `:sub` matching any service account.
    fn milvus_trust(&mut self, risk: Risk, index: usize) -> Value {
        let at = self.rng.index(self.eks_clusters.len());
        let cluster = self.eks_clusters.get(at).cloned().unwrap_or_default();
        let issuer = format!("oidc.eks.{REGION}.amazonaws.com/id/{cluster}");
        let condition = if risk == Risk::AnyServiceAccount {
            json!({
                "StringEquals": { format!("{issuer}:aud"): "sts.amazonaws.com" },
                "StringLike": { format!("{issuer}:sub"): "system:serviceaccount:*:*" }
            })
        } else {
            json!({
                "StringEquals": {
                    format!("{issuer}:sub"):
                        format!("system:serviceaccount:milvus-{index:06}:milvus-s3-access-sa"),
                    format!("{issuer}:aud"): "sts.amazonaws.com"
                }
            })
        };
        json!({
            "Effect": "Allow",
            "Principal": { "Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}") },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition
        })
    }

    /// The permissions policy from the vendor's guide, on this role's bucket.
    fn permissions(&mut self, vendor: Vendor, access: &str, bucket: &str) -> Value {
        let bucket_arn = format!("arn:aws:s3:::{bucket}");
        let objects_arn = format!("arn:aws:s3:::{bucket}/*");
        match vendor {
            Vendor::Onyx => policy(vec![s3_statement(
                &["s3:GetObject", "s3:ListBucket"],
                &bucket_arns(bucket),
            )]),
            Vendor::AmazonQ => {
                let app = format!(
                    "arn:aws:qbusiness:{REGION}:{ACCOUNT}:application/{}",
                    self.rng.uuid()
                );
                let index = format!("{app}/index/{}", self.rng.uuid());
                let pinned = json!({ "StringEquals": { "aws:ResourceAccount": ACCOUNT } });
                policy(vec![
                    json!({
                        "Sid": "AllowsAmazonQToGetObjectfromS3",
                        "Action": ["s3:GetObject"],
                        "Resource": [objects_arn],
                        "Effect": "Allow",
                        "Condition": pinned
                    }),
                    json!({
                        "Sid": "AllowsAmazonQToListS3Buckets",
                        "Action": ["s3:ListBucket"],
                        "Resource": [bucket_arn],
                        "Effect": "Allow",
                        "Condition": pinned
                    }),
                    json!({
                        "Sid": "AllowsAmazonQToIngestDocuments",
                        "Effect": "Allow",
                        "Action": ["qbusiness:BatchPutDocument", "qbusiness:BatchDeleteDocument"],
                        "Resource": index
                    }),
                    json!({
                        "Sid": "AllowsAmazonQToCallPrincipalMappingAPIs",
                        "Effect": "Allow",
                        "Action": [
                            "qbusiness:PutGroup",
                            "qbusiness:CreateUser",
                            "qbusiness:DeleteGroup",
                            "qbusiness:UpdateUser",
                            "qbusiness:ListGroups"
                        ],
                        "Resource": [app, index, format!("{index}/data-source/*")]
                    }),
                ])
            }
            Vendor::Upsolver => {
                let object_actions: &[&str] = if access == "full" {
                    &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
                } else {
                    &["s3:GetObject", "s3:PutObject"]
                };
                policy(vec![
                    s3_statement(&["s3:ListBucket"], &[bucket_arn]),
                    s3_statement(object_actions, &[objects_arn]),
                ])
            }
            Vendor::Milvus => policy(vec![
                s3_statement(&["s3:ListBucket"], &[bucket_arn]),
                s3_statement(
                    &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                    &[objects_arn],
                ),
            ]),
            Vendor::Google => policy(vec![json!({
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": objects_arn
            })]),
        }
    }

    /// The `Policies` entries: every customer managed policy, and AWS managed ones in use.
    fn policies(&mut self) -> Vec<Value> {
        let mut out = Vec::with_capacity(self.managed.len());
        for at in 0..self.managed.len() {
            let Some(m) = self.managed.get(at) else {
                continue;
            };
            if m.owned_by_aws && m.attachments == 0 {
                continue;
            }
            let document = m.document.clone();
            let (name, id, arn, version_id) = (m.name, m.id.clone(), m.arn.clone(), m.version_id);
            let (create_date, update_date, attachments) =
                (m.create_date, m.update_date, m.attachments);
            let document = self.document(document);
            out.push(json!({
                "PolicyName": name,
                "PolicyId": id,
                "Arn": arn,
                "Path": "/",
                "DefaultVersionId": version_id,
                "AttachmentCount": attachments,
                "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": true,
                "CreateDate": create_date,
                "UpdateDate": update_date,
                "PolicyVersionList": [{
                    "Document": document,
                    "VersionId": version_id,
                    "IsDefaultVersion": true,
                    "CreateDate": update_date
                }]
            }));
        }
        out
    }
}

/// Writes the elements of one top-level array, indented as the AWS CLI does (4 spaces a level),
/// one element at a time so that the whole dump is never held in memory.
struct ArrayWriter {
    scratch: Vec<u8>,
    empty: bool,
}

impl ArrayWriter {
    fn start(out: &mut impl Write, key: &str) -> io::Result<Self> {
        write!(out, "    \"{key}\": [")?;
        Ok(Self {
            scratch: Vec::with_capacity(16 * 1024),
            empty: true,
        })
    }

    fn push(&mut self, out: &mut impl Write, value: &Value) -> io::Result<()> {
        out.write_all(if self.empty { b"\n" } else { b",\n" })?;
        self.empty = false;
        self.scratch.clear();
        serde_json::to_writer_pretty(&mut self.scratch, value).map_err(io::Error::other)?;
        // serde_json indents by 2 spaces; the AWS CLI by 4, and this element sits 2 levels
        // deep. Raw newlines only occur between tokens (strings escape theirs), so the leading
        // spaces of each line are pure indentation and can be rewritten line by line.
        for (n, line) in self.scratch.split(|b| *b == b'\n').enumerate() {
            if n > 0 {
                out.write_all(b"\n")?;
            }
            let depth = line.iter().take_while(|b| **b == b' ').count();
            let rest = line.get(depth..).unwrap_or_default();
            write_spaces(out, 8 + 2 * depth)?;
            out.write_all(rest)?;
        }
        Ok(())
    }

    fn finish(self, out: &mut impl Write, last_key: bool) -> io::Result<()> {
        if !self.empty {
            out.write_all(b"\n    ")?;
        }
        out.write_all(if last_key { b"]\n" } else { b"],\n" })
    }
}

fn write_spaces(out: &mut impl Write, count: usize) -> io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    let mut left = count;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.write_all(SPACES.get(..n).unwrap_or_default())?;
        left -= n;
    }
    Ok(())
}

fn usage() -> &'static str {
    "usage: gen-dump [ROLES (default 1000)] [SEED (default 42)] > dump.json"
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let roles = match args.next() {
        Some(a) if a == "-h" || a == "--help" => {
            println!("{}", usage());
            return Ok(());
        }
        Some(a) => a
            .parse::<usize>()
            .map_err(|e| format!("invalid role count `{a}`: {e} ({})", usage()))?,
        None => 1000,
    };
    let seed = match args.next() {
        Some(a) => a
            .parse::<u64>()
            .map_err(|e| format!("invalid seed `{a}`: {e} ({})", usage()))?,
        None => 42,
    };
    if let Some(extra) = args.next() {
        return Err(format!("unexpected argument `{extra}` ({})", usage()).into());
    }

    let mut generator = Generator::new(seed);
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    out.write_all(b"{\n    \"UserDetailList\": [],\n    \"GroupDetailList\": [],\n")?;
    let mut role_list = ArrayWriter::start(&mut out, "RoleDetailList")?;
    for index in 0..roles {
        let role = generator.role(index);
        role_list.push(&mut out, &role)?;
    }
    role_list.finish(&mut out, false)?;
    let mut policy_list = ArrayWriter::start(&mut out, "Policies")?;
    for policy in generator.policies() {
        policy_list.push(&mut out, &policy)?;
    }
    policy_list.finish(&mut out, true)?;
    out.write_all(b"}\n")?;
    out.flush()?;

    let s = &generator.stats;
    eprintln!(
        "gen-dump: {roles} roles (seed {seed}): {} connector ({} risky variants), {} untagged; \
         {} managed attachments; {} of {} documents URL-encoded",
        s.connector, s.risky, s.untagged, s.attachments, s.encoded, s.documents
    );
    Ok(())
}
