//! The Amazon States Language: the definition model and an in-process runner.

mod choice;
mod clock;
mod intrinsics;
mod path;
mod template;

pub use clock::{Clock, ScaledClock, SystemClock};
