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
use super::s3_actions::{AccessLevel, S3Action, S3Resource, s3_actions};
use super::wildcard;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Fills wildcards when building witnesses. Contains characters valid in bucket names only,
/// and is long and odd enough that no real bucket name or key pattern matches it by accident.
pub(crate) const WITNESS: &str = "ca-wildcard-7f1e3b";

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// A bucket the policy names.
    Named(String),
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
    pub witness: String,
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
}

impl Permissions {
    /// Analyses the role's inline and attached policies (those that parsed).
    pub fn new(policies: Vec<Policy>) -> Permissions {
        Permissions::within(policies, None)
    }

    /// Analyses the role's policies within its permissions boundary.
    pub fn within(policies: Vec<Policy>, boundary: Option<Policy>) -> Permissions {
        let all = compute_grants(&policies);
        let (grants, bounded) = match &boundary {
            None => (all, Vec::new()),
            Some(b) => all.into_iter().partition(|g| {
                decides_allowed(
                    &b.statements,
                    &g.action.qualified(),
                    &g.witness,
                    &Scenario::new(),
                )
            }),
        };
        Permissions {
            policies,
            boundary,
            grants,
            bounded,
        }
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
                Bucket::Named(b) if !b.contains(['*', '?']) => Some(b.clone()),
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
    set.insert(format!("arn:aws:s3:::{WITNESS}"));
    set.insert(format!("arn:aws:s3:::{WITNESS}/{WITNESS}"));
    let patterns = policies
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter_map(|s| s.resource.as_ref())
        .flat_map(|r| r.items.iter());
    for pattern in patterns {
        for fill in [WITNESS.to_string(), format!("{WITNESS}/{WITNESS}")] {
            let filled = fill_wildcards(pattern, &fill);
            if let Some((partition, bucket, _)) = parse_s3_arn(&filled) {
                set.insert(format!("arn:{partition}:s3:::{bucket}"));
                set.insert(format!("arn:{partition}:s3:::{bucket}/{WITNESS}"));
                set.insert(filled);
            }
        }
    }
    set.into_iter().collect()
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

fn compute_grants(policies: &[Policy]) -> Vec<S3Grant> {
    let mut grants = Vec::new();
    let mut candidates: Option<Vec<(String, Bucket, bool)>> = None;
    let all: Vec<&Statement> = policies.iter().flat_map(|p| p.statements.iter()).collect();
    // only Deny statements can take a grant away: check those alone
    let denies: Vec<&Statement> = all
        .iter()
        .copied()
        .filter(|s| s.effect == Effect::Deny)
        .collect();
    let scenario = Scenario::new();
    // witness -> its position in the candidates, for statements naming literal resources
    let mut index: Option<std::collections::HashMap<String, Vec<usize>>> = None;
    for (pi, policy) in policies.iter().enumerate() {
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            let Some(resources) = &statement.resource else {
                continue;
            };
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
                            Bucket::Named(bucket.to_string())
                        };
                        Some((w, b, object))
                    })
                    .collect()
            });
            // a statement whose patterns all name their bucket literally can match only that
            // bucket's witnesses: look them up instead of testing every witness (linear, not
            // quadratic, in the number of statements)
            let buckets: Option<Vec<&str>> = if resources.negated {
                None
            } else {
                resources.items.iter().map(|r| literal_bucket(r)).collect()
            };
            let positions: Vec<usize> = match buckets {
                Some(buckets) => {
                    let idx = index.get_or_insert_with(|| {
                        let mut m: std::collections::HashMap<String, Vec<usize>> =
                            std::collections::HashMap::new();
                        for (i, (w, _, _)) in cands.iter().enumerate() {
                            if let Some((_, bucket, _)) = parse_s3_arn(w) {
                                m.entry(bucket.to_string()).or_default().push(i);
                            }
                        }
                        m
                    });
                    let mut p: Vec<usize> = buckets
                        .iter()
                        .filter_map(|b| idx.get(*b))
                        .flatten()
                        .copied()
                        .collect();
                    p.sort_unstable();
                    p.dedup();
                    p
                }
                None => (0..cands.len()).collect(),
            };
            for action_index in actions {
                let (Some(action), Some(qualified)) = (
                    s3_actions().get(action_index),
                    qualified_names().get(action_index),
                ) else {
                    continue;
                };
                let want_object = match action.resource {
                    S3Resource::Object => true,
                    S3Resource::Bucket => false,
                    _ => continue,
                };
                for (witness, bucket, object) in positions.iter().filter_map(|i| cands.get(*i)) {
                    if *object != want_object || !resources.matches_resource(witness) {
                        continue;
                    }
                    let req = Request {
                        caller: None,
                        action: qualified,
                        resource: Some(witness),
                        scenario: &scenario,
                    };
                    if statement.applies(&req) == Truth::False {
                        continue;
                    }
                    if !denies.is_empty() && certainly_denied(denies.iter().copied(), &req) {
                        continue;
                    }
                    grants.push(S3Grant {
                        policy: pi,
                        statement: statement.index,
                        action,
                        witness: witness.clone(),
                        bucket: bucket.clone(),
                    });
                }
            }
        }
    }
    grants
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
