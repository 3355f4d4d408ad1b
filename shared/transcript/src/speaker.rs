//! The one rule for telling a speaker label (`Rosa: …`) from ordinary text, shared by the
//! plain-text, WebVTT and SRT readers.

/// Longest speaker name accepted, in characters.
const MAX_NAME_CHARS: usize = 40;
/// Most words a speaker name may have.
const MAX_NAME_WORDS: usize = 4;

/// Labels that introduce metadata or notes in transcripts, never a person. Compared
/// case-insensitively against the whole name.
const RESERVED_LABELS: &[&str] = &[
    "agenda",
    "attendees",
    "date",
    "duration",
    "link",
    "location",
    "note",
    "notes",
    "participants",
    "recording",
    "source",
    "subject",
    "summary",
    "time",
    "title",
    "topic",
    "transcript",
    "url",
];

/// Sound descriptions captioners put in brackets; `[Music] …` is not a speaker called Music.
const SOUND_LABELS: &[&str] = &[
    "applause",
    "background noise",
    "coughs",
    "crosstalk",
    "inaudible",
    "laughs",
    "laughter",
    "music",
    "noise",
    "pause",
    "sighs",
    "silence",
    "unintelligible",
];

/// Whether `name` may be a speaker name.
///
/// The rule, applied to the text before a `:` (or inside `[…]`):
/// - 1–40 characters and 1–4 words, starting with a letter;
/// - only letters, digits, spaces and `.` `'` `_` `-`;
/// - a name of two or more words has its first and last word capitalised (an upper-case letter
///   or a digit first), so `Jan van der Berg` and `Speaker 2` are names but `Bottom line` or
///   `So the answer` (prose followed by a colon) are not; one-word names may be lower case
///   (`spk_0`, `interviewer`);
/// - not a metadata label (`Note`, `Time`, `Date`, `Location`, `Subject`, `Summary`, `URL`, …).
///
/// Where a `Name: text` label is looked for, the colon must also be followed by a space or the
/// end of the line, so `http://x`, `10:30` and `Re:x` never name a speaker. Caption readers also
/// accept `[Name] text`, where the name must start with a capital and not be a sound description
/// (`[Music]`, `[laughs]`).
pub fn is_speaker_name(name: &str) -> bool {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.trim() != name {
        return false;
    }
    if !name.chars().next().is_some_and(char::is_alphabetic) {
        return false;
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || matches!(c, '.' | '\'' | '_' | '-'))
    {
        return false;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.len() > MAX_NAME_WORDS {
        return false;
    }
    if words.len() > 1 {
        let capitalised = |w: &&str| w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
        if !words.first().is_some_and(capitalised) || !words.last().is_some_and(capitalised) {
            return false;
        }
    }
    let lower = name.to_lowercase();
    !RESERVED_LABELS.contains(&lower.as_str())
}

/// Splits `Name: text` into the name and the (trimmed) text, when the line starts with a
/// speaker label under [`is_speaker_name`] and its colon is followed by whitespace or the end
/// of the line. `Rosa:` alone gives `("Rosa", "")`: the words may follow on later lines.
pub(crate) fn split_speaker_prefix(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let colon = line.find(':')?;
    let rest = &line[colon + 1..];
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let name = line[..colon].trim_end();
    is_speaker_name(name).then(|| (name, rest.trim()))
}

/// Whether a line is `Label: value` with a metadata label (`Date: 12 March`), which plain-text
/// transcripts may carry as a header before the first turn.
pub(crate) fn is_metadata_line(line: &str) -> bool {
    let line = line.trim_start();
    let Some(colon) = line.find(':') else {
        return false;
    };
    let label = line[..colon].trim_end().to_lowercase();
    RESERVED_LABELS.contains(&label.as_str())
}

/// Splits `[Name] text` (or `[Name]: text`) into the name and the text; sound descriptions
/// (`[Music]`, `[laughs]`) and brackets with nothing after them are not speakers.
pub(crate) fn split_bracket_prefix(line: &str) -> Option<(&str, &str)> {
    let inner_and_rest = line.trim_start().strip_prefix('[')?;
    let close = inner_and_rest.find(']')?;
    let name = inner_and_rest[..close].trim();
    let rest = inner_and_rest[close + 1..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
    if rest.is_empty() || SOUND_LABELS.contains(&name.to_lowercase().as_str()) {
        return None;
    }
    let capitalised = name.chars().next().is_some_and(char::is_uppercase);
    (capitalised && is_speaker_name(name)).then_some((name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typical_names() {
        for name in [
            "Interviewer",
            "Rosa",
            "Rosa Delgado",
            "Dr. Jane O'Neil",
            "Jan van der Berg",
            "Speaker 2",
            "spk_0",
            "interviewer",
            "Anne-Marie",
            "Zoë",
            "Q",
        ] {
            assert!(is_speaker_name(name), "{name:?}");
        }
    }

    #[test]
    fn refuses_prose_metadata_and_odd_characters() {
        for name in [
            "",
            "1st speaker",
            "Bottom line",
            "So the answer",
            "One Two Three Four Five",
            "Maria (owner)",
            "Note",
            "TIME",
            "Rosa ",
            "A very long name that goes on and on forever",
            "Rosa/Tom",
        ] {
            assert!(!is_speaker_name(name), "{name:?}");
        }
    }

    #[test]
    fn splits_a_speaker_prefix_only_before_whitespace() {
        assert_eq!(
            split_speaker_prefix("Rosa: we open at six"),
            Some(("Rosa", "we open at six"))
        );
        assert_eq!(
            split_speaker_prefix("  Rosa Delgado :  hi "),
            Some(("Rosa Delgado", "hi"))
        );
        assert_eq!(split_speaker_prefix("Rosa:"), Some(("Rosa", "")));
        assert_eq!(split_speaker_prefix("Note: http://x"), None);
        assert_eq!(split_speaker_prefix("see http://x"), None);
        assert_eq!(split_speaker_prefix("Time: 10:30"), None);
        assert_eq!(split_speaker_prefix("10:30 works"), None);
        assert_eq!(split_speaker_prefix("Re:payroll"), None);
        assert_eq!(split_speaker_prefix("Bottom line: too expensive"), None);
        assert_eq!(split_speaker_prefix("no colon here"), None);
    }

    #[test]
    fn recognises_metadata_lines() {
        assert!(is_metadata_line("Date: 12 March"));
        assert!(is_metadata_line("location : the bakery"));
        assert!(!is_metadata_line("Rosa: hi"));
        assert!(!is_metadata_line("no colon"));
    }

    #[test]
    fn splits_bracketed_names_but_not_sounds() {
        assert_eq!(
            split_bracket_prefix("[Priya] we deploy daily"),
            Some(("Priya", "we deploy daily"))
        );
        assert_eq!(
            split_bracket_prefix("[Priya]: we deploy daily"),
            Some(("Priya", "we deploy daily"))
        );
        assert_eq!(split_bracket_prefix("[Music] la la"), None);
        assert_eq!(split_bracket_prefix("[laughs] yes"), None);
        assert_eq!(split_bracket_prefix("[Priya]"), None);
        assert_eq!(split_bracket_prefix("Priya] x"), None);
    }
}
