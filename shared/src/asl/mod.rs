//! The Amazon States Language: the definition model and an in-process runner.

mod choice;
mod intrinsics;
mod path;
mod template;
