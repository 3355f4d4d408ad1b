//! Keeps the bench from rotting: runs its pipeline and cost sections on a handful of short
//! interviews (debug build, a few seconds) and checks the reports hold sane figures. No timing
//! thresholds: only that times were measured and counts add up.

use bench::cost::{self, LambdaModel, Prices, UploadKind};
use bench::pipeline::{self, Mode, PipelineConfig};

fn config(mode: Mode, interviews: usize, concurrency: usize) -> PipelineConfig {
    PipelineConfig {
        interviews,
        min_minutes: 1,
        max_minutes: 3,
        concurrency,
        mode,
        durable: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serial_pass_reports_a_breakdown_that_adds_up() {
    let r = pipeline::run(config(Mode::Serial, 4, 1)).await.unwrap();
    assert_eq!((r.ready, r.not_ready), (4, 0), "{r:?}");
    assert_eq!(r.formats.iter().map(|(_, n)| n).sum::<usize>(), 4);
    assert!(r.input_bytes > 0 && r.words > 0 && r.input_minutes >= 4);
    assert_eq!(r.analyzer.calls, 8, "extract and analyze per interview");
    assert_eq!(r.transcript.calls, 4, "one transcript conversion per interview");
    assert_eq!(r.ingest.calls, 4);
    assert!(r.store.calls >= 4 * 7 && r.blobs.calls >= 4 * 3, "{r:?}");
    // A claim, one checkpoint per state entered and an end, per execution.
    assert!(r.journal_writes >= 4 * 5, "{r:?}");
    assert!(r.wall_ms > 0.0 && r.interviews_per_sec > 0.0 && r.executions_ms > 0.0);
    let b = r.breakdown();
    for (name, v) in [
        ("wall", b.wall_ms),
        ("provider", b.provider_ms),
        ("overhead", b.overhead_ms),
        ("ingest", b.ingest_ms),
        ("store", b.store_ms),
        ("blobs", b.blobs_ms),
        ("runner", b.runner_ms),
    ] {
        assert!(v.is_finite() && v >= 0.0, "{name} = {v}");
    }
    assert!(b.provider_ms > 0.0 && b.provider_ms <= b.wall_ms, "{b:?}");
    assert!((b.provider_ms + b.overhead_ms - b.wall_ms).abs() < 1e-6, "{b:?}");
    if cfg!(target_os = "linux") {
        assert!(r.peak_rss_kib.unwrap() >= r.rss_before_kib.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throughput_pass_finishes_every_interview() {
    let r = pipeline::run(config(Mode::Throughput, 6, 2)).await.unwrap();
    assert_eq!((r.ready, r.not_ready), (6, 0), "{r:?}");
    assert_eq!(r.ingest.calls, 1, "six notifications fit one SQS batch");
    assert!(r.interviews_per_sec > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_counts_follow_the_state_machine() {
    let prices = Prices::builtin();
    let memory = cost::memory_sizes(include_str!("../../infra/template.yaml"));
    let model = LambdaModel::default();

    let t = cost::measure(UploadKind::Transcript, 2, 0.25).await.unwrap();
    assert_eq!(t.transitions, 5, "Start, Choice, Extract, Analyze, Succeeded");
    assert_eq!(t.polls, 0);
    let functions: Vec<&str> = t.invocations.iter().map(|i| i.function.as_str()).collect();
    assert_eq!(functions, ["ingest", "transcribe", "extract", "analyze"]);
    assert_eq!(t.dynamodb.writes, 7, "claim + begin/finish of three steps");
    assert_eq!(
        t.events, 5,
        "queued, then transcribe, extract, analyze, ready: the status changes of the 7 writes"
    );
    assert!(t.dynamodb.table_wru >= 7.0 && t.dynamodb.index_wru > 0.0 && t.dynamodb.rru >= 1.0);
    assert_eq!(t.s3.puts, 3, "transcript, evidence and analysis documents");
    assert!(t.tokens.input > 0 && t.tokens.output > 0);

    let r = cost::measure(UploadKind::Recording, 2, 0.5).await.unwrap();
    assert!(r.polls >= 1);
    assert_eq!(r.transitions, 5 + 3 * r.polls, "each poll is Wait, Check, Choice");

    for case in [&t, &r] {
        let (aws, providers, storage) = cost::price(case, &prices, &memory, &model);
        let services: Vec<&str> = aws.iter().map(|l| l.service.as_str()).collect();
        assert_eq!(
            services,
            ["DynamoDB", "Step Functions", "Lambda", "S3", "SQS", "Status events"]
        );
        for line in aws.iter().chain(&providers).chain(&storage) {
            assert!(line.usd.is_finite() && line.usd > 0.0, "{line:?}");
        }
    }
}
