//! Workload identity federation: issuers, subjects and audiences of service connections.
//!
//! Two formats exist (ado-facts §8):
//!
//! | | Azure DevOps issuer (classic) | Microsoft Entra issuer |
//! |---|---|---|
//! | issuer | `https://vstoken.dev.azure.com/{orgId}` | `https://login.microsoftonline.com/{tenantId}/v2.0` |
//! | subject | `sc://{org}/{project}/{connection}` | `/eid1/c/pub/t/{tenant}/a/{app}/sc/{orgId}/{connectionId}` |
//!
//! In the Entra subject, `{tenant}` and `{app}` are GUIDs in unpadded base64url of their
//! .NET little-endian bytes ([`encode_guid`], [`decode_guid`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::model::Endpoint;
use crate::verdict::Context;
use crate::verdict::time::{days_until, parse_iso_time};

/// The audience of every Azure DevOps federated credential.
pub const AUDIENCE: &str = "api://AzureADTokenExchange";
/// The Azure DevOps Entra application (`azp` of Entra-issued pipeline tokens; `/a/` segment).
pub const AZURE_DEVOPS_APP_ID: &str = "499b84ac-1321-427f-aa17-267ca6975798";
/// When the Azure DevOps issuer stops working (ado-facts §8.6), ISO date.
pub const ADO_ISSUER_RETIREMENT: &str = "2027-07-01T00:00:00Z";
/// When the Azure DevOps issuer was deprecated (ado-facts §8.6), ISO date.
pub const ADO_ISSUER_DEPRECATION: &str = "2026-07-01T00:00:00Z";

const ADO_ISSUER_PREFIX: &str = "https://vstoken.dev.azure.com/";
const ENTRA_ISSUER_PREFIX: &str = "https://login.microsoftonline.com/";
const PREVIEW_ISSUER: &str = "https://app.vstoken.visualstudio.com";

/// Parses a hyphenated GUID (braces allowed) into its 16 bytes in textual (big-endian) order.
fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let t = text.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(t);
    let bytes = t.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let hex: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Formats 16 textual-order bytes as a lowercase hyphenated GUID.
fn format_guid(b: &[u8; 16]) -> String {
    let h = b.iter().fold(String::with_capacity(32), |mut acc, x| {
        use std::fmt::Write as _;
        let _ = write!(acc, "{x:02x}");
        acc
    });
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Swaps between textual order and .NET little-endian order (its own inverse).
fn swap_le(b: [u8; 16]) -> [u8; 16] {
    let mut o = b;
    o[0..4].reverse();
    o[4..6].reverse();
    o[6..8].reverse();
    o
}

/// Whether a text is a hyphenated GUID.
pub fn is_guid(text: &str) -> bool {
    parse_guid(text).is_some()
}

/// Normalises a GUID to lowercase hyphenated form, or `None`.
pub fn normalize_guid(text: &str) -> Option<String> {
    parse_guid(text).map(|b| format_guid(&b))
}

/// Encodes a GUID as in Entra subjects: 22 characters of unpadded base64url over its
/// little-endian bytes.
///
/// ```
/// use federate_core::federation::encode_guid;
/// assert_eq!(encode_guid("ff882432-09b0-437b-bd22-ca13c0037ded").unwrap(), "MiSI_7AJe0O9IsoTwAN97Q");
/// ```
pub fn encode_guid(guid: &str) -> Result<String, Error> {
    let bytes = parse_guid(guid).ok_or_else(|| {
        Error::Argument(format!(
            "not a GUID: {guid:?} (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
        ))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(swap_le(bytes)))
}

/// Decodes a 22-character base64url little-endian GUID (the inverse of [`encode_guid`]).
///
/// ```
/// use federate_core::federation::decode_guid;
/// assert_eq!(decode_guid("rISbSSETf0KqFyZ8ppdXmA").unwrap(), "499b84ac-1321-427f-aa17-267ca6975798");
/// assert!(decode_guid("rISbSSETf0KqFyZ8ppdXm").is_err());
/// ```
pub fn decode_guid(encoded: &str) -> Result<String, Error> {
    let n = encoded.chars().count();
    if n != 22 {
        return Err(Error::Argument(format!(
            "an encoded GUID has exactly 22 characters, {encoded:?} has {n}"
        )));
    }
    if let Some(c) = encoded
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(Error::Argument(format!(
            "{encoded:?} is not base64url: unexpected character {c:?}"
        )));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|e| Error::Argument(format!("{encoded:?} is not canonical base64url: {e}")))?;
    let arr: [u8; 16] = bytes
        .try_into()
        .map_err(|_| Error::Argument(format!("{encoded:?} does not hold 16 bytes")))?;
    Ok(format_guid(&swap_le(arr)))
}

/// The two subject formats, plus what could not be recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "FederationFormat"))]
#[serde(rename_all = "camelCase")]
pub enum Format {
    /// Issuer `https://vstoken.dev.azure.com/{orgId}`, subject `sc://org/project/name`.
    AzureDevOps,
    /// Issuer `https://login.microsoftonline.com/{tenant}/v2.0`, subject `/eid1/...`.
    Entra,
    /// The preview issuer `https://app.vstoken.visualstudio.com` (no longer issued).
    Preview,
    /// Anything else.
    Unknown,
}

/// How a segment compares with what it should be, for the context given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SegmentCheck"))]
#[serde(rename_all = "camelCase")]
pub enum Check {
    /// It is what it should be (a fixed marker of the format, or equal to the context's value).
    Matches,
    /// It is not: the segment's `expected` says what it should be.
    Differs,
    /// Nothing to compare it with (the context lacks the value), or nothing is known to compare.
    Unknown,
}

/// One segment of a subject or an issuer, explained: one row of the "segment by segment" table.
///
/// Only segments of the recognised format exist (an Entra subject has no organization name
/// row), in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// What the segment is, as a row label: `Tenant`, `Organization id`, `Connection name`.
    pub label: String,
    /// The segment as written (`t/MiSI_7AJe0O9IsoTwAN97Q`, `Web Shop`).
    pub text: String,
    /// The segment decoded: a GUID from base64url, a name, a marker.
    pub value: String,
    /// A sentence: what it is and what it must be.
    pub meaning: String,
    pub check: Check,
    /// With `differs`: the value it should have.
    pub expected: Option<String>,
    /// The check in words: `Matches`, `Differs: expected …`, `Not checked: …`.
    pub check_word: String,
}

/// What the segments of a subject or issuer are checked against; every field optional.
///
/// Field names follow the verdict [`Context`] (`organizationName`, `organizationId`,
/// `projectName`), so a caller can pass that one; other fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(rename_all = "camelCase", default)]
pub struct SubjectContext {
    pub organization_name: Option<String>,
    /// The organization id (connectionData `instanceId`).
    pub organization_id: Option<String>,
    /// The connection's home project name.
    pub project_name: Option<String>,
    /// The connection's id.
    pub connection_id: Option<String>,
    /// The connection's name in its home project.
    pub connection_name: Option<String>,
    /// The identity's tenant (`authorization.parameters.tenantid`).
    pub tenant_id: Option<String>,
    /// The Entra issuer's tenant, when the connection has an Entra issuer: the tenant an
    /// Entra subject's `t/` segment must name (ado-facts §8.3). Without it, that segment is
    /// compared with `tenant_id`, and its check says so.
    pub issuer_tenant_id: Option<String>,
    /// The connection's `data.environment` (`AzureCloud`, `AzureUSGovernment`,
    /// `AzureChinaCloud`...): in a sovereign cloud the Azure DevOps issuer does not retire.
    pub environment: Option<String>,
}

impl SubjectContext {
    /// Reads a context from JSON (`null` = empty); unknown fields are ignored. An id that is
    /// given but not a GUID is an error naming it (it would otherwise be silently unchecked).
    ///
    /// ```
    /// use federate_core::federation::SubjectContext;
    /// let e = SubjectContext::from_value(serde_json::json!({"organizationId": "not-a-guid"})).unwrap_err();
    /// assert!(e.to_string().contains("organizationId"));
    /// ```
    pub fn from_value(value: serde_json::Value) -> Result<Self, Error> {
        if value.is_null() {
            return Ok(Self::default());
        }
        if !value.is_object() {
            return Err(Error::Shape(format!(
                "context must be an object {{organizationName, organizationId, projectName, connectionId, connectionName, tenantId, issuerTenantId, environment}}, found {}",
                crate::model::kind_of(&value)
            )));
        }
        let ctx: Self =
            serde_json::from_value(value).map_err(|e| Error::Shape(format!("context: {e}")))?;
        for (field, v) in [
            ("organizationId", &ctx.organization_id),
            ("connectionId", &ctx.connection_id),
            ("tenantId", &ctx.tenant_id),
            ("issuerTenantId", &ctx.issuer_tenant_id),
        ] {
            if let Some(text) = given(v.as_ref()) {
                if normalize_guid(text).is_none() {
                    return Err(Error::Shape(format!(
                        "context: {field} {text:?} is not a GUID (expected the form 0ca3ddd9-f0b0-4635-a98c-5866526961b6)"
                    )));
                }
            }
        }
        Ok(ctx)
    }

    /// The context a connection's own federation is checked against: the organization from
    /// `ctx` (never from what the connection carries, which would match itself), the home
    /// project and name, the id and the identity's tenant from the connection.
    pub fn for_endpoint(ep: &Endpoint, ctx: &Context) -> Self {
        Self {
            organization_name: ctx.organization_name.clone(),
            organization_id: ctx.organization_id.clone(),
            project_name: ep
                .home_project()
                .and_then(|r| r.project_name)
                .filter(|s| !s.is_empty()),
            connection_id: ep.id().map(str::to_owned),
            connection_name: home_connection_name(ep),
            tenant_id: ep.param("tenantid").filter(|s| !s.is_empty()),
            issuer_tenant_id: ep
                .param("workloadIdentityFederationIssuer")
                .and_then(|i| issuer_info(&i).tenant_id),
            environment: ep.data("environment").filter(|s| !s.is_empty()),
        }
    }
}

/// Azure DevOps organization names are case-insensitive (`Contoso` and `contoso` are one
/// organization; a `*.visualstudio.com` page names it in lowercase).
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The sovereign cloud an environment names (anything but `AzureCloud`), if any.
fn sovereign_environment(env: Option<&str>) -> Option<&str> {
    env.map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("AzureCloud"))
}

fn given(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// A segment checked against an expected value (`None`: unknown, saying `missing`).
fn checked(
    label: &str,
    text: &str,
    value: &str,
    meaning: String,
    expected: Option<String>,
    missing: &str,
) -> Segment {
    let (check, expected, check_word) = match expected {
        Some(e) if e == value => (Check::Matches, None, "Matches".to_owned()),
        Some(e) => (
            Check::Differs,
            Some(e.clone()),
            format!("Differs: expected {e}"),
        ),
        None => (Check::Unknown, None, format!("Not checked: {missing}")),
    };
    Segment {
        label: label.to_owned(),
        text: text.to_owned(),
        value: value.to_owned(),
        meaning,
        check,
        expected,
        check_word,
    }
}

/// A name checked against the context's name ignoring case (organization names): when they
/// differ only in case it matches, and nothing is expected in another spelling.
fn name_checked(
    label: &str,
    text: &str,
    value: &str,
    meaning: String,
    expected: Option<String>,
    missing: &str,
) -> Segment {
    let expected = expected.map(|e| {
        if same_name(&e, value) {
            value.to_owned()
        } else {
            e
        }
    });
    checked(label, text, value, meaning, expected, missing)
}

/// A fixed part of the format, present as it must be.
fn marker(label: &str, text: &str, value: &str, meaning: String) -> Segment {
    checked(label, text, value, meaning, Some(value.to_owned()), "")
}

/// A GUID segment checked against the context's GUID (`unknown` when absent or not a GUID).
fn guid_checked(
    label: &str,
    text: &str,
    value: &str,
    meaning: String,
    expected: Option<&str>,
    missing: &str,
) -> Segment {
    checked(
        label,
        text,
        value,
        meaning,
        expected.and_then(normalize_guid),
        missing,
    )
}

/// A subject taken apart. Fields that the format does not carry are `None` (`null` in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DecodedSubject {
    /// `azureDevOps` for `sc://`, `entra` for `/eid1/`, `unknown` for anything else
    /// ([`explain_subject`] only).
    pub format: Format,
    /// The format in words: `Entra issuer format (/eid1/)`.
    #[serde(default)]
    pub format_word: String,
    /// The subject segment by segment, in order: only the segments of its format.
    #[serde(default)]
    pub segments: Vec<Segment>,
    pub organization_name: Option<String>,
    pub project_name: Option<String>,
    pub connection_name: Option<String>,
    /// Entra: the cloud segment (`pub` = public cloud).
    pub cloud: Option<String>,
    pub tenant_id: Option<String>,
    pub application_id: Option<String>,
    pub organization_id: Option<String>,
    pub connection_id: Option<String>,
}

impl DecodedSubject {
    fn empty(format: Format) -> Self {
        Self {
            format,
            format_word: format.subject_word().to_owned(),
            segments: Vec::new(),
            organization_name: None,
            project_name: None,
            connection_name: None,
            cloud: None,
            tenant_id: None,
            application_id: None,
            organization_id: None,
            connection_id: None,
        }
    }
}

/// Takes a subject apart; a malformed one gives [`Error::Subject`] naming the bad segment.
///
/// ```
/// use federate_core::federation::decode_subject;
/// let d = decode_subject("sc://fabrikam/Web/prod-arm").unwrap();
/// assert_eq!(d.project_name.as_deref(), Some("Web"));
/// let e = decode_subject("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176").unwrap();
/// assert_eq!(e.tenant_id.as_deref(), Some("ff882432-09b0-437b-bd22-ca13c0037ded"));
/// assert!(decode_subject("/eid1/c/pub/t/short/a/x/sc/y/z").unwrap_err().to_string().contains("tenant"));
/// ```
pub fn decode_subject(subject: &str) -> Result<DecodedSubject, Error> {
    decode_checked(subject, &SubjectContext::default())
}

/// Explains a subject segment by segment, each segment checked against `ctx`.
///
/// Both formats are taken apart (a malformed one is an [`Error::Subject`] naming the bad
/// segment, as [`decode_subject`]); any other text is the `unknown` format with one
/// segment, the whole subject, unchecked.
///
/// ```
/// use federate_core::federation::{explain_subject, Check, Format, SubjectContext};
/// let ctx = SubjectContext { organization_id: Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6".into()), ..Default::default() };
/// let d = explain_subject("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176", &ctx).unwrap();
/// let org = d.segments.iter().find(|s| s.label == "Organization id").unwrap();
/// assert_eq!(org.check, Check::Matches);
/// let other = explain_subject("repo:octo/app:ref:refs/heads/main", &ctx).unwrap();
/// assert_eq!((other.format, other.segments.len()), (Format::Unknown, 1));
/// ```
pub fn explain_subject(subject: &str, ctx: &SubjectContext) -> Result<DecodedSubject, Error> {
    let s = subject.trim();
    if s.is_empty() {
        return Err(Error::Subject("the subject is empty".into()));
    }
    if s.starts_with("sc://") || s.starts_with("/eid1/") || s == "/eid1" {
        return decode_checked(s, ctx);
    }
    let mut d = DecodedSubject::empty(Format::Unknown);
    d.segments.push(checked(
        "Subject",
        s,
        s,
        "Not a subject Azure DevOps issues for a service connection: it is neither sc://{organization}/{project}/{connection} (Azure DevOps issuer) nor /eid1/c/pub/t/{tenant}/a/{application}/sc/{organization id}/{connection id} (Entra issuer).".into(),
        None,
        "not an Azure DevOps service connection subject",
    ));
    Ok(d)
}

fn decode_checked(subject: &str, ctx: &SubjectContext) -> Result<DecodedSubject, Error> {
    let s = subject.trim();
    if let Some(rest) = s.strip_prefix("sc://") {
        return decode_classic(rest, ctx);
    }
    if s.starts_with("/eid1/") || s == "/eid1" {
        return decode_entra(s, ctx);
    }
    Err(Error::Subject(format!(
        "{s:?} is neither sc://{{organization}}/{{project}}/{{connection}} nor /eid1/c/pub/t/{{tenant}}/a/{{app}}/sc/{{organizationId}}/{{connectionId}}"
    )))
}

fn decode_classic(rest: &str, ctx: &SubjectContext) -> Result<DecodedSubject, Error> {
    let mut parts = rest.splitn(3, '/');
    let mut next = |what: &str| -> Result<String, Error> {
        match parts.next() {
            Some(p) if !p.is_empty() => Ok(p.to_owned()),
            _ => Err(Error::Subject(format!(
                "sc:// subject: the {what} segment is missing or empty"
            ))),
        }
    };
    let org = next("organization")?;
    let project = next("project")?;
    let name = next("connection name")?;
    let mut d = DecodedSubject::empty(Format::AzureDevOps);
    d.segments = vec![
        marker(
            "Format marker",
            "sc://",
            "sc",
            "Format marker: a subject of the Azure DevOps issuer, sc://{organization}/{project}/{connection}, made of names (a rename breaks it).".into(),
        ),
        name_checked(
            "Organization name",
            &org,
            &org,
            "Organization name: must be this organization's current name (in any case: organization names are case-insensitive); renaming the organization breaks this subject.".into(),
            given(ctx.organization_name.as_ref()).map(str::to_owned),
            "no organization name given",
        ),
        checked(
            "Project name",
            &project,
            &project,
            "Project name: must be the connection's home project (the first it was created in, also when shared); renaming the project breaks this subject.".into(),
            given(ctx.project_name.as_ref()).map(str::to_owned),
            "no project name given",
        ),
        checked(
            "Connection name",
            &name,
            &name,
            "Connection name: must be the connection's name in its home project; renaming the connection breaks this subject.".into(),
            given(ctx.connection_name.as_ref()).map(str::to_owned),
            "no connection name given",
        ),
    ];
    d.organization_name = Some(org);
    d.project_name = Some(project);
    d.connection_name = Some(name);
    Ok(d)
}

#[allow(clippy::too_many_lines)] // one segment after another, in the subject's order
fn decode_entra(s: &str, ctx: &SubjectContext) -> Result<DecodedSubject, Error> {
    let parts: Vec<&str> = s.split('/').skip(1).collect();
    let expect_key = |i: usize, key: &str| -> Result<(), Error> {
        match parts.get(i) {
            Some(p) if *p == key => Ok(()),
            Some(p) => Err(Error::Subject(format!(
                "/eid1 subject: segment {} should be {key:?}, found {p:?}",
                i + 1
            ))),
            None => Err(Error::Subject(format!(
                "/eid1 subject: ends before the {key:?} segment"
            ))),
        }
    };
    let value = |i: usize, what: &str| -> Result<&str, Error> {
        match parts.get(i) {
            Some(p) if !p.is_empty() => Ok(*p),
            _ => Err(Error::Subject(format!(
                "/eid1 subject: the {what} segment is missing or empty"
            ))),
        }
    };
    expect_key(0, "eid1")?;
    expect_key(1, "c")?;
    let cloud = value(2, "cloud (c)")?;
    expect_key(3, "t")?;
    let tenant_text = value(4, "tenant (t)")?;
    let tenant = decode_guid(tenant_text)
        .map_err(|e| Error::Subject(format!("/eid1 subject: the tenant (t) segment: {e}")))?;
    expect_key(5, "a")?;
    let app_text = value(6, "application (a)")?;
    let app = decode_guid(app_text)
        .map_err(|e| Error::Subject(format!("/eid1 subject: the application (a) segment: {e}")))?;
    match parts.get(7) {
        Some(&"sc") => {}
        Some(other) => {
            return Err(Error::Subject(format!(
                "/eid1 subject: segment 8 should be \"sc\" (an Azure DevOps service connection), found {other:?}: a subject of another product"
            )));
        }
        None => {
            return Err(Error::Subject(
                "/eid1 subject: ends before the \"sc\" segment".into(),
            ));
        }
    }
    let guid_at = |i: usize, what: &str| -> Result<(&str, String), Error> {
        let v = value(i, what)?;
        let id = normalize_guid(v).ok_or_else(|| {
            Error::Subject(format!(
                "/eid1 subject: the {what} segment {v:?} is not a GUID"
            ))
        })?;
        Ok((v, id))
    };
    let (org_text, org_id) = guid_at(8, "organization id (sc/…)")?;
    let (conn_text, conn_id) = guid_at(9, "connection id (sc/…/…)")?;
    if parts.len() > 10 {
        return Err(Error::Subject(format!(
            "/eid1 subject: unexpected segments after the connection id: {:?}",
            parts[10..].join("/")
        )));
    }
    let mut d = DecodedSubject::empty(Format::Entra);
    d.segments = vec![
        marker(
            "Format marker",
            "/eid1",
            "eid1",
            "Format marker: a subject of the Microsoft Entra issuer, made of ids only (renames keep it).".into(),
        ),
        if cloud == "pub" {
            marker(
                "Cloud",
                &format!("c/{cloud}"),
                cloud,
                "Cloud: pub, the public Azure cloud.".into(),
            )
        } else {
            checked(
                "Cloud",
                &format!("c/{cloud}"),
                cloud,
                format!(
                    "Cloud: {cloud}; only pub (the public Azure cloud) has been seen in Azure DevOps subjects."
                ),
                None,
                "only pub is known",
            )
        },
        tenant_segment(&format!("t/{tenant_text}"), &tenant, ctx),
        if app == AZURE_DEVOPS_APP_ID {
            marker(
                "Application",
                &format!("a/{app_text}"),
                &app,
                format!(
                    "The Azure DevOps application ({AZURE_DEVOPS_APP_ID}): this is a service connection subject."
                ),
            )
        } else {
            checked(
                "Application",
                &format!("a/{app_text}"),
                &app,
                format!(
                    "Application {app}: not the Azure DevOps application ({AZURE_DEVOPS_APP_ID}), so Azure DevOps did not issue this subject."
                ),
                Some(AZURE_DEVOPS_APP_ID.to_owned()),
                "",
            )
        },
        marker(
            "Service connection",
            "sc",
            "sc",
            "Service connection: the token is for an Azure DevOps service connection.".into(),
        ),
        guid_checked(
            "Organization id",
            org_text,
            &org_id,
            "Organization id: must be this organization's id (connectionData instanceId, the same in the Azure DevOps issuer); renames keep it.".into(),
            given(ctx.organization_id.as_ref()),
            "no organization id given",
        ),
        guid_checked(
            "Connection id",
            conn_text,
            &conn_id,
            "Connection id: must be this service connection's id; deleting and re-creating the connection changes it, renaming keeps it.".into(),
            given(ctx.connection_id.as_ref()),
            "no connection id given",
        ),
    ];
    d.cloud = Some(cloud.to_owned());
    d.tenant_id = Some(tenant);
    d.application_id = Some(app);
    d.organization_id = Some(org_id);
    d.connection_id = Some(conn_id);
    Ok(d)
}

/// An Entra subject's tenant segment: it must be the Entra issuer's tenant (ado-facts §8.3);
/// without an Entra issuer it is compared with the connection's `tenantid`, and says so.
fn tenant_segment(text: &str, tenant: &str, ctx: &SubjectContext) -> Segment {
    let head = format!(
        "Tenant that issues the token: {tenant} (the identity's tenant), base64url of its little-endian bytes; it must be the issuer's tenant"
    );
    let (meaning, expected, missing) = match (
        given(ctx.issuer_tenant_id.as_ref()),
        given(ctx.tenant_id.as_ref()),
    ) {
        (Some(t), _) => (
            format!("{head}: compared with the Entra issuer's tenant."),
            Some(t),
            "",
        ),
        (None, Some(t)) => (
            format!(
                "{head}; there is no Entra issuer to compare with, so it is compared with the connection's tenant id (tenantid)."
            ),
            Some(t),
            "",
        ),
        (None, None) => (
            format!("{head}."),
            None,
            "no issuer tenant or tenant id given",
        ),
    };
    guid_checked("Tenant", text, tenant, meaning, expected, missing)
}

/// What an issuer says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IssuerInfo {
    pub format: Format,
    /// The Azure DevOps issuer's organization id.
    pub organization_id: Option<String>,
    /// The Entra issuer's tenant id.
    pub tenant_id: Option<String>,
}

/// Recognises an issuer: Azure DevOps, Entra, preview, or unknown. Never fails.
///
/// ```
/// use federate_core::federation::{issuer_info, Format};
/// assert_eq!(issuer_info("https://login.microsoftonline.com/ff882432-09b0-437b-bd22-ca13c0037ded/v2.0").format, Format::Entra);
/// assert_eq!(issuer_info("https://app.vstoken.visualstudio.com").format, Format::Preview);
/// ```
pub fn issuer_info(issuer: &str) -> IssuerInfo {
    let i = issuer.trim();
    let lower = i.to_ascii_lowercase();
    let mut info = IssuerInfo {
        format: Format::Unknown,
        organization_id: None,
        tenant_id: None,
    };
    if let Some(rest) = lower.strip_prefix(ADO_ISSUER_PREFIX) {
        if let Some(id) = normalize_guid(rest.trim_end_matches('/')) {
            info.format = Format::AzureDevOps;
            info.organization_id = Some(id);
        }
    } else if let Some(rest) = lower.strip_prefix(ENTRA_ISSUER_PREFIX) {
        if let Some(t) = rest.trim_end_matches('/').strip_suffix("/v2.0") {
            if let Some(id) = normalize_guid(t) {
                info.format = Format::Entra;
                info.tenant_id = Some(id);
            }
        }
    } else if lower == PREVIEW_ISSUER
        || lower
            .strip_prefix(PREVIEW_ISSUER)
            .is_some_and(|r| r.starts_with('/'))
    {
        info.format = Format::Preview;
    }
    info
}

/// An issuer explained: its format, what it names, when it retires, segment by segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DecodedIssuer {
    pub format: Format,
    /// The format in words (`Azure DevOps issuer`, `Entra issuer`, ...).
    pub format_word: String,
    /// The Azure DevOps issuer's organization id.
    pub organization_id: Option<String>,
    /// The Entra issuer's tenant id.
    pub tenant_id: Option<String>,
    /// When this issuer stops working (ISO 8601), if a date is announced: the Azure DevOps
    /// issuer retires on 2027-07-01 (public cloud; `None` in a sovereign cloud, exempt).
    pub retires: Option<String>,
    /// The issuer segment by segment, in order: only the segments of its format.
    pub segments: Vec<Segment>,
}

/// Explains an issuer segment by segment, each segment checked against `ctx`. Never fails:
/// an issuer of no known format is one `unknown` segment.
///
/// ```
/// use federate_core::federation::{explain_issuer, Format, SubjectContext};
/// let i = explain_issuer("https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6", &SubjectContext::default());
/// assert_eq!(i.format, Format::AzureDevOps);
/// assert_eq!(i.retires.as_deref(), Some("2027-07-01"));
/// assert_eq!(i.segments.len(), 2);
/// ```
pub fn explain_issuer(issuer: &str, ctx: &SubjectContext) -> DecodedIssuer {
    let text = issuer.trim();
    let info = issuer_info(text);
    let mut out = DecodedIssuer {
        format: info.format,
        format_word: info.format.word().to_owned(),
        organization_id: info.organization_id.clone(),
        tenant_id: info.tenant_id.clone(),
        retires: None,
        segments: Vec::new(),
    };
    // Prefixes are ASCII and `issuer_info` compared a lowercase copy of the same length, so
    // these byte positions fall on character boundaries; `get` keeps it panic-free anyway.
    let after = |prefix: &str| text.get(prefix.len()..).unwrap_or("");
    match (info.format, &info.organization_id, &info.tenant_id) {
        (Format::AzureDevOps, Some(org), _) => {
            let sovereign = sovereign_environment(ctx.environment.as_deref());
            out.retires = if sovereign.is_some() {
                None
            } else {
                ADO_ISSUER_RETIREMENT.get(..10).map(str::to_owned)
            };
            let meaning = match sovereign {
                Some(env) => format!(
                    "The Azure DevOps issuer: Azure DevOps signs the token. Exempt from the retirement: this connection is in {env}, a sovereign cloud, outside the migration (the 2027-07-01 retirement is for public-cloud connections), and the Entra issuer is not available there, so it keeps this issuer."
                ),
                None => "The Azure DevOps issuer: Azure DevOps signs the token. Deprecated since 2026-07-01, it retires on 2027-07-01 for public-cloud single-tenant apps and managed identities: switch to the Entra issuer before then.".into(),
            };
            out.segments = vec![
                marker(
                    "Issuer",
                    text.get(..ADO_ISSUER_PREFIX.len() - 1).unwrap_or(text),
                    "Azure DevOps",
                    meaning,
                ),
                guid_checked(
                    "Organization id",
                    after(ADO_ISSUER_PREFIX).trim_end_matches('/'),
                    org,
                    "Organization id: must be this organization's id (connectionData instanceId); one issuer per organization.".into(),
                    given(ctx.organization_id.as_ref()),
                    "no organization id given",
                ),
            ];
        }
        (Format::Entra, _, Some(tenant)) => {
            let rest = after(ENTRA_ISSUER_PREFIX).trim_end_matches('/');
            let split = rest.len().saturating_sub("/v2.0".len());
            out.segments = vec![
                marker(
                    "Issuer",
                    text.get(..ENTRA_ISSUER_PREFIX.len() - 1).unwrap_or(text),
                    "Microsoft Entra ID",
                    "The Microsoft Entra issuer: Entra signs the token for Azure DevOps. The current issuer, no retirement announced; not available in sovereign clouds.".into(),
                ),
                guid_checked(
                    "Tenant",
                    rest.get(..split).unwrap_or(rest),
                    tenant,
                    format!("Tenant that issues the token: {tenant} (the identity's tenant)."),
                    given(ctx.tenant_id.as_ref()),
                    "no tenant id given",
                ),
                marker(
                    "Version",
                    rest.get(split + 1..).unwrap_or("v2.0"),
                    "v2.0",
                    "Token endpoint version 2.0.".into(),
                ),
            ];
        }
        (Format::Preview, _, _) => {
            let current = given(ctx.tenant_id.as_ref())
                .and_then(normalize_guid)
                .map(|t| format!("{ENTRA_ISSUER_PREFIX}{t}/v2.0"));
            out.segments = vec![checked(
                "Issuer",
                text,
                text,
                "The preview-era Azure DevOps issuer, used until about August 2023 and no longer issued: save the connection again (or update it) so Azure DevOps assigns a current issuer, and fix the federated credential to match.".into(),
                current,
                "no tenant id given to name the current issuer",
            )];
        }
        _ => {
            out.segments = vec![checked(
                "Issuer",
                text,
                text,
                "Not an issuer Azure DevOps uses: neither https://vstoken.dev.azure.com/{organization id} (Azure DevOps issuer) nor https://login.microsoftonline.com/{tenant id}/v2.0 (Entra issuer).".into(),
                None,
                "not an Azure DevOps issuer",
            )];
        }
    }
    out
}

/// An issuer and subject pair; `None` where the inputs to build it are missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IssuerSubject {
    pub issuer: Option<String>,
    pub subject: Option<String>,
}

/// What a connection's federation should be, for its organization, project and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ExpectedFederation {
    pub audience: String,
    /// Classic: needs the organization id (issuer), organization, project and connection names (subject).
    pub azure_dev_ops: IssuerSubject,
    /// Entra: `None` when the connection has no tenant id (not an Azure identity).
    pub entra: Option<IssuerSubject>,
    /// Inputs that were missing, e.g. `context.organizationId`.
    pub missing: Vec<String>,
}

/// The organization id: from the context, else from what the connection already carries
/// (an organization id never changes, unlike names).
fn organization_id(ep: &Endpoint, ctx: &Context) -> Option<String> {
    if let Some(id) = ctx.organization_id.as_deref().and_then(normalize_guid) {
        return Some(id);
    }
    let issuer = ep.param("workloadIdentityFederationIssuer");
    if let Some(id) = issuer
        .as_deref()
        .and_then(|i| issuer_info(i).organization_id)
    {
        return Some(id);
    }
    ep.param("workloadIdentityFederationSubject")
        .and_then(|s| decode_subject(&s).ok())
        .and_then(|d| d.organization_id)
}

/// The connection's name in its home project (reference 0), else its `name`.
pub fn home_connection_name(ep: &Endpoint) -> Option<String> {
    ep.home_project()
        .and_then(|r| r.name)
        .filter(|n| !n.is_empty())
        .or_else(|| ep.name().map(str::to_owned))
}

/// Builds the expected issuer and subject in both formats.
///
/// Organization name and id come from `context`; the id falls back to the one the connection
/// already carries. Project and connection names are those of the home project (reference 0),
/// also for shared connections. The Entra tenant is `authorization.parameters.tenantid`.
pub fn expected_federation(ep: &Endpoint, ctx: &Context) -> ExpectedFederation {
    let mut missing = Vec::new();
    let org_id = organization_id(ep, ctx);
    if org_id.is_none() {
        missing.push("context.organizationId".to_owned());
    }
    // Names are case-insensitive, but Entra compares subjects case-sensitively: when the
    // stored subject names this organization in another case, keep its spelling.
    let subject_org = ep
        .param("workloadIdentityFederationSubject")
        .and_then(|s| decode_subject(&s).ok())
        .and_then(|d| d.organization_name);
    let org_name =
        ctx.organization_name
            .clone()
            .filter(|s| !s.is_empty())
            .map(|o| match subject_org {
                Some(s) if same_name(&s, &o) => s,
                _ => o,
            });
    if org_name.is_none() {
        missing.push("context.organizationName".to_owned());
    }
    let project = ep
        .home_project()
        .and_then(|r| r.project_name)
        .filter(|s| !s.is_empty());
    if project.is_none() {
        missing.push("serviceEndpointProjectReferences[0].projectReference.name".to_owned());
    }
    let name = home_connection_name(ep);
    if name.is_none() {
        missing.push("name".to_owned());
    }
    let classic_subject = match (&org_name, &project, &name) {
        (Some(o), Some(p), Some(n)) => Some(format!("sc://{o}/{p}/{n}")),
        _ => None,
    };
    let azure_dev_ops = IssuerSubject {
        issuer: org_id.as_ref().map(|id| format!("{ADO_ISSUER_PREFIX}{id}")),
        subject: classic_subject,
    };
    let tenant = ep.param("tenantid").and_then(|t| normalize_guid(&t));
    let conn_id = ep.id().and_then(normalize_guid);
    if conn_id.is_none() {
        missing.push("id".to_owned());
    }
    let entra = tenant.map(|t| {
        let subject = match (
            &org_id,
            &conn_id,
            encode_guid(&t),
            encode_guid(AZURE_DEVOPS_APP_ID),
        ) {
            (Some(o), Some(c), Ok(te), Ok(ae)) => {
                Some(format!("/eid1/c/pub/t/{te}/a/{ae}/sc/{o}/{c}"))
            }
            _ => None,
        };
        IssuerSubject {
            issuer: Some(format!("{ENTRA_ISSUER_PREFIX}{t}/v2.0")),
            subject,
        }
    });
    if entra.is_none() && ep.param("tenantid").is_none() {
        missing.push("authorization.parameters.tenantid".to_owned());
    }
    ExpectedFederation {
        audience: AUDIENCE.to_owned(),
        azure_dev_ops,
        entra,
        missing,
    }
}

/// A finding about a connection's federation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// Stable code, e.g. `subjectRenamed`, `issuerRetiring`, `tenantMismatch`.
    pub code: String,
    pub message: String,
}

fn warn(out: &mut Vec<Warning>, code: &str, message: String) {
    out.push(Warning {
        code: code.to_owned(),
        message,
    });
}

/// The identity that must hold the federated credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `serviceprincipalid`: the client (application) id.
    pub application_id: Option<String>,
    /// `tenantid`.
    pub tenant_id: Option<String>,
}

/// The explanation of a federated (or draft) connection's issuer and subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Federation {
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub audience: String,
    pub format: Format,
    /// The format in words, as a table's Issuer format column says it.
    #[serde(default)]
    pub format_word: String,
    /// `workloadIdentityFederationIssuerType` as stored (e.g. `EntraID`).
    pub issuer_type: Option<String>,
    pub identity: Identity,
    /// The issuer segment by segment, checked against the connection; `None` when absent.
    #[serde(default)]
    pub issuer_decoded: Option<DecodedIssuer>,
    /// The subject segment by segment, checked against the connection; `None` when absent or
    /// malformed (then a warning says why). A subject of no known format is one segment.
    pub decoded: Option<DecodedSubject>,
    pub expected: Option<ExpectedFederation>,
    /// The expected issuer and subject in the format the connection uses now (its issuer's,
    /// else its subject's), and whether what it carries differs: what a details view shows as
    /// "Expected issuer" / "Expected subject". `None` for the preview or an unknown format.
    #[serde(default)]
    pub expected_now: Option<ExpectedNow>,
    pub warnings: Vec<Warning>,
}

/// The expected issuer and subject in the connection's current format, compared with what it
/// carries (an issuer ignoring case; a subject exactly, as Entra compares it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ExpectedNow {
    /// The format compared: `azureDevOps` or `entra`.
    pub format: Format,
    /// The issuer it should carry; `None` when inputs are missing (see `expected.missing`).
    pub issuer: Option<String>,
    /// The subject it should carry; `None` when inputs are missing.
    pub subject: Option<String>,
    /// True when an issuer is expected and the connection carries another (or none).
    pub issuer_differs: bool,
    /// True when a subject is expected and the connection carries another (or none).
    pub subject_differs: bool,
}

impl ExpectedNow {
    fn of(
        format: Format,
        expected: &ExpectedFederation,
        issuer: Option<&str>,
        subject: Option<&str>,
    ) -> Option<Self> {
        let pair = match format {
            Format::AzureDevOps => expected.azure_dev_ops.clone(),
            Format::Entra => expected.entra.clone()?,
            Format::Preview | Format::Unknown => return None,
        };
        let issuer_differs = pair
            .issuer
            .as_deref()
            .is_some_and(|e| issuer.is_none_or(|i| !i.trim().eq_ignore_ascii_case(e.trim())));
        let subject_differs = pair
            .subject
            .as_deref()
            .is_some_and(|e| subject.is_none_or(|s| s.trim() != e.trim()));
        Some(Self {
            format,
            issuer: pair.issuer,
            subject: pair.subject,
            issuer_differs,
            subject_differs,
        })
    }
}

/// The sovereign cloud a connection is in (`data.environment` other than `AzureCloud`), if any:
/// outside the Azure DevOps issuer's retirement, and the Entra issuer fails there (ado-facts §8.6).
pub(crate) fn is_sovereign(ep: &Endpoint) -> Option<String> {
    sovereign_environment(ep.data("environment").as_deref()).map(str::to_owned)
}

/// Explains a connection's federation and checks it against what it should be.
///
/// Warnings: `missingIssuer`, `missingSubject`, `subjectMalformed`, `subjectRenamed`,
/// `issuerRetiring` / `issuerRetired` / `issuerRetirementExempt` (sovereign clouds), `previewIssuer`, `unknownIssuer`,
/// `issuerSubjectMismatch`, `tenantMismatch`, `organizationMismatch`, `connectionIdMismatch`,
/// `notAzureDevOpsApp`, `sovereignCloud`.
#[allow(clippy::too_many_lines)] // one check after another; splitting would scatter the rules
pub fn explain_federation(ep: &Endpoint, ctx: &Context) -> Federation {
    let issuer = ep
        .param("workloadIdentityFederationIssuer")
        .filter(|s| !s.is_empty());
    let subject = ep
        .param("workloadIdentityFederationSubject")
        .filter(|s| !s.is_empty());
    let tenant_param = ep.param("tenantid").filter(|s| !s.is_empty());
    let mut warnings = Vec::new();
    let info = issuer.as_deref().map(issuer_info);
    let checks = SubjectContext::for_endpoint(ep, ctx);
    let decoded = match subject.as_deref().map(|s| explain_subject(s, &checks)) {
        Some(Ok(d)) => {
            if d.format == Format::Unknown {
                if let Some(Err(e)) = subject.as_deref().map(decode_subject) {
                    warn(&mut warnings, "subjectMalformed", e.to_string());
                }
            }
            Some(d)
        }
        Some(Err(e)) => {
            warn(&mut warnings, "subjectMalformed", e.to_string());
            None
        }
        None => None,
    };
    let issuer_decoded = issuer.as_deref().map(|i| explain_issuer(i, &checks));
    let format = match (&info, &decoded) {
        (Some(i), _) if i.format != Format::Unknown => i.format,
        (_, Some(d)) => d.format,
        _ => Format::Unknown,
    };
    let expected = expected_federation(ep, ctx);

    if issuer.is_none() {
        warn(&mut warnings, "missingIssuer", "The connection carries no issuer yet (workloadIdentityFederationIssuer is empty); Azure DevOps sets it when the connection is saved or converted.".into());
    }
    if subject.is_none() {
        warn(
            &mut warnings,
            "missingSubject",
            "The connection carries no subject yet (workloadIdentityFederationSubject is empty)."
                .into(),
        );
    }
    if let (Some(iss), Some(i)) = (&issuer, &info) {
        if i.format == Format::Unknown {
            warn(
                &mut warnings,
                "unknownIssuer",
                format!(
                    "The issuer {iss} is neither the Azure DevOps issuer (https://vstoken.dev.azure.com/{{organizationId}}) nor the Entra issuer (https://login.microsoftonline.com/{{tenantId}}/v2.0)."
                ),
            );
        }
        if i.format == Format::Preview {
            warn(
                &mut warnings,
                "previewIssuer",
                format!(
                    "The issuer {iss} is the preview-era issuer, no longer used: save the connection again (or update it) so Azure DevOps assigns a current issuer, and fix the federated credential to match."
                ),
            );
        }
        if i.format == Format::AzureDevOps {
            retirement_warning(&mut warnings, ep, ctx);
        }
    }
    if let (Some(i), Some(d)) = (&info, &decoded) {
        let mismatch = matches!(
            (i.format, d.format),
            (Format::AzureDevOps | Format::Preview, Format::Entra)
                | (Format::Entra, Format::AzureDevOps)
        );
        if mismatch {
            warn(
                &mut warnings,
                "issuerSubjectMismatch",
                format!(
                    "The issuer is in the {} format but the subject is in the {} format; Azure DevOps pairs the Azure DevOps issuer with an sc:// subject and the Entra issuer with an /eid1/ subject.",
                    format_name(i.format),
                    format_name(d.format)
                ),
            );
        }
    }
    // Tenants: issuer tenant, subject tenant and tenantid must agree.
    let norm_tenant = tenant_param.as_deref().and_then(normalize_guid);
    if let Some(it) = info.as_ref().and_then(|i| i.tenant_id.clone()) {
        if let Some(pt) = &norm_tenant {
            if &it != pt {
                warn(
                    &mut warnings,
                    "tenantMismatch",
                    format!(
                        "The Entra issuer names tenant {it} but the connection's tenantid is {pt}."
                    ),
                );
            }
        }
        if let Some(st) = decoded.as_ref().and_then(|d| d.tenant_id.clone()) {
            if st != it {
                warn(
                    &mut warnings,
                    "tenantMismatch",
                    format!(
                        "The subject's tenant segment decodes to {st} but the issuer names tenant {it}."
                    ),
                );
            }
        }
    } else if let (Some(st), Some(pt)) = (
        decoded.as_ref().and_then(|d| d.tenant_id.clone()),
        &norm_tenant,
    ) {
        if &st != pt {
            warn(
                &mut warnings,
                "tenantMismatch",
                format!(
                    "The subject's tenant segment decodes to {st} but the connection's tenantid is {pt}."
                ),
            );
        }
    }
    // Organization id: issuer, subject and context.
    let ctx_org = ctx.organization_id.as_deref().and_then(normalize_guid);
    let carried_org = info
        .as_ref()
        .and_then(|i| i.organization_id.clone())
        .or_else(|| decoded.as_ref().and_then(|d| d.organization_id.clone()));
    if let (Some(c), Some(o)) = (&ctx_org, &carried_org) {
        if c != o {
            warn(
                &mut warnings,
                "organizationMismatch",
                format!(
                    "The federation names organization id {o}, but this organization's id is {c}: the connection was copied from another organization, or the organization id in the context is wrong."
                ),
            );
        }
    }
    if let Some(d) = &decoded {
        if d.format == Format::Entra {
            if let (Some(sc), Some(id)) = (&d.connection_id, ep.id().and_then(normalize_guid)) {
                if sc != &id {
                    warn(
                        &mut warnings,
                        "connectionIdMismatch",
                        format!(
                            "The subject names connection {sc} but this connection's id is {id}: it was re-created or copied, so tokens carry a different subject."
                        ),
                    );
                }
            }
            if d.application_id.as_deref() != Some(AZURE_DEVOPS_APP_ID) {
                warn(
                    &mut warnings,
                    "notAzureDevOpsApp",
                    format!(
                        "The subject's application segment decodes to {}, not the Azure DevOps application {AZURE_DEVOPS_APP_ID}.",
                        d.application_id.as_deref().unwrap_or("?")
                    ),
                );
            }
            if d.cloud.as_deref() != Some("pub") {
                warn(
                    &mut warnings,
                    "unknownCloud",
                    format!(
                        "The subject's cloud segment is {:?}; only \"pub\" (public cloud) has been seen.",
                        d.cloud.as_deref().unwrap_or("")
                    ),
                );
            }
        }
        if d.format == Format::AzureDevOps {
            renamed_warning(&mut warnings, d, ep, ctx, &expected);
        }
    }
    if format == Format::Entra {
        if let Some(env) = is_sovereign(ep) {
            warn(
                &mut warnings,
                "sovereignCloud",
                format!(
                    "The Entra issuer is not supported in sovereign clouds (environment {env}); tokens fail with AADSTS900382. Keep the Azure DevOps issuer there."
                ),
            );
        }
    }
    let expected_now = ExpectedNow::of(format, &expected, issuer.as_deref(), subject.as_deref());
    Federation {
        issuer,
        subject,
        audience: AUDIENCE.to_owned(),
        format,
        format_word: format.word().to_owned(),
        issuer_type: ep
            .param("workloadIdentityFederationIssuerType")
            .filter(|s| !s.is_empty()),
        identity: Identity {
            application_id: ep.param("serviceprincipalid").filter(|s| !s.is_empty()),
            tenant_id: tenant_param,
        },
        issuer_decoded,
        decoded,
        expected_now,
        expected: Some(expected),
        warnings,
    }
}

impl Format {
    /// A subject's format in words: `Azure DevOps issuer format (sc://)`, `Entra issuer format (/eid1/)`, `Unknown format`.
    pub fn subject_word(self) -> &'static str {
        match self {
            Format::AzureDevOps => "Azure DevOps issuer format (sc://)",
            Format::Entra => "Entra issuer format (/eid1/)",
            Format::Preview => "Preview issuer format",
            Format::Unknown => "Unknown format",
        }
    }

    /// The format in words: `Azure DevOps issuer`, `Entra issuer`, `Preview issuer`, `Unknown issuer`.
    pub fn word(self) -> &'static str {
        match self {
            Format::AzureDevOps => "Azure DevOps issuer",
            Format::Entra => "Entra issuer",
            Format::Preview => "Preview issuer",
            Format::Unknown => "Unknown issuer",
        }
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::AzureDevOps => "Azure DevOps",
        Format::Entra => "Entra",
        Format::Preview => "preview",
        Format::Unknown => "unknown",
    }
}

fn retirement_warning(warnings: &mut Vec<Warning>, ep: &Endpoint, ctx: &Context) {
    if let Some(env) = is_sovereign(ep) {
        warn(
            warnings,
            "issuerRetirementExempt",
            format!(
                "The Azure DevOps issuer retires on 2027-07-01 for public-cloud connections; this one is in {env}, outside the migration, so it keeps working."
            ),
        );
        return;
    }
    let now = ctx.now.as_deref().and_then(|n| parse_iso_time(n).ok());
    let retire = parse_iso_time(ADO_ISSUER_RETIREMENT).ok();
    match (now, retire) {
        (Some(now), Some(retire)) => {
            let days = days_until(now, retire);
            if days > 0 {
                warn(warnings, "issuerRetiring", format!("The Azure DevOps issuer retires on 2027-07-01 ({days} days left): switch this connection to the Entra issuer (Update in Azure DevOps) and give its identity a federated credential for the new issuer and subject."));
            } else {
                warn(warnings, "issuerRetired", "The Azure DevOps issuer was retired on 2027-07-01: tokens with this issuer no longer work for public-cloud single-tenant apps and managed identities. Switch to the Entra issuer.".into());
            }
        }
        _ => warn(warnings, "issuerRetiring", "The Azure DevOps issuer retires on 2027-07-01: switch this connection to the Entra issuer (Update in Azure DevOps) and give its identity a federated credential for the new issuer and subject.".into()),
    }
}

fn renamed_warning(
    warnings: &mut Vec<Warning>,
    d: &DecodedSubject,
    ep: &Endpoint,
    ctx: &Context,
    expected: &ExpectedFederation,
) {
    let now_org = ctx.organization_name.clone().filter(|s| !s.is_empty());
    let now_project = ep
        .home_project()
        .and_then(|r| r.project_name)
        .filter(|s| !s.is_empty());
    let now_name = home_connection_name(ep);
    let mut changed = Vec::new();
    let pairs = [
        ("organization", &d.organization_name, &now_org),
        ("project", &d.project_name, &now_project),
        ("connection", &d.connection_name, &now_name),
    ];
    for (what, had, now) in pairs {
        if let (Some(h), Some(n)) = (had, now) {
            let same = if what == "organization" {
                same_name(h, n)
            } else {
                h == n
            };
            if !same {
                changed.push(format!("{what} {h:?} is now {n:?}"));
            }
        }
    }
    if !changed.is_empty() {
        warn(
            warnings,
            "subjectRenamed",
            format!(
                "The sc:// subject no longer matches the current names ({}): a rename breaks it. Update the federated credential's subject to {} (saving an automatic connection does this), or switch to the Entra issuer, whose subject uses ids only.",
                changed.join(", "),
                expected
                    .azure_dev_ops
                    .subject
                    .as_deref()
                    .unwrap_or("the new sc:// subject")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn documented_guids() {
        for (enc, guid) in [
            (
                "MiSI_7AJe0O9IsoTwAN97Q",
                "ff882432-09b0-437b-bd22-ca13c0037ded",
            ),
            (
                "v4j5cvGGr0GRqy180BHbRw",
                "72f988bf-86f1-41af-91ab-2d7cd011db47",
            ),
            (
                "rISbSSETf0KqFyZ8ppdXmA",
                "499b84ac-1321-427f-aa17-267ca6975798",
            ),
        ] {
            assert_eq!(decode_guid(enc).unwrap(), guid);
            assert_eq!(encode_guid(guid).unwrap(), enc);
            assert_eq!(encode_guid(&guid.to_uppercase()).unwrap(), enc);
        }
        // Big-endian encoding is wrong and must not be produced.
        assert_ne!(
            encode_guid("ff882432-09b0-437b-bd22-ca13c0037ded").unwrap(),
            "_4gkMgmwQ3u9IsoTwAN97Q"
        );
    }

    #[test]
    fn bad_guids() {
        assert!(encode_guid("ff882432-09b0-437b-bd22-ca13c0037de").is_err());
        assert!(encode_guid("ff882432x09b0-437b-bd22-ca13c0037ded").is_err());
        assert!(encode_guid("gf882432-09b0-437b-bd22-ca13c0037ded").is_err());
        assert!(decode_guid("MiSI_7AJe0O9IsoTwAN97").is_err());
        assert!(decode_guid("MiSI_7AJe0O9IsoTwAN9+Q").is_err());
        assert!(
            decode_guid("MiSI_7AJe0O9IsoTwAN97R").is_err(),
            "non-canonical trailing bits"
        );
        assert!(decode_guid("MiSI_7AJe0O9IsoTwAN9éQ").is_err());
    }

    #[test]
    fn subject_errors_name_segment() {
        let cases = [
            ("sc://org//name", "project"),
            ("sc://org/proj", "connection name"),
            ("sc:///p/n", "organization"),
            ("/eid1/x/pub", "\"c\""),
            (
                "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/pl/x",
                "\"sc\"",
            ),
            (
                "/eid1/c/pub/t/bad/a/rISbSSETf0KqFyZ8ppdXmA/sc/x/y",
                "tenant",
            ),
            (
                "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/bad/sc/x/y",
                "application",
            ),
            (
                "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/x/y",
                "organization id",
            ),
            (
                "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/z",
                "connection id",
            ),
            (
                "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176/extra",
                "after the connection id",
            ),
            ("https://x", "neither"),
        ];
        for (s, needle) in cases {
            let err = decode_subject(s).unwrap_err().to_string();
            assert!(err.contains(needle), "{s}: {err}");
        }
    }

    #[test]
    fn classic_name_may_hold_slashes() {
        let d = decode_subject("sc://noahstride0304/testing-azure-devops-join/test-generic-sc")
            .unwrap();
        assert_eq!(d.organization_name.as_deref(), Some("noahstride0304"));
        assert_eq!(d.connection_name.as_deref(), Some("test-generic-sc"));
        let d = decode_subject("sc://o/p/a/b").unwrap();
        assert_eq!(d.connection_name.as_deref(), Some("a/b"));
    }

    #[test]
    fn issuers() {
        let i = issuer_info("https://vstoken.dev.azure.com/0CA3DDD9-f0b0-4635-a98c-5866526961b6");
        assert_eq!(i.format, Format::AzureDevOps);
        assert_eq!(
            i.organization_id.as_deref(),
            Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6")
        );
        assert_eq!(
            issuer_info("https://app.vstoken.visualstudio.com/abc").format,
            Format::Preview
        );
        assert_eq!(
            issuer_info("https://app.vstoken.visualstudio.com.evil").format,
            Format::Unknown
        );
        assert_eq!(
            issuer_info("https://login.microsoftonline.com/x/v2.0").format,
            Format::Unknown
        );
        assert_eq!(
            issuer_info("https://token.actions.githubusercontent.com").format,
            Format::Unknown
        );
    }
}
