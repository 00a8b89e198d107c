//! Inventory from IAM: GetAccountAuthorizationDetails (roles and customer managed policies,
//! every page, `?` on each), then the attached AWS managed policies, each fetched once per run
//! (GetPolicy + GetPolicyVersion, concurrently, never the whole 1,400-policy catalogue).
//! Documents are kept as IAM sends them (URL-encoded or not): the policy parser decodes.
//! A managed policy that cannot be fetched becomes an error entry on every role attaching it.

use super::{AwsError, Clients};
use crate::model::{ErrorEntry, Inventory, NamedDocument, Operation, RoleSnapshot};
use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, RoleDetail};
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// How many AWS managed policies are fetched at once.
const POLICY_FETCH_CONCURRENCY: usize = 8;

/// Reads every role of the account and the documents of the policies they attach.
/// Fails only when the role list itself cannot be read.
pub async fn fetch(clients: &Clients) -> Result<Inventory, AwsError> {
    let mut pages = clients
        .iam
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .filter(EntityType::LocalManagedPolicy)
        .max_items(1000) // the largest page IAM serves: fewest requests
        .into_paginator()
        .send();
    let mut roles: Vec<RoleDetail> = Vec::new();
    let mut local: Vec<ManagedPolicyDetail> = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::from_sdk("iam:GetAccountAuthorizationDetails", &e))?;
        roles.extend(page.role_detail_list().iter().cloned());
        local.extend(page.policies().iter().cloned());
    }

    // each document held once, shared by the roles that attach it
    let mut documents: HashMap<String, Result<Arc<str>, AwsError>> = HashMap::new();
    for p in &local {
        if let Some(arn) = p.arn() {
            let doc = p
                .policy_version_list()
                .iter()
                .find(|v| v.is_default_version())
                .and_then(|v| v.document())
                .map(Arc::<str>::from);
            if let Some(doc) = doc {
                documents.insert(arn.to_string(), Ok(doc));
            }
        }
    }
    let missing: BTreeSet<String> = roles
        .iter()
        .flat_map(|r| {
            r.attached_managed_policies()
                .iter()
                .filter_map(|a| a.policy_arn())
                .chain(
                    r.permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn()),
                )
        })
        .filter(|arn| !documents.contains_key(*arn))
        .map(str::to_string)
        .collect();
    let fetched: Vec<(String, Result<Arc<str>, AwsError>)> = futures::stream::iter(missing)
        .map(|arn| async move {
            let doc = fetch_default_version(clients, &arn).await.map(Arc::from);
            (arn, doc)
        })
        .buffer_unordered(POLICY_FETCH_CONCURRENCY)
        .collect()
        .await;
    documents.extend(fetched);

    let mut errors = Vec::new();
    let snapshots = roles
        .iter()
        .map(|r| snapshot(r, &documents, &mut errors))
        .collect::<Vec<_>>();
    tracing::debug!(
        roles = snapshots.len(),
        customer_managed_policies = local.len(),
        policy_errors = errors.len(),
        "inventory read"
    );
    Ok(Inventory::new(snapshots, errors))
}

async fn fetch_default_version(clients: &Clients, arn: &str) -> Result<String, AwsError> {
    let policy = clients
        .iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:GetPolicy", &e))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_string();
    let out = clients
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:GetPolicyVersion", &e))?;
    out.policy_version()
        .and_then(|v| v.document())
        .map(str::to_string)
        .ok_or_else(|| AwsError {
            operation: "iam:GetPolicyVersion".into(),
            code: "MissingDocument".into(),
            message: format!("version {version} of `{arn}` came back without a document"),
            request_id: None,
            http_status: None,
            not_found: false,
        })
}

fn snapshot(
    r: &RoleDetail,
    documents: &HashMap<String, Result<Arc<str>, AwsError>>,
    errors: &mut Vec<ErrorEntry>,
) -> RoleSnapshot {
    let name = r.role_name().unwrap_or_default().to_string();
    let mut managed = Vec::new();
    for arn in r
        .attached_managed_policies()
        .iter()
        .filter_map(|a| a.policy_arn())
    {
        match documents.get(arn) {
            Some(Ok(doc)) => managed.push(NamedDocument {
                name: arn.to_string(),
                document: doc.clone(),
            }),
            Some(Err(e)) => errors.push(ErrorEntry::new(Operation::ResolveManagedPolicy, e.code.clone(), format!("attached policy `{arn}` could not be read, the role was audited without it: {e}")).role(name.clone())),
            None => errors.push(ErrorEntry::new(Operation::ResolveManagedPolicy, "NoSuchEntity", format!("attached policy `{arn}` has no default version document; the role was audited without it")).role(name.clone())),
        }
    }
    let boundary = r
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .and_then(|arn| match documents.get(arn) {
            Some(Ok(doc)) => Some(NamedDocument {
                name: arn.to_string(),
                document: doc.clone(),
            }),
            Some(Err(e)) => {
                errors.push(ErrorEntry::new(Operation::ResolveManagedPolicy, e.code.clone(), format!("permissions boundary `{arn}` could not be read, the role was audited without it: {e}")).role(name.clone()));
                None
            }
            None => {
                errors.push(ErrorEntry::new(Operation::ResolveManagedPolicy, "NoSuchEntity", format!("permissions boundary `{arn}` has no default version document; the role was audited without it")).role(name.clone()));
                None
            }
        });
    RoleSnapshot {
        boundary,
        arn: r.arn().unwrap_or_default().to_string(),
        tags: r
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        trust: r
            .assume_role_policy_document()
            .unwrap_or_default()
            .to_string(),
        inline: r
            .role_policy_list()
            .iter()
            .map(|p| NamedDocument {
                name: p.policy_name().unwrap_or_default().to_string(),
                document: p.policy_document().unwrap_or_default().into(),
            })
            .collect(),
        managed,
        last_used: r
            .role_last_used()
            .and_then(|u| u.last_used_date())
            .map(|d| d.to_string()),
        name,
    }
}
