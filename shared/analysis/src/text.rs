//! Text handling for the local analyzer: sentence splitting that keeps quotes verbatim,
//! tokenizing with clause boundaries (negation must not cross a comma or a "but"), stop words,
//! and a light English stemmer whose stems are mapped back to a readable surface form.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// One word of a sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// Lowercased, with typographic apostrophes folded to `'`.
    pub lower: String,
    /// Clause number within the sentence; commas, semicolons, dashes and "but" start a new one.
    pub clause: u32,
    /// Attached to the previous word by a hyphen ("pre-orders"), so the two form one key term.
    pub hyphenated: bool,
}

/// Words that end in a full stop without ending the sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "eg", "ie", "approx", "jr", "sr", "inc", "ltd", "co",
];

/// Sentences longer than this many words are cut into smaller quotes (unpunctuated ASR output).
const MAX_SENTENCE_WORDS: usize = 60;
/// The size of the pieces an over-long sentence is cut into.
const CHUNK_WORDS: usize = 40;

/// Splits a segment's text into sentences. Every sentence is a slice of `text` with only
/// surrounding whitespace trimmed, so a quote built from it is verbatim by construction.
pub(crate) fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\n' || c == '\r' {
            push_sentence(&text[start..pos], &mut out);
            start = pos + c.len_utf8();
            i += 1;
            continue;
        }
        if matches!(c, '.' | '!' | '?' | '…') {
            // Absorb a run of terminators and closing quotes/brackets: `?!`, `."`, `...)`.
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | ')' | ']')
            {
                j += 1;
            }
            let at_boundary = j == chars.len() || chars[j].1.is_whitespace();
            if at_boundary && !(c == '.' && j == i + 1 && is_abbreviation(&text[start..pos])) {
                let end = if j == chars.len() { text.len() } else { chars[j].0 };
                push_sentence(&text[start..end], &mut out);
                start = end;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    push_sentence(&text[start..], &mut out);
    out
}

/// Whether the word right before a full stop is an abbreviation or an initial.
fn is_abbreviation(before: &str) -> bool {
    let word = before.split_whitespace().last().unwrap_or("");
    let bare: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if bare.is_empty() {
        return false;
    }
    let single_letter = bare.chars().count() == 1 && bare.chars().all(|c| c.is_alphabetic()) && bare != "i";
    single_letter || ABBREVIATIONS.contains(&bare.as_str())
}

/// Trims a raw piece and adds it, cutting sentences too long to be a readable quote.
fn push_sentence<'a>(piece: &'a str, out: &mut Vec<&'a str>) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    if piece.split_whitespace().count() <= MAX_SENTENCE_WORDS {
        out.push(piece);
        return;
    }
    // Prefer cutting after a comma once a chunk has enough words; otherwise cut on whitespace.
    let mut chunk_start = 0usize;
    let mut words = 0usize;
    let mut in_word = false;
    for (pos, c) in piece.char_indices() {
        if c.is_whitespace() {
            if in_word {
                words += 1;
                in_word = false;
                let before = piece[chunk_start..pos].trim_end();
                let comma_cut = words >= CHUNK_WORDS / 2 && before.ends_with([',', ';', ':']);
                if comma_cut || words >= CHUNK_WORDS {
                    let chunk = piece[chunk_start..pos].trim();
                    if !chunk.is_empty() {
                        out.push(chunk);
                    }
                    chunk_start = pos;
                    words = 0;
                }
            }
        } else {
            in_word = true;
        }
    }
    let rest = piece[chunk_start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
}

/// Whether a sentence is written as a question (question mark at the end).
pub(crate) fn ends_with_question_mark(sentence: &str) -> bool {
    sentence
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '”' | '’' | ')' | ']'))
        .ends_with('?')
}

/// Splits text into lowercase words. Apostrophes inside a word stay (`don't`); hyphens and
/// other punctuation separate words. Clause breaks are recorded for negation scope.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut clause = 0u32;
    let mut current = String::new();
    let mut hyphen_pending = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
            continue;
        }
        let next_is_word = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if matches!(c, '\'' | '’') && !current.is_empty() && next_is_word {
            current.push('\'');
            continue;
        }
        let hyphen = c == '-' && !current.is_empty() && next_is_word;
        flush(&mut current, &mut clause, hyphen_pending, &mut tokens);
        hyphen_pending = hyphen;
        if matches!(c, ',' | ';' | ':' | '—' | '–' | '(' | ')' | '.' | '!' | '?' | '…') {
            clause += 1;
        }
    }
    flush(&mut current, &mut clause, hyphen_pending, &mut tokens);
    tokens
}

/// Ends the word being built; "but" opens a new clause so "not bad, but slow" negates nothing.
fn flush(current: &mut String, clause: &mut u32, hyphenated: bool, tokens: &mut Vec<Token>) {
    if current.is_empty() {
        return;
    }
    let lower = std::mem::take(current);
    if lower == "but" {
        *clause += 1;
    }
    tokens.push(Token {
        lower,
        clause: *clause,
        hyphenated,
    });
}

/// Function words and conversational filler: never key terms.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "after",
    "again",
    "against",
    "ah",
    "all",
    "already",
    "also",
    "although",
    "always",
    "am",
    "an",
    "and",
    "another",
    "any",
    "anybody",
    "anyone",
    "anything",
    "are",
    "aren't",
    "around",
    "as",
    "at",
    "away",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "can't",
    "cannot",
    "could",
    "couldn't",
    "d",
    "did",
    "didn't",
    "do",
    "does",
    "doesn't",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "either",
    "else",
    "etc",
    "even",
    "ever",
    "every",
    "everybody",
    "everyone",
    "everything",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "getting",
    "go",
    "goes",
    "going",
    "gonna",
    "got",
    "gotta",
    "had",
    "hadn't",
    "has",
    "hasn't",
    "have",
    "haven't",
    "having",
    "he",
    "he'd",
    "he'll",
    "he's",
    "her",
    "here",
    "here's",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "hmm",
    "how",
    "how's",
    "i",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "isn't",
    "it",
    "it'd",
    "it'll",
    "it's",
    "its",
    "itself",
    "just",
    "kind",
    "kinda",
    "let",
    "let's",
    "lets",
    "like",
    "ll",
    "lot",
    "lots",
    "m",
    "may",
    "maybe",
    "me",
    "mhm",
    "might",
    "mine",
    "mm",
    "more",
    "most",
    "much",
    "must",
    "mustn't",
    "my",
    "myself",
    "neither",
    "never",
    "no",
    "nobody",
    "nor",
    "not",
    "nothing",
    "now",
    "of",
    "off",
    "oh",
    "ok",
    "okay",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "others",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "probably",
    "quite",
    "rather",
    "re",
    "really",
    "right",
    "s",
    "same",
    "shall",
    "she",
    "she'd",
    "she'll",
    "she's",
    "should",
    "shouldn't",
    "since",
    "so",
    "some",
    "somebody",
    "someone",
    "something",
    "sort",
    "still",
    "stop",
    "stuff",
    "such",
    "sure",
    "t",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they'd",
    "they'll",
    "they're",
    "they've",
    "thing",
    "things",
    "this",
    "those",
    "though",
    "through",
    "to",
    "too",
    "uh",
    "uhm",
    "um",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "ve",
    "very",
    "via",
    "was",
    "wasn't",
    "we",
    "we'd",
    "we'll",
    "we're",
    "we've",
    "well",
    "were",
    "weren't",
    "what",
    "what's",
    "whatever",
    "when",
    "when's",
    "where",
    "where's",
    "whether",
    "which",
    "while",
    "who",
    "who's",
    "whom",
    "whose",
    "why",
    "why's",
    "will",
    "with",
    "within",
    "without",
    "won't",
    "would",
    "wouldn't",
    "yeah",
    "yep",
    "yes",
    "yet",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "yup",
];

/// Words that carry sentiment, modality or time but not a topic: they decide an evidence's
/// kind, so using them as theme terms would cluster by kind instead of by subject.
const NEUTRAL_WORDS: &[&str] = &[
    "able",
    "absolutely",
    "actually",
    "add",
    "ages",
    "ago",
    "amazing",
    "annoying",
    "anyway",
    "ask",
    "awesome",
    "bad",
    "basically",
    "best",
    "big",
    "bit",
    "brilliant",
    "call",
    "chaos",
    "come",
    "close",
    "completely",
    "crazy",
    "currently",
    "day",
    "deal",
    "definitely",
    "different",
    "easier",
    "easy",
    "eight",
    "else",
    "enough",
    "especially",
    "eventually",
    "everywhere",
    "exactly",
    "excellent",
    "extremely",
    "fantastic",
    "feel",
    "find",
    "far",
    "fine",
    "five",
    "forever",
    "four",
    "frustrating",
    "give",
    "glad",
    "goal",
    "good",
    "great",
    "guess",
    "half",
    "handle",
    "happen",
    "happens",
    "happy",
    "hard",
    "hardest",
    "hate",
    "headache",
    "help",
    "helpful",
    "honest",
    "honestly",
    "hour",
    "huge",
    "idea",
    "important",
    "impressive",
    "instead",
    "intuitive",
    "issue",
    "judge",
    "keep",
    "know",
    "last",
    "least",
    "leave",
    "less",
    "literally",
    "little",
    "long",
    "look",
    "lost",
    "love",
    "make",
    "mean",
    "mess",
    "minute",
    "month",
    "months",
    "mostly",
    "move",
    "need",
    "new",
    "next",
    "nice",
    "nightmare",
    "nine",
    "once",
    "painful",
    "part",
    "people",
    "perfect",
    "person",
    "pick",
    "pretty",
    "problem",
    "properly",
    "put",
    "real",
    "run",
    "sad",
    "say",
    "see",
    "seem",
    "send",
    "separately",
    "seriously",
    "seven",
    "show",
    "sick",
    "simple",
    "six",
    "slick",
    "smooth",
    "sometimes",
    "spend",
    "start",
    "stay",
    "stood",
    "stressful",
    "stuff",
    "super",
    "take",
    "tedious",
    "tell",
    "ten",
    "terrible",
    "thing",
    "things",
    "think",
    "three",
    "time",
    "tired",
    "today",
    "totally",
    "tried",
    "try",
    "turn",
    "twice",
    "two",
    "use",
    "useful",
    "usually",
    "want",
    "way",
    "week",
    "whole",
    "wish",
    "wonder",
    "work",
    "worried",
    "worst",
    "worth",
    "wrong",
    "year",
    "years",
];

fn stop_set() -> &'static BTreeSet<&'static str> {
    static SET: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

fn neutral_stems() -> &'static BTreeSet<String> {
    static SET: OnceLock<BTreeSet<String>> = OnceLock::new();
    SET.get_or_init(|| NEUTRAL_WORDS.iter().map(|w| stem(w)).collect())
}

/// Whether a lowercase word is a stop word.
pub(crate) fn is_stop_word(lower: &str) -> bool {
    stop_set().contains(lower)
}

/// The stem of a word if it can be a key term (topic word), `None` for stop words, numbers,
/// very short words and sentiment/modality words.
pub(crate) fn term_stem(lower: &str) -> Option<String> {
    let base = lower.strip_suffix("'s").unwrap_or(lower);
    if lower.chars().count() < 3 || !lower.chars().any(char::is_alphabetic) || is_stop_word(base) {
        return None;
    }
    if lower.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let s = stem(lower);
    if s.chars().count() < 3 || neutral_stems().contains(&s) {
        return None;
    }
    Some(s)
}

/// A light English stemmer: folds plurals, `-ing`, `-ed`, `-ly` and a final `e` so that
/// "schedule", "schedules", "scheduled" and "scheduling" share a stem. Stems need not be words;
/// [`SurfaceForms`] maps them back to the most common original spelling. Non-ASCII words are
/// returned unchanged rather than guessed at.
pub(crate) fn stem(word: &str) -> String {
    let mut w = word.to_lowercase().replace('’', "'");
    for possessive in ["'s", "'"] {
        if w.len() > possessive.len() + 1 && w.ends_with(possessive) {
            w.truncate(w.len() - possessive.len());
            break;
        }
    }
    if w.len() <= 3 || !w.is_ascii() {
        return w;
    }
    // Plurals.
    if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with("ies") && w.len() > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.truncate(w.len() - 1);
    }
    // Verb and adverb endings.
    if w.ends_with("ied") && w.len() > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if let Some(base) = strip_verb_ending(&w, "ing").or_else(|| strip_verb_ending(&w, "ed")) {
        w = base;
    } else if w.ends_with("ly") && w.len() >= 7 {
        w.truncate(w.len() - 2);
    }
    if w.ends_with('e') && w.len() >= 4 {
        w.truncate(w.len() - 1);
    }
    w
}

/// Removes `-ing`/`-ed` when a plausible base remains, undoubling `swapp` → `swap`.
fn strip_verb_ending(w: &str, ending: &str) -> Option<String> {
    let base = w.strip_suffix(ending)?;
    if base.len() < 3 || !base.chars().any(|c| "aeiouy".contains(c)) {
        return None;
    }
    let mut base = base.to_string();
    let bytes = base.as_bytes();
    let n = bytes.len();
    if n >= 2 && bytes[n - 1] == bytes[n - 2] && b"bgmnprt".contains(&bytes[n - 1]) {
        base.truncate(n - 1);
    }
    Some(base)
}

/// Remembers how each stem was spelled so key terms read as words, not stems. The outer map
/// is only ever looked up, never iterated, so its order cannot leak into the output.
#[derive(Debug, Default, Clone)]
pub(crate) struct SurfaceForms {
    forms: HashMap<String, BTreeMap<String, u32>>,
}

impl SurfaceForms {
    /// Records one occurrence of `surface` (lowercase) for `stem`.
    pub fn add(&mut self, stem: &str, surface: &str) {
        let spellings = match self.forms.get_mut(stem) {
            Some(spellings) => spellings,
            None => self.forms.entry(stem.to_string()).or_default(),
        };
        match spellings.get_mut(surface) {
            Some(n) => *n += 1,
            None => {
                spellings.insert(surface.to_string(), 1);
            }
        }
    }

    /// The most frequent spelling of a stem (ties: the shorter, then alphabetical), or the
    /// stem itself if it was never seen.
    pub fn surface(&self, stem: &str) -> String {
        self.forms
            .get(stem)
            .and_then(|m| {
                m.iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.len().cmp(&a.0.len())).then(b.0.cmp(a.0)))
                    .map(|(s, _)| s.clone())
            })
            .unwrap_or_else(|| stem.to_string())
    }
}

/// A key term found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    /// Index of its first token.
    pub start: usize,
    /// Index after its last token.
    pub end: usize,
    /// Its stem (a hyphenated compound keeps its hyphens and stems the last part).
    pub stem: String,
    /// How it was written, lowercase.
    pub surface: String,
}

/// Key terms of a token list, in order. Hyphenated compounds ("drag-and-drop", "pre-orders",
/// "last-minute") are one term; words in `exclude` (speaker names) are skipped.
pub(crate) fn terms(tokens: &[Token], exclude: &BTreeSet<String>) -> Vec<Term> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let mut end = i + 1;
        while end < tokens.len() && tokens[end].hyphenated {
            end += 1;
        }
        if end - i > 1 {
            if let Some(term) = compound(&tokens[i..end], i) {
                out.push(term);
                i = end;
                continue;
            }
        }
        for (k, t) in tokens.iter().enumerate().take(end).skip(i) {
            if exclude.contains(&t.lower) {
                continue;
            }
            if let Some(stem) = term_stem(&t.lower) {
                out.push(Term {
                    start: k,
                    end: k + 1,
                    stem,
                    surface: t.lower.clone(),
                });
            }
        }
        i = end;
    }
    out
}

/// A hyphenated run as one term, unless it is back-channel ("mm-hmm"), numeric or neutral.
fn compound(parts: &[Token], start: usize) -> Option<Term> {
    let words: Vec<&str> = parts.iter().map(|t| t.lower.as_str()).collect();
    let surface = words.join("-");
    let all_stop = words.iter().all(|w| is_stop_word(w));
    if all_stop || surface.chars().count() < 4 || surface.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let (last, init) = words.split_last()?;
    let mut stem_text: String = init.iter().map(|w| format!("{w}-")).collect();
    stem_text.push_str(&stem(last));
    if neutral_stems().contains(&stem_text) {
        return None;
    }
    Some(Term {
        start,
        end: start + parts.len(),
        stem: stem_text,
        surface,
    })
}

/// The lowercase words of speaker labels ("Maria", "Tom (shift lead)"): people's names are
/// not topics, so they are kept out of key terms.
pub(crate) fn name_words<'a>(labels: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    labels.flat_map(|l| tokenize(l).into_iter().map(|t| t.lower)).collect()
}

/// Shortens text to at most `max_words` words, ending with `…` when cut.
pub(crate) fn shorten(text: &str, max_words: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= max_words {
        return words.join(" ");
    }
    let mut cut = words[..max_words].join(" ");
    while cut.ends_with([',', ';', ':', '-', '—', '–']) {
        cut.pop();
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.lower).collect()
    }

    #[test]
    fn sentences_are_verbatim_slices_of_the_text() {
        let text = "  Sure. Every week I build the schedule… Then what? \"It's chaos!\" she said.  Dr. Lee agreed ";
        let sentences = split_sentences(text);
        assert_eq!(
            sentences,
            vec![
                "Sure.",
                "Every week I build the schedule…",
                "Then what?",
                "\"It's chaos!\"",
                "she said.",
                "Dr. Lee agreed"
            ]
        );
        for s in &sentences {
            assert!(text.contains(s));
        }
    }

    #[test]
    fn decimals_abbreviations_and_initials_do_not_split() {
        let text = "It costs 3.5 dollars, e.g. per seat. J. Smith runs it. No. That's it.";
        assert_eq!(
            split_sentences(text),
            vec![
                "It costs 3.5 dollars, e.g. per seat.",
                "J. Smith runs it.",
                "No.",
                "That's it."
            ]
        );
    }

    #[test]
    fn newlines_split_and_unpunctuated_runs_are_cut_into_verbatim_chunks() {
        assert_eq!(
            split_sentences("first line\nsecond line"),
            vec!["first line", "second line"]
        );
        let long: String = (0..130).map(|i| format!("word{i} ")).collect();
        let chunks = split_sentences(&long);
        assert!(chunks.len() >= 3);
        for c in &chunks {
            assert!(long.contains(c));
            assert!(c.split_whitespace().count() <= CHUNK_WORDS);
        }
        let total: usize = chunks.iter().map(|c| c.split_whitespace().count()).sum();
        assert_eq!(total, 130);
    }

    #[test]
    fn empty_and_whitespace_text_gives_no_sentences() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences("   \n  ").is_empty());
    }

    #[test]
    fn tokenizer_keeps_contractions_and_splits_hyphens() {
        assert_eq!(
            words("I don’t love the drag-and-drop UI, it's O.K."),
            vec!["i", "don't", "love", "the", "drag", "and", "drop", "ui", "it's", "o", "k"]
        );
        assert_eq!(words("'quoted' words"), vec!["quoted", "words"]);
    }

    #[test]
    fn clauses_break_at_commas_and_but() {
        let toks = tokenize("not bad, but slow and not cheap");
        let clause_of = |w: &str| toks.iter().find(|t| t.lower == w).map(|t| t.clause);
        assert_eq!(clause_of("not"), Some(0));
        assert_eq!(clause_of("bad"), Some(0));
        assert!(clause_of("but") > clause_of("bad"));
        assert!(clause_of("slow") == clause_of("but"));
        assert!(clause_of("cheap") == clause_of("slow"));
    }

    #[test]
    fn stemmer_folds_inflections_to_one_stem() {
        for group in [
            &["schedule", "schedules", "scheduled", "scheduling"][..],
            &["swap", "swaps", "swapped", "swapping"],
            &["shift", "shifts"],
            &["text", "texts", "texting", "texted"],
            &["policy", "policies"],
            &["reply", "replies", "replied"],
            &["cover", "covered", "covering", "covers"],
            &["price", "prices", "priced", "pricing"],
            &["plan", "planned", "planning", "plans"],
            &["staff", "staffing"],
        ] {
            let stems: BTreeSet<String> = group.iter().map(|w| stem(w)).collect();
            assert_eq!(stems.len(), 1, "{group:?} gave {stems:?}");
        }
    }

    #[test]
    fn stemmer_leaves_short_odd_and_non_ascii_words_alone() {
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("thing"), "thing");
        assert_eq!(stem("spring"), "spring");
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("café"), "café");
        assert_eq!(stem("Maria's"), "maria");
        assert_eq!(stem("family"), "family");
        assert_eq!(stem("monthly"), "month");
    }

    #[test]
    fn key_terms_skip_stop_neutral_and_numeric_words() {
        assert_eq!(term_stem("the"), None);
        assert_eq!(term_stem("problems"), None);
        assert_eq!(term_stem("weeks"), None);
        assert_eq!(term_stem("40"), None);
        assert_eq!(term_stem("2nd"), None);
        assert_eq!(term_stem("everyone's"), None);
        assert_eq!(term_stem("swaps").as_deref(), Some("swap"));
    }

    #[test]
    fn hyphenated_compounds_are_one_term() {
        let none = BTreeSet::new();
        let found: Vec<(String, String)> = terms(
            &tokenize("Mm-hmm, the drag-and-drop pre-orders page, 24-hour shifts"),
            &none,
        )
        .into_iter()
        .map(|t| (t.stem, t.surface))
        .collect();
        let expected = [
            ("drag-and-drop", "drag-and-drop"),
            ("pre-order", "pre-orders"),
            ("pag", "page"),
            ("shift", "shifts"),
        ];
        let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        // "24-hour" has a number, so it falls back to its words, and "hour" is not a topic.
        assert_eq!(found, expected);
        let names = BTreeSet::from(["maria".to_string()]);
        assert!(terms(&tokenize("Maria bakes"), &names)
            .iter()
            .all(|t| t.surface != "maria"));
    }

    #[test]
    fn surface_forms_map_stems_back_to_the_common_spelling() {
        let mut forms = SurfaceForms::default();
        for w in ["swaps", "swap", "swaps", "swapping"] {
            forms.add(&stem(w), w);
        }
        assert_eq!(forms.surface("swap"), "swaps");
        assert_eq!(forms.surface("unknown"), "unknown");
    }

    #[test]
    fn question_marks_are_found_behind_closing_quotes() {
        assert!(ends_with_question_mark("Does it work on Android?"));
        assert!(ends_with_question_mark("She asked \"why?\" "));
        assert!(!ends_with_question_mark("It works."));
    }

    #[test]
    fn shorten_cuts_on_words() {
        assert_eq!(shorten("one two three", 5), "one two three");
        assert_eq!(shorten("one two, three four", 2), "one two…");
    }
}
