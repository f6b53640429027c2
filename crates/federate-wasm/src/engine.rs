//! Exports of the engine (verdicts, federation, remedies, diagnosis, reports).
//!
//! Each export decodes its input (a JS object or a JSON string), calls `federate-core`, and
//! encodes the result as plain objects with `null` for absent values.

use federate_core::federation::SubjectContext;
use federate_core::model::{Endpoint, endpoints_from_value};
use federate_core::verdict::{Context, Verdict};
use federate_core::{diagnose, federation, remedy, report, sanitize, verdict};
use wasm_bindgen::prelude::*;

use crate::{from_js, given, init, js_err, to_js};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The earlier name of `ServiceEndpoint`, kept for the library's users. */
export type EndpointJson = ServiceEndpoint;

/** `{count, value}`, a bare array, or one endpoint: what the list exports accept. */
export type EndpointList = { count?: number; value: ServiceEndpoint[] } | ServiceEndpoint[] | ServiceEndpoint;

export type ReportFormat = "json" | "csv" | "markdown" | "sarif";
"#;

/// Reads an optional context: `undefined`/`null` give the empty context.
fn read_context(value: Option<JsValue>) -> Result<Context, JsError> {
    match given(value) {
        None => Ok(Context::default()),
        Some(v) => Context::from_value(from_js(v)?).map_err(|e| js_err(&e)),
    }
}

fn read_endpoint(value: JsValue) -> Result<Endpoint, JsError> {
    Endpoint::from_value(from_js(value)?).map_err(|e| js_err(&e))
}

/// What a user reads about an error kind (`signedOut`, `throttled`, `tab`, ...): a title and
/// advice; `retryAfterMs` is a `throttled` error's wait.
#[wasm_bindgen(js_name = errorWords, unchecked_return_type = "ErrorWords")]
pub fn error_words(kind: &str, retry_after_ms: Option<f64>) -> Result<JsValue, JsError> {
    init();
    // A wait from JavaScript: a finite, non-negative number of milliseconds, else none.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked just above
    let wait = retry_after_ms
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| ms.ceil().min(9.0e15) as u64);
    to_js(&federate_core::api::error_words(kind, wait))
}

/// Classifies one service connection.
#[wasm_bindgen(js_name = classifyEndpoint, unchecked_return_type = "Verdict")]
pub fn classify_endpoint(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Context | null")] context: Option<JsValue>,
) -> Result<JsValue, JsError> {
    init();
    let ep = read_endpoint(endpoint)?;
    to_js(&verdict::classify(&ep, &read_context(context)?))
}

/// Classifies a list of service connections (`{count, value}`, an array, or a JSON string).
#[wasm_bindgen(js_name = classifyEndpoints, unchecked_return_type = "Verdict[]")]
pub fn classify_endpoints(
    #[wasm_bindgen(unchecked_param_type = "EndpointList | string")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Context | null")] context: Option<JsValue>,
) -> Result<JsValue, JsError> {
    init();
    let list = endpoints_from_value(from_js(input)?).map_err(|e| js_err(&e))?;
    to_js(&verdict::classify_all(&list, &read_context(context)?))
}

fn read_subject_context(value: Option<JsValue>) -> Result<SubjectContext, JsError> {
    match given(value) {
        None => Ok(SubjectContext::default()),
        Some(v) => SubjectContext::from_value(from_js(v)?).map_err(|e| js_err(&e)),
    }
}

/// Takes a federation subject apart segment by segment (`sc://…`, `/eid1/…`, or one
/// `unknown` segment), each checked against the context.
#[wasm_bindgen(js_name = decodeFederationSubject, unchecked_return_type = "DecodedSubject")]
pub fn decode_federation_subject(
    subject: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "SubjectContext | null")] context: Option<
        JsValue,
    >,
) -> Result<JsValue, JsError> {
    init();
    let ctx = read_subject_context(context)?;
    to_js(&federation::explain_subject(subject, &ctx).map_err(|e| js_err(&e))?)
}

/// Takes a federation issuer apart segment by segment (format, organization or tenant, when
/// it retires), each checked against the context. Never fails on the issuer's text.
#[wasm_bindgen(js_name = decodeFederationIssuer, unchecked_return_type = "DecodedIssuer")]
pub fn decode_federation_issuer(
    issuer: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "SubjectContext | null")] context: Option<
        JsValue,
    >,
) -> Result<JsValue, JsError> {
    init();
    let ctx = read_subject_context(context)?;
    to_js(&federation::explain_issuer(issuer, &ctx))
}

/// The issuer and subject a connection should have, in both formats.
#[wasm_bindgen(js_name = expectedFederation, unchecked_return_type = "ExpectedFederation")]
pub fn expected_federation(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Context | null")] context: Option<JsValue>,
) -> Result<JsValue, JsError> {
    init();
    let ep = read_endpoint(endpoint)?;
    to_js(&federation::expected_federation(
        &ep,
        &read_context(context)?,
    ))
}

/// Explains a connection's federation (also for connections that are not federated yet).
#[wasm_bindgen(js_name = explainFederation, unchecked_return_type = "Federation")]
pub fn explain_federation(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Context | null")] context: Option<JsValue>,
) -> Result<JsValue, JsError> {
    init();
    let ep = read_endpoint(endpoint)?;
    to_js(&federation::explain_federation(
        &ep,
        &read_context(context)?,
    ))
}

/// Commands (or portal steps) creating the connection's federated credential.
#[wasm_bindgen(js_name = federatedCredentialCommands)]
pub fn federated_credential_commands(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Context | null | undefined")] context: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CommandFormat")] format: &str,
) -> Result<String, JsError> {
    init();
    let ep = read_endpoint(endpoint)?;
    remedy::federated_credential_commands(&ep, &read_context(Some(context))?, format)
        .map_err(|e| js_err(&e))
}

/// Every remedy of a connection at once (each applicable format's commands, with its name in
/// words), or the reason none applies.
#[wasm_bindgen(unchecked_return_type = "Remedies")]
pub fn remedies(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Context | null")] context: Option<JsValue>,
) -> Result<JsValue, JsError> {
    init();
    let ep = read_endpoint(endpoint)?;
    to_js(&remedy::remedies(&ep, &read_context(context)?))
}

/// Every command format with its name in words, in the order a format switch shows them.
#[wasm_bindgen(js_name = commandFormats, unchecked_return_type = "CommandFormatName[]")]
pub fn command_formats() -> Result<JsValue, JsError> {
    init();
    to_js(&remedy::command_formats())
}

/// The first known error found in a text (a log, a JSON error body), or `null`.
#[wasm_bindgen(js_name = explainError, unchecked_return_type = "Diagnosis | null")]
pub fn explain_error(text: &str) -> Result<JsValue, JsError> {
    init();
    to_js(&diagnose::explain_error(text))
}

/// Every known error found in a text, in order of appearance.
#[wasm_bindgen(js_name = explainErrors, unchecked_return_type = "Diagnosis[]")]
pub fn explain_errors(text: &str) -> Result<JsValue, JsError> {
    init();
    to_js(&diagnose::explain_errors(text))
}

/// The verdict table, for documentation.
#[wasm_bindgen(js_name = verdictRules, unchecked_return_type = "VerdictRule[]")]
pub fn verdict_rules() -> Result<JsValue, JsError> {
    init();
    to_js(&verdict::verdict_rules())
}

/// The sentence that tells a user how many secret values were dropped (`service`: Azure
/// DevOps returned them; `input`: a file held them), or `null` for none.
#[wasm_bindgen(js_name = secretValuesNotice, unchecked_return_type = "string | null")]
pub fn secret_values_notice(
    count: u32,
    #[wasm_bindgen(unchecked_param_type = "\"service\" | \"input\"")] source: &str,
) -> Result<JsValue, JsError> {
    init();
    let source: report::SecretSource = source.parse().map_err(|e| js_err(&e))?;
    to_js(&report::secret_values_notice(count as usize, source))
}

/// Renders verdicts as JSON, CSV, Markdown or SARIF.
#[wasm_bindgen(js_name = renderReport)]
pub fn render_report(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ReportFormat")] format: &str,
) -> Result<String, JsError> {
    init();
    let list: Vec<Verdict> = serde_json::from_value(from_js(verdicts)?).map_err(|e| {
        JsError::new(&format!(
            "renderReport: verdicts must be an array of verdicts: {e}"
        ))
    })?;
    report::render_report(&list, format).map_err(|e| js_err(&e))
}

/// Text made safe for a terminal or log line (`terminal`), several lines (`block`), a
/// Markdown inline text (`markdown`), a CSV cell (`csv`) or serialized JSON (`json`, the same
/// value with C1, bidi and line-separator characters escaped): the engine's one sanitizer.
#[wasm_bindgen(js_name = sanitizeText)]
pub fn sanitize_text(
    text: &str,
    #[wasm_bindgen(
        unchecked_param_type = "\"terminal\" | \"block\" | \"markdown\" | \"csv\" | \"json\""
    )]
    target: &str,
) -> Result<String, JsError> {
    init();
    let target: sanitize::Target = target.parse().map_err(|e| js_err(&e))?;
    Ok(sanitize::sanitize(text, target))
}

/// A CSV document from rows of cells (strings, numbers, booleans or null), every cell
/// through the engine's CSV rule; CRLF line ends.
#[wasm_bindgen(js_name = csvTable)]
pub fn csv_table(
    #[wasm_bindgen(unchecked_param_type = "Array<Array<string | number | boolean | null>>")]
    rows: JsValue,
) -> Result<String, JsError> {
    init();
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_value(from_js(rows)?)
        .map_err(|e| JsError::new(&format!("csvTable: rows must be arrays of cells: {e}")))?;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(sanitize::csv_table(&cells))
}

/// Encodes a GUID as in Entra subjects (22 characters of little-endian base64url).
#[wasm_bindgen(js_name = encodeGuid)]
pub fn encode_guid(guid: &str) -> Result<String, JsError> {
    init();
    federation::encode_guid(guid).map_err(|e| js_err(&e))
}

/// Decodes a 22-character little-endian base64url GUID.
#[wasm_bindgen(js_name = decodeGuid)]
pub fn decode_guid(encoded: &str) -> Result<String, JsError> {
    init();
    federation::decode_guid(encoded).map_err(|e| js_err(&e))
}

/// The engine's version.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
