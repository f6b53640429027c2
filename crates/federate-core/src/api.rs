//! The Azure DevOps REST API as data: where an organization lives, the requests the web UI
//! would send, and what the answers mean.
//!
//! Nothing here does I/O. A [`Request`] is built by [`Api`], handed to a
//! [`Transport`](crate::jobs::Transport) by the jobs, and the [`Response`] comes back to the
//! parsers here, which turn every answer into a typed result or an [`ApiError`] whose kind
//! the user interface can show (signed out, throttled, forbidden, ...).
//!
//! ```
//! use federate_core::api::{Api, OrgLocation};
//! let loc = OrgLocation::parse("https://dev.azure.com/fabrikam/My%20Project/_settings/adminservices").unwrap();
//! assert_eq!(loc.api_base(), "https://dev.azure.com/fabrikam");
//! let req = Api::new(&loc).list_endpoints("My Project");
//! assert_eq!(req.url, "https://dev.azure.com/fabrikam/My%20Project/_apis/serviceendpoint/endpoints?includeFailed=true&api-version=7.1");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Error;
use crate::model::{Endpoint, get_ci};

pub use crate::jobs::Transport;

/// The api-version every call uses unless configured otherwise (ado-facts §4.1: the
/// official conversion script uses `7.1`).
pub const DEFAULT_API_VERSION: &str = "7.1";

/// Page size for the projects list. The service's own default page is 100 projects
/// [inferred from the service's behaviour without `$top`]; asking for the same keeps each
/// answer small and every page a cheap request.
pub const PROJECTS_PAGE_SIZE: u32 = 100;

/// The scheme a conversion moves to.
pub const SCHEME_FEDERATED: &str = "WorkloadIdentityFederation";
/// The scheme a revert moves back to.
pub const SCHEME_SERVICE_PRINCIPAL: &str = "ServicePrincipal";

// ---------------------------------------------------------------------------------------
// Where the organization lives

/// How the organization appears in its URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum HostForm {
    /// `https://dev.azure.com/{org}/...` (also any other host, e.g. a local mock: the
    /// organization is the first path segment).
    Path,
    /// `https://{org}.visualstudio.com/...`: the organization is the host's first label.
    Subdomain,
}

/// An organization (and maybe a project and a connection) read from a page or org URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OrgLocation {
    /// `https://host[:port]`, lowercase scheme and host.
    pub origin: String,
    /// The organization name, as in the URL.
    pub organization: String,
    /// The URL form.
    pub host_form: HostForm,
    /// The project (decoded: a name with spaces, or a GUID), when the URL names one.
    pub project: Option<String>,
    /// The `resourceId` query parameter (a connection id on `_settings/adminservices`).
    pub resource_id: Option<String>,
}

impl OrgLocation {
    /// Reads a page or organization URL in either form. Path segments starting with `_`
    /// (`_settings`, `_apis`, ...) are not projects.
    ///
    /// ```
    /// use federate_core::api::OrgLocation;
    /// let loc = OrgLocation::parse("https://fabrikam.visualstudio.com/Web%20Site/_settings/adminservices?resourceId=5e47").unwrap();
    /// assert_eq!(loc.organization, "fabrikam");
    /// assert_eq!(loc.project.as_deref(), Some("Web Site"));
    /// assert_eq!(loc.resource_id.as_deref(), Some("5e47"));
    /// assert_eq!(loc.api_base(), "https://fabrikam.visualstudio.com");
    /// ```
    pub fn parse(url: &str) -> Result<Self, Error> {
        let url = url.trim();
        let bad = |why: &str| Error::Argument(format!("not an Azure DevOps URL ({why}): {url}"));
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("https".to_owned(), url),
        };
        if scheme != "https" && scheme != "http" {
            return Err(bad("scheme must be https"));
        }
        let (before_fragment, _) = rest.split_once('#').unwrap_or((rest, ""));
        let (hier, query) = before_fragment
            .split_once('?')
            .unwrap_or((before_fragment, ""));
        let (authority, path) = hier.split_once('/').unwrap_or((hier, ""));
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("no host"));
        }
        let authority = authority.to_ascii_lowercase();
        let host = authority.split(':').next().unwrap_or_default();
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let (organization, host_form, rest_segments) =
            if let Some(org) = host.strip_suffix(".visualstudio.com") {
                if org.is_empty() || org.contains('.') {
                    return Err(bad("unexpected visualstudio.com host"));
                }
                (org.to_owned(), HostForm::Subdomain, &segments[..])
            } else {
                let Some(first) = segments.first() else {
                    return Err(bad("no organization in the path"));
                };
                if first.starts_with('_') {
                    return Err(bad("no organization in the path"));
                }
                (first.clone(), HostForm::Path, &segments[1..])
            };
        let project = rest_segments
            .first()
            .filter(|s| !s.starts_with('_'))
            .cloned();
        let resource_id = query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.eq_ignore_ascii_case("resourceId")
                .then(|| percent_decode(v))
                .filter(|v| !v.is_empty())
        });
        Ok(Self {
            origin: format!("{scheme}://{authority}"),
            organization,
            host_form,
            project,
            resource_id,
        })
    }

    /// Whether a token (a PAT or a bearer token) may be sent to this organization: only
    /// over `https:`. `allow_http` is for an on-premises server that has no TLS, and only
    /// for it: the token then crosses the network in clear text.
    ///
    /// ```
    /// use federate_core::api::OrgLocation;
    /// let plain = OrgLocation::parse("http://tfs.local:8080/DefaultCollection").unwrap();
    /// assert!(plain.check_token_transport(false).unwrap_err().to_string().contains("--allow-http"));
    /// assert!(plain.check_token_transport(true).is_ok());
    /// assert!(OrgLocation::parse("https://dev.azure.com/o").unwrap().check_token_transport(false).is_ok());
    /// ```
    pub fn check_token_transport(&self, allow_http: bool) -> Result<(), Error> {
        if self.origin.starts_with("https://") || allow_http {
            return Ok(());
        }
        Err(Error::Insecure(format!(
            "refusing to send a token over plain http to {}: anyone on the network could read it. Use https, or, for an on-premises server that has no TLS, --allow-http (library: allowHttp: true)",
            self.origin
        )))
    }

    /// Whether `url` is on this organization's origin (a token goes nowhere else).
    pub fn is_own_url(&self, url: &str) -> bool {
        url.get(..self.origin.len())
            .is_some_and(|o| o.eq_ignore_ascii_case(&self.origin))
            && matches!(
                url.as_bytes().get(self.origin.len()),
                Some(b'/' | b'?') | None
            )
    }

    /// The base every API path hangs from: `https://dev.azure.com/{org}` or
    /// `https://{org}.visualstudio.com`.
    pub fn api_base(&self) -> String {
        match self.host_form {
            HostForm::Path => format!("{}/{}", self.origin, encode_component(&self.organization)),
            HostForm::Subdomain => self.origin.clone(),
        }
    }
}

/// Percent-encodes a path segment or query value: everything but RFC 3986 unreserved
/// characters, as UTF-8 bytes.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` is kept: it is a literal in paths). Invalid escapes and
/// invalid UTF-8 are kept as they were, never a panic.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

// ---------------------------------------------------------------------------------------
// Requests and responses as data

/// One HTTP request, as data. It never carries credentials: the transport adds them (the
/// page's cookies, or an `Authorization` header it keeps to itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AdoRequest"))]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `GET` or `PUT`.
    pub method: String,
    /// The absolute URL, query included.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The JSON body, when there is one.
    pub body: Option<String>,
}

/// One HTTP answer, as data: also what a relay resolves with (TypeScript `AdoResponse`).
/// Decoding is lenient as a relay answers: `headers` as a record of names to values or as
/// pairs, `body`, `url` and `opaqueRedirect` may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AdoResponse"))]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The HTTP status (0 when the transport got none, e.g. an opaque redirect).
    pub status: u16,
    /// Header names (any case) and values; a record of names to values is accepted too.
    #[serde(default, deserialize_with = "headers_lenient")]
    #[cfg_attr(
        feature = "ts",
        ts(type = "Record<string, string> | [string, string][]")
    )]
    pub headers: Vec<(String, String)>,
    /// The body as text.
    #[serde(default)]
    pub body: String,
    /// The final URL after redirects, when the transport knows it (a redirect to the
    /// sign-in page shows up here).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub url: Option<String>,
    /// True when the transport did not follow a redirect and could not see it: a browser
    /// `fetch(url, { redirect: 'manual' })` answers a redirect with `type: 'opaqueredirect'`,
    /// status 0 and no headers. The relay reports the fact; [`check`] says what it means.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional = nullable))]
    pub opaque_redirect: bool,
}

/// Headers as pairs or as a record (the relay's `Record<string, string>`); names lowercased
/// from a record as `Headers.entries()` gives them.
fn headers_lenient<'de, D>(d: D) -> Result<Vec<(String, String)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Headers {
        Pairs(Vec<(String, String)>),
        Record(std::collections::BTreeMap<String, String>),
        Nothing(()),
    }
    Ok(match Headers::deserialize(d)? {
        Headers::Pairs(p) => p,
        Headers::Record(m) => m
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        Headers::Nothing(()) => Vec::new(),
    })
}

impl Response {
    /// A response with a status and a body and no headers (handy in tests and relays).
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            ..Self::default()
        }
    }

    /// Adds a header (builder style).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A header's value; names compare case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The rate-limit headers of an answer (ado-facts §12).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// `Retry-After`, in milliseconds: seconds on the wire, or an HTTP-date (RFC 7231
    /// §7.1.3) read against the clock given to [`RateLimit::from_response_at`].
    pub retry_after_ms: Option<u64>,
    /// `X-RateLimit-Delay`: how long the service delayed this request, in milliseconds.
    pub delay_ms: Option<u64>,
    /// `X-RateLimit-Remaining`: TSTUs left before delays; 0 when delayed or blocked.
    pub remaining: Option<f64>,
    /// `X-RateLimit-Limit`: TSTUs allowed before delays.
    pub limit: Option<f64>,
    /// `X-RateLimit-Reset`: Unix epoch seconds when usage is back to 0.
    pub reset_epoch_s: Option<u64>,
    /// `X-RateLimit-Resource`: which limit was hit (display only).
    pub resource: Option<String>,
}

/// Seconds (possibly fractional) to milliseconds, rejecting negative and absurd values.
fn seconds_to_ms(text: &str) -> Option<u64> {
    let secs: f64 = text.trim().parse().ok()?;
    if !secs.is_finite() || !(0.0..=86_400.0).contains(&secs) {
        return None;
    }
    // Bounded above, so the cast cannot truncate meaningfully.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((secs * 1000.0).ceil() as u64)
}

/// Why a job waits before its next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum WaitReason {
    /// The service's `Retry-After`.
    RetryAfter,
    /// `X-RateLimit-Delay` with no budget left (`X-RateLimit-Remaining` 0).
    RateLimitDelay,
    /// Our own backoff: a 429 without `Retry-After`, a 5xx or a network failure.
    Backoff,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads an HTTP-date in any of the three forms RFC 7231 §7.1.1.1 says a recipient must
/// accept (`Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`,
/// `Sun Nov  6 08:49:37 1994`) into Unix milliseconds. Two-digit years are read as 19xx
/// from 70 up and 20xx below, which is what a date "at most 50 years ahead" means for
/// any clock before 2070.
///
/// ```
/// use federate_core::api::parse_http_date;
/// assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:01:00 GMT"), Some(60_000.0));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), parse_http_date("Sun Nov  6 08:49:37 1994"));
/// assert_eq!(parse_http_date("tomorrow"), None);
/// ```
pub fn parse_http_date(text: &str) -> Option<f64> {
    let cleaned = text.replace(',', " ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let (day, month, year, time) = match tokens.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [_, day, month, year, time, zone] if zone.eq_ignore_ascii_case("GMT") => {
            (*day, *month, (*year).to_owned(), *time)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [_, date, time, zone] if zone.eq_ignore_ascii_case("GMT") => {
            let mut parts = date.split('-');
            let (day, month, yy) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || yy.len() != 2 {
                return None;
            }
            let yy: u32 = yy.parse().ok()?;
            let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
            (day, month, year.to_string(), *time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, month, day, time, year] => (*day, *month, (*year).to_owned(), *time),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? + 1;
    let day: u32 = day.parse().ok()?;
    if year.len() != 4 || time.len() != 8 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let iso = format!("{year}-{month:02}-{day:02}T{time}Z");
    let secs = crate::verdict::parse_iso_time(&iso).ok()?;
    #[allow(clippy::cast_precision_loss)]
    Some(secs as f64 * 1000.0)
}

impl RateLimit {
    /// Reads the rate-limit headers of a response. Without a clock, a `Retry-After` in the
    /// HTTP-date form is left out: use [`RateLimit::from_response_at`].
    pub fn from_response(resp: &Response) -> Self {
        Self::read(resp, None)
    }

    /// Reads the rate-limit headers, with `now_ms` (Unix milliseconds, the transport's
    /// clock) to turn a `Retry-After` HTTP-date into a wait. A date already past means
    /// "now" (0 ms); one more than a day ahead is ignored, as for seconds.
    pub fn from_response_at(resp: &Response, now_ms: f64) -> Self {
        Self::read(resp, Some(now_ms))
    }

    fn read(resp: &Response, now_ms: Option<f64>) -> Self {
        let retry_after = |text: &str| {
            seconds_to_ms(text).or_else(|| {
                let now = now_ms?;
                let wait = parse_http_date(text)? - now;
                if wait > 86_400_000.0 {
                    return None;
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(wait.max(0.0).ceil() as u64)
            })
        };
        Self {
            retry_after_ms: resp.header("Retry-After").and_then(retry_after),
            delay_ms: resp.header("X-RateLimit-Delay").and_then(seconds_to_ms),
            remaining: resp
                .header("X-RateLimit-Remaining")
                .and_then(|v| v.trim().parse().ok()),
            limit: resp
                .header("X-RateLimit-Limit")
                .and_then(|v| v.trim().parse().ok()),
            reset_epoch_s: resp
                .header("X-RateLimit-Reset")
                .and_then(|v| v.trim().parse().ok()),
            resource: resp.header("X-RateLimit-Resource").map(str::to_owned),
        }
    }

    /// How long every further request should wait after this answer, if at all: the
    /// `Retry-After` when given; otherwise, when the service says no budget is left
    /// (`Remaining` 0) and it delayed us, as long as it delayed us (ado-facts §12: "watch
    /// Remaining/Limit; pace org-wide scans").
    pub fn pause_ms(&self) -> Option<u64> {
        self.pause().map(|(ms, _)| ms)
    }

    /// [`RateLimit::pause_ms`] with the header it came from.
    pub fn pause(&self) -> Option<(u64, WaitReason)> {
        if let Some(ms) = self.retry_after_ms {
            return Some((ms, WaitReason::RetryAfter));
        }
        match (self.remaining, self.delay_ms) {
            (Some(r), Some(d)) if r <= 0.0 && d > 0 => Some((d, WaitReason::RateLimitDelay)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors

/// Why a call failed, in the kinds the user interface shows. `message` is the service's
/// own text where it sent one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ApiErrorData"))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ApiError {
    /// The session is gone (401, 203, an HTML answer to `_apis`, a redirect to sign-in).
    SignedOut {
        /// What to tell the user.
        message: String,
    },
    /// Rate limited (429, `TF400733`), after the retries allowed.
    Throttled {
        /// The last `Retry-After`, in milliseconds.
        retry_after_ms: Option<u64>,
        /// The service's text, or ours when we gave up.
        message: String,
    },
    /// 403: the user lacks a permission.
    Forbidden {
        /// The service's text.
        message: String,
    },
    /// 404, or a `200` with a `null` body for an unknown id.
    NotFound {
        /// The service's text.
        message: String,
    },
    /// "another operation is already in progress": try again later.
    InProgress {
        /// The service's text.
        message: String,
    },
    /// Any other 4xx, with the service's message.
    BadRequest {
        /// The HTTP status.
        status: u16,
        /// The service's text.
        message: String,
    },
    /// 5xx, after the retries allowed.
    Server {
        /// The HTTP status.
        status: u16,
        /// The service's text.
        message: String,
    },
    /// No answer at all (DNS, TLS, connection reset, CORS, offline).
    Network {
        /// The transport's text.
        message: String,
    },
    /// The user cancelled the job.
    Cancelled,
    /// An answer that is not what this call returns (garbage, wrong JSON shape).
    Malformed {
        /// What was wrong.
        message: String,
    },
}

impl ApiError {
    /// The kind as the camelCase name the UI keys on (`signedOut`, `throttled`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::SignedOut { .. } => "signedOut",
            ApiError::Throttled { .. } => "throttled",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "notFound",
            ApiError::InProgress { .. } => "inProgress",
            ApiError::BadRequest { .. } => "badRequest",
            ApiError::Server { .. } => "server",
            ApiError::Network { .. } => "network",
            ApiError::Cancelled => "cancelled",
            ApiError::Malformed { .. } => "malformed",
        }
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        match self {
            ApiError::SignedOut { message }
            | ApiError::Throttled { message, .. }
            | ApiError::Forbidden { message }
            | ApiError::NotFound { message }
            | ApiError::InProgress { message }
            | ApiError::BadRequest { message, .. }
            | ApiError::Server { message, .. }
            | ApiError::Network { message }
            | ApiError::Malformed { message } => message,
            ApiError::Cancelled => "cancelled",
        }
    }

    /// Whether a job should pause (not fail) on this error and resume later: the session,
    /// the rate limit, the server or the network, none of them about this connection.
    pub fn is_pause_worthy(&self) -> bool {
        matches!(
            self,
            ApiError::SignedOut { .. }
                | ApiError::Throttled { .. }
                | ApiError::Server { .. }
                | ApiError::Network { .. }
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::SignedOut { message } => write!(f, "signed out: {message}"),
            ApiError::Throttled { message, .. } => write!(f, "throttled: {message}"),
            ApiError::Forbidden { message } => write!(f, "forbidden: {message}"),
            ApiError::NotFound { message } => write!(f, "not found: {message}"),
            ApiError::InProgress { message } => write!(f, "operation in progress: {message}"),
            ApiError::BadRequest { status, message } => write!(f, "HTTP {status}: {message}"),
            ApiError::Server { status, message } => {
                write!(f, "Azure DevOps server error (HTTP {status}): {message}")
            }
            ApiError::Network { message } => write!(f, "network error: {message}"),
            ApiError::Cancelled => write!(f, "cancelled"),
            ApiError::Malformed { message } => write!(f, "unexpected answer: {message}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// What a user reads about an error: a title, and what to do about it (empty when nothing
/// is to be done). The one place these words live; the extension and the CLI draw them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorWords {
    /// A short title, e.g. "You are signed out of Azure DevOps".
    pub title: String,
    /// What to do next, e.g. "Sign in again, then retry.".
    pub advice: String,
}

/// The words for an error kind: the kinds of [`ApiError::kind`], and the kinds the clients
/// make themselves (`tab`: the page that relays is gone; `engine`: the engine failed;
/// `insecure`: an `http:` organization; `off`: turned off for this organization; anything
/// else reads as an unexpected failure). `retry_after_ms` is the wait of a `throttled` error.
///
/// ```
/// use federate_core::api::error_words;
/// assert_eq!(error_words("throttled", Some(2_500)).advice, "Wait 3 seconds, then retry.");
/// ```
pub fn error_words(kind: &str, retry_after_ms: Option<u64>) -> ErrorWords {
    let retry_later = "Wait a moment, then retry.";
    let (title, advice): (&str, String) = match kind {
        "signedOut" => (
            "You are signed out of Azure DevOps",
            "Sign in again, then retry.".into(),
        ),
        "forbidden" => (
            "No permission",
            "Your account cannot read service connections here. Ask a project administrator for access.".into(),
        ),
        "throttled" => (
            "Azure DevOps is rate-limiting requests",
            retry_after_ms.map_or_else(
                || retry_later.into(),
                |ms| format!("Wait {} seconds, then retry.", ms.div_ceil(1000)),
            ),
        ),
        "notFound" => (
            "Not found",
            "The project or organization does not exist, or you cannot see it.".into(),
        ),
        "inProgress" => (
            "Azure DevOps is busy with another operation on this connection",
            retry_later.into(),
        ),
        "badRequest" => (
            "Azure DevOps refused the request",
            "Read the service's message below; retry once it is resolved.".into(),
        ),
        "server" => (
            "Azure DevOps answered with an error",
            "Retry in a moment.".into(),
        ),
        "network" => (
            "Azure DevOps could not be reached",
            "Check the connection, then retry.".into(),
        ),
        "malformed" => (
            "Azure DevOps sent an answer Federate cannot read",
            "Retry; if it keeps failing, reload the page.".into(),
        ),
        "cancelled" => ("Cancelled", String::new()),
        "tab" => (
            "The Azure DevOps page is not available",
            "Open the page again, then retry.".into(),
        ),
        "insecure" => (
            "Not a secure connection",
            "Federate sends tokens only over https: open the organization at an https address.".into(),
        ),
        "off" => (
            "Federate is turned off for this organization",
            "Turn it on in the extension's options.".into(),
        ),
        _ => (
            "Something went wrong",
            "Retry; if it keeps failing, reload the page.".into(),
        ),
    };
    ErrorWords {
        title: title.to_owned(),
        advice,
    }
}

/// What the user is told when the session is gone.
pub const SIGNED_OUT_MESSAGE: &str = "Your Azure DevOps session has expired or you are signed out. Sign in again in this tab, then retry.";

/// The `message` of an Azure DevOps error body
/// (`{"$id","innerException","message","typeName","typeKey","errorCode","eventId"}`), or
/// `None` when the body is not one.
pub fn service_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body.trim_start_matches('\u{feff}')).ok()?;
    value
        .as_object()
        .and_then(|o| get_ci(o, "message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn looks_like_html(resp: &Response) -> bool {
    let ct = resp.header("content-type").unwrap_or_default();
    if ct.to_ascii_lowercase().contains("text/html") {
        return true;
    }
    let start = resp.body.trim_start_matches('\u{feff}').trim_start();
    start.starts_with('<')
}

fn is_signin_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.contains("/_signin") || lower.contains("_signin?")
}

/// A redirect whose target the transport could not see (opaque, or a 3xx without a
/// `Location`), on an `_apis` URL or one the transport did not report (the engine only
/// calls `_apis`). A redirect elsewhere stays a malformed answer.
fn is_hidden_api_redirect(resp: &Response) -> bool {
    let hidden = resp.opaque_redirect
        || ((300..=399).contains(&resp.status)
            && resp.header("location").is_none_or(str::is_empty));
    hidden
        && resp
            .url
            .as_deref()
            .is_none_or(|u| u.to_ascii_lowercase().contains("/_apis/"))
}

/// Classifies an answer: `Ok` for a usable 2xx JSON answer, otherwise the error kind.
///
/// Signed out: 401, 203, a 3xx to `_signin`, a final URL on `_signin`, HTML where JSON
/// was expected (every call here is to `_apis`, where HTML only ever means the sign-in
/// page; ado-facts §11), or a redirect on `_apis` the transport could not see into (an
/// opaque redirect, or a 3xx without a `Location`): `_apis` redirects only to sign in.
/// 429 or a `TF400733` text is throttling. The service's `message` is surfaced for every
/// other error.
///
/// ```
/// use federate_core::api::{check, Response};
/// let hidden = Response { opaque_redirect: true, ..Response::new(0, "") };
/// assert_eq!(check(&hidden).unwrap_err().kind(), "signedOut");
/// ```
pub fn check(resp: &Response) -> Result<(), ApiError> {
    let signed_out = || ApiError::SignedOut {
        message: SIGNED_OUT_MESSAGE.to_owned(),
    };
    if resp.url.as_deref().is_some_and(is_signin_url) {
        return Err(signed_out());
    }
    if is_hidden_api_redirect(resp) {
        return Err(signed_out());
    }
    let status = resp.status;
    let message = || {
        service_message(&resp.body).unwrap_or_else(|| {
            let text = resp.body.trim();
            if text.is_empty() || looks_like_html(resp) {
                format!("HTTP {status} without a message")
            } else {
                text.chars().take(300).collect()
            }
        })
    };
    match status {
        401 | 203 => Err(signed_out()),
        0 => Err(ApiError::Network {
            message: "no response (the request was blocked or redirected)".to_owned(),
        }),
        200..=299 if looks_like_html(resp) => Err(signed_out()),
        200..=299 => Ok(()),
        300..=399 => {
            let location = resp.header("location").unwrap_or_default();
            if is_signin_url(location) || location.to_ascii_lowercase().contains("signin") {
                Err(signed_out())
            } else {
                Err(ApiError::Malformed {
                    message: format!("unexpected redirect (HTTP {status}) to {location}"),
                })
            }
        }
        429 => Err(ApiError::Throttled {
            retry_after_ms: RateLimit::from_response(resp).retry_after_ms,
            message: message(),
        }),
        400..=499 => {
            let text = message();
            let lower = text.to_ascii_lowercase();
            Err(if lower.contains("tf400733") {
                ApiError::Throttled {
                    retry_after_ms: RateLimit::from_response(resp).retry_after_ms,
                    message: text,
                }
            } else if lower.contains("already in progress") {
                ApiError::InProgress { message: text }
            } else if status == 403 {
                ApiError::Forbidden { message: text }
            } else if status == 404 {
                ApiError::NotFound { message: text }
            } else if looks_like_html(resp) {
                signed_out()
            } else {
                ApiError::BadRequest {
                    status,
                    message: text,
                }
            })
        }
        500..=599 => Err(ApiError::Server {
            status,
            message: message(),
        }),
        _ => Err(ApiError::Malformed {
            message: format!("unexpected HTTP status {status}"),
        }),
    }
}

/// Checks the answer and parses its JSON body.
pub fn json_body(resp: &Response) -> Result<Value, ApiError> {
    check(resp)?;
    serde_json::from_str(resp.body.trim_start_matches('\u{feff}')).map_err(|e| {
        ApiError::Malformed {
            message: format!("expected JSON: {}", Error::from_json(&e)),
        }
    })
}

// ---------------------------------------------------------------------------------------
// Typed results

/// A project of the organization (`TeamProjectReference`, the fields Federate uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// The project GUID.
    pub id: String,
    /// The project name.
    pub name: String,
    /// `wellFormed`, ... when given.
    #[serde(default)]
    pub state: Option<String>,
}

/// One page of the projects list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProjectsPage {
    /// The projects of this page.
    pub projects: Vec<Project>,
    /// `x-ms-continuationtoken`: present when more pages follow.
    pub continuation: Option<String>,
}

fn list_items(value: Value, what: &str) -> Result<Vec<Value>, ApiError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut o) => match o.remove("value") {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(ApiError::Malformed {
                message: format!("expected a {what} list {{count, value}}"),
            }),
        },
        _ => Err(ApiError::Malformed {
            message: format!("expected a {what} list {{count, value}}"),
        }),
    }
}

/// Parses a page of `GET _apis/projects`.
pub fn parse_projects_page(resp: &Response) -> Result<ProjectsPage, ApiError> {
    let items = list_items(json_body(resp)?, "projects")?;
    let projects = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value::<Project>(v).map_err(|e| ApiError::Malformed {
                message: format!("project {i}: {e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let continuation = resp
        .header("x-ms-continuationtoken")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(ProjectsPage {
        projects,
        continuation,
    })
}

/// Parses `GET _apis/connectionData`: the organization id (`instanceId`).
pub fn parse_organization_id(resp: &Response) -> Result<String, ApiError> {
    let value = json_body(resp)?;
    value
        .as_object()
        .and_then(|o| get_ci(o, "instanceId"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| ApiError::Malformed {
            message: "connectionData has no instanceId".to_owned(),
        })
}

/// Parses a list of service endpoints (`{count, value}`).
pub fn parse_endpoints(resp: &Response) -> Result<Vec<Endpoint>, ApiError> {
    let items = list_items(json_body(resp)?, "service connection")?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            Endpoint::from_value(v).map_err(|e| ApiError::Malformed {
                message: format!("service connection {i}: {e}"),
            })
        })
        .collect()
}

/// Parses one service endpoint. A `200` with a `null` (or empty) body is how the service
/// answered an unknown id (ado-facts §3), so it reads as not found.
pub fn parse_endpoint(resp: &Response) -> Result<Endpoint, ApiError> {
    check(resp)?;
    if resp.body.trim().is_empty() {
        return Err(not_found_null());
    }
    match json_body(resp)? {
        Value::Null => Err(not_found_null()),
        other => Endpoint::from_value(other).map_err(|e| ApiError::Malformed {
            message: e.to_string(),
        }),
    }
}

fn not_found_null() -> ApiError {
    ApiError::NotFound {
        message: "The service connection does not exist or you cannot see it.".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------
// Request builders

/// Builds the requests of one organization, with the web UI's headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Api {
    /// `https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`.
    pub base: String,
    /// The api-version for every call (`7.1` by default).
    pub api_version: String,
}

impl Api {
    /// The API of an organization location, with api-version 7.1.
    pub fn new(location: &OrgLocation) -> Self {
        Self {
            base: location.api_base(),
            api_version: DEFAULT_API_VERSION.to_owned(),
        }
    }

    /// Uses another api-version (e.g. `7.2-preview.4`).
    #[must_use]
    pub fn with_api_version(mut self, version: &str) -> Self {
        version.trim().clone_into(&mut self.api_version);
        self
    }

    fn request(method: &str, url: String, version: &str, body: Option<String>) -> Request {
        let mut headers = vec![
            (
                "Accept".to_owned(),
                format!("application/json;api-version={version}"),
            ),
            ("X-TFS-FedAuthRedirect".to_owned(), "Suppress".to_owned()),
            (
                "X-VSS-ReauthenticationAction".to_owned(),
                "Suppress".to_owned(),
            ),
        ];
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        Request {
            method: method.to_owned(),
            url,
            headers,
            body,
        }
    }

    fn project_base(&self, project: &str) -> String {
        format!("{}/{}", self.base, encode_component(project))
    }

    /// The version `connectionData` needs: the Location resource is still a preview,
    /// so the same major.minor with `-preview.1` (geekzter sends `7.1-preview.1`).
    pub fn connection_data_version(&self) -> String {
        let release = self
            .api_version
            .split('-')
            .next()
            .unwrap_or(DEFAULT_API_VERSION);
        format!("{release}-preview.1")
    }

    /// `GET {base}/_apis/connectionData`: the organization id is its `instanceId`.
    pub fn connection_data(&self) -> Request {
        let version = self.connection_data_version();
        let url = format!(
            "{}/_apis/connectionData?api-version={}",
            self.base,
            encode_component(&version)
        );
        Self::request("GET", url, &version, None)
    }

    /// `GET {base}/_apis/projects`, one page of `top` from `continuation`.
    pub fn list_projects(&self, continuation: Option<&str>, top: u32) -> Request {
        let mut url = format!("{}/_apis/projects?$top={top}", self.base);
        if let Some(token) = continuation {
            url.push_str("&continuationToken=");
            url.push_str(&encode_component(token));
        }
        url.push_str("&api-version=");
        url.push_str(&encode_component(&self.api_version));
        Self::request("GET", url, &self.api_version, None)
    }

    /// `GET {base}/{project}/_apis/serviceendpoint/endpoints?includeFailed=true`: every
    /// connection of a project the user can see, failed ones included.
    pub fn list_endpoints(&self, project: &str) -> Request {
        let url = format!(
            "{}/_apis/serviceendpoint/endpoints?includeFailed=true&api-version={}",
            self.project_base(project),
            encode_component(&self.api_version)
        );
        Self::request("GET", url, &self.api_version, None)
    }

    /// `GET {base}/{project}/_apis/serviceendpoint/endpoints/{id}`.
    pub fn get_endpoint(&self, project: &str, endpoint_id: &str) -> Request {
        let url = format!(
            "{}/_apis/serviceendpoint/endpoints/{}?api-version={}",
            self.project_base(project),
            encode_component(endpoint_id),
            encode_component(&self.api_version)
        );
        Self::request("GET", url, &self.api_version, None)
    }

    /// `GET {base}/{project}/_apis/serviceendpoint/{id}/executionhistory?top=N`: the recent
    /// jobs that used a connection (ado-facts §17.4). A preview resource in both specs, so
    /// the same major.minor with `-preview.1`, as [`Api::connection_data_version`].
    pub fn execution_history(&self, project: &str, endpoint_id: &str, top: u32) -> Request {
        let version = self.connection_data_version();
        let url = format!(
            "{}/_apis/serviceendpoint/{}/executionhistory?top={top}&api-version={}",
            self.project_base(project),
            encode_component(endpoint_id),
            encode_component(&version)
        );
        Self::request("GET", url, &version, None)
    }

    /// `GET {base}/{project}/_apis/build/builds/{buildId}/timeline`: the records of a run,
    /// tasks with `task.name`/`task.version` among them (Build API 7.1 `Timeline_Get`; its
    /// `timelineId` segment is optional).
    pub fn build_timeline(&self, project: &str, build_id: u32) -> Request {
        let url = format!(
            "{}/_apis/build/builds/{build_id}/timeline?api-version={}",
            self.project_base(project),
            encode_component(&self.api_version)
        );
        Self::request("GET", url, &self.api_version, None)
    }

    fn scheme_change(&self, project: &str, body: &Endpoint) -> Result<Request, Error> {
        let id = body
            .id()
            .ok_or_else(|| Error::Shape("the service connection has no id".to_owned()))?;
        let url = format!(
            "{}/_apis/serviceendpoint/endpoints/{}?operation=ConvertAuthenticationScheme&api-version={}",
            self.project_base(project),
            encode_component(id),
            encode_component(&self.api_version)
        );
        let text = serde_json::to_string(body).map_err(|e| Error::Shape(e.to_string()))?;
        Ok(Self::request("PUT", url, &self.api_version, Some(text)))
    }

    /// The conversion: `PUT {base}/{project}/_apis/serviceendpoint/endpoints/{id}?operation=ConvertAuthenticationScheme`
    /// with [`conversion_body`]. Project-scoped, as Microsoft's conversion scripts send it
    /// (the spec lists only the org-scoped route; ado-facts §4.1).
    pub fn convert(&self, project: &str, endpoint: &Endpoint) -> Result<Request, Error> {
        self.scheme_change(project, &conversion_body(endpoint)?)
    }

    /// The revert: the same PUT with [`revert_body`].
    pub fn revert(&self, project: &str, endpoint: &Endpoint) -> Result<Request, Error> {
        self.scheme_change(project, &revert_body(endpoint)?)
    }
}

// ---------------------------------------------------------------------------------------
// Conversion bodies

fn with_scheme(endpoint: &Endpoint, scheme: &str) -> Result<Endpoint, Error> {
    let mut body = endpoint.clone();
    let raw = body.raw_mut();
    let Some(Value::Object(auth)) = raw.get_mut("authorization") else {
        return Err(Error::Shape(
            "the service connection has no authorization object".to_owned(),
        ));
    };
    auth.insert("scheme".to_owned(), Value::String(scheme.to_owned()));
    if let Some(Value::Object(data)) = raw.get_mut("data") {
        remove_ci(data, "revertSchemeDeadline");
    }
    Ok(body)
}

fn remove_ci(map: &mut Map<String, Value>, key: &str) {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(key))
        .cloned()
        .collect();
    for k in keys {
        map.shift_remove(&k);
    }
}

/// The conversion body: the endpoint exactly as read, with only `authorization.scheme` set
/// to `WorkloadIdentityFederation` and `data.revertSchemeDeadline` (any case) removed. The
/// service rejects any other difference (ado-facts §4.2 rule 3).
///
/// ```
/// use federate_core::{api::conversion_body, model::Endpoint};
/// let ep = Endpoint::from_value(serde_json::json!({"id":"1","authorization":{"scheme":"ServicePrincipal"},"data":{"RevertSchemeDeadline":"x","a":"b"}})).unwrap();
/// let body = conversion_body(&ep).unwrap();
/// assert_eq!(body.scheme(), Some("WorkloadIdentityFederation"));
/// assert_eq!(body.data("revertSchemeDeadline"), None);
/// assert_eq!(body.data("a").as_deref(), Some("b"));
/// ```
pub fn conversion_body(endpoint: &Endpoint) -> Result<Endpoint, Error> {
    with_scheme(endpoint, SCHEME_FEDERATED)
}

/// The revert body: as [`conversion_body`] with scheme `ServicePrincipal`. The deadline is
/// dropped too: a key left out is never compared (§4.2 rule 3), one sent must match.
pub fn revert_body(endpoint: &Endpoint) -> Result<Endpoint, Error> {
    with_scheme(endpoint, SCHEME_SERVICE_PRINCIPAL)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decode_is_total() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("%FF"), "%FF");
        assert_eq!(
            encode_component("Ünï cødé/x"),
            "%C3%9Cn%C3%AF%20c%C3%B8d%C3%A9%2Fx"
        );
    }
}
