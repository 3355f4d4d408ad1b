//! Zoom's exports: the cloud recording's `.vtt` (numbered cues, `Name: text` in the cue) and the
//! meeting's saved transcript `.txt` (`[Name] 14:03:05` then the words).
//!
//! Zoom names are display names: they may carry a suffix (`Ana Ruiz (she/her)`, `Li Wei (SL)`)
//! or be a device (`Ben’s iPhone`). The suffix is dropped from the speaker, so one person is one
//! speaker however they labelled themselves; a device name is kept as written.

use super::markup::{cue_spans, DEFAULT_SPEAKER};
use super::plain::{estimate_note, timed_segments, Turn};
use super::time::parse_clock;
use super::{finish_lenient, webvtt, ParseError, Segment, Skipped, Transcript, TranscriptFormat, WarningKind};

/// Longest display name read, in characters (Zoom's own limit is 64).
const MAX_NAME_CHARS: usize = 64;
/// Most words in a display name, suffix not counted.
const MAX_NAME_WORDS: usize = 6;
/// Seconds in a day: a saved transcript's clock that goes backwards crossed midnight.
const DAY: f64 = 86_400.0;

/// Reads Zoom's WebVTT. A cue whose text starts with a display name and `: ` is that person's;
/// a cue without one continues the previous speaker (Zoom splits long turns into several cues).
/// Cue handling (skips, warnings) is WebVTT's.
pub(crate) fn parse_vtt(text: &str) -> Result<Transcript, ParseError> {
    const FORMAT: TranscriptFormat = TranscriptFormat::ZoomVtt;
    let (language, cues, skipped) = webvtt::read_cues(text, FORMAT)?;
    let mut segments = Vec::with_capacity(cues.len());
    let mut previous: Option<String> = None;
    for cue in &cues {
        let Some((first, more)) = cue.lines.split_first() else {
            continue;
        };
        let (named, first) = match split_display_name(first) {
            Some((name, rest)) => (Some(name), rest),
            None => (None, *first),
        };
        let text = cue_spans(std::iter::once(first).chain(more.iter().copied()))
            .into_iter()
            .map(|span| span.text)
            .collect::<Vec<_>>()
            .join(" ");
        let speaker = named
            .or_else(|| previous.clone())
            .unwrap_or_else(|| DEFAULT_SPEAKER.to_string());
        previous = Some(speaker.clone());
        segments.push(Segment {
            speaker,
            start: cue.start,
            end: cue.end,
            text,
            confidence: None,
        });
    }
    finish_lenient(FORMAT, segments, language, Vec::new(), skipped)
}

/// Reads Zoom's saved transcript text: a `[Display Name] hh:mm:ss` line opens each turn, the
/// lines after it are the words. The times are the meeting's wall clock; they are made relative
/// to the first turn (a clock going backwards crossed midnight). Text before the first turn is
/// skipped with a warning; a turn ends where the next begins, the last after its words at 150
/// words a minute.
pub(crate) fn parse_text(text: &str) -> Result<Transcript, ParseError> {
    const FORMAT: TranscriptFormat = TranscriptFormat::ZoomText;
    let mut turns: Vec<Turn> = Vec::new();
    let mut skipped = Skipped::default();
    let mut first_clock: Option<f64> = None;
    let mut last_clock = 0.0;
    let mut days = 0.0;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, clock)) = text_heading(line) {
            if clock < last_clock {
                days += DAY;
            }
            last_clock = clock;
            let origin = *first_clock.get_or_insert(clock);
            turns.push(Turn {
                speaker: name,
                text: String::new(),
                stamp: Some(clock + days - origin),
            });
            continue;
        }
        match turns.last_mut() {
            Some(turn) => {
                if !turn.text.is_empty() {
                    turn.text.push(' ');
                }
                turn.text.push_str(line);
            }
            None => {
                let err = ParseError::at(FORMAT, index + 1, "expected a `[Name] hh:mm:ss` line before the words");
                skipped.skip(WarningKind::SkippedText, err.with_excerpt(line));
            }
        }
    }
    let notes = estimate_note(&turns).into_iter().collect();
    finish_lenient(FORMAT, timed_segments(turns), None, notes, skipped)
}

/// `[Display Name] 14:03:05`: the speaker (suffix dropped) and the clock in seconds. The clock
/// is a time of day, so one of 24 hours or more is not a heading (the midnight rule in
/// [`parse_text`] relies on every clock being under a day).
pub(crate) fn text_heading(line: &str) -> Option<(String, f64)> {
    let inner = line.strip_prefix('[')?;
    let close = inner.rfind(']')?;
    let clock = parse_clock(inner[close + 1..].trim()).filter(|clock| *clock < DAY)?;
    let name = speaker_of(inner[..close].trim())?;
    Some((name, clock))
}

/// Splits `Display Name: text` at the first `: `, when what is before it looks like a Zoom
/// display name (see [`speaker_of`]).
pub(crate) fn split_display_name(line: &str) -> Option<(String, &str)> {
    let colon = line.find(": ").or_else(|| line.strip_suffix(':').map(str::len))?;
    let name = speaker_of(line[..colon].trim())?;
    Some((name, line.get(colon + 1..).unwrap_or("").trim()))
}

/// The speaker for a display name, or `None` when it does not look like one: 1–64 characters
/// starting with a letter; letters, digits, spaces and `. ' ’ - _ &` plus trailing `(…)`
/// suffixes, which are dropped; at most six words, the first and the last capitalised or with a
/// capital inside (`iPhone`), so prose before a colon (`So the answer: …`) is not a name.
pub(crate) fn speaker_of(display: &str) -> Option<String> {
    if display.is_empty() || display.chars().count() > MAX_NAME_CHARS {
        return None;
    }
    let mut name = display;
    while let Some(stripped) = name.strip_suffix(')') {
        let open = stripped.rfind('(')?;
        name = stripped[..open].trim_end();
    }
    if !name.chars().next().is_some_and(char::is_alphabetic)
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '\'' | '’' | '-' | '_' | '&'))
    {
        return None;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let capital = |w: &&str| w.chars().any(|c| c.is_uppercase() || c.is_ascii_digit());
    let first_capital = words
        .first()
        .is_some_and(|w| w.chars().next().is_some_and(char::is_uppercase));
    (words.len() <= MAX_NAME_WORDS && first_capital && words.last().is_some_and(capital)).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_with_suffixes_and_devices() {
        assert_eq!(speaker_of("Ana Ruiz (she/her)").as_deref(), Some("Ana Ruiz"));
        assert_eq!(speaker_of("Li Wei (SL) (Host)").as_deref(), Some("Li Wei"));
        assert_eq!(speaker_of("Ben’s iPhone").as_deref(), Some("Ben’s iPhone"));
        assert_eq!(speaker_of("So the answer"), None);
        assert_eq!(speaker_of("10 am"), None);
        assert_eq!(speaker_of("(she/her)"), None);
        assert_eq!(
            split_display_name("Note: see http://x").map(|(n, _)| n).as_deref(),
            Some("Note")
        );
        assert_eq!(split_display_name("http://x"), None);
    }
}
