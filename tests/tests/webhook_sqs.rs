//! The AWS webhook function's handler (`interview_webhook::sqs`) against the receiver that
//! verifies signatures with the Standard Webhooks reference library (`scripts/webhooks.sh
//! setup`): a failed POST fails only its message in the partial batch response, and its
//! redelivery arrives signed with the same webhook id. The signing secret is read from moto's
//! Secrets Manager through the real SDK.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use integration_tests::webhook_receiver::{Receiver, SECRET};
use interview_core::webhook::{WebhookSettings, SECRET_VAR, URL_VAR};
use interview_webhook::secret::{self, SecretError, SECRET_ARN_VAR};
use interview_webhook::{sqs, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

fn detail(id: &str, version: u64, status: &str) -> Value {
    json!({
        "schema_version": 1,
        "type": "interview.status_changed",
        "id": id,
        "project": "acme",
        "key": format!("uploads/acme/{id}.vtt"),
        "status": status,
        "step": "extract",
        "progress": 40,
        "error": null,
        "counts": { "words": 694, "speakers": 2, "evidence": 0, "themes": 0 },
        "run_id": format!("{id}-r1"),
        "version": version,
        "at": "2026-12-05T10:14:03.123456Z"
    })
}

/// An SQS message as the bus rule enqueues it: the whole EventBridge event as the body.
fn message(message_id: &str, detail: &Value) -> SqsMessage {
    let event = json!({
        "version": "0",
        "id": format!("eb-{message_id}"),
        "detail-type": "Interview Status Changed",
        "source": "interviews",
        "account": "123456789012",
        "time": "2026-12-05T10:14:04Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    });
    let mut message = SqsMessage::default();
    message.message_id = Some(message_id.to_string());
    message.body = Some(event.to_string());
    message
}

fn batch(messages: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages;
    event
}

fn sender(url: &str) -> Sender {
    let vars = HashMap::from([
        (URL_VAR.to_string(), url.to_string()),
        (SECRET_VAR.to_string(), SECRET.to_string()),
    ]);
    let settings = WebhookSettings::from_vars(&vars).unwrap().unwrap();
    Sender::new(settings, Duration::from_secs(5)).unwrap()
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn a_refused_message_is_a_batch_item_failure_and_its_redelivery_arrives_signed() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(dir.path(), 1);
    let sender = sender(&receiver.url);
    let details = [
        detail("iv-aaaaaaaaaaaaaaaaaaaaaaaa", 3, "processing"),
        detail("iv-bbbbbbbbbbbbbbbbbbbbbbbb", 1, "queued"),
        detail("iv-aaaaaaaaaaaaaaaaaaaaaaaa", 4, "ready"),
    ];
    let messages: Vec<SqsMessage> = details
        .iter()
        .enumerate()
        .map(|(n, d)| message(&format!("m{n}"), d))
        .collect();

    let response = sqs::handle(&sender, batch(messages.clone())).await;
    assert_eq!(failed_ids(&response), ["m0"], "only the refused message fails");
    let records = receiver.records();
    let outcomes: Vec<&str> = records.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["refused", "verified", "verified"]);
    for (record, detail) in records[1..].iter().zip(&details[1..]) {
        assert_eq!(&record["event"], detail, "the detail arrives as it was on the bus");
        assert_eq!(
            record["webhook_id"],
            format!("msg_{}_{}", detail["id"].as_str().unwrap(), detail["version"])
        );
    }

    // SQS redelivers the failed message alone after the visibility timeout.
    let response = sqs::handle(&sender, batch(vec![messages[0].clone()])).await;
    assert!(failed_ids(&response).is_empty(), "the redelivery is accepted");
    let records = receiver.records();
    assert_eq!(records.len(), 4);
    assert_eq!(records[3]["outcome"], "verified");
    assert_eq!(records[3]["event"], details[0]);
    assert_eq!(
        records[0]["webhook_id"], records[3]["webhook_id"],
        "every attempt carries the same webhook id, for de-duplication"
    );
    assert_eq!(records[3]["webhook_id"], "msg_iv-aaaaaaaaaaaaaaaaaaaaaaaa_3");
}

#[tokio::test]
async fn malformed_messages_fail_without_a_request_and_do_not_hold_back_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(dir.path(), 0);
    let sender = sender(&receiver.url);
    let good = detail("iv-cccccccccccccccccccccccc", 2, "processing");
    let mut not_json = SqsMessage::default();
    not_json.message_id = Some("not-json".into());
    not_json.body = Some("{\"detail\": ".into());
    let mut no_body = SqsMessage::default();
    no_body.message_id = Some("no-body".into());
    let mut other_type = message("other-type", &good);
    other_type.body = Some(
        other_type
            .body
            .unwrap()
            .replace("Interview Status Changed", "Something Else"),
    );
    let not_an_event = message("not-an-event", &json!({"id": "iv-x", "version": "seven"}));

    let response = sqs::handle(
        &sender,
        batch(vec![
            not_json,
            no_body,
            other_type,
            not_an_event,
            message("good", &good),
        ]),
    )
    .await;
    assert_eq!(
        failed_ids(&response),
        ["not-json", "no-body", "other-type", "not-an-event"]
    );
    let records = receiver.records();
    assert_eq!(records.len(), 1, "only the good message was posted");
    assert_eq!(records[0]["outcome"], "verified");
    assert_eq!(records[0]["event"], good);

    let error = sqs::deliver(&sender, "{\"detail\": ").await.unwrap_err();
    assert!(!error.is_retryable(), "a malformed message never gets better");
}

#[tokio::test]
async fn an_unreachable_webhook_fails_every_message_as_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    drop(listener);
    let sender = sender(&url);
    let body = message("m", &detail("iv-dddddddddddddddddddddddd", 1, "queued"))
        .body
        .unwrap();
    let error = sqs::deliver(&sender, &body).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
}

#[tokio::test]
async fn the_signing_secret_is_read_from_secrets_manager() {
    let config = integration_tests::moto_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let name = integration_tests::unique_name("webhook-secret");
    let arn = client
        .create_secret()
        .name(&name)
        .secret_string(SECRET)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let url = "https://hooks.example.com/interviews";
    let vars = HashMap::from([
        (URL_VAR.to_string(), url.to_string()),
        (SECRET_ARN_VAR.to_string(), arn.clone()),
    ]);
    let settings = secret::settings(&client, &vars).await.unwrap();
    let expected = WebhookSettings::from_vars(&HashMap::from([
        (URL_VAR.to_string(), url.to_string()),
        (SECRET_VAR.to_string(), SECRET.to_string()),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(settings, expected);

    let missing = HashMap::from([
        (URL_VAR.to_string(), url.to_string()),
        (SECRET_ARN_VAR.to_string(), format!("{arn}-gone")),
    ]);
    assert!(matches!(
        secret::settings(&client, &missing).await,
        Err(SecretError::Fetch(_))
    ));

    let binary_name = integration_tests::unique_name("webhook-binary");
    let binary_arn = client
        .create_secret()
        .name(&binary_name)
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(vec![1, 2, 3]))
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let binary = HashMap::from([
        (URL_VAR.to_string(), url.to_string()),
        (SECRET_ARN_VAR.to_string(), binary_arn),
    ]);
    assert!(matches!(
        secret::settings(&client, &binary).await,
        Err(SecretError::NotText)
    ));

    let weak_name = integration_tests::unique_name("webhook-weak");
    let weak_arn = client
        .create_secret()
        .name(&weak_name)
        .secret_string("hunter2")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let weak = HashMap::from([
        (URL_VAR.to_string(), url.to_string()),
        (SECRET_ARN_VAR.to_string(), weak_arn),
    ]);
    assert!(matches!(
        secret::settings(&client, &weak).await,
        Err(SecretError::Config(_))
    ));

    assert!(matches!(
        secret::settings(&client, &HashMap::from([(URL_VAR.to_string(), url.to_string())])).await,
        Err(SecretError::Missing(SECRET_ARN_VAR))
    ));
}

/// `events/webhook-sqs.json`, the sample for `cargo lambda invoke`, is what the bus rule
/// enqueues: both messages deliver and verify.
#[tokio::test]
async fn the_sample_event_for_cargo_lambda_delivers_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(dir.path(), 0);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/webhook-sqs.json");
    let event: SqsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let response = sqs::handle(&sender(&receiver.url), event).await;
    assert!(failed_ids(&response).is_empty(), "{response:?}");
    let ids: Vec<Value> = receiver
        .records()
        .iter()
        .map(|r| {
            assert_eq!(r["outcome"], "verified");
            r["webhook_id"].clone()
        })
        .collect();
    assert_eq!(
        ids,
        ["msg_iv-29fa89ca241c682d25361ea4_4", "msg_iv-29fa89ca241c682d25361ea4_9"]
    );
}
