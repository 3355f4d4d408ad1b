//! The embedded default survives `kill -9`: the real `interviews watch` on a drop folder is
//! killed with SIGKILL at random moments (a fixed seed), restarted each time, and finally run
//! with `--once`. Every upload must then have exactly one interview, `ready` (or an input
//! error for the planted bad files) from its first run, with every listed result document in
//! the bucket, and the store must pass the invariant checker.

use integration_tests::invariants::{self, Report, World};
use interview_core::config::Settings;
use interview_core::domain::{ErrorKind, Interview, Status};
use interview_core::ports::{BlobStore, ItemStore, ListQuery};
use interview_embedded::Embedded;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 200;
const BAD_EVERY: usize = 10;
const KILLS: usize = 10;
const SEED: u64 = 0x2026_1205;

/// A small deterministic generator (xorshift64*): the same moments on every run.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        low + self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % (high - low)
    }
}

/// The `interviews` binary Cargo built beside this test.
fn binary() -> PathBuf {
    let mut dir = std::env::current_exe().expect("the test binary's path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("interviews");
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first",
        path.display()
    );
    path
}

fn watch(data: &Path, drop: &Path, log: &Path, once: bool) -> Child {
    let mut command = Command::new(binary());
    command
        .arg("watch")
        .arg(drop)
        .args(["--interval", "0.05"])
        .env("INTERVIEWS_DATA_DIR", data)
        .env("INTERVIEWS_LEASE_SECONDS", "1")
        .env_remove("INTERVIEWS_BACKEND")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"));
    if once {
        command.arg("--once");
    }
    command.spawn().expect("interviews starts")
}

fn planted_bad(i: usize) -> bool {
    i.is_multiple_of(BAD_EVERY)
}

fn write_drop_folder(drop: &Path) -> Vec<String> {
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/bakery-scheduling.txt"))
        .expect("the sample");
    let project = drop.join("acme");
    std::fs::create_dir_all(&project).unwrap();
    (0..FILES)
        .map(|i| {
            let name = format!("iv{i:03}.txt");
            let body = if planted_bad(i) {
                // A binary file: an input error at ingest.
                [0u8, 159, 146, 150, 0, 1, 2, 3].repeat(64)
            } else {
                format!("{sample}\nInterviewer: That was interview {i}, thank you.\n").into_bytes()
            };
            std::fs::write(project.join(&name), body).unwrap();
            format!("uploads/acme/{name}")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_killed_ten_times_still_ends_every_upload_once() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (data, drop) = (dir.path().join("data"), dir.path().join("drop"));
    let uploads = write_drop_folder(&drop);
    let mut moments = Moments(SEED);
    let mut resumed_lines = 0;
    for kill in 0..KILLS {
        let log = dir.path().join(format!("watch-{kill}.log"));
        let mut child = watch(&data, &drop, &log, false);
        tokio::time::sleep(Duration::from_millis(moments.next_ms(150, 1500))).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        resumed_lines += count_resumed(&log);
    }
    let log = dir.path().join("watch-final.log");
    let mut last = watch(&data, &drop, &log, true);
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = last.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = last.kill();
            panic!(
                "watch --once did not return within 180 s after {KILLS} kills:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    resumed_lines += count_resumed(&log);

    let settings = Settings::embedded(&data);
    let local = Embedded::open(&settings).unwrap();
    let items = local
        .store
        .list(&ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(items.len(), FILES, "exactly one interview per upload");
    let (mut ready, mut input_errors) = (0, 0);
    for item in &items {
        check_outcome(item, &uploads, &mut ready, &mut input_errors);
        assert_eq!(item.run_id.number(), 1, "{}: one run only", item.id);
        for key in [
            &item.artifacts.transcript,
            &item.artifacts.evidence,
            &item.artifacts.analysis,
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                local.blobs.head(key).await.unwrap().is_some(),
                "{}: {key} is listed but missing",
                item.id
            );
        }
    }
    assert_eq!((ready, input_errors), (FILES - FILES / BAD_EVERY, FILES / BAD_EVERY));

    let mut report = Report::new();
    let world = World {
        store: local.store.as_ref(),
        blobs: local.blobs.as_ref(),
        bucket: local.blobs.bucket(),
        uploads: &uploads,
        journal: &[],
        settings: &settings,
        now: chrono::Utc::now(),
        executions: None,
    };
    invariants::check(&world, &mut report).await;
    assert!(report.is_clean(), "{:#?}", report.violations);
    println!(
        "crash suite: {FILES} files ({} planted bad), {KILLS} SIGKILLs, {:.1} s; {ready} ready, {input_errors} input \
         errors, 0 other; {resumed_lines} restart(s) resumed executions; {} invariant checks, 0 violations",
        FILES / BAD_EVERY,
        started.elapsed().as_secs_f64(),
        report.checked
    );
}

fn check_outcome(item: &Interview, uploads: &[String], ready: &mut usize, input_errors: &mut usize) {
    let index = uploads
        .iter()
        .position(|k| *k == item.source.key)
        .expect("the interview comes from an upload");
    if planted_bad(index) {
        let error = item.error.as_ref().expect("a bad file ends in an error");
        assert_eq!(
            (item.status, error.kind),
            (Status::Error, ErrorKind::Input),
            "{}",
            item.id
        );
        *input_errors += 1;
    } else {
        assert_eq!(item.status, Status::Ready, "{}: {:?}", item.id, item.error);
        *ready += 1;
    }
}

fn count_resumed(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("resumed "))
        .count()
}
