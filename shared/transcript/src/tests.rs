//! Whole-file tests: detection plus parsing, encodings, the shipped samples and fixtures.

use std::fmt::Write as _;
use std::time::Instant;

use super::*;

const BAKERY_VTT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../samples/bakery-scheduling.vtt"
));
const BAKERY_TXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../samples/bakery-scheduling.txt"
));
const PLATFORM_SRT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../samples/platform-team-deploys.srt"
));
const TRANSCRIBE_TWO_SPEAKERS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/transcribe-two-speakers.json"
));
const TRANSCRIBE_AUDIO_SEGMENTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/transcribe-audio-segments.json"
));

/// The segment whose text contains `quote`, panicking with the quote if there is none.
fn segment_with<'a>(t: &'a Transcript, quote: &str) -> &'a Segment {
    t.segments
        .iter()
        .find(|s| s.text.contains(quote))
        .unwrap_or_else(|| panic!("no segment contains {quote:?}"))
}

/// Properties every reader guarantees.
fn assert_well_formed(t: &Transcript) {
    assert_eq!(t.schema_version, TRANSCRIPT_SCHEMA_VERSION);
    for pair in t.segments.windows(2) {
        assert!(pair[0].start <= pair[1].start, "not sorted: {pair:?}");
    }
    for s in &t.segments {
        assert!(s.start.is_finite() && s.start >= 0.0 && s.end >= s.start, "{s:?}");
        assert!(!s.text.trim().is_empty() && !s.speaker.is_empty(), "{s:?}");
    }
}

#[test]
fn bakery_sample_as_webvtt() {
    let t = parse_transcript(BAKERY_VTT.as_bytes(), "bakery-scheduling.vtt").unwrap();
    assert_well_formed(&t);
    assert_eq!(t.source_format, TranscriptFormat::WebVtt);
    assert_eq!(t.language.as_deref(), Some("en-US"));
    assert_eq!(t.speakers(), vec!["Interviewer", "Rosa Delgado"]);
    assert_eq!(t.segments.len(), 64);
    assert_eq!((t.segments[0].start, t.segments[0].end), (1.2, 2.914));
    assert_eq!(t.segments[0].text, "Thanks for making time, Rosa.");
    let last = t.segments.last().unwrap();
    assert_eq!((last.start, last.end), (256.837, 261.98));
    let quote = segment_with(&t, "flat forty a month");
    assert_eq!(quote.speaker, "Rosa Delgado");
    assert_eq!(
        quote.text,
        "I'd pay a flat forty a month if it gives me my Sunday back."
    );
    assert_eq!(
        segment_with(&t, "I own Crumb").text,
        "Sure. I own Crumb & Cup, a neighbourhood bakery with a small café."
    );
    assert!(t.notes.is_empty());
}

#[test]
fn bakery_sample_as_plain_text() {
    let t = parse_transcript(BAKERY_TXT.as_bytes(), "bakery-scheduling.txt").unwrap();
    assert_well_formed(&t);
    assert_eq!(t.source_format, TranscriptFormat::PlainText);
    assert_eq!(t.speakers(), vec!["Interviewer", "Rosa Delgado"]);
    assert_eq!(t.segments.len(), 40);
    assert_eq!((t.segments[0].start, t.segments[0].end), (1.0, 7.0));
    let last = t.segments.last().unwrap();
    // 17 words at 150 words per minute after the last timestamp.
    assert_eq!((last.start, last.end), (256.0, 262.8));
    let quote = segment_with(&t, "stop living in it");
    assert_eq!(quote.speaker, "Rosa Delgado");
    assert_eq!(quote.start, 172.0);
    assert_eq!(
        t.notes,
        vec!["ignored header lines before the first speaker turn (lines 1, 2)"]
    );
}

#[test]
fn both_bakery_samples_tell_the_same_interview() {
    let vtt = parse_transcript(BAKERY_VTT.as_bytes(), "a.vtt").unwrap();
    let txt = parse_transcript(BAKERY_TXT.as_bytes(), "a.txt").unwrap();
    assert_eq!(vtt.word_count(), txt.word_count());
    assert_eq!(vtt.word_count(), 694);
}

#[test]
fn platform_sample_as_srt() {
    let t = parse_transcript(PLATFORM_SRT.as_bytes(), "platform-team-deploys.srt").unwrap();
    assert_well_formed(&t);
    assert_eq!(t.source_format, TranscriptFormat::Srt);
    assert_eq!(t.speakers(), vec!["Interviewer", "Priya", "Marcus"]);
    assert_eq!(t.segments.len(), 27);
    assert_eq!((t.segments[0].start, t.segments[0].end), (0.8, 2.212));
    let last = t.segments.last().unwrap();
    assert_eq!(
        (last.start, last.end, last.speaker.as_str()),
        (110.824, 114.354, "Priya")
    );
    assert_eq!(last.text, "Then I'd like a trial on two services next sprint.");
    // A cue without a prefix keeps the speaker of the cue before it.
    let rollback = segment_with(&t, "Rolling back is manual");
    assert_eq!(rollback.speaker, "Marcus");
    assert_eq!(
        segment_with(&t, "Seriously").text,
        "If Marcus sleeps through the night for a month. Seriously."
    );
}

#[test]
fn transcribe_fixture_with_speaker_labels() {
    let t = parse_transcript(TRANSCRIBE_TWO_SPEAKERS.as_bytes(), "clinic.json").unwrap();
    assert_well_formed(&t);
    assert_eq!(t.source_format, TranscriptFormat::AmazonTranscribe);
    assert_eq!(t.language, None);
    assert_eq!(t.speakers(), vec!["spk_0", "spk_1"]);
    assert_eq!(t.segments.len(), 10);
    assert_eq!((t.segments[0].start, t.segments[0].end), (0.54, 4.711));
    assert_eq!(
        t.segments[0].text,
        "Thanks for joining. How do patients confirm appointments today?"
    );
    assert_eq!(t.segments.last().unwrap().end, 57.33);
    let quote = segment_with(&t, "no shows");
    assert_eq!(quote.speaker, "spk_1");
    assert_eq!(
        quote.text,
        "We lose the slot. Last month we had 31 no shows, which is roughly $4,000 in chair time."
    );
    assert!(t
        .segments
        .iter()
        .all(|s| s.confidence.is_some_and(|c| (0.0..=1.0).contains(&c))));
    assert!(t.notes.is_empty());
}

#[test]
fn transcribe_fixture_with_audio_segments() {
    let t = parse_transcript(TRANSCRIBE_AUDIO_SEGMENTS.as_bytes(), "clinic.json").unwrap();
    assert_well_formed(&t);
    assert_eq!(t.language.as_deref(), Some("en-US"));
    assert_eq!(t.speakers(), vec!["spk_0", "spk_1"]);
    assert_eq!(t.segments.len(), 10);
    let from_items = parse_transcript(TRANSCRIBE_TWO_SPEAKERS.as_bytes(), "clinic.json").unwrap();
    let texts = |t: &Transcript| t.segments.iter().map(|s| s.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&t), texts(&from_items));
    assert_eq!(segment_with(&t, "dead on arrival").speaker, "spk_1");
}

#[test]
fn canonical_round_trip_through_parse_transcript() {
    let original = parse_transcript(BAKERY_VTT.as_bytes(), "a.vtt").unwrap();
    let json = serde_json::to_vec_pretty(&original).unwrap();
    let again = parse_transcript(&json, "transcript.json").unwrap();
    assert_eq!(again, original);
}

#[test]
fn parse_as_skips_detection() {
    let t = parse_as(
        TranscriptFormat::PlainText,
        "\u{feff}Rosa: 00:00:01,000 --> 00:00:02,000\n",
    )
    .unwrap();
    assert_eq!(t.segments[0].text, "00:00:01,000 --> 00:00:02,000");
    let err = parse_as(TranscriptFormat::WebVtt, "Rosa: hi").unwrap_err();
    assert_eq!(
        err.to_string(),
        "WebVTT, line 1: a WebVTT file starts with `WEBVTT` on its first line"
    );
    let err = parse_as(TranscriptFormat::Canonical, "{\"schema_version\": 1,").unwrap_err();
    assert_eq!(err.format, TranscriptFormat::Canonical);
    assert_eq!(err.line, Some(1));
    let err = parse_as(TranscriptFormat::Speech, "hi").unwrap_err();
    assert_eq!(
        err.to_string(),
        "speech recognition: speech recognition output is produced from a recording, not read from a file"
    );
    assert_eq!(
        parse_as(TranscriptFormat::Srt, " \n ").unwrap_err().to_string(),
        "SRT: the transcript is empty"
    );
}

#[test]
fn encodings_are_detected_and_recorded() {
    let with_bom = "\u{feff}WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\n<v A>hi</v>\r\n";
    let t = parse_transcript(with_bom.as_bytes(), "a.vtt").unwrap();
    assert_eq!(
        (t.segments[0].text.as_str(), t.encoding.as_deref()),
        ("hi", Some("UTF-8"))
    );

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            with_bom
                .trim_start_matches('\u{feff}')
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let t = parse_transcript(&utf16, "a.vtt").unwrap();
    assert_eq!(
        (t.segments[0].text.as_str(), t.encoding.as_deref()),
        ("hi", Some("UTF-16LE"))
    );

    let latin1 = b"Rosa: hello, the caf\xe9 opens at six and the cr\xe8me br\xfbl\xe9e is ready\nTom: tr\xe8s bien\n";
    let t = parse_transcript(latin1, "notes.txt").unwrap();
    assert_eq!(t.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(t.segments[1].text, "très bien");
    assert!(t.warnings.is_empty());

    let t = parse_transcript(b"\xef\xbb\xbfA: caf\xc3\x28", "x").unwrap();
    assert_eq!(t.segments[0].text, "caf\u{FFFD}(");
    assert_eq!(
        t.warnings,
        vec![Warning {
            line: None,
            kind: WarningKind::InvalidBytesReplaced
        }]
    );

    let err = parse_transcript(b"\x00\x01\x02\x03PK\x03\x04\x00\x00", "a.vtt").unwrap_err();
    assert_eq!(err.format, TranscriptFormat::WebVtt);
    assert!(err.message.starts_with("the file is binary, not text"), "{err}");
}

#[test]
fn transcripts_written_before_encoding_and_warnings_still_load() {
    let old = r#"{"schema_version":1,"source_format":"web_vtt","segments":[{"speaker":"A","start":0.0,"end":1.0,"text":"hi"}]}"#;
    let t: Transcript = serde_json::from_str(old).unwrap();
    assert_eq!((t.encoding, t.warnings), (None, Vec::new()));
}

#[test]
fn empty_and_unknown_inputs() {
    let err = parse_transcript(b"", "x.srt").unwrap_err();
    assert_eq!(err.to_string(), "SRT: the transcript is empty");
    let err = parse_transcript(b" \r\n\t\n", "x").unwrap_err();
    assert_eq!(err.to_string(), "plain text: the transcript is empty");
    let err = parse_transcript(br#"{"text": "hello", "words": []}"#, "x.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Amazon Transcribe JSON: the file is JSON of no known transcript shape (Amazon Transcribe `results.items`, \
         transcript.json `schema_version` and `segments`, Whisper `segments`, AssemblyAI `utterances`, Deepgram \
         `results.channels`, Rev `monologues`, Call Analytics `Transcript`)"
    );
    let err = parse_transcript(
        b"{\n  \"jobName\": \"j\",\n  \"results\": {\n    \"items\": [,]\n",
        "x.json",
    )
    .unwrap_err();
    assert_eq!(err.format, TranscriptFormat::AmazonTranscribe);
    assert_eq!(
        err.to_string(),
        "Amazon Transcribe JSON, line 4: not valid JSON (column 15)"
    );
    let err = parse_transcript(b"{\"schema_version\": 3, \"segments\": []}", "x.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "transcript.json: schema_version 3 is not supported; this version reads schema_version 1 to 2"
    );
}

/// A file that was read but has no words is told apart from a malformed one, so the transcribe
/// step can say "no words" (issue 9.4) instead of "fix the syntax".
#[test]
fn files_without_words_are_marked_no_text() {
    let cases: [(&[u8], &str, &str); 7] = [
        (b" \r\n\t\n", "x", "plain text: the transcript is empty"),
        (
            b"WEBVTT\n",
            "only a header.vtt",
            "WebVTT: the file has no cues with text",
        ),
        (
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n",
            "x.vtt",
            "WebVTT: the file has no cues with text",
        ),
        (
            b"1\n00:00:01,000 --> 00:00:02,000\n\n",
            "x.srt",
            "SRT: the file has no cues with text",
        ),
        (
            b"Interviewer:\nMaria:\n",
            "x.txt",
            "plain text: the file has no `Speaker: text` lines with text",
        ),
        (
            br#"{"results":{"transcripts":[{"transcript":""}],"items":[]}}"#,
            "x.json",
            "Amazon Transcribe JSON: the output has no words (no items and no audio segments with text)",
        ),
        (
            br#"{"schema_version":1,"segments":[]}"#,
            "x.json",
            "transcript.json: the transcript has no segments with text",
        ),
    ];
    for (bytes, name, message) in cases {
        let err = parse_transcript(bytes, name).unwrap_err();
        assert_eq!((err.to_string().as_str(), err.no_text), (message, true), "{name}");
    }
    for (bytes, name) in [
        (&b"WEBVTT\n\n00:00:01.000 --> soon\nHello there\n"[..], "x.vtt"),
        (b"\x00\x01\x02\x03\x04\x05", "x.vtt"),
        (br#"{"text": "hello"}"#, "x.json"),
    ] {
        let err = parse_transcript(bytes, name).unwrap_err();
        assert!(!err.no_text, "{name}: {err}");
    }
}

#[test]
fn content_wins_over_the_file_name() {
    let t = parse_transcript(PLATFORM_SRT.as_bytes(), "looks-like-text.txt").unwrap();
    assert_eq!(t.source_format, TranscriptFormat::Srt);
    let t = parse_transcript(BAKERY_VTT.as_bytes(), "upload.srt").unwrap();
    assert_eq!(t.source_format, TranscriptFormat::WebVtt);
}

/// Amazon Transcribe output of `total_words` words by two people, shaped like the real thing:
/// 2.8 words a second, a speaker change every 40 words, punctuation every 12 words.
fn long_transcribe_output(total_words: usize) -> String {
    const WORDS: [&str; 12] = [
        "so", "we", "usually", "plan", "the", "schedule", "around", "the", "ovens", "and", "the", "students",
    ];
    let mut items = String::new();
    let mut segments = String::new();
    let mut segment_items = String::new();
    let mut segment_start = 0.0;
    let mut t = 0.5;
    for i in 0..total_words {
        let speaker = (i / 40) % 2;
        let (start, end) = (t, t + 0.3);
        t += 0.357;
        if i > 0 {
            items.push(',');
        }
        write!(
            items,
            r#"{{"start_time":"{start:.3}","end_time":"{end:.3}","alternatives":[{{"confidence":"0.987","content":"{}"}}],"type":"pronunciation"}}"#,
            WORDS[i % WORDS.len()]
        )
        .unwrap();
        if i % 12 == 11 {
            items.push_str(r#",{"alternatives":[{"confidence":"0.0","content":"."}],"type":"punctuation"}"#);
        }
        if i % 40 == 0 {
            segment_start = start;
            segment_items.clear();
        } else {
            segment_items.push(',');
        }
        write!(
            segment_items,
            r#"{{"start_time":"{start:.3}","end_time":"{end:.3}","speaker_label":"spk_{speaker}"}}"#
        )
        .unwrap();
        if i % 40 == 39 || i + 1 == total_words {
            if !segments.is_empty() {
                segments.push(',');
            }
            write!(
                segments,
                r#"{{"start_time":"{segment_start:.3}","end_time":"{end:.3}","speaker_label":"spk_{speaker}","items":[{segment_items}]}}"#
            )
            .unwrap();
        }
    }
    format!(
        r#"{{"jobName":"long","accountId":"1","status":"COMPLETED","results":{{"transcripts":[{{"transcript":"…"}}],"speaker_labels":{{"speakers":2,"segments":[{segments}]}},"items":[{items}]}}}}"#
    )
}

#[test]
fn three_hour_transcribe_output_parses_in_one_pass() {
    // Three hours at 2.8 words a second.
    let json = long_transcribe_output(30_240);
    let started = Instant::now();
    let t = parse_transcript(json.as_bytes(), "long.json").unwrap();
    let elapsed = started.elapsed();
    let megabytes = json.len() as f64 / 1_000_000.0;
    println!(
        "3-hour Transcribe JSON: {megabytes:.1} MB, {} words, {} segments parsed in {:.0} ms ({:.1} MB/s)",
        t.word_count(),
        t.segments.len(),
        elapsed.as_secs_f64() * 1000.0,
        megabytes / elapsed.as_secs_f64()
    );
    assert_eq!(t.word_count(), 30_240);
    assert_eq!(t.segments.len(), 756);
    assert_eq!(t.speakers(), vec!["spk_0", "spk_1"]);
    assert_eq!(t.segments[1].speaker, "spk_1");
    assert_eq!(t.segments[0].text.split_whitespace().count(), 40);
}

/// A small deterministic generator (xorshift), so the garbage below is the same on every run.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[(self.next() % choices.len() as u64) as usize]
    }
}

#[test]
fn garbage_built_from_format_fragments_never_panics() {
    const FRAGMENTS: &[&str] = &[
        "WEBVTT",
        "\n",
        "\r\n",
        "\n\n",
        "1",
        "00:00:01.000",
        "00:01,5",
        " --> ",
        "-->",
        "<v",
        "<v.a B>",
        "</v>",
        "<",
        ">",
        "&",
        "&amp;",
        "&#",
        ";",
        "{\\an8}",
        "[",
        "]",
        "(",
        ")",
        "Rosa",
        ": ",
        ":",
        "NOTE",
        "é",
        "💬",
        " ",
        "{",
        "}",
        "\"results\"",
        "\"items\"",
        "[]",
        "\u{feff}",
    ];
    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    let names = ["a.vtt", "a.srt", "a.txt", "a.json", "a"];
    for round in 0..3000 {
        let length = 1 + rng.next() % 40;
        let text: String = (0..length).map(|_| rng.pick(FRAGMENTS)).collect();
        let name = names[round % names.len()];
        match parse_transcript(text.as_bytes(), name) {
            Ok(t) => assert_well_formed(&t),
            Err(err) => assert!(!err.message.is_empty()),
        }
    }
}

/// Tag stripping and entity decoding are linear: a 5 MB cue line of `<` or `&` (once minutes of
/// work) is read as the text it is. Timings are measured by `examples/markup_scan.rs`.
#[test]
fn five_megabyte_lines_of_angle_brackets_or_ampersands_are_text() {
    const SIZE: usize = 5_000_000;
    for fill in ["<", "&", "<v", "&#"] {
        let body = fill.repeat(SIZE / fill.len());
        let text = format!("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>{body}\n");
        let t = parse_as(TranscriptFormat::WebVtt, &text).unwrap();
        assert_eq!(speakers_and_texts(&t), vec![("A", body.as_str())], "{fill}");
    }
}

/// Inputs the fuzzer found (`fuzz/fuzz_targets/transcript.rs`), kept so the fix stays fixed.
/// Each must either read with the readers' promises kept or be refused with a message.
mod fuzz_regressions {
    use crate::{parse_transcript, Transcript};

    fn assert_promises(t: &Transcript) {
        for pair in t.segments.windows(2) {
            assert!(pair[0].start <= pair[1].start, "segments out of order: {pair:?}");
        }
        for s in &t.segments {
            assert!(s.start.is_finite() && s.end.is_finite(), "a time is not finite: {s:?}");
            assert!(s.start >= 0.0 && s.end >= s.start, "bad times: {s:?}");
            assert!(!s.text.trim().is_empty() && !s.speaker.is_empty(), "empty part: {s:?}");
        }
    }

    fn read(bytes: &[u8], name: &str) {
        match parse_transcript(bytes, name) {
            Ok(t) => assert_promises(&t),
            Err(err) => assert!(!err.message.is_empty()),
        }
    }

    /// A bracketed speaker line with an 80-hour stamp before a turn at ten seconds.
    #[test]
    fn bracketed_turns_with_a_stamp_far_out_of_order() {
        read(
            "[Ana Ruiz (she/her)you plan the week?\n[Ben\u{2019}s iPhone] 80:00:04\nOn a whiteboard in the back room.\n\
             [Ana Ruiz (she/her)] 00:00:10\nWhat goes wrong?"
                .as_bytes(),
            "upload",
        );
    }
}
