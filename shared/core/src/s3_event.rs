//! S3 event notifications as they arrive through SQS: decoding keys and telling creations,
//! removals and S3's test event apart.

use serde_json::Value;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectChange {
    /// `ObjectCreated:*`
    Created,
    /// `ObjectRemoved:*`
    Removed,
}

/// One object change, with the key already decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// Created or removed.
    pub change: ObjectChange,
    /// The bucket.
    pub bucket: String,
    /// The decoded key (`+` → space, then percent-decoding).
    pub key: String,
    /// The object's ETag (absent on removals).
    pub etag: Option<String>,
    /// Size in bytes (absent on removals).
    pub size: Option<u64>,
    /// S3's per-key ordering token: a larger sequencer is a later event for the same key.
    pub sequencer: Option<String>,
}

/// Why a message could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed S3 event notification: {0}")]
pub struct MalformedEvent(pub String);

/// What an SQS message body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// S3's `s3:TestEvent`, sent when notifications are configured; nothing to do.
    Test,
    /// Object changes (usually one).
    Objects(Vec<ObjectEvent>),
}

/// Decodes a key as S3 encodes it in notifications: form-style, `+` is a space, then `%XX`.
///
/// Real S3 leaves `/` as is and moto encodes it as `%2F`; decoding form-style gets both right.
pub fn decode_key(raw: &str) -> Result<String, MalformedEvent> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| MalformedEvent(format!("object key `{raw}` does not decode to UTF-8")))
}

/// Encodes a key the way S3 does in notifications (the inverse of [`decode_key`]).
pub fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP)
        .to_string()
        .replace(' ', "+")
}

/// Parses an SQS message body holding an S3 event notification.
pub fn parse_notification(body: &str) -> Result<Notification, MalformedEvent> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| MalformedEvent(format!("the message body is not JSON ({e})")))?;
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Notification::Test);
    }
    let records = value
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| MalformedEvent("no `Records` array (is this an S3 event notification?)".into()))?;
    if records.is_empty() {
        return Err(MalformedEvent("`Records` is empty".into()));
    }
    records
        .iter()
        .enumerate()
        .map(|(i, r)| parse_record(r).map_err(|e| MalformedEvent(format!("record {i}: {}", e.0))))
        .collect::<Result<Vec<_>, _>>()
        .map(Notification::Objects)
}

fn parse_record(record: &Value) -> Result<ObjectEvent, MalformedEvent> {
    let text = |path: &[&str]| -> Option<&str> {
        let mut v = record;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str()
    };
    let name = text(&["eventName"]).ok_or_else(|| MalformedEvent("no `eventName`".into()))?;
    let change = if name.starts_with("ObjectCreated:") {
        ObjectChange::Created
    } else if name.starts_with("ObjectRemoved:") {
        ObjectChange::Removed
    } else {
        return Err(MalformedEvent(format!("unsupported event `{name}`")));
    };
    let bucket = text(&["s3", "bucket", "name"]).ok_or_else(|| MalformedEvent("no `s3.bucket.name`".into()))?;
    let raw_key = text(&["s3", "object", "key"]).ok_or_else(|| MalformedEvent("no `s3.object.key`".into()))?;
    let key = decode_key(raw_key)?;
    if key.is_empty() {
        return Err(MalformedEvent("the object key is empty".into()));
    }
    let object = &record["s3"]["object"];
    let size = match object.get("size") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| MalformedEvent(format!("`s3.object.size` is not a size: {v}")))?,
        ),
    };
    Ok(ObjectEvent {
        change,
        bucket: bucket.to_string(),
        key,
        etag: object
            .get("eTag")
            .and_then(Value::as_str)
            .map(|e| e.trim_matches('"').to_string()),
        size,
        sequencer: object.get("sequencer").and_then(Value::as_str).map(str::to_string),
    })
}

/// Whether sequencer `a` is later than `b` (S3: compare as hex numbers of any length).
pub fn sequencer_is_later(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    (a.len(), a.to_ascii_uppercase()) > (b.len(), b.to_ascii_uppercase())
}

/// Builds the notification body S3 sends for one created object (the embedded drop folder and
/// tests use it, so they go through exactly the decoding path real events take).
pub fn created_notification(bucket: &str, key: &str, etag: &str, size: u64, sequencer: &str) -> String {
    notification("ObjectCreated:Put", bucket, key, Some((etag, size)), sequencer)
}

/// Builds the notification body S3 sends for one removed object.
pub fn removed_notification(bucket: &str, key: &str, sequencer: &str) -> String {
    notification("ObjectRemoved:Delete", bucket, key, None, sequencer)
}

fn notification(event: &str, bucket: &str, key: &str, object: Option<(&str, u64)>, sequencer: &str) -> String {
    let mut obj = serde_json::json!({ "key": encode_key(key), "sequencer": sequencer });
    if let Some((etag, size)) = object {
        obj["eTag"] = etag.into();
        obj["size"] = size.into();
    }
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "eventName": event,
            "userIdentity": { "principalId": "local" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": { "x-amz-request-id": "local", "x-amz-id-2": "local" },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "uploads",
                "bucket": { "name": bucket, "ownerIdentity": { "principalId": "local" }, "arn": format!("arn:aws:s3:::{bucket}") },
                "object": obj
            }
        }]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_form_style_both_ways_s3_and_moto_send_them() {
        assert_eq!(
            decode_key("uploads/acme/Interview+3+%28final%29.vtt").unwrap(),
            "uploads/acme/Interview 3 (final).vtt"
        );
        assert_eq!(decode_key("uploads%2Facme%2Fa.vtt").unwrap(), "uploads/acme/a.vtt");
        assert_eq!(decode_key("uploads/a%2Bb.txt").unwrap(), "uploads/a+b.txt");
        assert_eq!(
            decode_key("uploads/%E6%97%A5%E6%9C%AC.srt").unwrap(),
            "uploads/日本.srt"
        );
        assert!(decode_key("uploads/%FF.txt").is_err());
        for key in [
            "uploads/acme/Interview 3 (final).vtt",
            "uploads/a+b=c&d.txt",
            "uploads/ü/日本/../x",
            "uploads/100%.txt",
        ] {
            assert_eq!(decode_key(&encode_key(key)).unwrap(), key);
        }
    }

    #[test]
    fn parses_created_removed_and_test_events() {
        let body = created_notification("b", "uploads/p/a b+c.vtt", "\"abc\"", 12, "0055AED6DCD90281E5");
        match parse_notification(&body).unwrap() {
            Notification::Objects(events) => {
                assert_eq!(events.len(), 1);
                let e = &events[0];
                assert_eq!(
                    (e.change, e.bucket.as_str(), e.key.as_str()),
                    (ObjectChange::Created, "b", "uploads/p/a b+c.vtt")
                );
                assert_eq!((e.etag.as_deref(), e.size), (Some("abc"), Some(12)));
            }
            other => panic!("{other:?}"),
        }
        let removed = parse_notification(&removed_notification("b", "uploads/p/x", "01")).unwrap();
        assert!(
            matches!(removed, Notification::Objects(ref e) if e[0].change == ObjectChange::Removed && e[0].etag.is_none())
        );
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-01-01T00:00:00.000Z","Bucket":"b","RequestId":"r","HostId":"h"}"#;
        assert_eq!(parse_notification(test).unwrap(), Notification::Test);
    }

    #[test]
    fn malformed_messages_say_what_is_wrong() {
        let cases = [
            ("not json", "not JSON"),
            ("{}", "no `Records`"),
            (r#"{"Records": []}"#, "`Records` is empty"),
            (
                r#"{"Records": [{"eventName": "ObjectCreated:Put"}]}"#,
                "no `s3.bucket.name`",
            ),
            (
                r#"{"Records": [{"eventName": "ReducedRedundancyLostObject"}]}"#,
                "unsupported event",
            ),
            (
                r#"{"Records": [{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","size":"x"}}}]}"#,
                "not a size",
            ),
        ];
        for (body, needle) in cases {
            let err = parse_notification(body).unwrap_err();
            assert!(err.to_string().contains(needle), "{body}: {err}");
        }
    }

    #[test]
    fn sequencers_compare_as_hex_numbers() {
        assert!(sequencer_is_later("0055AED6DCD90281E6", "0055AED6DCD90281E5"));
        assert!(sequencer_is_later("0100", "FF"));
        assert!(!sequencer_is_later("00FF", "FF"));
        assert!(!sequencer_is_later("0A", "0b"));
    }
}
