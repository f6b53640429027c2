//! A simulated Azure DevOps for the job tests: it holds service connections, applies
//! scheme-change PUTs as the service does (the body must be the connection as read with
//! only the scheme changed), and answers each request as a fault schedule says: 200, 202
//! (then in progress for a few reads), 400 (manual, in progress), 403, 429, 5xx, or no
//! answer before or after applying, a closed tab, a sign-out. It keeps a record of every
//! request, to compare with the job's journal.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, VecDeque};

use federate_core::api::{Request, Response};
use federate_core::job::{Event, Job, Lost, Next, Record, Step};
use serde_json::{Value, json};

/// What the simulator does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally.
    Ok,
    /// A PUT answered 202: the conversion runs in the background for 2 reads.
    Accepted,
    /// 400 "could not be upgraded" (a PUT), not applied.
    Manual,
    /// 403, not applied.
    Forbidden,
    /// 429 with `Retry-After: 2`, not applied.
    Throttle,
    /// 503, not applied.
    Server,
    /// 500 after applying (a PUT).
    ServerAfterApply,
    /// No answer, nothing applied.
    LoseBefore,
    /// Applied, then no answer.
    LoseAfter,
    /// 400 "another operation is already in progress", not applied.
    OtherOperation,
    /// The tab is gone: no answer, nothing applied.
    TabGone,
    /// 401, nothing applied.
    SignedOut,
}

/// One request the simulator received.
#[allow(clippy::struct_excessive_bools)] // one flag per fact the tests check
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub method: String,
    pub id: String,
    /// A PUT that changed the connection.
    pub applied: bool,
    /// The job got an answer.
    pub delivered: bool,
    /// For PUTs: the answer said it did not run (429, 401, in progress, 400, 403).
    pub not_run: bool,
    /// For GETs: the connection was on its old scheme and idle.
    pub unchanged: bool,
}

pub struct Sim {
    pub endpoints: BTreeMap<String, Value>,
    /// Reads left before a background conversion ends, by id.
    pending: BTreeMap<String, u32>,
    pub faults: VecDeque<Fault>,
    pub log: Vec<Seen>,
}

pub const PROJECT: &str = "c7e5f0b3-71fa-4429-9fb3-3321963a7c06";
pub const ORG: &str = "https://dev.azure.com/contoso";

/// An automatic secret-based Azure Resource Manager connection of [`PROJECT`].
pub fn connection(i: usize) -> Value {
    json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "name": format!("conn-{i}"), "type": "azurerm",
        "url": "https://management.azure.com/",
        "authorization": {"scheme": "ServicePrincipal", "parameters": {"authenticationType": "spnKey", "tenantid": "t", "serviceprincipalid": "s", "serviceprincipalkey": null}},
        "data": {"creationMode": "Automatic", "subscriptionId": "sub"}, "isShared": false, "isReady": true,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": PROJECT, "name": "Ops"}, "name": format!("conn-{i}")}]})
}

fn scheme(v: &Value) -> String {
    v["authorization"]["scheme"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn strip(mut v: Value) -> Value {
    if let Some(a) = v.get_mut("authorization").and_then(Value::as_object_mut) {
        a.remove("scheme");
    }
    if let Some(d) = v.get_mut("data").and_then(Value::as_object_mut) {
        d.remove("revertSchemeDeadline");
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("operationStatus");
    }
    v
}

fn error(status: u16, message: &str) -> Response {
    Response::new(status, json!({"message": message}).to_string())
}

impl Sim {
    pub fn new(endpoints: impl IntoIterator<Item = Value>) -> Self {
        Self {
            endpoints: endpoints
                .into_iter()
                .map(|v| (v["id"].as_str().unwrap().to_ascii_lowercase(), v))
                .collect(),
            pending: BTreeMap::new(),
            faults: VecDeque::new(),
            log: Vec::new(),
        }
    }

    pub fn with_faults(mut self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.faults = faults.into_iter().collect();
        self
    }

    pub fn scheme_of(&self, id: &str) -> String {
        scheme(&self.endpoints[&id.to_ascii_lowercase()])
    }

    pub fn puts(&self, id: &str) -> usize {
        self.log
            .iter()
            .filter(|s| s.method == "PUT" && s.id.eq_ignore_ascii_case(id))
            .count()
    }

    fn id_of(url: &str) -> String {
        let path = url.split('?').next().unwrap_or_default();
        path.rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    fn apply(&mut self, id: &str, body: &Value, background: bool) -> Result<Value, Response> {
        let Some(current) = self.endpoints.get(id).cloned() else {
            return Err(error(404, "not found"));
        };
        let target = scheme(body);
        if target.eq_ignore_ascii_case(&scheme(&current)) {
            return Err(error(
                400,
                &format!(
                    "Converting endpoint type azurerm scheme from {target} to {target} is neither an upgrade or a downgrade and is not supported."
                ),
            ));
        }
        if strip(body.clone()) != strip(current.clone()) {
            return Err(error(400, "Properties cannot be changed"));
        }
        let mut next = current;
        if background {
            next["operationStatus"] =
                json!({"state": "InProgress", "statusMessage": "converting_scheme"});
            self.pending.insert(id.to_owned(), 2);
        } else {
            Self::finish(&mut next, &target);
        }
        self.endpoints.insert(id.to_owned(), next.clone());
        Ok(next)
    }

    fn finish(ep: &mut Value, target: &str) {
        ep["authorization"]["scheme"] = json!(target);
        if let Some(o) = ep.as_object_mut() {
            o.remove("operationStatus");
        }
        if target == "WorkloadIdentityFederation" {
            ep["authorization"]["parameters"]["workloadIdentityFederationIssuer"] =
                json!("https://login.microsoftonline.com/t/v2.0");
            ep["authorization"]["parameters"]["workloadIdentityFederationSubject"] =
                json!("/eid1/c/pub/t/x/sc/y");
            ep["data"]["revertSchemeDeadline"] = json!("2030-01-01T00:00:00Z");
        } else if let Some(d) = ep["data"].as_object_mut() {
            d.remove("revertSchemeDeadline");
        }
    }

    /// Answers one request: `Ok(response)` or `Err(lost)`.
    pub fn handle(&mut self, req: &Request) -> Result<Response, Lost> {
        let fault = self.faults.pop_front().unwrap_or(Fault::Ok);
        let id = Self::id_of(&req.url);
        let put = req.method == "PUT";
        let mut seen = Seen {
            method: req.method.clone(),
            id: id.clone(),
            applied: false,
            delivered: true,
            not_run: false,
            unchanged: false,
        };
        let result = match fault {
            Fault::Throttle => {
                seen.not_run = true;
                Ok(error(429, "TF400733: rate limited").with_header("Retry-After", "2"))
            }
            Fault::Server => Ok(error(503, "Service Unavailable")),
            Fault::LoseBefore => Err(Lost::Network {
                message: "reset".into(),
            }),
            Fault::TabGone => Err(Lost::TabGone),
            Fault::SignedOut => {
                seen.not_run = true;
                Ok(Response::new(401, ""))
            }
            Fault::Forbidden => {
                seen.not_run = true;
                Ok(error(403, "Access denied"))
            }
            Fault::Manual if put => {
                seen.not_run = true;
                Ok(error(
                    400,
                    "The service connection could not be upgraded: add a federated credential",
                ))
            }
            Fault::OtherOperation if put => {
                seen.not_run = true;
                Ok(error(
                    400,
                    "Another operation is already in progress on this service connection.",
                ))
            }
            _ if put => {
                let body: Value =
                    serde_json::from_str(req.body.as_deref().unwrap_or("null")).unwrap();
                match self.apply(&id, &body, fault == Fault::Accepted) {
                    Ok(ep) => {
                        seen.applied = true;
                        match fault {
                            Fault::LoseAfter => Err(Lost::Network {
                                message: "reset".into(),
                            }),
                            Fault::ServerAfterApply => Ok(error(500, "Internal error")),
                            Fault::Accepted => Ok(Response::new(202, ep.to_string())),
                            _ => Ok(Response::new(200, ep.to_string())),
                        }
                    }
                    Err(resp) => {
                        seen.not_run = true;
                        Ok(resp)
                    }
                }
            }
            _ => {
                // A read: a background conversion ends after a few of them.
                if let Some(left) = self.pending.get_mut(&id) {
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        self.pending.remove(&id);
                        if let Some(ep) = self.endpoints.get_mut(&id) {
                            Self::finish(ep, "WorkloadIdentityFederation");
                        }
                    }
                }
                match self.endpoints.get(&id) {
                    Some(ep) => {
                        seen.unchanged =
                            scheme(ep) == "ServicePrincipal" && ep.get("operationStatus").is_none();
                        let resp = Response::new(200, ep.to_string());
                        if fault == Fault::LoseAfter {
                            Err(Lost::Network {
                                message: "reset".into(),
                            })
                        } else {
                            Ok(resp)
                        }
                    }
                    None => Ok(error(404, "not found")),
                }
            }
        };
        seen.delivered = result.is_ok();
        self.log.push(seen);
        result
    }
}

/// What the test driver does between batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Script {
    /// Restore the job from its stored records after every other batch (a worker restart).
    pub restore_every_batch: bool,
    /// Refuse to store the records of this batch (counting from 0).
    pub storage_fails_at: Option<usize>,
    /// Apply the user's Pause before this batch.
    pub pause_at: Option<usize>,
    /// Apply the user's Cancel before this batch.
    pub cancel_at: Option<usize>,
    /// Apply answers in reverse order.
    pub reverse: bool,
    /// User resumes allowed when the job waits for the user.
    pub user_resumes: u32,
    /// Kill the driver after performing this batch's steps, before their answers arrive,
    /// and restore the job from what was stored.
    pub crash_at: Option<usize>,
}

/// The job as a restarted driver gets it back: the header and the records, through JSON.
pub fn restored(job: &Job, stored: &[Record]) -> Job {
    let header: federate_core::job::JobHeader =
        serde_json::from_str(&serde_json::to_string(job.header()).unwrap()).unwrap();
    let records: Vec<Record> =
        serde_json::from_str(&serde_json::to_string(stored).unwrap()).unwrap();
    Job::restore(header, &records).unwrap()
}

/// What a driven job left.
pub struct Run {
    pub job: Job,
    pub stored: Vec<Record>,
    /// Send steps handed out after the user's pause (before a resume) or cancel.
    pub sends_after_stop: usize,
    pub batches: usize,
}

/// Drives `job` against `sim` as the extension or the CLI would: persist the records, then
/// perform the steps, then apply the answers; time jumps to each wait.
pub fn drive(mut job: Job, sim: &mut Sim, script: Script) -> Run {
    let mut stored: Vec<Record> = Vec::new();
    let mut now = 1_000_000.0_f64;
    let mut resumes = script.user_resumes;
    let mut stopped = false;
    let mut cancelled = false;
    let mut sends_after_stop = 0;
    let mut batch = 0usize;
    while batch < 2_000 {
        if script.pause_at == Some(batch) {
            stored.extend(job.apply(Event::Pause, now).unwrap_or_default());
            stopped = true;
        }
        if script.cancel_at == Some(batch) {
            stored.extend(job.apply(Event::Cancel, now).unwrap_or_default());
            cancelled = true;
        }
        let Next {
            records,
            steps,
            batch: batch_id,
        } = job.next(now);
        if script.storage_fails_at == Some(batch) {
            stored.extend(
                job.apply(
                    Event::StorageFailed {
                        jobs: 3,
                        kilobytes: 9_800,
                        batch: Some(batch_id),
                    },
                    now,
                )
                .unwrap(),
            );
            batch += 1;
            continue;
        }
        stored.extend(records);
        batch += 1;
        let mut events = Vec::new();
        let mut wait = None;
        let mut end = false;
        for step in &steps {
            match step {
                Step::Send { step, request, .. } => {
                    if stopped || cancelled {
                        sends_after_stop += 1;
                    }
                    events.push(match sim.handle(request) {
                        Ok(response) => Event::Answer {
                            step: *step,
                            response,
                        },
                        Err(why) => Event::Lost { step: *step, why },
                    });
                }
                Step::Read { step, request, .. } | Step::Poll { step, request, .. } => {
                    events.push(match sim.handle(request) {
                        Ok(response) => Event::Answer {
                            step: *step,
                            response,
                        },
                        Err(why) => Event::Lost { step: *step, why },
                    });
                }
                Step::WaitUntil { at_ms, .. } => wait = Some(*at_ms),
                Step::Paused {
                    resume_at_ms: Some(at),
                    ..
                } => wait = Some(*at),
                Step::Paused { .. } => {
                    if resumes > 0 && !cancelled {
                        resumes -= 1;
                        stopped = false;
                        stored.extend(job.apply(Event::Resume, now).unwrap());
                    } else {
                        end = true;
                    }
                }
                Step::Done => end = true,
            }
        }
        if script.reverse {
            events.reverse();
        }
        now += 30.0;
        if script.crash_at == Some(batch - 1) {
            // Killed with requests in flight: their answers never reach the job.
            job = restored(&job, &stored);
            continue;
        }
        for e in events {
            stored.extend(job.apply(e, now).unwrap());
        }
        if end {
            break;
        }
        if let Some(at) = wait {
            now = now.max(at);
        }
        // Every other batch: a restore forgets the connection read before a send (it is
        // read again), so a restore after every batch would only ever read.
        if script.restore_every_batch && batch % 2 == 0 {
            job = restored(&job, &stored);
        }
    }
    Run {
        job,
        stored,
        sends_after_stop,
        batches: batch,
    }
}
