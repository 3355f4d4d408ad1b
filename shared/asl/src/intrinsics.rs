//! The value of a `.$` field: a reference path or an intrinsic function call.
//!
//! Only the intrinsics the project needs are supported (`States.Format`, `States.StringToJson`,
//! `States.JsonToString`, `States.Array`); any other `States.*` name is refused at load time so
//! a definition never depends on a function the local runner would evaluate differently.

use serde_json::Value;

use super::path::{kind_of, Context, Path};

/// The supported intrinsic functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    /// `States.Format(template, args…)`.
    Format,
    /// `States.StringToJson(string)`.
    StringToJson,
    /// `States.JsonToString(value)`.
    JsonToString,
    /// `States.Array(values…)`.
    Array,
}

impl Function {
    fn from_name(name: &str) -> Option<Function> {
        match name {
            "States.Format" => Some(Function::Format),
            "States.StringToJson" => Some(Function::StringToJson),
            "States.JsonToString" => Some(Function::JsonToString),
            "States.Array" => Some(Function::Array),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Function::Format => "States.Format",
            Function::StringToJson => "States.StringToJson",
            Function::JsonToString => "States.JsonToString",
            Function::Array => "States.Array",
        }
    }
}

/// One piece of a `States.Format` template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Slot,
}

/// An argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    /// A string, number, boolean or null literal (strings already unescaped).
    Literal(Value),
    /// A reference path into the data or the context.
    Path(Path),
    /// A nested call.
    Call(Call),
}

/// A validated intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    function: Function,
    args: Vec<Arg>,
    /// For `States.Format`: the parsed template (the first argument).
    template: Vec<Piece>,
}

/// What a `.$` field holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A reference path.
    Path(Path),
    /// An intrinsic function call.
    Call(Call),
}

/// Why an expression could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprError {
    /// A `States.*` function the local runner does not implement.
    UnsupportedFunction(String),
    /// Anything else wrong with the text.
    Invalid(String),
}

/// Why an expression could not be evaluated (becomes `States.Runtime`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EvalError {
    /// A path did not resolve.
    PathNotFound(String),
    /// A function got an argument it cannot use.
    Function(String),
}

impl Expr {
    /// Parses the string value of a `.$` field.
    pub(crate) fn parse(text: &str) -> Result<Expr, ExprError> {
        let trimmed = text.trim();
        if trimmed.starts_with('$') {
            return Path::parse(trimmed).map(Expr::Path).map_err(ExprError::Invalid);
        }
        if trimmed.starts_with("States.") {
            let mut parser = Parser {
                chars: trimmed.chars().collect(),
                pos: 0,
            };
            let call = parser.call()?;
            parser.skip_ws();
            if parser.pos != parser.chars.len() {
                return Err(ExprError::Invalid(format!(
                    "unexpected text after the closing `)` of `{}`",
                    call.function.name()
                )));
            }
            return Ok(Expr::Call(call));
        }
        Err(ExprError::Invalid(format!(
            "`{trimmed}` is neither a path (starting with `$`) nor an intrinsic function (starting with `States.`)"
        )))
    }

    /// Evaluates against `data` (what `$` means here) and the context object.
    pub(crate) fn eval(&self, data: &Value, context: &Context) -> Result<Value, EvalError> {
        match self {
            Expr::Path(path) => path
                .get(data, context)
                .ok_or_else(|| EvalError::PathNotFound(path.text().into())),
            Expr::Call(call) => call.eval(data, context),
        }
    }
}

impl Call {
    fn eval(&self, data: &Value, context: &Context) -> Result<Value, EvalError> {
        let mut values = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            values.push(match arg {
                Arg::Literal(v) => v.clone(),
                Arg::Path(path) => path
                    .get(data, context)
                    .ok_or_else(|| EvalError::PathNotFound(path.text().into()))?,
                Arg::Call(call) => call.eval(data, context)?,
            });
        }
        let name = self.function.name();
        match self.function {
            Function::Array => Ok(Value::Array(values)),
            Function::JsonToString => {
                let value = values.into_iter().next().unwrap_or(Value::Null);
                serde_json::to_string(&value)
                    .map(Value::String)
                    .map_err(|e| EvalError::Function(format!("{name}: {e}")))
            }
            Function::StringToJson => match values.into_iter().next() {
                Some(Value::String(text)) => serde_json::from_str(&text)
                    .map_err(|e| EvalError::Function(format!("{name}: the argument is not valid JSON: {e}"))),
                other => Err(EvalError::Function(format!(
                    "{name}: the argument must be a string, got {}",
                    other.as_ref().map_or("nothing", kind_of)
                ))),
            },
            Function::Format => {
                let mut out = String::new();
                let mut rest = values.iter().skip(1);
                for piece in &self.template {
                    match piece {
                        Piece::Text(text) => out.push_str(text),
                        Piece::Slot => match rest.next() {
                            Some(Value::String(s)) => out.push_str(s),
                            Some(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => out.push_str(&v.to_string()),
                            Some(other) => {
                                return Err(EvalError::Function(format!(
                                    "{name}: arguments must be strings, numbers, booleans or null, got {}",
                                    kind_of(other)
                                )))
                            }
                            None => return Err(EvalError::Function(format!("{name}: too few arguments"))),
                        },
                    }
                }
                Ok(Value::String(out))
            }
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self) -> Result<Call, ExprError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let function = Function::from_name(&name).ok_or_else(|| ExprError::UnsupportedFunction(name.clone()))?;
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(ExprError::Invalid(format!("expected `(` after `{name}`")));
        }
        self.pos += 1;
        let mut args = Vec::new();
        // Raw (still escaped) text of string literals, needed to tell `\{` from `{` in a template.
        let mut raw_strings = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let (arg, raw) = self.arg(&name)?;
                args.push(arg);
                raw_strings.push(raw);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(c) => {
                        return Err(ExprError::Invalid(format!(
                            "unexpected `{c}` in the arguments of `{name}`"
                        )))
                    }
                    None => return Err(ExprError::Invalid(format!("`{name}(` is not closed"))),
                }
            }
        }
        let template = check_arity(function, &args, &raw_strings)?;
        Ok(Call {
            function,
            args,
            template,
        })
    }

    fn arg(&mut self, function: &str) -> Result<(Arg, Option<String>), ExprError> {
        match self.peek() {
            Some('\'') => {
                let raw = self.string_literal(function)?;
                let value = unescape(&raw).map_err(|why| ExprError::Invalid(format!("{function}: {why}")))?;
                Ok((Arg::Literal(Value::String(value)), Some(raw)))
            }
            Some('$') => {
                let text = self.path_text();
                let path = Path::parse(text.trim()).map_err(ExprError::Invalid)?;
                Ok((Arg::Path(path), None))
            }
            Some('S') => Ok((Arg::Call(self.call()?), None)),
            Some(_) => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c != ',' && c != ')' && !c.is_whitespace()) {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                let value = match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => match serde_json::from_str::<Value>(&word) {
                        Ok(v @ Value::Number(_)) => v,
                        _ => {
                            return Err(ExprError::Invalid(format!(
                                "`{word}` in the arguments of `{function}` is not a string, number, boolean, null, path or function"
                            )))
                        }
                    },
                };
                Ok((Arg::Literal(value), None))
            }
            None => Err(ExprError::Invalid(format!("`{function}(` is not closed"))),
        }
    }

    /// Reads `'…'` and returns the text between the quotes, escapes kept.
    fn string_literal(&mut self, function: &str) -> Result<String, ExprError> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(ExprError::Invalid(format!("an unterminated string in `{function}`"))),
                Some('\\') => self.pos += 2,
                Some('\'') => break,
                Some(_) => self.pos += 1,
            }
        }
        let raw: String = self.chars[start..self.pos.min(self.chars.len())].iter().collect();
        self.pos += 1;
        Ok(raw)
    }

    /// Reads a path argument: up to a `,` or `)` that is not inside brackets or quotes.
    fn path_text(&mut self) -> String {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(_), '\\') => self.pos += 1,
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') if depth > 0 => quote = Some(c),
                (None, '[') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, ',' | ')') if depth == 0 => break,
                (None, _) => {}
            }
            self.pos += 1;
        }
        let end = self.pos.min(self.chars.len());
        self.chars[start..end].iter().collect()
    }
}

/// Resolves the escapes allowed in an intrinsic string literal: `\'`, `\{`, `\}`, `\\`.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ ('\'' | '{' | '}' | '\\')) => out.push(e),
                Some(e) => return Err(format!("`\\{e}` is not an escape (only \\' \\{{ \\}} \\\\ are)")),
                None => return Err("a string ends with a lone `\\`".into()),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Splits a `States.Format` template into text and `{}` slots; a lone brace is an error.
fn parse_template(raw: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\'' | '{' | '}' | '\\')) => text.push(e),
                Some(e) => return Err(format!("`\\{e}` is not an escape (only \\' \\{{ \\}} \\\\ are)")),
                None => return Err("the template ends with a lone `\\`".into()),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Slot);
            }
            '{' | '}' => return Err(format!("a lone `{c}` in the template (escape it as `\\{c}`)")),
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

fn check_arity(function: Function, args: &[Arg], raw_strings: &[Option<String>]) -> Result<Vec<Piece>, ExprError> {
    let name = function.name();
    let invalid = |why: String| Err(ExprError::Invalid(format!("{name}: {why}")));
    match function {
        Function::Array => Ok(Vec::new()),
        Function::StringToJson | Function::JsonToString => {
            if args.len() == 1 {
                Ok(Vec::new())
            } else {
                invalid(format!("takes exactly one argument, got {}", args.len()))
            }
        }
        Function::Format => {
            let Some(Some(raw)) = raw_strings.first() else {
                return invalid("the first argument must be a string literal template".into());
            };
            let template = parse_template(raw).map_err(|why| ExprError::Invalid(format!("{name}: {why}")))?;
            let slots = template.iter().filter(|p| **p == Piece::Slot).count();
            if slots != args.len() - 1 {
                return invalid(format!(
                    "the template has {slots} `{{}}` placeholder(s) but {} value argument(s) follow it",
                    args.len() - 1
                ));
            }
            Ok(template)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::tests::context;
    use serde_json::json;

    fn eval(text: &str, data: &Value) -> Result<Value, EvalError> {
        Expr::parse(text).expect("valid expression").eval(data, &context())
    }

    #[test]
    fn format_fills_slots_in_order_with_literals_paths_and_scalars() {
        let data = json!({"name": "Ada", "n": 3, "ok": true, "none": null});
        assert_eq!(
            eval(
                "States.Format('Hello, {}! n={} ok={} none={}', $.name, $.n, $.ok, $.none)",
                &data
            ),
            Ok(json!("Hello, Ada! n=3 ok=true none=null"))
        );
        assert_eq!(
            eval("States.Format('run {}', $$.Execution.Name)", &data),
            Ok(json!("run run-1"))
        );
        assert_eq!(eval("States.Format('{}-{}', 'a', 2)", &data), Ok(json!("a-2")));
    }

    #[test]
    fn format_escapes_braces_quotes_and_backslashes() {
        let data = json!({"v": "x"});
        assert_eq!(
            eval(r"States.Format('\{literal\} it\'s {} \\', $.v)", &data),
            Ok(json!(r"{literal} it's x \"))
        );
    }

    #[test]
    fn format_rejects_objects_and_checks_placeholders_at_load() {
        let data = json!({"o": {"a": 1}});
        assert!(matches!(
            eval("States.Format('{}', $.o)", &data),
            Err(EvalError::Function(_))
        ));
        assert!(matches!(
            Expr::parse("States.Format('{} {}', $.a)"),
            Err(ExprError::Invalid(_))
        ));
        assert!(matches!(
            Expr::parse("States.Format('no slots', $.a)"),
            Err(ExprError::Invalid(_))
        ));
        assert!(matches!(
            Expr::parse("States.Format('lone { brace')"),
            Err(ExprError::Invalid(_))
        ));
        assert!(matches!(
            Expr::parse("States.Format($.template, $.a)"),
            Err(ExprError::Invalid(_))
        ));
    }

    #[test]
    fn string_to_json_and_back() {
        let data = json!({"s": "{\"a\":[1,2]}", "o": {"b": true}, "n": 1});
        assert_eq!(eval("States.StringToJson($.s)", &data), Ok(json!({"a": [1, 2]})));
        assert_eq!(eval("States.JsonToString($.o)", &data), Ok(json!("{\"b\":true}")));
        assert_eq!(
            eval("States.StringToJson(States.JsonToString($.o))", &data),
            Ok(json!({"b": true}))
        );
        assert!(matches!(
            eval("States.StringToJson($.n)", &data),
            Err(EvalError::Function(_))
        ));
        assert!(matches!(
            eval("States.StringToJson('{not json')", &data),
            Err(EvalError::Function(_))
        ));
        assert!(matches!(
            Expr::parse("States.JsonToString($.a, $.b)"),
            Err(ExprError::Invalid(_))
        ));
    }

    #[test]
    fn array_collects_every_kind_of_argument() {
        let data = json!({"a": {"b": 1}, "list": [1, 2], "k": {"x y": 7}});
        assert_eq!(
            eval(
                "States.Array('s', 1.5, true, null, $.a.b, $.list[1], $.k['x y'], States.Array())",
                &data
            ),
            Ok(json!(["s", 1.5, true, null, 1, 2, 7, []]))
        );
    }

    #[test]
    fn missing_paths_are_reported_by_name() {
        assert_eq!(
            eval("$.nope", &json!({})),
            Err(EvalError::PathNotFound("$.nope".into()))
        );
        assert_eq!(
            eval("States.Array($.a, $.missing)", &json!({"a": 1})),
            Err(EvalError::PathNotFound("$.missing".into()))
        );
    }

    #[test]
    fn unknown_functions_are_named() {
        assert_eq!(
            Expr::parse("States.Hash($.a, 'SHA-256')"),
            Err(ExprError::UnsupportedFunction("States.Hash".into()))
        );
        assert_eq!(
            Expr::parse("States.Array(States.UUID())"),
            Err(ExprError::UnsupportedFunction("States.UUID".into()))
        );
    }

    #[test]
    fn malformed_expressions_are_invalid() {
        for bad in [
            "hello",
            "States.Array(",
            "States.Array('a'",
            "States.Array(bogus)",
            "States.Array('a') trailing",
            "States.Array('bad \\n escape')",
            "States.Array($.a[*])",
        ] {
            assert!(
                matches!(Expr::parse(bad), Err(ExprError::Invalid(_))),
                "`{bad}` should be invalid"
            );
        }
    }
}
