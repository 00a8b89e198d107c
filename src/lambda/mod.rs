//! The Lambda function: its events ([`events`]), its handler ([`handler`]) and what it
//! answers and logs ([`response`]). Its settings come from the environment
//! ([`crate::app::Settings::from_env`]); the binary (`bin/bootstrap.rs`) builds them and the
//! AWS clients once and hands them to [`handle`]. With `ORG_AUDIT_ROLE_NAME` set, scheduled
//! and console runs audit every active account of the organization into one report (unless
//! the event says `"org": false`).

pub mod events;
pub mod handler;
pub mod response;

pub use events::{
    CHANGE_EVENTS, ChangeBatch, EventError, Invocation, MAX_EVENT_LIST, OnDemand, RawEvent,
    parse_event, read_json,
};
pub use handler::{Deps, HandlerError, handle, handle_raw, work_deadline};
pub use response::{MAX_RESPONSE_BYTES, log_filter, response};
