//! Exports of usage: the usage load and the pre-flight through either transport (relay or
//! fetch with a token), the usage verdicts, the gate and the report with usage. Each export
//! decodes, calls `federate_core::usage`, and encodes.

use federate_core::jobs::RateLimitWait;
use federate_core::model::endpoints_from_value;
use federate_core::usage::report::{
    gate_failures_with_usage, render_usage_report, usage_targets, usage_verdicts,
};
use federate_core::usage::{
    self, ConnectionUsage, HISTORY_TOP, UsageProgress, UsageTarget, UsageVerdict, preflight,
};
use federate_core::verdict::Verdict;
use wasm_bindgen::prelude::*;

use crate::client::{
    AbortLikeJs, argument_error, call_with, decode, encode, optional_function, setup,
};
use crate::init;

#[wasm_bindgen(typescript_custom_section)]
const USAGE_TS: &str = r#"
export interface PreflightProgressEvent { done: number; total: number; waiting?: RateLimitWaitEvent }

export type UsageReportFormat = "json" | "csv" | "markdown";
"#;

#[wasm_bindgen]
extern "C" {
    /// An optional usage progress callback.
    #[wasm_bindgen(typescript_type = "((event: UsageProgressEvent) => void)")]
    pub type UsageProgressCallback;
    /// An optional pre-flight progress callback.
    #[wasm_bindgen(typescript_type = "((event: PreflightProgressEvent) => void)")]
    pub type PreflightProgressCallback;
}

fn read_targets(value: JsValue) -> Result<Vec<UsageTarget>, JsValue> {
    serde_json::from_value(decode(value)?)
        .map_err(|e| argument_error(format!("targets must be an array of {{id, project}}: {e}")))
}

fn read_verdicts(value: JsValue) -> Result<Vec<Verdict>, JsValue> {
    serde_json::from_value(decode(value)?)
        .map_err(|e| argument_error(format!("verdicts must be an array of verdicts: {e}")))
}

fn read_usage(value: Option<JsValue>) -> Result<Vec<ConnectionUsage>, JsValue> {
    match crate::given(value) {
        None => Ok(Vec::new()),
        Some(v) => serde_json::from_value(decode(v)?).map_err(|e| {
            argument_error(format!(
                "usage must be an array of {{id, project, usage, unknown}}: {e}"
            ))
        }),
    }
}

/// Reads the usage history of each target (`executionhistory`) with the client's
/// concurrency limit and rate-limit handling. Resolves with what it read (`complete`,
/// `stopped`) rather than rejecting; a connection the user may not read carries `unknown`.
#[wasm_bindgen(js_name = loadUsage, unchecked_return_type = "UsageLoad")]
pub async fn load_usage(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "UsageTarget[]")] targets: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    #[wasm_bindgen(js_name = onProgress)] on_progress: Option<UsageProgressCallback>,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let targets = read_targets(targets)?;
    let on_progress = optional_function(on_progress.map(JsValue::from), "onProgress")?;
    let transport = setup.transport(relay, signal)?;
    let last = std::cell::Cell::new((0usize, 0usize));
    let progress = |p: &UsageProgress| {
        last.set((p.done, p.total));
        call_with(on_progress.as_ref(), p);
    };
    let waits = |w: &RateLimitWait| {
        let (done, total) = last.get();
        call_with(
            on_progress.as_ref(),
            &UsageProgress {
                done,
                total,
                connection: None,
                waiting: Some(*w),
            },
        );
    };
    let client = setup.client(&transport).with_wait_listener(&waits);
    encode(&usage::load_usage(&client, &targets, HISTORY_TOP, &progress).await)
}

/// The pre-flight of planned connections: the pipelines that used each one and the tasks of
/// their last run, with warnings from the engine's list. Resolves with what it read.
#[wasm_bindgen(js_name = preflightConnections, unchecked_return_type = "Preflight")]
pub async fn preflight_connections(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "UsageTarget[]")] targets: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    #[wasm_bindgen(js_name = onProgress)] on_progress: Option<PreflightProgressCallback>,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let targets = read_targets(targets)?;
    let on_progress = optional_function(on_progress.map(JsValue::from), "onProgress")?;
    let transport = setup.transport(relay, signal)?;
    let last = std::cell::Cell::new((0usize, 0usize));
    let done = |d: usize, t: usize| {
        last.set((d, t));
        call_with(
            on_progress.as_ref(),
            &UsageProgress {
                done: d,
                total: t,
                ..UsageProgress::default()
            },
        );
    };
    let waits = |w: &RateLimitWait| {
        let (d, t) = last.get();
        call_with(
            on_progress.as_ref(),
            &UsageProgress {
                done: d,
                total: t,
                connection: None,
                waiting: Some(*w),
            },
        );
    };
    let client = setup.client(&transport).with_wait_listener(&waits);
    encode(&preflight::preflight(&client, &targets, &done).await)
}

/// The connections of a list to read usage for, each with its owning project (else
/// `project`, where it was listed).
#[allow(clippy::needless_pass_by_value)] // wasm-bindgen exports take JS values by value
#[wasm_bindgen(js_name = usageTargets, unchecked_return_type = "UsageTarget[]")]
pub fn usage_targets_of(
    #[wasm_bindgen(
        unchecked_param_type = "ServiceEndpoint[] | { value: ServiceEndpoint[] } | string"
    )]
    endpoints: JsValue,
    project: Option<String>,
) -> Result<JsValue, JsValue> {
    init();
    let list = endpoints_from_value(decode(endpoints)?).map_err(|e| argument_error(&e))?;
    encode(&usage_targets(&list, project.as_deref()))
}

/// The usage verdict of each verdict (same order), with the usage read so far (`null`: not
/// loaded), at `now` (ISO 8601).
#[wasm_bindgen(js_name = usageVerdicts, unchecked_return_type = "UsageVerdict[]")]
pub fn usage_verdicts_of(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ConnectionUsage[] | null")] usage: Option<JsValue>,
    now: &str,
) -> Result<JsValue, JsValue> {
    init();
    let verdicts = read_verdicts(verdicts)?;
    let usage = read_usage(usage)?;
    encode(&usage_verdicts(&verdicts, &usage, now).map_err(|e| argument_error(&e))?)
}

/// Whether a usage verdict fails `--fail-on unused:DAYS` (unused at least `days` days, or
/// never used; unknown usage never does).
#[wasm_bindgen(js_name = unusedAtLeast)]
pub fn unused_at_least(
    #[wasm_bindgen(unchecked_param_type = "UsageVerdict")] verdict: JsValue,
    days: f64,
) -> Result<bool, JsValue> {
    init();
    let v: UsageVerdict = serde_json::from_value(decode(verdict)?)
        .map_err(|e| argument_error(format!("not a usage verdict: {e}")))?;
    if !days.is_finite() || days < 0.0 || days.fract() != 0.0 || days > 100_000.0 {
        return Err(argument_error(format!(
            "days must be a whole number of days, not {days}"
        )));
    }
    // Checked above: a small whole number.
    #[allow(clippy::cast_possible_truncation)]
    let days = days as i64;
    Ok(usage::unused_at_least(&v, days))
}

/// The inventory with usage as JSON, CSV or Markdown.
#[wasm_bindgen(js_name = renderUsageReport)]
pub fn render_usage_report_of(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ConnectionUsage[] | null")] usage: Option<JsValue>,
    #[wasm_bindgen(unchecked_param_type = "UsageReportFormat")] format: &str,
    now: &str,
) -> Result<String, JsValue> {
    init();
    let verdicts = read_verdicts(verdicts)?;
    let usage = read_usage(usage)?;
    render_usage_report(&verdicts, &usage, format, now).map_err(|e| argument_error(&e))
}

/// The pre-flight warning list (task, versions, message, source), for documentation.
#[wasm_bindgen(js_name = taskWarnings, unchecked_return_type = "TaskWarning[]")]
pub fn task_warnings() -> Result<JsValue, JsValue> {
    init();
    encode(&preflight::TASK_WARNINGS)
}

/// The verdicts matching any `--fail-on` gate, in order: the inventory's gates and
/// `unused:DAYS` (on each connection's usage; unknown or unread usage never matches).
#[allow(clippy::needless_pass_by_value)] // wasm-bindgen exports take JS values by value
#[wasm_bindgen(js_name = usageGateFailures, unchecked_return_type = "Verdict[]")]
pub fn usage_gate_failures(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ConnectionUsage[] | null")] usage: Option<JsValue>,
    gates: Vec<String>,
    now: &str,
) -> Result<JsValue, JsValue> {
    init();
    let verdicts = read_verdicts(verdicts)?;
    let usage = read_usage(usage)?;
    let failing =
        gate_failures_with_usage(&verdicts, &usage, &gates, now).map_err(|e| argument_error(&e))?;
    encode(&failing)
}
