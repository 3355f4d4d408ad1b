//! Speech-to-text providers.
