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

/// A subject taken apart. Fields that the format does not carry are `None` (`null` in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DecodedSubject {
    /// `azureDevOps` for `sc://`, `entra` for `/eid1/`.
    pub format: Format,
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
    let s = subject.trim();
    if let Some(rest) = s.strip_prefix("sc://") {
        return decode_classic(rest);
    }
    if s.starts_with("/eid1/") || s == "/eid1" {
        return decode_entra(s);
    }
    Err(Error::Subject(format!(
        "{s:?} is neither sc://{{organization}}/{{project}}/{{connection}} nor /eid1/c/pub/t/{{tenant}}/a/{{app}}/sc/{{organizationId}}/{{connectionId}}"
    )))
}

fn decode_classic(rest: &str) -> Result<DecodedSubject, Error> {
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
    d.organization_name = Some(org);
    d.project_name = Some(project);
    d.connection_name = Some(name);
    Ok(d)
}

fn decode_entra(s: &str) -> Result<DecodedSubject, Error> {
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
    let tenant = decode_guid(value(4, "tenant (t)")?)
        .map_err(|e| Error::Subject(format!("/eid1 subject: the tenant (t) segment: {e}")))?;
    expect_key(5, "a")?;
    let app = decode_guid(value(6, "application (a)")?)
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
    let guid_at = |i: usize, what: &str| -> Result<String, Error> {
        let v = value(i, what)?;
        normalize_guid(v).ok_or_else(|| {
            Error::Subject(format!(
                "/eid1 subject: the {what} segment {v:?} is not a GUID"
            ))
        })
    };
    let org_id = guid_at(8, "organization id (sc/…)")?;
    let conn_id = guid_at(9, "connection id (sc/…/…)")?;
    if parts.len() > 10 {
        return Err(Error::Subject(format!(
            "/eid1 subject: unexpected segments after the connection id: {:?}",
            parts[10..].join("/")
        )));
    }
    let mut d = DecodedSubject::empty(Format::Entra);
    d.cloud = Some(cloud.to_owned());
    d.tenant_id = Some(tenant);
    d.application_id = Some(app);
    d.organization_id = Some(org_id);
    d.connection_id = Some(conn_id);
    Ok(d)
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
    let org_name = ctx.organization_name.clone().filter(|s| !s.is_empty());
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
    /// The subject taken apart, or `None` when absent or malformed (then a warning says why).
    pub decoded: Option<DecodedSubject>,
    pub expected: Option<ExpectedFederation>,
    pub warnings: Vec<Warning>,
}

/// The sovereign cloud a connection is in (`data.environment` other than `AzureCloud`), if any:
/// outside the Azure DevOps issuer's retirement, and the Entra issuer fails there (ado-facts §8.6).
pub(crate) fn is_sovereign(ep: &Endpoint) -> Option<String> {
    ep.data("environment")
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("AzureCloud"))
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
    let decoded = match subject.as_deref().map(decode_subject) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            warn(&mut warnings, "subjectMalformed", e.to_string());
            None
        }
        None => None,
    };
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
        decoded,
        expected: Some(expected),
        warnings,
    }
}

impl Format {
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
            if h != n {
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
