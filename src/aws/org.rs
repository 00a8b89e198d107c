//! The organization, as an organization-wide run sees it: Organizations ListAccounts (every
//! page, active accounts only) and the clients of a member account, whose credentials come
//! from assuming `arn:<partition>:iam::<account>:role/<ORG_AUDIT_ROLE_NAME>` with the
//! function's own (an [`AssumeRoleProvider`]: refreshed when they expire, and built from the
//! base configuration, so that the region, endpoint and retry settings are the same). The
//! account the function runs in is audited with its own credentials: it needs no org role.

use super::{AwsError, Clients, caller_identity};
use crate::app::ports::{BoxFuture, Member, Organization, PortError};
use crate::model::{GuardrailLevel, Guardrails, NamedDocument, RoleName};
use crate::org::{Account, Listing, SESSION_NAME};
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_organizations::types::{AccountState, AccountStatus, ParentType, PolicyType};
use aws_sdk_sts::config::SharedCredentialsProvider;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::OnceCell;

/// ListAccounts serves at most 20 accounts a page.
const PAGE_SIZE: i32 = 20;

/// OUs nest at most five levels under the root (AWS Organizations User Guide, "Quotas and
/// service limits"): a longer path is a loop.
const MAX_DEPTH: usize = 7;

/// The organization's active accounts, in account id order (ListAccounts needs the management
/// account's credentials, or a delegated administrator's).
pub async fn list_accounts(clients: &Clients) -> Result<Listing, AwsError> {
    let client = aws_sdk_organizations::Client::new(&clients.conf);
    let mut pages = client
        .list_accounts()
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let mut listing = Listing::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("organizations:ListAccounts", &e))?;
        for a in page.accounts() {
            let Some(id) = a.id() else { continue };
            if listing.management_account_id.is_none()
                && let Some((management, org)) = a.arn().and_then(parse_account_arn)
            {
                listing.management_account_id = Some(management.to_string());
                listing.organization_id = Some(org.to_string());
            }
            // `State` replaces `Status` (retired in September 2026): either says active
            let active = match (a.state(), a.status()) {
                (Some(state), _) => *state == AccountState::Active,
                (None, Some(status)) => *status == AccountStatus::Active,
                (None, None) => true,
            };
            if active {
                match Account::parse(id, a.name().map(str::to_string)) {
                    Ok(account) => listing.accounts.push(account),
                    Err(e) => {
                        tracing::warn!(error = %e, "organizations:ListAccounts: account left out")
                    }
                }
            } else {
                listing.inactive_accounts += 1;
            }
        }
    }
    listing
        .accounts
        .sort_by(|a, b| a.account_id.cmp(&b.account_id));
    Ok(listing)
}

/// `(management account, organization id)` from an account's ARN,
/// `arn:aws:organizations::111111111111:account/o-exampleorgid/222222222222`.
fn parse_account_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("organizations"), Some(_), Some(management), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let org = resource.strip_prefix("account/")?.split('/').next()?;
    Some((management, org)).filter(|(m, o)| !m.is_empty() && o.starts_with("o-"))
}

/// Who runs the audit: its account and partition (one GetCallerIdentity per run).
#[derive(Debug, Clone)]
struct Caller {
    account: String,
    partition: String,
}

/// The organization's accounts and the way into each (see [`crate::org::Organization`]).
#[derive(Debug)]
pub struct AwsOrganization {
    own: Clients,
    /// The org role; without it the organization can be listed, not entered.
    role_name: Option<RoleName>,
    caller: OnceCell<Caller>,
    /// The management account (DescribeOrganization, once): no guardrail applies to it.
    management: OnceCell<String>,
    /// Policies already described, by id: the root's are every account's.
    policies: Mutex<HashMap<String, NamedDocument>>,
    /// Policies already listed, by target and kind: the root and shared OUs are listed once
    /// per run, not once per account under them.
    attachments: Mutex<HashMap<(String, PolicyType), Vec<NamedDocument>>>,
}

impl AwsOrganization {
    /// Enters member accounts by assuming `role_name` in them with `own`'s credentials.
    pub fn new(own: &Clients, role_name: Option<RoleName>) -> AwsOrganization {
        AwsOrganization {
            own: own.clone(),
            role_name,
            caller: OnceCell::new(),
            management: OnceCell::new(),
            policies: Mutex::new(HashMap::new()),
            attachments: Mutex::new(HashMap::new()),
        }
    }

    async fn caller(&self) -> Result<&Caller, AwsError> {
        self.caller
            .get_or_try_init(|| async {
                let (account, arn) = caller_identity(&self.own.sts).await?;
                let partition = arn.split(':').nth(1).filter(|p| !p.is_empty());
                Ok(Caller {
                    account,
                    partition: partition.unwrap_or("aws").to_string(),
                })
            })
            .await
    }
}

impl Organization for AwsOrganization {
    fn accounts(&self) -> BoxFuture<'_, Result<Listing, PortError>> {
        Box::pin(async move { Ok(list_accounts(&self.own).await?) })
    }

    fn guardrails<'a>(
        &'a self,
        account: &'a Account,
    ) -> BoxFuture<'a, Result<Option<Guardrails>, PortError>> {
        Box::pin(async move { Ok(self.guardrails_of(account).await?) })
    }

    fn enter<'a>(&'a self, account: &'a Account) -> BoxFuture<'a, Result<Member, PortError>> {
        Box::pin(async move {
            let clients = self.enter_account(account).await?;
            Ok(Member {
                prober: Box::new(clients.prober.clone()),
                roles: Box::new(clients),
            })
        })
    }
}

impl AwsOrganization {
    /// The service and resource control policies over `account`, level by level from the
    /// root down (`organizations:ListParents`, `ListPoliciesForTarget`, `DescribePolicy`);
    /// `None` for the management account, which neither kind affects.
    pub async fn guardrails_of(&self, account: &Account) -> Result<Option<Guardrails>, AwsError> {
        let client = aws_sdk_organizations::Client::new(&self.own.conf);
        let management =
            self.management
                .get_or_try_init(|| async {
                    let out = client.describe_organization().send().await.map_err(|e| {
                        AwsError::from_sdk("organizations:DescribeOrganization", &e)
                    })?;
                    Ok::<_, AwsError>(
                        out.organization()
                            .and_then(|o| o.master_account_id())
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .await?;
        if *management == *account.account_id {
            return Ok(None);
        }
        // the account, then each parent up to the root; evaluated root first
        let mut path = vec![account.account_id.to_string()];
        while path.len() <= MAX_DEPTH {
            let Some(child) = path.last() else { break };
            let out = client
                .list_parents()
                .child_id(child)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("organizations:ListParents", &e))?;
            let Some(parent) = out.parents().first() else {
                break;
            };
            let id = parent.id().unwrap_or_default().to_string();
            let root = parent.r#type() == Some(&ParentType::Root);
            path.push(id);
            if root {
                break;
            }
        }
        path.reverse();
        let mut g = Guardrails::default();
        for target in &path {
            g.scps.push(GuardrailLevel {
                target: target.clone(),
                policies: self
                    .attached(&client, target, PolicyType::ServiceControlPolicy)
                    .await?,
            });
            g.rcps.push(GuardrailLevel {
                target: target.clone(),
                policies: self
                    .attached(&client, target, PolicyType::ResourceControlPolicy)
                    .await?,
            });
        }
        Ok(Some(g))
    }

    /// The policies of `kind` attached to `target`, each described once per run.
    async fn attached(
        &self,
        client: &aws_sdk_organizations::Client,
        target: &str,
        kind: PolicyType,
    ) -> Result<Vec<NamedDocument>, AwsError> {
        let key = (target.to_string(), kind.clone());
        if let Some(listed) = self
            .attachments
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).cloned())
        {
            return Ok(listed);
        }
        let mut out = Vec::new();
        let mut pages = client
            .list_policies_for_target()
            .target_id(target)
            .filter(kind)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| AwsError::from_sdk("organizations:ListPoliciesForTarget", &e))?;
            for summary in page.policies() {
                let Some(id) = summary.id() else { continue };
                let known = self
                    .policies
                    .lock()
                    .ok()
                    .and_then(|cache| cache.get(id).cloned());
                let doc = match known {
                    Some(doc) => doc,
                    None => {
                        let described = client
                            .describe_policy()
                            .policy_id(id)
                            .send()
                            .await
                            .map_err(|e| AwsError::from_sdk("organizations:DescribePolicy", &e))?;
                        let doc = NamedDocument {
                            name: format!("{} ({id})", summary.name().unwrap_or(id)),
                            document: described
                                .policy()
                                .and_then(|p| p.content())
                                .unwrap_or_default()
                                .into(),
                        };
                        if let Ok(mut cache) = self.policies.lock() {
                            cache.insert(id.to_string(), doc.clone());
                        }
                        doc
                    }
                };
                out.push(doc);
            }
        }
        if let Ok(mut cache) = self.attachments.lock() {
            cache.insert(key, out.clone());
        }
        Ok(out)
    }

    /// The member account's clients (the caller's own account: its own).
    pub async fn enter_account(&self, account: &Account) -> Result<Clients, AwsError> {
        let caller = self.caller().await?;
        if *account.account_id == *caller.account {
            return Ok(self.own.clone());
        }
        let Some(role_name) = &self.role_name else {
            return Err(AwsError {
                operation: "sts:AssumeRole".into(),
                code: "NoOrgRole".into(),
                message: "ORG_AUDIT_ROLE_NAME is not set: member accounts cannot be entered".into(),
                request_id: None,
                http_status: None,
                not_found: false,
            });
        };
        let role_arn = format!(
            "arn:{}:iam::{}:role/{}",
            caller.partition, account.account_id, role_name
        );
        let provider = AssumeRoleProvider::builder(&role_arn)
            .session_name(SESSION_NAME)
            .configure(&self.own.conf)
            .build()
            .await;
        let conf = self
            .own
            .conf
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        let member = Clients::from_conf(&conf);
        // the role is assumed on the first call: make it here, where a failure means "cannot
        // enter", and check that the credentials are the account's
        let (entered, _) = caller_identity(&member.sts).await.map_err(|e| AwsError {
            operation: "sts:AssumeRole".into(),
            code: "AssumeRoleFailed".into(),
            message: format!("`{role_arn}` could not be assumed: {}", e.message),
            ..e
        })?;
        if *entered != *account.account_id {
            return Err(AwsError {
                operation: "sts:AssumeRole".into(),
                code: "WrongAccount".into(),
                message: format!(
                    "the credentials of `{role_arn}` belong to account {entered}, not {}",
                    account.account_id
                ),
                request_id: None,
                http_status: None,
                not_found: false,
            });
        }
        Ok(member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_arns() {
        assert_eq!(
            parse_account_arn(
                "arn:aws:organizations::111111111111:account/o-exampleorgid/222222222222"
            ),
            Some(("111111111111", "o-exampleorgid"))
        );
        assert_eq!(
            parse_account_arn("arn:aws-cn:organizations::111111111111:account/o-abc/222222222222"),
            Some(("111111111111", "o-abc"))
        );
        assert_eq!(parse_account_arn("arn:aws:iam::111111111111:role/x"), None);
        assert_eq!(parse_account_arn("not an arn"), None);
    }
}
