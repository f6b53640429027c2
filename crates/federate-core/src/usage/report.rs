//! The inventory report with usage (`federate audit --usage`): every connection of the
//! ordinary report plus `lastUsed`, `usedBy` (definitionId, definitionName, planType,
//! lastRun, result), `jobs30d` and the usage verdict, in JSON, CSV or Markdown.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::Error;
use crate::model::Endpoint;
use crate::report::{self, COLUMNS, ReportFormat, md_cell};
use crate::verdict::Verdict;

use super::{ConnectionUsage, PipelineUse, PlanType, UsageTarget, UsageVerdict, usage_verdict};

/// The usage fields of one connection in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsageFields {
    /// The last use, or `null` (never used, or unknown: see `usage.known`).
    pub last_used: Option<String>,
    /// The pipelines that used it.
    pub used_by: Vec<UsedBy>,
    /// Jobs in the last 30 days (`null` when unknown).
    #[serde(rename = "jobs30d")]
    pub jobs_30d: Option<u32>,
    /// The usage verdict (label, days unused, disable date, tags, action, reasons).
    pub usage: UsageVerdict,
}

/// One pipeline in a report's `usedBy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UsedBy {
    /// The definition id.
    pub definition_id: Option<u32>,
    /// The definition name.
    pub definition_name: Option<String>,
    /// `build`, `release` or `other`.
    pub plan_type: PlanType,
    /// Its last run that used the connection.
    pub last_run: Option<String>,
    /// That run's result.
    pub result: Option<String>,
}

impl From<&PipelineUse> for UsedBy {
    fn from(p: &PipelineUse) -> Self {
        Self {
            definition_id: p.definition_id,
            definition_name: p.definition_name.clone(),
            plan_type: p.plan_type,
            last_run: p.last_run.clone(),
            result: p.result.clone(),
        }
    }
}

/// The usage of each verdict's connection (matched by id, case-insensitively), or what is
/// known without it, at `now`.
pub fn usage_fields(
    verdicts: &[Verdict],
    usage: &[ConnectionUsage],
    now: &str,
) -> Result<Vec<UsageFields>, Error> {
    verdicts
        .iter()
        .map(|v| {
            let found = v.id.as_deref().and_then(|id| {
                usage
                    .iter()
                    .find(|u| u.id.eq_ignore_ascii_case(id))
                    .and_then(ConnectionUsage::as_result)
            });
            let verdict = usage_verdict(v, found, now)?;
            let (used_by, jobs_30d) = match found {
                Some(Ok(u)) => (
                    u.used_by.iter().map(UsedBy::from).collect(),
                    Some(u.jobs_30d),
                ),
                _ => (Vec::new(), None),
            };
            Ok(UsageFields {
                last_used: verdict.last_used.clone(),
                used_by,
                jobs_30d,
                usage: verdict,
            })
        })
        .collect()
}

/// The usage verdicts of a list of verdicts (the panel's column and filters, the CLI gate).
pub fn usage_verdicts(
    verdicts: &[Verdict],
    usage: &[ConnectionUsage],
    now: &str,
) -> Result<Vec<UsageVerdict>, Error> {
    Ok(usage_fields(verdicts, usage, now)?
        .into_iter()
        .map(|f| f.usage)
        .collect())
}

/// The connections of a list to read usage for: each with its owning project (reference
/// 0), else `fallback_project` (the project it was listed in). Connections without an id,
/// or without any project, are left out.
pub fn usage_targets(endpoints: &[Endpoint], fallback_project: Option<&str>) -> Vec<UsageTarget> {
    let mut out: Vec<UsageTarget> = Vec::new();
    for ep in endpoints {
        let Some(id) = ep.id() else { continue };
        let project = crate::jobs::owning_project(ep)
            .or_else(|| fallback_project.map(str::to_owned))
            .filter(|p| !p.trim().is_empty());
        let Some(project) = project else { continue };
        if out.iter().any(|t| t.id.eq_ignore_ascii_case(id)) {
            continue;
        }
        out.push(UsageTarget {
            id: id.to_owned(),
            project,
        });
    }
    out
}

fn used_by_text(fields: &UsageFields) -> String {
    fields
        .used_by
        .iter()
        .map(|p| {
            let plan = match p.plan_type {
                PlanType::Build => "build",
                PlanType::Release => "release",
                PlanType::Other => "other",
            };
            format!(
                "{} ({plan}, {} {})",
                p.definition_name
                    .clone()
                    .or_else(|| p.definition_id.map(|d| format!("#{d}")))
                    .unwrap_or_default(),
                p.last_run.as_deref().unwrap_or("?"),
                p.result.as_deref().unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Renders verdicts with their usage as `json`, `csv` or `markdown` (or `md`).
pub fn render_usage_report(
    verdicts: &[Verdict],
    usage: &[ConnectionUsage],
    format: &str,
    now: &str,
) -> Result<String, Error> {
    let fields = usage_fields(verdicts, usage, now)?;
    match format.parse::<ReportFormat>()? {
        ReportFormat::Json => json_report(verdicts, &fields),
        ReportFormat::Csv => Ok(csv_report(verdicts, &fields)),
        ReportFormat::Markdown => Ok(markdown_report(verdicts, &fields)),
        ReportFormat::Sarif => Err(Error::Argument(
            "the usage report is json, csv or markdown".to_owned(),
        )),
    }
}

fn json_report(verdicts: &[Verdict], fields: &[UsageFields]) -> Result<String, Error> {
    let base = report::render_report(verdicts, "json")?;
    let mut doc: Value = serde_json::from_str(&base).map_err(|e| Error::Shape(e.to_string()))?;
    let count = |f: &dyn Fn(&UsageFields) -> bool| fields.iter().filter(|x| f(x)).count();
    if let Some(list) = doc.get_mut("verdicts").and_then(Value::as_array_mut) {
        for (item, f) in list.iter_mut().zip(fields) {
            if let (Some(obj), Ok(Value::Object(extra))) =
                (item.as_object_mut(), serde_json::to_value(f))
            {
                obj.extend(extra);
            }
        }
    }
    if let Some(totals) = doc.get_mut("totals").and_then(Value::as_object_mut) {
        totals.insert(
            "usage".to_owned(),
            json!({
                "known": count(&|f| f.usage.known),
                "unknown": count(&|f| f.usage.tags.contains(&super::UsageTag::UsageUnknown)),
                "neverUsed": count(&|f| f.usage.tags.contains(&super::UsageTag::NeverUsed)),
                "unused90": count(&|f| f.usage.tags.contains(&super::UsageTag::Unused90)),
                "disabledWithSecret": count(&|f| f.usage.tags.contains(&super::UsageTag::DisabledWithSecret)),
                "toDelete": count(&|f| f.usage.action == super::UsageAction::Delete),
            }),
        );
    }
    serde_json::to_string_pretty(&doc)
        .map(|text| crate::sanitize::json_text(&text))
        .map_err(|e| Error::Shape(e.to_string()))
}

const USAGE_COLUMNS: [&str; 5] = ["lastUsed", "usedBy", "jobs30d", "usage", "usageAction"];

fn action_word(v: &UsageVerdict) -> &'static str {
    match v.action {
        super::UsageAction::Delete => "delete",
        super::UsageAction::ConvertAndWatch => "convertAndWatch",
        super::UsageAction::None => "",
    }
}

fn csv_report(verdicts: &[Verdict], fields: &[UsageFields]) -> String {
    let head: Vec<String> = COLUMNS
        .iter()
        .chain(USAGE_COLUMNS.iter())
        .map(|c| (*c).to_owned())
        .collect();
    let mut rows = vec![head];
    for (v, f) in verdicts.iter().zip(fields) {
        let mut cells = report::row(v);
        cells.extend([
            f.last_used.clone().unwrap_or_default(),
            used_by_text(f),
            f.jobs_30d.map(|n| n.to_string()).unwrap_or_default(),
            f.usage.label.clone(),
            action_word(&f.usage).to_owned(),
        ]);
        rows.push(cells);
    }
    crate::sanitize::csv_table(&rows)
}

fn markdown_report(verdicts: &[Verdict], fields: &[UsageFields]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Service connections and their use\n");
    let delete = fields
        .iter()
        .filter(|f| f.usage.action == super::UsageAction::Delete)
        .count();
    let unknown = fields.iter().filter(|f| !f.usage.known).count();
    let _ = writeln!(
        out,
        "{} connection(s): {delete} to delete rather than convert; usage unknown for {unknown}.\n",
        verdicts.len()
    );
    let _ = writeln!(
        out,
        "| Name | Project | Credential | Convertible | Last used | Use | Used by | Jobs (30 d) | Action |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for (v, f) in verdicts.iter().zip(fields) {
        let cells = report::row(v);
        let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(cell(1)),
            md_cell(cell(4)),
            md_cell(cell(6)),
            md_cell(cell(9)),
            md_cell(f.last_used.as_deref().unwrap_or("")),
            md_cell(&f.usage.label),
            md_cell(&used_by_text(f)),
            f.jobs_30d.map(|n| n.to_string()).unwrap_or_default(),
            action_word(&f.usage),
        );
    }
    out
}

/// The `--fail-on` gate of usage: `unused:DAYS` (unused for DAYS days or more, or never
/// used). `None` when `gate` is not one.
pub fn unused_gate(gate: &str) -> Result<Option<i64>, Error> {
    let Some(days) = gate.trim().strip_prefix("unused:") else {
        return Ok(None);
    };
    days.trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=100_000).contains(d))
        .map(Some)
        .ok_or_else(|| {
            Error::Argument(format!(
                "unknown gate {gate:?}: unused:DAYS takes a whole number of days (0 to 100000)"
            ))
        })
}

/// The verdicts matching any of `gates`, in order: the inventory's gates
/// ([`report::gate_failures`]) and `unused:DAYS`, decided on each connection's usage
/// verdict (unknown or unread usage never matches).
pub fn gate_failures_with_usage<'a>(
    verdicts: &'a [Verdict],
    usage: &[ConnectionUsage],
    gates: &[String],
    now: &str,
) -> Result<Vec<&'a Verdict>, Error> {
    let mut unused = Vec::new();
    let mut others = Vec::new();
    for g in gates {
        match unused_gate(g)? {
            Some(days) => unused.push(days),
            None => others.push(g.clone()),
        }
    }
    let by_gates = if others.is_empty() {
        Vec::new()
    } else {
        report::gate_failures(verdicts, &others)?
    };
    let usage_verdicts = if unused.is_empty() {
        Vec::new()
    } else {
        usage_verdicts(verdicts, usage, now)?
    };
    Ok(verdicts
        .iter()
        .enumerate()
        .filter(|(i, v)| {
            by_gates.iter().any(|m| std::ptr::eq(*m, *v))
                || usage_verdicts
                    .get(*i)
                    .is_some_and(|u| unused.iter().any(|d| super::unused_at_least(u, *d)))
        })
        .map(|(_, v)| v)
        .collect())
}
