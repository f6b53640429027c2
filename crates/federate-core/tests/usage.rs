//! Usage: the official `executionhistory` example parsed, the usage-derived verdict reasons
//! at the day boundaries, the pre-flight warning list, and the usage and pre-flight jobs
//! against a scripted transport (per-connection failures, sign-out, throttling, cancel,
//! the concurrency bound).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::cell::RefCell;

use federate_core::api::{ApiError, Response};
use federate_core::jobs::{Client, ClientOptions};
use federate_core::model::Endpoint;
use federate_core::usage::preflight::{self, parse_timeline, task_warnings};
use federate_core::usage::{
    self, ExecutionRecord, PlanType, UnknownReason, Usage, UsageAction, UsageTag, UsageTarget,
    parse_execution_history, summarize, unused_at_least, usage_verdict,
};
use federate_core::verdict::{Context as VerdictContext, Verdict, classify};
use serde_json::{Value, json};

mod common;

use common::fake::{Fake, api, block_on, ok_json};

/// 2026-11-30T00:00:00Z in ms.
const NOW_MS: f64 = 1_795_996_800_000.0;
const NOW: &str = "2026-11-30T00:00:00Z";

fn error_body(status: u16, message: &str) -> Response {
    Response::new(
        status,
        json!({"$id":"1","innerException":null,"message":message,"typeName":"X","typeKey":"X","errorCode":0,"eventId":3000}).to_string(),
    )
    .with_header("Content-Type", "application/json")
}

fn fixture(path: &str) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let text = std::fs::read_to_string(format!("{dir}{path}")).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

fn record(def: u32, name: &str, plan: &str, run: u32, finish: &str, result: &str) -> Value {
    json!({"endpointId":"x","data":{"id":run,"planType":plan,
        "definition":{"id":def,"name":name,"_links":{}},
        "owner":{"id":run,"name":run.to_string(),"_links":{}},
        "startTime":finish,"finishTime":finish,"result":result}})
}

fn history(records: &[Value]) -> Response {
    ok_json(&json!({"count": records.len(), "value": records}))
}

// ---------------------------------------------------------------------------------------
// Parsing the official example

#[test]
fn parses_the_official_example() {
    let example = fixture("usage/GET__ServiceEndpointExecutionRecords.json");
    let body = &example["responses"]["200"]["body"];
    let records = parse_execution_history(&ok_json(body)).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0],
        ExecutionRecord {
            plan_type: Some("Build".into()),
            definition_id: Some(1),
            definition_name: Some("Test_Build".into()),
            run_id: Some(2),
            run_name: Some("2".into()),
            start_time: Some("2018-01-08T11:46:51.3666667Z".into()),
            finish_time: Some("2018-01-08T11:47:06.2833333Z".into()),
            result: Some("succeeded".into()),
        }
    );
    let usage = summarize(&records, "2018-01-20T00:00:00Z", 2).unwrap();
    assert_eq!(
        usage.last_used.as_deref(),
        Some("2018-01-08T11:47:06.2833333Z")
    );
    assert_eq!(usage.used_by.len(), 1, "one pipeline ran twice");
    let p = &usage.used_by[0];
    assert_eq!(
        (p.definition_id, p.plan_type, p.last_run_id, p.jobs),
        (Some(1), PlanType::Build, Some(2), 2)
    );
    assert_eq!(usage.jobs_30d, 2);
    assert!(
        usage.truncated,
        "top=2 and two records: older ones may exist"
    );
    // The spec declares a bare array: accepted too.
    let bare = parse_execution_history(&ok_json(&body["value"])).unwrap();
    assert_eq!(bare, records);
}

#[test]
fn odd_answers_are_errors_or_skipped_never_panics() {
    assert!(matches!(
        parse_execution_history(&ok_json(&json!({"count": 1}))),
        Err(ApiError::Malformed { .. })
    ));
    assert!(matches!(
        parse_execution_history(&Response::new(200, "<html>sign in</html>")),
        Err(ApiError::SignedOut { .. })
    ));
    let records = parse_execution_history(&ok_json(
        &json!([1, "x", {"data": {"planType": 3, "definition": {"id": -1}}}]),
    ))
    .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].definition_id, None);
    assert_eq!(records[0].plan_type, None);
    let usage = summarize(&records, NOW, 50).unwrap();
    assert_eq!(usage.last_used, None);
    assert!(summarize(&records, "yesterday", 50).is_err());
}

#[test]
fn summary_orders_pipelines_by_last_use_and_counts_30_days() {
    let records: Vec<ExecutionRecord> = [
        record(1, "ci", "Build", 10, "2026-11-29T10:00:00Z", "succeeded"),
        record(2, "deploy", "Release", 5, "2026-11-20T10:00:00Z", "failed"),
        record(1, "ci", "Build", 9, "2026-10-01T10:00:00Z", "failed"),
        record(
            3,
            "nightly",
            "Build",
            3,
            "2026-06-01T10:00:00Z",
            "succeeded",
        ),
    ]
    .iter()
    .map(|v| {
        parse_execution_history(&ok_json(&json!([v])))
            .unwrap()
            .remove(0)
    })
    .collect();
    let usage = summarize(&records, NOW, 50).unwrap();
    assert_eq!(usage.last_used.as_deref(), Some("2026-11-29T10:00:00Z"));
    assert_eq!(usage.jobs_30d, 2);
    assert!(!usage.truncated);
    let names: Vec<_> = usage
        .used_by
        .iter()
        .map(|p| (p.definition_name.clone().unwrap(), p.plan_type, p.jobs))
        .collect();
    assert_eq!(
        names,
        vec![
            ("ci".into(), PlanType::Build, 2),
            ("deploy".into(), PlanType::Release, 1),
            ("nightly".into(), PlanType::Build, 1)
        ]
    );
    assert_eq!(usage.used_by[0].last_run_id, Some(10));
    assert_eq!(usage.used_by[0].result.as_deref(), Some("succeeded"));
}

// ---------------------------------------------------------------------------------------
// Verdict reasons from usage

fn verdict_of(ep: &Value) -> Verdict {
    classify(
        &Endpoint::from_value(ep.clone()).unwrap(),
        &VerdictContext::default(),
    )
}

fn secret_connection(disabled: bool) -> Verdict {
    let mut ep = json!({"id":"c1","name":"prod","type":"azurerm",
        "authorization":{"scheme":"ServicePrincipal","parameters":{"authenticationType":"spnKey","serviceprincipalkey":null}},
        "data":{"creationMode":"Automatic"},"isReady":true});
    if disabled {
        ep["isDisabled"] = json!(true);
    }
    verdict_of(&ep)
}

fn used_days_ago(days: i64) -> Usage {
    let at = 1_795_996_800 - days * 86_400;
    Usage {
        last_used: Some(format!("{}T00:00:00Z", usage::iso_date(at))),
        used_by: vec![],
        jobs_30d: 0,
        records: 1,
        truncated: false,
    }
}

fn codes(v: &usage::UsageVerdict) -> Vec<&str> {
    v.reasons.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn reasons_at_0_99_100_and_400_days() {
    let v = secret_connection(false);
    let at = |days| usage_verdict(&v, Some(Ok(&used_days_ago(days))), NOW).unwrap();

    let d0 = at(0);
    assert_eq!(d0.label, "used today");
    assert_eq!(d0.days_unused, Some(0));
    assert_eq!(d0.tags, vec![UsageTag::UsedRecently]);
    assert_eq!(codes(&d0), vec!["usedRecently"]);
    assert_eq!(d0.reasons[0].message, "Used today (2026-11-30).");
    assert_eq!(d0.action, UsageAction::ConvertAndWatch);
    assert_eq!(d0.disable_on.as_deref(), Some("2027-03-10"));

    let d99 = at(99);
    assert_eq!(d99.label, "unused for 99 days");
    assert_eq!(d99.tags, vec![UsageTag::Unused90]);
    assert_eq!(codes(&d99), vec!["unused"]);
    assert_eq!(d99.disable_on.as_deref(), Some("2026-12-01"));
    assert!(
        d99.reasons[0]
            .message
            .contains("2026-12-01 (1 day from now)"),
        "{}",
        d99.reasons[0].message
    );
    assert_eq!(d99.action, UsageAction::ConvertAndWatch);

    let d100 = at(100);
    assert_eq!(d100.label, "unused for 100 days");
    assert_eq!(
        d100.tags,
        vec![UsageTag::PastDisableDate, UsageTag::Unused90]
    );
    assert_eq!(codes(&d100), vec!["unusedPastDisableDate", "deleteUnused"]);
    assert_eq!(d100.disable_on.as_deref(), Some("2026-11-30"));
    assert_eq!(d100.action, UsageAction::Delete);

    let d400 = at(400);
    assert_eq!(d400.label, "unused for 400 days");
    assert_eq!(d400.days_unused, Some(400));
    assert!(d400.reasons[0].message.contains("expect it to be disabled"));
    assert_eq!(d400.action, UsageAction::Delete);

    // The "unused 90+ days" gate of the CLI.
    assert!(!unused_at_least(&at(89), 90));
    assert!(unused_at_least(&at(90), 90));
}

#[test]
fn disabled_secret_connection_is_to_delete() {
    let v = secret_connection(true);
    // Without usage loaded: the tag still comes from the verdict alone.
    let bare = usage_verdict(&v, None, NOW).unwrap();
    assert_eq!(bare.tags, vec![UsageTag::DisabledWithSecret]);
    assert_eq!(bare.action, UsageAction::Delete);
    assert!(
        bare.reasons[0]
            .message
            .contains("Delete the connection, then remove the secret from the app registration")
    );
    assert_eq!(bare.label, "usage not loaded");
    let old = usage_verdict(&v, Some(Ok(&used_days_ago(150))), NOW).unwrap();
    assert!(old.reasons[0].message.contains("it is disabled"));
    assert!(old.tags.contains(&UsageTag::DisabledWithSecret));
    // A disabled federated connection holds no secret: nothing to delete for that reason.
    let fed = verdict_of(&json!({"id":"f1","type":"azurerm","isDisabled":true,
        "authorization":{"scheme":"WorkloadIdentityFederation","parameters":{}}}));
    let f = usage_verdict(&fed, None, NOW).unwrap();
    assert!(f.tags.is_empty());
    assert_eq!(f.action, UsageAction::None);
}

#[test]
fn never_used_and_unknown() {
    let v = secret_connection(false);
    let never = Usage {
        last_used: None,
        used_by: vec![],
        jobs_30d: 0,
        records: 0,
        truncated: false,
    };
    let n = usage_verdict(&v, Some(Ok(&never)), NOW).unwrap();
    assert_eq!(n.label, "never used");
    assert_eq!(n.tags, vec![UsageTag::NeverUsed]);
    assert_eq!(codes(&n), vec!["neverUsed", "deleteUnused"]);
    assert!(unused_at_least(&n, 90));
    let unknown = usage::UsageUnknown {
        reason: UnknownReason::Forbidden,
        status: Some(403),
        message: "Usage unknown: no".into(),
    };
    let u = usage_verdict(&v, Some(Err(&unknown)), NOW).unwrap();
    assert_eq!(u.label, "usage unknown");
    assert_eq!(u.tags, vec![UsageTag::UsageUnknown]);
    assert!(!unused_at_least(&u, 0), "unknown usage never fails a gate");
    assert!(usage_verdict(&v, None, "not a time").is_err());
}

// ---------------------------------------------------------------------------------------
// The warning list

#[test]
fn warning_list_matches_task_name_and_version() {
    let one = |task: &str, version: Option<&str>| task_warnings(task, version).len();
    assert_eq!(one("AzureFileCopy", Some("5.248.1")), 1);
    assert_eq!(one("AzureFileCopy", Some("2.0.0")), 1);
    assert_eq!(one("AzureFileCopy", Some("6.0.0")), 0);
    assert_eq!(
        one("azurefilecopy", Some("4")),
        1,
        "names compare case-insensitively"
    );
    assert_eq!(one("AzurePowerShell", Some("5.245.1")), 1);
    assert_eq!(one("AzurePowerShell", Some("4.1.0")), 0);
    assert_eq!(one("Notation", Some("0.2.1")), 1);
    assert_eq!(one("Notation", Some("1.0.0")), 0);
    assert_eq!(one("AzureLoadTest", Some("1.2.3")), 1);
    assert_eq!(one("SqlAzureDacpacDeployment", Some("1.244.0")), 1);
    assert_eq!(one("AzureCLI", Some("2.0.0")), 0);
    assert_eq!(
        one("AzureFileCopy", None),
        1,
        "an unknown version is checked"
    );
    assert_eq!(
        one("ms-vscs-rm.x.AzureFileCopy", Some("5.0.0")),
        1,
        "a full contribution id matches by its last segment"
    );
    for w in preflight::TASK_WARNINGS {
        assert!(w.source.contains("§17.4"), "{} has its source", w.task);
    }
}

#[test]
fn timeline_tasks_in_order_distinct() {
    let timeline = json!({"id":"t","changeId":3,"records":[
        {"id":"a","type":"Job","name":"Job","order":1},
        {"id":"b","type":"Task","name":"Copy","order":3,"task":{"id":"x","name":"AzureFileCopy","version":"5.248.1"}},
        {"id":"c","type":"Task","name":"Checkout","order":2,"task":{"id":"y","name":"Checkout","version":"1.0.0"}},
        {"id":"d","type":"task","name":"Copy again","order":4,"task":{"id":"x","name":"AzureFileCopy","version":"5.248.1"}},
        {"id":"e","type":"Task","name":"no task ref","order":5,"task":null},
        "junk"
    ]});
    let tasks = parse_timeline(&ok_json(&timeline)).unwrap();
    let names: Vec<_> = tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["Checkout", "AzureFileCopy"]);
    let found = preflight::findings(&tasks);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].version.as_deref(), Some("5.248.1"));
    assert!(parse_timeline(&ok_json(&json!({"value": []}))).is_err());
}

// ---------------------------------------------------------------------------------------
// The usage job

fn targets(n: usize) -> Vec<UsageTarget> {
    (0..n)
        .map(|i| UsageTarget {
            id: format!("00000000-0000-4000-8000-{i:012}"),
            project: "Payments".into(),
        })
        .collect()
}

fn index_of(url: &str) -> usize {
    let id = url.split("/serviceendpoint/").nth(1).unwrap();
    id[24..36].parse::<usize>().unwrap()
}

#[test]
fn request_shape() {
    let req = api().execution_history("My Project", "abc", 50);
    assert_eq!(
        req.url,
        "https://dev.azure.com/fabrikam/My%20Project/_apis/serviceendpoint/abc/executionhistory?top=50&api-version=7.1-preview.1"
    );
    assert_eq!(req.method, "GET");
    let tl = api().build_timeline("Payments", 42);
    assert_eq!(
        tl.url,
        "https://dev.azure.com/fabrikam/Payments/_apis/build/builds/42/timeline?api-version=7.1"
    );
}

#[test]
fn unreadable_connections_are_unknown_and_the_others_go_on() {
    let fake = Fake::at(NOW_MS, |req, _| {
        if req.url.contains("/connectionData") {
            return Ok(ok_json(
                &json!({"instanceId": "0ca3ddd9-f0b0-4635-a98c-5866526961b6"}),
            ));
        }
        Ok(match index_of(&req.url) {
            0 => error_body(
                403,
                "Access denied: you need View on this service connection.",
            ),
            1 => error_body(404, "Service connection with id x does not exist."),
            2 => error_body(
                401,
                "TF400813: The user is not authorized to access this resource.",
            ),
            3 => history(&[]),
            _ => history(&[record(
                1,
                "ci",
                "Build",
                7,
                "2026-11-28T00:00:00Z",
                "succeeded",
            )]),
        })
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    let events = RefCell::new(Vec::new());
    let load = block_on(usage::load_usage(&client, &targets(6), 50, &|p| {
        events.borrow_mut().push((p.done, p.total));
    }));
    assert!(load.complete);
    assert!(load.stopped.is_none());
    assert_eq!(load.connections.len(), 6);
    let reason = |i: usize| load.connections[i].unknown.as_ref().map(|u| u.reason);
    assert_eq!(reason(0), Some(UnknownReason::Forbidden));
    assert_eq!(reason(1), Some(UnknownReason::NotFound));
    assert_eq!(reason(2), Some(UnknownReason::Unauthorized));
    assert!(
        load.connections[0]
            .unknown
            .as_ref()
            .unwrap()
            .message
            .contains("Access denied")
    );
    assert_eq!(load.connections[3].usage.as_ref().unwrap().last_used, None);
    assert_eq!(
        load.connections[5].usage.as_ref().unwrap().jobs_30d,
        1,
        "2 days before the fake clock"
    );
    assert_eq!(events.borrow().first(), Some(&(0, 6)));
    assert_eq!(events.borrow().last(), Some(&(6, 6)));
    let checks = fake
        .log
        .borrow()
        .iter()
        .filter(|(_, r)| r.url.contains("/connectionData"))
        .count();
    assert_eq!(checks, 1, "the session was asked once, at the 401");
}

#[test]
fn a_401_while_signed_out_stops_even_with_an_error_body() {
    // The same 401 body as above, but the session check says signed out: the load stops.
    let fake = Fake::at(NOW_MS, |req, _| {
        Ok(if req.url.contains("/connectionData") {
            Response::new(401, "")
        } else if index_of(&req.url) == 1 {
            error_body(
                401,
                "TF400813: The user is not authorized to access this resource.",
            )
        } else {
            history(&[])
        })
    });
    let options = ClientOptions {
        concurrency: 1,
        ..ClientOptions::default()
    };
    let client = Client::new(&fake, api(), options);
    let load = block_on(usage::load_usage(&client, &targets(4), 50, &|_| {}));
    assert!(
        matches!(load.stopped, Some(ApiError::SignedOut { .. })),
        "{:?}",
        load.stopped
    );
    assert_eq!(load.connections.len(), 1);
}

#[test]
fn signed_out_stops_and_keeps_what_was_read() {
    let fake = Fake::at(NOW_MS, |req, _| {
        Ok(
            if !req.url.contains("/connectionData") && index_of(&req.url) < 3 {
                history(&[])
            } else {
                Response::new(401, "").with_header(
                    "WWW-Authenticate",
                    "Bearer authorization_uri=https://login.microsoftonline.com/x",
                )
            },
        )
    });
    let options = ClientOptions {
        concurrency: 1,
        ..ClientOptions::default()
    };
    let client = Client::new(&fake, api(), options);
    let load = block_on(usage::load_usage(&client, &targets(10), 50, &|_| {}));
    assert!(matches!(load.stopped, Some(ApiError::SignedOut { .. })));
    assert!(!load.complete);
    assert_eq!(load.connections.len(), 3, "the three read are kept");
    assert_eq!(
        fake.log.borrow().len(),
        5,
        "the 401, the session check, then nothing more"
    );
}

#[test]
fn throttling_waits_and_cancel_keeps_what_was_read() {
    let fake = Fake::at(NOW_MS, |_, n| {
        Ok(if n == 2 {
            Response::new(429, "TF400733: The request has been canceled")
                .with_header("Retry-After", "5")
        } else {
            history(&[])
        })
    });
    let client = Client::new(
        &fake,
        api(),
        ClientOptions {
            concurrency: 2,
            ..ClientOptions::default()
        },
    );
    let load = block_on(usage::load_usage(&client, &targets(8), 50, &|_| {}));
    assert!(load.complete, "{:?}", load.stopped);
    assert_eq!(load.connections.len(), 8);
    assert!(
        fake.sleeps.borrow().iter().any(|&ms| ms >= 5_000),
        "waited Retry-After"
    );
    assert!(fake.peak.get() <= 2, "peak {}", fake.peak.get());

    let fake = Fake::at(NOW_MS, |_, _| Ok(history(&[])));
    fake.cancel_after_sends.set(Some(4));
    let client = Client::new(
        &fake,
        api(),
        ClientOptions {
            concurrency: 1,
            ..ClientOptions::default()
        },
    );
    let load = block_on(usage::load_usage(&client, &targets(10), 50, &|_| {}));
    assert_eq!(load.stopped, Some(ApiError::Cancelled));
    assert_eq!(
        load.connections.len(),
        4,
        "what was read before the cancel is kept"
    );
}

#[test]
fn concurrency_is_bounded() {
    let fake = Fake::at(NOW_MS, |_, _| Ok(history(&[])));
    let client = Client::new(
        &fake,
        api(),
        ClientOptions {
            concurrency: 4,
            ..ClientOptions::default()
        },
    );
    let load = block_on(usage::load_usage(&client, &targets(40), 50, &|_| {}));
    assert_eq!(load.connections.len(), 40);
    assert_eq!(load.stats.requests, 40);
    assert_eq!(fake.peak.get(), 4);
}

// ---------------------------------------------------------------------------------------
// The pre-flight job

#[test]
fn preflight_reads_last_run_timelines_and_warns() {
    let fake = Fake::at(NOW_MS, |req, _| {
        let url = &req.url;
        Ok(if url.contains("/executionhistory") {
            if index_of(url) == 1 {
                error_body(403, "no")
            } else {
                history(&[
                    record(1, "ci", "Build", 11, "2026-11-29T00:00:00Z", "succeeded"),
                    record(1, "ci", "Build", 10, "2026-11-20T00:00:00Z", "failed"),
                    record(
                        4,
                        "deploy",
                        "Release",
                        3,
                        "2026-11-25T00:00:00Z",
                        "succeeded",
                    ),
                ])
            }
        } else if url.contains("/build/builds/11/timeline") {
            ok_json(&json!({"records":[
                {"type":"Task","order":1,"task":{"name":"AzureCLI","version":"2.1.0"}},
                {"type":"Task","order":2,"task":{"name":"AzureFileCopy","version":"4.230.0"}}]}))
        } else {
            error_body(404, "unexpected")
        })
    });
    let client = Client::new(&fake, api(), ClientOptions::default());
    let pf = block_on(preflight::preflight(&client, &targets(2), &|_, _| {}));
    assert!(pf.complete);
    assert_eq!(pf.warning_count, 1);
    let c = &pf.connections[0];
    assert_eq!(c.pipelines.len(), 2);
    let ci = &c.pipelines[0];
    assert_eq!(ci.pipeline.definition_name.as_deref(), Some("ci"));
    assert_eq!(ci.pipeline.last_run_id, Some(11), "the last run's timeline");
    assert_eq!(ci.tasks.len(), 2);
    assert_eq!(ci.warnings[0].task, "AzureFileCopy");
    let release = &c.pipelines[1];
    assert_eq!(release.pipeline.plan_type, PlanType::Release);
    assert!(
        release
            .tasks_unknown
            .as_deref()
            .unwrap()
            .contains("classic release")
    );
    assert!(
        c.summary.contains("2 pipelines used it; 1 runs a task"),
        "{}",
        c.summary
    );
    assert_eq!(
        pf.connections[1].unknown.as_ref().map(|u| u.reason),
        Some(UnknownReason::Forbidden)
    );
    let timelines = fake
        .log
        .borrow()
        .iter()
        .filter(|(_, r)| r.url.contains("/timeline"))
        .count();
    assert_eq!(
        timelines, 1,
        "one timeline per build pipeline, none for releases"
    );
}

// ---------------------------------------------------------------------------------------
// The report with usage

#[test]
fn report_adds_last_used_used_by_and_jobs30d() {
    use federate_core::usage::ConnectionUsage;
    use federate_core::usage::report::{render_usage_report, usage_targets};
    let ep = |id: &str, name: &str| {
        json!({"id":id,"name":name,"type":"azurerm",
            "authorization":{"scheme":"ServicePrincipal","parameters":{"authenticationType":"spnKey"}},
            "data":{"creationMode":"Automatic"},
            "serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"Payments"},"name":name}]})
    };
    let endpoints: Vec<Endpoint> = [ep("A1", "used"), ep("b2", "old\nname"), ep("c3", "unknown")]
        .iter()
        .map(|v| Endpoint::from_value(v.clone()).unwrap())
        .collect();
    let targets = usage_targets(&endpoints, None);
    assert_eq!(targets.len(), 3);
    assert_eq!(targets[0].project, "p1", "the owning project, by id");
    let verdicts: Vec<Verdict> = endpoints
        .iter()
        .map(|e| classify(e, &VerdictContext::default()))
        .collect();
    let recent = summarize(
        &parse_execution_history(&history(&[
            record(1, "ci", "Build", 11, "2026-11-29T00:00:00Z", "succeeded"),
            record(2, "deploy", "Release", 4, "2026-10-01T00:00:00Z", "failed"),
        ]))
        .unwrap(),
        NOW,
        50,
    )
    .unwrap();
    let usage = vec![
        ConnectionUsage {
            id: "a1".into(),
            project: "p1".into(),
            usage: Some(recent),
            unknown: None,
        },
        ConnectionUsage {
            id: "b2".into(),
            project: "p1".into(),
            usage: Some(used_days_ago(120)),
            unknown: None,
        },
        ConnectionUsage {
            id: "c3".into(),
            project: "p1".into(),
            usage: None,
            unknown: Some(usage::UsageUnknown {
                reason: UnknownReason::Forbidden,
                status: Some(403),
                message: "Usage unknown: no".into(),
            }),
        },
    ];
    let json: Value =
        serde_json::from_str(&render_usage_report(&verdicts, &usage, "json", NOW).unwrap())
            .unwrap();
    let first = &json["verdicts"][0];
    assert_eq!(first["lastUsed"], "2026-11-29T00:00:00Z");
    assert_eq!(first["jobs30d"], 1);
    assert_eq!(
        first["usedBy"][0],
        json!({"definitionId":1,"definitionName":"ci","planType":"build","lastRun":"2026-11-29T00:00:00Z","result":"succeeded"})
    );
    assert_eq!(first["usedBy"][1]["planType"], "release");
    assert_eq!(json["verdicts"][1]["usage"]["action"], "delete");
    assert_eq!(json["verdicts"][2]["lastUsed"], Value::Null);
    assert_eq!(json["verdicts"][2]["jobs30d"], Value::Null);
    assert_eq!(json["totals"]["usage"]["unknown"], 1);
    assert_eq!(json["totals"]["usage"]["unused90"], 1);

    let csv = render_usage_report(&verdicts, &usage, "csv", NOW).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(",lastUsed,usedBy,jobs30d,usage,usageAction"),
        "{header}"
    );
    assert!(
        csv.contains("2026-11-29T00:00:00Z,\"ci (build, 2026-11-29T00:00:00Z succeeded); deploy (release, 2026-10-01T00:00:00Z failed)\",1,used 1 day ago,convertAndWatch"),
        "{csv}"
    );
    assert!(
        csv.contains(",old name,") && !csv.contains("old\nname"),
        "a newline in a name never breaks a row (the engine's CSV rule)"
    );
    let md = render_usage_report(&verdicts, &usage, "markdown", NOW).unwrap();
    assert!(md.contains("| unused for 120 days |"), "{md}");
    assert!(md.contains("| usage unknown |"));
    assert!(render_usage_report(&verdicts, &usage, "sarif", NOW).is_err());
}

#[test]
fn service_text_is_cleaned_of_control_characters() {
    let records = parse_execution_history(&ok_json(&json!([{"data":{"planType":"Build",
        "definition":{"id":1,"name":"evil\u{1b}[2Jname\r\nx"},"result":"succeeded\u{7}"}}])))
    .unwrap();
    assert_eq!(
        records[0].definition_name.as_deref(),
        Some(r"evil\x1b[2Jname  x"),
        "the escape is shown, not run"
    );
    assert_eq!(records[0].result.as_deref(), Some(r"succeeded\x07"));
    let tasks = parse_timeline(&ok_json(
        &json!({"records":[{"type":"Task","task":{"name":"Azure\u{1b}FileCopy","version":"4\n"}}]}),
    ))
    .unwrap();
    assert_eq!(tasks[0].name, r"Azure\x1bFileCopy");
    assert_eq!(tasks[0].version.as_deref(), Some("4"));
}

#[test]
fn preflight_is_bounded() {
    let fake = Fake::at(NOW_MS, |_, _| Ok(history(&[])));
    let client = Client::new(&fake, api(), ClientOptions::default());
    let pf = block_on(preflight::preflight(&client, &targets(60), &|_, _| {}));
    assert_eq!(pf.connections.len(), preflight::MAX_CONNECTIONS);
    assert_eq!(pf.unchecked.len(), 60 - preflight::MAX_CONNECTIONS);
    assert_eq!(
        pf.unchecked[0],
        targets(60)[50].id,
        "the rest, in plan order"
    );
    assert_eq!(fake.log.borrow().len(), preflight::MAX_CONNECTIONS);
    assert!(pf.complete, "every checked one was read");
}

#[test]
fn gates_with_usage_are_the_union_in_order() {
    use federate_core::usage::ConnectionUsage;
    use federate_core::usage::report::{gate_failures_with_usage, unused_gate};
    let ep = |id: &str, draft: bool| {
        let scheme = if draft {
            "WorkloadIdentityFederation"
        } else {
            "ServicePrincipal"
        };
        json!({"id":id,"name":id,"type":"azurerm","authorization":{"scheme":scheme,"parameters":{"authenticationType":"spnKey"}},
            "data":{"creationMode":"Manual","isDraft":if draft {"true"} else {"false"}}})
    };
    let verdicts: Vec<Verdict> = [
        ep("d1", true),
        ep("old", false),
        ep("new", false),
        ep("d2", true),
    ]
    .iter()
    .map(verdict_of)
    .collect();
    let read = |id: &str, days| ConnectionUsage {
        id: id.into(),
        project: "p".into(),
        usage: Some(used_days_ago(days)),
        unknown: None,
    };
    let usage = vec![read("old", 120), read("new", 1), read("d1", 200)];
    let names = |gates: &[&str]| -> Vec<String> {
        let gates: Vec<String> = gates.iter().map(|g| (*g).to_owned()).collect();
        gate_failures_with_usage(&verdicts, &usage, &gates, NOW)
            .unwrap()
            .iter()
            .map(|v| v.name.clone().unwrap())
            .collect()
    };
    assert_eq!(names(&["draft"]), vec!["d1", "d2"]);
    assert_eq!(names(&["unused:90"]), vec!["d1", "old"]);
    assert_eq!(
        names(&["draft", "unused:90"]),
        vec!["d1", "old", "d2"],
        "each once, in order"
    );
    assert_eq!(names(&["unused:150"]), vec!["d1"]);
    assert_eq!(unused_gate("secret").unwrap(), None);
    assert!(unused_gate("unused:soon").is_err());
    assert!(gate_failures_with_usage(&verdicts, &usage, &["nope".to_owned()], NOW).is_err());
}
