//! The fault-injecting proxy of the test harness as a program, for benchmarks and by-hand runs:
//!
//! ```text
//! cargo run --example fault-proxy -- UPSTREAM_PORT SHARE [SEED]
//! ```
//!
//! Listens on a free loopback port, prints `PROXY_PORT=<port>`, forwards to
//! `127.0.0.1:UPSTREAM_PORT` (moto) and answers SHARE (0.0 to 1.0) of the requests with
//! throttling, 500/503, slow answers or dropped connections. It runs until
//! killed. Every 200 ms it rewrites its counts to the file in `FAULT_PROXY_STATS` if set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test-harness program: bad arguments end it with a message"
)]

#[path = "../tests/it/support/fault_proxy.rs"]
mod fault_proxy;

use fault_proxy::{FaultProxy, Faults};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: fault-proxy UPSTREAM_PORT SHARE [SEED]");
        std::process::exit(2);
    }
    let upstream: u16 = args[0].parse().expect("UPSTREAM_PORT");
    let share: f64 = args[1].parse().expect("SHARE");
    let seed: u64 = args.get(2).map(|s| s.parse().expect("SEED")).unwrap_or(1);
    let proxy = FaultProxy::start(upstream, Faults::new(share, seed));
    println!("PROXY_PORT={}", proxy.port);
    let stats_file = std::env::var("FAULT_PROXY_STATS").ok();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        if let Some(f) = &stats_file {
            let _ = std::fs::write(f, proxy.stats.line() + "\n");
        }
    }
}
