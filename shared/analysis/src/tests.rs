//! End-to-end tests of the local analyzer on the fixtures: what a researcher would expect from
//! the bakery interview, validation, determinism and speed.

use super::*;
use crate::ports::Analyzer;
use crate::transcript::{Segment, Transcript, TranscriptFormat};
use interview_testkit::analysis_fixtures::{bakery_interview, generate_long_transcript};
use std::time::Instant;

fn run(t: &Transcript) -> (EvidenceDoc, AnalysisDoc) {
    let analyzer = LocalAnalyzer::new();
    let evidence = analyzer.extract_evidence(t);
    let analysis = analyzer.analyze_evidence(t, &evidence);
    (evidence, analysis)
}

fn id_of(doc: &EvidenceDoc, quote: &str) -> String {
    doc.items
        .iter()
        .find(|e| e.quote == quote)
        .map(|e| e.id.clone())
        .unwrap_or_else(|| panic!("no evidence for {quote:?}"))
}

fn kind_of(doc: &EvidenceDoc, quote: &str) -> Option<EvidenceKind> {
    doc.items.iter().find(|e| e.quote == quote).map(|e| e.kind)
}

#[test]
fn bakery_sentences_get_the_kinds_a_researcher_would_give_them() {
    use EvidenceKind::*;
    let (doc, _) = run(&bakery_interview());
    let expected = [
        (
            "Every week I build the schedule on a paper sheet in the back office.",
            Behaviour,
        ),
        ("Then I take a photo and send it to the group chat.", Behaviour),
        ("Honestly, shift swaps are the worst part of my week.", Pain),
        (
            "Everybody texts me separately to swap shifts, and it takes forever to sort out who is covering what.",
            Pain,
        ),
        (
            "Probably three or four hours every week, just on texts about shift swaps.",
            Pain,
        ),
        ("The real headache is keeping track of the swaps.", Pain),
        ("The goal is to spend my mornings baking instead of on my phone.", Goal),
        (
            "We want to open a second location next spring, so the schedule has to run without me.",
            Goal,
        ),
        ("We need one place where everyone sees the current schedule.", Need),
        (
            "Staff need to swap shifts themselves, but I still have to approve every swap.",
            Need,
        ),
        (
            "I wish it could text people automatically when a shift opens up.",
            FeatureRequest,
        ),
        (
            "It would be great if it also worked out the overtime for payroll.",
            FeatureRequest,
        ),
        (
            "When Maria is off, I have to call people one by one, which takes ages.",
            Pain,
        ),
        (
            "Swapping shifts over text is a mess, messages get lost in the group chat all the time.",
            Pain,
        ),
        (
            "I would love a way to see who is available before I ask anyone.",
            FeatureRequest,
        ),
        ("I love the drag-and-drop calendar, it's really easy to use.", Praise),
        ("The swap approval screen is great.", Praise),
        ("But I don't love the price.", Objection),
        (
            "Forty dollars a month per location is too expensive for a bakery our size.",
            Objection,
        ),
        ("I'm also not sure my older staff will install another app.", Objection),
        ("Can it handle two locations with different opening hours?", Question),
        ("And does it work on Android phones?", Question),
        ("Would it send reminders before each shift?", Question),
    ];
    for (quote, kind) in expected {
        assert_eq!(kind_of(&doc, quote), Some(kind), "{quote}");
    }
}

#[test]
fn interviewer_lines_fillers_and_negated_pain_are_not_evidence() {
    let (doc, _) = run(&bakery_interview());
    assert!(doc.items.iter().all(|e| e.speaker != "Interviewer"));
    for quote in [
        "Finding bakers is not a problem.",
        "Yeah.",
        "Mm-hmm.",
        "Right.",
        "Sure.",
    ] {
        assert_eq!(kind_of(&doc, quote), None, "{quote}");
    }
}

#[test]
fn bakery_evidence_is_numbered_in_order_tagged_and_valid() {
    let t = bakery_interview();
    let (doc, _) = run(&t);
    assert_eq!(doc.schema_version, ANALYSIS_SCHEMA_VERSION);
    assert_eq!(doc.analyzer, "local-lexicon/3");
    validate_evidence(&t, &doc).expect("every quote is verbatim");
    for (i, ev) in doc.items.iter().enumerate() {
        assert_eq!(ev.id, format!("E{}", i + 1));
        assert!((0.0..=1.0).contains(&ev.confidence));
        let seg = t.segments.iter().find(|s| s.text.contains(&ev.quote)).expect("segment");
        assert_eq!(
            (seg.start, seg.end, seg.speaker.as_str()),
            (ev.start, ev.end, ev.speaker.as_str())
        );
    }
    let starts: Vec<f64> = doc.items.iter().map(|e| e.start).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    let swaps = doc
        .items
        .iter()
        .find(|e| e.quote.starts_with("Probably three or four hours"))
        .expect("evidence");
    for tag in ["shift", "text"] {
        assert!(swaps.tags.iter().any(|t| t == tag), "{:?}", swaps.tags);
    }
    assert!(swaps.tags.iter().any(|t| t.starts_with("swap")), "{:?}", swaps.tags);
    // Speaker names are never tags.
    assert!(doc
        .items
        .iter()
        .flat_map(|e| &e.tags)
        .all(|t| t != "maria" && t != "tom"));
}

#[test]
fn a_shift_swap_theme_leads_with_the_right_evidence() {
    let t = bakery_interview();
    let (doc, analysis) = run(&t);
    validate_analysis(&doc, &analysis).expect("every referenced id exists");
    let top = &analysis.themes[0];
    assert_eq!(top.id, "T1");
    let title = top.title.to_lowercase();
    assert!(title.contains("shift") && title.contains("swap"), "{}", top.title);
    let must = [
        "Honestly, shift swaps are the worst part of my week.",
        "Everybody texts me separately to swap shifts, and it takes forever to sort out who is covering what.",
        "Probably three or four hours every week, just on texts about shift swaps.",
        "The real headache is keeping track of the swaps.",
        "Swapping shifts over text is a mess, messages get lost in the group chat all the time.",
    ];
    for quote in must {
        assert!(top.evidence_ids.contains(&id_of(&doc, quote)), "{quote} not in {top:?}");
    }
    for unrelated in [
        "Forty dollars a month per location is too expensive for a bakery our size.",
        "I love the drag-and-drop calendar, it's really easy to use.",
        "The goal is to spend my mornings baking instead of on my phone.",
    ] {
        assert!(
            !top.evidence_ids.contains(&id_of(&doc, unrelated)),
            "{unrelated} in {top:?}"
        );
    }
    assert_eq!(top.speakers, vec!["Maria", "Tom"]);
    // The second location recurs: the goal and, much later, the question about it.
    let expansion = id_of(
        &doc,
        "We want to open a second location next spring, so the schedule has to run without me.",
    );
    let locations = id_of(&doc, "Can it handle two locations with different opening hours?");
    assert!(
        analysis
            .themes
            .iter()
            .any(|t| t.evidence_ids.contains(&expansion) && t.evidence_ids.contains(&locations)),
        "{:?}",
        analysis.themes
    );
    assert!(top.description.contains("mostly pain points"), "{}", top.description);
    // Themes are ordered by support and each has at least two quotes.
    let sizes: Vec<usize> = analysis.themes.iter().map(|t| t.evidence_ids.len()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert!(sizes.iter().all(|n| *n >= 2));
}

#[test]
fn insights_personas_summary_and_open_questions_are_grounded() {
    let t = bakery_interview();
    let (doc, analysis) = run(&t);
    let first = &analysis.insights[0];
    assert!(first.text.starts_with("Pain: shift swaps"), "{}", first.text);
    let pain_ids: Vec<String> = analysis.themes[0]
        .evidence_ids
        .iter()
        .filter(|id| doc.items.iter().any(|e| &&e.id == id && e.kind == EvidenceKind::Pain))
        .cloned()
        .collect();
    assert_eq!(first.evidence_ids, pain_ids);
    assert!(first.text.contains(&format!(
        "{} of {} quotes",
        pain_ids.len(),
        analysis.themes[0].evidence_ids.len()
    )));

    let speakers: Vec<&str> = analysis.personas.iter().map(|p| p.speaker.as_str()).collect();
    assert_eq!(speakers, vec!["Maria", "Tom"]);
    let maria = &analysis.personas[0];
    assert_eq!(maria.signals.len(), maria.evidence_ids.len());
    assert!(maria.signals[0].starts_with("goal: "), "{:?}", maria.signals);
    assert!(
        maria.signals.contains(&"objection: I don't love the price".to_string()),
        "{:?}",
        maria.signals
    );
    assert!(maria
        .signals
        .contains(&"pain point: shift swaps are the worst part of my week".to_string()));
    for (signal, id) in maria.signals.iter().zip(&maria.evidence_ids) {
        let ev = doc.items.iter().find(|e| &e.id == id).expect("id exists");
        assert_eq!(ev.speaker, "Maria");
        let phrase = signal.split_once(": ").map(|(_, p)| p).unwrap_or_default();
        let stem = phrase.trim_end_matches('…');
        assert!(ev.quote.contains(stem), "{signal} is not from {:?}", ev.quote);
    }

    let sentences = analysis.summary.matches(['.', '?', '!']).count();
    assert!(analysis.summary.contains(&analysis.themes[0].title));
    assert!(analysis.summary.contains("Maria and Tom gave"));
    assert!(analysis.summary.contains("too expensive"), "{}", analysis.summary);
    assert!((3..=8).contains(&sentences), "{}", analysis.summary);

    assert_eq!(
        analysis.open_questions,
        vec![
            "Maria asked: “Can it handle two locations with different opening hours?”",
            "Maria asked: “And does it work on Android phones?”",
            "Tom asked: “Would it send reminders before each shift?”",
        ]
    );
}

#[test]
fn running_twice_gives_byte_identical_json() {
    let t = bakery_interview();
    let (e1, a1) = run(&t);
    let (e2, a2) = run(&t);
    assert_eq!(serde_json::to_string(&e1).ok(), serde_json::to_string(&e2).ok());
    assert_eq!(serde_json::to_string(&a1).ok(), serde_json::to_string(&a2).ok());
    // A fresh analyzer on a re-parsed transcript gives the same bytes too.
    let reparsed: Transcript = serde_json::from_str(&serde_json::to_string(&t).unwrap_or_default()).expect("roundtrip");
    let (e3, a3) = run(&reparsed);
    assert_eq!(serde_json::to_string(&e1).ok(), serde_json::to_string(&e3).ok());
    assert_eq!(serde_json::to_string(&a1).ok(), serde_json::to_string(&a3).ok());
}

#[test]
fn an_invented_quote_and_an_unknown_id_are_rejected() {
    let t = bakery_interview();
    let (mut doc, mut analysis) = run(&t);
    let mut invented = doc.clone();
    invented.items[0].quote = "Scheduling is totally fine and takes no time at all.".into();
    assert!(matches!(
        validate_evidence(&t, &invented),
        Err(ValidationError::QuoteNotInTranscript { .. })
    ));
    // A quote stitched from two segments is invented too.
    let stitched = format!("{} {}", t.segments[1].text, t.segments[3].text);
    invented.items[0].quote = stitched;
    assert!(validate_evidence(&t, &invented).is_err());

    analysis.insights[0].evidence_ids.push("E999".into());
    assert_eq!(
        validate_analysis(&doc, &analysis),
        Err(ValidationError::UnknownEvidence {
            owner: "insight 1".into(),
            id: "E999".into()
        })
    );
    // Removing evidence that a theme refers to breaks the analysis as well.
    let (_, clean) = run(&t);
    let referenced = clean.themes[0].evidence_ids[0].clone();
    doc.items.retain(|e| e.id != referenced);
    assert!(matches!(
        validate_analysis(&doc, &clean),
        Err(ValidationError::UnknownEvidence { .. })
    ));
}

#[test]
fn empty_and_interviewer_only_transcripts_give_empty_valid_documents() {
    let empty = Transcript::new(TranscriptFormat::Speech, Vec::new());
    let only_interviewer = Transcript::new(
        TranscriptFormat::PlainText,
        vec![Segment {
            speaker: "Interviewer".into(),
            start: 0.0,
            end: 90.0,
            text: "Hello? It takes forever to connect. Can you hear me?".into(),
            confidence: None,
        }],
    );
    let mut endless = only_interviewer.clone();
    endless.segments[0].end = f64::INFINITY;
    for t in [empty, only_interviewer, endless] {
        let (doc, analysis) = run(&t);
        assert!(doc.items.is_empty());
        validate_evidence(&t, &doc).expect("valid");
        validate_analysis(&doc, &analysis).expect("valid");
        assert!(analysis.themes.is_empty() && analysis.insights.is_empty() && analysis.personas.is_empty());
        assert!(analysis.summary.starts_with("No customer evidence was found"));
        assert!(
            !analysis.summary.contains("18446744073709551615"),
            "{}",
            analysis.summary
        );
    }
}

#[test]
fn without_themes_insights_fall_back_to_the_strongest_evidence_per_kind() {
    let t = Transcript::new(
        TranscriptFormat::PlainText,
        vec![
            Segment {
                speaker: "Customer".into(),
                start: 0.0,
                end: 5.0,
                text: "Payroll exports take forever. I love the calendar colours.".into(),
                confidence: None,
            },
            Segment {
                speaker: "Customer".into(),
                start: 5.0,
                end: 9.0,
                text: "Invoices from the flour supplier are a nightmare.".into(),
                confidence: None,
            },
        ],
    );
    let (doc, analysis) = run(&t);
    validate_analysis(&doc, &analysis).expect("valid");
    assert!(analysis.themes.is_empty());
    assert_eq!(analysis.insights.len(), 2);
    assert!(analysis.insights[0].text.starts_with("Pain (2 pain points, Customer)"));
    assert!(analysis.summary.contains("No theme recurred"), "{}", analysis.summary);
}

#[tokio::test]
async fn the_analyzer_trait_runs_the_same_pipeline() {
    let t = bakery_interview();
    let analyzer: &dyn Analyzer = &LocalAnalyzer::new();
    assert_eq!(analyzer.name(), "local-lexicon/3");
    let evidence = analyzer.extract(&t).await.expect("extract");
    let analysis = analyzer.analyze(&t, &evidence).await.expect("analyze");
    let (e, a) = run(&t);
    assert_eq!(evidence, e);
    assert_eq!(analysis, a);
}

#[test]
fn a_three_hour_interview_is_fast_valid_and_deterministic() {
    let t = generate_long_transcript(180);
    let started = Instant::now();
    let (doc, analysis) = run(&t);
    let elapsed = started.elapsed();
    println!(
        "3-hour transcript: {} segments, {} words, {} evidence, {} themes in {:.3} s ({} build)",
        t.segments.len(),
        t.word_count(),
        doc.items.len(),
        analysis.themes.len(),
        elapsed.as_secs_f64(),
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    validate_evidence(&t, &doc).expect("valid evidence");
    validate_analysis(&doc, &analysis).expect("valid analysis");
    assert!(doc.items.len() > 1000);
    assert!(!analysis.themes.is_empty() && analysis.themes.len() <= 12);
    assert!(analysis.personas.iter().all(|p| p.signals.len() <= 24));
    let (doc2, analysis2) = run(&t);
    assert_eq!(serde_json::to_string(&doc).ok(), serde_json::to_string(&doc2).ok());
    assert_eq!(
        serde_json::to_string(&analysis).ok(),
        serde_json::to_string(&analysis2).ok()
    );
}

/// The project's own sample files, as a user runs them (`interviews process samples/…`).
fn sample(name: &str) -> Transcript {
    let path = format!("{}/../../samples/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    crate::transcript::parse_transcript(&bytes, name).expect("the sample parses")
}

fn theme_with<'a>(analysis: &'a AnalysisDoc, doc: &EvidenceDoc, quotes: &[&str]) -> &'a Theme {
    let ids: Vec<String> = quotes.iter().map(|q| id_of(doc, q)).collect();
    analysis
        .themes
        .iter()
        .find(|t| ids.iter().all(|id| t.evidence_ids.contains(id)))
        .unwrap_or_else(|| panic!("no theme holds all of {quotes:?}: {:#?}", analysis.themes))
}

#[test]
fn the_bakery_sample_gives_the_themes_a_researcher_would_name() {
    use EvidenceKind::*;
    let t = sample("bakery-scheduling.vtt");
    let (doc, analysis) = run(&t);
    validate_evidence(&t, &doc).unwrap();
    validate_analysis(&doc, &analysis).unwrap();
    // Short direct answers take the kind the question asked for; a cue-less aside does not.
    for (quote, kind) in [
        ("Shift swaps.", Pain),
        (
            "Nobody was on the ovens at four, and we opened forty minutes late.",
            Pain,
        ),
        ("Three hours on a good week, five in exam season.", Pain),
        ("Most tools charge per employee.", Objection),
        ("Setting it up.", Objection),
        ("I'd pay a flat forty a month if it gives me my Sunday back.", Need),
        ("I loved the colour-coded week view.", Praise),
        (
            "If it could export hours to our payroll, she would love you.",
            FeatureRequest,
        ),
    ] {
        assert_eq!(kind_of(&doc, quote), Some(kind), "{quote}");
    }
    assert_eq!(kind_of(&doc, "That's the big one."), None);

    let swaps = theme_with(
        &analysis,
        &doc,
        &[
            "Shift swaps.",
            "I want staff to swap shifts between themselves, and I just approve with one tap.",
            "And it has to warn me before someone goes into overtime.",
        ],
    );
    let title = swaps.title.to_lowercase();
    assert!(title.contains("shift") && title.contains("swap"), "{}", swaps.title);
    let payroll = theme_with(
        &analysis,
        &doc,
        &[
            "My bookkeeper retypes the hours every two weeks, and it takes her a full afternoon.",
            "If it could export hours to our payroll, she would love you.",
        ],
    );
    assert!(payroll.title.to_lowercase().contains("payroll"), "{}", payroll.title);
    let chat = theme_with(
        &analysis,
        &doc,
        &[
            "A spreadsheet and a group chat.",
            "The group chat is great for quick things, people answer fast.",
        ],
    );
    assert!(chat.title.starts_with("Group chat"), "{}", chat.title);
    // No quote shares a word with the others here: the question names the topic.
    let price = theme_with(
        &analysis,
        &doc,
        &[
            "Most tools charge per employee.",
            "I'd pay a flat forty a month if it gives me my Sunday back.",
        ],
    );
    assert_eq!(price.title, "Price");
    for theme in [swaps, payroll, chat, price] {
        assert!(
            !theme
                .evidence_ids
                .contains(&id_of(&doc, "I loved the colour-coded week view.")),
            "{theme:?}"
        );
    }
}

#[test]
fn the_platform_sample_finds_its_pains_request_and_objection() {
    use EvidenceKind::*;
    let t = sample("platform-team-deploys.srt");
    let (doc, analysis) = run(&t);
    validate_evidence(&t, &doc).unwrap();
    validate_analysis(&doc, &analysis).unwrap();
    for (quote, kind) in [
        ("Trust, mostly.", Pain),
        (
            "People batch their changes to avoid deploying, so every release is bigger and scarier.",
            Pain,
        ),
        (
            "Deploy windows per service, and a Slack message that says who deployed what.",
            FeatureRequest,
        ),
        ("We won't babysit a second platform.", Objection),
        (
            "Does it work with our existing Helm charts, or do we rewrite them?",
            Question,
        ),
    ] {
        assert_eq!(kind_of(&doc, quote), Some(kind), "{quote}");
    }
    let changes = theme_with(
        &analysis,
        &doc,
        &[
            "People batch their changes to avoid deploying, so every release is bigger and scarier.",
            "We'd like to ship small changes all day.",
        ],
    );
    assert!(changes.title.to_lowercase().contains("change"), "{}", changes.title);
    assert_eq!(changes.speakers, vec!["Priya"]);
}
