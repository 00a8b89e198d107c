//! A fault-injecting HTTP proxy in front of the emulator, for reliability tests and benchmarks.
//! It forwards each request to moto, except for a configurable share, which it answers itself
//! with one of the faults AWS really produces: throttling (`Throttling`, HTTP 400 or 429; S3's
//! `SlowDown`, 503), internal errors (500, 503), a slow answer (forwarded after a delay) or a
//! dropped connection (the request is read, then the socket is closed without an answer).
//! Faults are drawn from a seeded generator, so a run can be repeated.
//!
//! Used in-process by `tests/it/faults.rs` and as a binary (`examples/fault-proxy.rs`) by the
//! benchmark. One request per connection: moto answers `connection: close` anyway.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// What to inject.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Share of requests answered with a fault, 0.0 to 1.0.
    pub share: f64,
    pub seed: u64,
    /// How long a slow answer waits before it is forwarded.
    pub slow: Duration,
    /// Only requests containing this text (e.g. `Action=GetPolicyVersion`) can be faulted.
    pub only: Option<&'static str>,
    /// Whether slow (but successful) answers are among the faults.
    pub slow_answers: bool,
    /// Only slow answers, no failures.
    pub slow_only: bool,
    /// Requests containing this text (every request, when empty) are read and never
    /// answered: the connection stays open until the proxy is dropped.
    pub hang: Option<&'static str>,
}

impl Faults {
    /// `share` of all requests faulted (slow answers wait 300 ms), drawn from `seed`.
    pub fn new(share: f64, seed: u64) -> Faults {
        Faults {
            share,
            seed,
            slow: Duration::from_millis(300),
            only: None,
            slow_answers: true,
            slow_only: false,
            hang: None,
        }
    }

    /// No fault, except that requests containing `text` (every request, when empty) are
    /// accepted, read and never answered: an endpoint that hangs at that request.
    pub fn hang_on(text: &'static str) -> Faults {
        Faults {
            hang: Some(text),
            ..Faults::new(0.0, 0)
        }
    }

    /// Every fault is a slow answer of `delay` (a request that takes too long, then succeeds).
    pub fn slow_only(mut self, delay: Duration) -> Faults {
        self.slow_only = true;
        self.slow = delay;
        self
    }

    /// Every fault fails the request (no slow answers): for exhausting retries.
    pub fn failing(mut self) -> Faults {
        self.slow_answers = false;
        self
    }

    /// Only requests containing `text` can be faulted.
    pub fn only(mut self, text: &'static str) -> Faults {
        self.only = Some(text);
        self
    }
}

/// What the proxy did, by kind.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub forwarded: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub slow: AtomicU64,
    pub dropped: AtomicU64,
    pub hung: AtomicU64,
}

impl Stats {
    /// `requests forwarded throttled server_errors slow dropped`
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "requests={} forwarded={} throttled={} server_errors={} slow={} dropped={} hung={}",
            g(&self.requests),
            g(&self.forwarded),
            g(&self.throttled),
            g(&self.server_errors),
            g(&self.slow),
            g(&self.dropped),
            g(&self.hung)
        )
    }

    pub fn faults(&self) -> u64 {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        g(&self.throttled) + g(&self.server_errors) + g(&self.slow) + g(&self.dropped)
    }
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    pub port: u16,
    pub stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Throttle400,
    Throttle429,
    Error500,
    Error503,
    Slow,
    Drop,
}

/// xorshift64*: the `n`-th draw of a seeded sequence, in [0, 1).
fn draw(seed: u64, n: u64) -> f64 {
    let mut x = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    for _ in 0..3 {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
    }
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream`.
    pub fn start(upstream: u16, faults: Faults) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (stats.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let n = s.requests.fetch_add(1, Ordering::Relaxed);
                        let (s, st) = (s.clone(), st.clone());
                        std::thread::spawn(move || serve(conn, upstream, faults, n, &s, &st));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultProxy { port, stats, stop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one HTTP/1.1 request (headers and a Content-Length body).
fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

fn answer(conn: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-amzn-requestid: fault-proxy\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn contains(haystack: &[u8], text: &str) -> bool {
    text.is_empty() || haystack.windows(text.len()).any(|w| w == text.as_bytes())
}

fn serve(
    mut conn: TcpStream,
    upstream: u16,
    faults: Faults,
    n: u64,
    stats: &Stats,
    stop: &AtomicBool,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let Some(request) = read_request(&mut conn) else {
        return;
    };
    if faults.hang.is_some_and(|text| contains(&request, text)) {
        stats.hung.fetch_add(1, Ordering::Relaxed);
        // hold the connection, answer nothing
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        return;
    }
    let head = String::from_utf8_lossy(&request[..request.len().min(4096)]).to_string();
    let s3 = head.contains("/s3/aws4_request");
    let eligible = faults.only.is_none_or(|text| contains(&request, text));
    let fault = (eligible && draw(faults.seed, n) < faults.share).then(|| {
        if faults.slow_only {
            return Fault::Slow;
        }
        let kinds = if faults.slow_answers { 6.0 } else { 5.0 };
        match (draw(faults.seed ^ 0xFA17, n) * kinds) as u32 {
            0 => Fault::Throttle400,
            1 => Fault::Throttle429,
            2 => Fault::Error500,
            3 => Fault::Error503,
            4 => Fault::Drop,
            _ => Fault::Slow,
        }
    });
    let query_error = |code: &str, message: &str| {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        )
    };
    let s3_error = |code: &str, message: &str| {
        format!(
            "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
        )
    };
    match fault {
        Some(Fault::Throttle400 | Fault::Throttle429) if s3 => {
            stats.throttled.fetch_add(1, Ordering::Relaxed);
            answer(
                &mut conn,
                "503 Slow Down",
                "application/xml",
                &s3_error("SlowDown", "Please reduce your request rate."),
            );
        }
        Some(Fault::Throttle400) => {
            stats.throttled.fetch_add(1, Ordering::Relaxed);
            answer(
                &mut conn,
                "400 Bad Request",
                "text/xml",
                &query_error("Throttling", "Rate exceeded"),
            );
        }
        Some(Fault::Throttle429) => {
            stats.throttled.fetch_add(1, Ordering::Relaxed);
            answer(
                &mut conn,
                "429 Too Many Requests",
                "text/xml",
                &query_error("Throttling", "Rate exceeded"),
            );
        }
        Some(Fault::Error500) => {
            stats.server_errors.fetch_add(1, Ordering::Relaxed);
            let body = if s3 {
                s3_error(
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                )
            } else {
                query_error("InternalFailure", "internal failure")
            };
            answer(&mut conn, "500 Internal Server Error", "text/xml", &body);
        }
        Some(Fault::Error503) => {
            stats.server_errors.fetch_add(1, Ordering::Relaxed);
            let body = if s3 {
                s3_error("ServiceUnavailable", "Service unavailable")
            } else {
                query_error("ServiceUnavailable", "service unavailable")
            };
            answer(&mut conn, "503 Service Unavailable", "text/xml", &body);
        }
        Some(Fault::Drop) => {
            stats.dropped.fetch_add(1, Ordering::Relaxed);
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        Some(Fault::Slow) | None => {
            if matches!(fault, Some(Fault::Slow)) {
                stats.slow.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(faults.slow);
            } else {
                stats.forwarded.fetch_add(1, Ordering::Relaxed);
            }
            let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
                return;
            };
            if up.write_all(&request).is_err() {
                return;
            }
            let mut response = Vec::new();
            let _ = up.read_to_end(&mut response);
            let _ = conn.write_all(&response);
        }
    }
}
