//! Every official sample (copied into tests/fixtures, see its README) through the engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::path::PathBuf;

use federate_core::model::{
    Endpoint, endpoints_from_value, is_secret_parameter, parse_endpoint_list,
};
use federate_core::verdict::{Context, Credential, Status, classify, matching_rule};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// Every JSON object in a sample that looks like a service endpoint.
fn endpoints_in(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("authorization") && m.contains_key("type") {
                out.push(v.clone());
            } else {
                m.values().for_each(|c| endpoints_in(c, out));
            }
        }
        Value::Array(a) => a.iter().for_each(|c| endpoints_in(c, out)),
        _ => {}
    }
}

#[test]
fn every_http_example_classifies_and_round_trips() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let mut seen = 0;
    for name in &files {
        let v = read(name);
        let mut eps = Vec::new();
        endpoints_in(&v, &mut eps);
        for raw in eps {
            let ep = Endpoint::from_value(raw.clone()).unwrap();
            // Lossless: written back exactly as read, but for a secret parameter's value (the
            // create-request samples carry one), which is dropped to null and counted.
            let mut expected = raw.clone();
            let mut secrets = 0;
            if let Some(Value::Object(params)) = expected.pointer_mut("/authorization/parameters") {
                for (key, value) in params.iter_mut() {
                    if is_secret_parameter(key) && !value.is_null() && value.as_str() != Some("") {
                        *value = Value::Null;
                        secrets += 1;
                    }
                }
            }
            assert_eq!(serde_json::to_value(&ep).unwrap(), expected, "{name}");
            assert_eq!(ep.dropped_secrets(), secrets, "{name}");
            let verdict = classify(&ep, &Context::default());
            // The type catalogue and the OpenAPI schemas hold endpoint-shaped objects that are not endpoints.
            if name != "ListEndpointTypes.json" && !name.starts_with("serviceEndpoint-") {
                assert_ne!(verdict.credential, Credential::Unknown, "{name}: {raw}");
            }
            seen += 1;
        }
        // Every response body with a list parses through the list reader.
        if let Some(body) = v.pointer("/responses/200/body") {
            if body.get("value").is_some_and(Value::is_array)
                && name != "ListEndpointTypes.json"
                && name != "GET__projects.json"
            {
                let list = parse_endpoint_list(&body.to_string()).unwrap();
                assert_eq!(Some(list.len() as u64), body["count"].as_u64(), "{name}");
            }
        }
    }
    assert!(seen >= 20, "{seen} endpoints seen");
}

fn response(name: &str) -> Endpoint {
    Endpoint::from_value(read(name).pointer("/responses/200/body").unwrap().clone()).unwrap()
}

#[test]
fn specific_samples() {
    let arm = classify(&response("CreateAzureRMEndpoint.json"), &Context::default());
    assert_eq!(
        (arm.credential, arm.convertible.status),
        (Credential::Secret, Status::Manual)
    );
    assert_eq!(arm.uses_secret, Some(true));
    assert_eq!(
        arm.owner.unwrap().project_name.as_deref(),
        Some("TestProject")
    );
    let generic = classify(&response("CreateGenericEndpoint.json"), &Context::default());
    assert_eq!(generic.credential, Credential::Password);
    assert_eq!(generic.label, "Password");
    let classic = classify(
        &response("POST__CreateServiceEndpoint.json"),
        &Context::default(),
    );
    assert_eq!(classic.credential, Credential::Certificate);
    assert_eq!(classic.convertible.status, Status::No);
    let list = endpoints_from_value(
        read("ListEndpoints.json")
            .pointer("/responses/200/body")
            .unwrap()
            .clone(),
    )
    .unwrap();
    assert_eq!(list.len(), 1);
    // A bare array (also the `az devops service-endpoint list -o json` shape).
    let bare = read("UpdateServiceEndpoints.json")
        .pointer("/parameters/body")
        .unwrap()
        .clone();
    assert!(bare.is_array());
    assert_eq!(endpoints_from_value(bare).unwrap().len(), 1);
}

#[test]
fn geekzter_templates() {
    for (name, automatic) in [
        ("automaticServiceEndpointRequest.json", true),
        ("manualServiceEndpointRequest.json", false),
    ] {
        let ep = Endpoint::from_value(read(name)).unwrap();
        let v = classify(&ep, &Context::default());
        assert_eq!(v.credential, Credential::Federated, "{name}");
        assert_eq!(v.convertible.reasons[0].code, "alreadyFederated");
        assert_eq!(
            federate_core::verdict::is_automatic(&ep),
            automatic,
            "{name}"
        );
        // Empty issuer and subject are reported as missing, not as errors.
        let codes: Vec<_> = v
            .federation
            .unwrap()
            .warnings
            .into_iter()
            .map(|w| w.code)
            .collect();
        assert!(codes.contains(&"missingIssuer".to_owned()), "{codes:?}");
    }
}

#[test]
fn fic_parameters_match_the_template_keys() {
    let text =
        std::fs::read_to_string(fixtures().join("federated-identity-request-template.jsonc"))
            .unwrap();
    let template: Value = serde_json::from_str(&text).unwrap();
    let mut want: Vec<_> = template.as_object().unwrap().keys().cloned().collect();
    want.sort();
    let ep = response("CreateAzureRMEndpoint.json");
    let out = federate_core::remedy::federated_credential_commands(&ep, &Context::default(), "az")
        .unwrap();
    let json_arg = out
        .lines()
        .find(|l| l.trim_start().starts_with("--parameters"))
        .unwrap();
    let json_text = json_arg
        .trim()
        .trim_start_matches("--parameters ")
        .trim_matches('\'');
    let ours: Value = serde_json::from_str(json_text).unwrap();
    let mut got: Vec<_> = ours.as_object().unwrap().keys().cloned().collect();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(ours["audiences"], template["audiences"]);
}

#[test]
fn every_listed_type_and_scheme_has_a_row() {
    let body = read("ListEndpointTypes.json")
        .pointer("/responses/200/body")
        .unwrap()
        .clone();
    let types = body.get("value").cloned().unwrap_or(body);
    let mut pairs = 0;
    for t in types.as_array().unwrap() {
        let ty = t["name"].as_str().unwrap();
        for s in t["authenticationSchemes"].as_array().unwrap() {
            let scheme = s["scheme"].as_str().unwrap();
            let ep = Endpoint::from_value(json!({"type": ty, "authorization": {"scheme": scheme}}))
                .unwrap();
            assert!(matching_rule(&ep).is_some(), "{ty}/{scheme} has no row");
            pairs += 1;
        }
    }
    assert!(pairs > 40, "{pairs}");
}

#[test]
fn spec_defines_every_field_the_engine_reads() {
    for (file, extra) in [
        ("serviceEndpoint-7.1.json", &[][..]),
        ("serviceEndpoint-7.2.json", &["isDisabled"][..]),
    ] {
        let spec = read(file);
        let props = spec
            .pointer("/definitions/ServiceEndpoint/properties")
            .unwrap();
        for field in [
            "id",
            "name",
            "type",
            "url",
            "authorization",
            "data",
            "isShared",
            "isReady",
            "operationStatus",
            "serviceEndpointProjectReferences",
        ]
        .iter()
        .chain(extra)
        {
            assert!(
                props.get(*field).is_some(),
                "{file}: ServiceEndpoint.{field}"
            );
        }
        let auth = spec
            .pointer("/definitions/EndpointAuthorization/properties")
            .unwrap();
        assert!(
            auth.get("scheme").is_some() && auth.get("parameters").is_some(),
            "{file}"
        );
    }
}

#[test]
fn projects_sample_gives_a_context() {
    let body = read("GET__projects.json");
    let first = body.pointer("/responses/200/body/value/0").unwrap();
    let ctx = Context::from_value(json!({"projectId": first["id"], "projectName": first["name"], "organizationName": "fabrikam"})).unwrap();
    assert_eq!(ctx.project_name.as_deref(), Some("Fabrikam-Fiber-TFVC"));
}
