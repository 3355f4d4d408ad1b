//! The template's status-event resources agree with the code and with each other (the part of
//! the infra consistency checks that concerns `docs/events.md`): the table streams both images,
//! the pipe reads that stream through the events function into the stack's bus with the source
//! and detail-type the code names, failed batches reach a dead-letter queue, errors (stale marks
//! included) reach the alarm topic, and the pipe's role may do exactly what the pipe does.

#[path = "common/cfn_yaml.rs"]
mod cfn_yaml;

use interview_core::domain::ErrorKind;
use interview_core::events::{DETAIL_TYPE, EVENT_SOURCE};
use interview_handlers::Function;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    cfn_yaml::parse(&std::fs::read_to_string(path).unwrap()).expect("the template parses")
}

fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// `!GetAtt A.B` and `!GetAtt [A, B]` as one shape.
fn normalised(value: &Value) -> Value {
    match value.get("Fn::GetAtt") {
        Some(Value::String(s)) => match s.split_once('.') {
            Some((r, a)) => get_att(r, a),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

fn statements(role: &Value) -> Vec<(BTreeSet<String>, Value)> {
    role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default())
        .map(|s| {
            let actions = match &s["Action"] {
                Value::String(a) => BTreeSet::from([a.clone()]),
                Value::Array(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => BTreeSet::new(),
            };
            (actions, normalised(&s["Resource"]))
        })
        .collect()
}

#[test]
fn the_stream_pipe_bus_dead_letters_and_alert_rule_are_wired_as_the_code_expects() {
    let template = template();
    let resources = &template["Resources"];
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_string());
        }
    };

    let table = &resources["InterviewsTable"]["Properties"];
    expect(
        table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES",
        "the table must stream NEW_AND_OLD_IMAGES: the events function compares the item before and after",
    );

    let bus = &resources["StatusEventsBus"];
    expect(
        bus["Type"] == "AWS::Events::EventBus",
        "StatusEventsBus must be an event bus",
    );

    let pipe = &resources["StatusEventsPipe"];
    let p = &pipe["Properties"];
    expect(pipe["Type"] == "AWS::Pipes::Pipe", "StatusEventsPipe must be a pipe");
    expect(
        normalised(&p["Source"]) == get_att("InterviewsTable", "StreamArn"),
        "the pipe reads the table's stream",
    );
    let enrichment = Function::Events.resource();
    expect(
        normalised(&p["Enrichment"]) == get_att(enrichment, "Arn"),
        "the pipe's enrichment is the events function",
    );
    expect(
        normalised(&p["Target"]) == get_att("StatusEventsBus", "Arn"),
        "the pipe targets the stack's bus",
    );
    let bus_params = &p["TargetParameters"]["EventBridgeEventBusParameters"];
    expect(
        bus_params["Source"] == EVENT_SOURCE,
        "the events' source is interview_core::events::EVENT_SOURCE",
    );
    expect(
        bus_params["DetailType"] == DETAIL_TYPE,
        "the events' detail-type is interview_core::events::DETAIL_TYPE",
    );
    let stream = &p["SourceParameters"]["DynamoDBStreamParameters"];
    expect(
        normalised(&stream["DeadLetterConfig"]["Arn"]) == get_att("StatusEventsDeadLetterQueue", "Arn"),
        "batches the pipe gives up on go to StatusEventsDeadLetterQueue",
    );
    expect(
        stream["MaximumRetryAttempts"].as_u64().is_some_and(|n| n > 0),
        "the pipe retries a failed batch before giving up",
    );
    let filter = p["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .unwrap_or_default();
    let filter: Value = serde_json::from_str(filter).unwrap_or_default();
    expect(
        filter == json!({"eventName": ["INSERT", "MODIFY"]}),
        "the pipe passes inserts and modifications (a REMOVE is no status change)",
    );

    let role = &resources["StatusEventsPipeRole"];
    let granted = statements(role);
    for (action, resource) in [
        ("dynamodb:GetRecords", get_att("InterviewsTable", "StreamArn")),
        ("dynamodb:GetShardIterator", get_att("InterviewsTable", "StreamArn")),
        ("dynamodb:DescribeStream", get_att("InterviewsTable", "StreamArn")),
        ("lambda:InvokeFunction", get_att(enrichment, "Arn")),
        ("events:PutEvents", get_att("StatusEventsBus", "Arn")),
        ("sqs:SendMessage", get_att("StatusEventsDeadLetterQueue", "Arn")),
    ] {
        let ok = granted
            .iter()
            .any(|(actions, r)| actions.contains(action) && r == &resource);
        expect(ok, &format!("the pipe's role must allow {action} on {resource}"));
    }
    let all_actions: BTreeSet<&String> = granted.iter().flat_map(|(a, _)| a).collect();
    expect(
        all_actions.iter().all(|a| {
            [
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:DescribeStream",
                "dynamodb:ListStreams",
                "lambda:InvokeFunction",
                "events:PutEvents",
                "sqs:SendMessage",
            ]
            .contains(&a.as_str())
        }),
        "the pipe's role grants nothing beyond what the pipe does",
    );
    expect(
        role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "pipes.amazonaws.com",
        "only EventBridge Pipes assumes the pipe's role",
    );

    let rule = &resources["ErrorEventsToAlarmTopicRule"];
    let r = &rule["Properties"];
    expect(
        rule["Condition"] == "HasAlarmTopic",
        "the alert rule exists only with an alarm topic",
    );
    expect(
        r["EventBusName"] == json!({"Ref": "StatusEventsBus"}),
        "the alert rule listens on the stack's bus",
    );
    expect(
        r["EventPattern"]
            == json!({"source": [EVENT_SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"status": ["error"]}}),
        "the alert rule matches every status event in error: failed steps and the sweeper's stale marks alike",
    );
    expect(
        r["Targets"][0]["Arn"] == json!({"Ref": "AlarmTopicArn"}),
        "the alert rule targets the stack's alarm topic",
    );
    // The sweeper's stale marks are errors of kind stale, so the pattern above covers them.
    expect(ErrorKind::ALL.contains(&ErrorKind::Stale), "stale marks are errors");

    let alarm = &resources["StatusEventsDeadLetterAlarm"]["Properties"];
    expect(
        alarm["Dimensions"][0]["Value"] == json!({"Fn::GetAtt": ["StatusEventsDeadLetterQueue", "QueueName"]})
            || alarm["Dimensions"][0]["Value"] == json!({"Fn::GetAtt": "StatusEventsDeadLetterQueue.QueueName"}),
        "an alarm watches the status events DLQ",
    );

    assert!(
        problems.is_empty(),
        "status event resources:\n  {}",
        problems.join("\n  ")
    );
}

/// The webhook path (docs/events.md): rule on the bus → queue (DLQ after 8 receives) → the
/// webhook function with partial batch responses, all only when `WebhookUrl` is set, and the
/// function's role may do exactly what the function does.
#[test]
fn the_webhook_rule_queue_function_and_dead_letters_are_wired_and_least_privilege() {
    use interview_core::webhook::URL_VAR;
    use interview_webhook::secret::SECRET_ARN_VAR;

    let template = template();
    let resources = &template["Resources"];
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    let function = Function::Webhook.resource();

    for (id, resource) in resources.as_object().unwrap() {
        if id.starts_with("Webhook") || id == "StatusEventsToWebhookRule" {
            expect(
                resource["Condition"] == "HasWebhook" || resource["Condition"] == "HasWebhookAndAlarmTopic",
                &format!("{id} exists only with a webhook URL (Condition HasWebhook)"),
            );
        }
    }
    expect(
        template["Conditions"]["HasWebhook"]
            == json!({"Fn::And": [
                {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebhookUrl"}, ""]}]},
                {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebhookSecretArn"}, ""]}]},
            ]}),
        "HasWebhook is `WebhookUrl` and `WebhookSecretArn` set",
    );

    let rule = &resources["StatusEventsToWebhookRule"]["Properties"];
    expect(
        rule["EventBusName"] == json!({"Ref": "StatusEventsBus"}),
        "the webhook rule listens on the stack's bus",
    );
    expect(
        rule["EventPattern"] == json!({"source": [EVENT_SOURCE], "detail-type": [DETAIL_TYPE]}),
        "the webhook rule matches every status event",
    );
    let target = &rule["Targets"][0];
    expect(
        normalised(&target["Arn"]) == get_att("WebhookQueue", "Arn"),
        "the webhook rule targets WebhookQueue",
    );
    expect(
        normalised(&target["DeadLetterConfig"]["Arn"]) == get_att("WebhookDeadLetterQueue", "Arn"),
        "events the rule cannot enqueue go to WebhookDeadLetterQueue",
    );

    let queue = &resources["WebhookQueue"]["Properties"];
    expect(
        normalised(&queue["RedrivePolicy"]["deadLetterTargetArn"]) == get_att("WebhookDeadLetterQueue", "Arn"),
        "the webhook queue redrives to WebhookDeadLetterQueue",
    );
    expect(
        queue["RedrivePolicy"]["maxReceiveCount"] == 8,
        "a message goes to the DLQ after 8 receives",
    );
    let f = &resources[function]["Properties"];
    let timeout = f["Timeout"].as_u64().unwrap_or(u64::MAX);
    expect(
        queue["VisibilityTimeout"].as_u64().is_some_and(|v| v >= timeout),
        "the queue's visibility timeout is at least the function's timeout (or a message in work reappears)",
    );

    let policy = &resources["WebhookQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let allowed = policy.as_array().into_iter().flatten().any(|s| {
        s["Effect"] == "Allow"
            && s["Principal"]["Service"] == "events.amazonaws.com"
            && s["Action"] == "sqs:SendMessage"
            && normalised(&s["Condition"]["ArnEquals"]["aws:SourceArn"]) == get_att("StatusEventsToWebhookRule", "Arn")
    });
    expect(
        allowed,
        "the queue policy lets EventBridge send only for StatusEventsToWebhookRule",
    );

    let vars = &f["Environment"]["Variables"];
    expect(
        vars[URL_VAR] == json!({"Ref": "WebhookUrl"}),
        "the function's URL variable is the WebhookUrl parameter",
    );
    expect(
        vars[SECRET_ARN_VAR] == json!({"Ref": "WebhookSecretArn"}),
        "the function's secret variable is the WebhookSecretArn parameter",
    );
    let source = &f["Events"]["StatusEvents"];
    expect(source["Type"] == "SQS", "the function is fed by SQS");
    let source = &source["Properties"];
    expect(
        normalised(&source["Queue"]) == get_att("WebhookQueue", "Arn"),
        "the function consumes WebhookQueue",
    );
    expect(
        source["FunctionResponseTypes"] == json!(["ReportBatchItemFailures"]),
        "a failed delivery fails only its message (ReportBatchItemFailures)",
    );
    let batch = source["BatchSize"].as_u64().unwrap_or(0);
    expect(
        (1..=10).contains(&batch) && batch * 5 < timeout,
        "a batch of 5 s requests fits the function's timeout",
    );

    let granted = statements(&resources["WebhookFunctionRole"]);
    for (action, resource) in [
        ("logs:PutLogEvents", get_att("WebhookLogGroup", "Arn")),
        ("sqs:ReceiveMessage", get_att("WebhookQueue", "Arn")),
        ("sqs:DeleteMessage", get_att("WebhookQueue", "Arn")),
        ("secretsmanager:GetSecretValue", json!({"Ref": "WebhookSecretArn"})),
    ] {
        let ok = granted
            .iter()
            .any(|(actions, r)| actions.contains(action) && r == &resource);
        expect(ok, &format!("the webhook role must allow {action} on {resource}"));
    }
    let all_actions: BTreeSet<&String> = granted.iter().flat_map(|(a, _)| a).collect();
    expect(
        all_actions.iter().all(|a| {
            [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "secretsmanager:GetSecretValue",
            ]
            .contains(&a.as_str())
        }),
        "the webhook role grants nothing beyond what the function does",
    );

    let alarm = &resources["WebhookDeadLetterAlarm"];
    expect(
        alarm["Condition"] == "HasWebhookAndAlarmTopic",
        "the webhook DLQ alarm exists with a webhook and an alarm topic",
    );
    expect(
        normalised(&alarm["Properties"]["Dimensions"][0]["Value"]) == get_att("WebhookDeadLetterQueue", "QueueName"),
        "an alarm watches the webhook DLQ",
    );

    assert!(problems.is_empty(), "webhook resources:\n  {}", problems.join("\n  "));
}
