//! What a job is made from: the organization-wide and revert plans, the confirmed plan's
//! header (ids, projects and a fingerprint of each connection as read), and the rule that a
//! connection is in at most one active job.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::api::Api;
use crate::convertibility::Action;
use crate::jobs::{
    ConversionPlan, Direction, PlanContext, PlannedConversion, PollPolicy, RetryPolicy, SkipReason,
    SkippedConversion, owning_project, plan_conversions,
};
use crate::model::Endpoint;

/// The longest text a record or a difference keeps of a value (a name, a message).
pub(crate) const TEXT_LIMIT: usize = 300;

/// A text cut to [`TEXT_LIMIT`] characters, control characters dropped, so a record stays
/// small and prints safely.
pub(crate) fn short(text: &str) -> String {
    let clean = crate::sanitize::terminal_text(text);
    if clean.chars().count() <= TEXT_LIMIT {
        clean
    } else {
        let mut cut: String = clean.chars().take(TEXT_LIMIT - 1).collect();
        cut.push('…');
        cut
    }
}

// ---------------------------------------------------------------------------------------
// Organization-wide and revert plans

/// One owning project of an organization-wide plan, with its connections as read from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProjectRead {
    /// The owning project (id or name) the connections were read from.
    pub project: String,
    /// The ticked ids it owns (shared ones are planned only this way), or `null` for every
    /// convertible one there.
    #[serde(default)]
    pub selected: Option<Vec<String>>,
    /// Ticked ids added to a `selected: null` group ("Convert all convertible" plus the
    /// shared connections the user ticked).
    #[serde(default)]
    pub also: Vec<String>,
    /// The project's connections as listed now.
    pub endpoints: Vec<Endpoint>,
}

fn lower(id: &str) -> String {
    id.to_ascii_lowercase()
}

fn home_name(ep: &Endpoint) -> Option<String> {
    ep.home_project().and_then(|r| r.project_name)
}

/// The organization-wide plan: each owning project is planned as from itself (so a shared
/// connection is sent only from its owner, and only when ticked), and the parts are merged;
/// each connection appears at most once (sent or skipped), the first group that names it
/// deciding. Ticked ids a group does not list are skipped as `notFound`.
pub fn plan_organization(groups: &[ProjectRead], allow_manual: bool) -> ConversionPlan {
    let mut plan = ConversionPlan::default();
    let mut seen: HashSet<String> = HashSet::new();
    for g in groups {
        let also: HashSet<String> = g.also.iter().map(|s| lower(s)).collect();
        let ctx = |selected: Option<Vec<String>>| PlanContext {
            project: Some(g.project.clone()),
            selected,
            allow_manual,
        };
        let mut parts = Vec::new();
        if g.selected.is_none() {
            let all = plan_conversions(&g.endpoints, &ctx(None));
            // Connections shared into this project from another are planned in their
            // owner's group; ticked extras come from the second part.
            parts.push(ConversionPlan {
                send: all
                    .send
                    .into_iter()
                    .filter(|p| !also.contains(&lower(&p.id)))
                    .collect(),
                skip: all
                    .skip
                    .into_iter()
                    .filter(|s| {
                        s.reason != SkipReason::SharedFromAnotherProject
                            && !also.contains(&lower(&s.id))
                    })
                    .collect(),
            });
            if !also.is_empty() {
                parts.push(plan_conversions(&g.endpoints, &ctx(Some(g.also.clone()))));
            }
        } else {
            parts.push(plan_conversions(&g.endpoints, &ctx(g.selected.clone())));
        }
        let group_name = g
            .endpoints
            .iter()
            .filter_map(Endpoint::home_project)
            .find(|r| {
                r.project_id
                    .as_deref()
                    .or(r.project_name.as_deref())
                    .is_some_and(|p| p.eq_ignore_ascii_case(&g.project))
            })
            .and_then(|r| r.project_name);
        let by_id = |id: &str| {
            g.endpoints
                .iter()
                .find(|e| e.id().is_some_and(|x| x.eq_ignore_ascii_case(id)))
        };
        for part in parts {
            for mut p in part.send {
                if !seen.insert(lower(&p.id)) {
                    continue;
                }
                p.project_name = by_id(&p.id).and_then(home_name).or(group_name.clone());
                plan.send.push(p);
            }
            for mut s in part.skip {
                if !seen.insert(lower(&s.id)) {
                    continue;
                }
                s.project = Some(g.project.clone());
                s.project_name.clone_from(&group_name);
                plan.skip.push(s);
            }
        }
        for id in g.selected.iter().flatten().chain(&g.also) {
            if seen.insert(lower(id)) {
                plan.skip.push(SkippedConversion {
                    id: id.clone(),
                    name: None,
                    reason: SkipReason::NotFound,
                    message: SkipReason::NotFound.explain().to_owned(),
                    project: Some(g.project.clone()),
                    project_name: group_name.clone(),
                });
            }
        }
    }
    plan
}

/// The revert plan: the selected connections, each to its owning project. The service's
/// answer decides the rest (a passed window comes back as `revertUnavailable`), so this
/// only finds them; one not listed (or without a project) is skipped as `notFound`.
pub fn plan_reverts(endpoints: &[Endpoint], selected: &[String]) -> ConversionPlan {
    let mut plan = ConversionPlan::default();
    let mut seen = HashSet::new();
    for id in selected {
        if !seen.insert(lower(id)) {
            continue;
        }
        let ep = endpoints
            .iter()
            .find(|e| e.id().is_some_and(|x| x.eq_ignore_ascii_case(id)));
        match ep.and_then(|e| owning_project(e).map(|p| (e, p))) {
            Some((e, project)) => plan.send.push(PlannedConversion {
                id: e.id().unwrap_or(id).to_owned(),
                name: e.name().map(str::to_owned),
                project,
                project_name: home_name(e),
                action: Action::Convert,
                notes: Vec::new(),
            }),
            None => plan.skip.push(SkippedConversion {
                id: id.clone(),
                name: ep.and_then(Endpoint::name).map(str::to_owned),
                reason: SkipReason::NotFound,
                message: SkipReason::NotFound.explain().to_owned(),
                project: None,
                project_name: None,
            }),
        }
    }
    plan
}

// ---------------------------------------------------------------------------------------
// The fingerprint

/// The few fields of a connection as read when the plan was made, kept so that a
/// difference found before the first send can be shown (`authorization.scheme:
/// ServicePrincipal → WorkloadIdentityFederation`), not just detected.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Fingerprint {
    /// `name`.
    pub name: Option<String>,
    /// `type`.
    #[serde(rename = "type")]
    pub endpoint_type: Option<String>,
    /// `authorization.scheme`.
    pub scheme: Option<String>,
    /// `operationStatus.state`.
    pub operation_state: Option<String>,
    /// `operationStatus.statusMessage`.
    pub operation_message: Option<String>,
    /// `isReady`.
    pub is_ready: bool,
    /// `isShared`.
    pub is_shared: bool,
    /// `isDisabled`.
    pub is_disabled: bool,
    /// The owning project (reference 0), id else name.
    pub owner_project: Option<String>,
    /// How many projects reference it.
    pub projects: usize,
}

/// One field that differs between the plan and the connection as read now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// The field, as the service names it (`authorization.scheme`, `isShared`, ...).
    pub field: String,
    /// As planned.
    pub planned: String,
    /// As read now.
    pub now: String,
}

impl Fingerprint {
    /// The fingerprint of a connection as read.
    pub fn of(ep: &Endpoint) -> Self {
        let (state, message) = ep.operation_status();
        let opt = |s: Option<&str>| s.map(short);
        Self {
            name: opt(ep.name()),
            endpoint_type: opt(ep.endpoint_type()),
            scheme: opt(ep.scheme()),
            operation_state: opt(state),
            operation_message: opt(message),
            is_ready: ep.is_ready(),
            is_shared: ep.is_shared(),
            is_disabled: ep.is_disabled(),
            owner_project: owning_project(ep).map(|p| short(&p)),
            projects: ep.project_refs().len(),
        }
    }

    /// The fields that differ. With `operation` false the operation's state and message
    /// are left out (a retried item: its own failed attempt changed them).
    pub fn differences(&self, now: &Self, operation: bool) -> Vec<Difference> {
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
        let flag = |b: bool| b.to_string();
        let mut out = Vec::new();
        let mut cmp = |field: &str, a: String, b: String, ci: bool| {
            let same = if ci {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            };
            if !same {
                out.push(Difference {
                    field: field.to_owned(),
                    planned: a,
                    now: b,
                });
            }
        };
        cmp("name", text(&self.name), text(&now.name), false);
        cmp(
            "type",
            text(&self.endpoint_type),
            text(&now.endpoint_type),
            true,
        );
        cmp(
            "authorization.scheme",
            text(&self.scheme),
            text(&now.scheme),
            true,
        );
        if operation {
            cmp(
                "operationStatus.state",
                text(&self.operation_state),
                text(&now.operation_state),
                true,
            );
            cmp(
                "operationStatus.statusMessage",
                text(&self.operation_message),
                text(&now.operation_message),
                false,
            );
        } else if now
            .operation_state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("InProgress"))
        {
            cmp(
                "operationStatus.state",
                text(&self.operation_state),
                text(&now.operation_state),
                true,
            );
        }
        cmp("isReady", flag(self.is_ready), flag(now.is_ready), false);
        cmp("isShared", flag(self.is_shared), flag(now.is_shared), false);
        cmp(
            "isDisabled",
            flag(self.is_disabled),
            flag(now.is_disabled),
            false,
        );
        cmp(
            "owner project",
            text(&self.owner_project),
            text(&now.owner_project),
            true,
        );
        cmp(
            "projects",
            self.projects.to_string(),
            now.projects.to_string(),
            false,
        );
        out
    }
}

// ---------------------------------------------------------------------------------------
// The header

/// How a job waits and gives up; every value bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct JobPolicy {
    /// Retries of reads (5xx, garbled answers) and of 429s per request, and their backoff.
    pub retry: RetryPolicy,
    /// Polling while Azure DevOps converts in the background.
    pub poll: PollPolicy,
    /// Rounds of "another operation is in progress" before the item is given up.
    pub in_progress_rounds: u32,
    /// Pauses that resume by themselves (rate limit, network) do so at most this many
    /// times in a row without progress; then the job waits for the user.
    pub max_auto_resumes: u32,
}

impl Default for JobPolicy {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
            in_progress_rounds: 3,
            max_auto_resumes: 5,
        }
    }
}

/// One connection of a confirmed plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobItemPlan {
    /// The connection id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The project the request goes to (its owning project).
    pub project: String,
    /// The owning project's name, for display.
    #[serde(default)]
    pub project_name: Option<String>,
    /// The button's word it was confirmed with.
    #[serde(default = "convert_action")]
    pub action: Action,
    /// The connection as read when the plan was made.
    pub fingerprint: Fingerprint,
}

fn convert_action() -> Action {
    Action::Convert
}

/// The confirmed plan a job runs: stored once, beside the job's small records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobHeader {
    /// The job id (the driver makes it).
    pub id: String,
    /// Convert or revert.
    pub direction: Direction,
    /// The organization's API base and version.
    pub api: Api,
    /// Requests in flight at once (1 to 16).
    pub concurrency: usize,
    /// When the user confirmed it.
    pub created_at_ms: f64,
    /// Waits and bounds.
    #[serde(default)]
    pub policy: JobPolicy,
    /// The connections to send, in plan order.
    pub items: Vec<JobItemPlan>,
    /// The connections the plan left out, with why.
    #[serde(default)]
    pub skipped: Vec<SkippedConversion>,
}

/// The most requests a job keeps in flight.
pub const MAX_CONCURRENCY: usize = 16;

impl JobHeader {
    /// The header of a confirmed plan: its connections with the fingerprint of each as
    /// read (`endpoints` must hold every planned id).
    pub fn from_plan(
        id: &str,
        direction: Direction,
        api: Api,
        plan: &ConversionPlan,
        endpoints: &[Endpoint],
        concurrency: usize,
        created_at_ms: f64,
    ) -> Result<Self, crate::Error> {
        let mut items = Vec::with_capacity(plan.send.len());
        for p in &plan.send {
            let ep = endpoints
                .iter()
                .find(|e| e.id().is_some_and(|x| x.eq_ignore_ascii_case(&p.id)))
                .ok_or_else(|| {
                    crate::Error::Argument(format!(
                        "planned connection {} is not among the connections read",
                        p.id
                    ))
                })?;
            items.push(JobItemPlan {
                id: p.id.clone(),
                name: p.name.clone(),
                project: p.project.clone(),
                project_name: p.project_name.clone(),
                action: p.action,
                fingerprint: Fingerprint::of(ep),
            });
        }
        let header = Self {
            id: id.to_owned(),
            direction,
            api,
            concurrency,
            created_at_ms,
            policy: JobPolicy::default(),
            items,
            skipped: plan.skip.clone(),
        };
        header.check()?;
        Ok(header)
    }

    /// Checks what a job needs of its header: an id, an https API base, a concurrency of
    /// 1 to 16, and each connection at most once.
    pub fn check(&self) -> Result<(), crate::Error> {
        let bad = |m: String| Err(crate::Error::Argument(m));
        if self.id.trim().is_empty() {
            return bad("the job has no id".to_owned());
        }
        if !self.api.base.starts_with("https://") {
            return bad(format!(
                "the job's organization {} is not reached over https",
                short(&self.api.base)
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return bad(format!(
                "concurrency must be 1 to {MAX_CONCURRENCY}, not {}",
                self.concurrency
            ));
        }
        let p = &self.policy;
        let bounds: [(&str, u64, u64, u64); 8] = [
            ("retry.maxAttempts", u64::from(p.retry.max_attempts), 1, 100),
            ("retry.baseBackoffMs", p.retry.base_backoff_ms, 1, 3_600_000),
            ("retry.maxBackoffMs", p.retry.max_backoff_ms, 1, 3_600_000),
            ("poll.firstDelayMs", p.poll.first_delay_ms, 100, 3_600_000),
            ("poll.maxDelayMs", p.poll.max_delay_ms, 100, 3_600_000),
            ("poll.maxTotalMs", p.poll.max_total_ms, 1, 86_400_000),
            ("inProgressRounds", u64::from(p.in_progress_rounds), 1, 100),
            ("maxAutoResumes", u64::from(p.max_auto_resumes), 0, 100),
        ];
        for (name, value, low, high) in bounds {
            if !(low..=high).contains(&value) {
                return bad(format!(
                    "the job's policy {name} must be {low} to {high}, not {value}"
                ));
            }
        }
        let mut ids = HashSet::new();
        for item in &self.items {
            if item.id.trim().is_empty() || item.project.trim().is_empty() {
                return bad("a planned connection has no id or no project".to_owned());
            }
            if !ids.insert(lower(&item.id)) {
                return bad(format!("connection {} is planned twice", short(&item.id)));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// One active job per connection

/// A job that is still active (running or paused) and the connections it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ActiveJob {
    /// The job id.
    pub id: String,
    /// The ids of the connections it has not finished.
    pub ids: Vec<String>,
}

/// A plan refused because another active job holds some of its connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// The job that holds them.
    pub job_id: String,
    /// The connections both hold.
    pub ids: Vec<String>,
    /// What the user is told.
    pub message: String,
}

/// The first active job that holds a connection of `plan_ids`, if any: a connection is in
/// at most one active job, so a second job that includes it is refused, naming the first.
pub fn conflicts(plan_ids: &[String], active: &[ActiveJob]) -> Option<Conflict> {
    let wanted: HashSet<String> = plan_ids.iter().map(|s| lower(s)).collect();
    active.iter().find_map(|job| {
        let ids: Vec<String> = job
            .ids
            .iter()
            .filter(|id| wanted.contains(&lower(id)))
            .cloned()
            .collect();
        (!ids.is_empty()).then(|| Conflict {
            message: format!(
                "{} connection(s) of this plan are in job {}, which is still running or paused: finish or cancel it first. Nothing was sent.",
                ids.len(),
                short(&job.id)
            ),
            job_id: job.id.clone(),
            ids,
        })
    })
}
