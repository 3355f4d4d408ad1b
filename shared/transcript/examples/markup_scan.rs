//! Times the caption readers on hostile cue text: one cue whose line is `<` or `&` repeated,
//! the input that made tag stripping and entity decoding quadratic. Prints one row per size.
//!
//! `cargo run -p interview-transcript --example markup_scan --config 'profile.dev.package.interview-transcript.opt-level=3' -- 50000 5000000`

use std::time::Instant;

use interview_transcript::{parse_as, TranscriptFormat};

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("sizes are byte counts"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![50_000, 100_000, 200_000]
    } else {
        sizes
    };
    println!("{:>8} {:>12} {:>12} {:>10}", "char", "bytes", "ms", "result");
    for fill in ['<', '&'] {
        for &size in &sizes {
            let text = format!(
                "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>{}\n",
                fill.to_string().repeat(size)
            );
            let started = Instant::now();
            let result = parse_as(TranscriptFormat::WebVtt, &text);
            let elapsed = started.elapsed();
            let outcome = match result {
                Ok(t) => format!("{} chars", t.segments.iter().map(|s| s.text.len()).sum::<usize>()),
                Err(e) => format!("error: {}", e.message),
            };
            println!(
                "{:>8} {:>12} {:>12.1} {:>10}",
                format!("{fill:?}"),
                size,
                elapsed.as_secs_f64() * 1000.0,
                outcome
            );
        }
    }
}
