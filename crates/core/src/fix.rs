//! Corrected documents. Each rule about a document says how to clear its finding (its
//! [`Fixer`], in the rule's own file); [`crate::rules::attach_fixes`] applies the fixers of every finding on one
//! document to one copy of it, so that findings on the same document combine into one
//! corrected document, changed as little as possible, and hands it to each of them
//! (`findings[].fix`). Values only the team can supply are left as `<PLACEHOLDER>`s, each
//! described. Nothing here applies anything. PURE.

use crate::model::{Access, BUCKETS_TAG, Finding, PolicyRef};
pub use crate::model::{Fix, Placeholder};
use crate::policy::document::Clause;
use crate::policy::s3_actions::{AccessLevel, S3Action, s3_actions};
use crate::policy::wildcard;
use crate::view::RoleView;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// What a fixer knows: the role and the finding it clears.
pub struct FixInput<'a> {
    pub view: &'a RoleView<'a>,
    pub finding: &'a Finding,
}

/// Changes the document (`Statement` as written: one object or a list) so that the finding
/// clears; returns the placeholders it wrote. A fixer that cannot clear the finding in this
/// document alone (its statement is not there, or what makes it lies in other documents too)
/// returns None: the finding then gets no fix, even when other findings change the document.
pub type Fixer = fn(&FixInput<'_>, &mut Value) -> Option<Vec<Placeholder>>;

pub const EXTERNAL_ID: &str = "<VENDOR_EXTERNAL_ID>";
pub const PRINCIPAL: &str = "<VENDOR_PRINCIPAL_ARN>";
pub const BUCKET: &str = "<BUCKET>";

pub fn external_id_placeholder() -> Placeholder {
    Placeholder {
        token: EXTERNAL_ID.into(),
        what: "the external id the vendor issued for your account".into(),
        find: "the vendor's set-up page for this connector (it shows the id with the role ARN to enter); never make one up".into(),
    }
}

/// The document text of `policy` in the role's snapshot.
pub(crate) fn original<'a>(view: &'a RoleView<'_>, policy: &PolicyRef) -> Option<&'a str> {
    let s = view.snapshot;
    match policy {
        PolicyRef::Trust => Some(&s.trust),
        PolicyRef::Inline(name) => s
            .inline
            .iter()
            .find(|d| d.name == *name)
            .map(|d| &*d.document),
        PolicyRef::Managed(arn) => s
            .managed
            .iter()
            .find(|d| d.name == *arn)
            .map(|d| &*d.document),
        PolicyRef::Boundary(arn) => s
            .boundary
            .as_ref()
            .filter(|b| b.name == *arn)
            .map(|b| &*b.document),
        _ => None,
    }
}

/// The fixer of the external-id rules: the vendor's external id required on the finding's
/// statement, exactly (any other condition on the key goes: `...IfExists`, wildcards, `Null`,
/// a weak value).
pub fn require_external_id(input: &FixInput<'_>, doc: &mut Value) -> Option<Vec<Placeholder>> {
    let st = statement(doc, input.finding)?;
    set_condition(
        st,
        "StringEquals",
        crate::policy::trust::EXTERNAL_ID,
        Value::from(EXTERNAL_ID),
    );
    Some(vec![external_id_placeholder()])
}

/// The finding's statement in the document, as an object.
pub fn statement<'a>(doc: &'a mut Value, finding: &Finding) -> Option<&'a mut Map<String, Value>> {
    let index = finding.statement.as_ref()?.index;
    match doc.get_mut("Statement")? {
        Value::Array(list) => list.get_mut(index)?.as_object_mut(),
        one @ Value::Object(_) if index == 0 => one.as_object_mut(),
        _ => None,
    }
}

/// Makes `operator: {key: value}` the statement's only condition on `key` (any other
/// operator on it, `...IfExists`, `StringLike`, `Null`, set operators, is removed).
pub fn set_condition(st: &mut Map<String, Value>, operator: &str, key: &str, value: Value) {
    let conditions = st
        .entry("Condition")
        .or_insert_with(|| Value::Object(Map::new()));
    if !conditions.is_object() {
        *conditions = Value::Object(Map::new());
    }
    let Some(conditions) = conditions.as_object_mut() else {
        return;
    };
    for block in conditions.values_mut() {
        if let Some(b) = block.as_object_mut() {
            b.retain(|k, _| !k.eq_ignore_ascii_case(key));
        }
    }
    conditions.retain(|_, b| b.as_object().is_none_or(|b| !b.is_empty()));
    let block = conditions
        .entry(operator)
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(b) = block.as_object_mut() {
        b.insert(key.to_string(), value);
    }
}

/// Has the statement a condition `operator` on `key`?
pub fn has_condition(st: &Map<String, Value>, operator: &str, key: &str) -> bool {
    st.get("Condition")
        .and_then(|c| c.get(operator))
        .and_then(Value::as_object)
        .is_some_and(|b| b.keys().any(|k| k.eq_ignore_ascii_case(key)))
}

fn items(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Does the connector need `a` for the access it declares (`connector-access`), or, without
/// the tag, to read, write and list data?
fn declared(a: &S3Action, access: Option<Access>) -> bool {
    if !a.is_data_or_list() {
        return false;
    }
    let level = a.access;
    match access {
        None | Some(Access::Full) => true,
        Some(Access::Read) => matches!(level, AccessLevel::Read | AccessLevel::List),
        Some(Access::Write | Access::Append) => {
            matches!(level, AccessLevel::Write | AccessLevel::List)
        }
        Some(Access::ReadWrite) => true,
    }
}

/// Removes from the statement the S3 actions `drop` picks: literal names are taken out;
/// wildcards and `NotAction` are expanded into the S3 actions they grant that the connector's
/// declared access needs, less those dropped.
pub fn narrow_actions(
    st: &mut Map<String, Value>,
    access: Option<Access>,
    drop: fn(&S3Action) -> bool,
) {
    let negated = st.contains_key("NotAction");
    let written = items(st.get(if negated { "NotAction" } else { "Action" }));
    let clause = Clause {
        negated,
        items: written.clone(),
    };
    let is_dropped = |name: &str| {
        crate::policy::s3::s3_action(name)
            .filter(|_| name.to_ascii_lowercase().starts_with("s3:"))
            .is_some_and(drop)
    };
    let mut out: Vec<String> = Vec::new();
    if !negated {
        out.extend(
            written
                .iter()
                .filter(|i| !wildcard::has_wildcard(i) && !is_dropped(i))
                .cloned(),
        );
    }
    let expand = negated || written.iter().any(|i| wildcard::has_wildcard(i));
    if expand {
        for a in s3_actions().iter() {
            let q = a.qualified();
            let by_wildcard = if negated {
                clause.matches_action(&q)
            } else {
                written
                    .iter()
                    .filter(|i| wildcard::has_wildcard(i))
                    .any(|i| wildcard::matches(&i.to_ascii_lowercase(), &q.to_ascii_lowercase()))
            };
            if by_wildcard
                && declared(a, access)
                && !drop(a)
                && !out.iter().any(|o| o.eq_ignore_ascii_case(&q))
            {
                out.push(q);
            }
        }
    }
    st.remove("NotAction");
    st.insert("Action".into(), json!(out));
}

/// The buckets a wildcard resource gives way to: the `connector-buckets` tag's, else those the
/// role's sessions used (CloudTrail), else a placeholder.
pub fn buckets(input: &FixInput<'_>) -> (Vec<String>, Vec<Placeholder>) {
    let tagged: Vec<String> = input
        .view
        .snapshot
        .tags
        .get(BUCKETS_TAG)
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if !tagged.is_empty() {
        return (tagged, Vec::new());
    }
    (
        vec![BUCKET.to_string()],
        vec![Placeholder {
            token: BUCKET.into(),
            what: "a bucket the connector must reach (repeat the two ARNs for each)".into(),
            find: "the vendor's connector settings, or the role's CloudTrail data events (`connector-audit audit --cloudtrail-bucket`); then tag the role `connector-buckets`".into(),
        }],
    )
}

/// Replaces the statement's resources that reach buckets nobody named (a wildcard in the
/// bucket, or `NotResource`) with `arn:aws:s3:::BUCKET` and `arn:aws:s3:::BUCKET/*` for each
/// bucket; named resources stay.
pub fn name_buckets(st: &mut Map<String, Value>, buckets: &[String]) {
    let negated = st.contains_key("NotResource");
    let written = items(st.get(if negated { "NotResource" } else { "Resource" }));
    // a wildcard or a policy variable (which the connector may control) in the bucket
    let wild = |t: &str| wildcard::has_wildcard(t) || t.contains("${");
    let wild_bucket = |r: &str| {
        r.strip_prefix("arn:")
            .and_then(|rest| rest.splitn(5, ':').nth(4))
            .map_or(wild(r), |res| wild(res.split('/').next().unwrap_or(res)))
    };
    let mut out: Vec<String> = if negated {
        Vec::new()
    } else {
        written
            .iter()
            .filter(|r| !wild_bucket(r))
            .cloned()
            .collect()
    };
    for b in buckets {
        for arn in [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")] {
            if !out.contains(&arn) {
                out.push(arn);
            }
        }
    }
    st.remove("NotResource");
    st.insert("Resource".into(), json!(out));
}

/// One file of a fix set: its name and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixFile {
    pub name: String,
    pub contents: String,
}

/// A name made of the characters IAM names and account ids use.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The report's corrected documents as files, one per document
/// (`ACCOUNT.ROLE.trust.json`, `ACCOUNT.ROLE.inline.NAME.json`, `ACCOUNT.ROLE.managed.NAME.json`),
/// and `apply.sh`, the AWS CLI commands that would apply them: `update-assume-role-policy`,
/// `put-role-policy`, `create-policy-version --set-as-default` (an AWS managed policy cannot be
/// changed: its corrected copy becomes an inline policy and the managed one is detached). The
/// script refuses to run while a placeholder is left. Nothing is applied here.
pub fn files(report: &crate::model::Report) -> Vec<FixFile> {
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut out = Vec::new();
    let mut script = String::from(
        "#!/bin/sh\n# Generated by connector-audit: the corrected documents of this directory, applied with\n# the AWS CLI. Review each document, fill every <PLACEHOLDER> (see the report's\n# findings[].fix.placeholders), then run this script with credentials of the account.\nset -eu\ncd \"$(dirname \"$0\")\"\nif grep -l '<[A-Z_]*>' ./*.json; then\n  echo 'apply.sh: fill the placeholders in the files above first' >&2\n  exit 1\nfi\n",
    );
    for f in &report.findings {
        let Some(fx) = &f.fix else { continue };
        let account = crate::model::ids::arn_account(&f.role_arn).unwrap_or("account");
        let (kind, name) = match &fx.policy {
            PolicyRef::Trust => ("trust".to_string(), None),
            PolicyRef::Inline(n) => (format!("inline.{}", slug(n)), Some(n.clone())),
            PolicyRef::Managed(arn) | PolicyRef::Boundary(arn) => (
                format!("managed.{}", slug(arn.rsplit('/').next().unwrap_or(arn))),
                Some(arn.clone()),
            ),
            _ => continue,
        };
        let file = format!("{}.{}.{kind}.json", slug(account), slug(&f.role_name));
        if seen.insert(file.clone(), ()).is_some() {
            continue;
        }
        let mut contents = serde_json::to_string_pretty(&fx.document).unwrap_or_default();
        contents.push('\n');
        let role = shell_quote(&f.role_name);
        let doc = format!("file://{file}");
        let command = match (&fx.policy, name) {
            (PolicyRef::Trust, _) => format!(
                "aws iam update-assume-role-policy --role-name {role} --policy-document {doc}"
            ),
            (PolicyRef::Inline(_), Some(n)) => format!(
                "aws iam put-role-policy --role-name {role} --policy-name {} --policy-document {doc}",
                shell_quote(&n)
            ),
            (_, Some(arn)) if arn.contains(":iam::aws:policy/") => format!(
                "aws iam put-role-policy --role-name {role} --policy-name {} --policy-document {doc}\naws iam detach-role-policy --role-name {role} --policy-arn {}",
                shell_quote(&format!(
                    "{}-corrected",
                    arn.rsplit('/').next().unwrap_or("policy")
                )),
                shell_quote(&arn)
            ),
            (_, Some(arn)) => format!(
                "aws iam create-policy-version --policy-arn {} --policy-document {doc} --set-as-default",
                shell_quote(&arn)
            ),
            _ => continue,
        };
        script.push_str(&format!(
            "# {} ({}): {}\n{command}\n",
            f.role_name, fx.policy, f.rule
        ));
        out.push(FixFile {
            name: file,
            contents,
        });
    }
    out.push(FixFile {
        name: "apply.sh".into(),
        contents: script,
    });
    out
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The document with its placeholders replaced (`values`: token -> value), for applying it
/// once the team has them.
pub fn fill(document: &Value, values: &BTreeMap<String, String>) -> Value {
    match document {
        Value::String(s) => {
            let mut s = s.clone();
            for (token, value) in values {
                s = s.replace(token.as_str(), value);
            }
            Value::String(s)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, values)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (fill_key(k, values), fill(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn fill_key(k: &str, values: &BTreeMap<String, String>) -> String {
    values.iter().fold(k.to_string(), |k, (token, value)| {
        k.replace(token.as_str(), value)
    })
}

/// Which actions a fixer takes out: `(qualified action, the statement's resources are a
/// wildcard)`. Actions are named as the service authorization reference spells them.
pub type Objectionable<'a> = &'a dyn Fn(&str, bool) -> bool;

/// Does this action element grant an objectionable action (or, negated, not exclude one)?
fn clause_hits(clause: &Clause<String>, wild: bool, objectionable: Objectionable<'_>) -> bool {
    crate::policy::service_reference::services_of(clause)
        .into_iter()
        .any(|service| {
            service
                .matching(clause)
                .any(|(_, q)| objectionable(q, wild))
        })
}

/// Are the written resources of a statement a wildcard (`*` anywhere, or `NotResource`)?
fn wild_resources(st: &Map<String, Value>) -> bool {
    st.contains_key("NotResource")
        || items(st.get("Resource"))
            .iter()
            .any(|r| wildcard::has_wildcard(r))
}

/// Takes the objectionable actions out of every Allow statement of the document: literal
/// names go; a wildcard of one service that matches any of them goes too, or, for a service
/// the connector uses (`kept`), becomes that service's actions it matched less the
/// objectionable ones; `*`, wildcards across services and `NotAction` are expanded into the
/// S3 actions the connector's declared access needs. A statement left without actions keeps
/// an empty `Action` list (it grants nothing; [`crate::rules::attach_fixes`] removes it from
/// the corrected document). Returns whether anything changed.
pub fn remove_actions(
    doc: &mut Value,
    access: Option<Access>,
    objectionable: Objectionable<'_>,
    kept: &dyn Fn(&str) -> bool,
) -> bool {
    let statements: Vec<&mut Value> = match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return false,
    };
    let mut changed = false;
    for st in statements.into_iter().filter_map(Value::as_object_mut) {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let wild = wild_resources(st);
        let negated = st.contains_key("NotAction");
        let written = items(st.get(if negated { "NotAction" } else { "Action" }));
        let hits = |items: Vec<String>, negated: bool| {
            clause_hits(&Clause { negated, items }, wild, objectionable)
        };
        if !hits(written.clone(), negated) {
            continue;
        }
        let s3_declared = |clause: &Clause<String>, out: &mut Vec<String>| {
            for a in s3_actions().iter() {
                let q = a.qualified();
                if clause.matches_action(&q)
                    && declared(a, access)
                    && !objectionable(&q, wild)
                    && !out.iter().any(|o| o.eq_ignore_ascii_case(&q))
                {
                    out.push(q);
                }
            }
        };
        let mut out: Vec<String> = Vec::new();
        if negated {
            s3_declared(
                &Clause {
                    negated,
                    items: written,
                },
                &mut out,
            );
        } else {
            for item in written {
                if !hits(vec![item.clone()], false) {
                    if !out.iter().any(|o| o.eq_ignore_ascii_case(&item)) {
                        out.push(item);
                    }
                    continue;
                }
                let one_service = item
                    .split_once(':')
                    .map(|(prefix, _)| prefix.to_ascii_lowercase())
                    .filter(|prefix| !wildcard::has_wildcard(prefix) && prefix != "s3");
                if let Some(prefix) = one_service {
                    if let Some(service) = crate::policy::service_reference::service(&prefix)
                        && kept(service.prefix)
                    {
                        let clause = Clause {
                            negated: false,
                            items: vec![item.clone()],
                        };
                        for (_, q) in service.matching(&clause) {
                            if !objectionable(q, wild)
                                && !out.iter().any(|o| o.eq_ignore_ascii_case(q))
                            {
                                out.push(q.to_string());
                            }
                        }
                    }
                    continue; // a service the connector does not use goes whole
                }
                s3_declared(
                    &Clause {
                        negated: false,
                        items: vec![item],
                    },
                    &mut out,
                );
            }
        }
        st.remove("NotAction");
        st.insert("Action".into(), json!(out));
        changed = true;
    }
    changed
}

/// Does a document of the role other than `except` grant an objectionable action? Then a
/// fix of `except` alone cannot clear a finding about them.
pub fn granted_elsewhere(
    view: &RoleView<'_>,
    except: &PolicyRef,
    objectionable: Objectionable<'_>,
) -> bool {
    view.permissions
        .policies()
        .iter()
        .enumerate()
        .filter(|(pi, _)| view.policy_ref(*pi) != *except)
        .flat_map(|(_, p)| p.statements.iter())
        .filter(|s| s.effect == crate::policy::Effect::Allow)
        .any(|s| {
            let wild = s
                .resource
                .as_ref()
                .is_none_or(|r| r.negated || r.items.iter().any(|i| wildcard::has_wildcard(i)));
            clause_hits(&s.action, wild, objectionable)
        })
}

/// Removes the statements a fixer emptied (an empty `Action` list): they grant nothing.
/// False when every statement was emptied: IAM refuses a policy without statements (the team
/// should detach or delete it instead), so there is no corrected document to offer.
pub fn compact(doc: &mut Value) -> bool {
    let emptied = |v: &Value| {
        v.get("Action")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    };
    match doc.get_mut("Statement") {
        Some(Value::Array(list)) => {
            if list.iter().all(emptied) {
                return false;
            }
            list.retain(|s| !emptied(s));
            true
        }
        Some(one) => !emptied(one),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_condition_replaces_every_other_on_its_key() {
        let mut s = st(
            r#"{"Condition":{"StringEqualsIfExists":{"sts:ExternalId":"x"},"StringLike":{"STS:EXTERNALID":"*","aws:PrincipalOrgID":"o-*"}}}"#,
        );
        set_condition(&mut s, "StringEquals", "sts:ExternalId", json!(EXTERNAL_ID));
        assert_eq!(
            Value::Object(s),
            json!({"Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"},"StringEquals":{"sts:ExternalId":EXTERNAL_ID}}})
        );
    }

    #[test]
    fn wildcards_expand_into_the_declared_access_less_what_is_dropped() {
        let mut s = st(r#"{"Action":["s3:*","sqs:SendMessage"]}"#);
        narrow_actions(&mut s, Some(Access::Read), |a| a.is_object_delete());
        let actions = items(s.get("Action"));
        assert!(actions.contains(&"sqs:SendMessage".to_string()));
        assert!(actions.contains(&"s3:GetObject".to_string()));
        assert!(actions.contains(&"s3:ListBucket".to_string()));
        assert!(
            !actions
                .iter()
                .any(|a| a == "s3:PutObject" || a.starts_with("s3:Delete"))
        );
        // literal names: only the dropped ones go
        let mut s = st(r#"{"Action":["s3:GetObject","s3:DeleteObject","s3:PutObject"]}"#);
        narrow_actions(&mut s, None, |a| a.is_object_delete());
        assert_eq!(items(s.get("Action")), ["s3:GetObject", "s3:PutObject"]);
        // NotAction becomes the actions it granted
        let mut s = st(r#"{"NotAction":["s3:Delete*","iam:*"]}"#);
        narrow_actions(&mut s, None, |a| a.is_bucket_admin());
        assert!(!s.contains_key("NotAction"));
        let actions = items(s.get("Action"));
        assert!(actions.contains(&"s3:GetObject".to_string()));
        assert!(
            !actions.iter().any(|a| a.starts_with("s3:Delete")),
            "{actions:?}"
        );
    }

    #[test]
    fn wildcard_buckets_give_way_to_named_ones() {
        let mut s =
            st(r#"{"Resource":["arn:aws:s3:::*","arn:aws:s3:::keep/*","arn:aws:s3:::data-?/*"]}"#);
        name_buckets(&mut s, &["acme".into()]);
        assert_eq!(
            items(s.get("Resource")),
            [
                "arn:aws:s3:::keep/*",
                "arn:aws:s3:::acme",
                "arn:aws:s3:::acme/*"
            ]
        );
        let mut s = st(r#"{"NotResource":"arn:aws:s3:::secret/*"}"#);
        name_buckets(&mut s, &["acme".into()]);
        assert!(!s.contains_key("NotResource"));
        assert_eq!(
            items(s.get("Resource")),
            ["arn:aws:s3:::acme", "arn:aws:s3:::acme/*"]
        );
    }

    #[test]
    fn placeholders_are_filled_everywhere() {
        let doc = json!({"Statement":{"Condition":{"StringEquals":{"sts:ExternalId":EXTERNAL_ID}},
            "Resource":[format!("arn:aws:s3:::{BUCKET}/*")]}});
        let values = BTreeMap::from([
            (EXTERNAL_ID.to_string(), "id-1".to_string()),
            (BUCKET.to_string(), "b".to_string()),
        ]);
        assert_eq!(
            fill(&doc, &values),
            json!({"Statement":{"Condition":{"StringEquals":{"sts:ExternalId":"id-1"}},"Resource":["arn:aws:s3:::b/*"]}})
        );
    }
}
