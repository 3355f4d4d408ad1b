//! The project report for people: Markdown, a standalone HTML page (no scripts, no external
//! assets; every piece of text escaped, since quotes and speaker names are user content), and
//! JSON. Each quote carries its interview, speaker and time so it can be found in the recording.

use super::project::{Participant, ProjectQuote, ProjectReport};
use super::TextSource;
use std::fmt::Write;

/// Said beside a theme's summary: a model wrote it, unlike the quotes and counts around it.
const MODEL_WROTE: &str = "summary written by a language model";

/// The report as pretty-printed JSON (the stored document).
pub fn render_project_json(report: &ProjectReport) -> String {
    // A struct of strings, numbers and enums always serialises.
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// "m:ss" or "h:mm:ss".
fn clock(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds as u64
    } else {
        0
    };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn who(p: &[Participant]) -> String {
    p.iter()
        .map(|p| format!("{} ({})", p.speaker, p.interview_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Markdown special characters in user text would change the document's structure.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

fn md_quote(q: &ProjectQuote) -> String {
    format!(
        "> “{}” — {}, {} at {} ({})",
        md(&q.text),
        md(&q.speaker),
        md(&q.interview_id),
        clock(q.start),
        q.kind.as_str()
    )
}

/// The report as Markdown.
pub fn render_project_markdown(report: &ProjectReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Project report\n");
    let _ = writeln!(
        out,
        "{} interviews, {} participants. Analyzer: {}.\n",
        report.interview_ids.len(),
        report.participant_count,
        md(&report.analyzer)
    );
    if report.text_sources.is_some_and(|t| t.themes == TextSource::Model) {
        let _ = writeln!(
            out,
            "Theme titles were written by a language model; quotes and counts come from the evidence.\n"
        );
    }
    let _ = writeln!(out, "## Themes\n");
    if report.themes.is_empty() {
        let _ = writeln!(out, "No theme recurs across interviews yet.\n");
    }
    for t in &report.themes {
        let _ = writeln!(out, "### {}: {} ({})\n", t.id, md(&t.title), t.kind.as_str());
        let _ = writeln!(out, "{}\n", md(&t.description));
        if let Some(summary) = &t.summary {
            let _ = writeln!(out, "{} _({})_\n", md(summary), MODEL_WROTE);
        }
        let _ = writeln!(out, "Participants: {}\n", md(&who(&t.participants)));
        for q in &t.quotes {
            let _ = writeln!(out, "{}\n", md_quote(q));
        }
    }
    let lists = [
        ("Pains", &report.ranked.pains),
        ("Needs", &report.ranked.needs),
        ("Requests", &report.ranked.requests),
    ];
    for (label, list) in lists {
        let _ = writeln!(out, "## {label}, by participants\n");
        if list.is_empty() {
            let _ = writeln!(out, "None recurring.\n");
        }
        for (i, f) in list.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. {} ({}): {} of {} participants",
                i + 1,
                md(&f.title),
                f.theme_id,
                f.participants.len(),
                report.participant_count
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Where participants disagree\n");
    if report.disagreements.is_empty() {
        let _ = writeln!(out, "No opposite views found.\n");
    }
    for d in &report.disagreements {
        let _ = writeln!(out, "### {} ({})\n", md(&d.title), d.theme_id);
        let _ = writeln!(out, "For: {}\n", md(&who(&d.positive)));
        let _ = writeln!(out, "Against: {}\n", md(&who(&d.negative)));
        for q in &d.quotes {
            let _ = writeln!(out, "{}\n", md_quote(q));
        }
    }
    let _ = writeln!(out, "## Persona groups\n");
    if report.personas.is_empty() {
        let _ = writeln!(out, "No group of participants shares enough themes.\n");
    }
    for g in &report.personas {
        let _ = writeln!(
            out,
            "- {}: {} — {}",
            g.id,
            md(&who(&g.participants)),
            md(&g.signals.join("; "))
        );
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_quote(out: &mut String, q: &ProjectQuote) {
    let _ = writeln!(
        out,
        "<blockquote>“{}”<footer>{}, {} at {} ({})</footer></blockquote>",
        html_escape(&q.text),
        html_escape(&q.speaker),
        html_escape(&q.interview_id),
        clock(q.start),
        q.kind.as_str()
    );
}

/// The report as a standalone HTML page.
pub fn render_project_html(report: &ProjectReport) -> String {
    let e = html_escape;
    let mut out = String::new();
    out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Project report</title>\n");
    out.push_str("<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}blockquote{border-left:3px solid #ccc;margin:.5rem 0;padding-left:1rem}footer{color:#555;font-size:.9em}</style>\n");
    out.push_str("</head><body>\n<h1>Project report</h1>\n");
    let _ = writeln!(
        out,
        "<p>{} interviews, {} participants. Analyzer: {}.</p>",
        report.interview_ids.len(),
        report.participant_count,
        e(&report.analyzer)
    );
    if report.text_sources.is_some_and(|t| t.themes == TextSource::Model) {
        out.push_str(
            "<p>Theme titles were written by a language model; quotes and counts come from the evidence.</p>\n",
        );
    }
    out.push_str("<h2>Themes</h2>\n");
    if report.themes.is_empty() {
        out.push_str("<p>No theme recurs across interviews yet.</p>\n");
    }
    for t in &report.themes {
        let _ = writeln!(
            out,
            "<section id=\"{}\"><h3>{}</h3><p>{} <em>({})</em></p><p>Participants: {}</p>",
            e(&t.id),
            e(&t.title),
            e(&t.description),
            t.kind.as_str(),
            e(&who(&t.participants))
        );
        if let Some(summary) = &t.summary {
            let _ = writeln!(out, "<p>{} <em>({MODEL_WROTE})</em></p>", e(summary));
        }
        for q in &t.quotes {
            html_quote(&mut out, q);
        }
        out.push_str("</section>\n");
    }
    let lists = [
        ("Pains", &report.ranked.pains),
        ("Needs", &report.ranked.needs),
        ("Requests", &report.ranked.requests),
    ];
    for (label, list) in lists {
        let _ = writeln!(out, "<h2>{label}, by participants</h2>\n<ol>");
        for f in list {
            let _ = writeln!(
                out,
                "<li><a href=\"#{}\">{}</a>: {} of {} participants</li>",
                e(&f.theme_id),
                e(&f.title),
                f.participants.len(),
                report.participant_count
            );
        }
        out.push_str("</ol>\n");
    }
    out.push_str("<h2>Where participants disagree</h2>\n");
    for d in &report.disagreements {
        let _ = writeln!(
            out,
            "<section><h3>{}</h3><p>For: {}</p><p>Against: {}</p>",
            e(&d.title),
            e(&who(&d.positive)),
            e(&who(&d.negative))
        );
        for q in &d.quotes {
            html_quote(&mut out, q);
        }
        out.push_str("</section>\n");
    }
    out.push_str("<h2>Persona groups</h2>\n<ul>\n");
    for g in &report.personas {
        let _ = writeln!(
            out,
            "<li>{}: {} — {}</li>",
            e(&g.id),
            e(&who(&g.participants)),
            e(&g.signals.join("; "))
        );
    }
    out.push_str("</ul>\n</body></html>\n");
    out
}
