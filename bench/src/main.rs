//! `bench`: measures the interview pipeline on this machine and prints one report.
//! Run it as `cargo run --release -p bench` (`-- --help` for the sections and knobs).

use anyhow::{bail, Context, Result};
use bench::cost::{self, LambdaModel, Prices, UploadKind};
use bench::formats::UploadFormat;
use bench::init::InitReport;
use bench::parse::ParseReport;
use bench::pipeline::{Mode, PipelineConfig, PipelineReport};
use bench::{mem, sizes, target_dir, workspace};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The sections a run can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Section {
    /// 1. Interviews per second through the embedded pipeline, peak memory, orchestration overhead.
    Pipeline,
    /// 2. Transcript parsing MB/s and peak memory (3-hour Amazon Transcribe JSON and WebVTT).
    Parse,
    /// 3. Lambda init: spawn → first `next` and → first response/error, per function.
    Init,
    /// 4. Cost per interview on AWS, counted from the real code paths, priced with prices.json.
    Cost,
    /// 5. Release binary sizes (arm64 bootstraps from cargo-lambda, and the host's).
    Sizes,
    /// 6. Themes across interviews: scorer figures, project report time and peak memory.
    Synthesis,
    /// 7. HTTP API latency (the `serve` router on loopback) with 10,000 interviews in a project.
    Api,
    /// 8. Offline speech against faster-whisper, same recordings (`--features whisper`; not run by default).
    Speech,
}

/// Benchmarks of the interview pipeline. Each section can be run alone with `--sections`.
#[derive(Debug, Parser)]
#[command(name = "bench", version, about, long_about = None)]
struct Args {
    /// Sections to run, comma-separated (default: all, in this order).
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["pipeline", "parse", "init", "cost", "sizes", "synthesis", "api"])]
    sections: Vec<Section>,

    /// [pipeline] Interviews in the throughput pass.
    #[arg(long, default_value_t = 1000)]
    interviews: usize,
    /// [pipeline] Interviews in the serial pass (the overhead breakdown); 0 skips it.
    #[arg(long, default_value_t = 300)]
    serial_interviews: usize,
    /// [pipeline] Shortest generated interview, minutes.
    #[arg(long, default_value_t = 2)]
    min_minutes: u32,
    /// [pipeline] Longest generated interview, minutes.
    #[arg(long, default_value_t = 8)]
    max_minutes: u32,
    /// [pipeline] Executions at once in the throughput pass (the product's default is 4).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,

    /// [parse] Length of the generated transcripts, minutes.
    #[arg(long, default_value_t = 180)]
    parse_minutes: u32,
    /// [parse] Parses per case (the median is reported).
    #[arg(long, default_value_t = 5)]
    parse_repeat: usize,
    /// [parse] Formats to parse.
    #[arg(long, value_delimiter = ',', default_values = ["amazon", "vtt"])]
    parse_formats: Vec<UploadFormat>,

    /// [api] Interviews seeded into the project.
    #[arg(long, default_value_t = 10_000)]
    api_interviews: usize,
    /// [api] Requests per endpoint.
    #[arg(long, default_value_t = 2000)]
    api_requests: usize,
    /// [api] Concurrent clients (keep-alive connections).
    #[arg(long, default_value_t = 8)]
    api_concurrency: usize,

    /// [init] Starts per function (the median is reported).
    #[arg(long, default_value_t = 7)]
    init_runs: usize,
    /// [init, sizes] Do not run `cargo build --release -p <functions>` first.
    #[arg(long)]
    no_build: bool,
    /// [init, sizes] Where the host release binaries are (default: <target>/release).
    #[arg(long)]
    bin_dir: Option<PathBuf>,

    /// [cost] Interview lengths to price, minutes.
    #[arg(long, value_delimiter = ',', default_values_t = [30u32, 120])]
    cost_minutes: Vec<u32>,
    /// [cost] Amazon Transcribe job time as a fraction of the audio length (sets the number of polls).
    #[arg(long, default_value_t = 0.25)]
    job_ratio: f64,
    /// [cost] Prices file (default: the bench/prices.json compiled in).
    #[arg(long)]
    prices: Option<PathBuf>,

    /// [synthesis] Interview counts to build a project report from.
    #[arg(long, value_delimiter = ',', default_values_t = [100usize, 1000])]
    report_interviews: Vec<usize>,

    /// [speech] Recordings: real (LibriVox, 28 s), call (espeak-ng, 85 s), or either looped N
    /// times as real-xN / call-xN (call-x7 is ~10 min, call-x42 ~1 h).
    #[arg(long, value_delimiter = ',', default_values = ["real", "call", "call-x7"])]
    speech_cases: Vec<bench::speech::SpeechCase>,
    /// [speech] Runs per engine and recording, alternating which engine goes first.
    #[arg(long, default_value_t = 3)]
    speech_runs: usize,
    /// [speech] Beam width, for both engines.
    #[arg(long, default_value_t = 5)]
    speech_beam: usize,
    /// [speech] CPU threads, for both engines.
    #[arg(long, default_value_t = 2)]
    speech_threads: usize,

    /// [sizes] Run `cargo lambda build --release --arm64` for the functions first (long).
    #[arg(long)]
    build_arm64: bool,
    /// [sizes] Where `cargo lambda build` left the bootstraps (default: <target>/lambda).
    #[arg(long)]
    lambda_dir: Option<PathBuf>,

    /// Also write every figure as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,

    #[command(subcommand)]
    child: Option<Child>,
}

/// Child processes of the bench itself (one case per process, so peak memory is per case).
#[derive(Debug, Subcommand)]
enum Child {
    /// Runs one pipeline pass and prints its report as JSON.
    #[command(name = "__pipeline", hide = true)]
    Pipeline {
        /// The pass configuration, JSON.
        config: String,
    },
    /// Parses one file repeatedly and prints the report as JSON.
    #[command(name = "__parse-case", hide = true)]
    ParseCase {
        /// The file.
        file: PathBuf,
        /// How many parses.
        repeat: usize,
    },
    /// Builds one project report and prints the measurement as JSON.
    #[command(name = "__report-case", hide = true)]
    ReportCase {
        /// Interviews.
        interviews: usize,
        /// `tfidf` or `embeddings`.
        mode: String,
    },
    /// Transcribes one recording with this project's engine and prints the run as JSON.
    #[command(name = "__whisper-once", hide = true)]
    WhisperOnce {
        /// The recording.
        file: PathBuf,
        /// Beam width.
        beam: usize,
        /// CPU threads.
        threads: usize,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn main() -> Result<()> {
    let args = Args::parse();
    match &args.child {
        Some(Child::Pipeline { config }) => {
            let config: PipelineConfig = serde_json::from_str(config)?;
            let report = runtime()?.block_on(bench::pipeline::run(config))?;
            println!("{}", serde_json::to_string(&report)?);
            return Ok(());
        }
        Some(Child::ParseCase { file, repeat }) => {
            let report = bench::parse::run_case(file, *repeat)?;
            println!("{}", serde_json::to_string(&report)?);
            return Ok(());
        }
        Some(Child::ReportCase { interviews, mode }) => {
            let report = bench::synthesis::run_case(*interviews, mode)?;
            println!("{}", serde_json::to_string(&report)?);
            return Ok(());
        }
        Some(Child::WhisperOnce { file, beam, threads }) => {
            let run = bench::speech::once(file, *beam, *threads)?;
            println!("{}", serde_json::to_string(&run)?);
            return Ok(());
        }
        None => {}
    }
    let sections = args.sections.clone();
    let mut out = serde_json::Map::new();
    println!("# interview-pipeline bench");
    println!(
        "machine: {} cores ({}), {}; shared and contended — treat small differences as noise",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model().unwrap_or_else(|| "unknown CPU".into()),
        std::env::consts::ARCH
    );
    let needs_binaries = sections.iter().any(|s| matches!(s, Section::Init | Section::Sizes));
    let bin_dir = args.bin_dir.clone().unwrap_or_else(|| target_dir().join("release"));
    if needs_binaries && !args.no_build {
        build_functions()?;
    }
    for section in sections {
        match section {
            Section::Pipeline => {
                out.insert("pipeline".into(), section_pipeline(&args)?);
            }
            Section::Parse => {
                out.insert("parse".into(), section_parse(&args)?);
            }
            Section::Init => {
                out.insert("init".into(), section_init(&args, &bin_dir)?);
            }
            Section::Cost => {
                out.insert("cost".into(), section_cost(&args)?);
            }
            Section::Sizes => {
                out.insert("sizes".into(), section_sizes(&args, &bin_dir)?);
            }
            Section::Synthesis => {
                out.insert("synthesis".into(), section_synthesis(&args)?);
            }
            Section::Api => {
                out.insert("api".into(), section_api(&args)?);
            }
            Section::Speech => {
                out.insert("speech".into(), section_speech(&args)?);
            }
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&out)?)?;
        println!("\nJSON written to {}", path.display());
    }
    Ok(())
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_string())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn function_packages() -> Vec<String> {
    interview_handlers::Function::ALL
        .into_iter()
        .flat_map(|f| ["-p".to_string(), f.name().to_string()])
        .collect()
}

fn build_functions() -> Result<()> {
    eprintln!("building the functions' release binaries (cargo build --release -p …)");
    let status = Command::new(cargo())
        .current_dir(workspace())
        .args(["build", "--release"])
        .args(function_packages())
        .status()
        .context("run cargo build")?;
    if !status.success() {
        bail!("cargo build --release of the functions failed");
    }
    Ok(())
}

/// Runs a hidden subcommand of this binary and decodes its JSON answer.
fn child<T: serde::de::DeserializeOwned>(args: &[&str]) -> Result<T> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("start a child bench process")?;
    if !output.status.success() {
        bail!("child bench process {args:?} failed ({})", output.status);
    }
    serde_json::from_slice(&output.stdout).context("decode the child's report")
}

fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

fn section_pipeline(args: &Args) -> Result<serde_json::Value> {
    println!("\n## 1. Embedded pipeline (LocalOrchestrator running infra/statemachine.asl.json, SQLite + fs bucket in a temp dir, SystemClock)");
    let mut passes = Vec::new();
    let mut configs: Vec<PipelineConfig> = [false, true]
        .into_iter()
        .map(|durable| PipelineConfig {
            interviews: args.interviews,
            min_minutes: args.min_minutes,
            max_minutes: args.max_minutes,
            concurrency: args.concurrency,
            mode: Mode::Throughput,
            durable,
        })
        .collect();
    if args.serial_interviews > 0 {
        configs.push(PipelineConfig {
            interviews: args.serial_interviews,
            min_minutes: args.min_minutes,
            max_minutes: args.max_minutes,
            concurrency: 1,
            mode: Mode::Serial,
            durable: true,
        });
    }
    for config in configs {
        let encoded = serde_json::to_string(&config)?;
        let report: PipelineReport = child(&["__pipeline", &encoded])?;
        print_pipeline(&report);
        passes.push(report);
    }
    Ok(serde_json::to_value(&passes)?)
}

fn print_pipeline(r: &PipelineReport) {
    let c = &r.config;
    let formats: Vec<String> = r.formats.iter().map(|(f, n)| format!("{n} {}", f.label())).collect();
    println!(
        "\n### {} pass: {} interviews of {}–{} min ({}; {:.1} MB, {} audio-minutes, {} words), {} execution(s) at once",
        match c.mode {
            Mode::Throughput => "throughput",
            Mode::Serial => "serial",
        },
        c.interviews,
        c.min_minutes,
        c.max_minutes,
        formats.join(", "),
        r.input_bytes as f64 / 1e6,
        r.input_minutes,
        r.words,
        c.concurrency
    );
    println!(
        "  {:.1} interviews/s  ({:.0} ms wall; {} ready, {} not ready); executions {}",
        r.interviews_per_sec,
        r.wall_ms,
        r.ready,
        r.not_ready,
        if c.durable {
            format!(
                "kept in SQLite ({:.1} journal rows written per interview, beside {:.1} item-store calls)",
                r.journal_writes as f64 / c.interviews.max(1) as f64,
                r.store.calls as f64 / c.interviews.max(1) as f64
            )
        } else {
            "in memory only (the baseline before durable executions)".to_string()
        }
    );
    println!(
        "  peak memory (VmHWM of the pass's own process): {}   (RSS before the pass, inputs generated and uploaded: {})",
        mem::mib(r.peak_rss_kib),
        mem::mib(r.rss_before_kib)
    );
    if c.mode == Mode::Serial {
        let b = r.breakdown();
        println!(
            "  per interview (ms):  wall {:.2} = provider {:.2} + orchestration overhead {:.2}",
            b.wall_ms, b.provider_ms, b.overhead_ms
        );
        println!(
            "    provider:  transcript parse+encode {:.2}, analyzer (extract+analyze) {:.2}",
            b.transcript_ms, b.analyzer_ms
        );
        println!(
            "    overhead:  ingest {:.2} (store {:.2}, bucket {:.2}), store in tasks {:.2}, bucket in tasks {:.2}, ASL runner + handler glue {:.2}",
            b.ingest_ms,
            ms(r.store_in_ingest.nanos) / c.interviews.max(1) as f64,
            ms(r.blobs_in_ingest.nanos) / c.interviews.max(1) as f64,
            b.store_ms,
            b.blobs_ms,
            b.runner_ms
        );
        println!(
            "    calls per interview: store {:.1}, bucket {:.1}, analyzer {:.1}",
            r.store.calls as f64 / c.interviews.max(1) as f64,
            r.blobs.calls as f64 / c.interviews.max(1) as f64,
            r.analyzer.calls as f64 / c.interviews.max(1) as f64
        );
    } else {
        let n = c.interviews.max(1) as f64;
        println!(
            "  summed over concurrent tasks, per interview (ms): analyzer {:.2}, transcript {:.2}, store {:.2} ({} calls), bucket {:.2} ({} calls), ingest {:.2}",
            ms(r.analyzer.nanos) / n,
            ms(r.transcript.nanos) / n,
            ms(r.store.nanos) / n,
            r.store.calls,
            ms(r.blobs.nanos) / n,
            r.blobs.calls,
            ms(r.ingest.nanos) / n
        );
    }
}

fn section_speech(args: &Args) -> Result<serde_json::Value> {
    use bench::speech::{self, SpeechConfig};
    if !speech::HAS_ENGINE {
        bail!("the speech section needs the offline engine: cargo run --release -p bench --features whisper -- --sections speech");
    }
    println!(
        "\n## 8. Offline speech: this engine against faster-whisper 1.2 (model base int8, beam {}, {} threads, median of {} alternated runs; one process per run)",
        args.speech_beam, args.speech_threads, args.speech_runs
    );
    speech::setup()?;
    let config = SpeechConfig {
        cases: args.speech_cases.clone(),
        runs: args.speech_runs.max(1),
        beam: args.speech_beam,
        threads: args.speech_threads,
    };
    let reports = speech::run(&config, |line| eprintln!("  {line}"))?;
    println!("  | recording | audio | project | faster-whisper | ratio | accuracy (project / fw) | peak memory (project / fw) | load average before → after |");
    println!("  |---|---|---|---|---|---|---|---|");
    for r in &reports {
        println!(
            "  | {} | {:.0} s | {:.2} s | {:.2} s | {:.2}× | {:.1} % / {:.1} % | {:.0} / {:.0} MiB | {} → {} |",
            r.case,
            r.audio_s,
            r.project.median_wall_s,
            r.faster_whisper.median_wall_s,
            r.ratio,
            r.project.accuracy_pct,
            r.faster_whisper.accuracy_pct,
            r.project.peak_mib,
            r.faster_whisper.peak_mib,
            r.load_before,
            r.load_after
        );
    }
    Ok(json!(reports))
}

fn section_synthesis(args: &Args) -> Result<serde_json::Value> {
    use bench::synthesis::{modes, score_table, ReportCase};
    println!("\n## 6. Themes across interviews (labelled project; project report build, one process per case)");
    let mut scores = serde_json::Map::new();
    for mode in modes() {
        let table = score_table(mode)?;
        println!(
            "{}",
            table
                .trim_end()
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        scores.insert(mode.into(), json!(table));
    }
    println!(
        "  {:<11} {:>10} {:>7} {:>7} {:>10} {:>11} {:>12} {:>12}",
        "mode", "interviews", "quotes", "themes", "load", "build", "peak before", "peak after"
    );
    let mut cases: Vec<ReportCase> = Vec::new();
    for mode in modes() {
        for n in &args.report_interviews {
            let case: ReportCase = child(&["__report-case", &n.to_string(), mode])?;
            println!(
                "  {:<11} {:>10} {:>7} {:>7} {:>8.0}ms {:>9.0}ms {:>12} {:>12}",
                case.mode,
                case.interviews,
                case.quotes,
                case.themes,
                case.load_ms,
                case.build_ms,
                mem::mib(case.peak_before_kib),
                mem::mib(case.peak_after_kib)
            );
            cases.push(case);
        }
    }
    Ok(json!({ "scores": scores, "cases": cases }))
}

fn section_parse(args: &Args) -> Result<serde_json::Value> {
    println!(
        "\n## 2. Transcript parsing ({}-minute generated interview; parse_transcript, median of {}; one process per case)",
        args.parse_minutes, args.parse_repeat
    );
    let dir = tempfile::tempdir()?;
    let transcript = interview_testkit::analysis_fixtures::generate_long_transcript(args.parse_minutes);
    let mut reports: Vec<ParseReport> = Vec::new();
    for format in &args.parse_formats {
        let path = dir
            .path()
            .join(format!("interview-{}min.{}", args.parse_minutes, format.extension()));
        std::fs::write(&path, format.render(&transcript))?;
        let path_arg = path.to_string_lossy().into_owned();
        reports.push(child(&["__parse-case", &path_arg, &args.parse_repeat.to_string()])?);
    }
    drop(transcript);
    println!(
        "  {:<24} {:>9} {:>9} {:>8} {:>10} {:>9} {:>14} {:>14}",
        "format", "size", "segments", "words", "median", "MB/s", "peak RSS", "before parse"
    );
    for (format, r) in args.parse_formats.iter().zip(&reports) {
        println!(
            "  {:<24} {:>7.2}MB {:>9} {:>8} {:>8.1}ms {:>9.1} {:>14} {:>14}",
            format.label(),
            r.bytes as f64 / 1e6,
            r.segments,
            r.words,
            r.median_ms,
            r.mb_per_sec,
            mem::mib(r.peak_after_kib),
            mem::mib(r.peak_before_kib)
        );
    }
    Ok(serde_json::to_value(&reports)?)
}

fn section_init(args: &Args, bin_dir: &Path) -> Result<serde_json::Value> {
    println!(
        "\n## 3. Lambda init (binaries in {}, a Runtime API on 127.0.0.1, AWS backend with endpoints at a closed port; median of {})",
        bin_dir.display(),
        args.init_runs
    );
    let memory = cost::memory_sizes(include_str!("../../infra/template.yaml"));
    let logs = tempfile::tempdir()?;
    let reports: Vec<InitReport> = runtime()?.block_on(bench::init::run(
        bin_dir,
        &workspace().join("events"),
        &memory,
        args.init_runs,
        logs.path(),
    ))?;
    println!(
        "  {:<12} {:>9} {:>16} {:>16} {:>22}  first answer",
        "function", "binary", "→ first next", "(min–max)", "→ first response/error"
    );
    let mut worst: f64 = 0.0;
    for r in &reports {
        let next: Vec<f64> = r.runs.iter().map(|x| x.to_next_ms).collect();
        let (lo, hi) = next
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        worst = worst.max(r.median_to_next_ms);
        println!(
            "  {:<12} {:>7.1}MB {:>14.1}ms {:>16} {:>20}  {}",
            r.function,
            r.binary_bytes as f64 / 1e6,
            r.median_to_next_ms,
            format!("({lo:.1}–{hi:.1})"),
            r.median_to_first_post_ms
                .map(|v| format!("{v:.0}ms"))
                .unwrap_or_else(|| "n/a".into()),
            r.runs.first().map(|x| x.outcome.as_str()).unwrap_or("")
        );
    }
    println!(
        "  target: under 50 ms to first next — {} (slowest median {worst:.1} ms)",
        if worst < 50.0 { "met" } else { "NOT met" }
    );
    println!("  (the first response/error includes the SDK's retries against the closed endpoint, not init)");
    Ok(serde_json::to_value(&reports)?)
}

fn section_cost(args: &Args) -> Result<serde_json::Value> {
    let prices = match &args.prices {
        Some(p) => Prices::load(p)?,
        None => Prices::builtin(),
    };
    let memory = cost::memory_sizes(include_str!("../../infra/template.yaml"));
    let model = LambdaModel::default();
    println!(
        "\n## 4. Cost per interview on AWS ({} list prices from bench/prices.json; free tiers ignored)",
        prices.region
    );
    let rt = runtime()?;
    let mut cases = Vec::new();
    for &minutes in &args.cost_minutes {
        for kind in [UploadKind::Transcript, UploadKind::Recording] {
            cases.push(rt.block_on(cost::measure(kind, minutes, args.job_ratio))?);
        }
    }
    let mut priced = Vec::new();
    for case in &cases {
        let (aws, providers, storage) = cost::price(case, &prices, &memory, &model);
        let aws_total: f64 = aws.iter().map(|l| l.usd).sum();
        let provider_total: f64 = providers.iter().map(|l| l.usd).sum();
        println!(
            "\n### {}-minute {} ({:.0} KB upload)",
            case.minutes,
            match case.kind {
                UploadKind::Transcript => "transcript upload (WebVTT)",
                UploadKind::Recording => "recording (Amazon Transcribe, modelled)",
            },
            case.upload_bytes as f64 / 1024.0
        );
        println!("  {:<18} {:>12}  counted", "service", "USD");
        for l in &aws {
            println!("  {:<18} {:>12.7}  {}", l.service, l.usd, l.usage);
        }
        println!("  {:<18} {:>12.7}  per interview, AWS side", "= AWS total", aws_total);
        for l in &providers {
            println!("  {:<18} {:>12.5}  {}", l.service, l.usd, l.usage);
        }
        println!(
            "  {:<18} {:>12.5}  per interview, providers",
            "= provider total", provider_total
        );
        for l in &storage {
            println!("  {:<18} {:>12.7}  {}", l.service, l.usd, l.usage);
        }
        priced.push(
            json!({ "case": case, "aws": aws, "providers": providers, "storage": storage,
            "aws_total_usd": aws_total, "provider_total_usd": provider_total }),
        );
    }
    let sweeper = cost::sweeper_monthly(&prices, &memory, &model);
    println!(
        "\n  fixed: {} ${:.4}/month — {}",
        sweeper.service, sweeper.usd, sweeper.usage
    );
    let idle_events = bench::events_cost::idle_monthly(&prices, &model);
    println!(
        "  fixed: {} ${:.4}/month — {}",
        idle_events.service, idle_events.usd, idle_events.usage
    );
    println!(
        "  assumptions: Lambda duration = time here × max(1, {:.0} MB / memory) + {:.0} ms per DynamoDB request + {:.0} ms per S3 request + bytes at {:.0} MB/s + {:.0} ms per Step Functions call; memory per function from infra/template.yaml {:?}",
        model.full_vcpu_mb, model.dynamodb_ms, model.s3_ms, model.s3_mb_per_s, model.sfn_ms, memory
    );
    println!(
        "  Transcribe job time = {:.0}% of the audio (one poll per {} s); Bedrock tokens ≈ characters / {:.0}, + {} tokens of instructions per call, transcript in chunks of {} tokens",
        args.job_ratio * 100.0,
        30,
        cost::CHARS_PER_TOKEN,
        cost::PROMPT_OVERHEAD_TOKENS,
        cost::CHUNK_TOKENS
    );
    Ok(
        json!({ "prices": prices, "model": model, "memory_mb": memory, "cases": priced, "sweeper": sweeper,
        "status_events_idle": idle_events }),
    )
}

fn section_api(args: &Args) -> Result<serde_json::Value> {
    println!(
        "\n## 6. HTTP API on loopback (the `serve` router, SQLite, {} interviews in one project; client and server share the machine)",
        args.api_interviews
    );
    let report = runtime()?.block_on(bench::api::run(
        args.api_interviews,
        args.api_requests,
        args.api_concurrency,
    ))?;
    println!("  seeded in {:.1}s", report.seed_seconds);
    println!(
        "  {:<32} {:>9} {:>6} {:>10} {:>10} {:>10}",
        "endpoint", "requests", "conc", "p50", "p99", "req/s"
    );
    for e in &report.endpoints {
        println!(
            "  {:<32} {:>9} {:>6} {:>8.2}ms {:>8.2}ms {:>10.0}",
            e.endpoint, e.requests, e.concurrency, e.p50_ms, e.p99_ms, e.per_second
        );
    }
    Ok(serde_json::to_value(&report)?)
}

fn section_sizes(args: &Args, bin_dir: &Path) -> Result<serde_json::Value> {
    let lambda_dir = args.lambda_dir.clone().unwrap_or_else(|| target_dir().join("lambda"));
    println!("\n## 5. Release binary sizes");
    if args.build_arm64 {
        match sizes::find_cargo_lambda(&workspace()) {
            Some(tool) => {
                eprintln!("running {} lambda build --release --arm64 (long)", tool.display());
                let mut path = std::env::var_os("PATH").unwrap_or_default();
                if let Some(dir) = tool.parent() {
                    path =
                        std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path)))?;
                }
                let status = Command::new(&tool)
                    .current_dir(workspace())
                    .env("PATH", path)
                    .args(["lambda", "build", "--release", "--arm64"])
                    .args(function_packages())
                    .status()?;
                if !status.success() {
                    bail!("cargo lambda build failed");
                }
            }
            None => println!("  cargo-lambda not found: arm64 not built"),
        }
    }
    let rows = sizes::collect(&lambda_dir, bin_dir);
    let arm = rows.iter().any(|r| r.arm64_bytes.is_some());
    println!(
        "  {:<12} {:>16} {:>16}",
        "function",
        "arm64 bootstrap",
        format!("{} release", std::env::consts::ARCH)
    );
    let fmt = |b: Option<u64>| {
        b.map(|b| format!("{:.2} MB", b as f64 / 1e6))
            .unwrap_or_else(|| "—".into())
    };
    for r in &rows {
        println!(
            "  {:<12} {:>16} {:>16}",
            r.function,
            fmt(r.arm64_bytes),
            fmt(r.host_bytes)
        );
    }
    if arm {
        println!(
            "  arm64 from {} (cargo lambda build --release --arm64; strip = true, lto = thin)",
            lambda_dir.display()
        );
    } else {
        println!(
            "  arm64 NOT measured: no aarch64 bootstraps in {} (run with --build-arm64, or pass --lambda-dir)",
            lambda_dir.display()
        );
    }
    Ok(serde_json::to_value(&rows)?)
}
