//! Verdicts: which credential a connection holds, its state, and whether it can move to
//! workload identity federation.
//!
//! One table, [`RULES`], maps (type, scheme, conditions) to a credential kind, whether a
//! secret is held, and the base convertibility. [`classify`] picks the first matching row,
//! then refines convertibility with the connection's state (drafts, operations in
//! progress or failed, not ready, disabled), sharing, and the revert window.
//! [`verdict_rules`] exports the same table for the docs, so they never drift.

pub mod time;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use time::parse_iso_time;

use crate::Error;
use crate::azure_devops;
use crate::convertibility;
use crate::federation::{self, Federation};
use crate::jobs::SkipReason;
use crate::model::Endpoint;

/// Where the caller stands: all optional. `now` is an ISO 8601 time; without it no
/// days-left are computed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(rename_all = "camelCase", default)]
pub struct Context {
    pub organization_name: Option<String>,
    pub organization_id: Option<String>,
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub now: Option<String>,
}

impl Context {
    /// Reads a context from JSON (`null` or absent = empty); checks that `now` parses.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        if value.is_null() {
            return Ok(Self::default());
        }
        if !value.is_object() {
            return Err(Error::Shape(format!(
                "context must be an object {{organizationName, organizationId, projectName, projectId, now}}, found {}",
                crate::model::kind_of(&value)
            )));
        }
        let ctx: Self =
            serde_json::from_value(value).map_err(|e| Error::Shape(format!("context: {e}")))?;
        if let Some(now) = &ctx.now {
            parse_iso_time(now).map_err(|e| Error::Argument(format!("context.now: {e}")))?;
        }
        Ok(ctx)
    }

    fn now_secs(&self) -> Option<time::UnixSeconds> {
        self.now.as_deref().and_then(|n| parse_iso_time(n).ok())
    }
}

/// The credential a connection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CredentialKind"))]
#[serde(rename_all = "camelCase")]
pub enum Credential {
    /// A client secret (or another secret string such as a kubeconfig or connection string).
    Secret,
    /// A certificate with its private key.
    Certificate,
    /// A user name and password.
    Password,
    /// A token: personal access token, API key, service account token.
    Token,
    /// An Azure App Service publish profile.
    PublishProfile,
    /// Workload identity federation: no secret at all.
    Federated,
    /// An Azure managed identity of the agent.
    ManagedIdentity,
    /// OAuth or an app installation, managed by Azure DevOps: no secret held by the user.
    Oauth,
    /// No credential.
    None,
    /// A type or scheme not in the table.
    Unknown,
}

/// A connection's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ConnectionState"))]
#[serde(rename_all = "camelCase")]
pub enum State {
    Ready,
    /// A workload identity connection saved before its federated credential exists.
    Draft,
    /// `operationStatus.state` is `InProgress` (a conversion or an automatic creation).
    Converting,
    /// `operationStatus.state` is `Failed`.
    Failed,
    /// `isReady` is false.
    NotReady,
    /// `isDisabled` is true.
    Disabled,
}

/// Whether the connection can move to workload identity federation, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ConvertibleStatus"))]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Automatic conversion can be started here.
    Yes,
    /// The identity's owner must first create a federated credential.
    Manual,
    /// Shared from another project: convert it there.
    OwnerProject,
    /// Not applicable now (already federated, no federation for the type, or blocked).
    No,
}

/// The colour family of a connection's mark and row. The words (label, summary, reasons)
/// carry the meaning; the tone only repeats it, so every surface colours a connection alike.
///
/// `bad`: it holds a secret (an Azure DevOps PAT first of all) or its issuer has retired;
/// `warn`: a draft, an operation running or failed, or the Azure DevOps issuer retiring on
/// 2027-07-01; `good`: federated or a managed identity, nothing due; `info`: the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Tone {
    Bad,
    Warn,
    Good,
    #[default]
    Info,
}

/// Where a connection on the Azure DevOps issuer stands with the issuer's retirement on
/// 2027-07-01 (ado-facts §8.6, §17.1). Public cloud only: sovereign clouds keep the issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum IssuerRetirement {
    /// Before 2027-07-01 (or no `context.now`): switch it to the Entra issuer in time.
    Retiring,
    /// On or after 2027-07-01: its tokens no longer work.
    Retired,
}

impl State {
    /// In words, as a table's State column says it: `Ready`, `Draft`, `Converting`, `Failed`,
    /// `Not ready`, `Disabled`.
    pub fn word(self) -> &'static str {
        match self {
            State::Ready => "Ready",
            State::Draft => "Draft",
            State::Converting => "Converting",
            State::Failed => "Failed",
            State::NotReady => "Not ready",
            State::Disabled => "Disabled",
        }
    }
}

impl Status {
    /// In words: `Can be converted now`, `Needs manual steps`, `Convert from its owning
    /// project`, `Cannot be converted`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Yes => "Can be converted now",
            Status::Manual => "Needs manual steps",
            Status::OwnerProject => "Convert from its owning project",
            Status::No => "Cannot be converted",
        }
    }
}

/// A conditions on a row beyond type and scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// `authorization.parameters[key]` equals the value (case-insensitive).
    Param(&'static str, &'static str),
    /// `data[key]` equals the value (case-insensitive).
    Data(&'static str, &'static str),
    /// Created by Azure DevOps: `data.creationMode` is `Automatic`, or it is absent and
    /// `data.appObjectId` or `data.spnObjectId` is set (the server infers Automatic then).
    Automatic,
    /// `data.isDraft` is `"true"` (any case, or a JSON `true`) and `creationMode` is not Automatic.
    Draft,
    /// `authorization.parameters[key]` or `data[key]` equals the value (case-insensitive; a
    /// JSON boolean reads as `"true"`/`"false"`): extensions keep their switches in either.
    Field(&'static str, &'static str),
}

impl Cond {
    fn holds(self, ep: &Endpoint) -> bool {
        match self {
            Cond::Param(k, v) => ep.param(k).is_some_and(|x| x.eq_ignore_ascii_case(v)),
            Cond::Data(k, v) => ep.data(k).is_some_and(|x| x.eq_ignore_ascii_case(v)),
            Cond::Automatic => is_automatic(ep),
            Cond::Draft => is_draft(ep),
            Cond::Field(k, v) => ep
                .param(k)
                .or_else(|| ep.data(k))
                .is_some_and(|x| x.trim().eq_ignore_ascii_case(v)),
        }
    }

    fn describe(self) -> String {
        match self {
            Cond::Param(k, v) => format!("authorization.parameters.{k} = {v}"),
            Cond::Data(k, v) => format!("data.{k} = {v}"),
            Cond::Automatic => "created automatically (data.creationMode = Automatic, or absent with data.appObjectId/spnObjectId)".into(),
            Cond::Draft => "draft (data.isDraft = true)".into(),
            Cond::Field(k, v) => format!("authorization.parameters.{k} or data.{k} = {v}"),
        }
    }
}

/// One row of the verdict table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Lowercase endpoint type, or `*` for any.
    pub endpoint_type: &'static str,
    /// Scheme as documented (compared case-insensitively).
    pub scheme: &'static str,
    /// All must hold.
    pub when: &'static [Cond],
    pub credential: Credential,
    pub uses_secret: Option<bool>,
    /// Base convertibility before state, sharing and revert window refine it.
    pub convertible: Status,
    /// Why, in one sentence (shown in docs and used in reasons).
    pub note: &'static str,
}

const fn rule(
    endpoint_type: &'static str,
    scheme: &'static str,
    when: &'static [Cond],
    credential: Credential,
    uses_secret: Option<bool>,
    convertible: Status,
    note: &'static str,
) -> Rule {
    Rule {
        endpoint_type,
        scheme,
        when,
        credential,
        uses_secret,
        convertible,
        note,
    }
}

use Credential as C;
use Status as S;

const SPN_CERT: Cond = Cond::Param("authenticationType", "spnCertificate");
const YES: Option<bool> = Some(true);
const NO: Option<bool> = Some(false);

/// The verdict table. First match wins; anything unmatched is [`Credential::Unknown`].
/// Sources: ado-facts.md §6.4 (schemes per type), §6.2 (`creationMode`), §7 (drafts), the
/// official `ListEndpointTypes.json` sample (other types), and decisions documented in `note`.
pub static RULES: &[Rule] = &[
    rule(
        "azurerm",
        "ServicePrincipal",
        &[SPN_CERT, Cond::Automatic],
        C::Certificate,
        YES,
        S::Yes,
        "Service principal with a certificate, created by Azure DevOps: it can convert it to workload identity federation itself.",
    ),
    rule(
        "azurerm",
        "ServicePrincipal",
        &[SPN_CERT],
        C::Certificate,
        YES,
        S::Manual,
        "Service principal with a certificate, created manually: its owner must add a federated credential before converting.",
    ),
    rule(
        "azurerm",
        "ServicePrincipal",
        &[Cond::Automatic],
        C::Secret,
        YES,
        S::Yes,
        "Service principal with a client secret, created by Azure DevOps (automatic): Azure DevOps can convert it and write the federated credential itself.",
    ),
    rule(
        "azurerm",
        "ServicePrincipal",
        &[],
        C::Secret,
        YES,
        S::Manual,
        "Service principal with a client secret, created manually: its owner must add a federated credential, then convert.",
    ),
    rule(
        "WorkloadIdentityUser",
        "WorkloadIdentityFederation",
        &[Cond::Draft],
        C::Federated,
        NO,
        S::No,
        "Azure DevOps connection, draft: its identity needs the federated credential, and must be a user of the organization (Basic) and a member of the project; then Finish setup > Verify and save. Nothing to convert: it holds no secret.",
    ),
    rule(
        "WorkloadIdentityUser",
        "WorkloadIdentityFederation",
        &[],
        C::Federated,
        NO,
        S::No,
        "Azure DevOps connection: an Entra service principal or managed identity, federated, that is a user of each organization it reaches. No secret, nothing to convert.",
    ),
    rule(
        "AWS",
        "UsernamePassword",
        &[Cond::Field("useOIDC", "true")],
        C::Federated,
        NO,
        S::No,
        "AWS Toolkit connection with useOIDC: the pipeline's Azure DevOps token is exchanged with AWS (AssumeRoleWithWebIdentity); no secret. Its relying party is AWS IAM, not Entra.",
    ),
    rule(
        "AWS",
        "UsernamePassword",
        &[],
        C::Secret,
        YES,
        S::No,
        "AWS access key id and secret access key: no conversion; turn on useOIDC (OpenID Connect) with an IAM role that trusts Azure DevOps' issuer.",
    ),
    rule(
        "*",
        "WorkloadIdentityFederation",
        &[Cond::Draft],
        C::Federated,
        NO,
        S::Manual,
        "Draft workload identity connection: the identity's owner must create the federated credential, then Finish setup > Verify and save.",
    ),
    rule(
        "*",
        "WorkloadIdentityFederation",
        &[],
        C::Federated,
        NO,
        S::No,
        "Workload identity federation: no secret (any type with this scheme, e.g. Docker, extension-created and Azure DevOps connections).",
    ),
    rule(
        "azurerm",
        "ManagedServiceIdentity",
        &[],
        C::ManagedIdentity,
        NO,
        S::No,
        "The agent's managed identity: no secret in Azure DevOps.",
    ),
    rule(
        "azurerm",
        "PublishProfile",
        &[],
        C::PublishProfile,
        YES,
        S::No,
        "Publish profile (holds deployment credentials): no conversion path; re-create as an Azure Resource Manager connection with workload identity federation.",
    ),
    rule(
        "dockerregistry",
        "ServicePrincipal",
        &[],
        C::Secret,
        YES,
        S::Manual,
        "Azure Container Registry with a service principal secret: federation exists for Docker connections, but conversion through the REST API is unconfirmed; convert in the web UI or re-create with workload identity federation.",
    ),
    rule(
        "dockerregistry",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Registry user name and password: no conversion; for Azure Container Registry re-create with workload identity federation.",
    ),
    rule(
        "github",
        "OAuth2",
        &[],
        C::Oauth,
        NO,
        S::No,
        "GitHub OAuth, managed by Azure DevOps.",
    ),
    rule(
        "github",
        "OAuth",
        &[],
        C::Oauth,
        NO,
        S::No,
        "GitHub OAuth, managed by Azure DevOps.",
    ),
    rule(
        "github",
        "InstallationToken",
        &[],
        C::Oauth,
        NO,
        S::No,
        "GitHub App installation, managed by Azure DevOps.",
    ),
    rule(
        "github",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "GitHub personal access token.",
    ),
    rule(
        "github",
        "PersonalAccessToken",
        &[],
        C::Token,
        YES,
        S::No,
        "GitHub personal access token.",
    ),
    rule(
        "githubenterprise",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "GitHub Enterprise personal access token.",
    ),
    rule(
        "githubenterprise",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "GitHub Enterprise user name and password.",
    ),
    rule(
        "githubenterprise",
        "OAuth2",
        &[],
        C::Oauth,
        NO,
        S::No,
        "GitHub Enterprise OAuth, managed by Azure DevOps.",
    ),
    rule(
        "kubernetes",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "Kubernetes service account token.",
    ),
    rule(
        "kubernetes",
        "Kubernetes",
        &[Cond::Data("authorizationType", "Kubeconfig")],
        C::Secret,
        YES,
        S::No,
        "Kubeconfig with embedded credentials.",
    ),
    rule(
        "kubernetes",
        "Kubernetes",
        &[Cond::Data("authorizationType", "AzureSubscription")],
        C::Token,
        YES,
        S::No,
        "Service account token that Azure DevOps fetched through an Azure subscription.",
    ),
    rule(
        "kubernetes",
        "Kubernetes",
        &[Cond::Data("authorizationType", "ServiceAccount")],
        C::Token,
        YES,
        S::No,
        "Kubernetes service account token and certificate.",
    ),
    rule(
        "kubernetes",
        "Kubernetes",
        &[],
        C::Token,
        YES,
        S::No,
        "Kubernetes credentials (authorization type not stated): a token, kubeconfig or certificate.",
    ),
    rule(
        "generic",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Generic user name and password (or token).",
    ),
    rule(
        "git",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Git user name and password (or token).",
    ),
    rule(
        "ssh",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "SSH password or private key.",
    ),
    rule(
        "subversion",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Subversion user name and password.",
    ),
    rule(
        "jenkins",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Jenkins user name and password.",
    ),
    rule(
        "chef",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Chef node name and client key.",
    ),
    rule(
        "azure",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Classic Azure (service management) credentials: re-create as Azure Resource Manager with workload identity federation.",
    ),
    rule(
        "azure",
        "Certificate",
        &[],
        C::Certificate,
        YES,
        S::No,
        "Classic Azure (service management) management certificate: re-create as Azure Resource Manager with workload identity federation.",
    ),
    rule(
        "externaltfs",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "Azure DevOps / TFS personal access token.",
    ),
    rule(
        "externaltfs",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Azure DevOps / TFS user name and password.",
    ),
    rule(
        "azdoapi",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "Older Azure DevOps API connection with a personal access token.",
    ),
    rule(
        "bitbucket",
        "OAuth2",
        &[],
        C::Oauth,
        NO,
        S::No,
        "Bitbucket OAuth, managed by Azure DevOps.",
    ),
    rule(
        "bitbucket",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Bitbucket user name and app password.",
    ),
    rule(
        "jira",
        "JiraConnectApp",
        &[],
        C::Oauth,
        NO,
        S::No,
        "Jira Connect app: the app holds the authorization; no user secret.",
    ),
    rule(
        "externalmavenrepository",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Maven repository user name and password.",
    ),
    rule(
        "externalmavenrepository",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "Maven repository token.",
    ),
    rule(
        "externalnpmregistry",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "npm registry user name and password.",
    ),
    rule(
        "externalnpmregistry",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "npm registry token.",
    ),
    rule(
        "externalnugetfeed",
        "None",
        &[],
        C::Token,
        YES,
        S::No,
        "NuGet feed API key (scheme None, key in nugetkey).",
    ),
    rule(
        "externalnugetfeed",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "NuGet feed token.",
    ),
    rule(
        "externalnugetfeed",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "NuGet feed user name and password.",
    ),
    rule(
        "externalpythondownloadfeed",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Python feed user name and password.",
    ),
    rule(
        "externalpythondownloadfeed",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "Python feed token.",
    ),
    rule(
        "externalpythonuploadfeed",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Python upload feed user name and password.",
    ),
    rule(
        "externalpythonuploadfeed",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "Python upload feed token.",
    ),
    rule(
        "servicefabric",
        "Certificate",
        &[],
        C::Certificate,
        YES,
        S::No,
        "Service Fabric client certificate.",
    ),
    rule(
        "servicefabric",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "Service Fabric user name and password.",
    ),
    rule(
        "servicefabric",
        "None",
        &[],
        C::None,
        NO,
        S::No,
        "Service Fabric unsecured or Windows cluster identity.",
    ),
    rule(
        "azureservicebus",
        "None",
        &[],
        C::Secret,
        YES,
        S::No,
        "Service Bus connection string (a shared access key).",
    ),
    rule(
        "dockerhost",
        "Certificate",
        &[],
        C::Certificate,
        YES,
        S::No,
        "Docker host client certificate.",
    ),
    rule(
        "vsmobilecenter",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "App Center API token.",
    ),
];

/// The fallback table: a type not in [`RULES`] (a marketplace extension's, or a known type with
/// an unusual scheme) is judged by its scheme alone, with the reason `judgedByScheme`. Schemes
/// not here stay [`Credential::Unknown`]. Sources: ado-facts §17.3 (extensions use the ordinary
/// schemes), §6.4 (what each scheme holds).
pub static SCHEME_RULES: &[Rule] = &[
    rule(
        "*",
        "UsernamePassword",
        &[],
        C::Password,
        YES,
        S::No,
        "A user name and password (or a token in the password field).",
    ),
    rule(
        "*",
        "Token",
        &[],
        C::Token,
        YES,
        S::No,
        "A token or API key.",
    ),
    rule(
        "*",
        "PersonalAccessToken",
        &[],
        C::Token,
        YES,
        S::No,
        "A personal access token.",
    ),
    rule(
        "*",
        "None",
        &[],
        C::None,
        None,
        S::No,
        "Scheme None: no credential in the scheme itself; an extension may still keep a key among its parameters.",
    ),
    rule(
        "*",
        "OAuth",
        &[],
        C::Oauth,
        NO,
        S::No,
        "OAuth, managed by Azure DevOps.",
    ),
    rule(
        "*",
        "OAuth2",
        &[],
        C::Oauth,
        NO,
        S::No,
        "OAuth, managed by Azure DevOps.",
    ),
    rule(
        "*",
        "InstallationToken",
        &[],
        C::Oauth,
        NO,
        S::No,
        "An app installation, managed by Azure DevOps.",
    ),
    rule(
        "*",
        "Certificate",
        &[],
        C::Certificate,
        YES,
        S::No,
        "A certificate with its private key.",
    ),
    rule(
        "*",
        "ServicePrincipal",
        &[SPN_CERT],
        C::Certificate,
        YES,
        S::No,
        "A service principal with a certificate; Azure DevOps converts only Azure Resource Manager connections.",
    ),
    rule(
        "*",
        "ServicePrincipal",
        &[],
        C::Secret,
        YES,
        S::No,
        "A service principal with a client secret; Azure DevOps converts only Azure Resource Manager connections.",
    ),
    rule(
        "*",
        "ManagedServiceIdentity",
        &[],
        C::ManagedIdentity,
        NO,
        S::No,
        "The agent's managed identity: no secret in Azure DevOps.",
    ),
];

/// An Azure Stack connection (`data.environment`): not offered workload identity federation,
/// so neither the verdict nor the conversion plan converts it.
pub fn is_azure_stack(ep: &Endpoint) -> bool {
    ep.data("environment")
        .is_some_and(|e| e.eq_ignore_ascii_case("AzureStack"))
}

/// `data.creationMode` is Automatic, or absent with `appObjectId`/`spnObjectId` present.
pub fn is_automatic(ep: &Endpoint) -> bool {
    match ep.data("creationMode").filter(|m| !m.is_empty()) {
        Some(m) => m.eq_ignore_ascii_case("Automatic"),
        None => {
            ep.data("appObjectId").is_some_and(|v| !v.is_empty())
                || ep.data("spnObjectId").is_some_and(|v| !v.is_empty())
        }
    }
}

/// A draft: WIF scheme, `data.isDraft` true (string any case or boolean), not automatic.
pub fn is_draft(ep: &Endpoint) -> bool {
    ep.scheme()
        .is_some_and(|s| s.eq_ignore_ascii_case("WorkloadIdentityFederation"))
        && ep
            .data("isDraft")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && !ep
            .data("creationMode")
            .is_some_and(|m| m.eq_ignore_ascii_case("Automatic"))
}

/// The first row matching the endpoint, if any: [`RULES`] first, then [`SCHEME_RULES`].
/// Types and schemes compare case-insensitively, surrounding spaces ignored.
pub fn matching_rule(ep: &Endpoint) -> Option<&'static Rule> {
    find_rule(ep).map(|(r, _)| r)
}

/// The matching row and whether it came from the scheme-only fallback table.
fn find_rule(ep: &Endpoint) -> Option<(&'static Rule, bool)> {
    let ty = ep.endpoint_type().unwrap_or_default().trim();
    let scheme = ep.scheme().unwrap_or_default().trim();
    let hit = |r: &&Rule| {
        (r.endpoint_type == "*" || r.endpoint_type.eq_ignore_ascii_case(ty))
            && r.scheme.eq_ignore_ascii_case(scheme)
            && r.when.iter().all(|c| c.holds(ep))
    };
    RULES
        .iter()
        .find(hit)
        .map(|r| (r, false))
        .or_else(|| SCHEME_RULES.iter().find(hit).map(|r| (r, true)))
}

/// A row of [`verdict_rules`], for the docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "VerdictRule"))]
#[serde(rename_all = "camelCase")]
pub struct RuleRow {
    #[serde(rename = "type")]
    pub endpoint_type: String,
    pub scheme: String,
    /// Extra conditions, or `None`.
    pub when: Option<String>,
    pub credential: Credential,
    pub uses_secret: Option<bool>,
    pub convertible: Status,
    pub note: String,
}

/// The verdict table as data, plus the catch-all row, so documentation renders it.
pub fn verdict_rules() -> Vec<RuleRow> {
    let fallback = |r: &Rule| SCHEME_RULES.iter().any(|f| std::ptr::eq(f, r));
    let mut rows: Vec<RuleRow> = RULES
        .iter()
        .chain(SCHEME_RULES)
        .map(|r| RuleRow {
            endpoint_type: r.endpoint_type.to_owned(),
            scheme: r.scheme.to_owned(),
            when: {
                let mut conds: Vec<String> = r.when.iter().map(|c| c.describe()).collect();
                if fallback(r) {
                    conds.insert(
                        0,
                        "no row above matches the type (judged by the scheme)".into(),
                    );
                }
                (!conds.is_empty()).then(|| conds.join(" and "))
            },
            credential: r.credential,
            uses_secret: r.uses_secret,
            convertible: r.convertible,
            note: r.note.to_owned(),
        })
        .collect();
    rows.push(RuleRow {
        endpoint_type: "*".into(),
        scheme: "*".into(),
        when: Some("no row above matches".into()),
        credential: Credential::Unknown,
        uses_secret: None,
        convertible: Status::No,
        note: "Unknown type or scheme: reported as unknown, never an error.".into(),
    });
    rows
}

/// A reason behind a convertibility status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// Stable code, e.g. `automatic`, `manualServicePrincipal`, `sharedFromProject`.
    pub code: String,
    pub message: String,
}

/// Convertibility with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Convertible {
    pub status: Status,
    pub reasons: Vec<Reason>,
}

/// A project owning a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub project_id: Option<String>,
    pub project_name: Option<String>,
}

impl Owner {
    /// The project as a text shows it: its name, else its id.
    fn shown_name(&self) -> Option<String> {
        self.project_name
            .clone()
            .or_else(|| self.project_id.clone())
    }
}

/// A project a connection is shared with, and its name there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SharedWith {
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub name: Option<String>,
}

/// Everything Federate says about one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub endpoint_type: Option<String>,
    pub scheme: Option<String>,
    /// The home project (project reference 0).
    pub owner: Option<Owner>,
    /// The other project references.
    pub shared_with: Vec<SharedWith>,
    pub is_shared: bool,
    pub credential: Credential,
    pub uses_secret: Option<bool>,
    pub state: State,
    pub convertible: Convertible,
    /// `data.revertSchemeDeadline` of a converted connection, as stored.
    pub revert_deadline: Option<String>,
    /// Whole days left to revert (rounded up; 0 or less once passed); needs `context.now`.
    pub revert_days_left: Option<i64>,
    /// For federated and draft connections.
    pub federation: Option<Federation>,
    /// The PAT (or password) it holds for an Azure DevOps host, if it does.
    #[serde(default)]
    pub azure_dev_ops_pat: Option<azure_devops::AzureDevOpsPat>,
    /// Set when it is on the Azure DevOps issuer in the public cloud, which retires on
    /// 2027-07-01; `None` otherwise (Entra issuer, sovereign clouds, not federated).
    #[serde(default)]
    pub issuer_retirement: Option<IssuerRetirement>,
    /// The credential in words, as a table's Credential column says it (`Azure DevOps PAT`
    /// for a PAT to Azure DevOps, rather than `Token`).
    #[serde(default)]
    pub credential_word: String,
    /// The convertibility in words, as a table's Convertible column says it.
    #[serde(default)]
    pub convertible_word: String,
    /// The state in words, as a table's State column says it (`Not ready`).
    #[serde(default)]
    pub state_word: String,
    /// The word of its conversion button when it can be converted now (status `yes`):
    /// `convert`, or `tryAgain` after a failed conversion; `null` otherwise. The plan made
    /// from the same project sends it with the same word.
    #[serde(default)]
    pub action: Option<convertibility::Action>,
    /// The colour family of its mark and row.
    #[serde(default)]
    pub tone: Tone,
    /// What the connection waits for on its identity, in one paragraph: a draft's remaining
    /// steps (for an Azure DevOps connection, also its identity as an organization user and
    /// project member), or a manual connection's federated credential before converting.
    /// `None` for the others.
    #[serde(default)]
    pub next_step: Option<String>,
    /// A short text for a page mark.
    pub label: String,
    /// One sentence.
    pub summary: String,
    /// Secret values the service returned for it, dropped on reading (count only; absent
    /// when 0, as it should always be).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub secret_values_dropped: usize,
    /// The project the list was read from (`context.projectId`/`projectName`), `None`
    /// without one: a scan of several projects tells each connection where it was seen.
    #[serde(default)]
    pub found_in: Option<Owner>,
    /// The project a scheme change of this connection goes to: its owning project
    /// (reference 0) by id, else by name, else the project it was found in.
    #[serde(default)]
    pub owning_project: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn reason(code: &str, message: impl Into<String>) -> Reason {
    Reason {
        code: code.to_owned(),
        message: message.into(),
    }
}

fn state_of(ep: &Endpoint) -> State {
    let (op, _) = ep.operation_status();
    if is_draft(ep) {
        State::Draft
    } else if op.is_some_and(|s| s.eq_ignore_ascii_case("InProgress")) {
        State::Converting
    } else if op.is_some_and(|s| s.eq_ignore_ascii_case("Failed")) {
        State::Failed
    } else if ep.is_disabled() {
        State::Disabled
    } else if !ep.is_ready() {
        State::NotReady
    } else {
        State::Ready
    }
}

/// The credential from type and scheme (the table's first match), `Unknown` otherwise.
pub fn credential(ep: &Endpoint) -> Credential {
    matching_rule(ep).map_or(Credential::Unknown, |r| r.credential)
}

/// Classifies one connection. Never fails: unknown types and schemes give `unknown`. A
/// connection without a project reference is not convertible (no project to send to).
///
/// ```
/// use federate_core::{model::Endpoint, verdict::{classify, Context, Credential, Status}};
/// let ep = Endpoint::from_value(serde_json::json!({"id":"1","name":"prod","type":"azurerm",
///   "authorization":{"scheme":"ServicePrincipal","parameters":{"authenticationType":"spnKey"}},
///   "data":{"creationMode":"Automatic"},
///   "serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"Ops"}}]})).unwrap();
/// let v = classify(&ep, &Context::default());
/// assert_eq!(v.credential, Credential::Secret);
/// assert_eq!(v.convertible.status, Status::Yes);
/// assert_eq!(v.label, "Secret · convertible");
/// ```
#[allow(clippy::too_many_lines)]
pub fn classify(ep: &Endpoint, ctx: &Context) -> Verdict {
    let found = find_rule(ep);
    let rule = found.map(|(r, _)| r);
    let by_scheme = found.is_some_and(|(_, fallback)| fallback);
    let ado_connection = azure_devops::is_workload_identity_user(ep);
    let credential = rule.map_or(Credential::Unknown, |r| r.credential);
    let uses_secret = rule.and_then(|r| r.uses_secret);
    let state = state_of(ep);
    let refs = ep.project_refs();
    let owner = refs.first().map(|r| Owner {
        project_id: r.project_id.clone(),
        project_name: r.project_name.clone(),
    });
    let shared_with: Vec<SharedWith> = refs
        .iter()
        .skip(1)
        .map(|r| SharedWith {
            project_id: r.project_id.clone(),
            project_name: r.project_name.clone(),
            name: r.name.clone(),
        })
        .collect();
    let is_shared = ep.is_shared();
    let op_message = ep.operation_status().1.unwrap_or_default();
    // How the reasons quote the operation's message: `InProgress` stands in for a running
    // operation's missing message; a failure without one adds nothing.
    let running = if op_message.is_empty() {
        "InProgress"
    } else {
        op_message
    };
    let failure = if op_message.is_empty() {
        String::new()
    } else {
        format!(" ({op_message})")
    };
    let federated_scheme = ep
        .scheme()
        .is_some_and(|s| s.eq_ignore_ascii_case("WorkloadIdentityFederation"));

    let mut reasons = Vec::new();
    let mut status = rule.map_or(Status::No, |r| r.convertible);
    match (rule, status) {
        (Some(r), _) if by_scheme => reasons.push(reason(
            "judgedByScheme",
            format!(
                "Type {:?} with scheme {:?} is not in Federate's table; judged by its scheme: {}",
                ep.endpoint_type().unwrap_or(""),
                ep.scheme().unwrap_or(""),
                r.note
            ),
        )),
        (Some(r), _) if ado_connection => reasons.push(reason(
            if state == State::Draft {
                "azureDevOpsConnectionDraft"
            } else {
                "azureDevOpsConnection"
            },
            r.note,
        )),
        (None, _) => reasons.push(reason(
            "unknownType",
            format!(
                "Type {:?} with scheme {:?} is not in Federate's table: nothing is known about its credential.",
                ep.endpoint_type().unwrap_or(""),
                ep.scheme().unwrap_or("")
            ),
        )),
        (Some(r), Status::Yes) => reasons.push(reason("automatic", r.note)),
        (Some(r), Status::Manual) => {
            let code = if state == State::Draft {
                "draftNeedsFederatedCredential"
            } else if ep.endpoint_type().is_some_and(|t| t.eq_ignore_ascii_case("dockerregistry")) {
                "conversionUnconfirmed"
            } else {
                "manualServicePrincipal"
            };
            reasons.push(reason(code, r.note));
        }
        (Some(r), _) => {
            let code = match r.credential {
                Credential::Federated => "alreadyFederated",
                Credential::ManagedIdentity => "managedIdentity",
                Credential::Oauth => "managedByAzureDevOps",
                Credential::PublishProfile => "noConversionPath",
                _ => "noFederation",
            };
            reasons.push(reason(code, r.note));
        }
    }

    if ado_connection {
        reasons.extend(azure_devops_access(ep, ctx, owner.as_ref()));
    }

    let convertible_kind = matches!(status, Status::Yes | Status::Manual) && state != State::Draft;
    // The one convertibility decision (crate::convertibility): the verdict reads its blocks
    // and qualifiers, the plan its first block, so they cannot disagree. Manual identities
    // keep their own status (`manual`), and a verdict is not about a ticked selection.
    let assessment = convertibility::assess(
        ep,
        &convertibility::Scope {
            acting: convertibility::Acting::Project {
                id: ctx.project_id.as_deref(),
                name: ctx.project_name.as_deref(),
            },
            allow_manual: true,
            selected: true,
        },
    );
    let mut action = None;
    if convertible_kind {
        let home = owner
            .as_ref()
            .and_then(Owner::shown_name)
            .unwrap_or_else(|| "its home project".into());
        // Where to convert it is said first, then what is shown beside it, then its state.
        let (owner_blocks, state_blocks): (Vec<SkipReason>, Vec<SkipReason>) = assessment
            .blocks
            .into_iter()
            .partition(|b| *b == SkipReason::SharedFromAnotherProject);
        if !owner_blocks.is_empty() {
            status = Status::OwnerProject;
            reasons.push(reason(
                "sharedFromProject",
                format!("Shared from project {home}: convert it there (the conversion applies to every project it is shared with)."),
            ));
        }
        for q in &assessment.qualifiers {
            let code = match q {
                convertibility::Qualifier::PreviousConversionFailed { .. } => {
                    "previousConversionFailed"
                }
                convertibility::Qualifier::SharedWithProjects { .. } => "sharedWithProjects",
                convertibility::Qualifier::CreationModeInferred => "creationModeInferred",
            };
            reasons.push(reason(code, q.explain()));
        }
        for block in state_blocks {
            let (code, message) = match block {
                SkipReason::InProgress => (
                    "operationInProgress",
                    format!("An operation is in progress ({running}): wait until it ends."),
                ),
                SkipReason::Failed => (
                    "operationFailed",
                    format!(
                        "The connection's last operation failed{failure}: fix or re-create it first."
                    ),
                ),
                SkipReason::NotReady => ("notReady", block.explain().to_owned()),
                SkipReason::Disabled => ("disabled", block.explain().to_owned()),
                SkipReason::EnvironmentUnsupported => {
                    ("environmentUnsupported", block.explain().to_owned())
                }
                // No id or no project reference: no request can be sent for it, so the
                // plan skips it and the verdict says so (the two never disagree).
                SkipReason::NoId => ("noId", block.explain().to_owned()),
                SkipReason::NoProject => ("noProject", block.explain().to_owned()),
                // Type, scheme and manual identities are the table's rows.
                _ => continue,
            };
            status = Status::No;
            reasons.push(reason(code, message));
        }
        if status == Status::Yes {
            action = assessment.action;
        }
    } else if state == State::Converting {
        reasons.push(reason(
            "operationInProgress",
            format!("An operation is in progress ({running})."),
        ));
    } else if state == State::Failed {
        reasons.push(reason(
            "operationFailed",
            format!("The last operation failed{failure}."),
        ));
    }

    // Revert window of a converted connection.
    let mut revert_deadline = None;
    let mut revert_days_left = None;
    if federated_scheme {
        if let Some(deadline) = ep.data("revertSchemeDeadline").filter(|d| !d.is_empty()) {
            let parsed = parse_iso_time(&deadline).ok();
            match (ctx.now_secs(), parsed) {
                (Some(now), Some(d)) => {
                    let days = time::days_until(now, d);
                    revert_days_left = Some(days);
                    if d > now {
                        reasons.push(reason("revertWindowOpen", format!("Converted recently: it can be reverted to its secret until {deadline} ({days} day(s) left).")));
                    } else {
                        reasons.push(reason("revertWindowClosed", format!("The revert window closed on {deadline}: going back needs a new secret made by hand.")));
                    }
                }
                _ => reasons.push(reason(
                    "revertWindowOpen",
                    format!("Converted: it can be reverted to its secret until {deadline}."),
                )),
            }
            revert_deadline = Some(deadline);
        }
    }

    // A token or password for an Azure DevOps host: the most urgent secret (global PATs end
    // on 2026-12-01); said first, so the marks show it.
    let azure_dev_ops_pat = azure_devops::azure_devops_pat(
        ep,
        matches!(credential, Credential::Token | Credential::Password),
        ctx.now.as_deref(),
    );
    if let Some(p) = &azure_dev_ops_pat {
        reasons.insert(0, reason("azureDevOpsPat", azure_devops::pat_message(p)));
    }

    let federation =
        (credential == Credential::Federated).then(|| federation::explain_federation(ep, ctx));
    // On the Azure DevOps issuer in the public cloud (sovereign clouds keep it): the mark says so.
    let retiring_issuer = federation.as_ref().and_then(|f| {
        let public = federation::is_sovereign(ep).is_none();
        (f.format == federation::Format::AzureDevOps && public).then(|| {
            if f.warnings.iter().any(|w| w.code == "issuerRetired") {
                IssuerRetirement::Retired
            } else {
                IssuerRetirement::Retiring
            }
        })
    });
    let kind = Kind {
        credential,
        pat: azure_dev_ops_pat.as_ref(),
        ado_connection,
        retiring_issuer,
    };
    let label = label_for(&kind, state, status, owner.as_ref(), op_message);
    let tone = tone_for(&kind, state, uses_secret);
    let next_step = next_step_for(
        ep,
        ctx,
        &kind,
        state,
        status,
        owner.as_ref(),
        federation.as_ref(),
    );
    let convertible = Convertible { status, reasons };
    let summary = summary_for(ep, &kind, state, &convertible, federation.as_ref());
    // The project the list was read from, as the caller says (context), and the project a
    // scheme change goes to: the owning project (reference 0), else that one.
    let found_in = (ctx.project_id.is_some() || ctx.project_name.is_some()).then(|| Owner {
        project_id: ctx.project_id.clone(),
        project_name: ctx.project_name.clone(),
    });
    let owning_project = crate::jobs::owning_project(ep).or_else(|| {
        found_in
            .as_ref()
            .and_then(|f| f.project_id.clone().or_else(|| f.project_name.clone()))
    });
    Verdict {
        // Ids are GUIDs, compared case-insensitively by the service: one form everywhere.
        id: ep.id().map(str::to_ascii_lowercase),
        name: ep.name().map(str::to_owned),
        endpoint_type: ep.endpoint_type().map(str::to_owned),
        scheme: ep.scheme().map(str::to_owned),
        owner,
        shared_with,
        is_shared,
        credential,
        uses_secret,
        state,
        convertible,
        revert_deadline,
        revert_days_left,
        federation,
        credential_word: kind.word().to_owned(),
        convertible_word: status.word().to_owned(),
        state_word: state.word().to_owned(),
        action,
        issuer_retirement: kind.retiring_issuer,
        tone,
        next_step,
        azure_dev_ops_pat,
        label,
        summary,
        secret_values_dropped: ep.dropped_secrets(),
        found_in,
        owning_project,
    }
}

/// What an Azure DevOps connection needs besides its federated credential (seed
/// `add-devops-entra-service-connection`: prerequisites, cross-organization use).
fn azure_devops_access(ep: &Endpoint, ctx: &Context, owner: Option<&Owner>) -> Vec<Reason> {
    let AccessWords {
        client,
        tenant,
        org,
        project,
    } = AccessWords::of(ep, ctx, owner);
    let mut out = vec![reason(
        "azureDevOpsAccess",
        format!(
            "Besides its federated credential, Azure DevOps needs the identity (client id {client}, tenant {tenant}) as a user of organization {org} with access level Basic, and as a member of project {project} (for example Readers); without them pipelines fail with TF401444, \"does not have access to Azure DevOps organization\" or VS800075."
        ),
    )];
    if let Some(other) = ep
        .url()
        .and_then(azure_devops::organization_of_url)
        .filter(|o| {
            ctx.organization_name
                .as_deref()
                .is_none_or(|c| !c.eq_ignore_ascii_case(o))
        })
    {
        out.push(reason(
            "otherOrganization",
            format!(
                "It reaches organization {other} (cross-organization use): the identity must be a user there too, and a member of the projects it reads there."
            ),
        ));
    }
    out
}

/// The identity, organization and project an Azure DevOps connection's access texts name.
struct AccessWords {
    client: String,
    tenant: String,
    org: String,
    project: String,
}

impl AccessWords {
    fn of(ep: &Endpoint, ctx: &Context, owner: Option<&Owner>) -> Self {
        let known = |v: Option<String>, none: &str| {
            v.filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| none.to_owned())
        };
        Self {
            client: known(ep.param("serviceprincipalid"), "not set"),
            tenant: known(ep.param("tenantid"), "not set"),
            org: known(ctx.organization_name.clone(), "this organization"),
            project: known(owner.and_then(Owner::shown_name), "its project"),
        }
    }
}

impl IssuerRetirement {
    fn words(self) -> &'static str {
        match self {
            IssuerRetirement::Retiring => "issuer retires 2027-07-01",
            IssuerRetirement::Retired => "issuer retired 2027-07-01",
        }
    }
}

/// What the label and the summary say a connection is.
struct Kind<'a> {
    credential: Credential,
    pat: Option<&'a azure_devops::AzureDevOpsPat>,
    ado_connection: bool,
    /// Set when the connection is on the Azure DevOps issuer in the public cloud: the label's suffix.
    retiring_issuer: Option<IssuerRetirement>,
}

impl Kind<'_> {
    fn word(&self) -> &'static str {
        if self.pat.is_some() {
            "Azure DevOps PAT"
        } else {
            credential_word(self.credential)
        }
    }
}

/// Classifies a list.
pub fn classify_all(list: &[Endpoint], ctx: &Context) -> Vec<Verdict> {
    list.iter().map(|ep| classify(ep, ctx)).collect()
}

fn credential_word(c: Credential) -> &'static str {
    match c {
        Credential::Secret => "Secret",
        Credential::Certificate => "Certificate",
        Credential::Password => "Password",
        Credential::Token => "Token",
        Credential::PublishProfile => "Publish profile",
        Credential::Federated => "Federated",
        Credential::ManagedIdentity => "Managed identity",
        Credential::Oauth => "OAuth (managed)",
        Credential::None => "No credential",
        Credential::Unknown => "Unknown",
    }
}

fn label_for(
    kind: &Kind,
    state: State,
    status: Status,
    owner: Option<&Owner>,
    op_message: &str,
) -> String {
    match state {
        State::Draft if kind.ado_connection => {
            return "Draft · needs federated credential and organization user".into();
        }
        State::Draft => return "Draft · needs federated credential".into(),
        State::Converting
            if op_message.to_ascii_lowercase().contains("convert") || op_message.is_empty() =>
        {
            return "Converting…".into();
        }
        State::Converting => return "In progress…".into(),
        State::Failed => return "Failed".into(),
        State::Disabled => return format!("{} · disabled", kind.word()),
        State::NotReady => return format!("{} · not ready", kind.word()),
        State::Ready => {}
    }
    let word = kind.word();
    if let (Some(issuer), Status::No) = (kind.retiring_issuer, status) {
        return format!("{word} · {}", issuer.words());
    }
    if kind.ado_connection && status == Status::No {
        return "Federated · Azure DevOps connection".into();
    }
    match status {
        Status::Yes => format!("{word} · convertible"),
        Status::Manual => format!("{word} · needs federated credential"),
        Status::OwnerProject => {
            let home = owner
                .and_then(Owner::shown_name)
                .unwrap_or_else(|| "another project".into());
            format!("Shared from {home}")
        }
        Status::No => word.to_owned(),
    }
}

/// The tone: an Azure DevOps PAT first (the nearest deadline), then what is pending on the
/// connection itself, then its secret, then the issuer retirement, then what is done.
fn tone_for(kind: &Kind, state: State, uses_secret: Option<bool>) -> Tone {
    if kind.pat.is_some() {
        return Tone::Bad;
    }
    if matches!(state, State::Draft | State::Failed | State::Converting) {
        return Tone::Warn;
    }
    if uses_secret == Some(true) {
        return Tone::Bad;
    }
    match (kind.retiring_issuer, kind.credential) {
        (Some(IssuerRetirement::Retired), _) => Tone::Bad,
        (Some(IssuerRetirement::Retiring), _) => Tone::Warn,
        (None, Credential::Federated | Credential::ManagedIdentity) => Tone::Good,
        (None, _) => Tone::Info,
    }
}

/// What a draft or a manual connection waits for on its identity (see [`Verdict::next_step`]).
fn next_step_for(
    ep: &Endpoint,
    ctx: &Context,
    kind: &Kind,
    state: State,
    status: Status,
    owner: Option<&Owner>,
    fed: Option<&Federation>,
) -> Option<String> {
    if state != State::Draft {
        return (status == Status::Manual).then(|| {
            "Azure DevOps cannot configure this identity by itself: add the federated credential to the identity first, then convert.".to_owned()
        });
    }
    let carried = match fed.map(|f| f.format) {
        Some(federation::Format::AzureDevOps) => {
            " This draft carries the Azure DevOps issuer (vstoken, sc:// subject): use that form."
        }
        Some(federation::Format::Entra) => {
            " This draft carries the Entra issuer (login.microsoftonline.com): use that form."
        }
        _ => "",
    };
    let access = if kind.ado_connection {
        let w = AccessWords::of(ep, ctx, owner);
        format!(
            "; make the identity (client id {}, tenant {}) a user of organization {} with access level Basic and a member of project {}",
            w.client, w.tenant, w.org, w.project
        )
    } else {
        String::new()
    };
    Some(format!(
        "Add the federated credential to the identity (its owner can){access}; then in Azure DevOps choose Finish setup, then Verify and save.{carried}"
    ))
}

fn summary_for(
    ep: &Endpoint,
    kind: &Kind,
    state: State,
    conv: &Convertible,
    fed: Option<&Federation>,
) -> String {
    let name = ep.name().unwrap_or("This connection");
    let ty = ep.endpoint_type().unwrap_or("unknown type");
    let pat_what;
    let what = match kind.credential {
        _ if kind.ado_connection => {
            "is an Azure DevOps connection (an Entra identity, federated, that is a user of the organization)"
        }
        _ if kind.pat.is_some() => {
            pat_what = format!(
                "holds an Azure DevOps PAT for {}",
                kind.pat
                    .and_then(|p| p.host.as_deref())
                    .unwrap_or("Azure DevOps")
            );
            pat_what.as_str()
        }
        Credential::Secret => "holds a secret",
        Credential::Certificate => "holds a certificate",
        Credential::Password => "holds a password",
        Credential::Token => "holds a token",
        Credential::PublishProfile => "holds a publish profile",
        Credential::Federated => "uses workload identity federation",
        Credential::ManagedIdentity => "uses a managed identity",
        Credential::Oauth => "uses OAuth managed by Azure DevOps",
        Credential::None => "holds no credential",
        Credential::Unknown => "has a credential Federate does not know",
    };
    let state_text = match state {
        State::Ready => "",
        State::Draft if kind.ado_connection => {
            " and is a draft: its identity needs the federated credential, and must be a user of the organization (Basic) and a member of the project"
        }
        State::Draft => " and is a draft waiting for its federated credential",
        State::Converting => " and has an operation in progress",
        State::Failed => " and its last operation failed",
        State::NotReady => " and is not ready",
        State::Disabled => " and is disabled",
    };
    let next = match conv.status {
        Status::Yes => "; it can be converted to workload identity federation here".to_owned(),
        Status::Manual if state == State::Draft => {
            "; its identity's owner must add the federated credential".to_owned()
        }
        Status::Manual => {
            "; a federated credential must be created on its identity before it can be converted"
                .to_owned()
        }
        Status::OwnerProject => conv
            .reasons
            .iter()
            .find(|r| r.code == "sharedFromProject")
            .map(|r| {
                format!(
                    "; {}",
                    r.message.trim_end_matches('.').to_lowercase().replacen(
                        "shared from project",
                        "it is shared from project",
                        1
                    )
                )
            })
            .unwrap_or_default(),
        Status::No if kind.pat.is_some() => {
            "; Azure DevOps PAT: replace it with an Azure DevOps connection (workload identity), since a global PAT stops working on 2026-12-01".to_owned()
        }
        Status::No => String::new(),
    };
    let warn = fed
        .map(|f| {
            f.warnings
                .iter()
                .filter(|w| !w.code.starts_with("missing"))
                .count()
        })
        .filter(|n| *n > 0)
        .map(|n| format!(" ({n} federation warning(s))"))
        .unwrap_or_default();
    format!("{name} ({ty}) {what}{state_text}{next}{warn}.")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ep(v: Value) -> Endpoint {
        Endpoint::from_value(v).unwrap()
    }

    #[test]
    fn unknown_never_fails() {
        let v = classify(&ep(json!({})), &Context::default());
        assert_eq!(v.credential, Credential::Unknown);
        assert_eq!(v.uses_secret, None);
        assert_eq!(v.convertible.status, Status::No);
        assert_eq!(v.convertible.reasons[0].code, "unknownType");
    }

    #[test]
    fn context_checks_now() {
        assert!(
            Context::from_value(json!({"now": "yesterday"}))
                .unwrap_err()
                .to_string()
                .contains("context.now")
        );
        assert!(Context::from_value(json!(3)).is_err());
        assert_eq!(
            Context::from_value(Value::Null).unwrap(),
            Context::default()
        );
    }
}
