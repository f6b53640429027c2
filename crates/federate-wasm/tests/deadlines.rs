//! The deadline exports through the wasm-bindgen boundary: plain objects with `null`, arrays,
//! and real `Error`s for bad input.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_wasm::deadlines::*;
use federate_wasm::engine::classify_endpoints;
use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";

fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn list() -> JsValue {
    parse(&format!(
        r#"[{{"id":"a3c1f2e4-5b6d-4e7f-8a9b-0c1d2e3f4a5b","name":"legacy","type":"azurerm","data":{{"creationMode":"Manual"}},
          "authorization":{{"scheme":"WorkloadIdentityFederation","parameters":{{"tenantid":"ff882432-09b0-437b-bd22-ca13c0037ded","serviceprincipalid":"1272a66f-e2e8-4e88-ab43-487409186c3f",
            "workloadIdentityFederationIssuer":"https://vstoken.dev.azure.com/{ORG_ID}","workloadIdentityFederationSubject":"sc://contoso/Web/legacy"}}}},
          "serviceEndpointProjectReferences":[{{"projectReference":{{"id":"c7e5f0b3-71fa-4429-9fb3-3321963a7c06","name":"Web"}},"name":"legacy"}}]}},
         {{"id":"b","name":"feed","type":"generic","url":"https://pkgs.dev.azure.com/contoso/_packaging/f/nuget/v3/index.json","authorization":{{"scheme":"UsernamePassword"}}}}]"#
    ))
}

fn context() -> JsValue {
    parse(&format!(
        r#"{{"organizationName":"contoso","organizationId":"{ORG_ID}","now":"2026-11-30T00:00:00Z"}}"#
    ))
}

#[wasm_bindgen_test]
fn plan_script_and_verify() {
    let plan = issuer_migration_plan(list(), Some(context())).unwrap();
    assert_eq!(get(&plan, "count").as_f64(), Some(1.0));
    let groups: Array = get(&plan, "groups").dyn_into().unwrap();
    let first = groups.get(0);
    assert_eq!(get(&first, "group").as_string().as_deref(), Some("manual"));
    let item = Array::from(&get(&first, "items")).get(0);
    assert!(get(&item, "clientId").is_string());
    assert!(get(&item, "issuer").is_string());
    let all = issuer_migration_commands(list(), context(), JsValue::NULL, "az").unwrap();
    assert!(all.contains("for 1 connection(s)"));
    let none = issuer_migration_commands(list(), context(), parse("[]"), "az").unwrap();
    assert!(none.contains("for 0 connection(s)"));
    let err = issuer_migration_commands(list(), context(), parse("[1]"), "az").unwrap_err();
    assert!(JsValue::from(err).is_instance_of::<js_sys::Error>());
    let rows: Array = verify_issuer_migration(
        list(),
        context(),
        parse(r#"["a3c1f2e4-5b6d-4e7f-8a9b-0c1d2e3f4a5b","gone"]"#),
    )
    .unwrap()
    .dyn_into()
    .unwrap();
    assert_eq!(
        get(&rows.get(0), "status").as_string().as_deref(),
        Some("pending")
    );
    assert_eq!(
        get(&rows.get(1), "status").as_string().as_deref(),
        Some("missing")
    );
    assert!(get(&rows.get(1), "name").is_null(), "null, not undefined");
}

#[wasm_bindgen_test]
fn summary_and_gates() {
    let verdicts = classify_endpoints(list(), Some(context())).unwrap();
    assert!(
        summary_line(verdicts.clone())
            .unwrap()
            .contains("1 Azure DevOps PAT ")
    );
    let failing: Array = gate_failures(verdicts.clone(), parse(r#"["pat"]"#))
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(failing.length(), 1);
    let pat = get(&failing.get(0), "azureDevOpsPat");
    assert_eq!(
        get(&pat, "host").as_string().as_deref(),
        Some("pkgs.dev.azure.com")
    );
    // The summary bar's parts: the line's counts, keyed, as plain objects.
    let summary = inventory_summary(verdicts.clone()).unwrap();
    assert_eq!(
        get(&summary, "line").as_string(),
        summary_line(verdicts.clone()).ok()
    );
    let parts: Array = get(&summary, "parts").dyn_into().unwrap();
    assert_eq!(parts.length(), 7);
    assert_eq!(
        get(&parts.get(4), "key").as_string().as_deref(),
        Some("pat")
    );
    assert_eq!(get(&parts.get(4), "count").as_f64(), Some(1.0));
    // The verdict's tone, word and issuer retirement cross as strings, nextStep as null.
    let legacy = Array::from(&verdicts).get(0);
    assert_eq!(get(&legacy, "tone").as_string().as_deref(), Some("warn"));
    assert_eq!(
        get(&legacy, "issuerRetirement").as_string().as_deref(),
        Some("retiring")
    );
    assert_eq!(
        get(&legacy, "credentialWord").as_string().as_deref(),
        Some("Federated")
    );
    assert!(get(&legacy, "nextStep").is_null(), "null, not undefined");
    let err = gate_failures(verdicts, parse(r#"["tokens"]"#)).unwrap_err();
    assert!(JsValue::from(err).is_instance_of::<js_sys::Error>());
    let gates: Array = audit_gates().unwrap().dyn_into().unwrap();
    assert_eq!(gates.length(), 5);
}
