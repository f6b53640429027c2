//! The conversion job machine against a simulated Azure DevOps: outcomes, the journal,
//! restores between any two steps, pauses and their reasons, storage failures, plans, and a
//! property test over random fault schedules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_precision_loss
)]

mod common;

use common::sim::{self, Fault, ORG, PROJECT, Run, Script, Sim, connection, drive};
use federate_core::api::{Api, OrgLocation, Response};
use federate_core::convertibility::Action;
use federate_core::job::{
    ActiveJob, Event, Final, Job, JobHeader, JobState, Lost, PauseReason, ProjectRead, Record,
    Step, conflicts, plan_organization, plan_reverts,
};
use federate_core::jobs::{
    ConversionOutcome, Direction, PlanContext, SkipReason, conversion_outcome, plan_conversions,
};
use federate_core::model::Endpoint;
use proptest::prelude::*;
use serde_json::{Value, json};

fn eps(values: &[Value]) -> Vec<Endpoint> {
    values
        .iter()
        .map(|v| Endpoint::from_value(v.clone()).unwrap())
        .collect()
}

fn api() -> Api {
    Api::new(&OrgLocation::parse(ORG).unwrap())
}

/// A job converting connections `0..n` of [`PROJECT`].
fn job_for(values: &[Value], concurrency: usize) -> Job {
    let list = eps(values);
    let plan = plan_conversions(
        &list,
        &PlanContext {
            project: Some(PROJECT.into()),
            ..PlanContext::default()
        },
    );
    let header = JobHeader::from_plan(
        "job-1",
        Direction::Convert,
        api(),
        &plan,
        &list,
        concurrency,
        0.0,
    )
    .unwrap();
    Job::start(header).unwrap()
}

fn conns(n: usize) -> Vec<Value> {
    (0..n).map(connection).collect()
}

fn outcomes(job: &Job) -> Vec<Option<Final>> {
    job.view().items.iter().map(|i| i.outcome).collect()
}

fn id(i: usize) -> String {
    connection(i)["id"].as_str().unwrap().to_owned()
}

#[test]
fn converts_every_item_once_and_reads_before_sending() {
    let values = conns(5);
    let mut sim = Sim::new(values.clone());
    let run = drive(job_for(&values, 2), &mut sim, Script::default());
    assert_eq!(*run.job.state(), JobState::Done);
    assert!(
        outcomes(&run.job)
            .iter()
            .all(|o| *o == Some(Final::Converted))
    );
    for i in 0..5 {
        assert_eq!(sim.puts(&id(i)), 1);
        assert_eq!(sim.scheme_of(&id(i)), "WorkloadIdentityFederation");
        // The verifying GET comes before the PUT.
        let first = sim.log.iter().position(|s| s.id == id(i)).unwrap();
        assert_eq!(sim.log[first].method, "GET");
    }
    let view = run.job.view();
    assert_eq!(view.counts.get("converted"), Some(&5));
    assert_eq!(view.exit_code, 0);
    let item = &view.items[0];
    assert_eq!(
        item.revert_deadline.as_deref(),
        Some("2030-01-01T00:00:00Z")
    );
    assert!(item.issuer.as_deref().unwrap().starts_with("https://login"));
    // One `sent` record per PUT.
    assert_eq!(run.stored.iter().filter(|r| r.is_sent()).count(), 5);
}

#[test]
fn concurrency_bounds_the_steps_in_flight() {
    let mut job = job_for(&conns(10), 3);
    let next = job.next(0.0);
    assert_eq!(next.steps.len(), 3);
    // Nothing more while three are in flight.
    assert!(job.next(1.0).steps.is_empty());
}

#[test]
fn every_outcome_has_its_word() {
    // (fault on the PUT, outcome, whether the inventory's row must be read again)
    let cases = [
        (Fault::Accepted, Final::Converted, true),
        (Fault::Manual, Final::ManualRequired, false),
        (Fault::Forbidden, Final::Forbidden, false),
    ];
    for (fault, want, refresh) in cases {
        let values = conns(1);
        // The verifying read answers normally; the PUT gets the fault.
        let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, fault]);
        let run = drive(job_for(&values, 1), &mut sim, Script::default());
        assert_eq!(outcomes(&run.job), vec![Some(want)], "{fault:?}");
        assert_eq!(sim.puts(&id(0)), 1, "{fault:?}");
        // The engine, not the panel, says which rows are out of date after the job.
        assert_eq!(run.job.view().items[0].refresh, refresh, "{fault:?}");
    }
    let view_forbidden = {
        let values = conns(1);
        let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::Forbidden]);
        drive(job_for(&values, 1), &mut sim, Script::default())
            .job
            .view()
    };
    assert!(
        view_forbidden.items[0]
            .message
            .as_deref()
            .unwrap()
            .contains("Administrator")
    );
    assert_eq!(view_forbidden.exit_code, 1);
}

#[test]
fn a_lost_answer_is_settled_by_a_read_never_resent() {
    // Applied, then the answer is lost: the read shows it converted.
    let values = conns(1);
    let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::LoseAfter]);
    let run = drive(
        job_for(&values, 1),
        &mut sim,
        Script {
            user_resumes: 0,
            ..Script::default()
        },
    );
    assert_eq!(outcomes(&run.job), vec![Some(Final::Converted)]);
    assert_eq!(sim.puts(&id(0)), 1);
    // Not applied, answer lost: the read shows it unchanged, so it is sent once more.
    let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::LoseBefore]);
    let run = drive(job_for(&values, 1), &mut sim, Script::default());
    assert_eq!(outcomes(&run.job), vec![Some(Final::Converted)]);
    assert_eq!(sim.puts(&id(0)), 2);
    let kinds: Vec<(String, bool)> = sim
        .log
        .iter()
        .map(|s| (s.method.clone(), s.unchanged))
        .collect();
    assert_eq!(
        kinds,
        [
            ("GET".to_owned(), true),
            ("PUT".to_owned(), false),
            ("GET".to_owned(), true),
            ("PUT".to_owned(), false)
        ]
    );
}

#[test]
fn a_server_error_after_a_put_pauses_and_the_resume_reads_first() {
    let values = conns(1);
    let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::ServerAfterApply]);
    let run = drive(job_for(&values, 1), &mut sim, Script::default());
    let JobState::Paused { reason, resume_at } = run.job.state() else {
        panic!("{:?}", run.job.state())
    };
    assert_eq!(*reason, PauseReason::Server { status: 500 });
    assert_eq!(*resume_at, None, "a server error waits for the user");
    let run = drive(
        run.job,
        &mut sim,
        Script {
            user_resumes: 1,
            ..Script::default()
        },
    );
    assert_eq!(outcomes(&run.job), vec![Some(Final::Converted)]);
    assert_eq!(sim.puts(&id(0)), 1, "settled by the read, not sent again");
}

/// Regression (issue 10): closing the tab paused the job as `network`, which resumed by
/// itself a second later and looped for as long as the worker lived. A closed tab now
/// pauses with its own reason and waits for the user.
#[test]
fn tab_gone_pauses_once_and_waits_for_the_user() {
    let values = conns(3);
    let mut sim = Sim::new(values.clone()).with_faults([Fault::TabGone; 50]);
    let run = drive(job_for(&values, 3), &mut sim, Script::default());
    let JobState::Paused { reason, resume_at } = run.job.state().clone() else {
        panic!()
    };
    assert_eq!(reason, PauseReason::TabGone);
    assert_eq!(resume_at, None);
    assert_eq!(sim.log.len(), 3, "the three reads in flight, nothing after");
    assert_eq!(
        run.job.view().pause.unwrap().message,
        "The Azure DevOps tab was closed. Open the organization in a tab, then resume from it."
    );
    // Asked again much later: still paused, nothing to send, nothing recorded.
    let mut job = run.job;
    let next = job.next(1e12);
    assert!(next.records.is_empty());
    assert!(matches!(
        next.steps[..],
        [Step::Paused {
            resume_at_ms: None,
            ..
        }]
    ));
}

#[test]
fn network_pauses_resume_by_themselves_a_bounded_number_of_times() {
    let values = conns(1);
    let mut sim = Sim::new(values.clone()).with_faults([Fault::LoseBefore; 200]);
    let run = drive(job_for(&values, 1), &mut sim, Script::default());
    let JobState::Paused { reason, resume_at } = run.job.state().clone() else {
        panic!()
    };
    assert_eq!(reason, PauseReason::Network);
    assert_eq!(resume_at, None, "it stopped resuming by itself");
    let auto = run
        .stored
        .iter()
        .filter(|r| matches!(r, Record::Resumed { auto: true, .. }))
        .count();
    assert_eq!(auto, 5);
    assert!(sim.log.len() < 60, "{} requests", sim.log.len());
}

/// Regression (issue 10): Pause and Cancel did not stop a PUT the engine was retrying
/// after a 429. Now the job waits for the rate limit itself, and a pause or a cancel
/// applied during the wait means nothing more is sent.
#[test]
fn pause_and_cancel_stop_a_throttled_put() {
    for cancel in [false, true] {
        let values = conns(1);
        let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::Throttle]);
        let mut job = job_for(&values, 1);
        let mut now = 0.0;
        // Verify, then the PUT gets 429.
        for _ in 0..2 {
            let next = job.next(now);
            for step in next.steps {
                if let Step::Read { step, request, .. } | Step::Send { step, request, .. } = step {
                    let response = sim.handle(&request).unwrap();
                    job.apply(Event::Answer { step, response }, now).unwrap();
                }
            }
            now += 10.0;
        }
        assert_eq!(sim.puts(&id(0)), 1);
        let next = job.next(now);
        assert!(
            matches!(next.steps[..], [Step::WaitUntil { at_ms, .. }] if at_ms >= now + 1_900.0),
            "{next:?}"
        );
        job.apply(if cancel { Event::Cancel } else { Event::Pause }, now)
            .unwrap();
        // Long after the wait: nothing is sent.
        let next = job.next(now + 60_000.0);
        assert!(
            next.steps
                .iter()
                .all(|s| matches!(s, Step::Paused { .. } | Step::Done)),
            "{next:?}"
        );
        assert_eq!(sim.puts(&id(0)), 1);
        if cancel {
            assert_eq!(outcomes(&job), vec![Some(Final::Cancelled)]);
        }
    }
}

/// Regression (issue 10): a revert answered "neither an upgrade or a downgrade" was
/// reported as `alreadyFederated`.
#[test]
fn a_revert_answered_neither_is_not_already_federated() {
    let resp = Response::new(
        400,
        json!({"message": "Converting endpoint type azurerm scheme from ServicePrincipal to ServicePrincipal is neither an upgrade or a downgrade and is not supported."}).to_string(),
    );
    let out = conversion_outcome(&resp, Direction::Revert);
    assert!(
        !matches!(out, ConversionOutcome::AlreadyFederated { .. }),
        "{out:?}"
    );
    assert!(matches!(
        conversion_outcome(&resp, Direction::Convert),
        ConversionOutcome::AlreadyFederated { .. }
    ));
    // In a revert job: failed, with the service's words.
    let mut value = connection(0);
    value["authorization"]["scheme"] = json!("WorkloadIdentityFederation");
    let list = eps(&[value.clone()]);
    let plan = plan_reverts(&list, &[id(0)]);
    let header = JobHeader::from_plan("r", Direction::Revert, api(), &plan, &list, 1, 0.0).unwrap();
    let mut job = Job::start(header).unwrap();
    let Step::Read { step, .. } = job.next(0.0).steps[0].clone() else {
        panic!()
    };
    job.apply(
        Event::Answer {
            step,
            response: Response::new(200, value.to_string()),
        },
        1.0,
    )
    .unwrap();
    let Step::Send { step, .. } = job.next(1.0).steps[0].clone() else {
        panic!()
    };
    job.apply(
        Event::Answer {
            step,
            response: resp,
        },
        2.0,
    )
    .unwrap();
    assert_eq!(outcomes(&job), vec![Some(Final::Failed)]);
}

/// Regression (issue 10): nothing stopped two jobs from converting the same connection.
#[test]
fn a_second_job_on_the_same_connection_is_refused() {
    let job = job_for(&conns(3), 1);
    let active = vec![job.active()];
    let conflict = conflicts(&[id(5), id(2).to_uppercase()], &active).unwrap();
    assert_eq!(conflict.job_id, "job-1");
    assert_eq!(conflict.ids, vec![id(2)]);
    assert!(conflict.message.contains("job-1"));
    assert!(conflicts(&[id(5)], &active).is_none());
    // A finished job holds nothing.
    let values = conns(1);
    let mut sim = Sim::new(values.clone());
    let run = drive(job_for(&values, 1), &mut sim, Script::default());
    assert!(conflicts(&[id(0)], &[run.job.active()]).is_none());
    assert!(
        conflicts(
            &[id(0)],
            &[ActiveJob {
                id: "x".into(),
                ids: vec![]
            }]
        )
        .is_none()
    );
}

/// Regression (issue 10): a job converted connections that were not in the confirmed plan
/// (the worker planned again). The job runs only its header, and a connection that changed
/// since the plan is not sent: the difference is shown.
#[test]
fn a_connection_changed_since_the_plan_is_not_sent() {
    let values = conns(2);
    let job = job_for(&values, 1);
    let mut changed = values.clone();
    changed[1]["isShared"] = json!(true);
    changed[1]["name"] = json!("renamed");
    // A connection never planned, in the same project.
    changed.push(connection(7));
    let mut sim = Sim::new(changed);
    let run = drive(job, &mut sim, Script::default());
    assert_eq!(
        outcomes(&run.job),
        vec![Some(Final::Converted), Some(Final::Skipped)]
    );
    assert_eq!(sim.puts(&id(1)), 0);
    assert_eq!(sim.log.iter().filter(|s| s.id == id(7)).count(), 0);
    let item = &run.job.view().items[1];
    let fields: Vec<&str> = item.differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["name", "isShared"]);
    assert!(
        item.message
            .as_deref()
            .unwrap()
            .contains("conn-1 → renamed")
    );
}

#[test]
fn storage_refused_pauses_with_the_numbers_and_sends_nothing() {
    let values = conns(2);
    let mut sim = Sim::new(values.clone());
    // Batch 0 holds the reads; batch 1 the PUTs with their `sent` records.
    let run = drive(
        job_for(&values, 2),
        &mut sim,
        Script {
            storage_fails_at: Some(1),
            ..Script::default()
        },
    );
    assert_eq!(sim.log.iter().filter(|s| s.method == "PUT").count(), 0);
    let view = run.job.view();
    let pause = view.pause.unwrap();
    assert_eq!(pause.kind, "storageFull");
    assert!(
        pause
            .message
            .starts_with("Browser storage is full: 3 jobs, 9800 KB; export and clear History"),
        "{}",
        pause.message
    );
    // Storage freed, the user resumes: each is converted once.
    let run = drive(
        run.job,
        &mut sim,
        Script {
            user_resumes: 1,
            ..Script::default()
        },
    );
    assert!(
        outcomes(&run.job)
            .iter()
            .all(|o| *o == Some(Final::Converted))
    );
    assert_eq!(sim.puts(&id(0)), 1);
    assert_eq!(sim.puts(&id(1)), 1);
}

#[test]
fn restored_between_any_two_steps_it_finishes_the_same() {
    let faults = [
        Fault::Ok,
        Fault::Throttle,
        Fault::Ok,
        Fault::Accepted,
        Fault::Ok,
        Fault::LoseAfter,
        Fault::Ok,
        Fault::OtherOperation,
    ];
    let values = conns(4);
    let mut plain = Sim::new(values.clone()).with_faults(faults);
    let a = drive(job_for(&values, 2), &mut plain, Script::default());
    let mut restarted = Sim::new(values.clone()).with_faults(faults);
    let b = drive(
        job_for(&values, 2),
        &mut restarted,
        Script {
            restore_every_batch: true,
            ..Script::default()
        },
    );
    assert_eq!(outcomes(&a.job), outcomes(&b.job));
    assert!(
        outcomes(&b.job)
            .iter()
            .all(|o| *o == Some(Final::Converted))
    );
    for i in 0..4 {
        assert_eq!(restarted.scheme_of(&id(i)), "WorkloadIdentityFederation");
    }
    // A crash with requests in flight, at every batch in turn.
    for crash in 0..12 {
        let mut sim = Sim::new(values.clone()).with_faults(faults);
        let run = drive(
            job_for(&values, 2),
            &mut sim,
            Script {
                crash_at: Some(crash),
                ..Script::default()
            },
        );
        assert!(
            outcomes(&run.job)
                .iter()
                .all(|o| *o == Some(Final::Converted)),
            "crash at {crash}: {:?}",
            outcomes(&run.job)
        );
        for i in 0..4 {
            assert_single_conversion(&sim, &id(i));
        }
    }
}

/// No second PUT for a connection unless something after the first showed it did not run:
/// its own answer (429, 401, in progress, refusals), or a read that found it unchanged.
fn assert_single_conversion(sim: &Sim, id: &str) {
    let mut last_put: Option<&sim::Seen> = None;
    let mut read_unchanged = false;
    let mut applied = false;
    for s in sim.log.iter().filter(|s| s.id == id) {
        if s.method == "PUT" {
            assert!(!applied, "{id}: a PUT after one that was applied");
            if let Some(prev) = last_put {
                assert!(
                    (prev.delivered && prev.not_run) || read_unchanged,
                    "{id}: a second PUT without a sign the first did not run"
                );
            }
            applied |= s.applied;
            last_put = Some(s);
            read_unchanged = false;
        } else if s.delivered && s.unchanged {
            read_unchanged = true;
        }
    }
}

#[test]
fn retry_an_item_reads_again_and_sends() {
    let values = conns(1);
    let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::Manual]);
    let run = drive(job_for(&values, 1), &mut sim, Script::default());
    assert_eq!(outcomes(&run.job), vec![Some(Final::ManualRequired)]);
    assert!(run.job.view().items[0].can_retry);
    let mut job = run.job;
    assert!(job.apply(Event::Retry { id: "nope".into() }, 0.0).is_err());
    job.apply(
        Event::Retry {
            id: id(0).to_uppercase(),
        },
        0.0,
    )
    .unwrap();
    let run = drive(job, &mut sim, Script::default());
    assert_eq!(outcomes(&run.job), vec![Some(Final::Converted)]);
    assert_eq!(sim.puts(&id(0)), 2);
}

#[test]
fn a_failed_conversion_is_planned_as_try_again() {
    let mut v = connection(0);
    v["operationStatus"] = json!({"state": "Failed", "statusMessage": "converting_scheme_failed"});
    let list = eps(&[v]);
    let plan = plan_conversions(
        &list,
        &PlanContext {
            project: Some(PROJECT.into()),
            ..PlanContext::default()
        },
    );
    assert_eq!(plan.send.len(), 1);
    assert_eq!(plan.send[0].action, Action::TryAgain);
    assert!(plan.send[0].notes[0].contains("converting_scheme_failed"));
}

#[test]
fn organization_plan_groups_by_owner_and_plans_each_connection_once() {
    let ops = "c7e5f0b3-71fa-4429-9fb3-3321963a7c06";
    let web = "184fda7e-3559-4b3c-afa0-1b6998330f84";
    let mut shared = connection(1);
    shared["isShared"] = json!(true);
    shared["serviceEndpointProjectReferences"]
        .as_array_mut()
        .unwrap()
        .push(json!({"projectReference": {"id": web, "name": "Web"}, "name": "conn-1"}));
    let mut web_own = connection(2);
    web_own["serviceEndpointProjectReferences"] =
        json!([{"projectReference": {"id": web, "name": "Web"}, "name": "conn-2"}]);
    let groups = vec![
        ProjectRead {
            project: ops.into(),
            selected: None,
            also: vec![],
            endpoints: eps(&[connection(0), shared.clone()]),
        },
        ProjectRead {
            project: web.into(),
            selected: None,
            also: vec![],
            endpoints: eps(&[shared.clone(), web_own.clone()]),
        },
    ];
    // Not ticked: the shared one is skipped once, from its owner.
    let plan = plan_organization(&groups, false);
    let sent: Vec<&str> = plan.send.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(sent, [id(0).as_str(), id(2).as_str()]);
    assert_eq!(plan.send[1].project, web);
    assert_eq!(plan.send[1].project_name.as_deref(), Some("Web"));
    assert_eq!(plan.skip.len(), 1);
    assert_eq!(plan.skip[0].reason, SkipReason::SharedNotSelected);
    assert_eq!(plan.skip[0].project.as_deref(), Some(ops));
    // Ticked: sent from its owner, once.
    let mut ticked = groups.clone();
    ticked[0].also = vec![id(1)];
    let plan = plan_organization(&ticked, false);
    let sent: Vec<&str> = plan.send.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(sent, [id(0).as_str(), id(1).as_str(), id(2).as_str()]);
    assert_eq!(plan.send[1].project, ops);
    assert!(plan.skip.is_empty());
    // A ticked id its owner does not list: not found.
    let mut gone = groups;
    gone[1].selected = Some(vec![id(9)]);
    let plan = plan_organization(&gone, false);
    assert!(
        plan.skip
            .iter()
            .any(|s| s.id == id(9) && s.reason == SkipReason::NotFound)
    );
}

#[test]
fn revert_plan_finds_the_selection() {
    let list = eps(&[connection(0)]);
    let plan = plan_reverts(&list, &[id(0), "missing".into()]);
    assert_eq!(plan.send.len(), 1);
    assert_eq!(plan.send[0].project, PROJECT);
    assert_eq!(plan.skip[0].reason, SkipReason::NotFound);
}

#[test]
fn records_stay_small_whatever_the_job_length() {
    let sizes: Vec<usize> = [10, 1_000]
        .iter()
        .map(|&n| {
            let values = conns(n);
            let mut sim = Sim::new(values.clone());
            let run = drive(job_for(&values, 16), &mut sim, Script::default());
            let bytes: usize = run
                .stored
                .iter()
                .map(|r| serde_json::to_string(r).unwrap().len())
                .sum();
            let header = serde_json::to_string(run.job.header()).unwrap().len();
            eprintln!(
                "{n} items: {} records ({:.1} per item), {} bytes of records per item, header {} bytes per item",
                run.stored.len(),
                run.stored.len() as f64 / n as f64,
                bytes / n,
                header / n
            );
            bytes / n
        })
        .collect();
    assert!(sizes[1] <= sizes[0] + 8, "bytes per item {sizes:?}");
    assert!(sizes[1] < 1_000, "bytes per item {sizes:?}");
}

#[test]
fn a_bad_journal_is_an_error_not_a_panic() {
    let job = job_for(&conns(1), 1);
    let header = job.header().clone();
    let bad = Record::Verified { at: 0.0, item: 5 };
    assert!(Job::restore(header.clone(), &[bad]).is_err());
    let mut h = header;
    h.concurrency = 0;
    assert!(Job::start(h).is_err());
}

// ---------------------------------------------------------------------------------------
// The property test

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::Ok),
        1 => Just(Fault::Accepted),
        1 => Just(Fault::Manual),
        1 => Just(Fault::Forbidden),
        2 => Just(Fault::Throttle),
        1 => Just(Fault::Server),
        1 => Just(Fault::ServerAfterApply),
        1 => Just(Fault::LoseBefore),
        1 => Just(Fault::LoseAfter),
        1 => Just(Fault::OtherOperation),
        1 => Just(Fault::TabGone),
        1 => Just(Fault::SignedOut),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn jobs_hold_their_rules_under_random_faults(
        faults in proptest::collection::vec(fault(), 0..40),
        n in 1usize..6,
        concurrency in 1usize..4,
        restore in any::<bool>(),
        reverse in any::<bool>(),
        crash_at in proptest::option::of(0usize..10),
        storage_fails_at in proptest::option::of(0usize..10),
        stop in proptest::option::of((0usize..10, any::<bool>())),
        user_resumes in 0u32..4,
        changed in proptest::option::of(0usize..6),
    ) {
        let values = conns(n);
        let job = job_for(&values, concurrency);
        let mut served = values.clone();
        served.push(connection(99));
        if let Some(c) = changed.filter(|c| *c < n) {
            served[c]["isDisabled"] = json!(true);
        }
        let mut sim = Sim::new(served).with_faults(faults);
        let (pause_at, cancel_at) = match stop {
            Some((at, true)) => (None, Some(at)),
            Some((at, false)) => (Some(at), None),
            None => (None, None),
        };
        let Run { job, stored, sends_after_stop, .. } = drive(job, &mut sim, Script {
            restore_every_batch: restore,
            storage_fails_at,
            pause_at,
            cancel_at,
            reverse,
            user_resumes,
            crash_at,
        });
        let planned: Vec<String> = (0..n).map(id).collect();
        // Only connections of the confirmed plan are ever sent, or even read.
        for s in &sim.log {
            prop_assert!(planned.contains(&s.id), "{} is not planned", s.id);
        }
        // No second conversion unless the first was shown not to have run.
        for i in &planned {
            assert_single_conversion(&sim, i);
        }
        // After the user's pause (until a resume) or cancel: no send.
        prop_assert_eq!(sends_after_stop, 0);
        // Every item ends, or the job is paused with a reason.
        let view = job.view();
        match job.state() {
            JobState::Done | JobState::Cancelled => {
                prop_assert!(view.items.iter().all(|i| i.outcome.is_some()), "{:?}", view.items);
            }
            JobState::Paused { .. } => prop_assert!(view.pause.is_some()),
            JobState::Running => prop_assert!(false, "the driver stopped a running job"),
        }
        // The journal agrees with the simulator: one `sent` record per PUT received, and
        // every converted item is converted there.
        for (k, i) in planned.iter().enumerate() {
            let sent = stored.iter().filter(|r| r.is_sent() && r.item() == Some(k)).count();
            prop_assert_eq!(sent, sim.puts(i), "{}", i);
            let there = sim.scheme_of(i) == "WorkloadIdentityFederation";
            match view.items[k].outcome {
                Some(Final::Converted) => prop_assert!(there),
                Some(Final::Skipped | Final::ManualRequired | Final::Forbidden) => {
                    prop_assert!(!there);
                }
                _ => {}
            }
            if changed == Some(k) {
                prop_assert_eq!(sim.puts(i), 0);
            }
        }
        // The stored journal restores to the same view.
        let again = sim::restored(&job, &stored);
        let a: Vec<_> = again.view().items.iter().map(|i| i.outcome).collect();
        let b: Vec<_> = view.items.iter().map(|i| i.outcome).collect();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn lost_answers_of_a_stale_step_are_ignored() {
    let mut job = job_for(&conns(1), 1);
    let Step::Read { step, .. } = job.next(0.0).steps[0].clone() else {
        panic!()
    };
    let records = job
        .apply(
            Event::Lost {
                step: step + 100,
                why: Lost::TabGone,
            },
            0.0,
        )
        .unwrap();
    assert!(records.is_empty());
    assert_eq!(*job.state(), JobState::Running);
}
