//! A role's tags ([`Tags`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A role's tags by key (IAM keeps keys unique), in key order. A sorted list: a role has a
/// handful, and a `BTreeMap`'s first node alone took ten times their room (every role of an
/// inventory holds one). Written as a JSON object, like the map it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<(String, String)>);

impl Tags {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => self.0.get_mut(i).map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Each (key, value), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
}

/// The last value of a key given twice wins, as in a map.
impl FromIterator<(String, String)> for Tags {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Tags {
        let mut list: Vec<(String, String)> = iter.into_iter().collect();
        // stable: of equal keys, the last given is last, and kept
        list.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
        for (k, v) in list {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Tags(out)
    }
}

impl<const N: usize> From<[(String, String); N]> for Tags {
    fn from(pairs: [(String, String); N]) -> Tags {
        pairs.into_iter().collect()
    }
}

impl From<BTreeMap<String, String>> for Tags {
    fn from(map: BTreeMap<String, String>) -> Tags {
        Tags(map.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Tags {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Tags {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Tags, D::Error> {
        BTreeMap::<String, String>::deserialize(d).map(Tags::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn it_reads_like_the_map_it_replaces() {
        let pairs = [
            pair("b", "2"),
            pair("a", "1"),
            pair("c", "3"),
            pair("a", "again"),
        ];
        let tags: Tags = pairs.clone().into_iter().collect();
        let map: BTreeMap<String, String> = pairs.into_iter().collect();
        assert_eq!(tags, Tags::from(map.clone()));
        assert_eq!(tags.get("a").map(String::as_str), Some("again"));
        assert_eq!(tags.get("z"), None);
        assert!(tags.contains_key("c") && !tags.contains_key("d"));
        assert_eq!(tags.len(), 3);
        assert_eq!(
            serde_json::to_string(&tags).unwrap(),
            serde_json::to_string(&map).unwrap()
        );
        let back: Tags = serde_json::from_str(r#"{"y": "1", "x": "2"}"#).unwrap();
        assert_eq!(
            back.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["x", "y"]
        );
    }

    #[test]
    fn insert_keeps_the_order_and_replaces() {
        let mut tags = Tags::default();
        assert!(tags.is_empty());
        assert_eq!(tags.insert("m".into(), "1".into()), None);
        assert_eq!(tags.insert("a".into(), "2".into()), None);
        assert_eq!(tags.insert("z".into(), "3".into()), None);
        assert_eq!(tags.insert("m".into(), "4".into()), Some("1".into()));
        let keys: Vec<&String> = (&tags).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "m", "z"]);
        assert_eq!(tags.get("m").map(String::as_str), Some("4"));
    }
}
