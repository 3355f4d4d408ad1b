//! Every endpoint × {no token, a token for another project, the right project, admin}: the
//! expected status, and nothing of the other project in any body. The router runs in its AWS
//! mode (claims from API Gateway's request context, as lambda_http hands them over) over the
//! embedded backend, with interviews that went through the real ingest and local runner.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use interview_api::{router, AppState, Auth};
use interview_core::config::Settings;
use interview_core::s3_event::created_notification;
use interview_core::services::Services;
use interview_core::SystemClock;
use interview_embedded::uploads::{deliver_notification, LocalUploads};
use interview_embedded::{local_pipeline, Embedded};
use interview_testkit::api_suite::{CORRUPT_VTT, SAMPLE_VTT};
use lambda_http::request::RequestContext;
use std::sync::Arc;
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Other,
    Right,
    Admin,
}

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

async fn call(app: &axum::Router, who: Who, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let groups = match who {
        Who::Nobody => None,
        Who::Other => Some("[project-beta]"),
        Who::Right => Some("[project-acme staff]"),
        Who::Admin => Some("[admin]"),
    };
    if let Some(groups) = groups {
        request.extensions_mut().insert(context(groups));
    }
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn every_endpoint_answers_each_caller_as_its_groups_allow() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::embedded(dir.path());
    let local = Embedded::open(&settings).unwrap();
    let services = Services::builder(settings.clone(), "local", local.store.clone(), local.blobs.clone())
        .transcriber(interview_speech::transcriber_for(&settings, local.blobs.clone(), None))
        .analyzer(interview_analysis::analyzer_for(&settings))
        .media(Arc::new(interview_speech::SymphoniaProbe))
        .build();
    let (pipeline, orchestrator) = local_pipeline(services, Arc::new(SystemClock)).unwrap();
    let drop_in = |key: &'static str, body: &'static str| {
        let pipeline = pipeline.clone();
        async move {
            let meta = pipeline
                .blobs
                .put(key, body.as_bytes().to_vec().into(), "text/vtt")
                .await
                .unwrap();
            let event = created_notification(pipeline.blobs.bucket(), key, &meta.etag, meta.size, "0001");
            deliver_notification(&pipeline, event).await.unwrap();
            interview_core::domain::InterviewId::for_object(pipeline.blobs.bucket(), key).to_string()
        }
    };
    let ready = drop_in("uploads/acme/secret-acme-ready.vtt", SAMPLE_VTT).await;
    let delete_right = drop_in("uploads/acme/secret-acme-delete-1.vtt", SAMPLE_VTT).await;
    let delete_admin = drop_in("uploads/acme/secret-acme-delete-2.vtt", SAMPLE_VTT).await;
    let failed_right = drop_in("uploads/acme/secret-acme-broken-1.vtt", CORRUPT_VTT).await;
    let failed_admin = drop_in("uploads/acme/secret-acme-broken-2.vtt", CORRUPT_VTT).await;
    let name_right = drop_in("uploads/acme/secret-acme-speakers-1.vtt", SAMPLE_VTT).await;
    let name_admin = drop_in("uploads/acme/secret-acme-speakers-2.vtt", SAMPLE_VTT).await;
    let theirs = drop_in("uploads/beta/beta-call.vtt", SAMPLE_VTT).await;
    orchestrator.wait_idle().await;
    interview_reports::rebuild(&pipeline, "acme", &interview_analysis::LocalSynthesizer::default())
        .await
        .unwrap();
    let acme_ids = [
        &ready,
        &delete_right,
        &delete_admin,
        &failed_right,
        &failed_admin,
        &name_right,
        &name_admin,
    ];

    let uploads = Arc::new(LocalUploads::new(pipeline.clone(), "http://127.0.0.1:9", [7; 32]));
    let app = router(AppState {
        pipeline: pipeline.clone(),
        uploads,
        auth: Auth::ApiGatewayJwt,
    });

    let upload = r#"{"project":"acme","file_name":"new.vtt","content_type":"text/vtt","size_bytes":10}"#;
    let force = r#"{"force":true}"#;
    let speakers = r#"{"speakers":{"Interviewer":{"name":"Sam Ortiz","role":"interviewer"}}}"#;
    // (method, path, body, [nobody, other, right, admin]); a path with `{id}` per caller.
    let cases: Vec<(&str, String, &str, [u16; 4])> = vec![
        ("GET", "/v1/openapi.json".into(), "", [200, 200, 200, 200]),
        ("GET", "/v1/projects".into(), "", [401, 200, 200, 200]),
        ("GET", "/v1/interviews?project=acme".into(), "", [401, 403, 200, 200]),
        ("GET", "/v1/interviews".into(), "", [401, 200, 200, 400]),
        (
            "GET",
            "/v1/interviews?project=acme&stuck=true".into(),
            "",
            [401, 403, 200, 200],
        ),
        ("GET", "/v1/overview?project=acme".into(), "", [401, 403, 200, 200]),
        ("GET", "/v1/overview".into(), "", [401, 200, 200, 400]),
        ("GET", format!("/v1/interviews/{ready}"), "", [401, 404, 200, 200]),
        (
            "GET",
            format!("/v1/interviews/{ready}/transcript"),
            "",
            [401, 404, 200, 200],
        ),
        (
            "GET",
            format!("/v1/interviews/{ready}/evidence"),
            "",
            [401, 404, 200, 200],
        ),
        (
            "GET",
            format!("/v1/interviews/{ready}/analysis"),
            "",
            [401, 404, 200, 200],
        ),
        ("POST", "/v1/uploads".into(), upload, [401, 403, 201, 201]),
        ("GET", "/v1/projects/acme/report".into(), "", [401, 403, 200, 200]),
        (
            "GET",
            "/v1/projects/nothing-yet/report".into(),
            "",
            [401, 403, 403, 404],
        ),
    ];
    let mut problems = Vec::new();
    let mut check = |who: Who, method: &str, path: &str, want: u16, (status, body): (u16, String)| {
        if status != want {
            problems.push(format!("{who:?} {method} {path}: {status}, expected {want}: {body}"));
        }
        if who == Who::Other || who == Who::Nobody {
            // The id the caller itself sent may come back in "no interview <id>"; nothing else may.
            let leaked = acme_ids
                .iter()
                .any(|id| !path.contains(id.as_str()) && body.contains(id.as_str()))
                || body.contains("secret-acme")
                || (path.contains("/v1/interviews/") && body.contains("\"status\":\"ready\""));
            if leaked {
                problems.push(format!("{who:?} {method} {path}: the body shows acme's data: {body}"));
            }
        }
    };
    for (method, path, body, want) in &cases {
        for (who, want) in [Who::Nobody, Who::Other, Who::Right, Who::Admin].into_iter().zip(want) {
            check(who, method, path, *want, call(&app, who, method, path, body).await);
        }
    }
    // Writes: the refused callers first, then each allowed caller on an interview of its own.
    for (method, suffix, body, right_id, admin_id, ok) in [
        ("POST", "/retry", force, &failed_right, &failed_admin, 202),
        ("PUT", "/speakers", speakers, &name_right, &name_admin, 202),
        ("DELETE", "", "", &delete_right, &delete_admin, 202),
    ] {
        for who in [Who::Nobody, Who::Other] {
            let path = format!("/v1/interviews/{right_id}{suffix}");
            let want = if who == Who::Nobody { 401 } else { 404 };
            check(who, method, &path, want, call(&app, who, method, &path, body).await);
        }
        let path = format!("/v1/interviews/{right_id}{suffix}");
        check(
            Who::Right,
            method,
            &path,
            ok,
            call(&app, Who::Right, method, &path, body).await,
        );
        let path = format!("/v1/interviews/{admin_id}{suffix}");
        check(
            Who::Admin,
            method,
            &path,
            ok,
            call(&app, Who::Admin, method, &path, body).await,
        );
        let path = format!("/v1/interviews/{theirs}{suffix}");
        check(
            Who::Right,
            method,
            &path,
            404,
            call(&app, Who::Right, method, &path, body).await,
        );
    }
    orchestrator.wait_idle().await;
    let (_, mine) = call(&app, Who::Other, "GET", "/v1/interviews", "").await;
    assert!(
        mine.contains(&theirs),
        "the other project's caller lists its own interview: {mine}"
    );
    let (_, projects) = call(&app, Who::Right, "GET", "/v1/projects", "").await;
    assert!(projects.contains(r#""projects":["acme"]"#), "{projects}");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The sample API Gateway HTTP API event (`events/api-get-interviews.json`, the payload the
/// `api` Lambda receives) goes through lambda_http's decoding into the router, and its
/// `cognito:groups` claim is what grants the project.
#[tokio::test]
async fn the_sample_api_gateway_event_reaches_the_router_with_its_groups() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::embedded(dir.path());
    let local = Embedded::open(&settings).unwrap();
    let services = Services::builder(settings, "local", local.store.clone(), local.blobs.clone()).build();
    let (pipeline, _) = local_pipeline(services, Arc::new(SystemClock)).unwrap();
    let uploads = Arc::new(LocalUploads::new(pipeline.clone(), "http://127.0.0.1:9", [7; 32]));
    let app = router(AppState {
        pipeline,
        uploads,
        auth: Auth::ApiGatewayJwt,
    });
    let event = include_str!("../../../events/api-get-interviews.json");
    let request = lambda_http::request::from_str(event).expect("lambda_http reads the sample event");
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["items"], serde_json::json!([]));

    let mut other: serde_json::Value = serde_json::from_str(event).unwrap();
    other["rawQueryString"] = "project=beta".into();
    other["queryStringParameters"] = serde_json::json!({"project": "beta"});
    let request = lambda_http::request::from_str(&other.to_string()).unwrap();
    assert_eq!(
        app.oneshot(request).await.unwrap().status().as_u16(),
        403,
        "project-acme does not grant beta"
    );
}
