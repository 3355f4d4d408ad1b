//! The Bedrock analyzer against a mocked Converse API: valid answers, throttling and access
//! errors, invalid answers retried once with the problem fed back, and chunked long interviews.

use super::*;
use crate::LocalAnalyzer;
use aws_sdk_bedrockruntime::operation::converse::{ConverseInput, ConverseOutput};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use interview_testkit::analysis_fixtures::{bakery_interview, generate_long_transcript};
use std::sync::{Arc, Mutex};

/// Remembers every progress report, in order.
#[derive(Default)]
struct Reports(Mutex<Vec<WorkProgress>>);

#[async_trait]
impl ProgressSink for Reports {
    async fn report(&self, progress: WorkProgress) {
        self.0.lock().unwrap().push(progress);
    }
}

impl Reports {
    fn parts(&self) -> Vec<(usize, usize)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|p| match p {
                WorkProgress::Analysing { part, of } => (*part, *of),
                other => panic!("unexpected report {other:?}"),
            })
            .collect()
    }
}

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

fn options() -> BedrockOptions {
    BedrockOptions {
        model_id: MODEL.into(),
        region: Some("eu-west-1".into()),
        chunk_tokens: 12_000,
        overlap_segments: 3,
        max_output_tokens: 4096,
        price_input_per_1k: 0.0008,
        price_output_per_1k: 0.004,
    }
}

/// A model reply that calls `tool` with `input`, billed 1,000 input and 200 output tokens.
fn answer(tool: &str, input: Value) -> ConverseOutput {
    super::mock_replies::tool_reply(tool, input, 1000, 200)
}

fn tool_of(req: &ConverseInput) -> &str {
    let config = req.tool_config().expect("a tool config");
    let forced = config
        .tool_choice()
        .and_then(|c| c.as_tool().ok())
        .expect("a forced tool");
    forced.name()
}

fn prompt_of(req: &ConverseInput) -> &str {
    req.messages()[0].content()[0].as_text().expect("a text prompt")
}

/// The feedback in the last message, if it is an error result for the model's tool call.
fn fed_back(req: &ConverseInput) -> Option<String> {
    let last = req.messages().last()?;
    let result = last.content().first()?.as_tool_result().ok()?;
    (result.status() == Some(&ToolResultStatus::Error) && result.tool_use_id() == "tooluse-1")
        .then(|| result.content()[0].as_text().unwrap().clone())
}

fn bakery_evidence_answer() -> Value {
    json!({"items": [
        // Segment 16 is Tom's next line: the quote is in segment 15, which is where it must land.
        {"segment": 16, "quote": "Swapping shifts over text is a mess", "kind": "pain", "confidence": 0.9, "tags": ["Swaps", "text"]},
        {"segment": 3, "quote": "Honestly, shift swaps are the worst part of my week.", "kind": "pain", "confidence": 0.95},
        {"segment": 20, "quote": "Forty dollars a month per location is too expensive for a bakery our size.", "kind": "objection", "confidence": 0.85}
    ]})
}

#[tokio::test]
async fn a_valid_answer_becomes_evidence_placed_by_the_transcript_not_the_model() {
    let t = bakery_interview();
    let rule = mock!(Client::converse)
        .match_requests(|req| {
            req.model_id() == Some(MODEL)
                && tool_of(req) == EVIDENCE_TOOL
                && prompt_of(req).contains("[3] 00:17 Maria: Honestly, shift swaps")
                && req.tool_config().unwrap().tools()[0].as_tool_spec().unwrap().name() == EVIDENCE_TOOL
        })
        .then_output(|| answer(EVIDENCE_TOOL, bakery_evidence_answer()));
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::Sequential, [&rule]);
    let analyzer = BedrockAnalyzer::with_client(client, options());
    let doc = analyzer.extract(&t).await.unwrap();
    assert_eq!(rule.num_calls(), 1, "a short interview is one request");
    assert_eq!(doc.analyzer, format!("bedrock-converse/2:{MODEL}"));
    validate_evidence(&t, &doc).unwrap();
    let got: Vec<(&str, &str, f64, f64, EvidenceKind)> = doc
        .items
        .iter()
        .map(|e| (e.id.as_str(), e.speaker.as_str(), e.start, e.end, e.kind))
        .collect();
    let seg = |i: usize| (t.segments[i].start, t.segments[i].end);
    assert_eq!(
        got,
        vec![
            ("E1", "Maria", seg(3).0, seg(3).1, EvidenceKind::Pain),
            ("E2", "Tom", seg(15).0, seg(15).1, EvidenceKind::Pain),
            ("E3", "Maria", seg(20).0, seg(20).1, EvidenceKind::Objection),
        ],
        "transcript order, speaker and times from the segment the quote is in"
    );
    assert_eq!(doc.items[1].tags, vec!["swaps", "text"]);
    assert_eq!(
        doc.usage,
        Some(ModelUsage {
            input_tokens: 1000,
            output_tokens: 200,
            requests: 1,
            estimated_cost_usd: 0.0016,
        })
    );
}

#[tokio::test]
async fn a_valid_analysis_cites_the_evidence_and_gets_speakers_from_it() {
    let t = bakery_interview();
    let evidence = {
        let rule = mock!(Client::converse).then_output(|| answer(EVIDENCE_TOOL, bakery_evidence_answer()));
        let client = mock_client!(aws_sdk_bedrockruntime, [&rule]);
        BedrockAnalyzer::with_client(client, options())
            .extract(&t)
            .await
            .unwrap()
    };
    let rule = mock!(Client::converse)
        .match_requests(|req| {
            tool_of(req) == ANALYSIS_TOOL
                && prompt_of(req).contains("E2 | pain | Tom | 01:26 | ")
                && prompt_of(req).contains("\"Swapping shifts over text is a mess\"")
        })
        .then_output(|| {
            answer(
                ANALYSIS_TOOL,
                json!({
                    "themes": [{"title": "Shift swaps by text", "description": "Swaps eat hours.", "evidence_ids": ["E2", "E1"]}],
                    "insights": [{"text": "Self-service swaps would save Maria hours.", "evidence_ids": ["E1"]}],
                    "personas": [{"speaker": "Maria", "signals": ["pain point: shift swaps"], "evidence_ids": ["E1"]}],
                    "summary": "Maria and Tom lose hours to shift swaps.",
                    "open_questions": ["Would the staff install an app?"]
                }),
            )
        });
    let client = mock_client!(aws_sdk_bedrockruntime, [&rule]);
    let analysis = BedrockAnalyzer::with_client(client, options())
        .analyze(&t, &evidence)
        .await
        .unwrap();
    validate_analysis(&evidence, &analysis).unwrap();
    assert_eq!(analysis.themes.len(), 1);
    let theme = &analysis.themes[0];
    assert_eq!(
        (theme.id.as_str(), &theme.evidence_ids, &theme.speakers),
        (
            "T1",
            &vec!["E1".to_string(), "E2".to_string()],
            &vec!["Maria".to_string(), "Tom".to_string()]
        )
    );
    assert_eq!(analysis.summary, "Maria and Tom lose hours to shift swaps.");
    assert_eq!(analysis.usage.unwrap().requests, 1);
}

fn http_error(status: u16, code: &str, message: &str) -> aws_smithy_mocks::Rule {
    mock!(Client::converse)
        .sequence()
        .http_status(status, Some(format!(r#"{{"__type":"{code}","message":"{message}"}}"#)))
        .repeatedly()
        .build()
}

#[tokio::test]
async fn throttling_and_unavailability_are_transient_so_the_state_machine_retries() {
    for (status, code) in [
        (429, "ThrottlingException"),
        (503, "ServiceUnavailableException"),
        (408, "ModelTimeoutException"),
        (500, "InternalServerException"),
    ] {
        let rule = http_error(status, code, "slow down");
        let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&rule]);
        let err = BedrockAnalyzer::with_client(client, options())
            .extract(&bakery_interview())
            .await
            .unwrap_err();
        match &err {
            ProviderError::Transient { provider, message } => {
                assert_eq!(provider, PROVIDER);
                assert!(
                    message.contains(code) && message.contains("slow down") && message.contains("eu-west-1"),
                    "{message}"
                );
            }
            other => panic!("{code}: expected Transient, got {other:?}"),
        }
        assert_eq!(
            crate::error::TaskError::from(err).name(),
            "TransientError",
            "{code} is what the ASL retries"
        );
    }
}

#[tokio::test]
async fn access_and_request_errors_are_permanent_and_say_what_to_do() {
    for (status, code, advice) in [
        (
            403,
            "AccessDeniedException",
            "Enable access to this model in the Amazon Bedrock console",
        ),
        (
            404,
            "ResourceNotFoundException",
            "Check BEDROCK_MODEL_ID and BEDROCK_REGION",
        ),
        (400, "ValidationException", "supports tool use"),
    ] {
        let rule = http_error(status, code, "nope");
        let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&rule]);
        let err = BedrockAnalyzer::with_client(client, options())
            .extract(&bakery_interview())
            .await
            .unwrap_err();
        match &err {
            ProviderError::Permanent { message, .. } => {
                assert!(
                    message.contains(advice) && message.contains(MODEL) && message.contains("eu-west-1"),
                    "{message}"
                );
            }
            other => panic!("{code}: expected Permanent, got {other:?}"),
        }
        assert_eq!(rule.num_calls(), 1, "{code} is not retried");
    }
}

const INVENTED: &str = "We would pay double for this tomorrow.";

fn invented_answer() -> ConverseOutput {
    answer(
        EVIDENCE_TOOL,
        json!({"items": [
            {"segment": 3, "quote": "Honestly, shift swaps are the worst part of my week.", "kind": "pain", "confidence": 0.9},
            {"segment": 20, "quote": INVENTED, "kind": "objection", "confidence": 0.8}
        ]}),
    )
}

#[tokio::test]
async fn an_invented_quote_is_sent_back_once_with_the_problem_and_the_corrected_answer_is_used() {
    let t = bakery_interview();
    let first = mock!(Client::converse)
        .match_requests(|req| req.messages().len() == 1)
        .then_output(invented_answer);
    let seen = Arc::new(Mutex::new(String::new()));
    let record = seen.clone();
    let second = mock!(Client::converse)
        .match_requests(move |req| {
            // The conversation so far: our prompt, the model's tool call, our error result.
            let feedback = fed_back(req).unwrap_or_default();
            *record.lock().unwrap() = feedback.clone();
            req.messages().len() == 3
                && req.messages()[1].content()[0].as_tool_use().is_ok()
                && feedback.contains("not verbatim")
                && feedback.contains(INVENTED)
        })
        .then_output(|| answer(EVIDENCE_TOOL, bakery_evidence_answer()));
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::Sequential, [&first, &second]);
    let doc = BedrockAnalyzer::with_client(client, options())
        .extract(&t)
        .await
        .unwrap();
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    let feedback = seen.lock().unwrap().clone();
    assert!(
        feedback.starts_with("Your answer was not accepted: item 2 (segment 20): the quote")
            && feedback.ends_with("Call record_evidence again with a corrected, complete answer."),
        "{feedback}"
    );
    validate_evidence(&t, &doc).unwrap();
    assert_eq!(doc.items.len(), 3);
    let usage = doc.usage.unwrap();
    assert_eq!(
        (usage.requests, usage.input_tokens, usage.output_tokens),
        (2, 2000, 400),
        "both calls are paid for"
    );
}

#[tokio::test]
async fn an_invalid_answer_twice_is_a_permanent_error_naming_the_problem_but_not_the_quote() {
    let rule = mock!(Client::converse)
        .sequence()
        .output(invented_answer)
        .times(2)
        .build();
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::Sequential, [&rule]);
    let err = BedrockAnalyzer::with_client(client, options())
        .extract(&bakery_interview())
        .await
        .unwrap_err();
    assert_eq!(rule.num_calls(), 2, "one retry, no more");
    match &err {
        ProviderError::Permanent { message, .. } => assert!(
            message.contains("invalid answer twice")
                && message.contains("evidence extraction (part 1 of 1)")
                && message.contains("item 2 not verbatim in any segment")
                && !message.contains(INVENTED),
            "{message}"
        ),
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(crate::error::TaskError::from(err).name(), "ProviderError");
}

#[tokio::test]
async fn schema_mismatches_truncation_and_unknown_ids_are_fed_back_too() {
    let t = bakery_interview();
    // A wrong type, then a valid answer whose items arrive as a JSON-encoded string.
    let wrong = mock!(Client::converse)
        .then_output(|| answer(EVIDENCE_TOOL, json!({"items": [{"segment": "three", "quote": "x"}]})));
    let fixed = mock!(Client::converse)
        .match_requests(|req| fed_back(req).is_some_and(|f| f.contains("does not match its schema")))
        .then_output(|| {
            let items = bakery_evidence_answer()["items"].to_string();
            answer(EVIDENCE_TOOL, json!({ "items": items }))
        });
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::Sequential, [&wrong, &fixed]);
    let evidence = BedrockAnalyzer::with_client(client, options())
        .extract(&t)
        .await
        .unwrap();
    assert_eq!(evidence.items.len(), 3);

    // Cut off at the output limit, then an analysis citing an id it was never shown, twice.
    let cut = mock!(Client::converse).then_output(|| {
        let mut out = answer(ANALYSIS_TOOL, json!({}));
        out.stop_reason = StopReason::MaxTokens;
        out
    });
    let unknown = mock!(Client::converse)
        .match_requests(|req| fed_back(req).is_some_and(|f| f.contains("cut off at the output limit of 4096")))
        .then_output(|| {
            answer(
                ANALYSIS_TOOL,
                json!({"themes": [{"title": "Swaps", "description": "", "evidence_ids": ["E1", "E42"]}],
                       "insights": [], "personas": [], "summary": "S.", "open_questions": []}),
            )
        });
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::Sequential, [&cut, &unknown]);
    let err = BedrockAnalyzer::with_client(client, options())
        .analyze(&t, &evidence)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("theme T1 refers to evidence E42, which does not exist"),
        "{err}"
    );
}

/// A stand-in model that answers from the prompt: evidence for customer segments that are a
/// multiple of 7 or among the first or last three of the part (so the overlap between parts is
/// answered twice), two themes per analysis part, and a summary.
fn fake_model(req: &ConverseInput, answered: &Mutex<Vec<(usize, String)>>) -> ConverseOutput {
    let prompt = prompt_of(req);
    match tool_of(req) {
        EVIDENCE_TOOL => {
            let lines: Vec<(usize, &str, &str)> = prompt
                .lines()
                .filter_map(|l| {
                    let (n, rest) = l.strip_prefix('[')?.split_once("] ")?;
                    let (_time, rest) = rest.split_once(' ')?;
                    let (speaker, text) = rest.split_once(": ")?;
                    Some((n.parse().ok()?, speaker, text))
                })
                .collect();
            let mut items = Vec::new();
            for (k, (n, speaker, text)) in lines.iter().enumerate() {
                let edge = k < 3 || k + 3 >= lines.len();
                if *speaker == "Interviewer" || !(n % 7 == 0 || edge) {
                    continue;
                }
                let quote = text.split_inclusive(['.', '?', '!']).next().unwrap().trim();
                answered.lock().unwrap().push((*n, quote.to_string()));
                items.push(json!({"segment": n, "quote": quote, "kind": "pain", "confidence": 0.7}));
            }
            answer(EVIDENCE_TOOL, json!({ "items": items }))
        }
        ANALYSIS_TOOL => {
            // Evidence lines: `E12 | pain | Maria | 01:23 | "quote"`.
            let rows: Vec<Vec<&str>> = prompt
                .lines()
                .map(|l| l.split(" | ").collect::<Vec<_>>())
                .filter(|cells| {
                    cells.len() == 5
                        && cells[0]
                            .strip_prefix('E')
                            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                })
                .collect();
            let ids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
            let id = |i: usize| ids[i % ids.len()];
            let speaker = rows[0][2];
            answer(
                ANALYSIS_TOOL,
                json!({
                    "themes": [
                        {"title": "Shift swaps", "description": "Swaps.", "evidence_ids": [id(0), id(1)]},
                        {"title": "The shift swap", "description": "Again.", "evidence_ids": [id(2)]},
                        {"title": "Payroll exports", "description": "Payroll.", "evidence_ids": [id(3), id(4)]}
                    ],
                    "insights": [{"text": "Swaps cost hours.", "evidence_ids": [id(0)]}],
                    "personas": [{"speaker": speaker, "signals": ["pain point: swaps"], "evidence_ids": [id(0)]}],
                    "summary": "A part.",
                    "open_questions": ["Does it work on Android?"]
                }),
            )
        }
        SUMMARY_TOOL => {
            assert!(prompt.contains("- Shift swaps ("), "{prompt}");
            answer(
                SUMMARY_TOOL,
                json!({"summary": "The whole interview.", "open_questions": ["Does it work on Android?", "Can it export payroll?"]}),
            )
        }
        other => panic!("unexpected tool {other}"),
    }
}

#[tokio::test]
async fn a_three_hour_interview_is_chunked_merged_renumbered_and_deduplicated() {
    let t = generate_long_transcript(180);
    let chunks = chunk::transcript_chunks(&t, 12_000, 3);
    assert!(chunks.len() >= 4, "{} chunks", chunks.len());
    let answered = Arc::new(Mutex::new(Vec::new()));
    let log = answered.clone();
    let rule = mock!(Client::converse)
        .match_requests(|req| tool_of(req) == EVIDENCE_TOOL)
        .then_compute_output(move |req| fake_model(req, &log));
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&rule]);
    let analyzer = BedrockAnalyzer::with_client(client, options());
    let reports = Reports::default();
    let doc = analyzer.extract_reporting(&t, &reports).await.unwrap();

    assert_eq!(rule.num_calls(), chunks.len(), "one Converse call per chunk");
    let n = chunks.len();
    assert_eq!(
        reports.parts(),
        (1..=n).map(|k| (k, n)).collect::<Vec<_>>(),
        "one report per part"
    );
    validate_evidence(&t, &doc).unwrap();
    let answered = answered.lock().unwrap().clone();
    let distinct: HashSet<(usize, String)> = answered.iter().cloned().collect();
    assert!(
        answered.len() > distinct.len(),
        "the overlap was answered twice ({} answers, {} distinct)",
        answered.len(),
        distinct.len()
    );
    // Answers too short to be evidence ("Yes.") are left out, the rest once each.
    let kept = distinct
        .iter()
        .filter(|(_, q)| interview_core::quote::long_enough(q))
        .count();
    assert!(kept < distinct.len(), "the fake model gives some short answers");
    assert_eq!(doc.items.len(), kept, "duplicates from the overlap are dropped");
    let ids: Vec<String> = doc.items.iter().map(|e| e.id.clone()).collect();
    let want: Vec<String> = (1..=doc.items.len()).map(|i| format!("E{i}")).collect();
    assert_eq!(ids, want, "renumbered E1.. across chunks");
    assert!(
        doc.items.windows(2).all(|w| w[0].start <= w[1].start),
        "transcript order"
    );
    let usage = doc.usage.unwrap();
    assert_eq!(usage.requests as usize, chunks.len());
    assert_eq!(usage.input_tokens, 1000 * chunks.len() as u64);
}

#[tokio::test]
async fn long_evidence_is_analysed_in_parts_whose_themes_merge_before_one_summary() {
    let t = generate_long_transcript(180);
    let mut evidence = LocalAnalyzer::new().extract_evidence(&t);
    let mut parts = chunk::evidence_chunks(&evidence, 12_000);
    // The stand-in model cites five ids per part: leave out a short tail part.
    if parts.last().unwrap().len() < 5 {
        evidence.items.truncate(parts.pop().unwrap().start);
    }
    assert!(
        parts.len() >= 2,
        "{} parts for {} items",
        parts.len(),
        evidence.items.len()
    );
    let log = Arc::new(Mutex::new(Vec::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let analyses = mock!(Client::converse)
        .match_requests(|req| tool_of(req) == ANALYSIS_TOOL)
        .then_compute_output(move |req| fake_model(req, &l1));
    let summaries = mock!(Client::converse)
        .match_requests(|req| tool_of(req) == SUMMARY_TOOL)
        .then_compute_output(move |req| fake_model(req, &l2));
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&analyses, &summaries]);
    let reports = Reports::default();
    let doc = BedrockAnalyzer::with_client(client, options())
        .analyze_reporting(&t, &evidence, &reports)
        .await
        .unwrap();
    assert_eq!((analyses.num_calls(), summaries.num_calls()), (parts.len(), 1));
    let n = parts.len() + 1;
    assert_eq!(
        reports.parts(),
        (1..=n).map(|k| (k, n)).collect::<Vec<_>>(),
        "one report per part, the summary last"
    );
    validate_analysis(&evidence, &doc).unwrap();
    let titles: Vec<(&str, &str, usize)> = doc
        .themes
        .iter()
        .map(|t| (t.id.as_str(), t.title.as_str(), t.evidence_ids.len()))
        .collect();
    assert_eq!(
        titles,
        vec![
            ("T1", "Shift swaps", 3 * parts.len()),
            ("T2", "Payroll exports", 2 * parts.len())
        ],
        "\"The shift swap\" merges into \"Shift swaps\"; each title once across parts"
    );
    assert_eq!(doc.insights.len(), 1, "repeated insights are dropped");
    assert_eq!(doc.summary, "The whole interview.");
    assert_eq!(
        doc.open_questions,
        vec!["Does it work on Android?", "Can it export payroll?"]
    );
    assert_eq!(doc.usage.unwrap().requests as usize, parts.len() + 1);
}

#[tokio::test]
async fn an_empty_transcript_costs_nothing() {
    let rule = mock!(Client::converse).then_output(|| panic!("no call expected"));
    let client = mock_client!(aws_sdk_bedrockruntime, [&rule]);
    let analyzer = BedrockAnalyzer::with_client(client, options());
    let empty = Transcript::new(crate::transcript::TranscriptFormat::PlainText, vec![]);
    let evidence = analyzer.extract(&empty).await.unwrap();
    assert!(evidence.items.is_empty() && evidence.usage.is_none());
    let analysis = analyzer.analyze(&empty, &evidence).await.unwrap();
    assert!(analysis.themes.is_empty() && analysis.usage.is_none());
    assert_eq!(rule.num_calls(), 0);
}

#[test]
fn documents_and_json_convert_both_ways() {
    let value = json!({"a": [1, -2, 2.5, "s", true, null], "b": {"c": {}}});
    assert_eq!(document_to_json(&json_to_document(&value)), value);
    let wrapped = json!({"items": "[{\"x\": 1}]", "summary": "[not json"});
    assert_eq!(
        unwrap_json_strings(wrapped),
        json!({"items": [{"x": 1}], "summary": "[not json"})
    );
}

/// The extract and analyze handlers record the Bedrock usage on the item: the whole pipeline
/// on the embedded backend with a mocked model.
#[tokio::test]
async fn the_pipeline_records_the_sum_of_both_steps_usage_on_the_item() {
    use interview_core::config::Settings;
    use interview_core::domain::{InterviewId, Status};
    use interview_core::services::Services;
    use interview_core::{Clock, ScaledClock};
    use interview_embedded::fs::FsBlobStore;
    use interview_embedded::sqlite::SqliteStore;
    use interview_handlers::Function;

    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let rule = mock!(Client::converse).then_compute_output(move |req| fake_model(req, &l));
    let client = mock_client!(aws_sdk_bedrockruntime, RuleMode::MatchAny, [&rule]);

    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::embedded(dir.path());
    settings.local_concurrency = 1;
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(1000.0));
    let store = Arc::new(SqliteStore::open(&dir.path().join("items.sqlite")).unwrap());
    let blobs = Arc::new(FsBlobStore::new(&dir.path().join("blobs"), "local").unwrap());
    let services = Services::builder(settings, "test", store, blobs)
        .analyzer(Arc::new(BedrockAnalyzer::with_client(client, options())))
        .clock(clock.clone())
        .build();
    let (services, orchestrator) = interview_embedded::local_pipeline(services, clock).unwrap();

    let text: String = bakery_interview()
        .segments
        .iter()
        .map(|s| format!("{}: {}\n", s.speaker, s.text))
        .collect();
    let key = "uploads/acme/bakery.txt";
    let meta = services
        .blobs
        .put(key, bytes::Bytes::from(text), "text/plain")
        .await
        .unwrap();
    let event = interview_core::s3_event::created_notification("local", key, &meta.etag, meta.size, "0001");
    let sqs = json!({"Records": [{"messageId": "m1", "body": event, "eventSource": "aws:sqs"}]});
    interview_embedded::tasks::invoke(&services, Function::Ingest, sqs)
        .await
        .unwrap();
    orchestrator.wait_idle().await;

    let item = services
        .store
        .get(&InterviewId::for_object("local", key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.status, Status::Ready, "{:?}", item.error);
    assert_eq!(rule.num_calls(), 2, "one extract and one analyze request");
    let usage = item.model_usage.expect("usage on the item");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.requests),
        (2000, 400, 2)
    );
    assert!((usage.estimated_cost_usd - 0.0032).abs() < 1e-9, "{usage:?}");
    assert!(item.steps[&interview_core::domain::Step::Extract]
        .worker
        .as_deref()
        .is_some_and(|w| w.contains("bedrock-converse/2")));
}
