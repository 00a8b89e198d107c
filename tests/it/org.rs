//! Organization-wide audits against the emulator (moto server): an organization made with
//! Organizations CreateOrganization and CreateAccount, the management account (the auditor's)
//! and three member accounts, entered with cross-account AssumeRole.
//!
//! - `prod` and `dev` hold the org role, with exactly the permissions `org-member-role.yaml`
//!   grants, and two connector roles each: one that trusts a vendor without an external id
//!   (`trust-missing-external-id`), one pinned with a long external id (no finding);
//! - `sandbox` has no org role;
//! - a fourth member account is closed: it is not listed.
//!
//! IAM enforcement is on (moto's `reset-auth`), and the tests depend on it: the auditor is an
//! admin user of the management account, and every call made in a member account is checked
//! against the org role's own policies (asserted below: the role may read IAM, not list roles).
//! moto does not evaluate trust policies across accounts, so AssumeRole into `sandbox`'s
//! missing role succeeds (in AWS it is refused); moto then answers HTTP 500 to every call made
//! with those credentials. Either way the account is not audited: the tests assert that it
//! becomes a failed section and an error naming it, and that the others are audited.
//!
//! Two limits of moto's enforcement shape the set-up. It checks IAM actions against resource
//! `*` only, so the org role gets the member role's actions on `*` (the ARN scoping of
//! `org-member-role.yaml` cannot be exercised here; `tests/it/template.rs` checks it). And it
//! recomputes signatures from the re-encoded form body, so the SDK's requests whose values hold
//! a space (every SNS message) fail with SignatureDoesNotMatch: the findings topic and its queue
//! live on a second emulator, without enforcement (`AWS_ENDPOINT_URL_SNS` for the CLI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support;

use aws_config::retry::RetryConfig;
use aws_sdk_iam::types::Tag;
use aws_sdk_sts::config::ProvideCredentials as _;
use connector_audit::app::organization::every_account;
use connector_audit::app::{Run, Services, Settings, deliver::deliver};
use connector_audit::audit::AuditOptions;
use connector_audit::aws::{Clients, SnsSink};
use connector_audit::lambda::handle;
use connector_audit::model::{Report, RoleName, Severity};
use connector_audit::suppress::SuppressionSet;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use support::{ACCOUNT, Moto, deps, drain, object, s3_client, topic_with_queue};

const ORG_ROLE: &str = "ConnectorAuditRole";
const VENDOR: &str = "428641199958";

/// The emulated organization, with IAM enforcement on.
struct Org {
    moto: Moto,
    /// SNS and SQS, without enforcement.
    sns: Moto,
    sns_conf: aws_config::SdkConfig,
    /// The auditor: an admin user of the management account, with quick retries.
    admin: aws_config::SdkConfig,
    clients: Clients,
    prod: String,
    dev: String,
    sandbox: String,
    closed: String,
    topic: String,
    queue: String,
}

fn trust_vendor(external_id: Option<&str>) -> String {
    let condition = external_id
        .map(|id| json!({"StringEquals": {"sts:ExternalId": id}}))
        .unwrap_or(json!({}));
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")},
        "Action": "sts:AssumeRole", "Condition": condition}]})
    .to_string()
}

/// The org role's policy: the actions `org-member-role.yaml` grants, on `*` (moto matches IAM
/// actions against `*` only).
fn member_role_policy(account: &str) -> String {
    fn resolve(v: &serde_yaml::Value, account: &str) -> Value {
        match v {
            serde_yaml::Value::Tagged(t) if t.tag == "!Sub" => Value::String(
                t.value
                    .as_str()
                    .unwrap()
                    .replace("${AWS::Partition}", "aws")
                    .replace("${AWS::AccountId}", account),
            ),
            serde_yaml::Value::Tagged(t) => panic!("unexpected tag {}", t.tag),
            serde_yaml::Value::Mapping(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.as_str().unwrap().to_string(), resolve(v, account)))
                    .collect(),
            ),
            serde_yaml::Value::Sequence(s) => s.iter().map(|x| resolve(x, account)).collect(),
            other => serde_json::to_value(other).unwrap(),
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("org-member-role.yaml");
    let t: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let policies = &t["Resources"]["ConnectorAuditRole"]["Properties"]["Policies"];
    let mut doc = resolve(&policies[0]["PolicyDocument"], account);
    assert!(
        doc.to_string()
            .contains("iam:GetAccountAuthorizationDetails")
    );
    for statement in doc["Statement"].as_array_mut().unwrap() {
        statement["Resource"] = json!("*");
    }
    doc.to_string()
}

/// SDK configuration inside `account`, with the temporary credentials of `role` there.
async fn as_role(base: &aws_config::SdkConfig, account: &str, role: &str) -> aws_config::SdkConfig {
    let creds = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
        .role_session_name("setup")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    base.to_builder()
        .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
            aws_sdk_iam::config::Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_string()),
                None,
                "assumed",
            ),
        ))
        .build()
}

async fn connector_role(iam: &aws_sdk_iam::Client, name: &str, trust: String) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .tags(
            Tag::builder()
                .key("connector")
                .value("acme")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

impl Org {
    /// The accounts ListAccounts calls active, sorted.
    fn active_accounts(&self) -> Vec<&str> {
        let mut ids = vec![ACCOUNT, &self.prod, &self.dev, &self.sandbox];
        ids.sort();
        ids
    }
}

async fn organization() -> Org {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    let orgs = aws_sdk_organizations::Client::new(&conf);
    orgs.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["prod", "dev", "sandbox", "closed"] {
        let status = orgs
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap()
            .create_account_status
            .unwrap();
        ids.push(status.account_id.unwrap());
    }
    let [prod, dev, sandbox, closed] = <[String; 4]>::try_from(ids).unwrap();
    orgs.close_account()
        .account_id(&closed)
        .send()
        .await
        .unwrap();

    // seeding, as each account (moto's CreateAccount makes OrganizationAccountAccessRole)
    for (account, name, org_role) in [
        (&prod, "prod", true),
        (&dev, "dev", true),
        (&sandbox, "sandbox", false),
    ] {
        let iam = aws_sdk_iam::Client::new(
            &as_role(&conf, account, "OrganizationAccountAccessRole").await,
        );
        if org_role {
            let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                "Action": "sts:AssumeRole"}]});
            iam.create_role()
                .role_name(ORG_ROLE)
                .assume_role_policy_document(trust.to_string())
                .send()
                .await
                .unwrap();
            iam.put_role_policy()
                .role_name(ORG_ROLE)
                .policy_name("connector-audit-read")
                .policy_document(member_role_policy(account))
                .send()
                .await
                .unwrap();
        }
        let vendor = format!("{name}-vendor");
        connector_role(&iam, &vendor, trust_vendor(None)).await;
        connector_role(
            &iam,
            &format!("{name}-pinned"),
            trust_vendor(Some("c0nnect0r-7f3a9b2e-41d8-4c1e-9b6f-2a8e5d7c9f10")),
        )
        .await;
        // read through the org role's iam:GetPolicy on AWS managed policies
        iam.attach_role_policy()
            .role_name(&vendor)
            .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
            .send()
            .await
            .unwrap();
    }
    // the management account's own connector role (audited with the auditor's credentials)
    connector_role(
        &aws_sdk_iam::Client::new(&conf),
        "hq-vendor",
        trust_vendor(None),
    )
    .await;
    let sns = Moto::start();
    let sns_conf = sns.sdk_config().await;
    let (topic, queue) = topic_with_queue(&sns_conf, "org-findings").await;
    s3_client(&conf)
        .create_bucket()
        .bucket("org-reports")
        .send()
        .await
        .unwrap();

    let admin = moto
        .enforce_iam()
        .await
        .to_builder()
        // moto's HTTP 500s for the missing role: retried once, quickly
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .build();
    let mut clients = Clients::from_conf(&admin);
    clients.sns = aws_sdk_sns::Client::new(&sns_conf);
    Org {
        moto,
        sns,
        sns_conf,
        admin,
        clients,
        prod,
        dev,
        sandbox,
        closed,
        topic,
        queue,
    }
}

/// Every account of the organization audited through the library, four at once, as the
/// function does: the report, and the run's settings, options and run.
async fn audit_organization(org: &Org) -> (Report, Settings, AuditOptions, Run) {
    let run = live_run();
    let settings = Settings {
        org_role_name: Some(RoleName::parse(ORG_ROLE).unwrap()),
        org_concurrency: 4,
        ..Settings::default()
    };
    let options = settings.audit_options(run.change.as_ref(), SuppressionSet::default());
    let organization = org
        .clients
        .organization(Some(RoleName::parse(ORG_ROLE).unwrap()));
    let report = every_account(&organization, Some(&org.clients), &settings, &options, &run).await;
    (report, settings, options, run)
}

fn live_run() -> Run {
    Run::new("org-run", "2026-01-01T00:00:00Z")
}

fn invoke(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}

/// `(account of the role ARN, role name, rule)` of every finding.
fn findings_by_account(r: &Report) -> BTreeSet<(String, String, String)> {
    r.findings
        .iter()
        .map(|f| {
            let account = f.role_arn.split(':').nth(4).unwrap().to_string();
            assert_eq!(
                f.role_arn,
                format!("arn:aws:iam::{account}:role/{}", f.role_name)
            );
            (account, f.role_name.clone(), f.rule.clone())
        })
        .collect()
}

/// The organization's report: every listed account has a section; `prod`, `dev` and the
/// management account are audited in full; `sandbox` is not, and is named.
fn assert_org_report(org: &Org, r: &Report) {
    assert_eq!(r.account_id.as_deref(), Some(ACCOUNT));
    let listed = org.active_accounts();
    let ids: Vec<&str> = r.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, listed, "the closed account is not listed");
    assert!(!ids.contains(&org.closed.as_str()));
    for a in &r.accounts {
        let mine: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.role_arn.contains(&format!(":{}:", a.account_id)))
            .cloned()
            .collect();
        assert_eq!(
            a.findings,
            connector_audit::model::SeverityCounts::of(&mine),
            "{a:?}"
        );
        if a.account_id == org.sandbox {
            assert_eq!(a.account_name.as_deref(), Some("sandbox"));
            assert!(!a.audited && !a.complete, "{a:?}");
            assert_eq!(a.roles_audited, 0);
            let why = a.error.as_deref().unwrap();
            assert!(why.starts_with("no role could be read"), "{why}");
        } else {
            assert!(a.audited && a.complete, "{a:?} {:#?}", r.errors);
            let expected = if a.account_id == ACCOUNT { 1 } else { 2 };
            assert_eq!(a.roles_audited, expected, "{a:?}");
            assert!(a.findings.high >= 1, "{a:?}");
        }
    }
    assert!(!r.complete);
    // the one error is the sandbox's, and says so
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
    let e = &r.errors[0];
    assert_eq!(
        (e.operation.as_str(), e.role_name.as_deref()),
        ("inventory", None)
    );
    assert!(
        e.message.starts_with(&format!(
            "account {} (sandbox): no role could be read",
            org.sandbox
        )),
        "{}",
        e.message
    );
    // findings of every audited account, each with its own role ARN
    let found = findings_by_account(r);
    for (account, name) in [
        (ACCOUNT, "hq"),
        (org.prod.as_str(), "prod"),
        (org.dev.as_str(), "dev"),
    ] {
        assert!(
            found.contains(&(
                account.to_string(),
                format!("{name}-vendor"),
                "trust-missing-external-id".to_string()
            )),
            "{found:?}"
        );
        assert!(
            !found
                .iter()
                .any(|(_, role, _)| *role == format!("{name}-pinned"))
        );
    }
    // the AWS managed policy was read through the org role
    assert!(r.findings.iter().any(|f| f.role_arn.contains(&org.prod)
        && f.policy.to_string() == "managed:arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
    assert_eq!(r.summary.roles_audited, 5);
    assert_eq!(
        r.summary.findings,
        connector_audit::model::SeverityCounts::of(&r.findings)
    );
}

/// Every finding's message names the finding's own account; the summary, the organization's.
/// The organization's report, and the messages of the three audited accounts.
async fn assert_org_run(org: &Org, report: &Report) {
    assert_org_report(org, report);
    let received = drain(&org.sns_conf, &org.queue).await;
    assert_messages(
        &received,
        report,
        &[ACCOUNT, org.prod.as_str(), org.dev.as_str()],
    );
}

fn assert_messages(received: &[Value], report: &Report, published_accounts: &[&str]) {
    let published = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .count();
    assert_eq!(received.len(), published + 1);
    let mut accounts = BTreeSet::new();
    for envelope in received {
        let attrs = &envelope["MessageAttributes"];
        let body: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
        let account = attrs["account"]["Value"].as_str().unwrap();
        if attrs["kind"]["Value"] == "finding" {
            let arn = body["finding"]["role_arn"].as_str().unwrap();
            assert_eq!(arn.split(':').nth(4), Some(account), "{arn}");
            accounts.insert(account.to_string());
        } else {
            assert_eq!(Some(account), report.account_id.as_deref());
            assert_eq!(body["complete"], report.complete);
        }
    }
    let want: BTreeSet<String> = published_accounts.iter().map(|a| a.to_string()).collect();
    assert_eq!(accounts, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_audits_every_account_and_names_the_one_it_cannot_enter() {
    let org = organization().await;

    // enforcement is on in the member accounts: the org role may read IAM and nothing else
    let member = as_role(&org.admin, &org.prod, ORG_ROLE).await;
    let iam = aws_sdk_iam::Client::new(&member);
    assert!(iam.get_account_authorization_details().send().await.is_ok());
    let denied = iam.list_roles().send().await.unwrap_err();
    assert_eq!(
        denied.raw_response().map(|r| r.status().as_u16()),
        Some(403)
    );
    assert!(
        format!("{denied:?}").contains("not authorized to perform: iam:ListRoles"),
        "{denied:?}"
    );

    let (report, settings, options, run) = audit_organization(&org).await;
    assert_org_report(&org, &report);
    let names: Vec<Option<&str>> = report
        .accounts
        .iter()
        .filter(|a| a.account_id != ACCOUNT)
        .map(|a| a.account_name.as_deref())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(
        ["prod", "dev", "sandbox"]
            .iter()
            .all(|n| names.contains(&Some(n)))
    );

    // delivered once, to the central topic: each finding carries its own account
    let sink = SnsSink {
        client: org.clients.sns.clone(),
        topic_arn: org.topic.clone(),
    };
    let mut services = Services::new(org.clients.clone());
    services.sink = Some(Box::new(sink));
    let outcome = deliver(report, &settings, &options, &run, &services)
        .await
        .unwrap();
    let received = drain(&org.sns_conf, &org.queue).await;
    assert_eq!(received.len(), outcome.published);
    assert_messages(
        &received,
        &outcome.report,
        &[ACCOUNT, org.prod.as_str(), org.dev.as_str()],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_audits_the_organization_and_each_member_account() {
    let org = organization().await;
    let env = [
        ("FINDINGS_TOPIC_ARN", org.topic.as_str()),
        ("ORG_AUDIT_ROLE_NAME", ORG_ROLE),
        ("ORG_CONCURRENCY", "2"),
        ("REPORT_BUCKET", "org-reports"),
    ];
    let d = deps(&org.clients, &env);

    // scheduled: the whole organization, one report stored, published once
    let scheduled: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/scheduled.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let report: Report =
        serde_json::from_value(handle(invoke(scheduled), &d).await.unwrap()).unwrap();
    assert_org_run(&org, &report).await;
    let s3 = s3_client(&org.admin);
    let keys: Vec<String> = s3
        .list_objects_v2()
        .bucket("org-reports")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_string())
        .collect();
    // the run's report, and the organization's latest (for new / known / resolved)
    // (and the marker of the run's publication, when it published)
    let (latest, dated): (Vec<&String>, Vec<&String>) = keys
        .iter()
        .filter(|k| !k.starts_with("reports/published/") && !k.ends_with(".html"))
        .partition(|k| k.starts_with("reports/latest/"));
    assert_eq!(dated.len(), 1, "{keys:?}");
    assert_eq!(latest.len(), 1, "{keys:?}");
    assert!(latest[0].starts_with(&format!("reports/latest/{ACCOUNT}/connector-org-")));
    let stored: Report =
        serde_json::from_slice(&object(&s3, "org-reports", dated[0]).await).unwrap();
    assert_eq!(stored.accounts, report.accounts);
    // every finding is new the first time; sandbox could not be entered, so nothing of it
    // is judged
    let changes = report.summary.changes.as_ref().unwrap();
    assert_eq!(changes.new, report.findings.len());

    // an IAM change in a member account (delivered to this bus by an organization rule) is
    // audited in that account, through the org role, for the role it names only
    let mut change: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("events/iam-change-put-role-policy.json"),
        )
        .unwrap(),
    )
    .unwrap();
    change["account"] = json!(org.prod);
    change["detail"]["recipientAccountId"] = json!(org.prod);
    change["detail"]["requestParameters"]["roleName"] = json!("prod-vendor");
    let r: Report = serde_json::from_value(handle(invoke(change), &d).await.unwrap()).unwrap();
    let roles: Vec<&str> = r.roles.iter().map(|x| x.role_arn.as_str()).collect();
    assert_eq!(
        roles,
        [format!("arn:aws:iam::{}:role/prod-vendor", org.prod)]
    );
    assert_eq!(
        r.change.as_ref().unwrap().account.as_deref(),
        Some(org.prod.as_str())
    );
    drain(&org.sns_conf, &org.queue).await;

    // the state machine's first step: the active accounts
    let listing = handle(invoke(json!({"list_accounts": true})), &d)
        .await
        .unwrap();
    let want = org.active_accounts();
    let ids: Vec<&str> = listing["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, want);
    assert_eq!(listing["inactive_accounts"], 1);
    assert_eq!(listing["management_account_id"], ACCOUNT);
    assert!(
        listing["organization_id"]
            .as_str()
            .unwrap()
            .starts_with("o-")
    );
    let prod_item = listing["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account_id"] == org.prod.as_str())
        .unwrap();
    assert_eq!(prod_item["name"], "prod");
    assert!(drain(&org.sns_conf, &org.queue).await.is_empty());

    // its second: one member account per invocation, stored and published as usual
    let report: Report = serde_json::from_value(
        handle(
            invoke(json!({"account_id": org.prod, "account_name": "prod"})),
            &d,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(report.account_id.as_deref(), Some(org.prod.as_str()));
    assert_eq!(report.accounts.len(), 1);
    assert!(report.complete && report.accounts[0].audited);
    assert_eq!(report.accounts[0].account_name.as_deref(), Some("prod"));
    let found = findings_by_account(&report);
    assert!(
        found.iter().all(|(account, _, _)| *account == org.prod),
        "{found:?}"
    );
    assert!(found.contains(&(
        org.prod.clone(),
        "prod-vendor".into(),
        "trust-missing-external-id".into()
    )));
    let received = drain(&org.sns_conf, &org.queue).await;
    assert_messages(&received, &report, &[org.prod.as_str()]);
    // one member account's run keeps that account's latest report (the change event above
    // wrote it), not the organization's, which the state machine's parallel runs would race on
    let changes = report.summary.changes.as_ref().unwrap();
    assert!(
        changes
            .previous_report
            .as_deref()
            .unwrap()
            .starts_with(&format!(
                "s3://org-reports/reports/latest/{}/connector-",
                org.prod
            )),
        "{changes:?}"
    );
    assert!(
        !changes
            .previous_report
            .as_deref()
            .unwrap()
            .contains("-org-")
    );

    // as the Map sends it: the account's section only, and where its report went
    let section = handle(
        invoke(json!({"account_id": org.dev, "account_name": "dev", "summary_only": true})),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(section["account_id"], org.dev.as_str());
    assert_eq!(section["audited"], true);
    assert_eq!(
        section["findings"]["high"],
        report.accounts[0].findings.high
    );
    assert!(
        section["stored"]
            .as_str()
            .unwrap()
            .starts_with("s3://org-reports/reports/")
    );
    assert!(section["published"].as_u64().unwrap() >= 2);
    assert!(section.get("roles").is_none() && section.get("findings").is_some());
    drain(&org.sns_conf, &org.queue).await;
    let section = handle(
        invoke(json!({"account_id": org.sandbox, "summary_only": true, "publish": false})),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(section["audited"], false);
    assert_eq!(section["complete"], false);
    assert!(
        section["error"]
            .as_str()
            .unwrap()
            .starts_with("no role could be read"),
        "{section}"
    );
    assert_eq!(section["published"], 0);

    // this account only
    let own: Report = serde_json::from_value(
        handle(invoke(json!({"org": false, "publish": false})), &d)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(own.accounts.is_empty() && own.complete);
    assert_eq!(own.summary.roles_audited, 1);
    assert!(drain(&org.sns_conf, &org.queue).await.is_empty());

    // refused: roles of one account in an organization's run; an account that is not one
    let err = handle(invoke(json!({"roles": ["hq-vendor"]})), &d)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(r#""org": false"#), "{err}");
    let err = handle(invoke(json!({"account_id": "12345"})), &d)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`12345`") && err.contains("Accepted:"),
        "{err}"
    );
    // without ORG_AUDIT_ROLE_NAME: no member account, and scheduled runs audit this account
    let plain = deps(&org.clients, &[("FINDINGS_TOPIC_ARN", org.topic.as_str())]);
    let err = handle(invoke(json!({"account_id": org.prod})), &plain)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("ORG_AUDIT_ROLE_NAME"), "{err}");
    let own: Report = serde_json::from_value(
        handle(invoke(json!({"publish": false})), &plain)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(own.accounts.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_audits_the_organization() {
    let org = organization().await;
    let creds = org
        .admin
        .credentials_provider()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    let cli = |args: &[&str], env: &[(&str, &str)]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_connector-audit"))
            .args(["audit", "--region", "us-east-1"])
            .args(["--max-attempts", "2", "--retry-mode", "standard"])
            .args(args)
            .env("AWS_ENDPOINT_URL", org.moto.endpoint())
            .env("AWS_ENDPOINT_URL_SNS", org.sns.endpoint())
            .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("ORG_AUDIT_ROLE_NAME")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let out = cli(
        &[
            "--format",
            "json",
            "--org",
            "--org-role",
            ORG_ROLE,
            "--publish",
            &org.topic,
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // incomplete (sandbox) wins over the findings: exit 3, and stderr names the account
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("accounts not audited: {}", org.sandbox)),
        "{stderr}"
    );
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_org_run(&org, &report).await;

    // the role from ORG_AUDIT_ROLE_NAME; the table names each finding's account
    let out = cli(
        &["--org", "--format", "table"],
        &[("ORG_AUDIT_ROLE_NAME", ORG_ROLE)],
    );
    assert_eq!(out.status.code(), Some(3));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!("{}/prod-vendor", org.prod)),
        "{table}"
    );
    assert!(table.contains("Accounts (4):"), "{table}");
    assert!(
        table.contains("NOT AUDITED: no role could be read"),
        "{table}"
    );

    // without the role in any member account (the default name is not there): every member
    // account is a failed section; this account is still audited
    let out = cli(
        &["--format", "json", "--org", "--org-role", "NoSuchAuditRole"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let audited: Vec<&str> = report
        .accounts
        .iter()
        .filter(|a| a.audited)
        .map(|a| a.account_id.as_str())
        .collect();
    assert_eq!(audited, [ACCOUNT]);

    // usage errors
    let out = cli(&["--org", "--roles", "hq-vendor"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(&["--org", "--org-role", "path/role"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`path/role`"));
}

/// The organization's guardrails over each member account (class 9 of the semantics issue):
/// `prod` moves into an OU whose SCP keeps S3 to one bucket, `dev` gets an RCP that shuts the
/// vendor out of its roles. The same roles in the other accounts keep their findings, and each
/// role's entry names the control it now depends on. The management account is under neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizations_guardrails_take_access_away_and_the_report_says_which() {
    use aws_sdk_organizations::types::PolicyType;
    let org = organization().await;
    let orgs = aws_sdk_organizations::Client::new(&org.admin);
    let roots = orgs.list_roots().send().await.unwrap();
    let root = roots.roots()[0].id().unwrap().to_string();
    let ou = orgs
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit
        .unwrap()
        .id
        .unwrap();
    orgs.move_account()
        .account_id(&org.prod)
        .source_parent_id(&root)
        .destination_parent_id(&ou)
        .send()
        .await
        .unwrap();
    let create = |name: &str, kind: PolicyType, doc: Value| {
        orgs.create_policy()
            .name(name)
            .description(name)
            .r#type(kind)
            .content(doc.to_string())
            .send()
    };
    let scp = create(
        "OneBucket",
        PolicyType::ServiceControlPolicy,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::prod-data", "arn:aws:s3:::prod-data/*"]}]}),
    )
    .await
    .unwrap()
    .policy
    .unwrap()
    .policy_summary
    .unwrap()
    .id
    .unwrap();
    orgs.attach_policy()
        .policy_id(&scp)
        .target_id(&ou)
        .send()
        .await
        .unwrap();
    let rcp = create(
        "NoVendor",
        PolicyType::ResourceControlPolicy,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "sts:AssumeRole", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": VENDOR}}}]}),
    )
    .await
    .unwrap()
    .policy
    .unwrap()
    .policy_summary
    .unwrap()
    .id
    .unwrap();
    orgs.attach_policy()
        .policy_id(&rcp)
        .target_id(&org.dev)
        .send()
        .await
        .unwrap();

    let (report, ..) = audit_organization(&org).await;
    assert!(
        !report
            .errors
            .iter()
            .any(|e| e.operation == connector_audit::model::Operation::ReadGuardrails),
        "{:?}",
        report.errors
    );
    let found = findings_by_account(&report);
    let has = |account: &str, role: &str, rule: &str| {
        found.contains(&(account.to_string(), role.to_string(), rule.to_string()))
    };
    // the SCP keeps prod's roles off buckets nobody named; dev's identical role is not
    assert!(
        has(&org.dev, "dev-vendor", "s3-wildcard-bucket"),
        "{found:?}"
    );
    assert!(
        !has(&org.prod, "prod-vendor", "s3-wildcard-bucket"),
        "{found:?}"
    );
    // the RCP shuts the vendor out of dev's roles; prod's and the management account's not
    assert!(
        !has(&org.dev, "dev-vendor", "trust-missing-external-id"),
        "{found:?}"
    );
    assert!(
        has(&org.prod, "prod-vendor", "trust-missing-external-id"),
        "{found:?}"
    );
    assert!(
        has(ACCOUNT, "hq-vendor", "trust-missing-external-id"),
        "{found:?}"
    );

    let entry = |name: &str| report.roles.iter().find(|r| r.role_name == name).unwrap();
    let prod = entry("prod-vendor");
    assert_eq!(prod.limited_by.len(), 1, "{:?}", prod.limited_by);
    assert_eq!(prod.limited_by[0].control, "service-control-policy");
    assert_eq!(prod.limited_by[0].policy, format!("OneBucket ({scp})"));
    // every read of AmazonS3ReadOnlyAccess on buckets nobody named, listed up to the cap
    assert!(prod.limited_by[0].total > 40, "{:?}", prod.limited_by);
    assert!(
        prod.limited_by[0].removes.len() == connector_audit::model::Limit::SHOWN
            && prod.limited_by[0]
                .removes
                .iter()
                .all(|r| r.ends_with(" on *")),
        "{:?}",
        prod.limited_by
    );
    let dev = entry("dev-vendor");
    assert_eq!(dev.limited_by.len(), 1, "{:?}", dev.limited_by);
    assert_eq!(dev.limited_by[0].control, "resource-control-policy");
    assert_eq!(dev.limited_by[0].policy, format!("NoVendor ({rcp})"));
    assert_eq!(
        dev.limited_by[0].removes,
        ["trust-missing-external-id on trust statement 0"]
    );
    assert!(entry("hq-vendor").limited_by.is_empty());
}

/// The template's state machine, as Step Functions would run it after CloudFormation's
/// `DefinitionSubstitutions`: JSON text.
fn state_machine_definition(function_arn: &str, bucket: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let template: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let machine = &template["Resources"]["OrgAuditStateMachine"]["Properties"];
    let substitutions = machine["DefinitionSubstitutions"].as_mapping().unwrap();
    assert_eq!(
        substitutions
            .keys()
            .filter_map(|k| k.as_str())
            .collect::<Vec<_>>(),
        ["Partition", "AuditFunctionArn", "ReportBucket"]
    );
    serde_json::to_string(&machine["Definition"])
        .unwrap()
        .replace("${Partition}", "aws")
        .replace("${AuditFunctionArn}", function_arn)
        .replace("${ReportBucket}", bucket)
}

/// The payloads the interpreter sent to the function, in the order they reached the emulator.
fn invocations(recording: &[Value]) -> Vec<Value> {
    recording
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["url"]
                    .as_str()
                    .is_some_and(|u| u.contains("/functions/") && u.ends_with("/invocations"))
        })
        .map(|r| {
            let body = r["body"].as_str().unwrap();
            let bytes = if r["body_encoded"] == true {
                support::base64_decode(body)
            } else {
                body.as_bytes().to_vec()
            };
            serde_json::from_slice(&bytes).unwrap()
        })
        .collect()
}

/// The organization state machine executed once, not only parsed: in moto's Step Functions
/// interpreter (`execute_state_machine`), whose Lambda tasks reach moto's Docker-free Lambda
/// (`use_docker: false`). That Lambda answers each invoke from a results queue, which the test
/// fills with the real handler's answers: first to `list_accounts`, then to each account's
/// event. The interpreter's own requests are recorded, so the test sees what the state
/// machine sent: exactly the events the handler answered. The listing, the Distributed Map
/// (its items, its failure count and tolerance) and the result writer have run.
///
/// Limits of the interpreter (moto 5.2.5), asserted where they show: the Map Run's tolerance
/// is recorded but not enforced, and the result writer writes the manifest only, not the
/// result files. The states' Lambda retries are not exercised (the Docker-free Lambda never
/// throttles).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_machine_runs_in_the_emulator_on_the_handlers_answers() {
    let org = organization().await;
    let env = [
        ("FINDINGS_TOPIC_ARN", org.topic.as_str()),
        ("ORG_AUDIT_ROLE_NAME", ORG_ROLE),
        ("REPORT_BUCKET", "org-reports"),
    ];
    let d = deps(&org.clients, &env);

    // the handler's answers, first
    let listing = handle(invoke(json!({"list_accounts": true})), &d)
        .await
        .unwrap();
    let events: Vec<Value> = listing["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!({"account_id": a["account_id"], "account_name": a["name"], "summary_only": true}))
        .collect();
    assert_eq!(events.len(), org.active_accounts().len());
    let mut sections = Vec::new();
    for event in &events {
        let section = handle(invoke(event.clone()), &d).await.unwrap();
        assert_eq!(section["account_id"], event["account_id"], "{section}");
        sections.push(section);
    }
    drain(&org.sns_conf, &org.queue).await;

    // Step Functions, Lambda and the result bucket: a third emulator, which calls itself
    let sfn_moto = Moto::start_addressed(&[("MOTO_ENABLE_RECORDING", "True")]);
    let answer = sfn_moto
        .http(
            "POST",
            "/moto-api/config",
            r#"{"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}"#,
        )
        .unwrap();
    assert!(answer.contains(" 201 "), "{answer}");
    let conf = sfn_moto.sdk_config().await;
    let role = aws_sdk_iam::Client::new(&conf)
        .create_role()
        .role_name("org-audit-state-machine")
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    let lambda = aws_sdk_lambda::Client::new(&conf);
    let function = lambda
        .create_function()
        .function_name("connector-audit")
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(&role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                // an empty zip archive: the Docker-free Lambda never runs the code
                .zip_file(aws_sdk_lambda::primitives::Blob::new(
                    [b"PK\x05\x06".as_slice(), &[0u8; 18]].concat(),
                ))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .function_arn
        .unwrap();
    let s3 = s3_client(&conf);
    s3.create_bucket()
        .bucket("org-reports")
        .send()
        .await
        .unwrap();
    let sfn = aws_sdk_sfn::Client::new(&conf);
    let machine = sfn
        .create_state_machine()
        .name("connector-audit-org-audit")
        .definition(state_machine_definition(&function, "org-reports"))
        .role_arn(&role)
        .send()
        .await
        .unwrap()
        .state_machine_arn;

    // one execution: the listing's answer, then one answer per account (the Map may invoke in
    // any order; each answer is one account's section, so any pairing is a valid run)
    let run = |answers: Vec<String>, name: &'static str| {
        let sfn = sfn.clone();
        let machine = machine.clone();
        let sfn_moto = &sfn_moto;
        async move {
            let results = json!({"results": answers}).to_string();
            let queued = sfn_moto
                .http("POST", "/moto-api/static/lambda-simple/response", &results)
                .unwrap();
            assert!(queued.contains(" 201 "), "{queued}");
            sfn_moto.start_recording();
            let execution = sfn
                .start_execution()
                .state_machine_arn(&machine)
                .name(name)
                .input("{}")
                .send()
                .await
                .unwrap()
                .execution_arn;
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            let described = loop {
                let d = sfn
                    .describe_execution()
                    .execution_arn(&execution)
                    .send()
                    .await
                    .unwrap();
                if d.status != aws_sdk_sfn::types::ExecutionStatus::Running {
                    break d;
                }
                assert!(std::time::Instant::now() < deadline, "still running");
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let recording = sfn_moto.recording();
            let map_runs = sfn
                .list_map_runs()
                .execution_arn(&execution)
                .send()
                .await
                .unwrap()
                .map_runs;
            assert_eq!(map_runs.len(), 1);
            let map_run = sfn
                .describe_map_run()
                .map_run_arn(&map_runs[0].map_run_arn)
                .send()
                .await
                .unwrap();
            (described, map_run, invocations(&recording))
        }
    };
    let mut answers = vec![listing.to_string()];
    answers.extend(sections.iter().map(Value::to_string));
    let (described, map_run, sent) = run(answers, "every-account").await;
    assert_eq!(
        described.status,
        aws_sdk_sfn::types::ExecutionStatus::Succeeded,
        "{described:?}"
    );
    // what the state machine sent is what the handler answered: the listing request first,
    // then each account's event once
    assert_eq!(sent.first(), Some(&json!({"list_accounts": true})));
    let sent_events: BTreeSet<String> = sent[1..].iter().map(Value::to_string).collect();
    let fed: BTreeSet<String> = events.iter().map(Value::to_string).collect();
    assert_eq!(sent.len(), events.len() + 1);
    assert_eq!(sent_events, fed);
    // the Distributed Map ran one child per account, with the template's tolerance
    let counts = map_run.item_counts.unwrap();
    assert_eq!(
        (counts.total, counts.succeeded, counts.failed),
        (events.len() as i64, events.len() as i64, 0)
    );
    assert_eq!(map_run.tolerated_failure_percentage, 10.0);
    assert_eq!(map_run.max_concurrency, 20);
    // the result writer's manifest, where the execution's output says
    let output: Value = serde_json::from_str(described.output.as_deref().unwrap()).unwrap();
    let key = output["ResultWriterDetails"]["Key"].as_str().unwrap();
    assert_eq!(output["ResultWriterDetails"]["Bucket"], "org-reports");
    assert!(
        key.starts_with("org-runs/") && key.ends_with("/manifest.json"),
        "{key}"
    );
    let manifest: Value = serde_json::from_slice(&object(&s3, "org-reports", key).await).unwrap();
    assert_eq!(manifest["MapRunArn"], map_run.map_run_arn);

    // an account whose answer exceeds Lambda's 6 MB is a failed item, counted, not lost
    let mut answers = vec![listing.to_string()];
    answers.extend(sections[1..].iter().map(Value::to_string));
    answers.push("x".repeat(6_000_001));
    let (_, map_run, sent) = run(answers, "one-account-fails").await;
    let counts = map_run.item_counts.unwrap();
    assert_eq!(
        (counts.total, counts.succeeded, counts.failed),
        (events.len() as i64, events.len() as i64 - 1, 1)
    );
    assert_eq!(sent.len(), events.len() + 1);
}
