//! The API suite against the real `interviews serve` binary over loopback HTTP: uploads go
//! through the local upload URL, the same notification the drop folder delivers, and the
//! in-process runner.

use async_trait::async_trait;
use interview_testkit::api_suite::{run_all, upload, ApiTarget, Reply};
use interview_testkit::http::HttpClient;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const TOKEN: &str = "serve-api-test-token-0123456789";

/// A running `interviews serve` on a free loopback port, stopped when dropped.
pub struct Served {
    pub base: String,
    pub client: HttpClient,
    pub token: Option<String>,
    _child: Child,
    dir: tempfile::TempDir,
}

pub async fn start() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_interviews"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("INTERVIEWS_TOKEN", TOKEN)
        .env("INTERVIEWS_BACKEND", "embedded")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start interviews serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("serve prints its URL first");
    let (base, token) = first
        .split_once("/?token=")
        .expect("the first line is the URL with the token");
    assert_eq!(token, TOKEN, "INTERVIEWS_TOKEN sets the token");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    Served {
        base: base.to_string(),
        client: HttpClient::default(),
        token: Some(TOKEN.to_string()),
        _child: child,
        dir,
    }
}

#[async_trait]
impl ApiTarget for Served {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let bearer = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer.as_str()));
        }
        let bytes = match body {
            Some(Value::String(raw)) => raw.into_bytes(),
            Some(value) => serde_json::to_vec(&value).unwrap(),
            None => Vec::new(),
        };
        let answer = self
            .client
            .send(method, &format!("{}{path}", self.base), &headers, bytes)
            .await
            .unwrap();
        Reply {
            status: answer.status,
            content_type: answer.headers.get("content-type").cloned().unwrap_or_default(),
            body: answer.json(),
        }
    }

    async fn put(&self, url: &str, headers: &BTreeMap<String, String>, bytes: Vec<u8>) -> u16 {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.client.send("PUT", url, &headers, bytes).await.unwrap().status
    }

    async fn deliver(&self) {}

    async fn settle(&self) {}
}

#[tokio::test]
async fn the_api_suite_passes_on_serve() {
    let served = start().await;
    let passed = run_all(&served, "acme").await;
    assert_eq!(passed.len(), 6, "{passed:?}");
}

#[tokio::test]
async fn serve_needs_its_token_and_keeps_it_in_a_strict_cookie() {
    let mut served = start().await;
    let openapi = served.call("GET", "/v1/openapi.json", None).await;
    assert_eq!(openapi.status, 200, "the contract is public");
    let file: Value = serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    assert_eq!(openapi.body, file, "the served document is the one in docs/");
    let page = served
        .client
        .send("GET", &format!("{}/?token={TOKEN}", served.base), &[], vec![])
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let cookie = page
        .headers
        .get("set-cookie")
        .expect("the right token is kept in a cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie_value = cookie.split(';').next().unwrap().to_string();
    let with_cookie = served
        .client
        .send(
            "GET",
            &format!("{}/v1/projects", served.base),
            &[("cookie", &cookie_value)],
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(with_cookie.status, 200, "the cookie authenticates the page's requests");
    let wrong = served
        .client
        .send(
            "GET",
            &format!("{}/?token=nope-nope-nope-nope", served.base),
            &[],
            vec![],
        )
        .await
        .unwrap();
    assert!(!wrong.headers.contains_key("set-cookie"), "a wrong token is not kept");
    assert!(!page.headers.contains_key("access-control-allow-origin"), "no CORS");

    served.token = None;
    for path in [
        "/v1/interviews?project=acme",
        "/v1/projects",
        "/v1/overview?project=acme",
        "/v1/interviews/iv-000000000000000000000000",
    ] {
        assert_eq!(served.call("GET", path, None).await.status, 401, "{path}");
    }
    served.token = Some("the-wrong-token-0123456789".into());
    let wrong = served.call("GET", "/v1/projects", None).await;
    assert_eq!(
        (wrong.status, wrong.content_type.as_str()),
        (401, "application/problem+json")
    );
}

#[tokio::test]
async fn serve_sees_what_process_adds_to_the_same_data_dir() {
    let served = start().await;
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/platform-team-deploys.srt");
    let status = Command::new(env!("CARGO_BIN_EXE_interviews"))
        .arg("--data-dir")
        .arg(served.dir.path())
        .args(["process", "--project", "beside", sample])
        .env("INTERVIEWS_BACKEND", "embedded")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success(), "process runs beside serve on the same data dir");
    let listed = served.call("GET", "/v1/interviews?project=beside", None).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed:?}");
    assert_eq!(
        (items[0]["status"].as_str(), items[0]["file_name"].as_str()),
        (Some("ready"), Some("platform-team-deploys.srt"))
    );
    let report = served.call("GET", "/v1/projects/beside/report", None).await;
    assert_eq!(
        report.status, 200,
        "process brings its project's report up to date: {report:?}"
    );
    assert_eq!(report.body["interview_ids"], serde_json::json!([items[0]["id"]]));
}

#[tokio::test]
async fn serve_rebuilds_a_projects_report_by_itself_when_an_interview_becomes_ready() {
    let served = start().await;
    let missing = served.call("GET", "/v1/projects/fresh/report", None).await;
    assert_eq!(missing.status, 404, "{missing:?}");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/bakery-scheduling.vtt");
    let bytes = std::fs::read(sample).unwrap();
    let id = upload(&served, "fresh", "bakery.vtt", "text/vtt", &bytes).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let report = loop {
        let report = served.call("GET", "/v1/projects/fresh/report", None).await;
        if report.status == 200 {
            break report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no report 60 s after the upload: {report:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(report.body["schema_version"], 1);
    assert_eq!(report.body["interview_ids"], serde_json::json!([id]));
    assert_eq!(report.body["inputs"][0]["interview_id"], serde_json::json!(id));
    let other = served.call("GET", "/v1/projects/fresh/report?format=md", None).await;
    assert_eq!(other.status, 400, "unknown parameters are refused by name: {other:?}");
}
