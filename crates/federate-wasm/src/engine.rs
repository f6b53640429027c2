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
/** Where the caller stands; all optional. `now` is an ISO 8601 time (no days-left without it). */
export interface Context {
  organizationName?: string | null;
  organizationId?: string | null;
  projectName?: string | null;
  projectId?: string | null;
  now?: string | null;
}

/** A service endpoint as returned by the REST API (unknown fields kept). */
export interface EndpointJson {
  id?: string;
  name?: string;
  type?: string;
  url?: string;
  isShared?: boolean;
  isReady?: boolean;
  isDisabled?: boolean;
  authorization?: { scheme?: string; parameters?: Record<string, string | null> };
  data?: Record<string, string | null>;
  operationStatus?: { state?: string; statusMessage?: string } | null;
  serviceEndpointProjectReferences?: Array<{ projectReference?: { id?: string; name?: string }; name?: string; description?: string }>;
  [key: string]: unknown;
}

/** `{count, value}`, a bare array, or one endpoint. */
export type EndpointList = { count?: number; value: EndpointJson[] } | EndpointJson[] | EndpointJson;

export type CredentialKind = "secret" | "certificate" | "password" | "token" | "publishProfile" | "federated" | "managedIdentity" | "oauth" | "none" | "unknown";
export type ConnectionState = "ready" | "draft" | "converting" | "failed" | "notReady" | "disabled";
export type ConvertibleStatus = "yes" | "manual" | "ownerProject" | "no";
export type FederationFormat = "azureDevOps" | "entra" | "preview" | "unknown";
export type CommandFormat = "az" | "azIdentity" | "powershell" | "bicep" | "terraform" | "graph" | "portal";
export type ReportFormat = "json" | "csv" | "markdown" | "sarif";
/** bad: a secret (a PAT to Azure DevOps first) or a retired issuer; warn: pending, or the issuer retiring; good: federated; info: the rest. */
export type Tone = "bad" | "warn" | "good" | "info";
export type IssuerRetirement = "retiring" | "retired";

export interface Reason { code: string; message: string }

/** How a segment compares with what it should be: `differs` comes with `expected`. */
export type SegmentCheck = "matches" | "differs" | "unknown";

/** One segment of a subject or an issuer, explained by the engine: one row to draw as is. */
export interface Segment {
  /** The row label ("Tenant", "Organization id", "Connection name"). */
  label: string;
  /** As written in the subject or issuer. */
  text: string;
  /** Decoded: a GUID from base64url, a name. */
  value: string;
  /** A sentence: what it is and what it must be. */
  meaning: string;
  check: SegmentCheck;
  /** With `differs`: the value it should have. */
  expected: string | null;
  /** The check in words ("Matches", "Differs: expected …", "Not checked: …"). */
  checkWord: string;
}

/** What segments are checked against; all optional, other fields (a `Context`'s `now`) ignored. */
export interface SubjectContext {
  organizationName?: string | null;
  organizationId?: string | null;
  projectName?: string | null;
  connectionId?: string | null;
  connectionName?: string | null;
  tenantId?: string | null;
}

export interface DecodedSubject {
  format: FederationFormat;
  /** The format in words ("Entra issuer format (/eid1/)", "Unknown format"). */
  formatWord: string;
  /** The subject segment by segment, in order: only the segments of its format. */
  segments: Segment[];
  organizationName: string | null;
  projectName: string | null;
  connectionName: string | null;
  cloud: string | null;
  tenantId: string | null;
  applicationId: string | null;
  organizationId: string | null;
  connectionId: string | null;
}

export interface DecodedIssuer {
  format: FederationFormat;
  /** The format in words ("Azure DevOps issuer", "Entra issuer", ...). */
  formatWord: string;
  organizationId: string | null;
  tenantId: string | null;
  /** When the issuer stops working (ISO date), if announced: "2027-07-01" for the Azure DevOps issuer. */
  retires: string | null;
  /** The issuer segment by segment, in order. */
  segments: Segment[];
}

export interface IssuerSubject { issuer: string | null; subject: string | null }

export interface ExpectedFederation {
  audience: string;
  azureDevOps: IssuerSubject;
  entra: IssuerSubject | null;
  /** Inputs that were missing, e.g. "context.organizationId". */
  missing: string[];
}

export interface Federation {
  issuer: string | null;
  subject: string | null;
  audience: string;
  format: FederationFormat;
  /** The format in words ("Azure DevOps issuer", "Entra issuer", ...). */
  formatWord: string;
  issuerType: string | null;
  identity: { applicationId: string | null; tenantId: string | null };
  /** The issuer segment by segment, checked against the connection. */
  issuerDecoded: DecodedIssuer | null;
  /** The subject segment by segment, checked against the connection; null when absent or malformed. */
  decoded: DecodedSubject | null;
  expected: ExpectedFederation | null;
  warnings: Reason[];
}

export interface Verdict {
  id: string | null;
  name: string | null;
  type: string | null;
  scheme: string | null;
  owner: { projectId: string | null; projectName: string | null } | null;
  sharedWith: Array<{ projectId: string | null; projectName: string | null; name: string | null }>;
  isShared: boolean;
  credential: CredentialKind;
  usesSecret: boolean | null;
  state: ConnectionState;
  convertible: { status: ConvertibleStatus; reasons: Reason[] };
  revertDeadline: string | null;
  revertDaysLeft: number | null;
  federation: Federation | null;
  /** The PAT (or password) it holds for an Azure DevOps host, if it does. */
  azureDevOpsPat: AzureDevOpsPat | null;
  /** On the Azure DevOps issuer in the public cloud (it retires on 2027-07-01); null otherwise. */
  issuerRetirement: IssuerRetirement | null;
  /** The credential in words ("Azure DevOps PAT" for a PAT to Azure DevOps). */
  credentialWord: string;
  /** The convertibility in words ("Can be converted now", "Cannot be converted", ...). */
  convertibleWord: string;
  /** The colour family of its mark and row. */
  tone: Tone;
  /** What a draft or a manual connection waits for on its identity; null for the others. */
  nextStep: string | null;
  label: string;
  summary: string;
  /** Secret values the service returned for it, dropped on reading (count only); absent when none. */
  secretValuesDropped?: number;
}

export type PatUse = "repository" | "artifactsFeed" | "extensionPublishing" | "restApi";

export interface AzureDevOpsPat {
  host: string | null;
  use: PatUse;
  globalPatDeadline: string;
  daysLeft: number | null;
}

export interface VerdictRule {
  type: string;
  scheme: string;
  when: string | null;
  credential: CredentialKind;
  usesSecret: boolean | null;
  convertible: ConvertibleStatus;
  note: string;
}

export interface Diagnosis {
  id: string;
  code: string;
  title: string;
  meaning: string;
  fix: string;
  docs: string;
}
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

/// Classifies one service connection.
#[wasm_bindgen(js_name = classifyEndpoint, unchecked_return_type = "Verdict")]
pub fn classify_endpoint(
    #[wasm_bindgen(unchecked_param_type = "EndpointJson | string")] endpoint: JsValue,
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
    #[wasm_bindgen(unchecked_param_type = "EndpointJson | string")] endpoint: JsValue,
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
    #[wasm_bindgen(unchecked_param_type = "EndpointJson | string")] endpoint: JsValue,
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
    #[wasm_bindgen(unchecked_param_type = "EndpointJson | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Context | null | undefined")] context: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CommandFormat")] format: &str,
) -> Result<String, JsError> {
    init();
    let ep = read_endpoint(endpoint)?;
    remedy::federated_credential_commands(&ep, &read_context(Some(context))?, format)
        .map_err(|e| js_err(&e))
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
