//! The whole pipeline on moto's server through the real SDK clients: a file put in S3 raises
//! the bucket's notification, moto delivers it to SQS, the received message becomes the SQS
//! event the ingest Lambda gets, and the executions run over DynamoDB and S3. The state machine
//! runs in the in-process runner (the embedded mode's engine) and, as a cross-check, in moto's
//! own Step Functions engine, which calls our handlers through a stand-in Lambda Invoke API.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration,
    S3KeyFilter,
};
use aws_sdk_sfn::types::ExecutionStatus as SfnStatus;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use integration_tests::invoke::invoke;
use integration_tests::lambda_router::{Invocation, RouterSocket};
use integration_tests::{moto_config, new_bucket, new_queue, new_table, sdk_config, start_moto_server, unique_name};
use interview_analysis::analyzer_for;
use interview_analysis::{validate_analysis, validate_evidence, AnalysisDoc, EvidenceDoc};
use interview_asl::{Clock, ExecutionStatus, ScaledClock, SystemClock};
use interview_aws::dynamodb::DynamoStore;
use interview_aws::s3::S3BlobStore;
use interview_aws::stepfunctions::StepFunctionsOrchestrator;
use interview_core::config::Settings;
use interview_core::domain::{ErrorKind, Interview, InterviewId, Status, Step};
use interview_core::ports::{ItemStore, ListQuery};
use interview_core::s3_event::{parse_notification, Notification, ObjectChange};
use interview_core::services::Services;
use interview_embedded::local::{LocalOrchestrator, STATE_MACHINE_ASL};
use interview_embedded::local_pipeline;
use interview_handlers::{Function, Pipeline, TaskFunction};
use interview_speech::transcriber_for;
use interview_speech::SymphoniaProbe;
use interview_testkit::metered_store::MeteredStore;
use interview_transcript::Transcript;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/bakery-scheduling.vtt");

/// A transcript upload that passes ingest's sniffing (it is text) but cannot be read: its only
/// cue ends before it starts. The transcribe step fails on it with an input error, every time.
const CORRUPT_VTT: &[u8] = b"WEBVTT\n\n00:00:09.000 --> 00:00:02.000\nMaria: this cue ends before it starts\n";

/// A valid WAV header with no samples: sniffed as audio, so it goes to the speech engine.
fn silent_wav() -> Vec<u8> {
    integration_tests::faults::wav_bytes()
}

/// How much faster than real time the in-process runner's clock runs (see [`Cloud::local`]).
const LOCAL_CLOCK_SPEEDUP: f64 = 10.0;

/// moto's default account, which every ARN it makes carries.
const ACCOUNT: &str = "123456789012";

fn sample() -> Vec<u8> {
    std::fs::read(SAMPLE).unwrap()
}

/// A table, a bucket whose `uploads/` notifications go to a queue, and the adapters over them.
struct Cloud {
    s3: aws_sdk_s3::Client,
    bucket: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    dynamo: Arc<DynamoStore>,
    /// Counts the store calls the services make (the dynamo store counts requests and capacity).
    metered: Arc<MeteredStore>,
    blobs: Arc<S3BlobStore>,
    settings: Settings,
    /// The `s3:TestEvent` moto sent to the queue when the notification was configured.
    test_event: Message,
}

async fn cloud() -> Cloud {
    // Handler warnings (a failed message, a failed step) show in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .try_init();
    let config = moto_config().await;
    let (dynamodb, table) = new_table(&config).await;
    let (s3, bucket) = new_bucket(&config).await;
    let (sqs, queue_url) = new_queue(&config).await;
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("the queue has an ARN");
    let uploads_only = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("uploads/")
                        .build(),
                )
                .build(),
        )
        .build();
    let to_queue = QueueConfiguration::builder()
        .id("uploads-to-ingest")
        .queue_arn(&queue_arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .events(Event::from("s3:ObjectRemoved:*"))
        .filter(uploads_only)
        .build()
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(to_queue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let settings = Settings::from_vars(&HashMap::from([
        ("INTERVIEWS_BACKEND".to_string(), "aws".to_string()),
        ("TABLE_NAME".to_string(), table.clone()),
        ("BUCKET_NAME".to_string(), bucket.clone()),
    ]))
    .unwrap();
    let dynamo = Arc::new(DynamoStore::new(dynamodb, table));
    let mut cloud = Cloud {
        blobs: Arc::new(S3BlobStore::new(s3.clone(), bucket.clone())),
        s3,
        bucket,
        sqs,
        queue_url,
        queue_arn,
        metered: Arc::new(MeteredStore::new(dynamo.clone())),
        dynamo,
        settings,
        test_event: Message::builder().build(),
    };
    // Like S3, moto announces a new notification configuration with a test event.
    let first = cloud.receive(1).await.remove(0);
    assert_eq!(
        serde_json::from_str::<Value>(first.body().unwrap()).unwrap()["Event"],
        "s3:TestEvent",
        "moto sends s3:TestEvent when the notification is configured: {first:?}"
    );
    cloud
        .sqs
        .delete_message()
        .queue_url(&cloud.queue_url)
        .receipt_handle(first.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    cloud.test_event = first;
    cloud
}

impl Cloud {
    /// Services over this cloud, as a Lambda builds them at init.
    fn services(&self, clock: Arc<dyn Clock>) -> Arc<Services> {
        Services::builder(
            self.settings.clone(),
            "aws-pipeline-test",
            self.metered.clone(),
            self.blobs.clone(),
        )
        .transcriber(transcriber_for(&self.settings, self.blobs.clone(), None))
        .analyzer(analyzer_for(&self.settings))
        .media(Arc::new(SymphoniaProbe))
        .clock(clock)
        .build()
    }

    /// Services whose executions run in the in-process runner.
    ///
    /// The runner's clock scales every interval in the definition, task `TimeoutSeconds`
    /// included. The embedded tests run 1000× real time, but there a task is a few SQLite and
    /// file calls; here it is several HTTP calls to a moto shared with other test binaries, and
    /// at 1000× MarkFailed's 60 s would be 60 ms and a step's 900 s 0.9 s — under load a
    /// healthy task "times out" and the run fails for nothing (seen while writing these tests).
    /// 10× keeps 6 s and 90 s, and still shortens any retry delay (2 s → 0.2 s).
    fn local(&self) -> (Pipeline, Arc<LocalOrchestrator>) {
        let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(LOCAL_CLOCK_SPEEDUP));
        local_pipeline(self.services(clock.clone()), clock).unwrap()
    }

    /// Puts an object as a user would (plain S3 client, no adapter).
    async fn upload(&self, key: &str, body: &[u8]) -> InterviewId {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
        InterviewId::for_object(&self.bucket, key)
    }

    /// Receives exactly `n` messages (moto sends notifications while handling the request, so
    /// they are there at once; the deadline only bounds a failure).
    async fn receive(&self, n: usize) -> Vec<Message> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut messages = Vec::new();
        while messages.len() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} messages arrived: {messages:?}",
                messages.len()
            );
            let batch = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages((n - messages.len()).min(10) as i32)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .unwrap();
            messages.extend(batch.messages.unwrap_or_default());
        }
        messages
    }

    /// The event Lambda's SQS event source mapping hands the ingest function for `messages`.
    fn sqs_event(&self, messages: &[&Message]) -> Value {
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(name, value)| (name.as_str().to_string(), Value::from(value.as_str())))
                    .collect();
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": integration_tests::REGION,
                })
            })
            .collect();
        json!({ "Records": records })
    }

    /// Runs the ingest handler on one batch; the message ids it reports as failed.
    async fn deliver(&self, services: &Pipeline, messages: &[&Message]) -> Vec<String> {
        let response = invoke(services, Function::Ingest, self.sqs_event(messages))
            .await
            .unwrap();
        response["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect()
    }

    async fn item(&self, id: &InterviewId) -> Interview {
        self.dynamo.get(id).await.unwrap().expect("the interview has an item")
    }

    /// The keys under `results/<id>/`, listed with the plain S3 client.
    async fn results(&self, id: &InterviewId) -> Vec<String> {
        let out = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(id.results_prefix())
            .send()
            .await
            .unwrap();
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    }

    async fn object(&self, key: &str) -> Vec<u8> {
        let out = self.s3.get_object().bucket(&self.bucket).key(key).send().await.unwrap();
        out.body.collect().await.unwrap().into_bytes().to_vec()
    }
}

/// The object change a received notification announces (key decoded).
fn announced(message: &Message) -> (ObjectChange, String) {
    match parse_notification(message.body().unwrap()).unwrap() {
        Notification::Objects(events) => {
            assert_eq!(events.len(), 1, "{message:?}");
            (events[0].change, events[0].key.clone())
        }
        Notification::Test => panic!("a test event where an object event was expected"),
    }
}

#[tokio::test]
async fn an_upload_through_s3_and_sqs_ends_ready_in_seven_dynamodb_writes() {
    let cloud = cloud().await;
    let (services, orchestrator) = cloud.local();
    let key = "uploads/acme/bakery-scheduling.vtt";
    let id = cloud.upload(key, &sample()).await;
    let messages = cloud.receive(1).await;
    assert_eq!(announced(&messages[0]), (ObjectChange::Created, key.to_string()));
    println!("moto's notification body: {}", messages[0].body().unwrap());

    assert!(cloud.deliver(&services, &[&messages[0]]).await.is_empty());
    orchestrator.wait_idle().await;
    let (reads, writes, refused, queries, _) = cloud.metered.counters.snapshot();
    let usage = cloud.dynamo.usage();
    let (read_units, write_units) = cloud.dynamo.consumed_capacity();

    let item = cloud.item(&id).await;
    assert_eq!(
        (item.status, item.step, item.progress),
        (Status::Ready, Step::Done, 100),
        "{:?}",
        item.error
    );
    assert_eq!(item.source.key, key);
    assert_eq!(item.source.bucket, cloud.bucket);
    let outcome = orchestrator.outcome(&item.run_id).expect("the execution ended");
    assert_eq!(outcome.status, ExecutionStatus::Succeeded);

    let mut keys = cloud.results(&id).await;
    keys.sort();
    let prefix = format!("{}r1/", id.results_prefix());
    assert_eq!(
        keys,
        ["analysis.json", "evidence.json", "transcript.json"].map(|f| format!("{prefix}{f}")),
    );
    let transcript: Transcript =
        serde_json::from_slice(&cloud.object(&format!("{prefix}transcript.json")).await).unwrap();
    let evidence: EvidenceDoc = serde_json::from_slice(&cloud.object(&format!("{prefix}evidence.json")).await).unwrap();
    let analysis: AnalysisDoc = serde_json::from_slice(&cloud.object(&format!("{prefix}analysis.json")).await).unwrap();
    validate_evidence(&transcript, &evidence).unwrap();
    validate_analysis(&evidence, &analysis).unwrap();
    assert_eq!(
        item.artifacts.transcript.as_deref(),
        Some(&*format!("{prefix}transcript.json"))
    );
    assert!(item.counts.words > 100 && item.counts.evidence > 0, "{:?}", item.counts);

    println!(
        "one interview on DynamoDB (moto): {writes} writes ({refused} refused), {reads} reads, {queries} queries; \
         {} requests; consumed capacity reported: {write_units} WCU, {read_units} RCU",
        usage.requests
    );
    assert_eq!(
        writes, 7,
        "ingest claim + begin/finish for each of three steps, as on the embedded store"
    );
    assert_eq!(refused, 0);
    assert_eq!(
        usage.requests,
        reads + writes + refused,
        "DynamoDB saw exactly the store's gets and writes"
    );
}

#[tokio::test]
async fn the_same_sqs_message_delivered_three_times_is_one_interview_and_one_execution() {
    let cloud = cloud().await;
    let (services, orchestrator) = cloud.local();

    // Concurrently, while the item does not exist yet: one delivery creates it, the others
    // find it and at most restart the same execution name.
    let concurrent = cloud.upload("uploads/acme/concurrent.vtt", &sample()).await;
    let message = cloud.receive(1).await.remove(0);
    let batch = [&message];
    let (a, b, c) = tokio::join!(
        cloud.deliver(&services, &batch),
        cloud.deliver(&services, &batch),
        cloud.deliver(&services, &batch),
    );
    assert!(a.is_empty() && b.is_empty() && c.is_empty(), "{a:?} {b:?} {c:?}");
    orchestrator.wait_idle().await;
    let item = cloud.item(&concurrent).await;
    assert_eq!(
        (item.status, item.run_id.number()),
        (Status::Ready, 1),
        "{:?}",
        item.error
    );
    assert_eq!(orchestrator.started(), 1, "one execution");

    // Sequentially, as SQS redelivers: the first claims and starts, the rest are duplicates.
    let sequential = cloud.upload("uploads/acme/sequential.vtt", &sample()).await;
    let message = cloud.receive(1).await.remove(0);
    for _ in 0..3 {
        assert!(cloud.deliver(&services, &[&message]).await.is_empty());
    }
    orchestrator.wait_idle().await;
    assert!(
        cloud.deliver(&services, &[&message]).await.is_empty(),
        "a copy after the run ended is harmless too"
    );
    orchestrator.wait_idle().await;
    let item = cloud.item(&sequential).await;
    assert_eq!(
        (item.status, item.run_id.number()),
        (Status::Ready, 1),
        "{:?}",
        item.error
    );
    assert_eq!(
        orchestrator.started(),
        2,
        "one more execution, for the second interview only"
    );

    let all = cloud
        .dynamo
        .list(&ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "one item per interview");
}

#[tokio::test]
async fn a_malformed_message_fails_alone_and_s3_test_events_are_ignored() {
    let cloud = cloud().await;
    let (services, orchestrator) = cloud.local();
    let good = cloud.upload("uploads/acme/good.vtt", &sample()).await;
    cloud
        .sqs
        .send_message()
        .queue_url(&cloud.queue_url)
        .message_body("{not an S3 event")
        .send()
        .await
        .unwrap();
    let received = cloud.receive(2).await;
    let (malformed, notification): (Vec<&Message>, Vec<&Message>) =
        received.iter().partition(|m| m.body() == Some("{not an S3 event"));
    let malformed_id = malformed[0].message_id().unwrap().to_string();

    let failures = cloud
        .deliver(&services, &[&cloud.test_event, notification[0], malformed[0]])
        .await;
    assert_eq!(failures, vec![malformed_id], "only the malformed message fails");
    orchestrator.wait_idle().await;

    let all = cloud
        .dynamo
        .list(&ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        1,
        "nothing is written for the malformed message or the test event"
    );
    assert_eq!(all[0].id, good);
    assert_eq!(all[0].status, Status::Ready);
    assert_eq!(orchestrator.started(), 1);
}

#[tokio::test]
async fn odd_keys_survive_the_real_notification_encoding() {
    let cloud = cloud().await;
    let (services, orchestrator) = cloud.local();
    let keys = [
        "uploads/acme/Interview 3 + notes (ü).vtt",
        "uploads/日本/インタビュー.vtt",
        "uploads/acme/../../escape.vtt",
        "uploads/acme/100%.vtt",
        "uploads/acme/a+b=c%20d&e.vtt",
    ];
    for key in keys {
        cloud.upload(key, &sample()).await;
    }
    let messages = cloud.receive(keys.len()).await;
    let mut announced_keys: Vec<String> = messages.iter().map(|m| announced(m).1).collect();
    announced_keys.sort();
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(announced_keys, want, "every key decodes back exactly");

    let batch: Vec<&Message> = messages.iter().collect();
    assert!(cloud.deliver(&services, &batch).await.is_empty());
    orchestrator.wait_idle().await;
    for key in keys {
        let id = InterviewId::for_object(&cloud.bucket, key);
        let item = cloud.item(&id).await;
        assert_eq!(item.status, Status::Ready, "{key}: {:?}", item.error);
        assert_eq!(item.source.key, key);
        assert_eq!(cloud.results(&id).await.len(), 3, "{key}");
    }
    assert_eq!(orchestrator.started(), keys.len());
}

#[tokio::test]
async fn removing_the_upload_in_s3_marks_the_item_deleted_and_removes_its_results() {
    let cloud = cloud().await;
    let (services, orchestrator) = cloud.local();
    let key = "uploads/acme/gone soon.vtt";
    let id = cloud.upload(key, &sample()).await;
    let created = cloud.receive(1).await;
    assert!(cloud.deliver(&services, &[&created[0]]).await.is_empty());
    orchestrator.wait_idle().await;
    assert_eq!(cloud.item(&id).await.status, Status::Ready);
    assert_eq!(cloud.results(&id).await.len(), 3);

    cloud
        .s3
        .delete_object()
        .bucket(&cloud.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let removed = cloud.receive(1).await;
    assert_eq!(announced(&removed[0]), (ObjectChange::Removed, key.to_string()));
    assert!(cloud.deliver(&services, &[&removed[0]]).await.is_empty());

    let item = cloud.item(&id).await;
    assert_eq!(item.status, Status::Deleted);
    assert!(cloud.results(&id).await.is_empty(), "results/<id>/ is emptied");
    assert!(
        cloud.dynamo.list(&ListQuery::default()).await.unwrap().is_empty(),
        "the listing hides deleted interviews"
    );
    assert_eq!(orchestrator.started(), 1, "a removal starts nothing");
}

/// The ARN moto's engine is given for one of our functions.
fn lambda_arn(function: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{ACCOUNT}:function:{function}",
        integration_tests::REGION
    )
}

/// `infra/statemachine.asl.json` with its `${…FunctionArn}` variables resolved, as SAM does.
fn deployed_definition() -> String {
    let mut text = STATE_MACHINE_ASL.to_string();
    for task in TaskFunction::ALL {
        let variable = task.asl_variable();
        text = text.replace(&format!("${{{variable}}}"), &lambda_arn(task.function().name()));
    }
    assert!(!text.contains("${"), "every variable is resolved");
    text
}

/// The settings moto needs to execute state machines, with Lambda tasks sent to `MOTO_PORT`.
fn moto_sfn_config() -> Value {
    json!({ "stepfunctions": { "execute_state_machine": true }, "lambda": { "use_docker": false } })
}

fn local_status(status: &ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Succeeded => "SUCCEEDED",
        ExecutionStatus::Failed => "FAILED",
        ExecutionStatus::TimedOut => "TIMED_OUT",
        ExecutionStatus::Aborted => "ABORTED",
    }
}

/// Polls moto until the execution ends; its status and error.
async fn finished_execution(sfn: &aws_sdk_sfn::Client, arn: &str) -> (SfnStatus, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = sfn.describe_execution().execution_arn(arn).send().await.unwrap();
        if *out.status() != SfnStatus::Running {
            return (out.status().clone(), out.error().map(str::to_string));
        }
        assert!(Instant::now() < deadline, "{arn} still runs after 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What both engines must agree on about an interview.
fn essentials(item: &Interview) -> Value {
    json!({
        "status": item.status,
        "step": item.step,
        "progress": item.progress,
        "error": item.error.as_ref().map(|e| json!({ "step": e.step, "kind": e.kind, "message": e.message, "retryable": e.retryable })),
        "counts": item.counts,
        "attempts": item.steps.iter().map(|(step, r)| (step.to_string(), r.attempts)).collect::<HashMap<_, _>>(),
        "finished": item.steps.iter().map(|(step, r)| (step.to_string(), r.finished_at.is_some())).collect::<HashMap<_, _>>(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_step_functions_runs_the_same_asl_to_the_same_outcomes_as_the_local_runner() {
    let started = Instant::now();
    let cloud = cloud().await;
    let (local_services, local_orchestrator) = cloud.local();

    // A moto server of its own for Step Functions: the engine is a server-wide setting, and its
    // Lambda tasks go to localhost:$MOTO_PORT, which is our router.
    let socket = RouterSocket::bind().await.unwrap();
    let router_port = socket.port().to_string();
    let sfn_moto = start_moto_server(&[("MOTO_PORT", router_port.as_str())]).await;
    let applied = sfn_moto.set_config(&moto_sfn_config()).await.unwrap();
    // moto 5.2.5 applies the `stepfunctions` part but reports only `batch` and `lambda` back;
    // the executions below (not a canned SUCCEEDED) are what show the engine is on.
    assert_eq!(applied["lambda"]["use_docker"], false, "{applied}");
    let sfn = aws_sdk_sfn::Client::new(&sdk_config(sfn_moto.endpoint()).await);
    let machine = sfn
        .create_state_machine()
        .name(unique_name("interview-pipeline"))
        .definition(deployed_definition())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/interview-pipeline"))
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let sfn_services = Pipeline::new(
        cloud.services(Arc::new(SystemClock)),
        Arc::new(StepFunctionsOrchestrator::new(sfn.clone(), machine.clone())),
    );
    let router = socket.serve(sfn_services.clone());
    println!(
        "moto Step Functions at {} with MOTO_PORT={} (router); ready after {:?}",
        sfn_moto.endpoint(),
        router.port(),
        started.elapsed()
    );

    // A ready transcript; a corrupt one (InputError); a recording, which this build's AWS
    // transcriber refuses (ProviderError, not retried).
    let cases: [(&str, Vec<u8>); 3] = [
        ("happy", sample()),
        ("corrupt", CORRUPT_VTT.to_vec()),
        ("recording", silent_wav()),
    ];
    let key = |case: &str, engine: &str| {
        let extension = if case == "recording" { "wav" } else { "vtt" };
        format!("uploads/xcheck/{case}-{engine}.{extension}")
    };
    for (case, body) in &cases {
        for engine in ["local", "moto"] {
            cloud.upload(&key(case, engine), body).await;
        }
    }
    let messages = cloud.receive(cases.len() * 2).await;
    let (for_moto, for_local): (Vec<&Message>, Vec<&Message>) =
        messages.iter().partition(|m| announced(m).1.contains("-moto."));
    assert!(cloud.deliver(&local_services, &for_local).await.is_empty());
    // Ingest claims each item, then starts the execution on moto through the real adapter.
    assert!(cloud.deliver(&sfn_services, &for_moto).await.is_empty());
    local_orchestrator.wait_idle().await;

    for (case, _) in &cases {
        let local_item = cloud
            .item(&InterviewId::for_object(&cloud.bucket, &key(case, "local")))
            .await;
        let moto_item = cloud
            .item(&InterviewId::for_object(&cloud.bucket, &key(case, "moto")))
            .await;
        let local = local_orchestrator
            .outcome(&local_item.run_id)
            .expect("the local execution ended");

        let execution_arn = moto_item.execution_arn.clone().expect("ingest recorded the execution");
        assert_eq!(
            execution_arn,
            interview_aws::stepfunctions::execution_arn(&machine, moto_item.run_id.as_str()).unwrap()
        );
        let (moto_status, moto_error) = finished_execution(&sfn, &execution_arn).await;
        let moto_item = cloud.item(&moto_item.id).await;
        println!(
            "{case}: local runner {} {:?}, moto {} {:?}",
            local_status(&local.status),
            local.error,
            moto_status.as_str(),
            moto_error
        );
        assert_eq!(
            moto_status.as_str(),
            local_status(&local.status),
            "{case}: both engines end alike"
        );
        assert_eq!(moto_error, local.error, "{case}: with the same error");
        assert_eq!(
            essentials(&moto_item),
            essentials(&local_item),
            "{case}: the item ends the same in both engines"
        );

        let calls: Vec<Invocation> = router
            .calls()
            .into_iter()
            .filter(|c| c.payload["interview_id"] == moto_item.id.as_str())
            .collect();
        let sequence: Vec<(String, Option<String>)> =
            calls.iter().map(|c| (c.function.clone(), c.error.clone())).collect();
        match *case {
            "happy" => {
                assert_eq!(local.status, ExecutionStatus::Succeeded);
                assert_eq!(moto_item.status, Status::Ready, "{:?}", moto_item.error);
                assert_eq!(cloud.results(&moto_item.id).await.len(), 3);
                assert_eq!(
                    sequence,
                    [("transcribe", None), ("extract", None), ("analyze", None)]
                        .map(|(f, e): (&str, Option<String>)| (f.to_string(), e))
                );
            }
            "recording" => {
                assert_eq!(local.status, ExecutionStatus::Failed);
                for item in [&moto_item, &local_item] {
                    let error = item.error.as_ref().expect("the failure is recorded");
                    assert_eq!(
                        (item.status, error.kind, error.step),
                        (Status::Error, ErrorKind::Provider, Step::Transcribe),
                        "{error:?}"
                    );
                    assert!(error.message.contains("Amazon Transcribe"), "{}", error.message);
                }
                assert_eq!(
                    sequence,
                    vec![
                        ("transcribe".to_string(), Some("ProviderError".to_string())),
                        ("mark-failed".to_string(), None)
                    ],
                    "a permanent provider error is caught, not retried"
                );
            }
            _ => {
                assert_eq!(local.status, ExecutionStatus::Failed);
                for item in [&moto_item, &local_item] {
                    let error = item.error.as_ref().expect("the failure is recorded");
                    assert_eq!(
                        (item.status, error.kind, error.step, error.retryable),
                        (Status::Error, ErrorKind::Input, Step::Transcribe, false),
                        "{error:?}"
                    );
                    assert!(
                        error.message.contains("line 3") && error.message.contains("before it starts"),
                        "{}",
                        error.message
                    );
                }
                assert_eq!(
                    sequence,
                    vec![
                        ("transcribe".to_string(), Some("InputError".to_string())),
                        ("mark-failed".to_string(), None)
                    ],
                    "an input error is caught, not retried, and recorded by MarkFailed"
                );
                assert_eq!(
                    calls[1].payload["error"], "InputError",
                    "MarkFailed gets the Lambda error name"
                );
            }
        }
    }
    println!("cross-check took {:?}", started.elapsed());
}
