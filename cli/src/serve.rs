//! `interviews serve`: the API's router on this machine, over the embedded backend, with the
//! local pipeline running in the same process so uploads get processed, and the local upload
//! endpoint that stands in for S3's presigned PUT.

use crate::{backend, local_runs};
use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;
use http_body_util::BodyExt;
use interview_api::{AppState, Auth, LocalToken, Problem};
use interview_core::config::{Backend, Settings};
use interview_embedded::uploads::{LocalUploadRefused, LocalUploads, UPLOAD_PATH};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// The environment variable that sets the token instead of a random one.
pub const TOKEN_VARIABLE: &str = "INTERVIEWS_TOKEN";

#[derive(Clone)]
struct LocalState {
    uploads: Arc<LocalUploads>,
    spool: PathBuf,
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    Ok(bytes)
}

fn token() -> Result<LocalToken> {
    match std::env::var(TOKEN_VARIABLE) {
        Ok(token) if !token.is_empty() => LocalToken::new(token).map_err(|e| anyhow::anyhow!("{TOKEN_VARIABLE}: {e}")),
        _ => LocalToken::new(hex::encode(random_bytes::<24>()?)).map_err(anyhow::Error::msg),
    }
}

/// Serves until Ctrl-C, then waits for running interviews to reach a safe point.
pub async fn serve(settings: Settings, listen: SocketAddr) -> Result<()> {
    let Backend::Embedded { data_dir } = &settings.backend else {
        anyhow::bail!("`serve` runs over the embedded backend; on AWS the `api` function serves the API");
    };
    let spool = data_dir.join(".upload-spool");
    tokio::fs::create_dir_all(&spool)
        .await
        .with_context(|| format!("cannot create {}", spool.display()))?;
    let webhook = crate::events::start_webhook(&settings)?;
    let outbox = crate::events::outbox(&settings)?;
    let (pipeline, orchestrator, reports) = backend::embedded_with_reports(settings)?;
    // The same promises as `watch`: a sweep now and every 5 minutes, and the interviews a
    // killed process left mid-way resumed.
    local_runs::sweep_once(&pipeline).await;
    let (mut runs, _resumed) = local_runs::take_charge(&pipeline, &orchestrator).await;
    runs.sweep_on_schedule(&pipeline);
    local_runs::catch_up_reports(&reports, &pipeline).await;
    let token = token()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    let base = format!("http://{address}");
    let uploads = Arc::new(LocalUploads::new(pipeline.clone(), base.clone(), random_bytes::<32>()?));
    let state = AppState {
        pipeline,
        uploads: uploads.clone(),
        auth: Auth::Local(token.clone()),
    };
    let api = interview_api::router(state.clone()).merge(interview_api::events::router(state, outbox.clone()));
    let local = Router::new()
        .route(&format!("{UPLOAD_PATH}{{key}}"), put(local_upload))
        .with_state(LocalState { uploads, spool });
    let app = api.merge(local);

    println!("{base}/?token={}", token.reveal());
    if !address.ip().is_loopback() {
        eprintln!("warning: listening on {address}, reachable from other machines; anyone with the token sees every interview");
    }
    eprintln!("serving the API on {base} (Ctrl-C to stop); programs send `Authorization: Bearer <token>`");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    eprintln!("stopping; waiting for running interviews to reach a safe point");
    orchestrator.wait_idle().await;
    drop(runs);
    reports.finish().await;
    crate::events::finish(webhook, outbox.as_ref()).await;
    Ok(())
}

fn refused(e: LocalUploadRefused) -> Problem {
    let status = match &e {
        LocalUploadRefused::BadSignature | LocalUploadRefused::Expired => StatusCode::FORBIDDEN,
        LocalUploadRefused::Mismatch(_) => StatusCode::BAD_REQUEST,
        LocalUploadRefused::Failed(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    Problem::new(status, e.to_string())
}

/// Streams the body into a spool file, refusing it as soon as it exceeds the signed size.
async fn spool_body(body: Body, path: &std::path::Path, size: u64) -> Result<(), Problem> {
    let mismatch = |what: &str| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body is {what} than the {size} bytes the URL was issued for"),
        )
    };
    let failed = |e: std::io::Error| {
        tracing::warn!(error = %e, "cannot spool an upload");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the upload could not be stored; try again",
        )
    };
    let mut file = tokio::fs::File::create(path).await.map_err(failed)?;
    let mut written = 0u64;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Problem::new(StatusCode::BAD_REQUEST, "the upload was interrupted"))?;
        if let Ok(data) = frame.into_data() {
            written += data.len() as u64;
            if written > size {
                return Err(mismatch("larger"));
            }
            file.write_all(&data).await.map_err(failed)?;
        }
    }
    file.flush().await.map_err(failed)?;
    if written != size {
        return Err(mismatch("smaller"));
    }
    Ok(())
}

/// `PUT /local-uploads/<key>?…`: what S3 does with a presigned PUT, then what S3's notification
/// does: the object lands in the bucket and ingest hears of it.
async fn local_upload(State(state): State<LocalState>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let encoded = uri.path().strip_prefix(UPLOAD_PATH).unwrap_or_default();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let upload = match state.uploads.verify(
        encoded,
        uri.query().unwrap_or_default(),
        content_type,
        chrono::Utc::now(),
    ) {
        Ok(upload) => upload,
        Err(e) => return refused(e).into_response(),
    };
    let spooled = state.spool.join(hex::encode(random_bytes::<12>().unwrap_or_default()));
    let outcome = async {
        spool_body(body, &spooled, upload.size_bytes).await?;
        state.uploads.store(&upload, &spooled).await.map_err(refused)
    }
    .await;
    let _ = tokio::fs::remove_file(&spooled).await;
    match outcome {
        Ok(id) => {
            tracing::info!(interview_id = %id, "upload received");
            StatusCode::OK.into_response()
        }
        Err(problem) => problem.into_response(),
    }
}
