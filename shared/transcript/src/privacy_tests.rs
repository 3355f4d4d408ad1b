//! Error messages are logged, put on events and shown in lists, so they must never carry
//! interview content: every reader is fed malformed files seeded with a canary string, which may
//! appear in the error's excerpt (kept only on the access-controlled item) and nowhere else.

use super::*;

/// Seeded into malformed files: it must never reach an error's message (which is logged and
/// shown in lists), only its excerpt.
const CANARY: &str = "CANARY-7Q3";

/// Malformed files for every reader, each with the canary where the reader trips.
fn files_with_a_canary() -> Vec<(TranscriptFormat, String)> {
    use TranscriptFormat::*;
    let c = CANARY;
    vec![
        (WebVtt, format!("{c} WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n")),
        (WebVtt, format!("WEBVTT\n\n00:01.000 --> {c}\nhi {c}\n")),
        (WebVtt, format!("WEBVTT\n\n00:04.000 --> 00:03.000\n{c}\n")),
        (Srt, format!("1\n00:00:01,000 --> {c}\n{c}\n")),
        (Srt, format!("{c}\n")),
        (PlainText, format!("{c} said hello\nRosa: hi\n")),
        (AmazonTranscribe, format!(r#"{{"results": "{c}"}}"#)),
        (
            AmazonTranscribe,
            format!(r#"{{"results": {{"items": [{{"type": "{c}", "alternatives": [{{"content": "{c}"}}]}}]}}}}"#),
        ),
        (
            AmazonTranscribe,
            format!(
                r#"{{"results": {{"items": [{{"type": "pronunciation", "start_time": "{c}", "end_time": "1", "alternatives": [{{"content": "{c}"}}]}}]}}}}"#
            ),
        ),
        (
            AmazonTranscribe,
            format!(r#"{{"results": {{"items": [{{"type": "pronunciation", "start_time": ["{c}"]}}]}}}}"#),
        ),
        (
            AmazonTranscribe,
            format!(r#"{{"results": {{"items": [{{"alternatives": "{c}" {c}"#),
        ),
        (AmazonTranscribe, format!(r#"{{"results": {{"language_code": "{c}"#)),
        (Canonical, format!(r#"{{"schema_version": "{c}", "segments": []}}"#)),
        (
            Canonical,
            format!(r#"{{"schema_version": 1, "source_format": "{c}", "segments": []}}"#),
        ),
        (
            Canonical,
            format!(r#"{{"schema_version": 1, "language": ["{c}"], "segments": []}}"#),
        ),
        (
            Canonical,
            format!(r#"{{"schema_version": 1, "notes": [["{c}"]], "segments": []}}"#),
        ),
        (Canonical, format!(r#"{{"schema_version": 1, "segments": ["{c}"]}}"#)),
        (
            Canonical,
            format!(
                r#"{{"schema_version": 1, "segments": [{{"speaker": ["{c}"], "start": 0, "end": 1, "text": "x"}}]}}"#
            ),
        ),
        (
            Canonical,
            format!(
                r#"{{"schema_version": 1, "segments": [{{"speaker": "A", "start": "{c}", "end": 1, "text": "x"}}]}}"#
            ),
        ),
        (
            Canonical,
            format!(
                r#"{{"schema_version": 1, "segments": [{{"speaker": "A", "start": 0, "end": 1, "text": {{"{c}": 1}}}}]}}"#
            ),
        ),
        (
            Canonical,
            format!(
                r#"{{"schema_version": 1, "segments": [{{"speaker": "A", "start": 0, "end": 1, "text": "x", "confidence": "{c}"}}]}}"#
            ),
        ),
        (Canonical, format!(r#"{{"schema_version": 1, "segments": [{c}]}}"#)),
        (ZoomVtt, format!("WEBVTT\n\n1\n{c} --> x\nAna Ruiz: {c}\n")),
        (ZoomText, format!("{c} has no heading\n")),
        (
            TeamsVtt,
            format!("WEBVTT\n\n3f1c2a9e-6c0b-4f2d-9a57-0d1b1c2a7e11/1-0\n0:0:1.0 --> {c}\n<v A>{c}</v>\n"),
        ),
        (TeamsDocx, format!("Title {c}\n{c}\n")),
        (OtterText, format!("{c}\n")),
        (GoogleMeetText, format!("Transcript\n00:00:00\n{c} is lower case\n")),
        (RevText, format!("{c}\n")),
        (
            RevJson,
            format!(r#"{{"monologues": [{{"elements": [{{"type": "text", "value": "{c}", "ts": "{c}"}}]}}]}}"#),
        ),
        (
            RevJson,
            format!(
                r#"{{"monologues": [{{"elements": [{{"type": "text", "value": "{c}", "ts": 2, "end_ts": 1}}]}}]}}"#
            ),
        ),
        (YoutubeSbv, format!("{c},x\nhi {c}\n")),
        (
            AssemblyAi,
            format!(r#"{{"utterances": [{{"speaker": "A", "start": "{c}", "end": 1, "text": "{c}"}}]}}"#),
        ),
        (
            Deepgram,
            format!(
                r#"{{"results": {{"channels": [{{"alternatives": [{{"words": [{{"word": "{c}", "start": -1, "end": 1}}]}}]}}]}}}}"#
            ),
        ),
        (
            WhisperJson,
            format!(r#"{{"segments": [{{"start": 2, "end": 1, "text": "{c}"}}]}}"#),
        ),
        (
            TranscribeCallAnalytics,
            format!(r#"{{"Transcript": [{{"Content": "{c}", "BeginOffsetMillis": "{c}", "EndOffsetMillis": 1}}]}}"#),
        ),
        (WordDocument, format!("{c}\n")),
    ]
}

#[test]
fn error_messages_never_quote_the_file() {
    for (format, text) in files_with_a_canary() {
        let err = parse_as(format, &text).expect_err(&text);
        let shown = err.to_string();
        assert!(!shown.contains(CANARY), "{format:?}: {shown}");
        assert!(!err.message.contains(CANARY), "{format:?}: {shown}");
        assert!(!err.no_text, "{format:?} should be malformed, not empty: {shown}");
        if let Some(excerpt) = &err.excerpt {
            assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1, "{excerpt}");
        }
    }
    // Through detection too, where the name picks the label.
    for (name, text) in [
        ("a.vtt", format!("WEBVTT\n\n00:01.000 --> {CANARY}\n{CANARY}\n")),
        (
            "a.json",
            format!(r#"{{"jobName": "{CANARY}", "results": {{"items": [{CANARY}"#),
        ),
    ] {
        let err = parse_transcript(text.as_bytes(), name).expect_err(name);
        assert!(!err.to_string().contains(CANARY), "{name}: {err}");
    }
}

#[test]
fn excerpts_point_at_the_offending_text() {
    let err = parse_as(TranscriptFormat::PlainText, &format!("{CANARY} said hello\nRosa: hi\n")).unwrap_err();
    assert_eq!(err.excerpt.as_deref(), Some("CANARY-7Q3 said hello"));
    let json = format!(
        r#"{{"schema_version": 1, "segments": [{{"speaker": "A", "start": "{CANARY}", "end": 1, "text": "x"}}]}}"#
    );
    let err = parse_as(TranscriptFormat::Canonical, &json).unwrap_err();
    assert_eq!(err.excerpt.as_deref(), Some("\"CANARY-7Q3\""));
    let err = parse_as(
        TranscriptFormat::AmazonTranscribe,
        &format!(r#"{{"results": "{CANARY}"}}"#),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "unexpected JSON shape (column 24): found a string, expected an object"
    );
    assert!(err.excerpt.as_deref().is_some_and(|e| e.contains(CANARY)));
}
