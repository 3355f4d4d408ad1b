//! A real headless Chromium for the dashboard tests: Debian's `chromium` driven through
//! `chromedriver` (WebDriver) by fantoccini, with a fresh profile per browser, and `interviews
//! serve` started on a temp data dir. Missing browser binaries fail the test with the command
//! that installs them: the test command installs them, so a skip would only hide a broken setup.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const TOKEN: &str = "dashboard-test-token-0123456789";

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running `interviews serve`.
pub struct Served {
    pub base: String,
    child: Child,
}

impl Served {
    /// Starts serve over `data_dir` on `listen` (`127.0.0.1:0` for any port) with `env` added.
    pub async fn start(data_dir: &Path, listen: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_interviews"));
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", listen])
            .env("INTERVIEWS_TOKEN", TOKEN)
            .env("INTERVIEWS_BACKEND", "embedded")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start interviews serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().expect("serve prints its URL first");
        let (base, _) = first
            .split_once("/?token=")
            .expect("the first line is the URL with the token");
        Self {
            base: base.to_string(),
            child,
        }
    }

    /// Stops it as Ctrl-C does, so running interviews reach a safe point.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-INT", &pid.to_string()]).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where screenshots go (printed, so a person can look at them).
pub fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// chromedriver's browser log (console messages, uncaught exceptions, failed loads); reading
/// it empties it.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

/// A headless Chromium with its own profile, closed (with its driver) when the scenario ends.
pub struct Browser {
    pub client: Client,
    /// Where the browser saves downloads.
    pub downloads: PathBuf,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: run ./scripts/setup-browser.sh (scripts/test.sh does) to install Debian's chromium and chromium-driver"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ],
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::rustls()
            .expect("TLS roots for the WebDriver client")
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a Chromium session through chromedriver");
        Self {
            client,
            downloads,
            driver,
            _profile: profile,
        }
    }

    /// Runs a scenario, then always closes the browser (a panicking scenario would otherwise
    /// leave Chromium running), then re-raises the scenario's panic.
    pub async fn run<F, Fut>(self, scenario: F)
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(scenario(self.client.clone())).await;
        let _ = self.client.close().await;
        let mut driver = self.driver;
        let _ = driver.kill().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// The severe entries of the browser's log since the last call: console errors, uncaught
/// exceptions, failed requests.
pub async fn console_errors(client: &Client) -> Vec<String> {
    let log = client.issue_cmd(BrowserLog).await.expect("chromedriver's browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits until `check` (a JS expression) is truthy, returning its value.
pub async fn wait_js(client: &Client, what: &str, expression: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let value = client
            .execute(&format!("return ({expression});"), vec![])
            .await
            .expect("script runs");
        let truthy = !matches!(&value, Value::Null | Value::Bool(false)) && value != json!("") && value != json!(0);
        if truthy {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect("script runs")
}

pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let path = output_dir().join(format!("{name}.png"));
    std::fs::write(&path, client.screenshot().await.expect("screenshot")).unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

/// Puts a file into the page's file input, as a person picking it does.
pub async fn pick_file(client: &Client, path: &Path) {
    let path = path.canonicalize().expect("the file to pick exists");
    let input = client.find(Locator::Id("file")).await.expect("the file input");
    input.send_keys(&path.display().to_string()).await.expect("pick a file");
}

/// Switches the page to `project` through its project form.
pub async fn choose_project(client: &Client, project: &str) {
    let input = client.wait().for_element(Locator::Id("project")).await.unwrap();
    wait_js(
        client,
        "the project form",
        "!document.getElementById('project-form').hidden",
        Duration::from_secs(10),
    )
    .await;
    input.clear().await.unwrap();
    input.send_keys(project).await.unwrap();
    client
        .find(Locator::Css("#project-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_js(
        client,
        "the project's list",
        &format!(
            "document.getElementById('list-project').textContent === {}",
            json!(project)
        ),
        Duration::from_secs(10),
    )
    .await;
}

/// The status of the row for `file_name` in the list, or null.
pub fn row_status(file_name: &str) -> String {
    format!(
        "[...document.querySelectorAll('#rows tr[data-id]')].filter(r => r.querySelector('a.file').textContent === {}).map(r => r.dataset.status)[0] || null",
        json!(file_name)
    )
}
