//! Logging setup: JSON in Lambda, pretty locally.
