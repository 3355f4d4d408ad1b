//! Caption cue text (WebVTT and SRT): voice tags give speakers, other tags and styling are
//! dropped, entities decoded, whitespace collapsed.

use super::speaker::{split_bracket_prefix, split_speaker_prefix};
use super::time::{format_clock, parse_clock};
use super::Segment;

/// Speaker for cues before any cue names one.
pub(crate) const DEFAULT_SPEAKER: &str = "Speaker 1";

/// Consecutive non-blank lines of a caption file (a header, a cue, a note).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block<'a> {
    /// 1-based line number of the block's first line.
    pub first_line: usize,
    /// The lines, without line endings or trailing whitespace.
    pub lines: Vec<&'a str>,
}

/// Splits caption text into blocks at blank (or whitespace-only) lines; any number of blank
/// lines may separate blocks. Accepts `\n` and `\r\n` line endings.
pub(crate) fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::new();
    let mut open = false;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            open = false;
            continue;
        }
        match out.last_mut() {
            Some(block) if open => block.lines.push(line),
            _ => {
                out.push(Block {
                    first_line: index + 1,
                    lines: vec![line],
                });
                open = true;
            }
        }
    }
    out
}

/// One caption cue: its times and its raw text lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cue<'a> {
    /// Start in seconds.
    pub start: f64,
    /// End in seconds, not before `start`.
    pub end: f64,
    /// Text lines as written, tags included.
    pub lines: Vec<&'a str>,
}

/// Why a timing line was not read; each carries the message, which does not quote the line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TimingError {
    /// Not `start --> end` with two clock times.
    Malformed(String),
    /// Both times read, but the end is before the start.
    EndsBeforeStart(String),
}

/// Reads `start --> end [settings]` into seconds.
pub(crate) fn parse_timing(line: &str, example: &str) -> Result<(f64, f64), TimingError> {
    let malformed = || TimingError::Malformed(format!("expected a cue timing like `{example}`"));
    let (left, right) = line.split_once("-->").ok_or_else(malformed)?;
    let end_text = right.split_whitespace().next().ok_or_else(malformed)?;
    let start = parse_clock(left.trim()).ok_or_else(malformed)?;
    let end = parse_clock(end_text).ok_or_else(malformed)?;
    if end < start {
        return Err(TimingError::EndsBeforeStart(format!(
            "the cue ends ({}) before it starts ({})",
            format_clock(end),
            format_clock(start)
        )));
    }
    Ok((start, end))
}

/// Segments from cues: one per speaker run in each cue (see [`cue_spans`]). A run without a
/// named speaker keeps the previous run's speaker, or [`DEFAULT_SPEAKER`] at the start.
pub(crate) fn cues_to_segments(cues: &[Cue<'_>]) -> Vec<Segment> {
    let mut segments = Vec::with_capacity(cues.len());
    let mut previous: Option<String> = None;
    for cue in cues {
        for span in cue_spans(cue.lines.iter().copied()) {
            let speaker = span
                .speaker
                .or_else(|| previous.clone())
                .unwrap_or_else(|| DEFAULT_SPEAKER.to_string());
            previous = Some(speaker.clone());
            segments.push(Segment {
                speaker,
                start: cue.start,
                end: cue.end,
                text: span.text,
                confidence: None,
            });
        }
    }
    segments
}

/// A line shortened for [`super::ParseError::excerpt`], so a huge line does not flood it.
pub(crate) fn excerpt(line: &str) -> String {
    const MAX_CHARS: usize = super::EXCERPT_CHARS;
    let line = line.trim();
    if line.chars().count() <= MAX_CHARS {
        return line.to_string();
    }
    let mut short: String = line.chars().take(MAX_CHARS).collect();
    short.push('…');
    short
}

/// A run of cue text and the speaker the cue names for it, if any.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    /// From a `<v Name>` tag or a `Name:` / `[Name]` prefix; `None` continues the previous speaker.
    pub speaker: Option<String>,
    /// Plain text, single-spaced.
    pub text: String,
}

/// Splits a cue's text lines into speaker runs.
///
/// A `<v Name>` (or `<v.class Name>`) tag names the speaker until `</v>`, the next voice tag or
/// the end of the cue. A line that is not inside a voice tag may start with `Name: ` or
/// `[Name] ` (see [`super::is_speaker_name`]). Text without a speaker continues the run before
/// it; lines of one run are joined with a space.
pub(crate) fn cue_spans<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut voice: Option<String> = None;
    for line in lines {
        let mut pieces = walk_line(line, &mut voice);
        if let Some(first) = pieces.first_mut() {
            if first.speaker.is_none() {
                let named = split_speaker_prefix(&first.text).or_else(|| split_bracket_prefix(&first.text));
                if let Some((name, rest)) = named {
                    first.speaker = Some(name.to_string());
                    first.text = rest.to_string();
                }
            }
        }
        for piece in pieces {
            push_span(&mut spans, piece);
        }
    }
    spans.retain(|s| !s.text.is_empty());
    spans
}

/// Appends a piece to the run it continues, or starts a new run when it names a new speaker.
fn push_span(spans: &mut Vec<Span>, piece: Span) {
    if let Some(last) = spans.last_mut() {
        let continues = match &piece.speaker {
            None => true,
            Some(name) => last.speaker.as_deref() == Some(name.as_str()),
        };
        if continues {
            if !piece.text.is_empty() {
                if !last.text.is_empty() {
                    last.text.push(' ');
                }
                last.text.push_str(&piece.text);
            }
            return;
        }
    }
    spans.push(piece);
}

/// Strips the tags of one line, tracking the voice in effect, and returns its text pieces.
///
/// Linear in the line's length: a tag's end is looked for only up to the next `<` (a tag holds
/// none), so a line of ten thousand `<` is scanned once, not once per `<`.
fn walk_line(line: &str, voice: &mut Option<String>) -> Vec<Span> {
    let mut pieces = Vec::new();
    let mut raw = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let tag = after
            .find(['<', '>'])
            .filter(|&close| after.as_bytes()[close] == b'>')
            .map(|close| &after[..close])
            .filter(|tag| looks_like_tag(tag));
        let Some(tag) = tag else {
            raw.push_str(&rest[..=open]);
            rest = after;
            continue;
        };
        raw.push_str(&rest[..open]);
        rest = &after[tag.len() + 1..];
        if let Some(name) = voice_annotation(tag) {
            flush(&mut pieces, &mut raw, voice);
            *voice = name;
        } else if tag == "/v" {
            flush(&mut pieces, &mut raw, voice);
            *voice = None;
        }
    }
    raw.push_str(rest);
    flush(&mut pieces, &mut raw, voice);
    pieces
}

/// Turns the raw text gathered so far into a piece attributed to the current voice.
fn flush(pieces: &mut Vec<Span>, raw: &mut String, voice: &Option<String>) {
    let text = collapse_whitespace(&decode_entities(&strip_ssa_overrides(raw)));
    raw.clear();
    if !text.is_empty() {
        pieces.push(Span {
            speaker: voice.clone(),
            text,
        });
    }
}

/// A tag starts with a letter, a digit (inline timestamps) or `/`, and holds no `<`; anything
/// else after a `<` (as in `a < b`) is text.
fn looks_like_tag(tag: &str) -> bool {
    let body = tag.strip_prefix('/').unwrap_or(tag);
    body.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) && !tag.contains('<')
}

/// For a voice tag (`v`, `v Name`, `v.class Name`), the speaker it names (`None` if unnamed).
fn voice_annotation(tag: &str) -> Option<Option<String>> {
    let after_v = tag.strip_prefix('v')?;
    let annotation = if let Some(classes) = after_v.strip_prefix('.') {
        classes.find(char::is_whitespace).map_or("", |at| &classes[at..])
    } else if after_v.is_empty() || after_v.starts_with(char::is_whitespace) {
        after_v
    } else {
        return None;
    };
    let name = collapse_whitespace(&decode_entities(annotation));
    Some((!name.is_empty()).then_some(name))
}

/// Removes SubStation override blocks (`{\an8}`) some SRT files carry.
fn strip_ssa_overrides(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{\\") {
        match rest[open..].find('}') {
            Some(close) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the character references captions use: `&amp; &lt; &gt; &nbsp; &quot; &apos;`,
/// direction marks (dropped) and numeric `&#39;` / `&#x27;`. Anything else stays as written.
///
/// Linear in the text's length: the `;` ending a reference is looked for only within the
/// longest reference name, so `&&&&…` without any `;` is scanned once.
pub(crate) fn decode_entities(text: &str) -> String {
    /// Longest reference body read (`#x10FFFF` is 8); anything longer is text.
    const MAX_REFERENCE: usize = 10;
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.as_bytes()[..after.len().min(MAX_REFERENCE + 1)]
            .iter()
            .position(|&b| b == b';')
            .and_then(|semi| entity(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                if let Some(c) = c {
                    out.push(c);
                }
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character a reference name stands for; `Some(None)` for marks that are dropped.
fn entity(name: &str) -> Option<Option<char>> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "nbsp" => ' ',
        "quot" => '"',
        "apos" => '\'',
        "lrm" | "rlm" => return Some(None),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some(Some(c))
}

/// Single spaces between words, none at the ends.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(speaker: Option<&str>, text: &str) -> Span {
        Span {
            speaker: speaker.map(str::to_string),
            text: text.to_string(),
        }
    }

    #[test]
    fn blocks_split_at_any_blank_lines() {
        let text = "WEBVTT\r\n\r\n\r\n1\r\n00:01.000 --> 00:02.000  \r\nhi\r\n   \r\nNOTE x\n";
        assert_eq!(
            blocks(text),
            vec![
                Block {
                    first_line: 1,
                    lines: vec!["WEBVTT"]
                },
                Block {
                    first_line: 4,
                    lines: vec!["1", "00:01.000 --> 00:02.000", "hi"]
                },
                Block {
                    first_line: 8,
                    lines: vec!["NOTE x"]
                },
            ]
        );
        assert_eq!(blocks(""), Vec::<Block<'_>>::new());
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("  hello  "), "hello");
        assert_eq!(excerpt(&"x".repeat(100)), format!("{}…", "x".repeat(60)));
    }

    #[test]
    fn voice_tags_name_the_speaker_across_lines() {
        let spans = cue_spans(["<v Rosa Delgado>We open at six,", "so bakers start at four.</v>"]);
        assert_eq!(
            spans,
            vec![span(Some("Rosa Delgado"), "We open at six, so bakers start at four.")]
        );
    }

    #[test]
    fn voice_tags_with_classes_and_two_voices_in_one_cue() {
        let spans = cue_spans(["<v.loud.fast Tomasz>Ovens first!</v> <v Rosa>Then coffee.</v>"]);
        assert_eq!(
            spans,
            vec![span(Some("Tomasz"), "Ovens first!"), span(Some("Rosa"), "Then coffee.")]
        );
    }

    #[test]
    fn other_tags_and_timestamps_are_stripped() {
        let spans = cue_spans([
            "<c.yellow>Hello</c> <b>there</b>, <i>friend</i><00:00:01.500> again",
            "<u>ok</u>",
        ]);
        assert_eq!(spans, vec![span(None, "Hello there, friend again ok")]);
    }

    #[test]
    fn entities_are_decoded_after_tags_are_stripped() {
        let spans = cue_spans(["Crumb &amp; Cup &lt;b&gt; &nbsp;x&#39;s &#x2019; &lrm;&bogus; &amp"]);
        assert_eq!(spans, vec![span(None, "Crumb & Cup <b> x's \u{2019} &bogus; &amp")]);
    }

    #[test]
    fn a_lone_angle_bracket_is_text() {
        assert_eq!(cue_spans(["a < b and c > d"]), vec![span(None, "a < b and c > d")]);
    }

    #[test]
    fn name_prefixes_start_runs_per_line() {
        let spans = cue_spans(["Priya: We ship daily.", "Marcus: Twice on Fridays.", "Honestly."]);
        assert_eq!(
            spans,
            vec![
                span(Some("Priya"), "We ship daily."),
                span(Some("Marcus"), "Twice on Fridays. Honestly.")
            ]
        );
    }

    #[test]
    fn bracket_prefixes_and_ssa_overrides() {
        let spans = cue_spans(["{\\an8}[Priya] <i>Rollbacks</i> hurt."]);
        assert_eq!(spans, vec![span(Some("Priya"), "Rollbacks hurt.")]);
    }

    #[test]
    fn empty_voice_and_empty_cues() {
        assert_eq!(cue_spans(["<v>hi</v>"]), vec![span(None, "hi")]);
        assert_eq!(cue_spans(["<b></b>", "  "]), Vec::<Span>::new());
    }
}
