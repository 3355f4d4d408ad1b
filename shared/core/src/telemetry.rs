//! Logging setup: JSON in Lambda (CloudWatch Logs Insights can query it), pretty locally.
//! Handlers open one span per interview, so every line carries the interview id.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once, at `info` unless `RUST_LOG` says otherwise; later calls
/// are ignored. JSON is chosen when running inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set)
/// or when `LOG_FORMAT=json`.
pub fn init() {
    init_with_default("info");
}

/// Like [`init`] with another default level (the CLI prints its own progress, so it logs
/// warnings only unless `RUST_LOG` asks for more).
pub fn init_with_default(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let json = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
        || std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let result = if json {
        fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_target(false)
            .without_time()
            .try_init()
    } else {
        fmt()
            .compact()
            .with_env_filter(filter)
            .with_target(false)
            .with_writer(std::io::stderr)
            .try_init()
    };
    drop(result);
}
