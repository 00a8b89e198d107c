//! What a person reads when the CLI cannot do its work, and the exit codes README's table
//! promises (docs/cli.md): 0 nothing at or above `--fail-on`, 1 findings at or above it, 2
//! usage, input or AWS error, 3 incomplete. Every error path here is checked for Rust's Debug
//! output (`DispatchFailure(DispatchFailure { source: ConnectorError {...`), which must never
//! reach a person; missing credentials are one line that says where the SDK looked. And the
//! progress bar: drawn on a terminal, never on a pipe, never with `--quiet`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use crate::support::{Moto, seed_demo_account};
use std::path::PathBuf;
use std::process::{Command, Output};

const DEMO: &str = "tests/fixtures/demo-account.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The CLI with no AWS settings at all from the environment it runs in: no credentials, no
/// profile, no config files (HOME is an empty directory), no instance metadata.
fn bare(args: &[&str]) -> Command {
    let home = std::env::temp_dir().join(format!("connector-audit-no-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connector-audit"));
    cmd.current_dir(root()).args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1");
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Rust's Debug formatting of structs, enums and options, as the SDK's errors print it.
fn assert_no_debug(what: &str, text: &str) {
    for pattern in [
        "DispatchFailure(",
        "ConnectorError {",
        "{ source:",
        "Some(",
        "kind: ",
        "TimeoutError(",
        "ServiceError(",
    ] {
        assert!(
            !text.contains(pattern),
            "{what}: Debug output (`{pattern}`) in what a person reads:\n{text}"
        );
    }
}

fn assert_one_error_line(what: &str, out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert_no_debug(what, &err);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{what}: one line, not:\n{err}");
    assert!(
        lines[0].starts_with("connector-audit: error: "),
        "{what}: {err}"
    );
    err
}

#[test]
fn missing_credentials_are_one_line_that_says_where_the_sdk_looked() {
    let out = bare(&["audit", "--format", "json"]).output().unwrap();
    let err = assert_one_error_line("no credentials", &out);
    assert!(err.contains("no AWS credentials found"), "{err}");
    for place in [
        "AWS_ACCESS_KEY_ID",
        "~/.aws/credentials",
        "EC2 instance metadata",
    ] {
        assert!(err.contains(place), "does not name {place}: {err}");
    }
    assert!(out.stdout.is_empty(), "no report without an audit");
}

#[test]
fn an_endpoint_that_is_down_is_an_aws_error_in_one_readable_line() {
    // a port nothing listens on: the connection is refused at once
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bare(&["audit", "--max-attempts", "1", "--format", "table"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let err = assert_one_error_line("endpoint down", &out);
    assert!(
        err.contains("no role could be read") && err.contains("iam:GetAccountAuthorizationDetails"),
        "{err}"
    );
    assert!(
        err.to_lowercase().contains("connect") || err.contains("refused"),
        "says the connection failed: {err}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("No findings."),
        "no empty table when nothing was read"
    );
    // to a pipe, the report still goes out for the record; the error is still one line
    let out = bare(&["audit", "--max-attempts", "1", "--format", "json"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_one_error_line("endpoint down, json", &out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["code"], "InventoryFailed");
}

#[test]
fn bad_files_and_bad_flags_exit_2_without_debug_output() {
    let cases: [(&str, &[&str]); 7] = [
        ("missing file", &["check", "--input", "no/such/file.json"]),
        ("not JSON", &["check", "--input", "Cargo.toml"]),
        ("not a report", &["render", "--report", DEMO]),
        (
            "bad suppressions",
            &["check", "--input", DEMO, "--suppressions", "Cargo.toml"],
        ),
        (
            "unknown flag",
            &["check", "--input", DEMO, "--no-such-flag"],
        ),
        (
            "bad severity",
            &["check", "--input", DEMO, "--fail-on", "huge"],
        ),
        ("unknown rule", &["rules", "no-such-rule"]),
    ];
    for (what, args) in cases {
        let out = bare(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert_no_debug(what, &err);
        assert!(err.contains("error"), "{what}: {err}");
    }
}

#[test]
fn every_exit_code_of_the_table() {
    let code = |args: &[&str]| bare(args).output().unwrap().status.code();
    // 0: nothing at or above --fail-on (a role that passes)
    assert_eq!(
        code(&[
            "check",
            "--input",
            DEMO,
            "--roles",
            "onyx-s3-reader",
            "--format",
            "json"
        ]),
        Some(0)
    );
    // 1: findings at or above it
    assert_eq!(
        code(&["check", "--input", DEMO, "--format", "json"]),
        Some(1)
    );
    // 2: usage, input or AWS error
    assert_eq!(code(&["check"]), Some(2));
    // 3: incomplete
    assert_eq!(
        code(&[
            "check",
            "--input",
            "tests/fixtures/missing-managed.json",
            "--format",
            "json"
        ]),
        Some(3)
    );
}

#[test]
fn check_takes_the_usage_window_as_help_says() {
    let help = bare(&["check", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--lookback-days"));
    let out = bare(&[
        "check",
        "--input",
        DEMO,
        "--lookback-days",
        "30",
        "--format",
        "json",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "role-unused"),
        "the window applies: roles never used get role-unused"
    );
}

/// An audit with probing against the emulator, stderr a pipe or a terminal (`script`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_bar_is_drawn_on_a_terminal_only() {
    let moto = Moto::start();
    seed_demo_account(&moto.sdk_config().await).await;
    let bin = env!("CARGO_BIN_EXE_connector-audit");
    let with_moto = |cmd: &mut Command| {
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", moto.endpoint());
    };
    // a pipe: no bar, no escape sequences
    let mut piped = bare(&["audit", "--probe", "--format", "json"]);
    with_moto(&mut piped);
    let out = piped.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));

    // a terminal (util-linux `script` gives the command a pseudo-terminal)
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped the terminal half: no `script`");
        return;
    }
    let on_terminal = |extra: &str| {
        let home = std::env::temp_dir();
        let out = Command::new("script")
            .args([
                "-qec",
                &format!("{bin} audit --probe --format json {extra} >/dev/null"),
                "/dev/null",
            ])
            .current_dir(root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let drawn = on_terminal("");
    assert!(
        drawn.contains("roles probed") && drawn.contains("/s"),
        "a bar with counts and rate: {drawn:?}"
    );
    let quiet = on_terminal("--quiet");
    assert!(!quiet.contains("roles probed"), "--quiet: {quiet:?}");
}
