//! Exports of the Azure DevOps client, and its two transports (fetch and relay).
//!
//! - **Relay**: a JS function `(request) => Promise<response>` does the HTTP (the
//!   extension's content script, from the page's origin with its cookies).
//! - **Fetch**: `gloo-net` `fetch` with an `Authorization` header built from a PAT
//!   (Basic `:PAT`) or a bearer token, for Node 20 and pages.
//!
//! Every export decodes, calls `federate_core::jobs`, and encodes. Errors are real JS
//! `Error`s with a `kind` (`signedOut`, `throttled`, `forbidden`, `notFound`,
//! `inProgress`, `badRequest`, `server`, `network`, `cancelled`, `malformed`, `argument`).

use federate_core::api::{Api, ApiError, OrgLocation, Request, Response};
use federate_core::jobs::{
    self, Client, ClientOptions, Direction, JournalEntry, PlanContext, RateLimitWait, ScanProgress,
    Transport, TransportError,
};
use federate_core::model::{Endpoint, endpoints_from_value};
use js_sys::{Array, Function, Object, Promise, Reflect};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::{from_js, given, init, to_js};

#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TS: &str = r#"
/** Where and how to reach Azure DevOps. */
export interface ClientOptions {
  /** An organization or page URL: `https://dev.azure.com/{org}[/{project}/...]` or `https://{org}.visualstudio.com[/...]`. */
  orgUrl: string;
  /** Project name or id; defaults to the project in `orgUrl`. */
  project?: string | null;
  /** A PAT or bearer token, for the fetch transport (no relay). Never logged or returned. */
  token?: string | null;
  /** How `token` is sent: `pat` (Basic `:PAT`, the default) or `bearer`. */
  tokenKind?: "pat" | "bearer" | null;
  /** Send `token` over plain `http:` (an on-premises server without TLS). Without it an `http:` `orgUrl` with a token throws an `insecure` error. */
  allowHttp?: boolean | null;
  /** Requests in flight at once (default 16, chosen by measurement: see `npm run bench`). */
  concurrency?: number | null;
  /** api-version (default `7.1`). */
  apiVersion?: string | null;
}

/* What the relay resolves with: `AdoResponse`, generated from the engine's `api::Response`. */

/** Performs one request from the page's origin. Reject (or throw) only when there was no HTTP answer at all. */
export type Relay = (request: AdoRequest) => Promise<AdoResponse> | AdoResponse;

/** An AbortSignal, or any object with a boolean `aborted`. */
export interface AbortLike { readonly aborted: boolean }

export type ClientErrorKind = "signedOut" | "throttled" | "forbidden" | "notFound" | "inProgress" | "badRequest" | "server" | "network" | "cancelled" | "malformed" | "argument" | "insecure";

/** Errors thrown by the client exports are `Error`s with these extra fields. */
export interface ClientError extends Error { kind: ClientErrorKind; status?: number; retryAfterMs?: number | null }
"#;

#[wasm_bindgen]
extern "C" {
    /// An optional `AbortLike` argument.
    #[wasm_bindgen(typescript_type = "AbortLike")]
    pub type AbortLikeJs;
    /// An optional `"convert" | "revert"` argument.
    #[wasm_bindgen(typescript_type = "Direction")]
    pub type DirectionJs;
    /// An optional `PlanContext` argument.
    #[wasm_bindgen(typescript_type = "PlanContext")]
    pub type PlanContextJs;
    /// An optional journal callback.
    #[wasm_bindgen(typescript_type = "((entry: JournalEntry) => void)")]
    pub type JournalCallback;
    /// An optional progress callback.
    #[wasm_bindgen(typescript_type = "((event: ScanProgressEvent) => void)")]
    pub type ProgressCallback;
}

// ---------------------------------------------------------------------------------------
// Errors

/// A JS `Error` with a `kind` (and `status`, `retryAfterMs` where they apply).
fn kind_error(kind: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = Reflect::set(&err, &"kind".into(), &kind.into());
    err.into()
}

pub(crate) fn api_error(err: &ApiError) -> JsValue {
    let value = kind_error(err.kind(), &err.to_string());
    match err {
        ApiError::Throttled { retry_after_ms, .. } => {
            #[allow(clippy::cast_precision_loss)]
            let ms = retry_after_ms.map_or(JsValue::NULL, |ms| JsValue::from_f64(ms as f64));
            let _ = Reflect::set(&value, &"retryAfterMs".into(), &ms);
        }
        ApiError::BadRequest { status, .. } | ApiError::Server { status, .. } => {
            let _ = Reflect::set(&value, &"status".into(), &JsValue::from(*status));
        }
        _ => {}
    }
    value
}

pub(crate) fn argument_error(message: impl std::fmt::Display) -> JsValue {
    kind_error("argument", &message.to_string())
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    to_js(value).map_err(JsValue::from)
}

pub(crate) fn decode(value: JsValue) -> Result<serde_json::Value, JsValue> {
    from_js(value).map_err(|e| {
        let err = JsValue::from(e);
        let _ = Reflect::set(&err, &"kind".into(), &"argument".into());
        err
    })
}

// ---------------------------------------------------------------------------------------
// Options

/// `options` as JS gives it. Not `Debug`: it holds the token.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    org_url: String,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    token_kind: Option<String>,
    #[serde(default)]
    allow_http: Option<bool>,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    api_version: Option<String>,
}

/// Everything a job needs, decoded from `options`.
pub(crate) struct Setup {
    location: OrgLocation,
    api: Api,
    options: ClientOptions,
    authorization: Option<String>,
}

impl Setup {
    /// The transport for one call: the relay when given, else fetch with the token.
    pub(crate) fn transport(
        &self,
        relay: JsValue,
        signal: Option<AbortLikeJs>,
    ) -> Result<JsTransport, JsValue> {
        JsTransport::new(
            relay,
            self.authorization.clone(),
            self.location.clone(),
            signal.map(JsValue::from),
        )
    }

    /// A client of this organization and options over `transport`.
    pub(crate) fn client<'a>(&self, transport: &'a JsTransport) -> Client<'a, JsTransport> {
        Client::new(transport, self.api.clone(), self.options)
    }
}

pub(crate) fn setup(options: JsValue) -> Result<Setup, JsValue> {
    let value = decode(options)?;
    let opts: Options =
        serde_json::from_value(value).map_err(|e| argument_error(format!("options: {e}")))?;
    let mut location = OrgLocation::parse(&opts.org_url).map_err(|e| argument_error(&e))?;
    if let Some(project) = opts.project.filter(|p| !p.trim().is_empty()) {
        location.project = Some(project);
    }
    let mut api = Api::new(&location);
    if let Some(v) = opts.api_version.filter(|v| !v.trim().is_empty()) {
        api = api.with_api_version(&v);
    }
    let mut client_options = ClientOptions::default();
    if let Some(c) = opts.concurrency {
        client_options.concurrency = c.clamp(1, 64);
    }
    let token = opts.token.filter(|t| !t.is_empty());
    if token.is_some() {
        location
            .check_token_transport(opts.allow_http.unwrap_or(false))
            .map_err(|e| kind_error("insecure", &e.to_string()))?;
    }
    let authorization = match token {
        None => None,
        Some(token) => Some(match opts.token_kind.as_deref() {
            Some("bearer") => format!("Bearer {token}"),
            None | Some("pat") => format!("Basic {}", btoa(&format!(":{token}"))?),
            Some(other) => {
                return Err(argument_error(format!(
                    "tokenKind must be \"pat\" or \"bearer\", not {other:?}"
                )));
            }
        }),
    };
    Ok(Setup {
        location,
        api,
        options: client_options,
        authorization,
    })
}

/// Base64 through the global `btoa` (browsers, workers, Node 16+); tokens are ASCII.
fn btoa(text: &str) -> Result<String, JsValue> {
    let f: Function = Reflect::get(&js_sys::global(), &"btoa".into())?
        .dyn_into()
        .map_err(|_| argument_error("this JavaScript environment has no btoa"))?;
    f.call1(&JsValue::UNDEFINED, &text.into())?
        .as_string()
        .ok_or_else(|| argument_error("btoa returned no string"))
}

// ---------------------------------------------------------------------------------------
// The transports

/// The transport of one export call: a relay function or `fetch` with a token.
pub(crate) struct JsTransport {
    relay: Option<Function>,
    authorization: Option<String>,
    /// The organization: a token goes to its origin and nowhere else.
    location: OrgLocation,
    signal: Option<JsValue>,
}

impl JsTransport {
    fn new(
        relay: JsValue,
        authorization: Option<String>,
        location: OrgLocation,
        signal: Option<JsValue>,
    ) -> Result<Self, JsValue> {
        let relay = optional_function(Some(relay), "relay")?;
        if relay.is_none() && authorization.is_none() {
            return Err(argument_error(
                "give either a relay function or options.token (a PAT or bearer token)",
            ));
        }
        Ok(Self {
            relay,
            authorization,
            location,
            signal: given(signal),
        })
    }

    async fn relay_send(relay: &Function, request: Request) -> Result<Response, TransportError> {
        let js_request = request_to_js(&request).map_err(|e| network(&e))?;
        let answer = relay
            .call1(&JsValue::UNDEFINED, &js_request)
            .map_err(|e| network(&e))?;
        let answer = if answer.is_instance_of::<Promise>() {
            JsFuture::from(Promise::from(answer))
                .await
                .map_err(|e| network(&e))?
        } else {
            answer
        };
        response_from_js(&answer).map_err(TransportError::Network)
    }

    async fn fetch_send(authorization: &str, request: Request) -> Result<Response, TransportError> {
        let method = gloo_net::http::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| TransportError::Network(e.to_string()))?;
        let mut builder = gloo_net::http::RequestBuilder::new(&request.url).method(method);
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        builder = builder.header("Authorization", authorization);
        let built = match request.body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(|e| TransportError::Network(e.to_string()))?;
        let resp = built
            .send()
            .await
            .map_err(|e| TransportError::Network(e.to_string()))?;
        let headers = resp
            .headers()
            .entries()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let url = Some(resp.url()).filter(|u| !u.is_empty());
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| TransportError::Network(e.to_string()))?;
        Ok(Response {
            status,
            headers,
            body,
            url,
            opaque_redirect: false,
        })
    }
}

fn network(err: &JsValue) -> TransportError {
    let message = err
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "the relay failed".to_owned());
    TransportError::Network(message)
}

fn request_to_js(request: &Request) -> Result<JsValue, JsValue> {
    let obj = Object::new();
    Reflect::set(&obj, &"method".into(), &request.method.as_str().into())?;
    Reflect::set(&obj, &"url".into(), &request.url.as_str().into())?;
    let headers = Array::new();
    for (k, v) in &request.headers {
        headers.push(&Array::of2(&k.as_str().into(), &v.as_str().into()));
    }
    Reflect::set(&obj, &"headers".into(), &headers)?;
    let body = request
        .body
        .as_deref()
        .map_or(JsValue::NULL, JsValue::from_str);
    Reflect::set(&obj, &"body".into(), &body)?;
    Ok(obj.into())
}

pub(crate) fn response_from_js(answer: &JsValue) -> Result<Response, String> {
    if !answer.is_object() {
        return Err("the relay answered something that is not a response object".to_owned());
    }
    let get = |key: &str| Reflect::get(answer, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let status = get("status")
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
        .ok_or("the relay's response has no numeric status")?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let status = status as u16;
    let body = get("body").as_string().unwrap_or_default();
    let url = get("url").as_string();
    // An array of pairs as is; an object as its entries, which are pairs too.
    let raw_headers = get("headers");
    let pairs = if Array::is_array(&raw_headers) {
        Array::from(&raw_headers)
    } else if raw_headers.is_object() {
        Object::entries(&Object::from(raw_headers))
    } else {
        Array::new()
    };
    let headers = pairs
        .iter()
        .filter_map(|pair| {
            let pair = Array::from(&pair);
            Some((
                pair.get(0).as_string()?.to_ascii_lowercase(),
                pair.get(1).as_string()?,
            ))
        })
        .collect();
    // A fact the relay reports (`fetch` with `redirect: 'manual'` saw `type: 'opaqueredirect'`);
    // the engine decides what it means (api::check: signed out on `_apis`).
    let opaque_redirect = get("opaqueRedirect").as_bool().unwrap_or(false);
    Ok(Response {
        status,
        headers,
        body,
        url,
        opaque_redirect,
    })
}

impl Transport for JsTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        match (&self.relay, &self.authorization) {
            (Some(relay), _) => Self::relay_send(relay, request).await,
            (None, Some(_)) if !self.location.is_own_url(&request.url) => {
                Err(TransportError::Network(format!(
                    "refused to send the token outside {}",
                    self.location.origin
                )))
            }
            (None, Some(auth)) => Self::fetch_send(auth, request).await,
            (None, None) => Err(TransportError::Network("no transport".to_owned())),
        }
    }

    async fn sleep(&self, ms: u64) {
        #[allow(clippy::cast_precision_loss)]
        let ms = JsValue::from_f64(ms as f64);
        let promise = Promise::new(&mut |resolve, _reject| {
            let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            match set_timeout {
                Some(f) => {
                    let _ = f.call2(&JsValue::UNDEFINED, &resolve, &ms);
                }
                None => {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
            // A cancel ends the wait at once (an AbortSignal's `abort` event); the job then
            // sees `cancelled()` and stops, instead of sleeping out a long `Retry-After`.
            if let Some(signal) = &self.signal {
                let listen = Reflect::get(signal, &"addEventListener".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok());
                if let Some(listen) = listen {
                    let once = Object::new();
                    let _ = Reflect::set(&once, &"once".into(), &JsValue::TRUE);
                    let _ = listen.call3(signal, &"abort".into(), &resolve, &once);
                }
            }
        });
        let _ = JsFuture::from(promise).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn cancelled(&self) -> bool {
        self.signal.as_ref().is_some_and(|s| {
            Reflect::get(s, &"aborted".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Callbacks

/// An optional function argument (`undefined` and `null` give `None`).
pub(crate) fn optional_function(
    value: Option<JsValue>,
    what: &str,
) -> Result<Option<Function>, JsValue> {
    given(value)
        .map(|f| {
            f.dyn_into::<Function>()
                .map_err(|_| argument_error(format!("{what} must be a function or null")))
        })
        .transpose()
}

pub(crate) fn call_with<T: serde::Serialize>(f: Option<&Function>, value: &T) {
    if let Some(f) = f
        && let Ok(arg) = to_js(value)
    {
        // A throwing callback must not break the job.
        let _ = f.call1(&JsValue::UNDEFINED, &arg);
    }
}

fn endpoint_from(value: JsValue) -> Result<Endpoint, JsValue> {
    Endpoint::from_value(decode(value)?).map_err(|e| argument_error(&e))
}

fn project_of(setup: &Setup) -> Result<String, JsValue> {
    setup.location.project.clone().ok_or_else(|| {
        argument_error("no project: give options.project or a project URL in options.orgUrl")
    })
}

// ---------------------------------------------------------------------------------------
// Exports

/// Reads an organization (and project, connection) from a page or organization URL.
#[wasm_bindgen(js_name = parseAdoUrl, unchecked_return_type = "OrgLocation")]
pub fn parse_ado_url(url: &str) -> Result<JsValue, JsValue> {
    init();
    let loc = OrgLocation::parse(url).map_err(|e| argument_error(&e))?;
    let value = encode(&loc)?;
    Reflect::set(&value, &"apiBase".into(), &loc.api_base().into())?;
    Ok(value)
}

/// Lists every service connection of one project (`options.project`, or the project in
/// `options.orgUrl`), failed ones included.
#[wasm_bindgen(js_name = scanProject, unchecked_return_type = "ServiceEndpoint[]")]
pub async fn scan_project(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    encode(&project_endpoints(options, relay, signal).await?)
}

/// As `scanProject`, with the count of secret values the service returned and the engine
/// dropped on reading (count only): what a live scan reports to its user.
#[wasm_bindgen(js_name = scanProjectListing, unchecked_return_type = "ProjectListing")]
pub async fn scan_project_listing(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    let list = project_endpoints(options, relay, signal).await?;
    encode(&jobs::ProjectListing::from(list))
}

/// The one project scan behind `scanProject` and `scanProjectListing`.
async fn project_endpoints(
    options: JsValue,
    relay: JsValue,
    signal: Option<AbortLikeJs>,
) -> Result<Vec<federate_core::model::Endpoint>, JsValue> {
    init();
    let setup = setup(options)?;
    let project = project_of(&setup)?;
    let transport = setup.transport(relay, signal)?;
    let client = setup.client(&transport);
    jobs::scan_project(&client, &project)
        .await
        .map_err(|e| api_error(&e))
}

/// Lists every project of the organization (all pages).
#[wasm_bindgen(js_name = listProjects, unchecked_return_type = "Project[]")]
pub async fn list_projects(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let transport = setup.transport(relay, signal)?;
    let client = setup.client(&transport);
    let list = jobs::list_projects(&client)
        .await
        .map_err(|e| api_error(&e))?;
    encode(&list)
}

/// Scans every project with bounded concurrency; shared connections are merged. Resolves
/// with partial results (`complete: false`, `stopped`, per-project `error`) rather than
/// rejecting, except when the projects cannot be listed at all. `onProgress` gets each
/// project as it finishes (`project`) and each wait as it starts (`waiting`).
#[wasm_bindgen(js_name = scanOrganization, unchecked_return_type = "OrgScan")]
pub async fn scan_organization(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    #[wasm_bindgen(js_name = onProgress)] on_progress: Option<ProgressCallback>,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let on_progress = optional_function(on_progress.map(JsValue::from), "onProgress")?;
    let transport = setup.transport(relay, signal)?;
    // Wait events carry the counts of the last progress event.
    let last = std::cell::Cell::new((0usize, 0usize, 0usize));
    let progress = |p: &ScanProgress| {
        last.set((p.projects_done, p.projects_total, p.connections_found));
        call_with(on_progress.as_ref(), p);
    };
    let waits = |w: &RateLimitWait| {
        let (projects_done, projects_total, connections_found) = last.get();
        let event = ScanProgress {
            projects_done,
            projects_total,
            connections_found,
            project: None,
            waiting: Some(*w),
        };
        call_with(on_progress.as_ref(), &event);
    };
    let client = setup.client(&transport).with_wait_listener(&waits);
    let scan = jobs::scan_organization(&client, &progress)
        .await
        .map_err(|e| api_error(&e))?;
    encode(&scan)
}

/// The organization id (`connectionData.instanceId`, lowercase).
#[wasm_bindgen(js_name = organizationId, unchecked_return_type = "string")]
pub async fn organization_id(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    signal: Option<AbortLikeJs>,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let transport = setup.transport(relay, signal)?;
    let client = setup.client(&transport);
    let id = jobs::organization_id(&client)
        .await
        .map_err(|e| api_error(&e))?;
    Ok(id.into())
}

/// Plans a bulk conversion: what will be sent, what is skipped and why.
#[wasm_bindgen(js_name = planConversions, unchecked_return_type = "ConversionPlan")]
pub fn plan_conversions(
    #[wasm_bindgen(
        unchecked_param_type = "ServiceEndpoint[] | { value: ServiceEndpoint[] } | string"
    )]
    endpoints: JsValue,
    context: Option<PlanContextJs>,
) -> Result<JsValue, JsValue> {
    init();
    let list = endpoints_from_value(decode(endpoints)?).map_err(|e| argument_error(&e))?;
    let context: PlanContext = match given(context.map(JsValue::from)) {
        None => PlanContext::default(),
        Some(context) => serde_json::from_value(decode(context)?)
            .map_err(|e| argument_error(format!("context: {e}")))?,
    };
    encode(&jobs::plan_conversions(&list, &context))
}

/// The project a scheme change of this connection goes to (its owning project, by id, else
/// name) with the project's name; `null` without a project reference.
#[wasm_bindgen(js_name = owningProject, unchecked_return_type = "OwningProject | null")]
pub fn owning_project(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
) -> Result<JsValue, JsValue> {
    init();
    let ep = Endpoint::from_value(decode(endpoint)?).map_err(|e| argument_error(&e))?;
    encode(&jobs::owning_project_ref(&ep))
}

/// The exact conversion (or, with `direction: "revert"`, revert) request, without sending
/// it: the dry run. No credential is in it.
#[allow(clippy::needless_pass_by_value)] // wasm-bindgen exports take JS values by value
#[wasm_bindgen(js_name = conversionRequest, unchecked_return_type = "AdoRequest")]
pub fn conversion_request(
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    direction: Option<DirectionJs>,
) -> Result<JsValue, JsValue> {
    init();
    let endpoint = endpoint_from(endpoint)?;
    let setup = setup(options)?;
    let direction = direction_of(direction.map(JsValue::from).as_ref())?;
    let req = jobs::scheme_change_request(
        &setup.api,
        &endpoint,
        setup.location.project.as_deref(),
        direction,
    )
    .map_err(|e| argument_error(&e))?;
    request_to_js(&req)
}

fn direction_of(value: Option<&JsValue>) -> Result<Direction, JsValue> {
    match value.and_then(JsValue::as_string).as_deref() {
        None | Some("convert") => Ok(Direction::Convert),
        Some("revert") => Ok(Direction::Revert),
        Some(other) => Err(argument_error(format!(
            "direction must be \"convert\" or \"revert\", not {other:?}"
        ))),
    }
}

async fn change(
    options: JsValue,
    endpoint: JsValue,
    relay: JsValue,
    on_journal: Option<JournalCallback>,
    direction: Direction,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let endpoint = endpoint_from(endpoint)?;
    let on_journal = optional_function(on_journal.map(JsValue::from), "onJournal")?;
    let transport = setup.transport(relay, None)?;
    let journal = |e: &JournalEntry| call_with(on_journal.as_ref(), e);
    let client = setup.client(&transport).with_journal(&journal);
    let project = setup.location.project.as_deref();
    let outcome = match direction {
        Direction::Convert => jobs::convert(&client, &endpoint, project).await,
        Direction::Revert => jobs::revert(&client, &endpoint, project).await,
    };
    encode(&outcome)
}

/// Converts one connection to workload identity federation (one PUT from its owning
/// project). Resolves with an outcome; never rejects for a service answer.
#[wasm_bindgen(js_name = convertEndpoint, unchecked_return_type = "ConversionOutcome")]
pub async fn convert_endpoint(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    #[wasm_bindgen(js_name = onJournal)] on_journal: Option<JournalCallback>,
) -> Result<JsValue, JsValue> {
    change(options, endpoint, relay, on_journal, Direction::Convert).await
}

/// Reverts a conversion (scheme back to `ServicePrincipal`) inside the revert window.
#[wasm_bindgen(js_name = revertEndpoint, unchecked_return_type = "ConversionOutcome")]
pub async fn revert_endpoint(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    #[wasm_bindgen(js_name = onJournal)] on_journal: Option<JournalCallback>,
) -> Result<JsValue, JsValue> {
    change(options, endpoint, relay, on_journal, Direction::Revert).await
}

/// Reads a connection until its operation leaves `InProgress` (after a 202). `endpoint`
/// is the connection (its owning project is used) or its id (then `options.project`).
#[wasm_bindgen(js_name = pollEndpoint, unchecked_return_type = "ConversionOutcome")]
pub async fn poll_endpoint(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ServiceEndpoint | string")] endpoint: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Relay | null")] relay: JsValue,
    #[wasm_bindgen(js_name = onJournal)] on_journal: Option<JournalCallback>,
    signal: Option<AbortLikeJs>,
    direction: Option<DirectionJs>,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    let direction = direction_of(direction.map(JsValue::from).as_ref())?;
    let (id, project) = if let Some(id) = endpoint.as_string() {
        (id, project_of(&setup)?)
    } else {
        let ep = endpoint_from(endpoint)?;
        let id = ep
            .id()
            .ok_or_else(|| argument_error("the service connection has no id"))?
            .to_owned();
        let project = match jobs::owning_project(&ep) {
            Some(p) => p,
            None => project_of(&setup)?,
        };
        (id, project)
    };
    let on_journal = optional_function(on_journal.map(JsValue::from), "onJournal")?;
    let transport = setup.transport(relay, signal)?;
    let journal = |e: &JournalEntry| call_with(on_journal.as_ref(), e);
    let client = setup.client(&transport).with_journal(&journal);
    encode(&jobs::poll(&client, &project, &id, direction).await)
}

/// Performs one request the job machine handed out (`ConversionJob.next`'s `send`, `read`
/// and `poll` steps) with the token of `options`, through the same fetch transport as the
/// scans: `Authorization` built here, the token only over `https:` (unless `allowHttp`) and
/// only to the organization's origin. Resolves with the answer, whatever its status, in the
/// shape `ConversionJob.apply`'s `answer` event takes; rejects (kind `network`) only when
/// there was no HTTP answer, `insecure` or `argument` before anything is sent.
#[wasm_bindgen(js_name = sendRequest, unchecked_return_type = "AdoResponse")]
pub async fn send_request(
    #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AdoRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    init();
    let setup = setup(options)?;
    if setup.authorization.is_none() {
        return Err(argument_error("sendRequest needs options.token"));
    }
    let request: Request = serde_json::from_value(decode(request)?)
        .map_err(|e| argument_error(format!("request: {e}")))?;
    let transport = setup.transport(JsValue::NULL, None)?;
    match transport.send(request).await {
        Ok(response) => encode(&response),
        Err(TransportError::Network(message)) => Err(kind_error("network", &message)),
        Err(TransportError::Cancelled) => Err(kind_error("cancelled", "cancelled")),
    }
}
