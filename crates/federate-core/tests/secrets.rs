//! Defence in depth: should the service ever return a secret parameter's value, it appears
//! nowhere the engine writes: endpoints it returns (stored job state), verdicts, every report
//! format, journal entries, the conversion request it sends; and the drop is counted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // common::sim has a long driver

use std::cell::RefCell;

use federate_core::api::{Api, OrgLocation, Request, Response};
use federate_core::jobs::{
    self, Client, ClientOptions, ConversionOutcome, JournalEntry, PlanContext, Transport,
    TransportError,
};
use federate_core::model::Endpoint;
use federate_core::report::render_report;
use federate_core::verdict::{self, Context as VerdictContext};
use serde_json::{Value, json};

mod common;

use common::fake::block_on;

const SECRETS: [&str; 5] = [
    "S3cr3t-Key-Value",
    "Pa55word-Value",
    "kube-config-Value",
    "Api-Token-Value",
    "userPWD=Publish-Profile-Value",
];

/// An automatic ARM service principal whose secret parameters carry values, plus a generic
/// connection with a password and a Kubernetes one with a kubeconfig and a token.
fn list_with_secrets() -> Value {
    let refs = json!([{"projectReference": {"id": "c7e5f0b3-0000-4000-8000-000000000002", "name": "Web"}, "name": "prod", "description": ""}]);
    json!({"count": 4, "value": [
        {"id": "5e47a0d8-0000-4000-8000-000000000001", "name": "prod", "type": "azurerm", "url": "https://management.azure.com/",
         "authorization": {"scheme": "ServicePrincipal", "parameters": {"tenantid": "t", "serviceprincipalid": "a", "authenticationType": "spnKey", "serviceprincipalkey": SECRETS[0]}},
         "data": {"creationMode": "Automatic", "subscriptionId": "s"}, "isReady": true, "serviceEndpointProjectReferences": refs},
        {"id": "5e47a0d8-0000-4000-8000-000000000003", "name": "basic", "type": "generic", "url": "https://x.example/",
         "authorization": {"scheme": "UsernamePassword", "parameters": {"username": "u", "Password": SECRETS[1]}}, "isReady": true},
        {"id": "5e47a0d8-0000-4000-8000-000000000004", "name": "k8s", "type": "kubernetes", "url": "https://k.example/",
         "authorization": {"scheme": "Kubernetes", "parameters": {"kubeConfig": SECRETS[2], "apitoken": SECRETS[3]}}, "isReady": true},
        {"id": "5e47a0d8-0000-4000-8000-000000000005", "name": "site", "type": "azurerm", "url": "https://management.azure.com/",
         "authorization": {"scheme": "PublishProfile", "parameters": {"tenantid": "t", "publishProfile": SECRETS[4]}}, "isReady": true}
    ]})
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(
            !text.contains(s),
            "{what} holds the secret value {s}: {text}"
        );
    }
}

/// A service that answers every list and every PUT with the secrets filled in.
struct LeakyService {
    sent: RefCell<Vec<Request>>,
}

impl Transport for LeakyService {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        let list = list_with_secrets();
        let body = if request.method == "PUT" {
            let mut ep = list["value"][0].clone();
            ep["authorization"]["scheme"] = json!("WorkloadIdentityFederation");
            ep["data"]["revertSchemeDeadline"] = json!("2099-01-01T00:00:00Z");
            ep["operationStatus"] = json!({"state": "Ready", "statusMessage": ""});
            ep
        } else {
            list
        };
        Ok(Response::new(200, body.to_string())
            .with_header("Content-Type", "application/json; charset=utf-8"))
    }
    async fn sleep(&self, _ms: u64) {}
    fn now_ms(&self) -> f64 {
        1_000_000.0
    }
    fn cancelled(&self) -> bool {
        false
    }
}

#[test]
fn secret_values_reach_no_output() {
    let service = LeakyService {
        sent: RefCell::default(),
    };
    let journal = RefCell::new(Vec::<JournalEntry>::new());
    let record = |e: &JournalEntry| journal.borrow_mut().push(e.clone());
    let api = Api::new(&OrgLocation::parse("https://dev.azure.com/fabrikam").unwrap());
    let client = Client::new(&service, api, ClientOptions::default()).with_journal(&record);

    // Read: the endpoints as the engine returns them (what the extension stores).
    let endpoints: Vec<Endpoint> = block_on(jobs::scan_project(&client, "Web")).unwrap();
    assert_clean(
        "the scanned endpoints",
        &serde_json::to_string(&endpoints).unwrap(),
    );
    let dropped: Vec<usize> = endpoints.iter().map(Endpoint::dropped_secrets).collect();
    assert_eq!(dropped, [1, 1, 2, 1]);

    // Verdicts, and every report format; the count is reported.
    let ctx = VerdictContext::default();
    let verdicts = verdict::classify_all(&endpoints, &ctx);
    let as_json = serde_json::to_value(&verdicts).unwrap();
    assert_clean("the verdicts", &as_json.to_string());
    assert_eq!(as_json[2]["secretValuesDropped"], 2);
    for format in ["json", "csv", "markdown", "sarif"] {
        assert_clean(format, &render_report(&verdicts, format).unwrap());
    }
    let report: Value = serde_json::from_str(&render_report(&verdicts, "json").unwrap()).unwrap();
    assert_eq!(report["totals"]["secretValuesDropped"], 5);

    // Plan, plan journal, the PUT it sends, the outcome (stored as job state), the journal.
    let plan = jobs::plan_conversions(
        &endpoints,
        &PlanContext {
            project: Some("Web".into()),
            ..PlanContext::default()
        },
    );
    assert_eq!(plan.send.len(), 1, "{plan:?}");
    assert_clean("the plan", &serde_json::to_string(&plan).unwrap());
    assert_clean(
        "the plan's journal",
        &serde_json::to_string(&jobs::plan_journal(&plan, 1.0)).unwrap(),
    );
    let outcome = block_on(jobs::convert(&client, &endpoints[0], Some("Web")));
    assert!(
        matches!(outcome, ConversionOutcome::Converted { .. }),
        "{outcome:?}"
    );
    assert_clean("the outcome", &serde_json::to_string(&outcome).unwrap());
    let put = service
        .sent
        .borrow()
        .iter()
        .find(|r| r.method == "PUT")
        .cloned()
        .unwrap();
    let body = put.body.unwrap_or_default();
    assert_clean("the conversion body", &body);
    // The body is the endpoint as read, with the secret as the service normally sends it: null.
    let sent: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        sent["authorization"]["parameters"]["serviceprincipalkey"],
        Value::Null
    );
    assert_eq!(
        sent["authorization"]["scheme"],
        "WorkloadIdentityFederation"
    );
    assert_clean(
        "the journal",
        &serde_json::to_string(&*journal.borrow()).unwrap(),
    );
    assert!(!journal.borrow().is_empty());

    // Stored job state read back (the extension hands it to the engine again).
    let stored = serde_json::to_string(&list_with_secrets()["value"][1]).unwrap();
    let back: Endpoint = serde_json::from_str(&stored).unwrap();
    assert_clean(
        "an endpoint read back",
        &serde_json::to_string(&back).unwrap(),
    );
}

/// Live scans hand back endpoints already clean, so the count must travel with them: a
/// project listing and every organization scan event and result carry it (each merged
/// connection counted once), and nothing they serialize holds a value.
#[test]
fn live_scans_report_the_count_they_dropped() {
    let service = LeakyService {
        sent: RefCell::default(),
    };
    let api = Api::new(&OrgLocation::parse("https://dev.azure.com/fabrikam").unwrap());
    let client = Client::new(&service, api, ClientOptions::default());

    let listing = jobs::ProjectListing::from(block_on(jobs::scan_project(&client, "Web")).unwrap());
    let as_json = serde_json::to_value(&listing).unwrap();
    assert_clean("the project listing", &as_json.to_string());
    assert_eq!(as_json["secretValuesDropped"], 5);

    // The leaky service answers the projects call with its list too: four "projects", each
    // listing the same four connections.
    let events = RefCell::new(Vec::<Value>::new());
    let scan = block_on(jobs::scan_organization(&client, &|p| {
        events.borrow_mut().push(serde_json::to_value(p).unwrap());
    }))
    .unwrap();
    let scan = serde_json::to_value(&scan).unwrap();
    assert_clean("the organization scan", &scan.to_string());
    assert_eq!(scan["connections"].as_array().unwrap().len(), 4);
    assert_eq!(scan["secretValuesDropped"], 5, "each connection once");
    let per_project: Vec<Value> = events
        .borrow()
        .iter()
        .filter_map(|e| e.get("project").map(|p| p["secretValuesDropped"].clone()))
        .collect();
    assert_eq!(per_project, [json!(5), json!(5), json!(5), json!(5)]);
    assert_clean("the progress events", &json!(*events.borrow()).to_string());

    // A clean service: zero everywhere.
    let clean: Vec<Endpoint> = serde_json::from_value(
        json!([{"id": "x", "authorization": {"parameters": {"serviceprincipalkey": null}}}]),
    )
    .unwrap();
    assert_eq!(jobs::secret_values_dropped(&clean), 0);
}
