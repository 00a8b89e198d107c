//! The parse floor `make bench` compares `check` with: reads a file and parses it into a
//! `serde_json::Value` (with the workspace's features, `preserve_order` included), drops the
//! tree and exits. It prints the number of top-level keys so the parse is not optimised away.
//!
//! ```text
//! cargo run --release -p connector-audit-core --example json-floor -- FILE
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: json-floor FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("json-floor: `{path}`: {e}");
            return ExitCode::from(2);
        }
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(value) => {
            println!("{}", value.as_object().map_or(0, serde_json::Map::len));
            drop(value);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("json-floor: `{path}`: {e}");
            ExitCode::from(1)
        }
    }
}
