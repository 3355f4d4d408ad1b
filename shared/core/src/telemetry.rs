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
    let filter = content_safe(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level)));
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
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .try_init()
    };
    drop(result);
}

/// Targets that log request and response bodies at `debug`/`trace` (the AWS SDK's runtime dumps
/// every DynamoDB item and S3 body it reads): interview content. They are held at `info`
/// whatever `RUST_LOG` asks for, so turning up the log level cannot copy transcripts or item
/// excerpts into CloudWatch.
pub const WIRE_TARGETS: [&str; 8] = [
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_sdk_s3",
    "aws_sdk_dynamodb",
    "aws_sdk_bedrockruntime",
    "hyper",
];

/// `filter` with [`WIRE_TARGETS`] capped at `info`.
pub fn content_safe(mut filter: EnvFilter) -> EnvFilter {
    for target in WIRE_TARGETS {
        if let Ok(directive) = format!("{target}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_targets_stay_at_info_even_when_everything_else_traces() {
        let filter = content_safe(EnvFilter::new("trace,aws_smithy_runtime=trace")).to_string();
        assert!(filter.contains("aws_smithy_runtime=info"), "{filter}");
        assert!(!filter.contains("aws_smithy_runtime=trace"), "{filter}");
    }
}
