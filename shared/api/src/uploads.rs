//! `POST /v1/uploads`: the server builds the key from the project and a sanitised file name,
//! refuses what the pipeline would refuse anyway (too large, empty), and issues a URL for
//! exactly that object, size and type.

use crate::auth::Caller;
use crate::interviews::scope;
use crate::problem::{ApiJson, Problem};
use crate::views::UploadView;
use crate::{AppState, API_SCHEMA_VERSION};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use interview_core::domain::InterviewId;
use interview_core::uploads::UploadRequest;
use serde::Deserialize;

/// The longest file name kept, in bytes (S3 keys may have 1024; the rest is the prefix).
const MAX_FILE_NAME_BYTES: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadBody {
    project: String,
    file_name: String,
    content_type: String,
    size_bytes: u64,
}

/// Whether `project` is a name the API files uploads under: 1–64 of `[A-Za-z0-9._-]`, starting
/// with a letter or digit (it becomes a path segment and a Cognito group name).
fn valid_project(project: &str) -> bool {
    (1..=64).contains(&project.len())
        && project.as_bytes()[0].is_ascii_alphanumeric()
        && project
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The file name as the key will hold it: the last path component only, control and
/// separator characters replaced, no leading dots, at most [`MAX_FILE_NAME_BYTES`] bytes.
/// `None` when nothing usable is left.
pub fn sanitise_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out = String::new();
    for c in last.chars() {
        let c = if c.is_control()
            || matches!(
                c,
                '<' | '>' | ':' | '"' | '|' | '?' | '*' | '#' | '%' | '{' | '}' | '^' | '`' | '~' | '[' | ']'
            ) {
            '_'
        } else {
            c
        };
        if out.len() + c.len_utf8() > MAX_FILE_NAME_BYTES {
            break;
        }
        out.push(c);
    }
    let trimmed = out.trim().trim_start_matches('.').trim().to_string();
    (!trimmed.is_empty() && trimmed.chars().any(|c| c.is_alphanumeric())).then_some(trimmed)
}

/// The key an upload of `file_name` into `project` goes to.
pub fn object_key(project: &str, file_name: &str) -> String {
    format!("uploads/{project}/{file_name}")
}

fn valid_content_type(value: &str) -> bool {
    let Some((kind, sub)) = value.split_once('/') else {
        return false;
    };
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    value.len() <= 127
        && token(kind)
        && token(sub.split(';').next().unwrap_or_default().trim())
        && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<UploadBody>,
) -> Result<(StatusCode, Json<UploadView>), Problem> {
    if !valid_project(&body.project) {
        return Err(Problem::bad_field(
            "project",
            "`project` must be 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
        ));
    }
    scope(&caller, Some(&body.project))?;
    let file_name = sanitise_file_name(&body.file_name)
        .ok_or_else(|| Problem::bad_field("file_name", "`file_name` has no usable characters"))?;
    if !valid_content_type(&body.content_type) {
        return Err(Problem::bad_field(
            "content_type",
            "`content_type` must be a media type such as text/vtt or audio/mpeg",
        ));
    }
    if body.size_bytes == 0 {
        return Err(Problem::bad_field(
            "size_bytes",
            "the file is empty; there is nothing to process",
        ));
    }
    let max = state.pipeline.settings.max_upload_bytes;
    if body.size_bytes > max {
        return Err(Problem {
            field: Some("size_bytes".into()),
            ..Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the file is {} bytes; the largest upload accepted is {max} bytes",
                    body.size_bytes
                ),
            )
        });
    }
    let request = UploadRequest {
        key: object_key(&body.project, &file_name),
        content_type: body.content_type,
        size_bytes: body.size_bytes,
    };
    let ticket = state.uploads.issue_put(&request, state.pipeline.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadView {
            schema_version: API_SCHEMA_VERSION,
            interview_id: InterviewId::for_object(state.uploads.bucket(), &request.key),
            key: request.key,
            url: ticket.url,
            method: ticket.method,
            headers: ticket.headers,
            expires_at: ticket.expires_at,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_dangerous_characters() {
        assert_eq!(
            sanitise_file_name("Interview 3.vtt").as_deref(),
            Some("Interview 3.vtt")
        );
        assert_eq!(sanitise_file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            sanitise_file_name("C:\\Users\\a\\call.m4a").as_deref(),
            Some("call.m4a")
        );
        assert_eq!(sanitise_file_name("..hidden?.txt").as_deref(), Some("hidden_.txt"));
        assert_eq!(
            sanitise_file_name("Ünïcode\u{0}\n.srt").as_deref(),
            Some("Ünïcode__.srt")
        );
        assert_eq!(sanitise_file_name("..."), None);
        assert_eq!(sanitise_file_name("dir/"), None);
        assert!(sanitise_file_name(&"é".repeat(300)).unwrap().len() <= MAX_FILE_NAME_BYTES);
    }

    #[test]
    fn projects_and_content_types_are_checked() {
        assert!(valid_project("acme") && valid_project("team-2.b_c"));
        assert!(!valid_project("") && !valid_project("-x") && !valid_project("a/b") && !valid_project(&"a".repeat(65)));
        assert!(
            valid_content_type("text/vtt")
                && valid_content_type("audio/mpeg")
                && valid_content_type("text/plain; charset=utf-8")
        );
        assert!(!valid_content_type("vtt") && !valid_content_type("text/") && !valid_content_type("a/b\r\nX: y"));
    }
}
