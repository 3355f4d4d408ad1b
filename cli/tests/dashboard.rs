//! The dashboard in a real browser (headless Chromium through chromedriver) against the real
//! `interviews serve`: the token screen, an upload watched to `ready` without reloading, a theme's
//! quote and its place in the transcript, input errors without a Retry button, a provider
//! failure retried from the page, a 375 px layout, labelled controls, and no console errors.
//! Screenshots are saved under `target/tmp/dashboard/`.

mod browser;

use browser::{choose_project, console_errors, js, pick_file, row_status, screenshot, wait_js, Browser, Served, TOKEN};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use interview_testkit::http::HttpClient;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PROCESSED: Duration = Duration::from_secs(60);
const SAMPLE: &str = "bakery-scheduling.vtt";
/// Whether a person sees the Retry button (rendered, not merely present).
const VISIBLE_RETRY: &str = "return document.getElementById('retry').offsetParent !== null;";

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples").join(name)
}

async fn api(base: &str, path: &str) -> Value {
    let answer = HttpClient::default()
        .send(
            "GET",
            &format!("{base}{path}"),
            &[("authorization", &format!("Bearer {TOKEN}"))],
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.json());
    answer.json()
}

fn assert_no_console_errors(errors: Vec<String>, when: &str) {
    assert!(errors.is_empty(), "console errors {when}: {errors:#?}");
}

/// Every control has a label a screen reader reads, and nothing is wider than the window.
async fn assert_usable(client: &Client, when: &str) {
    let unlabelled = js(
        client,
        "return [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => el.offsetParent !== null || el.type === 'file')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.textContent || '').trim())
            .map(el => el.outerHTML.slice(0, 80));",
    )
    .await;
    assert_eq!(unlabelled, json!([]), "controls without a label {when}");
    let overflow = js(
        client,
        "return document.documentElement.scrollWidth - window.innerWidth;",
    )
    .await;
    let culprits = js(
        client,
        "return [...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => el.tagName + '#' + el.id + '.' + el.className).slice(0, 8);",
    )
    .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "the page is {overflow} px wider than the window {when}: {culprits}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_uploads_watches_reads_and_sees_input_errors() {
    let data = tempfile::tempdir().unwrap();
    let served = Served::start(data.path(), "127.0.0.1:0", &[]).await;
    let base = served.base.clone();
    let files = tempfile::tempdir().unwrap();
    let empty = files.path().join("empty.vtt");
    std::fs::write(&empty, b"").unwrap();
    let not_a_transcript = files.path().join("scan.txt");
    std::fs::write(
        &not_a_transcript,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    )
    .unwrap();

    let browser = Browser::start().await;
    let downloads = browser.downloads.clone();
    browser
        .run(move |client| async move {
            // Without the token: how to get in, and no data (and no failed request either).
            client.goto(&format!("{base}/")).await.unwrap();
            wait_js(&client, "the sign-in screen", "!document.getElementById('signin').hidden", Duration::from_secs(10)).await;
            let signin = client.find(Locator::Id("signin")).await.unwrap().text().await.unwrap();
            assert!(signin.contains("interviews -- serve"), "{signin}");
            assert!(signin.contains("?token="), "{signin}");
            assert_eq!(js(&client, "return document.getElementById('list-view').hidden;").await, json!(true));
            assert_eq!(js(&client, "return document.getElementById('rows').children.length;").await, json!(0));
            assert_no_console_errors(console_errors(&client).await, "on the sign-in screen");

            // With it: an empty project says how to add the first interview.
            client.goto(&format!("{base}/?token={TOKEN}")).await.unwrap();
            choose_project(&client, "acme").await;
            wait_js(&client, "the empty state", "!document.getElementById('empty').hidden", Duration::from_secs(10)).await;
            let empty_state = client.find(Locator::Id("empty")).await.unwrap().text().await.unwrap();
            assert!(empty_state.contains("process --project acme"), "{empty_state}");
            assert_usable(&client, "on the empty list").await;

            // Upload a sample through the file input and watch it reach ready without reloading.
            js(&client, "window.__samePage = true;").await;
            let picked = Instant::now();
            pick_file(&client, &sample(SAMPLE)).await;
            let mut seen = Vec::new();
            let deadline = Instant::now() + PROCESSED;
            loop {
                let status = js(&client, &format!("return {};", row_status(SAMPLE))).await;
                if let Some(s) = status.as_str() {
                    if seen.last().map(String::as_str) != Some(s) {
                        seen.push(s.to_string());
                    }
                    if s == "ready" || s == "error" {
                        break;
                    }
                }
                assert!(Instant::now() < deadline, "{SAMPLE} never reached ready: {seen:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let on_screen = chrono::Utc::now();
            assert_eq!(seen.last().map(String::as_str), Some("ready"), "{seen:?}");
            assert_eq!(js(&client, "return window.__samePage === true;").await, json!(true), "no reload");
            let listed = api(&base, "/v1/interviews?project=acme").await;
            let item = &listed["items"][0];
            let id = item["id"].as_str().unwrap().to_string();
            let changed: chrono::DateTime<chrono::Utc> = item["updated_at"].as_str().unwrap().parse().unwrap();
            let lag = on_screen - changed;
            eprintln!(
                "figure: {SAMPLE} picked to ready on screen in {:.2} s; status change to screen {} ms; states seen {seen:?}",
                picked.elapsed().as_secs_f64(),
                lag.num_milliseconds()
            );
            assert!(lag < chrono::Duration::seconds(2), "ready reached the screen {lag} after the change");

            // An empty file is refused before any upload, with no Retry offered.
            pick_file(&client, &empty).await;
            let refused = wait_js(
                &client,
                "the empty file's refusal",
                "[...document.querySelectorAll('#uploads li[data-state=refused]')].map(li => li.textContent).find(t => t.includes('empty.vtt'))",
                Duration::from_secs(10),
            )
            .await;
            assert!(refused.as_str().unwrap().contains("the file is empty"), "{refused}");
            assert_eq!(js(&client, "return document.querySelectorAll('#uploads button').length;").await, json!(0));

            // A file that is not a transcript becomes an interview that ends error/input.
            pick_file(&client, &not_a_transcript).await;
            wait_js(&client, "scan.txt failing", &format!("{} === 'error'", row_status("scan.txt")), PROCESSED).await;
            wait_js(&client, "the failed list", "!document.getElementById('attention').hidden", Duration::from_secs(10)).await;
            client.set_window_size(1280, 1000).await.unwrap();
            screenshot(&client, "list").await;

            // Open the interview from the keyboard and read it: a theme's quote, then its place in the transcript.
            // The poll keeps the focus where a keyboard user put it.
            let link = client.find(Locator::XPath(&format!("//a[@class='file'][text()='{SAMPLE}']"))).await.unwrap();
            client.execute("arguments[0].focus();", vec![serde_json::to_value(&link).unwrap()]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2500)).await;
            let focused = js(&client, "return document.activeElement.textContent;").await;
            assert_eq!(focused, json!(SAMPLE), "the list's refresh took the focus away");
            link.send_keys(&Key::Enter.to_string()).await.unwrap();
            wait_js(&client, "the themes", "document.querySelectorAll('.theme .quote').length > 0", Duration::from_secs(10)).await;
            let analysis = api(&base, &format!("/v1/interviews/{id}/analysis")).await;
            let evidence = api(&base, &format!("/v1/interviews/{id}/evidence")).await;
            let first_id = analysis["themes"][0]["evidence_ids"][0].as_str().unwrap();
            let first = evidence["items"].as_array().unwrap().iter().find(|e| e["id"] == first_id).unwrap();
            let quote = first["quote"].as_str().unwrap();
            let shown = client
                .find(Locator::Css(&format!("#ev-{first_id}")))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(shown.contains(quote), "the first theme's quote {first_id} is shown: {shown}");
            assert!(shown.contains(first["speaker"].as_str().unwrap()) && shown.contains(first_id), "{shown}");
            client
                .find(Locator::Css(&format!("#ev-{first_id} .timestamp")))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let current = wait_js(
                &client,
                "the quote's transcript segment",
                "document.querySelector('.segment.current') && document.querySelector('.segment.current').textContent",
                Duration::from_secs(5),
            )
            .await;
            assert!(current.as_str().unwrap().contains(quote), "the timestamp scrolls to the quote: {current}");
            assert_eq!(js(&client, VISIBLE_RETRY).await, json!(false), "nothing to retry on a ready interview");
            js(&client, "window.scrollTo(0, 0);").await;
            client.set_window_size(1280, 1500).await.unwrap();
            screenshot(&client, "interview").await;
            client.set_window_size(1280, 1000).await.unwrap();
            assert_usable(&client, "on an interview").await;

            // The input error: what went wrong, what to do, and no Retry button.
            client.goto(&format!("{base}/#/")).await.unwrap();
            wait_js(&client, "the list", &format!("{} === 'error'", row_status("scan.txt")), Duration::from_secs(10)).await;
            client.find(Locator::LinkText("scan.txt")).await.unwrap().click().await.unwrap();
            let error = wait_js(
                &client,
                "the error box",
                "!document.getElementById('detail-error').hidden && document.getElementById('detail-error').textContent",
                Duration::from_secs(10),
            )
            .await;
            let error = error.as_str().unwrap();
            assert!(error.contains("input") && error.contains("upload it again"), "{error}");
            assert_eq!(js(&client, VISIBLE_RETRY).await, json!(false), "no Retry for an input error");
            screenshot(&client, "error").await;

            // Operators: filter, retry every failed one (an input error is not retried), export the filter as CSV.
            client.goto(&format!("{base}/#/")).await.unwrap();
            wait_js(&client, "the list", &format!("{} === 'ready'", row_status(SAMPLE)), Duration::from_secs(10)).await;
            client.find(Locator::Id("f-status")).await.unwrap().select_by_value("error").await.unwrap();
            wait_js(
                &client,
                "the error filter",
                "document.querySelectorAll('#rows tr[data-id]').length === 1 && document.querySelector('#rows tr[data-id]').dataset.status === 'error'",
                Duration::from_secs(10),
            )
            .await;
            client.find(Locator::Id("retry-failed")).await.unwrap().click().await.unwrap();
            let flashed = wait_js(&client, "retry-all's report", "document.getElementById('flash').textContent.includes('Retried')", Duration::from_secs(10)).await;
            assert_eq!(flashed, json!(true));
            let report = js(&client, "return document.getElementById('flash').textContent;").await;
            assert!(report.as_str().unwrap().contains("Retried 0 of 1") && report.as_str().unwrap().contains("1 input error"), "{report}");
            client.find(Locator::Id("export")).await.unwrap().click().await.unwrap();
            let csv_path = downloads.join("interviews-acme.csv");
            let deadline = Instant::now() + Duration::from_secs(10);
            while !csv_path.exists() {
                assert!(Instant::now() < deadline, "the CSV was not downloaded to {}", downloads.display());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let csv = std::fs::read_to_string(&csv_path).unwrap();
            let lines: Vec<&str> = csv.lines().collect();
            assert!(lines[0].starts_with("id,project,file_name,status,step"), "{csv}");
            assert_eq!(lines.len(), 2, "the header and the one failed interview: {csv}");
            assert!(lines[1].contains(",acme,scan.txt,error,transcribe,"), "{csv}");
            client.find(Locator::Id("f-status")).await.unwrap().select_by_value("").await.unwrap();

            // Delete, after a confirmation.
            client.find(Locator::LinkText("scan.txt")).await.unwrap().click().await.unwrap();
            wait_js(&client, "the interview", "document.getElementById('detail-title').textContent === 'scan.txt'", Duration::from_secs(10)).await;
            client.find(Locator::Id("delete")).await.unwrap().click().await.unwrap();
            wait_js(&client, "the confirmation", "document.getElementById('confirm-delete').open", Duration::from_secs(5)).await;
            client.find(Locator::Id("confirm-delete-button")).await.unwrap().click().await.unwrap();
            wait_js(&client, "the interview deleted", "!!document.querySelector('#detail-status .status-deleted')", PROCESSED).await;

            // The project report, rebuilt by serve by itself once the sample was ready.
            client.goto(&format!("{base}/#/")).await.unwrap();
            client.find(Locator::Id("report-link")).await.unwrap().click().await.unwrap();
            let summary = wait_js(
                &client,
                "the project report",
                "document.getElementById('report-body').textContent.includes('across 1 interviews') && document.getElementById('report-body').textContent",
                Duration::from_secs(20),
            )
            .await;
            let report = api(&base, "/v1/projects/acme/report").await;
            assert_eq!(report["interview_ids"], json!([id]), "{report}");
            assert!(
                summary.as_str().unwrap().contains(&format!("{} participants", report["participant_count"])),
                "{summary}"
            );
            assert_usable(&client, "on the project report").await;

            // 375 px wide: the list still fits, every control labelled.
            client.goto(&format!("{base}/#/")).await.unwrap();
            client.set_window_size(375, 812).await.unwrap();
            wait_js(&client, "the list at 375 px", &format!("{} === 'ready'", row_status(SAMPLE)), Duration::from_secs(10)).await;
            assert_usable(&client, "at 375 px").await;
            screenshot(&client, "list-375").await;

            assert_no_console_errors(console_errors(&client).await, "while uploading, reading and failing");
        })
        .await;
    served.stop().await;
}

/// Stands in for Amazon Bedrock refusing access (HTTP 403 `AccessDeniedException`): a provider
/// failure the state machine does not retry and a person can fix.
async fn bedrock_denying_access() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                // Read the head and the declared body, then answer once and close.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let body = r#"{"message":"You don't have access to the model with the specified model ID."}"#;
                let answer = format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\nx-amzn-errortype: AccessDeniedException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failure_is_retried_from_the_page_and_recovers() {
    let data = tempfile::tempdir().unwrap();
    let bedrock = format!("http://127.0.0.1:{}", bedrock_denying_access().await);
    let denied = [
        ("ANALYZER", "bedrock"),
        ("AWS_ENDPOINT_URL", bedrock.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let served = Served::start(data.path(), "127.0.0.1:0", &denied).await;
    let base = served.base.clone();
    let listen = base.trim_start_matches("http://").to_string();
    let browser = Browser::start().await;
    let data_dir = data.path().to_path_buf();
    let (restart_tx, restart_rx) = tokio::sync::oneshot::channel::<()>();
    let (restarted_tx, restarted_rx) = tokio::sync::oneshot::channel::<()>();

    // The operator's side: once the page has shown the failure, "grant access" (here: restart
    // serve on the same port and data dir with the local analyzer).
    let operator = tokio::spawn(async move {
        restart_rx.await.unwrap();
        served.stop().await;
        let fixed = Served::start(&data_dir, &listen, &[]).await;
        restarted_tx.send(()).unwrap();
        fixed
    });

    browser
        .run(move |client| async move {
            client.goto(&format!("{base}/?token={TOKEN}")).await.unwrap();
            choose_project(&client, "acme").await;
            pick_file(&client, &sample("platform-team-deploys.srt")).await;
            wait_js(&client, "the provider failure", &format!("{} === 'error'", row_status("platform-team-deploys.srt")), PROCESSED).await;
            client.find(Locator::LinkText("platform-team-deploys.srt")).await.unwrap().click().await.unwrap();
            let error = wait_js(
                &client,
                "the error box",
                "!document.getElementById('detail-error').hidden && document.getElementById('detail-error').textContent",
                Duration::from_secs(10),
            )
            .await;
            assert!(error.as_str().unwrap().contains("provider"), "{error}");
            assert_eq!(js(&client, VISIBLE_RETRY).await, json!(true), "Retry is offered");
            let interview = client.current_url().await.unwrap();
            assert_no_console_errors(console_errors(&client).await, "before the fix");

            // Leave the page while serve restarts, so no request meets a closed port.
            client.goto("about:blank").await.unwrap();
            restart_tx.send(()).unwrap();
            restarted_rx.await.unwrap();
            client.goto(interview.as_str()).await.unwrap();
            wait_js(&client, "the Retry button", "document.getElementById('retry').offsetParent !== null", Duration::from_secs(10)).await;
            client.find(Locator::Id("retry")).await.unwrap().click().await.unwrap();
            wait_js(
                &client,
                "the interview recovering",
                "document.querySelector('#detail-status .status-ready') && document.getElementById('detail-error').hidden && document.querySelectorAll('.theme').length > 0",
                PROCESSED,
            )
            .await;
            let timeline = client.find(Locator::Id("timeline")).await.unwrap().text().await.unwrap();
            assert!(timeline.contains("(reused)"), "the transcript of the failed run is reused: {timeline}");
            assert_no_console_errors(console_errors(&client).await, "after the retry");
        })
        .await;
    operator.await.unwrap().stop().await;
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_types_and_a_strict_policy() {
    let data = tempfile::tempdir().unwrap();
    let served = Served::start(data.path(), "127.0.0.1:0", &[]).await;
    let client = HttpClient::default();
    let get = |path: &str| {
        let url = format!("{}{path}", served.base);
        let client = client.clone();
        async move { client.send("GET", &url, &[], vec![]).await }
    };
    let page = get("/").await.unwrap();
    let csp = page.headers.get("content-security-policy").cloned().unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        csp.contains("connect-src 'self';"),
        "serve's page talks to serve only: {csp}"
    );
    let body = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        body.contains(r#"content="local-signed-out""#),
        "no token: the page is told so"
    );
    let signed_in = get(&format!("/?token={TOKEN}")).await.unwrap();
    assert!(String::from_utf8_lossy(&signed_in.body).contains(r#"content="local""#));
    for (asset, kind) in [
        ("app.js", "text/javascript"),
        ("list.js", "text/javascript"),
        ("app.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let answer = get(&format!("/assets/{asset}")).await.unwrap();
        assert_eq!(answer.status, 200, "{asset}");
        assert!(
            answer.headers["content-type"].starts_with(kind),
            "{asset}: {:?}",
            answer.headers
        );
        assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    }
    for missing in ["/assets/nope.js", "/assets/..%2Fapp.js"] {
        assert_eq!(get(missing).await.unwrap().status, 404, "{missing}");
    }
    served.stop().await;
}
