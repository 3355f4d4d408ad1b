//! What makes a quote one that cannot mislead a reader: it is long enough to carry its own
//! meaning, it is cut on word boundaries (so "I don't hate it" cannot become "hate it" and
//! "unusable" cannot become "usable"), and the speaker it names is one whose words are evidence.
//!
//! Both analyzers and the validation of their output use these rules, so a producer cannot
//! write what validation would refuse.

/// A quote has at least this many words …
pub const MIN_QUOTE_WORDS: usize = 3;
/// … or at least this many characters ("Shift swaps." is 12), so a bare "No." or "Never." cannot
/// stand as evidence out of the context that gave it its meaning.
pub const MIN_QUOTE_CHARS: usize = 12;

use crate::transcript::{SpeakerRole, Transcript};
use std::collections::BTreeSet;

/// Label words that name the person running the interview.
const INTERVIEWER_LABELS: &[&str] = &["interviewer", "moderator", "researcher", "facilitator", "host"];

/// Whether a (trimmed) quote is long enough to be evidence: [`MIN_QUOTE_WORDS`] words or
/// [`MIN_QUOTE_CHARS`] characters.
pub fn long_enough(quote: &str) -> bool {
    let words = quote
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    words >= MIN_QUOTE_WORDS || (words > 0 && quote.chars().count() >= MIN_QUOTE_CHARS)
}

/// The byte offset of the first occurrence of `quote` in `text` that begins and ends on word
/// boundaries, or `None`. Overlapping occurrences are considered, so a boundary-respecting one
/// is found even after one that is not.
pub fn find_on_word_boundaries(text: &str, quote: &str) -> Option<usize> {
    if quote.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(found) = text[from..].find(quote) {
        let at = from + found;
        if !cuts_word(text, at) && !cuts_word(text, at + quote.len()) {
            return Some(at);
        }
        // Next char boundary after `at`: every later occurrence starts there or beyond.
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Whether a cut at byte `at` (a char boundary) splits a word: letters or digits on both sides,
/// or an apostrophe inside a contraction on either side ("don|'t", "don'|t").
fn cuts_word(text: &str, at: usize) -> bool {
    let mut before = text[..at].chars().rev();
    let mut after = text[at..].chars();
    let (b1, a1) = (before.next(), after.next());
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let apostrophe = |c: Option<char>| matches!(c, Some('\'' | '\u{2019}'));
    (word(b1) && word(a1))
        || (apostrophe(b1) && word(a1) && word(before.next()))
        || (apostrophe(a1) && word(b1) && word(after.next()))
}

/// The speakers a transcript itself says interview: those declared interviewers (by the source,
/// or by a person through [`Transcript::with_speakers`]), and those whose label names the role
/// ([`label_is_interviewer`]) unless declared participants. Empty when it does not say, and
/// the analyzer has to guess.
pub fn declared_interviewers(transcript: &Transcript) -> BTreeSet<&str> {
    let participants = transcript.declared(SpeakerRole::Participant);
    let mut interviewers = transcript.declared(SpeakerRole::Interviewer);
    interviewers.extend(
        transcript
            .speakers()
            .into_iter()
            .filter(|s| label_is_interviewer(s) && !participants.contains(s)),
    );
    interviewers
}

/// Whether a speaker label names an interviewer role ("Interviewer", "Moderator 2", "host",
/// "Anna (Interviewer)"): one of the role words as a word of the label, case-insensitive, with
/// an optional number.
pub fn label_is_interviewer(label: &str) -> bool {
    label
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| w.to_lowercase())
        .any(|w| {
            let bare = w.trim_end_matches(|c: char| c.is_ascii_digit());
            INTERVIEWER_LABELS.contains(&bare)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_quotes_are_not_evidence() {
        for short in ["No.", "Never.", "Shift swaps", "Yes, yes.", "", "!!!!!!!!!!!!!!"] {
            assert!(!long_enough(short), "{short:?}");
        }
        for long in ["Shift swaps.", "It takes forever", "Too expensive!", "Mm I pay"] {
            assert!(long_enough(long), "{long:?}");
        }
    }

    #[test]
    fn quotes_must_start_and_end_on_word_boundaries() {
        let text = "Honestly, I don't hate it. It is unusable on Android.";
        assert_eq!(find_on_word_boundaries(text, "I don't hate it."), Some(10));
        assert_eq!(find_on_word_boundaries(text, "Honestly"), Some(0));
        assert_eq!(find_on_word_boundaries(text, "usable on Android."), None);
        assert_eq!(find_on_word_boundaries(text, "t hate it."), None);
        assert_eq!(find_on_word_boundaries(text, "'t hate it."), None);
        assert_eq!(find_on_word_boundaries(text, "It is unusab"), None);
        assert_eq!(find_on_word_boundaries(text, "on Android"), text.find("on Android"));
        assert_eq!(find_on_word_boundaries(text, ""), None);
    }

    #[test]
    fn a_later_occurrence_on_boundaries_is_found_after_one_inside_a_word() {
        assert_eq!(find_on_word_boundaries("cheaper, cheap", "cheap"), Some(9));
        assert_eq!(find_on_word_boundaries("ééé é", "é"), Some(7));
        // Quoted in quotation marks: the marks are boundaries.
        assert_eq!(
            find_on_word_boundaries("she said 'shift swaps'", "shift swaps"),
            Some(10)
        );
    }

    #[test]
    fn interviewer_labels_are_recognised() {
        for label in [
            "Interviewer",
            "MODERATOR",
            "Researcher 2",
            "facilitator_a",
            "Host",
            "Anna (Interviewer)",
        ] {
            assert!(label_is_interviewer(label), "{label}");
        }
        for label in ["Maria", "spk_0", "Ghost Kitchen Owner", "Hostetler"] {
            assert!(!label_is_interviewer(label), "{label}");
        }
    }
}
