//! The jobs against a scripted in-memory transport with a fake clock: paging, auth states,
//! throttling, retries, bounded concurrency, merging, cancellation and every conversion
//! outcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::cell::RefCell;

use federate_core::api::WaitReason;
use federate_core::api::{ApiError, Request, Response};
use federate_core::jobs::{
    self, Client, ClientOptions, ConversionOutcome, Direction, JournalEntry, JournalKind,
    PlanContext, RateLimitWait, RetryPolicy, ScanProgress, SkipReason, TransportError,
};
use federate_core::model::Endpoint;
use serde_json::{Value, json};

mod common;

use common::fake::{Fake, api, block_on, ok_json};

fn error_body(status: u16, message: &str) -> Response {
    Response::new(
        status,
        json!({"$id":"1","innerException":null,"message":message,"typeName":"System.ArgumentException, mscorlib","typeKey":"ArgumentException","errorCode":0,"eventId":0}).to_string(),
    )
    .with_header("Content-Type", "application/json; charset=utf-8")
}

fn fast_retry() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_attempts: 4,
            max_total_wait_ms: 60_000,
            base_backoff_ms: 100,
            max_backoff_ms: 1_000,
        },
        ..ClientOptions::default()
    }
}

fn project(i: usize) -> Value {
    json!({"id": format!("00000000-0000-0000-0000-{i:012}"), "name": format!("Project {i}"), "state":"wellFormed"})
}

fn endpoint(id: &str, name: &str, refs: &[(&str, &str)]) -> Value {
    json!({
        "id": id, "name": name, "type": "azurerm", "url": "https://management.azure.com/",
        "isShared": refs.len() > 1, "isReady": true, "operationStatus": null, "owner": "library",
        "data": {"environment":"AzureCloud","scopeLevel":"Subscription","subscriptionId":"s","creationMode":"Automatic","appObjectId":"a","spnObjectId":"o"},
        "authorization": {"scheme":"ServicePrincipal","parameters":{"tenantid":"t","serviceprincipalid":"c","authenticationType":"spnKey","serviceprincipalkey":null}},
        "serviceEndpointProjectReferences": refs.iter().map(|(pid, pname)| json!({"projectReference":{"id":pid,"name":pname},"name":name,"description":""})).collect::<Vec<_>>()
    })
}

fn project_id_in(url: &str) -> String {
    // https://dev.azure.com/fabrikam/{project}/_apis/...
    url.split('/').nth(4).unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------
// Reads

#[test]
fn projects_are_read_across_pages() {
    let fake = Fake::new(|req, _| {
        assert!(req.url.contains("/_apis/projects?$top=100"), "{}", req.url);
        let skip: usize = req
            .url
            .split("continuationToken=")
            .nth(1)
            .map_or(0, |t| t.split('&').next().unwrap().parse().unwrap());
        let page: Vec<Value> = (skip..(skip + 100).min(250)).map(project).collect();
        let mut resp = ok_json(&json!({"count": page.len(), "value": page}));
        if skip + 100 < 250 {
            resp = resp.with_header("x-ms-continuationtoken", &(skip + 100).to_string());
        }
        Ok(resp)
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    let projects = block_on(jobs::list_projects(&client)).unwrap();
    assert_eq!(projects.len(), 250);
    assert_eq!(projects[249].name, "Project 249");
    let urls = fake.urls();
    assert_eq!(urls.len(), 3);
    assert!(!urls[0].contains("continuationToken"));
    assert!(urls[1].contains("continuationToken=100&"));
    assert!(urls[2].contains("continuationToken=200&"));
}

#[test]
fn project_paging_stops_on_any_token_seen_before() {
    // A misbehaving server that cycles A, B, A, B…: each page has projects, so only the
    // tokens tell the loop to stop (it used to catch only a token equal to the last one).
    let fake = Fake::new(|req, _| {
        let token = req
            .url
            .split("continuationToken=")
            .nth(1)
            .map(|t| t.split('&').next().unwrap().to_owned());
        let next = if token.as_deref() == Some("A") {
            "B"
        } else {
            "A"
        };
        Ok(ok_json(&json!({"count": 1, "value": [project(0)]}))
            .with_header("x-ms-continuationtoken", next))
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    let projects = block_on(jobs::list_projects(&client)).unwrap();
    // First page (no token), then A, then B; B's answer names A again: stop.
    assert_eq!(fake.urls().len(), 3, "{:?}", fake.urls());
    assert_eq!(projects.len(), 3);
}

#[test]
fn organization_id_comes_from_connection_data() {
    let fake = Fake::new(|req, _| {
        assert_eq!(
            req.url,
            "https://dev.azure.com/fabrikam/_apis/connectionData?api-version=7.1-preview.1"
        );
        Ok(ok_json(
            &json!({"instanceId":"0CA3DDD9-F0B0-4635-A98C-5866526961B6","deploymentType":"hosted"}),
        ))
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    assert_eq!(
        block_on(jobs::organization_id(&client)).unwrap(),
        "0ca3ddd9-f0b0-4635-a98c-5866526961b6"
    );
}

#[test]
fn every_signed_out_answer_is_signed_out_and_not_retried() {
    let answers: Vec<(&str, Response)> = vec![
        (
            "401",
            Response::new(401, "").with_header(
                "WWW-Authenticate",
                "Bearer authorization_uri=https://login.microsoftonline.com/t",
            ),
        ),
        (
            "203 html",
            Response::new(203, "<html><body>Sign in</body></html>")
                .with_header("Content-Type", "text/html; charset=utf-8"),
        ),
        (
            "200 html",
            Response::new(200, "<!DOCTYPE html><html>sign in</html>")
                .with_header("Content-Type", "text/html"),
        ),
        (
            "200 html without content type",
            Response::new(200, "\n  <html>sign in</html>"),
        ),
        (
            "302 to _signin",
            Response::new(302, "Object moved").with_header(
                "Location",
                "https://spsprod.vssps.visualstudio.com/_signin?realm=dev.azure.com&reply_to=x",
            ),
        ),
        ("followed redirect", {
            let mut r = Response::new(200, "<html></html>");
            r.url =
                Some("https://spsprod.vssps.visualstudio.com/_signin?realm=dev.azure.com".into());
            r
        }),
    ];
    for (label, answer) in answers {
        let fake = Fake::new(move |_, _| Ok(answer.clone()));
        let client = Client::new(&fake, api(), fast_retry());
        let err = block_on(jobs::scan_project(&client, "P")).unwrap_err();
        assert_eq!(err.kind(), "signedOut", "{label}: {err:?}");
        assert!(err.message().contains("Sign in again"), "{label}");
        assert_eq!(
            fake.log.borrow().len(),
            1,
            "{label}: retried a signed-out answer"
        );
    }
}

#[test]
fn garbage_json_is_malformed_and_service_messages_surface() {
    let fake = Fake::new(|_, _| {
        Ok(Response::new(200, "{not json").with_header("Content-Type", "application/json"))
    });
    let client = Client::new(&fake, api(), fast_retry());
    assert_eq!(
        block_on(jobs::scan_project(&client, "P"))
            .unwrap_err()
            .kind(),
        "malformed"
    );

    let fake = Fake::new(|_, _| {
        Ok(error_body(
            403,
            "VS403403: You are not allowed to see this project.",
        ))
    });
    let client = Client::new(&fake, api(), fast_retry());
    let err = block_on(jobs::scan_project(&client, "P")).unwrap_err();
    assert_eq!(
        err,
        ApiError::Forbidden {
            message: "VS403403: You are not allowed to see this project.".into()
        }
    );
}

#[test]
fn unknown_id_with_null_body_is_not_found() {
    let fake = Fake::new(|_, _| Ok(ok_json(&Value::Null)));
    let client = Client::new(&fake, api(), fast_retry());
    let err = block_on(jobs::get_endpoint(&client, "P", "nope")).unwrap_err();
    assert_eq!(err.kind(), "notFound");
}

#[test]
fn throttling_waits_retry_after_then_succeeds() {
    let fake = Fake::new(|_, i| {
        Ok(if i == 0 {
            error_body(429, "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'x' in namespace 'y'.")
                .with_header("Retry-After", "7")
                .with_header("X-RateLimit-Remaining", "0")
        } else {
            ok_json(&json!({"count":0,"value":[]}))
        })
    });
    let client = Client::new(&fake, api(), fast_retry());
    let list = block_on(jobs::scan_project(&client, "P")).unwrap();
    assert!(list.is_empty());
    let log = fake.log.borrow();
    assert_eq!(log.len(), 2);
    assert!(
        log[1].0 - log[0].0 >= 7_000.0,
        "second attempt only {} ms after the first",
        log[1].0 - log[0].0
    );
    assert_eq!(client.stats().retries, 1);
}

#[test]
fn delayed_answers_with_no_budget_left_slow_the_next_request() {
    let fake = Fake::new(|_, i| {
        let body = ok_json(&json!({"count":0,"value":[]}));
        Ok(if i == 0 {
            body.with_header("X-RateLimit-Remaining", "0")
                .with_header("X-RateLimit-Delay", "2.5")
                .with_header("X-RateLimit-Limit", "200")
        } else {
            body
        })
    });
    let client = Client::new(&fake, api(), fast_retry());
    block_on(jobs::scan_project(&client, "A")).unwrap();
    block_on(jobs::scan_project(&client, "B")).unwrap();
    let log = fake.log.borrow();
    assert!(log[1].0 - log[0].0 >= 2_500.0);
    assert_eq!(fake.sleeps.borrow().len(), 1);
}

#[test]
fn throttled_forever_gives_up_within_the_bounds() {
    let fake =
        Fake::new(|_, _| Ok(error_body(429, "TF400733: blocked").with_header("Retry-After", "5")));
    let client = Client::new(&fake, api(), fast_retry());
    let err = block_on(jobs::scan_project(&client, "P")).unwrap_err();
    assert_eq!(err.kind(), "throttled");
    assert!(
        err.message().contains("gave up after 4 attempt"),
        "{}",
        err.message()
    );
    assert_eq!(fake.log.borrow().len(), 4);
    assert!(fake.slept() <= 60_000);

    // A long Retry-After beyond the wait budget fails fast instead of sleeping.
    let fake = Fake::new(|_, _| {
        Ok(error_body(429, "TF400733: blocked").with_header("Retry-After", "3600"))
    });
    let client = Client::new(&fake, api(), fast_retry());
    let err = block_on(jobs::scan_project(&client, "P")).unwrap_err();
    assert_eq!(err.kind(), "throttled");
    assert_eq!(fake.slept(), 0);
}

#[test]
fn transient_server_errors_are_retried_then_give_up() {
    let fake = Fake::new(|_, i| {
        Ok(if i < 2 {
            error_body(503, "Service Unavailable")
        } else {
            ok_json(&json!({"count":1,"value":[endpoint("e1","one",&[("p","P")])]}))
        })
    });
    let client = Client::new(&fake, api(), fast_retry());
    assert_eq!(block_on(jobs::scan_project(&client, "P")).unwrap().len(), 1);
    assert_eq!(fake.sleeps.borrow().as_slice(), &[100, 200]);

    let fake = Fake::new(|_, _| Ok(error_body(500, "TF246017: boom")));
    let client = Client::new(&fake, api(), fast_retry());
    let err = block_on(jobs::scan_project(&client, "P")).unwrap_err();
    assert!(matches!(err, ApiError::Server { status: 500, .. }));
    assert!(err.message().contains("TF246017: boom"));
    assert!(err.message().contains("gave up"));
    assert_eq!(fake.log.borrow().len(), 4);

    let fake = Fake::new(|_, i| {
        if i == 0 {
            Err(TransportError::Network("connection reset".into()))
        } else {
            Ok(ok_json(&json!({"count":0,"value":[]})))
        }
    });
    let client = Client::new(&fake, api(), fast_retry());
    assert!(block_on(jobs::scan_project(&client, "P")).is_ok());
}

// ---------------------------------------------------------------------------------------
// Organization scans

/// An org of `n` projects; project k lists one own connection, and the connection
/// "shared" (owned by project 2) appears in projects 1, 2 and 3.
fn org_handler(n: usize) -> impl FnMut(&Request, usize) -> Result<Response, TransportError> {
    move |req, _| {
        if req.url.contains("/_apis/projects") {
            let page: Vec<Value> = (0..n).map(project).collect();
            return Ok(ok_json(&json!({"count": n, "value": page})));
        }
        let pid = project_id_in(&req.url);
        let k: usize = pid.rsplit('-').next().unwrap().parse().unwrap();
        let pname = format!("Project {k}");
        let mut list = vec![endpoint(
            &format!("own-{k}"),
            &format!("arm {k}"),
            &[(&pid, &pname)],
        )];
        if (1..=3).contains(&k) {
            let owner = project(2);
            let owner_id = owner["id"].as_str().unwrap().to_owned();
            let mut refs = vec![(owner_id.as_str(), "Project 2")];
            let p1 = project(1)["id"].as_str().unwrap().to_owned();
            let p3 = project(3)["id"].as_str().unwrap().to_owned();
            refs.push((p1.as_str(), "Project 1"));
            refs.push((p3.as_str(), "Project 3"));
            let mut shared = endpoint("SHARED-1", &format!("shared as seen in {k}"), &refs);
            shared["name"] = json!(format!("shared as seen in {k}"));
            list.push(shared);
        }
        Ok(ok_json(&json!({"count": list.len(), "value": list})))
    }
}

#[test]
fn org_scan_merges_shared_connections_and_bounds_concurrency() {
    let fake = Fake::new(org_handler(40));
    let options = ClientOptions {
        concurrency: 3,
        ..ClientOptions::default()
    };
    let client = Client::new(&fake, api(), options);
    let progress = RefCell::new(Vec::new());
    let scan = block_on(jobs::scan_organization(&client, &|p| {
        progress.borrow_mut().push(p.clone());
    }))
    .unwrap();
    assert!(scan.complete);
    assert_eq!(scan.incomplete, None);
    assert_eq!(scan.projects.len(), 40);
    assert_eq!(
        scan.connections.len(),
        41,
        "40 own connections and one shared"
    );
    assert_eq!(
        fake.log.borrow().len(),
        41,
        "one projects page and 40 lists"
    );
    assert_eq!(
        fake.peak.get(),
        3,
        "the transport saw more (or fewer) than 3 requests at once"
    );
    assert_eq!(scan.stats.peak_in_flight, 3);

    let shared: Vec<_> = scan
        .connections
        .iter()
        .filter(|c| c.id == "SHARED-1")
        .collect();
    assert_eq!(shared.len(), 1);
    let shared = shared[0];
    assert!(shared.shared);
    assert_eq!(
        shared.owner.as_ref().unwrap().project_name.as_deref(),
        Some("Project 2")
    );
    assert_eq!(shared.read_from, project(2)["id"].as_str().unwrap());
    assert_eq!(
        shared.endpoint.name(),
        Some("shared as seen in 2"),
        "the owner's copy is kept"
    );
    let names: Vec<_> = shared
        .projects
        .iter()
        .map(|r| r.project_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Project 2", "Project 1", "Project 3"]);

    let progress = progress.into_inner();
    assert_eq!(progress.first().unwrap().projects_done, 0);
    let last = progress.last().unwrap();
    assert_eq!(
        (
            last.projects_done,
            last.projects_total,
            last.connections_found
        ),
        (40, 40, 41)
    );
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].projects_done + 1 == w[1].projects_done)
    );
}

#[test]
fn one_forbidden_project_does_not_fail_the_scan() {
    let mut inner = org_handler(5);
    let fake = Fake::new(move |req, i| {
        if req
            .url
            .contains(&project(4)["id"].as_str().unwrap().to_string())
        {
            return Ok(error_body(403, "Access denied to Project 4."));
        }
        inner(req, i)
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    let scan = block_on(jobs::scan_organization(&client, &|_| {})).unwrap();
    assert!(!scan.complete);
    assert!(scan.stopped.is_none());
    let p4 = &scan.projects[4];
    assert!(!p4.scanned);
    assert_eq!(
        p4.error,
        Some(ApiError::Forbidden {
            message: "Access denied to Project 4.".into()
        })
    );
    assert!(
        scan.projects[..4]
            .iter()
            .all(|p| p.scanned && p.error.is_none())
    );
    assert_eq!(scan.connections.len(), 5);
    // The user is told what is missing, in the engine's words.
    let p4_name = p4.name.clone();
    assert_eq!(
        scan.incomplete.as_deref(),
        Some(format!("1 of 5 projects could not be read: {p4_name} (forbidden: Access denied to Project 4.).").as_str())
    );
}

#[test]
fn signed_out_mid_scan_stops_and_keeps_what_it_has() {
    let mut inner = org_handler(30);
    let fake = Fake::new(move |req, i| {
        if i >= 6 {
            return Ok(Response::new(401, ""));
        }
        inner(req, i)
    });
    let client = Client::new(
        &fake,
        api(),
        ClientOptions {
            concurrency: 2,
            ..ClientOptions::default()
        },
    );
    let scan = block_on(jobs::scan_organization(&client, &|_| {})).unwrap();
    assert_eq!(scan.stopped.as_ref().map(ApiError::kind), Some("signedOut"));
    assert!(!scan.complete);
    let line = scan.incomplete.as_deref().unwrap_or_default();
    assert!(
        line.starts_with("25 of 30 projects could not be read"),
        "{line}"
    );
    assert!(line.contains("The scan stopped: signed out"), "{line}");
    let scanned = scan.projects.iter().filter(|p| p.scanned).count();
    assert_eq!(scanned, 5);
    assert!(
        fake.log.borrow().len() < 12,
        "kept scanning after signing out: {}",
        fake.log.borrow().len()
    );
}

#[test]
fn cancellation_stops_the_scan() {
    let fake = Fake::new(org_handler(50));
    fake.cancel_after_sends.set(Some(10));
    let client = Client::new(
        &fake,
        api(),
        ClientOptions {
            concurrency: 4,
            ..ClientOptions::default()
        },
    );
    let scan = block_on(jobs::scan_organization(&client, &|_| {})).unwrap();
    assert_eq!(scan.stopped, Some(ApiError::Cancelled));
    assert!(fake.log.borrow().len() <= 10);
    assert!(scan.projects.iter().filter(|p| p.scanned).count() < 10);
}

#[test]
fn failing_to_list_projects_fails_the_scan() {
    let fake = Fake::new(|_, _| Ok(Response::new(401, "")));
    let client = Client::new(&fake, api(), ClientOptions::default());
    let err = block_on(jobs::scan_organization(&client, &|_| {})).unwrap_err();
    assert_eq!(err.kind(), "signedOut");
}

#[test]
fn throttling_during_a_scan_pauses_everyone_and_stays_in_bounds() {
    let mut inner = org_handler(20);
    let fake = Fake::new(move |req, i| {
        if i == 3 {
            return Ok(error_body(429, "TF400733: blocked").with_header("Retry-After", "10"));
        }
        inner(req, i)
    });
    let client = Client::new(
        &fake,
        api(),
        ClientOptions {
            concurrency: 4,
            ..fast_retry()
        },
    );
    let scan = block_on(jobs::scan_organization(&client, &|_| {})).unwrap();
    assert!(scan.complete, "{:?}", scan.stopped);
    assert!(fake.peak.get() <= 4);
    let log = fake.log.borrow();
    let throttled_at = log[3].0;
    // Nothing was sent in the 10 s after the 429 came back (30 ms fake latency).
    assert!(
        log[4..]
            .iter()
            .all(|(t, _)| *t >= throttled_at + 30.0 + 10_000.0 || *t <= throttled_at + 30.0),
        "a request went out during the pause"
    );
    assert!(
        log.iter()
            .filter(|(t, _)| *t > throttled_at + 10_000.0)
            .count()
            >= 16
    );
}

#[test]
fn progress_carries_each_project_as_it_finishes() {
    let mut inner = org_handler(6);
    let fake = Fake::new(move |req, i| {
        if req.url.contains(project(4)["id"].as_str().unwrap()) {
            return Ok(error_body(403, "Access denied to Project 4."));
        }
        inner(req, i)
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    let events: RefCell<Vec<ScanProgress>> = RefCell::default();
    let scan = block_on(jobs::scan_organization(&client, &|p| {
        events.borrow_mut().push(p.clone());
    }))
    .unwrap();
    let events = events.into_inner();
    assert!(events[0].project.is_none(), "the first event is the count");
    let done: Vec<_> = events.iter().filter_map(|e| e.project.as_ref()).collect();
    assert_eq!(done.len(), 6, "one event per project");
    let mut ids: Vec<_> = done.iter().map(|p| p.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "each project once");
    for p in &done {
        let listed = scan.projects.iter().find(|s| s.id == p.id).unwrap();
        assert_eq!(p.name, listed.name);
        assert_eq!(p.connections.len(), listed.connections, "{}", p.name);
        assert_eq!(p.error, listed.error, "{}", p.name);
    }
    let p2 = done.iter().find(|p| p.name == "Project 2").unwrap();
    assert!(
        p2.connections.iter().any(|e| e.id() == Some("SHARED-1")),
        "the project's own list, shared connections included"
    );
    let p4 = done.iter().find(|p| p.name == "Project 4").unwrap();
    assert_eq!(p4.error.as_ref().map(ApiError::kind), Some("forbidden"));
    assert!(p4.connections.is_empty());
    // Serialized for the UI: camelCase, the project and no waiting key on a project event.
    let value = serde_json::to_value(events.last().unwrap()).unwrap();
    assert!(value.get("projectsDone").is_some() && value.get("project").is_some());
    assert!(value.get("waiting").is_none());
}

fn waits_of(
    answers: Vec<Result<Response, TransportError>>,
    clock: f64,
) -> (Vec<RateLimitWait>, Fake) {
    let answers = RefCell::new(answers.into_iter());
    let fake = Fake::new(move |_, _| {
        answers
            .borrow_mut()
            .next()
            .unwrap_or_else(|| Ok(ok_json(&json!({"count":0,"value":[]}))))
    });
    fake.clock.set(clock);
    let waits: RefCell<Vec<RateLimitWait>> = RefCell::default();
    {
        let listener = |w: &RateLimitWait| waits.borrow_mut().push(*w);
        let client = Client::new(&fake, api(), fast_retry()).with_wait_listener(&listener);
        block_on(jobs::scan_project(&client, "P")).unwrap();
    }
    (waits.into_inner(), fake)
}

#[test]
fn waits_are_reported_as_they_start_with_their_reason() {
    let (waits, _) = waits_of(
        vec![Ok(
            error_body(429, "TF400733: blocked").with_header("Retry-After", "7")
        )],
        1_000_000.0,
    );
    assert_eq!(
        waits,
        [RateLimitWait {
            ms: 7_000,
            reason: WaitReason::RetryAfter,
            status: Some(429)
        }]
    );

    let (waits, _) = waits_of(vec![Ok(error_body(429, "TF400733: blocked"))], 1_000_000.0);
    assert_eq!(
        waits,
        [RateLimitWait {
            ms: 100,
            reason: WaitReason::Backoff,
            status: Some(429)
        }],
        "a 429 without Retry-After backs off"
    );

    let (waits, _) = waits_of(
        vec![Ok(ok_json(&json!({"count":0,"value":[]}))
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("X-RateLimit-Delay", "2.5"))],
        1_000_000.0,
    );
    assert_eq!(
        waits,
        [RateLimitWait {
            ms: 2_500,
            reason: WaitReason::RateLimitDelay,
            status: Some(200)
        }]
    );

    let (waits, _) = waits_of(
        vec![
            Ok(error_body(503, "Service Unavailable")),
            Err(TransportError::Network("reset".into())),
        ],
        1_000_000.0,
    );
    assert_eq!(
        waits,
        [
            RateLimitWait {
                ms: 100,
                reason: WaitReason::Backoff,
                status: Some(503)
            },
            RateLimitWait {
                ms: 200,
                reason: WaitReason::Backoff,
                status: None
            },
        ]
    );

    let (waits, fake) = waits_of(vec![], 1_000_000.0);
    assert!(waits.is_empty(), "no wait, no event");
    assert_eq!(fake.slept(), 0);
}

#[test]
fn retry_after_as_an_http_date_is_waited_against_the_transport_clock() {
    // 1994-11-06T08:49:30Z; the service says "retry at 08:49:37".
    let now = 784_111_770_000.0;
    let (waits, fake) = waits_of(
        vec![Ok(error_body(429, "TF400733: blocked")
            .with_header("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"))],
        now,
    );
    // The fake answers 30 ms after sending: the date is read when the answer arrives.
    assert_eq!(
        waits,
        [RateLimitWait {
            ms: 6_970,
            reason: WaitReason::RetryAfter,
            status: Some(429)
        }]
    );
    let log = fake.log.borrow();
    assert!(log[1].0 - log[0].0 >= 7_000.0, "waited until the date");

    // A date in the past: retry at once (still a retry, no sleep needed).
    let (waits, fake) = waits_of(
        vec![Ok(error_body(429, "TF400733: blocked")
            .with_header("Retry-After", "Sun, 06 Nov 1994 08:49:00 GMT"))],
        now,
    );
    assert!(waits.is_empty(), "{waits:?}");
    assert_eq!(fake.log.borrow().len(), 2);

    // Given up: the error carries the wait read from the date.
    let fake = Fake::new(|_, _| {
        Ok(error_body(429, "TF400733: blocked")
            .with_header("Retry-After", "Sunday, 06-Nov-94 09:49:30 GMT"))
    });
    fake.clock.set(now);
    let client = Client::new(&fake, api(), fast_retry());
    let err = block_on(jobs::scan_project(&client, "P")).unwrap_err();
    assert_eq!(
        err,
        ApiError::Throttled {
            retry_after_ms: Some(3_600_000 - 30),
            message: err.message().to_owned()
        }
    );
    assert_eq!(fake.slept(), 0, "an hour is beyond the wait budget");
}

#[test]
fn a_wait_inside_a_running_pause_is_not_reported_again() {
    // A 429 with no Retry-After but a 5 s delay and no budget left: the job pauses 5 s
    // (reported); the 100 ms backoff falls inside that pause (not reported).
    let (waits, fake) = waits_of(
        vec![Ok(error_body(429, "TF400733: blocked")
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("X-RateLimit-Delay", "5"))],
        1_000_000.0,
    );
    assert_eq!(
        waits,
        [RateLimitWait {
            ms: 5_000,
            reason: WaitReason::RateLimitDelay,
            status: Some(429)
        }]
    );
    assert_eq!(fake.slept(), 5_000);
}

// ---------------------------------------------------------------------------------------
// Conversions

fn convertible() -> Endpoint {
    let mut v = endpoint(
        "5e47a0d8-0000-4000-8000-000000000001",
        "prod arm",
        &[("c7e5f0b3-0000-4000-8000-000000000002", "Test Project")],
    );
    // A previously reverted connection still carries a deadline: it must not be sent.
    v["data"]["RevertSchemeDeadline"] = json!("2024-01-30T09:41:12.1234567Z");
    v["zzUnknownField"] = json!({"kept": [1, 2, 3]});
    Endpoint::from_value(v).unwrap()
}

fn converted_from(ep: &Endpoint, state: &str, message: &str) -> Value {
    let mut v = ep.to_value();
    v["authorization"]["scheme"] = json!("WorkloadIdentityFederation");
    v["authorization"]["parameters"] = json!({
        "tenantid":"t","serviceprincipalid":"c",
        "workloadIdentityFederationIssuer":"https://login.microsoftonline.com/t/v2.0",
        "workloadIdentityFederationSubject":"/eid1/c/pub/t/x/a/rISbSSETf0KqFyZ8ppdXmA/sc/o/5e47",
        "workloadIdentityFederationIssuerType":"EntraID"});
    v["data"]["revertSchemeDeadline"] = json!("2099-01-07T09:41:12.1234567Z");
    v["operationStatus"] = json!({"state": state, "statusMessage": message});
    v
}

fn in_progress(ep: &Endpoint) -> Value {
    let mut v = ep.to_value();
    v["operationStatus"] = json!({"state":"InProgress","statusMessage":"converting_scheme"});
    v
}

fn run_convert(answers: Vec<Response>) -> (ConversionOutcome, Fake, Vec<JournalEntry>) {
    let answers = RefCell::new(answers.into_iter());
    let fake = Fake::new(move |_, _| {
        Ok(answers
            .borrow_mut()
            .next()
            .expect("no more scripted answers"))
    });
    let journal = RefCell::new(Vec::new());
    let outcome = {
        let record = |e: &JournalEntry| journal.borrow_mut().push(e.clone());
        let client = Client::new(&fake, api(), fast_retry()).with_journal(&record);
        block_on(jobs::convert(&client, &convertible(), None))
    };
    (outcome, fake, journal.into_inner())
}

#[test]
fn the_body_is_the_endpoint_as_read_with_only_the_scheme_changed() {
    let ep = convertible();
    let (_, fake, _) = run_convert(vec![ok_json(&converted_from(&ep, "Ready", ""))]);
    let log = fake.log.borrow();
    let req = &log[0].1;
    assert_eq!(req.method, "PUT");
    assert_eq!(
        req.url,
        "https://dev.azure.com/fabrikam/c7e5f0b3-0000-4000-8000-000000000002/_apis/serviceendpoint/endpoints/5e47a0d8-0000-4000-8000-000000000001?operation=ConvertAuthenticationScheme&api-version=7.1"
    );
    assert!(
        req.headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    assert!(
        req.headers
            .contains(&("X-TFS-FedAuthRedirect".into(), "Suppress".into()))
    );
    assert!(
        !req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    );
    let sent: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
    let mut expected = ep.to_value();
    expected["authorization"]["scheme"] = json!("WorkloadIdentityFederation");
    expected["data"]
        .as_object_mut()
        .unwrap()
        .shift_remove("RevertSchemeDeadline");
    assert_eq!(sent, expected);
    // Same key order as read, too: the text is the read text with two edits.
    assert_eq!(req.body.as_deref().unwrap(), expected.to_string());
    assert_eq!(
        sent["authorization"]["parameters"]["serviceprincipalkey"],
        Value::Null
    );
}

#[test]
fn converted_at_once() {
    let ep = convertible();
    let (outcome, _, journal) = run_convert(vec![ok_json(&converted_from(&ep, "Ready", ""))]);
    let ConversionOutcome::Converted {
        issuer,
        subject,
        revert_deadline,
        endpoint,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        issuer.as_deref(),
        Some("https://login.microsoftonline.com/t/v2.0")
    );
    assert!(subject.unwrap().starts_with("/eid1/"));
    assert_eq!(
        revert_deadline.as_deref(),
        Some("2099-01-07T09:41:12.1234567Z")
    );
    assert_eq!(endpoint.scheme(), Some("WorkloadIdentityFederation"));
    let kinds: Vec<_> = journal
        .iter()
        .map(|e| (e.kind, e.outcome.clone(), e.status))
        .collect();
    assert_eq!(
        kinds,
        [
            (JournalKind::Sent, None, None),
            (JournalKind::Answered, Some("converted".into()), Some(200))
        ]
    );
    assert!(
        journal
            .iter()
            .all(|e| e.endpoint_id.as_deref() == Some("5e47a0d8-0000-4000-8000-000000000001"))
    );
    let text = serde_json::to_string(&journal).unwrap();
    assert!(
        !text.contains("serviceprincipal") && !text.contains("Suppress"),
        "journal holds bodies or headers: {text}"
    );
}

#[test]
fn accepted_then_polled_until_ready_or_failed() {
    let ep = convertible();
    let (outcome, ..) = run_convert(vec![Response::new(202, in_progress(&ep).to_string())]);
    assert!(
        matches!(outcome, ConversionOutcome::Converting { endpoint: Some(_) }),
        "{outcome:?}"
    );

    for (last, want) in [
        (converted_from(&ep, "Ready", ""), "converted"),
        (
            {
                let mut v = in_progress(&ep);
                v["operationStatus"] =
                    json!({"state":"Failed","statusMessage":"converting_scheme_failed"});
                v
            },
            "failed",
        ),
    ] {
        let answers = RefCell::new(
            vec![
                ok_json(&in_progress(&ep)),
                ok_json(&in_progress(&ep)),
                ok_json(&last),
            ]
            .into_iter(),
        );
        let fake = Fake::new(move |req, _| {
            assert_eq!(req.method, "GET");
            Ok(answers.borrow_mut().next().unwrap())
        });
        let client = Client::new(&fake, api(), ClientOptions::default());
        let outcome = block_on(jobs::poll(
            &client,
            "P",
            ep.id().unwrap(),
            Direction::Convert,
        ));
        assert_eq!(outcome.name(), want);
        if let ConversionOutcome::Failed { message, .. } = &outcome {
            assert_eq!(message, "converting_scheme_failed");
        }
        assert_eq!(fake.log.borrow().len(), 3);
        assert_eq!(fake.sleeps.borrow().as_slice(), &[2_000, 3_000]);
    }

    // Still running when the poll budget runs out: converting, not an error.
    let stuck = ok_json(&in_progress(&ep));
    let fake = Fake::new(move |_, _| Ok(stuck.clone()));
    let mut options = ClientOptions::default();
    options.poll.max_total_ms = 10_000;
    let client = Client::new(&fake, api(), options);
    let outcome = block_on(jobs::poll(&client, "P", "x", Direction::Convert));
    assert_eq!(outcome.name(), "converting");
    assert_eq!(fake.slept(), 10_000);
}

#[test]
fn refusals_have_their_own_outcomes() {
    let cases = [
        (
            error_body(
                400,
                "The authorization scheme could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists.",
            ),
            "needsManual",
        ),
        (
            error_body(
                400,
                "Converting endpoint type azurerm scheme from WorkloadIdentityFederation to WorkloadIdentityFederation is neither an upgrade or a downgrade and is not supported.",
            ),
            "alreadyFederated",
        ),
        (
            error_body(
                400,
                "Cannot perform this operation since another operation is already in progress with current status 'updating'. Try again later.",
            ),
            "inProgress",
        ),
        (
            error_body(
                400,
                "Properties cannot be changed during service connection upgrade. Property name does not match current endpoint value. Set it to the original value or do not provide at all.",
            ),
            "rejected",
        ),
        (error_body(404, "Service connection not found."), "notFound"),
        (Response::new(401, ""), "paused"),
        (
            Response::new(203, "<html/>").with_header("content-type", "text/html"),
            "paused",
        ),
    ];
    for (answer, want) in cases {
        let (outcome, fake, _) = run_convert(vec![answer]);
        assert_eq!(outcome.name(), want, "{outcome:?}");
        assert_eq!(fake.log.borrow().len(), 1);
    }
    let (outcome, ..) = run_convert(vec![error_body(
        403,
        "You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.",
    )]);
    let ConversionOutcome::Forbidden { role, message } = outcome else {
        panic!()
    };
    assert_eq!(role, "Administrator on this service connection");
    assert!(message.starts_with("You do not have permissions"));
}

#[test]
fn a_conversion_is_never_sent_twice_except_after_429() {
    // 5xx: it may have run, so pause instead of resending.
    let (outcome, fake, _) = run_convert(vec![error_body(503, "Service Unavailable")]);
    let ConversionOutcome::Paused { error } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(error.kind(), "server");
    assert_eq!(fake.log.borrow().len(), 1);
    // Network failure: the same.
    let fake = Fake::new(|_, _| Err(TransportError::Network("reset".into())));
    let client = Client::new(&fake, api(), fast_retry());
    let outcome = block_on(jobs::convert(&client, &convertible(), None));
    assert_eq!(outcome.name(), "paused");
    assert_eq!(fake.log.borrow().len(), 1);
    // 429: blocked before running, so it is retried after Retry-After.
    let ep = convertible();
    let (outcome, fake, journal) = run_convert(vec![
        error_body(429, "TF400733: blocked").with_header("Retry-After", "2"),
        ok_json(&converted_from(&ep, "Ready", "")),
    ]);
    assert_eq!(outcome.name(), "converted");
    assert_eq!(fake.log.borrow().len(), 2);
    assert!(fake.slept() >= 2_000);
    let kinds: Vec<_> = journal.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            JournalKind::Sent,
            JournalKind::Answered,
            JournalKind::Sent,
            JournalKind::Answered
        ]
    );
    assert_eq!(journal[1].outcome.as_deref(), Some("retry (throttled)"));
    // Throttled past the budget: paused with a throttled error.
    let fake = Fake::new(|_, _| Ok(error_body(429, "TF400733").with_header("Retry-After", "3600")));
    let client = Client::new(&fake, api(), fast_retry());
    let outcome = block_on(jobs::convert(&client, &convertible(), None));
    let ConversionOutcome::Paused { error } = outcome else {
        panic!()
    };
    assert_eq!(error.kind(), "throttled");
}

#[test]
fn cancelled_before_sending_sends_nothing() {
    let fake = Fake::new(|_, _| panic!("sent after cancel"));
    fake.cancel_after_sends.set(Some(0));
    let client = Client::new(&fake, api(), fast_retry());
    assert_eq!(
        block_on(jobs::convert(&client, &convertible(), None)),
        ConversionOutcome::Cancelled
    );
}

#[test]
fn revert_inside_and_after_the_window() {
    let ep = Endpoint::from_value(converted_from(&convertible(), "Ready", "")).unwrap();
    let mut back = convertible().to_value();
    back["operationStatus"] = json!({"state":"Ready","statusMessage":""});
    let answer = ok_json(&back);
    let fake = Fake::new(move |req, _| {
        let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["authorization"]["scheme"], "ServicePrincipal");
        assert!(body["data"].get("revertSchemeDeadline").is_none());
        Ok(answer.clone())
    });
    let client = Client::new(&fake, api(), fast_retry());
    assert_eq!(
        block_on(jobs::revert(&client, &ep, None)).name(),
        "reverted"
    );

    let fake = Fake::new(|_, _| {
        Ok(error_body(
            400,
            "Endpoint scheme could not be downgraded from WorkloadIdentityFederation to ServicePrincipal as no recovery data exist for this endpoint.",
        ))
    });
    let client = Client::new(&fake, api(), fast_retry());
    assert_eq!(
        block_on(jobs::revert(&client, &ep, None)).name(),
        "revertUnavailable"
    );
}

// ---------------------------------------------------------------------------------------
// Plans

fn with(mut v: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut v;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
    v
}

#[test]
fn plans_say_what_is_sent_and_why_the_rest_is_skipped() {
    let home = [("p-home", "Home")];
    let shared_refs = [("p-home", "Home"), ("p-other", "Other")];
    let from_other = [("p-other", "Other"), ("p-home", "Home")];
    let base = endpoint("ok", "ok", &home);
    let eps: Vec<Endpoint> = [
        base.clone(),
        with(base.clone(), &["id"], json!("manual"))
            .pipe(|v| with(v, &["data", "creationMode"], json!("Manual"))),
        endpoint("shared", "shared", &shared_refs),
        endpoint("foreign", "foreign", &from_other),
        with(
            with(base.clone(), &["id"], json!("busy")),
            &["operationStatus"],
            json!({"state":"InProgress","statusMessage":"converting_scheme"}),
        ),
        with(
            with(base.clone(), &["id"], json!("broken")),
            &["operationStatus"],
            json!({"state":"Failed","statusMessage":"x"}),
        ),
        with(
            with(base.clone(), &["id"], json!("wif")),
            &["authorization", "scheme"],
            json!("WorkloadIdentityFederation"),
        ),
        with(
            with(base.clone(), &["id"], json!("docker")),
            &["type"],
            json!("dockerregistry"),
        ),
        with(
            with(base.clone(), &["id"], json!("msi")),
            &["authorization", "scheme"],
            json!("ManagedServiceIdentity"),
        ),
        with(
            with(base.clone(), &["id"], json!("AzureRM-case")),
            &["type"],
            json!("AzureRM"),
        ),
    ]
    .into_iter()
    .map(|v| Endpoint::from_value(v).unwrap())
    .collect();

    let ctx = PlanContext {
        project: Some("Home".into()),
        ..PlanContext::default()
    };
    let plan = jobs::plan_conversions(&eps, &ctx);
    let sent: Vec<_> = plan.send.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(sent, ["ok", "AzureRM-case"]);
    assert_eq!(plan.send[0].project, "p-home");
    // The owning project's name, for display (the CLI's --project plan shows it, not the id).
    assert_eq!(plan.send[0].project_name.as_deref(), Some("Home"));
    let foreign = plan.skip.iter().find(|s| s.id == "foreign").unwrap();
    assert_eq!(foreign.project_name.as_deref(), Some("Other"));
    let skipped: Vec<_> = plan
        .skip
        .iter()
        .map(|s| (s.id.as_str(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            ("manual", SkipReason::Manual),
            ("shared", SkipReason::SharedNotSelected),
            ("foreign", SkipReason::SharedFromAnotherProject),
            ("busy", SkipReason::InProgress),
            ("broken", SkipReason::Failed),
            ("wif", SkipReason::AlreadyFederated),
            ("docker", SkipReason::NotAzureRm),
            ("msi", SkipReason::UnsupportedScheme),
        ]
    );
    assert!(plan.skip.iter().all(|s| !s.message.is_empty()));

    // Explicitly selected: the shared one goes (from its owner), the foreign one never does.
    let ctx = PlanContext {
        project: Some("p-home".into()),
        selected: Some(vec!["shared".into(), "foreign".into(), "manual".into()]),
        allow_manual: true,
    };
    let plan = jobs::plan_conversions(&eps, &ctx);
    let sent: Vec<_> = plan.send.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(sent, ["manual", "shared"]);
    assert_eq!(plan.skip.len(), 1);
    assert_eq!(plan.skip[0].reason, SkipReason::SharedFromAnotherProject);

    // Organization view: the foreign one is converted from its own owner when selected.
    let ctx = PlanContext {
        project: None,
        selected: Some(vec!["foreign".into()]),
        allow_manual: false,
    };
    let plan = jobs::plan_conversions(&eps, &ctx);
    assert_eq!(plan.send.len(), 1);
    assert_eq!(plan.send[0].project, "p-other");

    let entries = jobs::plan_journal(&plan, 5.0);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, JournalKind::Planned);
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

/// The plan and the verdict never disagree: without a selection, in the owning project, a
/// connection is planned for sending exactly when its verdict says it converts now (`yes`).
#[test]
fn the_plan_sends_exactly_what_the_verdict_calls_convertible() {
    use federate_core::verdict::{self, Status};
    let home = [("p-home", "Home")];
    let base = endpoint("ok", "ok", &home);
    let variants: Vec<(&str, &[&str], Value)> = vec![
        ("disabled", &["isDisabled"], json!(true)),
        ("stack", &["data", "environment"], json!("AzureStack")),
        ("manual", &["data", "creationMode"], json!("Manual")),
        ("not-ready", &["isReady"], json!(false)),
        (
            "cert",
            &["authorization", "parameters", "authenticationType"],
            json!("spnCertificate"),
        ),
        (
            "busy",
            &["operationStatus"],
            json!({"state":"InProgress","statusMessage":"converting_scheme"}),
        ),
        (
            "failed",
            &["operationStatus"],
            json!({"state":"Failed","statusMessage":"x"}),
        ),
        (
            "wif",
            &["authorization", "scheme"],
            json!("WorkloadIdentityFederation"),
        ),
        (
            "msi",
            &["authorization", "scheme"],
            json!("ManagedServiceIdentity"),
        ),
        (
            "publish",
            &["authorization", "scheme"],
            json!("PublishProfile"),
        ),
        ("docker", &["type"], json!("dockerregistry")),
    ];
    let mut eps = vec![Endpoint::from_value(base.clone()).unwrap()];
    for (id, path, value) in variants {
        let v = with(with(base.clone(), &["id"], json!(id)), path, value);
        eps.push(Endpoint::from_value(v).unwrap());
    }
    let plan = jobs::plan_conversions(
        &eps,
        &PlanContext {
            project: Some("Home".into()),
            ..PlanContext::default()
        },
    );
    let ctx = verdict::Context {
        project_name: Some("Home".into()),
        ..verdict::Context::default()
    };
    for ep in &eps {
        let id = ep.id().unwrap();
        let sent = plan.send.iter().any(|p| p.id == id);
        let yes = verdict::classify(ep, &ctx).convertible.status == Status::Yes;
        assert_eq!(
            sent, yes,
            "{id}: planned {sent}, verdict convertible now {yes}"
        );
    }
    let reason = |id: &str| plan.skip.iter().find(|s| s.id == id).map(|s| s.reason);
    assert_eq!(reason("disabled"), Some(SkipReason::Disabled));
    assert_eq!(reason("stack"), Some(SkipReason::EnvironmentUnsupported));
}
