//! The conversion job: a sans-IO state machine that converts (or reverts) the connections
//! of a confirmed plan. It decides everything (what to send, when, what an answer means,
//! when to pause and why); the driver (the extension's service worker, the CLI) only
//! stores, schedules and relays.
//!
//! # The driver loop
//!
//! A job is made from a confirmed plan's [`JobHeader`] ([`Job::start`]) or from that header
//! and the records stored so far ([`Job::restore`]). Then, until [`Step::Done`]:
//!
//! 1. `let Next { records, steps, batch } = job.next(now_ms)`.
//! 2. **Persist `records` first** (append them to the journal). If that fails, do not
//!    perform any step of this batch: apply [`Event::StorageFailed`] naming `batch` (the
//!    job undoes that batch, pauses with "Browser storage is full: …" and nothing is sent;
//!    other events may be applied in between; without `batch`, the last batch `next`
//!    handed out). A [`Step::Send`]'s `sent` record is in this batch: that is how "sent" is
//!    on disk before the request leaves.
//! 3. Perform the steps: [`Step::Send`], [`Step::Read`] and [`Step::Poll`] are requests to
//!    relay as they are (never retried by the driver); [`Step::WaitUntil`] asks for a timer
//!    at `at_ms`; [`Step::Paused`] means nothing new starts (arm a timer at `resume_at_ms`
//!    when it has one); [`Step::Done`] ends the job.
//! 4. For each request's outcome, `job.apply(event, now_ms)` and persist the records it
//!    returns:
//!    - an HTTP answer, whatever its status: [`Event::Answer`] (the relay's answer as is,
//!      TypeScript `AdoResponse`: status, headers as a record or as pairs, body, optional
//!      final URL and `opaqueRedirect`);
//!    - no answer: [`Event::Lost`] with [`Lost::Network`] (offline, reset, CORS),
//!      [`Lost::TabGone`] (the relaying tab closed or navigated away) or
//!      [`Lost::SignedOut`] (the relay saw the sign-in page);
//!    - a timer that fired: [`Event::Timer`] (or just call `next` again);
//!    - the user's commands: [`Event::Pause`], [`Event::Resume`], [`Event::Cancel`],
//!      [`Event::Retry`] (a paused job stays paused: the retried item runs on resume; after
//!      a cancel, only the retried item runs, the others stay cancelled).
//! 5. Call `next` again whenever an event was applied or a timer fired.
//!
//! Every request carries its step number; an answer for a step the job no longer waits
//! for (a restored job, a duplicate) is ignored. A restored job numbers its steps in a new
//! epoch (from `(records + 1) << 20`), so a late answer to a request made before the restore
//! never matches a new step. `now_ms` must be finite. Records are small and of bounded size (no
//! endpoint, no body); [`Job::restore`] replays them, so a job restored between any two
//! steps continues correctly: a `sent` without an answer is settled by a read, never sent
//! again blindly.
//!
//! ```
//! use federate_core::api::{Api, OrgLocation, Response};
//! use federate_core::job::{Event, Job, JobHeader, Next, Step};
//! use federate_core::jobs::{plan_conversions, Direction, PlanContext};
//! use federate_core::model::Endpoint;
//! let ep = Endpoint::from_value(serde_json::json!({"id":"e1","name":"prod","type":"azurerm",
//!   "authorization":{"scheme":"ServicePrincipal","parameters":{}},"data":{"creationMode":"Automatic"},
//!   "serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"Ops"}}]})).unwrap();
//! let plan = plan_conversions(&[ep.clone()], &PlanContext { project: Some("p1".into()), ..Default::default() });
//! let api = Api::new(&OrgLocation::parse("https://dev.azure.com/contoso").unwrap());
//! let header = JobHeader::from_plan("j1", Direction::Convert, api, &plan, &[ep.clone()], 4, 0.0).unwrap();
//! let mut job = Job::start(header).unwrap();
//! let mut journal = Vec::new();
//! // First a read that checks the connection is still as planned...
//! let Next { records, steps, .. } = job.next(0.0);
//! journal.extend(records);
//! let Step::Read { step, .. } = &steps[0] else { panic!() };
//! let body = serde_json::to_string(&ep).unwrap();
//! journal.extend(job.apply(Event::Answer { step: *step, response: Response::new(200, body) }, 10.0).unwrap());
//! // ...then the PUT, whose `sent` record comes with it, to persist before sending.
//! let Next { records, steps, .. } = job.next(10.0);
//! assert!(records.iter().any(|r| r.is_sent()));
//! journal.extend(records);
//! let Step::Send { step, .. } = &steps[0] else { panic!() };
//! let mut done = ep.to_value();
//! done["authorization"]["scheme"] = "WorkloadIdentityFederation".into();
//! journal.extend(job.apply(Event::Answer { step: *step, response: Response::new(200, done.to_string()) }, 20.0).unwrap());
//! assert!(matches!(job.next(20.0).steps[..], [Step::Done]));
//! assert_eq!(job.view().counts.get("converted"), Some(&1));
//! ```

mod plan;

pub use plan::{
    ActiveJob, Conflict, Difference, Fingerprint, JobHeader, JobItemPlan, JobPolicy,
    MAX_CONCURRENCY, ProjectRead, conflicts, plan_organization, plan_reverts,
};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{self, ApiError, RateLimit, Request, Response};
use crate::jobs::{ConversionOutcome, Direction, SkippedConversion, settled_outcome};
use crate::model::Endpoint;
use plan::short;

// ---------------------------------------------------------------------------------------
// Words

/// How a connection of a job ended. The CLI's `--format json` and the panel use these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "JobOutcome"))]
#[serde(rename_all = "camelCase")]
pub enum Final {
    /// Now on workload identity federation.
    Converted,
    /// Back on its service principal and secret.
    Reverted,
    /// It already used workload identity federation.
    AlreadyFederated,
    /// A manual service principal: its federated credential must be added first.
    ManualRequired,
    /// The user lacks the role.
    Forbidden,
    /// Refused or failed (the message says why).
    Failed,
    /// Not sent: it changed since the plan was confirmed (the differences say how).
    Skipped,
    /// Cancelled before it finished.
    Cancelled,
}

impl Final {
    /// The word, as serialized.
    pub fn word(self) -> &'static str {
        match self {
            Final::Converted => "converted",
            Final::Reverted => "reverted",
            Final::AlreadyFederated => "alreadyFederated",
            Final::ManualRequired => "manualRequired",
            Final::Forbidden => "forbidden",
            Final::Failed => "failed",
            Final::Skipped => "skipped",
            Final::Cancelled => "cancelled",
        }
    }

    /// The outcome in words, as the panel shows it beside a connection.
    pub fn label(self) -> &'static str {
        match self {
            Final::Converted => "Converted",
            Final::Reverted => "Reverted",
            Final::AlreadyFederated => "Already federated",
            Final::ManualRequired => "Needs a federated credential",
            Final::Forbidden => "No permission",
            Final::Failed => "Failed",
            Final::Skipped => "Skipped: changed since the plan",
            Final::Cancelled => "Cancelled",
        }
    }

    /// Whether the job changed the connection, so the inventory's row is out of date: the
    /// scheme changed (converted, reverted), a failed operation left its status changed, or
    /// it was found already federated. A refusal (forbidden, manual steps needed) or a
    /// cancel changed nothing. A connection skipped because it changed since the plan was
    /// not changed by the job: its view shows the differences, and the next scan reads it.
    pub fn changes_connection(self) -> bool {
        matches!(
            self,
            Final::Converted | Final::Reverted | Final::Failed | Final::AlreadyFederated
        )
    }

    /// Whether the item went as planned (counts toward exit code 0).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Final::Converted | Final::Reverted | Final::AlreadyFederated
        )
    }
}

/// Why a job is paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PauseReason {
    /// The user paused it.
    User,
    /// Azure DevOps is rate limiting this user.
    Throttled,
    /// Azure DevOps answered with a server error.
    Server {
        /// The HTTP status.
        status: u16,
    },
    /// No answer reached the job.
    Network,
    /// The session is gone.
    SignedOut,
    /// The tab that relays the requests was closed or navigated away.
    TabGone,
    /// A record could not be stored.
    StorageFull {
        /// Jobs kept in storage.
        jobs: u32,
        /// Storage used, in KB.
        kilobytes: u64,
    },
    /// Azure DevOps still converts in the background after the polling time.
    StillConverting,
}

impl PauseReason {
    /// The kind as a word (`user`, `throttled`, `server`, `network`, `signedOut`, `tabGone`,
    /// `storageFull`, `stillConverting`).
    pub fn word(&self) -> &'static str {
        match self {
            PauseReason::User => "user",
            PauseReason::Throttled => "throttled",
            PauseReason::Server { .. } => "server",
            PauseReason::Network => "network",
            PauseReason::SignedOut => "signedOut",
            PauseReason::TabGone => "tabGone",
            PauseReason::StorageFull { .. } => "storageFull",
            PauseReason::StillConverting => "stillConverting",
        }
    }

    /// The sentence the user reads.
    pub fn sentence(&self) -> String {
        match self {
            PauseReason::User => "Paused by you. Requests already sent finish; nothing new is sent until you resume.".to_owned(),
            PauseReason::Throttled => "Paused: Azure DevOps is rate limiting this user; the job resumes by itself after the wait.".to_owned(),
            PauseReason::Server { status } => format!("Paused: Azure DevOps answered with a server error (HTTP {status}). Resume to continue where it stopped."),
            PauseReason::Network => "Paused: no answer from Azure DevOps (the page may have reloaded or the network dropped).".to_owned(),
            PauseReason::SignedOut => "Paused: you are signed out of Azure DevOps. Sign in again in the tab, then resume.".to_owned(),
            PauseReason::TabGone => "The Azure DevOps tab was closed. Open the organization in a tab, then resume from it.".to_owned(),
            PauseReason::StorageFull { jobs, kilobytes } => format!("Browser storage is full: {jobs} jobs, {kilobytes} KB; export and clear History, then resume. Nothing was sent after this."),
            PauseReason::StillConverting => "Azure DevOps is still converting in the background. Resume later to check again.".to_owned(),
        }
    }

    /// Whether this pause may resume by itself (bounded by
    /// [`JobPolicy::max_auto_resumes`]): only the rate limit and a lost answer. A closed
    /// tab, full storage, a sign-out, a server error and the user's pause wait for the user.
    pub fn auto_resumes(&self) -> bool {
        matches!(self, PauseReason::Throttled | PauseReason::Network)
    }
}

/// What a read is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ReadPurpose {
    /// Before the first send: is it still as planned?
    Verify,
    /// A send's answer was lost: did it run?
    Settle,
    /// Another operation was in progress: has it ended?
    Recheck,
}

/// Why the job waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum WaitFor {
    /// Azure DevOps asked to wait (`Retry-After`, 429).
    RateLimit,
    /// Backing off after a failed read.
    Backoff,
    /// The next read of a background conversion.
    Poll,
    /// Another operation on the connection should end first.
    OtherOperation,
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "JobStep"))]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Step {
    /// Send this scheme change (its `sent` record is in the same batch: persist it first).
    Send {
        /// The step number its answer must carry.
        step: u64,
        /// The item's index in the header.
        item: usize,
        /// The connection id.
        id: String,
        /// The request, as is.
        request: Request,
    },
    /// Read the connection (to verify it before sending, to settle a lost answer, or to
    /// see whether another operation ended).
    Read {
        /// The step number its answer must carry.
        step: u64,
        /// The item's index in the header.
        item: usize,
        /// The connection id.
        id: String,
        /// Why.
        purpose: ReadPurpose,
        /// The request, as is.
        request: Request,
    },
    /// Read the connection while Azure DevOps converts it in the background.
    Poll {
        /// The step number its answer must carry.
        step: u64,
        /// The item's index in the header.
        item: usize,
        /// The connection id.
        id: String,
        /// The request, as is.
        request: Request,
    },
    /// Nothing to start before `at_ms`: call `next` again then.
    WaitUntil {
        /// When.
        at_ms: f64,
        /// Why.
        reason: WaitFor,
    },
    /// Paused: nothing new starts (answers of requests in flight are still applied).
    Paused {
        /// Why.
        reason: PauseReason,
        /// The sentence the user reads.
        message: String,
        /// When it resumes by itself (call `next` then), if it does.
        resume_at_ms: Option<f64>,
    },
    /// Every item has its outcome (or the job was cancelled): nothing more.
    Done,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "LostAnswer"))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Lost {
    /// No HTTP answer (offline, DNS, TLS, CORS, reset).
    Network {
        /// The transport's text.
        #[serde(default)]
        message: String,
    },
    /// The tab that relays the requests is gone (closed, navigated away).
    TabGone,
    /// The relay saw the sign-in page.
    SignedOut,
}

/// What happened, for [`Job::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "JobEvent"))]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// The HTTP answer to step `step`, whatever its status.
    Answer {
        /// The step number.
        step: u64,
        /// The answer.
        response: Response,
    },
    /// Step `step` got no answer.
    Lost {
        /// The step number.
        step: u64,
        /// Why.
        why: Lost,
    },
    /// The records of a `next` batch could not be stored: none of its steps was performed.
    StorageFailed {
        /// Jobs kept in storage.
        jobs: u32,
        /// Storage used, in KB.
        kilobytes: u64,
        /// The batch ([`Next::batch`]); absent, the last one `next` handed out.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        batch: Option<u64>,
    },
    /// A timer fired.
    Timer,
    /// The user paused the job.
    Pause,
    /// The user resumed the job (after signing in again, or from a new tab).
    Resume,
    /// The user cancelled the job.
    Cancel,
    /// The user asked to try one connection again (a paused job stays paused: it runs on
    /// resume; after a cancel only this one runs).
    Retry {
        /// The connection id.
        id: String,
    },
}

// ---------------------------------------------------------------------------------------
// Records

/// One small append-only record of a job: what the job decided or learned, never a body,
/// a header or an endpoint copy. Replayed by [`Job::restore`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "JobRecord"))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Record {
    /// The pre-send read showed the connection as planned.
    Verified {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
    },
    /// A scheme change is about to leave (persist before sending).
    Sent {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
        /// The attempt, counting from 1.
        attempt: u32,
        /// `PUT`.
        method: String,
        /// The URL.
        url: String,
    },
    /// An answer (or a read after a lost one) showed the scheme change did not run.
    NotRun {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
        /// What showed it (`429`, `signed out`, `read: unchanged`).
        why: String,
    },
    /// Azure DevOps converts in the background: poll.
    Converting {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
    },
    /// "Another operation is in progress": wait, read, then send again.
    OtherOperation {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
        /// The round, from 1.
        round: u32,
    },
    /// The item is finished.
    Outcome {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
        /// How it ended.
        outcome: Final,
        /// The engine's outcome it came from (`needsManual`, `revertUnavailable`, ...).
        detail: String,
        /// What to tell the user (sanitized, bounded).
        message: Option<String>,
        /// The HTTP status, when an answer decided it.
        status: Option<u16>,
        /// `workloadIdentityFederationIssuer` after a conversion.
        #[serde(default)]
        issuer: Option<String>,
        /// `workloadIdentityFederationSubject` after a conversion.
        #[serde(default)]
        subject: Option<String>,
        /// `data.revertSchemeDeadline` after a conversion.
        #[serde(default)]
        revert_deadline: Option<String>,
        /// How it differs from the plan, when it changed since.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        differences: Vec<Difference>,
    },
    /// The rate limit: nothing is sent before `until`.
    Throttled {
        /// When.
        at: f64,
        /// Until when.
        until: f64,
    },
    /// The job paused.
    Paused {
        /// When.
        at: f64,
        /// Why.
        reason: PauseReason,
        /// When it resumes by itself, if it does.
        resume_at: Option<f64>,
    },
    /// The job resumed.
    Resumed {
        /// When.
        at: f64,
        /// By itself (a bounded automatic resume) rather than by the user.
        auto: bool,
    },
    /// The user cancelled.
    Cancelled {
        /// When.
        at: f64,
    },
    /// The user asked to try an item again.
    Retried {
        /// When.
        at: f64,
        /// The item's index.
        item: usize,
    },
    /// Every item has its outcome.
    Finished {
        /// When.
        at: f64,
    },
}

impl Record {
    /// Whether this is a `sent` record (a scheme change about to leave).
    pub fn is_sent(&self) -> bool {
        matches!(self, Record::Sent { .. })
    }

    /// The item it concerns, if any.
    pub fn item(&self) -> Option<usize> {
        match self {
            Record::Verified { item, .. }
            | Record::Sent { item, .. }
            | Record::NotRun { item, .. }
            | Record::Converting { item, .. }
            | Record::OtherOperation { item, .. }
            | Record::Outcome { item, .. }
            | Record::Retried { item, .. } => Some(*item),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// State

/// Where an item stands (what its records say).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(
    tag = "phase",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Phase {
    /// To read before its first send (compared with the plan).
    Verify,
    /// Verified: to send.
    Send,
    /// A scheme change was sent and its answer is not known: to read before anything else.
    Unsettled,
    /// Azure DevOps converts in the background: read again at `due`.
    Poll {
        /// When to read.
        due: f64,
        /// The wait before the read after this one.
        delay: u64,
        /// Time spent polling so far.
        waited: u64,
    },
    /// Another operation was in progress: read again at `due`.
    Recheck {
        /// When to read.
        due: f64,
        /// The round, from 1.
        round: u32,
    },
    /// Finished.
    Done {
        /// How.
        outcome: Final,
    },
}

/// What the driver is doing for an item right now (not stored: a restored job has none).
#[derive(Debug, Clone, PartialEq)]
enum InFlight {
    Send,
    Read(ReadPurpose),
    Poll,
}

/// One connection of a job.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    phase: Phase,
    attempts: u32,
    round: u32,
    relaxed: bool,
    detail: Option<String>,
    message: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    revert_deadline: Option<String>,
    differences: Vec<Difference>,
    // Not stored: rebuilt by a read after a restore.
    endpoint: Option<Endpoint>,
    in_flight: Option<(u64, InFlight)>,
    failures: u32,
    throttles: u32,
    retry_at: f64,
    /// Answers to its sends that could not be read (each then settled by a read).
    garbled: u32,
    /// In flight when the user cancelled: cancelled when its answer comes back, even if
    /// another item's retry set the job running again.
    cancel_pending: bool,
}

impl Item {
    fn new() -> Self {
        Self {
            phase: Phase::Verify,
            attempts: 0,
            round: 0,
            relaxed: false,
            detail: None,
            message: None,
            issuer: None,
            subject: None,
            revert_deadline: None,
            differences: Vec::new(),
            endpoint: None,
            in_flight: None,
            failures: 0,
            throttles: 0,
            retry_at: 0.0,
            garbled: 0,
            cancel_pending: false,
        }
    }

    fn done(&self) -> bool {
        matches!(self.phase, Phase::Done { .. })
    }
}

/// The state of a job as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum JobState {
    /// Working.
    Running,
    /// Waiting for a resume (by itself or by the user).
    Paused {
        /// Why.
        reason: PauseReason,
        /// When it resumes by itself, if it does.
        resume_at: Option<f64>,
    },
    /// Cancelled by the user.
    Cancelled,
    /// Every item has its outcome.
    Done,
}

/// A user command the job refused, with why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct Refused {
    /// What the user is told.
    pub message: String,
}

fn refuse<T>(message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused {
        message: message.into(),
    })
}

/// What [`Job::next`] hands the driver: records to persist first, then steps to perform.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "JobNext"))]
#[serde(rename_all = "camelCase")]
pub struct Next {
    /// Append these to the journal before performing any step.
    pub records: Vec<Record>,
    /// Then do these.
    pub steps: Vec<Step>,
    /// This batch's id: name it in [`Event::StorageFailed`] when its records could not be
    /// stored.
    pub batch: u64,
}

/// A conversion (or revert) job: the confirmed plan and where each item stands.
#[derive(Debug, Clone)]
pub struct Job {
    header: JobHeader,
    items: Vec<Item>,
    state: JobState,
    throttled_until: f64,
    auto_resumes: u32,
    finished: bool,
    next_step: u64,
    /// The id the next `next` batch gets.
    next_batch: u64,
    /// The last few `next` batches: each item as it was before the batch and the step it
    /// got, to undo the batch when its records could not be stored.
    batches: std::collections::VecDeque<(u64, Undo)>,
}

/// The items of one `next` batch as they were before it, each with the step it got.
type Undo = Vec<(usize, Item, u64)>;

/// The batches of `next` kept to be undone by [`Event::StorageFailed`].
const KEPT_BATCHES: usize = 8;

/// Scheme changes sent for one item, in units of `retry.max_attempts`, after which a read
/// that finds it unchanged ends it failed instead of sending again.
const MAX_SENDS_PER_ATTEMPT: u32 = 4;

/// Step numbers of a restored job start at `(records + 1) << STEP_EPOCH_BITS`, so an
/// answer to a request made before the restore never matches a step made after it.
const STEP_EPOCH_BITS: u32 = 20;

// ---------------------------------------------------------------------------------------
// The machine

#[allow(clippy::cast_precision_loss)]
fn ms(v: u64) -> f64 {
    v as f64
}

impl Job {
    /// A new job for a confirmed plan.
    pub fn start(header: JobHeader) -> Result<Self, crate::Error> {
        header.check()?;
        let items = header.items.iter().map(|_| Item::new()).collect();
        Ok(Self {
            header,
            items,
            state: JobState::Running,
            throttled_until: 0.0,
            auto_resumes: 0,
            finished: false,
            next_step: 1,
            next_batch: 1,
            batches: std::collections::VecDeque::new(),
        })
    }

    /// The job as its records left it (a restarted worker, a CLI run again with the same
    /// journal). A record for an item the header does not have is an error.
    pub fn restore(header: JobHeader, records: &[Record]) -> Result<Self, crate::Error> {
        let mut job = Self::start(header)?;
        for r in records {
            if r.item().is_some_and(|i| i >= job.items.len()) {
                return Err(crate::Error::Argument(format!(
                    "the journal names item {} of a job of {} item(s)",
                    r.item().unwrap_or_default(),
                    job.items.len()
                )));
            }
            job.record(r);
        }
        // The endpoint read before a send is not stored: read it again.
        for item in &mut job.items {
            if item.phase == Phase::Send {
                item.phase = Phase::Verify;
            }
        }
        // A new epoch of step numbers: a late answer to a request of the run before the
        // restore carries a step number this run never hands out.
        let epoch = u64::try_from(records.len()).unwrap_or(u64::MAX >> 12);
        job.next_step = epoch.saturating_add(1).saturating_mul(1 << STEP_EPOCH_BITS);
        Ok(job)
    }

    /// [`Job::restore`] from the records as stored (JSON values): an undecodable **last**
    /// record is dropped (a crash while appending it: its step never left, since a step is
    /// performed only after its records are stored); an undecodable record before the last
    /// is an error naming it.
    pub fn restore_values(
        header: JobHeader,
        values: &[serde_json::Value],
    ) -> Result<Self, crate::Error> {
        let mut records = Vec::with_capacity(values.len());
        for (n, v) in values.iter().enumerate() {
            match Record::deserialize(v) {
                Ok(r) => records.push(r),
                Err(_) if n + 1 == values.len() => {}
                Err(e) => {
                    return Err(crate::Error::Argument(format!(
                        "the journal's record {} of {} cannot be read ({}): the job cannot be restored",
                        n + 1,
                        values.len(),
                        short(&e.to_string())
                    )));
                }
            }
        }
        Self::restore(header, &records)
    }

    /// The confirmed plan.
    pub fn header(&self) -> &JobHeader {
        &self.header
    }

    /// The job's state.
    pub fn state(&self) -> &JobState {
        &self.state
    }

    /// Whether it still holds its connections (running or paused).
    pub fn is_active(&self) -> bool {
        matches!(self.state, JobState::Running | JobState::Paused { .. })
    }

    /// The job as [`conflicts`] sees it: the connections it has not finished.
    pub fn active(&self) -> ActiveJob {
        ActiveJob {
            id: self.header.id.clone(),
            // Whatever the state: a cancelled job still holds a connection whose request
            // is in flight.
            ids: self
                .header
                .items
                .iter()
                .zip(&self.items)
                .filter(|(_, i)| !i.done() || i.in_flight.is_some())
                .map(|(p, _)| p.id.clone())
                .collect(),
        }
    }

    /// Applies one record to the state: the only way the stored state changes, live and
    /// on restore alike.
    #[allow(clippy::too_many_lines)] // one arm per record kind, read side by side
    fn record(&mut self, r: &Record) {
        match r {
            Record::Verified { item, .. } | Record::NotRun { item, .. } => {
                if let Some(it) = self.items.get_mut(*item) {
                    it.phase = Phase::Send;
                }
            }
            Record::Sent { item, attempt, .. } => {
                if let Some(it) = self.items.get_mut(*item) {
                    it.phase = Phase::Unsettled;
                    it.attempts = *attempt;
                }
            }
            Record::Converting { at, item } => {
                let first = self.header.policy.poll.first_delay_ms;
                if let Some(it) = self.items.get_mut(*item) {
                    it.phase = Phase::Poll {
                        due: at + ms(first),
                        delay: first,
                        waited: 0,
                    };
                }
            }
            Record::OtherOperation { at, item, round } => {
                if let Some(it) = self.items.get_mut(*item) {
                    it.round = *round;
                    it.phase = Phase::Recheck {
                        due: at + ms(1000_u64.saturating_mul(u64::from(*round))),
                        round: *round,
                    };
                }
            }
            Record::Outcome {
                item,
                outcome,
                detail,
                message,
                issuer,
                subject,
                revert_deadline,
                differences,
                ..
            } => {
                if let Some(it) = self.items.get_mut(*item) {
                    it.phase = Phase::Done { outcome: *outcome };
                    it.detail = Some(detail.clone());
                    it.message.clone_from(message);
                    it.issuer.clone_from(issuer);
                    it.subject.clone_from(subject);
                    it.revert_deadline.clone_from(revert_deadline);
                    it.differences.clone_from(differences);
                }
                self.auto_resumes = 0;
            }
            Record::Throttled { until, .. } => {
                self.throttled_until = self.throttled_until.max(*until);
            }
            Record::Paused {
                reason, resume_at, ..
            } => {
                if matches!(self.state, JobState::Running | JobState::Paused { .. }) {
                    self.state = JobState::Paused {
                        reason: reason.clone(),
                        resume_at: *resume_at,
                    };
                }
            }
            Record::Resumed { auto, .. } => {
                if matches!(self.state, JobState::Paused { .. }) {
                    self.state = JobState::Running;
                }
                if *auto {
                    self.auto_resumes = self.auto_resumes.saturating_add(1);
                } else {
                    self.auto_resumes = 0;
                }
            }
            Record::Cancelled { .. } => {
                self.state = JobState::Cancelled;
                for it in &mut self.items {
                    if it.in_flight.is_some() {
                        it.cancel_pending = true;
                    }
                    if it.done() || it.in_flight.is_some() {
                        continue;
                    }
                    let sent = it.phase == Phase::Unsettled || it.attempts > 0;
                    it.phase = Phase::Done {
                        outcome: Final::Cancelled,
                    };
                    it.detail = Some("cancelled".to_owned());
                    it.message = Some(if sent {
                        "Cancelled; a request was sent earlier and its answer is not known: check the connection.".to_owned()
                    } else {
                        "Cancelled before it was sent.".to_owned()
                    });
                }
            }
            Record::Retried { item, .. } => {
                if let Some(it) = self.items.get_mut(*item) {
                    *it = Item {
                        relaxed: true,
                        attempts: it.attempts,
                        ..Item::new()
                    };
                }
                // A paused job stays paused: the retried item runs on resume.
                if !matches!(self.state, JobState::Paused { .. }) {
                    self.state = JobState::Running;
                }
                self.finished = false;
            }
            Record::Finished { .. } => {
                self.finished = true;
                if self.state == JobState::Running {
                    self.state = JobState::Done;
                }
            }
        }
    }

    fn push(&mut self, out: &mut Vec<Record>, r: Record) {
        self.record(&r);
        out.push(r);
    }

    fn step_number(&mut self) -> u64 {
        let n = self.next_step;
        self.next_step = self.next_step.saturating_add(1);
        n
    }

    fn in_flight(&self) -> usize {
        self.items.iter().filter(|i| i.in_flight.is_some()).count()
    }

    /// Pauses the job. A pause already running is kept, unless it would resume by itself
    /// and this one waits for the user.
    fn pause(&mut self, out: &mut Vec<Record>, now: f64, reason: PauseReason, resume: Option<f64>) {
        let resume_at =
            if reason.auto_resumes() && self.auto_resumes < self.header.policy.max_auto_resumes {
                resume
            } else {
                None
            };
        match &self.state {
            JobState::Running => {}
            JobState::Paused {
                resume_at: Some(_), ..
            } if resume_at.is_none() => {}
            _ => return,
        }
        self.push(
            out,
            Record::Paused {
                at: now,
                reason,
                resume_at,
            },
        );
    }

    /// The steps that may start now (up to the job's concurrency, each marked in flight),
    /// with the records to persist before performing them.
    #[allow(clippy::too_many_lines)] // one arm per phase, read side by side
    pub fn next(&mut self, now: f64) -> Next {
        let mut records = Vec::new();
        let mut steps = Vec::new();
        let batch = self.next_batch;
        self.next_batch = self.next_batch.saturating_add(1);
        let mut undo = Vec::new();
        if let JobState::Paused {
            resume_at: Some(at),
            ..
        } = self.state
            && at <= now
        {
            self.push(
                &mut records,
                Record::Resumed {
                    at: now,
                    auto: true,
                },
            );
        }
        match &self.state {
            JobState::Paused { reason, resume_at } => {
                steps.push(Step::Paused {
                    message: reason.sentence(),
                    reason: reason.clone(),
                    resume_at_ms: *resume_at,
                });
                return Next {
                    records,
                    steps,
                    batch,
                };
            }
            JobState::Cancelled | JobState::Done => {
                if self.in_flight() == 0 {
                    steps.push(Step::Done);
                }
                return Next {
                    records,
                    steps,
                    batch,
                };
            }
            JobState::Running => {}
        }
        if self.items.iter().all(|i| i.done() && i.in_flight.is_none()) {
            if !self.finished {
                self.push(&mut records, Record::Finished { at: now });
            }
            steps.push(Step::Done);
            return Next {
                records,
                steps,
                batch,
            };
        }
        let mut earliest: Option<(f64, WaitFor)> = None;
        let mut wait = |at: f64, why: WaitFor| {
            if earliest.is_none_or(|(e, _)| at < e) {
                earliest = Some((at, why));
            }
        };
        let throttled = self.throttled_until > now;
        if throttled {
            wait(self.throttled_until, WaitFor::RateLimit);
        }
        let limit = self.header.concurrency.clamp(1, MAX_CONCURRENCY);
        for i in 0..self.items.len() {
            if self.in_flight() >= limit || throttled {
                break;
            }
            let it = &self.items[i];
            if it.in_flight.is_some() || it.done() {
                continue;
            }
            if it.retry_at > now {
                wait(it.retry_at, WaitFor::Backoff);
                continue;
            }
            let before = it.clone();
            let phase = it.phase;
            let step = match phase {
                Phase::Verify => Some(self.read_step(i, ReadPurpose::Verify)),
                Phase::Unsettled => Some(self.read_step(i, ReadPurpose::Settle)),
                Phase::Recheck { due, .. } if due > now => {
                    wait(due, WaitFor::OtherOperation);
                    None
                }
                Phase::Recheck { .. } => Some(self.read_step(i, ReadPurpose::Recheck)),
                Phase::Poll { due, .. } if due > now => {
                    wait(due, WaitFor::Poll);
                    None
                }
                Phase::Poll { .. } => {
                    let (step, item, id, request) = self.get(i);
                    self.items[i].in_flight = Some((step, InFlight::Poll));
                    Some(Step::Poll {
                        step,
                        item,
                        id,
                        request,
                    })
                }
                Phase::Send => self.send_step(i, now, &mut records),
                Phase::Done { .. } => None,
            };
            if let Some(step) = step {
                if let Some((n, _)) = self.items[i].in_flight {
                    undo.push((i, before, n));
                }
                steps.push(step);
            }
        }
        if steps.is_empty()
            && self.in_flight() == 0
            && let Some((at, reason)) = earliest
        {
            steps.push(Step::WaitUntil { at_ms: at, reason });
        }
        if !undo.is_empty() {
            if self.batches.len() >= KEPT_BATCHES {
                self.batches.pop_front();
            }
            self.batches.push_back((batch, undo));
        }
        Next {
            records,
            steps,
            batch,
        }
    }

    fn get(&mut self, i: usize) -> (u64, usize, String, Request) {
        let step = self.step_number();
        let plan = &self.header.items[i];
        let request = self.header.api.get_endpoint(&plan.project, &plan.id);
        (step, i, plan.id.clone(), request)
    }

    fn read_step(&mut self, i: usize, purpose: ReadPurpose) -> Step {
        let (step, item, id, request) = self.get(i);
        self.items[i].in_flight = Some((step, InFlight::Read(purpose)));
        Step::Read {
            step,
            item,
            id,
            purpose,
            request,
        }
    }

    /// The scheme change of item `i`, its `sent` record pushed first; a read instead when
    /// the connection read before it is not held (a restored job); `None` when no request
    /// can be built from it (recorded as failed).
    fn send_step(&mut self, i: usize, now: f64, records: &mut Vec<Record>) -> Option<Step> {
        let plan = &self.header.items[i];
        let Some(endpoint) = self.items[i].endpoint.as_ref() else {
            self.items[i].phase = Phase::Verify;
            return Some(self.read_step(i, ReadPurpose::Verify));
        };
        let request = match self.header.direction {
            Direction::Convert => self.header.api.convert(&plan.project, endpoint),
            Direction::Revert => self.header.api.revert(&plan.project, endpoint),
        };
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                let r = outcome_record(
                    now,
                    i,
                    Final::Failed,
                    "rejected",
                    Some(&e.to_string()),
                    None,
                );
                self.push(records, r);
                return None;
            }
        };
        let id = plan.id.clone();
        let attempt = self.items[i].attempts.saturating_add(1);
        let sent = Record::Sent {
            at: now,
            item: i,
            attempt,
            method: request.method.clone(),
            url: request.url.clone(),
        };
        self.push(records, sent);
        let step = self.step_number();
        self.items[i].in_flight = Some((step, InFlight::Send));
        Some(Step::Send {
            step,
            item: i,
            id,
            request,
        })
    }

    /// Applies what happened; returns the records to persist. A user command the job
    /// cannot follow (retry of an item in flight or unknown) is refused, nothing changed.
    pub fn apply(&mut self, event: Event, now: f64) -> Result<Vec<Record>, Refused> {
        if !now.is_finite() {
            return refuse("The time given to the job is not a finite number of milliseconds.");
        }
        let mut out = Vec::new();
        match event {
            Event::Answer { step, response } => {
                if let Some((i, kind)) = self.take(step) {
                    self.answer(i, &kind, &response, now, &mut out);
                    self.after_cancel(i, now, &mut out);
                }
            }
            Event::Lost { step, why } => {
                if let Some((i, _)) = self.take(step) {
                    self.lost(&why, now, &mut out);
                    self.after_cancel(i, now, &mut out);
                }
            }
            Event::StorageFailed {
                jobs,
                kilobytes,
                batch,
            } => {
                self.undo_batch(batch);
                if matches!(self.state, JobState::Paused { .. } | JobState::Running) {
                    self.pause(
                        &mut out,
                        now,
                        PauseReason::StorageFull { jobs, kilobytes },
                        None,
                    );
                }
            }
            Event::Timer => {}
            Event::Pause => match self.state {
                // A pause that would resume by itself now waits for the user.
                JobState::Running | JobState::Paused { .. } => {
                    self.pause(&mut out, now, PauseReason::User, None);
                }
                _ => return refuse("The job is not running."),
            },
            Event::Resume => match self.state {
                JobState::Paused { .. } => {
                    self.push(
                        &mut out,
                        Record::Resumed {
                            at: now,
                            auto: false,
                        },
                    );
                }
                JobState::Running => {}
                _ => return refuse("The job has ended; start a new one from a plan."),
            },
            Event::Cancel => match self.state {
                JobState::Running | JobState::Paused { .. } => {
                    self.push(&mut out, Record::Cancelled { at: now });
                }
                _ => return refuse("The job has ended."),
            },
            Event::Retry { id } => {
                let Some(i) = self
                    .header
                    .items
                    .iter()
                    .position(|p| p.id.eq_ignore_ascii_case(&id))
                else {
                    return refuse("This connection is not in the job.");
                };
                let it = &self.items[i];
                let retryable = matches!(
                    it.phase,
                    Phase::Done {
                        outcome: Final::Failed
                            | Final::ManualRequired
                            | Final::Forbidden
                            | Final::Cancelled
                            | Final::Skipped
                    }
                ) && it.in_flight.is_none();
                if !retryable {
                    return refuse("This connection is not waiting for a retry.");
                }
                self.push(&mut out, Record::Retried { at: now, item: i });
            }
        }
        Ok(out)
    }

    /// Undoes a `next` batch whose records were not stored (`None`: the last one handed
    /// out): none of it was performed. Only its items still waiting for the step it gave
    /// them (nothing else can have happened to a request that never left).
    fn undo_batch(&mut self, batch: Option<u64>) {
        let at = match batch {
            Some(b) => self.batches.iter().position(|(n, _)| *n == b),
            None => self
                .batches
                .back()
                .filter(|(n, _)| n.saturating_add(1) == self.next_batch)
                .map(|_| self.batches.len() - 1),
        };
        if let Some((_, undo)) = at.and_then(|k| self.batches.remove(k)) {
            for (i, before, step) in undo {
                if let Some(it) = self.items.get_mut(i)
                    && it.in_flight.as_ref().is_some_and(|(s, _)| *s == step)
                {
                    *it = before;
                }
            }
        }
    }

    /// The item waiting for `step`, and what it waited for; `None` for a stale step.
    fn take(&mut self, step: u64) -> Option<(usize, InFlight)> {
        let i = self
            .items
            .iter()
            .position(|it| it.in_flight.as_ref().is_some_and(|(s, _)| *s == step))?;
        let (_, kind) = self.items[i].in_flight.take()?;
        Some((i, kind))
    }

    /// An item of a cancelled job whose request came back without finishing it is
    /// cancelled too (nothing more is sent).
    fn after_cancel(&mut self, i: usize, now: f64, out: &mut Vec<Record>) {
        let pending = std::mem::take(&mut self.items[i].cancel_pending);
        if !(self.state == JobState::Cancelled || pending) || self.items[i].done() {
            return;
        }
        let text = if self.items[i].phase == Phase::Unsettled {
            "Cancelled; a request was sent and its answer was lost: check the connection."
        } else if self.items[i].attempts > 0 {
            "Cancelled; a request was sent earlier: check the connection."
        } else {
            "Cancelled before it was sent."
        };
        let r = outcome_record(now, i, Final::Cancelled, "cancelled", Some(text), None);
        self.push(out, r);
    }

    /// A request got no answer. A lost send stays `Unsettled` (its `sent` record said so):
    /// it is read before anything else is sent for it. A lost read is read again.
    fn lost(&mut self, why: &Lost, now: f64, out: &mut Vec<Record>) {
        match why {
            Lost::TabGone => self.pause(out, now, PauseReason::TabGone, None),
            Lost::SignedOut => self.pause(out, now, PauseReason::SignedOut, None),
            Lost::Network { .. } => {
                let wait = self
                    .header
                    .policy
                    .retry
                    .backoff_ms(self.auto_resumes.saturating_add(1));
                self.pause(out, now, PauseReason::Network, Some(now + ms(wait)));
            }
        }
    }

    /// A read failed without telling anything about the connection: retry it (bounded),
    /// then pause.
    fn read_failed(
        &mut self,
        i: usize,
        err: &ApiError,
        resp: &Response,
        now: f64,
        out: &mut Vec<Record>,
    ) {
        let policy = self.header.policy.retry;
        match err {
            ApiError::Throttled { .. } => self.throttled(i, resp, now, out),
            ApiError::SignedOut { .. } => self.pause(out, now, PauseReason::SignedOut, None),
            ApiError::Server { status, .. } => {
                let it = &mut self.items[i];
                it.failures = it.failures.saturating_add(1);
                if it.failures >= policy.max_attempts {
                    it.failures = 0;
                    self.pause(out, now, PauseReason::Server { status: *status }, None);
                } else {
                    it.retry_at = now + ms(policy.backoff_ms(it.failures));
                }
            }
            ApiError::Network { .. } | ApiError::Malformed { .. } => {
                let it = &mut self.items[i];
                it.failures = it.failures.saturating_add(1);
                if it.failures >= policy.max_attempts {
                    it.failures = 0;
                    let wait = policy.backoff_ms(self.auto_resumes.saturating_add(1));
                    self.pause(out, now, PauseReason::Network, Some(now + ms(wait)));
                } else {
                    it.retry_at = now + ms(policy.backoff_ms(it.failures));
                }
            }
            ApiError::Cancelled => {}
            other if matches!(self.items[i].phase, Phase::Unsettled | Phase::Poll { .. }) => {
                // A scheme change may have run: this read cannot say, so neither may the
                // outcome (never "forbidden" for a connection that may be converted).
                let text = format!(
                    "A scheme change was sent and its result is not known; reading the connection back failed ({}): check the connection.",
                    other.message()
                );
                let r = outcome_record(
                    now,
                    i,
                    Final::Failed,
                    other.kind(),
                    Some(&text),
                    Some(resp.status),
                );
                self.push(out, r);
            }
            other => {
                let outcome = crate::jobs::error_outcome(other.clone(), self.header.direction);
                let r = final_record(now, i, &outcome, Some(resp.status));
                self.push(out, r);
            }
        }
    }

    /// A 429 (or `TF400733`): the whole job waits; the request is made again after the
    /// wait, at most `max_attempts` times in a row, then the job pauses (and resumes by
    /// itself after the wait, a bounded number of times).
    fn throttled(&mut self, i: usize, resp: &Response, now: f64, out: &mut Vec<Record>) {
        let policy = self.header.policy.retry;
        let limit = RateLimit::from_response_at(resp, now);
        let it = &mut self.items[i];
        it.throttles = it.throttles.saturating_add(1);
        let wait = limit
            .retry_after_ms
            .or_else(|| limit.pause_ms())
            .unwrap_or_else(|| policy.backoff_ms(it.throttles));
        let until = now + ms(wait);
        if it.throttles >= policy.max_attempts {
            it.throttles = 0;
            self.push(out, Record::Throttled { at: now, until });
            self.pause(out, now, PauseReason::Throttled, Some(until));
        } else {
            self.push(out, Record::Throttled { at: now, until });
        }
    }

    fn answer(
        &mut self,
        i: usize,
        kind: &InFlight,
        resp: &Response,
        now: f64,
        out: &mut Vec<Record>,
    ) {
        // Headers that slow the whole job down, whatever the status.
        if let Some(wait) = RateLimit::from_response_at(resp, now).pause_ms()
            && resp.status != 429
            && wait > 0
        {
            self.push(
                out,
                Record::Throttled {
                    at: now,
                    until: now + ms(wait),
                },
            );
        }
        match kind {
            InFlight::Send => self.send_answered(i, resp, now, out),
            InFlight::Read(purpose) => match api::parse_endpoint(resp) {
                Ok(ep) => {
                    let it = &mut self.items[i];
                    it.failures = 0;
                    it.throttles = 0;
                    self.read_answered(i, *purpose, ep, now, out);
                }
                Err(err) => self.read_failed(i, &err, resp, now, out),
            },
            InFlight::Poll => match api::parse_endpoint(resp) {
                Ok(ep) => {
                    self.items[i].failures = 0;
                    let outcome = settled_outcome(ep, self.header.direction);
                    if let ConversionOutcome::Converting { .. } = outcome {
                        self.poll_again(i, now, out);
                    } else {
                        let r = final_record(now, i, &outcome, Some(resp.status));
                        self.push(out, r);
                    }
                }
                Err(err) => self.read_failed(i, &err, resp, now, out),
            },
        }
    }

    fn poll_again(&mut self, i: usize, now: f64, out: &mut Vec<Record>) {
        let policy = self.header.policy.poll;
        if let Phase::Poll { delay, waited, .. } = self.items[i].phase {
            let waited = waited.saturating_add(delay);
            if waited >= policy.max_total_ms {
                // Read again when the user resumes.
                self.items[i].phase = Phase::Poll {
                    due: now,
                    delay: policy.first_delay_ms,
                    waited: 0,
                };
                self.pause(out, now, PauseReason::StillConverting, None);
            } else {
                let next = delay.saturating_add(delay / 2).min(policy.max_delay_ms);
                self.items[i].phase = Phase::Poll {
                    due: now + ms(next),
                    delay: next,
                    waited,
                };
            }
        }
    }

    fn send_answered(&mut self, i: usize, resp: &Response, now: f64, out: &mut Vec<Record>) {
        let direction = self.header.direction;
        let outcome = crate::jobs::conversion_outcome(resp, direction);
        match outcome {
            ConversionOutcome::Converting { .. } => {
                self.push(out, Record::Converting { at: now, item: i });
            }
            ConversionOutcome::InProgress { ref message } => {
                // It did not run: another operation holds the connection.
                let round = self.items[i].round.saturating_add(1);
                if round > self.header.policy.in_progress_rounds {
                    let text = format!(
                        "Another operation kept running on it ({message}): try again later."
                    );
                    let r = outcome_record(
                        now,
                        i,
                        Final::Failed,
                        "inProgress",
                        Some(&text),
                        Some(resp.status),
                    );
                    self.push(out, r);
                } else {
                    self.push(
                        out,
                        Record::OtherOperation {
                            at: now,
                            item: i,
                            round,
                        },
                    );
                }
            }
            ConversionOutcome::Paused { ref error } => match error {
                ApiError::Throttled { .. } => {
                    // A blocked request never ran.
                    self.push(out, not_run(now, i, "429: rate limited"));
                    self.throttled(i, resp, now, out);
                }
                ApiError::SignedOut { .. } => {
                    self.push(out, not_run(now, i, "signed out"));
                    self.pause(out, now, PauseReason::SignedOut, None);
                }
                ApiError::Server { status, .. } => {
                    // It may have run: stays unsettled, read after the resume.
                    self.pause(out, now, PauseReason::Server { status: *status }, None);
                }
                // Garbled or no answer: it may have run; read it now (unsettled). Counted:
                // the read that finds it unchanged sends again only a bounded number of
                // times.
                _ => {
                    let it = &mut self.items[i];
                    it.garbled = it.garbled.saturating_add(1);
                }
            },
            ConversionOutcome::Cancelled => {}
            other => {
                let r = final_record(now, i, &other, Some(resp.status));
                self.push(out, r);
            }
        }
    }

    fn read_answered(
        &mut self,
        i: usize,
        purpose: ReadPurpose,
        ep: Endpoint,
        now: f64,
        out: &mut Vec<Record>,
    ) {
        let direction = self.header.direction;
        let plan = &self.header.items[i];
        if !ep.id().is_some_and(|id| id.eq_ignore_ascii_case(&plan.id)) {
            let text =
                "Azure DevOps answered with another connection: nothing was sent for this one.";
            let r = outcome_record(now, i, Final::Failed, "mismatch", Some(text), None);
            self.push(out, r);
            return;
        }
        let before = match direction {
            Direction::Convert => api::SCHEME_SERVICE_PRINCIPAL,
            Direction::Revert => api::SCHEME_FEDERATED,
        };
        let (state, _) = ep.operation_status();
        let busy = state.is_some_and(|s| s.eq_ignore_ascii_case("InProgress"));
        let failed = state.is_some_and(|s| s.eq_ignore_ascii_case("Failed"));
        let unchanged = ep.scheme().is_some_and(|s| s.eq_ignore_ascii_case(before)) && !busy;
        match purpose {
            ReadPurpose::Verify => {
                let differences = plan
                    .fingerprint
                    .differences(&Fingerprint::of(&ep), !self.items[i].relaxed);
                if differences.is_empty() && unchanged {
                    self.items[i].endpoint = Some(ep);
                    self.push(out, Record::Verified { at: now, item: i });
                } else {
                    self.changed(i, differences, now, out);
                }
            }
            ReadPurpose::Settle | ReadPurpose::Recheck => {
                if busy {
                    if purpose == ReadPurpose::Settle {
                        // Our scheme change runs in the background.
                        self.push(out, Record::Converting { at: now, item: i });
                    } else {
                        let round = self.items[i].round.saturating_add(1);
                        if round > self.header.policy.in_progress_rounds {
                            let text = "Another operation kept running on it: try again later.";
                            let r = outcome_record(
                                now,
                                i,
                                Final::Failed,
                                "inProgress",
                                Some(text),
                                None,
                            );
                            self.push(out, r);
                        } else {
                            self.push(
                                out,
                                Record::OtherOperation {
                                    at: now,
                                    item: i,
                                    round,
                                },
                            );
                        }
                    }
                } else if unchanged && !(failed && purpose == ReadPurpose::Settle) {
                    // The scheme change did not run: send it (again) from this read, if the
                    // connection is still the one of the plan and the resends are bounded.
                    let differences = plan
                        .fingerprint
                        .differences(&Fingerprint::of(&ep), !self.items[i].relaxed);
                    if !differences.is_empty() {
                        self.changed(i, differences, now, out);
                        return;
                    }
                    let it = &self.items[i];
                    let limit = self.header.policy.retry.max_attempts;
                    if it.garbled >= limit
                        || it.attempts >= limit.saturating_mul(MAX_SENDS_PER_ATTEMPT)
                    {
                        let text =
                            "The answer could not be read: check the connection in Azure DevOps.";
                        let r =
                            outcome_record(now, i, Final::Failed, "malformed", Some(text), None);
                        self.push(out, r);
                        return;
                    }
                    self.items[i].endpoint = Some(ep);
                    let why = if purpose == ReadPurpose::Settle {
                        "read: unchanged after a lost answer"
                    } else {
                        "read: the other operation ended"
                    };
                    self.push(out, not_run(now, i, why));
                } else {
                    let outcome = settled_outcome(ep, direction);
                    let r = final_record(now, i, &outcome, None);
                    self.push(out, r);
                }
            }
        }
    }

    /// Item `i` changed since the plan was confirmed: it ends skipped, with the differences.
    fn changed(&mut self, i: usize, differences: Vec<Difference>, now: f64, out: &mut Vec<Record>) {
        let list: Vec<String> = differences
            .iter()
            .map(|d| format!("{}: {} → {}", d.field, d.planned, d.now))
            .collect();
        let text = if list.is_empty() {
            "It is no longer in the state the plan was made from: nothing was sent.".to_owned()
        } else {
            format!(
                "Changed since the plan was confirmed ({}): nothing was sent. Review a new plan.",
                list.join("; ")
            )
        };
        let mut r = outcome_record(now, i, Final::Skipped, "changed", Some(&text), None);
        if let Record::Outcome { differences: d, .. } = &mut r {
            *d = differences;
        }
        self.push(out, r);
    }

    /// The job for drawing: per item outcome and message, counts by outcome, the pause
    /// sentence, and what the user can do.
    pub fn view(&self) -> JobView {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let items: Vec<ItemView> = self
            .header
            .items
            .iter()
            .zip(&self.items)
            .map(|(p, it)| {
                let (outcome, status) = match it.phase {
                    Phase::Done { outcome } => (Some(outcome), "done"),
                    _ if it.in_flight.is_some() => (None, "running"),
                    Phase::Unsettled | Phase::Poll { .. } | Phase::Recheck { .. } => {
                        (None, "running")
                    }
                    _ => (None, "pending"),
                };
                let key = outcome.map_or(status, Final::word);
                *counts.entry(key.to_owned()).or_default() += 1;
                ItemView {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    project: p.project.clone(),
                    project_name: p.project_name.clone(),
                    status: status.to_owned(),
                    status_word: status_word(outcome, status).to_owned(),
                    outcome,
                    detail: it.detail.clone(),
                    message: it.message.clone(),
                    attempts: it.attempts,
                    issuer: it.issuer.clone(),
                    subject: it.subject.clone(),
                    revert_deadline: it.revert_deadline.clone(),
                    differences: it.differences.clone(),
                    refresh: outcome.is_some_and(Final::changes_connection),
                    can_retry: it.in_flight.is_none()
                        && matches!(
                            outcome,
                            Some(
                                Final::Failed
                                    | Final::ManualRequired
                                    | Final::Forbidden
                                    | Final::Cancelled
                                    | Final::Skipped
                            )
                        ),
                }
            })
            .collect();
        let (state, pause) = match &self.state {
            JobState::Running => ("running", None),
            JobState::Paused { reason, resume_at } => (
                "paused",
                Some(PauseView {
                    kind: reason.word().to_owned(),
                    message: reason.sentence(),
                    resume_at_ms: *resume_at,
                    reason: reason.clone(),
                }),
            ),
            JobState::Cancelled => ("cancelled", None),
            JobState::Done => ("done", None),
        };
        let active = self.is_active();
        let summary = summary(&counts, self.header.skipped.len());
        let exit_code = match self.state {
            JobState::Paused { .. } | JobState::Running => 4,
            _ if items
                .iter()
                .all(|i| i.outcome.is_some_and(Final::is_success)) =>
            {
                0
            }
            _ => 1,
        };
        JobView {
            id: self.header.id.clone(),
            direction: self.header.direction,
            state: state.to_owned(),
            pause,
            can_pause: matches!(self.state, JobState::Running)
                || matches!(
                    &self.state,
                    JobState::Paused {
                        resume_at: Some(_),
                        ..
                    }
                ),
            can_resume: matches!(self.state, JobState::Paused { .. }),
            can_cancel: active,
            items,
            skipped: self.header.skipped.clone(),
            counts,
            summary,
            exit_code,
        }
    }
}

fn summary(counts: &BTreeMap<String, usize>, skipped: usize) -> String {
    let mut parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    if skipped > 0 {
        parts.push(format!("{skipped} skipped by the plan"));
    }
    parts.join(", ")
}

/// An item's standing in words: its outcome's label once done, else `Waiting` or `Working…`.
fn status_word(outcome: Option<Final>, status: &str) -> &'static str {
    match outcome {
        Some(o) => o.label(),
        None if status == "pending" => "Waiting",
        None => "Working…",
    }
}

fn not_run(at: f64, item: usize, why: &str) -> Record {
    Record::NotRun {
        at,
        item,
        why: why.to_owned(),
    }
}

fn outcome_record(
    at: f64,
    item: usize,
    outcome: Final,
    detail: &str,
    message: Option<&str>,
    status: Option<u16>,
) -> Record {
    Record::Outcome {
        at,
        item,
        outcome,
        detail: detail.to_owned(),
        message: message.map(short),
        status,
        issuer: None,
        subject: None,
        revert_deadline: None,
        differences: Vec::new(),
    }
}

/// The final record of an engine outcome.
fn final_record(at: f64, item: usize, outcome: &ConversionOutcome, status: Option<u16>) -> Record {
    let (word, message) = match outcome {
        ConversionOutcome::Converted {
            issuer,
            subject,
            revert_deadline,
            ..
        } => {
            let mut r = outcome_record(at, item, Final::Converted, "converted", None, status);
            if let Record::Outcome {
                issuer: i,
                subject: s,
                revert_deadline: d,
                ..
            } = &mut r
            {
                *i = issuer.as_deref().map(short);
                *s = subject.as_deref().map(short);
                *d = revert_deadline.as_deref().map(short);
            }
            return r;
        }
        ConversionOutcome::Reverted { .. } => (Final::Reverted, None),
        ConversionOutcome::AlreadyFederated { message } => {
            (Final::AlreadyFederated, Some(message.clone()))
        }
        ConversionOutcome::NeedsManual { message } => {
            (Final::ManualRequired, Some(message.clone()))
        }
        ConversionOutcome::Forbidden { message, role } => {
            (Final::Forbidden, Some(format!("{message} Needed: {role}.")))
        }
        ConversionOutcome::RevertUnavailable { message } => (
            Final::Failed,
            Some(format!(
                "The revert window has passed or it was never converted: {message}"
            )),
        ),
        ConversionOutcome::Failed { message, .. }
        | ConversionOutcome::InProgress { message }
        | ConversionOutcome::NotFound { message }
        | ConversionOutcome::Rejected { message, .. } => (Final::Failed, Some(message.clone())),
        ConversionOutcome::Paused { error } => (Final::Failed, Some(error.message().to_owned())),
        ConversionOutcome::Converting { .. } => (Final::Failed, None),
        ConversionOutcome::Cancelled => (Final::Cancelled, None),
    };
    outcome_record(at, item, word, outcome.name(), message.as_deref(), status)
}

/// The pause of a job, for drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PauseView {
    /// The reason as a word (`tabGone`, `storageFull`, ...).
    pub kind: String,
    /// The sentence.
    pub message: String,
    /// When it resumes by itself, if it does.
    pub resume_at_ms: Option<f64>,
    /// The reason, with its numbers.
    pub reason: PauseReason,
}

/// One connection of a job, for drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    /// The connection id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The project the request goes to.
    pub project: String,
    /// The owning project's name.
    pub project_name: Option<String>,
    /// `pending`, `running` or `done`.
    pub status: String,
    /// Where it stands, in words (`Waiting`, `Working…`, or the outcome's: `Converted`,
    /// `Failed`, ...): what the panel shows beside its name.
    pub status_word: String,
    /// How it ended, once done.
    pub outcome: Option<Final>,
    /// The engine's outcome behind it (`needsManual`, `revertUnavailable`, `changed`, ...).
    pub detail: Option<String>,
    /// What to tell the user.
    pub message: Option<String>,
    /// Scheme changes sent for it.
    pub attempts: u32,
    /// After a conversion.
    pub issuer: Option<String>,
    /// After a conversion.
    pub subject: Option<String>,
    /// After a conversion: it can be reverted until then.
    pub revert_deadline: Option<String>,
    /// How it differs from the plan, when it changed since.
    pub differences: Vec<Difference>,
    /// Whether the inventory's row should be read again: the connection changed, or is
    /// not as the inventory last showed it (see [`Final::changes_connection`]).
    pub refresh: bool,
    /// Whether "Try again" is offered.
    pub can_retry: bool,
}

/// A job, for drawing (the panel) and printing (`federate convert --format json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// The job id.
    pub id: String,
    /// Convert or revert.
    pub direction: Direction,
    /// `running`, `paused`, `cancelled` or `done`.
    pub state: String,
    /// Why it is paused.
    pub pause: Option<PauseView>,
    /// Whether Pause is offered.
    pub can_pause: bool,
    /// Whether Resume is offered.
    pub can_resume: bool,
    /// Whether Cancel is offered.
    pub can_cancel: bool,
    /// Every planned connection.
    pub items: Vec<ItemView>,
    /// The connections the plan left out.
    pub skipped: Vec<SkippedConversion>,
    /// Items by outcome word (`pending` and `running` for unfinished ones).
    pub counts: BTreeMap<String, usize>,
    /// The counts in words.
    pub summary: String,
    /// The CLI's exit code for this job: 0 every item as planned, 1 some failed or need
    /// manual steps, 4 paused (Azure DevOps or the network stopped it).
    pub exit_code: u8,
}
