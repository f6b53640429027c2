//! The wasm-bindgen boundary: every export decodes its input, calls `federate-core`, and
//! encodes the result. No logic lives here.

pub mod client;
pub mod deadlines;
pub mod engine;
pub mod job;
pub mod usage;

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The engine's types, generated from the Rust types of `federate-core` by ts-rs at build
/// time (`scripts/build.mjs` writes `federate_types.d.ts` beside this `.d.ts`): re-exported
/// for users, and imported for the exports' `unchecked_param_type`/`unchecked_return_type`
/// names. A type named in a signature is imported here; a name that is not generated fails
/// `tsc`. Only input shapes JavaScript builds (callbacks, the relay's answer, argument
/// unions) are written by hand, in the sections of the modules that take them.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
export * from "./federate_types.js";
import type {
  AdoRequest, AdoResponse, ApiErrorData, CommandFormat, CommandFormatName,
  AzureDevOpsPat, ClientStats, ConnectionPreflight, ConnectionState,
  ConnectionUsage, Context, ConversionOutcome, ConversionPlan, CredentialKind, DecodedIssuer,
  DecodedSubject, SubjectContext,
  Diagnosis, Direction, ErrorWords, ExpectedFederation, Federation, FederationFormat, InventorySummary,
  IssuerRetirement, JournalEntry, MigrationPlan, OrgLocation, OrgScan, OwningProject, Preflight, Project,
  ProjectDoneEvent, ProjectListing, PlanContext, RateLimitWaitEvent, Reason, Remedies, ScanProgressEvent,
  ServiceEndpoint, TaskWarning, Tone, UsageLoad, UsageProgressEvent, UsageTarget, UsageVerdict,
  Verdict, VerdictRule, VerifyRow,
  ActiveJob, Conflict, JobEvent, JobHeader, JobNext, JobRecord, JobView, ProjectRead,
} from "./federate_types.js";
"#;

/// Installs the panic hook once; called by every export's entry (cheap after the first).
/// It costs under 1 KiB of the wasm (measured), for a readable message if a bug panics.
fn init() {
    console_error_panic_hook::set_once();
}

/// An optional argument as given: `None` for an absent one, `undefined` or `null`.
pub(crate) fn given(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|v| !v.is_null_or_undefined())
}

/// Encodes a result as plain JS objects: `null` for `None`, no `Map`, no `BigInt`. Through
/// JSON text and `JSON.parse`, so that every type is serialized by one serializer
/// (`serde_json`, which the engine needs anyway): a second one (`serde-wasm-bindgen`)
/// duplicated every `Serialize` impl in the wasm.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&text)
        .map_err(|_| JsError::new("the engine produced JSON that JavaScript could not read"))
}

/// Decodes a JS value (an object or a JSON string) into JSON, within the engine's size and
/// depth limits (`federate_core::model::parse_json`): an object goes through `JSON.stringify`
/// first, so a cycle, a too deep or a too large input is a clear error, never a crashed
/// stack or memory.
#[allow(clippy::needless_pass_by_value)] // callers hand over the value; it is read once
pub(crate) fn from_js(value: JsValue) -> Result<serde_json::Value, JsError> {
    let text = match value.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(&value)
            .map_err(|e| {
                let why = e
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
                    .unwrap_or_default();
                JsError::new(&format!(
                    "the input cannot be read as JSON (a cycle, or nested too deep): {why}"
                ))
            })?
            .as_string()
            .ok_or_else(|| JsError::new("the input is undefined or a function, not JSON data"))?,
    };
    federate_core::model::parse_json(&text).map_err(|e| js_err(&e))
}

/// Turns an engine error into a real JS `Error`.
pub(crate) fn js_err(err: &federate_core::Error) -> JsError {
    JsError::new(&err.to_string())
}
