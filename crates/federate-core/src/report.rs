//! Reports of an inventory of verdicts: JSON, CSV, Markdown and SARIF 2.1.0.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::Error;
use crate::sanitize::{json_text, markdown_text};
use crate::verdict::{Credential, State, Status, Verdict};

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
    Markdown,
    Sarif,
}

impl std::str::FromStr for ReportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            "markdown" | "md" => Ok(Self::Markdown),
            "sarif" => Ok(Self::Sarif),
            _ => Err(Error::Argument(format!(
                "unknown report format {s:?}: expected one of json, csv, markdown, sarif"
            ))),
        }
    }
}

const TOOL: &str = "Federate";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Renders verdicts in a format named `json`, `csv`, `markdown` (or `md`) or `sarif`.
pub fn render_report(verdicts: &[Verdict], format: &str) -> Result<String, Error> {
    Ok(match format.parse::<ReportFormat>()? {
        ReportFormat::Json => json_report(verdicts),
        ReportFormat::Csv => csv_report(verdicts),
        ReportFormat::Markdown => markdown_report(verdicts),
        ReportFormat::Sarif => sarif_report(verdicts),
    })
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn counts<T: serde::Serialize>(items: impl Iterator<Item = T>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(enum_str(&i)).or_insert(0) += 1;
    }
    m
}

/// Where secret values that were dropped came from: the service's answer, or an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// Azure DevOps returned them (it should return secrets as `null`).
    Service,
    /// A file given to the tool held them.
    Input,
}

impl std::str::FromStr for SecretSource {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "service" => Ok(SecretSource::Service),
            "input" => Ok(SecretSource::Input),
            other => Err(Error::Argument(format!(
                "unknown secret source {other:?}: expected \"service\" or \"input\""
            ))),
        }
    }
}

/// The one sentence that tells a user secret values were dropped (count only, never a
/// value), or `None` when none were.
///
/// ```
/// use federate_core::report::{secret_values_notice, SecretSource};
/// assert_eq!(
///     secret_values_notice(2, SecretSource::Service).as_deref(),
///     Some("Azure DevOps returned 2 secret values (it should return none); Federate dropped them and shows, stores and exports none.")
/// );
/// assert_eq!(secret_values_notice(0, SecretSource::Input), None);
/// ```
pub fn secret_values_notice(count: usize, source: SecretSource) -> Option<String> {
    if count == 0 {
        return None;
    }
    let (values, them) = if count == 1 {
        ("secret value", "it")
    } else {
        ("secret values", "them")
    };
    let found = match source {
        SecretSource::Service => {
            format!("Azure DevOps returned {count} {values} (it should return none)")
        }
        SecretSource::Input => {
            format!("The input held {count} {values} (Azure DevOps returns secrets as null)")
        }
    };
    Some(format!(
        "{found}; Federate dropped {them} and shows, stores and exports none."
    ))
}

/// The JSON report: tool, totals by credential, state and convertibility, then the verdicts.
fn json_report(verdicts: &[Verdict]) -> String {
    let mut doc = json!({
        "tool": TOOL,
        "version": VERSION,
        "count": verdicts.len(),
        "totals": {
            "usesSecret": verdicts.iter().filter(|v| v.uses_secret == Some(true)).count(),
            "azureDevOpsPat": Totals::of(verdicts).pat,
            "azureDevOpsIssuer": Totals::of(verdicts).retiring_issuer,
            "credential": counts(verdicts.iter().map(|v| v.credential)),
            "state": counts(verdicts.iter().map(|v| v.state)),
            "convertible": counts(verdicts.iter().map(|v| v.convertible.status)),
        },
        "verdicts": verdicts,
    });
    let dropped: usize = verdicts.iter().map(|v| v.secret_values_dropped).sum();
    if dropped > 0 {
        doc["totals"]["secretValuesDropped"] = json!(dropped);
    }
    json_text(&serde_json::to_string_pretty(&doc).unwrap_or_default())
}

/// One CSV cell: the engine's one CSV rule ([`crate::sanitize::csv_cell`]).
pub use crate::sanitize::csv_cell;

fn opt(s: Option<&str>) -> String {
    s.unwrap_or_default().to_owned()
}

pub(crate) fn row(v: &Verdict) -> Vec<String> {
    let fed = v.federation.as_ref();
    vec![
        opt(v.id.as_deref()),
        opt(v.name.as_deref()),
        opt(v.endpoint_type.as_deref()),
        opt(v.scheme.as_deref()),
        opt(v.owner.as_ref().and_then(|o| o.project_name.as_deref())),
        v.shared_with
            .iter()
            .filter_map(|s| s.project_name.clone())
            .collect::<Vec<_>>()
            .join("; "),
        enum_str(&v.credential),
        v.uses_secret.map(|b| b.to_string()).unwrap_or_default(),
        enum_str(&v.state),
        enum_str(&v.convertible.status),
        v.convertible
            .reasons
            .iter()
            .map(|r| r.code.clone())
            .collect::<Vec<_>>()
            .join("; "),
        opt(v.revert_deadline.as_deref()),
        v.revert_days_left
            .map(|d| d.to_string())
            .unwrap_or_default(),
        fed.map(|f| enum_str(&f.format)).unwrap_or_default(),
        opt(fed.and_then(|f| f.issuer.as_deref())),
        opt(fed.and_then(|f| f.subject.as_deref())),
        fed.map(|f| {
            f.warnings
                .iter()
                .map(|w| w.code.clone())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default(),
        v.label.clone(),
        v.summary.clone(),
    ]
}

pub(crate) const COLUMNS: [&str; 19] = [
    "id",
    "name",
    "type",
    "scheme",
    "ownerProject",
    "sharedWith",
    "credential",
    "usesSecret",
    "state",
    "convertible",
    "reasons",
    "revertDeadline",
    "revertDaysLeft",
    "federationFormat",
    "issuer",
    "subject",
    "warnings",
    "label",
    "summary",
];

fn csv_report(verdicts: &[Verdict]) -> String {
    let mut rows = vec![COLUMNS.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()];
    rows.extend(verdicts.iter().map(row));
    crate::sanitize::csv_table(&rows)
}

pub(crate) fn md_cell(s: &str) -> String {
    markdown_text(s)
}

fn markdown_report(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Service connections\n");
    let secrets = verdicts
        .iter()
        .filter(|v| v.uses_secret == Some(true))
        .count();
    let yes = verdicts
        .iter()
        .filter(|v| v.convertible.status == Status::Yes)
        .count();
    let manual = verdicts
        .iter()
        .filter(|v| v.convertible.status == Status::Manual)
        .count();
    let federated = verdicts
        .iter()
        .filter(|v| v.credential == Credential::Federated)
        .count();
    let t = Totals::of(verdicts);
    let _ = writeln!(
        out,
        "{} connection(s): {secrets} hold a secret, {federated} federated; {yes} convertible here, {manual} need a federated credential first; {} hold an Azure DevOps PAT (global PATs stop working on 2026-12-01); {} on the Azure DevOps issuer (retires on 2027-07-01).\n",
        verdicts.len(),
        t.pat,
        t.retiring_issuer
    );
    let _ = writeln!(
        out,
        "| Name | Type | Project | Credential | State | Convertible | Label | Summary |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for v in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(v.name.as_deref().unwrap_or("")),
            md_cell(v.endpoint_type.as_deref().unwrap_or("")),
            md_cell(
                v.owner
                    .as_ref()
                    .and_then(|o| o.project_name.as_deref())
                    .unwrap_or("")
            ),
            enum_str(&v.credential),
            enum_str(&v.state),
            enum_str(&v.convertible.status),
            md_cell(&v.label),
            md_cell(&v.summary),
        );
    }
    out
}

/// Counts that the summaries share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub connections: usize,
    pub secret: usize,
    pub draft: usize,
    pub convertible: usize,
    /// Connections holding a PAT (or password) for Azure DevOps.
    pub pat: usize,
    /// Connections on the Azure DevOps issuer (retiring on 2027-07-01).
    pub retiring_issuer: usize,
    pub unknown: usize,
}

impl Totals {
    /// Counts a list of verdicts.
    pub fn of(verdicts: &[Verdict]) -> Self {
        let n = |p: &dyn Fn(&Verdict) -> bool| verdicts.iter().filter(|v| p(v)).count();
        Self {
            connections: verdicts.len(),
            secret: n(&|v| v.uses_secret == Some(true)),
            draft: n(&|v| v.state == State::Draft),
            convertible: n(&|v| v.convertible.status == Status::Yes),
            pat: n(&|v| v.azure_dev_ops_pat.is_some()),
            retiring_issuer: n(&on_retiring_issuer),
            unknown: n(&|v| v.credential == Credential::Unknown),
        }
    }
}

/// Whether a verdict is on the retiring Azure DevOps issuer: the verdict's own decision
/// (public cloud only), so the counts, the gate and the marks agree.
fn on_retiring_issuer(v: &Verdict) -> bool {
    v.issuer_retirement.is_some()
}

/// One count of an inventory's summary: `key` names it for the page (`total`, `secrets`,
/// `drafts`, `convertible`, `pat`, `retiringIssuer`, `unknown`), `text` is what follows the
/// number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SummaryPart {
    pub key: &'static str,
    pub count: usize,
    pub text: String,
}

/// An inventory's summary: the counts in order, and the same as one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct InventorySummary {
    pub line: String,
    pub parts: Vec<SummaryPart>,
}

/// The counts of an inventory in order, each with its words: the connections, then what holds
/// a secret, drafts, what converts now, the Azure DevOps PATs (global PATs end 2026-12-01),
/// the connections on the Azure DevOps issuer (retires 2027-07-01) and the unknown ones. The
/// page's summary bar draws these; [`summary_line`] joins them.
pub fn summary_parts(verdicts: &[Verdict]) -> Vec<SummaryPart> {
    let t = Totals::of(verdicts);
    let part = |key, count: usize, one: &str, many: &str| SummaryPart {
        key,
        count,
        text: if count == 1 { one } else { many }.to_owned(),
    };
    vec![
        part("total", t.connections, "connection", "connections"),
        part("secrets", t.secret, "hold a secret", "hold a secret"),
        part("drafts", t.draft, "draft", "draft"),
        part(
            "convertible",
            t.convertible,
            "convertible now",
            "convertible now",
        ),
        part(
            "pat",
            t.pat,
            "Azure DevOps PAT (global PATs end 2026-12-01)",
            "Azure DevOps PATs (global PATs end 2026-12-01)",
        ),
        part(
            "retiringIssuer",
            t.retiring_issuer,
            "on the Azure DevOps issuer (retires 2027-07-01)",
            "on the Azure DevOps issuer (retires 2027-07-01)",
        ),
        part("unknown", t.unknown, "unknown", "unknown"),
    ]
}

/// The one-line summary of an inventory (the command line's table ends with it).
///
/// ```
/// assert_eq!(federate_core::report::summary_line(&[]), "0 connections: 0 hold a secret, 0 draft, 0 convertible now, 0 Azure DevOps PATs (global PATs end 2026-12-01), 0 on the Azure DevOps issuer (retires 2027-07-01), 0 unknown");
/// ```
pub fn summary_line(verdicts: &[Verdict]) -> String {
    line_of(&summary_parts(verdicts))
}

/// The summary as parts and as one line (one count, two shapes).
pub fn inventory_summary(verdicts: &[Verdict]) -> InventorySummary {
    let parts = summary_parts(verdicts);
    InventorySummary {
        line: line_of(&parts),
        parts,
    }
}

fn line_of(parts: &[SummaryPart]) -> String {
    let said = |p: &SummaryPart| format!("{} {}", p.count, p.text);
    match parts.split_first() {
        Some((total, rest)) => format!(
            "{}: {}",
            said(total),
            rest.iter().map(said).collect::<Vec<_>>().join(", ")
        ),
        None => String::new(),
    }
}

/// The gates of `federate audit --fail-on`.
pub const GATES: [&str; 5] = ["secret", "draft", "azure-devops-issuer", "pat", "unknown"];

/// Whether a verdict matches a `--fail-on` gate: `secret` (holds a secret), `draft`,
/// `azure-devops-issuer` (on the retiring Azure DevOps issuer), `pat` (an Azure DevOps PAT), `unknown`
/// (a credential Federate cannot name).
pub fn matches_gate(v: &Verdict, gate: &str) -> Result<bool, Error> {
    Ok(match gate.trim().to_ascii_lowercase().as_str() {
        "secret" => v.uses_secret == Some(true),
        "draft" => v.state == State::Draft,
        "azure-devops-issuer" => on_retiring_issuer(v),
        "pat" => v.azure_dev_ops_pat.is_some(),
        "unknown" => v.credential == Credential::Unknown,
        other => {
            return Err(Error::Argument(format!(
                "unknown gate {other:?}: expected one of {}",
                GATES.join(", ")
            )));
        }
    })
}

/// The verdicts matching any of `gates` (each must be one of [`GATES`]).
pub fn gate_failures<'a>(
    verdicts: &'a [Verdict],
    gates: &[String],
) -> Result<Vec<&'a Verdict>, Error> {
    if let Some(bad) = gates
        .iter()
        .find(|g| !GATES.contains(&g.trim().to_ascii_lowercase().as_str()))
    {
        return Err(Error::Argument(format!(
            "unknown gate {bad:?}: expected one of {}",
            GATES.join(", ")
        )));
    }
    Ok(verdicts
        .iter()
        .filter(|v| gates.iter().any(|g| matches_gate(v, g).unwrap_or(false)))
        .collect())
}

struct SarifRule {
    id: &'static str,
    name: &'static str,
    text: &'static str,
}

const SARIF_RULES: [SarifRule; 7] = [
    SarifRule {
        id: "FED001",
        name: "SecretBasedConnection",
        text: "The service connection holds a secret; move it to workload identity federation.",
    },
    SarifRule {
        id: "FED002",
        name: "FederationWarning",
        text: "The connection's federation (issuer, subject, tenant) needs attention.",
    },
    SarifRule {
        id: "FED003",
        name: "DraftConnection",
        text: "Draft connection: its identity has no federated credential yet.",
    },
    SarifRule {
        id: "FED004",
        name: "FailedConnection",
        text: "The connection's last operation failed or it is not ready.",
    },
    SarifRule {
        id: "FED005",
        name: "RevertWindowOpen",
        text: "Recently converted: it can still be reverted to its secret.",
    },
    SarifRule {
        id: "FED006",
        name: "AzureDevOpsPat",
        text: "The connection holds a PAT for Azure DevOps: replace it with an Azure DevOps connection (workload identity). Global PATs stop working on 2026-12-01.",
    },
    SarifRule {
        id: "FED007",
        name: "RetiringIssuer",
        text: "The connection uses the Azure DevOps issuer, retired on 2027-07-01: switch it to the Entra issuer (Update in Azure DevOps).",
    },
];

fn sarif_result(rule: &str, level: &str, text: &str, v: &Verdict) -> Value {
    let project = v
        .owner
        .as_ref()
        .and_then(|o| o.project_name.clone())
        .unwrap_or_default();
    let name = v.name.clone().unwrap_or_default();
    json!({
        "ruleId": rule,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "logicalLocations": [{
                "name": name,
                "fullyQualifiedName": format!("{project}/{name}"),
                "kind": "resource"
            }]
        }],
        "properties": {"connectionId": v.id, "type": v.endpoint_type, "credential": v.credential, "convertible": v.convertible.status}
    })
}

fn sarif_report(verdicts: &[Verdict]) -> String {
    let mut results = Vec::new();
    for v in verdicts {
        if v.uses_secret == Some(true) {
            let level = if matches!(
                v.convertible.status,
                Status::Yes | Status::Manual | Status::OwnerProject
            ) {
                "warning"
            } else {
                "note"
            };
            results.push(sarif_result("FED001", level, &v.summary, v));
        }
        if v.state == State::Draft {
            results.push(sarif_result("FED003", "warning", &v.summary, v));
        }
        if matches!(v.state, State::Failed | State::NotReady) {
            results.push(sarif_result("FED004", "error", &v.summary, v));
        }
        if let Some(pat) = &v.azure_dev_ops_pat {
            let text = v
                .convertible
                .reasons
                .iter()
                .find(|r| r.code == "azureDevOpsPat")
                .map_or_else(|| v.summary.clone(), |r| r.message.clone());
            let level = if pat.days_left.is_some_and(|d| d <= 30) {
                "error"
            } else {
                "warning"
            };
            results.push(sarif_result("FED006", level, &text, v));
        }
        if let Some(f) = &v.federation {
            // Sovereign clouds are outside the retirement: that warning says they keep working.
            for w in f
                .warnings
                .iter()
                .filter(|w| !w.code.starts_with("missing") && w.code != "issuerRetirementExempt")
            {
                if matches!(w.code.as_str(), "issuerRetiring" | "issuerRetired") {
                    let level = if w.code == "issuerRetired" {
                        "error"
                    } else {
                        "warning"
                    };
                    results.push(sarif_result("FED007", level, &w.message, v));
                    continue;
                }
                results.push(sarif_result(
                    "FED002",
                    "warning",
                    &format!("{}: {}", w.code, w.message),
                    v,
                ));
            }
        }
        if v.convertible
            .reasons
            .iter()
            .any(|r| r.code == "revertWindowOpen")
        {
            results.push(sarif_result("FED005", "note", &v.summary, v));
        }
    }
    let rules: Vec<Value> = SARIF_RULES
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "shortDescription": {"text": r.text}}))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL, "version": VERSION, "rules": rules}},
            "results": results
        }]
    });
    json_text(&serde_json::to_string_pretty(&doc).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn csv_cells() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2,3"), "\"'-2,3\"");
        assert_eq!(csv_cell("a\nb"), "a b");
        assert_eq!(csv_cell("@x"), "'@x");
    }

    #[test]
    fn unknown_format() {
        assert!(
            render_report(&[], "xml")
                .unwrap_err()
                .to_string()
                .contains("sarif")
        );
        assert!(
            render_report(&[], "md")
                .unwrap()
                .starts_with("# Service connections")
        );
    }
}
