//! The handler: an event -> the settings of this invocation (environment, then the event's
//! overrides) and its scope -> the application's one run path ([`crate::app::run`]) -> the
//! response. Its dependencies are the application's ports ([`Services`]): tests hand it
//! in-memory ones, `bin/bootstrap.rs` hands it AWS's, built once per process.

use super::events::{ChangeBatch, EventError, Invocation, OnDemand, RawEvent, parse_event};
use super::response::{log_outcome, response};
use crate::app::{Outcome, Run, RunError, Scope, Services, Settings};
use crate::org::Account;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the handler needs, built once per process.
#[derive(Debug)]
pub struct Deps {
    /// The function's settings, from its environment.
    pub settings: Settings,
    /// Its collaborators (AWS, or in memory in tests).
    pub services: Services,
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("{source} (the full report was written to the log)")]
    Publish {
        #[source]
        source: RunError,
    },
    #[error("publishing was requested but FINDINGS_TOPIC_ARN is not set")]
    NoTopic,
    #[error(
        "an organization's account was asked for (`org`, `account_id`) but ORG_AUDIT_ROLE_NAME is not set"
    )]
    NoOrgRole,
    #[error("listing the organization's accounts failed: {0}")]
    ListAccounts(crate::app::ports::PortError),
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        let error_type = match &e {
            HandlerError::Event(_) => "UnsupportedEvent",
            HandlerError::Publish { .. } => "PublishFailed",
            HandlerError::NoTopic => "NoTopic",
            HandlerError::NoOrgRole => "NoOrgRole",
            HandlerError::ListAccounts(_) => "ListAccountsFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}

/// What an invocation asks for, once the event is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// Audit these accounts (and answer the report, or a member's section).
    Audit { scope: Scope, summary_only: bool },
    /// Audit nothing: answer the organization's active accounts.
    ListAccounts,
}

impl Request {
    /// The scope of a scheduled or console run.
    pub(crate) fn of(od: &OnDemand, settings: &Settings) -> Result<Request, HandlerError> {
        if od.list_accounts == Some(true) {
            return Ok(Request::ListAccounts);
        }
        let org_role = settings.org_role_name.is_some();
        if let Some(id) = &od.account_id {
            let account = Account::parse(id, od.account_name.clone()).map_err(|e| EventError {
                reason: format!("field `account_id`: {e}"),
            })?;
            if !org_role {
                return Err(HandlerError::NoOrgRole);
            }
            return Ok(Request::Audit {
                scope: Scope::Member(account),
                summary_only: od.summary_only.unwrap_or(false),
            });
        }
        let scope = match (od.org, org_role) {
            (Some(true), false) => return Err(HandlerError::NoOrgRole),
            (Some(false), _) | (None, false) => Scope::ThisAccount,
            (_, true) if od.roles.is_some() => return Err(EventError {
                reason: "field `roles` names roles of one account, and this function audits the organization (ORG_AUDIT_ROLE_NAME): add `\"org\": false` to audit them in this account".into(),
            }
            .into()),
            (_, true) => Scope::Organization,
        };
        Ok(Request::Audit {
            scope,
            summary_only: false,
        })
    }
}

/// The handler as the runtime calls it: the event's JSON text, refused when a key appears
/// twice in an object (the error names it), then [`handle`].
pub async fn handle_raw(event: LambdaEvent<RawEvent>, deps: &Deps) -> Result<Value, HandlerError> {
    let (raw, context) = event.into_parts();
    let payload = raw.value()?;
    handle(LambdaEvent::new(payload, context), deps).await
}

/// The handler: audit, publish, return the report.
pub async fn handle(event: LambdaEvent<Value>, deps: &Deps) -> Result<Value, HandlerError> {
    let (payload, context) = event.into_parts();
    let invocation = parse_event(&payload)?;
    tracing::info!(
        remaining_ms = remaining_ms(context.deadline),
        "audit started"
    );
    let (od, change) = match invocation {
        Invocation::Scheduled => (OnDemand::default(), None),
        Invocation::OnDemand(od) => (od, None),
        Invocation::Change(c) if c.roles.is_empty() && c.policies.is_empty() => {
            tracing::info!(event = %c.event_name, "the IAM call changed no role: nothing audited");
            return Ok(serde_json::json!({
                "change": c,
                "skipped": "the IAM call changed no role's trust, permissions or tags (it failed: the event has an errorCode; or it created a policy version that is not the default): nothing was audited",
            }));
        }
        Invocation::Change(c) => (OnDemand::default(), Some(c)),
        Invocation::Changes(batch) => return changes(batch, &context, deps).await,
    };
    let settings = deps.settings.with(&od.overrides());
    // a change is audited in the account it happened in (through the org role, when the
    // function audits an organization)
    let request = match &change {
        Some(c) => Request::Audit {
            scope: change_scope(c, &settings),
            summary_only: false,
        },
        None => Request::of(&od, &settings)?,
    };
    let (scope, summary_only) = match request {
        Request::ListAccounts => return list_accounts(deps).await,
        Request::Audit {
            scope,
            summary_only,
        } => (scope, summary_only),
    };
    if settings.publish && deps.services.sink.is_none() {
        return Err(HandlerError::NoTopic);
    }
    let run = Run {
        scope,
        change,
        run_id: if context.request_id.is_empty() {
            crate::audit::new_run_id()
        } else {
            context.request_id.clone()
        },
        generated_at: crate::audit::now_rfc3339(),
        deadline: work_deadline(context.deadline, settings.deadline_margin),
        end: work_deadline(
            context.deadline,
            END_RESERVE.min(settings.deadline_margin / 2),
        ),
    };
    match Box::pin(crate::app::run(&settings, &run, &deps.services)).await {
        Ok(outcome) => {
            log_outcome(
                &outcome.report,
                &run.run_id,
                outcome.published,
                outcome.stored.as_deref(),
            );
            Ok(if summary_only {
                section(&outcome)
            } else {
                response(&outcome.report)
            })
        }
        Err(RunError::NoOrganization) => Err(HandlerError::NoOrgRole),
        Err(e) => {
            if let RunError::Publish { report, stored, .. } = &e {
                tracing::error!(
                    run_id = %run.run_id,
                    stored = stored.as_deref().unwrap_or("-"),
                    report = %serde_json::to_string(report).unwrap_or_default(),
                    error = %e,
                    "publishing failed; the full report follows in this line"
                );
            }
            Err(HandlerError::Publish { source: e })
        }
    }
}

/// The scope of a change's audit: the account it happened in (through the org role, when the
/// function audits an organization), else the function's own.
fn change_scope(change: &crate::model::IamChange, settings: &Settings) -> Scope {
    change
        .account
        .as_deref()
        .and_then(|a| Account::parse(a, None).ok())
        .filter(|_| settings.org_role_name.is_some())
        .map_or(Scope::ThisAccount, Scope::Member)
}

/// A batch of buffered IAM changes (SQS): the union of their roles audited once per account,
/// within the invocation's deadline. Messages that are not change events, and those of an
/// account whose run failed (publishing), are answered as `batchItemFailures`
/// (`ReportBatchItemFailures`): SQS delivers them again, then to the dead-letter queue.
async fn changes(
    batch: ChangeBatch,
    context: &lambda_runtime::Context,
    deps: &Deps,
) -> Result<Value, HandlerError> {
    let settings = &deps.settings;
    if settings.publish && deps.services.sink.is_none() {
        return Err(HandlerError::NoTopic);
    }
    let mut failures: Vec<String> = Vec::new();
    for (id, why) in &batch.rejected {
        tracing::warn!(message_id = %id, reason = %why, "SQS message is not an IAM change event: reported as a batch item failure");
        failures.push(id.clone());
    }
    let groups = batch.per_account();
    let several = groups.len() > 1;
    let request_id = if context.request_id.is_empty() {
        crate::audit::new_run_id()
    } else {
        context.request_id.clone()
    };
    let mut audits = Vec::new();
    for (i, (change, ids)) in groups.into_iter().enumerate() {
        if change.roles.is_empty() && change.policies.is_empty() {
            audits.push(serde_json::json!({"change": change, "messages": ids.len(), "skipped": "the IAM calls changed no role"}));
            continue;
        }
        let run = Run {
            scope: change_scope(&change, settings),
            change: Some(change),
            run_id: if several {
                format!("{request_id}-{i}")
            } else {
                request_id.clone()
            },
            generated_at: crate::audit::now_rfc3339(),
            deadline: work_deadline(context.deadline, settings.deadline_margin),
            end: work_deadline(
                context.deadline,
                END_RESERVE.min(settings.deadline_margin / 2),
            ),
        };
        match Box::pin(crate::app::run(settings, &run, &deps.services)).await {
            Ok(outcome) => {
                log_outcome(
                    &outcome.report,
                    &run.run_id,
                    outcome.published,
                    outcome.stored.as_deref(),
                );
                audits.push(serde_json::json!({
                    "run_id": run.run_id,
                    "account_id": outcome.report.account_id,
                    "change": outcome.report.change,
                    "messages": ids.len(),
                    "roles_audited": outcome.report.roles.iter().map(|r| r.role_name.clone()).collect::<Vec<_>>(),
                    "findings": outcome.report.summary.findings,
                    "complete": outcome.report.complete,
                    "published": outcome.published,
                    "stored": outcome.stored,
                }));
            }
            Err(e) => {
                if let RunError::Publish { report, stored, .. } = &e {
                    tracing::error!(
                        run_id = %run.run_id,
                        stored = stored.as_deref().unwrap_or("-"),
                        report = %serde_json::to_string(report).unwrap_or_default(),
                        error = %e,
                        "publishing failed; the full report follows in this line"
                    );
                } else {
                    tracing::error!(run_id = %run.run_id, error = %e, "the batch's audit failed");
                }
                failures.extend(ids);
            }
        }
    }
    Ok(serde_json::json!({
        "batchItemFailures": failures
            .iter()
            .map(|id| serde_json::json!({"itemIdentifier": id}))
            .collect::<Vec<_>>(),
        "audits": audits,
    }))
}

/// A member account's section of the report, with where the report went (a Step Functions
/// state holds at most 256 KiB).
fn section(outcome: &Outcome) -> Value {
    let mut section = serde_json::to_value(outcome.report.accounts.first()).unwrap_or(Value::Null);
    if let Some(obj) = section.as_object_mut() {
        obj.insert(
            "generated_at".into(),
            outcome.report.generated_at.clone().into(),
        );
        obj.insert("stored".into(), outcome.stored.clone().into());
        obj.insert("published".into(), outcome.published.into());
    }
    section
}

/// The organization's active accounts, as the `list_accounts` answer.
async fn list_accounts(deps: &Deps) -> Result<Value, HandlerError> {
    let org = deps
        .services
        .organization
        .as_deref()
        .ok_or(HandlerError::NoOrgRole)?;
    let listing = org.accounts().await.map_err(HandlerError::ListAccounts)?;
    tracing::info!(
        accounts = listing.accounts.len(),
        inactive = listing.inactive_accounts,
        "organization's accounts listed"
    );
    Ok(serde_json::to_value(&listing).unwrap_or(Value::Null))
}

/// A deadline before this (September 2001, in milliseconds since the epoch) is no epoch time:
/// some local Runtime API emulators send the timeout itself (e.g. `600000`).
const PLAUSIBLE_DEADLINE_MS: u64 = 1_000_000_000_000;

/// Milliseconds until the invocation's deadline (milliseconds since the epoch); `None` when
/// the runtime gave none, or no plausible one.
fn remaining_ms(deadline_ms: u64) -> Option<u64> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    (deadline_ms >= PLAUSIBLE_DEADLINE_MS).then(|| deadline_ms.saturating_sub(now_ms))
}

/// Kept free at the very end of an invocation, after storing and publishing: writing the
/// summary (or, when publishing failed, the full report) to the log and answering (at most
/// half the deadline margin).
pub const END_RESERVE: Duration = Duration::from_secs(2);

/// The instant by which work must stop: the invocation's deadline (milliseconds since the
/// epoch, 0 when unknown) minus the margin kept for reporting and publishing.
pub fn work_deadline(deadline_ms: u64, margin: Duration) -> Option<Instant> {
    let remaining = Duration::from_millis(remaining_ms(deadline_ms)?);
    Some(Instant::now() + remaining.saturating_sub(margin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fakes::{Memory, Org, Roles, Shared, Topic, env};
    use crate::app::ports::{FindingSink, ReportStore};
    use crate::model::{Report, Severity};
    use serde_json::json;
    use std::sync::Arc;

    /// The function on the demo account, its environment `env`, publishing to `topic` and
    /// keeping reports in `store` when given.
    fn demo(
        env_vars: &[(&str, &str)],
        topic: Option<Arc<Topic>>,
        store: Option<Arc<Memory>>,
    ) -> Deps {
        let settings = Settings::from_env(env(env_vars)).unwrap();
        let mut services = Services::new(Roles::demo());
        services.sink = topic.map(|t| Box::new(Shared(t)) as Box<dyn FindingSink>);
        services.store = store.map(|s| Box::new(Shared(s)) as Box<dyn ReportStore>);
        services.organization = Some(Box::new(Org::default()));
        Deps { settings, services }
    }

    const TOPIC: (&str, &str) = (
        "FINDINGS_TOPIC_ARN",
        "arn:aws:sns:us-east-1:123456789012:connector-audit-findings",
    );

    fn event(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    async fn invoke(payload: Value, deps: &Deps) -> Result<Value, HandlerError> {
        handle(
            LambdaEvent::new(payload, lambda_runtime::Context::default()),
            deps,
        )
        .await
    }

    #[tokio::test]
    async fn a_scheduled_run_reports_and_publishes_what_the_offline_audit_finds() {
        let topic = Arc::new(Topic::default());
        let deps = demo(&[TOPIC], Some(topic.clone()), None);
        let answer = invoke(event("scheduled.json"), &deps).await.unwrap();
        let report: Report = serde_json::from_value(answer).unwrap();
        let offline = crate::audit::audit(
            Roles::demo().0,
            &crate::audit::AuditOptions::default(),
            crate::model::Source::File,
            "t".into(),
        );
        let ids = |r: &Report| r.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        assert!(!report.findings.is_empty());
        assert_eq!(ids(&report), ids(&offline));
        assert_eq!(report.source, crate::model::Source::Live);
        // one message per finding at or above `medium`, and the summary
        let publishable = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .count();
        let sent = topic.sent.lock().unwrap();
        assert_eq!(sent.len(), publishable + 1);
    }

    #[tokio::test]
    async fn a_console_event_overrides_the_environment() {
        let topic = Arc::new(Topic::default());
        let deps = demo(&[TOPIC], Some(topic.clone()), None);
        let answer = invoke(
            json!({"roles": ["legacy-s3-star"], "publish": false, "min_severity": "low"}),
            &deps,
        )
        .await
        .unwrap();
        let report: Report = serde_json::from_value(answer).unwrap();
        let roles: Vec<&str> = report.roles.iter().map(|r| r.role_name.as_str()).collect();
        assert_eq!(roles, ["legacy-s3-star"]);
        assert!(topic.sent.lock().unwrap().is_empty());
    }

    /// `{"publish": false, "publish": true}` must not publish: it fails, naming the key.
    #[tokio::test]
    async fn a_duplicate_key_fails_the_invocation_naming_it() {
        let topic = Arc::new(Topic::default());
        let deps = demo(&[TOPIC], Some(topic.clone()), None);
        let raw: RawEvent = serde_json::from_str(r#"{"publish": false, "publish": true}"#).unwrap();
        let e = handle_raw(
            LambdaEvent::new(raw, lambda_runtime::Context::default()),
            &deps,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("duplicate key `publish`"), "{e}");
        assert!(topic.sent.lock().unwrap().is_empty());
        // a Scheduled Event with a console's field fails too, rather than publishing
        let mut scheduled = event("scheduled.json");
        scheduled["publish"] = json!(false);
        let e = invoke(scheduled, &deps).await.unwrap_err();
        assert!(e.to_string().contains("unknown field `publish`"), "{e}");
        assert!(topic.sent.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn publishing_without_a_topic_is_refused() {
        let deps = demo(&[], None, None);
        let e = invoke(event("scheduled.json"), &deps).await.unwrap_err();
        assert!(matches!(e, HandlerError::NoTopic), "{e}");
        // not publishing needs none
        assert!(invoke(json!({"publish": false}), &deps).await.is_ok());
    }

    #[tokio::test]
    async fn an_iam_change_audits_only_the_role_it_names() {
        let topic = Arc::new(Topic::default());
        let deps = demo(&[TOPIC], Some(topic.clone()), None);
        let answer = invoke(event("iam-change-put-role-policy.json"), &deps)
            .await
            .unwrap();
        let report: Report = serde_json::from_value(answer).unwrap();
        let roles: Vec<&str> = report.roles.iter().map(|r| r.role_name.as_str()).collect();
        assert_eq!(roles, ["legacy-s3-star"]);
        assert_eq!(report.change.unwrap().event_name, "PutRolePolicy");
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.role_name == "legacy-s3-star")
        );
        assert!(!topic.sent.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failed_publish_fails_the_invocation_and_keeps_the_report() {
        let topic = Arc::new(Topic {
            refuse: true,
            ..Topic::default()
        });
        let store = Arc::new(Memory::default());
        let deps = demo(
            &[TOPIC, ("REPORT_BUCKET", "reports-bucket")],
            Some(topic),
            Some(store.clone()),
        );
        let e = invoke(event("scheduled.json"), &deps).await.unwrap_err();
        assert!(e.to_string().contains("sns is down"), "{e}");
        let objects = store.objects.lock().unwrap();
        // the run's report is stored; the scope's latest report is not moved on
        let stored: Vec<&String> = objects.keys().filter(|k| k.ends_with(".json")).collect();
        assert_eq!(stored.len(), 1, "{stored:?}");
        // its HTML page beside it
        assert!(
            objects.keys().any(|k| k.ends_with(".html")),
            "{:?}",
            objects.keys().collect::<Vec<_>>()
        );
        assert!(stored[0].starts_with("reports/") && !stored[0].starts_with("reports/latest/"));
        let report: Report = serde_json::from_slice(&objects[stored[0]]).unwrap();
        assert!(!report.findings.is_empty());
    }

    /// `TRUSTED_ACCOUNT_IDS` makes an account of the organization yours: its way in is named
    /// so and judged by no rule; the other parties are named in the report and in what
    /// subscribers read.
    #[tokio::test]
    async fn trusted_account_ids_name_the_organizations_account_as_yours() {
        let topic = Arc::new(Topic::default());
        let mut deps = demo(
            &[
                TOPIC,
                ("TRUSTED_ACCOUNT_IDS", "210987654321"),
                ("MIN_SEVERITY", "low"),
            ],
            Some(topic.clone()),
            None,
        );
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/parties-account.json"
        );
        deps.services.roles = Box::new(Roles::from_dump(&std::fs::read_to_string(path).unwrap()));
        let answer = invoke(event("scheduled.json"), &deps).await.unwrap();
        let report: Report = serde_json::from_value(answer).unwrap();
        let org = report
            .roles
            .iter()
            .find(|r| r.role_name == "org-data-platform")
            .unwrap();
        assert_eq!(
            org.trusted_parties[0].label(),
            "your account (210987654321)"
        );
        assert!(
            !report
                .findings
                .iter()
                .any(|f| f.role_name == "org-data-platform")
        );
        let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "trust-vendor-mismatch",
                "trust-vendor-mismatch",
                "trust-unknown-account"
            ]
        );
        let sent = topic.sent.lock().unwrap();
        let emails: Vec<String> = sent
            .iter()
            .map(|m| {
                let v: Value = serde_json::from_str(&m.structured).unwrap();
                v["email"].as_str().unwrap().to_string()
            })
            .collect();
        assert!(
            emails
                .iter()
                .any(|e| e.contains("Trusted by:  Datadog (464622532012)")
                    && e.contains("but Datadog (464622532012) can assume it")),
            "{emails:#?}"
        );
        assert!(
            emails
                .iter()
                .any(|e| e.contains("unknown account 111122223333 can assume the role")),
            "{emails:#?}"
        );
    }

    #[tokio::test]
    async fn unreadable_roles_still_give_a_report_and_a_summary() {
        let topic = Arc::new(Topic::default());
        let mut deps = demo(&[TOPIC], Some(topic.clone()), None);
        deps.services.roles = Box::new(crate::app::fakes::Unreadable);
        let answer = invoke(event("scheduled.json"), &deps).await.unwrap();
        let report: Report = serde_json::from_value(answer).unwrap();
        assert!(!report.complete && report.roles.is_empty());
        assert_eq!(report.errors[0].operation, "inventory");
        assert_eq!(report.errors[0].code, "InventoryFailed");
        assert!(report.errors[0].message.contains("AccessDenied"));
        // the summary still reaches subscribers
        assert_eq!(topic.sent.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_state_machines_events() {
        let deps = demo(&[("ORG_AUDIT_ROLE_NAME", "ConnectorAuditRole")], None, None);
        let listing = invoke(event("list-accounts.json"), &deps).await.unwrap();
        assert_eq!(listing["accounts"].as_array().unwrap().len(), 6);
        assert_eq!(listing["management_account_id"], "111111111111");
        let section = invoke(
            json!({"account_id": "222222222222", "account_name": "prod", "summary_only": true, "publish": false}),
            &deps,
        )
        .await
        .unwrap();
        assert_eq!(section["account_id"], "222222222222");
        assert_eq!(section["audited"], true);
        assert_eq!(section["published"], 0);
        // without the org role, the organization cannot be asked for
        let plain = demo(&[], None, None);
        let e = invoke(json!({"org": true, "publish": false}), &plain)
            .await
            .unwrap_err();
        assert!(matches!(e, HandlerError::NoOrgRole), "{e}");
    }

    #[test]
    fn organization_settings_and_events() {
        let c = Settings::from_env(env(&[])).unwrap();
        assert_eq!((c.org_role_name.as_deref(), c.org_concurrency), (None, 4));
        let org = Settings::from_env(env(&[
            ("ORG_AUDIT_ROLE_NAME", "ConnectorAuditRole"),
            ("ORG_CONCURRENCY", "8"),
        ]))
        .unwrap();
        assert_eq!(org.org_role_name.as_deref(), Some("ConnectorAuditRole"));
        assert_eq!(org.org_concurrency, 8);

        let od = |v: Value| match parse_event(&v).unwrap() {
            Invocation::OnDemand(od) => od,
            Invocation::Scheduled | Invocation::Change(_) | Invocation::Changes(_) => {
                OnDemand::default()
            }
        };
        let scope = |v: Value, cfg: &Settings| Request::of(&od(v), cfg);
        let audit = |scope: Scope| Request::Audit {
            scope,
            summary_only: false,
        };
        // without ORG_AUDIT_ROLE_NAME: this account, unless the organization is asked for
        assert_eq!(scope(json!({}), &c).unwrap(), audit(Scope::ThisAccount));
        assert!(matches!(
            scope(json!({"org": true}), &c),
            Err(HandlerError::NoOrgRole)
        ));
        assert!(matches!(
            scope(json!({"account_id": "111122223333"}), &c),
            Err(HandlerError::NoOrgRole)
        ));
        assert_eq!(
            scope(json!({"list_accounts": true}), &c).unwrap(),
            Request::ListAccounts
        );
        // with it: the organization, unless told otherwise
        assert_eq!(scope(json!({}), &org).unwrap(), audit(Scope::Organization));
        assert_eq!(
            scope(json!({"org": false, "roles": ["a"]}), &org).unwrap(),
            audit(Scope::ThisAccount)
        );
        let e = scope(json!({"roles": ["a"]}), &org)
            .unwrap_err()
            .to_string();
        assert!(e.contains(r#""org": false"#), "{e}");
        assert_eq!(
            scope(
                json!({"account_id": "111122223333", "account_name": "prod", "summary_only": true}),
                &org
            )
            .unwrap(),
            Request::Audit {
                scope: Scope::Member(Account::parse("111122223333", Some("prod".into())).unwrap()),
                summary_only: true,
            }
        );
        // the Map passes `null` for an account without a name
        assert!(parse_event(&json!({"account_id": "111122223333", "account_name": null})).is_ok());
        for (bad, want) in [
            (
                json!({"list_accounts": true, "publish": false}),
                "takes no other field",
            ),
            (json!({"account_id": "1111"}), "`1111`"),
            (
                json!({"account_id": "111122223333", "org": true}),
                "exclude each other",
            ),
            (
                json!({"account_id": "111122223333", "roles": ["a"]}),
                "exclude each other",
            ),
            (
                json!({"summary_only": true}),
                "`summary_only` needs `account_id`",
            ),
            (
                json!({"account_name": "x"}),
                "`account_name` needs `account_id`",
            ),
            (
                json!({"org": true, "roles": ["a"]}),
                "cannot be used with `org`",
            ),
            (json!({"list_accounts": "yes"}), "field `list_accounts`"),
        ] {
            let e = parse_event(&bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(
                e.contains("Accepted:") && e.contains("list_accounts"),
                "{e}"
            );
        }
    }

    #[test]
    fn deadlines() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let margin = Duration::from_secs(30);
        assert_eq!(work_deadline(0, margin), None);
        // a local emulator's "600000" is a timeout, not a deadline
        assert_eq!(work_deadline(600_000, margin), None);
        let d = work_deadline(now_ms + 100_000, margin).unwrap();
        let left = d.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(60) && left <= Duration::from_secs(70),
            "{left:?}"
        );
        // less time than the margin: stop now
        let d = work_deadline(now_ms + 10_000, margin).unwrap();
        assert!(d <= Instant::now());
    }
}
