//! `PUT /v1/interviews/{id}/speakers`: names and roles for an interview's speakers, and the
//! new run that redoes extract and analyze with them.

use crate::interviews::visible;
use crate::problem::{parse_json, Problem};
use crate::views::SpeakersView;
use crate::{AppState, API_SCHEMA_VERSION};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use interview_core::domain::SpeakerAssignments;
use interview_handlers::speakers::{assign_speakers, SpeakersRefused};
use serde::Deserialize;

/// The request body: the whole set of assignments, which replaces the one on the interview.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpeakersBody {
    /// The body format; 1 when absent.
    #[serde(default = "first_version")]
    schema_version: u32,
    /// By the speaker label the transcript has: `{"name": …, "role": "interviewer"|"participant"}`.
    speakers: SpeakerAssignments,
}

fn first_version() -> u32 {
    API_SCHEMA_VERSION
}

pub(crate) async fn put(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<SpeakersView>), Problem> {
    let body: SpeakersBody = parse_json(&body)?;
    if body.schema_version != API_SCHEMA_VERSION {
        return Err(Problem::bad_field(
            "schema_version",
            format!("this server reads speakers bodies of schema_version {API_SCHEMA_VERSION}"),
        ));
    }
    let (item, _) = visible(&state, &caller, &id).await?;
    match assign_speakers(&state.pipeline, &item.id, body.speakers).await? {
        Ok(done) => Ok((
            StatusCode::ACCEPTED,
            Json(SpeakersView {
                schema_version: API_SCHEMA_VERSION,
                interview_id: done.interview_id,
                run: done.run_id.number(),
                resumes_at: done.resumes_at,
                speakers: done.speakers,
            }),
        )),
        Err(SpeakersRefused::NotFound(_)) => Err(Problem::no_interview(&id)),
        Err(why @ SpeakersRefused::Naming(_)) => Err(Problem {
            field: Some("speakers".into()),
            ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, why.to_string())
        }),
        Err(
            why @ (SpeakersRefused::Running { .. }
            | SpeakersRefused::Deleted(_)
            | SpeakersRefused::NoTranscript(_)
            | SpeakersRefused::UploadChanged(_)),
        ) => Err(Problem::new(StatusCode::CONFLICT, why.to_string())),
    }
}
