//! Whole-file tests: detection plus parsing, encodings, the shipped samples and fixtures.

use super::*;

#[test]
fn placeholder_compiles() {
    assert!(is_transcript_name("a.vtt"));
}
