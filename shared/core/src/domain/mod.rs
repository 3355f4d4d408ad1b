//! The domain: ids, the item, statuses and steps, the transition table, and the one
//! read-modify-write path every item change goes through.

pub mod ids;
pub mod item;
pub mod status;
pub mod update;

pub use ids::{project_of_report_key, project_report_key, InterviewId, RunId};
/// Who the speakers are: the item keeps what a person assigned (the types live with the transcript).
pub use interview_transcript::{SpeakerAssignment, SpeakerAssignments, SpeakerRole};
pub use item::{
    ArtifactName, Artifacts, Counts, ErrorKind, Interview, ItemError, Source, SourceKind, StepRecord,
    ITEM_SCHEMA_VERSION, LIVE_SHARDS,
};
pub use status::{allowed, check_transition, Status, Step, TransitionError};
