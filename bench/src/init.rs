//! Section 3: Lambda init time. Each function's release binary is started as Lambda starts a
//! `provided.al2023` bootstrap, against a minimal Lambda Runtime API served here on loopback,
//! with the AWS backend configured as in production and every AWS endpoint pointed at a closed
//! local port (the SDK clients are built at init without network calls; the first event then
//! fails on the network, which is fine: it measures init and the first response or error).
//!
//! Measured from just before spawning the process to its first `GET …/invocation/next`
//! (init: runtime, logging, configuration, SDK clients) and to its first `POST` of a response
//! or an error (init plus one invocation, the SDK's retries against the closed port included).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the runtime API saw from the function.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Next,
    Response,
    Error(String),
    InitError(String),
}

/// One start of one function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitRun {
    /// Spawn to first `next`, ms.
    pub to_next_ms: f64,
    /// Spawn to the first response or error post, ms (`None` if none came in time).
    pub to_first_post_ms: Option<f64>,
    /// `response`, `error: <type>`, `init error: …` or `no answer`.
    pub outcome: String,
}

/// Every run of one function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitReport {
    /// Function name.
    pub function: String,
    /// Binary size, bytes.
    pub binary_bytes: u64,
    /// The event file sent.
    pub event: String,
    /// Each run.
    pub runs: Vec<InitRun>,
    /// Median spawn → first `next`, ms.
    pub median_to_next_ms: f64,
    /// Median spawn → first post, ms.
    pub median_to_first_post_ms: Option<f64>,
}

/// The sample event each function is sent (from `events/`).
pub fn event_file(function: &str) -> &'static str {
    match function {
        "ingest" => "ingest-s3-created.json",
        "transcribe" => "transcribe-start.json",
        "extract" => "extract.json",
        "analyze" => "analyze.json",
        "mark-failed" => "mark-failed-catch.json",
        "sweeper" => "sweeper-scheduled.json",
        "api" => "api-get-interviews.json",
        _ => "ingest-s3-created.json",
    }
}

/// A port nothing listens on (bound, then released).
async fn closed_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    Ok(l.local_addr()?.port())
}

/// One HTTP/1.1 request read off a keep-alive connection.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Option<Request>> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let (method, path) = (
        first.next().unwrap_or_default().to_string(),
        first.next().unwrap_or_default().to_string(),
    );
    let mut length = 0usize;
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    buf.drain(..head_end);
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                fill(stream, buf).await?;
            };
            let size = usize::from_str_radix(String::from_utf8_lossy(&buf[..line_end]).trim(), 16).unwrap_or(0);
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                fill(stream, buf).await?;
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
        body
    } else {
        while buf.len() < length {
            fill(stream, buf).await?;
        }
        buf.drain(..length).collect()
    };
    Ok(Some(Request { method, path, body }))
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        bail!("connection closed mid-request");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Serves one connection: the first `next` gets the event, later ones are held (the function
/// then waits, as it would between invocations); posts are acknowledged.
async fn serve(
    mut stream: TcpStream,
    function: String,
    event: std::sync::Arc<String>,
    seen: mpsc::UnboundedSender<(Instant, Seen)>,
    first_next_served: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut buf).await? {
        let now = Instant::now();
        let path = req.path.as_str();
        if req.method == "GET" && path.ends_with("/runtime/invocation/next") {
            let _ = seen.send((now, Seen::Next));
            if first_next_served.swap(true, std::sync::atomic::Ordering::SeqCst) {
                // Held until the process goes away (its end of the connection closes).
                let mut byte = [0u8; 1];
                let _ = stream.read(&mut byte).await;
                return Ok(());
            }
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() + 60_000;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:{function}\r\nLambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0\r\nContent-Length: {}\r\n\r\n{}",
                event.len(),
                event
            );
            stream.write_all(response.as_bytes()).await?;
        } else if req.method == "POST" {
            let what = if path.ends_with("/response") {
                Seen::Response
            } else {
                let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                let kind = body["errorType"].as_str().unwrap_or("unknown").to_string();
                if path.ends_with("/init/error") {
                    Seen::InitError(format!("{kind}: {}", body["errorMessage"].as_str().unwrap_or_default()))
                } else {
                    Seen::Error(kind)
                }
            };
            let _ = seen.send((now, what));
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n")
                .await?;
        } else {
            stream
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .await?;
        }
    }
    Ok(())
}

/// Starts `binary` once as function `function` and times it.
pub async fn run_once(binary: &Path, function: &str, event: &str, memory_mb: u32, log: &Path) -> Result<InitRun> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?;
    let endpoint = format!("http://127.0.0.1:{}", closed_port().await?);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let event = std::sync::Arc::new(event.to_string());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let name = function.to_string();
    let acceptor = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, name.clone(), event.clone(), tx.clone(), served.clone()));
        }
    });
    let log_file = std::fs::File::create(log)?;
    let mut command = std::process::Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/01/[$LATEST]bench")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("_HANDLER", "bootstrap")
        .env("TZ", ":UTC")
        .env("LANG", "en_US.UTF-8")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCHBENCHBENCH0")
        .env("AWS_SECRET_ACCESS_KEY", "benchbenchbenchbenchbenchbenchbenchbench")
        .env("AWS_SESSION_TOKEN", "bench")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("INTERVIEWS_BACKEND", "aws")
        .env("TABLE_NAME", "t")
        .env("BUCKET_NAME", "b")
        .env(
            "STATE_MACHINE_ARN",
            "arn:aws:states:us-east-1:123456789012:stateMachine:s",
        )
        .env("TRANSCRIBER", "amazon-transcribe")
        .env("ANALYZER", "bedrock")
        .env("BEDROCK_MODEL_ID", "anthropic.claude-3-haiku-20240307-v1:0")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    let spawned = Instant::now();
    let mut child = command.spawn().with_context(|| format!("start {}", binary.display()))?;
    let mut to_next = None;
    let mut post = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while post.is_none() {
        let Ok(Some((at, what))) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        let ms = at.duration_since(spawned).as_secs_f64() * 1e3;
        match what {
            Seen::Next => {
                to_next.get_or_insert(ms);
            }
            Seen::Response => post = Some((ms, "response".to_string())),
            Seen::Error(kind) => post = Some((ms, format!("error: {kind}"))),
            Seen::InitError(message) => post = Some((ms, format!("init error: {message}"))),
        }
    }
    // Only the process started above, by its handle.
    let _ = child.kill();
    let _ = child.wait();
    acceptor.abort();
    let Some(to_next_ms) = to_next else {
        bail!(
            "{function} never asked for an event ({}); see {}",
            post.map(|p| p.1).unwrap_or_else(|| "no answer within 60 s".into()),
            log.display()
        );
    };
    Ok(InitRun {
        to_next_ms,
        to_first_post_ms: post.as_ref().map(|p| p.0),
        outcome: post.map(|p| p.1).unwrap_or_else(|| "no answer".into()),
    })
}

/// Times every function `runs` times.
pub async fn run(
    bin_dir: &Path,
    events_dir: &Path,
    memory: &std::collections::BTreeMap<String, u32>,
    runs: usize,
    log_dir: &Path,
) -> Result<Vec<InitReport>> {
    let mut reports = Vec::new();
    for spec in interview_handlers::Function::ALL {
        let binary: PathBuf = bin_dir.join(spec.name());
        let binary_bytes = std::fs::metadata(&binary)
            .with_context(|| format!("{} is missing: build the functions first", binary.display()))?
            .len();
        let event_name = event_file(spec.name());
        let event = std::fs::read_to_string(events_dir.join(event_name))
            .with_context(|| format!("read {}", events_dir.join(event_name).display()))?;
        let memory_mb = *memory.get(spec.name()).unwrap_or(&256);
        let mut all = Vec::with_capacity(runs);
        for i in 0..runs.max(1) {
            let log = log_dir.join(format!("{}-{i}.log", spec.name()));
            all.push(run_once(&binary, spec.name(), &event, memory_mb, &log).await?);
        }
        let next: Vec<f64> = all.iter().map(|r| r.to_next_ms).collect();
        let posts: Vec<f64> = all.iter().filter_map(|r| r.to_first_post_ms).collect();
        reports.push(InitReport {
            function: spec.name().to_string(),
            binary_bytes,
            event: event_name.to_string(),
            median_to_next_ms: crate::parse::median(&next),
            median_to_first_post_ms: (posts.len() == all.len()).then(|| crate::parse::median(&posts)),
            runs: all,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in "function" in bash: asks for an event on the Runtime API, answers it on
    /// the same keep-alive connection, then waits to be stopped.
    const FAKE_FUNCTION: &str = r#"#!/bin/bash
api=$AWS_LAMBDA_RUNTIME_API
exec 3<>/dev/tcp/${api%:*}/${api#*:}
printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n' "$api" >&3
id=""; len=0
while IFS= read -r line <&3; do
  line=${line%$'\r'}
  [ -z "$line" ] && break
  case "$line" in
    Lambda-Runtime-Aws-Request-Id:*) id=${line#*: } ;;
    Content-Length:*) len=${line#*: } ;;
  esac
done
IFS= read -r -N "$len" body <&3
printf 'POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\nContent-Length: 2\r\n\r\n{}' "$id" "$api" >&3
read -r -t 30 ack <&3
read -r -t 30 never <&3
"#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_runtime_api_serves_an_event_and_records_the_answer() {
        if !Path::new("/bin/bash").exists() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("bootstrap");
        std::fs::write(&script, FAKE_FUNCTION).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let run = run_once(&script, "fake", r#"{"hello":"world"}"#, 128, &dir.path().join("log"))
            .await
            .unwrap();
        assert_eq!(run.outcome, "response");
        let post = run.to_first_post_ms.unwrap();
        assert!(run.to_next_ms > 0.0 && post >= run.to_next_ms, "{run:?}");
    }

    #[test]
    fn every_function_has_a_sample_event() {
        let events = crate::workspace().join("events");
        for f in interview_handlers::Function::ALL {
            assert!(events.join(event_file(f.name())).is_file(), "{}", f.name());
        }
    }
}
