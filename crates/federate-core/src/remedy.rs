//! Remedies: the exact way to create a connection's federated identity credential (FIC).
//!
//! The FIC is named after the connection id and described as Azure DevOps describes the
//! ones it writes (ado-facts §4.2). Issuer and subject are those stored on the connection
//! when present; otherwise the expected Entra pair, else the expected Azure DevOps pair
//! ([`crate::federation::expected_federation`]). Values Federate cannot know are written as
//! clearly marked placeholders such as `<APP_OBJECT_ID>`. Every value is quoted for the
//! language it lands in, so a connection named `it's "prod"` stays one argument.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::json;

use crate::Error;
use crate::federation::{AUDIENCE, expected_federation, normalize_guid};
use crate::model::Endpoint;
use crate::sanitize::is_unsafe;
use crate::verdict::{Context, Credential, Status, classify};

pub mod azure_devops;

/// The output formats of [`federated_credential_commands`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum CommandFormat {
    /// `az ad app federated-credential create` (app registration).
    Az,
    /// `az identity federated-credential create` (user-assigned managed identity).
    AzIdentity,
    /// Azure PowerShell, both identity kinds.
    #[serde(rename = "powershell")]
    PowerShell,
    /// Bicep, both identity kinds (the app registration through the Microsoft Graph extension).
    Bicep,
    /// Terraform: `azuread` (app registration) and `azurerm` (managed identity).
    Terraform,
    /// The Microsoft Graph request (app registration).
    Graph,
    /// Numbered portal steps.
    Portal,
}

/// Every format name accepted, in order.
pub const FORMAT_NAMES: [&str; 7] = [
    "az",
    "azIdentity",
    "powershell",
    "bicep",
    "terraform",
    "graph",
    "portal",
];

impl CommandFormat {
    /// Every format, in the order a format switch shows them.
    pub const ALL: [CommandFormat; 7] = [
        Self::Az,
        Self::AzIdentity,
        Self::PowerShell,
        Self::Bicep,
        Self::Terraform,
        Self::Graph,
        Self::Portal,
    ];

    /// The format's name as [`FORMAT_NAMES`] spells it (what `from_str` accepts).
    pub fn name(self) -> &'static str {
        match self {
            Self::Az => "az",
            Self::AzIdentity => "azIdentity",
            Self::PowerShell => "powershell",
            Self::Bicep => "bicep",
            Self::Terraform => "terraform",
            Self::Graph => "graph",
            Self::Portal => "portal",
        }
    }

    /// The format in words, for a format switch: `az CLI (app registration)`.
    pub fn title(self) -> &'static str {
        match self {
            Self::Az => "az CLI (app registration)",
            Self::AzIdentity => "az CLI (managed identity)",
            Self::PowerShell => "Azure PowerShell",
            Self::Bicep => "Bicep",
            Self::Terraform => "Terraform",
            Self::Graph => "Microsoft Graph",
            Self::Portal => "Azure portal steps",
        }
    }
}

/// A format and its name in words, for a format switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CommandFormatName {
    pub format: CommandFormat,
    /// The format in words (`Azure PowerShell`).
    pub title: &'static str,
}

/// Every format with its name in words, in [`CommandFormat::ALL`] order.
pub fn command_formats() -> Vec<CommandFormatName> {
    CommandFormat::ALL
        .iter()
        .map(|&format| CommandFormatName {
            format,
            title: format.title(),
        })
        .collect()
}

/// One format's commands for a connection: the format, its name in words, the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Remedy {
    pub format: CommandFormat,
    /// The format in words (`Azure PowerShell`).
    pub title: &'static str,
    /// The commands or steps, through the engine's sanitizer.
    pub text: String,
}

/// Every remedy that applies to a connection, or why none does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Remedies {
    /// In [`CommandFormat::ALL`] order; empty when none applies.
    pub remedies: Vec<Remedy>,
    /// Why no federated credential applies (`None` when some remedy does).
    pub reason: Option<String>,
}

/// The commands of every format that applies to `ep`, in one call, with the reason when none
/// does (a connection that cannot use workload identity federation). Replaces trying each
/// format and reading an error as "does not apply".
///
/// ```
/// # use federate_core::{model::Endpoint, remedy::remedies, verdict::Context};
/// let ep = Endpoint::from_value(serde_json::json!({"type": "github", "authorization": {"scheme": "Token"}})).unwrap();
/// let r = remedies(&ep, &Context::default());
/// assert!(r.remedies.is_empty() && r.reason.is_some());
/// ```
pub fn remedies(ep: &Endpoint, ctx: &Context) -> Remedies {
    let mut out = Vec::new();
    let mut reason = None;
    for format in CommandFormat::ALL {
        match federated_credential_commands(ep, ctx, format.name()) {
            Ok(text) if !text.is_empty() => out.push(Remedy {
                format,
                title: format.title(),
                text,
            }),
            Ok(_) => {}
            Err(e) => {
                reason.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let reason = if out.is_empty() {
        Some(
            reason
                .unwrap_or_else(|| "no federated credential applies to this connection".to_owned()),
        )
    } else {
        None
    };
    Remedies {
        remedies: out,
        reason,
    }
}

impl std::str::FromStr for CommandFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "az" => Self::Az,
            "azidentity" => Self::AzIdentity,
            "powershell" => Self::PowerShell,
            "bicep" => Self::Bicep,
            "terraform" => Self::Terraform,
            "graph" => Self::Graph,
            "portal" => Self::Portal,
            _ => {
                return Err(Error::Argument(format!(
                    "unknown format {s:?}: expected one of {}",
                    FORMAT_NAMES.join(", ")
                )));
            }
        })
    }
}

/// Quotes for POSIX shells: single quotes, an embedded `'` becomes `'\''`.
///
/// ```
/// assert_eq!(federate_core::remedy::shell_quote("it's"), r"'it'\''s'");
/// ```
///
/// A text with a control or bidi character (a hostile connection name) is written in
/// ANSI-C quotes with those characters as escapes, so it stays exact and never reaches the
/// terminal raw: `$'evil\x1b[2J'`.
pub fn shell_quote(s: &str) -> String {
    if !s.chars().any(is_unsafe) {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if is_unsafe(c) && u32::from(c) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes for PowerShell: single quotes, embedded quotes (including typographic ones) doubled.
///
/// A control or bidi character (a hostile connection name) becomes a `[char]` in a
/// concatenation, so the text stays exact and never reaches the terminal raw:
/// `('evil' + [char]0x1b + '[2J')`.
pub fn powershell_quote(s: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::from("'");
    for c in s.chars() {
        if is_unsafe(c) {
            if current.len() > 1 {
                current.push('\'');
                parts.push(std::mem::replace(&mut current, String::from("'")));
            }
            parts.push(format!("[char]0x{:x}", u32::from(c)));
            continue;
        }
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            current.push(c);
        }
        current.push(c);
    }
    if parts.is_empty() {
        current.push('\'');
        return current;
    }
    if current.len() > 1 {
        current.push('\'');
        parts.push(current);
    }
    format!("({})", parts.join(" + "))
}

/// Quotes for Bicep: single quotes; `\`, `'` and `${` escaped; control characters as escapes.
pub fn bicep_quote(s: &str) -> String {
    let mut out = String::from("'");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes for HCL (Terraform): double quotes; `\`, `"`, `${` and `%{` escaped.
pub fn hcl_quote(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("$$"),
            '%' if chars.peek() == Some(&'{') => out.push_str("%%"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe inside a one-line comment: control characters become spaces.
pub(crate) fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { ' ' } else { c })
        .collect()
}

/// Percent-encodes a URL path segment (unreserved characters kept).
pub(crate) fn url_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Everything a federated credential needs, resolved from the connection and the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FicSpec {
    /// The connection's name (for comments).
    pub connection_name: String,
    /// FIC name: the connection id.
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audience: String,
    pub description: String,
    /// Client (application) id: `serviceprincipalid`.
    pub app_id: String,
    /// `data.appObjectId`.
    pub app_object_id: String,
    pub tenant_id: String,
    /// Where issuer and subject came from, in words.
    pub source: String,
    /// Whether this is a draft (its last step differs).
    pub draft: bool,
    /// Whether this is an Azure DevOps connection (`WorkloadIdentityUser`): its identity
    /// must also be a user of the organization and a member of the project.
    pub azure_devops_connection: bool,
    /// Appended to Bicep symbolic names, so several credentials fit in one file.
    pub symbol_suffix: String,
    /// For the issuer migration: the next step is Update on the connection's page.
    pub issuer_update: bool,
}

fn known(v: Option<String>, placeholder: &str) -> String {
    v.filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| placeholder.to_owned())
}

/// Resolves the FIC values for a connection; fails for connections without federation.
#[allow(clippy::too_many_lines)] // one fallback chain, clearer in one place
pub fn fic_spec(ep: &Endpoint, ctx: &Context) -> Result<FicSpec, Error> {
    let verdict = classify(ep, ctx);
    let applies = verdict.credential == Credential::Federated
        || matches!(
            verdict.convertible.status,
            Status::Yes | Status::Manual | Status::OwnerProject
        )
        || (matches!(
            verdict.credential,
            Credential::Secret | Credential::Certificate
        ) && ep.endpoint_type().is_some_and(|t| {
            t.eq_ignore_ascii_case("azurerm") || t.eq_ignore_ascii_case("dockerregistry")
        }));
    if !applies {
        return Err(Error::Argument(format!(
            "connection {:?} ({} / {}) cannot use workload identity federation: no federated credential applies",
            ep.name().unwrap_or(""),
            ep.endpoint_type().unwrap_or("unknown type"),
            ep.scheme().unwrap_or("unknown scheme")
        )));
    }
    let stored_issuer = ep
        .param("workloadIdentityFederationIssuer")
        .filter(|s| !s.is_empty());
    let stored_subject = ep
        .param("workloadIdentityFederationSubject")
        .filter(|s| !s.is_empty());
    let expected = expected_federation(ep, ctx);
    let entra = expected
        .entra
        .clone()
        .filter(|e| e.issuer.is_some() && e.subject.is_some());
    let classic =
        Some(expected.azure_dev_ops.clone()).filter(|e| e.issuer.is_some() && e.subject.is_some());
    let (issuer, subject, source) = if let (Some(i), Some(s)) =
        (stored_issuer.clone(), stored_subject.clone())
    {
        (
            i,
            s,
            "issuer and subject as stored on the connection".to_owned(),
        )
    } else if let Some(e) = entra {
        (
            known(e.issuer, "<ISSUER>"),
            known(e.subject, "<SUBJECT>"),
            "expected Entra issuer and subject (Azure DevOps' default for new connections)"
                .to_owned(),
        )
    } else if let Some(c) = classic {
        (
            known(c.issuer, "<ISSUER>"),
            known(c.subject, "<SUBJECT>"),
            "expected Azure DevOps issuer and subject".to_owned(),
        )
    } else {
        let issuer = stored_issuer
            .or(expected.entra.as_ref().and_then(|e| e.issuer.clone()))
            .or(expected.azure_dev_ops.issuer.clone());
        let subject = stored_subject
            .or(expected.entra.as_ref().and_then(|e| e.subject.clone()))
            .or(expected.azure_dev_ops.subject.clone());
        (
            known(issuer, "<ISSUER>"),
            known(subject, "<SUBJECT>"),
            format!(
                "partly unknown: missing {}; copy the issuer and subject shown on the connection's page",
                expected.missing.join(", ")
            ),
        )
    };
    let id = known(
        ep.id()
            .map(|i| normalize_guid(i).unwrap_or_else(|| i.to_owned())),
        "<CONNECTION_ID>",
    );
    let connection_name = known(ep.name().map(str::to_owned), "<CONNECTION_NAME>");
    let org = known(ctx.organization_name.clone(), "<ORGANIZATION>");
    let project = known(ep.home_project().and_then(|r| r.project_name), "<PROJECT>");
    let description = format!(
        "Federation for Service Connection {connection_name} in https://dev.azure.com/{}/{}/_settings/adminservices?resourceId={id}",
        if org.starts_with('<') {
            org.clone()
        } else {
            url_segment(&org)
        },
        if project.starts_with('<') {
            project.clone()
        } else {
            url_segment(&project)
        },
    );
    Ok(FicSpec {
        connection_name,
        name: id,
        issuer,
        subject,
        audience: AUDIENCE.to_owned(),
        description,
        app_id: known(ep.param("serviceprincipalid"), "<APP_ID>"),
        app_object_id: known(ep.data("appObjectId"), "<APP_OBJECT_ID>"),
        tenant_id: known(ep.param("tenantid"), "<TENANT_ID>"),
        source,
        draft: verdict.state == crate::verdict::State::Draft,
        azure_devops_connection: crate::azure_devops::is_workload_identity_user(ep),
        symbol_suffix: String::new(),
        issuer_update: false,
    })
}

/// The commands (or steps) creating the connection's federated credential, in `format`
/// (one of [`FORMAT_NAMES`]).
pub fn federated_credential_commands(
    ep: &Endpoint,
    ctx: &Context,
    format: &str,
) -> Result<String, Error> {
    let format: CommandFormat = format.parse()?;
    let verdict = classify(ep, ctx);
    // Every path ends in the engine's sanitizer: no control or bidi character of a name raw.
    if let Some(pat) = &verdict.azure_dev_ops_pat {
        let out = azure_devops::pat_replacement(ep, ctx, pat, format);
        return Ok(crate::sanitize::terminal_block(&out));
    }
    let spec = fic_spec(ep, ctx)?;
    let mut out = render(&spec, format);
    if spec.azure_devops_connection {
        let access = azure_devops::access_for(ep, ctx);
        out.push('\n');
        out.push_str(&azure_devops::access_steps(&access, format));
        out.push_str(&azure_devops::finish_steps(spec.draft, format));
    }
    Ok(crate::sanitize::terminal_block(&out))
}

/// Renders a resolved spec in one format.
///
/// Whatever the format quoted, the text goes through the engine's sanitizer last, so no
/// control or bidi character of a name reaches a terminal raw.
pub fn render(spec: &FicSpec, format: CommandFormat) -> String {
    let text = match format {
        CommandFormat::Az => az(spec),
        CommandFormat::AzIdentity => az_identity(spec),
        CommandFormat::PowerShell => powershell(spec),
        CommandFormat::Bicep => bicep(spec),
        CommandFormat::Terraform => terraform(spec),
        CommandFormat::Graph => graph(spec),
        CommandFormat::Portal => portal(spec),
    };
    crate::sanitize::terminal_block(&text)
}

fn header(spec: &FicSpec, mark: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{mark} Federated credential for service connection {}",
        comment_text(&spec.connection_name)
    );
    let _ = writeln!(out, "{mark} Values: {}.", comment_text(&spec.source));
    let _ = writeln!(
        out,
        "{mark} Identity: client id {}, tenant {}. Replace every <PLACEHOLDER> before running.",
        comment_text(&spec.app_id),
        comment_text(&spec.tenant_id)
    );
    out
}

fn after(spec: &FicSpec) -> &'static str {
    if spec.issuer_update {
        "Then open the connection's page in Azure DevOps and select Update (both credentials exist during the switch)."
    } else if spec.azure_devops_connection {
        "Then make the identity a user of the organization and a member of the project (below)."
    } else if spec.draft {
        "Then, in Azure DevOps, open the connection and choose Finish setup, then Verify and save."
    } else {
        "Then convert the connection (or, if it already uses federation, verify it) in Azure DevOps."
    }
}

fn fic_json(spec: &FicSpec) -> serde_json::Value {
    json!({
        "name": spec.name,
        "issuer": spec.issuer,
        "subject": spec.subject,
        "audiences": [spec.audience],
        "description": spec.description,
    })
}

fn app_id_for_az(spec: &FicSpec) -> &str {
    if spec.app_object_id.starts_with('<') {
        &spec.app_id
    } else {
        &spec.app_object_id
    }
}

fn az(spec: &FicSpec) -> String {
    let mut out = header(spec, "#");
    let _ = writeln!(
        out,
        "# App registration: run as one of its owners. {}",
        after(spec)
    );
    let _ = writeln!(out, "az ad app federated-credential create \\");
    let _ = writeln!(out, "  --id {} \\", shell_quote(app_id_for_az(spec)));
    let _ = writeln!(
        out,
        "  --parameters {}",
        shell_quote(&fic_json(spec).to_string())
    );
    out
}

fn az_identity(spec: &FicSpec) -> String {
    let mut out = header(spec, "#");
    let _ = writeln!(
        out,
        "# User-assigned managed identity (client id {}). {}",
        comment_text(&spec.app_id),
        after(spec)
    );
    let _ = writeln!(out, "az identity federated-credential create \\");
    let _ = writeln!(out, "  --name {} \\", shell_quote(&spec.name));
    let _ = writeln!(
        out,
        "  --identity-name {} \\",
        shell_quote("<IDENTITY_NAME>")
    );
    let _ = writeln!(
        out,
        "  --resource-group {} \\",
        shell_quote("<IDENTITY_RESOURCE_GROUP>")
    );
    let _ = writeln!(
        out,
        "  --subscription {} \\",
        shell_quote("<IDENTITY_SUBSCRIPTION_ID>")
    );
    let _ = writeln!(out, "  --issuer {} \\", shell_quote(&spec.issuer));
    let _ = writeln!(out, "  --subject {} \\", shell_quote(&spec.subject));
    let _ = writeln!(out, "  --audiences {}", shell_quote(&spec.audience));
    out
}

fn powershell(spec: &FicSpec) -> String {
    let q = |s: &str| powershell_quote(s);
    let mut out = header(spec, "#");
    let _ = writeln!(out, "# {}", after(spec));
    let _ = writeln!(out, "# App registration (Az.Resources):");
    if spec.app_object_id.starts_with('<') {
        let _ = writeln!(
            out,
            "$app = Get-AzADApplication -ApplicationId {}",
            q(&spec.app_id)
        );
        let _ = writeln!(out, "$appObjectId = $app.Id");
    } else {
        let _ = writeln!(out, "$appObjectId = {}", q(&spec.app_object_id));
    }
    let _ = writeln!(out, "$fic = @{{");
    let _ = writeln!(out, "    ApplicationObjectId = $appObjectId");
    let _ = writeln!(out, "    Name                = {}", q(&spec.name));
    let _ = writeln!(out, "    Issuer              = {}", q(&spec.issuer));
    let _ = writeln!(out, "    Subject             = {}", q(&spec.subject));
    let _ = writeln!(out, "    Audience            = @({})", q(&spec.audience));
    let _ = writeln!(out, "    Description         = {}", q(&spec.description));
    let _ = writeln!(out, "}}");
    let _ = writeln!(out, "New-AzADAppFederatedCredential @fic");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# Or, for a user-assigned managed identity (Az.ManagedServiceIdentity):"
    );
    let _ = writeln!(out, "$mi = @{{");
    let _ = writeln!(
        out,
        "    ResourceGroupName = {}",
        q("<IDENTITY_RESOURCE_GROUP>")
    );
    let _ = writeln!(out, "    IdentityName      = {}", q("<IDENTITY_NAME>"));
    let _ = writeln!(out, "    Name              = {}", q(&spec.name));
    let _ = writeln!(out, "    Issuer            = {}", q(&spec.issuer));
    let _ = writeln!(out, "    Subject           = {}", q(&spec.subject));
    let _ = writeln!(out, "    Audience          = @({})", q(&spec.audience));
    let _ = writeln!(out, "}}");
    let _ = writeln!(out, "New-AzFederatedIdentityCredential @mi");
    out
}

fn bicep(spec: &FicSpec) -> String {
    let q = |s: &str| bicep_quote(s);
    let mut out = header(spec, "//");
    let _ = writeln!(out, "// {}", after(spec));
    let _ = writeln!(
        out,
        "// User-assigned managed identity (deploy to the identity's resource group):"
    );
    let _ = writeln!(
        out,
        "resource identity{} 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {{",
        spec.symbol_suffix
    );
    let _ = writeln!(out, "  name: {}", q("<IDENTITY_NAME>"));
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "resource federatedCredential{} 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {{",
        spec.symbol_suffix
    );
    let _ = writeln!(out, "  parent: identity{}", spec.symbol_suffix);
    let _ = writeln!(out, "  name: {}", q(&spec.name));
    let _ = writeln!(out, "  properties: {{");
    let _ = writeln!(out, "    issuer: {}", q(&spec.issuer));
    let _ = writeln!(out, "    subject: {}", q(&spec.subject));
    let _ = writeln!(out, "    audiences: [");
    let _ = writeln!(out, "      {}", q(&spec.audience));
    let _ = writeln!(out, "    ]");
    let _ = writeln!(out, "  }}");
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "// Or, for an app registration, in a separate file with the Microsoft Graph Bicep extension:"
    );
    let _ = writeln!(out, "// extension microsoftGraphV1");
    let _ = writeln!(
        out,
        "// resource app 'Microsoft.Graph/applications@v1.0' existing = {{"
    );
    let _ = writeln!(out, "//   uniqueName: {}", q("<APP_UNIQUE_NAME>"));
    let _ = writeln!(out, "// }}");
    let _ = writeln!(
        out,
        "// resource appFederatedCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {{"
    );
    let _ = writeln!(
        out,
        "//   name: '${{app.uniqueName}}/{}'",
        bicep_quote(&spec.name).trim_matches('\'')
    );
    let _ = writeln!(out, "//   issuer: {}", comment_text(&q(&spec.issuer)));
    let _ = writeln!(out, "//   subject: {}", comment_text(&q(&spec.subject)));
    let _ = writeln!(out, "//   audiences: [ {} ]", q(&spec.audience));
    let _ = writeln!(
        out,
        "//   description: {}",
        comment_text(&q(&spec.description))
    );
    let _ = writeln!(out, "// }}");
    out
}

/// A Terraform resource label from the connection name: `[a-z0-9_]`, starting with a letter.
fn tf_label(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s = s.trim_matches('_').to_owned();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s = format!("sc_{s}");
    }
    if s.len() > 64 {
        s.truncate(64);
    }
    s.trim_end_matches('_').to_owned()
}

fn terraform(spec: &FicSpec) -> String {
    let q = |s: &str| hcl_quote(s);
    // One script may hold several connections (the issuer migration's): the suffix keeps two
    // connections of the same name, in two projects, from declaring the same resource twice.
    let label = match spec.symbol_suffix.as_str() {
        "" => tf_label(&spec.connection_name),
        n => format!("{}_{n}", tf_label(&spec.connection_name)),
    };
    let mut out = header(spec, "#");
    let _ = writeln!(out, "# {}", after(spec));
    let _ = writeln!(out, "# App registration (azuread provider):");
    let _ = writeln!(
        out,
        "resource \"azuread_application_federated_identity_credential\" \"{label}\" {{"
    );
    let _ = writeln!(
        out,
        "  application_id = {}",
        q(&format!("/applications/{}", spec.app_object_id))
    );
    let _ = writeln!(out, "  display_name   = {}", q(&spec.name));
    let _ = writeln!(out, "  description    = {}", q(&spec.description));
    let _ = writeln!(out, "  audiences      = [{}]", q(&spec.audience));
    let _ = writeln!(out, "  issuer         = {}", q(&spec.issuer));
    let _ = writeln!(out, "  subject        = {}", q(&spec.subject));
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# Or, for a user-assigned managed identity (azurerm provider):"
    );
    let _ = writeln!(
        out,
        "resource \"azurerm_federated_identity_credential\" \"{label}\" {{"
    );
    let _ = writeln!(out, "  name                = {}", q(&spec.name));
    let _ = writeln!(
        out,
        "  resource_group_name = {}",
        q("<IDENTITY_RESOURCE_GROUP>")
    );
    let _ = writeln!(
        out,
        "  parent_id           = {}",
        q(
            "/subscriptions/<IDENTITY_SUBSCRIPTION_ID>/resourceGroups/<IDENTITY_RESOURCE_GROUP>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<IDENTITY_NAME>"
        )
    );
    let _ = writeln!(out, "  audience            = [{}]", q(&spec.audience));
    let _ = writeln!(out, "  issuer              = {}", q(&spec.issuer));
    let _ = writeln!(out, "  subject             = {}", q(&spec.subject));
    let _ = writeln!(out, "}}");
    out
}

fn graph(spec: &FicSpec) -> String {
    let mut out = header(spec, "#");
    let _ = writeln!(
        out,
        "# App registration, as one of its owners (permission Application.ReadWrite.All or ownership). {}",
        after(spec)
    );
    let target = if !spec.app_object_id.starts_with('<') {
        format!("applications/{}", url_segment(&spec.app_object_id))
    } else if !spec.app_id.starts_with('<') {
        format!("applications(appId='{}')", url_segment(&spec.app_id))
    } else {
        "applications/<APP_OBJECT_ID>".to_owned()
    };
    let _ = writeln!(
        out,
        "POST https://graph.microsoft.com/v1.0/{target}/federatedIdentityCredentials"
    );
    let _ = writeln!(out, "Content-Type: application/json");
    let _ = writeln!(out);
    // JSON escapes for what a serializer leaves raw (bidi, C1, U+2028): the body stays valid JSON
    // after the final terminal sanitizing, which then has nothing left to rewrite.
    let body = crate::sanitize::json_text(
        &serde_json::to_string_pretty(&fic_json(spec)).unwrap_or_default(),
    );
    let _ = writeln!(out, "{body}");
    out
}

fn portal(spec: &FicSpec) -> String {
    let mut out = String::new();
    let name = comment_text(&spec.connection_name);
    let _ = writeln!(
        out,
        "Federated credential for service connection {name} ({}).",
        comment_text(&spec.source)
    );
    let _ = writeln!(
        out,
        "1. Find the identity with client id {} in tenant {}:",
        comment_text(&spec.app_id),
        comment_text(&spec.tenant_id)
    );
    let _ = writeln!(
        out,
        "   - an app registration: Microsoft Entra admin center > App registrations > All applications, search the client id;"
    );
    let _ = writeln!(
        out,
        "   - a user-assigned managed identity: Azure portal > Managed Identities, open the identity."
    );
    let _ = writeln!(
        out,
        "2. Open Certificates & secrets > Federated credentials (managed identity: Settings > Federated credentials), then Add credential."
    );
    let _ = writeln!(out, "3. Scenario: Other issuer (managed identity: Other).");
    let _ = writeln!(out, "4. Issuer: {}", comment_text(&spec.issuer));
    let _ = writeln!(
        out,
        "5. Subject identifier (type Explicit subject identifier): {}",
        comment_text(&spec.subject)
    );
    let _ = writeln!(out, "6. Name: {}", comment_text(&spec.name));
    let _ = writeln!(out, "7. Audience: {} (the default).", spec.audience);
    let _ = writeln!(
        out,
        "8. Description (app registration only): {}",
        comment_text(&spec.description)
    );
    let _ = writeln!(out, "9. Select Add. {}", after(spec));
    let _ = writeln!(
        out,
        "Copy the values exactly: issuer and subject are compared character by character."
    );
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ctx() -> Context {
        Context {
            organization_name: Some("fabrikam".into()),
            organization_id: Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6".into()),
            project_name: Some("Web".into()),
            project_id: Some("c7e5f0b3-71fa-4429-9fb3-3321963a7c06".into()),
            now: Some("2026-01-01T00:00:00Z".into()),
        }
    }

    #[test]
    fn hostile_names_reach_no_terminal_raw() {
        let name = "evil\u{1b}[2J\u{1b}[1;1Hfake-ok\u{9b}1m\u{202e}x'y";
        let ep = Endpoint::from_value(json!({
            "id": "64171687-7a59-4fce-b2c8-823278dcf176", "name": name, "type": "azurerm",
            "data": {"creationMode": "Manual"},
            "authorization": {"scheme": "ServicePrincipal", "parameters": {
                "tenantid": "ff882432-09b0-437b-bd22-ca13c0037ded",
                "serviceprincipalid": "1272a66f-e2e8-4e88-ab43-487409186c3f", "authenticationType": "spnKey"}},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Web"}, "name": name}]
        }))
        .unwrap();
        for f in FORMAT_NAMES {
            let out = federated_credential_commands(&ep, &ctx(), f).unwrap();
            let raw: Vec<char> = out
                .chars()
                .filter(|&c| is_unsafe(c) && c != '\n' && c != '\t')
                .collect();
            assert!(raw.is_empty(), "{f}: {raw:?}\n{out}");
        }
        // An Azure DevOps PAT connection's replacement steps quote the name too.
        let pat = Endpoint::from_value(json!({
            "id": "11111111-2222-4333-8444-555555555555", "name": name, "type": "externalnugetfeed",
            "url": "https://pkgs.dev.azure.com/contoso/_packaging/shared/nuget/v3/index.json",
            "authorization": {"scheme": "UsernamePassword"},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Web"}, "name": name}]
        }))
        .unwrap();
        for f in ["az", "powershell", "portal"] {
            let out = federated_credential_commands(&pat, &ctx(), f).unwrap();
            let raw: Vec<char> = out
                .chars()
                .filter(|&c| is_unsafe(c) && c != '\n' && c != '\t')
                .collect();
            assert!(raw.is_empty(), "PAT {f}: {raw:?}\n{out}");
        }
        // Exact in the shells: ANSI-C quotes, and [char] in PowerShell.
        assert_eq!(shell_quote("a\u{1b}b'c"), r"$'a\x1bb\'c'");
        assert_eq!(
            powershell_quote("a\u{1b}b'c\u{202e}"),
            "('a' + [char]0x1b + 'b''c' + [char]0x202e)"
        );
        assert_eq!(powershell_quote("\u{1b}"), "([char]0x1b)");
    }

    fn draft() -> Endpoint {
        Endpoint::from_value(json!({
            "id": "64171687-7a59-4fce-b2c8-823278dcf176", "name": "it's \"prod\"", "type": "azurerm",
            "data": {"creationMode": "Manual", "isDraft": "true", "environment": "AzureCloud"},
            "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": {
                "tenantid": "ff882432-09b0-437b-bd22-ca13c0037ded",
                "serviceprincipalid": "1272a66f-e2e8-4e88-ab43-487409186c3f",
                "workloadIdentityFederationIssuer": "https://login.microsoftonline.com/ff882432-09b0-437b-bd22-ca13c0037ded/v2.0",
                "workloadIdentityFederationSubject": "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176"}},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Web App"}, "name": "it's \"prod\""}]
        })).unwrap()
    }

    fn manual_secret() -> Endpoint {
        Endpoint::from_value(json!({
            "id": "1dfdea68-9549-409e-abee-c5da69cfec5f", "name": "MyNewARMServiceEndpoint", "type": "AzureRM",
            "data": {"creationMode": "Manual"},
            "authorization": {"scheme": "ServicePrincipal", "parameters": {"tenantid": "1272a66f-e2e8-4e88-ab43-487409186c3f", "serviceprincipalid": "1272a66f-e2e8-4e88-ab43-487409186c3f", "authenticationType": "spnKey", "serviceprincipalkey": null}},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "TestProject"}, "name": "MyNewARMServiceEndpoint"}]
        })).unwrap()
    }

    #[test]
    fn snapshots_draft() {
        for f in FORMAT_NAMES {
            let out = federated_credential_commands(&draft(), &ctx(), f).unwrap();
            insta::assert_snapshot!(format!("draft_{f}"), out);
        }
    }

    #[test]
    fn snapshots_manual_secret_without_context() {
        for f in FORMAT_NAMES {
            let out =
                federated_credential_commands(&manual_secret(), &Context::default(), f).unwrap();
            insta::assert_snapshot!(format!("manual_no_context_{f}"), out);
        }
    }

    #[test]
    fn expected_entra_when_context_known() {
        let out = federated_credential_commands(&manual_secret(), &ctx(), "az").unwrap();
        assert!(out.contains(
            "https://login.microsoftonline.com/1272a66f-e2e8-4e88-ab43-487409186c3f/v2.0"
        ));
        assert!(out.contains(
            "/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/1dfdea68-9549-409e-abee-c5da69cfec5f"
        ));
        assert!(!out.contains("<ISSUER>"));
    }

    #[test]
    fn placeholders_when_unknown() {
        let out =
            federated_credential_commands(&manual_secret(), &Context::default(), "az").unwrap();
        assert!(out.contains("<ORGANIZATION>"), "{out}");
    }

    #[test]
    fn errors() {
        let generic = Endpoint::from_value(
            json!({"type": "generic", "authorization": {"scheme": "UsernamePassword"}}),
        )
        .unwrap();
        assert!(federated_credential_commands(&generic, &ctx(), "az").is_err());
        let e = federated_credential_commands(&draft(), &ctx(), "cmd")
            .unwrap_err()
            .to_string();
        assert!(e.contains("azIdentity"), "{e}");
        assert!(federated_credential_commands(&draft(), &ctx(), "AZIDENTITY").is_ok());
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(powershell_quote("a'b\u{2019}c"), "'a''b\u{2019}\u{2019}c'");
        assert_eq!(bicep_quote("a'${x}\\"), "'a\\'\\${x}\\\\'");
        assert_eq!(hcl_quote("a\"${x}%{y}\\"), "\"a\\\"$${x}%%{y}\\\\\"");
        assert_eq!(tf_label("it's \"prod\""), "it_s__prod");
        assert_eq!(tf_label("9lives"), "sc_9lives");
        assert_eq!(comment_text("a\nrm -rf /"), "a rm -rf /");
    }
}
