//! The conversion job machine (`federate_core::job`) for JavaScript drivers: the extension's
//! service worker and `federate convert`. [`ConversionJob`] holds the job in the wasm, so a
//! step never re-serializes the whole job; the free functions make the plans and the header.
//!
//! The driver loop (see `federate_core::job`): `const { records, steps } = job.next(Date.now())`;
//! store `records` (append) **before** performing any step, and on a storage failure apply
//! `{ type: "storageFailed", jobs, kilobytes, batch }` (the `batch` of that `next`) instead of
//! performing them; relay each `send`/`read`/`poll` step's request and apply
//! `{ type: "answer", step, response }` (`response` the relay's `AdoResponse` as is) or
//! `{ type: "lost", step, why: { kind: "network" | "tabGone" | "signedOut" } }`; arm a timer
//! for `waitUntil.atMs` (or a pause's `resumeAtMs`) and call `next` again when it fires.

use federate_core::api::{Api, OrgLocation};
use federate_core::job::{self, ActiveJob, Event, Job, JobHeader, ProjectRead};
use federate_core::jobs::{ConversionPlan, Direction};
use federate_core::model::endpoints_from_value;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::{from_js, init, js_err, to_js};

/// Decodes a JS value into an engine type; the error names what was expected.
fn decode<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_json::from_value(from_js(value)?).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

// The class's TypeScript is written here rather than generated: wasm-bindgen's declares
// `[Symbol.dispose]()`, which does not compile for users whose `lib` is before esnext
// (tests/node/types.test.mjs compiles the package with es2022). The shapes it names are the
// generated ones.
#[wasm_bindgen(typescript_custom_section)]
const JOB_TS: &str = r#"
/** A conversion (or revert) job, held in the wasm between steps (see `federate_core::job`). */
export class ConversionJob {
  private constructor();
  /** Frees the job's memory in the wasm. */
  free(): void;
  /** A new job for a confirmed plan's header (`jobHeader`). */
  static start(header: JobHeader): ConversionJob;
  /** The job as its stored records left it (a restarted worker, a CLI run again). */
  static restore(header: JobHeader, records: JobRecord[]): ConversionJob;
  /** The records to store first, then the steps to perform. */
  next(nowMs: number): JobNext;
  /** Applies an answer, a lost answer, a storage failure, a timer or a user command; returns the records to store. Throws for a command the job cannot follow, changing nothing. */
  apply(event: JobEvent, nowMs: number): JobRecord[];
  /** The job for drawing and printing. */
  view(): JobView;
  /** The confirmed plan it runs (to store once). */
  header(): JobHeader;
  /** The connections it holds while running or paused, for `jobConflicts`. */
  active(): ActiveJob;
}
"#;

/// A conversion (or revert) job, held in the wasm between steps.
#[wasm_bindgen(skip_typescript)]
pub struct ConversionJob {
    job: Job,
}

#[wasm_bindgen]
impl ConversionJob {
    /// A new job for a confirmed plan's header ([`jobHeader`]).
    #[wasm_bindgen(js_name = start)]
    pub fn start(
        #[wasm_bindgen(unchecked_param_type = "JobHeader")] header: JsValue,
    ) -> Result<ConversionJob, JsError> {
        init();
        let header: JobHeader = decode(header, "job header")?;
        Ok(Self {
            job: Job::start(header).map_err(|e| js_err(&e))?,
        })
    }

    /// The job as its stored records left it (a restarted worker, a CLI run again).
    #[wasm_bindgen(js_name = restore)]
    pub fn restore(
        #[wasm_bindgen(unchecked_param_type = "JobHeader")] header: JsValue,
        #[wasm_bindgen(unchecked_param_type = "JobRecord[]")] records: JsValue,
    ) -> Result<ConversionJob, JsError> {
        init();
        let header: JobHeader = decode(header, "job header")?;
        // Each record decoded by the engine: an undecodable last one (a crash while it was
        // appended) is dropped, one before it is an error.
        let records: Vec<serde_json::Value> = decode(records, "job records")?;
        Ok(Self {
            job: Job::restore_values(header, &records).map_err(|e| js_err(&e))?,
        })
    }

    /// The records to store first, then the steps to perform.
    #[wasm_bindgen(js_name = next, unchecked_return_type = "JobNext")]
    pub fn next(&mut self, now_ms: f64) -> Result<JsValue, JsError> {
        finite(now_ms)?;
        to_js(&self.job.next(now_ms))
    }

    /// Applies an answer, a lost answer, a storage failure, a timer or a user command;
    /// returns the records to store. A command the job cannot follow throws, changing nothing.
    #[wasm_bindgen(js_name = apply, unchecked_return_type = "JobRecord[]")]
    pub fn apply(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "JobEvent")] event: JsValue,
        now_ms: f64,
    ) -> Result<JsValue, JsError> {
        finite(now_ms)?;
        let event = decode_event(event)?;
        let records = self
            .job
            .apply(event, now_ms)
            .map_err(|e| JsError::new(&e.message))?;
        to_js(&records)
    }

    /// The job for drawing and printing.
    #[wasm_bindgen(js_name = view, unchecked_return_type = "JobView")]
    pub fn view(&self) -> Result<JsValue, JsError> {
        to_js(&self.job.view())
    }

    /// The confirmed plan it runs (to store once).
    #[wasm_bindgen(js_name = header, unchecked_return_type = "JobHeader")]
    pub fn header(&self) -> Result<JsValue, JsError> {
        to_js(self.job.header())
    }

    /// The connections it holds while running or paused, for [`jobConflicts`].
    #[wasm_bindgen(js_name = active, unchecked_return_type = "ActiveJob")]
    pub fn active(&self) -> Result<JsValue, JsError> {
        to_js(&self.job.active())
    }
}

/// `nowMs` must be a finite number (`Date.now()`): `NaN` or an infinity would stop every
/// timer of the job.
fn finite(now_ms: f64) -> Result<(), JsError> {
    if now_ms.is_finite() {
        Ok(())
    } else {
        Err(JsError::new(&format!(
            "nowMs must be a finite number of milliseconds (Date.now()), not {now_ms}"
        )))
    }
}

/// A job event; an answer's `response` decoded as the client decodes a relay's answer
/// (`AdoResponse`: headers as a record or as pairs, `url` and `opaqueRedirect` optional),
/// so a driver hands the relay's answer over as is.
fn decode_event(event: JsValue) -> Result<Event, JsError> {
    let field = |key: &str| js_sys::Reflect::get(&event, &key.into()).unwrap_or(JsValue::UNDEFINED);
    if event.is_object() && field("type").as_string().as_deref() == Some("answer") {
        let step: u64 = decode(field("step"), "job event step")?;
        let response = crate::client::response_from_js(&field("response"))
            .map_err(|e| JsError::new(&format!("job event response: {e}")))?;
        return Ok(Event::Answer { step, response });
    }
    decode(event, "job event")
}

/// The header of a confirmed plan: the plan's connections, each with the fingerprint of the
/// connection as read (`endpoints` must hold every planned id). `organization` is the
/// organization's URL (`https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`).
#[allow(clippy::needless_pass_by_value, clippy::too_many_arguments)] // wasm-bindgen exports take JS values by value
#[wasm_bindgen(js_name = jobHeader, unchecked_return_type = "JobHeader")]
pub fn job_header(
    id: &str,
    #[wasm_bindgen(unchecked_param_type = "Direction")] direction: &str,
    organization: &str,
    #[wasm_bindgen(unchecked_param_type = "ConversionPlan")] plan: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint[]")] endpoints: JsValue,
    concurrency: usize,
    created_at_ms: f64,
) -> Result<JsValue, JsError> {
    init();
    let direction: Direction =
        serde_json::from_value(serde_json::Value::String(direction.to_owned())).map_err(|_| {
            JsError::new(&format!(
                "direction must be \"convert\" or \"revert\", not {direction:?}"
            ))
        })?;
    let location = OrgLocation::parse(organization).map_err(|e| js_err(&e))?;
    let plan: ConversionPlan = decode(plan, "plan")?;
    let endpoints = endpoints_from_value(from_js(endpoints)?).map_err(|e| js_err(&e))?;
    let header = JobHeader::from_plan(
        id,
        direction,
        Api::new(&location),
        &plan,
        &endpoints,
        concurrency,
        created_at_ms,
    )
    .map_err(|e| js_err(&e))?;
    to_js(&header)
}

/// The organization-wide plan: each owning project planned as from itself, merged, each
/// connection at most once.
#[wasm_bindgen(js_name = planOrganization, unchecked_return_type = "ConversionPlan")]
pub fn plan_organization(
    #[wasm_bindgen(unchecked_param_type = "ProjectRead[]")] groups: JsValue,
    allow_manual: bool,
) -> Result<JsValue, JsError> {
    init();
    let groups: Vec<ProjectRead> = decode(groups, "project reads")?;
    to_js(&job::plan_organization(&groups, allow_manual))
}

/// The revert plan: the selected connections, each to its owning project.
#[wasm_bindgen(js_name = planReverts, unchecked_return_type = "ConversionPlan")]
pub fn plan_reverts(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint[]")] endpoints: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] selected: JsValue,
) -> Result<JsValue, JsError> {
    init();
    let endpoints = endpoints_from_value(from_js(endpoints)?).map_err(|e| js_err(&e))?;
    let selected: Vec<String> = decode(selected, "selected ids")?;
    to_js(&job::plan_reverts(&endpoints, &selected))
}

/// The active job that already holds a connection of the plan, or `null`: a connection is
/// in at most one active job.
#[wasm_bindgen(js_name = jobConflicts, unchecked_return_type = "Conflict | null")]
pub fn job_conflicts(
    #[wasm_bindgen(unchecked_param_type = "string[]")] plan_ids: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ActiveJob[]")] active: JsValue,
) -> Result<JsValue, JsError> {
    init();
    let ids: Vec<String> = decode(plan_ids, "plan ids")?;
    let active: Vec<ActiveJob> = decode(active, "active jobs")?;
    to_js(&job::conflicts(&ids, &active))
}
