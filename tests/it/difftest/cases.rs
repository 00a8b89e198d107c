//! A seeded generator of requests and the policies that bear on them: trust and permission
//! policies, permissions boundaries, SCP levels; AWS, service, federated and `*` principals,
//! `NotPrincipal`, every condition operator family with `...IfExists`, `Null`, the negated
//! operators, `ForAnyValue:` / `ForAllValues:` on multivalued keys, `*` and `?` wildcards,
//! `NotAction` / `NotResource`, Deny, policy variables.
//!
//! Each case is built around its request: a statement is "aimed" at it (its action, resource,
//! principal and conditions drawn from the request so that it applies) or drawn at random.
//! Aimed Allows are frequent, so a good share of cases are allowed, and the Denies, boundaries
//! and SCP levels then decide.
//!
//! The generator stays inside what both engines read the same way where AWS's documentation
//! is silent (see DIVERGENCES.md, "Outside the generator"): it gives a multivalued key a set
//! operator, every single-valued key one value, a principal no wildcard inside an ARN, and
//! `{"AWS": "*"}` only to AWS callers.

use connector_audit::policy::principal::Caller;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// SplitMix64: small, fast, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    /// The generator of case `index` of a run seeded with `seed`: each case on its own.
    pub fn for_case(seed: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Between `lo` and `hi` inclusive.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

pub const HOME: &str = "111122223333";
pub const VENDOR: &str = "444455556666";
pub const THIRD: &str = "777788889999";

/// Which kind of request a case makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// `sts:AssumeRole` (or `TagSession`, `SetSourceIdentity`) by an IAM role, session or user.
    AssumeByAws,
    /// An S3 action by a role, session or user, on a bucket without a bucket policy.
    S3,
    /// An action of another service (IAM, Lambda, Glue, Secrets Manager, EC2) by a role,
    /// session or user, on a resource without a resource policy: `iam:PassRole` with
    /// `iam:PassedToService`, credentials, code and secrets, as the escalation rules ask.
    Beyond,
    /// `sts:AssumeRole` by a service principal.
    AssumeByService,
    /// `sts:AssumeRoleWithWebIdentity` by an OIDC provider (EKS, GitHub, Google, Cognito).
    WebIdentity,
    /// `sts:AssumeRoleWithSAML`.
    Saml,
}

/// One generated case: the request, and the policies as JSON (the simulator reads the JSON,
/// connector-audit parses it).
#[derive(Debug, Clone)]
pub struct Case {
    pub index: u64,
    pub family: Family,
    pub caller: Caller,
    /// The caller as the simulator names it: an ARN, a service name, a provider.
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub resource_account: String,
    pub context: BTreeMap<String, Vec<String>>,
    pub identity: Vec<Value>,
    pub trust: Option<Value>,
    pub boundary: Option<Value>,
    pub scps: Vec<Vec<Value>>,
}

/// Multivalued context keys (the rest hold one value).
pub const MULTI: &[&str] = &["aws:PrincipalOrgPaths", "aws:CalledVia", "aws:TagKeys"];

pub fn is_multi(key: &str) -> bool {
    MULTI.iter().any(|k| k.eq_ignore_ascii_case(key))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Arn,
    Num,
    Date,
    Ip,
    Bool,
}

/// A condition key: its type, and the values conditions compare it with.
struct KeySpec {
    name: &'static str,
    ty: Ty,
    pool: &'static [&'static str],
}

const ORG_HOME: &str = "o-home123456";
const ORG_VENDOR: &str = "o-vend987654";

const DATES_ISO: &[&str] = &[
    "2020-01-01T00:00:00Z",
    "2025-06-01T12:00:00Z",
    "2026-11-20T10:00:00Z",
    "2027-01-01T00:00:00Z",
];
/// The same instants, in epoch seconds.
const DATES_EPOCH: &[&str] = &["1577836800", "1748779200", "1763632800", "1798761600"];

fn keys() -> Vec<KeySpec> {
    vec![
        KeySpec {
            name: "aws:PrincipalArn",
            ty: Ty::Arn,
            pool: &[
                "arn:aws:iam::444455556666:role/vendor",
                "arn:aws:iam::111122223333:role/app",
                "arn:aws:iam::111122223333:role/team/app",
                "arn:aws:iam::777788889999:user/bob",
            ],
        },
        KeySpec {
            name: "aws:PrincipalAccount",
            ty: Ty::Str,
            pool: &[HOME, VENDOR, THIRD],
        },
        KeySpec {
            name: "aws:PrincipalOrgID",
            ty: Ty::Str,
            pool: &[ORG_HOME, ORG_VENDOR, "o-other00000"],
        },
        KeySpec {
            name: "aws:PrincipalOrgPaths",
            ty: Ty::Str,
            pool: &[
                "o-home123456/r-ab12/ou-ab12-11111111/",
                "o-home123456/r-ab12/",
                "o-vend987654/r-cd34/ou-cd34-22222222/",
            ],
        },
        KeySpec {
            name: "aws:PrincipalTag/team",
            ty: Ty::Str,
            pool: &["data", "ml", "ops"],
        },
        KeySpec {
            name: "aws:PrincipalTag/env",
            ty: Ty::Str,
            pool: &["prod", "dev"],
        },
        KeySpec {
            name: "aws:PrincipalType",
            ty: Ty::Str,
            pool: &["AssumedRole", "User"],
        },
        KeySpec {
            name: "aws:userid",
            ty: Ty::Str,
            pool: &["AROAEXAMPLE:sess-1", "AIDAEXAMPLE", "AROAEXAMPLE:sess-2"],
        },
        KeySpec {
            name: "aws:username",
            ty: Ty::Str,
            pool: &["alice", "bob"],
        },
        KeySpec {
            name: "aws:SourceIp",
            ty: Ty::Ip,
            pool: &[
                "10.0.0.0/8",
                "192.0.2.0/24",
                "2001:db8::/32",
                "203.0.113.0/24",
                "10.1.2.3",
                "10.1.2.3/32",
            ],
        },
        KeySpec {
            name: "aws:CurrentTime",
            ty: Ty::Date,
            pool: DATES_ISO,
        },
        KeySpec {
            name: "aws:EpochTime",
            ty: Ty::Date,
            pool: DATES_EPOCH,
        },
        KeySpec {
            name: "aws:SecureTransport",
            ty: Ty::Bool,
            pool: &["true", "false"],
        },
        KeySpec {
            name: "aws:MultiFactorAuthPresent",
            ty: Ty::Bool,
            pool: &["true", "false"],
        },
        KeySpec {
            name: "aws:MultiFactorAuthAge",
            ty: Ty::Num,
            pool: &["10", "60", "3600", "86400", "100000", "3600.5"],
        },
        KeySpec {
            name: "aws:RequestedRegion",
            ty: Ty::Str,
            pool: &["us-east-1", "eu-west-1"],
        },
        KeySpec {
            name: "aws:CalledVia",
            ty: Ty::Str,
            pool: &["athena.amazonaws.com", "cloudformation.amazonaws.com"],
        },
        KeySpec {
            name: "aws:TagKeys",
            ty: Ty::Str,
            pool: &["team", "env", "owner"],
        },
        KeySpec {
            name: "aws:RequestTag/env",
            ty: Ty::Str,
            pool: &["prod", "dev"],
        },
        KeySpec {
            name: "aws:SourceAccount",
            ty: Ty::Str,
            pool: &[HOME, VENDOR],
        },
        KeySpec {
            name: "aws:SourceArn",
            ty: Ty::Arn,
            pool: &[
                "arn:aws:glue:us-east-1:111122223333:job/etl",
                "arn:aws:glue:us-east-1:444455556666:job/etl",
                "arn:aws:qbusiness:us-east-1:111122223333:application/app-1",
            ],
        },
        KeySpec {
            name: "aws:SourceOrgID",
            ty: Ty::Str,
            pool: &[ORG_HOME, ORG_VENDOR],
        },
        KeySpec {
            name: "sts:ExternalId",
            ty: Ty::Str,
            pool: &["ext-123", "ext-999", "EXT-123"],
        },
    ]
}

/// Keys a web-identity request carries, by provider: (provider principal, keys).
/// A context key and the values a request may hold for it.
type KeyValues = (&'static str, &'static [&'static str]);

const OIDC: &[(&str, &[KeyValues])] = &[
    (
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123",
        &[
            (
                "oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub",
                &[
                    "system:serviceaccount:etl:loader",
                    "system:serviceaccount:ml:trainer",
                ],
            ),
            (
                "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud",
                &["sts.amazonaws.com"],
            ),
        ],
    ),
    (
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
        &[
            (
                "token.actions.githubusercontent.com:sub",
                &[
                    "repo:acme/etl:ref:refs/heads/main",
                    "repo:evil/fork:ref:refs/heads/main",
                ],
            ),
            (
                "token.actions.githubusercontent.com:aud",
                &["sts.amazonaws.com"],
            ),
        ],
    ),
    (
        "cognito-identity.amazonaws.com",
        &[(
            "cognito-identity.amazonaws.com:aud",
            &["us-east-1:1111-2222", "us-east-1:9999-0000"],
        )],
    ),
    (
        "accounts.google.com",
        &[
            (
                "accounts.google.com:aud",
                &[
                    "1234.apps.googleusercontent.com",
                    "9999.apps.googleusercontent.com",
                ],
            ),
            ("accounts.google.com:sub", &["110000000000000000001"]),
        ],
    ),
];

const SAML_PROVIDER: &str = "arn:aws:iam::111122223333:saml-provider/Okta";
const SAML_KEYS: &[KeyValues] = &[
    (
        "saml:aud",
        &[
            "https://signin.aws.amazon.com/saml",
            "https://example.com/saml",
        ],
    ),
    ("saml:sub", &["alice@example.com", "mallory@example.com"]),
];

const SERVICES: &[&str] = &[
    "glue.amazonaws.com",
    "qbusiness.amazonaws.com",
    "datasync.amazonaws.com",
    "ec2.amazonaws.com",
];

const BUCKETS: &[&str] = &["data", "ml", "ops", "shared"];
const OBJECT_KEYS: &[&str] = &[
    "ml/report.csv",
    "data/x.parquet",
    "home/alice/notes.txt",
    "home/bob/a.txt",
    "ops/log-1.txt",
];

const STS_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
    "sts:SetSourceIdentity",
];
const S3_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
];

/// Actions of other services, with the resource each one's request names (`{A}` the account).
const OTHER_ACTIONS: &[(&str, &str)] = &[
    ("iam:PassRole", "arn:aws:iam::{A}:role/etl-runner"),
    ("iam:PassRole", "arn:aws:iam::{A}:role/service-role/build"),
    ("iam:CreateAccessKey", "arn:aws:iam::{A}:user/alice"),
    ("iam:PutRolePolicy", "arn:aws:iam::{A}:role/etl-runner"),
    (
        "lambda:UpdateFunctionCode",
        "arn:aws:lambda:us-east-1:{A}:function:sync",
    ),
    ("glue:CreateJob", "arn:aws:glue:us-east-1:{A}:job/etl"),
    (
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf",
    ),
    (
        "ec2:RunInstances",
        "arn:aws:ec2:us-east-1:{A}:instance/i-0abc",
    ),
];
const PASSED_TO: &[&str] = &[
    "glue.amazonaws.com",
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
];

/// What a statement is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Identity,
    Trust,
    Boundary,
    Scp,
}

/// Builds one case.
pub fn case(seed: u64, index: u64) -> Case {
    let mut rng = Rng::for_case(seed, index);
    let family = match rng.below(100) {
        0..=37 => Family::AssumeByAws,
        38..=59 => Family::S3,
        60..=71 => Family::Beyond,
        72..=83 => Family::AssumeByService,
        84..=94 => Family::WebIdentity,
        _ => Family::Saml,
    };
    let mut g = Gen {
        rng,
        keys: keys(),
        case: Case {
            index,
            family,
            caller: Caller::Service(String::new()),
            principal: String::new(),
            action: String::new(),
            resource: String::new(),
            resource_account: HOME.into(),
            context: BTreeMap::new(),
            identity: Vec::new(),
            trust: None,
            boundary: None,
            scps: Vec::new(),
        },
        role_of_session: None,
    };
    g.request();
    g.policies();
    g.case
}

struct Gen {
    rng: Rng,
    keys: Vec<KeySpec>,
    case: Case,
    /// For a role session: the ARN of its role (with the role's path).
    role_of_session: Option<String>,
}

impl Gen {
    fn set(&mut self, key: &str, values: Vec<String>) {
        self.case.context.insert(key.to_string(), values);
    }

    fn maybe(&mut self, percent: u64, key: &str, pool: &[&str]) {
        if self.rng.chance(percent) {
            let v = self.rng.pick(pool).to_string();
            self.set(key, vec![v]);
        }
    }

    fn target_role(&mut self) -> String {
        if self.rng.chance(25) {
            format!("arn:aws:iam::{HOME}:role/service-role/connector")
        } else {
            format!("arn:aws:iam::{HOME}:role/connector")
        }
    }

    /// An IAM caller: a role, a session of a role, or a user, in `account`.
    fn aws_caller(&mut self, account: &str) {
        let name = *self.rng.pick(&["app", "vendor", "etl"]);
        let path = if self.rng.chance(30) { "team/" } else { "" };
        let role_arn = format!("arn:aws:iam::{account}:role/{path}{name}");
        let (arn, principal_arn, kind) = match self.rng.below(100) {
            0..=29 => (role_arn.clone(), role_arn.clone(), "AssumedRole"),
            30..=74 => {
                let session = *self.rng.pick(&["sess-1", "sess-2"]);
                self.role_of_session = Some(role_arn.clone());
                (
                    format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
                    role_arn.clone(),
                    "AssumedRole",
                )
            }
            _ => {
                let user = *self.rng.pick(&["alice", "bob"]);
                let arn = format!("arn:aws:iam::{account}:user/{user}");
                self.set("aws:username", vec![user.to_string()]);
                (arn.clone(), arn, "User")
            }
        };
        self.case.caller = Caller::Aws {
            arn: arn.clone(),
            account: account.to_string(),
        };
        self.case.principal = arn;
        self.set("aws:PrincipalArn", vec![principal_arn]);
        self.set("aws:PrincipalAccount", vec![account.to_string()]);
        self.maybe(50, "aws:PrincipalType", &[kind]);
        if let Some(session) = self
            .case
            .principal
            .rsplit('/')
            .next()
            .filter(|_| kind == "AssumedRole")
        {
            if self.rng.chance(50) {
                let userid = format!("AROAEXAMPLE:{session}");
                self.set("aws:userid", vec![userid]);
            }
        } else if self.rng.chance(50) {
            self.set("aws:userid", vec!["AIDAEXAMPLE".into()]);
        }
        let org = match account {
            HOME => Some((ORG_HOME, "o-home123456/r-ab12/ou-ab12-11111111/")),
            VENDOR => Some((ORG_VENDOR, "o-vend987654/r-cd34/ou-cd34-22222222/")),
            _ => None,
        };
        if let Some((id, path)) = org {
            if self.rng.chance(80) {
                self.set("aws:PrincipalOrgID", vec![id.to_string()]);
            }
            if self.rng.chance(60) {
                let mut paths = vec![path.to_string()];
                if self.rng.chance(40) {
                    paths.push("o-home123456/r-ab12/".to_string());
                }
                self.set("aws:PrincipalOrgPaths", paths);
            }
        }
        self.maybe(60, "aws:PrincipalTag/team", &["data", "ml", "ops"]);
        self.maybe(40, "aws:PrincipalTag/env", &["prod", "dev"]);
        self.maybe(40, "aws:MultiFactorAuthPresent", &["true", "false"]);
        self.maybe(40, "aws:MultiFactorAuthAge", &["30", "3600", "86400"]);
        if self.rng.chance(20) {
            let mut via = vec!["athena.amazonaws.com".to_string()];
            if self.rng.chance(50) {
                via.push("cloudformation.amazonaws.com".to_string());
            }
            self.set("aws:CalledVia", via);
        }
        if self.rng.chance(30) {
            let mut tags: Vec<String> = Vec::new();
            for t in ["team", "env", "owner"] {
                if self.rng.chance(50) {
                    tags.push(t.to_string());
                }
            }
            if tags.is_empty() {
                tags.push("env".into());
            }
            self.set("aws:TagKeys", tags);
        }
        self.maybe(30, "aws:RequestTag/env", &["prod", "dev"]);
    }

    /// Keys of any request: network, time, transport.
    fn environment(&mut self) {
        self.maybe(
            70,
            "aws:SourceIp",
            &["10.1.2.3", "192.0.2.10", "2001:db8::7"],
        );
        self.maybe(
            70,
            "aws:CurrentTime",
            &["2026-11-20T10:00:00Z", "2025-01-01T00:00:00Z"],
        );
        self.maybe(40, "aws:EpochTime", &["1763632800", "1735689600"]);
        self.maybe(70, "aws:SecureTransport", &["true", "false"]);
        self.maybe(50, "aws:RequestedRegion", &["us-east-1", "eu-west-1"]);
    }

    fn request(&mut self) {
        match self.case.family {
            Family::AssumeByAws => {
                let account = *self.rng.pick(&[HOME, VENDOR, VENDOR, THIRD]);
                self.aws_caller(account);
                self.case.action = if self.rng.chance(85) {
                    "sts:AssumeRole".into()
                } else {
                    (*self.rng.pick(&["sts:TagSession", "sts:SetSourceIdentity"])).into()
                };
                self.case.resource = self.target_role();
                if self.case.action == "sts:AssumeRole" {
                    self.maybe(60, "sts:ExternalId", &["ext-123", "ext-999", "EXT-123"]);
                }
            }
            Family::S3 => {
                let caller_account = if self.rng.chance(90) { HOME } else { VENDOR };
                self.aws_caller(caller_account);
                self.case.resource_account = if self.rng.chance(90) { HOME } else { VENDOR }.into();
                let action = *self.rng.pick(S3_ACTIONS);
                let bucket = *self.rng.pick(BUCKETS);
                self.case.action = action.into();
                self.case.resource = if action == "s3:ListBucket" {
                    format!("arn:aws:s3:::{bucket}")
                } else {
                    format!("arn:aws:s3:::{bucket}/{}", self.rng.pick(OBJECT_KEYS))
                };
            }
            Family::Beyond => {
                let caller_account = if self.rng.chance(90) { HOME } else { VENDOR };
                self.aws_caller(caller_account);
                let account = if self.rng.chance(90) { HOME } else { VENDOR };
                self.case.resource_account = account.into();
                let (action, resource) = *self.rng.pick(OTHER_ACTIONS);
                self.case.action = action.into();
                self.case.resource = resource.replace("{A}", account);
                if action == "iam:PassRole" {
                    self.maybe(80, "iam:PassedToService", PASSED_TO);
                }
            }
            Family::AssumeByService => {
                let service = *self.rng.pick(SERVICES);
                self.case.caller = Caller::Service(service.into());
                self.case.principal = service.into();
                self.case.action = "sts:AssumeRole".into();
                self.case.resource = self.target_role();
                self.maybe(60, "aws:SourceAccount", &[HOME, VENDOR]);
                self.maybe(
                    50,
                    "aws:SourceArn",
                    &[
                        "arn:aws:glue:us-east-1:111122223333:job/etl",
                        "arn:aws:glue:us-east-1:444455556666:job/etl",
                    ],
                );
                self.maybe(30, "aws:SourceOrgID", &[ORG_HOME, ORG_VENDOR]);
            }
            Family::WebIdentity => {
                let (provider, keys) = *self.rng.pick(OIDC);
                self.case.caller = Caller::Federated(provider.into());
                self.case.principal = provider.into();
                self.case.action = "sts:AssumeRoleWithWebIdentity".into();
                self.case.resource = self.target_role();
                for (key, pool) in keys {
                    self.maybe(85, key, pool);
                }
            }
            Family::Saml => {
                self.case.caller = Caller::Federated(SAML_PROVIDER.into());
                self.case.principal = SAML_PROVIDER.into();
                self.case.action = "sts:AssumeRoleWithSAML".into();
                self.case.resource = self.target_role();
                for (key, pool) in SAML_KEYS {
                    self.maybe(85, key, pool);
                }
            }
        }
        if self.case.action.starts_with("sts:") && self.case.family != Family::AssumeByAws {
            self.case.resource_account = HOME.into();
        }
        if self.case.family == Family::AssumeByAws {
            self.case.resource_account = HOME.into();
        }
        self.environment();
    }

    fn is_aws_caller(&self) -> bool {
        matches!(self.case.caller, Caller::Aws { .. })
    }

    fn policies(&mut self) {
        let sts = self.case.action.starts_with("sts:");
        if sts {
            let n = self.rng.range(1, 4);
            let trust = self.policy(Kind::Trust, n, 80);
            self.case.trust = Some(trust);
        }
        if self.is_aws_caller() {
            let policies = self.rng.range(0, 3);
            let mut any_aimed = false;
            for _ in 0..policies {
                let n = self.rng.range(1, 4);
                let aim = if any_aimed { 40 } else { 75 };
                any_aimed = true;
                let p = self.policy(Kind::Identity, n, aim);
                self.case.identity.push(p);
            }
            if self.rng.chance(35) {
                let n = self.rng.range(1, 3);
                let b = self.policy(Kind::Boundary, n, 75);
                self.case.boundary = Some(b);
            }
        }
        // SCPs: sent for every caller; they bind only IAM users and roles
        if self.rng.chance(55) {
            let levels = self.rng.range(1, 3);
            for _ in 0..levels {
                let mut level = Vec::new();
                if self.rng.chance(85) {
                    level.push(json!({"Version": "2012-10-17", "Statement": [
                        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
                    ]}));
                }
                if level.is_empty() || self.rng.chance(50) {
                    let n = self.rng.range(1, 2);
                    let aim = if level.is_empty() { 80 } else { 30 };
                    let p = self.policy(Kind::Scp, n, aim);
                    level.push(p);
                }
                self.case.scps.push(level);
            }
        }
    }

    /// A policy of `n` statements; each Allow is aimed at the request with probability `aim`.
    fn policy(&mut self, kind: Kind, n: usize, aim: u64) -> Value {
        let mut statements = Vec::new();
        for i in 0..n {
            let deny_share = match kind {
                Kind::Scp => 55,
                Kind::Trust | Kind::Identity => 22,
                Kind::Boundary => 15,
            };
            let deny = i > 0 && self.rng.chance(deny_share);
            let aimed = if deny {
                self.rng.chance(45)
            } else {
                self.rng.chance(aim)
            };
            statements.push(self.statement(kind, deny, aimed));
        }
        let mut doc = Map::new();
        match self.rng.below(100) {
            0..=89 => {
                doc.insert("Version".into(), json!("2012-10-17"));
            }
            90..=94 => {
                doc.insert("Version".into(), json!("2008-10-17"));
            }
            _ => {}
        }
        if statements.len() == 1 && self.rng.chance(15) {
            doc.insert("Statement".into(), statements.remove(0));
        } else {
            doc.insert("Statement".into(), Value::Array(statements));
        }
        Value::Object(doc)
    }

    fn statement(&mut self, kind: Kind, deny: bool, aimed: bool) -> Value {
        let mut s = Map::new();
        if self.rng.chance(20) {
            s.insert("Sid".into(), json!(format!("S{}", self.rng.below(100))));
        }
        s.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
        if kind == Kind::Trust {
            let (key, value) = self.principal(aimed);
            s.insert(key.into(), value);
        }
        let (key, value) = self.action(kind, aimed);
        s.insert(key.into(), value);
        if kind != Kind::Trust {
            let (key, value) = self.resource(aimed);
            s.insert(key.into(), value);
        }
        let conditions = match self.rng.below(100) {
            0..=34 => 0,
            35..=74 => 1,
            75..=92 => 2,
            _ => 3,
        };
        if conditions > 0 {
            // an aimed Deny keeps its conditions honest too: they hold as often as an Allow's
            let mut block: Map<String, Value> = Map::new();
            for _ in 0..conditions {
                let hold = aimed && self.rng.chance(if deny { 60 } else { 80 });
                let (op, key, values) = self.condition(hold);
                let entry = block.entry(op).or_insert_with(|| json!({}));
                // one key once per operator (key names compare case-insensitively)
                if let Value::Object(keys) = entry
                    && !keys.keys().any(|k| k.eq_ignore_ascii_case(&key))
                {
                    keys.insert(key, values);
                }
            }
            s.insert("Condition".into(), Value::Object(block));
        }
        Value::Object(s)
    }

    /// `Principal` / `NotPrincipal` of a trust statement.
    fn principal(&mut self, aimed: bool) -> (&'static str, Value) {
        let caller = self.case.caller.clone();
        let others = |g: &mut Gen| -> Value {
            match g.rng.below(5) {
                0 => json!({"AWS": format!("arn:aws:iam::{THIRD}:root")}),
                1 => json!({"AWS": [format!("arn:aws:iam::{VENDOR}:role/other"), THIRD]}),
                2 => json!({"Service": "lambda.amazonaws.com"}),
                3 => {
                    json!({"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER"})
                }
                _ => json!({"AWS": format!("arn:aws:iam::{HOME}:user/carol")}),
            }
        };
        if self.rng.chance(8) {
            // NotPrincipal: the statement applies to callers none of the entries names
            let value = if aimed {
                others(self)
            } else {
                self.names_caller(&caller)
            };
            return ("NotPrincipal", value);
        }
        if !aimed {
            return ("Principal", others(self));
        }
        if self.rng.chance(8) {
            return ("Principal", json!("*"));
        }
        let named = self.names_caller(&caller);
        // sometimes among other principals
        let value = if self.rng.chance(25) {
            match (named, others(self)) {
                (Value::Object(mut a), Value::Object(b)) => {
                    for (k, v) in b {
                        let mut list: Vec<Value> = match a.remove(&k) {
                            Some(Value::Array(l)) => l,
                            Some(one) => vec![one],
                            None => Vec::new(),
                        };
                        match v {
                            Value::Array(l) => list.extend(l),
                            one => list.push(one),
                        }
                        a.insert(k, Value::Array(list));
                    }
                    Value::Object(a)
                }
                (a, _) => a,
            }
        } else {
            named
        };
        ("Principal", value)
    }

    /// A principal element that names the caller in one of its forms.
    fn names_caller(&mut self, caller: &Caller) -> Value {
        match caller {
            Caller::Aws { arn, account } => {
                let role = self.role_of_session.clone();
                match self.rng.below(100) {
                    0..=29 => json!({"AWS": arn}),
                    30..=49 if role.is_some() => json!({"AWS": role}),
                    30..=64 => json!({"AWS": account}),
                    65..=84 => json!({"AWS": format!("arn:aws:iam::{account}:root")}),
                    _ => json!({"AWS": "*"}),
                }
            }
            Caller::Service(name) => json!({"Service": name}),
            Caller::Federated(provider) => json!({"Federated": provider}),
        }
    }

    fn action(&mut self, kind: Kind, aimed: bool) -> (&'static str, Value) {
        let action = self.case.action.clone();
        let (service, name) = action.split_once(':').unwrap();
        let other_names: Vec<&str> = OTHER_ACTIONS.iter().map(|(a, _)| *a).collect();
        let pool: &[&str] = match service {
            "sts" => STS_ACTIONS,
            "s3" => S3_ACTIONS,
            _ => &other_names,
        };
        let mut others: Vec<&str> = pool.iter().copied().filter(|a| *a != action).collect();
        others.dedup();
        if self.rng.chance(10) {
            // NotAction: applies unless the request's action is listed
            let listed = if aimed {
                json!(self.rng.pick(&others))
            } else {
                json!([self.rng.pick(&others), self.pattern_of(service, name)])
            };
            return ("NotAction", listed);
        }
        if !aimed {
            return ("Action", json!(self.rng.pick(&others)));
        }
        let pattern = if kind == Kind::Scp && self.rng.chance(20) {
            "*".to_string()
        } else {
            self.pattern_of(service, name)
        };
        if self.rng.chance(20) {
            ("Action", json!([self.rng.pick(&others), pattern]))
        } else {
            ("Action", json!(pattern))
        }
    }

    /// An action pattern that matches `service:name`.
    fn pattern_of(&mut self, service: &str, name: &str) -> String {
        match self.rng.below(100) {
            0..=44 => format!("{service}:{name}"),
            45..=54 => format!("{}:{}", service.to_uppercase(), name.to_lowercase()),
            55..=69 => format!("{service}:*"),
            70..=79 => {
                let cut = self.rng.range(1, name.len().min(6));
                format!("{service}:{}*", &name[..cut])
            }
            80..=89 => {
                let at = self.rng.below(name.len());
                let mut chars: Vec<char> = name.chars().collect();
                chars[at] = '?';
                format!("{service}:{}", chars.into_iter().collect::<String>())
            }
            90..=94 => format!("{service}:*{}", &name[name.len() - 3..]),
            _ => "*".to_string(),
        }
    }

    fn resource(&mut self, aimed: bool) -> (&'static str, Value) {
        let resource = self.case.resource.clone();
        let other = if resource.starts_with("arn:aws:s3") {
            json!(format!("arn:aws:s3:::{}-archive/*", self.rng.pick(BUCKETS)))
        } else {
            json!(format!("arn:aws:iam::{THIRD}:role/*"))
        };
        if self.rng.chance(10) {
            let listed = if aimed {
                other
            } else {
                json!(self.resource_pattern(&resource))
            };
            return ("NotResource", listed);
        }
        if !aimed {
            return ("Resource", other);
        }
        let pattern = self.resource_pattern(&resource);
        if self.rng.chance(15) {
            ("Resource", json!([other, pattern]))
        } else {
            ("Resource", json!(pattern))
        }
    }

    /// A resource pattern meant to match `resource` (policy variables may make it miss).
    fn resource_pattern(&mut self, resource: &str) -> String {
        if let Some(rest) = resource.strip_prefix("arn:aws:s3:::") {
            let (bucket, key) = match rest.split_once('/') {
                Some((b, k)) => (b, Some(k)),
                None => (rest, None),
            };
            let choice = self.rng.below(100);
            return match (choice, key) {
                (0..=24, _) => resource.to_string(),
                (25..=34, Some(_)) => format!("arn:aws:s3:::{bucket}/*"),
                (25..=34, None) => format!("arn:aws:s3:::{bucket}*"),
                (35..=44, _) => "*".to_string(),
                (45..=52, _) => "arn:aws:s3:::*".to_string(),
                (53..=59, _) => {
                    let mut chars: Vec<char> = bucket.chars().collect();
                    let at = self.rng.below(chars.len());
                    chars[at] = '?';
                    let b: String = chars.into_iter().collect();
                    match key {
                        Some(k) => format!("arn:aws:s3:::{b}/{k}"),
                        None => format!("arn:aws:s3:::{b}"),
                    }
                }
                (60..=64, _) => format!(
                    "arn:*:s3:::{bucket}{}",
                    if key.is_some() { "/*" } else { "" }
                ),
                (65..=72, Some(_)) => format!("arn:aws:s3:::{bucket}/${{aws:PrincipalTag/team}}/*"),
                (73..=78, Some(_)) => format!("arn:aws:s3:::{bucket}/home/${{aws:username}}/*"),
                (79..=84, Some(_)) => "arn:aws:s3:::${aws:PrincipalTag/team}/*".to_string(),
                (85..=89, Some(_)) => {
                    format!("arn:aws:s3:::{bucket}/${{aws:PrincipalTag/team, 'ml'}}/*")
                }
                (65..=89, None) => "arn:aws:s3:::${aws:PrincipalTag/team}".to_string(),
                (_, Some(k)) => format!("arn:aws:s3:::{bucket}/{}*", &k[..k.len().min(3)]),
                (_, None) => format!("arn:aws:s3:::{}*", &bucket[..1]),
            };
        }
        if !resource.contains(":role/") {
            return self.other_pattern(resource);
        }
        // a role ARN
        let role_name = resource.rsplit('/').next().unwrap_or("connector");
        match self.rng.below(100) {
            0..=34 => resource.to_string(),
            35..=49 => format!("arn:aws:iam::{HOME}:role/*"),
            50..=59 => format!(
                "arn:aws:iam::*:role/{}",
                resource.split(":role/").nth(1).unwrap()
            ),
            60..=69 => "*".to_string(),
            70..=79 => resource.replace(role_name, "conn?ctor"),
            80..=89 => format!("arn:aws:iam::{HOME}:role/${{aws:PrincipalTag/team, 'connector'}}"),
            _ => format!("arn:aws:iam::{HOME}:role/*conn*"),
        }
    }

    /// A pattern meant to match the ARN of another service's resource.
    fn other_pattern(&mut self, resource: &str) -> String {
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        let (service, region, account, rest) = (parts[2], parts[3], parts[4], parts[5]);
        match self.rng.below(100) {
            0..=34 => resource.to_string(),
            35..=49 => "*".to_string(),
            50..=59 => format!("arn:aws:{service}:*:{account}:*"),
            60..=69 => {
                let cut = rest.rfind(['/', ':']).map_or(0, |i| i + 1);
                format!("arn:aws:{service}:{region}:{account}:{}*", &rest[..cut])
            }
            70..=79 => {
                // `?` in the resource id only: with one in the resource type (`use?/alice`)
                // iam-simulate 0.1.173 matches nothing, a difference not yet documented
                let mut chars: Vec<char> = rest.chars().collect();
                let start = rest.rfind(['/', ':']).map_or(0, |i| i + 1);
                let at = start + self.rng.below(chars.len() - start);
                chars[at] = '?';
                format!(
                    "arn:aws:{service}:{region}:{account}:{}",
                    chars.into_iter().collect::<String>()
                )
            }
            80..=89 => format!("arn:aws:{service}:{region}:*:{rest}"),
            _ => format!("arn:aws:{service}:{region}:{THIRD}:{rest}"),
        }
    }

    /// A condition: (operator, key, values). With `hold`, drawn so that it holds on the
    /// request more often than not.
    fn condition(&mut self, hold: bool) -> (String, String, Value) {
        // keys this request can carry, and sometimes keys it does not
        let present: Vec<usize> = (0..self.keys.len())
            .filter(|i| self.key_has_value(self.keys[*i].name))
            .collect();
        let oidc_keys: Vec<String> = self
            .case
            .context
            .keys()
            .filter(|k| !k.contains("aws:") && !k.starts_with("sts:"))
            .cloned()
            .collect();
        if !oidc_keys.is_empty() && self.rng.chance(60) {
            let key = self.rng.pick(&oidc_keys).clone();
            return self.string_condition(&key, &[], hold);
        }
        let spec = if !present.is_empty() && self.rng.chance(75) {
            *self.rng.pick(&present)
        } else {
            self.rng.below(self.keys.len())
        };
        let (name, ty, pool) = {
            let s = &self.keys[spec];
            (s.name, s.ty, s.pool)
        };
        // a service key only where the action has it
        if (name == "sts:ExternalId" && self.case.action != "sts:AssumeRole")
            || (name == "iam:PassedToService" && self.case.action != "iam:PassRole")
        {
            return self.condition(hold);
        }
        if self.rng.chance(8) {
            let present = self.key_has_value(name);
            // Null: true holds when the key is absent
            let want = if hold { !present } else { present };
            let mut values = vec![json!(want.to_string())];
            if self.rng.chance(10) {
                values.push(json!((!want).to_string()));
            }
            let v = if values.len() == 1 {
                values.remove(0)
            } else {
                Value::Array(values)
            };
            return ("Null".into(), self.key_case(name), v);
        }
        match ty {
            Ty::Str => self.string_condition(name, pool, hold),
            Ty::Arn => {
                if self.rng.chance(30) {
                    self.string_condition(name, pool, hold)
                } else {
                    self.arn_condition(name, pool, hold)
                }
            }
            Ty::Num => self.ordered_condition(name, "Numeric", pool, hold),
            Ty::Date => self.ordered_condition(name, "Date", pool, hold),
            Ty::Ip => self.ip_condition(name, pool, hold),
            Ty::Bool => {
                let current = self.value_of(name);
                let v = match (current, hold) {
                    (Some(c), true) => c,
                    (Some(c), false) => {
                        if c == "true" {
                            "false".into()
                        } else {
                            "true".into()
                        }
                    }
                    (None, _) => self.rng.pick(pool).to_string(),
                };
                let op = self.with_suffix("Bool");
                (op, self.key_case(name), json!(v))
            }
        }
    }

    fn key_has_value(&self, key: &str) -> bool {
        self.case
            .context
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
    }

    fn value_of(&self, key: &str) -> Option<String> {
        self.case
            .context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.first().cloned())
    }

    fn values_of(&self, key: &str) -> Vec<String> {
        self.case
            .context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The key as written in the policy: usually as documented, sometimes in another case.
    fn key_case(&mut self, key: &str) -> String {
        match self.rng.below(100) {
            0..=4 => key.to_lowercase(),
            5..=7 => match key.split_once(':') {
                Some((p, rest)) => format!("{}:{rest}", p.to_uppercase()),
                None => key.to_string(),
            },
            _ => key.to_string(),
        }
    }

    /// `...IfExists` one time in four.
    fn with_suffix(&mut self, op: &str) -> String {
        if self.rng.chance(25) {
            format!("{op}IfExists")
        } else {
            op.to_string()
        }
    }

    fn string_condition(
        &mut self,
        key: &str,
        pool: &[&str],
        hold: bool,
    ) -> (String, String, Value) {
        let current = self.values_of(key);
        let multi = is_multi(key);
        let base = *self.rng.pick(&[
            "StringEquals",
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringLike",
            "StringNotLike",
            "BinaryEquals",
        ]);
        let negated = base.contains("Not");
        let mut values: Vec<String> = Vec::new();
        let draw = |g: &mut Gen| -> String {
            if pool.is_empty() {
                format!("other-{}", g.rng.below(3))
            } else {
                g.rng.pick(pool).to_string()
            }
        };
        // a value that matches one of the request's values under `base`
        let matching = |g: &mut Gen, v: &str| -> String {
            match base {
                "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
                    if g.rng.chance(50) {
                        v.to_uppercase()
                    } else {
                        v.to_string()
                    }
                }
                "StringLike" | "StringNotLike" => like_pattern(&mut g.rng, v),
                _ => v.to_string(),
            }
        };
        let n = self.rng.range(1, 3);
        for _ in 0..n {
            values.push(draw(self));
        }
        if let Some(v) = current.first().cloned() {
            let v = if multi {
                self.rng.pick(&current).clone()
            } else {
                v
            };
            if hold != negated {
                // must match
                let m = matching(self, &v);
                values.push(m);
            } else {
                // must not match
                values.retain(|x| x != &v && !(base.contains("Like") && glob(x, &v)));
                values.retain(|x| !(base.contains("IgnoreCase") && x.eq_ignore_ascii_case(&v)));
                if values.is_empty() {
                    values.push("nothing-like-it".into());
                }
            }
        }
        // policy variables in a value
        if self.rng.chance(8) && base != "BinaryEquals" {
            let var = *self.rng.pick(&[
                "${aws:PrincipalTag/team}",
                "${aws:PrincipalAccount}",
                "${aws:username}",
                "${aws:PrincipalTag/env, 'dev'}",
                "${aws:SourceAccount}",
            ]);
            values.push(if base.contains("Like") && self.rng.chance(50) {
                format!("*{var}*")
            } else {
                var.to_string()
            });
        }
        let shuffle = self.rng.below(values.len());
        values.rotate_left(shuffle);
        let mut op = base.to_string();
        if multi || self.rng.chance(8) {
            let q = if self.rng.chance(50) {
                "ForAnyValue:"
            } else {
                "ForAllValues:"
            };
            op = format!("{q}{op}");
        }
        if base != "BinaryEquals" {
            op = self.with_suffix(&op);
        }
        let v = if values.len() == 1 && self.rng.chance(60) {
            json!(values[0])
        } else {
            json!(values)
        };
        (op, self.key_case(key), v)
    }

    fn arn_condition(&mut self, key: &str, pool: &[&str], hold: bool) -> (String, String, Value) {
        let base = *self.rng.pick(&[
            "ArnEquals",
            "ArnLike",
            "ArnLike",
            "ArnNotEquals",
            "ArnNotLike",
        ]);
        let negated = base.contains("Not");
        let current = self.value_of(key);
        let mut values: Vec<String> = (0..self.rng.range(1, 2))
            .map(|_| self.rng.pick(pool).to_string())
            .collect();
        if let Some(v) = current {
            if hold != negated {
                let p = arn_pattern(&mut self.rng, &v);
                values.push(p);
            } else {
                values.retain(|x| !arn_glob(x, &v));
                if values.is_empty() {
                    values.push(format!("arn:aws:iam::{THIRD}:role/none"));
                }
            }
        }
        if self.rng.chance(6) {
            // a wildcard across the colons: AWS checks the six parts one by one
            values.push("arn:aws:iam::*".into());
        }
        if self.rng.chance(6) {
            values.push("arn:aws:*:*:${aws:PrincipalAccount}:*".into());
        }
        let op = self.with_suffix(base);
        (op, self.key_case(key), json!(values))
    }

    fn ordered_condition(
        &mut self,
        key: &str,
        family: &str,
        pool: &[&str],
        hold: bool,
    ) -> (String, String, Value) {
        let suffix = *self.rng.pick(&[
            "Equals",
            "NotEquals",
            "LessThan",
            "LessThanEquals",
            "GreaterThan",
            "GreaterThanEquals",
        ]);
        let op = format!("{family}{suffix}");
        let parse = |s: &str| -> f64 {
            if family == "Date" {
                date_seconds(s) as f64
            } else {
                s.parse::<f64>().unwrap()
            }
        };
        // dates: the same notation as the request's most of the time
        let pool: Vec<&str> = if family == "Date" {
            let epoch = match self.value_of(key) {
                Some(v) => !v.contains('T'),
                None => key.eq_ignore_ascii_case("aws:EpochTime"),
            };
            let same = self.rng.chance(80);
            if epoch == same {
                DATES_EPOCH.to_vec()
            } else {
                DATES_ISO.to_vec()
            }
        } else {
            pool.to_vec()
        };
        let holds = |v: f64, bound: f64| match suffix {
            "Equals" => v == bound,
            "NotEquals" => v != bound,
            "LessThan" => v < bound,
            "LessThanEquals" => v <= bound,
            "GreaterThan" => v > bound,
            _ => v >= bound,
        };
        let mut values: Vec<String> = Vec::new();
        match self.value_of(key) {
            Some(current) if self.rng.chance(85) => {
                let v = parse(&current);
                let fitting: Vec<&str> = pool
                    .iter()
                    .copied()
                    .filter(|b| holds(v, parse(b)) == hold)
                    .collect();
                if fitting.is_empty() {
                    values.push(self.rng.pick(&pool).to_string());
                } else {
                    values.push(self.rng.pick(&fitting).to_string());
                }
            }
            _ => values.push(self.rng.pick(&pool).to_string()),
        }
        if self.rng.chance(20) {
            values.push(self.rng.pick(&pool).to_string());
        }
        let op = self.with_suffix(&op);
        let v = if values.len() == 1 {
            json!(values[0])
        } else {
            json!(values)
        };
        (op, self.key_case(key), v)
    }

    fn ip_condition(&mut self, key: &str, pool: &[&str], hold: bool) -> (String, String, Value) {
        let negated = self.rng.chance(40);
        let base = if negated { "NotIpAddress" } else { "IpAddress" };
        let current = self.value_of(key);
        let contains = |cidr: &str, ip: &str| ip_in(cidr, ip);
        let want_in = hold != negated;
        let mut values: Vec<String> = Vec::new();
        match current {
            Some(ip) if self.rng.chance(85) => {
                let fitting: Vec<&str> = pool
                    .iter()
                    .copied()
                    .filter(|c| contains(c, &ip) == want_in)
                    .collect();
                values.push(if fitting.is_empty() {
                    self.rng.pick(pool).to_string()
                } else {
                    self.rng.pick(&fitting).to_string()
                });
                if self.rng.chance(25) {
                    // a second range, of the same fit: a negated operator needs every one to miss
                    let extra = self.rng.pick(pool).to_string();
                    if contains(&extra, &ip) == want_in {
                        values.push(extra);
                    }
                }
            }
            _ => values.push(self.rng.pick(pool).to_string()),
        }
        let op = self.with_suffix(base);
        (op, self.key_case(key), json!(values))
    }
}

/// A `StringLike` pattern matching `v`.
fn like_pattern(rng: &mut Rng, v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    if chars.is_empty() {
        return "*".into();
    }
    match rng.below(4) {
        0 => v.to_string(),
        1 => {
            let cut = rng.range(0, chars.len() - 1);
            format!("{}*", chars[..cut].iter().collect::<String>())
        }
        2 => {
            let at = rng.below(chars.len());
            let mut c = chars.clone();
            c[at] = '?';
            c.into_iter().collect()
        }
        _ => {
            let cut = rng.range(1, chars.len());
            format!("*{}", chars[cut - 1..].iter().collect::<String>())
        }
    }
}

/// An `ArnLike` pattern matching the ARN `v`, wildcards inside its parts.
fn arn_pattern(rng: &mut Rng, v: &str) -> String {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    if parts.len() < 6 {
        return v.to_string();
    }
    let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    match rng.below(5) {
        0 => {}
        1 => p[4] = "*".into(),
        2 => p[5] = like_pattern(rng, &p[5].clone()),
        3 => p[3] = "*".into(),
        _ => {
            p[4] = "????????????".into();
            p[5] = format!("{}*", &p[5][..p[5].len().min(5)]);
        }
    }
    p.join(":")
}

/// IAM glob (`*`, `?`), for keeping generated values away from the request's.
pub fn glob(pattern: &str, text: &str) -> bool {
    connector_audit::policy::wildcard::matches(pattern, text)
}

/// An ARN pattern matching part by part.
fn arn_glob(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(a.iter()).all(|(x, y)| glob(x, y))
}

fn date_seconds(s: &str) -> i64 {
    if let Ok(n) = s.parse::<i64>() {
        return n;
    }
    let i = DATES_ISO.iter().position(|d| *d == s);
    match i {
        Some(i) => DATES_EPOCH[i].parse().unwrap(),
        None => match s {
            "2025-01-01T00:00:00Z" => 1_735_689_600,
            other => panic!("unknown date {other}"),
        },
    }
}

fn ip_in(cidr: &str, ip: &str) -> bool {
    use std::net::IpAddr;
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, Some(b.parse::<u32>().unwrap())),
        None => (cidr, None),
    };
    match (
        net.parse::<IpAddr>().unwrap(),
        ip.parse::<IpAddr>().unwrap(),
    ) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}
