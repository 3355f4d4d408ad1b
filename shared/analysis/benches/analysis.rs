//! Extract + analyze time and peak memory for a generated 3-hour interview with the local
//! analyzer, plus validation and rendering, and what the same interview would cost in Bedrock
//! requests. `cargo bench -p interview-shared --bench analysis` runs the full measurement and
//! exits non-zero when a budget is exceeded; under `cargo test` (no `--bench` argument) it runs
//! a short interview once as a smoke test.

use interview_analysis::chunk::{estimate_tokens, segment_line, transcript_chunks};
use interview_analysis::{render_analysis, validate_analysis, validate_evidence, LocalAnalyzer};
use interview_core::config::Settings;
use interview_testkit::analysis_fixtures::generate_long_transcript;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Budget for extract + analyze of a 3-hour interview (release build, one core).
const TIME_BUDGET: Duration = Duration::from_secs(2);
/// Budget for the process's peak resident memory (VmHWM) over the whole run.
const MEMORY_BUDGET_MB: f64 = 200.0;

/// The process's peak resident set size (`VmHWM` in /proc/self/status), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (minutes, runs) = if full { (180, 3) } else { (10, 1) };
    println!("analysis benchmark: {minutes}-minute generated interview, {runs} run(s), local analyzer");
    let start_rss = peak_rss_mb();

    let t0 = Instant::now();
    let transcript = generate_long_transcript(minutes);
    let generate = t0.elapsed();
    println!(
        "transcript      {} segments, {} words, {:.0} KB of JSON, generated in {}",
        transcript.segments.len(),
        transcript.word_count(),
        serde_json::to_vec(&transcript).unwrap().len() as f64 / 1024.0,
        ms(generate)
    );

    let analyzer = LocalAnalyzer::new();
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..runs {
        let t = Instant::now();
        let evidence = analyzer.extract_evidence(&transcript);
        let extract = t.elapsed();
        let analysis = analyzer.analyze_evidence(&transcript, &evidence);
        let total = t.elapsed();
        times.push((extract, total - extract, total));
        result = Some((evidence, analysis));
    }
    let (evidence, analysis) = result.unwrap();
    times.sort_by_key(|t| t.2);
    let (best, worst) = (times[0], times[times.len() - 1]);
    println!(
        "extract         {} (best of {runs}), {} evidence items",
        ms(best.0),
        evidence.items.len()
    );
    println!(
        "analyze         {} (best), {} themes",
        ms(best.1),
        analysis.themes.len()
    );
    println!("extract+analyze {} best, {} worst", ms(best.2), ms(worst.2));

    let t = Instant::now();
    validate_evidence(&transcript, &evidence).expect("local evidence is valid");
    validate_analysis(&evidence, &analysis).expect("local analysis is valid");
    let validate = t.elapsed();
    println!(
        "validate        {} (evidence against transcript + analysis refs)",
        ms(validate)
    );

    let t = Instant::now();
    let report = render_analysis(&transcript, &evidence, &analysis);
    println!("render          {} ({} lines)", ms(t.elapsed()), report.lines().count());

    // What ANALYZER=bedrock would send for the same interview with the default settings.
    let settings = Settings::from_vars(&HashMap::new()).unwrap();
    let chunks = transcript_chunks(
        &transcript,
        settings.bedrock_chunk_tokens,
        settings.bedrock_chunk_overlap_segments,
    );
    let sent: usize = chunks
        .iter()
        .flat_map(|c| c.clone())
        .map(|i| estimate_tokens(&segment_line(i, &transcript.segments[i])) + 1)
        .sum();
    println!(
        "bedrock plan    {} extract requests of <= {} tokens, ~{} transcript tokens sent (~${:.3} input at ${}/1k)",
        chunks.len(),
        settings.bedrock_chunk_tokens,
        sent,
        sent as f64 / 1000.0 * settings.bedrock_price_input_per_1k,
        settings.bedrock_price_input_per_1k
    );

    let peak = peak_rss_mb();
    match (start_rss, peak) {
        (Some(s), Some(p)) => println!("peak memory     {p:.1} MB VmHWM ({s:.1} MB at start)"),
        _ => println!("peak memory     unavailable (no /proc/self/status)"),
    }

    if full {
        let time_ok = best.2 <= TIME_BUDGET;
        let memory_ok = peak.is_none_or(|p| p <= MEMORY_BUDGET_MB);
        println!(
            "budget          extract+analyze < {} s: {}; peak < {MEMORY_BUDGET_MB:.0} MB: {}",
            TIME_BUDGET.as_secs(),
            if time_ok { "ok" } else { "OVER" },
            if memory_ok { "ok" } else { "OVER" }
        );
        if !(time_ok && memory_ok) {
            std::process::exit(1);
        }
    }
}
