//! The Amazon States Language: the definition model and an in-process runner.
