//! Jobs against Azure DevOps, written once against [`Transport`]: scan a project or the
//! whole organization, read the organization id, plan, convert, poll and revert.
//!
//! The transport does the I/O (a page-origin relay in the extension, `fetch` with a token
//! in Node and pages, a scripted fake in tests); the [`Client`] here decides what to send,
//! when to wait and when to give up:
//!
//! - at most `concurrency` requests in flight at once, across the whole job;
//! - `Retry-After` (and `X-RateLimit-Delay` when `X-RateLimit-Remaining` is 0) pauses
//!   every further request of the job, not just the one that got it;
//! - 429 is retried (a blocked request never ran); transient 5xx and network failures are
//!   retried for reads only (a conversion that may have run is never sent twice);
//! - bounded attempts and a bounded total wait, then an error that says so;
//! - every step can be journaled ([`JournalEntry`]) and the job can be cancelled.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::api::{
    self, Api, ApiError, Project, RateLimit, Request, Response, SCHEME_FEDERATED,
    SCHEME_SERVICE_PRINCIPAL, WaitReason,
};
use crate::model::{Endpoint, ProjectRef};

/// Requests in flight at once by default, chosen by measurement (`npm run bench`, the scan
/// bench's sweep: 200 projects, 30 ms latency, median of 3, mock in its own process): wall
/// time against concurrency 1 was 0.186 at 6, 0.106 at 12, 0.088 at 16 and 0.058 at 32.
/// Past 16 each doubling buys a few percent of the serial time while doubling the burst on
/// the service, and once a scan runs past the per-user budget (ado-facts §12) the service's
/// `Retry-After` sets the pace whatever the concurrency (1,000 projects: 62 s at 16 against
/// 74 s serial). Configurable per job.
///
/// Re-checked with the bench's budget-aware lower bound (two full `npm run bench` runs, a
/// shared 2-core machine): against concurrency 1, 0.125-0.129 at 12, 0.104-0.159 at 16,
/// 0.098-0.141 at 24, 0.090-0.103 at 32, while the wall time over the bound grew from
/// about 1.8x at 12 to 2.9-3.3x at 32: past 16 the scan is bound by CPU (about 6-7 ms per
/// request here), not by waiting, so more requests in flight mostly add burst. Kept at 16.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The role a 403 on a conversion asks for (ado-facts §13).
pub const CONVERSION_ROLE: &str = "Administrator on this service connection";

// ---------------------------------------------------------------------------------------
// The transport

/// Why a transport produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "message", rename_all = "camelCase")]
pub enum TransportError {
    /// No HTTP answer (offline, DNS, TLS, CORS, reset).
    Network(String),
    /// The request was aborted because the job was cancelled.
    Cancelled,
}

/// The I/O the jobs need: send a request, wait, read the clock, ask whether to stop.
/// Implemented by the wasm crate (relay and fetch) and by fakes in tests. Not `Send`:
/// everything runs on one thread (a browser event loop or a test executor).
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends one request and returns the answer, whatever its status.
    async fn send(&self, request: Request) -> Result<Response, TransportError>;
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u64);
    /// Milliseconds since some epoch (Unix time in browsers), for the journal and pauses.
    fn now_ms(&self) -> f64;
    /// Whether the user asked to stop.
    fn cancelled(&self) -> bool;
}

// ---------------------------------------------------------------------------------------
// Policies

/// How hard to try before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Total time one request may spend waiting (pauses and backoff), in ms.
    pub max_total_wait_ms: u64,
    /// First backoff when the service gave no `Retry-After`, doubled per attempt.
    pub base_backoff_ms: u64,
    /// Longest single backoff.
    pub max_backoff_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_total_wait_ms: 120_000,
            base_backoff_ms: 1_000,
            max_backoff_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (attempt counts from 1).
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        let factor = 1u64 << attempt.saturating_sub(1).min(20);
        self.base_backoff_ms
            .saturating_mul(factor)
            .min(self.max_backoff_ms)
    }
}

/// How to wait for a background conversion (`InProgress`) to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct PollPolicy {
    /// First wait before reading the connection again.
    pub first_delay_ms: u64,
    /// Longest wait between reads (the wait grows by half each time).
    pub max_delay_ms: u64,
    /// Give up waiting (and report "still converting") after this long.
    pub max_total_ms: u64,
}

impl Default for PollPolicy {
    fn default() -> Self {
        // "May take a few minutes" (docs connect-to-azure): read every 2 s, then slower.
        Self {
            first_delay_ms: 2_000,
            max_delay_ms: 15_000,
            max_total_ms: 600_000,
        }
    }
}

/// The knobs of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct ClientOptions {
    /// Requests in flight at once ([`DEFAULT_CONCURRENCY`]); 0 reads as 1.
    pub concurrency: usize,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// Polling after a 202.
    pub poll: PollPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The journal

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum JournalKind {
    /// Will be sent (from a plan).
    Planned,
    /// A request went out.
    Sent,
    /// An answer came back (or none: see `outcome`).
    Answered,
    /// Not sent, with the reason in `outcome`.
    Skipped,
}

/// One step of a job: what was planned, sent or answered, when, and with what result. It
/// holds the method and URL only: never a body or a header, so never a credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// [`Transport::now_ms`] when it happened.
    pub at_ms: f64,
    /// The step.
    pub kind: JournalKind,
    /// The connection concerned, if any.
    pub endpoint_id: Option<String>,
    /// `GET`, `PUT`.
    pub method: Option<String>,
    /// The request URL.
    pub url: Option<String>,
    /// The HTTP status, for answers.
    pub status: Option<u16>,
    /// A short result: an outcome or error kind, a skip reason, `retry in N ms`.
    pub outcome: Option<String>,
    /// The service's (or our) message, when there is one.
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The concurrency gate

/// A counting semaphore for one thread: at most `permits` holders at once. Waiters are
/// all woken on release and race for the permit, so a dropped waiter never strands one.
struct Gate {
    free: Cell<usize>,
    waiters: RefCell<VecDeque<Waker>>,
    in_flight: Cell<usize>,
    peak: Cell<usize>,
}

struct Permit<'g> {
    gate: &'g Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.free.set(self.gate.free.get() + 1);
        self.gate
            .in_flight
            .set(self.gate.in_flight.get().saturating_sub(1));
        let waiters: Vec<Waker> = self.gate.waiters.borrow_mut().drain(..).collect();
        for w in waiters {
            w.wake();
        }
    }
}

struct Acquire<'g> {
    gate: &'g Gate,
}

impl<'g> Future for Acquire<'g> {
    type Output = Permit<'g>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'g>> {
        let gate = self.gate;
        if gate.free.get() > 0 {
            gate.free.set(gate.free.get() - 1);
            let now = gate.in_flight.get() + 1;
            gate.in_flight.set(now);
            gate.peak.set(gate.peak.get().max(now));
            Poll::Ready(Permit { gate })
        } else {
            gate.waiters.borrow_mut().push_back(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Gate {
    fn new(permits: usize) -> Self {
        Self {
            free: Cell::new(permits.max(1)),
            waiters: RefCell::new(VecDeque::new()),
            in_flight: Cell::new(0),
            peak: Cell::new(0),
        }
    }
    fn acquire(&self) -> Acquire<'_> {
        Acquire { gate: self }
    }
}

// ---------------------------------------------------------------------------------------
// The client

/// Request counts of a client, for progress displays and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ClientStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Retries after 429, 5xx or network failures.
    pub retries: u64,
    /// Most requests in flight at once.
    pub peak_in_flight: usize,
    /// Total time spent pausing for the rate limit or backing off, in ms (summed per
    /// request, so concurrent waits add up).
    pub waited_ms: u64,
}

/// A wait the client starts before its next request(s), reported as it begins so a UI can
/// say "throttled by Azure DevOps: waiting N s".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RateLimitWaitEvent"))]
#[serde(rename_all = "camelCase")]
pub struct RateLimitWait {
    /// How long, in milliseconds, from now.
    pub ms: u64,
    /// Why.
    pub reason: WaitReason,
    /// The HTTP status of the answer that caused it (`None` after a network failure).
    pub status: Option<u16>,
}

/// Runs requests for one organization through a transport with the retry, pacing and
/// concurrency rules of this module. One client per job: its concurrency bound and its
/// rate-limit pause are shared by everything the job sends.
pub struct Client<'a, T: Transport> {
    transport: &'a T,
    api: Api,
    options: ClientOptions,
    gate: Gate,
    paused_until: Cell<f64>,
    journal: Option<&'a dyn Fn(&JournalEntry)>,
    on_wait: Option<&'a dyn Fn(&RateLimitWait)>,
    requests: Cell<u64>,
    retries: Cell<u64>,
    waited: Cell<u64>,
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads: 429, 5xx and network failures are retried.
    Read,
    /// Writes: only 429 (a blocked request never ran).
    Write,
}

impl<'a, T: Transport> Client<'a, T> {
    /// A client for `api` over `transport`.
    pub fn new(transport: &'a T, api: Api, options: ClientOptions) -> Self {
        Self {
            transport,
            gate: Gate::new(options.concurrency),
            api,
            options,
            paused_until: Cell::new(0.0),
            journal: None,
            on_wait: None,
            requests: Cell::new(0),
            retries: Cell::new(0),
            waited: Cell::new(0),
        }
    }

    /// Reports every step to `journal`.
    #[must_use]
    pub fn with_journal(mut self, journal: &'a dyn Fn(&JournalEntry)) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Reports every wait the client starts ([`RateLimitWait`]): a rate-limit pause of the
    /// whole job when it begins or grows by at least a second, and each backoff before a
    /// retry.
    #[must_use]
    pub fn with_wait_listener(mut self, on_wait: &'a dyn Fn(&RateLimitWait)) -> Self {
        self.on_wait = Some(on_wait);
        self
    }

    fn report_wait(&self, ms: u64, reason: WaitReason, status: Option<u16>) {
        if let Some(f) = self.on_wait {
            f(&RateLimitWait { ms, reason, status });
        }
    }

    /// The request builder of this client.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The options of this client.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Counts so far.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.get(),
            retries: self.retries.get(),
            peak_in_flight: self.gate.peak.get(),
            waited_ms: self.waited.get(),
        }
    }

    fn now(&self) -> f64 {
        self.transport.now_ms()
    }

    /// The transport's clock, for jobs in other modules (usage).
    pub(crate) fn now_ms(&self) -> f64 {
        self.now()
    }

    /// Whether the user asked to stop, for jobs in other modules (usage).
    pub(crate) fn cancelled(&self) -> bool {
        self.transport.cancelled()
    }

    /// Emits a journal entry, if anyone listens.
    pub fn record(&self, entry: &JournalEntry) {
        if let Some(j) = self.journal {
            j(entry);
        }
    }

    fn record_step(
        &self,
        kind: JournalKind,
        endpoint_id: Option<&str>,
        req: &Request,
        status: Option<u16>,
        outcome: Option<String>,
        message: Option<String>,
    ) {
        if self.journal.is_none() {
            return;
        }
        self.record(&JournalEntry {
            at_ms: self.now(),
            kind,
            endpoint_id: endpoint_id.map(str::to_owned),
            method: Some(req.method.clone()),
            url: Some(req.url.clone()),
            status,
            outcome,
            message,
        });
    }

    /// Pauses every further request of this job until `ms` from now (never shortens a
    /// pause already set). Reported to the wait listener when no pause was running, or
    /// when this one ends at least a second later than the one running (so a burst of
    /// concurrent 429s is one event, not one per request).
    fn pause_for(&self, ms: u64, reason: WaitReason, status: Option<u16>) {
        let now = self.now();
        #[allow(clippy::cast_precision_loss)]
        let until = now + ms as f64;
        let current = self.paused_until.get();
        if until > current {
            self.paused_until.set(until);
            if ms > 0 && (current <= now || until - current >= 1000.0) {
                self.report_wait(ms, reason, status);
            }
        }
    }

    /// Sleeps `ms`, counting it against `waited`; fails when the budget would be exceeded.
    async fn wait(&self, ms: u64, waited: &mut u64) -> Result<(), u64> {
        if *waited + ms > self.options.retry.max_total_wait_ms {
            return Err(ms);
        }
        self.transport.sleep(ms).await;
        *waited += ms;
        self.waited.set(self.waited.get() + ms);
        Ok(())
    }

    /// Waits while the job is paused for the rate limit.
    async fn wait_for_pause(&self, waited: &mut u64) -> Result<(), ApiError> {
        loop {
            if self.transport.cancelled() {
                return Err(ApiError::Cancelled);
            }
            let remaining = self.paused_until.get() - self.now();
            if remaining <= 0.0 {
                return Ok(());
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ms = remaining.ceil() as u64;
            if self.wait(ms, waited).await.is_err() {
                return Err(ApiError::Throttled {
                    retry_after_ms: Some(ms),
                    message: format!(
                        "Azure DevOps asked to wait {} s more, beyond the {} s this job may wait. Try again later.",
                        ms.div_ceil(1000),
                        self.options.retry.max_total_wait_ms / 1000
                    ),
                });
            }
        }
    }

    /// Sends a request with the pacing, concurrency and retry rules. Returns the answer
    /// (any status) unless the request could not be completed: cancelled, or retries
    /// exhausted on throttling, 5xx or the network.
    async fn execute(
        &self,
        req: &Request,
        endpoint_id: Option<&str>,
        retry: Retry,
    ) -> Result<Response, ApiError> {
        let policy = self.options.retry;
        let mut waited = 0u64;
        let mut attempt = 0u32;
        loop {
            self.wait_for_pause(&mut waited).await?;
            let permit = self.gate.acquire().await;
            // Someone may have been throttled while this request queued.
            if self.paused_until.get() > self.now() {
                drop(permit);
                continue;
            }
            if self.transport.cancelled() {
                return Err(ApiError::Cancelled);
            }
            attempt += 1;
            self.requests.set(self.requests.get() + 1);
            self.record_step(JournalKind::Sent, endpoint_id, req, None, None, None);
            let result = self.transport.send(req.clone()).await;
            drop(permit);
            let (failure, backoff) = match result {
                Err(TransportError::Cancelled) => return Err(ApiError::Cancelled),
                Err(TransportError::Network(message)) => {
                    let err = ApiError::Network { message };
                    if retry == Retry::Write {
                        return Err(err);
                    }
                    (err, policy.backoff_ms(attempt))
                }
                Ok(resp) => {
                    let limit = RateLimit::from_response_at(&resp, self.now());
                    if let Some((ms, reason)) = limit.pause() {
                        self.pause_for(ms, reason, Some(resp.status));
                    }
                    match api::check(&resp) {
                        Err(ApiError::Throttled {
                            retry_after_ms,
                            message,
                        }) => {
                            if limit.retry_after_ms.is_none() {
                                let wait = policy.backoff_ms(attempt);
                                self.pause_for(wait, WaitReason::Backoff, Some(resp.status));
                            }
                            // `check` has no clock: the HTTP-date form is read here.
                            let err = ApiError::Throttled {
                                retry_after_ms: retry_after_ms.or(limit.retry_after_ms),
                                message,
                            };
                            (err, 0)
                        }
                        Err(err @ ApiError::Server { status, .. })
                            if retry == Retry::Read && matches!(status, 500 | 502 | 503 | 504) =>
                        {
                            (err, policy.backoff_ms(attempt))
                        }
                        _ => return Ok(resp),
                    }
                }
            };
            if attempt >= policy.max_attempts {
                return Err(give_up(&failure, attempt, waited, "attempts"));
            }
            if self.transport.cancelled() {
                return Err(ApiError::Cancelled);
            }
            self.retries.set(self.retries.get() + 1);
            self.record_step(
                JournalKind::Answered,
                endpoint_id,
                req,
                None,
                Some(format!("retry ({})", failure.kind())),
                Some(failure.message().to_owned()),
            );
            if backoff > 0 {
                let status = match &failure {
                    ApiError::Server { status, .. } => Some(*status),
                    _ => None,
                };
                self.report_wait(backoff, WaitReason::Backoff, status);
                if self.wait(backoff, &mut waited).await.is_err() {
                    return Err(give_up(&failure, attempt, waited, "time"));
                }
            }
            if let Err(err) = self.wait_for_pause(&mut waited).await {
                return Err(match err {
                    ApiError::Cancelled => err,
                    _ => give_up(&failure, attempt, waited, "time"),
                });
            }
        }
    }

    /// Sends a read and records the final answer in the journal.
    pub(crate) async fn read(
        &self,
        req: &Request,
        endpoint_id: Option<&str>,
    ) -> Result<Response, ApiError> {
        let resp = self.execute(req, endpoint_id, Retry::Read).await;
        self.record_answer(req, endpoint_id, &resp);
        resp
    }

    fn record_answer(
        &self,
        req: &Request,
        endpoint_id: Option<&str>,
        resp: &Result<Response, ApiError>,
    ) {
        if self.journal.is_none() {
            return;
        }
        let (status, outcome, message) = match resp {
            Ok(r) => match api::check(r) {
                Ok(()) => (Some(r.status), "ok".to_owned(), None),
                Err(e) => (
                    Some(r.status),
                    e.kind().to_owned(),
                    Some(e.message().to_owned()),
                ),
            },
            Err(e) => (None, e.kind().to_owned(), Some(e.message().to_owned())),
        };
        self.record_step(
            JournalKind::Answered,
            endpoint_id,
            req,
            status,
            Some(outcome),
            message,
        );
    }
}

/// The error after retries ran out: the same kind, with a message that says so.
fn give_up(last: &ApiError, attempts: u32, waited_ms: u64, why: &str) -> ApiError {
    let limit = if why == "time" {
        "the time this job may wait ran out"
    } else {
        "no attempts left"
    };
    let summary = format!(
        "gave up after {attempts} attempt(s) and {} s of waiting ({limit}); last answer: {}",
        waited_ms.div_ceil(1000),
        last.message()
    );
    match last {
        ApiError::Throttled { retry_after_ms, .. } => ApiError::Throttled {
            retry_after_ms: *retry_after_ms,
            message: format!("Azure DevOps is rate limiting this user: {summary}"),
        },
        ApiError::Server { status, .. } => ApiError::Server {
            status: *status,
            message: format!("Azure DevOps keeps failing: {summary}"),
        },
        ApiError::Network { .. } => ApiError::Network {
            message: format!("Azure DevOps cannot be reached: {summary}"),
        },
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Reads and scans

/// The organization id (`connectionData`'s `instanceId`, lowercase).
pub async fn organization_id<T: Transport>(client: &Client<'_, T>) -> Result<String, ApiError> {
    let req = client.api.connection_data();
    api::parse_organization_id(&client.read(&req, None).await?)
}

/// Every project the user can see, following `x-ms-continuationtoken` across pages.
pub async fn list_projects<T: Transport>(client: &Client<'_, T>) -> Result<Vec<Project>, ApiError> {
    let mut projects = Vec::new();
    let mut token: Option<String> = None;
    // Any token seen before (A, B, A… as well as A, A) would loop: stop on it. The page
    // cap bounds a server that hands out ever new tokens.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..10_000 {
        let req = client
            .api
            .list_projects(token.as_deref(), api::PROJECTS_PAGE_SIZE);
        let page = api::parse_projects_page(&client.read(&req, None).await?)?;
        let empty = page.projects.is_empty();
        projects.extend(page.projects);
        match page.continuation {
            Some(next) if !empty && seen.insert(next.clone()) => {
                token = Some(next);
            }
            _ => return Ok(projects),
        }
    }
    Ok(projects)
}

/// Every service connection of one project (id or name), failed ones included.
pub async fn scan_project<T: Transport>(
    client: &Client<'_, T>,
    project: &str,
) -> Result<Vec<Endpoint>, ApiError> {
    let req = client.api.list_endpoints(project);
    api::parse_endpoints(&client.read(&req, None).await?)
}

/// How many secret values the service returned in `endpoints`, dropped when they were read
/// (count only; normally 0). The scans report it, since what they return is already clean.
pub fn secret_values_dropped(endpoints: &[Endpoint]) -> usize {
    endpoints.iter().map(Endpoint::dropped_secrets).sum()
}

/// One project's connections as listed, and how many secret values were dropped from them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProjectListing {
    /// Every connection of the project, failed ones included, secret values dropped.
    pub connections: Vec<Endpoint>,
    /// Secret values the service returned, dropped on reading (count only; normally 0).
    pub secret_values_dropped: usize,
}

impl From<Vec<Endpoint>> for ProjectListing {
    fn from(connections: Vec<Endpoint>) -> Self {
        Self {
            secret_values_dropped: secret_values_dropped(&connections),
            connections,
        }
    }
}

/// One service connection, read again (e.g. after a conversion).
pub async fn get_endpoint<T: Transport>(
    client: &Client<'_, T>,
    project: &str,
    endpoint_id: &str,
) -> Result<Endpoint, ApiError> {
    let req = client.api.get_endpoint(project, endpoint_id);
    api::parse_endpoint(&client.read(&req, Some(endpoint_id)).await?)
}

/// Progress of an organization scan: after each project (with that project's result in
/// `project`), and, from a client with a wait listener, when it starts waiting (`waiting`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ScanProgressEvent"))]
#[serde(rename_all = "camelCase")]
pub struct ScanProgress {
    /// Projects scanned (or failed) so far.
    pub projects_done: usize,
    /// Projects to scan.
    pub projects_total: usize,
    /// Distinct connections found so far.
    pub connections_found: usize,
    /// The project that just finished, with its connections as listed (not merged), or
    /// `None` for the first event and for wait events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectDone>,
    /// A rate-limit wait or backoff that just started, on wait events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<RateLimitWait>,
}

/// One project of an organization scan as it finishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ProjectDoneEvent"))]
#[serde(rename_all = "camelCase")]
pub struct ProjectDone {
    /// The project GUID.
    pub id: String,
    /// The project name.
    pub name: String,
    /// Its connections exactly as it listed them (a shared one appears in every project
    /// that lists it; the final [`OrgScan`] merges them).
    pub connections: Vec<Endpoint>,
    /// Secret values the service returned in `connections`, dropped on reading (count only).
    #[serde(default)]
    pub secret_values_dropped: usize,
    /// Why it has none: forbidden, not found, or what stopped the scan (signed out,
    /// throttled beyond the wait, cancelled).
    pub error: Option<ApiError>,
}

/// What happened to one project in an organization scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProjectScan {
    /// The project GUID.
    pub id: String,
    /// The project name.
    pub name: String,
    /// Whether its connections were listed.
    pub scanned: bool,
    /// How many connections it listed.
    pub connections: usize,
    /// Why it was not scanned (forbidden, ...), or `null`.
    pub error: Option<ApiError>,
}

/// One service connection of an organization scan, shared ones merged into one entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "OrgConnection"))]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// The connection id.
    pub id: String,
    /// The connection as read: from its owning project when that project was scanned,
    /// else from the first project that listed it. Send this one back in a conversion.
    pub endpoint: Endpoint,
    /// The project the endpoint above was read from (GUID).
    pub read_from: String,
    /// The owning project (`serviceEndpointProjectReferences[0]`).
    pub owner: Option<ProjectRef>,
    /// Every project it appears in: its project references (owner first), plus any
    /// project that listed it without a reference.
    pub projects: Vec<ProjectRef>,
    /// Whether more than one project holds it (or the service says it is shared).
    pub shared: bool,
}

/// The result of an organization scan. Partial when stopped or when projects failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OrgScan {
    /// The API base of the organization.
    pub organization: String,
    /// Every project, in the service's order, with its result.
    pub projects: Vec<ProjectScan>,
    /// Every connection found, merged across projects, in project order.
    pub connections: Vec<Connection>,
    /// Whether every project was scanned.
    pub complete: bool,
    /// What is missing when not complete, in words ("2 of 5 projects could not be read:
    /// …"), or `null` when complete.
    pub incomplete: Option<String>,
    /// Why the scan stopped early (signed out, throttled beyond the wait, cancelled).
    pub stopped: Option<ApiError>,
    /// Secret values the service returned, dropped on reading (count only, each merged
    /// connection once; normally 0).
    pub secret_values_dropped: usize,
    /// Request counts.
    pub stats: ClientStats,
}

/// Errors after which no further project can succeed: stop launching new ones.
pub(crate) fn stops_scan(err: &ApiError) -> bool {
    matches!(
        err,
        ApiError::SignedOut { .. } | ApiError::Cancelled | ApiError::Throttled { .. }
    )
}

/// Scans every project of the organization with bounded concurrency. One forbidden or
/// failing project does not fail the scan: it is reported in `projects[i].error`.
/// Signed out, throttled beyond the wait, or cancelled: the scan stops and returns what
/// it has, with `stopped` set. Only failing to list the projects fails the whole call.
pub async fn scan_organization<T: Transport>(
    client: &Client<'_, T>,
    on_progress: &dyn Fn(&ScanProgress),
) -> Result<OrgScan, ApiError> {
    let projects = list_projects(client).await?;
    let total = projects.len();
    // Only the launches read `stopped` while scans run; the rest is the finishing side's.
    let stopped: RefCell<Option<ApiError>> = RefCell::new(None);
    let mut results: Vec<Option<ProjectResult>> = vec![None; total];
    let mut seen: HashSet<String> = HashSet::new();
    let mut done = 0usize;
    on_progress(&ScanProgress {
        projects_total: total,
        ..ScanProgress::default()
    });

    let concurrency = client.options.concurrency.max(1);
    futures::stream::iter(projects.iter().enumerate())
        .map(|(i, project)| {
            let stopped = &stopped;
            async move {
                if stopped.borrow().is_some() {
                    return (i, None);
                }
                if client.transport.cancelled() {
                    return (i, Some(Err(ApiError::Cancelled)));
                }
                (i, Some(scan_project(client, &project.id).await))
            }
        })
        .buffer_unordered(concurrency)
        .for_each(|(i, result)| {
            if let Some(result) = result {
                let (connections, error) = match &result {
                    Ok(list) => {
                        seen.extend(list.iter().map(|ep| connection_key(ep, i)));
                        (list.clone(), None)
                    }
                    Err(err) => {
                        if stops_scan(err) {
                            stopped.borrow_mut().get_or_insert_with(|| err.clone());
                        }
                        (Vec::new(), Some(err.clone()))
                    }
                };
                done += 1;
                let project = projects.get(i).map(|p| ProjectDone {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    secret_values_dropped: secret_values_dropped(&connections),
                    connections,
                    error,
                });
                on_progress(&ScanProgress {
                    projects_done: done,
                    projects_total: total,
                    connections_found: seen.len(),
                    project,
                    waiting: None,
                });
                // A stopping error is reported once, in `stopped`, not on the project.
                let keep = !matches!(&result, Err(e) if stops_scan(e));
                if keep && let Some(slot) = results.get_mut(i) {
                    *slot = Some(result);
                }
            }
            futures::future::ready(())
        })
        .await;

    let stopped = stopped.into_inner();
    let (project_scans, connections) = merge(&projects, results);
    let complete = stopped.is_none() && project_scans.iter().all(|p| p.scanned);
    let incomplete = (!complete).then(|| incomplete_line(&project_scans, stopped.as_ref()));
    let secret_values_dropped = connections
        .iter()
        .map(|c| c.endpoint.dropped_secrets())
        .sum();
    Ok(OrgScan {
        organization: client.api.base.clone(),
        projects: project_scans,
        connections,
        complete,
        incomplete,
        stopped,
        secret_values_dropped,
        stats: client.stats(),
    })
}

/// What an incomplete organization scan misses: the projects not read, each with why (the
/// engine's words for its error), and what stopped the scan.
fn incomplete_line(projects: &[ProjectScan], stopped: Option<&ApiError>) -> String {
    let unread: Vec<&ProjectScan> = projects.iter().filter(|p| !p.scanned).collect();
    let mut line = format!(
        "{} of {} {} could not be read",
        unread.len(),
        projects.len(),
        if projects.len() == 1 {
            "project"
        } else {
            "projects"
        }
    );
    let failed: Vec<String> = unread
        .iter()
        .filter_map(|p| p.error.as_ref().map(|e| format!("{} ({e})", p.name)))
        .collect();
    if !failed.is_empty() {
        line.push_str(": ");
        line.push_str(&failed.join("; "));
    }
    if let Some(err) = stopped {
        line.push_str(". The scan stopped: ");
        line.push_str(&err.to_string());
    }
    line.push('.');
    line
}

/// One project's list of connections, or why it has none.
type ProjectResult = Result<Vec<Endpoint>, ApiError>;

fn connection_key(ep: &Endpoint, project_index: usize) -> String {
    match ep.id() {
        Some(id) => id.to_ascii_lowercase(),
        None => format!("#{project_index}/{}", ep.name().unwrap_or_default()),
    }
}

fn same_project(r: &ProjectRef, project: &Project) -> bool {
    r.project_id
        .as_deref()
        .is_some_and(|id| id.eq_ignore_ascii_case(&project.id))
        || (r.project_id.is_none()
            && r.project_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&project.name)))
}

/// Merges per-project lists into one entry per connection id, in project order.
fn merge(
    projects: &[Project],
    results: Vec<Option<ProjectResult>>,
) -> (Vec<ProjectScan>, Vec<Connection>) {
    let mut scans = Vec::with_capacity(projects.len());
    let mut connections: Vec<Connection> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, (project, result)) in projects.iter().zip(results).enumerate() {
        let (scanned, count, error) = match result {
            Some(Ok(list)) => {
                let count = list.len();
                for ep in list {
                    let key = connection_key(&ep, i);
                    if let Some(&at) = index.get(&key) {
                        let entry = &mut connections[at];
                        let from_owner = entry
                            .owner
                            .as_ref()
                            .is_some_and(|o| same_project(o, project));
                        if from_owner {
                            entry.endpoint = ep;
                            project.id.clone_into(&mut entry.read_from);
                        }
                        if !entry.projects.iter().any(|r| same_project(r, project)) {
                            entry
                                .projects
                                .push(listed_in(project, entry.endpoint.name()));
                        }
                        entry.shared = true;
                    } else {
                        let mut refs = ep.project_refs();
                        if !refs.iter().any(|r| same_project(r, project)) {
                            refs.push(listed_in(project, ep.name()));
                        }
                        let owner = refs.first().cloned();
                        index.insert(key, connections.len());
                        connections.push(Connection {
                            id: ep.id().unwrap_or_default().to_owned(),
                            shared: refs.len() > 1 || ep.is_shared(),
                            read_from: project.id.clone(),
                            owner,
                            projects: refs,
                            endpoint: ep,
                        });
                    }
                }
                (true, count, None)
            }
            Some(Err(err)) => (false, 0, Some(err)),
            None => (false, 0, None),
        };
        scans.push(ProjectScan {
            id: project.id.clone(),
            name: project.name.clone(),
            scanned,
            connections: count,
            error,
        });
    }
    (scans, connections)
}

fn listed_in(project: &Project, name: Option<&str>) -> ProjectRef {
    ProjectRef {
        project_id: Some(project.id.clone()),
        project_name: Some(project.name.clone()),
        name: name.map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------
// Plans

/// What a plan is made for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(rename_all = "camelCase", default)]
pub struct PlanContext {
    /// The project the user acts from (id or name); `null` for the organization view,
    /// where each connection is converted from its owning project.
    pub project: Option<String>,
    /// The connection ids the user selected; `null` means "all convertible".
    pub selected: Option<Vec<String>>,
    /// Also send manual (not ADO-created) service principals: they convert only when a
    /// federated credential already exists, else the service answers 400.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub allow_manual: bool,
}

/// Why a connection is left out of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    /// No `id`: nothing to address.
    NoId,
    /// Not an Azure Resource Manager connection.
    NotAzureRm,
    /// Already on workload identity federation (drafts included).
    AlreadyFederated,
    /// A scheme that does not convert (managed identity, publish profile, ...).
    UnsupportedScheme,
    /// The service is still working on it.
    InProgress,
    /// Its last operation failed (a failed conversion is offered as "Try again" instead).
    Failed,
    /// `isReady` is false: its creation did not complete.
    NotReady,
    /// A manual service principal: needs a federated credential first.
    Manual,
    /// Owned by another project: convert it from there.
    SharedFromAnotherProject,
    /// Shared with other projects: converted only when explicitly selected.
    SharedNotSelected,
    /// No project reference to send the request to.
    NoProject,
    /// Disabled: enable it before converting (as the verdict says).
    Disabled,
    /// An environment without workload identity federation (Azure Stack).
    EnvironmentUnsupported,
    /// A ticked connection its project did not list (deleted, or moved).
    NotFound,
}

impl SkipReason {
    /// The sentence the plan shows.
    pub fn explain(self) -> &'static str {
        match self {
            SkipReason::NoId => "It has no id.",
            SkipReason::NotAzureRm => {
                "Only Azure Resource Manager connections convert to workload identity federation."
            }
            SkipReason::AlreadyFederated => "It already uses workload identity federation.",
            SkipReason::UnsupportedScheme => {
                "Only service principal (secret or certificate) connections convert."
            }
            SkipReason::InProgress => {
                "Azure DevOps is still working on it; try again when it is ready."
            }
            SkipReason::Failed => "Its last operation failed; fix it first.",
            SkipReason::NotReady => {
                "The connection is not ready (isReady is false): its creation did not complete."
            }
            SkipReason::Manual => {
                "A manually created service principal converts only after a federated credential is added to it."
            }
            SkipReason::SharedFromAnotherProject => {
                "It is shared from another project; convert it from its owning project."
            }
            SkipReason::SharedNotSelected => {
                "It is shared with other projects; select it explicitly to convert it."
            }
            SkipReason::NoProject => "It has no project reference to send the request to.",
            SkipReason::Disabled => "The connection is disabled: enable it before converting.",
            SkipReason::EnvironmentUnsupported => {
                "Azure Stack connections are not offered workload identity federation."
            }
            SkipReason::NotFound => "Not found in its owning project.",
        }
    }
}

/// A connection a plan will convert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PlannedConversion {
    /// The connection id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The project the request goes to (the owning project's id, else its name).
    pub project: String,
    /// The owning project's name, for display (organization-wide plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// The button's word: `convert`, or `tryAgain` when the last conversion failed. Always
    /// in the engine's plans; optional on input (`convert` when absent).
    #[serde(default = "default_action")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<crate::convertibility::Action>", optional)
    )]
    pub action: crate::convertibility::Action,
    /// What is shown beside it (a failed previous conversion, sharing), as sentences.
    /// Always in the engine's plans; optional on input.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub notes: Vec<String>,
}

fn default_action() -> crate::convertibility::Action {
    crate::convertibility::Action::Convert
}

/// A connection a plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SkippedConversion {
    /// The connection id (empty when it has none).
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The reason, as a key.
    pub reason: SkipReason,
    /// The reason, as a sentence.
    pub message: String,
    /// The owning project whose plan skipped it (organization-wide plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// That project's name, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
}

/// What a bulk conversion will send and what it will skip.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConversionPlan {
    /// Connections to convert, in input order.
    pub send: Vec<PlannedConversion>,
    /// Connections left out, in input order.
    pub skip: Vec<SkippedConversion>,
}

/// The project a scheme change goes to: the owning project (`[0]`), by id, else name.
pub fn owning_project(endpoint: &Endpoint) -> Option<String> {
    endpoint
        .home_project()
        .and_then(|r| r.project_id.or(r.project_name))
}

/// The project a scheme change goes to ([`owning_project`]) and its name, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OwningProject {
    /// The owning project's id, else its name: where the request goes.
    pub project: String,
    /// Its name, when the reference has one.
    pub project_name: Option<String>,
}

/// [`owning_project`] with the project's name; `None` without a project reference.
pub fn owning_project_ref(endpoint: &Endpoint) -> Option<OwningProject> {
    let home = endpoint.home_project()?;
    let project = home
        .project_id
        .clone()
        .or_else(|| home.project_name.clone())?;
    Some(OwningProject {
        project,
        project_name: home.project_name,
    })
}

/// Why this connection cannot be converted now, if it cannot: the first block of the one
/// convertibility decision ([`crate::convertibility::assess`]), which the verdict reads too.
pub fn skip_reason(
    ep: &Endpoint,
    ctx: &PlanContext,
    explicitly_selected: bool,
) -> Option<SkipReason> {
    assess_for_plan(ep, ctx, explicitly_selected)
        .blocks
        .first()
        .copied()
}

fn assess_for_plan(
    ep: &Endpoint,
    ctx: &PlanContext,
    explicitly_selected: bool,
) -> crate::convertibility::Assessment {
    use crate::convertibility::{Acting, Scope, assess};
    let acting = ctx
        .project
        .as_deref()
        .map_or(Acting::Organization, Acting::IdOrName);
    assess(
        ep,
        &Scope {
            acting,
            allow_manual: ctx.allow_manual,
            selected: explicitly_selected,
        },
    )
}

/// Plans a bulk conversion: which connections will be sent and which are skipped, with a
/// reason. With `selected`, only those ids are considered; shared connections are sent
/// only when selected and only from their owning project.
pub fn plan_conversions(endpoints: &[Endpoint], ctx: &PlanContext) -> ConversionPlan {
    let mut plan = ConversionPlan::default();
    for ep in endpoints {
        let id = ep.id().unwrap_or_default();
        let selected = ctx
            .selected
            .as_ref()
            .map(|ids| ids.iter().any(|s| s.eq_ignore_ascii_case(id)));
        if selected == Some(false) {
            continue;
        }
        let name = ep.name().map(str::to_owned);
        let assessment = assess_for_plan(ep, ctx, selected == Some(true));
        // The owning project's name, for display (a plan from one project lists ids otherwise).
        let owner = owning_project_ref(ep);
        let owner_name = owner.as_ref().and_then(|o| o.project_name.clone());
        match (
            assessment.blocks.first().copied(),
            owner.map(|o| o.project),
            assessment.action,
        ) {
            (None, Some(project), Some(action)) => plan.send.push(PlannedConversion {
                id: id.to_owned(),
                name,
                project,
                project_name: owner_name,
                action,
                notes: assessment
                    .qualifiers
                    .iter()
                    .map(crate::convertibility::Qualifier::explain)
                    .collect(),
            }),
            (reason, _, _) => {
                let reason = reason.unwrap_or(SkipReason::NoProject);
                plan.skip.push(SkippedConversion {
                    id: id.to_owned(),
                    name,
                    reason,
                    message: reason.explain().to_owned(),
                    project: None,
                    project_name: owner_name,
                });
            }
        }
    }
    plan
}

/// The journal entries of a plan (`planned` and `skipped`), stamped `at_ms`.
pub fn plan_journal(plan: &ConversionPlan, at_ms: f64) -> Vec<JournalEntry> {
    let planned = plan.send.iter().map(|p| JournalEntry {
        at_ms,
        kind: JournalKind::Planned,
        endpoint_id: Some(p.id.clone()),
        method: Some("PUT".to_owned()),
        url: None,
        status: None,
        outcome: Some("convert".to_owned()),
        message: p.name.clone(),
    });
    let skipped = plan.skip.iter().map(|s| JournalEntry {
        at_ms,
        kind: JournalKind::Skipped,
        endpoint_id: Some(s.id.clone()),
        method: None,
        url: None,
        status: None,
        outcome: serde_json::to_value(s.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned)),
        message: Some(s.message.clone()),
    });
    planned.chain(skipped).collect()
}

// ---------------------------------------------------------------------------------------
// Conversions

/// The result of a conversion, a revert or a poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(
    tag = "outcome",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ConversionOutcome {
    /// 200 (or a poll that ended `Ready`): the connection uses workload identity federation.
    Converted {
        /// The connection as the service returned it.
        endpoint: Endpoint,
        /// `workloadIdentityFederationIssuer`.
        issuer: Option<String>,
        /// `workloadIdentityFederationSubject`.
        subject: Option<String>,
        /// `data.revertSchemeDeadline`: the revert is possible until then.
        revert_deadline: Option<String>,
    },
    /// 202 or `InProgress`: the service converts in the background; poll.
    Converting {
        /// The connection as returned (still the old scheme), when it came back.
        endpoint: Option<Endpoint>,
    },
    /// The background conversion ended `Failed`.
    Failed {
        /// `operationStatus.statusMessage`, or what was wrong.
        message: String,
        /// The connection as last read.
        endpoint: Option<Endpoint>,
    },
    /// 400 "could not be upgraded": a manual service principal without a federated
    /// credential. Add it (issuer and subject of the connection), then try again.
    NeedsManual {
        /// The service's text.
        message: String,
    },
    /// 400 "neither an upgrade or a downgrade": already on that scheme.
    AlreadyFederated {
        /// The service's text.
        message: String,
    },
    /// 403.
    Forbidden {
        /// The service's text.
        message: String,
        /// The role needed.
        role: String,
    },
    /// Another operation is running on it: wait and try again.
    InProgress {
        /// The service's text.
        message: String,
    },
    /// A revert succeeded: back on a service principal with its secret.
    Reverted {
        /// The connection as the service returned it.
        endpoint: Endpoint,
    },
    /// 400 "no recovery data": the revert window has passed (or it was never converted).
    RevertUnavailable {
        /// The service's text.
        message: String,
    },
    /// The connection does not exist (any more) or cannot be seen.
    NotFound {
        /// The service's text.
        message: String,
    },
    /// Any other refusal (e.g. "Properties cannot be changed"), with the service's text.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The service's text.
        message: String,
    },
    /// Signed out, throttled, 5xx, network or a garbled answer: nothing about this
    /// connection; pause the job and resume later (read the connection before resending:
    /// a write that got no clear answer may have run).
    Paused {
        /// What happened.
        error: ApiError,
    },
    /// The user cancelled before the request went out.
    Cancelled,
}

impl ConversionOutcome {
    /// The outcome's name, as serialized (`converted`, `needsManual`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            ConversionOutcome::Converted { .. } => "converted",
            ConversionOutcome::Converting { .. } => "converting",
            ConversionOutcome::Failed { .. } => "failed",
            ConversionOutcome::NeedsManual { .. } => "needsManual",
            ConversionOutcome::AlreadyFederated { .. } => "alreadyFederated",
            ConversionOutcome::Forbidden { .. } => "forbidden",
            ConversionOutcome::InProgress { .. } => "inProgress",
            ConversionOutcome::Reverted { .. } => "reverted",
            ConversionOutcome::RevertUnavailable { .. } => "revertUnavailable",
            ConversionOutcome::NotFound { .. } => "notFound",
            ConversionOutcome::Rejected { .. } => "rejected",
            ConversionOutcome::Paused { .. } => "paused",
            ConversionOutcome::Cancelled => "cancelled",
        }
    }

    fn message(&self) -> Option<String> {
        match self {
            ConversionOutcome::Failed { message, .. }
            | ConversionOutcome::NeedsManual { message }
            | ConversionOutcome::AlreadyFederated { message }
            | ConversionOutcome::Forbidden { message, .. }
            | ConversionOutcome::InProgress { message }
            | ConversionOutcome::RevertUnavailable { message }
            | ConversionOutcome::NotFound { message }
            | ConversionOutcome::Rejected { message, .. } => Some(message.clone()),
            ConversionOutcome::Paused { error } => Some(error.message().to_owned()),
            _ => None,
        }
    }
}

/// What a scheme change was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// To `WorkloadIdentityFederation`.
    Convert,
    /// Back to `ServicePrincipal`.
    Revert,
}

impl Direction {
    /// The scheme it changes to.
    pub fn scheme(self) -> &'static str {
        match self {
            Direction::Convert => SCHEME_FEDERATED,
            Direction::Revert => SCHEME_SERVICE_PRINCIPAL,
        }
    }
}

/// Reads the state of an endpoint the service returned after (or while) changing scheme.
pub fn settled_outcome(endpoint: Endpoint, direction: Direction) -> ConversionOutcome {
    let (state, status_message) = endpoint.operation_status();
    let state = state.unwrap_or("Ready").to_owned();
    let status_message = status_message.unwrap_or_default().to_owned();
    if state.eq_ignore_ascii_case("InProgress") {
        return ConversionOutcome::Converting {
            endpoint: Some(endpoint),
        };
    }
    if state.eq_ignore_ascii_case("Failed") {
        let message = if status_message.is_empty() {
            "The conversion failed.".to_owned()
        } else {
            status_message
        };
        return ConversionOutcome::Failed {
            message,
            endpoint: Some(endpoint),
        };
    }
    let scheme = endpoint.scheme().unwrap_or_default().to_owned();
    if !scheme.eq_ignore_ascii_case(direction.scheme()) {
        return ConversionOutcome::Failed {
            message: format!(
                "The service answered, but the connection still uses {scheme}, not {}.",
                direction.scheme()
            ),
            endpoint: Some(endpoint),
        };
    }
    match direction {
        Direction::Convert => ConversionOutcome::Converted {
            issuer: endpoint.param("workloadIdentityFederationIssuer"),
            subject: endpoint.param("workloadIdentityFederationSubject"),
            revert_deadline: endpoint.data("revertSchemeDeadline"),
            endpoint,
        },
        Direction::Revert => ConversionOutcome::Reverted { endpoint },
    }
}

/// Reads the answer to a scheme-change PUT.
pub fn conversion_outcome(resp: &Response, direction: Direction) -> ConversionOutcome {
    match api::check(resp) {
        Ok(()) if resp.status == 202 => ConversionOutcome::Converting {
            endpoint: api::parse_endpoint(resp).ok(),
        },
        Ok(()) => match api::parse_endpoint(resp) {
            Ok(ep) => settled_outcome(ep, direction),
            Err(error) => ConversionOutcome::Paused { error },
        },
        Err(err) => error_outcome(err, direction),
    }
}

/// Reads an error answer to a scheme change (or a read of one) in the light of its
/// direction: "neither an upgrade or a downgrade" means already federated only for a
/// conversion; for a revert it is a refusal (the connection is not on federation), never
/// `alreadyFederated`.
pub fn error_outcome(err: ApiError, direction: Direction) -> ConversionOutcome {
    match err {
        ApiError::BadRequest { status, message } => {
            let lower = message.to_ascii_lowercase();
            if lower.contains("could not be upgraded") {
                ConversionOutcome::NeedsManual { message }
            } else if lower.contains("neither an upgrade or a downgrade")
                && direction == Direction::Convert
            {
                ConversionOutcome::AlreadyFederated { message }
            } else if lower.contains("no recovery data") {
                ConversionOutcome::RevertUnavailable { message }
            } else {
                ConversionOutcome::Rejected { status, message }
            }
        }
        ApiError::Forbidden { message } => ConversionOutcome::Forbidden {
            message,
            role: CONVERSION_ROLE.to_owned(),
        },
        ApiError::InProgress { message } => ConversionOutcome::InProgress { message },
        ApiError::NotFound { message } => ConversionOutcome::NotFound { message },
        ApiError::Cancelled => ConversionOutcome::Cancelled,
        error @ (ApiError::SignedOut { .. }
        | ApiError::Throttled { .. }
        | ApiError::Server { .. }
        | ApiError::Network { .. }
        | ApiError::Malformed { .. }) => ConversionOutcome::Paused { error },
    }
}

/// The scheme-change request a job would send: to the owning project, else `project`.
pub fn scheme_change_request(
    api: &Api,
    endpoint: &Endpoint,
    project: Option<&str>,
    direction: Direction,
) -> Result<Request, crate::Error> {
    let target = owning_project(endpoint)
        .or_else(|| project.map(str::to_owned))
        .ok_or_else(|| crate::Error::Argument(SkipReason::NoProject.explain().to_owned()))?;
    match direction {
        Direction::Convert => api.convert(&target, endpoint),
        Direction::Revert => api.revert(&target, endpoint),
    }
}

async fn change_scheme<T: Transport>(
    client: &Client<'_, T>,
    endpoint: &Endpoint,
    project: Option<&str>,
    direction: Direction,
) -> ConversionOutcome {
    let id = endpoint.id();
    let req = match scheme_change_request(&client.api, endpoint, project, direction) {
        Ok(req) => req,
        Err(e) => {
            return ConversionOutcome::Rejected {
                status: 0,
                message: e.to_string(),
            };
        }
    };
    let (status, outcome) = match client.execute(&req, id, Retry::Write).await {
        Ok(resp) => (Some(resp.status), conversion_outcome(&resp, direction)),
        Err(err) => (None, error_outcome(err, direction)),
    };
    client.record_step(
        JournalKind::Answered,
        id,
        &req,
        status,
        Some(outcome.name().to_owned()),
        outcome.message(),
    );
    outcome
}

/// Converts one connection to workload identity federation (one PUT, never repeated
/// except after a 429, which means it did not run). `project` is used only when the
/// connection has no project reference.
pub async fn convert<T: Transport>(
    client: &Client<'_, T>,
    endpoint: &Endpoint,
    project: Option<&str>,
) -> ConversionOutcome {
    change_scheme(client, endpoint, project, Direction::Convert).await
}

/// Reverts a conversion (scheme back to `ServicePrincipal`), inside the revert window.
pub async fn revert<T: Transport>(
    client: &Client<'_, T>,
    endpoint: &Endpoint,
    project: Option<&str>,
) -> ConversionOutcome {
    change_scheme(client, endpoint, project, Direction::Revert).await
}

/// Reads a connection until its operation leaves `InProgress`, waiting longer each time
/// ([`PollPolicy`]); `Converting` again if it is still running when the wait runs out.
pub async fn poll<T: Transport>(
    client: &Client<'_, T>,
    project: &str,
    endpoint_id: &str,
    direction: Direction,
) -> ConversionOutcome {
    let policy = client.options.poll;
    let mut delay = policy.first_delay_ms;
    let mut waited = 0u64;
    loop {
        let outcome = match get_endpoint(client, project, endpoint_id).await {
            Ok(ep) => settled_outcome(ep, direction),
            Err(err) => return error_outcome(err, direction),
        };
        if !matches!(outcome, ConversionOutcome::Converting { .. }) || waited >= policy.max_total_ms
        {
            return outcome;
        }
        if client.transport.cancelled() {
            return ConversionOutcome::Cancelled;
        }
        let wait = delay.min(policy.max_total_ms - waited);
        client.transport.sleep(wait).await;
        waited += wait;
        delay = (delay + delay / 2).min(policy.max_delay_ms);
    }
}
