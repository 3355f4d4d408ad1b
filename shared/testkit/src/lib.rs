//! Test support for the pipeline's crates, used only as a dev-dependency (no function links
//! it): the store contract suite every `ItemStore` adapter passes, metered adapters that count
//! store and bucket traffic, sample transcripts, and word error rate.
#![warn(missing_docs)]

pub mod analysis_fixtures;
pub mod api_speakers;
pub mod api_suite;
pub mod http;
pub mod media;
pub mod metered_blobs;
pub mod metered_store;
pub mod store_contract;
pub mod wer;

use interview_core::{domain, error, ports};
use interview_transcript as transcript;
