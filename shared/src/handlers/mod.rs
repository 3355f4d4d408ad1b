//! Task handlers: the same functions behind each Lambda and the local runner.

/// One deployable function: where its crate lives, its SAM resource, and the ASL substitution
/// variable that names it in `infra/statemachine.asl.json` (if the state machine calls it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSpec {
    /// Crate directory under `functions/` and the binary name.
    pub name: &'static str,
    /// Logical id of the `AWS::Serverless::Function` in `infra/template.yaml`.
    pub resource: &'static str,
    /// `${…}` variable in the ASL that resolves to this function's ARN, if the state machine calls it.
    pub asl_variable: Option<&'static str>,
}

/// Every function the product deploys. The infra consistency test checks this list against
/// `functions/`, the SAM template and the ASL; the local runner maps the ASL variables with it.
pub const FUNCTIONS: [FunctionSpec; 6] = [
    FunctionSpec {
        name: "ingest",
        resource: "IngestFunction",
        asl_variable: None,
    },
    FunctionSpec {
        name: "transcribe",
        resource: "TranscribeFunction",
        asl_variable: Some("TranscribeFunctionArn"),
    },
    FunctionSpec {
        name: "extract",
        resource: "ExtractFunction",
        asl_variable: Some("ExtractFunctionArn"),
    },
    FunctionSpec {
        name: "analyze",
        resource: "AnalyzeFunction",
        asl_variable: Some("AnalyzeFunctionArn"),
    },
    FunctionSpec {
        name: "mark-failed",
        resource: "MarkFailedFunction",
        asl_variable: Some("MarkFailedFunctionArn"),
    },
    FunctionSpec {
        name: "sweeper",
        resource: "SweeperFunction",
        asl_variable: None,
    },
];
