//! The `events` function: DynamoDB stream records of the interview table become
//! `Interview Status Changed` events. It runs as the enrichment of the stack's EventBridge pipe
//! (stream → enrichment → event bus): the pipe hands it a batch of records, and every element of
//! the array it returns goes to the bus as one event's `detail`. A record whose write changed
//! nothing of status, step or progress yields nothing.
//!
//! The records are the table's own writes (`NEW_AND_OLD_IMAGES`), so a task that crashed right
//! after its write still has its event: nothing here depends on the writer being alive.

use interview_core::domain::Interview;
use interview_core::events::InterviewStatusChanged;
use interview_core::TaskError;
use serde::Deserialize;

/// One stream record, as Pipes (and the DynamoDB Streams `GetRecords` API) deliver it: only the
/// fields this function reads. The item is stored as JSON in its `item` attribute.
#[derive(Debug, Clone, Deserialize)]
pub struct StreamRecord {
    /// The record's id (names a record in errors).
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName")]
    pub event_name: String,
    /// The images.
    pub dynamodb: StreamImages,
}

/// The item before and after the write.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamImages {
    /// After the write (absent for `REMOVE`).
    #[serde(rename = "NewImage", default)]
    pub new_image: Option<ItemImage>,
    /// Before the write (absent for `INSERT`).
    #[serde(rename = "OldImage", default)]
    pub old_image: Option<ItemImage>,
}

/// The attributes of a stored item that carry it: `item`, a string attribute holding its JSON.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemImage {
    /// `{"S": "<the item as JSON>"}`.
    #[serde(default)]
    pub item: Option<StringAttribute>,
}

/// A DynamoDB string attribute value.
#[derive(Debug, Clone, Deserialize)]
pub struct StringAttribute {
    /// The string.
    #[serde(rename = "S")]
    pub s: String,
}

fn decode(record: &StreamRecord, image: Option<&ItemImage>, which: &str) -> Result<Option<Interview>, TaskError> {
    let Some(json) = image.and_then(|i| i.item.as_ref()) else {
        return Ok(None);
    };
    // The position only: a serde message may quote the item, which holds interview content.
    serde_json::from_str(&json.s).map(Some).map_err(|e| {
        TaskError::Internal(format!(
            "stream record {}: the {which} image's item does not decode ({:?} at line {}, column {})",
            record.event_id,
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// The events of a batch of records, in record order. A record that cannot be decoded fails the
/// batch, so the pipe retries it and finally parks it in its dead-letter queue rather than lose
/// the event.
pub fn handle(records: Vec<StreamRecord>) -> Result<Vec<InterviewStatusChanged>, TaskError> {
    let mut events = Vec::new();
    for record in &records {
        if record.event_name == "REMOVE" {
            continue;
        }
        let Some(after) = decode(record, record.dynamodb.new_image.as_ref(), "new")? else {
            continue;
        };
        let before = decode(record, record.dynamodb.old_image.as_ref(), "old")?;
        events.extend(InterviewStatusChanged::for_write(before.as_ref(), &after));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use interview_core::domain::{Source, SourceKind, Status};
    use serde_json::json;

    fn item() -> Interview {
        Interview::new_queued(
            Source {
                bucket: "b".into(),
                key: "uploads/acme/a.vtt".into(),
                etag: "e".into(),
                size: 1,
                content_type: None,
                kind: SourceKind::Transcript,
                sequencer: None,
            },
            chrono::Utc::now(),
        )
    }

    fn image(item: &Interview) -> serde_json::Value {
        json!({"id": {"S": item.id.as_str()}, "version": {"N": item.version.to_string()},
               "item": {"S": serde_json::to_string(item).unwrap()}})
    }

    #[test]
    fn inserts_and_status_changes_become_events_other_writes_and_removals_do_not() {
        let v1 = item();
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.status = Status::Processing;
        let mut v3 = v2.clone();
        v3.version = 3;
        v3.note = Some("a heartbeat".into());
        let records = json!([
            {"eventID": "1", "eventName": "INSERT", "dynamodb": {"NewImage": image(&v1)}},
            {"eventID": "2", "eventName": "MODIFY", "dynamodb": {"NewImage": image(&v2), "OldImage": image(&v1)}},
            {"eventID": "3", "eventName": "MODIFY", "dynamodb": {"NewImage": image(&v3), "OldImage": image(&v2)}},
            {"eventID": "4", "eventName": "REMOVE", "dynamodb": {"OldImage": image(&v3)}},
        ]);
        let events = handle(serde_json::from_value(records).unwrap()).unwrap();
        let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
        assert_eq!(versions, [1, 2]);
        assert_eq!(events[1], InterviewStatusChanged::of(&v2));
    }

    #[test]
    fn an_undecodable_item_fails_the_batch_without_quoting_it() {
        let records = json!([{"eventID": "9", "eventName": "INSERT",
            "dynamodb": {"NewImage": {"item": {"S": "{\"secret quote\": \"Jane Doe\""}}}}]);
        let error = handle(serde_json::from_value(records).unwrap())
            .unwrap_err()
            .to_string();
        assert!(error.contains("stream record 9"), "{error}");
        assert!(!error.contains("Jane"), "{error}");
    }
}
