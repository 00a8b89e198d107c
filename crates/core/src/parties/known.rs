//! The AWS accounts that vendors publicly document as theirs: the community list
//! fwdcloudsec/known_aws_accounts (Apache-2.0), embedded in the binary from
//! `crates/core/data/known-aws-accounts/accounts.json` and parsed once. That folder holds the
//! list's LICENSE and SOURCE.md (where it comes from); `scripts/refresh-known-accounts.py`
//! regenerates the file from a newer `accounts.yaml`, and a test below fails when the two
//! drift apart.
//!
//! An account listed under several entries is named by the first enabled entry in file order
//! (an entry the list marks `enabled: false` names it only when no enabled one does); the
//! other entries' names are kept as `also_listed_as`. AWS's own accounts (`type: aws`) are
//! named `AWS <name>` unless the name already says AWS or Amazon.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The list as the refresh script writes it: upstream's entries, in upstream's order.
const EMBEDDED: &str = include_str!("../../data/known-aws-accounts/accounts.json");

/// One entry of the list (upstream's `schema.json`, which allows no other field).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    /// `aws` when the account is AWS's own (the name then says which service).
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    source: Vec<String>,
    accounts: Vec<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    /// Accepted as the schema allows it; a deprecated entry also says `enabled: false`,
    /// which is what the audit uses.
    #[serde(default)]
    deprecated_date: Option<String>,
}

fn enabled_by_default() -> bool {
    true
}

impl Entry {
    fn is_aws(&self) -> bool {
        self.kind.as_deref() == Some("aws")
    }
}

/// Why the list could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnownAccountsError {
    #[error("the list of known AWS accounts is not valid: {0}")]
    Invalid(String),
    #[error("the list of known AWS accounts has an entry without a name")]
    EmptyName,
    #[error(
        "the list of known AWS accounts gives `{vendor}` the account `{account}`, which is not 12 digits"
    )]
    BadAccount { vendor: String, account: String },
}

/// The parsed list, indexed by account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccounts {
    entries: Vec<Entry>,
    /// For each account, the entries listing it: enabled ones first, then in file order.
    by_account: BTreeMap<String, Vec<usize>>,
}

/// What the list says of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<'a> {
    entry: &'a Entry,
    others: Vec<&'a Entry>,
}

impl Listing<'_> {
    /// The party's name: the vendor's, or `AWS <service>` for AWS's own accounts.
    pub fn name(&self) -> String {
        display_name(self.entry)
    }

    /// True for AWS's own accounts (`type: aws`).
    pub fn is_aws(&self) -> bool {
        self.entry.is_aws()
    }

    /// The public pages the list cites.
    pub fn source(&self) -> Vec<String> {
        self.entry
            .source
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// False when the list marks the listing `enabled: false`.
    pub fn enabled(&self) -> bool {
        self.entry.enabled
    }

    /// The names of the other entries that list the same account.
    pub fn also_listed_as(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for name in self.others.iter().map(|e| display_name(e)) {
            if name != self.name() && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// Does the list also give the account to the vendor `tag` names (in any of its entries)?
    pub fn answers_to(&self, tag: &str) -> bool {
        std::iter::once(self.entry)
            .chain(self.others.iter().copied())
            .any(|e| names_vendor(tag, e))
    }
}

fn display_name(entry: &Entry) -> String {
    let name = entry.name.trim();
    let lower = name.to_ascii_lowercase();
    if entry.is_aws() && !lower.starts_with("aws") && !lower.starts_with("amazon") {
        format!("AWS {name}")
    } else {
        name.to_string()
    }
}

/// A name reduced for comparison: lowercase ASCII letters and digits only, so that
/// `new-relic`, `New Relic` and `newrelic` are one name.
fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Does a vendor name (a `connector-vendor` tag) name this entry? It does when it equals the
/// entry's name, or one of the names an entry joins (`Redlock - PrismaCloud` answers to
/// `PrismaCloud`, `CloudWisdom, metricly` to `metricly`, `SSLMate (Sandbox Site)` to
/// `SSLMate`), ignoring case, spaces and punctuation; AWS's own entries also answer to `AWS`.
fn names_vendor(tag: &str, entry: &Entry) -> bool {
    let tag = squash(tag);
    if tag.is_empty() {
        return false;
    }
    if entry.is_aws() && (tag == "aws" || tag == "amazonwebservices") {
        return true;
    }
    squash(&entry.name) == tag
        || entry
            .name
            .split([',', '(', ')', '/', '|'])
            .flat_map(|part| part.split(" - "))
            .any(|part| squash(part) == tag)
}

impl KnownAccounts {
    /// Parses the list (the refresh script's JSON), checking every account.
    pub fn parse(text: &str) -> Result<KnownAccounts, KnownAccountsError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let entries: Vec<Entry> = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| KnownAccountsError::Invalid(format!("`{}`: {}", e.path(), e.inner())))?;
        let mut by_account: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if entry.name.trim().is_empty() {
                return Err(KnownAccountsError::EmptyName);
            }
            for account in &entry.accounts {
                if !crate::model::ids::is_account_id(account) {
                    return Err(KnownAccountsError::BadAccount {
                        vendor: entry.name.clone(),
                        account: account.clone(),
                    });
                }
                let listed = by_account.entry(account.clone()).or_default();
                if !listed.contains(&index) {
                    listed.push(index);
                }
            }
        }
        for listed in by_account.values_mut() {
            // stable: file order within enabled, then within disabled entries
            listed.sort_by_key(|i| !entries.get(*i).is_some_and(|e| e.enabled));
        }
        Ok(KnownAccounts {
            entries,
            by_account,
        })
    }

    /// The embedded list, parsed on first use.
    pub fn embedded() -> Result<&'static KnownAccounts, &'static KnownAccountsError> {
        static LIST: OnceLock<Result<KnownAccounts, KnownAccountsError>> = OnceLock::new();
        LIST.get_or_init(|| KnownAccounts::parse(EMBEDDED)).as_ref()
    }

    /// What the list says of `account`, if it lists it.
    pub fn lookup(&self, account: &str) -> Option<Listing<'_>> {
        let mut entries = self
            .by_account
            .get(account)?
            .iter()
            .filter_map(|i| self.entries.get(*i));
        let entry = entries.next()?;
        Some(Listing {
            entry,
            others: entries.collect(),
        })
    }

    /// The accounts the list gives the vendor `tag` names, over all its entries; `None` when
    /// no entry answers to the name.
    pub fn vendor_accounts(&self, tag: &str) -> Option<BTreeSet<&str>> {
        let mut found = false;
        let mut accounts = BTreeSet::new();
        for entry in self.entries.iter().filter(|e| names_vendor(tag, e)) {
            found = true;
            accounts.extend(entry.accounts.iter().map(String::as_str));
        }
        found.then_some(accounts)
    }

    /// How many entries (vendors and AWS services; a vendor may have several).
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// How many distinct accounts.
    pub fn accounts(&self) -> usize {
        self.by_account.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::path::{Path, PathBuf};

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/known-aws-accounts")
    }

    fn sha256(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `accounts.sha256`: file name -> digest.
    fn recorded_digests() -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(data_dir().join("accounts.sha256")).unwrap();
        text.lines()
            .map(|l| {
                let (digest, name) = l.split_once("  ").unwrap();
                (name.to_string(), digest.to_string())
            })
            .collect()
    }

    #[test]
    fn the_embedded_list_parses_and_every_account_is_12_digits() {
        let list = KnownAccounts::embedded().unwrap();
        assert!(list.entries() >= 238, "{}", list.entries());
        assert!(list.accounts() >= 498, "{}", list.accounts());
        let raw: Vec<Entry> = serde_json::from_str(EMBEDDED).unwrap();
        for entry in &raw {
            assert!(!entry.name.trim().is_empty());
            for account in &entry.accounts {
                assert!(
                    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                    "{}: {account}",
                    entry.name
                );
            }
        }
        // the seed vendor that trusts another account is on the list
        let upsolver = list.lookup("428641199958").unwrap();
        assert_eq!(upsolver.name(), "Upsolver");
        assert!(!upsolver.is_aws());
        let datadog = list.lookup("464622532012").unwrap();
        assert_eq!(datadog.name(), "Datadog");
        assert!(datadog.source().iter().any(|s| s.contains("datadoghq.com")));
        assert_eq!(
            list.lookup("086441151436").unwrap().name(),
            "AWS CloudTrail"
        );
        assert!(list.lookup("111122223333").is_none());
    }

    /// The embedded file is what the refresh script wrote: its digest is the recorded one, the
    /// shared copy it was made from is unchanged, and (with Python) the script run on the
    /// shared copy writes the same bytes.
    #[test]
    fn the_embedded_list_is_what_the_script_makes_of_the_shared_copy() {
        let digests = recorded_digests();
        assert_eq!(
            digests.get("accounts.json").map(String::as_str),
            Some(sha256(EMBEDDED.as_bytes()).as_str()),
            "accounts.json was changed by hand: run scripts/refresh-known-accounts.py"
        );
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let shared = repo.join("../shared/data/known-aws-accounts/accounts.yaml");
        let Ok(yaml) = std::fs::read(&shared) else {
            eprintln!("{} is not here: nothing to compare", shared.display());
            return;
        };
        assert_eq!(
            digests.get("accounts.yaml").map(String::as_str),
            Some(sha256(&yaml).as_str()),
            "{} changed: run scripts/refresh-known-accounts.py",
            shared.display()
        );
        let out = std::env::temp_dir().join(format!("known-accounts-{}", std::process::id()));
        let run = std::process::Command::new("python3")
            .arg(repo.join("scripts/refresh-known-accounts.py"))
            .arg(&shared)
            .arg("--output")
            .arg(&out)
            .output();
        let Ok(run) = run else {
            eprintln!("python3 is not here: the digests above stand in for the script");
            return;
        };
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let made = std::fs::read_to_string(out.join("accounts.json")).unwrap();
        let sums = std::fs::read_to_string(out.join("accounts.sha256")).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        assert!(
            made == EMBEDDED,
            "the script's output differs from accounts.json"
        );
        assert_eq!(
            sums,
            std::fs::read_to_string(data_dir().join("accounts.sha256")).unwrap()
        );
    }

    fn list(json: &str) -> KnownAccounts {
        KnownAccounts::parse(json).unwrap()
    }

    #[test]
    fn an_account_listed_twice_is_named_by_the_first_enabled_entry() {
        let l = list(
            r#"[{"name":"Old Name","accounts":["111111111111"],"enabled":false},
                {"name":"Acme","accounts":["111111111111","222222222222"]},
                {"name":"Acme Labs","accounts":["111111111111"]},
                {"name":"CloudTrail","type":"aws","accounts":["333333333333"]},
                {"name":"AWS Log Delivery Service","accounts":["444444444444"],"enabled":false}]"#,
        );
        let acme = l.lookup("111111111111").unwrap();
        assert_eq!(acme.name(), "Acme");
        assert_eq!(acme.also_listed_as(), ["Acme Labs", "Old Name"]);
        assert!(acme.enabled());
        assert!(acme.answers_to("acme-labs") && acme.answers_to("old name"));
        assert!(!acme.answers_to("Datadog"));
        let retired = l.lookup("444444444444").unwrap();
        assert!(!retired.enabled());
        assert_eq!(retired.name(), "AWS Log Delivery Service");
        let trail = l.lookup("333333333333").unwrap();
        assert_eq!(trail.name(), "AWS CloudTrail");
        assert!(trail.is_aws() && trail.answers_to("aws"));
    }

    #[test]
    fn vendor_names_compare_loosely_but_not_by_substring() {
        let l = list(
            r#"[{"name":"New Relic","accounts":["111111111111"]},
                {"name":"Redlock - PrismaCloud","accounts":["222222222222"]},
                {"name":"DoIt","accounts":["333333333333"],"enabled":false},
                {"name":"DoIt","accounts":["444444444444"]}]"#,
        );
        for tag in ["new-relic", "NewRelic", "new relic"] {
            assert!(l.vendor_accounts(tag).is_some(), "{tag}");
        }
        assert!(l.vendor_accounts("prismacloud").is_some());
        assert!(l.vendor_accounts("relic").is_none());
        assert!(l.vendor_accounts("").is_none());
        let doit: Vec<&str> = l.vendor_accounts("doit").unwrap().into_iter().collect();
        assert_eq!(doit, ["333333333333", "444444444444"]);
    }

    #[test]
    fn a_bad_list_is_an_error_not_a_panic() {
        assert!(matches!(
            KnownAccounts::parse(r#"[{"name":"A","accounts":["12345"]}]"#),
            Err(KnownAccountsError::BadAccount { .. })
        ));
        assert_eq!(
            KnownAccounts::parse(r#"[{"name":" ","accounts":[]}]"#),
            Err(KnownAccountsError::EmptyName)
        );
        let err = KnownAccounts::parse(r#"[{"name":"A","accounts":[],"colour":"red"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(KnownAccounts::parse("not json").is_err());
    }
}
