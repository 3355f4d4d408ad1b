//! One test per meeting-tool and speech-service export, on samples under
//! `tests/fixtures/formats/` (written for these tests in each tool's documented shape, not
//! downloaded): the format is found from the content alone, and speakers, times and texts are
//! what the file says.

use super::*;

/// A fixture's bytes.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/formats/", $name)).as_slice()
    };
}

/// Reads bytes under a name that says nothing about the format, so only the content decides.
fn read(bytes: &[u8]) -> Transcript {
    let t = parse_transcript(bytes, "upload").unwrap_or_else(|e| panic!("{e}"));
    for pair in t.segments.windows(2) {
        assert!(pair[0].start <= pair[1].start, "not sorted: {pair:?}");
    }
    t
}

/// (speaker, start, end, text) of each segment.
fn rows(t: &Transcript) -> Vec<(&str, f64, f64, &str)> {
    t.segments
        .iter()
        .map(|s| (s.speaker.as_str(), s.start, s.end, s.text.as_str()))
        .collect()
}

#[test]
fn zoom_vtt_names_with_suffixes_devices_and_continued_cues() {
    let t = read(fixture!("zoom.vtt"));
    assert_eq!(t.source_format, TranscriptFormat::ZoomVtt);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 1.14, 4.35, "Thanks for joining. How do you plan the week?"),
            ("Ben’s iPhone", 4.9, 8.01, "Honestly, on a whiteboard in the back room."),
            (
                "Ben’s iPhone",
                8.01,
                10.5,
                "It gets wiped by accident at least once a month."
            ),
            ("Li Wei", 11.0, 13.25, "And I copy it into a spreadsheet & a chat."),
        ]
    );
}

#[test]
fn zoom_text_times_are_relative_and_cross_midnight() {
    let t = read(fixture!("zoom.txt"));
    assert_eq!(t.source_format, TranscriptFormat::ZoomText);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 0.0, 6.0, "Thanks for joining. How do you plan the week?"),
            ("Ben’s iPhone", 6.0, 12.0, "On a whiteboard in the back room."),
            // Three words at 150 a minute after the last heading.
            ("Ana Ruiz", 12.0, 13.2, "What goes wrong?"),
        ]
    );
}

#[test]
fn teams_vtt_voices_unpadded_times_and_overlaps() {
    let t = read(fixture!("teams.vtt"));
    assert_eq!(t.source_format, TranscriptFormat::TeamsVtt);
    assert_eq!(
        rows(&t),
        vec![
            ("Priya Nair", 3.0, 6.48, "We deploy from main every day."),
            ("Marcus Lee", 6.2, 9.5, "Twice on Fridays,"),
            ("Marcus Lee", 9.5, 12.0, "which is when things break."),
        ]
    );
    assert!(t.warnings.is_empty());
}

#[test]
fn teams_docx_headings_turns_and_transcription_markers() {
    let t = read(fixture!("teams.docx"));
    assert_eq!(t.source_format, TranscriptFormat::TeamsDocx);
    assert_eq!(
        rows(&t),
        vec![
            ("Priya Nair", 4.0, 12.0, "We deploy from main every day."),
            (
                "Marcus Lee",
                12.0,
                65.0,
                "Twice on Fridays, which is when things break."
            ),
            ("Priya Nair", 65.0, 66.6, "What breaks & why?"),
        ]
    );
    assert_eq!(t.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(
        detect_format(fixture!("teams.docx"), "x"),
        Some(TranscriptFormat::TeamsDocx)
    );
}

#[test]
fn google_meet_text_marks_and_estimated_turns() {
    let t = read(fixture!("meet.txt"));
    assert_eq!(t.source_format, TranscriptFormat::GoogleMeetText);
    assert_eq!(
        rows(&t),
        vec![
            ("Priya Nair", 0.0, 1.6, "Thanks for making time."),
            ("Marcus Lee", 1.6, 5.0, "Sure, happy to help."),
            (
                "Priya Nair",
                5.0,
                9.4,
                "How often do you roll back? It used to be weekly."
            ),
            ("Marcus Lee", 9.4, 11.4, "Maybe once a month now."),
        ]
    );
    assert_eq!(
        t.notes,
        vec!["times of 2 of 4 turns are estimated from word count (they have no timestamp)"]
    );
}

#[test]
fn google_meet_docx() {
    let t = read(fixture!("meet.docx"));
    assert_eq!(t.source_format, TranscriptFormat::GoogleMeetDocx);
    assert_eq!(
        rows(&t),
        vec![
            ("Priya Nair", 0.0, 1.6, "Thanks for making time."),
            ("Marcus Lee", 1.6, 5.0, "Sure, happy to help."),
            ("Priya Nair", 5.0, 7.4, "How often do you roll back?"),
        ]
    );
}

#[test]
fn otter_text_headings_and_footer() {
    let t = read(fixture!("otter.txt"));
    assert_eq!(t.source_format, TranscriptFormat::OtterText);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 3.0, 9.0, "Thanks for joining. How do you plan the week?"),
            ("Ben Okafor", 9.0, 3723.0, "On a whiteboard, mostly."),
            ("Ana Ruiz", 3723.0, 3723.8, "Last question."),
        ]
    );
}

#[test]
fn otter_srt_names_open_the_cues() {
    // Written for the project after Otter's export with "Include speaker names" and automatic
    // line breaks on: CRLF, typed names with a suffix or a company, a cue that continues.
    let t = read(fixture!("otter.srt"));
    assert_eq!(t.source_format, TranscriptFormat::OtterSrt);
    assert_eq!(
        rows(&t),
        vec![
            (
                "Ana Ruiz (she/her)",
                3.12,
                6.48,
                "Thanks for joining. How do you plan the week?"
            ),
            ("Ben Okafor, Northwind", 9.01, 11.9, "On a whiteboard, mostly."),
            (
                "Ben Okafor, Northwind",
                12.3,
                15.05,
                "Honestly: it takes forever on Sundays."
            ),
            ("Ben Okafor, Northwind", 15.2, 17.0, "And then someone swaps."),
            ("Ana Ruiz (she/her)", 18.4, 20.1, "Last question."),
        ]
    );
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    // Read as plain SRT the typed names are not names: the suffix and comma fail the rule.
    let as_srt = parse_as(
        TranscriptFormat::Srt,
        std::str::from_utf8(fixture!("otter.srt")).unwrap(),
    )
    .unwrap();
    assert!(
        as_srt.speakers().iter().all(|s| !s.starts_with("Ana Ruiz")),
        "{:?}",
        as_srt.speakers()
    );
}

#[test]
fn otter_docx() {
    let t = read(fixture!("otter.docx"));
    assert_eq!(t.source_format, TranscriptFormat::OtterDocx);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 3.0, 9.0, "Thanks for joining."),
            ("Ben Okafor", 9.0, 10.6, "On a whiteboard, mostly."),
        ]
    );
}

#[test]
fn rev_text_headings_with_either_clock() {
    let t = read(fixture!("rev.txt"));
    assert_eq!(t.source_format, TranscriptFormat::RevText);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 3.0, 9.0, "Thanks for joining. How do you plan the week?"),
            ("Ben Okafor", 9.0, 65.0, "On a whiteboard in the back room."),
            ("Speaker 3", 65.0, 66.6, "Can I add something?"),
        ]
    );
}

#[test]
fn rev_json_monologues_of_elements() {
    let t = read(fixture!("rev.json"));
    assert_eq!(t.source_format, TranscriptFormat::RevJson);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 0.5, 1.0, "How often?"),
            ("Speaker 1", 1.4, 2.5, "Daily, mostly.")
        ]
    );
    assert_eq!(t.segments[0].confidence, Some(0.95));
}

#[test]
fn youtube_sbv() {
    let t = read(fixture!("youtube.sbv"));
    assert_eq!(t.source_format, TranscriptFormat::YoutubeSbv);
    assert_eq!(
        rows(&t),
        vec![
            ("Ana Ruiz", 1.14, 4.35, "Thanks for joining. How do you plan the week?"),
            ("Ben", 4.9, 8.01, "On a whiteboard."),
            ("Ben", 8.01, 10.5, "It gets wiped a lot."),
        ]
    );
}

#[test]
fn assemblyai_utterances_in_milliseconds_with_letter_speakers() {
    let t = read(fixture!("assemblyai.json"));
    assert_eq!(t.source_format, TranscriptFormat::AssemblyAi);
    assert_eq!(
        rows(&t),
        vec![
            ("Speaker A", 0.25, 1.98, "How do you plan the week?"),
            ("Speaker B", 2.3, 3.71, "On a whiteboard."),
        ]
    );
    assert_eq!(t.language.as_deref(), Some("en-US"));
}

#[test]
fn deepgram_utterances_and_diarized_words() {
    let t = read(fixture!("deepgram-utterances.json"));
    assert_eq!(t.source_format, TranscriptFormat::Deepgram);
    assert_eq!(
        rows(&t),
        vec![
            ("Speaker 0", 0.25, 1.98, "How do you plan the week?"),
            ("Speaker 1", 2.3, 3.71, "On a whiteboard."),
        ]
    );
    assert_eq!(t.language.as_deref(), Some("en"));
    let t = read(fixture!("deepgram-words.json"));
    assert_eq!(t.source_format, TranscriptFormat::Deepgram);
    assert_eq!(
        rows(&t),
        vec![
            ("Speaker 0", 0.5, 1.0, "How often?"),
            ("Speaker 1", 1.4, 2.5, "Daily, mostly.")
        ]
    );
}

#[test]
fn whisper_segments_with_and_without_speakers() {
    let t = read(fixture!("whisper.json"));
    assert_eq!(t.source_format, TranscriptFormat::WhisperJson);
    assert_eq!(
        rows(&t),
        vec![
            ("Speaker 1", 0.0, 2.2, "How do you plan the week?"),
            ("Speaker 1", 2.2, 3.9, "On a whiteboard."),
        ]
    );
    assert_eq!(t.language.as_deref(), Some("en"));
    assert_eq!(t.notes.len(), 1);
    let t = read(fixture!("whisperx.json"));
    assert_eq!(t.source_format, TranscriptFormat::WhisperJson);
    assert_eq!(
        rows(&t),
        vec![
            ("SPEAKER_00", 0.031, 2.2, "How do you plan the week?"),
            ("SPEAKER_01", 2.4, 3.9, "On a whiteboard."),
        ]
    );
    assert!(t.notes.is_empty());
}

#[test]
fn transcribe_call_analytics_roles() {
    let t = read(fixture!("call-analytics.json"));
    assert_eq!(t.source_format, TranscriptFormat::TranscribeCallAnalytics);
    assert_eq!(
        rows(&t),
        vec![
            ("Agent", 0.12, 1.8, "Thanks for calling, how can I help?"),
            ("Customer", 2.1, 3.95, "My order never arrived."),
        ]
    );
    assert_eq!(t.language.as_deref(), Some("en-US"));
    // The roles are the source's own, kept as declared roles (a person may still override).
    assert_eq!(
        t.declared(SpeakerRole::Interviewer),
        std::collections::BTreeSet::from(["Agent"])
    );
    assert_eq!(
        t.declared(SpeakerRole::Participant),
        std::collections::BTreeSet::from(["Customer"])
    );
}

#[test]
fn serialized_format_names_are_stable() {
    let names: Vec<String> = TranscriptFormat::ALL
        .iter()
        .map(|f| serde_json::to_value(f).unwrap().as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "amazon_transcribe",
            "web_vtt",
            "srt",
            "plain_text",
            "canonical",
            "speech",
            "zoom_vtt",
            "zoom_text",
            "teams_vtt",
            "teams_docx",
            "google_meet_text",
            "google_meet_docx",
            "otter_text",
            "otter_docx",
            "otter_srt",
            "rev_text",
            "rev_json",
            "youtube_sbv",
            "assembly_ai",
            "deepgram",
            "whisper_json",
            "transcribe_call_analytics",
            "word_document",
        ]
    );
}

#[test]
fn malformed_exports_name_the_format_and_the_line() {
    let cases: [(&[u8], &str); 6] = [
        (b"[Ana Ruiz] 10:00:00\nhi\n", "ok"),
        (b"Some title\n[Ana Ruiz] 10:00:00\nhi\n", "ok"),
        (
            b"WEBVTT\n\n1\n00:01.000 --> soon\nAna Ruiz: hi\n",
            "Zoom WebVTT, line 4: expected a cue timing like `00:00:01.000 --> 00:00:04.000`",
        ),
        (b"0:00:01.000,0:00:02.000\nhi\n\n0:00:09.000,later\nthere\n", "ok"),
        (
            b"0:00:01.000,0:00:02.000\n",
            "YouTube SBV: the file has no cues with text",
        ),
        (
            br#"{"monologues": [{"elements": [{"type": "text", "value": "x", "ts": 2, "end_ts": 1}]}]}"#,
            "Rev JSON: monologues[0].elements[0] ends (1) before it starts (2)",
        ),
    ];
    for (bytes, expected) in cases {
        match parse_transcript(bytes, "upload") {
            Ok(t) => assert_eq!(expected, "ok", "{t:?}"),
            Err(e) => assert_eq!(e.to_string(), expected),
        }
    }
    let sbv = parse_transcript(b"0:00:01.000,0:00:02.000\nhi\n\n0:00:09.000,later\nthere\n", "x").unwrap();
    assert_eq!(sbv.warnings, vec![Warning::at(4, WarningKind::SkippedCue)]);
    let zoom = parse_transcript(b"Some title\n[Ana Ruiz] 10:00:00\nhi\n", "x").unwrap();
    assert_eq!(zoom.source_format, TranscriptFormat::ZoomText);
    assert_eq!(zoom.warnings, vec![Warning::at(1, WarningKind::SkippedText)]);
}

#[test]
fn a_docx_that_is_no_known_export_is_refused_by_name() {
    let bytes = docx::tests::docx(&["Quarterly report", "Revenue grew."]);
    let err = parse_transcript(&bytes, "report.docx").unwrap_err();
    assert_eq!(err.format, TranscriptFormat::WordDocument);
    assert!(
        err.message
            .starts_with("the Word document is not a Teams, Google Meet or Otter.ai"),
        "{err}"
    );
}
