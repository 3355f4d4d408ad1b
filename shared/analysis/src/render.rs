//! A plain-text report of an interview's results, for `interviews show <id>`: the summary,
//! themes with their supporting quotes, insights, persona signals and open questions.

use super::chunk::clock;
use super::{AnalysisDoc, Evidence, EvidenceDoc, ModelUsage};
use crate::transcript::Transcript;
use std::collections::HashMap;
use std::fmt::Write;

/// Quotes printed under each theme; the rest are listed by id.
const QUOTES_PER_THEME: usize = 5;

/// Renders the report. Deterministic: the same documents give the same text. Times are `mm:ss`
/// (`h:mm:ss` from the first hour on); quotes are shown as speaker, time, kind and text.
pub fn render_analysis(transcript: &Transcript, evidence: &EvidenceDoc, analysis: &AnalysisDoc) -> String {
    let by_id: HashMap<&str, &Evidence> = evidence.items.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut out = String::new();

    heading(&mut out, "Summary");
    let summary = analysis.summary.trim();
    let _ = writeln!(out, "{}", if summary.is_empty() { "(none)" } else { summary });
    let _ = writeln!(
        out,
        "\n{} long, {} speaker{} ({}), {} piece{} of evidence, {} theme{}.",
        clock(transcript.duration_seconds()),
        transcript.speakers().len(),
        plural(transcript.speakers().len()),
        transcript.speakers().join(", "),
        evidence.items.len(),
        plural(evidence.items.len()),
        analysis.themes.len(),
        plural(analysis.themes.len()),
    );
    let _ = writeln!(out, "Analyzer: {}", analysis.analyzer);
    if let Some(usage) = ModelUsage::sum([evidence.usage.as_ref(), analysis.usage.as_ref()]) {
        let _ = writeln!(
            out,
            "Model usage: {} input + {} output tokens in {} request{}, about ${:.4}",
            usage.input_tokens,
            usage.output_tokens,
            usage.requests,
            plural(usage.requests as usize),
            usage.estimated_cost_usd
        );
    }

    heading(&mut out, "Themes");
    if analysis.themes.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    for theme in &analysis.themes {
        let n = theme.evidence_ids.len();
        let _ = writeln!(
            out,
            "{}  {} — {} quote{}{}",
            theme.id,
            theme.title,
            n,
            plural(n),
            if theme.speakers.is_empty() {
                String::new()
            } else {
                format!(" from {}", theme.speakers.join(", "))
            }
        );
        if !theme.description.trim().is_empty() {
            let _ = writeln!(out, "    {}", theme.description.trim());
        }
        for id in theme.evidence_ids.iter().take(QUOTES_PER_THEME) {
            let _ = writeln!(out, "    - {}", quote_line(id, &by_id));
        }
        if n > QUOTES_PER_THEME {
            let _ = writeln!(
                out,
                "    … and {} more ({})",
                n - QUOTES_PER_THEME,
                theme.evidence_ids[QUOTES_PER_THEME..].join(", ")
            );
        }
    }

    heading(&mut out, "Insights");
    if analysis.insights.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    for (i, insight) in analysis.insights.iter().enumerate() {
        let _ = write!(out, "{}. {}", i + 1, insight.text.trim());
        if !insight.evidence_ids.is_empty() {
            let _ = write!(out, " [{}]", insight.evidence_ids.join(", "));
        }
        let _ = writeln!(out);
    }

    heading(&mut out, "Personas");
    if analysis.personas.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    for persona in &analysis.personas {
        let _ = writeln!(out, "{}", persona.speaker);
        for (i, signal) in persona.signals.iter().enumerate() {
            // Analyzers that pair signals with evidence (signals[i] ↔ evidence_ids[i]) get the
            // quote's time; others get the signal alone.
            let when = if persona.signals.len() == persona.evidence_ids.len() {
                by_id
                    .get(persona.evidence_ids[i].as_str())
                    .map(|e| format!(" ({} at {})", e.id, clock(e.start)))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let _ = writeln!(out, "    - {signal}{when}");
        }
    }

    heading(&mut out, "Open questions");
    if analysis.open_questions.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    for q in &analysis.open_questions {
        let _ = writeln!(out, "- {}", q.trim());
    }
    out
}

fn heading(out: &mut String, title: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn quote_line(id: &str, by_id: &HashMap<&str, &Evidence>) -> String {
    match by_id.get(id) {
        Some(e) => format!(
            "{} {} ({}, {}): “{}”",
            e.speaker,
            clock(e.start),
            e.kind.as_str().replace('_', " "),
            e.id,
            e.quote
        ),
        None => format!("{id} (not in evidence.json)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalAnalyzer;
    use interview_testkit::analysis_fixtures::{bakery_interview, generate_long_transcript};

    fn bakery() -> (Transcript, EvidenceDoc, AnalysisDoc) {
        let t = bakery_interview();
        let e = LocalAnalyzer::new().extract_evidence(&t);
        let a = LocalAnalyzer::new().analyze_evidence(&t, &e);
        (t, e, a)
    }

    #[test]
    fn the_bakery_report_has_every_section_with_quotes_under_themes() {
        let (t, e, a) = bakery();
        let text = render_analysis(&t, &e, &a);
        let lines: Vec<&str> = text.lines().collect();
        let at = |needle: &str| {
            lines
                .iter()
                .position(|l| *l == needle)
                .unwrap_or_else(|| panic!("no line {needle:?} in\n{text}"))
        };
        let sections = [
            at("Summary"),
            at("Themes"),
            at("Insights"),
            at("Personas"),
            at("Open questions"),
        ];
        assert!(sections.windows(2).all(|w| w[0] < w[1]), "sections in order");
        assert_eq!(lines[0], "Summary");
        assert_eq!(lines[1], "=======");
        assert_eq!(lines[2], a.summary);
        assert!(
            text.contains(&format!(
                "\n{} long, 3 speakers (Interviewer, Maria, Tom), {} pieces of evidence, {} themes.\n",
                clock(t.duration_seconds()),
                e.items.len(),
                a.themes.len()
            )),
            "{text}"
        );
        assert!(text.contains("Analyzer: local-lexicon/3\n"));
        assert!(!text.contains("Model usage"), "the local analyzer calls no model");

        // The first theme, then its description and quotes as `speaker mm:ss (kind, id): “quote”`.
        let t1 = &a.themes[0];
        let head = at(&format!(
            "T1  {} — {} quotes from {}",
            t1.title,
            t1.evidence_ids.len(),
            t1.speakers.join(", ")
        ));
        assert_eq!(lines[head + 1], format!("    {}", t1.description));
        let first = e.items.iter().find(|x| x.id == t1.evidence_ids[0]).unwrap();
        assert_eq!(
            lines[head + 2],
            format!(
                "    - {} {} ({}, {}): “{}”",
                first.speaker,
                clock(first.start),
                first.kind.as_str().replace('_', " "),
                first.id,
                first.quote
            )
        );
        assert!(
            text.contains("    - Maria 00:17 (pain, ")
                && text.contains("“Honestly, shift swaps are the worst part of my week.”"),
            "{text}"
        );
        if t1.evidence_ids.len() > QUOTES_PER_THEME {
            assert_eq!(
                lines[head + 2 + QUOTES_PER_THEME],
                format!(
                    "    … and {} more ({})",
                    t1.evidence_ids.len() - QUOTES_PER_THEME,
                    t1.evidence_ids[QUOTES_PER_THEME..].join(", ")
                )
            );
        }

        // Insights are numbered with their evidence; personas list signals with the quote's time.
        let insight = at("Insights");
        assert!(lines[insight + 2].starts_with("1. "), "{}", lines[insight + 2]);
        assert!(lines[insight + 2].ends_with(&format!("[{}]", a.insights[0].evidence_ids.join(", "))));
        let maria = at("Maria");
        assert!(maria > at("Personas") && maria < at("Open questions"));
        assert!(lines[maria + 1].starts_with("    - "), "{}", lines[maria + 1]);
        assert!(lines[maria + 1].contains(" at "), "{}", lines[maria + 1]);
        assert!(
            text.contains("- Maria asked: “And does it work on Android phones?”"),
            "{text}"
        );
        assert_eq!(text, render_analysis(&t, &e, &a), "deterministic");
    }

    #[test]
    fn usage_missing_evidence_and_empty_sections_are_shown_plainly() {
        let (t, mut e, mut a) = bakery();
        e.usage = Some(ModelUsage {
            input_tokens: 1000,
            output_tokens: 200,
            requests: 1,
            estimated_cost_usd: 0.0016,
        });
        a.usage = Some(ModelUsage {
            input_tokens: 500,
            output_tokens: 100,
            requests: 2,
            estimated_cost_usd: 0.0008,
        });
        a.themes.truncate(1);
        a.themes[0].evidence_ids = vec!["E1".into(), "E999".into()];
        a.insights.clear();
        a.personas.clear();
        a.open_questions.clear();
        a.summary = "  ".into();
        let text = render_analysis(&t, &e, &a);
        assert!(text.starts_with("Summary\n=======\n(none)\n"), "{text}");
        assert!(
            text.contains("Model usage: 1500 input + 300 output tokens in 3 requests, about $0.0024\n"),
            "{text}"
        );
        assert!(text.contains("    - E999 (not in evidence.json)\n"), "{text}");
        assert!(text.contains("Insights\n========\n(none)\n"), "{text}");
        assert!(text.contains("Personas\n========\n(none)\n"), "{text}");
        assert!(text.ends_with("Open questions\n==============\n(none)\n"), "{text}");
    }

    #[test]
    fn long_interviews_use_hour_clocks_and_cap_quotes_per_theme() {
        let t = generate_long_transcript(90);
        let e = LocalAnalyzer::new().extract_evidence(&t);
        let a = LocalAnalyzer::new().analyze_evidence(&t, &e);
        let text = render_analysis(&t, &e, &a);
        assert!(text.contains("\n1:30:"), "duration as h:mm:ss");
        let big = a
            .themes
            .iter()
            .find(|th| th.evidence_ids.len() > QUOTES_PER_THEME)
            .expect("a big theme");
        assert!(text.contains(&format!(
            "    … and {} more (",
            big.evidence_ids.len() - QUOTES_PER_THEME
        )));
        let quotes = text
            .lines()
            .filter(|l| l.starts_with("    - ") && l.contains("): “"))
            .count();
        assert!(quotes <= a.themes.len() * QUOTES_PER_THEME, "{quotes} quotes");
    }
}
