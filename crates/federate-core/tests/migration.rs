//! The issuer retirement plan: who is on the Azure DevOps issuer, grouped by what to do, the
//! days left, the Entra credential limit, the script for the manual ones, and Verify.
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::needless_pass_by_value
)]

use federate_core::federation::expected_federation;
use federate_core::migration::{
    MigrationGroup, VerifyStatus, issuer_migration_commands, issuer_migration_plan,
    verify_issuer_migration,
};
use federate_core::model::Endpoint;
use federate_core::verdict::Context;
use serde_json::{Value, json};

const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";

fn ctx() -> Context {
    Context {
        organization_name: Some("contoso".into()),
        organization_id: Some(ORG_ID.into()),
        project_name: None,
        project_id: None,
        now: Some("2026-11-30T04:00:00Z".into()),
    }
}

fn id(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// A federated connection on the Azure DevOps issuer.
fn classic(n: u32, ty: &str, client: &str, data: Value) -> Value {
    let name = format!("conn-{n}");
    json!({"id": id(n), "name": name, "type": ty,
        "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": {
            "tenantid": TENANT, "serviceprincipalid": client,
            "workloadIdentityFederationIssuer": format!("https://vstoken.dev.azure.com/{ORG_ID}"),
            "workloadIdentityFederationSubject": format!("sc://contoso/Payments/{name}")}},
        "data": data, "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": name}]})
}

fn list(values: Vec<Value>) -> Vec<Endpoint> {
    values
        .into_iter()
        .map(|v| Endpoint::from_value(v).unwrap())
        .collect()
}

fn estate() -> Vec<Value> {
    let auto = classic(
        1,
        "azurerm",
        "11111111-0000-4000-8000-000000000001",
        json!({"creationMode": "Automatic", "appObjectId": "x"}),
    );
    let manual = classic(
        2,
        "AzureRM",
        "11111111-0000-4000-8000-000000000002",
        json!({"creationMode": "Manual"}),
    );
    let docker = classic(
        3,
        "dockerregistry",
        "11111111-0000-4000-8000-000000000003",
        json!({"registrytype": "ACR", "creationMode": "Automatic"}),
    );
    let wiu = classic(
        4,
        "WorkloadIdentityUser",
        "11111111-0000-4000-8000-000000000004",
        json!({}),
    );
    let mut gov = classic(
        5,
        "azurerm",
        "11111111-0000-4000-8000-000000000005",
        json!({"creationMode": "Manual", "environment": "AzureUSGovernment"}),
    );
    gov["name"] = json!("gov");
    let mut ext = classic(6, "stackit-ext", "", json!({}));
    ext["authorization"]["parameters"] = json!({"workloadIdentityFederationIssuer": format!("https://vstoken.dev.azure.com/{ORG_ID}"), "workloadIdentityFederationSubject": "sc://contoso/Payments/conn-6"});
    let aws = json!({"id": id(7), "name": "aws-oidc", "type": "aws", "url": "https://aws.amazon.com/",
        "authorization": {"scheme": "UsernamePassword", "parameters": {"useOIDC": "true", "assumeRoleArn": "arn:aws:iam::1:role/ado"}},
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Payments"}, "name": "aws-oidc"}]});
    let mut entra = classic(
        8,
        "azurerm",
        "11111111-0000-4000-8000-000000000008",
        json!({"creationMode": "Manual"}),
    );
    entra["authorization"]["parameters"]["workloadIdentityFederationIssuer"] =
        json!(format!("https://login.microsoftonline.com/{TENANT}/v2.0"));
    let secret = json!({"id": id(9), "name": "secret", "type": "azurerm", "authorization": {"scheme": "ServicePrincipal", "parameters": {"authenticationType": "spnKey"}}});
    vec![
        auto.clone(),
        manual,
        docker,
        wiu,
        gov,
        ext,
        aws,
        entra,
        secret,
        auto,
    ]
}

#[test]
fn groups_days_and_words() {
    let plan = issuer_migration_plan(&list(estate()), &ctx());
    assert_eq!(plan.days_left, Some(213));
    assert_eq!(
        plan.count, 7,
        "the duplicate, the Entra and the secret connections are not listed"
    );
    assert!(plan.intro.contains("213 days left"), "{}", plan.intro);
    assert!(
        plan.intro
            .contains("Federate does not send the issuer update itself"),
        "{}",
        plan.intro
    );
    let groups: Vec<(MigrationGroup, Vec<String>)> = plan
        .groups
        .iter()
        .map(|g| {
            (
                g.group,
                g.items.iter().map(|i| i.id.clone().unwrap()).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (MigrationGroup::Automatic, vec![id(1), id(3)]),
            (MigrationGroup::Manual, vec![id(2), id(4)]),
            (MigrationGroup::OtherRelyingParty, vec![id(6), id(7)]),
            (MigrationGroup::OutOfScope, vec![id(5)]),
        ]
    );
    for g in &plan.groups {
        assert!(!g.title.is_empty() && !g.action.is_empty());
        for i in &g.items {
            assert_eq!(
                i.page_path.as_deref(),
                Some(
                    format!(
                        "/Payments/_settings/adminservices?resourceId={}",
                        i.id.as_deref().unwrap()
                    )
                    .as_str()
                )
            );
        }
    }
    let manual = &plan.groups[1].items[0];
    assert_eq!(
        manual.entra_issuer.as_deref(),
        Some(format!("https://login.microsoftonline.com/{TENANT}/v2.0").as_str())
    );
    assert!(
        manual
            .entra_subject
            .as_deref()
            .unwrap()
            .ends_with(&format!("/sc/{ORG_ID}/{}", id(2)))
    );
    assert!(plan.groups[2].items[1].note.contains("presumed"));
    assert!(plan.groups[3].items[0].note.contains("AzureUSGovernment"));
    assert!(plan.identity_warnings.is_empty());
    assert!(plan.notes.iter().any(|n| n.contains("Multitenant")));
}

#[test]
fn one_identity_behind_many_connections() {
    let client = "22222222-0000-4000-8000-000000000000";
    // 15 connections of one identity, 6 of them on the retiring issuer: 15 now, 21 during.
    let mut values = Vec::new();
    for n in 0..15 {
        let mut v = classic(
            100 + n,
            "azurerm",
            client,
            json!({"creationMode": "Manual"}),
        );
        if n >= 6 {
            v["authorization"]["parameters"]["workloadIdentityFederationIssuer"] =
                json!(format!("https://login.microsoftonline.com/{TENANT}/v2.0"));
        }
        values.push(v);
    }
    let plan = issuer_migration_plan(&list(values.clone()), &ctx());
    assert_eq!(plan.identity_warnings.len(), 1);
    let w = &plan.identity_warnings[0];
    assert_eq!(
        (w.credentials_now, w.credentials_during_migration),
        (15, 21)
    );
    assert_eq!(w.connections.len(), 15);
    assert!(
        w.message.contains("limit of 20") && w.message.contains("conn-100"),
        "{}",
        w.message
    );
    // One connection fewer on the old issuer: 15 + 5 = 20, at the limit, no warning.
    values[5]["authorization"]["parameters"]["workloadIdentityFederationIssuer"] =
        json!(format!("https://login.microsoftonline.com/{TENANT}/v2.0"));
    assert!(
        issuer_migration_plan(&list(values), &ctx())
            .identity_warnings
            .is_empty()
    );
}

#[test]
fn one_script_for_the_manual_ones() {
    let eps = list(estate());
    let az = issuer_migration_commands(&eps, &ctx(), None, "az").unwrap();
    assert!(az.contains("for 2 connection(s)"), "{az}");
    assert!(
        az.contains(&format!("\"name\":\"{}-entra\"", id(2))),
        "{az}"
    );
    assert!(az.contains(&format!("/sc/{ORG_ID}/{}", id(4))), "{az}");
    assert!(!az.contains(&id(1)), "automatic ones need no credential");
    assert!(!az.contains("vstoken"), "only the Entra issuer: {az}");
    assert!(az.contains("select Update"), "{az}");
    let none = issuer_migration_commands(&eps, &ctx(), Some(&[]), "az").unwrap();
    assert!(none.contains("for 0 connection(s)"), "{none}");
    let one = issuer_migration_commands(&eps, &ctx(), Some(&[id(4).to_uppercase()]), "powershell")
        .unwrap();
    assert!(one.contains("for 1 connection(s)") && one.contains(&id(4)) && !one.contains(&id(2)));
    let bicep = issuer_migration_commands(&eps, &ctx(), None, "bicep").unwrap();
    assert!(
        bicep.contains("resource identity1 ") && bicep.contains("resource identity2 "),
        "{bicep}"
    );
    assert!(issuer_migration_commands(&eps, &ctx(), None, "cmd").is_err());
}

#[test]
fn verify_after_update() {
    let mut values = estate();
    // Connections 1 and 2 switched by Update, with the expected Entra pair; 4 with a wrong subject.
    for n in [0usize, 1, 3] {
        let ep = Endpoint::from_value(values[n].clone()).unwrap();
        let e = expected_federation(&ep, &ctx()).entra.unwrap();
        let p = &mut values[n]["authorization"]["parameters"];
        p["workloadIdentityFederationIssuer"] = json!(e.issuer.unwrap());
        p["workloadIdentityFederationSubject"] = json!(if n == 3 {
            "/eid1/c/pub/t/x/a/y/sc/z/w".to_owned()
        } else {
            e.subject.unwrap()
        });
    }
    let ids = [id(1), id(2), id(4), id(3), id(7), id(99)];
    let rows = verify_issuer_migration(&list(values), &ctx(), &ids);
    let statuses: Vec<VerifyStatus> = rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            VerifyStatus::Migrated,
            VerifyStatus::Migrated,
            VerifyStatus::Unexpected,
            VerifyStatus::Pending,
            VerifyStatus::Unknown,
            VerifyStatus::Missing,
        ]
    );
    assert!(rows[3].message.contains("Update"));
}

/// Two manual connections of the same name (in two projects), one with a right-to-left mark
/// in its name: the Terraform script declares each resource once, and every Graph request body
/// is valid JSON (the final terminal sanitizing must not rewrite it into invalid escapes).
#[test]
fn one_script_same_names_and_bidi() {
    let name = "prod\u{200f}";
    let mut a = classic(
        2,
        "AzureRM",
        "11111111-0000-4000-8000-000000000002",
        json!({"creationMode": "Manual"}),
    );
    a["name"] = json!(name);
    let mut b = classic(
        3,
        "AzureRM",
        "11111111-0000-4000-8000-000000000003",
        json!({"creationMode": "Manual"}),
    );
    b["name"] = json!(name);
    b["serviceEndpointProjectReferences"] = json!([{"projectReference": {"id": "d7e5f0b3-71fa-4429-9fb3-3321963a7c07", "name": "Web"}, "name": name}]);
    let eps = list(vec![a, b]);

    let tf = issuer_migration_commands(&eps, &ctx(), None, "terraform").unwrap();
    let labels: Vec<&str> = tf
        .lines()
        .filter(|l| l.starts_with("resource \"azurerm_federated_identity_credential\""))
        .collect();
    assert_eq!(labels.len(), 2, "{tf}");
    assert_ne!(labels[0], labels[1], "{tf}");

    let graph = issuer_migration_commands(&eps, &ctx(), None, "graph").unwrap();
    let mut bodies = 0;
    let mut body = String::new();
    for line in graph.lines() {
        if line == "{" {
            body.clear();
        }
        body.push_str(line);
        body.push('\n');
        if line == "}" {
            let parsed: Value =
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            assert!(parsed["description"].as_str().unwrap().contains(name));
            bodies += 1;
        }
    }
    assert_eq!(bodies, 2, "{graph}");
}
