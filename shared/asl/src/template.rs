//! Payload templates: `Parameters` and `ResultSelector`, whose `key.$` fields are filled from
//! a path or an intrinsic at run time and whose other fields are copied as written.

use serde_json::{Map, Value};

use super::intrinsics::{EvalError, Expr, ExprError};
use super::path::Context;

/// A parsed payload template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    /// Copied as is.
    Literal(Value),
    /// An object whose fields may be dynamic; keys already have their `.$` removed.
    Object(Vec<(String, Template)>),
    /// An array whose elements may contain dynamic objects.
    Array(Vec<Template>),
    /// A `key.$` value.
    Dynamic {
        /// The key as written (with `.$`), for messages.
        key: String,
        /// The expression.
        expr: Expr,
    },
}

/// Why a template could not be loaded; `at` is the key path inside the field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateError {
    /// Where in the template (e.g. `Payload.id.$`).
    pub at: String,
    /// What was wrong.
    pub error: ExprError,
}

/// Why a template could not be filled (becomes `States.Runtime`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RenderError {
    /// The `key.$` that failed.
    pub key: String,
    /// Why.
    pub error: EvalError,
}

impl Template {
    /// Parses a `Parameters` / `ResultSelector` value.
    pub(crate) fn parse(value: &Value) -> Result<Template, TemplateError> {
        parse_at(value, "")
    }

    /// Fills the template from `data` (what `$` means) and the context object.
    pub(crate) fn render(&self, data: &Value, context: &Context) -> Result<Value, RenderError> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Array(items) => items
                .iter()
                .map(|t| t.render(data, context))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Object(fields) => {
                let mut out = Map::new();
                for (key, template) in fields {
                    out.insert(key.clone(), template.render(data, context)?);
                }
                Ok(Value::Object(out))
            }
            Template::Dynamic { key, expr } => expr.eval(data, context).map_err(|error| RenderError {
                key: key.clone(),
                error,
            }),
        }
    }
}

fn parse_at(value: &Value, at: &str) -> Result<Template, TemplateError> {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, v) in map {
                let here = join(key);
                if let Some(plain) = key.strip_suffix(".$") {
                    let Value::String(text) = v else {
                        return Err(TemplateError {
                            at: here,
                            error: ExprError::Invalid(
                                "a `.$` field must hold a path or an intrinsic as a string".into(),
                            ),
                        });
                    };
                    if map.contains_key(plain) {
                        return Err(TemplateError {
                            at: here,
                            error: ExprError::Invalid(format!("both `{plain}` and `{key}` are present")),
                        });
                    }
                    let expr = Expr::parse(text).map_err(|error| TemplateError {
                        at: here.clone(),
                        error,
                    })?;
                    fields.push((plain.to_string(), Template::Dynamic { key: here, expr }));
                } else {
                    fields.push((key.clone(), parse_at(v, &here)?));
                }
            }
            Ok(Template::Object(fields))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| parse_at(v, &format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Template::Array),
        other => Ok(Template::Literal(other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::tests::context;
    use serde_json::json;

    #[test]
    fn fills_dynamic_keys_and_copies_the_rest() {
        let template = Template::parse(&json!({
            "action": "start",
            "interview_id.$": "$.interview_id",
            "nested": {"run.$": "$$.Execution.Name", "fixed": [1, {"x.$": "$.n"}]},
            "label.$": "States.Format('{}/{}', $.interview_id, $.n)",
            "none": null
        }))
        .unwrap();
        let out = template
            .render(&json!({"interview_id": "i-9", "n": 4}), &context())
            .unwrap();
        assert_eq!(
            out,
            json!({
                "action": "start",
                "interview_id": "i-9",
                "nested": {"run": "run-1", "fixed": [1, {"x": 4}]},
                "label": "i-9/4",
                "none": null
            })
        );
    }

    #[test]
    fn a_missing_path_names_the_key() {
        let template = Template::parse(&json!({"outer": {"id.$": "$.missing"}})).unwrap();
        let err = template.render(&json!({}), &context()).unwrap_err();
        assert_eq!(err.key, "outer.id.$");
        assert_eq!(err.error, EvalError::PathNotFound("$.missing".into()));
    }

    #[test]
    fn load_errors_name_where_they_are() {
        let err = Template::parse(&json!({"a": {"b.$": 5}})).unwrap_err();
        assert_eq!(err.at, "a.b.$");
        let err = Template::parse(&json!({"list": [{"h.$": "States.Hash($.x, 'MD5')"}]})).unwrap_err();
        assert_eq!(err.at, "list[0].h.$");
        assert_eq!(err.error, ExprError::UnsupportedFunction("States.Hash".into()));
        let err = Template::parse(&json!({"a": 1, "a.$": "$.a"})).unwrap_err();
        assert_eq!(err.at, "a.$");
        assert!(Template::parse(&json!({"p.$": "not a path"})).is_err());
    }
}
