//! The issuer retirement plan: every connection still on the Azure DevOps issuer
//! (`https://vstoken.dev.azure.com/{orgId}`, `sc://` subjects) must move to the Entra issuer
//! before 2027-07-01 (ado-facts §8.6, §17.1).
//!
//! [`issuer_migration_plan`] lists them with the days left and groups them by what the user
//! must do; [`issuer_migration_commands`] writes the federated credentials of the manual ones
//! as one script; [`verify_issuer_migration`] re-reads them and says which now carry the Entra
//! issuer with the expected subject.
//!
//! Federate never sends the issuer update itself: the REST call behind the web UI's
//! **Update** is unconfirmed (ado-facts §17.5), so the switch stays that button.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::Error;
use crate::azure_devops::is_workload_identity_user;
use crate::federation::{
    ADO_ISSUER_RETIREMENT, Format, expected_federation, home_connection_name, issuer_info,
    normalize_guid,
};
use crate::model::Endpoint;
use crate::remedy::{self, CommandFormat, url_segment};
use crate::verdict::time::{days_until, parse_iso_time};
use crate::verdict::{Context, Credential, State, classify, is_automatic};

/// Entra's limit of federated identity credentials per app registration or user-assigned
/// managed identity (ado-facts §17.1).
pub const FIC_LIMIT: usize = 20;

/// What the user must do for a connection on the retiring issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum MigrationGroup {
    /// Azure DevOps created the identity and writes the new credential itself: Update.
    Automatic,
    /// Add the Entra federated credential first, then Update.
    Manual,
    /// The relying party is not Entra (AWS, other extensions): it must trust the Entra issuer.
    OtherRelyingParty,
    /// Outside the retirement (sovereign clouds): keeps the Azure DevOps issuer.
    OutOfScope,
}

impl MigrationGroup {
    const ALL: [MigrationGroup; 4] = [
        MigrationGroup::Automatic,
        MigrationGroup::Manual,
        MigrationGroup::OtherRelyingParty,
        MigrationGroup::OutOfScope,
    ];

    fn title(self) -> &'static str {
        match self {
            MigrationGroup::Automatic => "Automatic: Update in Azure DevOps is enough",
            MigrationGroup::Manual => "Manual: add the Entra federated credential, then Update",
            MigrationGroup::OtherRelyingParty => {
                "Relying party not Entra: it must trust the Entra issuer first"
            }
            MigrationGroup::OutOfScope => "Out of scope: keeps the Azure DevOps issuer",
        }
    }

    fn action(self) -> &'static str {
        match self {
            MigrationGroup::Automatic => {
                "Azure DevOps created these identities and writes the new federated credential itself: open each connection's page and select Update."
            }
            MigrationGroup::Manual => {
                "Add a federated credential for the Entra issuer and subject shown to each identity (the script below does it for the selection), then open the connection's page and select Update. Both credentials exist during the switch, so pipelines keep working in between; delete the old credential (issuer https://vstoken.dev.azure.com/…) afterwards."
            }
            MigrationGroup::OtherRelyingParty => {
                "These connections federate with a party other than Entra (for example AWS IAM with useOIDC). That party must trust tokens from the new issuer before the switch: add it as an identity provider there (as was done for https://vstoken.dev.azure.com/…), then Update. Federate knows only what the connection stores."
            }
            MigrationGroup::OutOfScope => {
                "The retirement does not apply to these connections; they keep the Azure DevOps issuer. Nothing to do now."
            }
        }
    }
}

/// One connection on the retiring issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MigrationItem {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub endpoint_type: Option<String>,
    /// The home project's name and id.
    pub project_name: Option<String>,
    pub project_id: Option<String>,
    pub group: MigrationGroup,
    /// The identity's client id (`serviceprincipalid`).
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
    /// The issuer and subject stored now (`None` when the connection stores none).
    pub issuer: Option<String>,
    pub subject: Option<String>,
    /// What it should carry after the switch (`None` where inputs are missing).
    pub entra_issuer: Option<String>,
    pub entra_subject: Option<String>,
    /// The connection's page, where the Update button is, relative to the organization URL
    /// (`/{project}/_settings/adminservices?resourceId={id}`).
    pub page_path: Option<String>,
    /// Why it is in its group, in one sentence.
    pub note: String,
}

/// Connections sharing one identity whose federated credentials would pass Entra's limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IdentityWarning {
    pub client_id: String,
    /// The connections using it (names, else ids).
    pub connections: Vec<String>,
    /// Credentials now (one per connection) and during the migration (one more for each
    /// connection switching issuer).
    pub credentials_now: usize,
    pub credentials_during_migration: usize,
    pub message: String,
}

/// A group of the plan, with the engine's words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "MigrationPlanGroup"))]
#[serde(rename_all = "camelCase")]
pub struct PlanGroup {
    pub group: MigrationGroup,
    pub title: String,
    pub action: String,
    pub items: Vec<MigrationItem>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MigrationPlan {
    /// `2027-07-01`.
    pub deadline: String,
    /// Whole days from `context.now` to the deadline.
    pub days_left: Option<i64>,
    /// Connections on the retiring issuer.
    pub count: usize,
    /// The plan's opening text (deadline, what Federate does and does not do).
    pub intro: String,
    /// Non-empty groups, in the order automatic, manual, other relying party, out of scope.
    pub groups: Vec<PlanGroup>,
    /// Shown before the plan.
    pub identity_warnings: Vec<IdentityWarning>,
    /// Caveats that apply to every group (multitenant apps…).
    pub notes: Vec<String>,
}

/// Whether and how a connection is on the Azure DevOps issuer: `Some(true)` stored,
/// `Some(false)` presumed (a federated extension connection that stores no issuer: its tokens
/// come from the Azure DevOps issuer unless it was updated), `None` not on it.
fn on_azure_devops_issuer(ep: &Endpoint, credential: Credential) -> Option<bool> {
    if let Some(issuer) = ep
        .param("workloadIdentityFederationIssuer")
        .filter(|s| !s.trim().is_empty())
    {
        return (issuer_info(&issuer).format == Format::AzureDevOps).then_some(true);
    }
    let entra_type = ep.endpoint_type().is_some_and(|t| {
        ["azurerm", "dockerregistry"]
            .iter()
            .any(|n| t.trim().eq_ignore_ascii_case(n))
    }) || is_workload_identity_user(ep);
    (credential == Credential::Federated && !entra_type && ep.param("tenantid").is_none())
        .then_some(false)
}

fn page_path(ep: &Endpoint) -> Option<String> {
    let project = ep.home_project().and_then(|p| p.project_name)?;
    let id = ep.id()?;
    Some(format!(
        "/{}/_settings/adminservices?resourceId={}",
        url_segment(&project),
        url_segment(id)
    ))
}

/// The connections of a list, once each (an organization scan meets a shared connection in
/// every project it is shared with).
fn unique(list: &[Endpoint]) -> Vec<&Endpoint> {
    let mut seen = std::collections::HashSet::new();
    list.iter()
        .filter(|e| match e.id() {
            Some(id) => seen.insert(id.to_ascii_lowercase()),
            None => true,
        })
        .collect()
}

fn item(ep: &Endpoint, ctx: &Context, stored: bool) -> MigrationItem {
    let entra_type = ep.endpoint_type().is_some_and(|t| {
        ["azurerm", "dockerregistry"]
            .iter()
            .any(|n| t.trim().eq_ignore_ascii_case(n))
    });
    let (group, note) = if let Some(env) = crate::federation::is_sovereign(ep) {
        (
            MigrationGroup::OutOfScope,
            format!(
                "Environment {env}: sovereign clouds are outside the retirement (the Entra issuer fails there with AADSTS900382)."
            ),
        )
    } else if entra_type && is_automatic(ep) {
        (
            MigrationGroup::Automatic,
            "Created by Azure DevOps (automatic): Update writes the new credential.".to_owned(),
        )
    } else if entra_type || is_workload_identity_user(ep) || ep.param("tenantid").is_some() {
        (
            MigrationGroup::Manual,
            if is_workload_identity_user(ep) {
                "Azure DevOps connection with an identity of its own: its owner adds the Entra credential, then Update.".to_owned()
            } else {
                "Created manually: its identity's owner adds the Entra credential, then Update."
                    .to_owned()
            },
        )
    } else {
        (
            MigrationGroup::OtherRelyingParty,
            if stored {
                format!(
                    "Type {}: its relying party is not an Entra identity (no tenant id stored).",
                    ep.endpoint_type().unwrap_or("unknown")
                )
            } else {
                format!(
                    "Type {}: federated by the extension, which stores no issuer; its tokens come from the Azure DevOps issuer (presumed) and its relying party is not Entra.",
                    ep.endpoint_type().unwrap_or("unknown")
                )
            },
        )
    };
    let expected = expected_federation(ep, ctx);
    let (entra_issuer, entra_subject) = match (&group, expected.entra) {
        (MigrationGroup::Automatic | MigrationGroup::Manual, Some(e)) => (e.issuer, e.subject),
        _ => (None, None),
    };
    let home = ep.home_project();
    MigrationItem {
        id: ep.id().map(str::to_owned),
        name: home_connection_name(ep),
        endpoint_type: ep.endpoint_type().map(str::to_owned),
        project_name: home.as_ref().and_then(|h| h.project_name.clone()),
        project_id: home.as_ref().and_then(|h| h.project_id.clone()),
        group,
        client_id: ep
            .param("serviceprincipalid")
            .filter(|s| !s.trim().is_empty()),
        tenant_id: ep.param("tenantid").filter(|s| !s.trim().is_empty()),
        issuer: ep
            .param("workloadIdentityFederationIssuer")
            .filter(|s| !s.trim().is_empty()),
        subject: ep
            .param("workloadIdentityFederationSubject")
            .filter(|s| !s.trim().is_empty()),
        entra_issuer,
        entra_subject,
        page_path: page_path(ep),
        note,
    }
}

/// Identities whose credentials would pass [`FIC_LIMIT`]: every federated connection counts
/// one credential, and each one switching issuer counts one more during the migration.
fn identity_warnings(
    list: &[&Endpoint],
    ctx: &Context,
    migrating: &[MigrationItem],
) -> Vec<IdentityWarning> {
    let mut by_client: BTreeMap<String, (Vec<String>, usize)> = BTreeMap::new();
    for ep in list {
        if classify(ep, ctx).credential != Credential::Federated {
            continue;
        }
        let Some(client) = ep
            .param("serviceprincipalid")
            .map(|c| normalize_guid(&c).unwrap_or_else(|| c.trim().to_ascii_lowercase()))
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        let name = ep
            .name()
            .or_else(|| ep.id())
            .unwrap_or("(unnamed)")
            .to_owned();
        let switching = migrating.iter().any(|m| {
            m.id.is_some()
                && m.id.as_deref() == ep.id()
                && matches!(m.group, MigrationGroup::Automatic | MigrationGroup::Manual)
        });
        let entry = by_client.entry(client).or_default();
        entry.0.push(name);
        entry.1 += usize::from(switching);
    }
    by_client
        .into_iter()
        .filter_map(|(client_id, (connections, switching))| {
            let now = connections.len();
            let during = now + switching;
            (during > FIC_LIMIT).then(|| IdentityWarning {
                message: format!(
                    "Identity {client_id} backs {now} connections ({now} federated credentials); switching {switching} of them adds one credential each while both exist, {during} in all, over Entra's limit of {FIC_LIMIT} per identity. Migrate them in batches and delete each old credential right after its Update, or give some connections their own identity. Connections: {}.",
                    connections.join(", ")
                ),
                client_id,
                credentials_now: now,
                credentials_during_migration: during,
                connections,
            })
        })
        .collect()
}

/// The plan for a list of connections (a project's, or every project's of an organization).
///
/// ```
/// use federate_core::{model::Endpoint, verdict::Context, migration::issuer_migration_plan};
/// let plan = issuer_migration_plan(&[], &Context::default());
/// assert_eq!(plan.count, 0);
/// assert!(plan.intro.contains("2027-07-01"));
/// ```
pub fn issuer_migration_plan(list: &[Endpoint], ctx: &Context) -> MigrationPlan {
    let eps = unique(list);
    let mut items = Vec::new();
    for ep in &eps {
        let verdict = classify(ep, ctx);
        if verdict.credential != Credential::Federated && verdict.state != State::Draft {
            continue;
        }
        if let Some(stored) = on_azure_devops_issuer(ep, verdict.credential) {
            items.push(item(ep, ctx, stored));
        }
    }
    let days_left = match (
        ctx.now.as_deref().and_then(|n| parse_iso_time(n).ok()),
        parse_iso_time(ADO_ISSUER_RETIREMENT).ok(),
    ) {
        (Some(n), Some(d)) => Some(days_until(n, d)),
        _ => None,
    };
    let when = match days_left {
        Some(d) if d > 0 => format!("retires on 2027-07-01 ({d} days left)"),
        Some(_) => "was retired on 2027-07-01".to_owned(),
        None => "retires on 2027-07-01".to_owned(),
    };
    let intro = format!(
        "The Azure DevOps issuer (https://vstoken.dev.azure.com/{{organizationId}}, sc:// subjects) {when}; {} connection(s) here still use it. Federate does not send the issuer update itself: the REST call behind Update is not confirmed, so each switch is made with the Update button on the connection's page. Federate prepares the credentials and, with Verify, re-reads the connections to show which now carry the Entra issuer with the expected subject.",
        items.len()
    );
    let identity_warnings = identity_warnings(&eps, ctx, &items);
    let count = items.len();
    let groups = MigrationGroup::ALL
        .iter()
        .filter_map(|g| {
            let members: Vec<MigrationItem> =
                items.iter().filter(|i| i.group == *g).cloned().collect();
            (!members.is_empty()).then(|| PlanGroup {
                group: *g,
                title: g.title().to_owned(),
                action: g.action().to_owned(),
                items: members,
            })
        })
        .collect();
    MigrationPlan {
        deadline: "2027-07-01".to_owned(),
        days_left,
        count,
        intro,
        groups,
        identity_warnings,
        notes: vec![
            "Multitenant app registrations are outside the retirement (the Entra issuer fails for them with AADSTS70052); Federate cannot see an app's sign-in audience, so check it in Entra before adding a credential.".to_owned(),
            "Renames stop mattering after the switch: the Entra subject holds only ids.".to_owned(),
        ],
    }
}

/// The Entra federated credentials of the manual connections of `ids` (every manual one when
/// `ids` is `None`; none when it is empty), in one script of `format` (one of
/// [`remedy::FORMAT_NAMES`]).
pub fn issuer_migration_commands(
    list: &[Endpoint],
    ctx: &Context,
    ids: Option<&[String]>,
    format: &str,
) -> Result<String, Error> {
    let format: CommandFormat = format.parse()?;
    let plan = issuer_migration_plan(list, ctx);
    let wanted = |id: Option<&str>| match ids {
        None => true,
        Some(ids) => id.is_some_and(|i| ids.iter().any(|w| w.eq_ignore_ascii_case(i))),
    };
    let manual: Vec<&MigrationItem> = plan
        .groups
        .iter()
        .filter(|g| g.group == MigrationGroup::Manual)
        .flat_map(|g| &g.items)
        .filter(|i| wanted(i.id.as_deref()))
        .collect();
    let mark = match format {
        CommandFormat::Bicep => "// ",
        CommandFormat::Portal => "",
        _ => "# ",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{mark}Issuer migration: Entra federated credentials for {} connection(s). Add them first, then select Update on each connection's page (Federate does not send the update: its REST call is unconfirmed).",
        manual.len()
    );
    for (n, it) in manual.iter().enumerate() {
        let Some(ep) = list
            .iter()
            .find(|e| e.id().is_some() && e.id() == it.id.as_deref())
        else {
            continue;
        };
        let mut spec = remedy::fic_spec(ep, ctx)?;
        spec.issuer = it.entra_issuer.clone().unwrap_or_else(|| "<ISSUER>".into());
        spec.subject = it
            .entra_subject
            .clone()
            .unwrap_or_else(|| "<SUBJECT>".into());
        spec.name = format!("{}-entra", spec.name);
        spec.source = "the Entra issuer and subject this connection gets from Update".into();
        spec.draft = false;
        spec.azure_devops_connection = false;
        spec.symbol_suffix = (n + 1).to_string();
        spec.issuer_update = true;
        let _ = writeln!(out);
        out.push_str(&remedy::render(&spec, format));
    }
    // Names quoted in the headers reach a terminal only through the engine's sanitizer.
    Ok(crate::sanitize::terminal_block(&out))
}

/// What a re-read says about one connection of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum VerifyStatus {
    /// On the Entra issuer with the expected subject.
    Migrated,
    /// On the Entra issuer, but the subject (or tenant) is not the expected one.
    Unexpected,
    /// Still on the Azure DevOps issuer.
    Pending,
    /// Stores no issuer: Federate cannot tell.
    Unknown,
    /// Not in the connections read now.
    Missing,
}

/// One row of [`verify_issuer_migration`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VerifyRow {
    pub id: String,
    pub name: Option<String>,
    pub status: VerifyStatus,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub message: String,
}

/// Re-reads the plan's connections (`ids`) in `list` and says which now carry the Entra issuer
/// with the expected subject.
pub fn verify_issuer_migration(list: &[Endpoint], ctx: &Context, ids: &[String]) -> Vec<VerifyRow> {
    ids.iter()
        .map(|id| {
            let Some(ep) = list
                .iter()
                .find(|e| e.id().is_some_and(|i| i.eq_ignore_ascii_case(id)))
            else {
                return VerifyRow {
                    id: id.clone(),
                    name: None,
                    status: VerifyStatus::Missing,
                    issuer: None,
                    subject: None,
                    message: "Not among the connections read now: deleted, or not visible to you.".into(),
                };
            };
            let issuer = ep
                .param("workloadIdentityFederationIssuer")
                .filter(|s| !s.trim().is_empty());
            let subject = ep
                .param("workloadIdentityFederationSubject")
                .filter(|s| !s.trim().is_empty());
            let format = issuer.as_deref().map(|i| issuer_info(i).format);
            let expected = expected_federation(ep, ctx).entra;
            let (status, message) = match format {
                None => (
                    VerifyStatus::Unknown,
                    "The connection stores no issuer: Federate cannot tell which one its tokens carry.".to_owned(),
                ),
                Some(Format::AzureDevOps) => (
                    VerifyStatus::Pending,
                    "Still on the Azure DevOps issuer: select Update on its page.".to_owned(),
                ),
                Some(Format::Entra) => {
                    let want = expected.as_ref();
                    let issuer_ok = want
                        .and_then(|e| e.issuer.as_deref())
                        .is_none_or(|w| issuer.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(w)));
                    match want.and_then(|e| e.subject.as_deref()) {
                        Some(w) if issuer_ok && subject.as_deref() == Some(w) => (
                            VerifyStatus::Migrated,
                            "On the Entra issuer with the expected subject.".to_owned(),
                        ),
                        Some(w) => (
                            VerifyStatus::Unexpected,
                            format!(
                                "On the Entra issuer, but it does not carry the expected issuer and subject ({w}): check the connection and its federated credential."
                            ),
                        ),
                        None => (
                            VerifyStatus::Migrated,
                            "On the Entra issuer (the expected subject could not be computed: organization id or tenant missing).".to_owned(),
                        ),
                    }
                }
                Some(_) => (
                    VerifyStatus::Unexpected,
                    "On an issuer that is neither the Azure DevOps nor the Entra issuer.".to_owned(),
                ),
            };
            VerifyRow {
                id: ep.id().unwrap_or(id).to_owned(),
                name: home_connection_name(ep),
                status,
                issuer,
                subject,
                message,
            }
        })
        .collect()
}
