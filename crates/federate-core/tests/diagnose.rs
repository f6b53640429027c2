//! Every entry of the diagnosis table, found inside realistic surrounding text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use federate_core::diagnose::{ENTRIES, Pattern, explain_error, explain_errors};

/// Wraps a message as a pipeline log line and as a JSON error body.
fn contexts(msg: &str) -> [String; 3] {
    [
        msg.to_owned(),
        format!("2026-01-01T10:00:00.000Z ##[error]{msg}\n##[section]Finishing: AzureCLI"),
        serde_json::json!({"$id": "1", "innerException": null, "message": msg, "typeName": "System.ArgumentException, mscorlib", "typeKey": "ArgumentException", "errorCode": 0, "eventId": 0}).to_string(),
    ]
}

#[test]
fn every_entry_is_found() {
    for e in ENTRIES {
        let msg = match e.pattern {
            Pattern::Code(c) => format!("{c}: something went wrong. Trace ID: 1234"),
            Pattern::CodeWith(c, p) => format!(
                "{c}: No matching federated identity record found for presented assertion. {p}"
            ),
            Pattern::Phrase(p) => format!("Request failed: {p} (details follow)"),
        };
        for text in contexts(&msg) {
            let d = explain_error(&text).unwrap_or_else(|| panic!("{} not found in {text}", e.id));
            assert_eq!(d.id, e.id, "{text}");
            assert_eq!(d.code, e.code);
            assert!(!d.title.is_empty() && !d.meaning.is_empty() && !d.fix.is_empty());
            assert!(
                d.docs.starts_with("https://learn.microsoft.com/"),
                "{}",
                d.docs
            );
        }
        // Lower case still matches.
        assert_eq!(
            explain_error(&msg.to_lowercase()).map(|d| d.id),
            Some(e.id.to_owned())
        );
    }
}

#[test]
fn documented_messages() {
    let cases = [
        (
            "AADSTS700213: No matching federated identity record found for presented assertion subject 'sc://fabrikam/Web/prod'.",
            "AADSTS700213",
        ),
        (
            "AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6'.",
            "AADSTS700211",
        ),
        (
            "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://app.vstoken.visualstudio.com'.",
            "AADSTS70021-preview",
        ),
        (
            "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Subject: 'sc://org/proj/conn'.",
            "AADSTS70021-subject",
        ),
        (
            "AADSTS700016: Application with identifier '1272a66f' wasn't found in the directory",
            "AADSTS700016",
        ),
        (
            "AADSTS7000215: Invalid client secret provided.",
            "AADSTS7000215",
        ),
        (
            "AADSTS700024: Client assertion is not within its valid time range.",
            "AADSTS700024",
        ),
        (
            "AADSTS70025: Client application has no configured federated identity credentials.",
            "AADSTS70025",
        ),
        (
            "AADSTS70052: The identity must be a managed identity, a single tenant app, or a service account",
            "AADSTS70052",
        ),
        (
            "TF401444: Please sign-in at least once as t\\t\\oid in a web browser to enable access to the service.",
            "TF401444",
        ),
        (
            "The Managed Identity / Service Principal build-mi does not have access to Azure DevOps organization fabrikam. Please make sure the identity has been added to the organization. See https://aka.ms/azdosc#prerequisites",
            "noOrganizationAccess",
        ),
        (
            "VS800075: The project with id 'vstfs:///Classification/TeamProject/c7e5' does not exist, or you do not have permission to access it.",
            "VS800075",
        ),
        (
            "You don't have permission to the selected identity. Service connection is saved as draft. To complete the configuration, contact the owner",
            "savedAsDraft",
        ),
        (
            "Properties cannot be changed during service connection upgrade. Property data.revertSchemeDeadline does not match current endpoint value.",
            "propertiesCannotBeChanged",
        ),
        (
            "Converting endpoint type azurerm scheme from WorkloadIdentityFederation to WorkloadIdentityFederation is neither an upgrade or a downgrade and is not supported.",
            "neitherUpgradeNorDowngrade",
        ),
        (
            "The authorization scheme could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists.",
            "couldNotBeUpgraded",
        ),
        (
            "Endpoint scheme could not be downgraded from WorkloadIdentityFederation to ServicePrincipal as no recovery data exist for this endpoint.",
            "noRecoveryData",
        ),
        (
            "Cannot perform this operation since another operation is already in progress with current status 'creating'. Try again later.",
            "operationInProgress",
        ),
        (
            "Project reference must be set in the updated endpoint.",
            "projectReferenceMissing",
        ),
        (
            "You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.",
            "notAdministrator",
        ),
        (
            "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'x' in namespace 'y'.",
            "TF400733",
        ),
        (
            "TF400893: Unable to contact the server. Please check your network connection and try again.",
            "TF400893",
        ),
        (
            "Secret expired, update service connection at https://dev.azure.com/x See https://aka.ms/azdo-rm-workload-identity-conversion",
            "secretExpired",
        ),
        (
            "Operation 'ConvertAuthenticationScheme' is not supported for service connection type 'dockerregistry'.",
            "operationNotSupported",
        ),
        (
            "Automatic authentication conversion failed. Your service connection was not modified.",
            "automaticConversionFailed",
        ),
    ];
    for (text, id) in cases {
        assert_eq!(
            explain_error(text).map(|d| d.id).as_deref(),
            Some(id),
            "{text}"
        );
    }
}

#[test]
fn unknown_text_gives_none() {
    for text in [
        "",
        "all green",
        "AADSTS",
        "AADSTS7002130",
        "TF4007330",
        "{\"message\":\"ok\"}",
    ] {
        assert!(explain_error(text).is_none(), "{text}");
        assert!(explain_errors(text).is_empty(), "{text}");
    }
}
