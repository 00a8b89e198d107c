//! The report as one self-contained HTML page for a person: the run at a glance, a picture of
//! access (who can get in -> which connector role -> which buckets, with what access), the
//! findings in a table that sorts and filters, each finding opening to its statement (the
//! offending lines marked), its fix as a diff of the current and the corrected document, and
//! its evidence; then the suppressed and resolved findings, the errors and the roles that
//! passed. PURE: no I/O; the layout of the picture is computed here, deterministically.
//!
//! Safe to open: every text from AWS (role names, tags, policy text, all attacker-influenced)
//! is escaped; the page's Content-Security-Policy allows no request to anywhere (inline style
//! and script only); the script only sorts, filters and shows, and everything is readable
//! without it (`<details>` opens natively).
//!
//! What the report does not hold (each role's current documents and the buckets its policies
//! reach) comes in an [`HtmlContext`], built from the roles' snapshots when the caller has
//! them ([`HtmlContext::from_roles`]); without it the fix shows the corrected document alone
//! and the picture stops at the roles (or at the buckets the probe tried).

use crate::model::{Finding, PolicyRef, Report, RoleSnapshot, Severity};
use crate::policy::s3::Bucket;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What the page shows beyond the report, per role ARN.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlContext {
    pub roles: BTreeMap<String, RoleContext>,
}

/// One role's current documents and reach.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleContext {
    /// The documents as the role has them now, by policy reference (`trust`, `inline:NAME`).
    pub documents: BTreeMap<String, Value>,
    /// The buckets its policies reach (`*` for buckets nobody named) and how.
    pub buckets: BTreeMap<String, BTreeSet<AccessKind>>,
}

/// What a role can do to a bucket, as the picture says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessKind {
    Read,
    Write,
    Delete,
    Admin,
}

impl AccessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Delete => "delete",
            AccessKind::Admin => "admin",
        }
    }
}

/// The bucket that stands for buckets nobody named.
pub const ANY_BUCKET: &str = "*";

impl HtmlContext {
    /// The documents and reach of these roles (those of the inventory the report came from).
    pub fn from_roles<'a>(roles: impl IntoIterator<Item = &'a RoleSnapshot>) -> HtmlContext {
        let mut out = HtmlContext::default();
        for snapshot in roles {
            let view = crate::view::RoleView::new(snapshot);
            let mut ctx = RoleContext::default();
            let mut put = |policy: String, text: &str| {
                if let Some(v) = crate::policy::decode::decode_document(text)
                    .ok()
                    .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                {
                    ctx.documents.insert(policy, v);
                }
            };
            put(PolicyRef::Trust.to_string(), &snapshot.trust);
            for d in &snapshot.inline {
                put(PolicyRef::Inline(d.name.clone()).to_string(), &d.document);
            }
            for d in &snapshot.managed {
                put(PolicyRef::Managed(d.name.clone()).to_string(), &d.document);
            }
            if let Some(b) = &snapshot.boundary {
                put(PolicyRef::Boundary(b.name.clone()).to_string(), &b.document);
            }
            for g in view.permissions.grants() {
                let kind = if g.action.is_bucket_admin() {
                    AccessKind::Admin
                } else if g.action.is_object_delete() {
                    AccessKind::Delete
                } else if g.action.is_object_write() {
                    AccessKind::Write
                } else if g.action.is_data_or_list() {
                    AccessKind::Read
                } else {
                    continue;
                };
                let bucket = match &g.bucket {
                    Bucket::Named(b) if !b.contains(['*', '?']) => b.to_string(),
                    _ => ANY_BUCKET.to_string(),
                };
                ctx.buckets.entry(bucket).or_default().insert(kind);
            }
            out.roles.insert(snapshot.arn.clone(), ctx);
        }
        out
    }
}

/// `text` safe in HTML text and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// The most lines a diff compares with the longest common subsequence (beyond: every old
/// line removed, every new one added).
const DIFF_MAX_LINES: usize = 3_000;

/// A line diff of two texts (longest common subsequence): what a reader of a fix needs.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() > DIFF_MAX_LINES || b.len() > DIFF_MAX_LINES {
        return a
            .iter()
            .map(|l| DiffLine::Removed((*l).to_string()))
            .chain(b.iter().map(|l| DiffLine::Added((*l).to_string())))
            .collect();
    }
    // lcs[i][j]: the common lines of a[i..] and b[j..]
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let v = if a.get(i) == b.get(j) {
                lcs.get(at(i + 1, j + 1)).copied().unwrap_or(0) + 1
            } else {
                let down = lcs.get(at(i + 1, j)).copied().unwrap_or(0);
                let right = lcs.get(at(i, j + 1)).copied().unwrap_or(0);
                down.max(right)
            };
            if let Some(cell) = lcs.get_mut(at(i, j)) {
                *cell = v;
            }
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push(DiffLine::Same((*x).to_string()));
                i += 1;
                j += 1;
            }
            (Some(x), Some(_))
                if lcs.get(at(i + 1, j)).copied().unwrap_or(0)
                    >= lcs.get(at(i, j + 1)).copied().unwrap_or(0) =>
            {
                out.push(DiffLine::Removed((*x).to_string()));
                i += 1;
            }
            (_, Some(y)) => {
                out.push(DiffLine::Added((*y).to_string()));
                j += 1;
            }
            (Some(x), None) => {
                out.push(DiffLine::Removed((*x).to_string()));
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Every string of a JSON value (the evidence's principals, actions, resources ...).
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) if !s.is_empty() => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// The statement a finding points at, in the current document.
fn statement_of(doc: &Value, index: usize) -> Option<&Value> {
    match doc.get("Statement")? {
        Value::Array(items) => items.get(index),
        one @ Value::Object(_) if index == 0 => Some(one),
        _ => None,
    }
}

fn severity_class(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Critical) => "sev-critical",
        Some(Severity::High) => "sev-high",
        Some(Severity::Medium) => "sev-medium",
        Some(Severity::Low) => "sev-low",
        Some(Severity::Info) => "sev-info",
        None => "sev-none",
    }
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 5,
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Info => 1,
    }
}

fn account_of<'a>(f: &'a Finding, report: &'a Report) -> &'a str {
    crate::policy::principal::arn_account(&f.role_arn)
        .or(report.account_id.as_deref())
        .unwrap_or("unknown")
}

/// The page.
pub fn html(report: &Report, ctx: &HtmlContext) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let account = report.account_id.as_deref().unwrap_or("unknown");
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>connector-audit report: account {}</title>\n<style>{CSS}</style>\n</head>\n<body>",
        escape(account)
    );
    glance(&mut out, report);
    picture(&mut out, report, ctx);
    table(&mut out, report, ctx);
    suppressed(&mut out, report);
    resolved(&mut out, report);
    errors(&mut out, report);
    passed(&mut out, report);
    let _ = writeln!(
        out,
        "<footer>connector-audit {} &middot; report schema_version {}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        escape(&report.tool.version),
        report.schema_version
    );
    out
}

fn glance(out: &mut String, report: &Report) {
    let c = &report.summary.findings;
    let _ = write!(
        out,
        "<header><h1>connector-audit report</h1>\n<dl class=\"glance\">\
<dt>Account</dt><dd id=\"account\">{}</dd><dt>Generated</dt><dd id=\"generated\">{}</dd>\
<dt>Source</dt><dd>{}</dd><dt>Roles audited</dt><dd>{}</dd><dt>Complete</dt><dd class=\"{}\">{}</dd></dl>\n\
<ul class=\"counts\">",
        escape(report.account_id.as_deref().unwrap_or("unknown")),
        escape(&report.generated_at),
        match report.source {
            crate::model::Source::File => "file",
            crate::model::Source::Live => "live",
        },
        report.summary.roles_audited,
        if report.complete { "ok" } else { "bad" },
        if report.complete {
            "yes"
        } else {
            "no: see the errors below"
        },
    );
    for (s, n) in [
        (Severity::Critical, c.critical),
        (Severity::High, c.high),
        (Severity::Medium, c.medium),
        (Severity::Low, c.low),
        (Severity::Info, c.info),
    ] {
        let _ = write!(
            out,
            "<li class=\"{}\"><b>{n}</b> {}</li>",
            severity_class(Some(s)),
            s.as_str()
        );
    }
    let _ = writeln!(
        out,
        "<li class=\"sev-none\"><b>{}</b> suppressed</li></ul></header>",
        report.summary.suppressed
    );
}

/// A node of the picture.
struct Node {
    id: String,
    label: String,
    kind: &'static str,
    /// Worst finding through it (roles), for its border.
    worst: Option<Severity>,
}

const COLUMN_X: [u32; 3] = [10, 380, 750];
const NODE_W: u32 = 240;
const NODE_H: u32 = 26;
const ROW_H: u32 = 36;
const TOP: u32 = 40;

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('\u{2026}');
        s
    }
}

fn picture(out: &mut String, report: &Report, ctx: &HtmlContext) {
    let worst_where = |arn: &str, keep: &dyn Fn(&Finding) -> bool| {
        report
            .findings
            .iter()
            .filter(|f| f.is_active() && f.role_arn == arn && keep(f))
            .map(|f| f.severity)
            .max()
    };
    // parties, each once, by label; edges party -> role coloured by the worst trust finding
    let mut parties: BTreeMap<String, Node> = BTreeMap::new();
    let mut buckets: BTreeMap<String, Node> = BTreeMap::new();
    let mut roles: Vec<Node> = Vec::new();
    let mut in_edges: BTreeSet<(String, String, Option<u8>, String)> = BTreeSet::new();
    let mut out_edges: BTreeSet<(String, String, Option<u8>, String)> = BTreeSet::new();
    let mut sorted_roles: Vec<_> = report.roles.iter().collect();
    sorted_roles.sort_by(|a, b| {
        a.role_name
            .cmp(&b.role_name)
            .then(a.role_arn.cmp(&b.role_arn))
    });
    for r in sorted_roles {
        roles.push(Node {
            id: r.role_arn.clone(),
            label: r.role_name.clone(),
            kind: "role",
            worst: worst_where(&r.role_arn, &|_| true),
        });
        let trust_worst = worst_where(&r.role_arn, &|f| f.policy == PolicyRef::Trust);
        for p in &r.trusted_parties {
            let label = p.label();
            parties.entry(label.clone()).or_insert_with(|| Node {
                id: label.clone(),
                label: label.clone(),
                kind: "party",
                worst: None,
            });
            in_edges.insert((
                label,
                r.role_arn.clone(),
                trust_worst.map(severity_rank),
                String::new(),
            ));
        }
        let mut reach: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
        if let Some(rc) = ctx.roles.get(&r.role_arn) {
            for (b, kinds) in &rc.buckets {
                reach
                    .entry(b.clone())
                    .or_default()
                    .extend(kinds.iter().map(|k| k.as_str()));
            }
        } else if let Some(probe) = &r.probe {
            // without the documents: what the probe was allowed
            for c in probe
                .checks
                .iter()
                .filter(|c| c.outcome == crate::model::Outcome::Allowed)
            {
                let kind = match c.action {
                    crate::model::ProbeAction::DeleteObject => "delete",
                    _ => "read",
                };
                reach.entry(c.bucket.clone()).or_default().insert(kind);
            }
        }
        for (b, kinds) in reach {
            buckets.entry(b.clone()).or_insert_with(|| Node {
                id: b.clone(),
                label: if b == ANY_BUCKET {
                    "any bucket (*)".to_string()
                } else {
                    b.clone()
                },
                kind: "bucket",
                worst: None,
            });
            let worst = worst_where(&r.role_arn, &|f| {
                f.policy != PolicyRef::Trust
                    && (b == ANY_BUCKET || f.evidence.to_string().contains(&b))
            });
            out_edges.insert((
                r.role_arn.clone(),
                b,
                worst.map(severity_rank),
                kinds.into_iter().collect::<Vec<_>>().join(", "),
            ));
        }
    }
    // each party and bucket beside the roles it is joined to (the mean of their rows, then
    // the name): fewer crossings, the same picture for the same report
    let row_of: BTreeMap<&str, usize> = roles
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let place = |nodes: BTreeMap<String, Node>, rows: &dyn Fn(&str) -> Vec<usize>| {
        let mut placed: Vec<(usize, Node)> = nodes
            .into_values()
            .map(|n| {
                let r = rows(&n.id);
                let mean = r.iter().sum::<usize>() * 1000 / r.len().max(1);
                (mean, n)
            })
            .collect();
        placed.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.label.cmp(&y.label)));
        placed.into_iter().map(|(_, n)| n).collect::<Vec<Node>>()
    };
    let parties = place(parties, &|id: &str| {
        in_edges
            .iter()
            .filter(|e| e.0 == id)
            .filter_map(|e| row_of.get(e.1.as_str()).copied())
            .collect()
    });
    let buckets = place(buckets, &|id: &str| {
        out_edges
            .iter()
            .filter(|e| e.1 == id)
            .filter_map(|e| row_of.get(e.0.as_str()).copied())
            .collect()
    });
    let rows = parties.len().max(roles.len()).max(buckets.len()).max(1) as u32;
    let height = TOP + rows * ROW_H + 10;
    let y_of = |nodes: &[Node], id: &str| -> Option<u32> {
        nodes
            .iter()
            .position(|n| n.id == id)
            .map(|i| TOP + i as u32 * ROW_H + NODE_H / 2)
    };
    let _ = writeln!(
        out,
        "<section id=\"access\"><h2>Who can get in, and to what</h2>\n\
<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 {height}\" width=\"1000\" height=\"{height}\" role=\"img\" aria-label=\"trusted parties, connector roles and buckets\">\n\
<text x=\"{}\" y=\"20\" class=\"col\">Who can get in</text><text x=\"{}\" y=\"20\" class=\"col\">Connector role</text><text x=\"{}\" y=\"20\" class=\"col\">Buckets (access)</text>",
        COLUMN_X[0], COLUMN_X[1], COLUMN_X[2]
    );
    let rank_class = |r: Option<u8>| match r {
        Some(5) => "sev-critical",
        Some(4) => "sev-high",
        Some(3) => "sev-medium",
        Some(2) => "sev-low",
        Some(_) => "sev-info",
        None => "sev-none",
    };
    let edge = |out: &mut String,
                x1: u32,
                y1: u32,
                x2: u32,
                y2: u32,
                class: &str,
                tip: &str,
                label: &str| {
        let mid = (x1 + x2) / 2;
        let _ = write!(
            out,
            "<path class=\"edge {class}\" d=\"M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}\"><title>{}</title></path>",
            escape(tip)
        );
        if !label.is_empty() {
            let _ = write!(
                out,
                "<text class=\"access\" x=\"{mid}\" y=\"{}\">{}</text>",
                (y1 + y2) / 2 - 3,
                escape(label)
            );
        }
        out.push('\n');
    };
    for (from, to, rank, _) in &in_edges {
        if let (Some(y1), Some(y2)) = (y_of(&parties, from), y_of(&roles, to)) {
            edge(
                out,
                COLUMN_X[0] + NODE_W,
                y1,
                COLUMN_X[1],
                y2,
                rank_class(*rank),
                &format!("{from} can assume {to}"),
                "",
            );
        }
    }
    for (from, to, rank, access) in &out_edges {
        if let (Some(y1), Some(y2)) = (y_of(&roles, from), y_of(&buckets, to)) {
            edge(
                out,
                COLUMN_X[1] + NODE_W,
                y1,
                COLUMN_X[2],
                y2,
                rank_class(*rank),
                &format!("{from} -> {to}: {access}"),
                access,
            );
        }
    }
    for (col, nodes) in [(0, &parties), (1, &roles), (2, &buckets)] {
        let x = COLUMN_X.get(col).copied().unwrap_or(0);
        for (i, n) in nodes.iter().enumerate() {
            let y = TOP + i as u32 * ROW_H;
            let _ = writeln!(
                out,
                "<g class=\"node {} {}\" data-kind=\"{}\" data-id=\"{}\"><title>{}</title>\
<rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"5\"></rect>\
<text x=\"{}\" y=\"{}\">{}</text></g>",
                n.kind,
                severity_class(n.worst),
                n.kind,
                escape(&n.id),
                escape(&n.id),
                x + 8,
                y + 17,
                escape(&short(&n.label, 34))
            );
        }
    }
    out.push_str(
        "</svg>\n<p class=\"legend\">Edges are coloured by the worst active finding on the way: \
<span class=\"sev-critical\">critical</span> <span class=\"sev-high\">high</span> \
<span class=\"sev-medium\">medium</span> <span class=\"sev-low\">low</span> \
<span class=\"sev-none\">none</span>.</p></section>\n",
    );
}

fn table(out: &mut String, report: &Report, ctx: &HtmlContext) {
    let mut rules = BTreeSet::new();
    let mut role_names = BTreeSet::new();
    let mut accounts = BTreeSet::new();
    for f in &report.findings {
        rules.insert(f.rule.as_str());
        role_names.insert(f.role_name.as_str());
        accounts.insert(account_of(f, report));
    }
    out.push_str("<section id=\"findings\"><h2>Findings</h2>\n<form id=\"filters\" hidden>");
    let select = |out: &mut String, name: &str, values: Vec<&str>| {
        let _ = write!(
            out,
            "<label>{name} <select name=\"{name}\" data-filter=\"{name}\"><option value=\"\">all</option>"
        );
        for v in values {
            let _ = write!(out, "<option value=\"{0}\">{0}</option>", escape(v));
        }
        out.push_str("</select></label> ");
    };
    select(
        out,
        "severity",
        Severity::ALL.iter().map(|s| s.as_str()).collect(),
    );
    select(out, "rule", rules.into_iter().collect());
    select(out, "role", role_names.into_iter().collect());
    select(out, "account", accounts.into_iter().collect());
    let _ = writeln!(
        out,
        "<span id=\"shown\"></span></form>\n<table id=\"findings-table\">\n<thead><tr>\
<th data-sort=\"severity\">Severity</th><th data-sort=\"rule\">Rule</th><th data-sort=\"role\">Role</th>\
<th data-sort=\"account\">Account</th><th>Policy</th><th>Finding</th></tr></thead>\n<tbody>"
    );
    for f in &report.findings {
        row(out, report, f, ctx);
    }
    out.push_str("</tbody></table>\n");
    if report.findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
    }
    out.push_str("</section>\n");
}

fn row(out: &mut String, report: &Report, f: &Finding, ctx: &HtmlContext) {
    let account = account_of(f, report);
    let place = match &f.statement {
        Some(s) => format!(
            "{} #{}{}",
            f.policy,
            s.index,
            s.sid
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default()
        ),
        None => f.policy.to_string(),
    };
    let state = match (&f.suppressed, f.status) {
        (Some(_), _) => " <span class=\"tag\">suppressed</span>",
        (None, Some(crate::model::FindingStatus::New)) => " <span class=\"tag\">new</span>",
        _ => "",
    };
    let _ = writeln!(
        out,
        "<tr class=\"finding {}{}\" data-severity=\"{}\" data-rank=\"{}\" data-rule=\"{}\" data-role=\"{}\" data-account=\"{}\" id=\"f-{}\">\
<td class=\"sev\">{}{state}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><details><summary>{}</summary>",
        severity_class(Some(f.severity)),
        if f.is_active() { "" } else { " suppressed" },
        f.severity.as_str(),
        severity_rank(f.severity),
        escape(&f.rule),
        escape(&f.role_name),
        escape(account),
        escape(&f.id),
        f.severity.as_str(),
        escape(&f.rule),
        escape(&f.role_name),
        escape(account),
        escape(&place),
        escape(&f.message),
    );
    let trusted = report.trusted_by(&f.role_arn);
    if !trusted.is_empty() {
        let _ = writeln!(
            out,
            "<p><b>Trusted by:</b> {}</p>",
            escape(&trusted.join(", "))
        );
    }
    let current = ctx
        .roles
        .get(&f.role_arn)
        .and_then(|r| r.documents.get(&f.policy.to_string()));
    // the statement, with the lines that quote the evidence marked
    if let (Some(doc), Some(s)) = (current, &f.statement)
        && let Some(st) = statement_of(doc, s.index)
    {
        let mut quoted = BTreeSet::new();
        strings(&f.evidence.value(), &mut quoted);
        let _ = write!(
            out,
            "<h4>Statement {} of {}</h4><pre class=\"statement\">",
            s.index,
            escape(&f.policy.to_string())
        );
        for line in pretty(st).lines() {
            let hit = quoted
                .iter()
                .any(|q| line.contains(&serde_json::to_string(q).unwrap_or_default()));
            if hit {
                let _ = writeln!(out, "<mark>{}</mark>", escape(line));
            } else {
                let _ = writeln!(out, "{}", escape(line));
            }
        }
        out.push_str("</pre>\n");
    }
    let _ = writeln!(out, "<p><b>Fix:</b> {}</p>", escape(&f.remediation));
    if let Some(fix) = &f.fix {
        let _ = write!(
            out,
            "<h4>Corrected {}</h4><pre class=\"diff\">",
            escape(&fix.policy.to_string())
        );
        let fixed = pretty(&fix.document.value());
        match ctx
            .roles
            .get(&f.role_arn)
            .and_then(|r| r.documents.get(&fix.policy.to_string()))
        {
            Some(now) => {
                for l in diff_lines(&pretty(now), &fixed) {
                    let _ = match l {
                        DiffLine::Same(t) => {
                            writeln!(out, "<span class=\"same\">  {}</span>", escape(&t))
                        }
                        DiffLine::Removed(t) => writeln!(out, "<del>- {}</del>", escape(&t)),
                        DiffLine::Added(t) => writeln!(out, "<ins>+ {}</ins>", escape(&t)),
                    };
                }
            }
            None => {
                let _ = writeln!(out, "{}", escape(&fixed));
            }
        }
        out.push_str("</pre>\n");
        if !fix.placeholders.is_empty() {
            out.push_str("<ul class=\"placeholders\">");
            for p in &fix.placeholders {
                let _ = write!(
                    out,
                    "<li><code>{}</code>: {} ({})</li>",
                    escape(&p.token),
                    escape(&p.what),
                    escape(&p.find)
                );
            }
            out.push_str("</ul>\n");
        }
    }
    if !f.evidence.is_null() {
        let _ = writeln!(
            out,
            "<h4>Evidence</h4><pre class=\"evidence\">{}</pre>",
            escape(&pretty(&f.evidence.value()))
        );
    }
    let _ = writeln!(
        out,
        "<p class=\"id\">finding id <code>{}</code> &middot; <code>connector-audit rules {}</code></p></details></td></tr>",
        escape(&f.id),
        escape(&f.rule)
    );
}

/// A section of the page that lists items (each an `<li>` already written): its heading with
/// their count, then the items, or the sentence `none` when there are none.
fn list_section(out: &mut String, id: &str, title: &str, items: &[String], none: &str) {
    let _ = writeln!(
        out,
        "<section id=\"{id}\"><h2>{title} ({})</h2>",
        items.len()
    );
    if items.is_empty() {
        let _ = writeln!(out, "<p>{none}</p>");
    } else {
        out.push_str("<ul>");
        for item in items {
            out.push_str(item);
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn suppressed(out: &mut String, report: &Report) {
    let items: Vec<String> = report
        .findings
        .iter()
        .filter_map(|f| f.suppressed.as_ref().map(|s| (f, s)))
        .map(|(f, s)| {
            format!(
                "<li><a href=\"#f-{}\">{} on {}</a>: {}</li>",
                escape(&f.id),
                escape(&f.rule),
                escape(&f.role_name),
                escape(&super::suppression(s))
            )
        })
        .collect();
    list_section(out, "suppressed", "Suppressed", &items, "None.");
}

fn resolved(out: &mut String, report: &Report) {
    let items: Vec<String> = report
        .summary
        .changes
        .iter()
        .flat_map(|c| c.resolved.iter())
        .map(|r| {
            format!(
                "<li class=\"{}\">{} {} on {}</li>",
                severity_class(Some(r.severity)),
                r.severity.as_str(),
                escape(&r.rule),
                escape(&r.role_name)
            )
        })
        .collect();
    let none = match report.summary.changes {
        None => "No previous report was compared.",
        Some(_) => "None.",
    };
    list_section(
        out,
        "resolved",
        "Resolved since the previous report",
        &items,
        none,
    );
}

fn errors(out: &mut String, report: &Report) {
    let items: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("<li>{}</li>", escape(&e.to_string())))
        .collect();
    list_section(
        out,
        "errors",
        "Errors",
        &items,
        "None: every connector role was audited in full.",
    );
}

fn passed(out: &mut String, report: &Report) {
    let failing: BTreeSet<&str> = report
        .findings
        .iter()
        .filter(|f| f.is_active())
        .map(|f| f.role_arn.as_str())
        .collect();
    let with_errors: BTreeSet<&str> = report
        .errors
        .iter()
        .filter_map(|e| e.role_name.as_deref())
        .collect();
    let items: Vec<String> = report
        .roles
        .iter()
        .filter(|r| {
            !failing.contains(r.role_arn.as_str()) && !with_errors.contains(r.role_name.as_str())
        })
        .map(|r| {
            format!(
                "<li>{}{}</li>",
                escape(&r.role_name),
                r.connector
                    .as_deref()
                    .map(|c| format!(" ({})", escape(c)))
                    .unwrap_or_default()
            )
        })
        .collect();
    list_section(out, "passed", "Roles that passed", &items, "None.");
}

const CSS: &str = r##"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde}h4{margin:10px 0 4px}
.glance{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}.glance dt{font-weight:600}.glance dd{margin:0}
.ok{color:#17603a}.bad{color:#a4161a;font-weight:600}
.counts{list-style:none;padding:0;display:flex;gap:8px;flex-wrap:wrap}.counts li{padding:4px 10px;border-radius:12px;background:#f2f3f7}
.sev-critical{--c:#a4161a}.sev-high{--c:#e85d04}.sev-medium{--c:#d4a017}.sev-low{--c:#3a86ff}.sev-info{--c:#6c757d}.sev-none{--c:#9aa0ad}
.counts li,.legend span{border-left:6px solid var(--c)}.legend span{padding:0 6px;margin-right:4px}
svg{max-width:100%;height:auto;background:#fbfbfd;border:1px solid #e4e6ee}
svg .col{font-weight:600;font-size:13px;fill:#1d2330}
svg .node rect{fill:#fff;stroke:var(--c);stroke-width:2}svg .node.party rect{fill:#eef4ff}svg .node.bucket rect{fill:#f1faf3}
svg .node text{font-size:12px;fill:#1d2330}svg .edge{fill:none;stroke:var(--c);stroke-width:2.5;opacity:.85}
svg .access{font-size:10px;fill:#3b4252;text-anchor:middle;paint-order:stroke;stroke:#fbfbfd;stroke-width:3px}
table{border-collapse:collapse;width:100%;table-layout:fixed}th:nth-child(1){width:8%}th:nth-child(2){width:14%}th:nth-child(3){width:12%}th:nth-child(4){width:9%}th:nth-child(5){width:12%}
td{overflow-wrap:anywhere}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #e4e6ee}
th[data-sort]{cursor:pointer;user-select:none}th[data-sort]:after{content:" \2195";color:#9aa0ad}
td.sev{border-left:6px solid var(--c);font-weight:600;white-space:nowrap}tr.suppressed{opacity:.65}
.tag{font-weight:400;font-size:11px;background:#eef;border-radius:8px;padding:0 6px}
summary{cursor:pointer}pre{background:#f6f7fa;padding:8px;overflow:auto;max-height:480px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}
mark{background:#ffe08a}del{background:#ffe3e3;color:#8b1c1c;text-decoration:none;display:block}ins{background:#dcf5e3;color:#135c2e;text-decoration:none;display:block}
.same{display:block;color:#4a5060}#filters{margin:8px 0}#filters label{margin-right:10px}footer{margin-top:32px;color:#6c757d;font-size:12px}
"##;

/// Sorting and filtering; nothing else. No request, no storage, no `eval`.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var body = document.querySelector("#findings-table tbody");
  if (!form || !body) { return; }
  form.hidden = false;
  var rows = Array.prototype.slice.call(body.querySelectorAll("tr.finding"));
  var shown = document.getElementById("shown");
  function apply() {
    var wanted = {};
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
      wanted[s.getAttribute("data-filter")] = s.value;
    });
    var n = 0;
    rows.forEach(function (r) {
      var ok = Object.keys(wanted).every(function (k) {
        return !wanted[k] || r.getAttribute("data-" + k) === wanted[k];
      });
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }
  form.addEventListener("change", apply);
  var order = {};
  Array.prototype.forEach.call(document.querySelectorAll("#findings-table th[data-sort]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      var attr = key === "severity" ? "data-rank" : "data-" + key;
      var dir = order[key] = -(order[key] || (key === "severity" ? 1 : -1));
      rows.sort(function (a, b) {
        var x = a.getAttribute(attr), y = b.getAttribute(attr);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  apply();
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing::{finding, report};
    use serde_json::json;

    #[test]
    fn everything_from_aws_is_escaped() {
        let evil = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>";
        let mut f = finding("trust-any-principal", Severity::Critical, evil);
        f.message = format!("message {evil}");
        f.evidence = json!({"principals": [evil]}).into();
        let mut r = report(vec![f], vec![]);
        r.roles = vec![crate::model::RoleEntry {
            role_name: evil.into(),
            role_arn: format!("arn:aws:iam::123456789012:role/{evil}"),
            connector: Some(evil.into()),
            access: None,
            trusted_parties: vec![],
            probe: None,
            limited_by: vec![],
        }];
        let page = html(&r, &HtmlContext::default());
        assert!(!page.contains("<script>alert"), "unescaped script");
        assert!(!page.contains("<img"), "unescaped tag");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // exactly the page's own script
        assert_eq!(page.matches("<script>").count(), 1);
        assert!(!page.contains("http://") || !page.contains("src=\"http"));
    }

    #[test]
    fn a_row_per_finding_and_a_node_per_role_and_party() {
        let mut r = report(
            vec![
                finding("trust-any-principal", Severity::Critical, "a"),
                finding("s3-wildcard-bucket", Severity::High, "b"),
            ],
            vec![],
        );
        r.roles = ["a", "b", "c"]
            .iter()
            .map(|n| crate::model::RoleEntry {
                role_name: (*n).into(),
                role_arn: format!("arn:aws:iam::123456789012:role/{n}"),
                connector: None,
                access: None,
                trusted_parties: vec![],
                probe: None,
                limited_by: vec![],
            })
            .collect();
        let page = html(&r, &HtmlContext::default());
        assert_eq!(page.matches("<tr class=\"finding").count(), 2);
        assert_eq!(page.matches("data-kind=\"role\"").count(), 3);
        assert!(page.contains("Roles that passed (1)"));
        // deterministic
        assert_eq!(page, html(&r, &HtmlContext::default()));
    }

    #[test]
    fn the_list_sections_count_and_list_their_items() {
        use crate::model::{
            Changes, ErrorCode, ErrorEntry, Operation, ResolvedFinding, Suppressed,
        };
        let mut kept = finding("s3-unused-delete", Severity::Medium, "kept");
        kept.suppressed = Some(Suppressed {
            by: "tag".into(),
            reason: Some("vendor <tests>".into()),
            until: Some("2027-01-01".into()),
        });
        let error = ErrorEntry::new(Operation::ReadTags, ErrorCode::AccessDenied, "denied")
            .role("broken".to_string());
        let mut r = report(
            vec![
                kept,
                finding("trust-any-principal", Severity::Critical, "open"),
            ],
            vec![error],
        );
        // no previous report: the resolved section says so
        let page = html(&r, &HtmlContext::default());
        assert!(
            page.contains(
                "<section id=\"suppressed\"><h2>Suppressed (1)</h2>\n<ul><li><a href=\"#f-"
            )
        );
        assert!(page.contains(
            "s3-unused-delete on kept</a>: suppressed until 2027-01-01 by tag (vendor &lt;tests&gt;)</li></ul>"
        ));
        assert!(page.contains("<h2>Resolved since the previous report (0)</h2>\n<p>No previous report was compared.</p>"));
        assert!(page.contains("<section id=\"errors\"><h2>Errors (1)</h2>\n<ul><li>"));
        assert!(page.contains("<h2>Roles that passed (0)</h2>\n<p>None.</p>"));
        // compared with a previous report that had one more finding
        r.summary.changes = Some(Changes {
            previous_report: None,
            previous_generated_at: None,
            new: 0,
            known: 2,
            resolved: vec![ResolvedFinding {
                id: "0123".into(),
                rule: "s3-bucket-admin".into(),
                severity: Severity::High,
                role_name: "fixed".into(),
                role_arn: "arn:aws:iam::123456789012:role/fixed".into(),
                first_seen: None,
            }],
        });
        r.errors.clear();
        let page = html(&r, &HtmlContext::default());
        assert!(page.contains("<h2>Resolved since the previous report (1)</h2>\n<ul><li class=\"sev-high\">high s3-bucket-admin on fixed</li></ul>"));
        assert!(page.contains(
            "<h2>Errors (0)</h2>\n<p>None: every connector role was audited in full.</p>"
        ));
    }

    #[test]
    fn the_diff_marks_what_changed() {
        let d = diff_lines("a\nb\nc\n", "a\nx\nc\nd\n");
        assert_eq!(
            d,
            vec![
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("x".into()),
                DiffLine::Same("c".into()),
                DiffLine::Added("d".into()),
            ]
        );
        assert!(diff_lines("", "").is_empty());
    }

    #[test]
    fn the_fix_is_a_diff_of_the_current_document() {
        let mut f = finding("trust-missing-external-id", Severity::High, "a");
        let current = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]});
        let mut fixed = current.clone();
        fixed["Statement"][0]["Condition"] =
            json!({"StringEquals": {"sts:ExternalId": "<VENDOR_EXTERNAL_ID>"}});
        f.fix = Some(crate::model::Fix {
            policy: PolicyRef::Trust,
            document: fixed.into(),
            placeholders: vec![],
        });
        f.evidence = json!({"principals": ["arn:aws:iam::111122223333:root"]}).into();
        let r = report(vec![f.clone()], vec![]);
        let mut ctx = HtmlContext::default();
        ctx.roles.insert(
            f.role_arn.clone(),
            RoleContext {
                documents: BTreeMap::from([("trust".to_string(), current)]),
                buckets: BTreeMap::new(),
            },
        );
        let page = html(&r, &ctx);
        assert!(page.contains("<ins>+"), "{page}");
        assert!(page.contains("sts:ExternalId"));
        assert!(page.contains("<mark>"));
    }
}
