//! Lossless service endpoint model.
//!
//! An [`Endpoint`] keeps the JSON object exactly as read (key order included) and offers
//! typed views over it. A conversion sends back exactly what was read with one field
//! changed, and the service rejects any other difference, so nothing is normalised here.
//! Keys of `data` and `authorization.parameters` compare case-insensitively, as on the server.
//!
//! One exception to "as read": a secret parameter's value. The service returns secrets as
//! `null`; should it ever return one, the value is replaced by `null` the moment the JSON
//! becomes an [`Endpoint`], so it is never stored, returned, exported or journaled (see
//! [`SECRET_PARAMETERS`]). A conversion body still matches the service's "not modified"
//! check: the official conversion script sends `serviceprincipalkey: null` back, so a null
//! secret counts as "not provided" there.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::Error;

/// One service endpoint ("service connection"), as JSON, with typed accessors.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Endpoint {
    raw: Map<String, Value>,
    /// How many secret values were dropped when it was read (normally 0).
    #[serde(skip)]
    dropped_secrets: usize,
}

impl<'de> Deserialize<'de> for Endpoint {
    /// As [`Endpoint::from_value`] for an object: secret values are dropped on the way in.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_map(Map::deserialize(deserializer)?))
    }
}

/// The TypeScript of an endpoint: the fields the engine reads, typed, and every other field
/// kept (`[key: string]: unknown`), as the service returns it. Written by hand because the
/// Rust type is a lossless JSON map, not a struct ts-rs could read.
#[cfg(feature = "ts")]
impl ts_rs::TS for Endpoint {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn docs() -> Option<String> {
        Some("/** A service endpoint as the REST API returns it (unknown fields kept; secret values `null`). */\n".to_owned())
    }
    fn name(_: &ts_rs::Config) -> String {
        "ServiceEndpoint".to_owned()
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        <Self as ts_rs::TS>::name(cfg)
    }
    fn decl(cfg: &ts_rs::Config) -> String {
        Self::decl_concrete(cfg)
    }
    fn decl_concrete(_: &ts_rs::Config) -> String {
        concat!(
            "type ServiceEndpoint = { id?: string; name?: string; type?: string; url?: string; ",
            "isShared?: boolean; isReady?: boolean; isDisabled?: boolean; ",
            "authorization?: { scheme?: string; parameters?: Record<string, string | null> }; ",
            "data?: Record<string, string | null>; ",
            "operationStatus?: { state?: string; statusMessage?: string } | null; ",
            "serviceEndpointProjectReferences?: Array<{ projectReference?: { id?: string; name?: string }; name?: string; description?: string }>; ",
            "[key: string]: unknown };"
        )
        .to_owned()
    }
    fn output_path() -> Option<std::path::PathBuf> {
        Some(std::path::PathBuf::from("ServiceEndpoint.ts"))
    }
}

/// `authorization.parameters` keys that hold a secret (compared case-insensitively): the
/// service principal key, passwords, API and access tokens, kubeconfigs, certificates and
/// private keys of the types Federate knows. Azure DevOps has no per-type "confidential"
/// flag in what the engine reads, so this list is the type table's secret marking.
pub const SECRET_PARAMETERS: &[&str] = &[
    "serviceprincipalkey",
    "password",
    "apitoken",
    "accessToken",
    "kubeConfig",
    "certificate",
    "servicePrincipalCertificate",
    "certificatePassword",
    "clientSecret",
    "secretAccessKey",
    "privateKey",
    "token",
    // The azurerm PublishProfile scheme keeps the whole profile, password included (ado-facts §6.3).
    "publishProfile",
];

/// Whether an `authorization.parameters` key holds a secret.
pub fn is_secret_parameter(key: &str) -> bool {
    SECRET_PARAMETERS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
}

/// Replaces every secret parameter's value that is not `null` (nor an empty string, which
/// holds nothing and must go back unchanged) by `null`; returns how many it replaced.
fn drop_secret_values(raw: &mut Map<String, Value>) -> usize {
    let Some(Value::Object(auth)) = raw.get_mut("authorization") else {
        return 0;
    };
    let Some(Value::Object(params)) = auth.get_mut("parameters") else {
        return 0;
    };
    let mut dropped = 0;
    for (key, value) in params.iter_mut() {
        let empty = matches!(value, Value::Null) || value.as_str().is_some_and(str::is_empty);
        if !empty && is_secret_parameter(key) {
            *value = Value::Null;
            dropped += 1;
        }
    }
    dropped
}

/// A project reference of an endpoint (`serviceEndpointProjectReferences[i]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ProjectRefOut"))]
#[serde(rename_all = "camelCase")]
pub struct ProjectRef {
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    /// The connection's name inside that project.
    pub name: Option<String>,
}

/// Looks a key up case-insensitively in a JSON object (exact match first).
pub fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The string form of a JSON scalar: strings as they are, booleans and numbers printed.
fn scalar_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Endpoint {
    /// Wraps a JSON value that must be an object.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(raw) => Ok(Self::from_map(raw)),
            other => Err(Error::Shape(format!(
                "a service connection must be a JSON object, found {}",
                kind_of(&other)
            ))),
        }
    }

    /// Wraps a JSON object, dropping secret values (see [`SECRET_PARAMETERS`]).
    pub fn from_map(mut raw: Map<String, Value>) -> Self {
        let dropped_secrets = drop_secret_values(&mut raw);
        Self {
            raw,
            dropped_secrets,
        }
    }

    /// How many secret values the service returned that were dropped on reading (count only).
    pub fn dropped_secrets(&self) -> usize {
        self.dropped_secrets
    }

    /// The JSON object as read.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The JSON object as read, mutable (used to build conversion bodies).
    pub fn raw_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.raw
    }

    /// The endpoint as a JSON value (a clone).
    pub fn to_value(&self) -> Value {
        Value::Object(self.raw.clone())
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }

    pub fn id(&self) -> Option<&str> {
        self.str_field("id")
    }

    pub fn name(&self) -> Option<&str> {
        self.str_field("name")
    }

    /// The endpoint type as sent (`azurerm`, `AzureRM`, ...); compare case-insensitively.
    pub fn endpoint_type(&self) -> Option<&str> {
        self.str_field("type")
    }

    pub fn url(&self) -> Option<&str> {
        self.str_field("url")
    }

    pub fn is_shared(&self) -> bool {
        self.raw
            .get("isShared")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `isReady` defaults to `true` when absent, as the server emits it.
    pub fn is_ready(&self) -> bool {
        self.raw
            .get("isReady")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    pub fn is_disabled(&self) -> bool {
        self.raw
            .get("isDisabled")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `operationStatus.state` and `.statusMessage`, when present.
    pub fn operation_status(&self) -> (Option<&str>, Option<&str>) {
        match self.raw.get("operationStatus") {
            Some(Value::Object(o)) => (
                o.get("state").and_then(Value::as_str),
                o.get("statusMessage").and_then(Value::as_str),
            ),
            _ => (None, None),
        }
    }

    fn authorization(&self) -> Option<&Map<String, Value>> {
        self.raw.get("authorization").and_then(Value::as_object)
    }

    /// `authorization.scheme`.
    pub fn scheme(&self) -> Option<&str> {
        self.authorization()
            .and_then(|a| a.get("scheme"))
            .and_then(Value::as_str)
    }

    /// `authorization.parameters[key]`, case-insensitive; `null` values read as `None`.
    pub fn param(&self, key: &str) -> Option<String> {
        self.authorization()
            .and_then(|a| a.get("parameters"))
            .and_then(Value::as_object)
            .and_then(|p| get_ci(p, key))
            .and_then(scalar_str)
    }

    /// `data[key]`, case-insensitive; `null` values read as `None`.
    pub fn data(&self, key: &str) -> Option<String> {
        self.raw
            .get("data")
            .and_then(Value::as_object)
            .and_then(|d| get_ci(d, key))
            .and_then(scalar_str)
    }

    /// `serviceEndpointProjectReferences`; index 0 is the home (owning) project.
    pub fn project_refs(&self) -> Vec<ProjectRef> {
        let Some(Value::Array(refs)) = self.raw.get("serviceEndpointProjectReferences") else {
            return Vec::new();
        };
        refs.iter()
            .filter_map(Value::as_object)
            .map(|r| {
                let pr = r.get("projectReference").and_then(Value::as_object);
                ProjectRef {
                    project_id: pr
                        .and_then(|p| p.get("id"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    project_name: pr
                        .and_then(|p| p.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    name: r.get("name").and_then(Value::as_str).map(str::to_owned),
                }
            })
            .collect()
    }

    /// The owning project: the first project reference.
    pub fn home_project(&self) -> Option<ProjectRef> {
        self.project_refs().into_iter().next()
    }
}

/// Names a JSON value's kind for error messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a list of endpoints from any of the shapes users have: the REST envelope
/// `{count, value}`, a bare array (also `az devops service-endpoint list -o json`),
/// or a single endpoint object.
///
/// ```
/// let list = federate_core::model::parse_endpoint_list(r#"{"count":1,"value":[{"id":"a"}]}"#).unwrap();
/// assert_eq!(list[0].id(), Some("a"));
/// ```
pub fn parse_endpoint_list(text: &str) -> Result<Vec<Endpoint>, Error> {
    endpoints_from_value(parse_json(text)?)
}

/// The largest JSON input the engine reads (64 MiB: an organization of 20,000 connections
/// is about 40 MiB), so a caller's mistake fails with a message, not by running out of memory.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// The deepest nesting of arrays and objects the engine reads. Azure DevOps JSON (endpoints,
/// verdicts, stored jobs) is under 10 levels deep; a deeper input is a mistake or an attack
/// on the parser's stack.
pub const MAX_DEPTH: usize = 64;

/// Parses outside JSON text within [`MAX_INPUT_BYTES`] and [`MAX_DEPTH`] (a leading BOM
/// is skipped); beyond them, a clear error instead of a crash.
///
/// ```
/// use federate_core::model::parse_json;
/// assert!(parse_json(&"[".repeat(100)).unwrap_err().to_string().contains("nested deeper than 64"));
/// ```
pub fn parse_json(text: &str) -> Result<Value, Error> {
    let text = text.trim_start_matches('\u{feff}');
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::Shape(format!(
            "the input is {} MiB: larger than the {} MiB the engine reads",
            text.len() / (1024 * 1024),
            MAX_INPUT_BYTES / (1024 * 1024)
        )));
    }
    check_depth(text)?;
    serde_json::from_str(text).map_err(|e| Error::from_json(&e))
}

/// Fails when arrays and objects nest deeper than [`MAX_DEPTH`] (brackets inside strings
/// don't count); a scan of the bytes, no recursion.
fn check_depth(text: &str) -> Result<(), Error> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::Shape(format!(
                        "the input is nested deeper than {MAX_DEPTH} levels (at byte {at})"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// As [`parse_endpoint_list`], from a parsed JSON value.
pub fn endpoints_from_value(value: Value) -> Result<Vec<Endpoint>, Error> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut obj) => match obj.remove("value") {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(Error::Shape(format!(
                    "not a service connection list: \"value\" is {}, expected an array",
                    kind_of(&other)
                )));
            }
            None if obj.contains_key("authorization") || obj.contains_key("type") => {
                vec![Value::Object(obj)]
            }
            None => {
                return Err(Error::Shape(
                    "not a service connection list: expected {\"count\", \"value\": [...]}, an array, or one service connection".into(),
                ));
            }
        },
        other => {
            return Err(Error::Shape(format!(
                "not a service connection list: found {}",
                kind_of(&other)
            )));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| Endpoint::from_value(v).map_err(|e| Error::Shape(format!("item {i}: {e}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_fields_and_order() {
        let text = r#"{"zeta":1,"id":"x","authorization":{"scheme":"ServicePrincipal","parameters":{"TenantId":"t","serviceprincipalkey":null}},"data":{"CreationMode":"Automatic"},"alpha":{"nested":[1,2]}}"#;
        let list = parse_endpoint_list(text).unwrap();
        assert_eq!(serde_json::to_string(&list[0]).unwrap(), text);
        assert_eq!(list[0].param("tenantid").as_deref(), Some("t"));
        assert_eq!(list[0].param("serviceprincipalkey"), None);
        assert_eq!(list[0].data("creationmode").as_deref(), Some("Automatic"));
    }

    #[test]
    fn secret_values_are_dropped_on_reading() {
        let item = r#"{"id":"x","authorization":{"scheme":"UsernamePassword","parameters":{"username":"u","Password":"hunter2","apitoken":"","KubeConfig":{"a":1},"serviceprincipalkey":null}}}"#;
        let list = parse_endpoint_list(&format!("[{item}]")).unwrap();
        let out = serde_json::to_string(&list[0]).unwrap();
        assert!(
            !out.contains("hunter2") && !out.contains(r#""a":1"#),
            "{out}"
        );
        assert_eq!(list[0].dropped_secrets(), 2);
        assert_eq!(list[0].param("username").as_deref(), Some("u"));
        assert_eq!(list[0].param("password"), None);
        // Empty strings stay as they were (nothing to drop, and the body must not change).
        assert!(out.contains(r#""apitoken":"""#));
        // Deserializing (stored job state) drops them too.
        let again: Endpoint = serde_json::from_str(item).unwrap();
        assert_eq!(again.dropped_secrets(), 2);
        assert_eq!(serde_json::to_string(&again).unwrap(), out);
    }

    #[test]
    fn limits() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert!(
            parse_json(&deep)
                .unwrap_err()
                .to_string()
                .contains("deeper than 64")
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse_json(&ok).is_ok());
        // Brackets inside strings are text.
        assert!(parse_json(&format!("[\"{}\\\"\"]", "[".repeat(100))).is_ok());
        let big = " ".repeat(MAX_INPUT_BYTES + 1);
        assert!(parse_json(&big).unwrap_err().to_string().contains("MiB"));
    }

    #[test]
    fn shapes() {
        assert_eq!(parse_endpoint_list("[]").unwrap().len(), 0);
        assert!(matches!(
            parse_endpoint_list("{\"value\":3}"),
            Err(Error::Shape(_))
        ));
        assert!(matches!(
            parse_endpoint_list("{\"a\""),
            Err(Error::Json { .. })
        ));
        assert!(matches!(parse_endpoint_list("[1]"), Err(Error::Shape(_))));
        assert!(matches!(parse_endpoint_list("\"x\""), Err(Error::Shape(_))));
    }
}
