//! Fault injection for the integration tests: wrappers around every port that fail, crash,
//! throttle, delay or hold chosen calls, scripted deterministically, and [`Env`], a whole
//! pipeline (embedded SQLite + folder, or DynamoDB + S3 on moto, both run by the
//! `LocalOrchestrator`) assembled with those wrappers in place.
//!
//! A fault is scripted with a [`Rule`]: which calls it applies to (a predicate on the call), how
//! many matching calls to let through first (`skip`) and how many to hit (`times`). Rules are
//! checked in order and count only the calls they match, so a script means the same thing on
//! every run of a single-upload scenario.
//!
//! "Before" faults fail the call without doing it (nothing written); "after" faults do the call
//! and then report an error, which is what a task sees when it crashes right after a write.

use crate::invariants::{self, Report, World};
use crate::invoke::ingest_batch;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use interview_analysis::{AnalysisDoc, EvidenceDoc, LocalAnalyzer};
use interview_asl::{Clock, ScaledClock};
use interview_aws::dynamodb::DynamoStore;
use interview_aws::s3::S3BlobStore;
use interview_core::config::{Backend as BackendSettings, Settings};
use interview_core::domain::{Interview, InterviewId, RunId, Status, Step};
use interview_core::events::EventOutbox;
use interview_core::listing::{Page, PageQuery};
use interview_core::ports::{
    Analyzer, BlobMeta, BlobStore, Expected, ItemStore, ListQuery, Transcriber, TranscriptionRequest,
    TranscriptionState,
};
use interview_core::progress::{ProgressSink, WorkProgress};
use interview_core::s3_event::{created_notification, removed_notification};
use interview_core::services::Services;
use interview_core::{BlobError, ProviderError, StoreError};
use interview_embedded::fs::FsBlobStore;
use interview_embedded::local::LocalOrchestrator;
use interview_embedded::local_pipeline;
use interview_embedded::sqlite::SqliteStore;
use interview_handlers::{Pipeline, TaskInput};
use interview_speech::SymphoniaProbe;
use interview_testkit::metered_store::MeteredStore;
use interview_transcript::{parse_transcript, Transcript, TranscriptFormat};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One order for every call any wrapper sees, so logs from different ports can be compared.
static SEQ: AtomicU64 = AtomicU64::new(1);

fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What happens to a call a rule hits.
#[derive(Clone)]
pub enum Fault {
    /// Refused as throttled; nothing happens.
    Throttle,
    /// Fails with a transient error (retried by the state machine); nothing happens.
    Transient,
    /// Fails with a permanent error (not retried); nothing happens.
    Permanent,
    /// Happens, then a transient error is reported: a crash right after the effect.
    TransientAfter,
    /// Happens, then a permanent error is reported.
    PermanentAfter,
    /// Waits this long (real time), then happens normally.
    Delay(Duration),
    /// Waits at the gate until the test opens it, then happens normally.
    Hold(Arc<Gate>),
}

/// The error a faulted call reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Throttling.
    Throttle,
    /// Worth retrying.
    Transient,
    /// Not worth retrying.
    Permanent,
}

impl Fault {
    fn before(&self) -> Option<Failure> {
        match self {
            Fault::Throttle => Some(Failure::Throttle),
            Fault::Transient => Some(Failure::Transient),
            Fault::Permanent => Some(Failure::Permanent),
            _ => None,
        }
    }

    fn after(&self) -> Option<Failure> {
        match self {
            Fault::TransientAfter => Some(Failure::Transient),
            Fault::PermanentAfter => Some(Failure::Permanent),
            _ => None,
        }
    }

    /// A crash before (`after == false`) or after the effect, transient or not.
    pub fn crash(after: bool, transient: bool) -> Fault {
        match (after, transient) {
            (false, true) => Fault::Transient,
            (false, false) => Fault::Permanent,
            (true, true) => Fault::TransientAfter,
            (true, false) => Fault::PermanentAfter,
        }
    }
}

/// A barrier a held call waits at: the test learns when calls arrive and opens it when it likes.
pub struct Gate {
    arrived: watch::Sender<u32>,
    open: watch::Sender<bool>,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate {
            arrived: watch::channel(0).0,
            open: watch::channel(false).0,
        })
    }

    /// Waits until `n` calls in total have arrived at the gate (at most 30 s; panics after).
    pub async fn reached(&self, n: u32) {
        let mut rx = self.arrived.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|c| *c >= n)).await;
        assert!(matches!(waited, Ok(Ok(_))), "no call reached the gate within 30 s");
    }

    /// How many calls arrived so far.
    pub fn arrivals(&self) -> u32 {
        *self.arrived.borrow()
    }

    /// Lets every held call (and every later one) through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    async fn pass(&self) {
        self.arrived.send_modify(|c| *c += 1);
        let mut rx = self.open.subscribe();
        let _ = rx.wait_for(|open| *open).await;
    }
}

type Predicate<C> = Box<dyn Fn(&C) -> bool + Send + Sync>;

/// One scripted fault: applies `fault` to matching calls number `skip + 1 ..= skip + times`.
pub struct Rule<C> {
    when: Predicate<C>,
    skip: u32,
    times: u32,
    fault: Fault,
    seen: AtomicU32,
}

impl<C> Rule<C> {
    /// Hits the first call matching `when` with `fault`.
    pub fn new(fault: Fault, when: impl Fn(&C) -> bool + Send + Sync + 'static) -> Self {
        Rule {
            when: Box::new(when),
            skip: 0,
            times: 1,
            fault,
            seen: AtomicU32::new(0),
        }
    }

    /// Lets the first `n` matching calls through untouched.
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Hits `n` matching calls (after the skipped ones).
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }
}

/// An ordered list of rules for one port.
pub struct Script<C> {
    rules: Mutex<Vec<Rule<C>>>,
    fired: AtomicU32,
}

impl<C> Default for Script<C> {
    fn default() -> Self {
        Script {
            rules: Mutex::new(Vec::new()),
            fired: AtomicU32::new(0),
        }
    }
}

impl<C> Script<C> {
    /// Adds a rule after the existing ones.
    pub fn add(&self, rule: Rule<C>) {
        lock(&self.rules).push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// How many calls were faulted so far.
    pub fn fired(&self) -> u32 {
        self.fired.load(Ordering::SeqCst)
    }

    fn is_empty(&self) -> bool {
        lock(&self.rules).is_empty()
    }

    fn decide(&self, call: &C) -> Option<Fault> {
        let rules = lock(&self.rules);
        for rule in rules.iter() {
            if !(rule.when)(call) {
                continue;
            }
            let n = rule.seen.fetch_add(1, Ordering::SeqCst);
            if n >= rule.skip && n - rule.skip < rule.times {
                self.fired.fetch_add(1, Ordering::SeqCst);
                return Some(rule.fault.clone());
            }
        }
        None
    }
}

/// Tracks calls in flight and the last one seen across every wrapper of an [`Env`], so a test
/// can wait for tasks nobody awaits (a stopped execution's handler still runs to its end).
#[derive(Default)]
pub struct Activity {
    in_flight: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl Activity {
    fn enter(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        *lock(&self.last) = Some(Instant::now());
    }

    fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        *lock(&self.last) = Some(Instant::now());
    }

    /// Waits until no call is in flight and none was seen for `quiet`; false if that did not
    /// happen within `limit` (e.g. a call is held at a closed gate).
    pub async fn settle(&self, quiet: Duration, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let idle_for = lock(&self.last).map_or(quiet, |t| t.elapsed());
            if self.in_flight.load(Ordering::SeqCst) == 0 && idle_for >= quiet {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

struct InFlight<'a>(&'a Activity);

impl<'a> InFlight<'a> {
    fn new(activity: &'a Activity) -> Self {
        activity.enter();
        InFlight(activity)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// Runs `call` under `fault`: waits first for delays and holds, fails before or after.
async fn apply<T, E>(
    fault: Option<Fault>,
    error: impl Fn(Failure) -> E,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let Some(fault) = fault else {
        return call.await;
    };
    match &fault {
        Fault::Delay(d) => tokio::time::sleep(*d).await,
        Fault::Hold(gate) => gate.pass().await,
        _ => {}
    }
    if let Some(failure) = fault.before() {
        return Err(error(failure));
    }
    let result = call.await;
    match (fault.after(), result) {
        (Some(failure), Ok(_)) => Err(error(failure)),
        (_, result) => result,
    }
}

// ---------------------------------------------------------------------------------------------
// The item store.

/// Which store method was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    /// `get`
    Get,
    /// `create`
    Create,
    /// `replace`
    Replace,
    /// `list`
    List,
    /// `live_items_updated_before`
    Live,
    /// `page`
    Page,
}

/// A store call, as a rule sees it.
#[derive(Debug, Clone)]
pub struct StoreCall {
    /// The method.
    pub op: StoreOp,
    /// The item concerned (none for queries).
    pub id: Option<InterviewId>,
    /// The item being written (create, replace).
    pub item: Option<Interview>,
    /// What the replace expects to find.
    pub expected: Option<Expected>,
}

impl StoreCall {
    /// A replace that writes `step` as started by the task (status processing, not finished).
    pub fn is_begin_of(&self, step: Step) -> bool {
        self.op == StoreOp::Replace
            && self.item.as_ref().is_some_and(|i| {
                i.status == Status::Processing
                    && i.step == step
                    && i.steps.get(&step).is_some_and(|r| r.finished_at.is_none())
                    && self.expected.as_ref().is_some_and(|e| e.run_id == i.run_id)
            })
    }

    /// A replace that records `step` as finished (the step's last item write).
    pub fn is_finish_of(&self, step: Step) -> bool {
        self.op == StoreOp::Replace
            && self.item.as_ref().is_some_and(|i| {
                i.steps.get(&step).is_some_and(|r| r.finished_at.is_some())
                    && match step {
                        Step::Analyze => i.status == Status::Ready,
                        _ => i.step == step.next() && !i.steps.contains_key(&step.next()),
                    }
            })
    }
}

/// One successful item write, in the order writes happened.
#[derive(Debug, Clone)]
pub struct Written {
    /// Global call order.
    pub seq: u64,
    /// The item.
    pub id: InterviewId,
    /// The run the item belongs to after the write.
    pub run: u32,
    /// Whether the write claimed a new run (create, or a replace that moved `run_id`).
    pub claim: bool,
    /// Status after the write.
    pub status: Status,
    /// The upload's content version after the write.
    pub etag: String,
    /// The item's version after the write.
    pub version: u64,
}

/// An [`ItemStore`] that applies its script and journals every successful write.
pub struct FaultyStore {
    inner: Arc<dyn ItemStore>,
    /// The faults.
    pub script: Script<StoreCall>,
    journal: Mutex<Vec<Written>>,
    stored: Mutex<Vec<Interview>>,
    refused: AtomicU64,
    activity: Arc<Activity>,
}

impl FaultyStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ItemStore>, activity: Arc<Activity>) -> Self {
        FaultyStore {
            inner,
            script: Script::default(),
            journal: Mutex::new(Vec::new()),
            stored: Mutex::new(Vec::new()),
            refused: AtomicU64::new(0),
            activity,
        }
    }

    /// Every successful write so far, in the order they were journalled, except that each
    /// interview's writes are put in version order: that is the order they committed in (see
    /// [`FaultyStore::stored`]). Each write keeps the place (and `seq`) of the one it replaces.
    pub fn journal(&self) -> Vec<Written> {
        let mut journal = lock(&self.journal).clone();
        let mut places: std::collections::BTreeMap<InterviewId, Vec<usize>> = std::collections::BTreeMap::new();
        for (place, write) in journal.iter().enumerate() {
            places.entry(write.id.clone()).or_default().push(place);
        }
        for places in places.values() {
            let mut writes: Vec<Written> = places.iter().map(|&p| journal[p].clone()).collect();
            writes.sort_by_key(|w| w.version);
            for (&place, write) in places.iter().zip(writes) {
                let seq = journal[place].seq;
                journal[place] = Written { seq, ..write };
            }
        }
        journal
    }

    /// Every item a successful write stored (the events' ground truth), each interview's in
    /// version order. Versions are fenced, so that is the order the writes committed in; the
    /// order they were appended here can differ, since two writers append after their writes
    /// return and the later commit may append first.
    pub fn stored(&self) -> Vec<Interview> {
        let mut stored = lock(&self.stored).clone();
        stored.sort_by(|a, b| (a.id.as_str(), a.version).cmp(&(b.id.as_str(), b.version)));
        stored
    }

    /// Conditional writes the store refused (conflicts, fences, duplicates).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    fn decide(&self, call: impl FnOnce() -> StoreCall) -> Option<Fault> {
        if self.script.is_empty() {
            None
        } else {
            self.script.decide(&call())
        }
    }

    fn record(&self, item: &Interview, claim: bool, result: &Result<(), StoreError>) {
        if result.is_ok() {
            lock(&self.stored).push(item.clone());
        }
        match result {
            Ok(()) => lock(&self.journal).push(Written {
                seq: next_seq(),
                id: item.id.clone(),
                run: item.run_id.number(),
                claim,
                status: item.status,
                etag: item.source.etag.clone(),
                version: item.version,
            }),
            Err(StoreError::AlreadyExists(_) | StoreError::VersionConflict(_) | StoreError::RunFenced { .. }) => {
                self.refused.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => {}
        }
    }
}

fn store_error(failure: Failure) -> StoreError {
    match failure {
        Failure::Throttle => StoreError::Throttled("injected: ProvisionedThroughputExceededException".into()),
        Failure::Transient => StoreError::Unavailable("injected: the connection was reset".into()),
        Failure::Permanent => StoreError::Other("injected: the store failed for good".into()),
    }
}

#[async_trait]
impl ItemStore for FaultyStore {
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.decide(|| StoreCall {
            op: StoreOp::Get,
            id: Some(id.clone()),
            item: None,
            expected: None,
        });
        apply(fault, store_error, self.inner.get(id)).await
    }

    async fn create(&self, item: &Interview) -> Result<(), StoreError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.decide(|| StoreCall {
            op: StoreOp::Create,
            id: Some(item.id.clone()),
            item: Some(item.clone()),
            expected: None,
        });
        apply(fault, store_error, async {
            let result = self.inner.create(item).await;
            self.record(item, true, &result);
            result
        })
        .await
    }

    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.decide(|| StoreCall {
            op: StoreOp::Replace,
            id: Some(item.id.clone()),
            item: Some(item.clone()),
            expected: Some(expected.clone()),
        });
        apply(fault, store_error, async {
            let result = self.inner.replace(item, expected).await;
            self.record(item, expected.run_id != item.run_id, &result);
            result
        })
        .await
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.decide(|| StoreCall {
            op: StoreOp::List,
            id: None,
            item: None,
            expected: None,
        });
        apply(fault, store_error, self.inner.list(query)).await
    }

    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.decide(|| StoreCall {
            op: StoreOp::Live,
            id: None,
            item: None,
            expected: None,
        });
        apply(fault, store_error, self.inner.live_items_updated_before(cutoff)).await
    }

    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.decide(|| StoreCall {
            op: StoreOp::Page,
            id: None,
            item: None,
            expected: None,
        });
        apply(fault, store_error, self.inner.page(query)).await
    }

    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.inner.projects().await
    }
}

// ---------------------------------------------------------------------------------------------
// The bucket.

/// Which blob method was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOp {
    /// `head`
    Head,
    /// `get`
    Get,
    /// `get_prefix`
    GetPrefix,
    /// `download_to`
    Download,
    /// `put`
    Put,
    /// `upload_from`
    Upload,
    /// `delete`
    Delete,
    /// `list`
    List,
}

/// A blob call, as a rule sees it.
#[derive(Debug, Clone)]
pub struct BlobCall {
    /// The method.
    pub op: BlobOp,
    /// The key (the prefix, for `list`).
    pub key: String,
}

impl BlobCall {
    /// A put of a result document named `file` (`transcript.json`, …).
    pub fn is_put_of(&self, file: &str) -> bool {
        self.op == BlobOp::Put && self.key.starts_with("results/") && self.key.ends_with(&format!("/{file}"))
    }
}

/// One finished blob call.
#[derive(Debug, Clone)]
pub struct BlobSeen {
    /// Global call order.
    pub seq: u64,
    /// The method.
    pub op: BlobOp,
    /// The key.
    pub key: String,
    /// Whether it succeeded (as the caller saw it).
    pub ok: bool,
}

/// A [`BlobStore`] that applies its script and logs every call.
pub struct FaultyBlobs {
    inner: Arc<dyn BlobStore>,
    /// The faults.
    pub script: Script<BlobCall>,
    log: Mutex<Vec<BlobSeen>>,
    activity: Arc<Activity>,
}

impl FaultyBlobs {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn BlobStore>, activity: Arc<Activity>) -> Self {
        FaultyBlobs {
            inner,
            script: Script::default(),
            log: Mutex::new(Vec::new()),
            activity,
        }
    }

    /// Every call so far.
    pub fn log(&self) -> Vec<BlobSeen> {
        lock(&self.log).clone()
    }

    async fn run<T>(
        &self,
        op: BlobOp,
        key: &str,
        call: impl std::future::Future<Output = Result<T, BlobError>>,
    ) -> Result<T, BlobError> {
        let _busy = InFlight::new(&self.activity);
        let fault = if self.script.is_empty() {
            None
        } else {
            self.script.decide(&BlobCall {
                op,
                key: key.to_string(),
            })
        };
        let result = apply(fault, blob_error, call).await;
        lock(&self.log).push(BlobSeen {
            seq: next_seq(),
            op,
            key: key.to_string(),
            ok: result.is_ok(),
        });
        result
    }
}

fn blob_error(failure: Failure) -> BlobError {
    match failure {
        Failure::Throttle => BlobError::Unavailable("injected: SlowDown".into()),
        Failure::Transient => BlobError::Unavailable("injected: the connection was reset".into()),
        Failure::Permanent => BlobError::Other("injected: AccessDenied".into()),
    }
}

#[async_trait]
impl BlobStore for FaultyBlobs {
    fn bucket(&self) -> &str {
        self.inner.bucket()
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        self.run(BlobOp::Head, key, self.inner.head(key)).await
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Bytes, BlobError> {
        self.run(BlobOp::Get, key, self.inner.get(key, limit)).await
    }

    async fn get_prefix(&self, key: &str, len: u64) -> Result<Bytes, BlobError> {
        self.run(BlobOp::GetPrefix, key, self.inner.get_prefix(key, len)).await
    }

    async fn download_to(&self, key: &str, dest: &Path, limit: u64) -> Result<u64, BlobError> {
        self.run(BlobOp::Download, key, self.inner.download_to(key, dest, limit))
            .await
    }

    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<BlobMeta, BlobError> {
        self.run(BlobOp::Put, key, self.inner.put(key, body, content_type))
            .await
    }

    async fn upload_from(&self, key: &str, src: &Path, content_type: &str) -> Result<BlobMeta, BlobError> {
        self.run(BlobOp::Upload, key, self.inner.upload_from(key, src, content_type))
            .await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.run(BlobOp::Delete, key, self.inner.delete(key)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        self.run(BlobOp::List, prefix, self.inner.list(prefix)).await
    }
}

// ---------------------------------------------------------------------------------------------
// Providers.

/// Which provider method was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderOp {
    /// `Analyzer::extract`
    Extract,
    /// `Analyzer::analyze`
    Analyze,
    /// `Transcriber::start`
    Start,
    /// `Transcriber::check`
    Check,
}

/// A provider call, as a rule sees it.
#[derive(Debug, Clone)]
pub struct ProviderCall {
    /// The method.
    pub op: ProviderOp,
    /// The transcription job, for the transcriber.
    pub job: Option<String>,
}

fn provider_error(failure: Failure) -> ProviderError {
    let provider = "injected provider".to_string();
    match failure {
        Failure::Throttle => ProviderError::Transient {
            provider,
            message: "ThrottlingException: rate exceeded".into(),
        },
        Failure::Transient => ProviderError::Transient {
            provider,
            message: "503 Service Unavailable".into(),
        },
        Failure::Permanent => ProviderError::Permanent {
            provider,
            message: "AccessDeniedException: the model is not enabled for this account".into(),
        },
    }
}

/// An [`Analyzer`] that applies its script, then delegates.
pub struct FaultyAnalyzer {
    inner: Arc<dyn Analyzer>,
    /// The faults.
    pub script: Script<ProviderCall>,
    in_flight: AtomicU64,
    peak: AtomicU64,
    activity: Arc<Activity>,
}

impl FaultyAnalyzer {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Analyzer>, activity: Arc<Activity>) -> Self {
        FaultyAnalyzer {
            inner,
            script: Script::default(),
            in_flight: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            activity,
        }
    }

    /// The most analyzer calls that were ever in progress at once.
    pub fn peak_concurrency(&self) -> u64 {
        self.peak.load(Ordering::SeqCst)
    }

    async fn run<T>(
        &self,
        op: ProviderOp,
        call: impl std::future::Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let _busy = InFlight::new(&self.activity);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        // Give other executions a chance to overlap, so the peak shows the real bound.
        tokio::task::yield_now().await;
        let fault = self.script.decide(&ProviderCall { op, job: None });
        let result = apply(fault, provider_error, call).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

#[async_trait]
impl Analyzer for FaultyAnalyzer {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        self.run(ProviderOp::Extract, self.inner.extract(transcript)).await
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        self.run(ProviderOp::Analyze, self.inner.analyze(transcript, evidence))
            .await
    }

    async fn extract_reporting(
        &self,
        transcript: &Transcript,
        progress: &dyn ProgressSink,
    ) -> Result<EvidenceDoc, ProviderError> {
        self.run(ProviderOp::Extract, self.inner.extract_reporting(transcript, progress))
            .await
    }

    async fn analyze_reporting(
        &self,
        transcript: &Transcript,
        evidence: &EvidenceDoc,
        progress: &dyn ProgressSink,
    ) -> Result<AnalysisDoc, ProviderError> {
        self.run(
            ProviderOp::Analyze,
            self.inner.analyze_reporting(transcript, evidence, progress),
        )
        .await
    }
}

/// A [`Transcriber`] that applies its script, then delegates.
pub struct FaultyTranscriber {
    inner: Arc<dyn Transcriber>,
    /// The faults.
    pub script: Script<ProviderCall>,
    activity: Arc<Activity>,
}

impl FaultyTranscriber {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Transcriber>, activity: Arc<Activity>) -> Self {
        FaultyTranscriber {
            inner,
            script: Script::default(),
            activity,
        }
    }

    async fn run(
        &self,
        op: ProviderOp,
        request: &TranscriptionRequest,
        call: impl std::future::Future<Output = Result<TranscriptionState, ProviderError>>,
    ) -> Result<TranscriptionState, ProviderError> {
        let _busy = InFlight::new(&self.activity);
        let fault = self.script.decide(&ProviderCall {
            op,
            job: Some(request.job_name.clone()),
        });
        apply(fault, provider_error, call).await
    }
}

#[async_trait]
impl Transcriber for FaultyTranscriber {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn start(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        self.run(ProviderOp::Start, request, self.inner.start(request)).await
    }

    async fn check(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        self.run(ProviderOp::Check, request, self.inner.check(request)).await
    }

    fn progress(&self, request: &TranscriptionRequest) -> Option<WorkProgress> {
        self.inner.progress(request)
    }
}

/// What the fake speech engine ends with.
#[derive(Debug, Clone)]
pub enum FakeOutcome {
    /// The job completes with this transcript (possibly with no segments: a silent recording).
    Completed(Transcript),
    /// The job fails with this reason.
    Failed(String),
    /// The job never finishes.
    Forever,
}

/// A speech engine that answers "in progress" `polls` times per job, then `outcome`.
pub struct FakeTranscriber {
    polls: u32,
    outcome: FakeOutcome,
    checks: Mutex<HashMap<String, u32>>,
}

impl FakeTranscriber {
    /// A fake engine.
    pub fn new(polls: u32, outcome: FakeOutcome) -> Self {
        FakeTranscriber {
            polls,
            outcome,
            checks: Mutex::new(HashMap::new()),
        }
    }

    fn answer(&self, job: &str, is_check: bool) -> TranscriptionState {
        let n = {
            let mut checks = lock(&self.checks);
            let n = checks.entry(job.to_string()).or_insert(0);
            if is_check {
                *n += 1;
            }
            *n
        };
        if n < self.polls {
            return TranscriptionState::InProgress;
        }
        match &self.outcome {
            FakeOutcome::Completed(t) => TranscriptionState::Completed(t.clone()),
            FakeOutcome::Failed(reason) => TranscriptionState::Failed(reason.clone()),
            FakeOutcome::Forever => TranscriptionState::InProgress,
        }
    }
}

#[async_trait]
impl Transcriber for FakeTranscriber {
    fn name(&self) -> &str {
        "fake-speech"
    }

    async fn start(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Ok(self.answer(&request.job_name, false))
    }

    async fn check(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Ok(self.answer(&request.job_name, true))
    }
}

/// The sample interview shipped in `samples/`.
pub fn sample_vtt() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/bakery-scheduling.vtt"))
        .expect("samples/bakery-scheduling.vtt is readable")
}

/// The sample interview as a speech engine would return it.
pub fn sample_speech() -> Transcript {
    let mut t = parse_transcript(&sample_vtt(), "sample.vtt").expect("the sample parses");
    t.source_format = TranscriptFormat::Speech;
    t
}

/// One second of 16 kHz mono silence: a valid recording as far as the intake is concerned
/// (it sniffs the bytes and probes the duration, which must be at least 0.5 s).
pub fn wav_bytes() -> Vec<u8> {
    let data_len: u32 = 32_000;
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&[16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0]);
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(wav.len() + data_len as usize, 0);
    wav
}

// ---------------------------------------------------------------------------------------------
// The assembled pipeline.

/// Which adapters the pipeline runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite + a folder.
    Embedded,
    /// DynamoDB + S3 on this test binary's moto server.
    Moto,
}

impl Backend {
    /// `embedded` or `moto`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Moto => "moto",
        }
    }
}

/// What an [`Env`] is built with; `Env::new` passes the defaults to a closure to adjust.
pub struct EnvOptions {
    /// Limits and thresholds (`local_concurrency` sizes the orchestrator's pool).
    pub settings: Settings,
    /// Virtual time speed-up of the clock (1000 on the embedded backend, 100 on moto, where a
    /// loaded server must not push a task past its 900 s timeout = 9 s real).
    pub speedup: f64,
    /// The analyzer behind the fault wrapper (local by default).
    pub analyzer: Arc<dyn Analyzer>,
    /// The speech engine behind the fault wrapper (the fake one, completing with the sample).
    pub transcriber: Arc<dyn Transcriber>,
}

/// A whole pipeline with fault wrappers on every port, on one backend.
pub struct Env {
    /// The backend.
    pub backend: Backend,
    /// What the handlers get.
    pub services: Arc<Services>,
    /// The services and the orchestrator: what ingest and the sweeper get.
    pub pipeline: Pipeline,
    /// Runs executions in-process.
    pub orchestrator: Arc<LocalOrchestrator>,
    /// The item store the handlers use (faults → metering → the real store).
    pub store: Arc<FaultyStore>,
    /// Counts what reaches the real store.
    pub metered: Arc<MeteredStore>,
    /// The bucket the handlers use.
    pub blobs: Arc<FaultyBlobs>,
    /// The analyzer the handlers use.
    pub analyzer: Arc<FaultyAnalyzer>,
    /// The speech engine the handlers use.
    pub transcriber: Arc<FaultyTranscriber>,
    /// The real store, for reading without faults.
    pub base_store: Arc<dyn ItemStore>,
    /// The real bucket, for reading and uploading without faults.
    pub base_blobs: Arc<dyn BlobStore>,
    /// The SQLite store, on the embedded backend.
    pub sqlite: Option<SqliteStore>,
    activity: Arc<Activity>,
    uploads: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
}

impl Drop for Env {
    /// Removes the data dir's files from several threads at once: the blob folder fsyncs every
    /// object, and on a disk mounted with online discard deleting thousands of synced files one
    /// by one takes longer than the drop that wrote them.
    fn drop(&mut self) {
        let mut files = Vec::new();
        let mut dirs = vec![self._dir.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                match entry.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(entry.path()),
                    Ok(_) => files.push(entry.path()),
                    Err(_) => {}
                }
            }
        }
        if files.len() < 64 {
            return;
        }
        let chunk = files.len().div_ceil(8);
        std::thread::scope(|scope| {
            for part in files.chunks(chunk) {
                scope.spawn(move || {
                    for file in part {
                        let _ = std::fs::remove_file(file);
                    }
                });
            }
        });
    }
}

/// A per-process increasing S3-style sequencer.
pub fn sequencer() -> String {
    static BASE: AtomicU64 = AtomicU64::new(0);
    let _ = BASE.compare_exchange(
        0,
        u64::try_from(Utc::now().timestamp_micros()).unwrap_or(1) << 8,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    format!("{:020X}", BASE.fetch_add(1, Ordering::SeqCst))
}

/// An SQS event holding these bodies, as the ingest function receives it.
pub fn sqs_event(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({ "messageId": format!("m{i}"), "body": body, "eventSource": "aws:sqs" }))
        .collect();
    json!({ "Records": records })
}

impl Env {
    /// Builds the pipeline on `backend` (a fresh data dir, or a fresh moto table and bucket).
    pub async fn new(backend: Backend, configure: impl FnOnce(&mut EnvOptions)) -> Env {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut options = EnvOptions {
            settings: Settings::embedded(dir.path()),
            speedup: match backend {
                Backend::Embedded => 1000.0,
                Backend::Moto => 100.0,
            },
            analyzer: Arc::new(LocalAnalyzer::new()),
            transcriber: Arc::new(FakeTranscriber::new(0, FakeOutcome::Completed(sample_speech()))),
        };
        configure(&mut options);
        let (base_store, base_blobs, sqlite): (Arc<dyn ItemStore>, Arc<dyn BlobStore>, _) = match backend {
            Backend::Embedded => {
                let sqlite = SqliteStore::open(&dir.path().join("items.sqlite")).expect("sqlite store");
                let blobs = FsBlobStore::new(&dir.path().join("blobs"), "local").expect("blob folder");
                (Arc::new(sqlite.clone()), Arc::new(blobs), Some(sqlite))
            }
            Backend::Moto => {
                let config = crate::moto_config().await;
                let (dynamo, table) = crate::new_table(&config).await;
                let (s3, bucket) = crate::new_bucket(&config).await;
                options.settings.backend = BackendSettings::Aws {
                    table: table.clone(),
                    bucket: bucket.clone(),
                    state_machine_arn: None,
                };
                (
                    Arc::new(DynamoStore::new(dynamo, table)),
                    Arc::new(S3BlobStore::new(s3, bucket)),
                    None,
                )
            }
        };
        let activity = Arc::new(Activity::default());
        let metered = Arc::new(MeteredStore::new(base_store.clone()));
        let store = Arc::new(FaultyStore::new(metered.clone(), activity.clone()));
        let blobs = Arc::new(FaultyBlobs::new(base_blobs.clone(), activity.clone()));
        let analyzer = Arc::new(FaultyAnalyzer::new(options.analyzer, activity.clone()));
        let transcriber = Arc::new(FaultyTranscriber::new(options.transcriber, activity.clone()));
        let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(options.speedup));
        let services = Services::builder(options.settings, "test", store.clone(), blobs.clone())
            .transcriber(transcriber.clone())
            .analyzer(analyzer.clone())
            .media(Arc::new(SymphoniaProbe))
            .clock(clock.clone())
            .build();
        let (pipeline, orchestrator) = local_pipeline(services.clone(), clock).expect("the state machine loads");
        Env {
            backend,
            services,
            pipeline,
            orchestrator,
            store,
            metered,
            blobs,
            analyzer,
            transcriber,
            base_store,
            base_blobs,
            sqlite,
            activity,
            uploads: Mutex::new(Vec::new()),
            _dir: dir,
        }
    }

    /// The bucket name on items.
    pub fn bucket(&self) -> &str {
        self.base_blobs.bucket()
    }

    /// The interview id of an upload key.
    pub fn id_of(&self, key: &str) -> InterviewId {
        InterviewId::for_object(self.bucket(), key)
    }

    /// Puts `body` at `key` (without faults) and returns the id and the ObjectCreated event.
    pub async fn upload(&self, key: &str, body: &[u8]) -> (InterviewId, String) {
        let meta = self
            .base_blobs
            .put(key, Bytes::copy_from_slice(body), "application/octet-stream")
            .await
            .unwrap_or_else(|e| panic!("cannot upload {key}: {e}"));
        {
            let mut uploads = lock(&self.uploads);
            if !uploads.iter().any(|k| k == key) {
                uploads.push(key.to_string());
            }
        }
        let event = created_notification(self.bucket(), key, &meta.etag, meta.size, &sequencer());
        (self.id_of(key), event)
    }

    /// Delivers one SQS batch to ingest; returns the ids of the messages that failed.
    pub async fn deliver(&self, bodies: &[String]) -> Vec<String> {
        let response = ingest_batch(&self.pipeline, sqs_event(bodies))
            .await
            .expect("ingest answers every batch");
        response["batchItemFailures"]
            .as_array()
            .map(|failures| {
                failures
                    .iter()
                    .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Delivers one message as SQS would: again after every failure, up to 10 receives.
    /// Returns how many deliveries it took, or an error if it never got through.
    pub async fn ingest(&self, body: &str) -> Result<u32, String> {
        for attempt in 1..=10 {
            if self.deliver(&[body.to_string()]).await.is_empty() {
                return Ok(attempt);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err("ingest refused the message 10 times; SQS would move it to the dead-letter queue".into())
    }

    /// Uploads, ingests and waits until no execution runs.
    pub async fn drop_file(&self, key: &str, body: &[u8]) -> InterviewId {
        let (id, event) = self.upload(key, body).await;
        self.ingest(&event).await.unwrap_or_else(|e| panic!("{key}: {e}"));
        self.wait_idle().await;
        id
    }

    /// Removes the upload (without faults) and delivers its ObjectRemoved event.
    pub async fn remove(&self, key: &str) -> Result<u32, String> {
        self.base_blobs
            .delete(key)
            .await
            .unwrap_or_else(|e| panic!("cannot delete {key}: {e}"));
        let event = removed_notification(self.bucket(), key, &sequencer());
        self.ingest(&event).await
    }

    /// Waits until no execution runs (at most 60 s; panics after, naming the stuck state).
    pub async fn wait_idle(&self) {
        if tokio::time::timeout(Duration::from_secs(60), self.orchestrator.wait_idle())
            .await
            .is_err()
        {
            panic!("executions still running after 60 s");
        }
    }

    /// Waits until no execution runs and no port has been called for a moment, so handlers
    /// abandoned by a stop or a timeout have finished too. False if a call is still held.
    pub async fn settle(&self) -> bool {
        self.wait_idle().await;
        self.activity
            .settle(Duration::from_millis(150), Duration::from_secs(20))
            .await
    }

    /// The item, read without faults.
    pub async fn item(&self, id: &InterviewId) -> Option<Interview> {
        self.base_store.get(id).await.expect("the real store answers")
    }

    /// The task input of the item's current run.
    pub async fn task(&self, id: &InterviewId) -> TaskInput {
        let item = self.item(id).await.expect("the item exists");
        TaskInput {
            interview_id: id.clone(),
            run_id: item.run_id,
        }
    }

    /// A task input for run `n` of `id`.
    pub fn run_input(id: &InterviewId, n: u32) -> TaskInput {
        TaskInput {
            interview_id: id.clone(),
            run_id: RunId::new(id, n),
        }
    }

    /// The result keys in the bucket for `id`.
    pub async fn results(&self, id: &InterviewId) -> Vec<String> {
        self.base_blobs
            .list(&id.results_prefix())
            .await
            .expect("the real bucket lists")
    }

    /// Removes every scripted fault.
    pub fn clear_faults(&self) {
        self.store.script.clear();
        self.blobs.script.clear();
        self.analyzer.script.clear();
        self.transcriber.script.clear();
    }

    /// The keys uploaded so far.
    pub fn uploads(&self) -> Vec<String> {
        lock(&self.uploads).clone()
    }

    /// Runs the invariant checker over everything this environment did.
    pub async fn check(&self, report: &mut Report) {
        let uploads = self.uploads();
        let journal = self.store.journal();
        let world = World {
            store: self.base_store.as_ref(),
            blobs: self.base_blobs.as_ref(),
            bucket: self.bucket(),
            uploads: &uploads,
            journal: &journal,
            settings: &self.services.settings,
            now: self.services.now(),
            executions: Some(self.orchestrator.as_ref()),
        };
        invariants::check(&world, report).await;
        self.check_events(report).await;
    }

    /// The events invariant ([`crate::events_check`]): over the outbox on the embedded backend,
    /// over the table's stream passed through the events function's code on moto.
    pub async fn check_events(&self, report: &mut Report) {
        let events = match (&self.sqlite, &self.services.settings.backend) {
            (Some(sqlite), _) => EventOutbox::after(sqlite, 0, usize::MAX)
                .await
                .map(|entries| entries.into_iter().map(|e| e.event).collect())
                .map_err(|e| format!("the outbox cannot be read: {e}")),
            (None, BackendSettings::Aws { table, .. }) => {
                crate::moto_stream::records(table).await.and_then(|records| {
                    interview_handlers::stream_events::handle(records)
                        .map_err(|e| format!("the events function failed on the stream: {e}"))
                })
            }
            (None, BackendSettings::Embedded { .. }) => Err("an embedded Env without its SQLite store".into()),
        };
        match events {
            Ok(events) => {
                crate::events_check::check_events(&self.store.stored(), &events, report);
            }
            Err(e) => report.fail(e),
        }
    }
}
