//! Every engine export called through the wasm-bindgen boundary, checking result shapes.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_wasm::engine::*;
use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const CONN: &str = "64171687-7a59-4fce-b2c8-823278dcf176";

fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn has(v: &JsValue, key: &str) -> bool {
    Reflect::has(v, &JsValue::from_str(key)).unwrap()
}

fn secret_json() -> String {
    r#"{"id":"1dfdea68-9549-409e-abee-c5da69cfec5f","name":"prod","type":"azurerm","isShared":false,"isReady":true,
      "data":{"creationMode":"Automatic"},
      "authorization":{"scheme":"ServicePrincipal","parameters":{"tenantid":"ff882432-09b0-437b-bd22-ca13c0037ded","serviceprincipalid":"1272a66f-e2e8-4e88-ab43-487409186c3f","authenticationType":"spnKey","serviceprincipalkey":null}},
      "serviceEndpointProjectReferences":[{"projectReference":{"id":"c7e5f0b3-71fa-4429-9fb3-3321963a7c06","name":"Web"},"name":"prod"}]}"#.to_owned()
}

fn context() -> JsValue {
    parse(&format!(
        r#"{{"organizationName":"fabrikam","organizationId":"{ORG_ID}","projectName":"Web","now":"2026-01-01T00:00:00Z"}}"#
    ))
}

const VERDICT_KEYS: [&str; 16] = [
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
];

#[wasm_bindgen_test]
fn classify_endpoint_shape() {
    let v = classify_endpoint(parse(&secret_json()), Some(context())).unwrap();
    for key in VERDICT_KEYS {
        assert!(has(&v, key), "{key}");
    }
    assert_eq!(get(&v, "credential").as_string().as_deref(), Some("secret"));
    assert_eq!(
        get(&v, "label").as_string().as_deref(),
        Some("Secret · convertible")
    );
    assert!(get(&v, "federation").is_null(), "null, not undefined");
    assert!(get(&v, "revertDaysLeft").is_null());
    assert!(Array::is_array(&get(&v, "sharedWith")));
    let conv = get(&v, "convertible");
    assert_eq!(get(&conv, "status").as_string().as_deref(), Some("yes"));
    assert!(!v.is_instance_of::<js_sys::Map>());
    // A JSON string works too; no context works too.
    let v = classify_endpoint(JsValue::from_str(&secret_json()), None).unwrap();
    assert_eq!(get(&v, "name").as_string().as_deref(), Some("prod"));
}

#[wasm_bindgen_test]
fn classify_endpoints_shapes_and_errors() {
    let list = format!(r#"{{"count":1,"value":[{}]}}"#, secret_json());
    for input in [
        parse(&list),
        JsValue::from_str(&list),
        parse(&format!("[{}]", secret_json())),
    ] {
        let out = classify_endpoints(input, Some(JsValue::NULL)).unwrap();
        let arr: Array = out.dyn_into().unwrap();
        assert_eq!(arr.length(), 1);
        assert_eq!(
            get(&arr.get(0), "id").as_string().as_deref(),
            Some("1dfdea68-9549-409e-abee-c5da69cfec5f")
        );
    }
    let err = classify_endpoints(JsValue::from_str("{\"value\":"), None).unwrap_err();
    let err: JsValue = err.into();
    let err: js_sys::Error = err.dyn_into().expect("a real Error");
    assert!(
        String::from(err.message()).contains("line 1"),
        "{}",
        String::from(err.message())
    );
    let bad_ctx = classify_endpoints(parse("[]"), Some(parse(r#"{"now":"soon"}"#))).unwrap_err();
    let bad_ctx: js_sys::Error = JsValue::from(bad_ctx).dyn_into().unwrap();
    assert!(String::from(bad_ctx.message()).contains("context.now"));
}

#[wasm_bindgen_test]
fn federation_exports() {
    let subject =
        format!("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/{ORG_ID}/{CONN}");
    let d = decode_federation_subject(&subject, None).unwrap();
    assert_eq!(get(&d, "format").as_string().as_deref(), Some("entra"));
    assert_eq!(
        get(&d, "tenantId").as_string().as_deref(),
        Some("ff882432-09b0-437b-bd22-ca13c0037ded")
    );
    assert!(get(&d, "projectName").is_null());
    // Segments in order, the organization id checked against the context given.
    let checked = decode_federation_subject(
        &subject,
        Some(parse(&format!(r#"{{"organizationId":"{ORG_ID}"}}"#))),
    )
    .unwrap();
    let segments: Array = get(&checked, "segments").dyn_into().unwrap();
    assert_eq!(segments.length(), 7);
    let org = segments.get(5);
    assert_eq!(
        get(&org, "label").as_string().as_deref(),
        Some("Organization id")
    );
    assert_eq!(get(&org, "check").as_string().as_deref(), Some("matches"));
    assert!(get(&org, "expected").is_null());
    let issuer = decode_federation_issuer("https://app.vstoken.visualstudio.com", None).unwrap();
    assert_eq!(
        get(&issuer, "format").as_string().as_deref(),
        Some("preview")
    );
    let bad_ctx = decode_federation_subject(&subject, Some(parse("[1]"))).unwrap_err();
    let bad_ctx: js_sys::Error = JsValue::from(bad_ctx).dyn_into().unwrap();
    assert!(String::from(bad_ctx.message()).contains("context"));
    let err: js_sys::Error =
        JsValue::from(decode_federation_subject("sc://org", None).unwrap_err())
            .dyn_into()
            .unwrap();
    assert!(String::from(err.message()).contains("project"));

    let e = expected_federation(parse(&secret_json()), Some(context())).unwrap();
    assert_eq!(
        get(&e, "audience").as_string().as_deref(),
        Some("api://AzureADTokenExchange")
    );
    let ado = get(&e, "azureDevOps");
    assert_eq!(
        get(&ado, "subject").as_string().as_deref(),
        Some("sc://fabrikam/Web/prod")
    );
    assert_eq!(
        get(&ado, "issuer").as_string(),
        Some(format!("https://vstoken.dev.azure.com/{ORG_ID}"))
    );
    let entra = get(&e, "entra");
    assert!(
        get(&entra, "subject")
            .as_string()
            .unwrap()
            .starts_with("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/")
    );
    assert!(Array::is_array(&get(&e, "missing")));

    let f = explain_federation(parse(&secret_json()), None).unwrap();
    assert!(Array::is_array(&get(&f, "warnings")));
    assert_eq!(
        get(&f, "audience").as_string().as_deref(),
        Some("api://AzureADTokenExchange")
    );

    assert_eq!(
        encode_guid("ff882432-09b0-437b-bd22-ca13c0037ded").unwrap(),
        "MiSI_7AJe0O9IsoTwAN97Q"
    );
    assert_eq!(
        decode_guid("rISbSSETf0KqFyZ8ppdXmA").unwrap(),
        "499b84ac-1321-427f-aa17-267ca6975798"
    );
    assert!(decode_guid("short").is_err());
    assert!(encode_guid("nope").is_err());
}

#[wasm_bindgen_test]
fn remedies_every_format() {
    for format in [
        "az",
        "azIdentity",
        "powershell",
        "bicep",
        "terraform",
        "graph",
        "portal",
    ] {
        let out = federated_credential_commands(parse(&secret_json()), context(), format).unwrap();
        assert!(
            out.contains("1dfdea68-9549-409e-abee-c5da69cfec5f"),
            "{format}: {out}"
        );
    }
    assert!(
        federated_credential_commands(parse(&secret_json()), JsValue::UNDEFINED, "az")
            .unwrap()
            .contains("az ad app federated-credential create")
    );
    assert!(federated_credential_commands(parse(&secret_json()), context(), "cmd").is_err());
}

#[wasm_bindgen_test]
fn diagnosis_exports() {
    let d = explain_error("##[error]AADSTS700213: No matching federated identity record found")
        .unwrap();
    for key in ["id", "code", "title", "meaning", "fix", "docs"] {
        assert!(get(&d, key).as_string().is_some(), "{key}");
    }
    assert!(explain_error("fine").unwrap().is_null());
    let all: Array = explain_errors("TF400733 and AADSTS7000215")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(all.length(), 2);
}

#[wasm_bindgen_test]
fn rules_reports_version() {
    let rules: Array = verdict_rules().unwrap().dyn_into().unwrap();
    assert!(rules.length() > 40);
    let first = rules.get(0);
    for key in [
        "type",
        "scheme",
        "when",
        "credential",
        "usesSecret",
        "convertible",
        "note",
    ] {
        assert!(has(&first, key), "{key}");
    }
    let verdicts = classify_endpoints(parse(&format!("[{}]", secret_json())), None).unwrap();
    for format in ["json", "csv", "markdown", "sarif"] {
        let out = render_report(verdicts.clone(), format).unwrap();
        assert!(out.contains("prod"), "{format}");
    }
    let sarif = parse(&render_report(verdicts.clone(), "sarif").unwrap());
    assert_eq!(get(&sarif, "version").as_string().as_deref(), Some("2.1.0"));
    assert!(render_report(verdicts, "xml").is_err());
    assert!(render_report(parse("[{\"id\":1}]"), "csv").is_err());
    assert!(!engine_version().is_empty());
}

/// Input crosses as JSON text (`JSON.stringify`, then the one JSON parser): what is not JSON
/// data (a cycle, a `BigInt`, a function) gets a real `Error` that says so, never a panic.
#[wasm_bindgen_test]
fn inputs_that_are_not_json_data_get_a_clear_error() {
    let cyclic = js_sys::Object::new();
    Reflect::set(&cyclic, &JsValue::from_str("self"), &cyclic).unwrap();
    let big = js_sys::Array::of1(&js_sys::BigInt::from(1u64).into());
    let function: JsValue = js_sys::Function::new_no_args("return 1").into();
    for (input, what) in [
        (JsValue::from(cyclic), "a cycle"),
        (JsValue::from(big), "a BigInt"),
        (function, "a function"),
    ] {
        let err = classify_endpoints(input, None).expect_err(what);
        let err: js_sys::Error = JsValue::from(err).dyn_into().expect("a real Error");
        let message = String::from(err.message());
        assert!(message.contains("JSON"), "{what}: {message}");
    }
}
