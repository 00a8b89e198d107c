//! The one-pass reading of a policy document: JSON text straight into the checked model,
//! duplicate keys refused on the way, with no `serde_json::Value` tree, no second pass for
//! duplicates and no path strings built for elements that are fine. It accepts exactly the
//! documents that [`super::document`]'s careful path accepts and builds the same [`Policy`];
//! on anything else (bad JSON, a duplicate key, an element of the wrong shape, a document
//! given as a JSON string) it gives up, and the careful path runs to say precisely what is
//! wrong and where. Errors are therefore those of the careful path, byte for byte. PURE.

use super::condition::{Condition, Operator};
use super::document::{Clause, Effect, MAX_STATEMENTS, Policy, Statement};
use super::principal::{Principal, resolve_aws};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The policy a document's JSON text holds, when it is a well-formed object with no
/// duplicate key and every element of the right shape; `None` otherwise (the caller's
/// careful path then finds the error).
pub(crate) fn parse(json: &str) -> Option<Policy> {
    let mut de = serde_json::Deserializer::from_str(json);
    let policy = de.deserialize_map(PolicyVisitor).ok()?;
    de.end().ok()?;
    Some(policy)
}

/// Gives up: the careful path will say why. The message is never shown.
fn bail<E: de::Error>() -> E {
    E::custom("not in the one-pass shape")
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The keys of one object seen so far: a repeated one gives up (the careful path names it).
#[derive(Default)]
struct Seen<'de>(Vec<Cow<'de, str>>);

impl<'de> Seen<'de> {
    fn first<E: de::Error>(&mut self, key: &Key<'de>) -> Result<(), E> {
        if self.0.contains(&key.0) {
            return Err(bail());
        }
        self.0.push(key.0.clone());
        Ok(())
    }
}

/// The next key of a map, checked against those before it.
fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    seen: &mut Seen<'de>,
) -> Result<Option<Key<'de>>, A::Error> {
    let Some(key) = map.next_key::<Key<'de>>()? else {
        return Ok(None);
    };
    seen.first::<A::Error>(&key)?;
    Ok(Some(key))
}

struct PolicyVisitor;

impl<'de> Visitor<'de> for PolicyVisitor {
    type Value = Policy;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Policy, A::Error> {
        let mut seen = Seen::default();
        let mut version = None;
        let mut statements = None;
        while let Some(key) = next_key(&mut map, &mut seen)? {
            match key.0.as_ref() {
                "Version" => version = Some(map.next_value::<String>()?),
                "Id" => {
                    map.next_value::<String>()?;
                }
                "Statement" => statements = Some(map.next_value_seed(StatementsSeed)?),
                _ => return Err(bail()),
            }
        }
        Ok(Policy {
            version,
            statements: statements.ok_or_else(bail)?,
            guard: None,
        })
    }
}

/// `Statement`: one object, or an array of at most [`MAX_STATEMENTS`] objects.
struct StatementsSeed;

impl<'de> DeserializeSeed<'de> for StatementsSeed {
    type Value = Vec<Statement>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Statement>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StatementsSeed {
    type Value = Vec<Statement>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("statements")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Statement>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(MAX_STATEMENTS));
        while let Some(s) = seq.next_element_seed(StatementSeed(out.len()))? {
            if out.len() >= MAX_STATEMENTS {
                return Err(bail());
            }
            out.push(s);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Statement>, A::Error> {
        Ok(vec![StatementSeed(0).visit_map(map)?])
    }
}

/// One statement object, at position `.0`.
struct StatementSeed(usize);

impl<'de> DeserializeSeed<'de> for StatementSeed {
    type Value = Statement;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Statement, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StatementSeed {
    type Value = Statement;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a statement")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Statement, A::Error> {
        let mut seen = Seen::default();
        let mut sid = None;
        let mut effect = None;
        let mut principal: Option<Clause<Principal>> = None;
        let mut action: Option<Clause<String>> = None;
        let mut resource: Option<Clause<String>> = None;
        let mut conditions = Vec::new();
        while let Some(key) = next_key(&mut map, &mut seen)? {
            match key.0.as_ref() {
                "Sid" => sid = Some(map.next_value::<String>()?),
                "Effect" => {
                    effect = Some(match map.next_value::<Key<'de>>()?.0.as_ref() {
                        "Allow" => Effect::Allow,
                        "Deny" => Effect::Deny,
                        _ => return Err(bail()),
                    });
                }
                k @ ("Principal" | "NotPrincipal") => {
                    if principal.is_some() {
                        return Err(bail());
                    }
                    principal = Some(Clause {
                        negated: k == "NotPrincipal",
                        items: map.next_value_seed(PrincipalSeed)?,
                    });
                }
                k @ ("Action" | "NotAction") => {
                    if action.is_some() {
                        return Err(bail());
                    }
                    action = Some(Clause {
                        negated: k == "NotAction",
                        items: map.next_value_seed(StringsSeed)?,
                    });
                }
                k @ ("Resource" | "NotResource") => {
                    if resource.is_some() {
                        return Err(bail());
                    }
                    resource = Some(Clause {
                        negated: k == "NotResource",
                        items: map.next_value_seed(StringsSeed)?,
                    });
                }
                "Condition" => conditions = map.next_value_seed(ConditionsSeed)?,
                _ => return Err(bail()),
            }
        }
        Ok(Statement {
            index: self.0,
            sid,
            effect: effect.ok_or_else(bail)?,
            principal,
            action: action.ok_or_else(bail)?,
            resource,
            conditions,
        })
    }
}

/// A string or an array of strings.
struct StringsSeed;

impl<'de> DeserializeSeed<'de> for StringsSeed {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringsSeed {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<String>, E> {
        Ok(vec![v])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(s) = seq.next_element::<String>()? {
            out.push(s);
        }
        Ok(out)
    }
}

/// `Principal`: `"*"`, or an object of principal kinds to strings or arrays of strings.
struct PrincipalSeed;

impl<'de> DeserializeSeed<'de> for PrincipalSeed {
    type Value = Vec<Principal>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Principal>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PrincipalSeed {
    type Value = Vec<Principal>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a principal")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<Principal>, E> {
        if v == "*" {
            Ok(vec![Principal::Any { aws_only: false }])
        } else {
            Err(bail())
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Principal>, A::Error> {
        let mut seen = Seen::default();
        let mut items = Vec::new();
        while let Some(key) = next_key(&mut map, &mut seen)? {
            for s in map.next_value_seed(StringsSeed)? {
                items.push(match key.0.as_ref() {
                    "AWS" => resolve_aws(&s),
                    "Service" => Principal::Service { name: s },
                    "Federated" => Principal::Federated { provider: s },
                    "CanonicalUser" => Principal::CanonicalUser { id: s },
                    _ => return Err(bail()),
                });
            }
        }
        Ok(items)
    }
}

/// `Condition`: operators to keys to a value or an array of values.
struct ConditionsSeed;

impl<'de> DeserializeSeed<'de> for ConditionsSeed {
    type Value = Vec<Condition>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Condition>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConditionsSeed {
    type Value = Vec<Condition>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("conditions")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Condition>, A::Error> {
        let mut seen = Seen::default();
        let mut out = Vec::new();
        while let Some(op) = next_key(&mut map, &mut seen)? {
            let operator = Operator::parse(&op.0).ok_or_else(bail)?;
            map.next_value_seed(KeysSeed {
                operator,
                out: &mut out,
            })?;
        }
        Ok(out)
    }
}

/// The keys under one operator, each becoming a [`Condition`].
struct KeysSeed<'a> {
    operator: Operator,
    out: &'a mut Vec<Condition>,
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("condition keys")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = Seen::default();
        while let Some(key) = next_key(&mut map, &mut seen)? {
            let values = map.next_value_seed(ValuesSeed)?;
            self.out.push(Condition {
                operator: self.operator.clone(),
                key: key.0.into_owned(),
                values,
            });
        }
        Ok(())
    }
}

/// A condition's values: one scalar or an array of scalars, each as its text.
struct ValuesSeed;

impl<'de> DeserializeSeed<'de> for ValuesSeed {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("condition values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(2));
        while let Some(s) = seq.next_element_seed(ScalarSeed)? {
            out.push(s);
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        ScalarSeed.visit_str(v).map(|s| vec![s])
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<String>, E> {
        Ok(vec![v])
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Vec<String>, E> {
        ScalarSeed.visit_bool(v).map(|s| vec![s])
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<String>, E> {
        ScalarSeed.visit_u64(v).map(|s| vec![s])
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<String>, E> {
        ScalarSeed.visit_i64(v).map(|s| vec![s])
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Vec<String>, E> {
        ScalarSeed.visit_f64(v).map(|s| vec![s])
    }
}

/// One condition value: a string, a number or a boolean, as text (numbers as serde_json
/// writes them, as the careful path does).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(serde_json::Number::from(v).to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(serde_json::Number::from(v).to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        serde_json::Number::from_f64(v)
            .map(|n| n.to_string())
            .ok_or_else(bail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The one-pass reading agrees with the careful path: the same policy when the careful
    /// path accepts the text, a refusal (and so the careful path's error) when it does not.
    fn agrees(json: &str) {
        let careful = Policy::parse_carefully(json);
        match (parse(json), careful) {
            (Some(fast), Ok(slow)) => assert_eq!(fast, slow, "{json}"),
            (None, Err(_)) => {}
            // a document given as a JSON string is read by the careful path (rare)
            (None, Ok(_)) if json.trim_start().starts_with('"') => {}
            (Some(fast), Err(e)) => {
                panic!("one pass accepted what the careful path refuses ({e}): {json}\n{fast:?}")
            }
            (None, Ok(slow)) => panic!("one pass refused a good document: {json}\n{slow:?}"),
        }
    }

    #[test]
    fn agrees_on_the_seed_vendors_and_the_fixtures() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/seeds");
        let mut seen = 0;
        for entry in std::fs::read_dir(seeds).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(parse(&text).is_some());
            agrees(&text);
            seen += 1;
        }
        assert!(seen >= 10);
    }

    #[test]
    fn agrees_on_edge_cases() {
        let cases = [
            r#"{"Statement":[]}"#,
            r#"{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            r#"{"Statement":[{"Sid":"a","Effect":"Deny","NotAction":["s3:Get*","iam:*"],"NotResource":[]}]}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*","123456789012"],"Service":[],"Federated":"x","CanonicalUser":"c"},"Action":[]}}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":{"Martian":[]},"Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":{"Martian":["x"]},"Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Principal":"*","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEqualz":{}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NumericLessThan":{"k":[1,-2,1.5,1e3,1.0,18446744073709551615,-9223372036854775808,0.1e-400]},"Bool":{"b":true,"c":[false]},"Null":{"n":"true"}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":null}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":[["a"]]}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":[]}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":"x"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["a",1]}}"#,
            r#"{"Statement":{"Effect":"allow","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow"}}"#,
            r#"{"Statement":{"Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Bogus":1}}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*"},5]}"#,
            r#"{"Statement":"x"}"#,
            r#"{"Version":1,"Statement":[]}"#,
            r#"{"Id":null,"Statement":[]}"#,
            r#"{"Statement":[],"Extra":1}"#,
            r#"{"Version":"2012-10-17"}"#,
            r#""{\"Statement\":[]}""#,
            r#"[]"#,
            r#"{"Statement":[]} x"#,
            "{\"Statement\":[]}\n  ",
            r#"{"Statement":[{"Effect":"Allow","Action":"*"}]"#,
            // escapes in keys and values
            r#"{"St\u0061tement":{"Eff\u0065ct":"Allo\u0077","Action":"s3:\u002a","Resource":"arn:aws:s3:::a\"b"}}"#,
            // duplicates, anywhere
            r#"{"Statement":[],"Statement":[]}"#,
            r#"{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Eff\u0065ct":"Allow"}}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"1","AWS":"2"},"Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"a":"x"},"Bool":{"b":"y"}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"sts:ExternalId":"a","sts:ExternalId":"b"}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":"a"}},"Condition":{}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Sid":"a","Sid":"a"}}"#,
        ];
        for case in cases {
            agrees(case);
        }
        let many = format!(
            r#"{{"Statement":[{}]}}"#,
            vec![r#"{"Effect":"Allow","Action":"*"}"#; MAX_STATEMENTS + 1].join(",")
        );
        agrees(&many);
        let most = format!(
            r#"{{"Statement":[{}]}}"#,
            vec![r#"{"Effect":"Allow","Action":"*"}"#; MAX_STATEMENTS].join(",")
        );
        assert!(parse(&most).is_some());
        agrees(&most);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        agrees(&deep);
    }

    #[test]
    fn a_duplicate_key_in_an_object_document_is_the_careful_paths_error() {
        let doc = r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"sts:ExternalId":"a","sts:ExternalId":"b"}}}}"#;
        assert!(parse(doc).is_none());
        let err = Policy::parse(doc).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Statement.Condition.StringEquals`: duplicate key `sts:ExternalId`: the document says two things (IAM rejects such documents; parsers disagree on which one counts), so it is not audited as either"
        );
    }

    /// JSON text (duplicate keys allowed) biased towards the policy grammar.
    fn policy_text() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("Version"),
            Just("Id"),
            Just("Statement"),
            Just("Effect"),
            Just("Sid"),
            Just("Principal"),
            Just("NotPrincipal"),
            Just("Action"),
            Just("NotAction"),
            Just("Resource"),
            Just("NotResource"),
            Just("Condition"),
            Just("AWS"),
            Just("Service"),
            Just("Federated"),
            Just("CanonicalUser"),
            Just("StringEquals"),
            Just("StringLikeIfExists"),
            Just("ForAnyValue:StringLike"),
            Just("Bool"),
            Just("sts:ExternalId"),
            Just("aws:SourceArn"),
            Just("bogus"),
        ];
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("-3".to_string()),
            Just("2.50".to_string()),
            Just("1e2".to_string()),
            Just("\"*\"".to_string()),
            Just("\"Allow\"".to_string()),
            Just("\"Deny\"".to_string()),
            Just("\"s3:*\"".to_string()),
            Just("\"2012-10-17\"".to_string()),
            Just("\"arn:aws:s3:::b/*\"".to_string()),
            Just("\"123456789012\"".to_string()),
            Just("\"x\\u0041\"".to_string()),
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| {
                    let fields: Vec<String> = kv
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    /// A `Condition` element: operators (some unknown) to keys to values (some not scalars),
    /// keys repeated now and then.
    fn condition_text() -> impl Strategy<Value = String> {
        let op = prop_oneof![
            Just("StringEquals"),
            Just("Bool"),
            Just("NumericLessThan"),
            Just("ForAllValues:StringLike"),
            Just("StringEqualz"),
        ];
        let key = prop_oneof![Just("sts:ExternalId"), Just("aws:SourceAccount"), Just("k")];
        let value = prop_oneof![
            Just("\"a\"".to_string()),
            Just("7".to_string()),
            Just("-0.5".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            Just("[\"a\",1,true]".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
        ];
        prop::collection::vec((op, prop::collection::vec((key, value), 0..3)), 0..3).prop_map(
            |ops| {
                let ops: Vec<String> = ops
                    .into_iter()
                    .map(|(op, kv)| {
                        let kv: Vec<String> = kv
                            .into_iter()
                            .map(|(k, v)| format!("\"{k}\":{v}"))
                            .collect();
                        format!("\"{op}\":{{{}}}", kv.join(","))
                    })
                    .collect();
                format!("{{{}}}", ops.join(","))
            },
        )
    }

    /// A statement that is right but for what `policy_text` puts in it.
    fn statement_text() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("Allow"), Just("Deny")],
            prop::option::of(policy_text()),
            prop::option::of(prop_oneof![policy_text(), condition_text()]),
            prop::bool::ANY,
        )
            .prop_map(|(effect, principal, condition, twice)| {
                let mut fields = vec![
                    format!("\"Effect\":\"{effect}\""),
                    "\"Action\":[\"s3:GetObject\",\"sts:AssumeRole\"]".to_string(),
                ];
                if let Some(p) = principal {
                    fields.push(format!("\"Principal\":{p}"));
                }
                if let Some(c) = condition {
                    fields.push(format!("\"Condition\":{c}"));
                }
                if twice {
                    fields.push("\"Resource\":\"*\"".to_string());
                }
                format!("{{{}}}", fields.join(","))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn agrees_on_policy_like_text(text in policy_text()) {
            agrees(&text);
            agrees(&format!(r#"{{"Version":"2012-10-17","Statement":[{text}]}}"#));
            agrees(&format!(r#"{{"Statement":{text}}}"#));
        }

        #[test]
        fn agrees_on_nearly_right_statements(statements in prop::collection::vec(statement_text(), 1..4)) {
            agrees(&format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(",")));
        }
    }
}
