//! Reference paths (`$`, `$.a.b`, `$.a[0]`, `$['a b']`) and the context object (`$$.…`).
//!
//! Step Functions accepts full JSONPath in some fields, but the local runner supports only
//! reference paths: they address exactly one node, so a definition that works here means the
//! same thing on AWS. Anything else (`$..x`, `$.a[*]`, filters) is refused when the definition
//! is loaded, not discovered halfway through an execution.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// Which document a path reads: the state's data (`$`) or the context object (`$$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// `$`: the state's input (or the task result inside ResultSelector).
    Data,
    /// `$$`: the execution and state context object.
    Context,
}

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// `[n]`.
    Index(usize),
}

/// A parsed reference path; keeps its source text for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    root: Root,
    segments: Vec<Segment>,
    text: String,
}

/// Characters that mean the path is a JSONPath expression, not a reference path.
const FORBIDDEN_IN_NAME: &[char] = &['*', '@', '?', '(', ')', ',', ':', '\'', '"', ' ', '\t', '\n', '\r', ']'];

impl Path {
    /// Parses a reference path; the error says what is wrong with it.
    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        let (root, rest) = if let Some(rest) = text.strip_prefix("$$") {
            (Root::Context, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (Root::Data, rest)
        } else {
            return Err(format!("`{text}` is not a reference path: it must start with `$`"));
        };
        let chars: Vec<char> = rest.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                        end += 1;
                    }
                    let name: String = chars[start..end].iter().collect();
                    if name.is_empty() {
                        return Err(format!(
                            "`{text}` is not a reference path: an empty name (or `..`) at position {}",
                            start + root_len(root)
                        ));
                    }
                    if let Some(bad) = name.chars().find(|c| FORBIDDEN_IN_NAME.contains(c)) {
                        return Err(format!(
                            "`{text}` is not a reference path: `{bad}` in `{name}` (JSONPath operators are not supported)"
                        ));
                    }
                    segments.push(Segment::Field(name));
                    i = end;
                }
                '[' => {
                    let (segment, next) = parse_bracket(&chars, i + 1)
                        .map_err(|why| format!("`{text}` is not a reference path: {why}"))?;
                    segments.push(segment);
                    i = next;
                }
                other => {
                    return Err(format!(
                        "`{text}` is not a reference path: unexpected `{other}` (expected `.` or `[`)"
                    ));
                }
            }
        }
        Ok(Path {
            root,
            segments,
            text: text.to_string(),
        })
    }

    /// The path as written in the definition.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Which document the path reads.
    pub(crate) fn root(&self) -> Root {
        self.root
    }

    /// Looks the path up in `data` (for `$`) or in the context (for `$$`); `None` when absent.
    pub(crate) fn get(&self, data: &Value, context: &Context) -> Option<Value> {
        match self.root {
            Root::Data => walk(data, &self.segments).cloned(),
            Root::Context => {
                let ctx = context.to_value();
                walk(&ctx, &self.segments).cloned()
            }
        }
    }

    /// Writes `value` at this path inside `target`, creating missing intermediate objects
    /// (the ResultPath rule). Fails when an existing node on the way has the wrong shape.
    pub(crate) fn set(&self, target: &mut Value, value: Value) -> Result<(), String> {
        if self.root != Root::Data {
            return Err(format!(
                "`{}` cannot be written: the context object is read-only",
                self.text
            ));
        }
        let Some((last, parents)) = self.segments.split_last() else {
            *target = value;
            return Ok(());
        };
        let mut node = target;
        for (depth, segment) in parents.iter().enumerate() {
            node = step_mut(node, segment, &self.text, depth)?;
        }
        match last {
            Segment::Field(name) => match node {
                Value::Object(map) => {
                    map.insert(name.clone(), value);
                    Ok(())
                }
                other => Err(format!(
                    "cannot set `{name}` of `{}`: the node there is {}, not an object",
                    self.text,
                    kind_of(other)
                )),
            },
            Segment::Index(index) => match node {
                Value::Array(items) if *index < items.len() => {
                    items[*index] = value;
                    Ok(())
                }
                Value::Array(items) => Err(format!(
                    "cannot set index {index} of `{}`: the array has {} element(s)",
                    self.text,
                    items.len()
                )),
                other => Err(format!(
                    "cannot set index {index} of `{}`: the node there is {}, not an array",
                    self.text,
                    kind_of(other)
                )),
            },
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn root_len(root: Root) -> usize {
    match root {
        Root::Data => 1,
        Root::Context => 2,
    }
}

/// Parses what follows a `[`: a quoted name or an index, up to and including the `]`.
fn parse_bracket(chars: &[char], mut i: usize) -> Result<(Segment, usize), String> {
    match chars.get(i) {
        Some(&quote) if quote == '\'' || quote == '"' => {
            i += 1;
            let mut name = String::new();
            loop {
                match chars.get(i) {
                    None => return Err("an unterminated quoted name".to_string()),
                    Some('\\') => {
                        let escaped = chars.get(i + 1).ok_or("a dangling `\\` in a quoted name")?;
                        name.push(*escaped);
                        i += 2;
                    }
                    Some(&c) if c == quote => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        name.push(c);
                        i += 1;
                    }
                }
            }
            if chars.get(i) != Some(&']') {
                return Err(format!("expected `]` after the quoted name `{name}`"));
            }
            Ok((Segment::Field(name), i + 1))
        }
        Some(c) if c.is_ascii_digit() => {
            let start = i;
            while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            if chars.get(i) != Some(&']') {
                return Err(format!("expected `]` after the index `{digits}`"));
            }
            let index = digits
                .parse::<usize>()
                .map_err(|_| format!("the index `{digits}` is too large"))?;
            Ok((Segment::Index(index), i + 1))
        }
        Some(c) => Err(format!(
            "`[{c}` is not an index or a quoted name (slices, wildcards and filters are not supported)"
        )),
        None => Err("an unterminated `[`".to_string()),
    }
}

fn walk<'a>(mut node: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    for segment in segments {
        node = match (segment, node) {
            (Segment::Field(name), Value::Object(map)) => map.get(name)?,
            (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

fn step_mut<'a>(node: &'a mut Value, segment: &Segment, text: &str, depth: usize) -> Result<&'a mut Value, String> {
    match segment {
        Segment::Field(name) => match node {
            Value::Object(map) => Ok(map.entry(name.clone()).or_insert_with(|| Value::Object(Map::new()))),
            other => Err(format!(
                "cannot descend into `{name}` (step {}) of `{text}`: the node there is {}, not an object",
                depth + 1,
                kind_of(other)
            )),
        },
        Segment::Index(index) => match node {
            Value::Array(items) => {
                let len = items.len();
                items.get_mut(*index).ok_or_else(|| {
                    format!("cannot descend into index {index} of `{text}`: the array has {len} element(s)")
                })
            }
            other => Err(format!(
                "cannot descend into index {index} of `{text}`: the node there is {}, not an array",
                kind_of(other)
            )),
        },
    }
}

/// A short name for a JSON value's type, for error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Formats a time the way Step Functions writes timestamps (RFC 3339, milliseconds, `Z`).
pub(crate) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a timestamp the way the States Language requires: RFC 3339 with an uppercase `T`
/// between date and time and an uppercase `Z` when there is no numeric offset.
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if text.as_bytes().get(10) != Some(&b'T') || text.contains('z') || text.contains('t') {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// What `$$` refers to while a state runs: the execution and the current state.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// `$$.Execution.Id`.
    pub execution_id: String,
    /// `$$.Execution.Name`.
    pub execution_name: String,
    /// `$$.Execution.Input`.
    pub execution_input: Value,
    /// `$$.Execution.StartTime`.
    pub start_time: DateTime<Utc>,
    /// `$$.State.Name`.
    pub state_name: String,
    /// `$$.State.EnteredTime`.
    pub entered_time: DateTime<Utc>,
    /// `$$.State.RetryCount`.
    pub retry_count: u32,
}

impl Context {
    /// The context object as JSON, built only when a `$$` path is read.
    pub(crate) fn to_value(&self) -> Value {
        serde_json::json!({
            "Execution": {
                "Id": self.execution_id,
                "Name": self.execution_name,
                "Input": self.execution_input,
                "StartTime": format_timestamp(self.start_time),
            },
            "State": {
                "Name": self.state_name,
                "EnteredTime": format_timestamp(self.entered_time),
                "RetryCount": self.retry_count,
            },
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    pub(crate) fn context() -> Context {
        Context {
            execution_id: "arn:aws:states:local:000000000000:execution:local:run-1".into(),
            execution_name: "run-1".into(),
            execution_input: json!({"interview_id": "i-1"}),
            start_time: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap_or_default(),
            state_name: "Extract".into(),
            entered_time: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 6).single().unwrap_or_default(),
            retry_count: 2,
        }
    }

    fn get(path: &str, data: &Value) -> Option<Value> {
        Path::parse(path).expect("valid path").get(data, &context())
    }

    #[test]
    fn reads_fields_indexes_and_quoted_names() {
        let data = json!({"a": {"b": [10, {"c": "x"}]}, "a b": 1, "it's": 2, "dash-ed": 3});
        assert_eq!(get("$", &data), Some(data.clone()));
        assert_eq!(get("$.a.b[0]", &data), Some(json!(10)));
        assert_eq!(get("$.a.b[1].c", &data), Some(json!("x")));
        assert_eq!(get("$['a b']", &data), Some(json!(1)));
        assert_eq!(get("$[\"a b\"]", &data), Some(json!(1)));
        assert_eq!(get("$['it\\'s']", &data), Some(json!(2)));
        assert_eq!(get("$.dash-ed", &data), Some(json!(3)));
        assert_eq!(get("$.a['b'][1]['c']", &data), Some(json!("x")));
    }

    #[test]
    fn missing_or_mistyped_steps_are_absent() {
        let data = json!({"a": {"b": [1]}, "s": "text"});
        assert_eq!(get("$.nope", &data), None);
        assert_eq!(get("$.a.b[5]", &data), None);
        assert_eq!(get("$.a[0]", &data), None);
        assert_eq!(get("$.s.length", &data), None);
        assert_eq!(get("$.a.b.c", &data), None);
    }

    #[test]
    fn context_object_paths() {
        let data = json!({});
        assert_eq!(get("$$.Execution.Name", &data), Some(json!("run-1")));
        assert_eq!(
            get("$$.Execution.Id", &data),
            Some(json!("arn:aws:states:local:000000000000:execution:local:run-1"))
        );
        assert_eq!(get("$$.Execution.Input.interview_id", &data), Some(json!("i-1")));
        assert_eq!(
            get("$$.Execution.StartTime", &data),
            Some(json!("2026-01-02T03:04:05.000Z"))
        );
        assert_eq!(get("$$.State.Name", &data), Some(json!("Extract")));
        assert_eq!(
            get("$$.State.EnteredTime", &data),
            Some(json!("2026-01-02T03:04:06.000Z"))
        );
        assert_eq!(get("$$.State.RetryCount", &data), Some(json!(2)));
        assert_eq!(get("$$.Task.Token", &data), None);
    }

    #[test]
    fn rejects_jsonpath_that_is_not_a_reference_path() {
        for bad in [
            "a.b",
            "",
            "$..a",
            "$.a[*]",
            "$.a.*",
            "$.a[0:2]",
            "$.a[?(@.x)]",
            "$.a[-1]",
            "$.",
            "$.a[",
            "$['a'",
            "$a",
            "$.a b",
        ] {
            assert!(Path::parse(bad).is_err(), "`{bad}` should be rejected");
        }
    }

    #[test]
    fn set_creates_intermediate_objects() {
        let mut data = json!({"keep": 1});
        Path::parse("$.x.y.z").unwrap().set(&mut data, json!(true)).unwrap();
        assert_eq!(data, json!({"keep": 1, "x": {"y": {"z": true}}}));
        Path::parse("$.keep").unwrap().set(&mut data, json!(2)).unwrap();
        assert_eq!(data["keep"], json!(2));
    }

    #[test]
    fn set_root_replaces_and_set_index_needs_an_existing_element() {
        let mut data = json!({"a": [1, 2]});
        Path::parse("$.a[1]").unwrap().set(&mut data, json!("two")).unwrap();
        assert_eq!(data, json!({"a": [1, "two"]}));
        assert!(Path::parse("$.a[5]").unwrap().set(&mut data, json!(0)).is_err());
        Path::parse("$").unwrap().set(&mut data, json!("all")).unwrap();
        assert_eq!(data, json!("all"));
    }

    #[test]
    fn set_through_a_non_object_fails_with_a_reason() {
        let mut data = json!({"a": "text"});
        let err = Path::parse("$.a.b").unwrap().set(&mut data, json!(1)).unwrap_err();
        assert!(err.contains("a string"), "{err}");
        let mut scalar = json!(5);
        assert!(Path::parse("$.a").unwrap().set(&mut scalar, json!(1)).is_err());
        assert!(Path::parse("$$.State").unwrap().set(&mut data, json!(1)).is_err());
    }

    #[test]
    fn timestamps_follow_the_states_language_profile() {
        assert!(parse_timestamp("2026-01-02T03:04:05Z").is_some());
        assert!(parse_timestamp("2026-01-02T03:04:05.123+02:00").is_some());
        assert!(parse_timestamp("2026-01-02t03:04:05Z").is_none());
        assert!(parse_timestamp("2026-01-02T03:04:05z").is_none());
        assert!(parse_timestamp("2026-01-02 03:04:05Z").is_none());
        assert!(parse_timestamp("yesterday").is_none());
        assert_eq!(
            parse_timestamp("2026-01-02T05:04:05+02:00"),
            parse_timestamp("2026-01-02T03:04:05Z")
        );
    }
}
