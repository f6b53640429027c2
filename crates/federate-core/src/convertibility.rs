//! The one convertibility decision: what blocks or qualifies sending a connection's
//! scheme change now.
//!
//! [`assess`] is the only place that decides it. The verdict's `convertible` status
//! ([`crate::verdict::classify`]) and the plan's skips ([`crate::jobs::plan_conversions`])
//! are both read from its answer, so the mark on the page, the plan and the button agree:
//! a connection is "convertible now" exactly when a plan made from the same project sends it.
//!
//! A failed previous conversion (`operationStatus` `Failed` with a `converting_scheme`
//! message) does not block: it is offered as **Try again** ([`Action::TryAgain`]), with the
//! failure shown as a qualifier ([`Qualifier::PreviousConversionFailed`]). Any other failed
//! operation blocks ([`SkipReason::Failed`]).
//!
//! ```
//! use federate_core::convertibility::{assess, Acting, Action, Scope};
//! use federate_core::model::Endpoint;
//! let ep = Endpoint::from_value(serde_json::json!({"id":"1","type":"azurerm",
//!   "authorization":{"scheme":"ServicePrincipal"},"data":{"creationMode":"Automatic"},
//!   "operationStatus":{"state":"Failed","statusMessage":"converting_scheme_failed"},
//!   "serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"Ops"}}]})).unwrap();
//! let a = assess(&ep, &Scope { acting: Acting::IdOrName("Ops"), allow_manual: false, selected: false });
//! assert!(a.blocks.is_empty());
//! assert_eq!(a.action, Some(Action::TryAgain));
//! ```

use serde::{Deserialize, Serialize};

use crate::api::{SCHEME_FEDERATED, SCHEME_SERVICE_PRINCIPAL};
use crate::jobs::SkipReason;
use crate::model::{Endpoint, ProjectRef};

/// Where the user acts from, to tell a connection shared from another project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting<'a> {
    /// The organization view: each connection is sent to its owning project.
    Organization,
    /// A project known by id and/or name (the verdict's context): ids are compared when
    /// both sides have one, else names.
    Project {
        /// The project GUID.
        id: Option<&'a str>,
        /// The project name.
        name: Option<&'a str>,
    },
    /// A project given as one text that may be its id or its name (a plan's `project`).
    IdOrName(&'a str),
}

/// What the assessment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Where the user acts from.
    pub acting: Acting<'a>,
    /// Manual service principals may be sent (they convert only when a federated credential
    /// already exists).
    pub allow_manual: bool,
    /// The user ticked this connection (a shared connection is sent only then).
    pub selected: bool,
}

/// Something that does not block a conversion but is shown beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(
    tag = "code",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Qualifier {
    /// The last conversion failed; sending it again is "Try again".
    PreviousConversionFailed {
        /// `operationStatus.statusMessage`.
        status_message: String,
    },
    /// Shared with other projects: converting switches them all.
    SharedWithProjects {
        /// How many other projects.
        count: usize,
    },
    /// `creationMode` is absent and inferred from the object ids.
    CreationModeInferred,
}

impl Qualifier {
    /// The sentence shown beside the connection.
    pub fn explain(&self) -> String {
        match self {
            Qualifier::PreviousConversionFailed { status_message } => format!(
                "A previous conversion failed ({status_message}): retry, or create the federated credential by hand and retry."
            ),
            Qualifier::SharedWithProjects { count } => format!(
                "Shared with {count} other project(s): converting switches them all; the web UI offers Convert only for connections used by one project."
            ),
            Qualifier::CreationModeInferred => "data.creationMode is absent; appObjectId/spnObjectId are set, so it is treated as created automatically, as the server infers.".to_owned(),
        }
    }
}

/// The word for the button of a connection that may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Convert…
    Convert,
    /// Try again… (the last conversion failed).
    TryAgain,
}

impl Action {
    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Action::Convert => "Convert…",
            Action::TryAgain => "Try again…",
        }
    }
}

/// The answer of [`assess`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    /// What blocks sending it now, most fundamental first; empty when it may be sent.
    pub blocks: Vec<SkipReason>,
    /// What is shown beside it.
    pub qualifiers: Vec<Qualifier>,
    /// The button's word when it may be sent (`blocks` empty).
    pub action: Option<Action>,
}

impl Assessment {
    /// Whether it may be sent now.
    pub fn sendable(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// Whether `op` is a failed scheme conversion (`converting_scheme_failed`).
fn failed_conversion(message: &str) -> bool {
    message.to_ascii_lowercase().contains("converting_scheme")
}

/// Whether the connection's home project is another than the one acted from
/// (`None`: unknown, e.g. the organization view or no project on either side).
pub fn home_elsewhere(home: Option<&ProjectRef>, acting: Acting<'_>) -> Option<bool> {
    let home = home?;
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => Some(a.eq_ignore_ascii_case(b)),
        _ => None,
    };
    match acting {
        Acting::Organization => None,
        Acting::Project { id, name } => same(home.project_id.as_deref(), id)
            .or_else(|| same(home.project_name.as_deref(), name))
            .map(|s| !s),
        Acting::IdOrName(p) => Some(
            !(home
                .project_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(p))
                || home
                    .project_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(p))),
        ),
    }
}

/// Decides whether `ep` may be sent now, and with what word and qualifiers.
///
/// Blocks, in this order (the plan shows the first): no id, not Azure Resource Manager,
/// already federated, a scheme that does not convert, an operation in progress, a failed
/// operation (other than a failed conversion), not ready, disabled, Azure Stack, manual (when
/// `allow_manual` is off), no project, shared from another project, shared and not ticked.
pub fn assess(ep: &Endpoint, scope: &Scope<'_>) -> Assessment {
    let mut a = Assessment::default();
    if ep.id().is_none_or(str::is_empty) {
        a.blocks.push(SkipReason::NoId);
    }
    if !ep
        .endpoint_type()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("azurerm"))
    {
        a.blocks.push(SkipReason::NotAzureRm);
    }
    let scheme = ep.scheme().unwrap_or_default().trim();
    if scheme.eq_ignore_ascii_case(SCHEME_FEDERATED) {
        a.blocks.push(SkipReason::AlreadyFederated);
    } else if !scheme.eq_ignore_ascii_case(SCHEME_SERVICE_PRINCIPAL) {
        a.blocks.push(SkipReason::UnsupportedScheme);
    }
    let (op, op_message) = ep.operation_status();
    let op_message = op_message.unwrap_or_default();
    match op {
        Some(s) if s.eq_ignore_ascii_case("InProgress") => a.blocks.push(SkipReason::InProgress),
        Some(s) if s.eq_ignore_ascii_case("Failed") => {
            if failed_conversion(op_message) {
                a.qualifiers.push(Qualifier::PreviousConversionFailed {
                    status_message: op_message.to_owned(),
                });
            } else {
                a.blocks.push(SkipReason::Failed);
            }
        }
        _ => {}
    }
    if !ep.is_ready() {
        a.blocks.push(SkipReason::NotReady);
    }
    if ep.is_disabled() {
        a.blocks.push(SkipReason::Disabled);
    }
    if crate::verdict::is_azure_stack(ep) {
        a.blocks.push(SkipReason::EnvironmentUnsupported);
    }
    if !crate::verdict::is_automatic(ep) && !scope.allow_manual {
        a.blocks.push(SkipReason::Manual);
    }
    if ep.data("creationMode").is_none_or(|m| m.is_empty()) && crate::verdict::is_automatic(ep) {
        a.qualifiers.push(Qualifier::CreationModeInferred);
    }
    let refs = ep.project_refs();
    match refs.first() {
        None => a.blocks.push(SkipReason::NoProject),
        Some(home) => {
            let shared = refs.len() > 1 || ep.is_shared();
            if home_elsewhere(Some(home), scope.acting) == Some(true) {
                a.blocks.push(SkipReason::SharedFromAnotherProject);
            } else if shared {
                if !scope.selected {
                    a.blocks.push(SkipReason::SharedNotSelected);
                }
                if refs.len() > 1 {
                    a.qualifiers.push(Qualifier::SharedWithProjects {
                        count: refs.len() - 1,
                    });
                }
            }
        }
    }
    if a.blocks.is_empty() {
        a.action = Some(
            if a.qualifiers
                .iter()
                .any(|q| matches!(q, Qualifier::PreviousConversionFailed { .. }))
            {
                Action::TryAgain
            } else {
                Action::Convert
            },
        );
    }
    a
}
