//! Section 4: what one interview costs on AWS, counted from the real code paths.
//!
//! The same handlers the Lambdas run are driven through the same ASL with the in-process
//! runner, over adapters that count what the AWS ones would bill:
//! - DynamoDB: a [`MeteredStore`] over SQLite for the request counts, and [`CostStore`] around
//!   it pricing each request as DynamoDB would from [`stored_size`] of the item: a write is one
//!   unit per started KB; while an item is live it is also in the sparse index, and since every
//!   write moves its `updated_at` sort key the index pays a delete (1 unit) plus a put (item +
//!   100 bytes of index overhead, per started KB); leaving the index is one delete. Reads are
//!   strongly consistent: one unit per started 4 KB. A refused conditional write is billed too.
//! - S3: a [`MeteredBlobStore`] over the filesystem bucket.
//! - Step Functions: the runner's [`Execution::transitions`] (every state entered, retries included).
//! - Lambda: one invocation per ingest batch and per task the runner invokes, timed locally and
//!   then modelled for Lambda's CPU share and network latency (see [`LambdaModel`]).
//! - SQS: three requests per upload (S3's send, the event source's receive and delete).
//!
//! Two kinds of upload: a ready transcript (WebVTT, parsed in the transcribe task) and a
//! recording, where a stand-in for Amazon Transcribe answers "in progress" until the modelled
//! job time has passed, so the Wait → check → Choice loop runs the number of times it would.

use crate::formats::UploadFormat;
use anyhow::{bail, Context, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use interview_analysis::analyzer_for;
use interview_analysis::{AnalysisDoc, EvidenceDoc};
use interview_asl::{Clock, Definition, ExecutionStatus, Runner, ScaledClock, StopSignal, TaskFailure, TaskInvoker};
use interview_aws::dynamodb::stored_size;
use interview_core::config::Settings;
use interview_core::domain::{Interview, InterviewId, RunId, LIVE_SHARDS};
use interview_core::listing::{Page, PageQuery};
use interview_core::ports::{
    Analyzer, BlobStore, Expected, ItemStore, ListQuery, Orchestrator, Transcriber, TranscriptionRequest,
    TranscriptionState,
};
use interview_core::s3_event::created_notification;
use interview_core::services::Services;
use interview_core::{OrchestratorError, ProviderError, StoreError};
use interview_embedded::fs::FsBlobStore;
use interview_embedded::local::{local_substitutions, STATE_MACHINE_ASL};
use interview_embedded::sqlite::SqliteStore;
use interview_embedded::tasks::{invoke, task_of};
use interview_handlers::{Function, Pipeline};
use interview_speech::transcriber_for;
use interview_speech::SymphoniaProbe;
use interview_testkit::analysis_fixtures::generate_long_transcript;
use interview_testkit::metered_blobs::{BlobCounters, BlobCounts, MeteredBlobStore};
use interview_testkit::metered_store::{MeteredStore, StoreCounters};
use interview_transcript::{Transcript, TranscriptFormat};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The prices the bench uses, read from `bench/prices.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prices {
    /// Where and when the prices come from.
    #[serde(rename = "_comment")]
    pub comment: String,
    /// The region priced.
    pub region: String,
    /// DynamoDB on-demand.
    pub dynamodb: DynamoPrices,
    /// Step Functions Standard.
    pub step_functions: SfnPrices,
    /// Lambda.
    pub lambda: LambdaPrices,
    /// S3 Standard.
    pub s3: S3Prices,
    /// SQS standard queues.
    pub sqs: SqsPrices,
    /// Amazon Transcribe batch.
    pub transcribe: TranscribePrices,
    /// Amazon Bedrock on-demand.
    pub bedrock: BedrockPrices,
    /// EventBridge custom events and Pipes (the status events).
    pub eventbridge: crate::events_cost::EventBridgePrices,
    /// DynamoDB Streams reads (the status events' source).
    pub dynamodb_streams: crate::events_cost::StreamsPrices,
}

/// DynamoDB on-demand prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DynamoPrices {
    /// Pricing page.
    pub source: String,
    /// USD per million write request units.
    pub write_request_units_per_million: f64,
    /// USD per million read request units.
    pub read_request_units_per_million: f64,
    /// USD per GB-month stored.
    pub storage_per_gb_month: f64,
}

/// Step Functions prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SfnPrices {
    /// Pricing page.
    pub source: String,
    /// USD per 1,000 Standard state transitions.
    pub standard_per_1000_state_transitions: f64,
}

/// Lambda prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LambdaPrices {
    /// Pricing page.
    pub source: String,
    /// USD per million requests.
    pub requests_per_million: f64,
    /// USD per GB-second on arm64.
    pub arm64_per_gb_second: f64,
}

/// S3 prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Prices {
    /// Pricing page.
    pub source: String,
    /// USD per 1,000 PUT, COPY, POST, LIST requests.
    pub put_copy_post_list_per_1000: f64,
    /// USD per 1,000 GET, SELECT and other requests.
    pub get_select_other_per_1000: f64,
    /// USD per GB-month of S3 Standard.
    pub standard_storage_per_gb_month: f64,
}

/// SQS prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SqsPrices {
    /// Pricing page.
    pub source: String,
    /// USD per million standard-queue requests.
    pub standard_requests_per_million: f64,
}

/// Amazon Transcribe prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscribePrices {
    /// Pricing page.
    pub source: String,
    /// USD per minute of audio, batch.
    pub batch_per_minute: f64,
    /// Shortest billed job.
    pub minimum_billed_seconds: f64,
}

/// Amazon Bedrock prices for the configured model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BedrockPrices {
    /// Pricing page.
    pub source: String,
    /// The model priced.
    pub model: String,
    /// USD per 1,000 input tokens.
    pub input_per_1000_tokens: f64,
    /// USD per 1,000 output tokens.
    pub output_per_1000_tokens: f64,
}

impl Prices {
    /// The prices shipped with the bench.
    pub fn builtin() -> Prices {
        serde_json::from_str(include_str!("../prices.json")).expect("bench/prices.json is valid")
    }

    /// Prices from a file in the same shape as `bench/prices.json`.
    pub fn load(path: &std::path::Path) -> Result<Prices> {
        let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))
    }
}

/// How a locally timed invocation is turned into a Lambda duration: the CPU part scales with
/// the memory setting (Lambda gives one vCPU at 1,769 MB and a proportional share below), and
/// each AWS call adds a typical in-region round trip. The constants are assumptions, printed
/// with the results; the local core is taken as equal to one Lambda vCPU (not calibrated).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct LambdaModel {
    /// MB of memory that buys one full vCPU.
    pub full_vcpu_mb: f64,
    /// Milliseconds per DynamoDB request.
    pub dynamodb_ms: f64,
    /// Milliseconds per S3 request (first byte).
    pub s3_ms: f64,
    /// S3 transfer rate from Lambda, MB per second.
    pub s3_mb_per_s: f64,
    /// Milliseconds per Step Functions API call.
    pub sfn_ms: f64,
}

impl Default for LambdaModel {
    fn default() -> Self {
        LambdaModel {
            full_vcpu_mb: 1769.0,
            dynamodb_ms: 6.0,
            s3_ms: 20.0,
            s3_mb_per_s: 60.0,
            sfn_ms: 25.0,
        }
    }
}

/// DynamoDB request units as this item store's traffic would consume them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct DynamoUsage {
    /// Write request units on the table.
    pub table_wru: f64,
    /// Write request units on the sparse index.
    pub index_wru: f64,
    /// Read request units (strongly consistent gets).
    pub rru: f64,
    /// Successful writes.
    pub writes: u64,
    /// Refused conditional writes (billed).
    pub refused: u64,
    /// Gets.
    pub reads: u64,
    /// Stored size of the last item written, bytes.
    pub item_bytes: u64,
}

/// Prices every store request as DynamoDB on-demand would (see the module docs).
pub struct CostStore {
    inner: Arc<dyn ItemStore>,
    usage: Mutex<DynamoUsage>,
    live: Mutex<HashMap<String, bool>>,
}

fn units(bytes: usize, unit: usize) -> f64 {
    bytes.div_ceil(unit).max(1) as f64
}

/// Bytes DynamoDB adds to each index entry.
const INDEX_ENTRY_OVERHEAD: usize = 100;

impl CostStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ItemStore>) -> Self {
        CostStore {
            inner,
            usage: Mutex::default(),
            live: Mutex::default(),
        }
    }

    /// The units so far.
    pub fn usage(&self) -> DynamoUsage {
        *self.usage.lock().unwrap()
    }

    fn wrote(&self, item: &Interview, ok: bool) -> Result<(), StoreError> {
        let size = stored_size(item)?;
        let mut usage = self.usage.lock().unwrap();
        usage.table_wru += units(size, 1024);
        if !ok {
            usage.refused += 1;
            return Ok(());
        }
        usage.writes += 1;
        usage.item_bytes = size as u64;
        let now_live = item.live_shard(LIVE_SHARDS).is_some();
        let was_live = self
            .live
            .lock()
            .unwrap()
            .insert(item.id.to_string(), now_live)
            .unwrap_or(false);
        if was_live {
            usage.index_wru += 1.0;
        }
        if now_live {
            usage.index_wru += units(size + INDEX_ENTRY_OVERHEAD, 1024);
        }
        Ok(())
    }
}

#[async_trait]
impl ItemStore for CostStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        let found = self.inner.get(id).await?;
        let size = match &found {
            Some(item) => stored_size(item)?,
            None => 0,
        };
        let mut usage = self.usage.lock().unwrap();
        usage.reads += 1;
        usage.rru += units(size, 4096);
        Ok(found)
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        let result = self.inner.create(item).await;
        self.wrote(item, result.is_ok())?;
        result
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        let result = self.inner.replace(item, expected).await;
        self.wrote(item, result.is_ok())?;
        result
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        self.inner.list(query).await
    }

    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        self.inner.live_items_updated_before(cutoff).await
    }

    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError> {
        self.inner.page(query).await
    }

    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.inner.projects().await
    }
}

/// Records executions instead of starting them (the bench runs them itself, to see each
/// execution's transitions), counting Step Functions API calls.
#[derive(Default)]
pub struct RecordingOrchestrator {
    started: Mutex<Vec<(RunId, Value)>>,
    /// StartExecution and StopExecution calls.
    pub api_calls: AtomicU64,
}

#[async_trait]
impl Orchestrator for RecordingOrchestrator {
    fn execution_arn(&self, run: &RunId) -> String {
        format!("arn:aws:states:us-east-1:123456789012:execution:interviews:{run}")
    }

    async fn start(&self, run: &RunId, input: &Value) -> Result<String, OrchestratorError> {
        self.api_calls.fetch_add(1, Ordering::Relaxed);
        self.started.lock().unwrap().push((run.clone(), input.clone()));
        Ok(self.execution_arn(run))
    }

    async fn stop(&self, _execution_arn: &str, _error: &str, _cause: &str) -> Result<(), OrchestratorError> {
        self.api_calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// A stand-in for Amazon Transcribe: the job runs for `polls_needed` checks, then completes
/// with the transcript.
pub struct ModelledTranscribe {
    polls_needed: u64,
    checks: AtomicU64,
    transcript: Transcript,
}

#[async_trait]
impl Transcriber for ModelledTranscribe {
    fn name(&self) -> &str {
        "amazon-transcribe (modelled)"
    }

    async fn start(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Ok(TranscriptionState::InProgress)
    }

    async fn check(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) + 1 >= self.polls_needed {
            Ok(TranscriptionState::Completed(self.transcript.clone()))
        } else {
            Ok(TranscriptionState::InProgress)
        }
    }
}

/// Token estimate for a Bedrock analyzer doing the same work, from the text it would read and
/// the documents it would have to write: about 4 characters a token; each call carries a fixed
/// instruction + tool-schema overhead; the transcript is sent in chunks.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct TokenEstimate {
    /// Input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Model calls.
    pub calls: u64,
}

/// Characters per token assumed.
pub const CHARS_PER_TOKEN: f64 = 4.0;
/// Instruction and tool-schema tokens per call assumed.
pub const PROMPT_OVERHEAD_TOKENS: u64 = 1_500;
/// Transcript tokens per extract call assumed (chunking of long transcripts).
pub const CHUNK_TOKENS: u64 = 12_000;

fn tokens(chars: usize) -> u64 {
    (chars as f64 / CHARS_PER_TOKEN).ceil() as u64
}

/// The analyzer the cost bench uses: the local one, with a token estimate on the side.
pub struct TokenCountingAnalyzer {
    inner: Arc<dyn Analyzer>,
    estimate: Mutex<TokenEstimate>,
}

impl TokenCountingAnalyzer {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Analyzer>) -> Self {
        Self {
            inner,
            estimate: Mutex::default(),
        }
    }

    /// The estimate so far.
    pub fn estimate(&self) -> TokenEstimate {
        *self.estimate.lock().unwrap()
    }
}

#[async_trait]
impl Analyzer for TokenCountingAnalyzer {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        let doc = self.inner.extract(transcript).await?;
        // What the model reads: one `[mm:ss] Speaker: text` line per segment.
        let text: usize = transcript
            .segments
            .iter()
            .map(|s| s.speaker.len() + s.text.len() + 12)
            .sum();
        let input = tokens(text);
        let calls = input.div_ceil(CHUNK_TOKENS).max(1);
        let output = tokens(serde_json::to_string(&doc.items).map(|s| s.len()).unwrap_or(0));
        let mut e = self.estimate.lock().unwrap();
        e.input += input + calls * PROMPT_OVERHEAD_TOKENS;
        e.output += output;
        e.calls += calls;
        Ok(doc)
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        let doc = self.inner.analyze(transcript, evidence).await?;
        let input = tokens(serde_json::to_string(&evidence.items).map(|s| s.len()).unwrap_or(0));
        let output = tokens(serde_json::to_string(&doc).map(|s| s.len()).unwrap_or(0));
        let mut e = self.estimate.lock().unwrap();
        e.input += input + PROMPT_OVERHEAD_TOKENS;
        e.output += output;
        e.calls += 1;
        Ok(doc)
    }
}

/// One Lambda invocation as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invocation {
    /// Function name.
    pub function: String,
    /// Wall time of the handler here, ms.
    pub local_ms: f64,
    /// DynamoDB requests made.
    pub dynamodb_requests: u64,
    /// S3 requests made.
    pub s3: BlobCounts,
    /// Step Functions API calls made.
    pub sfn_calls: u64,
}

struct CountingInvoker {
    pipeline: Pipeline,
    meters: Meters,
    invocations: Arc<Mutex<Vec<Invocation>>>,
}

#[derive(Clone)]
struct Meters {
    store: Arc<StoreCounters>,
    blobs: Arc<BlobCounters>,
    orchestrator: Arc<RecordingOrchestrator>,
}

impl Meters {
    fn snapshot(&self) -> (u64, BlobCounts, u64) {
        let (reads, writes, refused, queries, _) = self.store.snapshot();
        (
            reads + writes + refused + queries,
            self.blobs.snapshot(),
            self.orchestrator.api_calls.load(Ordering::Relaxed),
        )
    }
}

async fn invoke_counted(
    pipeline: &Pipeline,
    meters: &Meters,
    log: &Mutex<Vec<Invocation>>,
    function: Function,
    event: Value,
) -> Result<Value, interview_core::TaskError> {
    let before = meters.snapshot();
    let started = Instant::now();
    let result = invoke(pipeline, function, event).await;
    let local_ms = started.elapsed().as_secs_f64() * 1e3;
    let after = meters.snapshot();
    log.lock().unwrap().push(Invocation {
        function: function.name().to_string(),
        local_ms,
        dynamodb_requests: after.0 - before.0,
        s3: after.1.since(&before.1),
        sfn_calls: after.2 - before.2,
    });
    result
}

#[async_trait]
impl TaskInvoker for CountingInvoker {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let task = task_of(resource).map_err(|e| TaskFailure::new(e.name(), e.message()))?;
        invoke_counted(&self.pipeline, &self.meters, &self.invocations, task.into(), input)
            .await
            .map_err(|e| TaskFailure::new(e.name(), e.message()))
    }
}

/// What was uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UploadKind {
    /// A WebVTT transcript: no speech recognition.
    Transcript,
    /// A recording: Amazon Transcribe (modelled), polled by the state machine.
    Recording,
}

/// Everything counted for one interview.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostCase {
    /// Transcript or recording.
    pub kind: UploadKind,
    /// Length, minutes.
    pub minutes: u32,
    /// Upload size, bytes (the recording is a stub: only its header is read by the pipeline).
    pub upload_bytes: u64,
    /// Step Functions state transitions.
    pub transitions: u64,
    /// Transcription polls the state machine made (recordings).
    pub polls: u64,
    /// DynamoDB usage.
    pub dynamodb: DynamoUsage,
    /// S3 requests by the pipeline (the user's upload PUT not included).
    pub s3: BlobCounts,
    /// Result documents' bytes in S3 after the run.
    pub results_bytes: u64,
    /// Lambda invocations.
    pub invocations: Vec<Invocation>,
    /// Bedrock token estimate.
    pub tokens: TokenEstimate,
    /// `Interview Status Changed` events the run produced (its outbox).
    #[serde(default)]
    pub events: u64,
}

/// One priced line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    /// Service.
    pub service: String,
    /// What was counted.
    pub usage: String,
    /// USD.
    pub usd: f64,
}

/// Measures one interview of `minutes` through the real handlers and ASL.
pub async fn measure(kind: UploadKind, minutes: u32, job_ratio: f64) -> Result<CostCase> {
    let dir = tempfile::tempdir()?;
    let settings = Settings::embedded(dir.path());
    // Waits pass 1,000 times faster than real time: a 30 s poll takes 30 ms, and a task's
    // 900 s timeout still leaves it 0.9 s of real time.
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(1_000.0));
    let outbox = Arc::new(SqliteStore::open(&dir.path().join("items.sqlite"))?);
    let sqlite: Arc<dyn ItemStore> = outbox.clone();
    let metered_store = Arc::new(MeteredStore::new(sqlite));
    let store_counters = metered_store.counters.clone();
    let cost_store = Arc::new(CostStore::new(metered_store));
    let fs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(&dir.path().join("blobs"), "interviews-bucket")?);
    let metered_blobs = Arc::new(MeteredBlobStore::new(fs));
    let orchestrator = Arc::new(RecordingOrchestrator::default());
    let analyzer = Arc::new(TokenCountingAnalyzer::new(analyzer_for(&settings)));
    let transcript = generate_long_transcript(minutes);
    let poll_seconds = settings.transcribe_poll_interval.as_secs().max(1) as f64;
    let polls_needed = ((f64::from(minutes) * 60.0 * job_ratio) / poll_seconds).ceil().max(1.0) as u64;
    let (transcriber, key, body): (Arc<dyn Transcriber>, String, Vec<u8>) = match kind {
        UploadKind::Transcript => (
            transcriber_for(&settings, metered_blobs.clone(), None),
            format!("uploads/bench/interview-{minutes}min.vtt"),
            UploadFormat::Vtt.render(&transcript),
        ),
        UploadKind::Recording => {
            let mut speech = transcript.clone();
            speech.source_format = TranscriptFormat::AmazonTranscribe;
            (
                Arc::new(ModelledTranscribe {
                    polls_needed,
                    checks: AtomicU64::new(0),
                    transcript: speech,
                }),
                format!("uploads/bench/interview-{minutes}min.wav"),
                wav_stub(),
            )
        }
    };
    let services = Services::builder(settings, "bench", cost_store.clone(), metered_blobs.clone())
        .transcriber(transcriber)
        .analyzer(analyzer.clone())
        .media(Arc::new(SymphoniaProbe))
        .clock(clock.clone())
        .build();
    let pipeline = Pipeline::new(services, orchestrator.clone());
    let meters = Meters {
        store: store_counters,
        blobs: metered_blobs.counters.clone(),
        orchestrator: orchestrator.clone(),
    };
    let invocations = Arc::new(Mutex::new(Vec::new()));
    let invoker = Arc::new(CountingInvoker {
        pipeline: pipeline.clone(),
        meters: meters.clone(),
        invocations: invocations.clone(),
    });
    let definition = Arc::new(Definition::from_json(STATE_MACHINE_ASL, &local_substitutions())?);
    let runner = Runner::new(definition, invoker, clock);

    let meta = metered_blobs
        .put(&key, bytes::Bytes::from(body), "application/octet-stream")
        .await?;
    let blobs_before = metered_blobs.counters.snapshot();
    let notification = created_notification(metered_blobs.bucket(), &key, &meta.etag, meta.size, "0001");
    let event = json!({ "Records": [{ "messageId": "m0", "body": notification, "eventSource": "aws:sqs" }] });
    let response = invoke_counted(&pipeline, &meters, &invocations, Function::Ingest, event).await?;
    if response["batchItemFailures"].as_array().is_none_or(|f| !f.is_empty()) {
        bail!("ingest did not accept the upload: {response}");
    }
    let (run, input) = orchestrator
        .started
        .lock()
        .unwrap()
        .pop()
        .context("ingest started no execution")?;
    let execution = runner.run(run.as_str(), input, StopSignal::never()).await;
    if execution.status != ExecutionStatus::Succeeded {
        bail!(
            "the execution ended {}: {:?} {:?}",
            execution.status,
            execution.error,
            execution.cause
        );
    }
    let s3 = metered_blobs.counters.snapshot().since(&blobs_before);
    let invocations = invocations.lock().unwrap().clone();
    let polls = invocations
        .iter()
        .filter(|i| i.function == Function::Transcribe.name())
        .count()
        .saturating_sub(1) as u64;
    Ok(CostCase {
        kind,
        minutes,
        upload_bytes: meta.size,
        transitions: execution.transitions,
        polls,
        dynamodb: cost_store.usage(),
        results_bytes: s3.bytes_written,
        s3,
        invocations,
        tokens: analyzer.estimate(),
        events: interview_core::events::EventOutbox::last_seq(outbox.as_ref()).await?,
    })
}

/// A WAV header followed by silence: enough for ingest's sniffing; the pipeline never reads
/// more of a recording (the speech service does).
fn wav_stub() -> Vec<u8> {
    let data = 16_000usize;
    let mut v = Vec::with_capacity(44 + data);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&((36 + data) as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&16_000u32.to_le_bytes());
    v.extend_from_slice(&32_000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data as u32).to_le_bytes());
    v.resize(44 + data, 0);
    v
}

/// Memory (MB) of each function, read from `infra/template.yaml` (the `Globals` value unless
/// the function's resource sets its own).
pub fn memory_sizes(template: &str) -> BTreeMap<String, u32> {
    let mut global = 128;
    let mut section = String::new();
    let mut resource = String::new();
    let mut per_resource: HashMap<String, u32> = HashMap::new();
    for line in template.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if indent == 0 {
            section = trimmed.trim_end_matches(':').to_string();
        } else if indent == 2 && section == "Resources" {
            resource = trimmed.trim_end_matches(':').to_string();
        }
        if let Some(value) = trimmed.strip_prefix("MemorySize:") {
            let Ok(mb) = value.trim().parse::<u32>() else { continue };
            if section == "Globals" {
                global = mb;
            } else if section == "Resources" {
                per_resource.insert(resource.clone(), mb);
            }
        }
    }
    Function::ALL
        .into_iter()
        .map(|f| (f.name().to_string(), *per_resource.get(f.resource()).unwrap_or(&global)))
        .collect()
}

/// The modelled Lambda duration of one invocation, ms (billed per started ms).
pub fn modelled_ms(inv: &Invocation, memory_mb: u32, model: &LambdaModel) -> f64 {
    let cpu = inv.local_ms * (model.full_vcpu_mb / f64::from(memory_mb)).max(1.0);
    let s3_bytes = (inv.s3.bytes_read + inv.s3.bytes_written) as f64;
    let network = inv.dynamodb_requests as f64 * model.dynamodb_ms
        + (inv.s3.put_class() + inv.s3.get_class() + inv.s3.deletes) as f64 * model.s3_ms
        + s3_bytes / (model.s3_mb_per_s * 1e6) * 1e3
        + inv.sfn_calls as f64 * model.sfn_ms;
    (cpu + network).ceil()
}

/// The priced lines for one case: AWS services first, then the providers.
pub fn price(
    case: &CostCase,
    prices: &Prices,
    memory: &BTreeMap<String, u32>,
    model: &LambdaModel,
) -> (Vec<Line>, Vec<Line>, Vec<Line>) {
    let d = &case.dynamodb;
    let wru = d.table_wru + d.index_wru;
    let mut aws = vec![Line {
        service: "DynamoDB".into(),
        usage: format!(
            "{} writes{} = {} WRU ({} table + {} index); {} consistent reads = {} RRU",
            d.writes,
            if d.refused > 0 {
                format!(" (+{} refused)", d.refused)
            } else {
                String::new()
            },
            wru,
            d.table_wru,
            d.index_wru,
            d.reads,
            d.rru
        ),
        usd: wru * prices.dynamodb.write_request_units_per_million / 1e6
            + d.rru * prices.dynamodb.read_request_units_per_million / 1e6,
    }];
    aws.push(Line {
        service: "Step Functions".into(),
        usage: format!(
            "{} state transitions{}",
            case.transitions,
            if case.polls > 0 {
                format!(" ({} transcription polls)", case.polls)
            } else {
                String::new()
            }
        ),
        usd: case.transitions as f64 * prices.step_functions.standard_per_1000_state_transitions / 1e3,
    });
    let mut gb_s = 0.0;
    let mut local_gb_s = 0.0;
    let mut by_function: BTreeMap<&str, usize> = BTreeMap::new();
    for inv in &case.invocations {
        let mb = *memory.get(&inv.function).unwrap_or(&256);
        gb_s += modelled_ms(inv, mb, model) / 1e3 * f64::from(mb) / 1024.0;
        local_gb_s += inv.local_ms.ceil() / 1e3 * f64::from(mb) / 1024.0;
        *by_function.entry(inv.function.as_str()).or_default() += 1;
    }
    let n = case.invocations.len() as f64;
    let calls: Vec<String> = by_function.iter().map(|(f, c)| format!("{f} {c}")).collect();
    aws.push(Line {
        service: "Lambda".into(),
        usage: format!(
            "{} invocations ({}); {:.3} GB-s modelled ({:.4} GB-s as timed here)",
            case.invocations.len(),
            calls.join(", "),
            gb_s,
            local_gb_s
        ),
        usd: n * prices.lambda.requests_per_million / 1e6 + gb_s * prices.lambda.arm64_per_gb_second,
    });
    // The user's upload is one PUT on the bucket owner's bill; Transcribe reads a recording once.
    let puts = case.s3.put_class() + 1;
    let gets = case.s3.get_class() + u64::from(case.kind == UploadKind::Recording);
    aws.push(Line {
        service: "S3".into(),
        usage: format!(
            "{puts} PUT-class ({} by the pipeline + the upload), {gets} GET-class ({} HEAD, {} GET{})",
            case.s3.put_class(),
            case.s3.heads,
            case.s3.gets,
            if case.kind == UploadKind::Recording {
                " + Transcribe's read"
            } else {
                ""
            }
        ),
        usd: puts as f64 * prices.s3.put_copy_post_list_per_1000 / 1e3
            + gets as f64 * prices.s3.get_select_other_per_1000 / 1e3,
    });
    aws.push(Line {
        service: "SQS".into(),
        usage: "3 requests (S3's send, the event source's receive and delete)".into(),
        usd: 3.0 * prices.sqs.standard_requests_per_million / 1e6,
    });
    aws.push(crate::events_cost::per_interview(case, prices, memory));
    let mut providers = Vec::new();
    if case.kind == UploadKind::Recording {
        let seconds = (f64::from(case.minutes) * 60.0).max(prices.transcribe.minimum_billed_seconds);
        providers.push(Line {
            service: "Amazon Transcribe".into(),
            usage: format!("{} audio minutes (batch)", case.minutes),
            usd: seconds / 60.0 * prices.transcribe.batch_per_minute,
        });
    }
    let t = &case.tokens;
    providers.push(Line {
        service: "Amazon Bedrock".into(),
        usage: format!(
            "~{} input + ~{} output tokens in {} calls (estimate)",
            t.input, t.output, t.calls
        ),
        usd: t.input as f64 * prices.bedrock.input_per_1000_tokens / 1e3
            + t.output as f64 * prices.bedrock.output_per_1000_tokens / 1e3,
    });
    let gb = 1024.0 * 1024.0 * 1024.0;
    let storage = vec![Line {
        service: "Storage / month".into(),
        usage: format!(
            "results {:.0} KB in S3, item {:.1} KB in DynamoDB (the upload itself not counted)",
            case.results_bytes as f64 / 1024.0,
            d.item_bytes as f64 / 1024.0
        ),
        usd: case.results_bytes as f64 / gb * prices.s3.standard_storage_per_gb_month
            + d.item_bytes as f64 / gb * prices.dynamodb.storage_per_gb_month,
    }];
    (aws, providers, storage)
}

/// Fixed monthly cost of the sweeper (every 5 minutes: one invocation, four index queries of
/// an empty index at 0.5 RRU each) — independent of interview count.
pub fn sweeper_monthly(prices: &Prices, memory: &BTreeMap<String, u32>, model: &LambdaModel) -> Line {
    let runs = 30.0 * 24.0 * 12.0;
    let mb = f64::from(*memory.get("sweeper").unwrap_or(&256));
    let ms = 4.0 * model.dynamodb_ms + 5.0;
    let usd = runs
        * (prices.lambda.requests_per_million / 1e6
            + ms / 1e3 * mb / 1024.0 * prices.lambda.arm64_per_gb_second
            + 2.0 * prices.dynamodb.read_request_units_per_million / 1e6);
    Line {
        service: "Sweeper (fixed)".into(),
        usage: format!("{runs:.0} runs/month × (1 invocation ~{ms:.0} ms at {mb:.0} MB + 4 index queries)"),
        usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_follow_the_template() {
        let template = include_str!("../../infra/template.yaml");
        let sizes = memory_sizes(template);
        assert_eq!(sizes.len(), Function::ALL.len());
        assert!(sizes.values().all(|mb| (128..=10_240).contains(mb)), "{sizes:?}");
    }

    #[test]
    fn builtin_prices_parse_and_name_their_sources() {
        let p = Prices::builtin();
        assert!(p.comment.contains("us-east-1"));
        assert!(p.dynamodb.source.starts_with("https://"));
        assert!(p.step_functions.standard_per_1000_state_transitions > 0.0);
    }

    #[test]
    fn units_round_up_per_started_unit() {
        assert_eq!(units(1, 1024), 1.0);
        assert_eq!(units(1024, 1024), 1.0);
        assert_eq!(units(1025, 1024), 2.0);
        assert_eq!(units(0, 4096), 1.0);
    }
}
