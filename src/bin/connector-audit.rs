//! The `connector-audit` CLI: a thin shell over the library. Parses flags, reads the input
//! (a dump, or IAM itself), prints the report, and turns the outcome into an exit code:
//! 0 nothing at or above `--fail-on`, 1 findings at or above it, 2 usage, input or AWS error,
//! 3 the audit is incomplete (some role or document was not audited: see the report's
//! `errors`); 3 wins over 0 and 1, since findings may be missing.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use connector_audit::app::settings::{RetrySettings, TimeoutSettings};
use connector_audit::app::{Run, RunError, Scope, Settings};
use connector_audit::audit::{AuditOptions, Evidence, audit_with, now_rfc3339};
use connector_audit::aws::{Clients, services};
use connector_audit::dump::parse_dump;
use connector_audit::model::{AccountId, RoleName};
use connector_audit::model::{Guardrails, Report, Severity, Source};
use connector_audit::notify::PublishMode;
use connector_audit::probe::ProbeOptions;
use connector_audit::render;
use connector_audit::render::html::HtmlContext;
use connector_audit::render::sarif::SarifOptions;
use connector_audit::rules::registry::{RULES, find};
use connector_audit::suppress::SuppressionSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "connector-audit",
    version,
    about = "Audit the IAM roles handed to third-party S3 connectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Audit the connector roles of an `aws iam get-account-authorization-details` dump.
    Check {
        /// The dump file (JSON as the AWS CLI prints it; `-` for standard input).
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// A previous JSON report to compare with: findings are marked `new` or `known`, and
        /// the summary lists the resolved ones.
        #[arg(long, value_name = "REPORT")]
        baseline: Option<PathBuf>,
        /// The organization's service and resource control policies over the dump's account,
        /// root first (`{"scps": [{"target", "policies": [{"name", "document"}]}], "rcps":
        /// [...]}`, as an organization-wide audit reads them): applied to the roles' access.
        #[arg(long, value_name = "FILE")]
        guardrails: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Audit the connector roles of the account your AWS credentials reach (the same code path
    /// as the Lambda function; `AWS_ENDPOINT_URL` is honoured).
    Audit(Box<AuditArgs>),
    /// Print a saved JSON report (from `check`, `audit` or the Lambda function) as a table,
    /// JSON, SARIF, OCSF or an HTML page.
    Render {
        /// The report file (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        report: PathBuf,
        /// Output format (default: table on a terminal, json otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Exit 1 when a finding is at or above this severity.
        #[arg(long, default_value = "high", value_name = "SEVERITY", value_parser = parse_severity)]
        fail_on: Severity,
        /// Write the report's corrected documents here, with `apply.sh` (nothing is applied).
        #[arg(long, value_name = "DIR")]
        fixes: Option<PathBuf>,
    },
    /// List the rules, or print one rule's documentation.
    Rules {
        /// A rule id, e.g. `trust-missing-external-id`.
        id: Option<String>,
    },
}

/// `audit`'s flags: how the run's [`Settings`] are spelt on the command line.
#[derive(clap::Args)]
struct AuditArgs {
    #[command(flatten)]
    common: Common,
    /// Publish the findings and a summary to this SNS topic.
    #[arg(long, value_name = "TOPIC_ARN")]
    publish: Option<String>,
    /// Read S3 delete events from this CloudTrail trail bucket (usage evidence).
    #[arg(long, value_name = "BUCKET")]
    cloudtrail_bucket: Option<String>,
    /// The trail's S3 key prefix, if it has one.
    #[arg(long, value_name = "PREFIX", requires = "cloudtrail_bucket")]
    cloudtrail_prefix: Option<String>,
    /// Write the report to this bucket (`reports/YYYY/MM/DD/<run-id>.json`, and its HTML page
    /// beside it) before publishing.
    #[arg(long, value_name = "BUCKET")]
    report_bucket: Option<String>,
    /// Import the findings into Security Hub (the account's default product), archiving those
    /// resolved since the previous run.
    #[arg(long)]
    security_hub: bool,
    /// Lowest severity published with --publish.
    #[arg(long, default_value = "medium", value_name = "SEVERITY", value_parser = parse_severity)]
    publish_min_severity: Severity,
    /// `all`: publish every finding; `new`: only findings not in the previous report
    /// (read from --report-bucket), plus the summary.
    #[arg(long, default_value = "all", value_name = "MODE", value_parser = parse_publish_mode)]
    publish_mode: PublishMode,
    /// AWS region (default: the credential chain's).
    #[arg(long)]
    region: Option<String>,
    /// Named profile from the AWS config files.
    #[arg(long)]
    profile: Option<String>,
    /// Attempts per AWS call, throttling and 5xx included (default: AWS_MAX_ATTEMPTS, else 5).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_attempts: Option<u32>,
    /// Retry mode (default: AWS_RETRY_MODE, else adaptive).
    #[arg(long, value_enum)]
    retry_mode: Option<RetryMode>,
    #[command(flatten)]
    probe: ProbeArgs,
    #[command(flatten)]
    org: OrgArgs,
}

impl AuditArgs {
    /// The run's settings, from the flags (and `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`, the
    /// `AWS_*_TIMEOUT_SECONDS` variables,
    /// `ORG_AUDIT_ROLE_NAME` for what the flags leave unsaid); the options shared with `check`
    /// are checked as there. The central suppressions file is read here, so that a bad one
    /// stops the run before it starts.
    fn settings(&self) -> anyhow::Result<(Settings, SuppressionSet)> {
        let mut retry = RetrySettings::from_env(|k| std::env::var(k).ok())?;
        if let Some(n) = self.max_attempts {
            retry.max_attempts = n;
        }
        if let Some(mode) = self.retry_mode {
            retry.adaptive = matches!(mode, RetryMode::Adaptive);
        }
        let options = self.common.options()?;
        let settings = Settings {
            trusted_accounts: options
                .trusted_accounts
                .iter()
                .map(|a| AccountId::parse(a))
                .collect::<Result<_, _>>()?,
            tag_key: options.tag_key,
            tag_value: options.tag_value,
            roles: options.roles,
            publish: self.publish.is_some(),
            topic_arn: self.publish.clone(),
            min_severity: self.publish_min_severity,
            publish_mode: self.publish_mode,
            probe: self.probe.probe,
            probe_options: self.probe.options()?.unwrap_or_default(),
            time_budget: self.probe.budget()?,
            report_bucket: self.report_bucket.clone(),
            security_hub: self.security_hub,
            usage: self.cloudtrail_bucket.clone().map(|bucket| {
                connector_audit::usage::UsageOptions {
                    bucket,
                    prefix: self.cloudtrail_prefix.clone(),
                    lookback_days: self
                        .common
                        .lookback_days
                        .unwrap_or(connector_audit::usage::DEFAULT_LOOKBACK_DAYS),
                }
            }),
            lookback_days: self.common.lookback_days,
            org_role_name: self.org.role()?,
            org_concurrency: self.org.org_concurrency,
            retry,
            timeouts: TimeoutSettings::from_env(|k| std::env::var(k).ok())?,
            ..Settings::default()
        };
        Ok((settings, options.suppressions))
    }
}

#[derive(clap::Args)]
struct Common {
    /// Roles carrying this tag key are connector roles.
    #[arg(long, default_value = "connector", value_name = "KEY")]
    tag_key: String,
    /// Only roles whose tag has this value.
    #[arg(long, value_name = "VALUE")]
    tag_value: Option<String>,
    /// An account of your own whose principals need no external id (repeatable).
    #[arg(long = "trusted-account", value_name = "ID")]
    trusted_accounts: Vec<String>,
    /// Only these roles (names or ARNs; they must still carry the tag).
    #[arg(long, num_args = 1.., value_name = "NAME")]
    roles: Vec<String>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Severity,
    /// The usage window, in days: roles not used within it get `role-unused`, and the trail
    /// (with --cloudtrail-bucket) is read over it [default with a trail: 90].
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    lookback_days: Option<u32>,
    /// A central suppressions file (JSON: `{"suppressions": [{"rule", "role", "account",
    /// "until", "reason"}]}`); role tags `connector-audit-ignore` are always read.
    #[arg(long, value_name = "FILE")]
    suppressions: Option<PathBuf>,
    /// Write each finding's corrected document here (one file per document) with `apply.sh`,
    /// the AWS CLI commands that would apply them; nothing is applied.
    #[arg(long, value_name = "DIR")]
    fixes: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ProbeArgs {
    /// Probe effective access with each role's own credentials (sts:AssumeRole with a session
    /// policy confined to `connector-audit-probe/` keys; never writes).
    #[arg(long)]
    probe: bool,
    /// A bucket of yours that no connector should reach; probed for every role.
    #[arg(long, value_name = "BUCKET", requires = "probe")]
    probe_canary: Option<String>,
    /// Skip the DeleteObject check (on a versioned bucket it leaves a delete marker under
    /// `connector-audit-probe/`).
    #[arg(long, requires = "probe")]
    probe_no_delete: bool,
    /// Roles probed at once.
    #[arg(long, default_value_t = connector_audit::probe::DEFAULT_CONCURRENCY, value_name = "N", requires = "probe")]
    probe_concurrency: usize,
    /// Stop starting probes after this many seconds; roles not probed are listed.
    #[arg(long, value_name = "SECONDS", requires = "probe")]
    probe_budget: Option<f64>,
}

impl ProbeArgs {
    fn options(&self) -> anyhow::Result<Option<ProbeOptions>> {
        if !self.probe {
            return Ok(None);
        }
        let options = ProbeOptions {
            canary_bucket: self.probe_canary.clone(),
            delete: !self.probe_no_delete,
            concurrency: self.probe_concurrency,
        };
        options.validate()?;
        Ok(Some(options))
    }

    fn budget(&self) -> anyhow::Result<Option<std::time::Duration>> {
        self.probe_budget
            .map(|s| {
                std::time::Duration::try_from_secs_f64(s)
                    .map_err(|_| anyhow::anyhow!("--probe-budget `{s}` is not a number of seconds"))
            })
            .transpose()
    }
}

#[derive(clap::Args)]
struct OrgArgs {
    /// Audit every active account of the organization (Organizations ListAccounts; run it with
    /// the management account's credentials, or a delegated administrator's), each through the
    /// role --org-role in it, into one report with a section per account.
    #[arg(long, conflicts_with = "roles")]
    org: bool,
    /// The role assumed in each member account [default: ORG_AUDIT_ROLE_NAME, else
    /// ConnectorAuditRole]. Your own account is audited with your credentials.
    #[arg(long, value_name = "NAME", requires = "org")]
    org_role: Option<String>,
    /// Accounts audited at once.
    #[arg(long, value_name = "N", default_value_t = connector_audit::org::DEFAULT_CONCURRENCY,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=32), requires = "org")]
    org_concurrency: usize,
}

impl OrgArgs {
    /// The org role's name, when auditing the organization.
    fn role(&self) -> anyhow::Result<Option<RoleName>> {
        if !self.org {
            return Ok(None);
        }
        let role = self
            .org_role
            .clone()
            .or_else(|| {
                std::env::var("ORG_AUDIT_ROLE_NAME")
                    .ok()
                    .filter(|r| !r.trim().is_empty())
            })
            .unwrap_or_else(|| connector_audit::org::DEFAULT_ROLE_NAME.to_string());
        Ok(Some(RoleName::parse(&role)?))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum RetryMode {
    Adaptive,
    Standard,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The JSON report (schema_version 1).
    Json,
    /// A table for a terminal.
    Table,
    /// One screen: a line per finding, the roles that passed, the counts (the demo's view).
    Brief,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// OCSF Detection Findings, one JSON object per line.
    Ocsf,
    /// One self-contained HTML page (no request to any network; readable without script).
    Html,
}

fn parse_publish_mode(s: &str) -> Result<PublishMode, String> {
    s.parse()
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

impl Common {
    fn options(&self) -> anyhow::Result<AuditOptions> {
        let options = AuditOptions {
            tag_key: self.tag_key.clone(),
            tag_value: self.tag_value.clone(),
            trusted_accounts: self.trusted_accounts.clone(),
            roles: self.roles.clone(),
            suppressions: match &self.suppressions {
                None => SuppressionSet::default(),
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read `{}`", path.display()))?;
                    SuppressionSet::parse(&text, &path.display().to_string())?
                }
            },
            ..AuditOptions::default()
        };
        options.validate()?;
        Ok(options)
    }

    fn format(&self) -> Format {
        self.format.unwrap_or(if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.quiet && std::io::stderr().is_terminal() {
        bar::install();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("connector-audit: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Rules { id: None } => {
            let mut out = String::new();
            for r in RULES {
                out.push_str(&format!(
                    "{:<28} {:<9} {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.title
                ));
            }
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { id: Some(id) } => {
            let rule = find(&id).with_context(|| {
                format!("unknown rule `{id}` (run `connector-audit rules` for the list)")
            })?;
            print(&format!(
                "{} ({})\n{}\n\n{}\n",
                rule.id, rule.severity, rule.title, rule.doc
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Render {
            report,
            format,
            fail_on,
            fixes,
        } => {
            let text = read_input(&report)?;
            let parsed: Report = serde_json::from_str(&text).with_context(|| {
                format!("`{}` is not a connector-audit report", report.display())
            })?;
            let common = Common {
                tag_key: String::new(),
                tag_value: None,
                trusted_accounts: vec![],
                roles: vec![],
                lookback_days: None,
                suppressions: None,
                fixes,
                format,
                fail_on,
            };
            emit(
                &parsed,
                &common,
                &SarifOptions::default(),
                &HtmlContext::default(),
            )
        }
        Command::Check {
            input,
            baseline,
            guardrails,
            common,
        } => check(&input, baseline.as_deref(), guardrails.as_deref(), &common),
        Command::Audit(args) => audit(*args),
    }
}

/// `check`: a dump audited offline by the pure core, compared with a previous report when
/// given, then the report.
fn check(
    input: &std::path::Path,
    baseline: Option<&std::path::Path>,
    guardrails: Option<&std::path::Path>,
    common: &Common,
) -> anyhow::Result<ExitCode> {
    let text = read_input(input)?;
    let inventory = parse_dump(&text).with_context(|| format!("`{}`", input.display()))?;
    let options = common.options()?;
    let previous = baseline
        .map(|path| -> anyhow::Result<(Report, String)> {
            let text = read_input(path)?;
            let report = serde_json::from_str(&text)
                .with_context(|| format!("`{}` is not a connector-audit report", path.display()))?;
            Ok((report, path.display().to_string()))
        })
        .transpose()?;
    let guardrails = guardrails
        .map(|path| -> anyhow::Result<Guardrails> {
            let text = read_input(path)?;
            let mut de = serde_json::Deserializer::from_str(&text);
            serde_path_to_error::deserialize(&mut de).with_context(|| {
                format!(
                    "`{}` is not a guardrails file ({{\"scps\": [{{\"target\", \"policies\": [{{\"name\", \"document\"}}]}}], \"rcps\": [...]}})",
                    path.display()
                )
            })
        })
        .transpose()?;
    let evidence = Evidence {
        lookback_days: common.lookback_days,
        guardrails,
        ..Evidence::default()
    };
    // the page shows each fix as a diff of the current document, and each role's buckets
    let html = match common.format() {
        Format::Html => HtmlContext::from_roles(&inventory.roles),
        _ => HtmlContext::default(),
    };
    // SARIF results point into the dump, at each role's entry; then the text is no longer needed
    let sarif = match common.format() {
        Format::Sarif => SarifOptions::for_dump(&input.to_string_lossy(), &text),
        _ => SarifOptions::default(),
    };
    drop(text);
    let mut report = audit_with(inventory, &options, Source::File, now_rfc3339(), evidence);
    if let Some((previous, location)) = previous {
        connector_audit::baseline::compare(&mut report, Some(&previous), Some(location), &options);
    }
    let code = emit(&report, common, &sarif, &html);
    // the process ends next: freeing a large report allocation by allocation only costs time
    std::mem::forget(report);
    code
}

/// `audit`: the settings from the flags, then the application's one run path (the Lambda
/// function's), then the report.
fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let (settings, suppressions) = args.settings()?;
    let run = Run {
        scope: if settings.org_role_name.is_some() {
            Scope::Organization
        } else {
            Scope::ThisAccount
        },
        deadline: settings.time_budget.map(|b| std::time::Instant::now() + b),
        ..Run::now()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let AuditArgs {
        common,
        region,
        profile,
        ..
    } = args;
    runtime.block_on(async {
        let clients = Clients::from_env(region, profile, settings.retry, settings.timeouts).await;
        clients.check_credentials().await?;
        let mut services = services(&clients, &settings);
        services.suppressions = Some(Box::new(suppressions));
        let result = connector_audit::app::run(&settings, &run, &services).await;
        bar::clear();
        match result {
            Ok(outcome) => {
                if let Some(unread) = inventory_unread(&outcome.report) {
                    // nothing was audited: an AWS error (exit 2), not an empty table; the
                    // report still goes to a pipe or file, for the record
                    if !matches!(common.format(), Format::Table | Format::Brief) {
                        print(&render_text(
                            &outcome.report,
                            &common,
                            &SarifOptions::default(),
                            &HtmlContext::default(),
                        )?)?;
                    }
                    anyhow::bail!("{unread}");
                }
                if let Some(at) = &outcome.stored {
                    eprintln!("connector-audit: report written to {at}");
                }
                if let Some(at) = &outcome.html {
                    eprintln!("connector-audit: HTML report written to {at}");
                }
                if let Some(h) = &outcome.report.summary.security_hub {
                    eprintln!(
                        "connector-audit: Security Hub: {} finding(s) imported, {} archived, {} refused",
                        h.imported, h.archived, h.failed
                    );
                }
                if settings.publish {
                    eprintln!(
                        "connector-audit: published {} message(s)",
                        outcome.published
                    );
                }
                emit(
                    &outcome.report,
                    &common,
                    &SarifOptions::default(),
                    &outcome.page,
                )
            }
            Err(RunError::Publish { report, source, .. }) => {
                // the report is still shown; the failure is the exit status
                let _ = emit(
                    &report,
                    &common,
                    &SarifOptions::default(),
                    &HtmlContext::default(),
                );
                Err(anyhow::anyhow!("publishing the findings failed: {source}"))
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// The error that kept the account's roles from being read at all (a single-account run whose
/// inventory failed), if that is what happened.
fn inventory_unread(report: &Report) -> Option<String> {
    if !report.accounts.is_empty() || report.summary.roles_audited > 0 {
        return None;
    }
    report
        .errors
        .iter()
        .find(|e| {
            e.is_account_wide_inventory_failure()
                && matches!(e.code.as_str(), "InventoryFailed" | "DeadlineExceeded")
        })
        .map(|e| e.message.clone())
}

/// A file's text, or standard input for `-`, refusing more than [`MAX_DUMP_BYTES`] before
/// reading it (a file's size is checked first; standard input is read up to the limit).
fn read_input(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let limit = connector_audit::dump::MAX_DUMP_BYTES;
    let (name, reader, size): (String, Box<dyn Read>, u64) = if path.as_os_str() == "-" {
        ("standard input".to_string(), Box::new(std::io::stdin()), 0)
    } else {
        let name = format!("`{}`", path.display());
        let file = std::fs::File::open(path).with_context(|| format!("cannot read {name}"))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > limit {
            anyhow::bail!(
                "{name} is {size} bytes, over the {limit}-byte limit (an account at IAM's quotas stays far below it)"
            );
        }
        (name, Box::new(file), size)
    };
    // the file's size ahead: the text is read into one allocation, never grown by doubling
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > limit {
        anyhow::bail!("{name} is over the {limit}-byte limit");
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{name} is not UTF-8 text: invalid byte at offset {}",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Prints the report and maps it to the exit code.
/// Writes the report's corrected documents and `apply.sh` into `dir` (created if needed).
fn write_fixes(
    dir: &std::path::Path,
    report: &connector_audit::model::Report,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let files = connector_audit::fix::files(report);
    for f in &files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.contents)
            .with_context(|| format!("writing `{}`", path.display()))?;
        #[cfg(unix)]
        if f.name == "apply.sh" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("making `{}` executable", path.display()))?;
        }
    }
    eprintln!(
        "connector-audit: {} corrected document(s) and apply.sh written to `{}`; nothing was applied",
        files.len().saturating_sub(1),
        dir.display()
    );
    Ok(())
}

/// The report in the format asked for.
fn render_text(
    report: &Report,
    common: &Common,
    sarif: &SarifOptions,
    html: &HtmlContext,
) -> anyhow::Result<String> {
    Ok(match common.format() {
        Format::Json => render::json(report)? + "\n",
        Format::Table => render::table(report),
        Format::Brief => render::brief(report),
        Format::Sarif => render::sarif::sarif(report, sarif)? + "\n",
        Format::Ocsf => render::ocsf::ocsf(report)?,
        Format::Html => render::html::html(report, html),
    })
}

fn emit(
    report: &connector_audit::model::Report,
    common: &Common,
    sarif: &SarifOptions,
    html: &HtmlContext,
) -> anyhow::Result<ExitCode> {
    if common.format() == Format::Json {
        // written as it is encoded: a large report is never held twice
        print_json(report)?;
    } else {
        print(&render_text(report, common, sarif, html)?)?;
    }
    if let Some(dir) = &common.fixes {
        write_fixes(dir, report)?;
    }
    Ok(if !report.complete {
        let roles: std::collections::BTreeSet<&str> = report
            .errors
            .iter()
            .filter_map(|e| e.role_name.as_deref())
            .collect();
        let accounts: Vec<&str> = report
            .accounts
            .iter()
            .filter(|a| !a.audited)
            .map(|a| a.account_id.as_str())
            .collect();
        eprintln!(
            "connector-audit: the audit is incomplete: {} error(s){}{}; see the report's `errors`",
            report.errors.len(),
            if accounts.is_empty() {
                String::new()
            } else {
                format!(", accounts not audited: {}", accounts.join(", "))
            },
            if roles.is_empty() {
                String::new()
            } else {
                format!(
                    ", roles not audited in full: {}",
                    roles.into_iter().collect::<Vec<_>>().join(", ")
                )
            }
        );
        ExitCode::from(3)
    } else if render::fails(report, common.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a message.
/// The report as `render::json` gives it, streamed to standard output.
fn print_json(report: &Report) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = render::write_json(&mut out, report)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The progress bar of long work on standard error (`connector_audit::app::progress` events):
/// one line per task that is under way, `task [#####-----] done/total rate/s`, redrawn at
/// most ten times a second and cleared when the run ends. Installed only when standard error
/// is a terminal and `--quiet` is not given: piped or redirected output stays clean.
mod bar {
    use connector_audit::app::progress::TARGET;
    use std::io::Write as _;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    const WIDTH: usize = 24;
    const EVERY: Duration = Duration::from_millis(100);

    #[derive(Default)]
    struct Task {
        name: String,
        done: u64,
        total: u64,
        started: Option<Instant>,
    }

    #[derive(Default)]
    struct State {
        tasks: Vec<Task>,
        drawn_lines: usize,
        last: Option<Instant>,
    }

    static STATE: Mutex<Option<State>> = Mutex::new(None);

    /// The event's `task`, `add` and `done` fields.
    #[derive(Default)]
    struct Fields {
        task: Option<String>,
        add: u64,
        done: u64,
    }

    impl tracing::field::Visit for Fields {
        fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
            if field.name() == "task" {
                self.task = Some(value.to_string());
            }
        }
        fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
            match field.name() {
                "add" => self.add = value,
                "done" => self.done = value,
                _ => {}
            }
        }
        fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
    }

    struct Layer;

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Layer {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let Some(name) = fields.task else { return };
            let Ok(mut guard) = STATE.lock() else { return };
            let state = guard.get_or_insert_with(State::default);
            let index = match state.tasks.iter().position(|t| t.name == name) {
                Some(i) => i,
                None => {
                    state.tasks.push(Task {
                        name,
                        started: Some(Instant::now()),
                        ..Task::default()
                    });
                    state.tasks.len() - 1
                }
            };
            if let Some(task) = state.tasks.get_mut(index) {
                task.total += fields.add;
                task.done += fields.done;
            }
            let now = Instant::now();
            if state.last.is_none_or(|l| now.duration_since(l) >= EVERY) {
                state.last = Some(now);
                draw(state);
            }
        }
    }

    /// Redraws every task's line in place (the cursor goes back up over the lines drawn before).
    fn draw(state: &mut State) {
        let mut err = std::io::stderr().lock();
        let mut text = String::new();
        if state.drawn_lines > 0 {
            text.push_str(&format!("\x1b[{}A", state.drawn_lines));
        }
        for t in &state.tasks {
            let filled = (t.done.min(t.total) * WIDTH as u64)
                .checked_div(t.total)
                .and_then(|f| usize::try_from(f).ok())
                .unwrap_or(0);
            let secs = t.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
            let rate = if secs > 0.0 {
                t.done as f64 / secs
            } else {
                0.0
            };
            text.push_str(&format!(
                "\r\x1b[2K{:<18} [{}{}] {}/{} {:.1}/s\n",
                t.name,
                "#".repeat(filled),
                "-".repeat(WIDTH - filled),
                t.done,
                t.total,
                rate
            ));
        }
        state.drawn_lines = state.tasks.len();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// Listens to the progress events (and nothing else).
    pub fn install() {
        let only_progress =
            tracing_subscriber::filter::Targets::new().with_target(TARGET, tracing::Level::TRACE);
        let _ = tracing_subscriber::registry()
            .with(tracing_subscriber::Layer::with_filter(Layer, only_progress))
            .try_init();
    }

    /// Takes the bar off the screen, before the report is printed.
    pub fn clear() {
        let Ok(mut guard) = STATE.lock() else { return };
        let Some(state) = guard.as_mut() else { return };
        if state.drawn_lines > 0 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\x1b[{}A\x1b[0J", state.drawn_lines);
            let _ = err.flush();
        }
        *guard = None;
    }
}
