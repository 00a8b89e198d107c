//! IAM policy documents: the checked model, and the one parser that builds it from JSON in
//! every legal shape (`Statement` object or array; string-or-array values; `Principal: "*"`;
//! `Not*` elements; condition values as strings, numbers or booleans). Anything IAM would
//! reject is a [`PolicyError`] naming the element, never a panic. PURE.

use super::PolicyError;
use super::condition::{Condition, Operator};
use super::decode::decode_document;
use super::principal::{Principal, resolve_aws};
use super::wildcard;
use serde::Serialize;
use serde_json::Value;

/// At most this many statements in a document: IAM's document size limits (10,240 characters
/// inline, 6,144 managed) allow a few hundred, and the engine's work grows with their square.
pub const MAX_STATEMENTS: usize = 2_000;

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    pub version: Option<String>,
    pub statements: Vec<Statement>,
    /// For a trust policy in organization mode: the resource control policies over assuming
    /// the role, counted by every question about who may assume it (see
    /// [`super::trust::statement_grants`]).
    pub guard: Option<std::sync::Arc<super::guardrails::TrustGuard>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement, with its position in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Zero-based position in the document's `Statement` list.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` / `NotPrincipal`; `None` in identity policies.
    pub principal: Option<Clause<Principal>>,
    /// `Action` / `NotAction`.
    pub action: Clause<String>,
    /// `Resource` / `NotResource`; `None` in trust policies.
    pub resource: Option<Clause<String>>,
    /// All conditions; a statement applies only when every one holds.
    pub conditions: Vec<Condition>,
}

/// An element and its `Not` form: `negated` means the statement applies to everything the
/// list does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause<T> {
    pub negated: bool,
    pub items: Vec<T>,
}

impl Clause<String> {
    /// Action clauses: case-insensitive wildcards.
    pub fn matches_action(&self, action: &str) -> bool {
        let hit = self
            .items
            .iter()
            .any(|p| wildcard::matches_ignore_case(p, action));
        hit != self.negated
    }

    /// Resource clauses: case-sensitive wildcards.
    pub fn matches_resource(&self, resource: &str) -> bool {
        let hit = self.items.iter().any(|p| wildcard::matches(p, resource));
        hit != self.negated
    }
}

impl Statement {
    /// The conditions on `key` (case-insensitive).
    pub fn conditions_on<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Condition> {
        self.conditions.iter().filter(move |c| c.is_key(key))
    }

    /// The principals listed in a (non-negated) `Principal` element.
    pub fn principals(&self) -> &[Principal] {
        match &self.principal {
            Some(c) if !c.negated => &c.items,
            _ => &[],
        }
    }
}

impl Policy {
    /// Parses a document given as JSON text or URL-encoded JSON text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let json = decode_document(text)?;
        // the common case in one pass; anything unusual goes the careful way below, which
        // names the problem
        match super::typed::parse(&json) {
            Some(policy) => Ok(policy),
            None => Policy::parse_carefully(&json),
        }
    }

    /// The careful path: JSON text to a `Value`, duplicate keys looked for, then the model,
    /// each problem named with its place. The one-pass reading gives the same policy on every
    /// document this accepts.
    pub(crate) fn parse_carefully(json: &str) -> Result<Policy, PolicyError> {
        let value: Value = serde_json::from_str(json).map_err(|e| PolicyError::Json {
            message: json_message(&e),
            line: e.line(),
            column: e.column(),
        })?;
        if let Some((path, key)) = super::duplicates::first_duplicate(json) {
            return Err(shape(
                &path,
                format!(
                    "duplicate key `{key}`: the document says two things (IAM rejects such documents; parsers disagree on which one counts), so it is not audited as either"
                ),
            ));
        }
        Policy::from_value(&value)
    }

    /// Builds the model from an already-parsed JSON value. A JSON string is taken as the
    /// document's text (dumps hold documents both ways).
    pub fn from_value(value: &Value) -> Result<Policy, PolicyError> {
        let obj = match value {
            Value::Object(o) => o,
            Value::String(s) => return Policy::parse(s),
            other => {
                return Err(shape(
                    "",
                    format!("expected an object, found {}", kind(other)),
                ));
            }
        };
        let mut version = None;
        let mut raw_statements = None;
        for (k, v) in obj {
            match k.as_str() {
                "Version" => version = Some(string(v, "Version")?),
                "Id" => {
                    string(v, "Id")?;
                }
                "Statement" => raw_statements = Some(v),
                other => return Err(shape(other, "unknown element".into())),
            }
        }
        let statements = match raw_statements {
            None => return Err(shape("Statement", "missing".into())),
            Some(Value::Array(list)) if list.len() > MAX_STATEMENTS => {
                return Err(shape(
                    "Statement",
                    format!(
                        "{} statements, more than the {MAX_STATEMENTS} accepted (IAM's size limits allow a few hundred at most)",
                        list.len()
                    ),
                ));
            }
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| parse_statement(i, s, &format!("Statement[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
            Some(single @ Value::Object(_)) => vec![parse_statement(0, single, "Statement")?],
            Some(other) => {
                return Err(shape(
                    "Statement",
                    format!("expected an object or an array, found {}", kind(other)),
                ));
            }
        };
        Ok(Policy {
            version,
            statements,
            guard: None,
        })
    }
}

fn parse_statement(index: usize, value: &Value, path: &str) -> Result<Statement, PolicyError> {
    let Value::Object(obj) = value else {
        return Err(shape(
            path,
            format!("expected an object, found {}", kind(value)),
        ));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (k, v) in obj {
        let here = format!("{path}.{k}");
        match k.as_str() {
            "Sid" => sid = Some(string(v, &here)?),
            "Effect" => {
                effect = Some(match string(v, &here)?.as_str() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    other => {
                        return Err(shape(
                            &here,
                            format!("expected `Allow` or `Deny`, found `{other}`"),
                        ));
                    }
                });
            }
            "Principal" | "NotPrincipal" => {
                set_once(
                    &mut principal,
                    k,
                    path,
                    parse_principals(v, &here, k == "NotPrincipal")?,
                )?;
            }
            "Action" | "NotAction" => {
                let items = strings(v, &here)?;
                set_once(
                    &mut action,
                    k,
                    path,
                    Clause {
                        negated: k == "NotAction",
                        items,
                    },
                )?;
            }
            "Resource" | "NotResource" => {
                let items = strings(v, &here)?;
                set_once(
                    &mut resource,
                    k,
                    path,
                    Clause {
                        negated: k == "NotResource",
                        items,
                    },
                )?;
            }
            "Condition" => conditions = parse_conditions(v, &here)?,
            other => return Err(shape(&format!("{path}.{other}"), "unknown element".into())),
        }
    }
    let effect = effect.ok_or_else(|| shape(&format!("{path}.Effect"), "missing".into()))?;
    let action = action.ok_or_else(|| shape(&format!("{path}.Action"), "missing".into()))?;
    Ok(Statement {
        index,
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn set_once<T>(slot: &mut Option<T>, key: &str, path: &str, value: T) -> Result<(), PolicyError> {
    if slot.is_some() {
        return Err(shape(
            &format!("{path}.{key}"),
            "conflicts with its `Not` form (or the other way round): a statement has one".into(),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_principals(
    value: &Value,
    path: &str,
    negated: bool,
) -> Result<Clause<Principal>, PolicyError> {
    let items = match value {
        Value::String(s) if s == "*" => vec![Principal::Any { aws_only: false }],
        Value::Object(map) => {
            let mut items = Vec::new();
            for (kind_name, v) in map {
                let here = format!("{path}.{kind_name}");
                for s in strings(v, &here)? {
                    items.push(match kind_name.as_str() {
                        "AWS" => resolve_aws(&s),
                        "Service" => Principal::Service { name: s },
                        "Federated" => Principal::Federated { provider: s },
                        "CanonicalUser" => Principal::CanonicalUser { id: s },
                        _ => {
                            return Err(shape(
                                &here,
                                "unknown principal type (expected AWS, Service, Federated or CanonicalUser)"
                                    .into(),
                            ));
                        }
                    });
                }
            }
            items
        }
        Value::String(s) => {
            return Err(shape(
                path,
                format!("expected `*` or an object, found the string `{s}`"),
            ));
        }
        other => {
            return Err(shape(
                path,
                format!("expected `*` or an object, found {}", kind(other)),
            ));
        }
    };
    Ok(Clause { negated, items })
}

fn parse_conditions(value: &Value, path: &str) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = value else {
        return Err(shape(
            path,
            format!("expected an object, found {}", kind(value)),
        ));
    };
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let here = format!("{path}.{op_name}");
        let operator = Operator::parse(op_name)
            .ok_or_else(|| shape(&here, "unknown condition operator".into()))?;
        let Value::Object(keys) = keys else {
            return Err(shape(
                &here,
                format!("expected an object, found {}", kind(keys)),
            ));
        };
        for (key, values) in keys {
            let at = format!("{here}.{key}");
            let values = match values {
                Value::Array(list) => list
                    .iter()
                    .map(|v| scalar(v, &at))
                    .collect::<Result<Vec<_>, _>>()?,
                single => vec![scalar(single, &at)?],
            };
            out.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

fn scalar(value: &Value, path: &str) -> Result<String, PolicyError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(shape(
            path,
            format!(
                "expected a string, number or boolean, found {}",
                kind(other)
            ),
        )),
    }
}

fn string(value: &Value, path: &str) -> Result<String, PolicyError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(shape(
            path,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

fn strings(value: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(shape(
                    &format!("{path}[{i}]"),
                    format!("expected a string, found {}", kind(other)),
                )),
            })
            .collect(),
        other => Err(shape(
            path,
            format!(
                "expected a string or an array of strings, found {}",
                kind(other)
            ),
        )),
    }
}

fn shape(path: &str, message: String) -> PolicyError {
    PolicyError::Shape {
        path: path.to_string(),
        message,
    }
}

/// How a JSON value is described in error messages: `a number`, `an array`, ...
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message without its trailing " at line L column C" (reported separately).
pub fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::principal::AwsPrincipalKind;

    #[test]
    fn every_shape() {
        let doc = r#"{
          "Version": "2012-10-17",
          "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": ["123456789012", "arn:aws:iam::111122223333:root"], "Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:SecureTransport": true}, "NumericLessThan": {"k": [1, 2]}}
          }
        }"#;
        let p = Policy::parse(doc).unwrap();
        assert_eq!(p.statements.len(), 1);
        let s = &p.statements[0];
        assert_eq!(s.principals().len(), 3);
        match &s.principals()[0] {
            Principal::Aws(a) => assert_eq!(a.kind, AwsPrincipalKind::Account),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[0].values, vec!["true"]);
        assert_eq!(s.conditions[1].values, vec!["1", "2"]);
        assert!(s.resource.is_none());
    }

    #[test]
    fn star_principal_and_not_elements() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
            {"Effect":"Deny","NotPrincipal":{"AWS":"*"},"NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b"}
        ]}"#;
        let p = Policy::parse(doc).unwrap();
        assert_eq!(
            p.statements[0].principals(),
            &[Principal::Any { aws_only: false }]
        );
        let d = &p.statements[1];
        assert!(d.principal.as_ref().unwrap().negated);
        assert!(d.action.negated);
        assert!(d.resource.as_ref().unwrap().negated);
        assert!(d.action.matches_action("s3:PutObject"));
        assert!(!d.action.matches_action("S3:GETOBJECT"));
        assert_eq!(d.index, 1);
    }

    #[test]
    fn url_encoded() {
        let enc = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%7D";
        let p = Policy::parse(enc).unwrap();
        assert_eq!(p.statements[0].action.items, vec!["s3:*"]);
        let from_string = Policy::from_value(&Value::String(enc.into())).unwrap();
        assert_eq!(p, from_string);
    }

    #[test]
    fn errors_name_the_place() {
        let cases = [
            ("not json", "not valid JSON"),
            ("[]", "expected an object, found an array"),
            (r#"{"Statement":[]}"#, ""),
            (r#"{"Version":"2012-10-17"}"#, "`Statement`: missing"),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":5,"Resource":"*"}]}"#,
                "`Statement[0].Action`: expected a string or an array of strings, found a number",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject",7],"Resource":"*"}]}"#,
                "`Statement[0].Action[1]`",
            ),
            (
                r#"{"Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}"#,
                "expected `Allow` or `Deny`",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
                "`Statement.Action`: missing",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}"#,
                "conflicts",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}}"#,
                "unknown condition operator",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{"x":1}}}}}"#,
                "`Statement.Condition.StringEquals.k`: expected a string, number or boolean",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":{"Martian":"x"},"Action":"*"}}"#,
                "unknown principal type",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"someone","Action":"*"}}"#,
                "found the string `someone`",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Colour":"red"}}"#,
                "`Statement.Colour`: unknown element",
            ),
            ("%7B%ZZ", "bad percent-escape"),
        ];
        for (doc, want) in cases {
            match Policy::parse(doc) {
                Ok(_) if want.is_empty() => {}
                Ok(p) => panic!("{doc} parsed: {p:?}"),
                Err(e) => assert!(
                    e.to_string().contains(want),
                    "{doc}: got `{e}`, want `{want}`"
                ),
            }
        }
    }

    #[test]
    fn json_error_has_position() {
        let err = Policy::parse("{\n  \"Statement\": [\n  oops").unwrap_err();
        match err {
            PolicyError::Json { line, column, .. } => {
                assert_eq!(line, 3);
                assert!(column > 0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Policy::parse(&deep).is_err());
    }
}
