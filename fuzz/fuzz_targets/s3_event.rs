//! S3 event notification decoding (the SQS message body ingest receives) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = std::str::from_utf8(data) {
        let _ = interview_core::s3_event::parse_notification(body);
    }
});
