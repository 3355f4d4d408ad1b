//! The ends of an interview's life on the embedded backend: deletion racing a step that is
//! still working (issue 9.5), recordings with no speech and transcripts with no words
//! (issue 9.4), and a sweep whose reads follow the live items only, however many have ended
//! (issue 7).

use integration_tests::faults::{
    sample_vtt, wav_bytes, Backend, BlobOp, Env, FakeOutcome, FakeTranscriber, Fault, Gate, ProviderCall, ProviderOp,
    Rule,
};
use integration_tests::invariants::Report;
use interview_core::domain::{ErrorKind, InterviewId, Status, Step};
use interview_core::ports::ListQuery;
use interview_handlers::retry::{retry, RetryRefused};
use interview_handlers::sweeper::sweep;
use interview_testkit::store_contract::sample_item;
use interview_transcript::{Segment, Transcript, TranscriptFormat};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "uploads/acme/interview.vtt";

async fn assert_clean(env: &Env) {
    let mut report = Report::new();
    env.check(&mut report).await;
    assert!(report.is_clean(), "invariant violations: {:#?}", report.violations);
    assert!(report.checked > 0);
}

#[tokio::test]
async fn a_step_that_outlives_its_deleted_upload_leaves_no_results() {
    let env = Env::new(Backend::Embedded, |_| {}).await;
    let gate = Gate::new();
    env.analyzer
        .script
        .add(Rule::new(Fault::Hold(gate.clone()), |c: &ProviderCall| {
            c.op == ProviderOp::Extract
        }));
    let (id, event) = env.upload(KEY, &sample_vtt()).await;
    env.ingest(&event).await.unwrap();
    gate.reached(1).await;
    env.remove(KEY).await.unwrap();
    env.wait_idle().await;
    assert_eq!(env.item(&id).await.unwrap().status, Status::Deleted);
    assert!(env.results(&id).await.is_empty(), "the removal deleted the transcript");

    // The stopped execution's extract was abandoned, not killed (as a Lambda is not killed by
    // StopExecution): it finishes its work, writes its document, and is refused by the item.
    gate.open();
    assert!(env.settle().await);
    let late_put = env
        .blobs
        .log()
        .into_iter()
        .find(|c| c.op == BlobOp::Put && c.ok && c.key.ends_with("/r1/evidence.json"));
    assert!(late_put.is_some(), "the late extract did write its document");
    assert_eq!(
        env.results(&id).await,
        Vec::<String>::new(),
        "and removed it again once the item refused it"
    );
    assert_eq!(env.item(&id).await.unwrap().status, Status::Deleted);
    assert_clean(&env).await;
}

// ---------------------------------------------------------------------------------------------
// Recordings with no speech, transcripts with no words (issue 9.4): one rule for both. An upload
// without words ends `error` with kind `input` at transcribe, not retried, with a message that
// says what was found and what to do, and nothing written for it.

/// A recording whose engine finds no speech: `Completed` with these segments, after `polls`
/// checks (0: the engine answers on start, as the in-process engines do).
async fn recording_with(polls: u32, segments: Vec<Segment>) -> (Env, InterviewId) {
    let silence = Transcript::new(TranscriptFormat::Speech, segments);
    let env = Env::new(Backend::Embedded, |o| {
        o.transcriber = Arc::new(FakeTranscriber::new(polls, FakeOutcome::Completed(silence)))
    })
    .await;
    let id = env.drop_file("uploads/acme/silent room.wav", &wav_bytes()).await;
    (env, id)
}

/// What every upload without words ends as; returns the error's message.
async fn expect_no_words_error(env: &Env, id: &InterviewId, what: &str) -> String {
    let item = env.item(id).await.unwrap();
    let error = item.error.clone().unwrap_or_else(|| panic!("{what}: {item:?}"));
    assert_eq!(
        (item.status, error.step, error.kind, error.retryable),
        (Status::Error, Step::Transcribe, ErrorKind::Input, false),
        "{what}: {error:?}"
    );
    // Not retried: one attempt, and no later step started.
    assert_eq!(item.steps[&Step::Transcribe].attempts, 1, "{what}: {:?}", item.steps);
    assert!(
        item.steps[&Step::Transcribe].finished_at.is_none(),
        "{what}: {:?}",
        item.steps
    );
    assert!(!item.steps.contains_key(&Step::Extract), "{what}: {:?}", item.steps);
    // Nothing written for it, nothing listed, no half-made counts, no stray note.
    assert_eq!(item.artifacts, Default::default(), "{what}");
    assert_eq!(item.counts, Default::default(), "{what}");
    assert_eq!(item.note, None, "{what}");
    assert!(env.results(id).await.is_empty(), "{what}: {:?}", env.results(id).await);
    // Where operators look: the error list (and so the failure report built from it).
    let failed = env
        .base_store
        .list(&ListQuery {
            status: Some(Status::Error),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(failed.iter().any(|i| &i.id == id), "{what}: not in the error list");
    // A retry cannot add words, so a plain retry is refused as for any input error.
    assert!(
        matches!(
            retry(&env.pipeline, id, false).await,
            Ok(Err(RetryRefused::InputError(_)))
        ),
        "{what}"
    );
    assert!(
        error.message.ends_with("then upload it again"),
        "{what}: the message says what to do: {}",
        error.message
    );
    error.message
}

#[tokio::test]
async fn a_recording_without_speech_ends_in_an_input_error() {
    let blank = Segment {
        speaker: "spk_0".into(),
        start: 0.0,
        end: 12.5,
        text: "  ".into(),
        confidence: Some(0.1),
    };
    for polls in [0, 1] {
        for segments in [Vec::new(), vec![blank.clone()]] {
            let what = format!("{polls} poll(s), {} blank segment(s)", segments.len());
            let (env, id) = recording_with(polls, segments).await;
            let message = expect_no_words_error(&env, &id, &what).await;
            // wav_bytes() is one second of 16 kHz mono silence; the length comes from its header.
            assert_eq!(
                message,
                "no speech was found in the recording (1 s of audio); check that the right file or microphone \
                 track was uploaded, then upload it again",
                "{what}"
            );
            assert_clean(&env).await;
        }
    }
}

#[tokio::test]
async fn a_transcript_file_with_no_words_ends_in_an_input_error() {
    let env = Env::new(Backend::Embedded, |_| {}).await;
    let files: [(&str, &[u8], &str); 8] = [
        (
            "cues without text.vtt",
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n",
            "WebVTT: the file has no cues with text",
        ),
        (
            "only a header.vtt",
            b"WEBVTT\n",
            "WebVTT: the file has no cues with text",
        ),
        (
            "cue without text.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\n\n",
            "SRT: the file has no cues with text",
        ),
        (
            "blank cues.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\n   \n\n2\n00:00:03,000 --> 00:00:04,000\n<i> </i>\n",
            "SRT: the file has no cues with text",
        ),
        ("blank lines.txt", b"  \n\n \n", "plain text: the transcript is empty"),
        (
            "speakers only.txt",
            b"Interviewer:\nMaria:\n",
            "plain text: the file has no `Speaker: text` lines with text",
        ),
        (
            "no items.json",
            br#"{"jobName":"j","status":"COMPLETED","results":{"transcripts":[{"transcript":""}],"items":[]}}"#,
            "Amazon Transcribe JSON: the output has no words (no items and no audio segments with text)",
        ),
        (
            "no segments.json",
            br#"{"schema_version":1,"segments":[]}"#,
            "transcript.json: the transcript has no segments with text",
        ),
    ];
    for (name, body, found) in files {
        let id = env.drop_file(&format!("uploads/acme/{name}"), body).await;
        let message = expect_no_words_error(&env, &id, name).await;
        assert_eq!(
            message,
            format!(
                "{found}, so there are no words to analyse; check that the right file was uploaded and that it \
                 holds the interview's text, then upload it again"
            ),
            "{name}"
        );
    }
    // A zero-byte file is refused earlier, by ingest, with its own message.
    let id = env.drop_file("uploads/acme/zero bytes.vtt", b"").await;
    let item = env.item(&id).await.unwrap();
    let error = item.error.unwrap();
    assert_eq!((error.kind, error.retryable), (ErrorKind::Input, false));
    assert!(
        error.message.starts_with("the file is empty (0 bytes)"),
        "{}",
        error.message
    );
    assert_clean(&env).await;
}

// ---------------------------------------------------------------------------------------------
// The sweeper's reads follow the live items, not the table (issue 7).

/// One dry sweep: what it cost in store calls (reads, writes, queries, items returned).
async fn dry_sweep_cost(env: &Env) -> (u64, u64, u64, u64, Duration) {
    let (r0, w0, _, q0, i0) = env.metered.counters.snapshot();
    let started = Instant::now();
    let report = sweep(&env.pipeline, true).await.unwrap();
    let took = started.elapsed();
    let (r1, w1, _, q1, i1) = env.metered.counters.snapshot();
    assert_eq!(report.stale_ids.len(), 6, "{report:?}");
    (r1 - r0, w1 - w0, q1 - q0, i1 - i0, took)
}

#[tokio::test]
async fn the_sweep_reads_only_live_items_however_many_have_ended() {
    let env = Env::new(Backend::Embedded, |o| {
        // Real time: writing thousands of items must not age the fresh ones past the threshold.
        o.speedup = 1.0;
        o.settings.stale_after = Duration::from_secs(600);
        o.settings.stale_after_transcribe = Duration::from_secs(600);
    })
    .await;
    let sqlite = env.sqlite.clone().unwrap();
    let now = env.services.now();
    let long_ago = now - chrono::Duration::hours(3);
    let make = |status: Status, step: Step, at| {
        let mut item = sample_item("sweep");
        item.status = status;
        item.step = step;
        item.updated_at = at;
        item
    };
    for n in 0..9 {
        let item = if n < 6 {
            make(Status::Processing, Step::Extract, long_ago)
        } else {
            make(Status::Queued, Step::Transcribe, now)
        };
        env.base_store.create(&item).await.unwrap();
    }
    assert_eq!(sqlite.live_index_size().await.unwrap(), 9);
    let small = dry_sweep_cost(&env).await;

    let terminal = 5_000;
    let started = Instant::now();
    for n in 0..terminal {
        let status = [Status::Ready, Status::Error, Status::Deleted][n % 3];
        env.base_store
            .create(&make(status, Step::Done, long_ago))
            .await
            .unwrap();
    }
    println!(
        "wrote {terminal} terminal items in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        sqlite.live_index_size().await.unwrap(),
        9,
        "terminal items are not in the sweeper's index"
    );
    let big = dry_sweep_cost(&env).await;
    println!(
        "dry sweep with 9 live items: {:?} (reads, writes, queries, items returned) in {:?}; \
         with {terminal} terminal items more: {:?} in {:?}",
        (small.0, small.1, small.2, small.3),
        small.4,
        (big.0, big.1, big.2, big.3),
        big.4
    );
    assert_eq!(
        (small.0, small.1, small.2, small.3),
        (0, 0, 1, 6),
        "one index query returning the six stale live items"
    );
    assert_eq!(
        (big.0, big.1, big.2, big.3),
        (small.0, small.1, small.2, small.3),
        "{terminal} terminal items change nothing about the sweep's reads"
    );

    let (r0, w0, _, q0, i0) = env.metered.counters.snapshot();
    let report = sweep(&env.pipeline, false).await.unwrap();
    let (r1, w1, _, q1, i1) = env.metered.counters.snapshot();
    assert_eq!(report.marked_stale, 6);
    assert_eq!(
        (r1 - r0, w1 - w0, q1 - q0, i1 - i0),
        (6, 6, 1, 6),
        "one query, then a read and a write per stale item"
    );
    assert_eq!(sqlite.live_index_size().await.unwrap(), 3, "ended items left the index");
}

/// Deleting the upload removes the only interview content the item may hold (issue 21): the
/// error's excerpt, on both backends' stores.
#[tokio::test]
async fn deleting_the_upload_removes_the_error_excerpt_from_the_item() {
    let env = Env::new(Backend::Embedded, |_| {}).await;
    let key = "uploads/acme/notes.bin";
    let id = env.drop_file(key, b"%PDF-1.7\nJane Doe, SSN 123-45-6789").await;
    let before = env.item(&id).await.unwrap();
    assert_eq!(before.status, Status::Error, "{before:?}");
    interview_core::domain::update::update_item(env.base_store.as_ref(), &id, None, chrono::Utc::now, |item| {
        item.error = item
            .error
            .take()
            .map(|e| e.with_excerpt(Some("Jane Doe, SSN 123-45-6789")));
        Ok(interview_core::domain::update::Change::Write)
    })
    .await
    .unwrap();
    assert!(env.item(&id).await.unwrap().error.unwrap().excerpt.is_some());

    env.remove(key).await.unwrap();
    let after = env.item(&id).await.unwrap();
    assert_eq!(after.status, Status::Deleted);
    let error = after
        .error
        .as_ref()
        .expect("the error's kind and message stay for the record");
    assert_eq!(error.excerpt, None);
    let stored = serde_json::to_string(&after).unwrap();
    assert!(!stored.contains("123-45-6789"), "{stored}");
}
