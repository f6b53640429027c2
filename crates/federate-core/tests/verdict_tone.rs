//! What every surface takes from the verdict instead of deciding it: the tone (the colour of a
//! mark and a row), the credential in words (a table's Credential column) and the next step
//! of a draft or a manual connection (the panel's manual path). Decided once, here, so the
//! page, the panel and the library never disagree.
#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use federate_core::model::Endpoint;
use federate_core::verdict::{Context, IssuerRetirement, State, Tone, Verdict, classify};
use serde_json::{Value, json};

const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";
const CLIENT: &str = "1272a66f-e2e8-4e88-ab43-487409186c3f";

fn ctx(now: &str) -> Context {
    Context {
        organization_name: Some("contoso".into()),
        organization_id: Some(ORG_ID.into()),
        project_name: Some("Payments".into()),
        project_id: Some("c7e5f0b3-71fa-4429-9fb3-3321963a7c06".into()),
        now: Some(now.into()),
    }
}

fn verdict_at(e: Value, now: &str) -> Verdict {
    classify(&Endpoint::from_value(e).unwrap(), &ctx(now))
}

fn verdict(e: Value) -> Verdict {
    verdict_at(e, "2026-11-30T04:00:00Z")
}

fn connection(ty: &str, scheme: &str, params: Value, data: Value) -> Value {
    json!({"id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "conn", "type": ty,
        "url": "https://management.azure.com/",
        "authorization": {"scheme": scheme, "parameters": params},
        "data": data, "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": "conn"}]})
}

fn on_azure_devops_issuer(ty: &str, data: Value) -> Value {
    connection(
        ty,
        "WorkloadIdentityFederation",
        json!({"tenantid": TENANT, "serviceprincipalid": CLIENT,
            "workloadIdentityFederationIssuer": format!("https://vstoken.dev.azure.com/{ORG_ID}"),
            "workloadIdentityFederationSubject": "sc://contoso/Payments/conn"}),
        data,
    )
}

fn on_entra_issuer(ty: &str, data: Value) -> Value {
    connection(
        ty,
        "WorkloadIdentityFederation",
        json!({"tenantid": TENANT, "serviceprincipalid": CLIENT,
            "workloadIdentityFederationIssuer": format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            "workloadIdentityFederationSubject": format!("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/{ORG_ID}/7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")}),
        data,
    )
}

#[test]
fn an_azure_devops_pat_is_bad_and_named() {
    let mut feed = connection(
        "externalnugetfeed",
        "UsernamePassword",
        json!({}),
        json!({}),
    );
    feed["url"] = json!("https://pkgs.dev.azure.com/contoso/_packaging/shared/nuget/v3/index.json");
    let v = verdict(feed);
    assert!(v.azure_dev_ops_pat.is_some());
    assert_eq!(v.credential_word, "Azure DevOps PAT");
    assert_eq!(v.tone, Tone::Bad);
    // The same token kind to another host keeps its plain word.
    let mut other = connection(
        "externalnugetfeed",
        "UsernamePassword",
        json!({}),
        json!({}),
    );
    other["url"] = json!("https://api.nuget.org/v3/index.json");
    let v = verdict(other);
    assert_eq!(v.credential_word, "Password");
    assert_eq!(v.tone, Tone::Bad);
    // Serialized for JavaScript under the names the extension reads.
    let js = serde_json::to_value(verdict(connection(
        "azdoapi",
        "Token",
        json!({}),
        json!({}),
    )))
    .unwrap();
    assert_eq!(js["credentialWord"], "Token");
    let mut pat = connection("azdoapi", "Token", json!({}), json!({}));
    pat["url"] = json!("https://dev.azure.com/contoso");
    let js = serde_json::to_value(verdict(pat)).unwrap();
    assert_eq!(js["credentialWord"], "Azure DevOps PAT");
    assert_eq!(js["tone"], "bad");
    assert!(js["issuerRetirement"].is_null());
    let js = serde_json::to_value(verdict(on_azure_devops_issuer("azurerm", json!({})))).unwrap();
    assert_eq!(js["issuerRetirement"], "retiring");
}

#[test]
fn the_azure_devops_issuer_warns_while_it_retires() {
    let rows = [
        // (connection, now, tone, retirement)
        (
            on_azure_devops_issuer("azurerm", json!({})),
            "2026-11-30T04:00:00Z",
            Tone::Warn,
            Some(IssuerRetirement::Retiring),
        ),
        (
            on_azure_devops_issuer("WorkloadIdentityUser", json!({})),
            "2026-11-30T04:00:00Z",
            Tone::Warn,
            Some(IssuerRetirement::Retiring),
        ),
        (
            on_azure_devops_issuer("azurerm", json!({})),
            "2027-07-02T00:00:00Z",
            Tone::Bad,
            Some(IssuerRetirement::Retired),
        ),
        // Sovereign clouds keep the issuer: nothing due.
        (
            on_azure_devops_issuer("azurerm", json!({"environment": "AzureUSGovernment"})),
            "2026-11-30T04:00:00Z",
            Tone::Good,
            None,
        ),
        (
            on_entra_issuer("azurerm", json!({})),
            "2026-11-30T04:00:00Z",
            Tone::Good,
            None,
        ),
    ];
    for (i, (e, now, tone, retirement)) in rows.into_iter().enumerate() {
        let v = verdict_at(e, now);
        let format = if i < 4 {
            "Azure DevOps issuer"
        } else {
            "Entra issuer"
        };
        assert_eq!(
            v.federation.as_ref().unwrap().format_word,
            format,
            "row {i}"
        );
        assert_eq!(v.convertible_word, "Cannot be converted", "row {i}");
        assert_eq!(v.tone, tone, "row {i}: {}", v.label);
        assert_eq!(v.issuer_retirement, retirement, "row {i}");
        assert_eq!(v.credential_word, "Federated", "row {i}");
    }
}

#[test]
fn tones_of_the_other_kinds() {
    let secret = connection(
        "azurerm",
        "ServicePrincipal",
        json!({"authenticationType": "spnKey", "serviceprincipalid": CLIENT, "tenantid": TENANT}),
        json!({"creationMode": "Manual"}),
    );
    let v = verdict(secret);
    assert_eq!((v.tone, v.credential_word.as_str()), (Tone::Bad, "Secret"));
    assert_eq!(v.convertible_word, "Needs manual steps");
    let msi = connection("azurerm", "ManagedServiceIdentity", json!({}), json!({}));
    let v = verdict(msi);
    assert_eq!(
        (v.tone, v.credential_word.as_str()),
        (Tone::Good, "Managed identity")
    );
    let draft = on_entra_issuer("azurerm", json!({"isDraft": "true"}));
    let v = verdict(draft);
    assert_eq!(v.state, State::Draft);
    assert_eq!(v.tone, Tone::Warn);
    let github = connection("github", "OAuth", json!({}), json!({}));
    assert_eq!(verdict(github).tone, Tone::Info);
}

#[test]
fn next_steps_of_drafts_and_manual_connections() {
    // An Azure DevOps connection draft: the federated credential, and its identity as a user.
    let v = verdict(on_entra_issuer(
        "WorkloadIdentityUser",
        json!({"isDraft": "true"}),
    ));
    let step = v.next_step.unwrap();
    assert!(
        step.contains(&format!("make the identity (client id {CLIENT}, tenant {TENANT}) a user of organization contoso with access level Basic and a member of project Payments")),
        "{step}"
    );
    assert!(
        step.contains("Finish setup, then Verify and save"),
        "{step}"
    );
    assert!(step.contains("carries the Entra issuer"), "{step}");

    // An Azure Resource Manager draft waits for its credential only.
    let step = verdict(on_azure_devops_issuer(
        "azurerm",
        json!({"isDraft": "true"}),
    ))
    .next_step
    .unwrap();
    assert!(
        step.starts_with("Add the federated credential to the identity (its owner can); then in Azure DevOps choose Finish setup, then Verify and save."),
        "{step}"
    );
    assert!(!step.contains("organization"), "{step}");
    assert!(step.contains("carries the Azure DevOps issuer"), "{step}");

    // A manual service principal: the credential first, then convert.
    let manual = connection(
        "azurerm",
        "ServicePrincipal",
        json!({"authenticationType": "spnKey"}),
        json!({"creationMode": "Manual"}),
    );
    assert!(
        verdict(manual)
            .next_step
            .is_some_and(|s| s.contains("add the federated credential to the identity first"))
    );
    // Nothing waits on the identity of a ready federated connection or an automatic one.
    assert_eq!(
        verdict(on_entra_issuer("WorkloadIdentityUser", json!({}))).next_step,
        None
    );
    let automatic = connection(
        "azurerm",
        "ServicePrincipal",
        json!({"authenticationType": "spnKey"}),
        json!({"creationMode": "Automatic"}),
    );
    assert_eq!(verdict(automatic).next_step, None);
}
