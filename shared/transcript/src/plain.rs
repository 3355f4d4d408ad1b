//! Plain text: `Speaker: text` lines, optionally timestamped, as people paste from notes tools.

use super::speaker::{is_metadata_line, split_speaker_prefix};
use super::time::parse_clock;
use super::{finish, ParseError, Segment, Transcript, TranscriptFormat};

/// Errors and the result are labelled with this format.
const FORMAT: TranscriptFormat = TranscriptFormat::PlainText;
/// Speaking rate used to estimate times the file does not give.
const WORDS_PER_MINUTE: f64 = 150.0;
/// The note for a file without any timestamps.
pub(crate) const ESTIMATED_NOTE: &str = "times are estimated from word count (no timestamps in the file)";

/// One speaker turn as read, before times are settled (other turn-based readers use it too).
pub(crate) struct Turn {
    pub speaker: String,
    pub text: String,
    pub stamp: Option<f64>,
}

/// Parses plain text.
///
/// - A turn starts with `Speaker: text` (the name rule is [`super::is_speaker_name`]), optionally
///   after a timestamp: `[01:23]`, `[00:01:23]`, `(01:23)` or a bare `00:01:23 ` (a bare time
///   counts only when a speaker label follows it, so `10:30 works for me` stays text).
/// - A line without a speaker continues the current turn; a bracketed timestamp with no speaker
///   starts a new turn by the same speaker at that time. Blank lines are ignored.
/// - `Date:`, `Location:` and other metadata lines before the first turn are skipped (with a
///   note); any other first line without a speaker is an error on that line.
/// - A turn without a timestamp starts where the previous one ended; a turn ends where the next
///   timestamped turn starts, else after its words at 150 words per minute. Estimated times get a
///   note in [`Transcript::notes`].
pub(crate) fn parse(text: &str) -> Result<Transcript, ParseError> {
    let mut turns: Vec<Turn> = Vec::new();
    let mut header_lines: Vec<usize> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let stamped = leading_timestamp(line);
        let after_stamp = stamped.as_ref().map_or(line, |s| s.rest);
        if let Some((name, words)) = split_speaker_prefix(after_stamp) {
            turns.push(Turn {
                speaker: name.to_string(),
                text: words.to_string(),
                stamp: stamped.map(|s| s.seconds),
            });
            continue;
        }
        let bracketed = stamped.filter(|s| s.bracketed);
        match turns.last_mut() {
            Some(last) => match bracketed {
                Some(stamp) => {
                    let speaker = last.speaker.clone();
                    turns.push(Turn {
                        speaker,
                        text: stamp.rest.to_string(),
                        stamp: Some(stamp.seconds),
                    });
                }
                None => {
                    if !last.text.is_empty() {
                        last.text.push(' ');
                    }
                    last.text.push_str(line);
                }
            },
            None if bracketed.is_none() && is_metadata_line(line) => header_lines.push(index + 1),
            None => {
                return Err(ParseError::at(
                    FORMAT,
                    index + 1,
                    "plain-text transcripts need `Speaker: text` lines; this line has no speaker label",
                )
                .with_excerpt(line))
            }
        }
    }
    let mut notes = Vec::new();
    if !header_lines.is_empty() {
        let list: Vec<String> = header_lines.iter().map(usize::to_string).collect();
        notes.push(format!(
            "ignored header lines before the first speaker turn (lines {})",
            list.join(", ")
        ));
    }
    notes.extend(estimate_note(&turns));
    finish(FORMAT, timed_segments(turns), None, notes)
}

/// The note saying how many turns' times are estimated, if any are.
pub(crate) fn estimate_note(turns: &[Turn]) -> Option<String> {
    let unstamped = turns.iter().filter(|t| t.stamp.is_none()).count();
    if unstamped == turns.len() {
        Some(ESTIMATED_NOTE.to_string())
    } else if unstamped > 0 {
        Some(format!(
            "times of {unstamped} of {} turns are estimated from word count (they have no timestamp)",
            turns.len()
        ))
    } else {
        None
    }
}

/// Settles start and end times as documented on [`parse`].
pub(crate) fn timed_segments(turns: Vec<Turn>) -> Vec<Segment> {
    let next_stamps: Vec<Option<f64>> = turns.iter().skip(1).map(|t| t.stamp).chain([None]).collect();
    let mut previous_end = 0.0;
    let mut segments = Vec::with_capacity(turns.len());
    for (turn, next_stamp) in turns.into_iter().zip(next_stamps) {
        let start = turn.stamp.unwrap_or(previous_end);
        let words = turn.text.split_whitespace().count() as f64;
        let end = match next_stamp {
            Some(next) if next >= start => next,
            _ => to_millis(start + words * 60.0 / WORDS_PER_MINUTE),
        };
        previous_end = end;
        segments.push(Segment {
            speaker: turn.speaker,
            start,
            end,
            text: turn.text,
            confidence: None,
        });
    }
    segments
}

/// Rounds to whole milliseconds so estimated times read cleanly (`12.4`, not `12.400000000000002`).
fn to_millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// A timestamp at the start of a line.
struct Stamp<'a> {
    seconds: f64,
    /// In `[…]` or `(…)` rather than bare.
    bracketed: bool,
    /// The line after the timestamp and any `-` separator.
    rest: &'a str,
}

/// Reads `[01:23]`, `(01:23)`, `[00:01:23.5]` or a bare `00:01:23` at the start of a line.
fn leading_timestamp(line: &str) -> Option<Stamp<'_>> {
    let (clock, rest, bracketed) = match line.chars().next()? {
        open @ ('[' | '(') => {
            let close = if open == '[' { ']' } else { ')' };
            let end = line.find(close)?;
            (&line[1..end], &line[end + 1..], true)
        }
        _ => {
            let end = line.find(char::is_whitespace).unwrap_or(line.len());
            (&line[..end], &line[end..], false)
        }
    };
    let seconds = parse_clock(clock.trim())?;
    let rest = rest.trim_start().trim_start_matches(['-', '–', '—']).trim_start();
    Some(Stamp {
        seconds,
        bracketed,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: &Transcript) -> Vec<(&str, f64, f64, &str)> {
        t.segments
            .iter()
            .map(|s| (s.speaker.as_str(), s.start, s.end, s.text.as_str()))
            .collect()
    }

    #[test]
    fn untimed_turns_are_estimated_at_150_words_per_minute() {
        let text = "Interviewer: How do you plan shifts today?\n\nRosa: A spreadsheet.\nAnd a group chat on Sundays.\n";
        let t = parse(text).unwrap();
        assert_eq!(
            rows(&t),
            vec![
                ("Interviewer", 0.0, 2.4, "How do you plan shifts today?"),
                ("Rosa", 2.4, 5.6, "A spreadsheet. And a group chat on Sundays."),
            ]
        );
        assert_eq!(t.notes, vec![ESTIMATED_NOTE.to_string()]);
    }

    #[test]
    fn timestamps_in_every_style() {
        let text = "[00:05] Interviewer: First?\r\n(00:12) Rosa: Second.\r\n00:01:03 Rosa - Third.\r\n\
                    00:01:10 - Tom: Fourth.\r\n[00:01:20.5] Rosa: Fifth one here.\r\n";
        let t = parse(text).unwrap();
        assert_eq!(
            rows(&t),
            vec![
                ("Interviewer", 5.0, 12.0, "First?"),
                ("Rosa", 12.0, 70.0, "Second. 00:01:03 Rosa - Third."),
                ("Tom", 70.0, 80.5, "Fourth."),
                ("Rosa", 80.5, 81.7, "Fifth one here."),
            ]
        );
        assert!(t.notes.is_empty());
    }

    #[test]
    fn a_bare_time_without_a_speaker_is_text_but_a_bracketed_one_starts_a_turn() {
        let text = "[00:00] Rosa: Can we meet?\n10:30 works for me.\n[00:20] and then again\n";
        let t = parse(text).unwrap();
        assert_eq!(
            rows(&t),
            vec![
                ("Rosa", 0.0, 20.0, "Can we meet? 10:30 works for me."),
                ("Rosa", 20.0, 21.2, "and then again")
            ]
        );
    }

    #[test]
    fn mixed_timestamps_are_noted() {
        let t = parse("[00:10] A: one two\nB: three four five\n").unwrap();
        assert_eq!(
            rows(&t),
            vec![("A", 10.0, 10.8, "one two"), ("B", 10.8, 12.0, "three four five")]
        );
        assert_eq!(
            t.notes,
            vec!["times of 1 of 2 turns are estimated from word count (they have no timestamp)"]
        );
    }

    #[test]
    fn colon_edge_cases_do_not_make_speakers() {
        let text = "Rosa: The link is\nNote: http://example.com/x\nTime: 10:30\nBottom line: too expensive.\n";
        let t = parse(text).unwrap();
        assert_eq!(t.speakers(), vec!["Rosa"]);
        assert_eq!(
            t.segments[0].text,
            "The link is Note: http://example.com/x Time: 10:30 Bottom line: too expensive."
        );
    }

    #[test]
    fn metadata_header_lines_are_skipped_with_a_note() {
        let t = parse("Date: 12 March\nLocation: the bakery\n\nRosa: Hi.\n").unwrap();
        assert_eq!(rows(&t), vec![("Rosa", 0.0, 0.4, "Hi.")]);
        assert_eq!(
            t.notes[0],
            "ignored header lines before the first speaker turn (lines 1, 2)"
        );
    }

    #[test]
    fn a_first_line_without_a_speaker_is_an_error_on_that_line() {
        let err = parse("\n\nInterview with Rosa, March\nRosa: hi\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "plain text, line 3: plain-text transcripts need `Speaker: text` lines; this line has no speaker label"
        );
        assert_eq!(err.excerpt.as_deref(), Some("Interview with Rosa, March"));
    }

    #[test]
    fn a_name_alone_takes_the_following_lines() {
        let t = parse("Rosa:\nWe open at six.\nTom:\nOvens at four.\n").unwrap();
        assert_eq!(t.segments[0].text, "We open at six.");
        assert_eq!(t.segments[1].speaker, "Tom");
    }

    #[test]
    fn speakers_without_words_leave_no_segment() {
        assert_eq!(
            parse("Rosa:\n").unwrap_err().to_string(),
            "plain text: the file has no `Speaker: text` lines with text"
        );
    }
}
