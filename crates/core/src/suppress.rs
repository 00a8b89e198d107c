//! Suppressions: findings a team has accepted, per rule and role, with a reason and an
//! expiry. PURE. Two sources, one meaning:
//!
//! - the role tag `connector-audit-ignore`, next to the role it excuses. Its value is a list of
//!   entries separated by spaces; an entry is a rule id followed by its notes:
//!
//!   ```text
//!   value = entry *(" " entry)
//!   entry = rule-id *(" " note)
//!   note  = "until=" YYYY-MM-DD / key "=" text      ; key: letters, digits, _ . -
//!   ```
//!
//!   e.g. `s3-unused-delete until=2027-01-31 ticket=SEC-123 trust-confused-deputy reason=aws-owned`.
//!   Only the characters IAM allows in tag values occur (letters, digits, spaces, `_ . : / = + - @`),
//!   so a reason is one word (`reason=vendor-fix-pending`). `until` is the last day it applies
//!   (UTC, inclusive); without it the suppression lasts until the tag changes.
//! - a central JSON file (`--suppressions FILE`, or the object at `SUPPRESSIONS_S3_URI`):
//!   `{"suppressions": [{"rule", "role", "account", "until", "reason"}]}` where `role` is a
//!   role name pattern (`*` any run of characters, `?` one), `account` (optional) a 12-digit
//!   id, and `reason` is required.
//!
//! A suppressed finding stays in the report with `suppressed: {by, reason, until}`; it is not
//! published and does not count. Once expired, a suppression no longer applies and the rule
//! `suppression-expired` says so. A malformed tag suppresses nothing and is an error entry
//! naming the role and the text; a malformed file entry likewise, the other entries still apply.

use crate::model::{ErrorEntry, Finding, Operation, RoleSnapshot, Suppressed};
use crate::policy::principal::is_account_id;
use crate::policy::wildcard;
use crate::rules::ExpiredSuppression;
use crate::rules::registry::find;
use serde_json::Value;
use std::collections::BTreeMap;
use time::Date;

/// The role tag holding a role's own suppressions.
pub const TAG: &str = "connector-audit-ignore";
/// The largest central file read.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// One suppression, from a tag or the central file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub rule: String,
    /// A role name pattern (`*`, `?`); a tag's suppressions name their own role.
    pub role: String,
    /// Only roles of this account, when set.
    pub account: Option<String>,
    /// The last day it applies (UTC, inclusive).
    pub until: Option<Date>,
    pub reason: Option<String>,
    /// Where it is written: `tag:connector-audit-ignore` or `file:<source>#<entry number>`.
    pub by: String,
}

impl Suppression {
    /// Does it name this role (and its account)?
    pub fn names(&self, role: &RoleSnapshot) -> bool {
        self.account
            .as_deref()
            .is_none_or(|a| a == role.account_id())
            && wildcard::matches(&self.role, &role.name)
    }

    /// Past its `until` day?
    pub fn is_expired(&self, today: Option<Date>) -> bool {
        matches!((self.until, today), (Some(until), Some(today)) if today > until)
    }

    /// The report's record of it.
    pub fn marker(&self) -> Suppressed {
        Suppressed {
            by: self.by.clone(),
            reason: self.reason.clone(),
            until: self.until.map(|d| d.to_string()),
        }
    }
}

/// The central file's suppressions and what was wrong with its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionSet {
    pub entries: Vec<Suppression>,
    /// Malformed entries (they suppress nothing), or a file that could not be read.
    pub errors: Vec<ErrorEntry>,
}

/// A central file that is not a suppressions document at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{file} is not JSON: {message}")]
    NotJson { file: String, message: String },
    #[error(
        "{file} is not a suppressions file: expected an object with a `suppressions` array, e.g. {{\"suppressions\": [{{\"rule\": \"s3-unused-delete\", \"role\": \"onyx-*\", \"until\": \"2027-01-31\", \"reason\": \"SEC-123\"}}]}}"
    )]
    Shape { file: String },
    #[error("{file} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")]
    TooLarge { file: String, size: usize },
}

impl SuppressionSet {
    /// Reads a central file; `source` names it in errors and in `suppressed.by`. Each entry
    /// is checked on its own: a malformed one is an error entry and the others still apply.
    pub fn parse(text: &str, source: &str) -> Result<SuppressionSet, FileError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(FileError::TooLarge {
                file: source.to_string(),
                size: text.len(),
            });
        }
        let doc: Value = serde_json::from_str(text).map_err(|e| FileError::NotJson {
            file: source.to_string(),
            message: e.to_string(),
        })?;
        let Some(items) = doc.get("suppressions").and_then(Value::as_array) else {
            return Err(FileError::Shape {
                file: source.to_string(),
            });
        };
        let mut set = SuppressionSet::default();
        for (i, item) in items.iter().enumerate() {
            let by = format!("file:{source}#{}", i + 1);
            match file_entry(item, &by) {
                Ok(s) => set.entries.push(s),
                Err(problem) => set.errors.push(ErrorEntry {
                    role_name: item.get("role").and_then(Value::as_str).map(str::to_string),
                    ..ErrorEntry::new(
                        Operation::ReadSuppressions,
                        "InvalidSuppression",
                        format!(
                            "{source} entry {} `{item}`: {problem}; it suppresses nothing",
                            i + 1
                        ),
                    )
                }),
            }
        }
        Ok(set)
    }

    /// A set that could not be read at all: nothing is suppressed, the error says why.
    pub fn unreadable(
        source: &str,
        code: impl Into<crate::model::ErrorCode>,
        message: String,
    ) -> SuppressionSet {
        SuppressionSet {
            entries: Vec::new(),
            errors: vec![ErrorEntry::new(
                Operation::ReadSuppressions,
                code,
                format!("{source} could not be read, no central suppression applies: {message}"),
            )],
        }
    }

    /// Every suppression that names each role (its tag's first, then the file's), by role
    /// ARN, and an error entry for each role whose tag is malformed.
    pub fn for_roles(
        &self,
        roles: &[&RoleSnapshot],
    ) -> (BTreeMap<String, Vec<Suppression>>, Vec<ErrorEntry>) {
        let mut by_role = BTreeMap::new();
        let mut errors = Vec::new();
        for role in roles {
            let mut list = match role.tags.get(TAG).map(|v| parse_tag(v, &role.name)) {
                None => Vec::new(),
                Some(Ok(list)) => list,
                Some(Err(problem)) => {
                    errors.push(ErrorEntry::new(Operation::ReadTags, "InvalidSuppression", format!(
                            "tag `{TAG}` has value `{}`: {problem}; it suppresses nothing (expected `RULE-ID [until=YYYY-MM-DD] [KEY=VALUE ...]`, entries separated by spaces)",
                            role.tags.get(TAG).map(String::as_str).unwrap_or_default()
                        )).role(role.name.clone()));
                    Vec::new()
                }
            };
            list.extend(self.entries.iter().filter(|s| s.names(role)).cloned());
            if !list.is_empty() {
                by_role.insert(role.arn.clone(), list);
            }
        }
        (by_role, errors)
    }
}

/// Marks each finding that a live (not expired) suppression of its role covers.
pub fn apply(
    findings: &mut [Finding],
    by_role: &BTreeMap<String, Vec<Suppression>>,
    today: Option<Date>,
) {
    for f in findings.iter_mut() {
        let live = by_role
            .get(&f.role_arn)
            .into_iter()
            .flatten()
            .find(|s| s.rule == f.rule && !s.is_expired(today));
        f.suppressed = live.map(Suppression::marker);
    }
}

/// The suppressions past their `until` day, by role ARN, as the rules see them
/// (`suppression-expired`).
pub fn expired(
    by_role: &BTreeMap<String, Vec<Suppression>>,
    today: Option<Date>,
) -> BTreeMap<String, Vec<ExpiredSuppression>> {
    by_role
        .iter()
        .filter_map(|(arn, list)| {
            let gone: Vec<ExpiredSuppression> = list
                .iter()
                .filter(|s| s.is_expired(today))
                .map(|s| ExpiredSuppression {
                    rule: s.rule.clone(),
                    by: s.by.clone(),
                    until: s.until.map(|d| d.to_string()).unwrap_or_default(),
                    reason: s.reason.clone(),
                })
                .collect();
            (!gone.is_empty()).then(|| (arn.clone(), gone))
        })
        .collect()
}

/// Parses a `connector-audit-ignore` tag value of role `role`.
pub fn parse_tag(value: &str, role: &str) -> Result<Vec<Suppression>, String> {
    struct Draft {
        rule: String,
        until: Option<Date>,
        notes: Vec<(String, String)>,
    }
    let mut drafts: Vec<Draft> = Vec::new();
    for token in value.split_ascii_whitespace() {
        match token.split_once('=') {
            None => {
                known_rule(token)?;
                drafts.push(Draft {
                    rule: token.to_string(),
                    until: None,
                    notes: Vec::new(),
                });
            }
            Some((key, text)) => {
                let Some(draft) = drafts.last_mut() else {
                    return Err(format!("`{token}` comes before any rule id"));
                };
                if key.is_empty()
                    || !key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                {
                    return Err(format!(
                        "`{token}`: a note's key is letters, digits, `_`, `.` or `-`"
                    ));
                }
                if text.is_empty() {
                    return Err(format!("`{token}` has no value"));
                }
                if key.eq_ignore_ascii_case("until") {
                    if draft.until.is_some() {
                        return Err(format!("`{}` has two `until=`", draft.rule));
                    }
                    draft.until = Some(day(text)?);
                } else {
                    draft.notes.push((key.to_string(), text.to_string()));
                }
            }
        }
    }
    if drafts.is_empty() {
        return Err("no rule id".into());
    }
    Ok(drafts
        .into_iter()
        .map(|d| {
            let reason = d
                .notes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("reason"))
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    (!d.notes.is_empty()).then(|| {
                        d.notes
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                });
            Suppression {
                rule: d.rule,
                role: role.to_string(),
                account: None,
                until: d.until,
                reason,
                by: format!("tag:{TAG}"),
            }
        })
        .collect())
}

fn file_entry(item: &Value, by: &str) -> Result<Suppression, String> {
    let Value::Object(obj) = item else {
        return Err("not an object".into());
    };
    if let Some(extra) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "rule" | "role" | "account" | "until" | "reason"))
    {
        return Err(format!(
            "unknown field `{extra}` (expected rule, role, account, until, reason)"
        ));
    }
    let text = |name: &str, required: bool| -> Result<Option<String>, String> {
        match obj.get(name) {
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err(format!("field `{name}` is missing")),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Some(other) => Err(format!(
                "field `{name}` is {other}, expected a non-empty string"
            )),
        }
    };
    let rule = text("rule", true)?.unwrap_or_default();
    known_rule(&rule)?;
    let role = text("role", true)?.unwrap_or_default();
    let account = text("account", false)?;
    if let Some(a) = account.as_deref().filter(|a| !is_account_id(a)) {
        return Err(format!("`{a}` is not a 12-digit AWS account id"));
    }
    let until = text("until", false)?.map(|d| day(&d)).transpose()?;
    let reason = text("reason", true)?;
    Ok(Suppression {
        rule,
        role,
        account,
        until,
        reason,
        by: by.to_string(),
    })
}

fn known_rule(id: &str) -> Result<(), String> {
    match find(id) {
        Some(_) => Ok(()),
        None => Err(format!(
            "`{id}` is not a rule id (see `connector-audit rules`)"
        )),
    }
}

fn day(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format)
        .map_err(|_| format!("`until={text}` is not a date (expected YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn role(name: &str, tag: Option<&str>) -> RoleSnapshot {
        let mut r = RoleSnapshot {
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:role/{name}"),
            ..RoleSnapshot::default()
        };
        if let Some(t) = tag {
            r.tags.insert(TAG.into(), t.into());
        }
        r
    }

    #[test]
    fn tag_grammar() {
        let s = parse_tag(
            "s3-unused-delete until=2027-01-31 ticket=SEC-123  trust-confused-deputy reason=aws-owned note=x",
            "r",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].rule, "s3-unused-delete");
        assert_eq!(s[0].until, Some(date!(2027 - 01 - 31)));
        assert_eq!(s[0].reason.as_deref(), Some("ticket=SEC-123"));
        assert_eq!(s[0].by, "tag:connector-audit-ignore");
        assert_eq!(s[1].until, None);
        assert_eq!(s[1].reason.as_deref(), Some("aws-owned"));
        assert!(s.iter().all(|s| s.role == "r"));
        for (bad, want) in [
            ("", "no rule id"),
            ("   ", "no rule id"),
            ("until=2027-01-31 s3-unused-delete", "before any rule id"),
            ("s3-unused-delet", "`s3-unused-delet` is not a rule id"),
            ("s3-unused-delete until=31/01/2027", "not a date"),
            ("s3-unused-delete until=2027-02-30", "not a date"),
            (
                "s3-unused-delete until=2027-01-01 until=2027-02-01",
                "two `until=`",
            ),
            ("s3-unused-delete ticket=", "has no value"),
            ("s3-unused-delete =x", "a note's key"),
        ] {
            let e = parse_tag(bad, "r").unwrap_err();
            assert!(e.contains(want), "{bad:?}: {e}");
        }
    }

    #[test]
    fn expiry_is_inclusive_of_the_last_day() {
        let s = &parse_tag("role-unused until=2027-01-31", "r").unwrap()[0];
        assert!(!s.is_expired(Some(date!(2027 - 01 - 31))));
        assert!(s.is_expired(Some(date!(2027 - 02 - 01))));
        assert!(!s.is_expired(None));
    }

    #[test]
    fn file_entries_one_by_one() {
        let text = r#"{"suppressions": [
            {"rule": "s3-unused-delete", "role": "onyx-*", "account": "123456789012", "until": "2027-01-31", "reason": "SEC-1"},
            {"rule": "no-such-rule", "role": "x", "reason": "r"},
            {"rule": "role-unused", "role": "a?c", "reason": "kept for DR"},
            {"rule": "role-unused", "role": "b"},
            {"rule": "role-unused", "role": "b", "reason": "r", "acount": "1"},
            {"rule": "role-unused", "role": "b", "reason": "r", "account": "12"},
            "text"
        ]}"#;
        let set = SuppressionSet::parse(text, "s.json").unwrap();
        assert_eq!(set.entries.len(), 2);
        assert_eq!(set.entries[0].by, "file:s.json#1");
        assert_eq!(set.entries[1].by, "file:s.json#3");
        let messages: Vec<&str> = set.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 5, "{messages:?}");
        assert!(messages[0].contains("entry 2") && messages[0].contains("`no-such-rule`"));
        assert!(messages[1].contains("field `reason` is missing"));
        assert!(messages[2].contains("unknown field `acount`"));
        assert!(messages[3].contains("`12` is not a 12-digit"));
        assert!(messages[4].contains("not an object"));
        assert_eq!(set.errors[0].role_name.as_deref(), Some("x"));
        assert!(set.errors.iter().all(|e| e.code == "InvalidSuppression"));

        assert!(matches!(
            SuppressionSet::parse("{", "s.json"),
            Err(FileError::NotJson { .. })
        ));
        let e = SuppressionSet::parse("[]", "s.json").unwrap_err();
        assert!(e.to_string().contains("`suppressions` array"), "{e}");
    }

    #[test]
    fn roles_patterns_and_accounts() {
        let set = SuppressionSet::parse(
            r#"{"suppressions": [
                {"rule": "role-unused", "role": "onyx-*", "reason": "a"},
                {"rule": "role-unused", "role": "*", "account": "999999999999", "reason": "b"}]}"#,
            "f",
        )
        .unwrap();
        let onyx = role("onyx-reader", Some("s3-unused-delete"));
        let other = role("upsolver", None);
        let broken = role("milvus", Some("until=2027-01-01"));
        let (by_role, errors) = set.for_roles(&[&onyx, &other, &broken]);
        let onyx_list = &by_role[&onyx.arn];
        assert_eq!(
            onyx_list.iter().map(|s| s.by.as_str()).collect::<Vec<_>>(),
            ["tag:connector-audit-ignore", "file:f#1"]
        );
        assert!(!by_role.contains_key(&other.arn));
        assert!(!by_role.contains_key(&broken.arn));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].role_name.as_deref(), Some("milvus"));
        assert!(errors[0].message.contains("`until=2027-01-01`"));
    }

    #[test]
    fn role_patterns() {
        for (p, name, want) in [
            ("onyx-*", "onyx-reader", true),
            ("onyx-*", "xonyx-a", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("exact", "exactly", false),
        ] {
            let s = Suppression {
                rule: "role-unused".into(),
                role: p.into(),
                account: None,
                until: None,
                reason: None,
                by: "f".into(),
            };
            assert_eq!(s.names(&role(name, None)), want, "{p} {name}");
        }
    }
}
