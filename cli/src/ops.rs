//! Operator commands: filtering, retries and reports, on either backend.

use crate::render;
use anyhow::Result;
use chrono::{DateTime, Utc};
use interview_core::domain::{ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::ports::ListQuery;
use interview_core::services::Services;
use interview_embedded::local::LocalOrchestrator;
use interview_handlers::retry::retry as start_retry;
use interview_handlers::Pipeline;
use std::fmt::Write;

/// Which interviews a command looks at.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Filter {
    /// Only this status (queued, processing, ready, error, deleted).
    #[arg(long)]
    pub status: Option<Status>,
    /// Only interviews at this step (transcribe, extract, analyze, done).
    #[arg(long)]
    pub step: Option<Step>,
    /// Only interviews not updated for this long (e.g. 30m, 2h, 3d).
    #[arg(long, value_parser = parse_age)]
    pub older_than: Option<chrono::Duration>,
    /// Only errors of this kind (input, provider, unavailable, timeout, stale, internal).
    #[arg(long)]
    pub error_kind: Option<ErrorKind>,
    /// Include deleted interviews.
    #[arg(long)]
    pub all: bool,
}

fn parse_age(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age like 30m, 2h or 3d"))?;
    match unit {
        "s" => Ok(chrono::Duration::seconds(n)),
        "m" | "" => Ok(chrono::Duration::minutes(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "d" => Ok(chrono::Duration::days(n)),
        _ => Err(format!("`{text}`: use s, m, h or d, e.g. 30m")),
    }
}

impl Filter {
    fn matches(&self, item: &Interview, now: DateTime<Utc>) -> bool {
        self.step.is_none_or(|s| item.step == s)
            && self.older_than.is_none_or(|age| now - item.updated_at > age)
            && self
                .error_kind
                .is_none_or(|k| item.error.as_ref().is_some_and(|e| e.kind == k))
    }
}

/// The interviews matching `filter`, newest first, at most `limit`.
pub async fn select(services: &Services, filter: &Filter, limit: Option<usize>) -> Result<Vec<Interview>> {
    let query = ListQuery {
        status: filter.status,
        include_deleted: filter.all,
        limit: None,
    };
    let now = services.now();
    let mut items: Vec<Interview> = services
        .store
        .list(&query)
        .await?
        .into_iter()
        .filter(|i| filter.matches(i, now))
        .collect();
    if let Some(limit) = limit {
        items.truncate(limit);
    }
    Ok(items)
}

/// Retries `ids` one by one with a progress line each; on the embedded backend waits for the
/// new runs and prints the summary.
pub async fn retry(
    services: &Pipeline,
    local: Option<&LocalOrchestrator>,
    ids: &[InterviewId],
    force: bool,
) -> Result<()> {
    if ids.is_empty() {
        println!("nothing to retry");
        return Ok(());
    }
    let mut started = Vec::new();
    let mut refused = 0;
    for (n, id) in ids.iter().enumerate() {
        match start_retry(services, id, force).await? {
            Ok(run) => {
                eprintln!(
                    "[{}/{}] {id}: run {} resumes at {}",
                    n + 1,
                    ids.len(),
                    run.run_id,
                    run.resumes_at
                );
                started.push(run.interview_id);
            }
            Err(why) => {
                eprintln!("[{}/{}] {id}: not retried: {why}", n + 1, ids.len());
                refused += 1;
            }
        }
    }
    if let Some(local) = local {
        local.wait_idle().await;
        let mut items = Vec::new();
        for id in &started {
            if let Some(item) = services.store.get(id).await? {
                items.push(item);
            }
        }
        print!("{}", render::summary(&items, std::time::Duration::ZERO));
    } else {
        println!(
            "{} retries started, {refused} refused; follow them with `interviews list --status processing`",
            started.len()
        );
    }
    anyhow::ensure!(
        refused == 0 || !started.is_empty() || ids.len() > 1,
        "the retry was refused"
    );
    Ok(())
}

/// Output format of `export`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated, with a header row.
    Csv,
    /// One JSON object per line.
    Json,
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// The failure report.
pub fn export(items: &[Interview], format: ExportFormat) -> Result<String> {
    let mut out = String::new();
    match format {
        ExportFormat::Json => {
            for item in items {
                let row = serde_json::json!({
                    "id": item.id, "key": item.source.key, "status": item.status, "step": item.step,
                    "run_id": item.run_id, "updated_at": item.updated_at, "error": item.error,
                });
                writeln!(out, "{row}")?;
            }
        }
        ExportFormat::Csv => {
            writeln!(
                out,
                "id,key,status,step,error_kind,error_step,retryable,error_at,message"
            )?;
            for item in items {
                let e = item.error.as_ref();
                let fields = [
                    item.id.to_string(),
                    item.source.key.clone(),
                    item.status.to_string(),
                    item.step.to_string(),
                    e.map(|e| e.kind.as_str().to_string()).unwrap_or_default(),
                    e.map(|e| e.step.to_string()).unwrap_or_default(),
                    e.map(|e| e.retryable.to_string()).unwrap_or_default(),
                    e.map(|e| e.at.to_rfc3339()).unwrap_or_default(),
                    e.map(|e| e.message.clone()).unwrap_or_default(),
                ];
                let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", row.join(","))?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_and_bad_ones_explain() {
        assert_eq!(parse_age("30m").unwrap(), chrono::Duration::minutes(30));
        assert_eq!(parse_age("2h").unwrap(), chrono::Duration::hours(2));
        assert_eq!(parse_age("3d").unwrap(), chrono::Duration::days(3));
        assert!(parse_age("soon").unwrap_err().contains("30m"));
        assert!(parse_age("5y").is_err());
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
