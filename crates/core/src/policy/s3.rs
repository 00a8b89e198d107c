//! Effective S3 permissions of a role: the union of its identity policies, explicit Deny
//! wins, `NotAction` / `NotResource` / wildcards expanded against the embedded S3 action table.
//!
//! Reachability is decided on concrete *witness* resources: for each Allow statement and each
//! S3 action it grants, the ARNs its `Resource` patterns can match (a wildcard filled with a
//! token no real bucket carries, the buckets the role's policies name) are checked against
//! every Deny. A grant that survives on a witness built from a wildcard is access to buckets
//! nobody named. Conditions on an Allow are assumed satisfiable; a Deny counts only when it
//! applies unconditionally. PURE.

use super::condition::Truth;
use super::document::{Effect, Policy, Statement};
use super::eval::{Request, Scenario, certainly_denied};
use super::guardrails::Scps;
use super::s3_actions::{AccessLevel, S3Action, S3Resource, s3_actions};
use super::wildcard;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Fills wildcards when building witnesses. Contains characters valid in bucket names only,
/// and is long and odd enough that no real bucket name or key pattern matches it by accident.
pub(crate) const WITNESS: &str = "ca-wildcard-7f1e3b";

/// The two fills of a wildcard: a bucket-name-like token, and a `bucket/key`-like one (a `*`
/// crosses `/`, so a pattern's wildcard may stand for both).
const FILLS: [&str; 2] = [WITNESS, "ca-wildcard-7f1e3b/ca-wildcard-7f1e3b"];

impl S3Action {
    /// `s3:GetObject`
    pub fn qualified(&self) -> String {
        format!("s3:{}", self.name)
    }
    /// Reads, writes or lists data: object Read/Write/List actions and bucket List actions.
    pub fn is_data_or_list(&self) -> bool {
        match self.resource {
            S3Resource::Object => matches!(
                self.access,
                AccessLevel::Read | AccessLevel::Write | AccessLevel::List
            ),
            S3Resource::Bucket => self.access == AccessLevel::List,
            _ => false,
        }
    }
    /// Changes or removes objects.
    pub fn is_object_write(&self) -> bool {
        self.resource == S3Resource::Object && self.access == AccessLevel::Write
    }
    /// `s3:DeleteObject` or `s3:DeleteObjectVersion`.
    pub fn is_object_delete(&self) -> bool {
        matches!(self.name, "DeleteObject" | "DeleteObjectVersion")
    }
    /// Changes a bucket's configuration, policy or ACL, or deletes the bucket.
    pub fn is_bucket_admin(&self) -> bool {
        self.resource == S3Resource::Bucket
            && matches!(
                self.access,
                AccessLevel::Write | AccessLevel::PermissionsManagement
            )
    }
}

fn qualified_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| s3_actions().iter().map(S3Action::qualified).collect())
}

/// Looks an action up by name (`s3:getobject` or `GetObject`), case-insensitively.
pub fn s3_action(name: &str) -> Option<&'static S3Action> {
    let bare = name
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("s3:"))
        .and_then(|_| name.get(3..))
        .unwrap_or(name);
    s3_actions()
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(bare))
}

/// The S3 actions an action clause grants, as indices into [`s3_actions`].
fn actions_of(statement: &Statement) -> Vec<usize> {
    let clause = &statement.action;
    if !clause.negated && clause.items.iter().all(|p| !wildcard::has_wildcard(p)) {
        // the common case: literal names, no wildcard matching over the table
        let mut out: Vec<usize> = clause
            .items
            .iter()
            .filter_map(|p| s3_action_exact(p))
            .filter_map(|found| s3_actions().iter().position(|a| a.name == found.name))
            .collect();
        out.sort_unstable();
        out.dedup();
        return out;
    }
    qualified_names()
        .iter()
        .enumerate()
        .filter(|(_, q)| clause.matches_action(q))
        .map(|(i, _)| i)
        .collect()
}

fn s3_action_exact(pattern: &str) -> Option<&'static S3Action> {
    pattern
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("s3:"))
        .and_then(|_| s3_action(pattern))
}

/// A bucket a grant reaches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// A bucket the policy names (its name shared by the role's grants).
    Named(std::sync::Arc<str>),
    /// Any bucket matching a wildcard pattern (or excluded from none by `NotResource`).
    Unnamed,
}

/// One reachable (statement, action, resource): the statement grants the action on the
/// witness resource, and no Deny blocks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Grant {
    /// Index into the role's policy list (as given to [`Permissions::new`]).
    pub policy: usize,
    /// Index of the statement in that policy.
    pub statement: usize,
    pub action: &'static S3Action,
    /// The resource that shows it (shared by the role's grants: a role has thousands).
    pub witness: std::sync::Arc<str>,
    pub bucket: Bucket,
}

/// A role's identity policies, analysed once, within its permissions boundary.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    policies: Vec<Policy>,
    /// The permissions boundary: the role may do only what its policies grant AND the
    /// boundary allows; an explicit Deny in either wins (IAM User Guide, "Permissions
    /// boundaries for IAM entities", evaluating effective permissions).
    boundary: Option<Policy>,
    grants: Vec<S3Grant>,
    /// Grants of the policies that the boundary takes away.
    bounded: Vec<S3Grant>,
    /// In organization mode, the service control policies over the role's account, with what
    /// the role's requests say of it (see [`super::guardrails`]).
    scps: Option<(std::sync::Arc<Scps>, Scenario)>,
    /// Grants that survive the boundary and that an SCP takes away: each with the SCP (or
    /// the level) that does.
    removed_by_scps: Vec<(S3Grant, String)>,
}

impl Permissions {
    /// Analyses the role's inline and attached policies (those that parsed).
    pub fn new(policies: Vec<Policy>) -> Permissions {
        Permissions::within(policies, None)
    }

    /// Analyses the role's policies within its permissions boundary.
    pub fn within(policies: Vec<Policy>, boundary: Option<Policy>) -> Permissions {
        let (grants, bounded) = compute_grants(&policies, boundary.as_ref());
        Permissions {
            policies,
            boundary,
            grants,
            bounded,
            scps: None,
            removed_by_scps: Vec::new(),
        }
    }

    /// The same permissions under the service control policies over the role's account;
    /// `scenario` says who the role is ([`super::guardrails::role_scenario`]).
    pub fn limit(mut self, scps: std::sync::Arc<Scps>, scenario: Scenario) -> Permissions {
        if scps.is_empty() {
            return self;
        }
        let mut kept = Vec::with_capacity(self.grants.len());
        for g in std::mem::take(&mut self.grants) {
            match scps.blocks(&g.action.qualified(), &g.witness, &scenario) {
                None => kept.push(g),
                Some(by) => self.removed_by_scps.push((g, by)),
            }
        }
        self.grants = kept;
        self.scps = Some((scps, scenario));
        self
    }

    /// The service control policies' levels (root first), as the request evaluator takes them.
    pub fn scp_levels(&self) -> Vec<Vec<Policy>> {
        self.scps.as_ref().map_or_else(Vec::new, |(scps, _)| {
            scps.levels
                .iter()
                .map(|l| l.policies.iter().map(|(_, p)| p.clone()).collect())
                .collect()
        })
    }

    /// The grants that the organization's service control policies take away, each with the
    /// policy (or level) that does.
    pub fn removed_by_scps(&self) -> &[(S3Grant, String)] {
        &self.removed_by_scps
    }

    /// The permissions boundary, when the role has one that parsed.
    pub fn boundary(&self) -> Option<&Policy> {
        self.boundary.as_ref()
    }

    /// The grants of the role's policies that its permissions boundary takes away.
    pub fn bounded(&self) -> &[S3Grant] {
        &self.bounded
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Every reachable S3 grant, in policy/statement order.
    pub fn grants(&self) -> &[S3Grant] {
        &self.grants
    }

    fn statements(&self) -> impl Iterator<Item = &Statement> + Clone {
        self.policies.iter().flat_map(|p| p.statements.iter())
    }

    /// May the role do `action` on `resource` (any condition satisfiable, Deny when certain)?
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        let scenario = Scenario::new();
        decides_allowed(self.statements(), action, resource, &scenario)
            && self
                .boundary
                .as_ref()
                .is_none_or(|b| decides_allowed(&b.statements, action, resource, &scenario))
            && self.scp_allows(action, resource)
    }

    /// Do the service control policies (if any) leave `action` on `resource` to the role?
    fn scp_allows(&self, action: &str, resource: &str) -> bool {
        self.scps
            .as_ref()
            .is_none_or(|(scps, who)| scps.blocks(action, resource, who).is_none())
    }

    /// The Allow statements, `(policy, statement)`, that may grant `action` on `resource` in
    /// `scenario`, when the role may do it: some Allow may apply, no Deny certainly does, and
    /// the boundary (if any) allows it too. `None` when the role may not.
    pub fn allowing(
        &self,
        action: &str,
        resource: &str,
        scenario: &Scenario,
    ) -> Option<Vec<(usize, usize)>> {
        let req = Request {
            caller: None,
            action,
            resource: Some(resource),
            scenario,
        };
        if super::eval::decide(self.statements(), &req) != super::eval::Decision::Allowed {
            return None;
        }
        if let Some(b) = &self.boundary
            && super::eval::decide(&b.statements, &req) != super::eval::Decision::Allowed
        {
            return None;
        }
        let used: Vec<(usize, usize)> = self
            .policies
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| {
                p.statements
                    .iter()
                    .filter(|s| s.effect == Effect::Allow && s.applies(&req).possible())
                    .map(move |s| (pi, s.index))
            })
            .collect();
        Some(used)
    }

    /// Does some Allow statement of the role's policies name `action` at all (whatever its
    /// resource and conditions)? A cheap test before asking about resources.
    pub fn may_name(&self, action: &str) -> bool {
        self.statements()
            .any(|s| s.effect == Effect::Allow && s.action.matches_action(action))
    }

    /// How sure the documents are that the role may do `action` on `resource` in `scenario`.
    pub fn certainty(
        &self,
        action: &str,
        resource: &str,
        scenario: &Scenario,
    ) -> super::eval::Certainty {
        let req = Request {
            caller: None,
            action,
            resource: Some(resource),
            scenario,
        };
        use super::eval::Certainty;
        let identity = super::eval::certainty(self.statements(), &req);
        let bound = self.boundary.as_ref().map_or(Certainty::Allowed, |b| {
            super::eval::certainty(&b.statements, &req)
        });
        if !self.scp_allows(action, resource) {
            return Certainty::Denied;
        }
        match (identity, bound) {
            (Certainty::Denied, _) | (_, Certainty::Denied) => Certainty::Denied,
            (Certainty::Allowed, Certainty::Allowed) => Certainty::Allowed,
            _ => Certainty::Depends,
        }
    }

    /// The first Allow statement that may grant `action` on `resource`: `(policy, statement)`.
    pub fn allowing_statement(
        &self,
        action: &str,
        resource: &str,
        scenario: &Scenario,
    ) -> Option<(usize, usize)> {
        let req = Request {
            caller: None,
            action,
            resource: Some(resource),
            scenario,
        };
        self.policies.iter().enumerate().find_map(|(pi, p)| {
            p.statements
                .iter()
                .position(|s| s.effect == Effect::Allow && s.applies(&req).possible())
                .map(|si| (pi, si))
        })
    }

    /// Buckets the policies name literally for a data or list action (no wildcard in the name).
    pub fn named_buckets(&self) -> BTreeSet<String> {
        self.grants
            .iter()
            .filter(|g| g.action.is_data_or_list())
            .filter_map(|g| match &g.bucket {
                Bucket::Named(b) if !b.contains(['*', '?']) => Some(b.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Which buckets can this role reach with `action` (e.g. `s3:GetObject`)?
    pub fn buckets_for(&self, action: &str) -> BTreeSet<Bucket> {
        self.grants
            .iter()
            .filter(|g| g.action.qualified().eq_ignore_ascii_case(action))
            .map(|g| g.bucket.clone())
            .collect()
    }

    /// Is any S3 data or list action reachable on a bucket nobody named?
    pub fn reaches_unnamed_buckets(&self) -> bool {
        self.grants
            .iter()
            .any(|g| g.bucket == Bucket::Unnamed && g.action.is_data_or_list())
    }

    /// Is `s3:DeleteObject` or `s3:DeleteObjectVersion` reachable anywhere?
    pub fn can_delete_objects(&self) -> bool {
        self.grants.iter().any(|g| g.action.is_object_delete())
    }

    /// The first Allow statement that grants every action on every resource, when no Deny
    /// exists to carve anything out: `(policy index, statement index)`.
    pub fn grants_everything(&self) -> Option<(usize, usize)> {
        if self.statements().any(|s| s.effect == Effect::Deny) {
            return None;
        }
        // service control policies that do not allow everything limit the role
        if self
            .scps
            .as_ref()
            .is_some_and(|(scps, _)| !scps.allow_everything())
        {
            return None;
        }
        // a boundary that does not itself allow everything limits the role
        if let Some(b) = &self.boundary
            && Permissions::new(vec![b.clone()])
                .grants_everything()
                .is_none()
        {
            return None;
        }
        self.policies.iter().enumerate().find_map(|(pi, p)| {
            p.statements
                .iter()
                .find(|s| {
                    s.effect == Effect::Allow
                        && !s.action.negated
                        && s.action.items.iter().any(|a| wildcard::matches_anything(a))
                        && s.resource.as_ref().is_some_and(|r| {
                            !r.negated && r.items.iter().any(|x| wildcard::matches_anything(x))
                        })
                })
                .map(|s| (pi, s.index))
        })
    }
}

/// Does this set of statements allow `action` on `resource` (an Allow that may apply, no Deny
/// that certainly does)?
fn decides_allowed<'a>(
    statements: impl IntoIterator<Item = &'a Statement, IntoIter: Clone>,
    action: &str,
    resource: &str,
    scenario: &Scenario,
) -> bool {
    let req = Request {
        caller: None,
        action,
        resource: Some(resource),
        scenario,
    };
    super::eval::decide(statements, &req) == super::eval::Decision::Allowed
}

/// A parsed S3 ARN: partition, bucket, and whether it names an object.
fn parse_s3_arn(arn: &str) -> Option<(&str, &str, bool)> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("s3:::")?;
    match rest.split_once('/') {
        Some((bucket, _)) => Some((partition, bucket, true)),
        None => Some((partition, rest, false)),
    }
}

/// Witness resources for a role: generic ones, the named buckets, and every pattern's
/// wildcards filled with the token (as a bucket name and as `bucket/key`).
fn witnesses(policies: &[Policy]) -> Vec<String> {
    let mut set: BTreeSet<String> = BTreeSet::new();
    set.insert(concat(&["arn:aws:s3:::", WITNESS]));
    set.insert(concat(&["arn:aws:s3:::", WITNESS, "/", WITNESS]));
    let patterns = policies
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter_map(|s| s.resource.as_ref())
        .flat_map(|r| r.items.iter());
    for pattern in patterns {
        for fill in FILLS {
            let filled = fill_wildcards(pattern, fill);
            if let Some((partition, bucket, _)) = parse_s3_arn(&filled) {
                set.insert(concat(&["arn:", partition, ":s3:::", bucket]));
                set.insert(concat(&["arn:", partition, ":s3:::", bucket, "/", WITNESS]));
                set.insert(filled);
            }
        }
    }
    set.into_iter().collect()
}

/// The parts written one after the other (a role's witnesses are thousands of short strings:
/// no formatting machinery for them).
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `text` against the parts written one after the other, without writing them.
fn cmp_concat(text: &str, parts: &[&str]) -> std::cmp::Ordering {
    text.bytes().cmp(parts.iter().flat_map(|p| p.bytes()))
}

/// `pattern` with each `*` replaced by `fill` and each `?` by one character of it: `?` matches
/// exactly one character, so a longer fill would build a resource the pattern does not match
/// (IAM policy reference, "Resource": wildcards `*` and `?` within any ARN segment).
pub(crate) fn fill_wildcards(pattern: &str, fill: &str) -> String {
    let one = fill.chars().next().unwrap_or('x');
    pattern
        .chars()
        .fold(String::with_capacity(pattern.len()), |mut out, c| {
            match c {
                '*' => out.push_str(fill),
                '?' => out.push(one),
                other => out.push(other),
            }
            out
        })
}

/// The bucket an S3 ARN pattern names, when it names one literally
/// (`arn:aws:s3:::exports/*` -> `exports`; `*`, `arn:aws:s3:::exp*` -> none).
fn literal_bucket(pattern: &str) -> Option<&str> {
    let rest = pattern.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("s3:::")?;
    let bucket = rest.split('/').next()?;
    (!partition.contains(['*', '?']) && !bucket.is_empty() && !bucket.contains(['*', '?']))
        .then_some(bucket)
}

/// The witnesses (positions in `cands`, sorted by witness) that a statement's `Resource` may
/// match, in the order to try them: first those built from the statement's own patterns
/// (which match by construction, so a bucket's first grant is found at once), then the rest of
/// each pattern's range: a pattern's literal prefix (up to its first wildcard or policy
/// variable) is a range of the sorted witnesses. The clause itself is checked by the caller,
/// only on witnesses it still needs.
fn candidate_order(
    resources: &super::document::Clause<String>,
    cands: &[(std::sync::Arc<str>, Bucket, bool)],
) -> Vec<usize> {
    let position = |parts: &[&str]| {
        cands
            .binary_search_by(|(c, _, _)| cmp_concat(c, parts))
            .ok()
    };
    let mut own: Vec<usize> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    if resources.negated {
        rest.extend(0..cands.len());
    } else {
        for pattern in &resources.items {
            for fill in FILLS {
                let filled = fill_wildcards(pattern, fill);
                if let Some((partition, bucket, _)) = parse_s3_arn(&filled) {
                    own.extend(position(&[&filled]));
                    own.extend(position(&["arn:", partition, ":s3:::", bucket]));
                    own.extend(position(&[
                        "arn:", partition, ":s3:::", bucket, "/", WITNESS,
                    ]));
                }
            }
        }
        // each prefix's range once: a prefix that extends another lies in its range
        let mut prefixes: Vec<&str> = resources
            .items
            .iter()
            .map(|pattern| {
                pattern
                    .find(['*', '?', '$'])
                    .and_then(|i| pattern.get(..i))
                    .unwrap_or(pattern)
            })
            .collect();
        prefixes.sort_unstable();
        let mut kept: Vec<&str> = Vec::new();
        for p in prefixes {
            if !kept.last().is_some_and(|k| p.starts_with(k)) {
                kept.push(p);
            }
        }
        for prefix in kept {
            let start = cands.partition_point(|(w, _, _)| &**w < prefix);
            rest.extend(
                cands
                    .iter()
                    .enumerate()
                    .skip(start)
                    .take_while(|(_, (w, _, _))| w.starts_with(prefix))
                    .map(|(i, _)| i),
            );
        }
    }
    let mut seen = vec![false; cands.len()];
    own.into_iter()
        .chain(rest)
        .filter(|i| match seen.get_mut(*i) {
            Some(s) if !*s => {
                *s = true;
                true
            }
            _ => false,
        })
        .collect()
}

/// An action of a statement: its index in [`s3_actions`], the action, its qualified name, and
/// the Denies that may take it away.
type ActionDenies<'a> = (usize, &'static S3Action, &'a str, Vec<&'a Statement>);

/// Does this resource pattern match object ARNs only (a literal `/` after `:::`, which no
/// bucket ARN has)?
fn object_only(pattern: &str) -> bool {
    pattern
        .split_once(":::")
        .is_some_and(|(_, resource)| resource.contains('/'))
}

/// Can the statement's conditions hold? They read only the scenario, never the action or the
/// resource: one answer for the whole statement.
fn conditions(statement: &Statement, scenario: &Scenario) -> Truth {
    statement.conditions.iter().fold(Truth::True, |acc, c| {
        acc.and(c.evaluate(scenario.get(&c.key)))
    })
}

/// The role's grants within its boundary, and those the boundary takes away. One grant per
/// (statement, action, bucket) on each side of the boundary: the first witness that survives
/// every Deny stands for the bucket, so the cost is bounded by what the rules read (which
/// actions reach which buckets), not by the number of witnesses times patterns.
fn compute_grants(policies: &[Policy], boundary: Option<&Policy>) -> (Vec<S3Grant>, Vec<S3Grant>) {
    let mut grants = Vec::new();
    let mut bounded = Vec::new();
    let all: Vec<&Statement> = policies.iter().flat_map(|p| p.statements.iter()).collect();
    let scenario = Scenario::new();
    // only Deny statements that certainly apply can take a grant away: per action, those whose
    // conditions certainly hold and whose action clause names it
    let denies: Vec<&Statement> = all
        .iter()
        .copied()
        .filter(|s| s.effect == Effect::Deny && conditions(s, &scenario) == Truth::True)
        .collect();
    let mut denies_of: std::collections::HashMap<usize, Vec<&Statement>> =
        std::collections::HashMap::new();
    let mut candidates: Option<Vec<(std::sync::Arc<str>, Bucket, bool)>> = None;
    for (pi, policy) in policies.iter().enumerate() {
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            let Some(resources) = &statement.resource else {
                continue;
            };
            if conditions(statement, &scenario) == Truth::False {
                continue;
            }
            let actions = actions_of(statement);
            if actions.is_empty() {
                continue;
            }
            let cands = candidates.get_or_insert_with(|| {
                // a bucket is named when some pattern spells it out; one reached only through
                // a wildcard (`data?` filled to `datac`) is a bucket nobody named
                let named: BTreeSet<&str> = policies
                    .iter()
                    .flat_map(|p| p.statements.iter())
                    .filter_map(|s| s.resource.as_ref())
                    .flat_map(|r| r.items.iter())
                    .filter_map(|r| literal_bucket(r))
                    .collect();
                witnesses(policies)
                    .into_iter()
                    .filter_map(|w| {
                        let (_, bucket, object) = parse_s3_arn(&w)?;
                        let b = if bucket.contains(WITNESS) || !named.contains(bucket) {
                            Bucket::Unnamed
                        } else {
                            Bucket::Named(bucket.into())
                        };
                        Some((std::sync::Arc::<str>::from(w.as_str()), b, object))
                    })
                    .collect()
            });
            // the actions of each kind of resource, with their Denies
            let mut kinds: [Vec<ActionDenies<'_>>; 2] = [Vec::new(), Vec::new()];
            for action_index in actions {
                let (Some(action), Some(qualified)) = (
                    s3_actions().get(action_index),
                    qualified_names().get(action_index),
                ) else {
                    continue;
                };
                let kind = match action.resource {
                    S3Resource::Object => 1,
                    S3Resource::Bucket => 0,
                    _ => continue,
                };
                let action_denies = denies_of
                    .entry(action_index)
                    .or_insert_with(|| {
                        denies
                            .iter()
                            .copied()
                            .filter(|d| d.action.matches_action(qualified))
                            .collect()
                    })
                    .clone();
                if let Some(k) = kinds.get_mut(kind) {
                    k.push((action_index, action, qualified.as_str(), action_denies));
                }
            }
            // a pattern with a literal `/` in its resource part matches object ARNs only: a
            // statement of such patterns grants no bucket action, whatever the witnesses
            if !resources.negated
                && resources.items.iter().all(|p| object_only(p))
                && let Some(k) = kinds.get_mut(0)
            {
                k.clear();
            }
            // (action, bucket, within the boundary) granted by this statement; per (bucket,
            // kind), how many actions need nothing more, so that a witness of a bucket whose
            // actions are all granted is passed over without matching its patterns
            let mut seen: std::collections::HashSet<(usize, &Bucket, bool)> =
                std::collections::HashSet::new();
            let mut done: std::collections::HashMap<(&Bucket, bool), usize> =
                std::collections::HashMap::new();
            let mut found: Vec<(usize, usize, bool)> = Vec::new();
            for i in candidate_order(resources, cands) {
                let Some((witness, bucket, object)) = cands.get(i) else {
                    continue;
                };
                let Some(of_kind) = kinds.get(usize::from(*object)) else {
                    continue;
                };
                if of_kind.is_empty()
                    || done.get(&(bucket, *object)).copied().unwrap_or(0) >= of_kind.len()
                    || !resources.matches_resource(witness)
                {
                    continue;
                }
                for (action_index, _, qualified, action_denies) in of_kind {
                    let complete = |seen: &std::collections::HashSet<(usize, &Bucket, bool)>| {
                        seen.contains(&(*action_index, bucket, true))
                            && (boundary.is_none()
                                || seen.contains(&(*action_index, bucket, false)))
                    };
                    if complete(&seen) {
                        continue;
                    }
                    let req = Request {
                        caller: None,
                        action: qualified,
                        resource: Some(witness),
                        scenario: &scenario,
                    };
                    if !action_denies.is_empty()
                        && certainly_denied(action_denies.iter().copied(), &req)
                    {
                        continue;
                    }
                    let inside = boundary.is_none_or(|b| {
                        decides_allowed(&b.statements, qualified, witness, &scenario)
                    });
                    if !seen.insert((*action_index, bucket, inside)) {
                        continue;
                    }
                    found.push((*action_index, i, inside));
                    if complete(&seen) {
                        *done.entry((bucket, *object)).or_default() += 1;
                    }
                }
            }
            // in the order of the actions, then of the witnesses
            found.sort_unstable_by_key(|(a, i, _)| (*a, *i));
            for (action_index, i, inside) in found {
                let (Some(action), Some((witness, bucket, _))) =
                    (s3_actions().get(action_index), cands.get(i))
                else {
                    continue;
                };
                let grant = S3Grant {
                    policy: pi,
                    statement: statement.index,
                    action,
                    witness: witness.clone(),
                    bucket: bucket.clone(),
                };
                if inside {
                    grants.push(grant);
                } else {
                    bounded.push(grant);
                }
            }
        }
    }
    (grants, bounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(docs: &[&str]) -> Permissions {
        Permissions::new(docs.iter().map(|d| Policy::parse(d).unwrap()).collect())
    }

    const NAMED: &str = r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
        "Resource":["arn:aws:s3:::acme","arn:aws:s3:::acme/*"]}]}"#;

    #[test]
    fn the_fills_are_the_witness_token() {
        assert_eq!(FILLS, [WITNESS.to_string(), format!("{WITNESS}/{WITNESS}")]);
    }

    #[test]
    fn named_bucket_is_not_unnamed() {
        let p = perms(&[NAMED]);
        assert!(!p.reaches_unnamed_buckets());
        assert_eq!(
            p.buckets_for("s3:GetObject"),
            BTreeSet::from([Bucket::Named("acme".into())])
        );
        assert_eq!(
            p.buckets_for("S3:LISTBUCKET"),
            BTreeSet::from([Bucket::Named("acme".into())])
        );
        assert!(!p.can_delete_objects());
        assert!(p.allows("s3:GetObject", "arn:aws:s3:::acme/k"));
        assert!(!p.allows("s3:GetObject", "arn:aws:s3:::other/k"));
    }

    #[test]
    fn a_question_mark_is_one_character_of_a_bucket_nobody_named() {
        // `?` matches exactly one character: `data?` is data1, dataX, ... (ten of thousands of
        // buckets nobody named), and the grant must be seen as such
        for resource in [
            "arn:aws:s3:::data?/*",
            "arn:aws:s3:::dat?-??/*",
            "arn:aws:s3:::?ata/k?",
        ] {
            let doc = format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"{resource}"}}}}"#
            );
            let p = perms(&[&doc]);
            assert!(p.reaches_unnamed_buckets(), "{resource}");
            assert!(p.can_delete_objects(), "{resource}");
        }
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data?/*"}}"#,
        ]);
        assert!(p.allows("s3:GetObject", "arn:aws:s3:::data1/k"));
        assert!(!p.allows("s3:GetObject", "arn:aws:s3:::data12/k"));
        // a Deny with `?` carves out exactly what it matches
        let p = perms(&[
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data?/*"},
                {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::data?/*"}]}"#,
        ]);
        assert!(!p.reaches_unnamed_buckets());
    }

    #[test]
    fn odd_casing_and_wildcards() {
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"arn:aws:s3:::acme-*/*"}}"#,
        ]);
        assert!(p.reaches_unnamed_buckets());
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"s3:Delete*","Resource":"arn:aws:s3:::acme/*"}}"#,
        ]);
        assert!(p.can_delete_objects());
        assert!(!p.reaches_unnamed_buckets());
    }

    #[test]
    fn object_resource_does_not_grant_bucket_actions() {
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::acme/*"}}"#,
        ]);
        assert!(!p.grants().iter().any(|g| g.action.is_bucket_admin()));
        assert!(p.can_delete_objects());
        let p = perms(&[
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::acme"}}"#,
        ]);
        assert!(
            p.grants()
                .iter()
                .any(|g| g.action.name == "PutBucketPolicy")
        );
        assert!(!p.can_delete_objects());
    }

    #[test]
    fn deny_carve_out_and_not_resource() {
        let allow_all = r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}}"#;
        let deny_others = r#"{"Statement":{"Effect":"Deny","Action":"s3:*",
            "NotResource":["arn:aws:s3:::acme","arn:aws:s3:::acme/*"]}}"#;
        let p = perms(&[allow_all, deny_others]);
        assert!(!p.reaches_unnamed_buckets());
        assert_eq!(
            p.buckets_for("s3:GetObject"),
            BTreeSet::from([Bucket::Named("acme".into())])
        );
        // a conditional Deny does not carve anything out for certain
        let conditional = r#"{"Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::acme/*",
            "Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#;
        assert!(perms(&[allow_all, conditional]).reaches_unnamed_buckets());
        let not_resource = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}}"#;
        assert!(perms(&[not_resource]).reaches_unnamed_buckets());
    }

    #[test]
    fn not_action_expands() {
        let p = perms(&[r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#]);
        assert!(p.can_delete_objects());
        assert!(p.reaches_unnamed_buckets());
        let p = perms(&[r#"{"Statement":{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}}"#]);
        assert!(p.grants().is_empty());
    }

    #[test]
    fn everything() {
        let admin = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert_eq!(perms(&[NAMED, admin]).grants_everything(), Some((1, 0)));
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#;
        assert_eq!(perms(&[admin, deny]).grants_everything(), None);
        assert_eq!(perms(&[NAMED]).grants_everything(), None);
    }
}
