//! In-memory implementations of the ports, for the application's and the handler's tests:
//! no emulator, no network. (The AWS adapters are tested against the emulator in `tests/it`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::ports::{
    BoxFuture, FindingSink, FindingsHub, HubTarget, Imported, Member, Organization, PortError,
    Prober, ReportStore, RoleSource, Stored,
};
use crate::model::{Guardrails, Inventory, RoleProbe};
use crate::notify::Message;
use crate::org::{Account, Listing};
use crate::probe::RolePlan;
use crate::render::asff::AsffFinding;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Shares a fake between the services under test and the test that reads it afterwards.
pub struct Shared<T>(pub Arc<T>);

impl<T: FindingSink> FindingSink for Shared<T> {
    fn publish<'a>(&'a self, messages: &'a [Message]) -> BoxFuture<'a, Result<usize, PortError>> {
        self.0.publish(messages)
    }
}

impl<T: ReportStore> ReportStore for Shared<T> {
    fn store<'a>(
        &'a self,
        key: &'a str,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, PortError>> {
        self.0.store(key, body)
    }
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, PortError>> {
        self.0.load(key)
    }
}

/// An environment of these variables (for `Settings::from_env`).
pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// A failure of a fake port.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub &'static str);

/// An account whose roles are those of a dump.
#[derive(Debug, Clone)]
pub struct Roles(pub Inventory);

impl Roles {
    /// The roles of a `get-account-authorization-details` dump.
    pub fn from_dump(text: &str) -> Roles {
        Roles(crate::dump::parse_dump(text).unwrap())
    }

    /// The demo account (`tests/fixtures/demo-account.json`).
    pub fn demo() -> Roles {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/demo-account.json"
        );
        Roles::from_dump(&std::fs::read_to_string(path).unwrap())
    }
}

impl RoleSource for Roles {
    fn inventory(&self) -> BoxFuture<'_, Result<Inventory, PortError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }
}

/// IAM that cannot be read.
pub struct Unreadable;

impl RoleSource for Unreadable {
    fn inventory(&self) -> BoxFuture<'_, Result<Inventory, PortError>> {
        Box::pin(std::future::ready(Err(Refused("AccessDenied").into())))
    }
}

/// A prober that is refused every role.
pub struct NoProbe;

impl Prober for NoProbe {
    fn auditor(&self) -> BoxFuture<'_, Result<String, PortError>> {
        Box::pin(std::future::ready(Ok(
            "arn:aws:iam::123456789012:role/auditor".to_string(),
        )))
    }
    fn probe<'a>(&'a self, plan: &'a RolePlan) -> BoxFuture<'a, RoleProbe> {
        Box::pin(std::future::ready(
            plan.not_probed("AccessDenied", "refused".into()),
        ))
    }
}

/// A report store in memory.
#[derive(Default)]
pub struct Memory {
    pub objects: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl ReportStore for Memory {
    fn store<'a>(
        &'a self,
        key: &'a str,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, PortError>> {
        self.objects.lock().unwrap().insert(key.to_string(), body);
        Box::pin(std::future::ready(Ok(format!("memory://{key}"))))
    }
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, PortError>> {
        let found = self.objects.lock().unwrap().get(key).map(|b| Stored {
            bytes: b.clone(),
            location: format!("memory://{key}"),
        });
        Box::pin(std::future::ready(Ok(found)))
    }
}

/// A topic that keeps what it is sent, or refuses everything.
#[derive(Default)]
pub struct Topic {
    pub sent: Mutex<Vec<Message>>,
    pub refuse: bool,
}

impl FindingSink for Topic {
    fn publish<'a>(&'a self, messages: &'a [Message]) -> BoxFuture<'a, Result<usize, PortError>> {
        if self.refuse {
            return Box::pin(std::future::ready(Err(Refused("sns is down").into())));
        }
        self.sent.lock().unwrap().extend(messages.iter().cloned());
        Box::pin(std::future::ready(Ok(messages.len())))
    }
}

/// An organization of six accounts (`222222222222` to `777777777777`) holding no role;
/// counts entries and the most entered at once, and refuses `refuse`.
#[derive(Default)]
pub struct Org {
    pub entered: AtomicUsize,
    pub running: AtomicUsize,
    pub most: AtomicUsize,
    pub refuse: Option<&'static str>,
}

impl Organization for Org {
    fn accounts(&self) -> BoxFuture<'_, Result<Listing, PortError>> {
        Box::pin(std::future::ready(Ok(Listing {
            management_account_id: Some("111111111111".into()),
            accounts: (2..=7)
                .map(|i| Account::parse(&format!("{i}").repeat(12), Some("a".into())).unwrap())
                .collect(),
            ..Listing::default()
        })))
    }

    fn guardrails<'a>(
        &'a self,
        _account: &'a Account,
    ) -> BoxFuture<'a, Result<Option<Guardrails>, PortError>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    fn enter<'a>(&'a self, account: &'a Account) -> BoxFuture<'a, Result<Member, PortError>> {
        Box::pin(async move {
            self.entered.fetch_add(1, SeqCst);
            let now = self.running.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.running.fetch_sub(1, SeqCst);
            match self.refuse {
                Some(id) if account.account_id == id => Err(Refused("denied").into()),
                _ => Ok(Member {
                    roles: Box::new(Roles(Inventory::new(Vec::new(), Vec::new()))),
                    prober: Box::new(NoProbe),
                }),
            }
        })
    }
}

/// A Security Hub in memory: keeps every finding by id (a re-import replaces it, as Security
/// Hub's does), refuses the ids in `refuse`. Clones share what it holds.
#[derive(Default, Clone)]
pub struct Hub {
    pub findings: std::sync::Arc<Mutex<BTreeMap<String, AsffFinding>>>,
    pub refuse: Vec<String>,
}

impl FindingsHub for Hub {
    fn target(&self) -> HubTarget {
        HubTarget {
            partition: "aws".into(),
            region: "us-east-1".into(),
        }
    }

    fn import<'a>(
        &'a self,
        findings: &'a [AsffFinding],
    ) -> BoxFuture<'a, Result<Imported, PortError>> {
        let mut out = Imported::default();
        let mut held = self.findings.lock().unwrap();
        for f in findings {
            if self.refuse.contains(&f.id) {
                out.refused
                    .push((f.id.clone(), "InvalidInput".into(), "refused".into()));
            } else {
                held.insert(f.id.clone(), f.clone());
                out.accepted += 1;
            }
        }
        Box::pin(std::future::ready(Ok(out)))
    }

    fn active<'a>(
        &'a self,
        product_arn: &'a str,
        generator_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<AsffFinding>, PortError>> {
        let found = self
            .findings
            .lock()
            .unwrap()
            .values()
            .filter(|f| {
                f.product_arn == product_arn
                    && f.record_state == "ACTIVE"
                    && generator_ids.contains(&f.generator_id)
            })
            .cloned()
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }
}
