//! Media intake: the real type of an upload, sniffed from its first bytes.
