//! Facts the extension used to work out in TypeScript and now reads from the engine: every
//! remedy of a connection in one call (with the reason when none applies), the project a
//! connection was found in and the project a scheme change goes to, and one form of its id.
#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use federate_core::model::Endpoint;
use federate_core::remedy::{CommandFormat, federated_credential_commands, remedies};
use federate_core::verdict::{Context, classify};
use serde_json::{Value, json};

const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";
const CLIENT: &str = "1272a66f-e2e8-4e88-ab43-487409186c3f";
const HOME: &str = "c7e5f0b3-71fa-4429-9fb3-3321963a7c06";

fn ctx(project_id: Option<&str>, project_name: Option<&str>) -> Context {
    Context {
        organization_name: Some("contoso".into()),
        organization_id: Some(ORG_ID.into()),
        project_name: project_name.map(Into::into),
        project_id: project_id.map(Into::into),
        now: Some("2026-11-30T04:00:00Z".into()),
    }
}

fn endpoint(v: Value) -> Endpoint {
    Endpoint::from_value(v).unwrap()
}

fn secret_sp(refs: Value) -> Endpoint {
    endpoint(
        json!({"id": "7A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "name": "prod", "type": "azurerm",
        "url": "https://management.azure.com/",
        "authorization": {"scheme": "ServicePrincipal", "parameters": {
            "tenantid": TENANT, "serviceprincipalid": CLIENT, "authenticationType": "spnKey", "serviceprincipalkey": null}},
        "data": {"subscriptionId": "3f1c9b2e-5a4d-4e6f-8a7b-9c0d1e2f3a4b", "subscriptionName": "Prod",
            "environment": "AzureCloud", "scopeLevel": "Subscription", "creationMode": "Automatic"},
        "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": refs}),
    )
}

#[test]
fn remedies_gives_every_format_in_order_with_its_words() {
    let ep =
        secret_sp(json!([{"projectReference": {"id": HOME, "name": "Payments"}, "name": "prod"}]));
    let c = ctx(Some(HOME), Some("Payments"));
    let r = remedies(&ep, &c);
    assert_eq!(r.reason, None);
    let formats: Vec<_> = r.remedies.iter().map(|m| m.format).collect();
    assert_eq!(formats, CommandFormat::ALL.to_vec());
    for m in &r.remedies {
        assert_eq!(
            m.text,
            federated_credential_commands(&ep, &c, m.format.name()).unwrap()
        );
        assert!(!m.title.is_empty());
    }
    assert_eq!(r.remedies[0].title, "az CLI (app registration)");
    let json = serde_json::to_value(&r.remedies[2]).unwrap();
    assert_eq!(
        json["format"], "powershell",
        "the name federatedCredentialCommands accepts"
    );
}

#[test]
fn remedies_says_why_when_none_applies() {
    let ep = endpoint(
        json!({"id": "x", "name": "gh", "type": "github", "authorization": {"scheme": "Token"}}),
    );
    let r = remedies(&ep, &ctx(None, None));
    assert!(r.remedies.is_empty());
    let reason = r.reason.unwrap();
    assert!(
        reason.contains("cannot use workload identity federation"),
        "{reason}"
    );
}

#[test]
fn the_verdict_names_where_it_was_found_and_where_a_change_goes() {
    // Owned by Payments, read from Web (shared): found in Web, a change goes to Payments.
    let shared = secret_sp(json!([
        {"projectReference": {"id": HOME, "name": "Payments"}, "name": "prod"},
        {"projectReference": {"id": "aaaaaaaa-0000-0000-0000-000000000001", "name": "Web"}, "name": "prod"}]));
    let v = classify(
        &shared,
        &ctx(Some("aaaaaaaa-0000-0000-0000-000000000001"), Some("Web")),
    );
    assert_eq!(v.owning_project.as_deref(), Some(HOME));
    let found = v.found_in.unwrap();
    assert_eq!(found.project_name.as_deref(), Some("Web"));
    assert_eq!(
        v.id.as_deref(),
        Some("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
        "one form of a GUID"
    );

    // No project reference: the project it was found in.
    let bare = secret_sp(json!([]));
    let v = classify(&bare, &ctx(None, Some("Web")));
    assert_eq!(v.owning_project.as_deref(), Some("Web"));
    // Nothing known: none, and no project it was found in.
    let v = classify(&bare, &Context::default());
    assert_eq!(v.owning_project, None);
    assert_eq!(v.found_in, None);
}

#[test]
fn command_formats_name_every_format_once_in_order() {
    let names = federate_core::remedy::command_formats();
    let formats: Vec<_> = names.iter().map(|n| n.format).collect();
    assert_eq!(formats, CommandFormat::ALL.to_vec());
    let titles: std::collections::HashSet<_> = names.iter().map(|n| n.title).collect();
    assert_eq!(titles.len(), names.len(), "distinct words for each format");
    assert_eq!(names[1].title, "az CLI (managed identity)");
}

#[test]
fn the_state_has_words() {
    let mut ep = secret_sp(json!([]));
    ep = endpoint({
        let mut v = serde_json::to_value(&ep).unwrap();
        v["isReady"] = json!(false);
        v
    });
    let v = classify(&ep, &Context::default());
    assert_eq!(v.state_word, "Not ready");
}
