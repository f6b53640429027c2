//! The 2026 rows of the verdict table, table-driven: the Azure DevOps connection
//! (`WorkloadIdentityUser`), PATs to Azure DevOps hosts, types judged by their scheme, AWS
//! `useOIDC`, and case-insensitive types and schemes (ado-facts §17).
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::needless_pass_by_value,
    clippy::type_complexity
)]

use federate_core::model::Endpoint;
use federate_core::verdict::{Context, Credential, State, Status, Verdict, classify};
use serde_json::{Value, json};

fn ep(v: Value) -> Endpoint {
    Endpoint::from_value(v).unwrap()
}

fn codes(v: &Verdict) -> Vec<&str> {
    v.convertible
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect()
}

fn ctx() -> Context {
    Context {
        organization_name: Some("contoso".into()),
        organization_id: Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6".into()),
        project_name: Some("Payments".into()),
        project_id: Some("c7e5f0b3-71fa-4429-9fb3-3321963a7c06".into()),
        now: Some("2026-11-30T04:00:00Z".into()),
    }
}

const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";
const CLIENT: &str = "1272a66f-e2e8-4e88-ab43-487409186c3f";

fn wiu(ty: &str, scheme: &str, data: Value) -> Value {
    json!({"id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "azdo-wif", "type": ty,
        "url": "https://dev.azure.com/contoso",
        "authorization": {"scheme": scheme, "parameters": {"tenantid": TENANT, "serviceprincipalid": CLIENT,
            "workloadIdentityFederationIssuer": format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            "workloadIdentityFederationSubject": "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
        "data": data, "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": "azdo-wif"}]})
}

#[test]
fn azure_devops_connection_rows() {
    // (type, scheme, data, isDisabled, state, label, reason)
    let rows: &[(&str, &str, Value, bool, State, &str, &str)] = &[
        (
            "WorkloadIdentityUser",
            "WorkloadIdentityFederation",
            json!({"creationMode": "Manual"}),
            false,
            State::Ready,
            "Federated · Azure DevOps connection",
            "azureDevOpsConnection",
        ),
        (
            "workloadidentityuser",
            "workloadidentityfederation",
            json!({}),
            false,
            State::Ready,
            "Federated · Azure DevOps connection",
            "azureDevOpsConnection",
        ),
        (
            "WORKLOADIDENTITYUSER",
            "WorkloadIdentityFederation",
            json!({"isDraft": "true"}),
            false,
            State::Draft,
            "Draft · needs federated credential and organization user",
            "azureDevOpsConnectionDraft",
        ),
        (
            "WorkloadIdentityUser",
            "WORKLOADIDENTITYFEDERATION",
            json!({"isDraft": "True", "creationMode": "Manual"}),
            false,
            State::Draft,
            "Draft · needs federated credential and organization user",
            "azureDevOpsConnectionDraft",
        ),
        (
            "WorkloadIdentityUser",
            "WorkloadIdentityFederation",
            json!({"isDraft": true}),
            false,
            State::Draft,
            "Draft · needs federated credential and organization user",
            "azureDevOpsConnectionDraft",
        ),
        (
            "WorkloadIdentityUser",
            "WorkloadIdentityFederation",
            json!({"isDraft": false}),
            false,
            State::Ready,
            "Federated · Azure DevOps connection",
            "azureDevOpsConnection",
        ),
        (
            "WorkloadIdentityUser",
            "WorkloadIdentityFederation",
            json!({}),
            true,
            State::Disabled,
            "Federated · disabled",
            "azureDevOpsConnection",
        ),
    ];
    for (i, (ty, scheme, data, disabled, state, label, code)) in rows.iter().enumerate() {
        let mut e = wiu(ty, scheme, data.clone());
        if *disabled {
            e["isDisabled"] = json!(true);
        }
        let v = classify(&ep(e), &ctx());
        assert_eq!(v.credential, Credential::Federated, "row {i}");
        assert_eq!(v.uses_secret, Some(false), "row {i}");
        assert_eq!(v.state, *state, "row {i}");
        // Never convertible: there is no secret to convert.
        assert_eq!(v.convertible.status, Status::No, "row {i}");
        assert_eq!(v.label, *label, "row {i}");
        assert_eq!(codes(&v), [*code, "azureDevOpsAccess"], "row {i}");
        assert!(v.convertible.reasons[1].message.contains(&format!("client id {CLIENT}, tenant {TENANT}) as a user of organization contoso with access level Basic, and as a member of project Payments")), "row {i}");
        assert!(v.azure_dev_ops_pat.is_none(), "row {i}");
        let f = v.federation.as_ref().unwrap();
        assert_eq!(
            f.identity.application_id.as_deref(),
            Some(CLIENT),
            "row {i}"
        );
        assert!(
            v.summary.contains("Azure DevOps connection"),
            "row {i}: {}",
            v.summary
        );
        if *state == State::Draft {
            assert!(
                v.summary.contains("user of the organization (Basic)"),
                "row {i}: {}",
                v.summary
            );
        }
    }
}

#[test]
fn azure_devops_connection_reaching_another_organization() {
    let mut e = wiu(
        "WorkloadIdentityUser",
        "WorkloadIdentityFederation",
        json!({}),
    );
    e["url"] = json!("https://dev.azure.com/fabrikam-platform");
    let v = classify(&ep(e.clone()), &ctx());
    assert_eq!(
        codes(&v),
        [
            "azureDevOpsConnection",
            "azureDevOpsAccess",
            "otherOrganization"
        ]
    );
    assert!(
        v.convertible.reasons[2]
            .message
            .contains("fabrikam-platform")
    );
    // Its own organization, in another case, is not another organization.
    e["url"] = json!("https://Contoso.visualstudio.com/");
    assert_eq!(classify(&ep(e), &ctx()).convertible.reasons.len(), 2);
}

fn pat(ty: &str, scheme: &str, url: Option<&str>, params: Option<Value>) -> Value {
    let mut auth = json!({"scheme": scheme});
    if let Some(p) = params {
        auth["parameters"] = p;
    }
    let mut e = json!({"id": "11111111-2222-4333-8444-555555555555", "name": "feed", "type": ty, "authorization": auth});
    if let Some(u) = url {
        e["url"] = json!(u);
    }
    e
}

#[test]
fn pats_to_azure_devops_hosts() {
    // (type, scheme, url, host, use); list items without authorization.parameters included.
    let rows: &[(&str, &str, Option<&str>, Option<&str>, &str)] = &[
        (
            "externaltfs",
            "Token",
            Some("https://dev.azure.com/fabrikam"),
            Some("dev.azure.com"),
            "repository",
        ),
        ("ExternalTFS", "token", None, None, "repository"),
        (
            "externaltfs",
            "UsernamePassword",
            Some("https://fabrikam.visualstudio.com/"),
            Some("fabrikam.visualstudio.com"),
            "repository",
        ),
        (
            "azdoapi",
            "Token",
            Some("https://dev.azure.com/fabrikam"),
            Some("dev.azure.com"),
            "restApi",
        ),
        ("AZDOAPI", "TOKEN", None, None, "restApi"),
        (
            "generic",
            "UsernamePassword",
            Some("https://pkgs.dev.azure.com/fabrikam/_packaging/shared/nuget/v3/index.json"),
            Some("pkgs.dev.azure.com"),
            "artifactsFeed",
        ),
        (
            "generic",
            "UsernamePassword",
            Some("https://vsrm.dev.azure.com/fabrikam"),
            Some("vsrm.dev.azure.com"),
            "restApi",
        ),
        (
            "git",
            "UsernamePassword",
            Some("https://dev.azure.com/fabrikam/Shared/_git/templates"),
            Some("dev.azure.com"),
            "repository",
        ),
        (
            "externalnugetfeed",
            "None",
            Some("https://fabrikam.pkgs.visualstudio.com/_packaging/f/nuget/v3/index.json"),
            Some("fabrikam.pkgs.visualstudio.com"),
            "artifactsFeed",
        ),
        (
            "externalnpmregistry",
            "Token",
            Some("https://pkgs.dev.azure.com/fabrikam/_packaging/npm/npm/registry/"),
            Some("pkgs.dev.azure.com"),
            "artifactsFeed",
        ),
        (
            "externalmavenrepository",
            "UsernamePassword",
            Some("https://pkgs.dev.azure.com/fabrikam/_packaging/maven/maven/v1"),
            Some("pkgs.dev.azure.com"),
            "artifactsFeed",
        ),
        (
            "externalpythonuploadfeed",
            "Token",
            Some("https://pkgs.dev.azure.com/fabrikam/_packaging/py/pypi/upload"),
            Some("pkgs.dev.azure.com"),
            "artifactsFeed",
        ),
        (
            "contoso-marketplace-publisher",
            "Token",
            Some("https://marketplace.visualstudio.com"),
            Some("marketplace.visualstudio.com"),
            "extensionPublishing",
        ),
        (
            "SomeExtension",
            "PersonalAccessToken",
            Some("https://DEV.AZURE.COM/fabrikam"),
            Some("dev.azure.com"),
            "restApi",
        ),
    ];
    for (i, (ty, scheme, url, host, usage)) in rows.iter().enumerate() {
        for params in [None, Some(json!({"apitoken": null}))] {
            let v = classify(&ep(pat(ty, scheme, *url, params)), &ctx());
            assert!(
                matches!(v.credential, Credential::Token | Credential::Password),
                "row {i}: {:?}",
                v.credential
            );
            let p = v
                .azure_dev_ops_pat
                .as_ref()
                .unwrap_or_else(|| panic!("row {i}: no PAT"));
            assert_eq!(p.host.as_deref(), *host, "row {i}");
            assert_eq!(
                serde_json::to_value(p.usage).unwrap(),
                json!(usage),
                "row {i}"
            );
            assert_eq!(p.days_left, Some(1), "row {i}");
            assert_eq!(v.convertible.reasons[0].code, "azureDevOpsPat", "row {i}");
            let msg = &v.convertible.reasons[0].message;
            assert!(
                msg.contains("replace it with an Azure DevOps connection (workload identity)"),
                "row {i}: {msg}"
            );
            assert!(
                msg.contains("2026-12-01") && msg.contains("global"),
                "row {i}: {msg}"
            );
            if let Some(h) = host {
                assert!(msg.contains(h), "row {i}: {msg}");
            }
            assert!(
                v.label.starts_with("Azure DevOps PAT"),
                "row {i}: {}",
                v.label
            );
            assert!(v.summary.contains("Azure DevOps PAT: replace it with an Azure DevOps connection (workload identity)"), "row {i}: {}", v.summary);
        }
    }
}

#[test]
fn tokens_elsewhere_are_not_azure_devops_pats() {
    let rows: &[(&str, &str, Option<&str>)] = &[
        (
            "externaltfs",
            "Token",
            Some("https://tfs.contoso.example/tfs/DefaultCollection"),
        ),
        (
            "generic",
            "UsernamePassword",
            Some("https://artifacts.contoso.example"),
        ),
        (
            "generic",
            "UsernamePassword",
            Some("https://dev.azure.com.evil.example/x"),
        ),
        (
            "generic",
            "UsernamePassword",
            Some("https://management.azure.com/"),
        ),
        ("generic", "UsernamePassword", None),
        ("github", "Token", Some("https://github.com")),
        (
            "azurerm",
            "ServicePrincipal",
            Some("https://dev.azure.com/contoso"),
        ),
        ("github", "OAuth", Some("https://dev.azure.com/contoso")),
    ];
    for (i, (ty, scheme, url)) in rows.iter().enumerate() {
        let v = classify(&ep(pat(ty, scheme, *url, None)), &ctx());
        assert!(v.azure_dev_ops_pat.is_none(), "row {i}");
        assert!(!codes(&v).contains(&"azureDevOpsPat"), "row {i}");
        assert!(!v.label.contains("PAT"), "row {i}");
    }
}

#[test]
fn unknown_types_judged_by_scheme() {
    let rows: &[(&str, Credential, Option<bool>)] = &[
        ("UsernamePassword", Credential::Password, Some(true)),
        ("Token", Credential::Token, Some(true)),
        ("PersonalAccessToken", Credential::Token, Some(true)),
        ("None", Credential::None, None),
        ("OAuth", Credential::Oauth, Some(false)),
        ("OAuth2", Credential::Oauth, Some(false)),
        ("InstallationToken", Credential::Oauth, Some(false)),
        ("Certificate", Credential::Certificate, Some(true)),
        ("ServicePrincipal", Credential::Secret, Some(true)),
        (
            "ManagedServiceIdentity",
            Credential::ManagedIdentity,
            Some(false),
        ),
        (
            "WorkloadIdentityFederation",
            Credential::Federated,
            Some(false),
        ),
    ];
    for (ty, parameters) in [
        ("OctopusEndpoint", Some(json!({"apitoken": null}))),
        ("sonarqube", None),
    ] {
        for (scheme, credential, secret) in rows {
            for s in [
                scheme.to_string(),
                scheme.to_lowercase(),
                scheme.to_uppercase(),
            ] {
                let v = classify(
                    &ep(pat(
                        ty,
                        &s,
                        Some("https://x.contoso.example"),
                        parameters.clone(),
                    )),
                    &ctx(),
                );
                assert_eq!(v.credential, *credential, "{ty}/{s}");
                assert_eq!(v.uses_secret, *secret, "{ty}/{s}");
                assert_eq!(v.convertible.status, Status::No, "{ty}/{s}");
                if *credential != Credential::Federated {
                    assert_eq!(codes(&v), ["judgedByScheme"], "{ty}/{s}");
                    assert!(
                        v.convertible.reasons[0]
                            .message
                            .contains("not in Federate's table"),
                        "{ty}/{s}"
                    );
                }
            }
        }
    }
    // A certificate service principal on an unknown type.
    let v = classify(
        &ep(pat(
            "mystery",
            "ServicePrincipal",
            None,
            Some(json!({"authenticationType": "spnCertificate"})),
        )),
        &ctx(),
    );
    assert_eq!(v.credential, Credential::Certificate);
    // Unknown schemes stay unknown, for known and unknown types.
    for (ty, scheme) in [
        ("mystery", "Kerberos"),
        ("azurerm", "Mystery"),
        ("github", ""),
    ] {
        let v = classify(&ep(pat(ty, scheme, None, None)), &ctx());
        assert_eq!(v.credential, Credential::Unknown, "{ty}/{scheme}");
        assert_eq!(codes(&v), ["unknownType"]);
    }
}

#[test]
fn aws_decided_by_use_oidc() {
    // (where, value, credential)
    let rows: &[(&str, Value, Credential)] = &[
        ("parameters", json!("true"), Credential::Federated),
        ("parameters", json!("True"), Credential::Federated),
        ("parameters", json!(true), Credential::Federated),
        ("data", json!("true"), Credential::Federated),
        ("parameters", json!("false"), Credential::Secret),
        ("parameters", json!(false), Credential::Secret),
        ("parameters", Value::Null, Credential::Secret),
        ("none", Value::Null, Credential::Secret),
    ];
    for (i, (place, value, credential)) in rows.iter().enumerate() {
        for ty in ["aws", "AWS"] {
            let mut e = json!({"id": "22222222-2222-4333-8444-555555555555", "name": "aws", "type": ty,
                "url": "https://aws.amazon.com/",
                "authorization": {"scheme": "UsernamePassword", "parameters": {"username": "", "password": null, "assumeRoleArn": "arn:aws:iam::123456789012:role/ado"}},
                "data": {}});
            match *place {
                "parameters" => e["authorization"]["parameters"]["useOIDC"] = value.clone(),
                "data" => e["data"]["useOIDC"] = value.clone(),
                _ => {}
            }
            let v = classify(&ep(e), &ctx());
            assert_eq!(v.credential, *credential, "row {i} {ty}");
            assert_eq!(
                v.uses_secret,
                Some(*credential != Credential::Federated),
                "row {i}"
            );
            assert_eq!(v.convertible.status, Status::No, "row {i}");
            assert!(v.azure_dev_ops_pat.is_none(), "row {i}");
        }
    }
}

#[test]
fn known_types_in_any_case() {
    // With its project reference: one without is not convertible (no project to send the
    // request to), whatever its type.
    let base = json!({"id": "5e47a0d8-c745-44f8-8f93-784f18ff31c4", "name": "prod",
        "authorization": {"scheme": "ServicePrincipal", "parameters": {"authenticationType": "spnKey"}},
        "data": {"creationMode": "Automatic"},
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Ops"}}]});
    for (ty, scheme) in [
        ("azurerm", "ServicePrincipal"),
        ("AzureRM", "serviceprincipal"),
        ("AZURERM", "SERVICEPRINCIPAL"),
        (" azurerm ", "ServicePrincipal"),
    ] {
        let mut e = base.clone();
        e["type"] = json!(ty);
        e["authorization"]["scheme"] = json!(scheme);
        let v = classify(&ep(e), &Context::default());
        assert_eq!(
            (v.credential, v.convertible.status),
            (Credential::Secret, Status::Yes),
            "{ty}/{scheme}"
        );
    }
}

/// The seed's troubleshooting messages, as printed, map to the Azure DevOps connection's steps.
#[test]
fn seed_errors_map_to_the_access_steps() {
    let rows = [
        (
            r"ERROR: TF401444: Please sign-in at least once as 72f988bf-86f1-41af-91ab-2d7cd011db47\72f988bf-86f1-41af-91ab-2d7cd011db47\115c3ab3-943b-4e0c-96ed-1a1763fbaa44 in a web browser to enable access to the service.",
            "TF401444",
            "access step",
        ),
        (
            "The Managed Identity / Service Principal build-mi does not have access to Azure DevOps organization fabrikam. Please make sure the identity has been added to the organization. See https://aka.ms/azdosc#prerequisites",
            "NoOrganizationAccess",
            "each organization",
        ),
        (
            "VS800075: The project with id 'vstfs:///Classification/TeamProject/00000000-0000-00000000-000000000000' does not exist, or you do not have permission to access it.",
            "VS800075",
            "Readers",
        ),
        (
            "You don't have permission to the selected identity. Service connection is saved as draft. To complete the configuration, contact the owner of the identity to create a federated credential in the Azure portal using the Issuer and Subject Identifier below.",
            "SavedAsDraft",
            "user of the organization",
        ),
    ];
    for (text, code, step) in rows {
        let d = federate_core::diagnose::explain_error(text).unwrap();
        assert_eq!(d.code, code);
        assert!(d.fix.contains(step), "{code}: {}", d.fix);
    }
}

/// A connection on the Azure DevOps issuer says so on its mark; sovereign clouds keep the issuer.
#[test]
fn retiring_issuer_in_the_label() {
    let classic = |env: Option<&str>, ty: &str| {
        let mut e = wiu(ty, "WorkloadIdentityFederation", json!({}));
        let p = &mut e["authorization"]["parameters"];
        p["workloadIdentityFederationIssuer"] =
            json!("https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6");
        p["workloadIdentityFederationSubject"] = json!("sc://contoso/Payments/azdo-wif");
        if let Some(env) = env {
            e["data"]["environment"] = json!(env);
        }
        ep(e)
    };
    let rows = [
        (
            None,
            "azurerm",
            "2026-11-30T00:00:00Z",
            "Federated · issuer retires 2027-07-01",
        ),
        (
            Some("AzureCloud"),
            "WorkloadIdentityUser",
            "2026-11-30T00:00:00Z",
            "Federated · issuer retires 2027-07-01",
        ),
        (
            None,
            "azurerm",
            "2027-07-02T00:00:00Z",
            "Federated · issuer retired 2027-07-01",
        ),
        (
            Some("AzureUSGovernment"),
            "azurerm",
            "2026-11-30T00:00:00Z",
            "Federated",
        ),
    ];
    for (env, ty, now, label) in rows {
        let v = classify(
            &classic(env, ty),
            &Context {
                now: Some(now.into()),
                ..ctx()
            },
        );
        assert_eq!(v.label, label, "{env:?} {ty} {now}");
    }
}
