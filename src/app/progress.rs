//! Progress of the long parts of a run (an organization's accounts, probes, a trail's days and
//! files), told as `tracing` events of target [`TARGET`] at TRACE level: `add` grows a task's
//! total, `done` counts one piece finished. The CLI draws them as a bar on a terminal
//! (`src/bin/connector-audit.rs`); the function's JSON logs (INFO and above) never see them,
//! and without a subscriber that listens they cost a level check.

/// The events' target.
pub const TARGET: &str = "connector_audit::progress";

/// `n` more pieces of `task` to do.
pub fn add(task: &'static str, n: usize) {
    if n > 0 {
        tracing::trace!(target: TARGET, task, add = n as u64);
    }
}

/// One piece of `task` finished.
pub fn done(task: &'static str) {
    tracing::trace!(target: TARGET, task, done = 1_u64);
}

/// The tasks' names, as the bar shows them.
pub const ACCOUNTS: &str = "accounts audited";
pub const PROBES: &str = "roles probed";
pub const TRAIL_DAYS: &str = "trail days listed";
pub const TRAIL_FILES: &str = "trail files read";

/// Counts one piece of a task done when dropped: on every way out of a future, including a
/// timeout that drops it.
pub struct Done(pub &'static str);

impl Drop for Done {
    fn drop(&mut self) {
        done(self.0);
    }
}
