//! The Amazon States Language: the definition model and an in-process runner.

mod intrinsics;
mod path;
mod template;
