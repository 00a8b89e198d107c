//! The integration tests, in one binary so that the AWS SDK is linked once. Most run against
//! the AWS emulator (moto server, pinned in requirements-dev.txt, from the project's venv:
//! `make venv`); some drive the built binaries, the template, or a fault-injecting proxy.
//! `difftest` needs none of them but node and the pinned IAM simulator (`make simulator`).
//! The core's own tests (`cargo test -p connector-audit-core`) need none of this.

mod support;

mod bad_input;
mod burst;
mod change;
mod check;
mod cli_errors;
mod difftest;
mod escalation;
mod faults;
mod formats;
mod hangs;
mod limits;
mod live;
mod org;
mod pagination;
mod parser_props;
mod parties;
mod probe;
mod secrets;
mod securityhub;
mod semantics;
mod service_data;
mod soundness;
mod suppressions;
mod template;
mod usage;
