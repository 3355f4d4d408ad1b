//! A project's report (`reports/<project>/project-report.json`), kept current by itself.
//!
//! [`rebuild`] is the whole job, and it is idempotent: it lists the project's ready
//! interviews, and when they are the ones the stored report was built from (the report's
//! `inputs`) it stops there; otherwise it reads their evidence (never their recordings), has
//! the [`interview_analysis::ProjectSynthesizer`] it is given group it (local clustering, or a
//! model with `ANALYZER=bedrock`), validates and stores the report. Because it compares against the state,
//! a trigger can be repeated, late or coalesced without harm: [`Coalescer`] runs it in-process
//! on the embedded backend after a burst settles; on AWS the `report` function runs it on
//! status-change events with a concurrency of one.
#![warn(missing_docs)]

mod coalesce;
pub mod lambda;
mod notify;
mod rebuild;

pub use coalesce::{Coalescer, CoalescerSettings, Notifier, RebuildStatus};
pub use notify::ChangeNotifyingStore;
pub use rebuild::{load_report, rebuild, Rebuilt, ReportError};
