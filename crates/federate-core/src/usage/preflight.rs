//! The pre-flight before a conversion: for each planned connection, the pipelines that used
//! it recently and the tasks of their last run (from the build timeline), with a warning
//! where a task or version is known to fail with workload identity federation. A warning,
//! never a block: the list is reports from issue trackers, not a rule of the service.
//!
//! ```
//! use federate_core::usage::preflight::task_warnings;
//! assert_eq!(task_warnings("AzureFileCopy", Some("4.250.0")).len(), 1);
//! assert!(task_warnings("AzureFileCopy", Some("6.1.0")).is_empty());
//! assert_eq!(task_warnings("notation", Some("0.2.0")).len(), 1);
//! ```

use std::cell::Cell;

use serde::Serialize;
use serde_json::Value;

use crate::api::{self, ApiError, Response};
use crate::jobs::{Client, ClientStats, Transport, stops_scan};
use crate::model::get_ci;

use super::{
    ConnectionUsage, PipelineUse, PlanType, UsageTarget, UsageUnknown, clean, read_each, read_one,
    session_alive, signed_out, unknown_from,
};

/// Where the warning list comes from.
pub const TASK_WARNINGS_SOURCE: &str = "ado-facts.md §17.4: tasks reported failing with workload identity federation in issue trackers, 2024–2026";

/// Pipelines per connection whose last run's tasks are read (most recently used first).
pub const MAX_PIPELINES: usize = 10;

/// Connections of one plan checked (in plan order); the rest are listed as unchecked. Each
/// costs one history read and up to [`MAX_PIPELINES`] timeline reads against the user's
/// rate-limit budget (ado-facts §12), so a plan of hundreds is not pre-flighted whole.
pub const MAX_CONNECTIONS: usize = 50;

/// One task (or a range of its major versions) reported failing with workload identity
/// federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TaskWarning {
    /// The task name as in a timeline's `task.name` (compared case-insensitively).
    pub task: &'static str,
    /// Major versions from this one (inclusive), when bounded.
    pub from_major: Option<u32>,
    /// Major versions below this one, when bounded.
    pub below_major: Option<u32>,
    /// What was reported, and what to check.
    pub message: &'static str,
    /// Where it was reported.
    pub source: &'static str,
}

/// The warning list (ado-facts §17.4), as data. Matched by task name and major version.
pub static TASK_WARNINGS: &[TaskWarning] = &[
    TaskWarning {
        task: "Notation",
        from_major: Some(0),
        below_major: Some(1),
        message: "Notation@0 was reported failing with \"Unsupported authentication scheme\" on workload identity federation.",
        source: TASK_WARNINGS_SOURCE,
    },
    TaskWarning {
        task: "AzureLoadTest",
        from_major: Some(1),
        below_major: Some(2),
        message: "AzureLoadTest@1 was reported failing with workload identity federation.",
        source: TASK_WARNINGS_SOURCE,
    },
    TaskWarning {
        task: "AzurePowerShell",
        from_major: Some(5),
        below_major: Some(6),
        message: "AzurePowerShell@5 was reported failing with workload identity federation on self-hosted agents with old Az modules: update the Az modules on those agents.",
        source: TASK_WARNINGS_SOURCE,
    },
    TaskWarning {
        task: "AzureFileCopy",
        from_major: None,
        below_major: Some(6),
        message: "AzureFileCopy before version 6 was reported failing with workload identity federation: move to AzureFileCopy@6.",
        source: TASK_WARNINGS_SOURCE,
    },
    TaskWarning {
        task: "SqlAzureDacpacDeployment",
        from_major: None,
        below_major: None,
        message: "Old versions of SqlAzureDacpacDeployment were reported failing with workload identity federation: make sure the pipeline runs the latest version.",
        source: TASK_WARNINGS_SOURCE,
    },
];

fn major_of(version: Option<&str>) -> Option<u32> {
    version?.trim().split('.').next()?.trim().parse().ok()
}

/// The warnings of a task at a version (`5.245.1`, `5`, or unknown). A bounded warning with
/// no readable version matches, so an unknown version is checked rather than trusted.
pub fn task_warnings(task: &str, version: Option<&str>) -> Vec<&'static TaskWarning> {
    let name = task.trim();
    // Timelines may name a task by its full contribution id (`publisher.extension.Task`).
    let short = name.rsplit('.').next().unwrap_or(name);
    let major = major_of(version);
    TASK_WARNINGS
        .iter()
        .filter(|w| w.task.eq_ignore_ascii_case(name) || w.task.eq_ignore_ascii_case(short))
        .filter(|w| match major {
            None => true,
            Some(m) => w.from_major.is_none_or(|f| m >= f) && w.below_major.is_none_or(|b| m < b),
        })
        .collect()
}

/// A task of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TaskRun {
    /// `task.name`.
    pub name: String,
    /// `task.version`.
    pub version: Option<String>,
}

/// Parses a build timeline (`Timeline`): the distinct tasks of its records of type `Task`,
/// in the order they ran.
pub fn parse_timeline(resp: &Response) -> Result<Vec<TaskRun>, ApiError> {
    let value = api::json_body(resp)?;
    let records = value
        .as_object()
        .and_then(|o| get_ci(o, "records"))
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::Malformed {
            message: "expected a build timeline {records: [...]}".to_owned(),
        })?;
    let mut ordered: Vec<(i64, TaskRun)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let Some(r) = record.as_object() else {
            continue;
        };
        let is_task = get_ci(r, "type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("Task"));
        let Some(task) = get_ci(r, "task").and_then(Value::as_object) else {
            continue;
        };
        let Some(name) = get_ci(task, "name").and_then(Value::as_str) else {
            continue;
        };
        if !is_task || name.trim().is_empty() {
            continue;
        }
        let version = get_ci(task, "version").and_then(Value::as_str).map(clean);
        let run = TaskRun {
            name: clean(name),
            version,
        };
        if ordered.iter().any(|(_, t)| *t == run) {
            continue;
        }
        let order = get_ci(r, "order")
            .and_then(Value::as_i64)
            .unwrap_or(i64::try_from(i).unwrap_or(i64::MAX));
        ordered.push((order, run));
    }
    ordered.sort_by_key(|(o, _)| *o);
    Ok(ordered.into_iter().map(|(_, t)| t).collect())
}

/// A warned task found in a pipeline's last run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TaskFinding {
    /// The task name.
    pub task: String,
    /// The version the run used.
    pub version: Option<String>,
    /// What was reported.
    pub message: String,
    /// Where.
    pub source: String,
}

/// The warnings of a list of tasks.
pub fn findings(tasks: &[TaskRun]) -> Vec<TaskFinding> {
    tasks
        .iter()
        .flat_map(|t| {
            task_warnings(&t.name, t.version.as_deref())
                .into_iter()
                .map(|w| TaskFinding {
                    task: t.name.clone(),
                    version: t.version.clone(),
                    message: w.message.to_owned(),
                    source: w.source.to_owned(),
                })
        })
        .collect()
}

/// One pipeline of a planned connection, with its last run's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PipelinePreflight {
    /// The pipeline and its last run.
    #[serde(flatten)]
    pub pipeline: PipelineUse,
    /// Its last run's tasks (empty when not read).
    pub tasks: Vec<TaskRun>,
    /// Warned tasks among them.
    pub warnings: Vec<TaskFinding>,
    /// Why the tasks were not read, when they were not.
    pub tasks_unknown: Option<String>,
}

/// The pre-flight of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPreflight {
    /// The connection id.
    pub id: String,
    /// The project its history was read from.
    pub project: String,
    /// The pipelines that used it, most recent first (at most [`MAX_PIPELINES`]).
    pub pipelines: Vec<PipelinePreflight>,
    /// Warnings over all its pipelines.
    pub warning_count: usize,
    /// Why its usage is unknown, when it is.
    pub unknown: Option<UsageUnknown>,
    /// One sentence for the plan.
    pub summary: String,
}

/// The pre-flight of a plan: partial when stopped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    /// One entry per target read, in target order.
    pub connections: Vec<ConnectionPreflight>,
    /// Warnings over all connections.
    pub warning_count: usize,
    /// Whether every target was read.
    pub complete: bool,
    /// Targets beyond [`MAX_CONNECTIONS`], not checked.
    pub unchecked: Vec<String>,
    /// Why it stopped early.
    pub stopped: Option<ApiError>,
    /// Request counts.
    pub stats: ClientStats,
}

fn summary_of(pipelines: &[PipelinePreflight], unknown: Option<&UsageUnknown>) -> String {
    if let Some(u) = unknown {
        return u.message.clone();
    }
    let warned = pipelines.iter().filter(|p| !p.warnings.is_empty()).count();
    match (pipelines.len(), warned) {
        (0, _) => "No pipeline used it in its recent history: nothing to watch.".to_owned(),
        (n, 0) => format!(
            "{n} pipeline{} used it: no task known to fail with workload identity federation; watch {} next run{}.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "its" } else { "their" },
            if n == 1 { "" } else { "s" },
        ),
        (n, w) => format!(
            "{n} pipeline{} used it; {w} run{} a task reported failing with workload identity federation: check {} before converting.",
            if n == 1 { "" } else { "s" },
            if w == 1 { "s" } else { "" },
            if w == 1 { "it" } else { "them" },
        ),
    }
}

/// The pre-flight of one connection from its usage (already read): reads the timeline of
/// each pipeline's last run (build pipelines; classic release timelines are not read).
async fn preflight_from_usage<T: Transport>(
    client: &Client<'_, T>,
    entry: ConnectionUsage,
    session: &Cell<Option<bool>>,
) -> Result<ConnectionPreflight, ApiError> {
    let Some(usage) = entry.usage else {
        let summary = summary_of(&[], entry.unknown.as_ref());
        return Ok(ConnectionPreflight {
            id: entry.id,
            project: entry.project,
            pipelines: Vec::new(),
            warning_count: 0,
            unknown: entry.unknown,
            summary,
        });
    };
    let mut pipelines = Vec::new();
    for p in usage.used_by.into_iter().take(MAX_PIPELINES) {
        let (tasks, tasks_unknown) = match (p.plan_type, p.last_run_id) {
            (PlanType::Build, Some(run)) => {
                let req = client.api().build_timeline(&entry.project, run);
                let resp = client.read(&req, Some(&entry.id)).await?;
                if resp.status == 401 && !session_alive(client, session).await? {
                    return Err(signed_out());
                }
                match parse_timeline(&resp) {
                    Ok(tasks) => (tasks, None),
                    Err(ApiError::SignedOut { .. }) if resp.status == 401 => (
                        Vec::new(),
                        Some("You are not authorized to read the tasks of its last run (HTTP 401).".to_owned()),
                    ),
                    Err(e) if stops_scan(&e) => return Err(e),
                    Err(e) => (
                        Vec::new(),
                        Some(format!(
                            "The tasks of its last run could not be read: {}",
                            unknown_from(&e, Some(resp.status)).message
                        )),
                    ),
                }
            }
            (PlanType::Build, None) => (
                Vec::new(),
                Some("Its last run has no id: its tasks are unknown.".to_owned()),
            ),
            _ => (
                Vec::new(),
                Some("A classic release pipeline: its tasks are not read; check them in Azure DevOps.".to_owned()),
            ),
        };
        let warnings = findings(&tasks);
        pipelines.push(PipelinePreflight {
            pipeline: p,
            tasks,
            warnings,
            tasks_unknown,
        });
    }
    let warning_count = pipelines.iter().map(|p| p.warnings.len()).sum();
    let summary = summary_of(&pipelines, None);
    Ok(ConnectionPreflight {
        id: entry.id,
        project: entry.project,
        pipelines,
        warning_count,
        unknown: None,
        summary,
    })
}

/// The pre-flight of planned connections: each one's history, then the timeline of each
/// pipeline's last run, with the client's concurrency limit and rate-limit handling. A
/// connection whose history cannot be read says so and the others go on.
pub async fn preflight<T: Transport>(
    client: &Client<'_, T>,
    targets: &[UsageTarget],
    on_done: &dyn Fn(usize, usize),
) -> Preflight {
    let unchecked: Vec<String> = targets
        .iter()
        .skip(MAX_CONNECTIONS)
        .map(|t| t.id.clone())
        .collect();
    let targets = &targets[..targets.len().min(MAX_CONNECTIONS)];
    let total = targets.len();
    let session: Cell<Option<bool>> = Cell::new(None);
    on_done(0, total);
    let (connections, stopped) = read_each(
        client,
        targets,
        |target| preflight_one(client, target, &session),
        |done, _| on_done(done, total),
    )
    .await;
    Preflight {
        complete: stopped.is_none() && connections.len() == total,
        unchecked,
        warning_count: connections.iter().map(|c| c.warning_count).sum(),
        connections,
        stopped,
        stats: client.stats(),
    }
}

async fn preflight_one<T: Transport>(
    client: &Client<'_, T>,
    target: &UsageTarget,
    session: &Cell<Option<bool>>,
) -> Result<ConnectionPreflight, ApiError> {
    let entry = read_one(client, target, super::HISTORY_TOP, session).await?;
    preflight_from_usage(client, entry, session).await
}
