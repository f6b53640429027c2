//! Remedies that concern Azure DevOps itself: the access an Azure DevOps connection's identity
//! needs (a user of each organization it reaches, with Basic, and a member of the project),
//! and the replacement of a connection holding an Azure DevOps PAT by an Azure DevOps
//! connection.
//!
//! Sources: the seed document (`add-devops-entra-service-connection`: prerequisites, cross
//! organization, pipeline use, errors); the official example
//! `memberEntitlementManagement/7.1/…/POST__memberEntitlementManagement_ServicePrincipalEntitlement.json`
//! (the entitlements call: `origin: aad`, `originId` = the service principal's object id,
//! `projectEntitlements` with `groupType: projectReader`); `accountLicenseType: express` is
//! Basic (terraform-provider-azuredevops `service_principal_entitlement` docs); the task inputs
//! of `AzureCLI@3` and `InvokeRESTAPI@1` (azure-pipelines-tasks `task.json`). `az devops user
//! add` takes only user e-mail addresses, so a service principal or managed identity is added
//! with the entitlements call.

use std::fmt::Write as _;

use serde_json::json;

use super::{CommandFormat, comment_text, hcl_quote, powershell_quote, shell_quote, url_segment};
use crate::azure_devops::{AZURE_DEVOPS_RESOURCE, AzureDevOpsPat, PatUse, organization_of_url};
use crate::federation::normalize_guid;
use crate::model::Endpoint;
use crate::verdict::Context;

const ENTITLEMENTS_API: &str = "7.1-preview.1";

/// Who must be given access where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The organization of the connection (or `<ORGANIZATION>`).
    pub organization: String,
    /// The connection's project (or `<PROJECT>`).
    pub project: String,
    /// Its id (or `<PROJECT_ID>`).
    pub project_id: String,
    /// Client id of the identity (or `<CLIENT_ID>`).
    pub client_id: String,
    /// Another organization the connection reaches (its URL names it), if any.
    pub other_organization: Option<String>,
}

fn known(v: Option<String>, placeholder: &str) -> String {
    v.filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| placeholder.to_owned())
}

/// What access the connection's identity needs, from the connection and the context.
pub fn access_for(ep: &Endpoint, ctx: &Context) -> Access {
    let home = ep.home_project();
    let organization = known(ctx.organization_name.clone(), "<ORGANIZATION>");
    let other_organization = ep
        .url()
        .and_then(organization_of_url)
        .filter(|o| !o.eq_ignore_ascii_case(&organization));
    Access {
        organization,
        project: known(
            home.as_ref().and_then(|h| h.project_name.clone()),
            "<PROJECT>",
        ),
        project_id: known(
            home.as_ref()
                .and_then(|h| h.project_id.as_deref().and_then(normalize_guid))
                .or_else(|| ctx.project_id.as_deref().and_then(normalize_guid)),
            "<PROJECT_ID>",
        ),
        client_id: known(ep.param("serviceprincipalid"), "<CLIENT_ID>"),
        other_organization,
    }
}

fn entitlements_url(org: &str) -> String {
    let org = if org.starts_with('<') {
        org.to_owned()
    } else {
        url_segment(org)
    };
    format!(
        "https://vsaex.dev.azure.com/{org}/_apis/serviceprincipalentitlements?api-version={ENTITLEMENTS_API}"
    )
}

/// The entitlements body; `project_id` `None` adds no project (another organization's).
fn entitlement_body(origin_id: &str, project_id: Option<&str>) -> serde_json::Value {
    let projects: Vec<serde_json::Value> = project_id
        .map(|p| json!({"group": {"groupType": "projectReader"}, "projectRef": {"id": p}}))
        .into_iter()
        .collect();
    json!({
        "accessLevel": {"accountLicenseType": "express"},
        "projectEntitlements": projects,
        "servicePrincipal": {"origin": "aad", "originId": origin_id, "subjectKind": "servicePrincipal"},
    })
}

fn mark(format: CommandFormat) -> &'static str {
    match format {
        CommandFormat::Bicep => "//",
        CommandFormat::Portal => "",
        _ => "#",
    }
}

/// Writes a comment line (or a plain line for the portal format).
fn note(out: &mut String, format: CommandFormat, text: &str) {
    let m = mark(format);
    if m.is_empty() {
        let _ = writeln!(out, "{}", comment_text(text));
    } else {
        let _ = writeln!(out, "{m} {}", comment_text(text));
    }
}

/// The organizations to add the identity to, each with the project to join (if known).
fn targets(a: &Access) -> Vec<(String, Option<String>)> {
    let mut t = vec![(a.organization.clone(), Some(a.project_id.clone()))];
    if let Some(o) = &a.other_organization {
        t.push((o.clone(), None));
    }
    t
}

/// The steps that make the identity a user of the organization (Basic) and a member of the
/// project (Readers), and the same in the other organization it reaches, in one format.
#[allow(clippy::too_many_lines)] // one branch per format, each short
pub fn access_steps(a: &Access, format: CommandFormat) -> String {
    let mut out = String::new();
    note(
        &mut out,
        format,
        &format!(
            "Azure DevOps access for the identity with client id {}: a user of organization {} with access level Basic, and a member of project {} (Readers, or the group it needs). Without it pipelines fail with TF401444, \"does not have access to Azure DevOps organization\" or VS800075.",
            a.client_id, a.organization, a.project
        ),
    );
    if let Some(o) = &a.other_organization {
        note(
            &mut out,
            format,
            &format!(
                "The connection reaches organization {o} too (cross-organization use): the identity must be a user there as well, and a member of the projects it reads there."
            ),
        );
    }
    let sp_lookup = "The service principal's object id (Enterprise application, not the app registration; for a managed identity its principal id):";
    match format {
        CommandFormat::Az | CommandFormat::AzIdentity => {
            note(
                &mut out,
                format,
                "az devops user add takes only user e-mail addresses; service principals and managed identities are added with the entitlements REST call.",
            );
            note(&mut out, format, sp_lookup);
            let _ = writeln!(
                out,
                "spObjectId=$(az ad sp show --id {} --query id -o tsv)",
                shell_quote(&a.client_id)
            );
            for (org, project) in targets(a) {
                let body = entitlement_body("@@ID@@", project.as_deref()).to_string();
                let (before, after) = body.split_once("@@ID@@").unwrap_or((&body, ""));
                let _ = writeln!(out, "az rest --method post \\");
                let _ = writeln!(out, "  --url {} \\", shell_quote(&entitlements_url(&org)));
                let _ = writeln!(
                    out,
                    "  --resource {} \\",
                    shell_quote(AZURE_DEVOPS_RESOURCE)
                );
                let _ = writeln!(out, "  --headers 'Content-Type=application/json' \\");
                let _ = writeln!(
                    out,
                    "  --body {}\"$spObjectId\"{}",
                    shell_quote(before),
                    shell_quote(after)
                );
            }
        }
        CommandFormat::PowerShell => {
            let q = |s: &str| powershell_quote(s);
            note(&mut out, format, sp_lookup);
            let _ = writeln!(
                out,
                "$spObjectId = (Get-AzADServicePrincipal -ApplicationId {}).Id",
                q(&a.client_id)
            );
            let _ = writeln!(
                out,
                "$token = (Get-AzAccessToken -ResourceUrl {} -AsSecureString).Token",
                q(AZURE_DEVOPS_RESOURCE)
            );
            for (org, project) in targets(a) {
                let projects = project.map_or_else(
                    || "@()".to_owned(),
                    |p| {
                        format!(
                            "@(@{{ group = @{{ groupType = 'projectReader' }}; projectRef = @{{ id = {} }} }})",
                            q(&p)
                        )
                    },
                );
                let _ = writeln!(
                    out,
                    "$body = @{{ accessLevel = @{{ accountLicenseType = 'express' }}; projectEntitlements = {projects}; servicePrincipal = @{{ origin = 'aad'; originId = $spObjectId; subjectKind = 'servicePrincipal' }} }} | ConvertTo-Json -Depth 5"
                );
                let _ = writeln!(
                    out,
                    "Invoke-RestMethod -Method Post -Uri {} -Authentication Bearer -Token $token -ContentType 'application/json' -Body $body",
                    q(&entitlements_url(&org))
                );
            }
        }
        CommandFormat::Graph => {
            note(
                &mut out,
                format,
                &format!(
                    "With a Microsoft Entra token for Azure DevOps (resource {AZURE_DEVOPS_RESOURCE}), as an organization administrator:"
                ),
            );
            for (org, project) in targets(a) {
                let _ = writeln!(out, "POST {}", entitlements_url(&org));
                let _ = writeln!(out, "Content-Type: application/json");
                let _ = writeln!(out);
                let body = entitlement_body("<SERVICE_PRINCIPAL_OBJECT_ID>", project.as_deref());
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&body).unwrap_or_default()
                );
                let _ = writeln!(out);
            }
        }
        CommandFormat::Terraform => {
            note(
                &mut out,
                format,
                "azuredevops provider, configured for each organization below:",
            );
            for (i, (org, project)) in targets(a).into_iter().enumerate() {
                note(&mut out, format, &format!("Organization {org}:"));
                let _ = writeln!(
                    out,
                    "resource \"azuredevops_service_principal_entitlement\" \"identity_{i}\" {{"
                );
                let _ = writeln!(
                    out,
                    "  origin_id            = {}",
                    hcl_quote("<SERVICE_PRINCIPAL_OBJECT_ID>")
                );
                let _ = writeln!(out, "  origin               = \"aad\"");
                let _ = writeln!(out, "  account_license_type = \"basic\"");
                let _ = writeln!(out, "}}");
                if let Some(p) = project {
                    let _ = writeln!(out, "data \"azuredevops_group\" \"readers_{i}\" {{");
                    let _ = writeln!(out, "  project_id = {}", hcl_quote(&p));
                    let _ = writeln!(out, "  name       = \"Readers\"");
                    let _ = writeln!(out, "}}");
                    let _ = writeln!(
                        out,
                        "resource \"azuredevops_group_membership\" \"readers_{i}\" {{"
                    );
                    let _ = writeln!(
                        out,
                        "  group   = data.azuredevops_group.readers_{i}.descriptor"
                    );
                    let _ = writeln!(
                        out,
                        "  members = [azuredevops_service_principal_entitlement.identity_{i}.descriptor]"
                    );
                    let _ = writeln!(out, "}}");
                }
            }
        }
        CommandFormat::Bicep | CommandFormat::Portal => {
            if format == CommandFormat::Bicep {
                note(
                    &mut out,
                    format,
                    "Bicep has no Azure DevOps resources; in the web UI:",
                );
            }
            for (org, project) in targets(a) {
                note(
                    &mut out,
                    format,
                    &format!(
                        "- Organization {org}: Organization settings > Users > Add users; name: the identity's name or object id; access level: Basic."
                    ),
                );
                let join = if project.is_some() {
                    format!("  Add to projects: {} (Readers), then Add.", a.project)
                } else {
                    "  Add to the projects it reads there (for example their Readers group), then Add.".to_owned()
                };
                note(&mut out, format, &join);
            }
            note(
                &mut out,
                format,
                "  Or: the connection's page > View access in the current organization > Member of > add a group such as Readers.",
            );
        }
    }
    out
}

/// The last step of an Azure DevOps connection's remedy.
pub fn finish_steps(draft: bool, format: CommandFormat) -> String {
    let mut out = String::new();
    let text = if draft {
        "Last: in Azure DevOps open the connection, choose Finish setup, then Verify and save."
    } else {
        "Last: in Azure DevOps open the connection and choose Verify to check it."
    };
    note(&mut out, format, text);
    out
}

/// A name for the new connection, from the old one.
fn new_name(old: &str) -> String {
    format!("{old}-wif")
}

/// The pipeline change for one use of the old connection, as YAML lines.
fn pipeline_yaml(usage: PatUse, new: &str, ep: &Endpoint) -> Vec<String> {
    let quoted = format!("'{}'", new.replace('\'', "''"));
    match usage {
        PatUse::Repository => {
            let name = ep
                .url()
                .and_then(|u| {
                    let lower = u.to_ascii_lowercase();
                    let at = lower.find("/_git/")?;
                    let before = u[..at].rsplit('/').next().unwrap_or("<PROJECT>");
                    let repo = u[at + 6..]
                        .split(['/', '?', '#'])
                        .next()
                        .unwrap_or("<REPOSITORY>");
                    Some(format!("{before}/{repo}"))
                })
                .unwrap_or_else(|| "<PROJECT>/<REPOSITORY>".to_owned());
            vec![
                "resources:".into(),
                "  repositories:".into(),
                "    - repository: other".into(),
                "      type: git".into(),
                format!("      endpoint: {quoted}"),
                format!("      name: '{}'", name.replace('\'', "''")),
                "steps:".into(),
                "  - checkout: other".into(),
            ]
        }
        PatUse::ArtifactsFeed => vec![
            "- task: NuGetAuthenticate@1".into(),
            "  inputs:".into(),
            format!("    nuGetServiceConnections: {quoted}"),
        ],
        PatUse::RestApi | PatUse::ExtensionPublishing => vec![
            "- task: AzureCLI@3".into(),
            "  inputs:".into(),
            "    connectionType: 'azureDevOps'".into(),
            format!("    azureDevOpsServiceConnection: {quoted}"),
            "    scriptType: 'bash'".into(),
            "    scriptLocation: 'inlineScript'".into(),
            "    inlineScript: |".into(),
            format!(
                "      az rest --method get --url \"$(System.CollectionUri)_apis/projects?api-version=7.1\" --resource {AZURE_DEVOPS_RESOURCE}"
            ),
            "# or, from a server job:".into(),
            "- task: InvokeRESTAPI@1".into(),
            "  inputs:".into(),
            "    connectionType: 'connectedServiceNameAzureDevOps'".into(),
            format!("    azureDevOpsServiceConnection: {quoted}"),
            "    method: 'GET'".into(),
            "    urlSuffix: '_apis/projects?api-version=7.1'".into(),
        ],
    }
}

/// Every step replacing a connection that holds an Azure DevOps PAT: create the Azure DevOps
/// connection, give its identity access, change the pipelines, then delete the old
/// connection and revoke the PAT. One text per format; only the access step's commands
/// differ between formats.
pub fn pat_replacement(
    ep: &Endpoint,
    ctx: &Context,
    pat: &AzureDevOpsPat,
    format: CommandFormat,
) -> String {
    let mut out = String::new();
    let old = known(ep.name().map(str::to_owned), "<CONNECTION_NAME>");
    let new = new_name(&old);
    let host = pat.host.as_deref().unwrap_or("Azure DevOps");
    let mut access = access_for(ep, ctx);
    access.client_id = "<CLIENT_ID>".into();
    note(
        &mut out,
        format,
        &format!(
            "Replace the Azure DevOps PAT of service connection {old} ({}, {host}) with an Azure DevOps connection (workload identity).",
            pat.usage.words()
        ),
    );
    note(
        &mut out,
        format,
        "A global PAT (all accessible organizations) stops working on 2026-12-01; the API does not tell a global PAT from one for a single organization, so replace it either way.",
    );
    note(
        &mut out,
        format,
        &format!(
            "1. Create the Azure DevOps connection in project {}: Project settings > Service connections > New service connection > Azure DevOps; Identity: an Entra service principal or managed identity; name: {new}.",
            access.project
        ),
    );
    if let Some(o) = &access.other_organization {
        note(
            &mut out,
            format,
            &format!(
                "   The PAT reaches organization {o}: choose Different organization and enter {o}."
            ),
        );
    }
    if pat.usage == PatUse::ExtensionPublishing {
        note(
            &mut out,
            format,
            "   For the Visual Studio Marketplace, also add the identity as a member of the publisher.",
        );
    }
    note(
        &mut out,
        format,
        "2. Give the identity access (replace <CLIENT_ID> with its client id):",
    );
    out.push_str(&access_steps(&access, format));
    note(
        &mut out,
        format,
        &format!(
            "3. Change the pipelines that use {old} ({}):",
            pat.usage.words()
        ),
    );
    if pat.usage == PatUse::ArtifactsFeed {
        note(
            &mut out,
            format,
            "   NuGet shown; the other feed types (npm, Maven, Python, Cargo, Conda) take the Azure DevOps connection in their authenticate task's service connection input.",
        );
    }
    for line in pipeline_yaml(pat.usage, &new, ep) {
        let m = mark(format);
        if m.is_empty() {
            let _ = writeln!(out, "    {}", comment_text(&line));
        } else {
            let _ = writeln!(out, "{m}     {}", comment_text(&line));
        }
    }
    note(
        &mut out,
        format,
        &format!(
            "4. When the pipelines run with {new}: delete the old connection {old}, then revoke its PAT (User settings > Personal access tokens > Revoke)."
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use crate::remedy::{FORMAT_NAMES, federated_credential_commands};
    use serde_json::json;

    fn ctx() -> Context {
        Context {
            organization_name: Some("contoso".into()),
            organization_id: Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6".into()),
            project_name: Some("Payments".into()),
            project_id: Some("c7e5f0b3-71fa-4429-9fb3-3321963a7c06".into()),
            now: Some("2026-11-30T04:00:00Z".into()),
        }
    }

    /// An Azure DevOps connection draft reaching another organization (its URL names it).
    fn wiu_draft() -> Endpoint {
        Endpoint::from_value(json!({
            "id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "azdo-shared-templates", "type": "WorkloadIdentityUser",
            "url": "https://dev.azure.com/fabrikam-platform",
            "data": {"isDraft": "true", "creationMode": "Manual"},
            "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": {
                "tenantid": "ff882432-09b0-437b-bd22-ca13c0037ded",
                "serviceprincipalid": "6a1f0b5e-2c3d-4e8f-9a0b-1c2d3e4f5a6b",
                "workloadIdentityFederationIssuer": "https://login.microsoftonline.com/ff882432-09b0-437b-bd22-ca13c0037ded/v2.0",
                "workloadIdentityFederationSubject": "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": "azdo-shared-templates"}]
        })).unwrap()
    }

    #[test]
    fn snapshots_azure_devops_connection_draft() {
        for f in FORMAT_NAMES {
            let out = federated_credential_commands(&wiu_draft(), &ctx(), f).unwrap();
            assert!(out.contains("Finish setup, then Verify and save"), "{f}");
            assert!(
                out.contains("fabrikam-platform"),
                "{f}: the other organization"
            );
            insta::assert_snapshot!(format!("wiu_draft_{f}"), out);
        }
    }

    #[test]
    fn snapshots_pat_replacement() {
        let feed = Endpoint::from_value(json!({
            "id": "11111111-2222-4333-8444-555555555555", "name": "shared-feed", "type": "externalnugetfeed",
            "url": "https://pkgs.dev.azure.com/contoso/_packaging/shared/nuget/v3/index.json",
            "authorization": {"scheme": "UsernamePassword"},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": "shared-feed"}]
        })).unwrap();
        let repo = Endpoint::from_value(json!({
            "id": "21111111-2222-4333-8444-555555555555", "name": "partner-repos", "type": "externaltfs",
            "url": "https://dev.azure.com/fabrikam/Shared/_git/templates",
            "authorization": {"scheme": "Token", "parameters": {"apitoken": null}},
            "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": "partner-repos"}]
        })).unwrap();
        for f in ["az", "powershell", "portal"] {
            let out = federated_credential_commands(&feed, &ctx(), f).unwrap();
            assert!(out.contains("NuGetAuthenticate@1"), "{f}");
            insta::assert_snapshot!(format!("pat_feed_{f}"), out);
        }
        let out = federated_credential_commands(&repo, &ctx(), "az").unwrap();
        assert!(
            out.contains("endpoint: 'partner-repos-wif'")
                && out.contains("name: 'Shared/templates'"),
            "{out}"
        );
        assert!(
            out.contains("choose Different organization and enter fabrikam"),
            "{out}"
        );
        insta::assert_snapshot!("pat_repository_az", out);
    }

    #[test]
    fn organizations_of_urls() {
        for (u, o) in [
            ("https://dev.azure.com/fabrikam", Some("fabrikam")),
            (
                "https://pkgs.dev.azure.com/fabrikam/_packaging/f/nuget/v3/index.json",
                Some("fabrikam"),
            ),
            ("https://fabrikam.visualstudio.com/", Some("fabrikam")),
            (
                "https://fabrikam.pkgs.visualstudio.com/_packaging",
                Some("fabrikam"),
            ),
            ("https://marketplace.visualstudio.com", None),
            ("https://dev.azure.com/_apis/x", None),
            ("https://github.com/fabrikam", None),
        ] {
            assert_eq!(organization_of_url(u).as_deref(), o, "{u}");
        }
    }
}
