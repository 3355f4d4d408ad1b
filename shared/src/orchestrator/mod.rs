//! Orchestrators: Step Functions and the in-process ASL runner.

pub mod local;
pub mod stepfunctions;
