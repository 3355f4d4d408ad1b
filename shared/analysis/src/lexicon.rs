//! Cue lexicons that decide what kind of evidence a sentence is.
//!
//! A cue is a short word pattern with a weight for one kind. Matching is longest-first and
//! non-overlapping, so "would be great if" (a feature request) hides the "great" (praise)
//! inside it. A cue preceded by a negator in the same clause is negated: negated pain, goals,
//! requests and objections count for nothing; a negated praise ("I don't love the price")
//! becomes an objection when it is about the offering and pain otherwise; a negated need about
//! the offering ("we don't need all that") is an objection. Cues that contain a negator
//! themselves ("not sure", "can't afford") are never flipped.

use super::cues::{
    BEHAVIOUR, FEATURE_REQUEST, FILLERS, GOAL, INTENSIFIERS, MIN_SCORE, NEED, NEGATION_WINDOW, NEGATORS, OBJECTION,
    OFFERING_WORDS, PAIN, PRAISE, PROMPTED_SENTENCES, PROMPTS, PROMPT_WEIGHT, PROMPT_WEIGHT_LATER, QUESTION,
    QUESTION_FORM_WEIGHT, QUESTION_MARK_WEIGHT,
};
use super::text::{ends_with_question_mark, tokenize, Token};
use super::EvidenceKind;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// What an interviewer's sentence prompts for: the first cue of [`PROMPTS`] found in it (the
/// table lists specific topics before generic openings, so "How do you think about price?"
/// asks about price, not about a habit), for questions only.
pub(crate) fn prompted_kind(sentence: &str, tokens: &[Token]) -> Option<EvidenceKind> {
    if !is_question(sentence, tokens) {
        return None;
    }
    static COMPILED: OnceLock<Vec<(Vec<Pat>, EvidenceKind)>> = OnceLock::new();
    let prompts = COMPILED.get_or_init(|| PROMPTS.iter().map(|(p, k)| (compile(p), *k)).collect());
    prompts
        .iter()
        .find(|(pats, _)| {
            tokens
                .windows(pats.len())
                .any(|w| pats.iter().zip(w).all(|(p, t)| p.matches(&t.lower)))
        })
        .map(|(_, kind)| *kind)
}

/// Where a customer sentence stands relative to the interviewer's last question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Prompt {
    /// The kind the question asked for.
    pub kind: EvidenceKind,
    /// 0 for the first sentence of the answer.
    pub position: usize,
}

impl Prompt {
    fn weight(&self) -> f32 {
        if self.position < PROMPTED_SENTENCES {
            PROMPT_WEIGHT
        } else {
            PROMPT_WEIGHT_LATER
        }
    }
}

/// One element of a cue pattern.
#[derive(Debug, Clone)]
enum Pat {
    Exact(String),
    Prefix(String),
}

impl Pat {
    fn matches(&self, word: &str) -> bool {
        match self {
            Pat::Exact(w) => w == word,
            Pat::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
struct Cue {
    pats: Vec<Pat>,
    kind: EvidenceKind,
    weight: f32,
    /// The cue carries its own negation ("not sure") and is never flipped.
    inherent_negation: bool,
}

struct Lexicon {
    cues: Vec<Cue>,
    /// Cue indexes by exact first word.
    by_first: BTreeMap<String, Vec<usize>>,
    /// Cues whose first element is a prefix pattern.
    prefix_first: Vec<usize>,
}

fn kind_index(kind: EvidenceKind) -> usize {
    EvidenceKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let tables: [(EvidenceKind, &[(&str, f32)]); 8] = [
            (EvidenceKind::Pain, PAIN),
            (EvidenceKind::Need, NEED),
            (EvidenceKind::Goal, GOAL),
            (EvidenceKind::Behaviour, BEHAVIOUR),
            (EvidenceKind::FeatureRequest, FEATURE_REQUEST),
            (EvidenceKind::Praise, PRAISE),
            (EvidenceKind::Objection, OBJECTION),
            (EvidenceKind::Question, QUESTION),
        ];
        let mut cues = Vec::new();
        for (kind, table) in tables {
            for &(pattern, weight) in table {
                let pats = compile(pattern);
                if pats.is_empty() {
                    continue;
                }
                let inherent_negation = pats
                    .iter()
                    .any(|p| matches!(p, Pat::Exact(w) if NEGATORS.contains(&w.as_str())));
                cues.push(Cue {
                    pats,
                    kind,
                    weight,
                    inherent_negation,
                });
            }
        }
        let mut by_first: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut prefix_first = Vec::new();
        for (i, cue) in cues.iter().enumerate() {
            match &cue.pats[0] {
                Pat::Exact(w) => by_first.entry(w.clone()).or_default().push(i),
                Pat::Prefix(_) => prefix_first.push(i),
            }
        }
        Lexicon {
            cues,
            by_first,
            prefix_first,
        }
    })
}

/// Turns "frustrat* with" into patterns, tokenizing plain words like the sentences are.
fn compile(pattern: &str) -> Vec<Pat> {
    let mut pats = Vec::new();
    for piece in pattern.split_whitespace() {
        if let Some(prefix) = piece.strip_suffix('*') {
            pats.push(Pat::Prefix(prefix.to_lowercase()));
        } else {
            pats.extend(tokenize(piece).into_iter().map(|t| Pat::Exact(t.lower)));
        }
    }
    pats
}

/// A cue found in a sentence.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    len: usize,
    cue: usize,
}

/// All accepted cue hits: longest first, then leftmost, never overlapping.
fn find_hits(tokens: &[Token]) -> Vec<Hit> {
    let lex = lexicon();
    let mut all = Vec::new();
    for start in 0..tokens.len() {
        let first = tokens[start].lower.as_str();
        let exact = lex.by_first.get(first).map(Vec::as_slice).unwrap_or(&[]);
        for &ci in exact.iter().chain(lex.prefix_first.iter()) {
            let cue = &lex.cues[ci];
            let len = cue.pats.len();
            if start + len <= tokens.len() && cue.pats.iter().zip(&tokens[start..]).all(|(p, t)| p.matches(&t.lower)) {
                all.push(Hit { start, len, cue: ci });
            }
        }
    }
    all.sort_by(|a, b| b.len.cmp(&a.len).then(a.start.cmp(&b.start)).then(a.cue.cmp(&b.cue)));
    let mut used = vec![false; tokens.len()];
    let mut accepted = Vec::new();
    for hit in all {
        if used[hit.start..hit.start + hit.len].iter().any(|u| *u) {
            continue;
        }
        used[hit.start..hit.start + hit.len].iter_mut().for_each(|u| *u = true);
        accepted.push(hit);
    }
    accepted.sort_by_key(|h| (h.start, h.cue));
    accepted
}

/// Whether a negator stands shortly before `start` in the same clause.
fn negated_at(tokens: &[Token], start: usize) -> bool {
    let clause = tokens[start].clause;
    let from = start.saturating_sub(NEGATION_WINDOW);
    tokens[from..start]
        .iter()
        .any(|t| t.clause == clause && NEGATORS.contains(&t.lower.as_str()))
}

/// Per-kind scores of a sentence, indexed like [`EvidenceKind::ALL`].
pub(crate) fn kind_scores(sentence: &str, tokens: &[Token]) -> [f32; 8] {
    let lex = lexicon();
    let mut scores = [0f32; 8];
    let about_offering = tokens.iter().any(|t| OFFERING_WORDS.contains(&t.lower.as_str()));
    for hit in find_hits(tokens) {
        let cue = &lex.cues[hit.cue];
        let negated = !cue.inherent_negation && negated_at(tokens, hit.start);
        let target = if !negated {
            Some((cue.kind, cue.weight))
        } else {
            match cue.kind {
                EvidenceKind::Praise if about_offering => Some((EvidenceKind::Objection, cue.weight * 0.9)),
                EvidenceKind::Praise => Some((EvidenceKind::Pain, cue.weight * 0.9)),
                EvidenceKind::Need if about_offering => Some((EvidenceKind::Objection, cue.weight * 0.9)),
                // "We don't currently track it" still describes what they do.
                EvidenceKind::Behaviour | EvidenceKind::Question => Some((cue.kind, cue.weight)),
                _ => None,
            }
        };
        if let Some((kind, weight)) = target {
            scores[kind_index(kind)] += weight;
        }
    }
    if ends_with_question_mark(sentence) {
        scores[kind_index(EvidenceKind::Question)] += QUESTION_MARK_WEIGHT;
    } else if !sentence.contains(['?', '.', '!']) && question_form(tokens) {
        scores[kind_index(EvidenceKind::Question)] += QUESTION_FORM_WEIGHT;
    }
    scores
}

/// An unpunctuated sentence that opens like a question ("does it work offline").
fn question_form(tokens: &[Token]) -> bool {
    let (Some(a), Some(b)) = (tokens.first(), tokens.get(1)) else {
        return false;
    };
    let aux = [
        "can", "could", "does", "do", "is", "are", "will", "would", "should", "did", "has", "have",
    ];
    let aux_next = [
        "you", "it", "there", "i", "we", "they", "this", "that", "your", "the", "anyone",
    ];
    let wh = ["how", "what", "why", "when", "where", "which", "who"];
    let wh_next = [
        "much", "many", "long", "often", "do", "does", "did", "is", "are", "will", "would", "can", "could", "about",
        "if", "happens", "kind",
    ];
    let (a, b) = (a.lower.as_str(), b.lower.as_str());
    (aux.contains(&a) && aux_next.contains(&b)) || (wh.contains(&a) && wh_next.contains(&b))
}

/// Whether a sentence asks something (for finding the interviewer).
pub(crate) fn is_question(sentence: &str, tokens: &[Token]) -> bool {
    ends_with_question_mark(sentence) || (!sentence.contains(['.', '!']) && question_form(tokens))
}

/// Whether a sentence is too short or only back-channel ("Yeah.", "Mm-hmm.", "Got it.").
pub(crate) fn is_filler(sentence: &str, tokens: &[Token]) -> bool {
    let min = if ends_with_question_mark(sentence) { 3 } else { 4 };
    tokens.len() < min || only_fillers(tokens)
}

/// Whether every word is back-channel.
fn only_fillers(tokens: &[Token]) -> bool {
    tokens.iter().all(|t| FILLERS.contains(&t.lower.as_str()))
}

/// The order kinds win ties in: the more actionable kind first.
pub(crate) fn tie_rank(kind: EvidenceKind) -> u8 {
    match kind {
        EvidenceKind::Objection => 0,
        EvidenceKind::Pain => 1,
        EvidenceKind::FeatureRequest => 2,
        EvidenceKind::Need => 3,
        EvidenceKind::Goal => 4,
        EvidenceKind::Praise => 5,
        EvidenceKind::Question => 6,
        EvidenceKind::Behaviour => 7,
    }
}

/// What a sentence is evidence of, and how sure the lexicon is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Classified {
    /// The winning kind.
    pub kind: EvidenceKind,
    /// Its cue score.
    pub score: f32,
    /// 0–1, rounded to two decimals so the JSON is stable and readable.
    pub confidence: f32,
}

/// Classifies one customer sentence; `None` when it is filler or carries no cue strong enough.
#[cfg(test)]
pub(crate) fn classify(sentence: &str, tokens: &[Token]) -> Option<Classified> {
    classify_in_context(sentence, tokens, None, false)
}

/// Classifies one customer sentence answering `prompt` (if any). The prompted kind adds its
/// prior to the cue scores; a short direct answer ("Shift swaps.") counts when it has a key
/// term, where on its own it would be too short to be evidence.
pub(crate) fn classify_in_context(
    sentence: &str,
    tokens: &[Token],
    prompt: Option<Prompt>,
    has_key_terms: bool,
) -> Option<Classified> {
    // A direct answer may be short ("Shift swaps."), but not back-channel ("Sure, yeah.").
    let direct_answer =
        prompt.is_some_and(|p| p.position == 0) && has_key_terms && tokens.len() >= 2 && !only_fillers(tokens);
    if is_filler(sentence, tokens) && !direct_answer {
        return None;
    }
    let mut scores = kind_scores(sentence, tokens);
    // "That's the big one." answers too, but says nothing a researcher could file.
    if let Some(p) = prompt.filter(|_| has_key_terms) {
        scores[kind_index(p.kind)] += p.weight();
    }
    let mut ranked: Vec<(EvidenceKind, f32)> = EvidenceKind::ALL.iter().map(|k| (*k, scores[kind_index(*k)])).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(tie_rank(a.0).cmp(&tie_rank(b.0))));
    let (kind, top) = ranked[0];
    if top < MIN_SCORE {
        return None;
    }
    let second = ranked[1].1;
    let intensity = if kind == EvidenceKind::Question {
        0.0
    } else {
        let words = tokens
            .iter()
            .filter(|t| INTENSIFIERS.contains(&t.lower.as_str()))
            .count() as f32;
        let bang = if sentence.contains('!') { 1.0 } else { 0.0 };
        ((words + bang) * 0.05).min(0.15)
    };
    let raw = 0.4 + 0.18 * top.min(2.5) + intensity - 0.2 * (second / top);
    let confidence = (raw.clamp(0.05, 0.97) * 100.0).round() / 100.0;
    Some(Classified {
        kind,
        score: top,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(sentence: &str) -> Option<EvidenceKind> {
        classify(sentence, &tokenize(sentence)).map(|c| c.kind)
    }

    fn confidence_of(sentence: &str) -> f32 {
        classify(sentence, &tokenize(sentence))
            .map(|c| c.confidence)
            .unwrap_or(0.0)
    }

    #[test]
    fn pain_cues() {
        for s in [
            "Sorting out the rota takes forever on Sundays.",
            "Shift swaps are the worst part of my week.",
            "It's a nightmare when two people call in sick.",
            "Honestly the payroll export drives me crazy.",
            "We lose track of who swapped with whom.",
            "I spend hours every week on the phone with staff.",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::Pain), "{s}");
        }
    }

    #[test]
    fn need_cues() {
        for s in [
            "We need one place where everyone sees the schedule.",
            "It has to work on the cheap phones my staff have.",
            "Approvals are essential for us because of labour law.",
            "Having it on Android is a must have for the team.",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::Need), "{s}");
        }
    }

    #[test]
    fn goal_cues() {
        for s in [
            "The goal is to spend my mornings baking again.",
            "We want to open a second location next spring.",
            "I'm trying to get the bakery to run without me.",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::Goal), "{s}");
        }
    }

    #[test]
    fn behaviour_cues() {
        for s in [
            "We currently keep the rota on a whiteboard in the kitchen.",
            "Every week I print the schedule and pin it up.",
            "Usually the shift lead calls around when someone is sick.",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::Behaviour), "{s}");
        }
    }

    #[test]
    fn feature_request_cues() {
        for s in [
            "I wish it could text people automatically when a shift opens.",
            "It would be great if it worked out overtime for payroll.",
            "We would love a button that copies last week's schedule.",
            "Could you add an export to our accounting package?",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::FeatureRequest), "{s}");
        }
    }

    #[test]
    fn praise_cues() {
        for s in [
            "I love the drag and drop calendar.",
            "The approval screen is really easy to use.",
            "Honestly that demo was impressive.",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::Praise), "{s}");
        }
    }

    #[test]
    fn objection_cues() {
        for s in [
            "Forty dollars a month is too expensive for a bakery our size.",
            "I'm not sure my older staff will install another app.",
            "We can't afford another subscription this year.",
        ] {
            assert_eq!(kind_of(s), Some(EvidenceKind::Objection), "{s}");
        }
    }

    #[test]
    fn question_cues() {
        assert_eq!(kind_of("Does it work on Android phones?"), Some(EvidenceKind::Question));
        assert_eq!(
            kind_of("how much does it cost per location"),
            Some(EvidenceKind::Question)
        );
        assert_eq!(
            kind_of("I was wondering about the setup fee"),
            Some(EvidenceKind::Question)
        );
    }

    #[test]
    fn negation_removes_pain_and_flips_praise() {
        assert_eq!(kind_of("Finding bakers is not a problem."), None);
        assert_eq!(kind_of("Payroll has never been an issue for us."), None);
        assert_eq!(kind_of("But I don't love the price."), Some(EvidenceKind::Objection));
        assert_eq!(kind_of("I don't love how we do rotas now."), Some(EvidenceKind::Pain));
        assert_eq!(kind_of("I love the calendar."), Some(EvidenceKind::Praise));
        assert_eq!(
            kind_of("We don't need all those reports in your app."),
            Some(EvidenceKind::Objection)
        );
    }

    #[test]
    fn negation_stops_at_a_clause_break() {
        // The "not" belongs to the first clause; the pain in the second stands.
        assert_eq!(
            kind_of("It's not the baking, but the rota takes forever."),
            Some(EvidenceKind::Pain)
        );
    }

    #[test]
    fn inherent_negation_is_not_flipped() {
        assert_eq!(
            kind_of("I'm not sure it's worth the money."),
            Some(EvidenceKind::Objection)
        );
        assert_eq!(
            kind_of("Honestly the app is not bad at all."),
            Some(EvidenceKind::Praise)
        );
    }

    #[test]
    fn longest_cue_wins_over_the_words_inside_it() {
        assert_eq!(
            kind_of("It would be great if staff could swap shifts themselves."),
            Some(EvidenceKind::FeatureRequest)
        );
    }

    #[test]
    fn intensity_raises_confidence() {
        let plain = confidence_of("The rota is a mess.");
        let strong = confidence_of("The rota is a complete, absolutely massive mess!");
        assert!(strong > plain, "{strong} <= {plain}");
        assert!((0.0..=1.0).contains(&strong));
    }

    #[test]
    fn fillers_and_cueless_sentences_are_skipped() {
        for s in [
            "Yeah.",
            "Right, right.",
            "Mm-hmm.",
            "Okay, got it.",
            "That makes sense.",
            "We bake bread and cakes.",
        ] {
            assert_eq!(kind_of(s), None, "{s}");
        }
    }

    #[test]
    fn every_cue_compiles_to_a_pattern() {
        let lex = lexicon();
        assert!(lex.cues.len() > 300);
        assert!(lex.cues.iter().all(|c| !c.pats.is_empty() && c.weight > 0.0));
        for kind in EvidenceKind::ALL {
            assert!(lex.cues.iter().any(|c| c.kind == kind), "{kind:?} has no cue");
        }
    }

    #[test]
    fn questions_prompt_the_kind_they_ask_for() {
        let prompted = |q: &str| prompted_kind(q, &tokenize(q));
        assert_eq!(prompted("What's the hardest part?"), Some(EvidenceKind::Pain));
        assert_eq!(prompted("How long does that take you?"), Some(EvidenceKind::Pain));
        assert_eq!(prompted("Anything else it must do?"), Some(EvidenceKind::Need));
        assert_eq!(
            prompted("Anything else on the wish list?"),
            Some(EvidenceKind::FeatureRequest)
        );
        assert_eq!(
            prompted("What would stop you from switching?"),
            Some(EvidenceKind::Objection)
        );
        // The topic wins over the generic opening.
        assert_eq!(prompted("How do you think about price?"), Some(EvidenceKind::Objection));
        assert_eq!(
            prompted("How do you build the schedule today?"),
            Some(EvidenceKind::Behaviour)
        );
        // Statements, yes/no questions and invitations to ask prompt nothing.
        assert_eq!(prompted("That's the hardest part, I see."), None);
        assert_eq!(prompted("Does the schedule feed into payroll?"), None);
        assert_eq!(prompted("Is there anything you'd like to ask me?"), None);
    }

    #[test]
    fn a_prompt_makes_direct_answers_evidence_without_overriding_cues() {
        let pain = |position| {
            Some(Prompt {
                kind: EvidenceKind::Pain,
                position,
            })
        };
        let answer = |s: &str, prompt| classify_in_context(s, &tokenize(s), prompt, true).map(|c| c.kind);
        assert_eq!(answer("Shift swaps.", pain(0)), Some(EvidenceKind::Pain));
        // Too short without the question, and late in an answer the prior alone is too weak.
        assert_eq!(answer("Shift swaps.", None), None);
        assert_eq!(answer("Shift swaps.", pain(1)), None);
        assert_eq!(answer("We open at six on weekdays.", pain(5)), None);
        // A strong cue still decides.
        assert_eq!(
            answer("I love the colour-coded week view.", pain(0)),
            Some(EvidenceKind::Praise)
        );
        // Without a key term a sentence says nothing to file, prompted or not.
        let s = "That's the big one.";
        assert_eq!(classify_in_context(s, &tokenize(s), pain(0), false), None);
    }
}
