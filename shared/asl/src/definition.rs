//! Loading a state machine definition: placeholder substitution, parsing and validation.
//!
//! Validation is deliberately stricter than moto or cfn-lint: a transition to a missing state,
//! an unknown field, or a feature the local runner does not implement is a load error that
//! names the state and the field. The local runner must never silently skip part of the
//! definition that Step Functions would execute.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::choice::{parse_choice, ChoiceRule};
use super::error::AslError;
use super::intrinsics::{Expr, ExprError};
use super::path::{parse_timestamp, Path, Root};
use super::template::{Template, TemplateError};

/// The error name for failures the definition cannot handle (never retried or caught).
pub(crate) const STATES_RUNTIME: &str = "States.Runtime";
/// The error name for a task or execution that ran past its `TimeoutSeconds`.
pub(crate) const STATES_TIMEOUT: &str = "States.Timeout";
/// Matches every error except `States.Runtime`.
pub(crate) const STATES_ALL: &str = "States.ALL";
/// Matches every task failure except `States.Timeout`.
pub(crate) const STATES_TASK_FAILED: &str = "States.TaskFailed";
/// The error when a Choice state has no matching rule and no `Default`.
pub(crate) const STATES_NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";

/// `States.*` names Step Functions defines; any other `States.` name in `ErrorEquals` is a
/// typo that would silently never match, so it is refused.
const KNOWN_STATES_ERRORS: &[&str] = &[
    STATES_ALL,
    STATES_RUNTIME,
    STATES_TIMEOUT,
    STATES_TASK_FAILED,
    STATES_NO_CHOICE_MATCHED,
    "States.DataLimitExceeded",
    "States.HeartbeatTimeout",
    "States.Permissions",
    "States.ResultPathMatchFailure",
    "States.ParameterPathFailure",
    "States.BranchFailed",
    "States.IntrinsicFailure",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "States.ResultWriterFailed",
    "States.QueryEvaluationError",
    "States.Http.Socket",
];

/// Where `InputPath` / `OutputPath` point: a path, or `null` (meaning `{}`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IoPath {
    /// Select this node.
    Path(Path),
    /// `null`: the state sees (or emits) an empty object.
    Null,
}

/// Where a result goes: a path into the state input, or `null` (discard it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ResultPath {
    /// Place the result here.
    Path(Path),
    /// `null`: keep the input unchanged.
    Discard,
}

/// What happens after a state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transition {
    /// Go to this state.
    Next(String),
    /// `"End": true`.
    End,
}

/// One `Retry` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retrier {
    /// Names it matches.
    pub error_equals: Vec<String>,
    /// First delay, seconds.
    pub interval_seconds: u64,
    /// How many retries this retrier allows.
    pub max_attempts: u64,
    /// Multiplier per retry.
    pub backoff_rate: f64,
    /// Cap on any one delay, seconds.
    pub max_delay_seconds: Option<u64>,
}

impl Retrier {
    /// The delay before retry number `done + 1` of this retrier.
    pub(crate) fn delay_ms(&self, done: u64) -> u64 {
        let exponent = i32::try_from(done).unwrap_or(i32::MAX);
        let mut ms = self.interval_seconds as f64 * 1000.0 * self.backoff_rate.powi(exponent);
        if let Some(cap) = self.max_delay_seconds {
            ms = ms.min(cap as f64 * 1000.0);
        }
        // `as` saturates for huge or infinite values, which is what a runaway backoff should do.
        ms.round() as u64
    }
}

/// One `Catch` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Catcher {
    /// Names it matches.
    pub error_equals: Vec<String>,
    /// Where to go.
    pub next: String,
    /// Where the `{"Error", "Cause"}` object goes in the state input.
    pub result_path: ResultPath,
}

/// Whether an `ErrorEquals` list matches an error, with the Step Functions wildcard rules.
pub(crate) fn error_matches(names: &[String], error: &str) -> bool {
    if error == STATES_RUNTIME {
        return false;
    }
    names
        .iter()
        .any(|name| name == error || name == STATES_ALL || (name == STATES_TASK_FAILED && error != STATES_TIMEOUT))
}

/// A `Task` state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskState {
    pub resource: String,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub timeout_seconds: Option<u64>,
    pub transition: Transition,
}

/// A `Pass` state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PassState {
    pub result: Option<Value>,
    pub parameters: Option<Template>,
    pub result_path: ResultPath,
    pub transition: Transition,
}

/// A `Choice` state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChoiceState {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// How long a `Wait` state waits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WaitFor {
    Seconds(u64),
    SecondsPath(Path),
    Timestamp(DateTime<Utc>),
    TimestampPath(Path),
}

/// A `Wait` state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WaitState {
    pub wait: WaitFor,
    pub transition: Transition,
}

/// A `Fail` state's error or cause: written out, or taken from the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FailValue {
    Literal(String),
    Dynamic(Expr),
}

/// A `Fail` state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FailState {
    pub error: Option<FailValue>,
    pub cause: Option<FailValue>,
}

/// What a state does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StateKind {
    Task(TaskState),
    Pass(PassState),
    Choice(ChoiceState),
    Wait(WaitState),
    Succeed,
    Fail(FailState),
}

/// A validated state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub name: String,
    pub input_path: IoPath,
    pub output_path: IoPath,
    pub kind: StateKind,
}

/// A validated state machine definition, ready for the [`Runner`](super::Runner).
///
/// Built only through [`Definition::from_json`], so holding one means the whole file was
/// understood: every transition lands on a state and every field is one the runner executes.
#[derive(Debug, Clone)]
pub struct Definition {
    comment: Option<String>,
    start_at: String,
    timeout_seconds: Option<u64>,
    states: Vec<State>,
    index: HashMap<String, usize>,
}

impl Definition {
    /// Substitutes `${Name}` placeholders (SAM `DefinitionSubstitutions`; an unresolved one is
    /// an error naming it; `${!Literal}` yields `${Literal}` as in `Fn::Sub`), parses the JSON,
    /// and validates every state.
    pub fn from_json(text: &str, substitutions: &BTreeMap<String, String>) -> Result<Definition, AslError> {
        let text = substitute(text, substitutions)?;
        let raw: RawDefinition = serde_json::from_str(&text).map_err(AslError::Parse)?;
        build(raw)
    }

    /// Every distinct task `Resource`, so the caller can check each one has a handler before
    /// an execution needs it.
    pub fn task_resources(&self) -> BTreeSet<String> {
        self.states
            .iter()
            .filter_map(|s| match &s.kind {
                StateKind::Task(task) => Some(task.resource.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every error name in any `Retry` `ErrorEquals`, so the caller can check its handlers
    /// report those names for transient failures (and nothing retries a deterministic one).
    pub fn retried_error_names(&self) -> BTreeSet<String> {
        self.states
            .iter()
            .filter_map(|s| match &s.kind {
                StateKind::Task(task) => Some(task.retry.iter().flat_map(|r| r.error_equals.iter().cloned())),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The state names in the order the file declares them.
    pub fn state_names(&self) -> Vec<String> {
        self.states.iter().map(|s| s.name.clone()).collect()
    }

    /// The state an execution starts in.
    pub fn start_at(&self) -> &str {
        &self.start_at
    }

    /// The execution-level `TimeoutSeconds`, if any.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }

    /// The top-level `Comment`, if any.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The state called `name`.
    pub(crate) fn state(&self, name: &str) -> Option<&State> {
        self.index.get(name).and_then(|&i| self.states.get(i))
    }
}

/// Replaces `${Name}` with its substitution; `${!Name}` becomes the literal `${Name}`.
/// Names are letters, digits and `_ : .` (as in `Fn::Sub`); a `${` not followed by such a
/// name and a `}` is an error rather than text passed through.
fn substitute(text: &str, substitutions: &BTreeMap<String, String>) -> Result<String, AslError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(pos) = rest.find("${") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '!')))
            .filter(|&end| after[end..].starts_with('}'))
            .ok_or(AslError::MalformedPlaceholder(offset + pos))?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else {
            let value = substitutions
                .get(name)
                .ok_or_else(|| AslError::UnresolvedPlaceholder(name.to_string()))?;
            out.push_str(value);
        }
        let consumed = pos + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The top level as read, keeping the order of `States` (serde_json's map sorts keys) and
/// refusing duplicate names (serde_json's map would silently keep the last one).
struct RawDefinition {
    fields: Vec<(String, Value)>,
    states: Option<Vec<(String, Value)>>,
}

struct RawStates(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for RawStates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatesVisitor;
        impl<'de> Visitor<'de> for StatesVisitor {
            type Value = RawStates;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`States` as an object mapping state names to states")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStates, A::Error> {
                let mut states: Vec<(String, Value)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if states.iter().any(|(n, _)| *n == name) {
                        return Err(de::Error::custom(format!("state `{name}` is defined twice")));
                    }
                    let value: Value = map.next_value()?;
                    states.push((name, value));
                }
                Ok(RawStates(states))
            }
        }
        deserializer.deserialize_map(StatesVisitor)
    }
}

impl<'de> Deserialize<'de> for RawDefinition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = RawDefinition;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a state machine definition object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDefinition, A::Error> {
                let mut fields: Vec<(String, Value)> = Vec::new();
                let mut states = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "States" {
                        if states.is_some() {
                            return Err(de::Error::custom("field `States` appears twice"));
                        }
                        states = Some(map.next_value::<RawStates>()?.0);
                    } else {
                        if fields.iter().any(|(k, _)| *k == key) {
                            return Err(de::Error::custom(format!("field `{key}` appears twice")));
                        }
                        let value: Value = map.next_value()?;
                        fields.push((key, value));
                    }
                }
                Ok(RawDefinition { fields, states })
            }
        }
        deserializer.deserialize_map(TopVisitor)
    }
}

fn top_error(field: &str, message: impl Into<String>) -> AslError {
    AslError::Definition {
        field: field.to_string(),
        message: message.into(),
    }
}

fn positive_integer(value: &Value) -> Option<u64> {
    value.as_u64().filter(|n| *n > 0)
}

fn check_query_language(value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some("JSONPath") => Ok(()),
        Some("JSONata") => Err("`JSONata` is not supported by the local runner; use `JSONPath`".into()),
        _ => Err("must be \"JSONPath\"".into()),
    }
}

fn build(raw: RawDefinition) -> Result<Definition, AslError> {
    let mut comment = None;
    let mut start_at = None;
    let mut timeout_seconds = None;
    for (key, value) in &raw.fields {
        match key.as_str() {
            "Comment" => {
                comment = Some(
                    value
                        .as_str()
                        .ok_or_else(|| top_error(key, "must be a string"))?
                        .to_string(),
                )
            }
            "StartAt" => start_at = Some(value.as_str().ok_or_else(|| top_error(key, "must be a state name"))?),
            "TimeoutSeconds" => {
                timeout_seconds =
                    Some(positive_integer(value).ok_or_else(|| top_error(key, "must be a positive integer"))?)
            }
            "Version" => {
                value
                    .as_str()
                    .ok_or_else(|| top_error(key, "must be a string such as \"1.0\""))?;
            }
            "QueryLanguage" => check_query_language(value).map_err(|m| top_error(key, m))?,
            _ => return Err(top_error(key, "is not supported by the local runner")),
        }
    }
    let start_at = start_at.ok_or_else(|| top_error("StartAt", "is required"))?.to_string();
    let raw_states = raw.states.ok_or_else(|| top_error("States", "is required"))?;
    if raw_states.is_empty() {
        return Err(top_error("States", "must define at least one state"));
    }
    let mut states = Vec::with_capacity(raw_states.len());
    for (name, value) in &raw_states {
        states.push(parse_state(name, value)?);
    }
    let index: HashMap<String, usize> = states.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
    if !index.contains_key(&start_at) {
        return Err(AslError::MissingStartAt(start_at));
    }
    for state in &states {
        for (field, target) in transitions(state) {
            if !index.contains_key(&target) {
                return Err(AslError::MissingState {
                    state: state.name.clone(),
                    field,
                    target,
                });
            }
        }
    }
    Ok(Definition {
        comment,
        start_at,
        timeout_seconds,
        states,
        index,
    })
}

/// Every (field, target) transition a state can take.
fn transitions(state: &State) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let next = |t: &Transition, out: &mut Vec<(String, String)>| {
        if let Transition::Next(n) = t {
            out.push(("Next".to_string(), n.clone()));
        }
    };
    match &state.kind {
        StateKind::Task(task) => {
            next(&task.transition, &mut out);
            for (i, c) in task.catch.iter().enumerate() {
                out.push((format!("Catch[{i}].Next"), c.next.clone()));
            }
        }
        StateKind::Pass(pass) => next(&pass.transition, &mut out),
        StateKind::Wait(wait) => next(&wait.transition, &mut out),
        StateKind::Choice(choice) => {
            for (i, rule) in choice.choices.iter().enumerate() {
                out.push((format!("Choices[{i}].Next"), rule.next.clone()));
            }
            if let Some(default) = &choice.default {
                out.push(("Default".to_string(), default.clone()));
            }
        }
        StateKind::Succeed | StateKind::Fail(_) => {}
    }
    out
}

/// Field access for one state, producing errors that name the state and field.
struct Fields<'a> {
    state: &'a str,
    type_name: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn invalid(&self, field: &str, message: impl Into<String>) -> AslError {
        AslError::InvalidField {
            state: self.state.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn unsupported(&self, field: &str) -> AslError {
        AslError::UnsupportedField {
            state: self.state.to_string(),
            field: field.to_string(),
            type_name: self.type_name.to_string(),
        }
    }

    fn allow_only(&self, allowed: &[&str]) -> Result<(), AslError> {
        const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
        match self
            .map
            .keys()
            .find(|k| !COMMON.contains(&k.as_str()) && !allowed.contains(&k.as_str()))
        {
            Some(field) => Err(self.unsupported(field)),
            None => Ok(()),
        }
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    fn string(&self, field: &str) -> Result<Option<&'a str>, AslError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(field, "must be a string")),
        }
    }

    fn path(&self, field: &str, text: &str) -> Result<Path, AslError> {
        Path::parse(text).map_err(|m| self.invalid(field, m))
    }

    fn io_path(&self, field: &str) -> Result<IoPath, AslError> {
        match self.get(field) {
            None => Ok(IoPath::Path(self.path(field, "$")?)),
            Some(Value::Null) => Ok(IoPath::Null),
            Some(Value::String(text)) => Ok(IoPath::Path(self.path(field, text)?)),
            Some(_) => Err(self.invalid(field, "must be a reference path or null")),
        }
    }

    fn result_path(&self, field: &str, value: Option<&Value>) -> Result<ResultPath, AslError> {
        let path = match value {
            None => self.path(field, "$")?,
            Some(Value::Null) => return Ok(ResultPath::Discard),
            Some(Value::String(text)) => self.path(field, text)?,
            Some(_) => return Err(self.invalid(field, "must be a reference path or null")),
        };
        if path.root() == Root::Context {
            return Err(self.invalid(field, "cannot write into the context object (`$$`)"));
        }
        Ok(ResultPath::Path(path))
    }

    fn template(&self, field: &str) -> Result<Option<Template>, AslError> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        if field == "ResultSelector" && !value.is_object() {
            return Err(self.invalid(field, "must be an object"));
        }
        Template::parse(value).map(Some).map_err(|TemplateError { at, error }| {
            let field = if at.is_empty() {
                field.to_string()
            } else {
                format!("{field}.{at}")
            };
            self.expr_error(&field, error)
        })
    }

    fn expr_error(&self, field: &str, error: ExprError) -> AslError {
        match error {
            ExprError::UnsupportedFunction(function) => AslError::UnsupportedIntrinsic {
                state: self.state.to_string(),
                field: field.to_string(),
                function,
            },
            ExprError::Invalid(message) => self.invalid(field, message),
        }
    }

    fn transition(&self) -> Result<Transition, AslError> {
        let end = match self.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(self.invalid("End", "must be true or false")),
        };
        match (self.string("Next")?, end) {
            (Some(_), true) => Err(self.invalid("Next", "cannot be combined with \"End\": true")),
            (Some(next), false) => Ok(Transition::Next(next.to_string())),
            (None, true) => Ok(Transition::End),
            (None, false) => Err(self.invalid("Next", "is required (or \"End\": true)")),
        }
    }

    fn timeout(&self, field: &str) -> Result<Option<u64>, AslError> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => positive_integer(v)
                .map(Some)
                .ok_or_else(|| self.invalid(field, "must be a positive integer")),
        }
    }

    fn error_equals(&self, field: &str, value: Option<&Value>) -> Result<Vec<String>, AslError> {
        let Some(Value::Array(items)) = value else {
            return Err(self.invalid(field, "is required: a non-empty array of error names"));
        };
        if items.is_empty() {
            return Err(self.invalid(field, "must not be empty"));
        }
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            let Some(name) = item.as_str().filter(|s| !s.is_empty()) else {
                return Err(self.invalid(field, "must contain only non-empty strings"));
            };
            if name.starts_with("States.") && !KNOWN_STATES_ERRORS.contains(&name) {
                return Err(self.invalid(field, format!("`{name}` is not a Step Functions error name")));
            }
            names.push(name.to_string());
        }
        if names.len() > 1 && names.iter().any(|n| n == STATES_ALL) {
            return Err(self.invalid(field, "`States.ALL` must appear alone"));
        }
        Ok(names)
    }

    fn retriers(&self) -> Result<Vec<Retrier>, AslError> {
        let Some(value) = self.get("Retry") else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(self.invalid("Retry", "must be an array of retriers"));
        };
        let mut retriers = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = |f: &str| format!("Retry[{i}].{f}");
            let Value::Object(map) = item else {
                return Err(self.invalid(&format!("Retry[{i}]"), "must be an object"));
            };
            for key in map.keys() {
                let known = [
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "Comment",
                ];
                if !known.contains(&key.as_str()) {
                    return Err(self.unsupported(&at(key)));
                }
            }
            let error_equals = self.error_equals(&at("ErrorEquals"), map.get("ErrorEquals"))?;
            if error_equals.iter().any(|n| n == STATES_ALL) && i + 1 != items.len() {
                return Err(self.invalid(&at("ErrorEquals"), "`States.ALL` must be in the last retrier"));
            }
            let interval_seconds = match map.get("IntervalSeconds") {
                None => 1,
                Some(v) => positive_integer(v)
                    .filter(|n| *n <= 99_999_999)
                    .ok_or_else(|| self.invalid(&at("IntervalSeconds"), "must be an integer from 1 to 99999999"))?,
            };
            let max_attempts = match map.get("MaxAttempts") {
                None => 3,
                Some(v) => v
                    .as_u64()
                    .filter(|n| *n <= 99_999_999)
                    .ok_or_else(|| self.invalid(&at("MaxAttempts"), "must be an integer from 0 to 99999999"))?,
            };
            let backoff_rate = match map.get("BackoffRate") {
                None => 2.0,
                Some(v) => v
                    .as_f64()
                    .filter(|r| r.is_finite() && *r >= 1.0)
                    .ok_or_else(|| self.invalid(&at("BackoffRate"), "must be a number of at least 1.0"))?,
            };
            let max_delay_seconds =
                match map.get("MaxDelaySeconds") {
                    None => None,
                    Some(v) => Some(positive_integer(v).filter(|n| *n < 31_622_401).ok_or_else(|| {
                        self.invalid(&at("MaxDelaySeconds"), "must be an integer from 1 to 31622400")
                    })?),
                };
            retriers.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
            });
        }
        Ok(retriers)
    }

    fn catchers(&self) -> Result<Vec<Catcher>, AslError> {
        let Some(value) = self.get("Catch") else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(self.invalid("Catch", "must be an array of catchers"));
        };
        let mut catchers = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = |f: &str| format!("Catch[{i}].{f}");
            let Value::Object(map) = item else {
                return Err(self.invalid(&format!("Catch[{i}]"), "must be an object"));
            };
            for key in map.keys() {
                if !["ErrorEquals", "Next", "ResultPath", "Comment"].contains(&key.as_str()) {
                    return Err(self.unsupported(&at(key)));
                }
            }
            let error_equals = self.error_equals(&at("ErrorEquals"), map.get("ErrorEquals"))?;
            if error_equals.iter().any(|n| n == STATES_ALL) && i + 1 != items.len() {
                return Err(self.invalid(&at("ErrorEquals"), "`States.ALL` must be in the last catcher"));
            }
            let next = match map.get("Next") {
                Some(Value::String(next)) => next.clone(),
                _ => return Err(self.invalid(&at("Next"), "is required: a state name")),
            };
            let result_path = self.result_path(&at("ResultPath"), map.get("ResultPath"))?;
            catchers.push(Catcher {
                error_equals,
                next,
                result_path,
            });
        }
        Ok(catchers)
    }

    fn fail_value(&self, literal: &str, path: &str) -> Result<Option<FailValue>, AslError> {
        match (self.string(literal)?, self.string(path)?) {
            (Some(_), Some(_)) => Err(self.invalid(path, format!("cannot be combined with `{literal}`"))),
            (Some(text), None) => Ok(Some(FailValue::Literal(text.to_string()))),
            (None, Some(text)) => Expr::parse(text)
                .map(|e| Some(FailValue::Dynamic(e)))
                .map_err(|e| self.expr_error(path, e)),
            (None, None) => Ok(None),
        }
    }
}

fn parse_state(name: &str, value: &Value) -> Result<State, AslError> {
    let Value::Object(map) = value else {
        return Err(AslError::InvalidField {
            state: name.to_string(),
            field: "Type".to_string(),
            message: "a state must be an object".to_string(),
        });
    };
    let type_name = match map.get("Type") {
        Some(Value::String(t)) => t.as_str(),
        _ => {
            return Err(AslError::InvalidField {
                state: name.to_string(),
                field: "Type".to_string(),
                message: "is required: one of Task, Pass, Choice, Wait, Succeed, Fail".to_string(),
            })
        }
    };
    let f = Fields {
        state: name,
        type_name,
        map,
    };
    if let Some(lang) = f.get("QueryLanguage") {
        check_query_language(lang).map_err(|m| f.invalid("QueryLanguage", m))?;
    }
    f.string("Comment")?;
    let kind = match type_name {
        "Task" => {
            f.allow_only(&[
                "Resource",
                "Parameters",
                "ResultSelector",
                "InputPath",
                "ResultPath",
                "OutputPath",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "Next",
                "End",
            ])?;
            let resource = f
                .string("Resource")?
                .filter(|r| !r.is_empty())
                .ok_or_else(|| f.invalid("Resource", "is required: the task's resource (function) name"))?;
            StateKind::Task(TaskState {
                resource: resource.to_string(),
                parameters: f.template("Parameters")?,
                result_selector: f.template("ResultSelector")?,
                result_path: f.result_path("ResultPath", f.get("ResultPath"))?,
                retry: f.retriers()?,
                catch: f.catchers()?,
                timeout_seconds: f.timeout("TimeoutSeconds")?,
                transition: f.transition()?,
            })
        }
        "Pass" => {
            f.allow_only(&[
                "Result",
                "Parameters",
                "InputPath",
                "ResultPath",
                "OutputPath",
                "Next",
                "End",
            ])?;
            StateKind::Pass(PassState {
                result: f.get("Result").cloned(),
                parameters: f.template("Parameters")?,
                result_path: f.result_path("ResultPath", f.get("ResultPath"))?,
                transition: f.transition()?,
            })
        }
        "Choice" => {
            f.allow_only(&["Choices", "Default", "InputPath", "OutputPath"])?;
            let Some(Value::Array(items)) = f.get("Choices") else {
                return Err(f.invalid("Choices", "is required: a non-empty array of Choice rules"));
            };
            if items.is_empty() {
                return Err(f.invalid("Choices", "must not be empty"));
            }
            let mut choices = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                choices.push(parse_choice(item, &format!("Choices[{i}]")).map_err(|e| f.invalid(&e.field, e.message))?);
            }
            StateKind::Choice(ChoiceState {
                choices,
                default: f.string("Default")?.map(str::to_string),
            })
        }
        "Wait" => {
            f.allow_only(&[
                "Seconds",
                "SecondsPath",
                "Timestamp",
                "TimestampPath",
                "InputPath",
                "OutputPath",
                "Next",
                "End",
            ])?;
            let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
                .into_iter()
                .filter(|k| f.get(k).is_some())
                .collect();
            let wait = match given.as_slice() {
                [] => {
                    return Err(f.invalid(
                        "Seconds",
                        "one of Seconds, SecondsPath, Timestamp, TimestampPath is required",
                    ))
                }
                [_, second, ..] => {
                    return Err(f.invalid(
                        second,
                        "only one of Seconds, SecondsPath, Timestamp, TimestampPath may be set",
                    ))
                }
                [field] => {
                    let field = *field;
                    if field == "Seconds" {
                        WaitFor::Seconds(
                            f.get(field)
                                .and_then(Value::as_u64)
                                .ok_or_else(|| f.invalid(field, "must be a non-negative integer"))?,
                        )
                    } else {
                        let text = f.string(field)?.unwrap_or_default();
                        match field {
                            "Timestamp" => WaitFor::Timestamp(parse_timestamp(text).ok_or_else(|| {
                                f.invalid(field, "must be an RFC 3339 timestamp (uppercase T and Z)")
                            })?),
                            "SecondsPath" => WaitFor::SecondsPath(f.path(field, text)?),
                            _ => WaitFor::TimestampPath(f.path(field, text)?),
                        }
                    }
                }
            };
            StateKind::Wait(WaitState {
                wait,
                transition: f.transition()?,
            })
        }
        "Succeed" => {
            f.allow_only(&["InputPath", "OutputPath"])?;
            StateKind::Succeed
        }
        "Fail" => {
            f.allow_only(&["Error", "Cause", "ErrorPath", "CausePath"])?;
            StateKind::Fail(FailState {
                error: f.fail_value("Error", "ErrorPath")?,
                cause: f.fail_value("Cause", "CausePath")?,
            })
        }
        other => {
            return Err(AslError::UnsupportedType {
                state: name.to_string(),
                type_name: other.to_string(),
            })
        }
    };
    let (input_path, output_path) = match type_name {
        "Fail" => (
            IoPath::Path(f.path("InputPath", "$")?),
            IoPath::Path(f.path("OutputPath", "$")?),
        ),
        _ => (f.io_path("InputPath")?, f.io_path("OutputPath")?),
    };
    Ok(State {
        name: name.to_string(),
        input_path,
        output_path,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn load(value: Value) -> Result<Definition, AslError> {
        Definition::from_json(&value.to_string(), &BTreeMap::new())
    }

    /// A definition with one state `S` built from `state`, plus a terminal `Done`.
    fn one(state: Value) -> Result<Definition, AslError> {
        load(json!({"StartAt": "S", "States": {"S": state, "Done": {"Type": "Succeed"}}}))
    }

    fn message(result: Result<Definition, AslError>) -> String {
        match result {
            Ok(_) => String::from("<loaded>"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn substitutes_placeholders_and_names_unresolved_ones() {
        let text = r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${Fn}","End":true}}}"#;
        let def = Definition::from_json(text, &subs(&[("Fn", "transcribe")])).unwrap();
        assert_eq!(def.task_resources(), BTreeSet::from(["transcribe".to_string()]));
        let err = Definition::from_json(text, &subs(&[("Other", "x")])).unwrap_err();
        assert!(
            matches!(&err, AslError::UnresolvedPlaceholder(name) if name == "Fn"),
            "{err}"
        );
        assert!(err.to_string().contains("${Fn}"), "{err}");
        let literal = r#"{"StartAt":"A","Comment":"${!Keep}","States":{"A":{"Type":"Succeed"}}}"#;
        let def = Definition::from_json(literal, &BTreeMap::new()).unwrap();
        assert_eq!(def.comment(), Some("${Keep}"));
        let open = r#"{"StartAt":"A","Comment":"${Oops","States":{"A":{"Type":"Succeed"}}}"#;
        assert!(matches!(
            Definition::from_json(open, &BTreeMap::new()),
            Err(AslError::MalformedPlaceholder(_))
        ));
    }

    #[test]
    fn reports_declaration_order_resources_and_retried_errors() {
        let def = load(json!({
            "StartAt": "Zed",
            "TimeoutSeconds": 60,
            "States": {
                "Zed": {"Type": "Task", "Resource": "b", "Next": "Alpha",
                        "Retry": [{"ErrorEquals": ["E1", "E2"]}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]},
                "Alpha": {"Type": "Task", "Resource": "a", "Next": "Mid", "Retry": [{"ErrorEquals": ["E3"]}]},
                "Mid": {"Type": "Task", "Resource": "a", "End": true}
            }
        }))
        .unwrap();
        assert_eq!(def.state_names(), vec!["Zed", "Alpha", "Mid"]);
        assert_eq!(def.task_resources(), BTreeSet::from(["a".to_string(), "b".to_string()]));
        let names: Vec<String> = def.retried_error_names().into_iter().collect();
        assert_eq!(names, vec!["E1", "E2", "E3", "States.ALL"]);
        assert_eq!(def.start_at(), "Zed");
        assert_eq!(def.timeout_seconds(), Some(60));
    }

    #[test]
    fn unsupported_types_and_fields_name_the_state() {
        let msg = message(load(json!({"StartAt": "Fanout", "States": {
            "Fanout": {"Type": "Map", "ItemProcessor": {}, "End": true}
        }})));
        assert_eq!(msg, "state `Fanout`: type `Map` is not supported by the local runner");
        let msg = message(one(json!({"Type": "Parallel", "Branches": [], "End": true})));
        assert!(msg.contains("type `Parallel` is not supported"), "{msg}");
        let msg = message(one(json!({"Type": "Pass", "ItemSelector": {}, "Next": "Done"})));
        assert!(
            msg.starts_with("state `S`: field `ItemSelector` is not supported"),
            "{msg}"
        );
        for field in [
            "HeartbeatSeconds",
            "Arguments",
            "Assign",
            "Output",
            "Credentials",
            "TimeoutSecondsPath",
        ] {
            let msg = message(one(json!({"Type": "Task", "Resource": "r", field: 5, "Next": "Done"})));
            assert!(msg.contains(&format!("field `{field}` is not supported")), "{msg}");
        }
        let msg = message(one(json!({"Type": "Succeed", "Next": "Done"})));
        assert!(
            msg.contains("field `Next` is not supported in a `Succeed` state"),
            "{msg}"
        );
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "FULL"}]})));
        assert!(
            msg.contains("field `Retry[0].JitterStrategy` is not supported"),
            "{msg}"
        );
    }

    #[test]
    fn jsonata_is_refused_at_either_level() {
        let msg = message(load(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        ));
        assert!(
            msg.contains("field `QueryLanguage`") && msg.contains("JSONata"),
            "{msg}"
        );
        let msg = message(one(json!({"Type": "Pass", "QueryLanguage": "JSONata", "Next": "Done"})));
        assert!(msg.starts_with("state `S`: field `QueryLanguage`"), "{msg}");
        assert!(one(json!({"Type": "Pass", "QueryLanguage": "JSONPath", "Next": "Done"})).is_ok());
    }

    #[test]
    fn transitions_must_land_on_states() {
        let msg = message(load(
            json!({"StartAt": "Nowhere", "States": {"A": {"Type": "Succeed"}}}),
        ));
        assert_eq!(msg, "definition: field `StartAt` points to missing state `Nowhere`");
        let msg = message(one(json!({"Type": "Pass", "Next": "Ghost"})));
        assert_eq!(msg, "state `S`: field `Next` points to missing state `Ghost`");
        let msg = message(one(json!({"Type": "Choice", "Choices": [
            {"Variable": "$.a", "IsPresent": true, "Next": "Done"},
            {"Variable": "$.a", "IsNull": true, "Next": "Ghost"}
        ], "Default": "Done"})));
        assert_eq!(
            msg,
            "state `S`: field `Choices[1].Next` points to missing state `Ghost`"
        );
        let msg = message(one(json!({"Type": "Choice", "Choices": [
            {"Variable": "$.a", "IsPresent": true, "Next": "Done"}
        ], "Default": "Ghost"})));
        assert_eq!(msg, "state `S`: field `Default` points to missing state `Ghost`");
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}]})));
        assert_eq!(msg, "state `S`: field `Catch[0].Next` points to missing state `Ghost`");
    }

    #[test]
    fn next_and_end_rules() {
        assert!(message(one(json!({"Type": "Pass"}))).contains("field `Next`: is required"));
        assert!(message(one(json!({"Type": "Pass", "Next": "Done", "End": true}))).contains("cannot be combined"));
        assert!(one(json!({"Type": "Pass", "End": true})).is_ok());
        assert!(message(one(json!({"Type": "Choice", "Choices": [], "Default": "Done"}))).contains("`Choices`"));
        assert!(message(one(json!({"Type": "Choice", "End": true, "Choices": [
            {"Variable": "$.a", "IsPresent": true, "Next": "Done"}]})))
        .contains("field `End` is not supported"));
    }

    #[test]
    fn states_all_must_be_alone_and_last() {
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Retry": [{"ErrorEquals": ["States.ALL", "E"]}]})));
        assert!(msg.contains("Retry[0].ErrorEquals") && msg.contains("alone"), "{msg}");
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]})));
        assert!(
            msg.contains("Retry[0].ErrorEquals") && msg.contains("last retrier"),
            "{msg}"
        );
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}, {"ErrorEquals": ["E"], "Next": "Done"}]})));
        assert!(
            msg.contains("Catch[0].ErrorEquals") && msg.contains("last catcher"),
            "{msg}"
        );
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Retry": [{"ErrorEquals": ["States.Timout"]}]})));
        assert!(
            msg.contains("`States.Timout` is not a Step Functions error name"),
            "{msg}"
        );
        let msg = message(one(
            json!({"Type": "Task", "Resource": "r", "Next": "Done", "Retry": [{"ErrorEquals": []}]}),
        ));
        assert!(msg.contains("Retry[0].ErrorEquals"), "{msg}");
    }

    #[test]
    fn retrier_numbers_are_checked_and_defaulted() {
        for (field, bad) in [
            ("IntervalSeconds", json!(0)),
            ("IntervalSeconds", json!(1.5)),
            ("MaxAttempts", json!(-1)),
            ("BackoffRate", json!(0.5)),
            ("MaxDelaySeconds", json!(0)),
        ] {
            let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
                "Retry": [{"ErrorEquals": ["E"], field: bad}]})));
            assert!(msg.contains(&format!("field `Retry[0].{field}`")), "{field}: {msg}");
        }
        let def =
            one(json!({"Type": "Task", "Resource": "r", "Next": "Done", "Retry": [{"ErrorEquals": ["E"]}]})).unwrap();
        let Some(State {
            kind: StateKind::Task(task),
            ..
        }) = def.state("S")
        else {
            panic!("S is a task");
        };
        assert_eq!(
            task.retry[0],
            Retrier {
                error_equals: vec!["E".into()],
                interval_seconds: 1,
                max_attempts: 3,
                backoff_rate: 2.0,
                max_delay_seconds: None
            }
        );
    }

    #[test]
    fn retry_delays_back_off_and_respect_the_cap() {
        let r = Retrier {
            error_equals: vec![],
            interval_seconds: 2,
            max_attempts: 10,
            backoff_rate: 2.0,
            max_delay_seconds: Some(10),
        };
        let delays: Vec<u64> = (0..5).map(|n| r.delay_ms(n)).collect();
        assert_eq!(delays, vec![2000, 4000, 8000, 10000, 10000]);
        let uncapped = Retrier {
            max_delay_seconds: None,
            backoff_rate: 1.5,
            ..r
        };
        assert_eq!(uncapped.delay_ms(2), 4500);
        assert_eq!(uncapped.delay_ms(u64::MAX), u64::MAX);
    }

    #[test]
    fn error_matching_rules() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(error_matches(&names(&["TransientError"]), "TransientError"));
        assert!(!error_matches(&names(&["TransientError"]), "InputError"));
        assert!(error_matches(&names(&["States.ALL"]), "InputError"));
        assert!(error_matches(&names(&["States.ALL"]), "States.Timeout"));
        assert!(!error_matches(&names(&["States.ALL"]), "States.Runtime"));
        assert!(!error_matches(&names(&["States.Runtime"]), "States.Runtime"));
        assert!(error_matches(&names(&["States.TaskFailed"]), "InputError"));
        assert!(!error_matches(&names(&["States.TaskFailed"]), "States.Timeout"));
        assert!(error_matches(&names(&["States.Timeout"]), "States.Timeout"));
    }

    #[test]
    fn paths_templates_and_intrinsics_are_checked_at_load() {
        let msg = message(one(json!({"Type": "Pass", "InputPath": "$.a[*]", "Next": "Done"})));
        assert!(msg.starts_with("state `S`: field `InputPath`"), "{msg}");
        let msg = message(one(json!({"Type": "Pass", "ResultPath": "$$.State", "Next": "Done"})));
        assert!(msg.starts_with("state `S`: field `ResultPath`"), "{msg}");
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Parameters": {"h.$": "States.Hash($.a, 'MD5')"}})));
        assert_eq!(
            msg,
            "state `S`: field `Parameters.h.$`: intrinsic function `States.Hash` is not supported by the local runner"
        );
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "ResultSelector": {"x.$": "nope"}})));
        assert!(msg.starts_with("state `S`: field `ResultSelector.x.$`"), "{msg}");
        let msg = message(one(json!({"Type": "Task", "Resource": "r", "Next": "Done",
            "Catch": [{"ErrorEquals": ["E"], "Next": "Done", "ResultPath": "$.a..b"}]})));
        assert!(msg.starts_with("state `S`: field `Catch[0].ResultPath`"), "{msg}");
    }

    #[test]
    fn wait_and_fail_fields() {
        assert!(one(json!({"Type": "Wait", "Seconds": 0, "Next": "Done"})).is_ok());
        assert!(one(json!({"Type": "Wait", "Timestamp": "2026-01-01T00:00:00Z", "Next": "Done"})).is_ok());
        assert!(message(one(json!({"Type": "Wait", "Next": "Done"}))).contains("is required"));
        let msg = message(one(
            json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "Next": "Done"}),
        ));
        assert!(msg.contains("field `SecondsPath`") && msg.contains("only one"), "{msg}");
        assert!(message(one(json!({"Type": "Wait", "Seconds": -1, "Next": "Done"}))).contains("field `Seconds`"));
        assert!(message(one(json!({"Type": "Wait", "Timestamp": "tomorrow", "Next": "Done"}))).contains("`Timestamp`"));
        let msg = message(one(json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"})));
        assert!(msg.contains("field `ErrorPath`"), "{msg}");
        assert!(one(json!({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('x {}', $.c)"})).is_ok());
        assert!(message(one(json!({"Type": "Fail", "InputPath": "$"}))).contains("field `InputPath` is not supported"));
    }

    #[test]
    fn malformed_documents_are_parse_errors() {
        assert!(matches!(
            Definition::from_json("not json", &BTreeMap::new()),
            Err(AslError::Parse(_))
        ));
        assert!(matches!(
            Definition::from_json("[1]", &BTreeMap::new()),
            Err(AslError::Parse(_))
        ));
        let dup = r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"},"A":{"Type":"Succeed"}}}"#;
        let msg = message(Definition::from_json(dup, &BTreeMap::new()));
        assert!(msg.contains("state `A` is defined twice"), "{msg}");
        assert!(message(load(json!({"States": {"A": {"Type": "Succeed"}}}))).contains("field `StartAt`"));
        assert!(message(load(json!({"StartAt": "A"}))).contains("field `States`"));
        assert!(message(load(
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "Extra": 1})
        ))
        .contains("field `Extra`"));
        assert!(message(load(
            json!({"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": {"Type": "Succeed"}}})
        ))
        .contains("field `TimeoutSeconds`"));
        assert!(message(one(json!({"Resource": "r"}))).contains("field `Type`"));
    }
}
