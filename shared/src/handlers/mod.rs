//! Task handlers: the same functions behind each Lambda and the local runner.
