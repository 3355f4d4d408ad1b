//! The set of adapters a handler works with, built once per process.
