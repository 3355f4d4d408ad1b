//! Text output for people: progress lines, tables and the status view.

use chrono::{DateTime, Utc};
use interview_core::domain::{Interview, Status, Step};
use std::fmt::Write;
use std::time::Duration;

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86400),
    }
}

/// One line of progress for one interview.
pub fn progress_line(item: &Interview) -> String {
    let bar_len = 20;
    let filled = usize::from(item.progress) * bar_len / 100;
    let bar = format!("{}{}", "#".repeat(filled), ".".repeat(bar_len - filled));
    let mut line = format!(
        "{}  {:<28} [{bar}] {:>3}%  {:<10} {}",
        item.id,
        short(item.source.file_name(), 28),
        item.progress,
        item.status,
        if item.is_live() {
            item.step.to_string()
        } else {
            String::new()
        }
    );
    if let Some(err) = &item.error {
        let _ = write!(
            line,
            "\n    {} error at {}: {}",
            err.kind.as_str(),
            err.step,
            err.message
        );
    }
    line
}

fn total_duration(item: &Interview) -> String {
    let ms: u64 = item.steps.values().filter_map(|s| s.duration_ms).sum();
    if ms == 0 {
        "-".into()
    } else {
        format!("{:.2}s", ms as f64 / 1000.0)
    }
}

/// The table printed at the end of `process`.
pub fn summary(items: &[Interview], elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<27}  {:<28}  {:<8}  {:>6}  {:>8}  {:>8}  {:>6}  {:>8}",
        "ID", "FILE", "STATUS", "WORDS", "SPEAKERS", "EVIDENCE", "THEMES", "DURATION"
    );
    for item in items {
        let _ = writeln!(
            out,
            "{:<27}  {:<28}  {:<8}  {:>6}  {:>8}  {:>8}  {:>6}  {:>8}",
            item.id.as_str(),
            short(item.source.file_name(), 28),
            item.status.as_str(),
            item.counts.words,
            item.counts.speakers,
            item.counts.evidence,
            item.counts.themes,
            total_duration(item)
        );
    }
    let ready = items.iter().filter(|i| i.status == Status::Ready).count();
    let failed: Vec<&Interview> = items.iter().filter(|i| i.status == Status::Error).collect();
    let _ = write!(out, "\n{ready} ready, {} error", failed.len());
    if !elapsed.is_zero() {
        let _ = write!(out, " in {:.2}s", elapsed.as_secs_f64());
    }
    let _ = writeln!(out);
    for item in failed {
        if let Some(err) = &item.error {
            let _ = writeln!(
                out,
                "  {} ({}): {} error at {}: {}",
                item.id,
                item.source.file_name(),
                err.kind.as_str(),
                err.step,
                err.message
            );
        }
    }
    if let Some(first) = items.iter().find(|i| i.status == Status::Ready) {
        let _ = writeln!(
            out,
            "results are under results/<id>/r<run>/ in the bucket; `interviews status {}` shows where",
            first.id
        );
    }
    out
}

/// The `list` table.
pub fn list(items: &[Interview], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<27}  {:<10}  {:<10}  {:>4}  {:<32}  UPDATED",
        "ID", "STATUS", "STEP", "%", "FILE"
    );
    for item in items {
        let _ = writeln!(
            out,
            "{:<27}  {:<10}  {:<10}  {:>4}  {:<32}  {}",
            item.id.as_str(),
            item.status.as_str(),
            item.step.as_str(),
            item.progress,
            short(&item.source.key, 32),
            ago(now, item.updated_at)
        );
    }
    out
}

/// The `status` view: everything a person needs without opening Step Functions.
pub fn status(item: &Interview, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "interview   {}", item.id);
    let _ = writeln!(out, "file        s3://{}/{}", item.source.bucket, item.source.key);
    let _ = writeln!(
        out,
        "source      {:?}, {} bytes{}, etag {}",
        item.source.kind,
        item.source.size,
        item.source
            .content_type
            .as_deref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default(),
        item.source.etag
    );
    let _ = writeln!(
        out,
        "status      {} (step {}, {}%)",
        item.status, item.step, item.progress
    );
    let _ = writeln!(out, "run         {} (version {})", item.run_id, item.version);
    if let Some(arn) = &item.execution_arn {
        let _ = writeln!(out, "execution   {arn}");
    }
    let _ = writeln!(
        out,
        "updated     {} ({})",
        item.updated_at.to_rfc3339(),
        ago(now, item.updated_at)
    );
    if let Some(err) = &item.error {
        let _ = writeln!(
            out,
            "error       {} at {}: {}",
            err.kind.as_str(),
            err.step,
            err.message
        );
        if let Some(excerpt) = &err.excerpt {
            let _ = writeln!(out, "            near: {excerpt}");
        }
        let _ = writeln!(
            out,
            "            {}",
            if err.retryable {
                "`interviews retry` may fix it"
            } else {
                "fix the file and upload it again"
            }
        );
    }
    if let Some(note) = &item.note {
        let _ = writeln!(out, "note        {note}");
    }
    for (i, warning) in item.warnings.iter().enumerate() {
        let label = if i == 0 { "warnings" } else { "" };
        let _ = writeln!(out, "{label:<11} {warning}");
    }
    out.push_str(&crate::speakers::status_lines(item));
    let c = &item.counts;
    let _ = writeln!(
        out,
        "counts      {} words, {} speakers, {} evidence, {} themes",
        c.words, c.speakers, c.evidence, c.themes
    );
    for (label, key) in [
        ("transcript", &item.artifacts.transcript),
        ("evidence", &item.artifacts.evidence),
        ("analysis", &item.artifacts.analysis),
    ] {
        if let Some(key) = key {
            let _ = writeln!(out, "{label:<11} {key}");
        }
    }
    let _ = writeln!(
        out,
        "\n{:<11} {:<25} {:>8} {:>10}  WORKER",
        "STEP", "STARTED", "ATTEMPTS", "DURATION"
    );
    for step in Step::WORK {
        match item.steps.get(&step) {
            Some(rec) => {
                let _ = writeln!(
                    out,
                    "{:<11} {:<25} {:>8} {:>10}  {}{}",
                    step.as_str(),
                    rec.started_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
                        .unwrap_or_default(),
                    rec.attempts,
                    rec.duration_ms
                        .map(|d| format!("{d} ms"))
                        .unwrap_or_else(|| if rec.finished_at.is_none() {
                            "running".into()
                        } else {
                            "-".into()
                        }),
                    rec.worker.as_deref().unwrap_or("-"),
                    if rec.reused { " (reused)" } else { "" }
                );
            }
            None => {
                let _ = writeln!(out, "{:<11} {:<25}", step.as_str(), "not started");
            }
        }
    }
    out
}
