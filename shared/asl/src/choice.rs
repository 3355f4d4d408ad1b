//! Choice rules (JSONPath flavour): comparisons, type tests and `And`/`Or`/`Not`.
//!
//! Semantics kept from Step Functions: a comparison whose variable has the wrong type is
//! simply false; a `Variable` (or a `…Path` operand) that does not exist is a `States.Runtime`
//! error, except under `IsPresent`, which exists to test for that.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::path::{parse_timestamp, Context, Path};

/// Which ordering results satisfy a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

impl Relation {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Relation::Equals => ordering == Ordering::Equal,
            Relation::LessThan => ordering == Ordering::Less,
            Relation::GreaterThan => ordering == Ordering::Greater,
            Relation::LessThanEquals => ordering != Ordering::Greater,
            Relation::GreaterThanEquals => ordering != Ordering::Less,
        }
    }
}

/// The type a comparison works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

/// The type tests (`IsNull`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeTest {
    Present,
    Null,
    String,
    Numeric,
    Boolean,
    Timestamp,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Literal(Value),
    Path(Path),
}

/// One piece of a `StringMatches` pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PatternPiece {
    Char(char),
    Star,
}

/// A test on one variable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    Compare {
        kind: Kind,
        relation: Relation,
        operand: Operand,
    },
    Matches(Vec<PatternPiece>),
    Is {
        test: TypeTest,
        expected: bool,
    },
}

/// A parsed Choice rule (top-level or nested).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    /// `Variable` plus one operator.
    Test {
        /// The value tested.
        variable: Path,
        /// How.
        test: Test,
    },
    /// All must hold.
    And(Vec<Rule>),
    /// Any must hold.
    Or(Vec<Rule>),
    /// Must not hold.
    Not(Box<Rule>),
}

/// A top-level Choice rule: the condition and where it leads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChoiceRule {
    /// The condition.
    pub rule: Rule,
    /// The state to go to when it holds.
    pub next: String,
}

/// A load error inside `Choices`; `field` is like `Choices[1].And[0].StringEquals`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleError {
    /// Where.
    pub field: String,
    /// What.
    pub message: String,
}

/// A run-time failure evaluating a rule (becomes `States.Runtime`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MissingPath(pub String);

fn operator(name: &str) -> Option<(Kind, Relation, bool)> {
    let (base, is_path) = match name.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (name, false),
    };
    let (kind, rest) = if let Some(rest) = base.strip_prefix("String") {
        (Kind::String, rest)
    } else if let Some(rest) = base.strip_prefix("Numeric") {
        (Kind::Numeric, rest)
    } else if let Some(rest) = base.strip_prefix("Boolean") {
        (Kind::Boolean, rest)
    } else if let Some(rest) = base.strip_prefix("Timestamp") {
        (Kind::Timestamp, rest)
    } else {
        return None;
    };
    let relation = match rest {
        "Equals" => Relation::Equals,
        "LessThan" if kind != Kind::Boolean => Relation::LessThan,
        "GreaterThan" if kind != Kind::Boolean => Relation::GreaterThan,
        "LessThanEquals" if kind != Kind::Boolean => Relation::LessThanEquals,
        "GreaterThanEquals" if kind != Kind::Boolean => Relation::GreaterThanEquals,
        _ => return None,
    };
    Some((kind, relation, is_path))
}

fn type_test(name: &str) -> Option<TypeTest> {
    Some(match name {
        "IsPresent" => TypeTest::Present,
        "IsNull" => TypeTest::Null,
        "IsString" => TypeTest::String,
        "IsNumeric" => TypeTest::Numeric,
        "IsBoolean" => TypeTest::Boolean,
        "IsTimestamp" => TypeTest::Timestamp,
        _ => return None,
    })
}

/// Parses one entry of `Choices` (which must have `Next`).
pub(crate) fn parse_choice(value: &Value, field: &str) -> Result<ChoiceRule, RuleError> {
    let err = |f: String, m: String| RuleError { field: f, message: m };
    let Value::Object(map) = value else {
        return Err(err(field.to_string(), "a Choice rule must be an object".into()));
    };
    let next = match map.get("Next") {
        Some(Value::String(next)) => next.clone(),
        Some(_) => return Err(err(format!("{field}.Next"), "must be a state name (a string)".into())),
        None => {
            return Err(err(
                format!("{field}.Next"),
                "is required in a top-level Choice rule".into(),
            ))
        }
    };
    let rule = parse_rule(map, field, true)?;
    Ok(ChoiceRule { rule, next })
}

fn parse_rule(map: &Map<String, Value>, field: &str, top: bool) -> Result<Rule, RuleError> {
    let err = |f: String, m: &str| RuleError {
        field: f,
        message: m.to_string(),
    };
    let mut operators = Vec::new();
    let mut variable = None;
    for (key, value) in map {
        match key.as_str() {
            "Comment" => {}
            "Next" if top => {}
            "Next" => {
                return Err(err(
                    format!("{field}.Next"),
                    "is only allowed in a top-level Choice rule",
                ))
            }
            "Variable" => variable = Some(value),
            _ => operators.push((key.as_str(), value)),
        }
    }
    let [(op, operand)] = operators.as_slice() else {
        let names: Vec<&str> = operators.iter().map(|(k, _)| *k).collect();
        let message = if names.is_empty() {
            "has no comparison operator (or And/Or/Not)".to_string()
        } else {
            format!("must have exactly one operator, found {}", names.join(", "))
        };
        return Err(RuleError {
            field: field.to_string(),
            message,
        });
    };
    let here = format!("{field}.{op}");
    match *op {
        "And" | "Or" | "Not" => {
            if variable.is_some() {
                return Err(err(format!("{field}.Variable"), "cannot be combined with And/Or/Not"));
            }
            if *op == "Not" {
                let Value::Object(inner) = operand else {
                    return Err(err(here, "must be a single rule object"));
                };
                return Ok(Rule::Not(Box::new(parse_rule(inner, &here, false)?)));
            }
            let Value::Array(items) = operand else {
                return Err(err(here, "must be an array of rules"));
            };
            if items.is_empty() {
                return Err(err(here, "must not be empty"));
            }
            let mut rules = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = format!("{here}[{i}]");
                let Value::Object(inner) = item else {
                    return Err(err(at, "must be a rule object"));
                };
                rules.push(parse_rule(inner, &at, false)?);
            }
            Ok(if *op == "And" {
                Rule::And(rules)
            } else {
                Rule::Or(rules)
            })
        }
        _ => {
            let variable = match variable {
                Some(Value::String(text)) => Path::parse(text).map_err(|m| RuleError {
                    field: format!("{field}.Variable"),
                    message: m,
                })?,
                Some(_) => return Err(err(format!("{field}.Variable"), "must be a reference path string")),
                None => {
                    return Err(err(
                        format!("{field}.Variable"),
                        "is required with a comparison operator",
                    ))
                }
            };
            let test = parse_test(op, operand).map_err(|m| RuleError {
                field: here,
                message: m,
            })?;
            Ok(Rule::Test { variable, test })
        }
    }
}

fn parse_test(op: &str, operand: &Value) -> Result<Test, String> {
    if let Some(test) = type_test(op) {
        let Value::Bool(expected) = operand else {
            return Err("must be true or false".into());
        };
        return Ok(Test::Is {
            test,
            expected: *expected,
        });
    }
    if op == "StringMatches" {
        let Value::String(pattern) = operand else {
            return Err("must be a string pattern".into());
        };
        return parse_pattern(pattern).map(Test::Matches);
    }
    let Some((kind, relation, is_path)) = operator(op) else {
        return Err("is not a supported Choice operator".into());
    };
    if is_path {
        let Value::String(text) = operand else {
            return Err("must be a reference path string".into());
        };
        return Ok(Test::Compare {
            kind,
            relation,
            operand: Operand::Path(Path::parse(text)?),
        });
    }
    let ok = match kind {
        Kind::String => operand.is_string(),
        Kind::Numeric => operand.is_number(),
        Kind::Boolean => operand.is_boolean(),
        Kind::Timestamp => operand.as_str().and_then(parse_timestamp).is_some(),
    };
    if !ok {
        let wanted = match kind {
            Kind::String => "a string",
            Kind::Numeric => "a number",
            Kind::Boolean => "true or false",
            Kind::Timestamp => "an RFC 3339 timestamp string (uppercase T and Z)",
        };
        return Err(format!("must be {wanted}"));
    }
    Ok(Test::Compare {
        kind,
        relation,
        operand: Operand::Literal(operand.clone()),
    })
}

fn parse_pattern(pattern: &str) -> Result<Vec<PatternPiece>, String> {
    let mut pieces = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => pieces.push(PatternPiece::Char(escaped)),
                None => return Err("the pattern ends with a lone `\\`".into()),
            },
            '*' => pieces.push(PatternPiece::Star),
            other => pieces.push(PatternPiece::Char(other)),
        }
    }
    Ok(pieces)
}

/// Wildcard match with backtracking to the last `*` (linear in practice, no recursion).
fn matches(pattern: &[PatternPiece], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(PatternPiece::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(PatternPiece::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|piece| *piece == PatternPiece::Star)
}

fn compare(kind: Kind, left: &Value, right: &Value) -> Option<Ordering> {
    match kind {
        Kind::String => {
            let (a, b) = (left.as_str()?, right.as_str()?);
            // Step Functions orders strings by UTF-16 code units (Java semantics).
            Some(a.encode_utf16().cmp(b.encode_utf16()))
        }
        Kind::Numeric => {
            let (a, b) = (left.as_number()?, right.as_number()?);
            match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => match (a.as_u64(), b.as_u64()) {
                    (Some(x), Some(y)) => Some(x.cmp(&y)),
                    _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
                },
            }
        }
        Kind::Boolean => Some(left.as_bool()?.cmp(&right.as_bool()?)),
        Kind::Timestamp => {
            let (a, b) = (parse_timestamp(left.as_str()?)?, parse_timestamp(right.as_str()?)?);
            Some(a.cmp(&b))
        }
    }
}

impl Rule {
    /// Evaluates the rule against the Choice state's effective input.
    pub(crate) fn eval(&self, data: &Value, context: &Context) -> Result<bool, MissingPath> {
        match self {
            Rule::And(rules) => {
                for rule in rules {
                    if !rule.eval(data, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rules) => {
                for rule in rules {
                    if rule.eval(data, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(rule) => Ok(!rule.eval(data, context)?),
            Rule::Test { variable, test } => {
                let value = variable.get(data, context);
                if let Test::Is {
                    test: TypeTest::Present,
                    expected,
                } = test
                {
                    return Ok(value.is_some() == *expected);
                }
                let value = value.ok_or_else(|| MissingPath(variable.text().to_string()))?;
                Ok(match test {
                    Test::Is { test, expected } => {
                        let is = match test {
                            TypeTest::Present => true,
                            TypeTest::Null => value.is_null(),
                            TypeTest::String => value.is_string(),
                            TypeTest::Numeric => value.is_number(),
                            TypeTest::Boolean => value.is_boolean(),
                            TypeTest::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
                        };
                        is == *expected
                    }
                    Test::Matches(pattern) => value.as_str().is_some_and(|s| matches(pattern, s)),
                    Test::Compare {
                        kind,
                        relation,
                        operand,
                    } => {
                        let right = match operand {
                            Operand::Literal(v) => v.clone(),
                            Operand::Path(path) => path
                                .get(data, context)
                                .ok_or_else(|| MissingPath(path.text().to_string()))?,
                        };
                        compare(*kind, &value, &right).is_some_and(|ordering| relation.holds(ordering))
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::tests::context;
    use serde_json::json;

    fn rule(value: Value) -> Rule {
        let mut value = value;
        value["Next"] = json!("X");
        parse_choice(&value, "Choices[0]").expect("valid rule").rule
    }

    fn holds(r: Value, data: &Value) -> bool {
        rule(r).eval(data, &context()).expect("no missing path")
    }

    #[test]
    fn string_comparisons() {
        let d = json!({"s": "b", "other": "b", "n": 1});
        assert!(holds(json!({"Variable": "$.s", "StringEquals": "b"}), &d));
        assert!(!holds(json!({"Variable": "$.s", "StringEquals": "B"}), &d));
        assert!(holds(json!({"Variable": "$.s", "StringEqualsPath": "$.other"}), &d));
        assert!(holds(json!({"Variable": "$.s", "StringLessThan": "c"}), &d));
        assert!(!holds(json!({"Variable": "$.s", "StringLessThan": "b"}), &d));
        assert!(holds(json!({"Variable": "$.s", "StringLessThanEquals": "b"}), &d));
        assert!(holds(json!({"Variable": "$.s", "StringGreaterThan": "a"}), &d));
        assert!(holds(json!({"Variable": "$.s", "StringGreaterThanEquals": "b"}), &d));
        assert!(!holds(
            json!({"Variable": "$.s", "StringGreaterThanPath": "$.other"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.s", "StringLessThanEqualsPath": "$.other"}),
            &d
        ));
        // A number is never equal to a string.
        assert!(!holds(json!({"Variable": "$.n", "StringEquals": "1"}), &d));
    }

    #[test]
    fn string_matches_wildcards_and_escapes() {
        let d = json!({"k": "uploads/p1/talk.mp3", "star": "a*b", "n": 5});
        assert!(holds(json!({"Variable": "$.k", "StringMatches": "uploads/*.mp3"}), &d));
        assert!(holds(json!({"Variable": "$.k", "StringMatches": "*"}), &d));
        assert!(holds(json!({"Variable": "$.k", "StringMatches": "*p1*talk*"}), &d));
        assert!(!holds(json!({"Variable": "$.k", "StringMatches": "uploads/*.wav"}), &d));
        assert!(!holds(json!({"Variable": "$.k", "StringMatches": "uploads"}), &d));
        assert!(holds(json!({"Variable": "$.star", "StringMatches": "a\\*b"}), &d));
        assert!(!holds(json!({"Variable": "$.k", "StringMatches": "a\\*b"}), &d));
        assert!(!holds(json!({"Variable": "$.n", "StringMatches": "*"}), &d));
    }

    #[test]
    fn numeric_comparisons() {
        let d = json!({"n": 5, "f": 2.5, "big": 9007199254740993u64, "five": 5.0, "s": "5"});
        assert!(holds(json!({"Variable": "$.n", "NumericEquals": 5}), &d));
        assert!(holds(json!({"Variable": "$.n", "NumericEqualsPath": "$.five"}), &d));
        assert!(holds(json!({"Variable": "$.f", "NumericLessThan": 3}), &d));
        assert!(holds(json!({"Variable": "$.f", "NumericGreaterThan": 2.4}), &d));
        assert!(holds(json!({"Variable": "$.n", "NumericLessThanEquals": 5}), &d));
        assert!(holds(json!({"Variable": "$.n", "NumericGreaterThanEquals": 5}), &d));
        assert!(!holds(json!({"Variable": "$.n", "NumericGreaterThan": 5}), &d));
        assert!(holds(json!({"Variable": "$.f", "NumericLessThanPath": "$.n"}), &d));
        assert!(holds(json!({"Variable": "$.n", "NumericGreaterThanPath": "$.f"}), &d));
        assert!(holds(
            json!({"Variable": "$.n", "NumericLessThanEqualsPath": "$.five"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.n"}),
            &d
        ));
        assert!(!holds(
            json!({"Variable": "$.big", "NumericEquals": 9007199254740992u64}),
            &d
        ));
        assert!(!holds(json!({"Variable": "$.s", "NumericEquals": 5}), &d));
    }

    #[test]
    fn boolean_comparisons() {
        let d = json!({"t": true, "f": false, "s": "true"});
        assert!(holds(json!({"Variable": "$.t", "BooleanEquals": true}), &d));
        assert!(!holds(json!({"Variable": "$.f", "BooleanEquals": true}), &d));
        assert!(!holds(json!({"Variable": "$.t", "BooleanEqualsPath": "$.f"}), &d));
        assert!(holds(json!({"Variable": "$.f", "BooleanEqualsPath": "$.f"}), &d));
        assert!(!holds(json!({"Variable": "$.s", "BooleanEquals": true}), &d));
    }

    #[test]
    fn timestamp_comparisons() {
        let d = json!({
            "t": "2026-01-02T03:04:05Z",
            "same": "2026-01-02T05:04:05+02:00",
            "later": "2026-06-01T00:00:00Z",
            "bad": "2026-01-02 03:04:05"
        });
        assert!(holds(
            json!({"Variable": "$.t", "TimestampEquals": "2026-01-02T03:04:05Z"}),
            &d
        ));
        assert!(holds(json!({"Variable": "$.t", "TimestampEqualsPath": "$.same"}), &d));
        assert!(holds(
            json!({"Variable": "$.t", "TimestampLessThan": "2026-01-02T03:04:06Z"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.t", "TimestampLessThanPath": "$.later"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.later", "TimestampGreaterThan": "2026-01-02T03:04:05Z"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.later", "TimestampGreaterThanPath": "$.t"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.t", "TimestampLessThanEquals": "2026-01-02T03:04:05Z"}),
            &d
        ));
        assert!(holds(
            json!({"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.same"}),
            &d
        ));
        assert!(!holds(
            json!({"Variable": "$.bad", "TimestampEquals": "2026-01-02T03:04:05Z"}),
            &d
        ));
    }

    #[test]
    fn type_tests() {
        let d = json!({"n": null, "s": "x", "i": 1, "b": false, "ts": "2026-01-02T03:04:05Z", "o": {}});
        assert!(holds(json!({"Variable": "$.n", "IsPresent": true}), &d));
        assert!(holds(json!({"Variable": "$.missing", "IsPresent": false}), &d));
        assert!(!holds(json!({"Variable": "$.missing", "IsPresent": true}), &d));
        assert!(holds(json!({"Variable": "$.n", "IsNull": true}), &d));
        assert!(holds(json!({"Variable": "$.s", "IsNull": false}), &d));
        assert!(holds(json!({"Variable": "$.s", "IsString": true}), &d));
        assert!(!holds(json!({"Variable": "$.i", "IsString": true}), &d));
        assert!(holds(json!({"Variable": "$.i", "IsNumeric": true}), &d));
        assert!(holds(json!({"Variable": "$.b", "IsBoolean": true}), &d));
        assert!(!holds(json!({"Variable": "$.o", "IsBoolean": true}), &d));
        assert!(holds(json!({"Variable": "$.ts", "IsTimestamp": true}), &d));
        assert!(holds(json!({"Variable": "$.s", "IsTimestamp": false}), &d));
    }

    #[test]
    fn and_or_not_and_context_variables() {
        let d = json!({"a": 1, "b": "x"});
        let both = json!({"And": [
            {"Variable": "$.a", "NumericEquals": 1},
            {"Not": {"Variable": "$.b", "StringEquals": "y"}}
        ]});
        assert!(holds(both, &d));
        let either = json!({"Or": [
            {"Variable": "$.a", "NumericEquals": 2},
            {"Variable": "$$.State.Name", "StringEquals": "Extract"}
        ]});
        assert!(holds(either, &d));
        let neither = json!({"Or": [{"Variable": "$.a", "NumericEquals": 2}, {"Variable": "$.b", "IsNull": true}]});
        assert!(!holds(neither, &d));
        // And short-circuits, so a guard with IsPresent protects a later comparison.
        let guarded = json!({"And": [
            {"Variable": "$.missing", "IsPresent": true},
            {"Variable": "$.missing", "NumericEquals": 1}
        ]});
        assert!(!holds(guarded, &d));
    }

    #[test]
    fn a_missing_variable_or_operand_path_is_a_runtime_error() {
        let d = json!({"a": 1});
        let r = rule(json!({"Variable": "$.missing", "NumericEquals": 1}));
        assert_eq!(r.eval(&d, &context()), Err(MissingPath("$.missing".into())));
        let r = rule(json!({"Variable": "$.a", "NumericEqualsPath": "$.nope"}));
        assert_eq!(r.eval(&d, &context()), Err(MissingPath("$.nope".into())));
        let r = rule(json!({"Variable": "$.missing", "IsNull": true}));
        assert!(r.eval(&d, &context()).is_err());
    }

    #[test]
    fn load_errors_name_the_field() {
        let cases = [
            (
                json!({"Variable": "$.a", "StringEquals": 1, "Next": "X"}),
                "Choices[0].StringEquals",
            ),
            (
                json!({"Variable": "$.a", "NumericEquals": "1", "Next": "X"}),
                "Choices[0].NumericEquals",
            ),
            (
                json!({"Variable": "$.a", "TimestampEquals": "noon", "Next": "X"}),
                "Choices[0].TimestampEquals",
            ),
            (
                json!({"Variable": "$.a", "IsNull": "yes", "Next": "X"}),
                "Choices[0].IsNull",
            ),
            (
                json!({"Variable": "$.a", "BooleanLessThan": true, "Next": "X"}),
                "Choices[0].BooleanLessThan",
            ),
            (
                json!({"Variable": "$.a", "StringContains": "x", "Next": "X"}),
                "Choices[0].StringContains",
            ),
            (
                json!({"Variable": "$.a", "StringEqualsPath": "a", "Next": "X"}),
                "Choices[0].StringEqualsPath",
            ),
            (
                json!({"Variable": "$.a[*]", "IsNull": true, "Next": "X"}),
                "Choices[0].Variable",
            ),
            (json!({"StringEquals": "x", "Next": "X"}), "Choices[0].Variable"),
            (json!({"Variable": "$.a", "Next": "X"}), "Choices[0]"),
            (
                json!({"Variable": "$.a", "IsNull": true, "IsString": true, "Next": "X"}),
                "Choices[0]",
            ),
            (json!({"Variable": "$.a", "IsNull": true}), "Choices[0].Next"),
            (json!({"And": [], "Next": "X"}), "Choices[0].And"),
            (
                json!({"And": [{"Variable": "$.a", "IsNull": true, "Next": "Y"}], "Next": "X"}),
                "Choices[0].And[0].Next",
            ),
            (
                json!({"Not": [{"Variable": "$.a", "IsNull": true}], "Next": "X"}),
                "Choices[0].Not",
            ),
            (
                json!({"Variable": "$.a", "StringMatches": "x\\", "Next": "X"}),
                "Choices[0].StringMatches",
            ),
        ];
        for (value, field) in cases {
            let err = parse_choice(&value, "Choices[0]").expect_err(&value.to_string());
            assert_eq!(err.field, field, "{value}: {}", err.message);
        }
    }
}
