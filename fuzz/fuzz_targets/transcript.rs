//! Every transcript reader on arbitrary bytes. The first byte picks the entry point: 0 is
//! `parse_transcript` (decoding, `.docx`, detection, then the reader) with a file name picked
//! by the second byte; anything else is `parse_as` with the format it picks, on the rest as
//! text. Besides not panicking, a result must keep the readers' promises (sorted, finite,
//! non-negative times, `end >= start`, no empty text or speaker) and an error must say
//! something.
#![no_main]

use interview_transcript::{parse_as, parse_transcript, Transcript, TranscriptFormat};
use libfuzzer_sys::fuzz_target;

/// Names that steer detection's tie-breaks.
const NAMES: [&str; 7] = ["upload", "a.vtt", "a.srt", "a.txt", "a.json", "a.sbv", "a.docx"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let result = if selector == 0 {
        let Some((&name, bytes)) = rest.split_first() else {
            return;
        };
        parse_transcript(bytes, NAMES[usize::from(name) % NAMES.len()])
    } else {
        let format = TranscriptFormat::ALL[usize::from(selector) % TranscriptFormat::ALL.len()];
        parse_as(format, &String::from_utf8_lossy(rest))
    };
    match result {
        Ok(transcript) => check(&transcript),
        Err(err) => assert!(!err.message.is_empty(), "an error without a message: {err:?}"),
    }
});

/// The guarantees every reader documents.
fn check(t: &Transcript) {
    assert!(!t.segments.is_empty());
    for pair in t.segments.windows(2) {
        assert!(pair[0].start <= pair[1].start, "segments out of order");
    }
    for s in &t.segments {
        assert!(s.start.is_finite() && s.end.is_finite(), "a time is not finite");
        assert!(s.start >= 0.0 && s.end >= s.start, "bad times {} {}", s.start, s.end);
        assert!(!s.text.trim().is_empty(), "a segment without text");
        assert!(!s.speaker.is_empty(), "a segment without a speaker");
    }
}
