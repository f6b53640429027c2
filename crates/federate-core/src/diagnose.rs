//! Diagnosis: known Azure DevOps and Entra error texts, found inside any pasted text (a
//! pipeline log, a JSON error body), explained with their meaning and fix (ado-facts §13).

use serde::{Deserialize, Serialize};

/// An explained error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// A stable key, unique per table entry (e.g. `AADSTS70021-subject`).
    pub id: String,
    /// The error code as printed (`AADSTS700213`, `TF400733`), or a short key for messages without one.
    pub code: String,
    pub title: String,
    pub meaning: String,
    pub fix: String,
    /// A documentation link.
    pub docs: String,
}

/// How an entry is recognised.
#[derive(Debug, Clone, Copy)]
pub enum Pattern {
    /// An error code, not followed by another digit (`AADSTS70021` must not match `AADSTS700213`).
    Code(&'static str),
    /// A code plus a phrase that must also appear (case-insensitive).
    CodeWith(&'static str, &'static str),
    /// A phrase (case-insensitive).
    Phrase(&'static str),
}

/// One row of the diagnosis table.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub id: &'static str,
    pub code: &'static str,
    pub pattern: Pattern,
    pub title: &'static str,
    pub meaning: &'static str,
    pub fix: &'static str,
    pub docs: &'static str,
}

const TROUBLESHOOT: &str =
    "https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity";
const ENTRA_CONNECTION: &str = "https://learn.microsoft.com/azure/devops/pipelines/library/add-devops-entra-service-connection";
const CONNECT_AZURE: &str =
    "https://learn.microsoft.com/azure/devops/pipelines/library/connect-to-azure";
const CONVERT: &str =
    "https://learn.microsoft.com/azure/devops/pipelines/release/convert-service-connections";
const RATE_LIMITS: &str = "https://learn.microsoft.com/azure/devops/integrate/concepts/rate-limits";
const CONFIGURE: &str =
    "https://learn.microsoft.com/azure/devops/pipelines/release/configure-workload-identity";
const SERVICE_ENDPOINTS_API: &str =
    "https://learn.microsoft.com/rest/api/azure/devops/serviceendpoint/endpoints";

/// The diagnosis table; more specific entries come first, and the first match wins.
pub static ENTRIES: &[Entry] = &[
    Entry {
        id: "AADSTS700213",
        code: "AADSTS700213",
        pattern: Pattern::Code("AADSTS700213"),
        title: "No federated credential matches the subject",
        meaning: "Entra found no federated identity credential on the identity whose subject equals the one in Azure DevOps' token: none exists, or its subject differs (for example after a rename, or an sc:// subject while the connection now uses the Entra format).",
        fix: "Create or fix the federated credential with exactly the issuer and subject shown on the service connection (Federate's commands for this connection do it).",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS700211",
        code: "AADSTS700211",
        pattern: Pattern::Code("AADSTS700211"),
        title: "No federated credential matches the issuer",
        meaning: "No federated identity credential on the identity has the token's issuer: none exists, or the connection moved to the Entra issuer while the credential still names https://vstoken.dev.azure.com (with an sc:// subject).",
        fix: "Add (or update) a federated credential with the issuer and subject now shown on the service connection.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS70021-preview",
        code: "AADSTS70021",
        pattern: Pattern::CodeWith("AADSTS70021", "app.vstoken.visualstudio.com"),
        title: "Preview issuer no longer matches",
        meaning: "The token came from the preview-era issuer https://app.vstoken.visualstudio.com, or the identity has no federated credential for it.",
        fix: "Save the service connection again so Azure DevOps assigns the current issuer; if Azure DevOps did not create the identity, fix its federated credential by hand.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS70021-subject",
        code: "AADSTS70021",
        pattern: Pattern::CodeWith("AADSTS70021", "sc://"),
        title: "Subject changed: organization, project or connection renamed",
        meaning: "The sc:// subject of the token no longer matches the federated credential: the organization, project or service connection was renamed since the credential was made.",
        fix: "Update the federated credential's subject to the new sc://organization/project/connection (saving an automatic connection does it), or move the connection to the Entra issuer, whose subject uses ids only.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS70021",
        code: "AADSTS70021",
        pattern: Pattern::Code("AADSTS70021"),
        title: "No matching federated identity record",
        meaning: "Entra found no federated identity credential matching the token's issuer and subject.",
        fix: "Compare the issuer and subject on the service connection with the identity's federated credentials and make them equal.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS700016",
        code: "AADSTS700016",
        pattern: Pattern::Code("AADSTS700016"),
        title: "Application not found",
        meaning: "The identity the connection names does not exist in the tenant: it was deleted, or the client id (serviceprincipalid) is wrong.",
        fix: "Fix the service connection's service principal (client) id, or re-create the identity.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS7000215",
        code: "AADSTS7000215",
        pattern: Pattern::Code("AADSTS7000215"),
        title: "Invalid client secret",
        meaning: "The connection's client secret is wrong or expired (secrets Azure DevOps creates expire after 3 months).",
        fix: "Convert the connection to workload identity federation so no secret is needed.",
        docs: CONVERT,
    },
    Entry {
        id: "AADSTS700024",
        code: "AADSTS700024",
        pattern: Pattern::Code("AADSTS700024"),
        title: "Client assertion expired",
        meaning: "The Azure DevOps ID token used as the client assertion is short-lived (minutes) and was used after it expired, typically by a long script step.",
        fix: "Request the token right before use (or re-authenticate inside the script), or use a managed identity for long jobs.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS700223",
        code: "AADSTS700223",
        pattern: Pattern::Code("AADSTS700223"),
        title: "Workload identity federation restricted in the tenant",
        meaning: "A tenant policy disables or restricts federation for this issuer or identity type.",
        fix: "Ask a tenant administrator to allow federation for the Azure DevOps issuer and this identity.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS700238",
        code: "AADSTS700238",
        pattern: Pattern::Code("AADSTS700238"),
        title: "Workload identity federation restricted in the tenant",
        meaning: "A tenant policy disables or restricts federation for this issuer or identity type.",
        fix: "Ask a tenant administrator to allow federation for the Azure DevOps issuer and this identity.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS70025",
        code: "AADSTS70025",
        pattern: Pattern::Code("AADSTS70025"),
        title: "No federated credentials on the identity",
        meaning: "The identity has no federated identity credential at all.",
        fix: "Add one with the issuer and subject shown on the service connection.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS70052",
        code: "AADSTS70052",
        pattern: Pattern::Code("AADSTS70052"),
        title: "Multitenant app with the Entra issuer",
        meaning: "The Entra issuer accepts only managed identities and single-tenant apps; this app registration is multitenant.",
        fix: "Use a single-tenant app registration or a managed identity (or keep the Azure DevOps issuer until it retires).",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "AADSTS900382",
        code: "AADSTS900382",
        pattern: Pattern::Code("AADSTS900382"),
        title: "Entra issuer in a sovereign cloud",
        meaning: "The Entra issuer is not supported in sovereign clouds; they are outside the issuer migration.",
        fix: "Keep the Azure DevOps issuer for connections in sovereign clouds.",
        docs: TROUBLESHOOT,
    },
    Entry {
        id: "TF401444",
        code: "TF401444",
        pattern: Pattern::Code("TF401444"),
        title: "Identity is not a user of the organization",
        meaning: "The Azure DevOps connection's service principal or managed identity has never been added to the organization.",
        fix: "Add the service principal or managed identity to the organization as a user (Basic access): the access step of the Azure DevOps connection's commands in Federate (the entitlements call, or Organization settings > Users > Add users).",
        docs: ENTRA_CONNECTION,
    },
    Entry {
        id: "noOrganizationAccess",
        code: "NoOrganizationAccess",
        pattern: Pattern::Phrase("does not have access to Azure DevOps organization"),
        title: "Identity has no access to the target organization",
        meaning: "The managed identity or service principal behind the Azure DevOps connection is not a member of the organization it calls.",
        fix: "Add the identity as a user (Basic) to the organization named in the message, and to the project it needs: the access step of the Azure DevOps connection's commands in Federate, once for each organization the connection reaches.",
        docs: ENTRA_CONNECTION,
    },
    Entry {
        id: "VS800075",
        code: "VS800075",
        pattern: Pattern::Code("VS800075"),
        title: "Identity cannot see the project",
        meaning: "The identity is in the organization but not in the project (or the project does not exist).",
        fix: "Add the identity to the project, for example to its Readers group: the access step of the Azure DevOps connection's commands in Federate (projectEntitlements), or the connection's page > View access > Member of.",
        docs: ENTRA_CONNECTION,
    },
    Entry {
        id: "savedAsDraft",
        code: "SavedAsDraft",
        pattern: Pattern::Phrase("saved as draft"),
        title: "Connection saved as a draft",
        meaning: "Its creator has no right to write federated credentials on the selected identity, so Azure DevOps saved the connection as a draft.",
        fix: "Ask the identity's owner to create the federated credential with the issuer and subject shown (Federate's commands for the draft), then Finish setup > Verify and save. For an Azure DevOps connection, also make the identity a user of the organization and a member of the project.",
        docs: CONFIGURE,
    },
    Entry {
        id: "propertiesCannotBeChanged",
        code: "PropertiesCannotBeChanged",
        pattern: Pattern::Phrase("Properties cannot be changed during service connection upgrade"),
        title: "Conversion body differs from the stored connection",
        meaning: "The conversion request changed a property other than the scheme (or carried revertSchemeDeadline).",
        fix: "Send the connection exactly as read with only authorization.scheme changed and data.revertSchemeDeadline removed, or the minimal body.",
        docs: CONVERT,
    },
    Entry {
        id: "neitherUpgradeNorDowngrade",
        code: "NeitherUpgradeNorDowngrade",
        pattern: Pattern::Phrase("is neither an upgrade or a downgrade"),
        title: "Connection already uses that scheme",
        meaning: "The conversion asked for the scheme the connection already has (or an unsupported target).",
        fix: "Skip connections that are already converted.",
        docs: CONVERT,
    },
    Entry {
        id: "couldNotBeUpgraded",
        code: "CouldNotBeUpgraded",
        pattern: Pattern::Phrase("could not be upgraded to WorkloadIdentityFederation"),
        title: "Automatic conversion impossible",
        meaning: "The service principal was created manually (or Azure DevOps has no rights on its app), and no matching federated credential exists yet.",
        fix: "Create the federated credential first (name = the connection id, issuer and subject as shown), then convert again.",
        docs: CONVERT,
    },
    Entry {
        id: "automaticConversionFailed",
        code: "AutomaticConversionFailed",
        pattern: Pattern::Phrase("Automatic authentication conversion failed"),
        title: "Automatic conversion failed; connection unchanged",
        meaning: "Azure DevOps could not configure the service principal itself; the connection was not modified.",
        fix: "Create a federated credential on the service principal with the issuer and subject shown, then try the conversion again.",
        docs: CONVERT,
    },
    Entry {
        id: "conversionFailedStatus",
        code: "converting_scheme_failed",
        pattern: Pattern::Phrase("converting_scheme_failed"),
        title: "Background conversion failed",
        meaning: "The conversion started (202) but failed while Azure DevOps updated the app registration.",
        fix: "Retry the conversion; if it fails again, create the federated credential by hand and retry.",
        docs: CONVERT,
    },
    Entry {
        id: "appRegistrationFailed",
        code: "appRegistrationFailed",
        pattern: Pattern::Phrase("appRegistrationFailed"),
        title: "App registration could not be created or updated",
        meaning: "Azure DevOps had no right to register or update the Entra app, or federation is disabled.",
        fix: "Have someone with rights in the tenant create the identity and its federated credential (manual connection).",
        docs: CONNECT_AZURE,
    },
    Entry {
        id: "noRecoveryData",
        code: "NoRecoveryData",
        pattern: Pattern::Phrase("as no recovery data exist"),
        title: "Cannot revert: no recovery data",
        meaning: "The revert window has passed (or the connection was never converted), so the old secret is gone.",
        fix: "Create a new secret by hand and update the connection, or keep workload identity federation.",
        docs: CONVERT,
    },
    Entry {
        id: "operationInProgress",
        code: "OperationInProgress",
        pattern: Pattern::Phrase("another operation is already in progress"),
        title: "Another operation is in progress",
        meaning: "The connection is busy with another operation (for example a conversion still running).",
        fix: "Wait, poll the connection until its operation status leaves InProgress, then retry.",
        docs: CONVERT,
    },
    Entry {
        id: "projectReferenceMissing",
        code: "ProjectReferenceMissing",
        pattern: Pattern::Phrase("Project reference must be set"),
        title: "Project reference missing",
        meaning: "The update or conversion body has no serviceEndpointProjectReferences.",
        fix: "Include the connection's project references as read.",
        docs: SERVICE_ENDPOINTS_API,
    },
    Entry {
        id: "notAdministrator",
        code: "NotAdministrator",
        pattern: Pattern::Phrase("You need to be an Administrator on this service connection"),
        title: "Not an administrator of the connection",
        meaning: "Converting, reverting or editing needs the Administrator role on the service connection.",
        fix: "Ask a service connection administrator (or a project administrator) to do it, or to grant you the role.",
        docs: SERVICE_ENDPOINTS_API,
    },
    Entry {
        id: "operationNotSupported",
        code: "OperationNotSupported",
        pattern: Pattern::Phrase("is not supported for service connection type"),
        title: "Operation not supported for this type",
        meaning: "The server allows this operation (such as a conversion) only for some connection types.",
        fix: "Convert it in the web UI if offered, or re-create it with workload identity federation.",
        docs: CONVERT,
    },
    Entry {
        id: "TF400733",
        code: "TF400733",
        pattern: Pattern::Code("TF400733"),
        title: "Rate limited",
        meaning: "Requests were blocked (HTTP 429) for exceeding the usage limit (200 TSTUs per 5 minutes).",
        fix: "Wait for the time in Retry-After, then continue more slowly.",
        docs: RATE_LIMITS,
    },
    Entry {
        id: "TF400893",
        code: "TF400893",
        pattern: Pattern::Code("TF400893"),
        title: "Unable to contact the server",
        meaning: "The request did not reach Azure DevOps (network failure).",
        fix: "Check the connection and retry.",
        docs: RATE_LIMITS,
    },
    Entry {
        id: "secretExpired",
        code: "SecretExpired",
        pattern: Pattern::Phrase("Secret expired, update service connection"),
        title: "Client secret expired",
        meaning: "The service connection's secret has expired (Azure DevOps-created secrets last 3 months).",
        fix: "Convert the connection to workload identity federation instead of renewing the secret.",
        docs: CONVERT,
    },
];

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Position of an error code not followed by another digit (nor preceded by a letter or digit).
fn find_code(hay: &str, code: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let mut from = 0;
    while from < h.len() {
        let rel = find_ci(&hay[from..], code)?;
        let at = from + rel;
        let end = at + code.len();
        let before_ok = at == 0 || !h[at - 1].is_ascii_alphanumeric();
        let after_ok = h.get(end).is_none_or(|b| !b.is_ascii_digit());
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + 1;
        while from < h.len() && !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

impl Entry {
    /// Where this entry matches in `text`, if it does.
    pub fn find(&self, text: &str) -> Option<usize> {
        match self.pattern {
            Pattern::Code(c) => find_code(text, c),
            Pattern::CodeWith(c, phrase) => {
                find_code(text, c).filter(|_| find_ci(text, phrase).is_some())
            }
            Pattern::Phrase(p) => find_ci(text, p),
        }
    }

    fn diagnosis(&self) -> Diagnosis {
        Diagnosis {
            id: self.id.to_owned(),
            code: self.code.to_owned(),
            title: self.title.to_owned(),
            meaning: self.meaning.to_owned(),
            fix: self.fix.to_owned(),
            docs: self.docs.to_owned(),
        }
    }
}

/// The first table entry found in `text` (table order: the most specific first), or `None`.
///
/// ```
/// let d = federate_core::diagnose::explain_error("##[error]AADSTS700213: No matching federated identity record found").unwrap();
/// assert_eq!(d.code, "AADSTS700213");
/// assert!(federate_core::diagnose::explain_error("all good").is_none());
/// ```
pub fn explain_error(text: &str) -> Option<Diagnosis> {
    ENTRIES
        .iter()
        .find(|e| e.find(text).is_some())
        .map(Entry::diagnosis)
}

/// Every distinct entry found in `text`, in order of first appearance. Entries sharing a
/// code keep only the most specific one.
pub fn explain_errors(text: &str) -> Vec<Diagnosis> {
    let mut found: Vec<(usize, &Entry)> = Vec::new();
    for e in ENTRIES {
        if let Some(at) = e.find(text) {
            if !found.iter().any(|(_, f)| f.code == e.code) {
                found.push((at, e));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, e)| e.diagnosis()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn code_boundaries() {
        assert_eq!(explain_error("AADSTS700213: x").unwrap().id, "AADSTS700213");
        assert_eq!(explain_error("AADSTS70021: x").unwrap().id, "AADSTS70021");
        assert!(explain_error("AADSTS7002199").is_none());
        assert!(explain_error("XAADSTS70021").is_none());
        assert_eq!(
            explain_error("aadsts70021 Assertion Subject: sc://a/b/c")
                .unwrap()
                .id,
            "AADSTS70021-subject"
        );
        assert!(explain_error("é AADSTS7000215").is_some());
    }

    #[test]
    fn many() {
        let all = explain_errors("TF400733 then later AADSTS7000215 and TF400733 again");
        let codes: Vec<_> = all.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["TF400733", "AADSTS7000215"]);
    }

    #[test]
    fn ids_unique() {
        let mut ids: Vec<_> = ENTRIES.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ENTRIES.len());
    }
}
