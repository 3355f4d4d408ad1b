//! The Amazon States Language: the definition model and an in-process runner.

mod choice;
mod clock;
mod definition;
mod error;
mod intrinsics;
mod path;
mod template;

pub use clock::{Clock, ScaledClock, SystemClock};
pub use definition::Definition;
pub use error::AslError;
