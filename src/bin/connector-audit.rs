//! The `connector-audit` CLI: a thin shell over the library. Parses flags, reads the input,
//! prints the report, and turns the outcome into an exit code:
//! 0 nothing at or above `--fail-on`, 1 findings at or above it, 2 usage or input error.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use connector_audit::audit::{AuditOptions, audit, now_rfc3339};
use connector_audit::dump::parse_dump;
use connector_audit::model::{Severity, Source};
use connector_audit::render;
use connector_audit::rules::registry::{RULES, find};
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
}

#[derive(Subcommand)]
enum Command {
    /// Audit the connector roles of an `aws iam get-account-authorization-details` dump.
    Check {
        /// The dump file (JSON as the AWS CLI prints it; `-` for standard input).
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// List the rules, or print one rule's documentation.
    Rules {
        /// A rule id, e.g. `trust-missing-external-id`.
        id: Option<String>,
    },
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
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Severity,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Table,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Check { input, common } => {
            let text = if input.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading standard input")?
            } else {
                std::fs::read_to_string(&input)
                    .with_context(|| format!("cannot read `{}`", input.display()))?
            };
            let inventory = parse_dump(&text).with_context(|| format!("`{}`", input.display()))?;
            let options = AuditOptions {
                tag_key: common.tag_key,
                tag_value: common.tag_value,
                trusted_accounts: common.trusted_accounts,
            };
            options.validate()?;
            let report = audit(inventory, &options, Source::File, now_rfc3339());
            let format = common.format.unwrap_or(if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            });
            let text = match format {
                Format::Json => render::json(&report)? + "\n",
                Format::Table => render::table(&report),
            };
            print(&text)?;
            Ok(if render::fails(&report, common.fail_on) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a message.
fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
