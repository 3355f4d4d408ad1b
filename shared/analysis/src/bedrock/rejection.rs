//! Why a model answer was refused, in two forms. The model is told exactly what was wrong,
//! quoting its own answer back (which is interview content); logs, the step's error and the
//! item get only counts, item numbers, field paths and JSON types, because anything the model
//! wrote may repeat the transcript.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A refused answer: the feedback for the model and the content-free account for everyone else.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rejection {
    /// Sent back to the model in the same conversation; may quote the answer.
    pub for_model: String,
    /// Logged and put into the step's error: names items, fields and types, never text.
    pub for_log: String,
}

impl Rejection {
    /// A rejection whose wording holds no content, so both audiences get the same text.
    pub fn plain(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            for_model: text.clone(),
            for_log: text,
        }
    }

    /// A rejection with a different, content-free account for logs.
    pub fn new(for_model: impl Into<String>, for_log: impl Into<String>) -> Self {
        Self {
            for_model: for_model.into(),
            for_log: for_log.into(),
        }
    }
}

/// Reads a tool input as `T`. The model learns serde's full message; the log names the path
/// of the bad field and what kind of mismatch it is (serde's messages quote the offending value).
pub(super) fn parse_answer<T: DeserializeOwned>(answer: Value) -> Result<T, Rejection> {
    serde_path_to_error::deserialize(answer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Rejection::new(
            format!("the tool input does not match its schema at `{path}`: {inner}"),
            format!(
                "the tool input does not match its schema at `{}`: {}",
                safe_path(&path),
                mismatch(&inner.to_string())
            ),
        )
    })
}

/// A serde path with map keys that are not identifiers replaced: a key is chosen by the model
/// and could be text (`items[2].kind` stays, `notes.Jane said…` does not).
fn safe_path(path: &str) -> String {
    path.split('.')
        .map(|part| {
            let name = part.split('[').next().unwrap_or_default();
            let plain = name.len() <= 40 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '?');
            if plain {
                part.to_string()
            } else {
                "<key>".to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// serde's mismatch without the value it quotes: `invalid type: string "…", expected f32`
/// becomes `invalid type: string, expected f32`. Unknown shapes are reduced to their class.
fn mismatch(message: &str) -> String {
    // The expectation comes from our own types and follows the quoted value, so the last
    // `, expected ` is the real one even if the value contains those words.
    let expected = message.rfind(", expected ").map(|i| &message[i..]).unwrap_or_default();
    let expected = if expected.len() <= 200 { expected } else { "" };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let json_type = rest.split([' ', ',']).next().unwrap_or_default();
        return format!("invalid type: {json_type}{expected}");
    }
    for class in [
        "invalid value",
        "invalid length",
        "unknown variant",
        "unknown field",
        "duplicate field",
    ] {
        if message.starts_with(class) {
            return format!("{class}{expected}");
        }
    }
    if let Some(field) = message.strip_prefix("missing field `") {
        let field = field.trim_end_matches('`');
        if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return format!("missing field `{field}`");
        }
    }
    "malformed value".to_string()
}

/// Item numbers for a log line: `items 1, 4, 7` (at most ten listed).
pub(super) fn item_list(items: &[usize]) -> String {
    let shown: Vec<String> = items.iter().take(10).map(usize::to_string).collect();
    let more = items.len().saturating_sub(10);
    let word = if items.len() == 1 { "item" } else { "items" };
    if more > 0 {
        format!("{word} {} and {more} more", shown.join(", "))
    } else {
        format!("{word} {}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    struct Answer {
        items: Vec<Item>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    struct Item {
        quote: String,
        confidence: f32,
        kind: crate::EvidenceKind,
    }

    const CANARY: &str = "CANARY-7f3a";

    fn rejected(answer: Value) -> Rejection {
        parse_answer::<Answer>(answer).unwrap_err()
    }

    #[test]
    fn a_wrong_type_names_the_path_and_json_type_but_not_the_value() {
        let r = rejected(serde_json::json!({"items": [
            {"quote": "ok", "confidence": 0.5, "kind": "pain"},
            {"quote": "ok", "confidence": format!("{CANARY}, expected nothing"), "kind": "pain"}
        ]}));
        assert!(
            r.for_model.contains(CANARY),
            "the model is told what it wrote: {}",
            r.for_model
        );
        assert_eq!(
            r.for_log,
            "the tool input does not match its schema at `items[1].confidence`: invalid type: string, expected f32"
        );
    }

    #[test]
    fn an_unknown_variant_and_a_missing_field_do_not_leak_the_value() {
        let r = rejected(serde_json::json!({"items": [{"quote": "q", "confidence": 0.5, "kind": CANARY}]}));
        assert!(!r.for_log.contains(CANARY), "{}", r.for_log);
        assert!(
            r.for_log
                .contains("`items[0].kind`: unknown variant, expected one of `pain`"),
            "{}",
            r.for_log
        );
        let r = rejected(serde_json::json!({"items": [{"confidence": 0.5, "kind": "pain", CANARY: 1}]}));
        assert!(r.for_log.ends_with("missing field `quote`"), "{}", r.for_log);
        assert!(!r.for_log.contains(CANARY));
    }

    #[test]
    fn model_chosen_keys_are_not_logged() {
        assert_eq!(safe_path("items[3].kind"), "items[3].kind");
        assert_eq!(safe_path(&format!("notes.{CANARY} said"),), "notes.<key>");
        assert_eq!(mismatch(&format!("custom text {CANARY}")), "malformed value");
        assert_eq!(item_list(&[1]), "item 1");
        assert_eq!(
            item_list(&(1..=12).collect::<Vec<_>>()),
            "items 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
        );
    }
}
