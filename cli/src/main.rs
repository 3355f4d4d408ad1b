//! `interviews`: the operator tool and the embedded runner of the interview pipeline.

mod backend;
mod drop;
mod events;
mod local_runs;
mod ops;
mod render;
mod report;
mod serve;
mod speakers;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use interview_core::config::{Backend, Settings};
use interview_core::domain::{ArtifactName, InterviewId, Status};
use std::path::PathBuf;

/// Turns customer-interview recordings and transcripts into transcripts, evidence and analysis.
///
/// By default everything runs on this machine with no cloud account: items in SQLite and files
/// under the data dir (`.data`), and the same state machine that runs on AWS executed
/// in-process. Set INTERVIEWS_BACKEND=aws (with TABLE_NAME, BUCKET_NAME) to operate a deployed
/// stack instead.
#[derive(Parser)]
#[command(name = "interviews", version, propagate_version = true)]
struct Cli {
    /// Where the embedded backend keeps items and files.
    #[arg(long, global = true, env = "INTERVIEWS_DATA_DIR", default_value = interview_core::config::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Process files as if they were dropped into the bucket, show progress, and print a summary.
    ///
    /// Each file becomes one interview (uploads/<project>/<file name>); processing the same
    /// file again is recognised as the same upload and does nothing. Exits non-zero if any
    /// interview ends in error.
    Process {
        /// Recordings (wav, mp3, m4a, flac, ogg, webm, mp4) or transcripts (.vtt, .srt, .txt, .json).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Project folder the files are filed under.
        #[arg(long, default_value = "default")]
        project: String,
    },
    /// Watch a drop folder: new or changed files are processed, removed files are deleted.
    ///
    /// Files directly in DIR go to the project named after DIR; files in DIR/<project>/ go to
    /// that project. Stop with Ctrl-C.
    Watch {
        /// The drop folder.
        dir: PathBuf,
        /// Seconds between scans.
        #[arg(long, default_value_t = 1.0)]
        interval: f64,
        /// Scan once, wait for the work it started, and exit (for scripts and tests).
        #[arg(long)]
        once: bool,
    },
    /// Show what an interview says: summary, themes with their quotes and timestamps, insights,
    /// per-speaker signals and open questions (after its status).
    Show {
        /// The interview id (`iv-…`).
        id: String,
    },
    /// Write the project report: the themes that recur across a project's ready interviews, the
    /// participants who raised each ("4 of 6 participants") with their quotes, the pains, needs
    /// and requests ranked by participants, where participants disagree, and persona groups.
    Report {
        /// The project (the folder under uploads/).
        #[arg(long)]
        project: String,
        /// md, html or json.
        #[arg(long, value_enum, default_value = "md")]
        format: report::ReportFormat,
        /// Write it to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Show one interview: status, error, counts, artifacts and its step timeline.
    Status {
        /// The interview id (`iv-…`), as printed by `process` and `list`.
        id: String,
        /// Print the item as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List interviews, newest first.
    List {
        #[command(flatten)]
        filter: ops::Filter,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Start a new run of failed interviews that resumes at the step that failed.
    ///
    /// Steps whose results are still valid for the same upload are reused, not redone. Input
    /// errors are not retried unless --force is given (fix the file and upload it again instead).
    Retry {
        /// The interview to retry.
        #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
        id: Option<String>,
        /// Retry every failed interview whose error is retryable.
        #[arg(long)]
        all_failed: bool,
        /// Retry even input errors.
        #[arg(long)]
        force: bool,
    },
    /// Name an interview's speakers and say who interviews; a new run redoes extract and
    /// analyze with them (the transcript is reused), so evidence, themes and personas show the
    /// names. Without assignments, lists the speakers.
    ///
    /// Each assignment is LABEL=NAME, LABEL=interviewer, LABEL=participant or
    /// LABEL="NAME (ROLE)", e.g. `spk_0="Rosa Delgado" spk_1=interviewer`. LABEL is the
    /// speaker as the transcript has it. Assignments are added to the ones already made.
    Speakers {
        /// The interview id (`iv-…`).
        id: String,
        /// LABEL=NAME, LABEL=ROLE or LABEL="NAME (ROLE)".
        assignments: Vec<String>,
        /// Drop the assignments made before instead of adding to them.
        #[arg(long)]
        replace: bool,
    },
    /// End live interviews whose heartbeat is older than their step's threshold (what the
    /// scheduled sweeper does).
    Sweep {
        /// Only show what would be marked stale.
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve the HTTP API (JSON under /v1/, OpenAPI at /v1/openapi.json) over the data dir, with
    /// uploads processed in this process. The first line of output is the URL with the token.
    ///
    /// `process` and `watch` can run beside it on the same data dir; their interviews show here.
    Serve {
        /// Address to listen on; keep it on loopback unless others should reach it.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    /// Export a report of interviews (by default the failed ones) as CSV or JSON lines.
    Export {
        #[command(flatten)]
        filter: ops::Filter,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: ops::ExportFormat,
    },
}

#[tokio::main]
async fn main() {
    interview_core::telemetry::init_with_default("warn");
    if let Err(err) = run(Cli::parse()).await {
        eprintln!("error: {err:#}");
        std::process::exit(2);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let mut settings = Settings::from_env().context("reading the configuration from the environment")?;
    if let Backend::Embedded { data_dir } = &mut settings.backend {
        *data_dir = cli.data_dir.clone();
    }
    match cli.command {
        Command::Process { files, project } => {
            let webhook = events::start_webhook(&settings)?;
            let outbox = events::outbox(&settings)?;
            let (pipeline, orchestrator) = backend::embedded(settings)?;
            let ok = drop::process(&pipeline, &orchestrator, &files, &project).await?;
            events::finish(webhook, outbox.as_ref()).await;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Watch { dir, interval, once } => {
            let webhook = events::start_webhook(&settings)?;
            let outbox = events::outbox(&settings)?;
            let (pipeline, orchestrator, reports) = backend::embedded_with_reports(settings)?;
            local_runs::catch_up_reports(&reports, &pipeline).await;
            let watched = drop::watch(
                &pipeline,
                &orchestrator,
                &dir,
                std::time::Duration::from_secs_f64(interval.max(0.05)),
                once,
            )
            .await;
            reports.finish().await;
            events::finish(webhook, outbox.as_ref()).await;
            watched
        }
        Command::Show { id } => {
            let (services, _) = backend::pipeline(settings).await?;
            let id = InterviewId::parse(id.trim())?;
            let Some(item) = services.store.get(&id).await? else {
                bail!("no interview {id}; `interviews list` shows the ones there are");
            };
            print!("{}", render::status(&item, services.now()));
            if item.artifacts.analysis.is_none() {
                println!(
                    "\nno analysis yet (the interview is {}); `interviews show` has more once it is ready",
                    item.status
                );
                return Ok(());
            }
            let transcript = interview_handlers::load_artifact::<interview_transcript::Transcript>(
                &services,
                &item,
                ArtifactName::Transcript,
            )
            .await?
            .with_speakers(&item.speakers);
            let evidence = interview_handlers::load_artifact(&services, &item, ArtifactName::Evidence).await?;
            let analysis = interview_handlers::load_artifact(&services, &item, ArtifactName::Analysis).await?;
            println!();
            print!(
                "{}",
                interview_analysis::render_analysis(&transcript, &evidence, &analysis)
            );
            Ok(())
        }
        Command::Report {
            project,
            format,
            output,
        } => {
            let (pipeline, _) = backend::pipeline(settings).await?;
            report::report(&pipeline, &project, format, output.as_deref()).await
        }
        Command::Status { id, json } => {
            let (services, _) = backend::pipeline(settings).await?;
            let id = InterviewId::parse(id.trim())?;
            let Some(item) = services.store.get(&id).await? else {
                bail!("no interview {id}; `interviews list` shows the ones there are");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&item)?);
            } else {
                print!("{}", render::status(&item, services.now()));
            }
            Ok(())
        }
        Command::List { filter, limit, json } => {
            let (services, _) = backend::pipeline(settings).await?;
            let items = ops::select(&services, &filter, Some(limit)).await?;
            if json {
                for item in &items {
                    println!("{}", serde_json::to_string(item)?);
                }
            } else if items.is_empty() {
                println!("no interviews match: `interviews process <files>` adds some");
            } else {
                print!("{}", render::list(&items, services.now()));
            }
            Ok(())
        }
        Command::Retry {
            id,
            all_failed: _,
            force,
        } => {
            settings.require_state_machine()?;
            let (services, local) = backend::pipeline(settings).await?;
            let ids = match id {
                Some(id) => vec![InterviewId::parse(id.trim())?],
                None => {
                    let filter = ops::Filter {
                        status: Some(Status::Error),
                        ..Default::default()
                    };
                    let failed = ops::select(&services, &filter, None).await?;
                    failed
                        .into_iter()
                        .filter(|i| force || i.error.as_ref().is_some_and(|e| e.retryable))
                        .map(|i| i.id)
                        .collect()
                }
            };
            ops::retry(&services, local.as_deref(), &ids, force).await
        }
        Command::Speakers {
            id,
            assignments,
            replace,
        } => {
            if !assignments.is_empty() {
                settings.require_state_machine()?;
            }
            let (pipeline, local) = backend::pipeline(settings).await?;
            let id = InterviewId::parse(id.trim())?;
            speakers::speakers(&pipeline, local.as_deref(), &id, &assignments, replace).await
        }
        Command::Sweep { dry_run } => {
            let (services, local) = backend::pipeline(settings).await?;
            let report = interview_handlers::sweeper::sweep(&services, dry_run).await?;
            let verb = if dry_run { "would mark" } else { "marked" };
            println!(
                "examined {} live items; {verb} {} stale",
                report.examined,
                report.stale_ids.len()
            );
            for id in &report.stale_ids {
                println!("  {id}");
            }
            if let Some(local) = local {
                local.wait_idle().await;
            }
            Ok(())
        }
        Command::Serve { listen } => serve::serve(settings, listen).await,
        Command::Export { mut filter, format } => {
            let (services, _) = backend::pipeline(settings).await?;
            if filter.status.is_none() && filter.error_kind.is_none() {
                filter.status = Some(Status::Error);
            }
            let items = ops::select(&services, &filter, None).await?;
            print!("{}", ops::export(&items, format)?);
            Ok(())
        }
    }
}
