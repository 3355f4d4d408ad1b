//! Orchestrators: Step Functions and the in-process ASL runner.

pub mod stepfunctions;
