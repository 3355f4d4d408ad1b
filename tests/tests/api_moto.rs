//! The API suite on moto through the real SDK: the `api` router with its AWS adapters
//! (DynamoDB, S3 presigned PUTs), a real PUT of the bytes to moto's S3, S3 → SQS
//! notifications received and handed to the ingest handler as the event source mapping does,
//! and the state machine in the in-process runner. Also the listing cost with 10,000 interviews.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration,
    S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use axum::body::Body;
use http_body_util::BodyExt;
use integration_tests::{moto_config, new_bucket, new_queue, new_table, unique_name};
use interview_api::{router, AppState, Auth};
use interview_asl::{Clock, ScaledClock};
use interview_aws::dynamodb::DynamoStore;
use interview_aws::s3::S3BlobStore;
use interview_aws::uploads::S3Uploads;
use interview_core::config::Settings;
use interview_core::listing::PageQuery;
use interview_core::ports::ItemStore;
use interview_core::services::Services;
use interview_embedded::local::LocalOrchestrator;
use interview_embedded::local_pipeline;
use interview_handlers::{ingest, Pipeline};
use interview_testkit::api_suite::{run_all, ApiTarget, Reply};
use interview_testkit::http::HttpClient;
use interview_testkit::store_contract::project_item;
use lambda_http::request::RequestContext;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tower::ServiceExt;

struct MotoApi {
    app: axum::Router,
    pipeline: Pipeline,
    orchestrator: Arc<LocalOrchestrator>,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    http: HttpClient,
    store: Arc<DynamoStore>,
}

/// The request context API Gateway's JWT authorizer hands lambda_http for an admin.
fn admin_context() -> RequestContext {
    let context = json!({
        "routeKey": "$default", "accountId": "123456789012", "stage": "$default", "requestId": "r",
        "apiId": "api", "domainName": "example", "domainPrefix": "example", "timeEpoch": 0,
        "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
        "authorizer": {"jwt": {"claims": {"sub": "admin", "cognito:groups": "[admin]"}, "scopes": null}}
    });
    RequestContext::ApiGatewayV2(serde_json::from_value(context).unwrap())
}

async fn moto_api() -> MotoApi {
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
        .unwrap();
    let prefix = FilterRule::builder()
        .name(FilterRuleName::Prefix)
        .value("uploads/")
        .build();
    let to_queue = QueueConfiguration::builder()
        .queue_arn(&queue_arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .events(Event::from("s3:ObjectRemoved:*"))
        .filter(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().filter_rules(prefix).build())
                .build(),
        )
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
    let store = Arc::new(DynamoStore::new(dynamodb, table));
    let blobs = Arc::new(S3BlobStore::new(s3.clone(), bucket.clone()));
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(10.0));
    let services = Services::builder(settings.clone(), "api-test", store.clone(), blobs.clone())
        .transcriber(interview_speech::transcriber_for(&settings, blobs.clone(), None))
        .analyzer(interview_analysis::analyzer_for(&settings))
        .media(Arc::new(interview_speech::SymphoniaProbe))
        .clock(clock.clone())
        .build();
    let (pipeline, orchestrator) = local_pipeline(services, clock).unwrap();
    let app = router(AppState {
        pipeline: pipeline.clone(),
        uploads: Arc::new(S3Uploads::new(s3, bucket)),
        auth: Auth::ApiGatewayJwt,
    });
    MotoApi {
        app,
        pipeline,
        orchestrator,
        sqs,
        queue_url,
        queue_arn,
        http: HttpClient::default(),
        store,
    }
}

#[async_trait]
impl ApiTarget for MotoApi {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let bytes = match body {
            Some(Value::String(raw)) => raw.into_bytes(),
            Some(value) => serde_json::to_vec(&value).unwrap(),
            None => Vec::new(),
        };
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(Body::from(bytes))
            .unwrap();
        request.extensions_mut().insert(admin_context());
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    async fn put(&self, url: &str, headers: &BTreeMap<String, String>, bytes: Vec<u8>) -> u16 {
        assert!(
            url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
            "size and type are signed: {url}"
        );
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.http.send("PUT", url, &headers, bytes).await.unwrap().status
    }

    async fn deliver(&self) {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for message in received.messages() {
            let body = message.body().unwrap_or_default();
            if !body.contains("s3:TestEvent") {
                let event = json!({"Records": [{
                    "messageId": message.message_id(), "receiptHandle": message.receipt_handle(),
                    "body": body, "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn, "awsRegion": integration_tests::REGION
                }]});
                let response = ingest::handle_sqs(&self.pipeline, serde_json::from_value(event).unwrap()).await;
                assert!(response.batch_item_failures.is_empty(), "ingest refused {body}");
            }
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }

    async fn settle(&self) {
        self.orchestrator.wait_idle().await;
    }
}

#[tokio::test]
async fn the_api_suite_passes_on_moto() {
    let api = moto_api().await;
    let passed = run_all(&api, &unique_name("acme")).await;
    assert_eq!(passed.len(), 6, "{passed:?}");
}

/// With 10,000 interviews in a project (written straight into the table), a page of 50 reads
/// 50 index entries in one request: DynamoDB's ScannedCount and consumed capacity say so.
#[tokio::test]
async fn a_page_of_50_reads_50_index_entries_among_10000() {
    let api = moto_api().await;
    let project = unique_name("big");
    let items: Vec<_> = (0..10_000)
        .map(|i| project_item(&project, &format!("i{i}"), i))
        .collect();
    let store = api.store.clone();
    let mut writers = tokio::task::JoinSet::new();
    for chunk in items.chunks(625) {
        let (store, chunk) = (store.clone(), chunk.to_vec());
        writers.spawn(async move {
            for item in &chunk {
                store.create(item).await.unwrap();
            }
        });
    }
    writers.join_all().await;

    let before = store.usage();
    let page = store.page(&PageQuery::project(&project, 50)).await.unwrap();
    let after = store.usage();
    assert_eq!(page.items.len(), 50);
    assert_eq!(page.items[0].id, items[0].id, "newest first");
    assert!(page.next.is_some());
    let (requests, examined) = (
        after.requests - before.requests,
        after.items_examined - before.items_examined,
    );
    let read_units = after.read_units - before.read_units;
    println!("page of 50 among 10,000: {requests} request(s), {examined} items examined, {read_units} read units");
    assert_eq!(requests, 1, "one index page");
    assert!(
        examined <= 50,
        "at most the page's items are read, not the project: {examined}"
    );

    let reply = api
        .call("GET", &format!("/v1/interviews?project={project}&limit=50"), None)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["items"].as_array().unwrap().len(), 50);
    let second = api
        .call(
            "GET",
            &format!(
                "/v1/interviews?project={project}&limit=50&cursor={}",
                reply.body["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(
        second.body["items"][0]["id"],
        items[50].id.as_str(),
        "the cursor continues where the page ended"
    );
}
