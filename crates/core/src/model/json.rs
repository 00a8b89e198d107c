//! A JSON value held as its compact text ([`JsonText`]): what a finding carries as evidence
//! and as its corrected document. A report of thousands of roles holds thousands of them,
//! and as `serde_json::Value` maps (a hash table, a vector of entries and an allocation per
//! key and per string each) they took about five times the memory of their text: most of a
//! large run's memory (BENCHMARKS.md, issue 16).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// A JSON value as its compact text (as `serde_json::to_string` writes it). Clones share the
/// text: the corrected document of a policy, carried by each of its findings, is held once.
///
/// It reads as a [`Value`] (`evidence["buckets"]`, `evidence.get("witness")`): the first
/// read parses the text and keeps the value beside it. Code on the audit's own path uses
/// [`JsonText::value`], which keeps nothing. It is written (serialized) from its text, in
/// any format (pretty or not), exactly as the value it was made from would be.
#[derive(Clone, Default)]
pub struct JsonText {
    text: Arc<str>,
    parsed: OnceLock<Box<Value>>,
}

impl JsonText {
    /// The value, parsed from the text (nothing kept).
    pub fn value(&self) -> Value {
        // the text is always one written by serde_json from a value (see the constructors)
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// Is it `null`?
    pub fn is_null(&self) -> bool {
        self.as_str() == "null"
    }

    /// The compact text.
    pub fn as_str(&self) -> &str {
        if self.text.is_empty() {
            "null"
        } else {
            &self.text
        }
    }

    /// The same object with `key` set to `value` (a new text), as `Map::insert` sets it: a new
    /// key goes last. A value that is not an object is left as it is. The common case, a key
    /// the text does not spell anywhere, is written without parsing the text back.
    pub fn with_field(&self, key: &str, value: &impl Serialize) -> JsonText {
        let text = self.as_str();
        let quoted = Value::String(key.to_string()).to_string();
        if let (Some(body), false) = (
            text.strip_prefix('{').and_then(|t| t.strip_suffix('}')),
            text.contains(&quoted),
        ) && let Ok(v) = serde_json::to_string(value)
        {
            let comma = if body.is_empty() { "" } else { "," };
            return JsonText {
                text: format!("{{{body}{comma}{quoted}:{v}}}").into(),
                parsed: OnceLock::new(),
            };
        }
        self.with(|v| {
            if let (Some(obj), Ok(value)) = (v.as_object_mut(), serde_json::to_value(value)) {
                obj.insert(key.to_string(), value);
            }
        })
    }

    /// The same value with `change` made to it (a new text).
    pub fn with(&self, change: impl FnOnce(&mut Value)) -> JsonText {
        let mut v = self.value();
        change(&mut v);
        JsonText::from(v)
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> JsonText {
        JsonText::from(&value)
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> JsonText {
        JsonText {
            text: value.to_string().into(),
            parsed: OnceLock::new(),
        }
    }
}

impl std::ops::Deref for JsonText {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.parsed.get_or_init(|| Box::new(self.value()))
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &JsonText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for JsonText {}

impl PartialEq<Value> for JsonText {
    fn eq(&self, other: &Value) -> bool {
        **self == *other
    }
}

impl PartialEq<JsonText> for Value {
    fn eq(&self, other: &JsonText) -> bool {
        *self == **other
    }
}

impl std::fmt::Display for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JsonText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // from the text to the serializer, token by token: no value is built
        let mut de = serde_json::Deserializer::from_str(self.as_str());
        serde_transcode::transcode(&mut de, serializer)
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JsonText, D::Error> {
        Value::deserialize(d).map(JsonText::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({"z": 1, "a": [1.5, -2, "x\"y\u{1}", null, true], "m": {}, "e": [], "n": {"k": {"q": "é"}}})
    }

    #[test]
    fn it_is_written_exactly_as_its_value_compact_and_pretty() {
        let v = sample();
        let t = JsonText::from(&v);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&t).unwrap(),
            serde_json::to_string_pretty(&v).unwrap()
        );
        assert_eq!(t.to_string(), v.to_string());
        // inside a larger document too
        let outer = json!({"evidence": v.clone(), "after": 1});
        let mut with_text = serde_json::Map::new();
        with_text.insert("evidence".into(), serde_json::to_value(&t).unwrap());
        with_text.insert("after".into(), json!(1));
        assert_eq!(Value::Object(with_text), outer);
    }

    #[test]
    fn it_reads_as_its_value_and_round_trips() {
        let v = sample();
        let t = JsonText::from(v.clone());
        assert_eq!(t["a"][0], 1.5);
        assert_eq!(t.get("z"), Some(&json!(1)));
        assert!(t.get("missing").is_none());
        assert_eq!(t, v);
        assert_eq!(v, t);
        assert_eq!(t.value(), v);
        let back: JsonText =
            serde_json::from_str(&serde_json::to_string_pretty(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.as_str(), t.as_str());
    }

    #[test]
    fn a_field_is_set_as_a_map_sets_it() {
        let witness = json!({"action": "s3:GetObject", "context": {"k": ["v"]}});
        for start in [
            json!({}),
            json!({"a": 1}),
            json!({"a": 1, "witness": 2, "b": 3}),
            json!({"a": "\"witness\""}),
            json!([1]),
            Value::Null,
        ] {
            let mut want = start.clone();
            if let Some(obj) = want.as_object_mut() {
                obj.insert("witness".into(), witness.clone());
            }
            let got = JsonText::from(&start).with_field("witness", &witness);
            assert_eq!(got.as_str(), want.to_string(), "{start}");
        }
    }

    #[test]
    fn a_change_makes_a_new_text_and_the_default_is_null() {
        let t = JsonText::from(json!({"a": 1}));
        let changed = t.with(|v| v["b"] = json!(2));
        assert_eq!(changed.as_str(), r#"{"a":1,"b":2}"#);
        assert_eq!(t.as_str(), r#"{"a":1}"#);
        let null = JsonText::default();
        assert!(null.is_null());
        assert_eq!(serde_json::to_string(&null).unwrap(), "null");
        assert_eq!(null, JsonText::from(Value::Null));
    }
}
