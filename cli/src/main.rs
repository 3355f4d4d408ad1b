//! `interviews`: the operator tool and the embedded runner of the interview pipeline.

mod drop;
mod render;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use interview::asl::SystemClock;
use interview::config::{Backend, Settings};
use interview::domain::{InterviewId, Status};
use interview::orchestrator::local::LocalOrchestrator;
use interview::ports::ListQuery;
use interview::services::Services;
use std::path::PathBuf;
use std::sync::Arc;

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
    #[arg(long, global = true, env = "INTERVIEWS_DATA_DIR", default_value = interview::config::DEFAULT_DATA_DIR)]
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
        /// Only interviews with this status (queued, processing, ready, error, deleted).
        #[arg(long)]
        status: Option<Status>,
        /// Include deleted interviews.
        #[arg(long)]
        all: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() {
    interview::telemetry::init_with_default("warn");
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
            let (services, orchestrator) = embedded(settings)?;
            let ok = drop::process(&services, &orchestrator, &files, &project).await?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Watch { dir, interval, once } => {
            let (services, orchestrator) = embedded(settings)?;
            drop::watch(
                &services,
                &orchestrator,
                &dir,
                std::time::Duration::from_secs_f64(interval.max(0.05)),
                once,
            )
            .await
        }
        Command::Status { id, json } => {
            let services = Services::from_settings(settings, "cli").await?;
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
        Command::List {
            status,
            all,
            limit,
            json,
        } => {
            let services = Services::from_settings(settings, "cli").await?;
            let items = services
                .store
                .list(&ListQuery {
                    status,
                    include_deleted: all,
                    limit: Some(limit),
                })
                .await?;
            if json {
                for item in &items {
                    println!("{}", serde_json::to_string(item)?);
                }
            } else if items.is_empty() {
                println!("no interviews yet: `interviews process <files>` adds some");
            } else {
                print!("{}", render::list(&items, services.now()));
            }
            Ok(())
        }
    }
}

fn embedded(settings: Settings) -> Result<(Arc<Services>, Arc<LocalOrchestrator>)> {
    if !matches!(settings.backend, Backend::Embedded { .. }) {
        bail!("`process` and `watch` run the embedded pipeline; with INTERVIEWS_BACKEND=aws upload to the bucket's uploads/ folder instead (e.g. `aws s3 cp FILE s3://BUCKET/uploads/PROJECT/`)");
    }
    Ok(Services::embedded(settings, Arc::new(SystemClock), "local")?)
}
