//! Cue lexicons that decide what kind of evidence a sentence is.
//!
//! A cue is a short word pattern with a weight for one kind. Matching is longest-first and
//! non-overlapping, so "would be great if" (a feature request) hides the "great" (praise)
//! inside it. A cue preceded by a negator in the same clause is negated: negated pain, goals,
//! requests and objections count for nothing; a negated praise ("I don't love the price")
//! becomes an objection when it is about the offering and pain otherwise; a negated need about
//! the offering ("we don't need all that") is an objection. Cues that contain a negator
//! themselves ("not sure", "can't afford") are never flipped.

use super::text::{ends_with_question_mark, tokenize, Token};
use super::EvidenceKind;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The smallest total cue weight that makes a sentence evidence.
pub(crate) const MIN_SCORE: f32 = 0.6;

/// How far back (in words, same clause) a negator reaches.
const NEGATION_WINDOW: usize = 4;

/// Extra weight a question mark gives the question kind.
const QUESTION_MARK_WEIGHT: f32 = 1.4;
/// Weight of a question-shaped opening ("does it …") when the text has no punctuation.
const QUESTION_FORM_WEIGHT: f32 = 1.3;

const PAIN: &[(&str, f32)] = &[
    ("trying to remember", 1.3),
    ("too many", 0.9),
    ("too much", 0.9),
    ("gave up", 1.0),
    ("give up", 1.0),
    ("takes forever", 1.5),
    ("take forever", 1.5),
    ("taking forever", 1.5),
    ("took forever", 1.5),
    ("takes ages", 1.5),
    ("take ages", 1.5),
    ("took ages", 1.5),
    ("nightmare", 1.5),
    ("drives me crazy", 1.5),
    ("driving me crazy", 1.5),
    ("drive me crazy", 1.5),
    ("drives me nuts", 1.5),
    ("waste of time", 1.5),
    ("wastes of time", 1.5),
    ("wasting time", 1.5),
    ("wasted time", 1.5),
    ("hate", 1.5),
    ("hated", 1.5),
    ("hates", 1.5),
    ("frustrat*", 1.5),
    ("annoy*", 1.5),
    ("headache", 1.5),
    ("headaches", 1.5),
    ("the worst", 1.5),
    ("worst part", 1.5),
    ("worst", 1.2),
    ("a mess", 1.5),
    ("mess", 1.2),
    ("a pain", 1.5),
    ("pain in the", 1.5),
    ("painful", 1.5),
    ("killing me", 1.5),
    ("killing us", 1.5),
    ("kills me", 1.5),
    ("tedious", 1.5),
    ("stressful", 1.5),
    ("stress", 1.2),
    ("stressed", 1.5),
    ("overwhelm*", 1.5),
    ("exhausting", 1.5),
    ("chaos", 1.5),
    ("chaotic", 1.5),
    ("through the cracks", 1.5),
    ("struggl*", 1.5),
    ("sick of", 1.5),
    ("tired of", 1.5),
    ("fed up", 1.5),
    ("takes hours", 1.2),
    ("take hours", 1.2),
    ("took hours", 1.2),
    ("spend hours", 1.2),
    ("spent hours", 1.2),
    ("spending hours", 1.2),
    ("hours every", 1.2),
    ("hours each", 1.2),
    ("hours a week", 1.2),
    ("too long", 1.2),
    ("too slow", 1.2),
    ("so slow", 1.2),
    ("lose track", 1.2),
    ("lost track", 1.2),
    ("losing track", 1.2),
    ("double booked", 1.2),
    ("double book*", 1.2),
    ("no show*", 1.2),
    ("messy", 1.2),
    ("broken", 1.2),
    ("keeps breaking", 1.2),
    ("crash*", 1.2),
    ("error prone", 1.2),
    ("costs us", 1.2),
    ("cost us", 1.2),
    ("costing us", 1.2),
    ("hard to", 1.2),
    ("difficult", 1.2),
    ("confusing", 1.2),
    ("clunky", 1.2),
    ("impossible", 1.2),
    ("problem", 1.2),
    ("problems", 1.2),
    ("issue", 1.2),
    ("issues", 1.2),
    ("hardest", 1.2),
    ("biggest challenge", 1.2),
    ("challenge", 1.0),
    ("challenging", 1.2),
    ("complain*", 1.2),
    ("mistake*", 1.2),
    ("errors", 1.2),
    ("screw* up", 1.2),
    ("mix up", 1.2),
    ("mixed up", 1.2),
    ("nobody knows", 1.2),
    ("no idea who", 1.2),
    ("no way to", 1.2),
    ("chasing", 1.2),
    ("back and forth", 1.2),
    ("scrambl*", 1.2),
    ("stuck", 1.2),
    ("bottleneck", 1.2),
    ("delays", 1.0),
    ("delayed", 1.0),
    ("worried", 1.0),
    ("worry", 1.0),
    ("anxious", 1.0),
    ("ugh", 1.0),
    ("slow", 0.7),
    ("missed", 0.7),
    ("miss", 0.7),
    ("missing", 0.7),
    ("lost", 0.7),
    ("lose", 0.7),
    ("losing", 0.7),
    ("forget*", 0.7),
    ("forgot", 0.7),
    ("manual*", 0.7),
    ("by hand", 0.7),
    ("last minute", 0.7),
    ("risk", 0.7),
    ("hard", 0.7),
    ("unreliable", 1.0),
    ("buried", 0.7),
    ("get lost", 0.9),
    ("gets lost", 0.9),
    ("wrong", 0.7),
    ("fail*", 0.7),
    ("pain", 0.7),
];

const NEED: &[(&str, f32)] = &[
    ("i'd pay", 1.2),
    ("we'd pay", 1.2),
    ("would pay", 1.2),
    ("we need", 1.3),
    ("i need", 1.3),
    ("we really need", 1.3),
    ("we'd need", 1.3),
    ("we would need", 1.3),
    ("must have", 1.3),
    ("have to have", 1.3),
    ("has to have", 1.3),
    ("need to have", 1.3),
    ("can't live without", 1.3),
    ("cannot live without", 1.3),
    ("non negotiable", 1.3),
    ("essential", 1.3),
    ("critical", 1.3),
    ("crucial", 1.3),
    ("requirement", 1.3),
    ("requirements", 1.3),
    ("necessity", 1.3),
    ("is key", 1.3),
    ("the key is", 1.3),
    ("important to us", 1.3),
    ("important for us", 1.3),
    ("it's important", 1.3),
    ("most important", 1.3),
    ("really important", 1.3),
    ("what matters", 1.3),
    ("what we need", 1.3),
    ("we require", 1.3),
    ("required", 1.1),
    ("need to", 1.0),
    ("needs to", 1.0),
    ("need a", 1.0),
    ("need an", 1.0),
    ("need one", 1.0),
    ("need something", 1.0),
    ("needs a", 1.0),
    ("have to be able", 1.0),
    ("has to be", 1.0),
    ("has to", 1.0),
    ("must", 1.0),
    ("necessary", 1.0),
    ("depend on", 1.0),
    ("rely on", 1.0),
    ("bare minimum", 1.0),
    ("at least", 0.6),
    ("important", 0.9),
    ("need", 0.7),
    ("needs", 0.7),
    ("have to", 0.6),
];

const GOAL: &[(&str, f32)] = &[
    ("the goal is", 1.5),
    ("our goal", 1.5),
    ("my goal", 1.5),
    ("goal is", 1.5),
    ("the aim is", 1.5),
    ("our aim", 1.5),
    ("objective", 1.5),
    ("aiming to", 1.5),
    ("aim to", 1.5),
    ("ambition", 1.5),
    ("dream is", 1.5),
    ("by the end of the year", 1.5),
    ("open a second", 1.5),
    ("open another", 1.5),
    ("grow the business", 1.5),
    ("scale", 1.1),
    ("expand*", 1.1),
    ("we want to", 1.1),
    ("i want to", 1.1),
    ("we'd like to", 1.1),
    ("i'd like to", 1.1),
    ("would like to", 1.1),
    ("would love to", 1.0),
    ("i'd love to", 1.0),
    ("we'd love to", 1.0),
    ("trying to", 1.1),
    ("hoping to", 1.1),
    ("hope to", 1.1),
    ("plan to", 1.1),
    ("planning to", 1.1),
    ("i want", 0.9),
    ("we want", 0.9),
    ("priority", 1.1),
    ("focus on", 1.1),
    ("get to a point", 1.1),
    ("get to where", 1.1),
    ("so that i can", 1.1),
    ("so that we can", 1.1),
    ("so i can", 1.1),
    ("so we can", 1.1),
    ("free up", 1.1),
    ("spend more time", 1.1),
    ("spend less time", 1.1),
    ("cut down", 1.1),
    ("reduce", 1.1),
    ("grow", 1.1),
    ("growing", 1.1),
    ("eventually", 0.8),
    ("next year", 0.8),
    ("this year", 0.8),
    ("long term", 0.8),
    ("want", 0.6),
    ("goal", 0.8),
    ("goals", 0.8),
    ("improve", 0.6),
];

const FEATURE_REQUEST: &[(&str, f32)] = &[
    ("wish it could", 1.6),
    ("wish it would", 1.6),
    ("wish it had", 1.6),
    ("wish there was", 1.6),
    ("wish there were", 1.6),
    ("wish they had", 1.6),
    ("wish you had", 1.6),
    ("wish you could", 1.6),
    ("would be great if", 1.6),
    ("would be nice if", 1.6),
    ("would be amazing if", 1.6),
    ("would be awesome if", 1.6),
    ("would be cool if", 1.6),
    ("would be helpful if", 1.6),
    ("would be useful if", 1.6),
    ("it'd be great if", 1.6),
    ("it'd be nice if", 1.6),
    ("would love it if", 1.6),
    ("would love to be able to", 1.6),
    ("would love a", 1.6),
    ("would love an", 1.6),
    ("would love some", 1.6),
    ("i'd love a", 1.6),
    ("i'd love an", 1.6),
    ("we'd love a", 1.6),
    ("we'd love an", 1.6),
    ("if it could", 1.3),
    ("if only it", 1.3),
    ("could you add", 1.6),
    ("can you add", 1.6),
    ("please add", 1.6),
    ("it should", 1.0),
    ("should be able to", 1.3),
    ("an option to", 1.2),
    ("a way to", 0.9),
    ("integrat*", 0.9),
    ("i wish", 1.3),
    ("we wish", 1.3),
    ("wish", 1.0),
    ("would love", 1.0),
    ("i'd love", 1.0),
    ("we'd love", 1.0),
    ("be able to", 0.9),
    ("a button", 0.9),
    ("a feature", 0.9),
    ("feature that", 1.0),
    ("support for", 0.9),
    ("sync with", 0.9),
    ("sync to", 0.9),
    ("connect to", 0.8),
    ("connect with", 0.8),
    ("plug into", 0.9),
    ("if there was", 0.9),
    ("if there were", 0.9),
    ("if it had", 0.9),
    ("export", 0.6),
    ("automatically", 0.6),
    ("automat*", 0.6),
    ("notif*", 0.6),
    ("remind*", 0.6),
    ("alert*", 0.5),
    ("let me", 0.5),
    ("let us", 0.5),
    ("allow*", 0.5),
];

const PRAISE: &[(&str, f32)] = &[
    ("i love", 1.5),
    ("we love", 1.5),
    ("love it", 1.5),
    ("love that", 1.5),
    ("love how", 1.5),
    ("love the", 1.5),
    ("loved", 1.4),
    ("loves", 1.4),
    ("love", 1.2),
    ("really like", 1.3),
    ("i like", 1.0),
    ("we like", 1.0),
    ("i liked", 1.2),
    ("impressed", 1.4),
    ("impressive", 1.4),
    ("fantastic", 1.4),
    ("excellent", 1.4),
    ("amazing", 1.4),
    ("awesome", 1.4),
    ("brilliant", 1.4),
    ("perfect", 1.4),
    ("game changer", 1.5),
    ("exactly what", 1.4),
    ("works well", 1.3),
    ("works great", 1.4),
    ("work well", 1.2),
    ("so easy", 1.3),
    ("really easy", 1.3),
    ("super easy", 1.3),
    ("easy to use", 1.3),
    ("intuitive", 1.3),
    ("happy with", 1.3),
    ("glad", 1.0),
    ("delighted", 1.3),
    ("helpful", 1.1),
    ("useful", 1.1),
    ("saves", 1.0),
    ("saved", 0.8),
    ("beautiful", 1.2),
    ("slick", 1.2),
    ("smooth", 1.0),
    ("clean", 0.8),
    ("nice", 1.0),
    ("great", 1.0),
    ("good", 0.6),
    ("easy", 0.8),
    ("simple", 0.8),
    ("fast", 0.6),
    ("best", 0.8),
    ("favorite", 1.2),
    ("favourite", 1.2),
    ("enjoy*", 1.0),
    ("not bad", 0.8),
];

const OBJECTION: &[(&str, f32)] = &[
    ("we won't", 1.0),
    ("i won't", 1.0),
    ("too expensive", 1.6),
    ("too pricey", 1.6),
    ("too much money", 1.6),
    ("too costly", 1.6),
    ("can't afford", 1.6),
    ("cannot afford", 1.6),
    ("couldn't afford", 1.6),
    ("can't justify", 1.6),
    ("hard to justify", 1.6),
    ("not worth", 1.6),
    ("don't see the value", 1.6),
    ("don't see the point", 1.6),
    ("deal breaker", 1.6),
    ("dealbreaker", 1.6),
    ("not convinced", 1.6),
    ("wouldn't pay", 1.6),
    ("won't pay", 1.6),
    ("would never pay", 1.6),
    ("not sure", 1.6),
    ("skeptical", 1.6),
    ("sceptical", 1.6),
    ("hesitant", 1.6),
    ("reluctant", 1.6),
    ("too complicated", 1.6),
    ("too complex", 1.6),
    ("overkill", 1.6),
    ("learning curve", 1.6),
    ("won't use", 1.6),
    ("wouldn't use", 1.6),
    ("won't install", 1.6),
    ("refuse*", 1.6),
    ("not for us", 1.6),
    ("not ready", 1.6),
    ("hard sell", 1.6),
    ("expensive", 1.2),
    ("pricey", 1.2),
    ("costly", 1.2),
    ("afford", 0.9),
    ("concern*", 1.0),
    ("doubt*", 1.0),
    ("already have", 1.0),
    ("already use", 1.0),
    ("already using", 1.0),
    ("already pay", 1.0),
    ("locked in", 1.0),
    ("privacy", 0.8),
    ("another app", 0.8),
    ("another tool", 0.8),
    ("one more app", 0.8),
    ("budget", 0.7),
    ("price", 0.6),
    ("pricing", 0.6),
    ("switching", 0.6),
    ("per month", 0.6),
    ("per user", 0.6),
    ("per seat", 0.6),
    ("contract", 0.6),
    ("cost", 0.5),
    ("per location", 0.5),
    ("a month", 0.4),
];

const BEHAVIOUR: &[(&str, f32)] = &[
    ("we currently", 1.2),
    ("i currently", 1.2),
    ("currently", 1.2),
    ("right now we", 1.2),
    ("right now i", 1.2),
    ("at the moment", 1.2),
    ("today we", 1.2),
    ("these days", 1.2),
    ("the way we", 1.2),
    ("what we do", 1.2),
    ("what i do", 1.2),
    ("how we do it", 1.2),
    ("we use", 1.2),
    ("i use", 1.2),
    ("we're using", 1.2),
    ("we've been using", 1.2),
    ("we have been using", 1.2),
    ("we usually", 1.2),
    ("i usually", 1.2),
    ("usually", 1.0),
    ("normally", 1.0),
    ("typically", 1.0),
    ("every week i", 1.2),
    ("every week we", 1.2),
    ("every day i", 1.2),
    ("every day we", 1.2),
    ("every morning i", 1.2),
    ("every night i", 1.2),
    ("each week i", 1.2),
    ("every sunday", 1.2),
    ("every monday", 1.2),
    ("on sundays", 1.2),
    ("on mondays", 1.2),
    ("once a week", 1.2),
    ("twice a week", 1.2),
    ("we've always", 1.2),
    ("i always", 1.0),
    ("we always", 1.0),
    ("we still", 0.6),
    ("i still", 0.6),
    ("i send", 0.6),
    ("we send", 0.6),
    ("i text", 0.6),
    ("we text", 0.6),
    ("i call", 0.6),
    ("we call", 0.6),
    ("i build", 0.6),
    ("we build", 0.6),
    ("i make", 0.6),
    ("i put", 0.6),
    ("we put", 0.6),
    ("i post", 0.6),
    ("we post", 0.6),
    ("i check", 0.6),
    ("we check", 0.6),
    ("i write", 0.6),
    ("we write", 0.6),
    ("i keep", 0.6),
    ("we keep", 0.6),
    ("i go through", 0.6),
    ("i ask", 0.6),
    ("we ask", 0.6),
    ("i take", 0.6),
    ("we take", 0.6),
    ("i have to", 0.6),
    ("we have to", 0.6),
    ("every week", 0.6),
    ("every day", 0.6),
    ("spreadsheet*", 0.6),
    ("excel", 0.6),
    ("google sheets", 0.6),
    ("whiteboard", 0.6),
    ("paper", 0.6),
    ("group chat", 0.6),
    ("whatsapp", 0.6),
    ("notebook", 0.6),
    ("by text", 0.6),
    ("by phone", 0.6),
    ("by email", 0.6),
    ("phone call*", 0.6),
];

const QUESTION: &[(&str, f32)] = &[
    ("i wonder", 1.2),
    ("i'm wondering", 1.2),
    ("i was wondering", 1.2),
    ("curious whether", 1.0),
    ("curious if", 1.0),
    ("curious how", 1.0),
];

/// Words that negate the cue right after them.
const NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "didn't",
    "didnt",
    "isn't",
    "isnt",
    "wasn't",
    "wasnt",
    "aren't",
    "arent",
    "weren't",
    "won't",
    "wont",
    "wouldn't",
    "wouldnt",
    "can't",
    "cant",
    "cannot",
    "couldn't",
    "couldnt",
    "shouldn't",
    "haven't",
    "hasn't",
    "hadn't",
    "nobody",
    "nothing",
    "neither",
    "nor",
    "hardly",
    "barely",
    "ain't",
    "without",
];

/// Words that make a statement stronger and the evidence more certain.
const INTENSIFIERS: &[&str] = &[
    "really",
    "very",
    "extremely",
    "incredibly",
    "super",
    "totally",
    "absolutely",
    "completely",
    "constantly",
    "always",
    "literally",
    "seriously",
    "huge",
    "massive",
    "desperately",
    "definitely",
    "hugely",
    "terribly",
    "awfully",
    "insanely",
    "ridiculously",
    "single",
];

/// Words that mean the sentence is about the product being evaluated (so a negated praise is
/// an objection to it, not a pain in the customer's own work).
const OFFERING_WORDS: &[&str] = &[
    "you",
    "your",
    "price",
    "pricing",
    "priced",
    "cost",
    "costs",
    "app",
    "apps",
    "tool",
    "tools",
    "software",
    "product",
    "subscription",
    "demo",
    "trial",
    "feature",
    "features",
    "interface",
    "screen",
    "dashboard",
    "setup",
    "onboarding",
    "plan",
    "plans",
    "license",
    "contract",
    "this",
];

/// Sentences made only of these words are back-channel, not evidence.
const FILLERS: &[&str] = &[
    "yeah",
    "yes",
    "yep",
    "yup",
    "no",
    "nope",
    "right",
    "okay",
    "ok",
    "sure",
    "mm",
    "hmm",
    "mhm",
    "hm",
    "uh",
    "um",
    "huh",
    "ah",
    "oh",
    "so",
    "well",
    "exactly",
    "totally",
    "cool",
    "great",
    "got",
    "it",
    "i",
    "see",
    "true",
    "absolutely",
    "definitely",
    "alright",
    "thanks",
    "thank",
    "you",
    "makes",
    "sense",
    "that",
    "that's",
    "interesting",
    "good",
    "fine",
    "wow",
];

/// What kind of answer an interviewer's question asks for, by cue in the question. An answer
/// to "What's the hardest part?" is a pain even when it says only "Shift swaps."; the kind a
/// question prompts is a prior for the sentences that answer it (see [`classify_in_context`]).
/// Questions that ask for questions, or for yes or no, prompt nothing. Specific topics come
/// before generic openings ("how do you", "today"): the first cue found decides.
const PROMPTS: &[(&str, EvidenceKind)] = &[
    ("hardest", EvidenceKind::Pain),
    ("hard part", EvidenceKind::Pain),
    ("worst", EvidenceKind::Pain),
    ("go wrong", EvidenceKind::Pain),
    ("goes wrong", EvidenceKind::Pain),
    ("went wrong", EvidenceKind::Pain),
    ("cost you", EvidenceKind::Pain),
    ("cost the", EvidenceKind::Pain),
    ("cost your", EvidenceKind::Pain),
    ("frustrat*", EvidenceKind::Pain),
    ("annoy*", EvidenceKind::Pain),
    ("problem*", EvidenceKind::Pain),
    ("challeng*", EvidenceKind::Pain),
    ("struggl*", EvidenceKind::Pain),
    ("difficult", EvidenceKind::Pain),
    ("pain", EvidenceKind::Pain),
    ("how long does", EvidenceKind::Pain),
    ("how long do", EvidenceKind::Pain),
    ("how much time", EvidenceKind::Pain),
    ("must do", EvidenceKind::Need),
    ("must have", EvidenceKind::Need),
    ("need to", EvidenceKind::Need),
    ("needs to", EvidenceKind::Need),
    ("have to do", EvidenceKind::Need),
    ("requirement*", EvidenceKind::Need),
    ("what would it do", EvidenceKind::Need),
    ("what would make", EvidenceKind::Need),
    ("what would a tool", EvidenceKind::Need),
    ("what does a tool", EvidenceKind::Need),
    ("magic wand", EvidenceKind::Goal),
    ("ideal", EvidenceKind::Goal),
    ("look like", EvidenceKind::Goal),
    ("success", EvidenceKind::Goal),
    ("succeed*", EvidenceKind::Goal),
    ("worth it", EvidenceKind::Goal),
    ("judge whether", EvidenceKind::Goal),
    ("hoping", EvidenceKind::Goal),
    ("achieve", EvidenceKind::Goal),
    ("wish list", EvidenceKind::FeatureRequest),
    ("anything else on", EvidenceKind::FeatureRequest),
    ("what would you add", EvidenceKind::FeatureRequest),
    ("feature*", EvidenceKind::FeatureRequest),
    ("stood out", EvidenceKind::Praise),
    ("stand out", EvidenceKind::Praise),
    ("you'd keep", EvidenceKind::Praise),
    ("would you keep", EvidenceKind::Praise),
    ("works well", EvidenceKind::Praise),
    ("what did you like", EvidenceKind::Praise),
    ("what do you like", EvidenceKind::Praise),
    ("stop you", EvidenceKind::Objection),
    ("hold you back", EvidenceKind::Objection),
    ("holding you back", EvidenceKind::Objection),
    ("concern*", EvidenceKind::Objection),
    ("worr*", EvidenceKind::Objection),
    ("hesita*", EvidenceKind::Objection),
    ("price", EvidenceKind::Objection),
    ("pricing", EvidenceKind::Objection),
    ("budget", EvidenceKind::Objection),
    ("how do you", EvidenceKind::Behaviour),
    ("how does", EvidenceKind::Behaviour),
    ("how often", EvidenceKind::Behaviour),
    ("walk me through", EvidenceKind::Behaviour),
    ("tell me about", EvidenceKind::Behaviour),
    ("tell me a bit", EvidenceKind::Behaviour),
    ("today", EvidenceKind::Behaviour),
    ("currently", EvidenceKind::Behaviour),
    ("tried", EvidenceKind::Behaviour),
    ("a say in", EvidenceKind::Behaviour),
    ("decide*", EvidenceKind::Behaviour),
    ("decision", EvidenceKind::Behaviour),
];

/// Prior weight of the prompted kind for the first sentences of an answer: above
/// [`MIN_SCORE`], so a direct answer is evidence of the kind it was asked for, but below any
/// strong cue, so what the sentence itself says still wins.
const PROMPT_WEIGHT: f32 = 0.7;
/// Prior weight further into a long answer, where talk drifts from the question: too weak to
/// make evidence alone, enough to break a tie with a weak cue.
const PROMPT_WEIGHT_LATER: f32 = 0.35;
/// How many sentences of an answer get the full prompt weight.
const PROMPTED_SENTENCES: usize = 3;

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
