//! The upload sniffer on arbitrary bytes: it reads the first bytes of every upload.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = interview_transcript::media::sniff(data);
});
