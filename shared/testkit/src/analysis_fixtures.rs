//! Sample transcripts for tests and benchmarks: a hand-written interview with known evidence,
//! and a deterministic generator of long synthetic interviews.

use crate::transcript::{Segment, Transcript, TranscriptFormat};

/// Spoken words per second used to time generated segments (180 words a minute).
const WORDS_PER_SECOND: f64 = 3.0;
/// Pause between generated segments, seconds.
const TURN_GAP: f64 = 0.1;

/// A realistic interview with a bakery owner (Maria) and her shift lead (Tom) evaluating
/// staff-scheduling software, with a labelled interviewer. Its pains (shift swaps by text),
/// needs, goals, price objection, requests, praise and questions are what the analyzer tests
/// and the lead's end-to-end checks assert against.
pub fn bakery_interview() -> Transcript {
    const LINES: &[(&str, &str)] = &[
        ("Interviewer", "Thanks for making time, Maria. Can you walk me through how you build the staff schedule today?"),
        ("Maria", "Sure. Every week I build the schedule on a paper sheet in the back office. Then I take a photo and send it to the group chat."),
        ("Interviewer", "What happens when someone can't make a shift?"),
        ("Maria", "Honestly, shift swaps are the worst part of my week. Everybody texts me separately to swap shifts, and it takes forever to sort out who is covering what."),
        ("Interviewer", "How much time does that take?"),
        ("Maria", "Probably three or four hours every week, just on texts about shift swaps. Last month two people showed up for the same shift and we missed the Saturday bake completely."),
        ("Interviewer", "That sounds stressful."),
        ("Maria", "Yeah. Finding bakers is not a problem. The real headache is keeping track of the swaps."),
        ("Interviewer", "What would a good week look like for you?"),
        ("Maria", "The goal is to spend my mornings baking instead of on my phone. We want to open a second location next spring, so the schedule has to run without me."),
        ("Interviewer", "What does a tool need to do for you?"),
        ("Maria", "We need one place where everyone sees the current schedule. Staff need to swap shifts themselves, but I still have to approve every swap."),
        ("Interviewer", "Anything you've seen elsewhere that you liked?"),
        ("Maria", "I wish it could text people automatically when a shift opens up. It would be great if it also worked out the overtime for payroll."),
        ("Interviewer", "Tom, you run the floor when Maria is out. How does it look from your side?"),
        ("Tom", "When Maria is off, I have to call people one by one, which takes ages. Swapping shifts over text is a mess, messages get lost in the group chat all the time."),
        ("Tom", "I would love a way to see who is available before I ask anyone."),
        ("Interviewer", "We showed you both the demo last week. What did you think?"),
        ("Maria", "I love the drag-and-drop calendar, it's really easy to use. The swap approval screen is great."),
        ("Tom", "The app looked really simple in the demo, even for our weekend students."),
        ("Maria", "But I don't love the price. Forty dollars a month per location is too expensive for a bakery our size."),
        ("Maria", "I'm also not sure my older staff will install another app."),
        ("Interviewer", "Got it. Anything you'd like to ask us?"),
        ("Maria", "Can it handle two locations with different opening hours? And does it work on Android phones?"),
        ("Tom", "Would it send reminders before each shift?"),
        ("Maria", "Mm-hmm. Right."),
        ("Interviewer", "Thank you both, this was really helpful."),
    ];
    let mut segments = Vec::with_capacity(LINES.len());
    let mut t = 0.0;
    for (speaker, text) in LINES {
        let duration = text.split_whitespace().count() as f64 / WORDS_PER_SECOND;
        segments.push(Segment {
            speaker: (*speaker).to_string(),
            start: round2(t),
            end: round2(t + duration),
            text: (*text).to_string(),
            confidence: None,
        });
        t += duration + TURN_GAP;
    }
    Transcript::new(TranscriptFormat::PlainText, segments)
}

/// A deterministic synthetic interview of about `minutes` minutes (roughly 175 words and 13
/// segments a minute, so 180 minutes is about 31,000 words in 2,400 segments) between an
/// interviewer and two customers, built from varied sentence templates over many topics.
/// For benchmarks and load tests: the same `minutes` always gives the same transcript.
pub fn generate_long_transcript(minutes: u32) -> Transcript {
    let mut rng = Lcg(0x5eed_1234_abcd_0001 ^ u64::from(minutes));
    let end = f64::from(minutes) * 60.0;
    let mut segments = Vec::new();
    let mut t = 0.0;
    let mut interviewer_turn = true;
    while t < end {
        let topic = TOPICS[rng.below(TOPICS.len())];
        let text = if interviewer_turn {
            fill(INTERVIEWER[rng.below(INTERVIEWER.len())], topic)
        } else {
            let sentences = 1 + rng.below(3);
            let mut parts = Vec::with_capacity(sentences);
            for _ in 0..sentences {
                let roll = rng.below(100);
                let pool: &[&str] = if roll < 8 {
                    FILLER
                } else if roll < 22 {
                    NEUTRAL
                } else {
                    CUSTOMER[rng.below(CUSTOMER.len())]
                };
                let topic = if rng.below(3) == 0 {
                    TOPICS[rng.below(TOPICS.len())]
                } else {
                    topic
                };
                parts.push(fill(pool[rng.below(pool.len())], topic));
            }
            parts.join(" ")
        };
        let speaker = if interviewer_turn {
            "Interviewer"
        } else if rng.below(3) == 0 {
            "Tom"
        } else {
            "Maria"
        };
        let duration = text.split_whitespace().count() as f64 / WORDS_PER_SECOND;
        segments.push(Segment {
            speaker: speaker.to_string(),
            start: round2(t),
            end: round2(t + duration),
            text,
            confidence: None,
        });
        t += duration + TURN_GAP;
        interviewer_turn = !interviewer_turn;
    }
    Transcript::new(TranscriptFormat::PlainText, segments)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn fill(template: &str, topic: &str) -> String {
    let text = template.replace("{t}", topic);
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// A small linear congruential generator: deterministic on every platform, no dependency.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

const TOPICS: &[&str] = &[
    "shift swaps",
    "the weekly rota",
    "payroll exports",
    "overtime rules",
    "holiday requests",
    "the delivery schedule",
    "supplier invoices",
    "inventory counts",
    "training new staff",
    "sick calls",
    "the second location",
    "customer pre-orders",
    "the oven maintenance log",
    "timesheet approvals",
    "the staff group chat",
    "weekend coverage",
    "break planning",
    "labour cost reports",
    "wholesale orders",
    "allergen labels",
];

const INTERVIEWER: &[&str] = &[
    "Can you tell me more about {t}?",
    "How do you handle {t} today?",
    "What happens when {t} goes wrong?",
    "Who is involved in {t}?",
    "How often do you deal with {t}?",
    "Got it.",
    "Interesting, go on.",
    "What would make {t} easier?",
    "Why is {t} important to you?",
];

const FILLER: &[&str] = &["Yeah.", "Right.", "Mm-hmm.", "Okay, sure.", "Exactly."];

const NEUTRAL: &[&str] = &[
    "We have been open for about six years now.",
    "My sister runs the front of house most days.",
    "We bake bread, pastries and a few cakes for cafés nearby.",
    "There are about fourteen people on the team in summer.",
    "It depends on the season really.",
];

const CUSTOMER: &[&[&str]] = &[
    &[
        "Honestly, {t} takes forever every single week.",
        "The worst part is {t}, it is a constant headache.",
        "We lost a lot of time on {t} last month.",
        "Keeping track of {t} by text is a mess.",
        "I spend hours every week sorting out {t}.",
    ],
    &[
        "We need one place to manage {t}.",
        "It has to handle {t} for both shops.",
        "Whatever we pick must cover {t} properly.",
    ],
    &[
        "The goal is to spend less time on {t} this year.",
        "We want to get {t} under control before summer.",
        "I'm trying to hand {t} over to the shift leads.",
    ],
    &[
        "Right now we track {t} in a spreadsheet.",
        "Every week I go through {t} by hand on Sunday night.",
        "We currently write {t} on the whiteboard in the kitchen.",
    ],
    &[
        "I wish it could remind people about {t} automatically.",
        "It would be great if {t} showed up on everyone's phone.",
        "We would love a button that copies {t} from last week.",
    ],
    &[
        "I love how simple {t} looks in the demo.",
        "The way you handle {t} is really easy to use.",
    ],
    &[
        "I'm not sure we can justify another tool just for {t}.",
        "It seems too expensive if we only use it for {t}.",
        "My older staff won't use an app for {t}.",
    ],
    &[
        "Can it export {t} to our accountant?",
        "How does it deal with {t} on bank holidays?",
        "Does it keep a history of {t}?",
    ],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_transcripts_are_deterministic_and_about_the_right_size() {
        let a = generate_long_transcript(180);
        let b = generate_long_transcript(180);
        assert_eq!(a, b);
        let words = a.word_count();
        assert!((28_000..=36_000).contains(&words), "{words} words");
        assert!(
            (2_000..=3_000).contains(&a.segments.len()),
            "{} segments",
            a.segments.len()
        );
        assert!(a.duration_seconds() >= 180.0 * 60.0 - 1.0);
        assert!(a.segments.windows(2).all(|w| w[0].end <= w[1].start));
        assert_ne!(generate_long_transcript(5), generate_long_transcript(6));
    }

    #[test]
    fn zero_minutes_is_an_empty_transcript() {
        assert!(generate_long_transcript(0).segments.is_empty());
    }
}
