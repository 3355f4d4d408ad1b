//! Runner behaviour on small definitions: data flow, retry, catch, timeouts, waits, stop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::test_support::{fail, path_taken, retries, FakeInvoker, RecordingClock, Reply};
use super::*;

fn definition(value: Value) -> Arc<Definition> {
    Arc::new(Definition::from_json(&value.to_string(), &BTreeMap::new()).expect("test definition loads"))
}

fn runner(def: Value, invoker: &Arc<FakeInvoker>) -> Runner {
    let invoker: Arc<dyn TaskInvoker> = invoker.clone();
    Runner::new(definition(def), invoker, Arc::new(ScaledClock::new(1000.0)))
}

async fn run(def: Value, invoker: &Arc<FakeInvoker>, input: Value) -> Execution {
    runner(def, invoker).run("run-1", input, StopSignal::never()).await
}

fn single_task(task: Value) -> Value {
    let mut task = task;
    task["Type"] = json!("Task");
    task["Resource"] = json!("work");
    if task.get("Next").is_none() {
        task["End"] = json!(true);
    }
    json!({"StartAt": "Work", "States": {
        "Work": task,
        "Handler": {"Type": "Pass", "End": true},
        "Other": {"Type": "Pass", "Result": "other", "End": true}
    }})
}

#[tokio::test]
async fn data_flows_through_input_parameters_selector_result_and_output_paths() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Ok(json!({"status": "ok", "noise": 1}))]));
    let def = single_task(json!({
        "InputPath": "$.job",
        "Parameters": {
            "id.$": "$.id",
            "run.$": "$$.Execution.Name",
            "state.$": "$$.State.Name",
            "label.$": "States.Format('{}#{}', $.id, $$.State.RetryCount)",
            "fixed": "yes"
        },
        "ResultSelector": {"status.$": "$.status"},
        "ResultPath": "$.job.result",
        "OutputPath": "$.job"
    }));
    let exec = run(def, &invoker, json!({"job": {"id": "j1"}, "other": true})).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded, "{exec:?}");
    assert_eq!(
        invoker.calls_to("work"),
        vec![json!({"id": "j1", "run": "run-1", "state": "Work", "label": "j1#0", "fixed": "yes"})]
    );
    assert_eq!(exec.output, Some(json!({"id": "j1", "result": {"status": "ok"}})));
    assert_eq!(exec.transitions, 1);
    assert_eq!(exec.name, "run-1");
}

#[tokio::test]
async fn result_path_null_keeps_the_input_and_output_path_null_gives_an_empty_object() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Ok(json!("ignored"))]));
    let exec = run(single_task(json!({"ResultPath": null})), &invoker, json!({"a": 1})).await;
    assert_eq!(exec.output, Some(json!({"a": 1})));
    let exec = run(single_task(json!({"OutputPath": null})), &invoker, json!({"a": 1})).await;
    assert_eq!(exec.output, Some(json!({})));
    let exec = run(
        single_task(json!({"InputPath": null, "ResultPath": "$.r"})),
        &invoker,
        json!({"a": 1}),
    )
    .await;
    assert_eq!(invoker.calls_to("work").last(), Some(&json!({})));
    assert_eq!(exec.output, Some(json!({"a": 1, "r": "ignored"})));
}

#[tokio::test]
async fn pass_state_result_parameters_and_context() {
    let invoker = Arc::new(FakeInvoker::new());
    let def = json!({"StartAt": "P1", "States": {
        "P1": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.fixed", "Next": "P2"},
        "P2": {"Type": "Pass", "Parameters": {"input.$": "$$.Execution.Input", "list.$": "States.Array($.fixed.x, 'b')"},
               "ResultPath": "$.made", "Next": "P3"},
        "P3": {"Type": "Pass", "InputPath": "$.made", "End": true}
    }});
    let exec = run(def, &invoker, json!({"start": true})).await;
    assert_eq!(exec.output, Some(json!({"input": {"start": true}, "list": [1, "b"]})));
    assert_eq!(path_taken(&exec.history), vec!["P1", "P2", "P3"]);
}

#[tokio::test]
async fn retry_backs_off_and_caps_the_delay() {
    let invoker = Arc::new(FakeInvoker::new().script(
        "work",
        [
            fail("Transient"),
            fail("Transient"),
            fail("Transient"),
            fail("Transient"),
            Reply::Ok(json!(1)),
        ],
    ));
    let def = single_task(json!({"Retry": [{
        "ErrorEquals": ["Transient"], "IntervalSeconds": 2, "BackoffRate": 2.0, "MaxAttempts": 5, "MaxDelaySeconds": 5
    }]}));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    assert_eq!(
        retries(&exec.history),
        vec![(0, 1, 2000), (0, 2, 4000), (0, 3, 5000), (0, 4, 5000)]
    );
    assert_eq!(invoker.calls_to("work").len(), 5);
    // The four delays happened on the clock: at least 16 s of virtual time passed.
    assert!(exec.stopped_at - exec.started_at >= chrono::Duration::seconds(16));
}

#[tokio::test]
async fn each_retrier_counts_its_own_attempts() {
    let def = single_task(json!({"Retry": [
        {"ErrorEquals": ["A"], "IntervalSeconds": 1, "BackoffRate": 3.0, "MaxAttempts": 2},
        {"ErrorEquals": ["B"], "IntervalSeconds": 2, "MaxAttempts": 1}
    ]}));
    let invoker =
        Arc::new(FakeInvoker::new().script("work", [fail("A"), fail("B"), fail("A"), Reply::Ok(json!("done"))]));
    let exec = run(def.clone(), &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    assert_eq!(retries(&exec.history), vec![(0, 1, 1000), (1, 1, 2000), (0, 2, 3000)]);

    // A third `A` exhausts the first retrier; the second retrier does not take over.
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("A"), fail("A"), fail("A"), Reply::Ok(json!(1))]));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(exec.error.as_deref(), Some("A"));
    assert_eq!(exec.cause.as_deref(), Some("scripted A"));
    assert_eq!(invoker.calls_to("work").len(), 3);
}

#[tokio::test]
async fn retry_count_is_visible_in_the_context_object() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("E"), fail("E"), Reply::Ok(json!(1))]));
    let def = single_task(json!({
        "Parameters": {"n.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["E"]}]
    }));
    run(def, &invoker, json!({})).await;
    assert_eq!(
        invoker.calls_to("work"),
        vec![json!({"n": 0}), json!({"n": 1}), json!({"n": 2})]
    );
}

#[tokio::test]
async fn max_attempts_zero_never_retries() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("E")]));
    let def = single_task(json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 0}]}));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(retries(&exec.history).is_empty());
    assert_eq!(invoker.calls_to("work").len(), 1);
}

#[tokio::test]
async fn exhausted_retries_fall_through_to_catch_with_result_path() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("Transient")]));
    let def = single_task(json!({
        "Next": "Other",
        "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["Transient"], "ResultPath": "$.failure", "Next": "Handler"}]
    }));
    let exec = run(def, &invoker, json!({"keep": "me"})).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    assert_eq!(invoker.calls_to("work").len(), 3);
    assert_eq!(retries(&exec.history), vec![(0, 1, 1000), (0, 2, 2000)]);
    assert!(exec.history.contains(&HistoryEvent::Caught {
        state: "Work".into(),
        error: "Transient".into(),
        next: "Handler".into()
    }));
    assert_eq!(
        exec.output,
        Some(json!({"keep": "me", "failure": {"Error": "Transient", "Cause": "scripted Transient"}}))
    );
    assert_eq!(path_taken(&exec.history), vec!["Work", "Handler"]);
}

#[tokio::test]
async fn catch_result_path_defaults_to_replacing_the_input_and_null_keeps_it() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("Boom")]));
    let def = single_task(json!({"Next": "Other", "Catch": [{"ErrorEquals": ["Boom"], "Next": "Handler"}]}));
    let exec = run(def, &invoker, json!({"keep": "me"})).await;
    assert_eq!(exec.output, Some(json!({"Error": "Boom", "Cause": "scripted Boom"})));
    let def = single_task(
        json!({"Next": "Other", "Catch": [{"ErrorEquals": ["Boom"], "Next": "Handler", "ResultPath": null}]}),
    );
    let exec = run(def, &invoker, json!({"keep": "me"})).await;
    assert_eq!(exec.output, Some(json!({"keep": "me"})));
}

#[tokio::test]
async fn catchers_are_tried_in_order_and_unmatched_errors_fail_the_execution() {
    let def = single_task(json!({"Next": "Other", "Catch": [
        {"ErrorEquals": ["Specific"], "Next": "Other"},
        {"ErrorEquals": ["States.ALL"], "Next": "Handler"}
    ]}));
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("Specific")]));
    assert_eq!(run(def.clone(), &invoker, json!({})).await.output, Some(json!("other")));
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("Anything")]));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(path_taken(&exec.history), vec!["Work", "Handler"]);

    let def = single_task(json!({"Next": "Other", "Catch": [{"ErrorEquals": ["Specific"], "Next": "Other"}]}));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(exec.error.as_deref(), Some("Anything"));
}

#[tokio::test]
async fn states_all_does_not_catch_states_runtime() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Ok(json!({}))]));
    let def = single_task(json!({
        "Next": "Other",
        "Parameters": {"id.$": "$.interview_id"},
        "Retry": [{"ErrorEquals": ["States.ALL"]}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    }));
    let exec = run(def, &invoker, json!({"wrong": 1})).await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    let cause = exec.cause.unwrap_or_default();
    assert!(
        cause.contains("state `Work`") && cause.contains("$.interview_id"),
        "{cause}"
    );
    assert!(invoker.calls_to("work").is_empty());
    assert!(retries(&exec.history).is_empty());

    // The same after the task ran: a ResultSelector path that is not in the result.
    let def = single_task(json!({
        "ResultSelector": {"x.$": "$.absent"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    }));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(exec.cause.unwrap_or_default().contains("ResultSelector.x.$"));
}

#[tokio::test]
async fn output_and_result_path_failures_are_runtime_errors() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Ok(json!(1))]));
    let exec = run(single_task(json!({"OutputPath": "$.nope"})), &invoker, json!({})).await;
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(exec.cause.unwrap_or_default().contains("OutputPath"));
    let exec = run(
        single_task(json!({"ResultPath": "$.s.inner"})),
        &invoker,
        json!({"s": "text"}),
    )
    .await;
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(exec.cause.unwrap_or_default().contains("ResultPath"));
}

#[tokio::test]
async fn task_timeout_is_states_timeout_and_task_failed_does_not_match_it() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Hang]));
    let def = single_task(json!({
        "Next": "Other",
        "TimeoutSeconds": 1,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
        "Catch": [
            {"ErrorEquals": ["States.TaskFailed"], "Next": "Other"},
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "Handler"}
        ]
    }));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded, "{exec:?}");
    assert_eq!(invoker.calls_to("work").len(), 2);
    assert_eq!(retries(&exec.history), vec![(0, 1, 1000)]);
    assert_eq!(path_taken(&exec.history), vec!["Work", "Handler"]);
    assert_eq!(
        exec.output.as_ref().and_then(|o| o["timeout"]["Error"].as_str()),
        Some("States.Timeout")
    );
}

#[tokio::test]
async fn task_failed_matches_handler_errors() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [fail("InputError")]));
    let def =
        single_task(json!({"Next": "Other", "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handler"}]}));
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(path_taken(&exec.history), vec!["Work", "Handler"]);
}

#[tokio::test]
async fn execution_timeout_ends_as_timed_out() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Hang]));
    let mut def = single_task(json!({}));
    def["TimeoutSeconds"] = json!(2);
    let exec = run(def, &invoker, json!({})).await;
    assert_eq!(exec.status, ExecutionStatus::TimedOut);
    assert_eq!(exec.error.as_deref(), Some("States.Timeout"));
    assert!(exec.stopped_at - exec.started_at >= chrono::Duration::seconds(2));
    assert!(matches!(
        exec.history.last(),
        Some(HistoryEvent::ExecutionTimedOut { .. })
    ));
}

fn wait_definition() -> Value {
    json!({"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.wait_seconds", "Next": "Done"},
        "Done": {"Type": "Succeed"}
    }})
}

#[tokio::test]
async fn wait_seconds_path_is_honoured_on_the_clock() {
    let clock = RecordingClock::new();
    let runner = Runner::new(
        definition(wait_definition()),
        Arc::new(FakeInvoker::new()),
        clock.clone(),
    );
    let exec = runner.run("w", json!({"wait_seconds": 120}), StopSignal::never()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    assert_eq!(clock.completed_sleeps(), vec![Duration::from_secs(120)]);
    assert!(exec.stopped_at - exec.started_at >= chrono::Duration::seconds(120));
    assert!(exec.history.contains(&HistoryEvent::WaitStarted {
        state: "Wait".into(),
        delay_ms: 120_000
    }));

    let exec = runner.run("w0", json!({"wait_seconds": 0}), StopSignal::never()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    assert!(exec.history.contains(&HistoryEvent::WaitStarted {
        state: "Wait".into(),
        delay_ms: 0
    }));
    assert!(exec.stopped_at - exec.started_at < chrono::Duration::seconds(60));
}

#[tokio::test]
async fn wait_seconds_path_must_be_a_present_non_negative_integer() {
    let invoker = Arc::new(FakeInvoker::new());
    for input in [json!({}), json!({"wait_seconds": -1}), json!({"wait_seconds": "5"})] {
        let exec = run(wait_definition(), &invoker, input.clone()).await;
        assert_eq!(exec.error.as_deref(), Some("States.Runtime"), "{input}");
        assert!(exec.cause.unwrap_or_default().contains("SecondsPath"));
    }
}

#[tokio::test]
async fn wait_until_a_timestamp_uses_the_clock() {
    let clock = RecordingClock::new();
    let soon = clock.now() + chrono::Duration::seconds(300);
    let def = json!({"StartAt": "Past", "States": {
        "Past": {"Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "Next": "Later"},
        "Later": {"Type": "Wait", "TimestampPath": "$.at", "End": true}
    }});
    let runner = Runner::new(definition(def), Arc::new(FakeInvoker::new()), clock.clone());
    let at = soon.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let exec = runner.run("ts", json!({"at": at}), StopSignal::never()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    let sleeps = clock.completed_sleeps();
    assert_eq!(sleeps.first(), Some(&Duration::ZERO));
    let second = sleeps.get(1).copied().unwrap_or_default();
    assert!(
        second > Duration::from_secs(290) && second <= Duration::from_secs(300),
        "{second:?}"
    );
}

#[tokio::test]
async fn stop_aborts_a_running_task_and_a_wait() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Hang]));
    let runner = Arc::new(runner(single_task(json!({})), &invoker));
    let (handle, signal) = stop_signal();
    let running = tokio::spawn({
        let runner = Arc::clone(&runner);
        async move { runner.run("s1", json!({}), signal).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    handle.stop("Operator", "stopped by a test");
    let exec = tokio::time::timeout(Duration::from_secs(2), running)
        .await
        .expect("stops promptly")
        .expect("no panic");
    assert_eq!(exec.status, ExecutionStatus::Aborted);
    assert_eq!(exec.error.as_deref(), Some("Operator"));
    assert_eq!(exec.cause.as_deref(), Some("stopped by a test"));
    assert_eq!(invoker.calls_to("work").len(), 1);

    let def = json!({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let runner = Arc::new(runner_with(def));
    let (handle, signal) = stop_signal();
    let running = tokio::spawn({
        let runner = Arc::clone(&runner);
        async move { runner.run("s2", json!({}), signal).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    handle.stop("Operator", "again");
    let exec = tokio::time::timeout(Duration::from_secs(2), running)
        .await
        .expect("stops promptly")
        .expect("no panic");
    assert_eq!(exec.status, ExecutionStatus::Aborted);
    assert!(matches!(
        exec.history.last(),
        Some(HistoryEvent::ExecutionAborted { .. })
    ));
}

fn runner_with(def: Value) -> Runner {
    Runner::new(
        definition(def),
        Arc::new(FakeInvoker::new()),
        Arc::new(ScaledClock::new(1000.0)),
    )
}

#[tokio::test]
async fn a_stop_before_the_run_enters_no_state() {
    let (handle, signal) = stop_signal();
    handle.stop("Early", "before start");
    handle.stop("Late", "ignored: the first stop wins");
    assert!(signal.is_stopped());
    let exec = runner_with(wait_definition())
        .run("s3", json!({"wait_seconds": 1}), signal)
        .await;
    assert_eq!(exec.status, ExecutionStatus::Aborted);
    assert_eq!(exec.error.as_deref(), Some("Early"));
    assert_eq!(exec.transitions, 0);
}

#[tokio::test]
async fn a_dropped_handle_never_stops_the_run() {
    let (handle, signal) = stop_signal();
    drop(handle);
    let exec = runner_with(wait_definition())
        .run("s4", json!({"wait_seconds": 1}), signal)
        .await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
}

#[tokio::test]
async fn a_runaway_loop_hits_the_transition_guard() {
    let def = json!({"StartAt": "Ping", "States": {
        "Ping": {"Type": "Pass", "Next": "Pong"},
        "Pong": {"Type": "Pass", "Next": "Ping"}
    }});
    let exec = runner_with(def.clone())
        .with_max_transitions(50)
        .run("loop", json!({}), StopSignal::never())
        .await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(exec.cause.unwrap_or_default().contains("50 state transitions"));
    assert_eq!(exec.transitions, 50);

    let exec = runner_with(def).run("loop", json!({}), StopSignal::never()).await;
    assert_eq!(exec.transitions, DEFAULT_MAX_TRANSITIONS);
    assert!(exec.cause.unwrap_or_default().contains("25000 state transitions"));
}

#[tokio::test]
async fn choice_routes_defaults_and_fails_without_a_match() {
    let def = json!({"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.v", "Choices": [
            {"Variable": "$.v", "NumericGreaterThan": 10, "Next": "Big"},
            {"Variable": "$.v", "NumericLessThan": 0, "Next": "Negative"}
        ], "Default": "Small"},
        "Big": {"Type": "Succeed"},
        "Negative": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
        "Small": {"Type": "Succeed"}
    }});
    let exec = runner_with(def.clone())
        .run("c", json!({"in": {"v": 11}}), StopSignal::never())
        .await;
    assert_eq!(path_taken(&exec.history), vec!["Pick", "Big"]);
    assert_eq!(exec.output, Some(json!(11)));
    assert!(exec.history.contains(&HistoryEvent::ChoiceMade {
        state: "Pick".into(),
        rule: Some(0),
        next: "Big".into()
    }));
    let exec = runner_with(def.clone())
        .run("c", json!({"in": {"v": 5}}), StopSignal::never())
        .await;
    assert_eq!(path_taken(&exec.history), vec!["Pick", "Small"]);
    let exec = runner_with(def.clone())
        .run("c", json!({"in": {"v": -1}}), StopSignal::never())
        .await;
    assert_eq!(
        (exec.error.as_deref(), exec.cause.as_deref()),
        (Some("Negative"), Some("below zero"))
    );
    let exec = runner_with(def).run("c", json!({"in": {}}), StopSignal::never()).await;
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(exec.cause.unwrap_or_default().contains("`$.v`"));

    let no_default = json!({"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.v", "StringEquals": "x", "Next": "Done"}]},
        "Done": {"Type": "Succeed"}
    }});
    let exec = runner_with(no_default)
        .run("c", json!({"v": "y"}), StopSignal::never())
        .await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(exec.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[tokio::test]
async fn fail_state_reads_error_and_cause_from_the_input() {
    let def = json!({"StartAt": "F", "States": {
        "F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('because {}', $.why)"}
    }});
    let exec = runner_with(def.clone())
        .run("f", json!({"e": "Custom", "why": "reasons"}), StopSignal::never())
        .await;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(
        (exec.error.as_deref(), exec.cause.as_deref()),
        (Some("Custom"), Some("because reasons"))
    );
    let exec = runner_with(def)
        .run("f", json!({"why": "x"}), StopSignal::never())
        .await;
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));

    let bare = json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}});
    let exec = runner_with(bare).run("f", json!({}), StopSignal::never()).await;
    assert_eq!(
        (exec.status, exec.error, exec.cause),
        (ExecutionStatus::Failed, None, None)
    );
}

#[tokio::test]
async fn history_brackets_the_execution() {
    let invoker = Arc::new(FakeInvoker::new().script("work", [Reply::Ok(json!("r"))]));
    let exec = run(single_task(json!({})), &invoker, json!({"i": 1})).await;
    assert_eq!(
        exec.history.first(),
        Some(&HistoryEvent::ExecutionStarted { input: json!({"i": 1}) })
    );
    assert_eq!(
        exec.history.last(),
        Some(&HistoryEvent::ExecutionSucceeded { output: json!("r") })
    );
    assert!(exec.history.contains(&HistoryEvent::TaskScheduled {
        state: "Work".into(),
        resource: "work".into(),
        input: json!({"i": 1})
    }));
    let shown = serde_json::to_value(&exec).unwrap_or_default();
    assert_eq!(shown["status"], json!("SUCCEEDED"));
    assert_eq!(shown["history"][0]["type"], json!("ExecutionStarted"));
}

struct Panicker;

#[async_trait::async_trait]
impl TaskInvoker for Panicker {
    async fn invoke(&self, _resource: &str, _input: Value) -> Result<Value, TaskFailure> {
        std::panic::panic_any("handler exploded")
    }
}

#[tokio::test]
async fn a_panicking_handler_is_a_task_failure_not_a_crash() {
    let def =
        single_task(json!({"Next": "Other", "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handler"}]}));
    let runner = Runner::new(definition(def), Arc::new(Panicker), Arc::new(ScaledClock::new(1000.0)));
    let exec = runner.run("p", json!({}), StopSignal::never()).await;
    assert_eq!(path_taken(&exec.history), vec!["Work", "Handler"]);
    let failed = exec.history.iter().find_map(|e| match e {
        HistoryEvent::TaskFailed { cause, .. } => Some(cause.clone()),
        _ => None,
    });
    assert!(failed.unwrap_or_default().contains("handler exploded"));
}

/// Records every checkpoint; refuses once `owned` states have been entered (another process
/// took the execution over).
struct RecordingJournal {
    entered: std::sync::Mutex<Vec<crate::Checkpoint>>,
    owned: usize,
}

#[async_trait::async_trait]
impl crate::Journal for RecordingJournal {
    async fn entered(&self, execution: &str, checkpoint: &crate::Checkpoint) -> Result<(), crate::NotOwner> {
        let mut entered = self.entered.lock().unwrap();
        if entered.len() >= self.owned {
            return Err(crate::NotOwner(execution.to_string()));
        }
        entered.push(checkpoint.clone());
        Ok(())
    }
}

#[tokio::test]
async fn every_state_entered_is_journalled_before_it_runs_and_a_lost_lease_stops_the_run() {
    let journal = Arc::new(RecordingJournal {
        entered: Default::default(),
        owned: usize::MAX,
    });
    let runner = Runner::new(
        definition(wait_definition()),
        Arc::new(FakeInvoker::new()),
        RecordingClock::new(),
    )
    .with_journal(journal.clone());
    let exec = runner.run("j", json!({"wait_seconds": 5}), StopSignal::never()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    let states: Vec<String> = journal
        .entered
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.state.clone())
        .collect();
    assert_eq!(states, vec!["Wait", "Done"]);
    assert_eq!(journal.entered.lock().unwrap()[1].input, json!({"wait_seconds": 5}));

    let taken = Arc::new(RecordingJournal {
        entered: Default::default(),
        owned: 1,
    });
    let runner = Runner::new(
        definition(wait_definition()),
        Arc::new(FakeInvoker::new()),
        RecordingClock::new(),
    )
    .with_journal(taken.clone());
    let exec = runner.run("k", json!({"wait_seconds": 5}), StopSignal::never()).await;
    assert_eq!(
        (exec.status, exec.error.as_deref()),
        (ExecutionStatus::Aborted, Some(crate::NOT_OWNER))
    );
}

#[tokio::test]
async fn a_resumed_wait_waits_only_what_is_left_and_the_history_says_it_resumed() {
    let clock = RecordingClock::new();
    let runner = Runner::new(
        definition(wait_definition()),
        Arc::new(FakeInvoker::new()),
        clock.clone(),
    );
    let mut checkpoint = runner.start_checkpoint(json!({"wait_seconds": 120}));
    checkpoint.entered_at = clock.now() - chrono::Duration::seconds(100);
    checkpoint.started_at = checkpoint.entered_at;
    let exec = runner.resume("r", checkpoint, StopSignal::never()).await;
    assert_eq!(exec.status, ExecutionStatus::Succeeded);
    let sleeps = clock.completed_sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        sleeps[0] > Duration::from_secs(19) && sleeps[0] <= Duration::from_secs(20),
        "120 s owed, 100 s already waited: {sleeps:?}"
    );
    assert_eq!(
        exec.history.first(),
        Some(&HistoryEvent::ExecutionResumed { state: "Wait".into() })
    );
}

#[tokio::test]
async fn a_resumed_execution_keeps_its_original_timeout() {
    let clock = RecordingClock::new();
    let def = json!({"StartAt": "Wait", "TimeoutSeconds": 60, "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.wait_seconds", "Next": "Done"},
        "Done": {"Type": "Succeed"}
    }});
    let runner = Runner::new(definition(def), Arc::new(FakeInvoker::new()), clock.clone());
    let mut checkpoint = runner.start_checkpoint(json!({"wait_seconds": 30}));
    // Started 50 s ago, entered its 30 s wait 5 s ago: 10 s of the timeout are left.
    checkpoint.started_at = clock.now() - chrono::Duration::seconds(50);
    checkpoint.entered_at = clock.now() - chrono::Duration::seconds(5);
    let exec = runner.resume("t", checkpoint, StopSignal::never()).await;
    assert_eq!(exec.status, ExecutionStatus::TimedOut);
}
