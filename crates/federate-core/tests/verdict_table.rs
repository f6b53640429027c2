//! Every row of the verdict table, and every refinement (state, sharing, revert window,
//! federation warnings, labels).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::needless_pass_by_value
)]

use federate_core::model::Endpoint;
use federate_core::verdict::{
    Cond, Context, Credential, RULES, SCHEME_RULES, State, Status, classify, matching_rule,
    verdict_rules,
};
use serde_json::{Map, Value, json};

fn endpoint_for(ty: &str, scheme: &str, when: &[Cond]) -> Value {
    let mut data = Map::new();
    let mut params = Map::new();
    data.insert("creationMode".into(), json!("Manual"));
    for c in when {
        match *c {
            Cond::Param(k, v) | Cond::Field(k, v) => {
                params.insert(k.into(), json!(v));
            }
            Cond::Data(k, v) => {
                data.insert(k.into(), json!(v));
            }
            Cond::Automatic => {
                data.insert("creationMode".into(), json!("Automatic"));
            }
            Cond::Draft => {
                data.insert("isDraft".into(), json!("true"));
            }
        }
    }
    json!({"id": "5e47a0d8-c745-44f8-8f93-784f18ff31c4", "name": "conn", "type": ty,
        "authorization": {"scheme": scheme, "parameters": params}, "data": data,
        "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "TestProject"}, "name": "conn"}]})
}

fn ep(v: Value) -> Endpoint {
    Endpoint::from_value(v).unwrap()
}

#[test]
fn every_row_matches_itself() {
    assert!(RULES.len() >= 40, "the table covers every documented type");
    for (i, row) in RULES.iter().enumerate() {
        let ty = if row.endpoint_type == "*" {
            "azurerm"
        } else {
            row.endpoint_type
        };
        // Types and schemes compare case-insensitively: try them upper-cased too.
        for (t, s) in [
            (ty.to_owned(), row.scheme.to_owned()),
            (ty.to_uppercase(), row.scheme.to_uppercase()),
        ] {
            let e = ep(endpoint_for(&t, &s, row.when));
            let got =
                matching_rule(&e).unwrap_or_else(|| panic!("row {i} ({t}/{s}) matched nothing"));
            assert!(
                std::ptr::eq(got, row),
                "row {i} ({t}/{s}) matched {got:?} instead"
            );
            let v = classify(&e, &Context::default());
            assert_eq!(v.credential, row.credential, "row {i}");
            assert_eq!(v.uses_secret, row.uses_secret, "row {i}");
            assert_eq!(v.convertible.status, row.convertible, "row {i}");
            assert!(!v.convertible.reasons.is_empty(), "row {i} gives a reason");
            assert!(!v.label.is_empty() && v.summary.ends_with('.'), "row {i}");
            assert_eq!(
                v.federation.is_some(),
                row.credential == Credential::Federated,
                "row {i}"
            );
        }
    }
}

#[test]
fn rules_export_is_the_table_plus_catch_all() {
    let rows = verdict_rules();
    assert_eq!(rows.len(), RULES.len() + SCHEME_RULES.len() + 1);
    let last = rows.last().unwrap();
    assert_eq!(
        (last.endpoint_type.as_str(), last.credential),
        ("*", Credential::Unknown)
    );
    let json = serde_json::to_value(&rows[0]).unwrap();
    for key in [
        "type",
        "scheme",
        "when",
        "credential",
        "usesSecret",
        "convertible",
        "note",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
}

#[test]
fn wildcard_federation_rows_cover_other_types() {
    for ty in ["dockerregistry", "SomeExtensionType", "AzureDevOps"] {
        let v = classify(
            &ep(endpoint_for(ty, "WorkloadIdentityFederation", &[])),
            &Context::default(),
        );
        assert_eq!(v.credential, Credential::Federated, "{ty}");
    }
}

#[test]
fn unknown_types_and_schemes() {
    // A scheme outside both tables stays unknown, whatever the type.
    for (t, s) in [("mystery", "Mystery"), ("azurerm", "Mystery"), ("", "")] {
        let v = classify(&ep(endpoint_for(t, s, &[])), &Context::default());
        assert_eq!(v.credential, Credential::Unknown);
        assert_eq!(v.uses_secret, None);
        assert_eq!(v.label, "Unknown");
    }
}

fn sp(data: Value) -> Value {
    json!({"id": "5e47a0d8-c745-44f8-8f93-784f18ff31c4", "name": "prod", "type": "azurerm",
        "authorization": {"scheme": "ServicePrincipal", "parameters": {"authenticationType": "spnKey", "tenantid": "ff882432-09b0-437b-bd22-ca13c0037ded", "serviceprincipalid": "1272a66f-e2e8-4e88-ab43-487409186c3f", "serviceprincipalkey": null}},
        "data": data, "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "C7E5F0B3-71fa-4429-9fb3-3321963a7c06", "name": "Ops"}, "name": "prod"}]})
}

#[test]
fn creation_mode_inferred_from_object_ids() {
    let v = classify(&ep(sp(json!({"appObjectId": "x"}))), &Context::default());
    assert_eq!(v.convertible.status, Status::Yes);
    assert!(
        v.convertible
            .reasons
            .iter()
            .any(|r| r.code == "creationModeInferred")
    );
    let v = classify(&ep(sp(json!({}))), &Context::default());
    assert_eq!(v.convertible.status, Status::Manual);
    assert_eq!(v.label, "Secret · needs federated credential");
    let v = classify(
        &ep(sp(json!({"creationMode": "automatic"}))),
        &Context::default(),
    );
    assert_eq!(v.label, "Secret · convertible");
}

#[test]
fn shared_from_another_project() {
    let mut e = sp(json!({"creationMode": "Automatic"}));
    e["isShared"] = json!(true);
    e["serviceEndpointProjectReferences"].as_array_mut().unwrap().push(json!({"projectReference": {"id": "184fda7e-3559-4b3c-afa0-1b6998330f84", "name": "Web"}, "name": "prod-shared"}));
    let web = Context {
        project_id: Some("184fda7e-3559-4b3c-afa0-1b6998330f84".into()),
        ..Context::default()
    };
    let v = classify(&ep(e.clone()), &web);
    assert_eq!(v.convertible.status, Status::OwnerProject);
    assert_eq!(v.label, "Shared from Ops");
    assert!(
        v.convertible
            .reasons
            .iter()
            .any(|r| r.code == "sharedFromProject" && r.message.contains("Ops"))
    );
    assert_eq!(v.shared_with.len(), 1);
    assert_eq!(
        v.owner.as_ref().unwrap().project_name.as_deref(),
        Some("Ops")
    );
    // In the home project (id compared case-insensitively): convertible, with a note.
    let ops = Context {
        project_id: Some("c7e5f0b3-71FA-4429-9fb3-3321963a7c06".into()),
        ..Context::default()
    };
    let v = classify(&ep(e.clone()), &ops);
    assert_eq!(v.convertible.status, Status::Yes);
    assert!(
        v.convertible
            .reasons
            .iter()
            .any(|r| r.code == "sharedWithProjects")
    );
    // By name when ids are missing.
    let by_name = Context {
        project_name: Some("web".into()),
        ..Context::default()
    };
    assert_eq!(
        classify(&ep(e), &by_name).convertible.status,
        Status::OwnerProject
    );
}

#[test]
fn states_block_or_annotate_conversion() {
    let cases = [
        (
            json!({"operationStatus": {"state": "InProgress", "statusMessage": "converting_scheme"}}),
            State::Converting,
            Status::No,
            "operationInProgress",
            "Converting…",
        ),
        (
            json!({"operationStatus": {"state": "Failed", "statusMessage": "converting_scheme_failed"}}),
            State::Failed,
            Status::Yes,
            "previousConversionFailed",
            "Failed",
        ),
        (
            json!({"operationStatus": {"state": "Failed", "statusMessage": "boom"}}),
            State::Failed,
            Status::No,
            "operationFailed",
            "Failed",
        ),
        (
            json!({"isReady": false}),
            State::NotReady,
            Status::No,
            "notReady",
            "Secret · not ready",
        ),
        (
            json!({"isDisabled": true}),
            State::Disabled,
            Status::No,
            "disabled",
            "Secret · disabled",
        ),
    ];
    for (patch, state, status, code, label) in cases {
        let mut e = sp(json!({"creationMode": "Automatic"}));
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        let v = classify(&ep(e), &Context::default());
        assert_eq!((v.state, v.convertible.status), (state, status), "{code}");
        assert!(
            v.convertible.reasons.iter().any(|r| r.code == code),
            "{code}: {:?}",
            v.convertible.reasons
        );
        assert_eq!(v.label, label);
    }
    let v = classify(
        &ep(sp(
            json!({"creationMode": "Automatic", "environment": "AzureStack"}),
        )),
        &Context::default(),
    );
    assert_eq!(v.convertible.status, Status::No);
}

#[test]
fn operation_messages_in_reasons() {
    // A convertible kind (automatic secret) and one that is not (a GitHub token), each with
    // a running and a failed operation, with and without the service's message.
    let github = |data: Value| {
        let mut e = sp(data);
        e["type"] = json!("GitHub");
        e["authorization"] = json!({"scheme": "Token", "parameters": {"AccessToken": null}});
        e
    };
    let cases: [(Value, &str, &str); 8] = [
        (
            sp(json!({"creationMode": "Automatic"})),
            "InProgress",
            "An operation is in progress (InProgress): wait until it ends.",
        ),
        (
            sp(json!({"creationMode": "Automatic"})),
            "InProgress/busy",
            "An operation is in progress (busy): wait until it ends.",
        ),
        (
            sp(json!({"creationMode": "Automatic"})),
            "Failed",
            "The connection's last operation failed: fix or re-create it first.",
        ),
        (
            sp(json!({"creationMode": "Automatic"})),
            "Failed/boom",
            "The connection's last operation failed (boom): fix or re-create it first.",
        ),
        (
            github(json!({})),
            "InProgress",
            "An operation is in progress (InProgress).",
        ),
        (
            github(json!({})),
            "InProgress/busy",
            "An operation is in progress (busy).",
        ),
        (github(json!({})), "Failed", "The last operation failed."),
        (
            github(json!({})),
            "Failed/boom",
            "The last operation failed (boom).",
        ),
    ];
    for (mut e, operation, message) in cases {
        let (state, status_message) = operation.split_once('/').unwrap_or((operation, ""));
        e["operationStatus"] = json!({"state": state, "statusMessage": status_message});
        let v = classify(&ep(e), &Context::default());
        assert!(
            v.convertible.reasons.iter().any(|r| r.message == message),
            "{operation}: {:?}",
            v.convertible.reasons
        );
    }
}

const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";
const CONN: &str = "64171687-7a59-4fce-b2c8-823278dcf176";

fn wif(issuer: &str, subject: &str, data: Value) -> Value {
    json!({"id": CONN, "name": "prod", "type": "azurerm",
        "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": {"tenantid": TENANT, "serviceprincipalid": "1272a66f-e2e8-4e88-ab43-487409186c3f",
            "workloadIdentityFederationIssuer": issuer, "workloadIdentityFederationSubject": subject, "workloadIdentityFederationIssuerType": "EntraID"}},
        "data": data, "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "c7e5f0b3-71fa-4429-9fb3-3321963a7c06", "name": "Web"}, "name": "prod"}]})
}

fn ctx(now: &str) -> Context {
    Context {
        organization_name: Some("fabrikam".into()),
        organization_id: Some(ORG_ID.into()),
        project_name: Some("Web".into()),
        project_id: None,
        now: Some(now.into()),
    }
}

fn codes(v: &federate_core::verdict::Verdict) -> Vec<String> {
    v.federation
        .as_ref()
        .unwrap()
        .warnings
        .iter()
        .map(|w| w.code.clone())
        .collect()
}

#[test]
fn entra_federation_clean_and_revert_window() {
    let subject =
        format!("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/{ORG_ID}/{CONN}");
    let e = wif(
        &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        &subject,
        json!({"creationMode": "Automatic", "revertSchemeDeadline": "2026-01-05T12:00:00.1234567Z"}),
    );
    let v = classify(&ep(e), &ctx("2026-01-01T00:00:00Z"));
    assert_eq!(v.label, "Federated");
    assert_eq!(codes(&v), Vec::<String>::new());
    let f = v.federation.as_ref().unwrap();
    assert_eq!(f.identity.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(
        f.decoded.as_ref().unwrap().connection_id.as_deref(),
        Some(CONN)
    );
    assert_eq!(
        f.expected
            .as_ref()
            .unwrap()
            .entra
            .as_ref()
            .unwrap()
            .subject
            .as_deref(),
        Some(subject.as_str())
    );
    assert_eq!(
        v.revert_deadline.as_deref(),
        Some("2026-01-05T12:00:00.1234567Z")
    );
    assert_eq!(v.revert_days_left, Some(5));
    assert!(
        v.convertible
            .reasons
            .iter()
            .any(|r| r.code == "revertWindowOpen")
    );
    let later = classify(
        &ep(wif(
            &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            &subject,
            json!({"revertSchemeDeadline": "2026-01-05T12:00:00Z"}),
        )),
        &ctx("2026-02-01T00:00:00Z"),
    );
    assert!(
        later
            .convertible
            .reasons
            .iter()
            .any(|r| r.code == "revertWindowClosed")
    );
    assert!(later.revert_days_left.unwrap() < 0);
}

#[test]
fn classic_federation_warnings() {
    let issuer = format!("https://vstoken.dev.azure.com/{ORG_ID}");
    let v = classify(
        &ep(wif(&issuer, "sc://fabrikam/OldName/prod", json!({}))),
        &ctx("2027-06-01T00:00:00Z"),
    );
    let c = codes(&v);
    assert!(c.contains(&"subjectRenamed".to_owned()), "{c:?}");
    assert!(c.contains(&"issuerRetiring".to_owned()), "{c:?}");
    let f = v.federation.unwrap();
    assert!(
        f.warnings
            .iter()
            .any(|w| w.message.contains("30 days left")),
        "{:?}",
        f.warnings
    );
    assert!(
        f.warnings
            .iter()
            .any(|w| w.message.contains("sc://fabrikam/Web/prod"))
    );
    let retired = classify(
        &ep(wif(&issuer, "sc://fabrikam/Web/prod", json!({}))),
        &ctx("2027-08-01T00:00:00Z"),
    );
    assert_eq!(codes(&retired), ["issuerRetired"]);
    // Sovereign clouds are outside the migration.
    let gov = classify(
        &ep(wif(
            &issuer,
            "sc://fabrikam/Web/prod",
            json!({"environment": "AzureUSGovernment"}),
        )),
        &ctx("2027-06-01T00:00:00Z"),
    );
    assert_eq!(codes(&gov), ["issuerRetirementExempt"]);
    assert!(
        gov.federation.unwrap().warnings[0]
            .message
            .contains("outside the migration")
    );
}

#[test]
fn disagreeing_federation() {
    let other_tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let other_conn = "1dfdea68-9549-409e-abee-c5da69cfec5f";
    let subject = format!(
        "/eid1/c/pub/t/v4j5cvGGr0GRqy180BHbRw/a/MiSI_7AJe0O9IsoTwAN97Q/sc/{ORG_ID}/{other_conn}"
    );
    let v = classify(
        &ep(wif(
            &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            &subject,
            json!({}),
        )),
        &ctx("2026-01-01T00:00:00Z"),
    );
    let c = codes(&v);
    for code in [
        "tenantMismatch",
        "connectionIdMismatch",
        "notAzureDevOpsApp",
    ] {
        assert!(c.contains(&code.to_owned()), "{code}: {c:?}");
    }
    let _ = other_tenant;
    // Classic issuer with an Entra subject, and another organization.
    let v = classify(
        &ep(wif(
            "https://vstoken.dev.azure.com/184fda7e-3559-4b3c-afa0-1b6998330f84",
            &format!(
                "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/{ORG_ID}/{CONN}"
            ),
            json!({}),
        )),
        &ctx("2026-01-01T00:00:00Z"),
    );
    let c = codes(&v);
    assert!(c.contains(&"issuerSubjectMismatch".to_owned()), "{c:?}");
    assert!(c.contains(&"organizationMismatch".to_owned()), "{c:?}");
    let v = classify(
        &ep(wif(
            "https://app.vstoken.visualstudio.com",
            "sc://fabrikam/Web/prod",
            json!({}),
        )),
        &ctx("2026-01-01T00:00:00Z"),
    );
    assert_eq!(
        v.federation.as_ref().unwrap().format,
        federate_core::federation::Format::Preview
    );
    assert!(codes(&v).contains(&"previewIssuer".to_owned()));
    let v = classify(
        &ep(wif("https://example.com", "garbage", json!({}))),
        &Context::default(),
    );
    let c = codes(&v);
    assert!(
        c.contains(&"unknownIssuer".to_owned()) && c.contains(&"subjectMalformed".to_owned()),
        "{c:?}"
    );
}

#[test]
fn draft_verdict() {
    let e = wif(
        &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        &format!(
            "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/{ORG_ID}/{CONN}"
        ),
        json!({"creationMode": "Manual", "isDraft": "True"}),
    );
    let v = classify(&ep(e), &ctx("2026-01-01T00:00:00Z"));
    assert_eq!(v.state, State::Draft);
    assert_eq!(v.convertible.status, Status::Manual);
    assert_eq!(
        v.convertible.reasons[0].code,
        "draftNeedsFederatedCredential"
    );
    assert_eq!(v.label, "Draft · needs federated credential");
    // isDraft as a JSON boolean counts too; an automatic connection is never a draft.
    let v = classify(
        &ep(wif("", "", json!({"isDraft": true}))),
        &Context::default(),
    );
    assert_eq!(v.state, State::Draft);
    let v = classify(
        &ep(wif(
            "",
            "",
            json!({"isDraft": "true", "creationMode": "Automatic"}),
        )),
        &Context::default(),
    );
    assert_eq!(v.state, State::Ready);
    assert!(codes(&v).contains(&"missingIssuer".to_owned()));
}

#[test]
fn verdict_json_shape() {
    let v = classify(
        &ep(sp(json!({"creationMode": "Automatic"}))),
        &Context::default(),
    );
    let j = serde_json::to_value(&v).unwrap();
    for key in [
        "id",
        "name",
        "type",
        "scheme",
        "owner",
        "sharedWith",
        "isShared",
        "credential",
        "usesSecret",
        "state",
        "convertible",
        "revertDeadline",
        "revertDaysLeft",
        "federation",
        "label",
        "summary",
    ] {
        assert!(j.get(key).is_some(), "{key} present (null, not missing)");
    }
    assert_eq!(j["revertDeadline"], Value::Null);
    assert_eq!(j["owner"]["projectName"], "Ops");
    let back: federate_core::verdict::Verdict = serde_json::from_value(j).unwrap();
    assert_eq!(back, v);
}

/// The one convertibility decision: for every row of the table, in every state and sharing,
/// "convertible now" in the verdict ⇔ "planned to be sent" by a plan made from the same
/// project with that connection ticked, and both give the same button word.
#[test]
fn convertible_now_iff_planned() {
    use federate_core::jobs::{PlanContext, plan_conversions};
    let patches = [
        json!({}),
        json!({"operationStatus": {"state": "InProgress", "statusMessage": "converting_scheme"}}),
        json!({"operationStatus": {"state": "Failed", "statusMessage": "converting_scheme_failed"}}),
        json!({"operationStatus": {"state": "Failed", "statusMessage": "boom"}}),
        json!({"isReady": false}),
        json!({"isDisabled": true}),
        json!({"data": {"environment": "AzureStack", "creationMode": "Automatic"}}),
        json!({"isShared": true}),
        // No project reference: nothing can be sent for it (no project to send it to).
        json!({"serviceEndpointProjectReferences": []}),
    ];
    let home = "c7e5f0b3-71fa-4429-9fb3-3321963a7c06";
    let mut sent = 0;
    let mut seen = 0;
    for (i, row) in RULES.iter().chain(SCHEME_RULES).enumerate() {
        let ty = if row.endpoint_type == "*" {
            "azurerm"
        } else {
            row.endpoint_type
        };
        for patch in &patches {
            for elsewhere in [false, true] {
                let mut e = endpoint_for(ty, row.scheme, row.when);
                for (k, v) in patch.as_object().unwrap() {
                    if k == "data" {
                        for (dk, dv) in v.as_object().unwrap() {
                            e["data"][dk] = dv.clone();
                        }
                    } else {
                        e[k] = v.clone();
                    }
                }
                let project = if elsewhere {
                    e["isShared"] = json!(true);
                    e["serviceEndpointProjectReferences"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"projectReference": {"id": "184fda7e-3559-4b3c-afa0-1b6998330f84", "name": "Web"}, "name": "conn"}));
                    "184fda7e-3559-4b3c-afa0-1b6998330f84"
                } else {
                    home
                };
                let e = ep(e);
                let v = classify(
                    &e,
                    &Context {
                        project_id: Some(project.into()),
                        ..Context::default()
                    },
                );
                let plan = plan_conversions(
                    std::slice::from_ref(&e),
                    &PlanContext {
                        project: Some(project.into()),
                        selected: Some(vec![e.id().unwrap().to_owned()]),
                        allow_manual: false,
                    },
                );
                let now = v.convertible.status == Status::Yes;
                assert_eq!(
                    now,
                    plan.send.len() == 1,
                    "row {i} ({ty}/{}) with {patch} elsewhere={elsewhere}: verdict {:?}, plan {plan:?}",
                    row.scheme,
                    v.convertible
                );
                assert_eq!(v.action, plan.send.first().map(|p| p.action), "row {i}");
                seen += 1;
                sent += usize::from(now);
            }
        }
    }
    assert!(seen > 400 && sent >= 6, "{seen} cases, {sent} sent");
}
