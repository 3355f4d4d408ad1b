//! Evidence extraction and analysis: the result schemas, their validation, and the analyzers.

mod extract;
mod lexicon;
mod model;
mod text;

pub use model::*;
