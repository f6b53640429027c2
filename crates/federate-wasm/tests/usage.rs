//! The usage exports driven through the relay transport: a JS function answering canned
//! responses stands in for the extension's content script.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_wasm::usage::*;
use js_sys::{Array, Function, JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

/// A relay answering by the connection id in the URL: `e1` has two jobs, `e2` is forbidden.
fn relay() -> JsValue {
    Function::new_no_args(
        r"globalThis.__usageLog = [];
        return (req) => {
          globalThis.__usageLog.push(req.url);
          if (req.url.includes('/e2/')) return Promise.resolve({status: 403, headers: {'content-type': 'application/json'},
            body: JSON.stringify({message: 'Access denied.', typeKey: 'ServiceEndpointException'})});
          return Promise.resolve({status: 200, headers: {'content-type': 'application/json'}, body: JSON.stringify({count: 2, value: [
            {endpointId: 'e1', data: {planType: 'Build', definition: {id: 4, name: 'ci'}, owner: {id: 9, name: '9'},
              startTime: '2026-11-28T10:00:00Z', finishTime: '2026-11-28T10:01:00Z', result: 'succeeded'}},
            {endpointId: 'e1', data: {planType: 'Release', definition: {id: 2, name: 'deploy'}, owner: {id: 3, name: '3'},
              finishTime: '2026-11-01T10:00:00Z', result: 'failed'}}]})});
        };",
    )
    .call0(&JsValue::UNDEFINED)
    .unwrap()
}

#[wasm_bindgen_test]
async fn load_usage_through_the_relay_keeps_going_past_a_forbidden_one() {
    let options = parse(r#"{"orgUrl":"https://dev.azure.com/fabrikam","concurrency":2}"#);
    let targets = parse(r#"[{"id":"e1","project":"Web"},{"id":"e2","project":"Web"}]"#);
    let load = load_usage(options, targets, relay(), None, None)
        .await
        .unwrap();
    assert_eq!(get(&load, "complete"), JsValue::TRUE);
    let list: Array = get(&load, "connections").unchecked_into();
    assert_eq!(list.length(), 2);
    let first = get(&list.get(0), "usage");
    assert_eq!(
        get(&first, "lastUsed").as_string().as_deref(),
        Some("2026-11-28T10:01:00Z")
    );
    let used_by: Array = get(&first, "usedBy").unchecked_into();
    assert_eq!(used_by.length(), 2);
    assert_eq!(
        get(&used_by.get(1), "planType").as_string().as_deref(),
        Some("release")
    );
    assert!(
        get(&list.get(0), "unknown").is_null(),
        "null, not undefined"
    );
    let unknown = get(&list.get(1), "unknown");
    assert_eq!(
        get(&unknown, "reason").as_string().as_deref(),
        Some("forbidden")
    );
    let log: Array = Reflect::get(&js_sys::global(), &"__usageLog".into())
        .unwrap()
        .unchecked_into();
    assert_eq!(
        log.get(0).as_string().as_deref(),
        Some(
            "https://dev.azure.com/fabrikam/Web/_apis/serviceendpoint/e1/executionhistory?top=50&api-version=7.1-preview.1"
        )
    );
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_with_a_kind() {
    let err = usage_verdicts_of(parse(r#"[{"id":1}]"#), None, "2026-11-30T00:00:00Z").unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("argument"));
    let verdict = parse(
        r#"{"id":"x","known":true,"lastUsed":null,"daysUnused":null,"disableOn":null,"tags":["neverUsed"],"action":"none","reasons":[],"label":"never used"}"#,
    );
    assert!(unused_at_least(verdict.clone(), 90.0).unwrap());
    assert!(unused_at_least(verdict, -1.0).is_err());
    let targets = usage_targets_of(
        parse(r#"[{"id":"a","serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"Web"}}]},{"name":"no id"}]"#),
        Some("Other".into()),
    )
    .unwrap();
    let targets: Array = targets.unchecked_into();
    assert_eq!(targets.length(), 1);
    assert_eq!(
        get(&targets.get(0), "project").as_string().as_deref(),
        Some("p1")
    );
}

#[wasm_bindgen_test]
async fn cancel_ends_a_rate_limit_wait_at_once() {
    // Every answer is a 429 asking to wait 60 s; the signal aborts 200 ms in.
    let relay = Function::new_no_args(
        r"return () => Promise.resolve({status: 429, headers: {'retry-after': '60', 'content-type': 'application/json'},
          body: JSON.stringify({message: 'TF400733: The request has been canceled: Request was blocked'})});",
    )
    .call0(&JsValue::UNDEFINED)
    .unwrap();
    let controller = Function::new_no_args(
        "const c = new AbortController(); setTimeout(() => c.abort(), 200); return c.signal;",
    )
    .call0(&JsValue::UNDEFINED)
    .unwrap();
    let options = parse(r#"{"orgUrl":"https://dev.azure.com/fabrikam","concurrency":1}"#);
    let targets = parse(r#"[{"id":"e1","project":"Web"},{"id":"e2","project":"Web"}]"#);
    let t0 = js_sys::Date::now();
    let load = load_usage(
        options,
        targets,
        relay,
        None,
        Some(controller.unchecked_into()),
    )
    .await
    .unwrap();
    let elapsed = js_sys::Date::now() - t0;
    assert!(
        elapsed < 10_000.0,
        "the wait ended with the cancel, not after 60 s ({elapsed} ms)"
    );
    assert_eq!(
        get(&get(&load, "stopped"), "kind").as_string().as_deref(),
        Some("cancelled")
    );
    assert_eq!(get(&load, "complete"), JsValue::FALSE);
}
