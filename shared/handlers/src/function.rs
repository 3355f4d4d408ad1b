//! The deployable functions, as a type: a misnamed function fails to compile, and every table
//! that maps functions to crates, SAM resources, ASL placeholders or handlers is an exhaustive
//! `match` the compiler checks.

use std::fmt;
use std::str::FromStr;

/// One Lambda function of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    /// S3 notifications (through SQS) become items and runs.
    Ingest,
    /// Starts and checks transcription (state machine task).
    Transcribe,
    /// Finds evidence (state machine task).
    Extract,
    /// Analyses the evidence (state machine task).
    Analyze,
    /// Records a failure on the item (state machine Catch, and the execution-status backstop).
    MarkFailed,
    /// Ends stale items (EventBridge schedule).
    Sweeper,
    /// The HTTP API (API Gateway HTTP API, through `lambda_http`); not a state machine task.
    Api,
    /// Rebuilds a project's report (status-change events); not a state machine task.
    Report,
    /// The table's change stream becomes `Interview Status Changed` events (EventBridge Pipes
    /// enrichment); not a state machine task.
    Events,
    /// Posts status-change events (bus rule → SQS) to the deployment's webhook, signed; not a
    /// state machine task, and deployed only when the stack has a webhook URL.
    Webhook,
}

impl Function {
    /// Every function the product deploys. The infra consistency test checks this list against
    /// `functions/`, the SAM template and the ASL.
    pub const ALL: [Function; 10] = [
        Function::Ingest,
        Function::Transcribe,
        Function::Extract,
        Function::Analyze,
        Function::MarkFailed,
        Function::Sweeper,
        Function::Api,
        Function::Report,
        Function::Events,
        Function::Webhook,
    ];

    /// The crate directory under `functions/`, the binary name, and the worker recorded on items.
    pub fn name(self) -> &'static str {
        match self {
            Function::Ingest => "ingest",
            Function::Transcribe => "transcribe",
            Function::Extract => "extract",
            Function::Analyze => "analyze",
            Function::MarkFailed => "mark-failed",
            Function::Sweeper => "sweeper",
            Function::Api => "api",
            Function::Report => "report",
            Function::Events => "events",
            Function::Webhook => "webhook",
        }
    }

    /// The logical id of its `AWS::Serverless::Function` in `infra/template.yaml`.
    pub fn resource(self) -> &'static str {
        match self {
            Function::Ingest => "IngestFunction",
            Function::Transcribe => "TranscribeFunction",
            Function::Extract => "ExtractFunction",
            Function::Analyze => "AnalyzeFunction",
            Function::MarkFailed => "MarkFailedFunction",
            Function::Sweeper => "SweeperFunction",
            Function::Api => "ApiFunction",
            Function::Report => "ReportFunction",
            Function::Events => "EventsFunction",
            Function::Webhook => "WebhookFunction",
        }
    }

    /// The state machine task it serves, if the state machine calls it.
    pub fn task(self) -> Option<TaskFunction> {
        match self {
            Function::Transcribe => Some(TaskFunction::Transcribe),
            Function::Extract => Some(TaskFunction::Extract),
            Function::Analyze => Some(TaskFunction::Analyze),
            Function::MarkFailed => Some(TaskFunction::MarkFailed),
            Function::Ingest
            | Function::Sweeper
            | Function::Api
            | Function::Report
            | Function::Events
            | Function::Webhook => None,
        }
    }

    /// The `${…}` variable in the ASL that resolves to its ARN, if the state machine calls it.
    pub fn asl_variable(self) -> Option<&'static str> {
        self.task().map(TaskFunction::asl_variable)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the stack's functions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no function named `{0}` (expected ingest, transcribe, extract, analyze, mark-failed, sweeper, api, report, events or webhook)")]
pub struct UnknownFunction(pub String);

impl FromStr for Function {
    type Err = UnknownFunction;

    /// Reads a function name where one arrives as text: an ASL resource, a Lambda invoke URL.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Function::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFunction(s.to_string()))
    }
}

/// A function the state machine invokes as a Task: the only ones the local runner maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskFunction {
    /// `StartTranscription` and `CheckTranscription`.
    Transcribe,
    /// `Extract`.
    Extract,
    /// `Analyze`.
    Analyze,
    /// `MarkFailed`, after every Catch.
    MarkFailed,
}

impl TaskFunction {
    /// Every task function.
    pub const ALL: [TaskFunction; 4] = [
        TaskFunction::Transcribe,
        TaskFunction::Extract,
        TaskFunction::Analyze,
        TaskFunction::MarkFailed,
    ];

    /// The deployable function.
    pub fn function(self) -> Function {
        match self {
            TaskFunction::Transcribe => Function::Transcribe,
            TaskFunction::Extract => Function::Extract,
            TaskFunction::Analyze => Function::Analyze,
            TaskFunction::MarkFailed => Function::MarkFailed,
        }
    }

    /// The `${…}` variable in the ASL that resolves to the function's ARN.
    pub fn asl_variable(self) -> &'static str {
        match self {
            TaskFunction::Transcribe => "TranscribeFunctionArn",
            TaskFunction::Extract => "ExtractFunctionArn",
            TaskFunction::Analyze => "AnalyzeFunctionArn",
            TaskFunction::MarkFailed => "MarkFailedFunctionArn",
        }
    }
}

impl From<TaskFunction> for Function {
    fn from(task: TaskFunction) -> Self {
        task.function()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_names_are_refused() {
        for f in Function::ALL {
            assert_eq!(f.name().parse::<Function>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert!("mark_failed".parse::<Function>().is_err());
        assert!("".parse::<Function>().is_err());
    }

    #[test]
    fn exactly_the_state_machine_tasks_have_an_asl_variable() {
        let tasks: Vec<TaskFunction> = Function::ALL.into_iter().filter_map(Function::task).collect();
        assert_eq!(tasks, TaskFunction::ALL);
        for t in TaskFunction::ALL {
            assert_eq!(t.function().task(), Some(t));
            assert_eq!(t.function().asl_variable(), Some(t.asl_variable()));
        }
    }
}
