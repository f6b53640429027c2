//! Exports for the 2026–2027 deadlines: the issuer retirement plan, its script and its Verify,
//! the inventory's summary line and the audit gates. Decode, call `federate-core`, encode.

use federate_core::migration;
use federate_core::model::endpoints_from_value;
use federate_core::report;
use federate_core::verdict::{Context, Verdict};
use wasm_bindgen::prelude::*;

use crate::{from_js, given, init, js_err, to_js};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
export type AuditGate = "secret" | "draft" | "azure-devops-issuer" | "pat" | "unknown";
"#;

fn read_context(value: Option<JsValue>) -> Result<Context, JsError> {
    match given(value) {
        None => Ok(Context::default()),
        Some(v) => Context::from_value(from_js(v)?).map_err(|e| js_err(&e)),
    }
}

fn read_list(value: JsValue) -> Result<Vec<federate_core::model::Endpoint>, JsError> {
    endpoints_from_value(from_js(value)?).map_err(|e| js_err(&e))
}

fn read_strings(value: JsValue, what: &str) -> Result<Vec<String>, JsError> {
    if value.is_null_or_undefined() {
        return Ok(Vec::new());
    }
    serde_json::from_value(from_js(value)?)
        .map_err(|e| JsError::new(&format!("{what} must be an array of strings: {e}")))
}

fn read_verdicts(value: JsValue, export: &str) -> Result<Vec<Verdict>, JsError> {
    serde_json::from_value(from_js(value)?).map_err(|e| {
        JsError::new(&format!(
            "{export}: verdicts must be an array of verdicts: {e}"
        ))
    })
}

/// The issuer retirement plan of a list of connections (a project's or an organization's).
#[wasm_bindgen(js_name = issuerMigrationPlan, unchecked_return_type = "MigrationPlan")]
pub fn issuer_migration_plan(
    #[wasm_bindgen(unchecked_param_type = "EndpointList | string")] list: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Context | null")] context: Option<JsValue>,
) -> Result<JsValue, JsError> {
    init();
    let list = read_list(list)?;
    to_js(&migration::issuer_migration_plan(
        &list,
        &read_context(context)?,
    ))
}

/// The Entra federated credentials of the plan's manual connections (`ids`, or all when
/// `null`) as one script in `format`.
#[wasm_bindgen(js_name = issuerMigrationCommands)]
pub fn issuer_migration_commands(
    #[wasm_bindgen(unchecked_param_type = "EndpointList | string")] list: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Context | null | undefined")] context: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[] | null | undefined")] ids: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CommandFormat")] format: &str,
) -> Result<String, JsError> {
    init();
    let list = read_list(list)?;
    let ids = if ids.is_null_or_undefined() {
        None
    } else {
        Some(read_strings(ids, "ids")?)
    };
    migration::issuer_migration_commands(
        &list,
        &read_context(Some(context))?,
        ids.as_deref(),
        format,
    )
    .map_err(|e| js_err(&e))
}

/// Re-read connections: which of the plan's `ids` now carry the Entra issuer with the
/// expected subject.
#[wasm_bindgen(js_name = verifyIssuerMigration, unchecked_return_type = "VerifyRow[]")]
pub fn verify_issuer_migration(
    #[wasm_bindgen(unchecked_param_type = "EndpointList | string")] list: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Context | null | undefined")] context: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
) -> Result<JsValue, JsError> {
    init();
    let list = read_list(list)?;
    let ids = read_strings(ids, "ids")?;
    to_js(&migration::verify_issuer_migration(
        &list,
        &read_context(Some(context))?,
        &ids,
    ))
}

/// The inventory's one-line summary.
#[wasm_bindgen(js_name = summaryLine)]
pub fn summary_line(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
) -> Result<String, JsError> {
    init();
    Ok(report::summary_line(&read_verdicts(
        verdicts,
        "summaryLine",
    )?))
}

/// The inventory's summary as counted parts (the page's summary bar) and as one line.
#[wasm_bindgen(js_name = inventorySummary, unchecked_return_type = "InventorySummary")]
pub fn inventory_summary(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
) -> Result<JsValue, JsError> {
    init();
    to_js(&report::inventory_summary(&read_verdicts(
        verdicts,
        "inventorySummary",
    )?))
}

/// The verdicts matching any of the `--fail-on` gates.
#[wasm_bindgen(js_name = gateFailures, unchecked_return_type = "Verdict[]")]
pub fn gate_failures(
    #[wasm_bindgen(unchecked_param_type = "Verdict[] | string")] verdicts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AuditGate[]")] gates: JsValue,
) -> Result<JsValue, JsError> {
    init();
    let verdicts = read_verdicts(verdicts, "gateFailures")?;
    let gates = read_strings(gates, "gates")?;
    let failing = report::gate_failures(&verdicts, &gates).map_err(|e| js_err(&e))?;
    to_js(&failing)
}

/// The gates `gateFailures` accepts.
#[wasm_bindgen(js_name = auditGates, unchecked_return_type = "AuditGate[]")]
pub fn audit_gates() -> Result<JsValue, JsError> {
    init();
    to_js(&report::GATES)
}
