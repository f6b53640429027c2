//! What uses each connection: its execution history read into last use, the pipelines that
//! used it and the jobs of the last 30 days; the verdict reasons that follow (unused for N
//! days with the date Azure DevOps disables it, never used, disabled and still holding a
//! secret); and the usage load job, written against [`Transport`](crate::jobs::Transport)
//! with the client's concurrency limit, rate-limit handling, progress and cancel.
//!
//! Facts (ado-facts §17.1, §17.4): `GET {org}/{project}/_apis/serviceendpoint/{id}/executionhistory?top=N`
//! returns the recent jobs that used a connection (definition, owner, plan type, start and
//! finish, result); Azure DevOps disables connections unused for 100 days (sprint 276,
//! 2026-07); an auto-disabled secret connection still has a live secret in Entra.
//!
//! ```
//! use federate_core::api::Response;
//! use federate_core::usage::{parse_execution_history, summarize};
//! let body = r#"{"count":1,"value":[{"endpointId":"e1","data":{"planType":"Build",
//!   "definition":{"id":1,"name":"ci"},"owner":{"id":7,"name":"7"},
//!   "finishTime":"2026-11-01T10:00:00Z","result":"succeeded"}}]}"#;
//! let records = parse_execution_history(&Response::new(200, body)).unwrap();
//! let usage = summarize(&records, "2026-11-30T00:00:00Z", 50).unwrap();
//! assert_eq!(usage.last_used.as_deref(), Some("2026-11-01T10:00:00Z"));
//! assert_eq!(usage.used_by[0].definition_name.as_deref(), Some("ci"));
//! assert_eq!(usage.jobs_30d, 1);
//! ```

pub mod preflight;
pub mod report;

use std::cell::{Cell, RefCell};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Error;
use crate::api::{self, ApiError, Response, service_message};
use crate::jobs::{Client, ClientStats, RateLimitWait, Transport, stops_scan};
use crate::model::get_ci;
use crate::verdict::time::{UnixSeconds, parse_iso_time};
use crate::verdict::{Reason, State, Verdict};

/// Records asked for per connection. One page is enough for last use and the pipelines
/// behind it; `jobs30d` says "at least" when the page was full ([`Usage::truncated`]).
pub const HISTORY_TOP: u32 = 50;
/// Azure DevOps disables a connection unused for this many days (ado-facts §17.1, sprint 276).
pub const DISABLE_AFTER_DAYS: i64 = 100;
/// The window of [`Usage::jobs_30d`].
pub const RECENT_DAYS: i64 = 30;
/// From this many days unused a connection shows in the panel's "unused 90+ days" filter
/// and carries the [`UsageTag::Unused90`] tag.
pub const UNUSED_FILTER_DAYS: i64 = 90;
/// Below this many days unused a connection counts as in use (no "unused" reason): a month,
/// the window of `jobs30d`.
pub const UNUSED_REASON_DAYS: i64 = RECENT_DAYS;

const DAY: i64 = 86_400;

// ---------------------------------------------------------------------------------------
// Parsing

/// One job that used a connection (`ServiceEndpointExecutionRecord.data`), the fields
/// Federate uses. Every field is optional: real answers are messier than the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRecord {
    /// `Build`, `Release` (as sent).
    pub plan_type: Option<String>,
    /// The pipeline (build or release definition) id.
    pub definition_id: Option<u32>,
    /// The pipeline's name.
    pub definition_name: Option<String>,
    /// The run (build or release) id: `owner.id`.
    pub run_id: Option<u32>,
    /// The run's name (a build number).
    pub run_name: Option<String>,
    /// ISO 8601, as sent.
    pub start_time: Option<String>,
    /// ISO 8601, as sent.
    pub finish_time: Option<String>,
    /// `succeeded`, `failed`, ... (as sent).
    pub result: Option<String>,
}

impl ExecutionRecord {
    /// When the job used the connection: its finish time, else its start time.
    fn time(&self) -> Option<(UnixSeconds, &str)> {
        [self.finish_time.as_deref(), self.start_time.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|t| parse_iso_time(t).ok().map(|s| (s, t)))
    }

    fn from_value(value: &Value) -> Option<Self> {
        let record = value.as_object()?;
        // The record's fields sit under `data`; accept a flat record too.
        let data = get_ci(record, "data")
            .and_then(Value::as_object)
            .unwrap_or(record);
        let text = |o: &Map<String, Value>, k: &str| {
            get_ci(o, k)
                .and_then(Value::as_str)
                .map(clean)
                .filter(|s| !s.is_empty())
        };
        let number = |o: &Map<String, Value>, k: &str| -> Option<u32> {
            match get_ci(o, k)? {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
        };
        let definition = get_ci(data, "definition").and_then(Value::as_object);
        let owner = get_ci(data, "owner").and_then(Value::as_object);
        Some(Self {
            plan_type: text(data, "planType"),
            definition_id: definition.and_then(|d| number(d, "id")),
            definition_name: definition.and_then(|d| text(d, "name")),
            run_id: owner.and_then(|o| number(o, "id")),
            run_name: owner.and_then(|o| text(o, "name")),
            start_time: text(data, "startTime"),
            finish_time: text(data, "finishTime"),
            result: text(data, "result"),
        })
    }
}

/// Parses `executionhistory`: `{count, value}` (what the service and the official example
/// send) or a bare array (what the spec declares). Items that are not objects are skipped.
pub fn parse_execution_history(resp: &Response) -> Result<Vec<ExecutionRecord>, ApiError> {
    let items = match api::json_body(resp)? {
        Value::Array(items) => items,
        Value::Object(o) => match get_ci(&o, "value") {
            Some(Value::Array(items)) => items.clone(),
            _ => {
                return Err(ApiError::Malformed {
                    message: "expected an execution history list {count, value}".to_owned(),
                });
            }
        },
        _ => {
            return Err(ApiError::Malformed {
                message: "expected an execution history list {count, value}".to_owned(),
            });
        }
    };
    Ok(items
        .iter()
        .filter_map(ExecutionRecord::from_value)
        .collect())
}

// ---------------------------------------------------------------------------------------
// Summary

/// The kind of pipeline a job ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum PlanType {
    /// A build or YAML pipeline (its runs have a build timeline).
    Build,
    /// A classic release pipeline.
    Release,
    /// Anything else the service sends (kept as `other`).
    Other,
}

impl PlanType {
    fn of(text: Option<&str>) -> Self {
        match text.map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("build") => Self::Build,
            Some(t) if t.eq_ignore_ascii_case("release") => Self::Release,
            _ => Self::Other,
        }
    }
}

/// One pipeline that used a connection, with its last run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PipelineUse {
    /// The definition id.
    pub definition_id: Option<u32>,
    /// The definition name.
    pub definition_name: Option<String>,
    /// Build (YAML or classic build) or release.
    pub plan_type: PlanType,
    /// When its last job that used the connection finished (or started), as sent.
    pub last_run: Option<String>,
    /// That job's result, as sent.
    pub result: Option<String>,
    /// That run's id (a build id for build pipelines: its timeline lists the tasks).
    pub last_run_id: Option<u32>,
    /// Jobs of this pipeline in the history read.
    pub jobs: u32,
}

/// What the history says about one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// The latest job's finish (or start) time, as sent; `None` when no job is recorded.
    pub last_used: Option<String>,
    /// Distinct pipelines, most recently used first.
    pub used_by: Vec<PipelineUse>,
    /// Jobs in the 30 days before `now` (at least this many when `truncated`).
    #[serde(rename = "jobs30d")]
    pub jobs_30d: u32,
    /// Records read.
    pub records: u32,
    /// The page was full: older jobs exist that were not read.
    pub truncated: bool,
}

/// Summarizes a history read at `now` (ISO 8601) with page size `top`.
pub fn summarize(records: &[ExecutionRecord], now: &str, top: u32) -> Result<Usage, Error> {
    let now = parse_iso_time(now).map_err(|e| Error::Argument(format!("now: {e}")))?;
    Ok(summarize_at(records, now, top))
}

fn summarize_at(records: &[ExecutionRecord], now: UnixSeconds, top: u32) -> Usage {
    let mut last: Option<(UnixSeconds, String)> = None;
    let mut jobs_30d = 0u32;
    let mut used_by: Vec<(Option<UnixSeconds>, PipelineUse)> = Vec::new();
    for r in records {
        let time = r.time();
        if let Some((t, text)) = time {
            if last.as_ref().is_none_or(|(l, _)| t > *l) {
                last = Some((t, text.to_owned()));
            }
            if t > now - RECENT_DAYS * DAY && t <= now + DAY {
                jobs_30d += 1;
            }
        }
        let plan_type = PlanType::of(r.plan_type.as_deref());
        let same = |p: &PipelineUse| {
            p.plan_type == plan_type
                && match (p.definition_id, r.definition_id) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => p.definition_name == r.definition_name,
                    _ => false,
                }
        };
        let t = time.map(|(t, _)| t);
        if let Some((seen, p)) = used_by.iter_mut().find(|(_, p)| same(p)) {
            p.jobs += 1;
            if t > *seen {
                *seen = t;
                p.last_run = time.map(|(_, s)| s.to_owned());
                p.result.clone_from(&r.result);
                p.last_run_id = r.run_id;
                if r.definition_name.is_some() {
                    p.definition_name.clone_from(&r.definition_name);
                }
            }
        } else {
            used_by.push((
                t,
                PipelineUse {
                    definition_id: r.definition_id,
                    definition_name: r.definition_name.clone(),
                    plan_type,
                    last_run: time.map(|(_, s)| s.to_owned()),
                    result: r.result.clone(),
                    last_run_id: r.run_id,
                    jobs: 1,
                },
            ));
        }
    }
    used_by.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    Usage {
        last_used: last.map(|(_, s)| s),
        used_by: used_by.into_iter().map(|(_, p)| p).collect(),
        jobs_30d,
        records: u32::try_from(records.len()).unwrap_or(u32::MAX),
        truncated: top > 0 && records.len() >= top as usize,
    }
}

// ---------------------------------------------------------------------------------------
// When the history cannot be read

/// Why a connection's usage is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum UnknownReason {
    /// 401 with the service's own error body: this user may not read it (a scope or a
    /// permission), while the session itself is alive.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404 (or the connection is not in that project).
    NotFound,
    /// Any other failure of this one read (a server error after retries, a malformed answer).
    Failed,
}

/// A connection whose usage could not be read, and why, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsageUnknown {
    /// Why.
    pub reason: UnknownReason,
    /// The HTTP status, when there was one.
    pub status: Option<u16>,
    /// What to tell the user (the service's text, cleaned and shortened, included).
    pub message: String,
}

/// The service's text as Federate repeats it: at most 300 characters, through the engine's
/// one sanitizer ([`crate::sanitize::terminal_text`]: controls and bidi marks escaped, line
/// breaks as spaces), so nothing from the service reaches a terminal or a report raw.
pub(crate) fn clean(text: &str) -> String {
    let short: String = text.chars().take(300).collect();
    crate::sanitize::terminal_text(&short).trim().to_owned()
}

/// Whether the session is alive, asked once per job at its first 401 (`GET connectionData`):
/// a 401 on one connection's history or one run's timeline may be about that resource (a
/// permission, a token without the scope) or about the session itself [inferred: ado-facts
/// §11 lists 401 as the signed-out answer; the service also answers 401 `TF400813` for a
/// resource the user may not read]. Signed out stops the job; otherwise the 401 is that
/// resource's.
pub(crate) async fn session_alive<T: Transport>(
    client: &Client<'_, T>,
    known: &Cell<Option<bool>>,
) -> Result<bool, ApiError> {
    if let Some(alive) = known.get() {
        return Ok(alive);
    }
    let resp = client.read(&client.api().connection_data(), None).await?;
    let alive = match api::check(&resp) {
        Err(ApiError::SignedOut { .. }) => false,
        Err(err) if stops_scan(&err) => return Err(err),
        _ => true,
    };
    known.set(Some(alive));
    Ok(alive)
}

/// The signed-out error of a job whose session check failed.
pub(crate) fn signed_out() -> ApiError {
    ApiError::SignedOut {
        message: api::SIGNED_OUT_MESSAGE.to_owned(),
    }
}

fn unknown_from(err: &ApiError, status: Option<u16>) -> UsageUnknown {
    let (reason, why) = match err {
        ApiError::Forbidden { .. } => (
            UnknownReason::Forbidden,
            "you may not read this connection's usage history",
        ),
        ApiError::NotFound { .. } => (
            UnknownReason::NotFound,
            "its usage history was not found (it may have been deleted, or you cannot see it in this project)",
        ),
        _ => (UnknownReason::Failed, "its usage history could not be read"),
    };
    UsageUnknown {
        reason,
        status,
        message: format!("Usage unknown: {why}: {}", clean(err.message())),
    }
}

/// Reads one answer to `executionhistory` into usage, or why it is unknown; `Err` only for
/// what stops the whole load (signed out, throttled beyond the wait, cancelled). A 401 reads
/// as this connection's: the jobs ask [`session_alive`] before they call this with one.
pub fn read_history_answer(
    resp: &Response,
    now: UnixSeconds,
    top: u32,
) -> Result<Result<Usage, UsageUnknown>, ApiError> {
    if resp.status == 401 && resp.url.as_deref().is_none_or(|u| !u.contains("_signin")) {
        let why = service_message(&resp.body).map_or_else(|| "HTTP 401".to_owned(), |m| clean(&m));
        return Ok(Err(UsageUnknown {
            reason: UnknownReason::Unauthorized,
            status: Some(401),
            message: format!(
                "Usage unknown: you are not authorized to read this connection's usage history: {why}"
            ),
        }));
    }
    match parse_execution_history(resp) {
        Ok(records) => Ok(Ok(summarize_at(&records, now, top))),
        Err(err) if stops_scan(&err) => Err(err),
        Err(err) => Ok(Err(unknown_from(&err, Some(resp.status)))),
    }
}

// ---------------------------------------------------------------------------------------
// Verdict reasons from usage

/// A fact about use the panel filters on. Decided here, never in the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum UsageTag {
    /// Used in the last 30 days.
    UsedRecently,
    /// Unused for 90 days or more (the "unused 90+ days" filter).
    Unused90,
    /// Unused for 100 days or more: Azure DevOps disables it.
    PastDisableDate,
    /// No job recorded in its history.
    NeverUsed,
    /// Disabled and still holding a secret (the "disabled with a secret" filter).
    DisabledWithSecret,
    /// The history could not be read.
    UsageUnknown,
}

/// What to do with a connection, given its use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum UsageAction {
    /// Delete it, then remove the secret from the app registration: nothing uses it (or it
    /// is disabled) and its secret still works in Entra.
    Delete,
    /// Convert it, and watch the pipelines that use it on their next run.
    ConvertAndWatch,
    /// Nothing to do about its use.
    None,
}

/// The usage part of a connection's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsageVerdict {
    /// The connection id.
    pub id: Option<String>,
    /// Whether its history was read.
    pub known: bool,
    /// The last use, as sent.
    pub last_used: Option<String>,
    /// Whole days since the last use (0 on the same day).
    pub days_unused: Option<i64>,
    /// The date (`YYYY-MM-DD`) Azure DevOps disables it: last use + 100 days.
    pub disable_on: Option<String>,
    /// Filterable facts.
    pub tags: Vec<UsageTag>,
    /// What to do about it.
    pub action: UsageAction,
    /// Reasons, in the verdict's `{code, message}` form.
    pub reasons: Vec<Reason>,
    /// A few words for a column or a mark's tooltip: `used today`, `unused for 120 days`,
    /// `never used`, `usage unknown`, `usage not loaded`.
    pub label: String,
}

fn reason(code: &str, message: String) -> Reason {
    Reason {
        code: code.to_owned(),
        message,
    }
}

/// `YYYY-MM-DD` of a Unix time (Howard Hinnant's `civil_from_days`).
pub fn iso_date(secs: UnixSeconds) -> String {
    let z = secs.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn days_word(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// The usage verdict of a connection: from its verdict (state, secret) and, when loaded,
/// what its history says, at `now` (ISO 8601).
///
/// - never used: no job in its history;
/// - unused for N days (from 30): with the date Azure DevOps disables it (last use + 100
///   days), or says it is past that date;
/// - disabled and still holding a secret: delete it, then remove the secret from the app
///   registration (converting a connection nobody uses only moves the problem).
///
/// ```
/// use federate_core::usage::{Usage, usage_verdict, UsageTag};
/// use federate_core::{model::Endpoint, verdict::{classify, Context}};
/// let ep = Endpoint::from_value(serde_json::json!({"id":"1","type":"azurerm",
///   "authorization":{"scheme":"ServicePrincipal","parameters":{"authenticationType":"spnKey"}},
///   "data":{"creationMode":"Automatic"}})).unwrap();
/// let v = classify(&ep, &Context::default());
/// let usage = Usage { last_used: Some("2026-01-01T00:00:00Z".into()), used_by: vec![], jobs_30d: 0, records: 1, truncated: false };
/// let u = usage_verdict(&v, Some(Ok(&usage)), "2026-04-11T00:00:00Z").unwrap();
/// assert_eq!(u.label, "unused for 100 days");
/// assert!(u.tags.contains(&UsageTag::PastDisableDate));
/// assert_eq!(u.disable_on.as_deref(), Some("2026-04-11"));
/// ```
pub fn usage_verdict(
    verdict: &Verdict,
    usage: Option<Result<&Usage, &UsageUnknown>>,
    now: &str,
) -> Result<UsageVerdict, Error> {
    let now = parse_iso_time(now).map_err(|e| Error::Argument(format!("now: {e}")))?;
    let secret = verdict.uses_secret == Some(true);
    let disabled = verdict.state == State::Disabled;
    let mut out = UsageVerdict {
        id: verdict.id.clone(),
        known: false,
        last_used: None,
        days_unused: None,
        disable_on: None,
        tags: Vec::new(),
        action: UsageAction::None,
        reasons: Vec::new(),
        label: "usage not loaded".to_owned(),
    };
    let mut unused_long = false;
    match usage {
        None => {}
        Some(Err(unknown)) => {
            out.tags.push(UsageTag::UsageUnknown);
            "usage unknown".clone_into(&mut out.label);
            out.reasons
                .push(reason("usageUnknown", unknown.message.clone()));
        }
        Some(Ok(usage)) => unused_long = from_history(&mut out, usage, now, disabled),
    }
    if disabled && secret {
        out.tags.push(UsageTag::DisabledWithSecret);
        out.reasons.push(reason(
            "disabledWithSecret",
            "Disabled and still holding a secret: the secret stays valid in Microsoft Entra. Delete the connection, then remove the secret from the app registration.".to_owned(),
        ));
        out.action = UsageAction::Delete;
    } else if secret && unused_long {
        out.reasons.push(reason(
            "deleteUnused",
            "Nothing uses it: delete it rather than convert it, then remove the secret from the app registration.".to_owned(),
        ));
        out.action = UsageAction::Delete;
    } else if secret && out.known {
        out.action = UsageAction::ConvertAndWatch;
    }
    Ok(out)
}

/// Fills a usage verdict from a history that was read; true when nothing has used the
/// connection for 100 days or more (or ever).
fn from_history(out: &mut UsageVerdict, usage: &Usage, now: UnixSeconds, disabled: bool) -> bool {
    out.known = true;
    let mut unused_long = false;
    let last = usage
        .last_used
        .as_deref()
        .and_then(|t| parse_iso_time(t).ok().map(|s| (s, t)));
    match last {
        None => {
            out.tags.push(UsageTag::NeverUsed);
            "never used".clone_into(&mut out.label);
            unused_long = true;
            out.reasons.push(reason(
                "neverUsed",
                "Never used: no pipeline job is recorded in its usage history. Azure DevOps disables connections unused for 100 days.".to_owned(),
            ));
        }
        Some((at, text)) => {
            let days = (now - at).max(0) / DAY;
            let disable = iso_date(at + DISABLE_AFTER_DAYS * DAY);
            out.last_used = Some(text.to_owned());
            out.days_unused = Some(days);
            out.disable_on = Some(disable.clone());
            out.label = match days {
                0 => "used today".to_owned(),
                d if d < UNUSED_REASON_DAYS => format!("used {} ago", days_word(d)),
                d => format!("unused for {}", days_word(d)),
            };
            if days < UNUSED_REASON_DAYS {
                out.tags.push(UsageTag::UsedRecently);
                let when = if days == 0 {
                    "today".to_owned()
                } else {
                    format!("{} ago", days_word(days))
                };
                out.reasons.push(reason(
                    "usedRecently",
                    format!("Used {when} ({}).", iso_date(at)),
                ));
            } else if days < DISABLE_AFTER_DAYS {
                out.reasons.push(reason(
                    "unused",
                    format!(
                        "Unused for {}: Azure DevOps disables connections unused for 100 days, so it will be disabled on {disable} ({} from now) unless a pipeline uses it.",
                        days_word(days),
                        days_word(DISABLE_AFTER_DAYS - days)
                    ),
                ));
            } else {
                unused_long = true;
                out.tags.push(UsageTag::PastDisableDate);
                let state = if disabled {
                    "it is disabled"
                } else {
                    "expect it to be disabled"
                };
                out.reasons.push(reason(
                    "unusedPastDisableDate",
                    format!(
                        "Unused for {}: past the 100 days after which Azure DevOps disables a connection ({disable}); {state}.",
                        days_word(days)
                    ),
                ));
            }
            if days >= UNUSED_FILTER_DAYS {
                out.tags.push(UsageTag::Unused90);
            }
        }
    }
    if !usage.used_by.is_empty() && !unused_long {
        let n = usage.used_by.len();
        out.reasons.push(reason(
            "usedBy",
            format!(
                "Used by {n} pipeline{}{}: after converting, watch their next runs.",
                if n == 1 { "" } else { "s" },
                if usage.truncated {
                    " in its recent history"
                } else {
                    ""
                }
            ),
        ));
    }
    unused_long
}

/// Whether a usage verdict fails `--fail-on unused:DAYS`: unused for at least `days` days,
/// or never used. Unknown or unloaded usage never matches (it is reported apart).
pub fn unused_at_least(v: &UsageVerdict, days: i64) -> bool {
    v.known && v.days_unused.is_none_or(|d| d >= days)
}

// ---------------------------------------------------------------------------------------
// The usage load job

/// A connection to read the usage of: its id and a project that holds it (its owner's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsageTarget {
    /// The connection id.
    pub id: String,
    /// A project (id or name) that holds it.
    pub project: String,
}

/// One connection's usage, or why it is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionUsage {
    /// The connection id, as given.
    pub id: String,
    /// The project it was read from.
    pub project: String,
    /// What the history says, when read.
    pub usage: Option<Usage>,
    /// Why it was not read.
    pub unknown: Option<UsageUnknown>,
}

impl ConnectionUsage {
    /// The usage or the reason, as [`usage_verdict`] takes it (`None` when neither).
    pub fn as_result(&self) -> Option<Result<&Usage, &UsageUnknown>> {
        match (&self.usage, &self.unknown) {
            (Some(u), _) => Some(Ok(u)),
            (None, Some(e)) => Some(Err(e)),
            (None, None) => None,
        }
    }
}

/// Progress of a usage load: after each connection (with its result), and when the client
/// starts waiting (rate limit, backoff).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "UsageProgressEvent"))]
#[serde(rename_all = "camelCase")]
pub struct UsageProgress {
    /// Connections read (or failed) so far.
    pub done: usize,
    /// Connections to read.
    pub total: usize,
    /// The connection that just finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionUsage>,
    /// A wait that just started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<RateLimitWait>,
}

/// The result of a usage load: partial when stopped (what was read is kept).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsageLoad {
    /// Every connection read or failed, in the order of the targets.
    pub connections: Vec<ConnectionUsage>,
    /// Whether every target was read (or failed on its own).
    pub complete: bool,
    /// Why the load stopped early: signed out, throttled beyond the wait, cancelled.
    pub stopped: Option<ApiError>,
    /// Request counts.
    pub stats: ClientStats,
}

/// Reads the usage history of each target with the client's concurrency limit and rate-limit
/// handling. One connection the user may not read is reported in its `unknown` and the
/// others go on; signed out, throttled beyond the wait, or cancelled stops the load, which
/// returns what it read.
pub async fn load_usage<T: Transport>(
    client: &Client<'_, T>,
    targets: &[UsageTarget],
    top: u32,
    on_progress: &dyn Fn(&UsageProgress),
) -> UsageLoad {
    let total = targets.len();
    let session: Cell<Option<bool>> = Cell::new(None);
    on_progress(&UsageProgress {
        total,
        ..UsageProgress::default()
    });
    let (connections, stopped) = read_each(
        client,
        targets,
        |target| read_one(client, target, top, &session),
        |done, entry| {
            on_progress(&UsageProgress {
                done,
                total,
                connection: Some(entry.clone()),
                waiting: None,
            });
        },
    )
    .await;
    UsageLoad {
        complete: stopped.is_none() && connections.len() == total,
        connections,
        stopped,
        stats: client.stats(),
    }
}

/// Runs `read` on each target with the client's concurrency limit (in any order; the results
/// come back in the targets' order) and calls `on_read` with the running count as each one
/// is read. The first error (cancelled, signed out, throttled beyond the wait) stops the reads
/// still to start; what was read is kept and the error is returned beside it.
pub(crate) async fn read_each<'t, T, X, Fut>(
    client: &Client<'_, T>,
    targets: &'t [UsageTarget],
    read: impl Fn(&'t UsageTarget) -> Fut,
    mut on_read: impl FnMut(usize, &X),
) -> (Vec<X>, Option<ApiError>)
where
    T: Transport,
    Fut: std::future::Future<Output = Result<X, ApiError>>,
{
    let stopped: RefCell<Option<ApiError>> = RefCell::new(None);
    let mut results: Vec<Option<X>> = targets.iter().map(|_| None).collect();
    let mut done = 0usize;
    let read = &read;
    futures::stream::iter(targets.iter().enumerate())
        .map(|(i, target)| {
            let stopped = &stopped;
            async move {
                if stopped.borrow().is_some() {
                    return (i, None);
                }
                if client.cancelled() {
                    return (i, Some(Err(ApiError::Cancelled)));
                }
                (i, Some(read(target).await))
            }
        })
        .buffer_unordered(client.options().concurrency.max(1))
        .for_each(|(i, result)| {
            match result {
                Some(Ok(entry)) => {
                    done += 1;
                    on_read(done, &entry);
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(entry);
                    }
                }
                Some(Err(err)) => {
                    stopped.borrow_mut().get_or_insert(err);
                }
                None => {}
            }
            futures::future::ready(())
        })
        .await;
    (
        results.into_iter().flatten().collect(),
        stopped.into_inner(),
    )
}

/// The client's clock as Unix seconds.
pub(crate) fn now_secs<T: Transport>(client: &Client<'_, T>) -> UnixSeconds {
    // Milliseconds since the epoch fit an i64 for any real clock.
    #[allow(clippy::cast_possible_truncation)]
    let secs = (client.now_ms() / 1000.0).floor() as i64;
    secs
}

/// Reads one connection's history: its usage, or why it is unknown; `Err` stops the job.
pub(crate) async fn read_one<T: Transport>(
    client: &Client<'_, T>,
    target: &UsageTarget,
    top: u32,
    session: &Cell<Option<bool>>,
) -> Result<ConnectionUsage, ApiError> {
    let req = client
        .api()
        .execution_history(&target.project, &target.id, top);
    let resp = client.read(&req, Some(&target.id)).await?;
    if resp.status == 401 && !session_alive(client, session).await? {
        return Err(signed_out());
    }
    let answer = read_history_answer(&resp, now_secs(client), top)?;
    let (usage, unknown) = match answer {
        Ok(u) => (Some(u), None),
        Err(e) => (None, Some(e)),
    };
    Ok(ConnectionUsage {
        id: target.id.clone(),
        project: target.project.clone(),
        usage,
        unknown,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(1_814_400_000), "2027-07-01");
        assert_eq!(iso_date(-DAY), "1969-12-31");
    }

    #[test]
    fn clean_drops_controls() {
        assert_eq!(clean("a\u{1b}[31mb\n"), r"a\x1b[31mb");
        assert_eq!(clean(&"x".repeat(400)).len(), 300);
    }
}
