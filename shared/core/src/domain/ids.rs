//! Identifiers. Ids are derived, never random, so that duplicate events converge on one item.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Stable interview id derived from the source object's bucket and key.
///
/// Duplicate S3 events for the same object map to the same id, which is what lets the item,
/// not the event stream, decide whether a run already exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InterviewId(String);

/// Why a string was refused as an [`InterviewId`] or [`RunId`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{value}` is not a valid {what}: {reason}")]
pub struct IdError {
    what: &'static str,
    value: String,
    reason: &'static str,
}

const ID_PREFIX: &str = "iv-";
const ID_HEX_LEN: usize = 24;

impl InterviewId {
    /// Derives the id from the object that was uploaded; the same bucket and key always give the same id.
    pub fn for_object(bucket: &str, key: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(bucket.as_bytes());
        hasher.update([0u8]);
        hasher.update(key.as_bytes());
        let digest = hex::encode(hasher.finalize());
        Self(format!("{ID_PREFIX}{}", &digest[..ID_HEX_LEN]))
    }

    /// Parses an id typed by an operator or read from an event, refusing anything we never issue.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = |reason| IdError {
            what: "interview id",
            value: value.to_string(),
            reason,
        };
        let Some(hex_part) = value.strip_prefix(ID_PREFIX) else {
            return Err(err("it must start with `iv-`"));
        };
        if hex_part.len() != ID_HEX_LEN
            || !hex_part
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(err("it must be `iv-` followed by 24 lowercase hex digits"));
        }
        Ok(Self(value.to_string()))
    }

    /// The id as it appears in items, logs and S3 keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The S3 prefix under which this interview's results live.
    pub fn results_prefix(&self) -> String {
        format!("results/{}/", self.0)
    }
}

/// Where a project's report lives in the bucket: `reports/<project>/project-report.json`, the
/// project percent-encoded so that any folder name (`..`, spaces, `%`) is one plain key segment.
pub fn project_report_key(project: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_');
    let segment = percent_encoding::utf8_percent_encode(project, SEGMENT);
    format!("reports/{segment}/project-report.json")
}

/// The project whose report is at `key`, the inverse of [`project_report_key`].
pub fn project_of_report_key(key: &str) -> Option<String> {
    let segment = key.strip_prefix("reports/")?.strip_suffix("/project-report.json")?;
    let project = percent_encoding::percent_decode_str(segment).decode_utf8().ok()?;
    (!project.is_empty()).then(|| project.into_owned())
}

impl fmt::Display for InterviewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for InterviewId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<InterviewId> for String {
    fn from(id: InterviewId) -> Self {
        id.0
    }
}

/// One run of an interview through the state machine; the fencing token on every task write.
///
/// It doubles as the Step Functions execution name, so it only uses `[A-Za-z0-9-]` and stays
/// well under the 80-character limit. Run numbers grow monotonically per interview, so a
/// repeated `StartExecution` for the same run is recognisably the same execution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

impl RunId {
    /// The run id for the `number`th run of `id`.
    pub fn new(id: &InterviewId, number: u32) -> Self {
        Self(format!("{}-r{number}", id.as_str()))
    }

    /// Parses a run id from a task input, refusing anything we never issue.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = |reason| IdError {
            what: "run id",
            value: value.to_string(),
            reason,
        };
        let Some((id, number)) = value.rsplit_once("-r") else {
            return Err(err("it must look like `iv-<hex>-r<number>`"));
        };
        InterviewId::parse(id).map_err(|_| err("its interview part is not a valid interview id"))?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("its run number must be digits"));
        }
        Ok(Self(value.to_string()))
    }

    /// The interview this run belongs to.
    pub fn interview_id(&self) -> InterviewId {
        let (id, _) = self.0.rsplit_once("-r").expect("validated at construction");
        InterviewId(id.to_string())
    }

    /// The run's number, 1 for the first run.
    pub fn number(&self) -> u32 {
        let (_, n) = self.0.rsplit_once("-r").expect("validated at construction");
        n.parse().expect("validated at construction")
    }

    /// The id as used for the execution name and in logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RunId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RunId> for String {
    fn from(id: RunId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_one_readable_key_segment_whatever_its_name() {
        assert_eq!(
            project_report_key("acme-research_2"),
            "reports/acme-research_2/project-report.json"
        );
        assert_eq!(project_report_key(".."), "reports/%2E%2E/project-report.json");
        assert_eq!(project_report_key("a b/c"), "reports/a%20b%2Fc/project-report.json");
        for project in ["acme", "..", "a b/c", "日本", "50%"] {
            assert_eq!(
                project_of_report_key(&project_report_key(project)).as_deref(),
                Some(project)
            );
        }
        assert_eq!(project_of_report_key("reports//project-report.json"), None);
        assert_eq!(project_of_report_key("results/x/project-report.json"), None);
    }

    #[test]
    fn same_object_gives_same_id_and_different_objects_differ() {
        let a = InterviewId::for_object("bucket", "uploads/p/a.vtt");
        assert_eq!(a, InterviewId::for_object("bucket", "uploads/p/a.vtt"));
        assert_ne!(a, InterviewId::for_object("bucket", "uploads/p/b.vtt"));
        assert_ne!(a, InterviewId::for_object("other", "uploads/p/a.vtt"));
        assert_ne!(InterviewId::for_object("ab", "c"), InterviewId::for_object("a", "bc"));
        assert_eq!(InterviewId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn run_ids_round_trip_and_reject_garbage() {
        let id = InterviewId::for_object("b", "k");
        let run = RunId::new(&id, 12);
        assert_eq!(run.number(), 12);
        assert_eq!(run.interview_id(), id);
        assert_eq!(RunId::parse(run.as_str()).unwrap(), run);
        assert!(run.as_str().len() <= 80);
        for bad in [
            "",
            "iv-xyz-r1",
            "x-r1",
            &format!("{id}-r"),
            &format!("{id}-rx"),
            &format!("{id}"),
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(InterviewId::parse("iv-ABCDEF0123456789abcdef01").is_err());
        assert!(serde_json::from_str::<InterviewId>("\"nope\"").is_err());
    }
}
