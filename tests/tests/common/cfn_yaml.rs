//! A YAML loader that keeps CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...) by
//! rewriting them to their long JSON form, as CloudFormation reads them.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

enum Frame {
    Seq {
        items: Vec<Value>,
        tag: Option<Tag>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        tag: Option<Tag>,
        anchor: usize,
    },
}

#[derive(Default)]
struct Loader {
    stack: Vec<Frame>,
    docs: Vec<Value>,
    anchors: HashMap<usize, Value>,
    error: Option<String>,
}

pub fn parse(text: &str) -> Result<Value, String> {
    let mut loader = Loader::default();
    Parser::new_from_str(text)
        .load(&mut loader, false)
        .map_err(|e| e.to_string())?;
    if let Some(e) = loader.error {
        return Err(e);
    }
    loader.docs.pop().ok_or_else(|| "empty document".to_string())
}

fn plain_scalar(v: String) -> Value {
    match v.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(i) = v.parse::<i64>() {
                Value::from(i)
            } else if v.contains('.') && v.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
                v.parse::<f64>().map(Value::from).unwrap_or(Value::String(v))
            } else {
                Value::String(v)
            }
        }
    }
}

fn apply_tag(tag: Option<Tag>, value: Value, mark: Marker) -> Result<Value, String> {
    let Some(tag) = tag else { return Ok(value) };
    if tag.handle != "!" {
        return Ok(value);
    }
    let wrap = |key: &str, v: Value| {
        let mut m = Map::new();
        m.insert(key.to_string(), v);
        Value::Object(m)
    };
    Ok(match tag.suffix.as_str() {
        "Ref" => wrap("Ref", value),
        "Condition" => wrap("Condition", value),
        "GetAtt" => match value {
            Value::String(s) => {
                let (resource, attribute) = s
                    .split_once('.')
                    .ok_or_else(|| format!("!GetAtt {s:?} at line {} has no attribute", mark.line()))?;
                wrap(
                    "Fn::GetAtt",
                    Value::from(vec![resource.to_string(), attribute.to_string()]),
                )
            }
            other => wrap("Fn::GetAtt", other),
        },
        "Sub" | "If" | "Not" | "Equals" | "And" | "Or" | "Select" | "Split" | "Join" | "FindInMap" | "Base64"
        | "Cidr" | "GetAZs" | "ImportValue" | "Transform" | "Length" | "ToJsonString" => {
            wrap(&format!("Fn::{}", tag.suffix), value)
        }
        other => return Err(format!("unknown tag !{other} at line {}", mark.line())),
    })
}

impl Loader {
    fn push(&mut self, value: Value, anchor: usize, mark: Marker) -> Result<(), String> {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                None => {
                    *key = Some(match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    })
                }
                Some(k) => {
                    if map.insert(k.clone(), value).is_some() {
                        return Err(format!("duplicate key {k:?} (mapping ending at line {})", mark.line()));
                    }
                }
            },
        }
        Ok(())
    }

    fn handle(&mut self, ev: Event, mark: Marker) -> Result<(), String> {
        match ev {
            Event::Scalar(v, style, anchor, tag) => {
                let value = if style == TScalarStyle::Plain && tag.is_none() {
                    plain_scalar(v)
                } else {
                    Value::String(v)
                };
                let value = apply_tag(tag, value, mark)?;
                self.push(value, anchor, mark)
            }
            Event::SequenceStart(anchor, tag) => {
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    tag,
                    anchor,
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    tag,
                    anchor,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, tag, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, tag, anchor }) => (Value::Array(items), tag, anchor),
                    Some(Frame::Map { map, tag, anchor, .. }) => (Value::Object(map), tag, anchor),
                    None => return Err(format!("unbalanced collection end at line {}", mark.line())),
                };
                let value = apply_tag(tag, value, mark)?;
                self.push(value, anchor, mark)
            }
            Event::Alias(anchor) => {
                let value = self
                    .anchors
                    .get(&anchor)
                    .cloned()
                    .ok_or_else(|| format!("unknown alias at line {}", mark.line()))?;
                self.push(value, 0, mark)
            }
            _ => Ok(()),
        }
    }
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_none() {
            if let Err(e) = self.handle(ev, mark) {
                self.error = Some(e);
            }
        }
    }
}
