//! Regression tests for the defects a review found in the job machine (each seen failing
//! before its fix): bounded resends after unreadable answers, retry after cancel and while
//! paused, what a cancelled job holds, the plan compared on every read that leads to a
//! send, step numbers after a restore, storage failures keyed to their batch, restoring a
//! journal with a torn last record, the relay's answer shape, and the header's policy bounds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_precision_loss
)]

mod common;

use common::sim::{Fault, ORG, PROJECT, Sim, connection};
use federate_core::api::{Api, OrgLocation, Response};
use federate_core::job::{Event, Final, Job, JobHeader, JobState, Record, Step, conflicts};
use federate_core::jobs::{Direction, PlanContext, plan_conversions};
use federate_core::model::Endpoint;
use serde_json::{Value, json};

fn eps(values: &[Value]) -> Vec<Endpoint> {
    values
        .iter()
        .map(|v| Endpoint::from_value(v.clone()).unwrap())
        .collect()
}

fn header_for(values: &[Value], concurrency: usize) -> JobHeader {
    let list = eps(values);
    let plan = plan_conversions(
        &list,
        &PlanContext {
            project: Some(PROJECT.into()),
            ..PlanContext::default()
        },
    );
    JobHeader::from_plan(
        "job-1",
        Direction::Convert,
        Api::new(&OrgLocation::parse(ORG).unwrap()),
        &plan,
        &list,
        concurrency,
        0.0,
    )
    .unwrap()
}

fn job_for(values: &[Value], concurrency: usize) -> Job {
    Job::start(header_for(values, concurrency)).unwrap()
}

fn id(i: usize) -> String {
    connection(i)["id"].as_str().unwrap().to_owned()
}

/// Performs every request step of one `next` against the sim and applies the answers.
fn pump(job: &mut Job, sim: &mut Sim, now: f64) -> Vec<Step> {
    let next = job.next(now);
    for s in &next.steps {
        if let Step::Send { step, request, .. }
        | Step::Read { step, request, .. }
        | Step::Poll { step, request, .. } = s
        {
            let ev = match sim.handle(request) {
                Ok(response) => Event::Answer {
                    step: *step,
                    response,
                },
                Err(why) => Event::Lost { step: *step, why },
            };
            job.apply(ev, now).unwrap();
        }
    }
    next.steps
}

/// Pumps until done or waiting for the user, following waits; returns the PUTs per id.
fn run(job: &mut Job, sim: &mut Sim, mut now: f64) -> f64 {
    for _ in 0..400 {
        for s in pump(job, sim, now) {
            match s {
                Step::WaitUntil { at_ms, .. }
                | Step::Paused {
                    resume_at_ms: Some(at_ms),
                    ..
                } => now = now.max(at_ms),
                _ => {}
            }
        }
        now += 10.0;
        if matches!(
            job.state(),
            JobState::Done
                | JobState::Paused {
                    resume_at: None,
                    ..
                }
        ) {
            break;
        }
    }
    now
}

#[test]
fn a_put_answered_with_an_unreadable_body_is_resent_a_bounded_number_of_times() {
    let limit = JobHeader::from_plan(
        "x",
        Direction::Convert,
        Api::new(&OrgLocation::parse(ORG).unwrap()),
        &plan_conversions(&[], &PlanContext::default()),
        &[],
        1,
        0.0,
    )
    .unwrap()
    .policy
    .retry
    .max_attempts as usize;
    for (status, body) in [
        (200u16, ""),
        (204, ""),
        (200, "null"),
        (200, "[1]"),
        (200, "not json"),
        // An object that is not the connection: decided at once (failed, not converted).
        (200, "{\"id\":5}"),
    ] {
        let values = vec![connection(0)];
        let mut sim = Sim::new(values.clone());
        let mut job = job_for(&values, 1);
        let mut puts = 0;
        let mut now = 0.0;
        for _ in 0..300 {
            for s in job.next(now).steps {
                match s {
                    // The PUT never reaches the sim: its answer is unreadable and it did not run.
                    Step::Send { step, .. } => {
                        puts += 1;
                        job.apply(
                            Event::Answer {
                                step,
                                response: Response::new(status, body),
                            },
                            now,
                        )
                        .unwrap();
                    }
                    Step::Read { step, request, .. } | Step::Poll { step, request, .. } => {
                        let response = sim.handle(&request).unwrap();
                        job.apply(Event::Answer { step, response }, now).unwrap();
                    }
                    Step::WaitUntil { at_ms, .. }
                    | Step::Paused {
                        resume_at_ms: Some(at_ms),
                        ..
                    } => now = at_ms,
                    _ => {}
                }
            }
            now += 10.0;
            if matches!(job.state(), JobState::Done) {
                break;
            }
        }
        let item = &job.view().items[0];
        assert!(
            puts <= limit + 1,
            "{status} {body:?}: {puts} PUTs for one connection (limit {limit})"
        );
        assert_eq!(item.outcome, Some(Final::Failed), "{status} {body:?}");
        assert!(
            body.starts_with('{')
                || item
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("could not be read")),
            "{status} {body:?}: {:?}",
            item.message
        );
        assert_eq!(*job.state(), JobState::Done);
    }
}

#[test]
fn a_retry_after_cancel_leaves_the_other_cancelled_items_cancelled() {
    let values: Vec<Value> = (0..2).map(connection).collect();
    let mut sim = Sim::new(values.clone());
    let mut job = job_for(&values, 2);
    // Both verify reads leave; only item 0's is answered, item 1's stays in flight.
    let mut held = None;
    for s in job.next(0.0).steps {
        if let Step::Read {
            step,
            request,
            item,
            ..
        } = s
        {
            if item == 0 {
                let response = sim.handle(&request).unwrap();
                job.apply(Event::Answer { step, response }, 0.0).unwrap();
            } else {
                held = Some((step, request));
            }
        }
    }
    // Item 0's PUT is refused (403).
    sim.faults = [Fault::Forbidden].into_iter().collect();
    for s in job.next(1.0).steps {
        if let Step::Send { step, request, .. } = s {
            let response = sim.handle(&request).unwrap();
            job.apply(Event::Answer { step, response }, 1.0).unwrap();
        }
    }
    assert_eq!(job.view().items[0].outcome, Some(Final::Forbidden));
    // The user cancels while item 1's read is in flight, then tries item 0 again.
    job.apply(Event::Cancel, 2.0).unwrap();
    job.apply(Event::Retry { id: id(0) }, 3.0).unwrap();
    let (step, request) = held.unwrap();
    let response = sim.handle(&request).unwrap();
    job.apply(Event::Answer { step, response }, 4.0).unwrap();
    let mut sent = Vec::new();
    let mut now = 5_000.0;
    for _ in 0..20 {
        for s in pump(&mut job, &mut sim, now) {
            if let Step::Send { id, .. } = s {
                sent.push(id);
            }
        }
        now += 1_000.0;
    }
    assert!(
        !sent.contains(&id(1)),
        "item 1 was cancelled by the user but its PUT went out"
    );
    assert_eq!(sent, vec![id(0)], "the retried item runs");
    assert_eq!(job.view().items[1].outcome, Some(Final::Cancelled));
    assert_eq!(sim.puts(&id(1)), 0);
}

#[test]
fn a_retry_while_paused_leaves_the_job_paused_and_runs_on_resume() {
    let values: Vec<Value> = (0..2).map(connection).collect();
    let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, Fault::Forbidden]);
    let mut job = job_for(&values, 1);
    pump(&mut job, &mut sim, 0.0);
    pump(&mut job, &mut sim, 1.0);
    assert_eq!(job.view().items[0].outcome, Some(Final::Forbidden));
    // Storage is full (the job pauses), then the user clicks "Try again" on item 0.
    job.apply(
        Event::StorageFailed {
            jobs: 1,
            kilobytes: 9_999,
            batch: None,
        },
        2.0,
    )
    .unwrap();
    assert!(matches!(job.state(), JobState::Paused { .. }));
    job.apply(Event::Retry { id: id(0) }, 3.0).unwrap();
    assert!(
        matches!(job.state(), JobState::Paused { .. }),
        "a retry un-paused a storage-full job: {:?}",
        job.state()
    );
    let steps = job.next(4.0).steps;
    assert!(
        matches!(steps[..], [Step::Paused { .. }]),
        "a paused job started requests: {steps:?}"
    );
    // On resume, the retried item is read again first.
    job.apply(Event::Resume, 5.0).unwrap();
    let steps = job.next(6.0).steps;
    assert!(
        matches!(&steps[..], [Step::Read { item: 0, .. }]),
        "{steps:?}"
    );
}

#[test]
fn a_cancelled_job_with_a_put_in_flight_still_holds_its_connection() {
    let values = vec![connection(0)];
    let mut sim = Sim::new(values.clone());
    let mut job = job_for(&values, 1);
    pump(&mut job, &mut sim, 0.0);
    let next = job.next(1.0);
    assert!(matches!(next.steps[0], Step::Send { .. }));
    job.apply(Event::Cancel, 2.0).unwrap();
    assert!(
        conflicts(&[id(0)], &[job.active()]).is_some(),
        "a second job may start on a connection whose PUT is still in flight"
    );
    // Once its answer is in, it holds nothing.
    let Step::Send { step, request, .. } = next.steps[0].clone() else {
        panic!()
    };
    let response = sim.handle(&request).unwrap();
    job.apply(Event::Answer { step, response }, 3.0).unwrap();
    assert!(job.active().ids.is_empty(), "{:?}", job.active());
}

/// Renames the connection and shares it with a second project, in the sim.
fn change(sim: &mut Sim) {
    let ep = sim.endpoints.get_mut(&id(0).to_ascii_lowercase()).unwrap();
    ep["name"] = json!("renamed");
    ep["isShared"] = json!(true);
    ep["serviceEndpointProjectReferences"]
        .as_array_mut()
        .unwrap()
        .push(json!({"projectReference": {"id": "184fda7e-3559-4b3c-afa0-1b6998330f84", "name": "Web"}, "name": "renamed"}));
}

#[test]
fn a_read_that_leads_to_a_send_compares_the_plan() {
    // After "another operation is in progress" (a recheck), and after a lost answer (a settle).
    for fault in [Fault::OtherOperation, Fault::LoseBefore] {
        let values = vec![connection(0)];
        let mut sim = Sim::new(values.clone()).with_faults([Fault::Ok, fault]);
        let mut job = job_for(&values, 1);
        pump(&mut job, &mut sim, 0.0); // verify
        pump(&mut job, &mut sim, 1.0); // PUT: not run
        change(&mut sim);
        if fault == Fault::LoseBefore {
            job.apply(Event::Resume, 2.0).unwrap();
        }
        run(&mut job, &mut sim, 2.0);
        let item = &job.view().items[0];
        assert_eq!(
            item.outcome,
            Some(Final::Skipped),
            "{fault:?}: sent a PUT built from a connection that changed since the plan"
        );
        assert!(!item.differences.is_empty(), "{fault:?}");
        assert_eq!(sim.puts(&id(0)), 1, "{fault:?}");
    }
}

#[test]
fn a_restored_job_never_takes_a_late_answer_for_a_new_step() {
    let values: Vec<Value> = (0..2).map(connection).collect();
    let mut sim = Sim::new(values.clone());
    let mut job = job_for(&values, 1);
    let mut stored = Vec::new();
    let n = job.next(0.0);
    stored.extend(n.records);
    let Step::Read { step, request, .. } = n.steps[0].clone() else {
        panic!()
    };
    let response = sim.handle(&request).unwrap();
    stored.extend(job.apply(Event::Answer { step, response }, 0.0).unwrap());
    // The PUT's `sent` is stored; the worker restarts before its answer arrives.
    let n = job.next(1.0);
    stored.extend(n.records);
    let Step::Send {
        step: old, request, ..
    } = n.steps[0].clone()
    else {
        panic!()
    };
    let late = sim.handle(&request).unwrap();
    let mut job = Job::restore(job.header().clone(), &stored).unwrap();
    // Settle read of item 0, then the verify read of item 1.
    let n = job.next(2.0);
    let Step::Read { step, request, .. } = n.steps[0].clone() else {
        panic!()
    };
    let response = sim.handle(&request).unwrap();
    job.apply(Event::Answer { step, response }, 2.0).unwrap();
    let n = job.next(3.0);
    let Step::Read { step, item: 1, .. } = n.steps[0].clone() else {
        panic!("{:?}", n.steps)
    };
    assert_ne!(
        step, old,
        "a step number of the run before the restore was reused"
    );
    // The old PUT's answer, relayed late to the new worker, is ignored.
    let out = job
        .apply(
            Event::Answer {
                step: old,
                response: late,
            },
            4.0,
        )
        .unwrap();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        job.view().items[1].outcome,
        None,
        "a stale answer decided item 1"
    );
}

#[test]
fn a_storage_failure_undoes_the_batch_it_names_even_after_other_events() {
    for named in [true, false] {
        let values: Vec<Value> = (0..2).map(connection).collect();
        let mut sim = Sim::new(values.clone());
        let mut job = job_for(&values, 2);
        // Both verify reads leave; item 1's answer is held.
        let mut held = None;
        for s in job.next(0.0).steps {
            if let Step::Read {
                step,
                request,
                item,
                ..
            } = s
            {
                if item == 0 {
                    let response = sim.handle(&request).unwrap();
                    job.apply(Event::Answer { step, response }, 0.0).unwrap();
                } else {
                    held = Some((step, request));
                }
            }
        }
        // The batch with item 0's PUT: its `sent` record cannot be stored...
        let next = job.next(1.0);
        assert!(matches!(next.steps[..], [Step::Send { item: 0, .. }]));
        // ...and item 1's answer is applied before the driver reports it.
        let (step, request) = held.take().unwrap();
        let response = sim.handle(&request).unwrap();
        job.apply(Event::Answer { step, response }, 1.5).unwrap();
        job.apply(
            Event::StorageFailed {
                jobs: 2,
                kilobytes: 9_000,
                batch: named.then_some(next.batch),
            },
            2.0,
        )
        .unwrap();
        let item = &job.view().items[0];
        assert_eq!(
            (item.status.as_str(), item.attempts),
            ("pending", 0),
            "named {named}: the PUT that never left is held as sent"
        );
        // On resume it is sent, as attempt 1.
        job.apply(Event::Resume, 3.0).unwrap();
        let next = job.next(4.0);
        assert!(
            next.records.iter().any(|r| matches!(
                r,
                Record::Sent {
                    item: 0,
                    attempt: 1,
                    ..
                }
            )),
            "named {named}: {:?}",
            next.records
        );
    }
}

#[test]
fn a_journal_with_a_torn_last_record_restores_and_one_torn_in_the_middle_does_not() {
    let values: Vec<Value> = (0..2).map(connection).collect();
    let mut sim = Sim::new(values.clone());
    let mut job = job_for(&values, 1);
    let mut stored = Vec::new();
    for t in 0..3 {
        let next = job.next(f64::from(t));
        stored.extend(next.records);
        for s in next.steps {
            if let Step::Read { step, request, .. } | Step::Send { step, request, .. } = s {
                let response = sim.handle(&request).unwrap();
                stored.extend(job.apply(Event::Answer { step, response }, 0.0).unwrap());
            }
        }
    }
    let mut values: Vec<Value> = stored
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    assert!(values.len() >= 2, "{values:?}");
    let whole = Job::restore_values(job.header().clone(), &values).unwrap();
    values.push(json!({"kind": "sen"}));
    let torn = Job::restore_values(job.header().clone(), &values).unwrap();
    assert_eq!(torn.view(), whole.view());
    values.insert(1, json!("garbage"));
    let err = Job::restore_values(job.header().clone(), &values)
        .expect_err("a bad record in the middle is an error");
    assert!(err.to_string().contains("record 2 of"), "{err}");
    // A time that is not a number is refused, nothing changed.
    assert!(job.apply(Event::Timer, f64::NAN).is_err());
    assert!(job.apply(Event::Pause, f64::INFINITY).is_err());
    assert_eq!(*job.state(), JobState::Running);
}

#[test]
fn an_answer_event_takes_the_relays_answer_as_is() {
    // Headers as a record, no `url`, no `opaqueRedirect`: what the relay resolves with.
    let event: Event = serde_json::from_value(json!({
        "type": "answer", "step": 3,
        "response": {"status": 429, "headers": {"Retry-After": "2"}, "body": ""}
    }))
    .unwrap();
    let Event::Answer { step: 3, response } = event else {
        panic!("{event:?}")
    };
    assert_eq!(response.header("retry-after"), Some("2"));
    assert_eq!(response.url, None);
    // Pairs still decode.
    let event: Event = serde_json::from_value(json!({
        "type": "answer", "step": 4,
        "response": {"status": 200, "headers": [["x-a", "1"]], "body": "{}", "url": null}
    }))
    .unwrap();
    assert!(matches!(event, Event::Answer { step: 4, .. }));
}

#[test]
fn the_header_bounds_its_policy() {
    let values = vec![connection(0)];
    let base = header_for(&values, 1);
    let mut zero_poll = base.clone();
    zero_poll.policy.poll.first_delay_ms = 0;
    let mut zero_attempts = base.clone();
    zero_attempts.policy.retry.max_attempts = 0;
    let mut huge_rounds = base.clone();
    huge_rounds.policy.in_progress_rounds = u32::MAX;
    for (what, header) in [
        ("firstDelayMs", zero_poll),
        ("maxAttempts", zero_attempts),
        ("inProgressRounds", huge_rounds),
    ] {
        let err = Job::start(header).expect_err(what);
        assert!(err.to_string().contains(what), "{what}: {err}");
    }
    assert!(Job::start(base).is_ok());
}

#[test]
fn a_connection_without_project_references_is_neither_convertible_nor_planned() {
    use federate_core::verdict::{Context, Status, classify};
    let mut v = connection(0);
    v["serviceEndpointProjectReferences"] = json!([]);
    let e = Endpoint::from_value(v).unwrap();
    let verdict = classify(
        &e,
        &Context {
            project_id: Some(PROJECT.into()),
            ..Context::default()
        },
    );
    let plan = plan_conversions(
        std::slice::from_ref(&e),
        &PlanContext {
            project: Some(PROJECT.into()),
            selected: Some(vec![id(0)]),
            allow_manual: false,
        },
    );
    assert!(plan.send.is_empty());
    assert_ne!(verdict.convertible.status, Status::Yes);
    assert!(
        verdict
            .convertible
            .reasons
            .iter()
            .any(|r| r.code == "noProject"),
        "{:?}",
        verdict.convertible.reasons
    );
}
