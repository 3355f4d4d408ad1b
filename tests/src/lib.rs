//! Harness for the integration tests: one moto server per test binary, SDK configuration
//! pointing at it, and per-test resources with unique names so tests run in parallel on one
//! server without resetting it.
//!
//! The server is the one at `AWS_ENDPOINT_URL` when that is set (e.g. `scripts/moto.sh start`),
//! otherwise `.venv-moto/bin/moto_server` (made by `scripts/moto.sh setup`) started on a free
//! loopback port and stopped when the test binary exits.
#![warn(missing_docs)]

pub mod events_check;
pub mod faults;
pub mod invariants;
pub mod invoke;
pub mod lambda_router;
pub mod moto_stream;
pub mod webhook_receiver;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OnceCell;

/// The region every test resource lives in.
pub const REGION: &str = "us-east-1";

/// A moto server the tests talk to.
#[derive(Debug)]
pub struct MotoServer {
    endpoint: String,
    /// The server process when this binary started it; `None` for an external server.
    process: Option<Child>,
    /// Held open for the life of the test binary: when the binary exits the pipe closes, and
    /// the wrapper shell that owns the server stops it. Statics are never dropped, so this is
    /// how the server is "killed at exit" even when a test panics.
    _lifeline: Option<ChildStdin>,
    log: Option<PathBuf>,
}

impl MotoServer {
    /// The server's URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The server's log file, when this binary started it.
    pub fn log(&self) -> Option<&PathBuf> {
        self.log.as_ref()
    }

    /// The process id of the wrapper that owns the server, when this binary started it.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Child::id)
    }
}

static MOTO: OnceCell<MotoServer> = OnceCell::const_new();

/// The moto server for this test binary, started on first use.
///
/// Panics (failing the test with instructions) when moto is not installed or does not start:
/// a test that needs it cannot say anything useful without it.
pub async fn moto() -> &'static MotoServer {
    MOTO.get_or_init(|| async {
        if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
            if !endpoint.is_empty() {
                return MotoServer {
                    endpoint,
                    process: None,
                    _lifeline: None,
                    log: None,
                };
            }
        }
        start_moto().await
    })
    .await
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("cannot find a free loopback port for moto: {e}"))
}

async fn start_moto() -> MotoServer {
    start_moto_server(&[]).await
}

/// Starts a moto server of its own (not the shared one) on a free loopback port, with extra
/// environment variables, e.g. `MOTO_PORT` for the port moto's Step Functions engine sends
/// Lambda invokes to. The server stops when the returned value is dropped or the test binary
/// exits, whichever comes first.
///
/// Use it for tests that change server-wide settings (`POST /moto-api/config`), which would
/// change the behaviour of the shared server under every other test.
pub async fn start_moto_server(env: &[(&str, &str)]) -> MotoServer {
    let binary = workspace_root().join(".venv-moto/bin/moto_server");
    if !binary.exists() {
        panic!("moto is not installed: run `scripts/moto.sh setup` (the README's test command does this)");
    }
    let port = free_port();
    let log = std::env::temp_dir().join(format!("moto-{}-{port}.log", std::process::id()));
    // The wrapper starts the server, then waits for its stdin to close (the test binary
    // exiting, however it exits, or the server value being dropped) and stops the server.
    let mut command = Command::new("sh");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .arg("-c")
        .arg(r#""$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & server=$!; read -r _; kill "$server""#)
        .arg(&binary)
        .arg(port.to_string())
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let lifeline = child.stdin.take();
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answers(port).await {
        if Instant::now() > deadline {
            panic!(
                "moto_server did not answer on {endpoint} within 30 s; see {}",
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    MotoServer {
        endpoint,
        process: Some(child),
        _lifeline: lifeline,
        log: Some(log),
    }
}

impl MotoServer {
    /// Replaces server-wide settings (`POST /moto-api/config`), e.g.
    /// `{"stepfunctions":{"execute_state_machine":true},"lambda":{"use_docker":false}}`.
    /// Returns the configuration the server reports afterwards.
    pub async fn set_config(&self, config: &serde_json::Value) -> Result<serde_json::Value, String> {
        let (status, body) = http_request(&self.endpoint, "POST", "/moto-api/config", &config.to_string()).await?;
        if !(200..300).contains(&status) {
            return Err(format!("POST /moto-api/config answered {status}: {body}"));
        }
        serde_json::from_str(&body).map_err(|e| format!("POST /moto-api/config answered `{body}`: {e}"))
    }
}

/// One HTTP/1.0 request with a body to `endpoint` (`http://host:port`); the status and body.
async fn http_request(endpoint: &str, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{endpoint}` is not an http:// endpoint"))?
        .trim_end_matches('/');
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| format!("connecting to {authority}: {e}"))?;
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("writing to {authority}: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| format!("reading from {authority}: {e}"))?;
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{authority} answered something that is not HTTP: {head}"))?;
        Ok((status, body.to_string()))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| format!("{method} {path} on {authority} took over 10 s"))?
}

/// Whether an HTTP server answers on the port.
async fn answers(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream
            .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.ok()?;
        Some(head.starts_with(b"HTTP/1."))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(true))
    )
}

/// SDK configuration for `endpoint`: region us-east-1 and static test credentials, so nothing
/// is read from the machine's AWS setup.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "integration-tests"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// SDK configuration for this binary's moto server.
pub async fn moto_config() -> SdkConfig {
    sdk_config(moto().await.endpoint()).await
}

/// An S3 client for moto: path-style addressing, since `<bucket>.127.0.0.1` does not resolve.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(true).build())
}

/// A name no other test in any run has used: lowercase letters, digits and `-`, at most 63
/// characters, so it is valid for tables, buckets, queues and state machines alike.
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let prefix: String = prefix
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(30)
        .collect();
    format!(
        "{prefix}-{}-{}-{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A new interview table (the template's layout) and a client for it.
pub async fn new_table(config: &SdkConfig) -> (aws_sdk_dynamodb::Client, String) {
    let client = aws_sdk_dynamodb::Client::new(config);
    let table = unique_name("interviews");
    interview_aws::dynamodb::create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("cannot create table {table}: {e}"));
    (client, table)
}

/// A new bucket and a path-style client for it.
pub async fn new_bucket(config: &SdkConfig) -> (aws_sdk_s3::Client, String) {
    let client = s3_client(config);
    let bucket = unique_name("bucket");
    client.create_bucket().bucket(&bucket).send().await.unwrap_or_else(|e| {
        panic!(
            "cannot create bucket {bucket}: {}",
            aws_sdk_s3::error::DisplayErrorContext(e)
        )
    });
    (client, bucket)
}

/// A new SQS queue, returning a client and the queue URL.
pub async fn new_queue(config: &SdkConfig) -> (aws_sdk_sqs::Client, String) {
    let client = aws_sdk_sqs::Client::new(config);
    let name = unique_name("queue");
    let url = client
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot create queue {name}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })
        .queue_url
        .unwrap_or_else(|| panic!("moto returned no URL for queue {name}"));
    (client, url)
}
