//! Evidence extraction and analysis: the result schemas, their validation, and the analyzers.

mod model;

pub use model::*;
