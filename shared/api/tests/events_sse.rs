//! `GET /v1/events`: the outbox as Server-Sent Events, access-checked per event, resumable with
//! `Last-Event-ID`; run over the embedded backend with interviews that went through the real
//! ingest and local runner, and callers identified as API Gateway hands them over.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use interview_api::{router, AppState, Auth};
use interview_core::config::Settings;
use interview_core::events::{EventOutbox, InterviewStatusChanged};
use interview_core::s3_event::created_notification;
use interview_core::services::Services;
use interview_core::SystemClock;
use interview_embedded::uploads::{deliver_notification, LocalUploads};
use interview_embedded::{local_pipeline, Embedded};
use interview_testkit::api_suite::SAMPLE_VTT;
use lambda_http::request::RequestContext;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

fn context(groups: &str) -> RequestContext {
    let context = serde_json::json!({
        "routeKey": "$default", "accountId": "123456789012", "stage": "$default", "requestId": "r",
        "apiId": "api", "domainName": "example", "domainPrefix": "example", "time": "05/Dec/2026:10:00:00 +0000",
        "timeEpoch": 1796464800000i64,
        "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
        "authorizer": {"jwt": {"claims": {"sub": "user", "cognito:groups": groups}, "scopes": null}}
    });
    RequestContext::ApiGatewayV2(serde_json::from_value(context).unwrap())
}

fn request(path: &str, groups: Option<&str>, last_event_id: Option<u64>) -> Request<Body> {
    let mut request = Request::builder().uri(path);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id.to_string());
    }
    let mut request = request.body(Body::empty()).unwrap();
    if let Some(groups) = groups {
        request.extensions_mut().insert(context(groups));
    }
    request
}

/// The `(id, event)` pairs of the stream, read until `want` arrived or `quiet` passed without one.
async fn read_events(body: Body, want: usize, quiet: Duration) -> Vec<(u64, InterviewStatusChanged)> {
    let mut body = body;
    let mut text = String::new();
    let mut events = Vec::new();
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(quiet, body.frame()).await {
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = text.find("\n\n") {
            let message: String = text.drain(..end + 2).collect();
            let id = message
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|v| v.trim().parse().unwrap());
            let data = message.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim);
            if let (Some(id), Some(data)) = (id, data) {
                assert!(
                    message.contains("event: interview.status_changed")
                        || message.contains("event:interview.status_changed"),
                    "{message}"
                );
                events.push((id, serde_json::from_str(data).unwrap()));
            }
        }
        if events.len() > want {
            break;
        }
    }
    events
}

#[tokio::test]
async fn the_stream_carries_the_callers_projects_in_order_and_resumes_after_last_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::embedded(dir.path());
    let local = Embedded::open(&settings).unwrap();
    let services = Services::builder(settings.clone(), "local", local.store.clone(), local.blobs.clone())
        .transcriber(interview_speech::transcriber_for(&settings, local.blobs.clone(), None))
        .analyzer(interview_analysis::analyzer_for(&settings))
        .media(Arc::new(interview_speech::SymphoniaProbe))
        .build();
    let (pipeline, orchestrator) = local_pipeline(services, Arc::new(SystemClock)).unwrap();
    for key in ["uploads/acme/a.vtt", "uploads/beta/b.vtt", "uploads/acme/c.vtt"] {
        let meta = pipeline
            .blobs
            .put(key, SAMPLE_VTT.as_bytes().to_vec().into(), "text/vtt")
            .await
            .unwrap();
        let event = created_notification(pipeline.blobs.bucket(), key, &meta.etag, meta.size, "0001");
        deliver_notification(&pipeline, event).await.unwrap();
    }
    orchestrator.wait_idle().await;
    let outbox: Arc<dyn EventOutbox> = local.store.clone();
    let all = outbox.after(0, 1000).await.unwrap();
    let acme: Vec<_> = all
        .iter()
        .filter(|e| e.event.project.as_deref() == Some("acme"))
        .cloned()
        .collect();
    assert!(
        acme.len() >= 8 && acme.len() < all.len(),
        "{} of {}",
        acme.len(),
        all.len()
    );

    let state = AppState {
        pipeline: pipeline.clone(),
        uploads: Arc::new(LocalUploads::new(pipeline.clone(), "http://127.0.0.1:9", [7; 32])),
        auth: Auth::ApiGatewayJwt,
    };
    let app = router(state.clone()).merge(interview_api::events::router(state, outbox.clone()));

    for (groups, path, status) in [
        (None, "/v1/events?project=acme", 401),
        (Some("[project-beta]"), "/v1/events?project=acme", 403),
        (Some("[admin]"), "/v1/events", 400),
        (Some("[project-acme]"), "/v1/events?project=acme&x=1", 400),
    ] {
        let response = app.clone().oneshot(request(path, groups, None)).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{groups:?} {path}");
    }

    let response = app
        .clone()
        .oneshot(request("/v1/events", Some("[project-acme staff]"), Some(0)))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let got = read_events(response.into_body(), acme.len(), Duration::from_millis(800)).await;
    let want: Vec<_> = acme.iter().map(|e| (e.seq, e.event.clone())).collect();
    assert_eq!(got, want, "every acme event, in outbox order, and nothing of beta");

    let resume_after = acme[2].seq;
    let response = app
        .clone()
        .oneshot(request(
            "/v1/events?project=acme",
            Some("[project-acme]"),
            Some(resume_after),
        ))
        .await
        .unwrap();
    let got = read_events(response.into_body(), acme.len() - 3, Duration::from_millis(800)).await;
    assert_eq!(got.first().map(|e| e.0), Some(acme[3].seq));
    assert_eq!(got.len(), acme.len() - 3);

    // Without Last-Event-ID the stream starts at the next change: a new upload's events only.
    let response = app
        .clone()
        .oneshot(request("/v1/events?project=acme", Some("[project-acme]"), None))
        .await
        .unwrap();
    let key = "uploads/acme/d.vtt";
    let meta = pipeline
        .blobs
        .put(key, SAMPLE_VTT.as_bytes().to_vec().into(), "text/vtt")
        .await
        .unwrap();
    deliver_notification(
        &pipeline,
        created_notification(pipeline.blobs.bucket(), key, &meta.etag, meta.size, "0002"),
    )
    .await
    .unwrap();
    orchestrator.wait_idle().await;
    let got = read_events(response.into_body(), 100, Duration::from_millis(800)).await;
    assert!(!got.is_empty());
    assert!(got.iter().all(|(_, e)| e.key == key), "{got:?}");
}
