//! Reads the JSON that `aws iam get-account-authorization-details` prints (or its pages
//! merged) into an [`Inventory`]. Documents may be JSON objects or URL-encoded strings;
//! `PolicyName`/`PolicyId` may be absent (as moto prints them). A role entry of the wrong
//! shape becomes an error entry naming it, and the other roles are still read. PURE: the
//! caller reads the file.

use crate::model::{ErrorEntry, Inventory, NamedDocument, Operation, RoleSnapshot};
use crate::policy::document::json_message;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Why a dump could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("{0}")]
    Shape(String),
    #[error(
        "the dump is {size} bytes, over the {limit}-byte limit (IAM's own limits keep a whole account's dump far below it)"
    )]
    TooLarge { size: u64, limit: u64 },
}

/// The largest dump accepted: parsing holds it in memory several times over, and an account
/// at IAM's quotas (5,000 roles, 10 KB of inline policy each) stays far below it.
pub const MAX_DUMP_BYTES: u64 = 128 << 20;

/// The dump's top level. Documents are kept as the text the file holds (`RawValue`): a
/// document object is handed to the policy parser as written, duplicate keys included, never
/// re-serialised from a map that kept one of them. Duplicate fields of the dump's own
/// structure are errors of the entry that holds them (serde refuses them).
#[derive(Deserialize)]
struct Root<'a> {
    #[serde(rename = "RoleDetailList", default, borrow)]
    roles: Option<Entries<'a>>,
    #[serde(rename = "Policies", default, borrow)]
    policies: Option<Entries<'a>>,
}

/// A list of entries, each kept as its text to be read on its own (one bad entry is an error
/// of that entry only), in the same pass that reads the top level; or something else than a
/// list, which the caller names.
enum Entries<'a> {
    List(Vec<&'a RawValue>),
    NotAList,
}

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Entries<'a>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(entry) = seq.next_element::<&'a RawValue>()? {
                    out.push(entry);
                }
                Ok(Entries::List(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries<'a>, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Entries::NotAList)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Entries<'a>, E> {
                Ok(Entries::NotAList)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Entries<'a>, E> {
                Ok(Entries::NotAList)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Entries<'a>, E> {
                Ok(Entries::NotAList)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Entries<'a>, E> {
                Ok(Entries::NotAList)
            }
            fn visit_str<E>(self, _: &str) -> Result<Entries<'a>, E> {
                Ok(Entries::NotAList)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail<'a> {
    role_name: String,
    arn: String,
    #[serde(default, borrow)]
    assume_role_policy_document: Option<&'a RawValue>,
    #[serde(default, borrow)]
    role_policy_list: Vec<InlinePolicy<'a>>,
    #[serde(default)]
    attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    role_last_used: Option<RoleLastUsed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InlinePolicy<'a> {
    policy_name: String,
    #[serde(borrow)]
    policy_document: &'a RawValue,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PermissionsBoundary {
    permissions_boundary_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicy {
    policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleLastUsed {
    #[serde(default)]
    last_used_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManagedPolicy<'a> {
    arn: String,
    #[serde(default)]
    default_version_id: Option<String>,
    #[serde(default, borrow)]
    policy_version_list: Vec<PolicyVersion<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersion<'a> {
    #[serde(borrow)]
    document: &'a RawValue,
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    is_default_version: bool,
}

/// A document as text: a JSON string's content (URL-encoded or not), or the JSON text of an
/// object as the file writes it, without the whitespace between its tokens (the file's
/// indentation was over half of it; keys, values and their order are kept, duplicates too).
fn document_text(raw: &RawValue) -> String {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string())
    } else {
        compact(text)
    }
}

/// JSON text without whitespace outside its strings. The text is valid JSON (serde_json read
/// it as a value), so a `"` outside a string opens one and, inside, only an unescaped `"`
/// closes it.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len() / 2);
    let mut rest = json;
    loop {
        // whitespace up to the next string, then the string whole
        let Some(open) = rest.find('"') else {
            out.extend(rest.chars().filter(|c| !c.is_ascii_whitespace()));
            return out;
        };
        let (before, string) = rest.split_at(open);
        out.extend(before.chars().filter(|c| !c.is_ascii_whitespace()));
        let mut escaped = false;
        let close = string
            .char_indices()
            .skip(1)
            .find(|&(_, c)| {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                closes
            })
            .map_or(string.len(), |(i, _)| i + 1);
        let (literal, after) = string.split_at(close);
        out.push_str(literal);
        rest = after;
    }
}

/// Parses a dump. Fails only when the file as a whole is unusable; per-role problems are
/// error entries in the inventory.
pub fn parse_dump(text: &str) -> Result<Inventory, DumpError> {
    if text.len() as u64 > MAX_DUMP_BYTES {
        return Err(DumpError::TooLarge {
            size: text.len() as u64,
            limit: MAX_DUMP_BYTES,
        });
    }
    let shape = || {
        DumpError::Shape(
            "expected a JSON object with `RoleDetailList` (the output of `aws iam get-account-authorization-details`)".into(),
        )
    };
    // serde would also read a struct from an array: only an object is a dump
    let first = text.trim_start().chars().next();
    if first.is_some_and(|c| c != '{')
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    {
        return Err(shape());
    }
    let root: Root<'_> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            DumpError::Shape(format!(
                "expected a JSON object with `RoleDetailList` (the output of `aws iam get-account-authorization-details`): {}",
                json_message(&e)
            ))
        } else {
            DumpError::Json {
                message: json_message(&e),
                line: e.line(),
                column: e.column(),
            }
        }
    })?;
    let roles: Vec<&RawValue> = match root.roles {
        Some(Entries::List(list)) => list,
        Some(Entries::NotAList) => {
            return Err(DumpError::Shape("`RoleDetailList` is not an array".into()));
        }
        None => {
            return Err(DumpError::Shape(
                "no `RoleDetailList`: this is not the output of `aws iam get-account-authorization-details`".into(),
            ));
        }
    };
    let policies: Vec<&RawValue> = match root.policies {
        Some(Entries::List(list)) => list,
        Some(Entries::NotAList) => {
            return Err(DumpError::Shape("`Policies` is not an array".into()));
        }
        None => Vec::new(),
    };

    let mut errors = Vec::new();
    let mut managed: HashMap<String, std::sync::Arc<str>> = HashMap::new();
    for (i, raw) in policies.iter().enumerate() {
        match typed::<ManagedPolicy>(raw) {
            Ok(p) => match default_document(&p) {
                Some(doc) => {
                    managed.insert(p.arn, doc.into());
                }
                None => errors.push(ErrorEntry::new(
                    Operation::ReadDump,
                    "NoDefaultVersion",
                    format!(
                        "`Policies[{i}]` (`{}`) has no default version in `PolicyVersionList`",
                        p.arn
                    ),
                )),
            },
            Err(message) => errors.push(ErrorEntry::new(
                Operation::ReadDump,
                "InvalidEntry",
                format!("`Policies[{i}]`{}: {message}", name_of(raw, "Arn")),
            )),
        }
    }

    // each role entry read on its own, on every core, in order: the same inventory and the
    // same error entries, in the same order, whatever the number of cores
    let indexed: Vec<(usize, &RawValue)> = roles.into_iter().enumerate().collect();
    let read = crate::cores::map(&indexed, MIN_ENTRIES_PER_THREAD, |&(i, raw)| {
        role_entry(i, raw, &managed)
    });
    let mut snapshots = Vec::with_capacity(read.len());
    for (snapshot, entry_errors) in read {
        snapshots.extend(snapshot);
        errors.extend(entry_errors);
    }
    Ok(Inventory::new(snapshots, errors))
}

/// Below this many role entries per thread, a thread costs more than it saves.
const MIN_ENTRIES_PER_THREAD: usize = 256;

/// One `RoleDetailList` entry (the `i`th): its snapshot, with its managed policies from
/// `managed`, and the error entries of what could not be read; no snapshot when the entry
/// itself is not a role.
fn role_entry(
    i: usize,
    raw: &RawValue,
    managed: &HashMap<String, std::sync::Arc<str>>,
) -> (Option<RoleSnapshot>, Vec<ErrorEntry>) {
    let role = match typed::<RoleDetail>(raw) {
        Ok(r) => r,
        Err(message) => {
            return (
                None,
                vec![ErrorEntry {
                    role_name: field(raw, "RoleName"),
                    ..ErrorEntry::new(
                        Operation::ReadDump,
                        "InvalidEntry",
                        format!(
                            "`RoleDetailList[{i}]`{}: {message}",
                            name_of(raw, "RoleName")
                        ),
                    )
                }],
            );
        }
    };
    let mut errors = Vec::new();
    let mut attached = Vec::new();
    for a in &role.attached_managed_policies {
        match managed.get(&a.policy_arn) {
            Some(doc) => attached.push(NamedDocument {
                name: a.policy_arn.clone(),
                document: doc.clone(),
            }),
            None => errors.push(ErrorEntry::new(Operation::ResolveManagedPolicy, "NoSuchEntity", format!(
                    "attached policy `{}` is not in the dump's `Policies`: the role was audited without it (export with `--filter Role LocalManagedPolicy AWSManagedPolicy`)",
                    a.policy_arn
                )).role(role.role_name.clone())),
        }
    }
    let boundary = match &role.permissions_boundary {
        None => None,
        Some(b) => match managed.get(&b.permissions_boundary_arn) {
            Some(doc) => Some(NamedDocument {
                name: b.permissions_boundary_arn.clone(),
                document: doc.clone(),
            }),
            None => {
                errors.push(ErrorEntry::new(Operation::ResolveManagedPolicy, "NoSuchEntity", format!(
                    "permissions boundary `{}` is not in the dump's `Policies`: the role was audited without it (export with `--filter Role LocalManagedPolicy AWSManagedPolicy`)",
                    b.permissions_boundary_arn
                )).role(role.role_name.clone()));
                None
            }
        },
    };
    let snapshot = RoleSnapshot {
        boundary,
        trust: role
            .assume_role_policy_document
            .as_ref()
            .map(|d| document_text(d))
            .unwrap_or_default(),
        inline: role
            .role_policy_list
            .iter()
            .map(|p| NamedDocument {
                name: p.policy_name.clone(),
                document: document_text(p.policy_document).into(),
            })
            .collect(),
        managed: attached,
        tags: role.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        last_used: role.role_last_used.and_then(|r| r.last_used_date),
        name: role.role_name,
        arn: role.arn,
    };
    (Some(snapshot), errors)
}

fn default_document(p: &ManagedPolicy) -> Option<String> {
    p.policy_version_list
        .iter()
        .find(|v| v.is_default_version)
        .or_else(|| {
            p.policy_version_list
                .iter()
                .find(|v| v.version_id.is_some() && v.version_id == p.default_version_id)
        })
        .map(|v| document_text(v.document))
}

/// Deserialises one entry, with the path of the offending field in the message.
fn typed<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Result<T, String> {
    // the common case without tracking paths; an entry that fails is read again to say where
    if let Ok(entry) = serde_json::from_str(raw.get()) {
        return Ok(entry);
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = json_message(e.inner());
        if path == "." {
            message
        } else {
            format!("`{path}`: {message}")
        }
    })
}

/// A string field of an entry, for naming it in an error (absent when the entry has none).
fn field(raw: &RawValue, key: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw.get())
        .ok()?
        .get(key)?
        .as_str()
        .map(str::to_string)
}

fn name_of(raw: &RawValue, key: &str) -> String {
    field(raw, key)
        .map(|n| format!(" (`{n}`)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_kept_for_the_parser_or_refused_in_the_dumps_own_structure() {
        let dump = r#"{"RoleDetailList":[
            {"RoleName":"twice","Arn":"arn:aws:iam::123456789012:role/twice",
             "AssumeRolePolicyDocument":{"Statement":{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}},
            {"RoleName":"a","RoleName":"b","Arn":"arn:aws:iam::123456789012:role/b"},
            {"RoleName":"ok","Arn":"arn:aws:iam::123456789012:role/ok"}]}"#;
        let inv = parse_dump(dump).unwrap();
        let names: Vec<&str> = inv.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["twice", "ok"]);
        // the document reaches the parser as written, and the parser refuses it
        let err = crate::policy::Policy::parse(&inv.roles[0].trust).unwrap_err();
        assert!(err.to_string().contains("duplicate key `Effect`"), "{err}");
        // the entry with two names is an error naming it, the others are read
        assert_eq!(inv.errors.len(), 1);
        assert!(
            inv.errors[0].message.contains("`RoleDetailList[1]`"),
            "{}",
            inv.errors[0].message
        );
        assert!(
            inv.errors[0].message.contains("duplicate field `RoleName`"),
            "{}",
            inv.errors[0].message
        );
        // and so is a dump whose top level says two things
        let twice = r#"{"RoleDetailList":[],"RoleDetailList":[]}"#;
        assert!(
            parse_dump(twice)
                .unwrap_err()
                .to_string()
                .contains("duplicate field `RoleDetailList`")
        );
    }

    #[test]
    fn object_documents_lose_only_the_whitespace_between_tokens() {
        let doc = "{\n  \"Statement\" : [ {\"Sid\": \"a b\\\" \\\\\", \"Effect\":\t\"Allow\",\r\n \"Action\": \"s3:Get*\", \"Resource\": [ \"arn:aws:s3::: x \" ] , \"Sid\": \"{ \\\\\"} ]\n}";
        let c = compact(doc);
        assert_eq!(
            c,
            "{\"Statement\":[{\"Sid\":\"a b\\\" \\\\\",\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Resource\":[\"arn:aws:s3::: x \"],\"Sid\":\"{ \\\\\"}]}"
        );
        // the same value, and the same keys in the same order, duplicates included
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&c).unwrap(),
            serde_json::from_str::<serde_json::Value>(doc).unwrap()
        );
        assert_eq!(compact("[1, 2 ,3 ]"), "[1,2,3]");
        // an escaped backslash before the closing quote
        assert_eq!(compact("[\"a \\\\\" , \"b\"]"), "[\"a \\\\\",\"b\"]");
        let dump = format!(
            r#"{{"RoleDetailList": [{{"RoleName": "r", "Arn": "arn:aws:iam::123456789012:role/r",
                "AssumeRolePolicyDocument": {doc}}}]}}"#
        );
        assert_eq!(parse_dump(&dump).unwrap().roles[0].trust, c);
    }

    #[test]
    fn documents_both_ways_and_default_version() {
        let dump = r#"{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r",
            "AssumeRolePolicyDocument":"%7B%7D",
            "RolePolicyList":[{"PolicyName":"i","PolicyDocument":{"Version":"2012-10-17"}}],
            "AttachedManagedPolicies":[{"PolicyName":"m","PolicyArn":"arn:aws:iam::123456789012:policy/m"}],
            "Tags":[{"Key":"connector","Value":"x"}],"RoleLastUsed":{}}],
          "Policies":[{"Arn":"arn:aws:iam::123456789012:policy/m","DefaultVersionId":"v2","PolicyVersionList":[
            {"Document":{"v":1},"VersionId":"v1","IsDefaultVersion":false},
            {"Document":{"v":2},"VersionId":"v2","IsDefaultVersion":true}]}]}"#;
        let inv = parse_dump(dump).unwrap();
        assert_eq!(inv.account_id.as_deref(), Some("123456789012"));
        let r = &inv.roles[0];
        assert_eq!(r.trust, "%7B%7D");
        assert_eq!(&*r.inline[0].document, r#"{"Version":"2012-10-17"}"#);
        assert_eq!(&*r.managed[0].document, r#"{"v":2}"#);
        assert_eq!(r.tags.get("connector").map(String::as_str), Some("x"));
        assert!(inv.errors.is_empty());
    }

    #[test]
    fn bad_role_entry_does_not_stop_the_others() {
        let dump = r#"{"RoleDetailList":[
            {"RoleName":"bad","Arn":"arn:aws:iam::123456789012:role/bad","Tags":[{"Key":"connector","Value":7}]},
            {"RoleName":"good","Arn":"arn:aws:iam::123456789012:role/good","AttachedManagedPolicies":[{"PolicyArn":"arn:aws:iam::aws:policy/Missing"}]}
        ]}"#;
        let inv = parse_dump(dump).unwrap();
        assert_eq!(inv.roles.len(), 1);
        assert_eq!(inv.roles[0].name, "good");
        assert_eq!(inv.errors.len(), 2);
        assert_eq!(inv.errors[0].role_name.as_deref(), Some("bad"));
        assert!(inv.errors[0].message.contains("`RoleDetailList[0]` (`bad`): `Tags[0].Value`: invalid type: integer `7`, expected a string"), "{}", inv.errors[0].message);
        assert_eq!(inv.errors[1].code, "NoSuchEntity");
        assert!(
            inv.errors[1]
                .message
                .contains("arn:aws:iam::aws:policy/Missing")
        );
    }

    #[test]
    fn unusable_files() {
        let e = parse_dump("{\n\"RoleDetailList\": [,]}").unwrap_err();
        assert!(matches!(e, DumpError::Json { line: 2, .. }), "{e}");
        assert!(
            parse_dump("[]")
                .unwrap_err()
                .to_string()
                .contains("RoleDetailList")
        );
        assert!(
            parse_dump(r#"{"Roles":[]}"#)
                .unwrap_err()
                .to_string()
                .contains("not the output")
        );
        assert!(
            parse_dump(r#"{"RoleDetailList":{}}"#)
                .unwrap_err()
                .to_string()
                .contains("not an array")
        );
    }

    #[test]
    fn a_bad_managed_policy_shared_by_roles_is_each_roles_error() {
        let role = |name: &str| {
            format!(
                r#"{{"RoleName":"{name}","Arn":"arn:aws:iam::123456789012:role/{name}","AttachedManagedPolicies":[{{"PolicyArn":"arn:aws:iam::123456789012:policy/bad"}}]}}"#
            )
        };
        let dump = format!(
            r#"{{"RoleDetailList":[{},{}],"Policies":[{{"Arn":"arn:aws:iam::123456789012:policy/bad","DefaultVersionId":"v1","PolicyVersionList":[{{"Document":{{"Statement":{{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}}},"VersionId":"v1","IsDefaultVersion":true}}]}}]}}"#,
            role("a"),
            role("b")
        );
        let inv = parse_dump(&dump).unwrap();
        assert!(inv.errors.is_empty());
        for r in &inv.roles {
            let view = crate::view::RoleView::new(r);
            let (_, parsed) = &view.documents[0];
            let err = parsed.as_ref().unwrap_err();
            assert_eq!(
                err.to_string(),
                "`Statement`: duplicate key `Effect`: the document says two things (IAM rejects such documents; parsers disagree on which one counts), so it is not audited as either"
            );
        }
    }

    #[test]
    fn lists_that_are_not_lists() {
        for (dump, want) in [
            (
                r#"{"RoleDetailList":"x"}"#,
                "`RoleDetailList` is not an array",
            ),
            (
                r#"{"RoleDetailList":7}"#,
                "`RoleDetailList` is not an array",
            ),
            (
                r#"{"RoleDetailList":{"a":[1,{"b":2}]}}"#,
                "`RoleDetailList` is not an array",
            ),
            (
                r#"{"RoleDetailList":[],"Policies":true}"#,
                "`Policies` is not an array",
            ),
            (r#"{"RoleDetailList":null}"#, "no `RoleDetailList`"),
        ] {
            let err = parse_dump(dump).unwrap_err().to_string();
            assert!(err.contains(want), "{dump}: {err}");
        }
        assert!(parse_dump(r#"{"RoleDetailList":[],"Policies":null}"#).is_ok());
    }
}
