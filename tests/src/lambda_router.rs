//! A stand-in for the Lambda service's Invoke API, for moto's Step Functions engine.
//!
//! moto executes a state machine's `Task` states by calling Lambda's
//! `POST /2015-03-31/functions/<function name or ARN>/invocations` on `localhost:$MOTO_PORT`.
//! Started with `MOTO_PORT` set to this router's port, its engine invokes our handlers: the
//! router maps the function name (the last part of the ARN) to
//! its typed handler ([`crate::invoke::invoke`]), as each function's `main.rs` does behind
//! `lambda_runtime`, and answers the way Lambda does: 200 with the handler's output, or, for a
//! handler error, 200 with `X-Amz-Function-Error: Unhandled` and
//! `{"errorType": <TaskError::name()>, "errorMessage": …}`, which is what Retry/Catch match on.
//!
//! A test utility: HTTP/1.1 with `Content-Length` bodies and keep-alive, nothing more.

use crate::invoke::invoke;
use interview_handlers::{Function, Pipeline};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One invocation the router served.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The function name (`transcribe`, `mark-failed`, …).
    pub function: String,
    /// The event the state machine sent.
    pub payload: Value,
    /// The error name, when the handler failed.
    pub error: Option<String>,
}

/// A running router; stops serving when dropped.
pub struct LambdaRouter {
    port: u16,
    calls: Arc<Mutex<Vec<Invocation>>>,
    task: JoinHandle<()>,
}

/// A bound, not yet serving, router socket: bind first to learn the port (the moto server
/// needs it at start), serve once the pipeline exist.
pub struct RouterSocket {
    listener: TcpListener,
}

impl RouterSocket {
    /// Binds a free port on 127.0.0.1 (`localhost`, which moto calls, resolves there).
    pub async fn bind() -> std::io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(("127.0.0.1", 0)).await?,
        })
    }

    /// The port to give moto as `MOTO_PORT`.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Starts serving invocations with `pipeline`.
    pub fn serve(self, pipeline: Pipeline) -> LambdaRouter {
        let port = self.port();
        let calls: Arc<Mutex<Vec<Invocation>>> = Arc::default();
        let log = calls.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = self.listener.accept().await else {
                    continue;
                };
                let pipeline = pipeline.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_connection(stream, &pipeline, &log).await {
                        eprintln!("lambda router: connection ended with an error: {e}");
                    }
                });
            }
        });
        LambdaRouter { port, calls, task }
    }
}

impl LambdaRouter {
    /// The port it serves on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every invocation served so far, in the order they finished.
    pub fn calls(&self) -> Vec<Invocation> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Drop for LambdaRouter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    close: bool,
}

/// Serves requests on one connection until the client closes it or asks to.
async fn serve_connection(
    mut stream: TcpStream,
    pipeline: &Pipeline,
    log: &Mutex<Vec<Invocation>>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await? {
        let (status, headers, body) = respond(&request, pipeline, log).await;
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if request.close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.flush().await?;
        if request.close {
            break;
        }
    }
    Ok(())
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Reads one request; `None` when the client closed the connection between requests.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<Option<Request>> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > MAX_HEAD {
            return Err(invalid("request head too large".into()));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buffer.is_empty() {
                Ok(None)
            } else {
                Err(invalid("connection closed inside a request".into()))
            };
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, path, version) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    let mut length = 0usize;
    let mut close = version != "HTTP/1.1";
    let mut expect_continue = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = value
                    .parse()
                    .map_err(|_| invalid(format!("bad Content-Length `{value}`")))?
            }
            "transfer-encoding" if !value.eq_ignore_ascii_case("identity") => {
                return Err(invalid(format!("Transfer-Encoding `{value}` is not supported")))
            }
            "connection" => close = value.eq_ignore_ascii_case("close"),
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    buffer.drain(..head_end + 4);
    if expect_continue && buffer.len() < length {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    while buffer.len() < length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(invalid("connection closed inside a request body".into()));
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer.drain(..length).collect();
    Ok(Some(Request {
        method,
        path,
        body,
        close,
    }))
}

/// The function an Invoke path names: `/2015-03-31/functions/<name or ARN>/invocations`, with
/// the name percent-encoded (an ARN's `:` arrives as `%3A`); an ARN may carry a qualifier.
pub fn function_name(path: &str) -> Option<String> {
    let path = path.split('?').next()?;
    let encoded = path
        .strip_prefix("/2015-03-31/functions/")?
        .strip_suffix("/invocations")?;
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8().ok()?;
    let name = match decoded.strip_prefix("arn:") {
        // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
        Some(_) => decoded.split(':').nth(6)?.to_string(),
        None => decoded.split(':').next()?.to_string(),
    };
    (!name.is_empty()).then_some(name)
}

async fn respond(
    request: &Request,
    pipeline: &Pipeline,
    log: &Mutex<Vec<Invocation>>,
) -> (&'static str, Vec<(&'static str, String)>, String) {
    let not_found = |message: String| {
        (
            "404 Not Found",
            vec![("x-amzn-ErrorType", "ResourceNotFoundException".to_string())],
            json!({ "Type": "User", "message": message }).to_string(),
        )
    };
    let Some(function) = function_name(&request.path).filter(|_| request.method == "POST") else {
        return not_found(format!("no route for {} {}", request.method, request.path));
    };
    let payload: Value = if request.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => {
                return (
                    "400 Bad Request",
                    vec![("x-amzn-ErrorType", "InvalidRequestContentException".to_string())],
                    json!({ "Type": "User", "message": format!("the payload is not JSON: {e}") }).to_string(),
                )
            }
        }
    };
    let Ok(handler) = function.parse::<Function>() else {
        return not_found(format!("Function not found: {function}"));
    };
    let result = invoke(pipeline, handler, payload.clone()).await;
    let (headers, body, error) = match result {
        Ok(output) => (
            vec![("X-Amz-Executed-Version", "$LATEST".to_string())],
            output.to_string(),
            None,
        ),
        Err(e) => (
            vec![
                ("X-Amz-Executed-Version", "$LATEST".to_string()),
                ("X-Amz-Function-Error", "Unhandled".to_string()),
            ],
            json!({ "errorType": e.name(), "errorMessage": e.message() }).to_string(),
            Some(e.name().to_string()),
        ),
    };
    if let Ok(mut calls) = log.lock() {
        calls.push(Invocation {
            function,
            payload,
            error,
        });
    }
    ("200 OK", headers, body)
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn function_names_come_from_names_and_arns() {
        assert_eq!(
            function_name("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amark-failed/invocations")
                .as_deref(),
            Some("mark-failed")
        );
        assert_eq!(
            function_name("/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:extract:$LATEST/invocations")
                .as_deref(),
            Some("extract")
        );
        assert_eq!(
            function_name("/2015-03-31/functions/transcribe/invocations?Qualifier=1").as_deref(),
            Some("transcribe")
        );
        assert_eq!(function_name("/2015-03-31/functions//invocations"), None);
        assert_eq!(function_name("/2015-03-31/functions/x"), None);
    }
}
