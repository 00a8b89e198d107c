//! The emulator harness for integration tests: a real moto server (from the project's venv,
//! pinned in requirements-dev.txt) on a free loopback port, one per test, killed on drop;
//! real SDK clients pointed at it; and seeding of an account from a
//! `get-account-authorization-details` dump with the Rust SDK.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_config::BehaviorVersion;
use aws_sdk_iam::types::Tag;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod fault_proxy;

pub const ACCOUNT: &str = "123456789012";

/// A running moto server.
pub struct Moto {
    child: Child,
    pub port: u16,
    recording: PathBuf,
}

impl Moto {
    /// Starts moto with the AWS managed policies loaded and waits until it answers.
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Like [`Moto::start`], with extra environment for the server (e.g. request recording).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        Moto::spawn(0, env).expect("moto exited before it listened")
    }

    /// Like [`Moto::start_with`], on a port it knows in advance (`MOTO_PORT`): a server that
    /// calls itself (Step Functions' interpreter invoking Lambda and writing to S3) needs it.
    /// A port taken in between makes moto exit; another one is tried.
    pub fn start_addressed(env: &[(&str, &str)]) -> Moto {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let port_text = port.to_string();
            let mut with_port = env.to_vec();
            with_port.push(("MOTO_PORT", &port_text));
            if let Some(moto) = Moto::spawn(port, &with_port) {
                return moto;
            }
        }
        panic!("moto could not listen on a port it was given, five times");
    }

    /// Starts moto on `port` (0: one the kernel chooses) and waits until it answers; None when
    /// it exits before it listens (its port was taken).
    fn spawn(port: u16, env: &[(&str, &str)]) -> Option<Moto> {
        let venv = venv();
        let server = venv.join("bin/moto_server");
        assert!(
            server.exists(),
            "{} not found: run `make venv` first (`make test` does), which installs the pinned moto",
            server.display()
        );
        // moto says on stderr which port it listens on. Tests let it choose (`-p 0`): choosing
        // a free port here and handing it over would race with the other tests' servers, and a
        // test would then talk to another test's emulator.
        static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let recording = std::env::temp_dir().join(format!(
            "connector-audit-moto-recording-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            // the recorder writes to a file: one per server, not the shared working directory
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // reads the port from the start-up banner, then drains the request log to the end
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
                let Ok(line) = line else { break };
                let port = line
                    .split_once("Running on http://127.0.0.1:")
                    .and_then(|(_, p)| p.trim().parse::<u16>().ok());
                if let (Some(port), Some(tx)) = (port, tx.take_if(|_| port.is_some())) {
                    let _ = tx.send(port);
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(listening) if port == 0 || listening == port => listening,
            Ok(listening) => panic!("moto listens on {listening}, not on {port}"),
            // the banner never came: moto exited
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.wait();
                return None;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("moto did not say which port it listens on within 60 s");
            }
        };
        let moto = Moto {
            child,
            port,
            recording,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if moto
                .http("GET", "/moto-api/", "")
                .is_some_and(|r| r.starts_with("HTTP/1.1 200") || r.starts_with("HTTP/1.0 200"))
            {
                return Some(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto did not answer on port {port} within 60 s");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A raw HTTP/1.0 request to the emulator's control API; the whole answer, or None.
    pub fn http(&self, method: &str, path: &str, body: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        let req = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    }

    /// SDK configuration for the emulator: static credentials, us-east-1.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        self.sdk_config_as("testing", "testing").await
    }

    /// SDK configuration for the emulator with these access keys.
    pub async fn sdk_config_as(&self, key: &str, secret: &str) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                key, secret, None, None, "static",
            ))
            .load()
            .await
    }

    /// Turns IAM enforcement on (moto's `reset-auth`): the three free calls create an admin
    /// user with an `Allow *` policy, whose SDK configuration is returned. From then on every
    /// call is checked against the caller's identity policies.
    pub async fn enforce_iam(&self) -> aws_config::SdkConfig {
        let answer = self.http("POST", "/moto-api/reset-auth", "3").unwrap();
        assert!(answer.contains(" 200 "), "reset-auth: {answer}");
        let iam = aws_sdk_iam::Client::new(&self.sdk_config().await);
        iam.create_user().user_name("admin").send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name("admin")
            .send()
            .await
            .unwrap()
            .access_key
            .unwrap();
        iam.put_user_policy()
            .user_name("admin")
            .policy_name("admin")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )
            .send()
            .await
            .unwrap();
        let admin = self
            .sdk_config_as(key.access_key_id(), key.secret_access_key())
            .await;
        // enforcement is on: the dummy keys no longer work
        let denied = aws_sdk_iam::Client::new(&self.sdk_config().await)
            .list_users()
            .send()
            .await;
        assert!(denied.is_err(), "moto did not turn IAM enforcement on");
        admin
    }

    /// Starts recording requests (the server must run with `MOTO_ENABLE_RECORDING=True`).
    pub fn start_recording(&self) {
        let _ = self.http("POST", "/moto-api/recorder/reset-recording", "");
        let answer = self
            .http("POST", "/moto-api/recorder/start-recording", "")
            .unwrap();
        assert!(answer.contains(" 200 "), "{answer}");
    }

    /// The requests recorded since [`Moto::start_recording`]: method, URL, headers, body.
    pub fn recording(&self) -> Vec<Value> {
        let _ = self.http("POST", "/moto-api/recorder/stop-recording", "");
        let answer = self
            .http("GET", "/moto-api/recorder/download-recording", "")
            .unwrap();
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.recording);
    }
}

/// The project's Python venv (`CONNECTOR_AUDIT_VENV`, else `.venv`): moto, and the Python
/// `jsonschema` the SARIF tests validate with.
pub fn venv() -> PathBuf {
    std::env::var("CONNECTOR_AUDIT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"))
}

/// Standard base64 (as moto's request recorder writes bodies it could not read as text).
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | (u32::from(*d) << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn document(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.trim_start().starts_with('{') || !text.contains('%') {
        text
    } else {
        percent_encoding::percent_decode_str(&text)
            .decode_utf8()
            .unwrap()
            .to_string()
    }
}

/// Creates the dump's customer managed policies (with their versions) and roles (trust,
/// tags, inline policies, attachments) in the emulator. AWS managed policies are moto's own.
/// Creates the demo account (`tests/fixtures/demo-account.json`) in the emulator.
#[allow(dead_code)] // not every test binary seeds it
pub async fn seed_demo_account(conf: &aws_config::SdkConfig) {
    let dump: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("demo-account.json")).unwrap())
            .unwrap();
    seed_from_dump(conf, &dump).await;
}

pub async fn seed_from_dump(conf: &aws_config::SdkConfig, dump: &Value) {
    let iam = aws_sdk_iam::Client::new(conf);
    for p in dump["Policies"].as_array().unwrap() {
        let arn = p["Arn"].as_str().unwrap();
        if arn.starts_with("arn:aws:iam::aws:") {
            continue;
        }
        let name = arn.rsplit('/').next().unwrap();
        let mut versions: Vec<&Value> = p["PolicyVersionList"].as_array().unwrap().iter().collect();
        versions.sort_by_key(|v| v["IsDefaultVersion"].as_bool().unwrap_or(false));
        let (first, rest) = versions.split_first().unwrap();
        iam.create_policy()
            .policy_name(name)
            .path(p["Path"].as_str().unwrap_or("/"))
            .policy_document(document(&first["Document"]))
            .send()
            .await
            .unwrap();
        for v in rest {
            iam.create_policy_version()
                .policy_arn(arn)
                .policy_document(document(&v["Document"]))
                .set_as_default(v["IsDefaultVersion"].as_bool().unwrap_or(false))
                .send()
                .await
                .unwrap();
        }
    }
    for r in dump["RoleDetailList"].as_array().unwrap() {
        let name = r["RoleName"].as_str().unwrap();
        let mut create = iam
            .create_role()
            .role_name(name)
            .path(r["Path"].as_str().unwrap_or("/"))
            .assume_role_policy_document(document(&r["AssumeRolePolicyDocument"]));
        for t in r["Tags"].as_array().into_iter().flatten() {
            create = create.tags(
                Tag::builder()
                    .key(t["Key"].as_str().unwrap())
                    .value(t["Value"].as_str().unwrap())
                    .build()
                    .unwrap(),
            );
        }
        create.send().await.unwrap();
        for p in r["RolePolicyList"].as_array().into_iter().flatten() {
            iam.put_role_policy()
                .role_name(name)
                .policy_name(p["PolicyName"].as_str().unwrap())
                .policy_document(document(&p["PolicyDocument"]))
                .send()
                .await
                .unwrap();
        }
        for a in r["AttachedManagedPolicies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            iam.attach_role_policy()
                .role_name(name)
                .policy_arn(a["PolicyArn"].as_str().unwrap())
                .send()
                .await
                .unwrap();
        }
        if let Some(boundary) = r["PermissionsBoundary"]["PermissionsBoundaryArn"].as_str() {
            iam.put_role_permissions_boundary()
                .role_name(name)
                .permissions_boundary(boundary)
                .send()
                .await
                .unwrap();
        }
    }
}

/// An SNS topic with an SQS queue subscribed (enveloped delivery, as e-mail-like subscribers
/// see subject and attributes): returns (topic ARN, queue URL).
pub async fn topic_with_queue(conf: &aws_config::SdkConfig, name: &str) -> (String, String) {
    let sns = aws_sdk_sns::Client::new(conf);
    let sqs = aws_sdk_sqs::Client::new(conf);
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("{name}-sub"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let queue_arn =
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    (topic, queue_url)
}

/// Everything in the queue, as the SNS envelopes (JSON) subscribers receive.
pub async fn drain(conf: &aws_config::SdkConfig, queue_url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(conf);
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap();
        let msgs = got.messages();
        if msgs.is_empty() {
            break;
        }
        for m in msgs {
            out.push(serde_json::from_str(m.body().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    out
}

/// An S3 client for the emulator (path-style addressing).
pub fn s3_client(conf: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(true)
            .build(),
    )
}

/// The bytes of an object.
pub async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

/// The function's dependencies with these clients and this environment.
pub fn deps(
    clients: &connector_audit::aws::Clients,
    env: &[(&str, &str)],
) -> connector_audit::lambda::Deps {
    let settings = connector_audit::app::Settings::from_env(|k| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    connector_audit::lambda::Deps {
        services: connector_audit::aws::services(clients, &settings),
        settings,
    }
}

/// Now, in milliseconds since the epoch (the unit of a Lambda deadline).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Turns Security Hub on in the emulator's account and region.
#[allow(dead_code)] // not every test binary uses Security Hub
pub async fn enable_security_hub(conf: &aws_config::SdkConfig) {
    aws_sdk_securityhub::Client::new(conf)
        .enable_security_hub()
        .send()
        .await
        .unwrap();
}

/// Every finding Security Hub holds (`GetFindings`, every page; the emulator ignores filters).
#[allow(dead_code)]
pub async fn hub_findings(
    conf: &aws_config::SdkConfig,
) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    let mut pages = aws_sdk_securityhub::Client::new(conf)
        .get_findings()
        .max_results(100)
        .into_paginator()
        .items()
        .send();
    let mut out = Vec::new();
    while let Some(f) = pages.next().await {
        out.push(f.unwrap());
    }
    out
}
