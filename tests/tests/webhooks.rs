//! The embedded webhook delivery against a receiver we did not write the verification of: a
//! Python server that refuses the first three requests, then verifies every signature with the
//! Standard Webhooks reference library (`scripts/webhooks.sh setup` installs it). Every event
//! of the outbox arrives, in order, signed; the delay from the status write to the request is
//! printed (no timing assertion).

use integration_tests::webhook_receiver::{Receiver, SECRET};
use interview_core::config::Settings;
use interview_core::events::{EventOutbox, InterviewStatusChanged};
use interview_core::s3_event::created_notification;
use interview_core::services::Services;
use interview_core::webhook::WebhookSettings;
use interview_core::SystemClock;
use interview_embedded::uploads::deliver_notification;
use interview_embedded::webhook::{Delivery, RetryPolicy};
use interview_embedded::{local_pipeline, Embedded};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
#[tokio::test]
async fn a_receiver_that_fails_three_times_still_gets_every_event_in_order_and_verifies_them() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(dir.path(), 3);
    let settings = Settings::embedded(dir.path().join("data"));
    let local = Embedded::open(&settings).unwrap();
    let services = Services::builder(settings.clone(), "local", local.store.clone(), local.blobs.clone())
        .transcriber(interview_speech::transcriber_for(&settings, local.blobs.clone(), None))
        .analyzer(interview_analysis::analyzer_for(&settings))
        .media(Arc::new(interview_speech::SymphoniaProbe))
        .build();
    let (pipeline, orchestrator) = local_pipeline(services, Arc::new(SystemClock)).unwrap();
    let outbox: Arc<dyn EventOutbox> = local.store.clone();
    let vars = [
        ("INTERVIEWS_WEBHOOK_URL".to_string(), receiver.url.clone()),
        ("INTERVIEWS_WEBHOOK_SECRET".to_string(), SECRET.to_string()),
    ];
    let webhook = WebhookSettings::from_vars(&vars.into_iter().collect())
        .unwrap()
        .unwrap();
    let policy = RetryPolicy {
        first_backoff: Duration::from_millis(50),
        idle_poll: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    let delivery = Delivery::start(outbox.clone(), webhook, policy).unwrap();

    let sample = std::fs::read(Path::new(ROOT).join("samples/bakery-scheduling.vtt")).unwrap();
    let files: [(&str, &[u8]); 3] = [
        ("uploads/acme/bakery.vtt", &sample),
        ("uploads/acme/empty.vtt", b""),
        ("uploads/beta/bakery-again.vtt", &sample),
    ];
    for (key, body) in files {
        let meta = pipeline.blobs.put(key, body.to_vec().into(), "text/vtt").await.unwrap();
        let event = created_notification(pipeline.blobs.bucket(), key, &meta.etag, meta.size, "0001");
        deliver_notification(&pipeline, event).await.unwrap();
    }
    orchestrator.wait_idle().await;
    let last = outbox.last_seq().await.unwrap();
    assert!(
        delivery.flush(last, Duration::from_secs(60)).await,
        "every event delivered within a minute"
    );
    // One more interview once the receiver is healthy and the queue empty: its events' delays
    // are the steady-state write-to-request delay.
    let later = "uploads/acme/later.vtt";
    let meta = pipeline
        .blobs
        .put(later, sample.clone().into(), "text/vtt")
        .await
        .unwrap();
    deliver_notification(
        &pipeline,
        created_notification(pipeline.blobs.bucket(), later, &meta.etag, meta.size, "0002"),
    )
    .await
    .unwrap();
    orchestrator.wait_idle().await;
    let written = outbox.after(0, 10_000).await.unwrap();
    let last = written.last().expect("events were written").seq;
    assert!(
        delivery.flush(last, Duration::from_secs(60)).await,
        "every event delivered within a minute"
    );
    delivery.stop().await;

    let records: Vec<serde_json::Value> = std::fs::read_to_string(&receiver.out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcome = |r: &serde_json::Value| r["outcome"].as_str().unwrap().to_string();
    assert_eq!(records.iter().take(3).map(outcome).collect::<Vec<_>>(), ["refused"; 3]);
    assert!(records.iter().skip(3).all(|r| outcome(r) == "verified"), "{records:?}");

    let mut seen = HashSet::new();
    let mut delivered = Vec::new();
    let mut delays_ms = Vec::new();
    for record in records.iter().skip(3) {
        let event: InterviewStatusChanged = serde_json::from_value(record["event"].clone()).unwrap();
        assert_eq!(record["webhook_id"].as_str(), Some(event.message_id().as_str()));
        if seen.insert((event.id.clone(), event.version)) {
            if event.key == later {
                let received = record["received_at"].as_f64().unwrap();
                delays_ms.push(received * 1000.0 - event.at.timestamp_micros() as f64 / 1000.0);
            }
            delivered.push(event);
        }
    }
    let want: Vec<InterviewStatusChanged> = written.into_iter().map(|e| e.event).collect();
    assert_eq!(delivered, want, "every event of the outbox, in write order");

    let ready = &want[0].id;
    let per_interview = want.iter().filter(|e| &e.id == ready).count();
    let transcript_line = "A spreadsheet and a group chat";
    assert!(!std::fs::read_to_string(&receiver.out)
        .unwrap()
        .contains(transcript_line));
    let steady = &mut delays_ms[..];
    assert_eq!(steady.len(), per_interview);
    steady.sort_by(f64::total_cmp);
    println!(
        "events per interview on the happy path: {per_interview}; write→webhook request delay (ms) over {} events: p50 {:.1}, max {:.1}",
        steady.len(),
        steady[steady.len() / 2],
        steady[steady.len() - 1]
    );
}
