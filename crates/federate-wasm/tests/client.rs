//! The client exports driven through the relay transport: a JS function answering canned
//! responses stands in for the extension's content script.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_wasm::client::*;
use js_sys::{Array, Function, JSON, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

/// A relay that answers from `answers` (a JS array of responses, used in order, the last
/// one repeated) and records each request in `globalThis.__relayLog`.
fn relay(answers: &str) -> JsValue {
    let body = format!(
        "globalThis.__relayLog = []; const answers = {answers}; let i = 0;
         return (req) => {{ globalThis.__relayLog.push(req); const a = answers[Math.min(i++, answers.length - 1)];
           return a === 'throw' ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve(a); }};"
    );
    Function::new_no_args(&body)
        .call0(&JsValue::UNDEFINED)
        .unwrap()
}

fn relay_log() -> Array {
    Reflect::get(&js_sys::global(), &"__relayLog".into())
        .unwrap()
        .unchecked_into()
}

/// `value` as a JSON string literal, to put a body into a relay's answers.
fn json_string(value: &str) -> String {
    JSON::stringify(&value.into()).unwrap().as_string().unwrap()
}

/// A callback that keeps every value it is called with, and the array it keeps them in.
fn collector() -> (Array, Closure<dyn Fn(JsValue)>) {
    let seen = Array::new();
    let keep = seen.clone();
    let callback = Closure::<dyn Fn(JsValue)>::new(move |value: JsValue| {
        keep.push(&value);
    });
    (seen, callback)
}

fn options() -> JsValue {
    parse(
        r#"{"orgUrl":"https://dev.azure.com/fabrikam/Web%20Site/_settings/adminservices","concurrency":2}"#,
    )
}

const ENDPOINT: &str = r#"{"id":"e1","name":"prod arm","type":"azurerm","isShared":false,"isReady":true,"operationStatus":null,
  "data":{"creationMode":"Automatic","revertSchemeDeadline":"2024-01-01T00:00:00Z"},
  "authorization":{"scheme":"ServicePrincipal","parameters":{"tenantid":"t","serviceprincipalid":"c","serviceprincipalkey":null}},
  "serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"Web Site"},"name":"prod arm","description":""}]}"#;

#[wasm_bindgen_test]
fn parse_ado_url_gives_the_api_base() {
    let loc = parse_ado_url(
        "https://fabrikam.visualstudio.com/Web%20Site/_settings/adminservices?resourceId=e1",
    )
    .unwrap();
    assert_eq!(text(&loc, "apiBase"), "https://fabrikam.visualstudio.com");
    assert_eq!(text(&loc, "project"), "Web Site");
    assert_eq!(text(&loc, "resourceId"), "e1");
    assert_eq!(text(&loc, "hostForm"), "subdomain");
    let err = parse_ado_url("ftp://nope").unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(text(&err, "kind"), "argument");
}

#[wasm_bindgen_test]
async fn scan_project_through_the_relay() {
    let relay = relay(&format!(
        r#"[{{"status":200,"headers":{{"content-type":"application/json"}},"body":{}}}]"#,
        json_string(&format!(r#"{{"count":1,"value":[{ENDPOINT}]}}"#))
    ));
    let list = scan_project(options(), relay, None).await.unwrap();
    let list: Array = list.unchecked_into();
    assert_eq!(list.length(), 1);
    assert_eq!(text(&list.get(0), "name"), "prod arm");
    // Secrets stay null, not undefined or missing.
    let params = get(&get(&list.get(0), "authorization"), "parameters");
    assert!(get(&params, "serviceprincipalkey").is_null());

    let log = relay_log();
    assert_eq!(log.length(), 1);
    let req = log.get(0);
    assert_eq!(text(&req, "method"), "GET");
    assert_eq!(
        text(&req, "url"),
        "https://dev.azure.com/fabrikam/Web%20Site/_apis/serviceendpoint/endpoints?includeFailed=true&api-version=7.1"
    );
    assert!(get(&req, "body").is_null());
    let headers: Array = get(&req, "headers").unchecked_into();
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|p| {
            let p: Array = p.unchecked_into();
            (p.get(0).as_string().unwrap(), p.get(1).as_string().unwrap())
        })
        .collect();
    assert!(pairs.contains(&("X-TFS-FedAuthRedirect".into(), "Suppress".into())));
    assert!(pairs.contains(&("Accept".into(), "application/json;api-version=7.1".into())));
    assert!(
        !pairs
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    );
}

#[wasm_bindgen_test]
async fn errors_are_js_errors_with_a_kind() {
    let cases = [
        (r#"[{"status":401,"headers":{},"body":""}]"#, "signedOut"),
        (
            r#"[{"status":200,"headers":{"content-type":"text/html"},"body":"<html>sign in</html>"}]"#,
            "signedOut",
        ),
        (
            r#"[{"status":403,"headers":[["Content-Type","application/json"]],"body":"{\"message\":\"VS403: no\"}"}]"#,
            "forbidden",
        ),
    ];
    for (answers, kind) in cases {
        let err = scan_project(options(), relay(answers), None)
            .await
            .unwrap_err();
        assert!(err.is_instance_of::<js_sys::Error>(), "{answers}");
        assert_eq!(
            text(&err, "kind"),
            kind,
            "{answers}: {}",
            text(&err, "message")
        );
    }
    let err = scan_project(
        options(),
        relay(r#"[{"status":403,"headers":{},"body":"{\"message\":\"VS403: no\"}"}]"#),
        None,
    )
    .await
    .unwrap_err();
    assert!(text(&err, "message").contains("VS403: no"));
    // No HTTP answer at all: a network error (a write is not retried, so this is quick).
    for answers in [r#"["throw"]"#, r#"[{"no":"status"}]"#] {
        let outcome = convert_endpoint(options(), parse(ENDPOINT), relay(answers), None)
            .await
            .unwrap();
        assert_eq!(text(&outcome, "outcome"), "paused", "{answers}");
        assert_eq!(
            text(&get(&outcome, "error"), "kind"),
            "network",
            "{answers}"
        );
    }
    // Neither relay nor token: an argument error before anything is sent.
    let err = scan_project(options(), JsValue::NULL, None)
        .await
        .unwrap_err();
    assert_eq!(text(&err, "kind"), "argument");
}

#[wasm_bindgen_test]
async fn throttling_is_retried_after_a_real_timer() {
    let relay = relay(
        r#"[{"status":429,"headers":{"retry-after":"0.05"},"body":"{\"message\":\"TF400733: blocked\"}"},
            {"status":200,"headers":{"x-ms-continuationtoken":""},"body":"{\"count\":1,\"value\":[{\"id\":\"p\",\"name\":\"P\"}]}"}]"#,
    );
    let started = js_sys::Date::now();
    let projects: Array = list_projects(options(), relay, None)
        .await
        .unwrap()
        .unchecked_into();
    assert_eq!(projects.length(), 1);
    assert_eq!(relay_log().length(), 2);
    assert!(
        js_sys::Date::now() - started >= 45.0,
        "did not wait for Retry-After"
    );
}

#[wasm_bindgen_test]
async fn organization_scan_reports_progress_and_merges() {
    let projects =
        r#"{"count":2,"value":[{"id":"p1","name":"Web Site"},{"id":"p2","name":"Api"}]}"#;
    let list = format!(r#"{{"count":1,"value":[{ENDPOINT}]}}"#);
    let relay_fn = Function::new_with_args(
        "projects, list",
        "globalThis.__relayLog = []; return (req) => { globalThis.__relayLog.push(req);
           return { status: 200, headers: {}, body: req.url.includes('/_apis/projects') ? projects : list }; };",
    )
    .call2(&JsValue::UNDEFINED, &projects.into(), &list.into())
    .unwrap();
    let (events, on_progress) = collector();
    let signal = parse(r#"{"aborted":false}"#);
    let scan = scan_organization(
        options(),
        relay_fn,
        Some(on_progress.as_ref().clone().unchecked_into()),
        Some(signal.unchecked_into()),
    )
    .await
    .unwrap();
    assert_eq!(get(&scan, "complete").as_bool(), Some(true));
    let connections: Array = get(&scan, "connections").unchecked_into();
    assert_eq!(
        connections.length(),
        1,
        "the shared connection is one entry"
    );
    let names: Vec<String> = Array::from(&get(&connections.get(0), "projects"))
        .iter()
        .map(|p| text(&p, "projectName"))
        .collect();
    assert_eq!(names, ["Web Site", "Api"]);
    assert_eq!(
        text(&get(&connections.get(0), "owner"), "projectName"),
        "Web Site"
    );
    let final_event = events.get(events.length() - 1);
    assert_eq!(get(&final_event, "projectsDone").as_f64(), Some(2.0));
    assert_eq!(get(&final_event, "projectsTotal").as_f64(), Some(2.0));
    assert_eq!(get(&final_event, "connectionsFound").as_f64(), Some(1.0));
    // Each project comes with its own list as it finishes.
    let finished: Vec<JsValue> = events
        .iter()
        .map(|e| get(&e, "project"))
        .filter(JsValue::is_object)
        .collect();
    assert_eq!(finished.len(), 2);
    for p in &finished {
        let listed: Array = get(p, "connections").unchecked_into();
        assert_eq!(listed.length(), 1, "{}", text(p, "name"));
        assert!(get(p, "error").is_null());
    }
    assert!(events.iter().all(|e| get(&e, "waiting").is_undefined()));

    // Aborted before it starts: stopped, nothing listed beyond the projects page.
    let signal = parse(r#"{"aborted":true}"#);
    let relay_fn = relay(&format!(
        r#"[{{"status":200,"headers":{{}},"body":{}}}]"#,
        json_string(projects)
    ));
    let scan = scan_organization(options(), relay_fn, None, Some(signal.unchecked_into())).await;
    // Cancelled before the projects page: the whole call rejects with kind "cancelled".
    assert_eq!(text(&scan.unwrap_err(), "kind"), "cancelled");
}

#[wasm_bindgen_test]
fn plans_and_dry_runs_send_nothing() {
    let plan = plan_conversions(
        parse(&format!("[{ENDPOINT}]")),
        Some(parse(r#"{"project":"Web Site"}"#).unchecked_into()),
    )
    .unwrap();
    let send: Array = get(&plan, "send").unchecked_into();
    assert_eq!(send.length(), 1);
    assert_eq!(text(&send.get(0), "project"), "p1");

    let req = conversion_request(parse(ENDPOINT), options(), None).unwrap();
    assert_eq!(text(&req, "method"), "PUT");
    assert_eq!(
        text(&req, "url"),
        "https://dev.azure.com/fabrikam/p1/_apis/serviceendpoint/endpoints/e1?operation=ConvertAuthenticationScheme&api-version=7.1"
    );
    let body = parse(&text(&req, "body"));
    assert_eq!(
        text(&get(&body, "authorization"), "scheme"),
        "WorkloadIdentityFederation"
    );
    assert!(get(&get(&body, "data"), "revertSchemeDeadline").is_undefined());
    let revert = conversion_request(
        parse(ENDPOINT),
        options(),
        Some(JsValue::from("revert").unchecked_into()),
    )
    .unwrap();
    assert!(text(&revert, "body").contains("\"scheme\":\"ServicePrincipal\""));
}

#[wasm_bindgen_test]
async fn convert_reports_outcomes_and_journals_each_step() {
    let converting = ENDPOINT.replace(
        r#""operationStatus":null"#,
        r#""operationStatus":{"state":"InProgress","statusMessage":"converting_scheme"}"#,
    );
    let answers = format!(
        r#"[{{"status":202,"headers":{{}},"body":{}}}]"#,
        json_string(&converting)
    );
    let (journal, on_journal) = collector();
    let outcome = convert_endpoint(
        options(),
        parse(ENDPOINT),
        relay(&answers),
        Some(on_journal.as_ref().clone().unchecked_into()),
    )
    .await
    .unwrap();
    assert_eq!(text(&outcome, "outcome"), "converting");
    let kinds: Vec<String> = journal.iter().map(|e| text(&e, "kind")).collect();
    assert_eq!(kinds, ["sent", "answered"]);
    assert_eq!(get(&journal.get(1), "status").as_f64(), Some(202.0));
    assert_eq!(text(&journal.get(1), "endpointId"), "e1");

    let manual = r#"[{"status":400,"headers":{},"body":"{\"message\":\"The authorization scheme could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists.\"}"}]"#;
    let outcome = convert_endpoint(options(), parse(ENDPOINT), relay(manual), None)
        .await
        .unwrap();
    assert_eq!(text(&outcome, "outcome"), "needsManual");

    let forbidden = r#"[{"status":403,"headers":{},"body":"{\"message\":\"You need to be an Administrator on this service connection.\"}"}]"#;
    let outcome = convert_endpoint(options(), parse(ENDPOINT), relay(forbidden), None)
        .await
        .unwrap();
    assert_eq!(text(&outcome, "outcome"), "forbidden");
    assert_eq!(
        text(&outcome, "role"),
        "Administrator on this service connection"
    );

    let signed_out = r#"[{"status":401,"headers":{},"body":""}]"#;
    let outcome = convert_endpoint(options(), parse(ENDPOINT), relay(signed_out), None)
        .await
        .unwrap();
    assert_eq!(text(&outcome, "outcome"), "paused");
    assert_eq!(text(&get(&outcome, "error"), "kind"), "signedOut");

    // Poll until ready: converting once, then converted.
    let ready = ENDPOINT
        .replace(
            r#""scheme":"ServicePrincipal""#,
            r#""scheme":"WorkloadIdentityFederation""#,
        )
        .replace(
            r#""operationStatus":null"#,
            r#""operationStatus":{"state":"Ready","statusMessage":""}"#,
        );
    let answers = format!(
        r#"[{{"status":200,"headers":{{}},"body":{}}},{{"status":200,"headers":{{}},"body":{}}}]"#,
        json_string(&converting),
        json_string(&ready)
    );
    let opts = options();
    // The first poll waits the policy's first delay (2 s) of real time.
    Reflect::set(&opts, &"project".into(), &"Web Site".into()).unwrap();
    let outcome = poll_endpoint(opts, parse(ENDPOINT), relay(&answers), None, None, None)
        .await
        .unwrap();
    assert_eq!(text(&outcome, "outcome"), "converted");
    assert_eq!(relay_log().length(), 2);
}

#[wasm_bindgen_test]
async fn organization_scan_reports_a_rate_limit_wait_as_it_starts() {
    let projects = r#"{"count":1,"value":[{"id":"p1","name":"Web Site"}]}"#;
    let list = format!(r#"{{"count":1,"value":[{ENDPOINT}]}}"#);
    // The first list is blocked with Retry-After 0.05 s; the retry gets the list.
    let relay_fn = Function::new_with_args(
        "projects, list",
        "let lists = 0; return (req) => {
           if (req.url.includes('/_apis/projects')) return { status: 200, headers: {}, body: projects };
           lists += 1;
           if (lists === 1) return { status: 429, headers: { 'retry-after': '0.05' }, body: '{\"message\":\"TF400733: blocked\"}' };
           return { status: 200, headers: {}, body: list }; };",
    )
    .call2(&JsValue::UNDEFINED, &projects.into(), &list.into())
    .unwrap();
    let (events, on_progress) = collector();
    let scan = scan_organization(
        options(),
        relay_fn,
        Some(on_progress.as_ref().clone().unchecked_into()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(get(&scan, "complete").as_bool(), Some(true));
    let kinds: Vec<String> = events
        .iter()
        .map(|e| {
            if get(&e, "waiting").is_object() {
                "waiting".to_owned()
            } else if get(&e, "project").is_object() {
                "project".to_owned()
            } else {
                "count".to_owned()
            }
        })
        .collect();
    assert_eq!(kinds, ["count", "waiting", "project"]);
    let waiting = get(&events.get(1), "waiting");
    assert_eq!(get(&waiting, "ms").as_f64(), Some(50.0));
    assert_eq!(text(&waiting, "reason"), "retryAfter");
    assert_eq!(get(&waiting, "status").as_f64(), Some(429.0));
    assert_eq!(get(&events.get(1), "projectsTotal").as_f64(), Some(1.0));
}
