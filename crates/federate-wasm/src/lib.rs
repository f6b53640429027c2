//! The wasm-bindgen boundary: every export decodes its input, calls `federate-core`, and
//! encodes the result. No logic lives here.

pub mod client;
pub mod deadlines;
pub mod engine;

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Installs the panic hook once; called by every export's entry (cheap after the first).
/// It costs under 1 KiB of the wasm (measured), for a readable message if a bug panics.
fn init() {
    console_error_panic_hook::set_once();
}

/// An optional argument as given: `None` for an absent one, `undefined` or `null`.
pub(crate) fn given(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|v| !v.is_null_or_undefined())
}

/// Encodes a result as plain JS objects: `null` for `None`, no `Map`, no `BigInt`. Through
/// JSON text and `JSON.parse`, so that every type is serialized by one serializer
/// (`serde_json`, which the engine needs anyway): a second one (`serde-wasm-bindgen`)
/// duplicated every `Serialize` impl in the wasm.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&text)
        .map_err(|_| JsError::new("the engine produced JSON that JavaScript could not read"))
}

/// Decodes a JS value (an object or a JSON string) into JSON: an object goes through
/// `JSON.stringify` and the one JSON parser (`undefined` reads as `null`).
// Taken by value as the exports hand their arguments over (no churn at every call site).
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn from_js(value: JsValue) -> Result<serde_json::Value, JsError> {
    let text = match value.as_string() {
        Some(text) => text,
        None if value.is_undefined() => return Ok(serde_json::Value::Null),
        None => js_sys::JSON::stringify(&value)
            .map_err(|e| {
                JsError::new(&format!(
                    "the argument is not plain data ({})",
                    js_sys::Error::from(e).message()
                ))
            })?
            .as_string()
            .ok_or_else(|| {
                JsError::new("the argument is not plain data (a function or a symbol)")
            })?,
    };
    let text = text.trim_start_matches('\u{feff}');
    serde_json::from_str(text)
        .map_err(|e| JsError::new(&federate_core::Error::from_json(&e).to_string()))
}

/// Turns an engine error into a real JS `Error`.
pub(crate) fn js_err(err: &federate_core::Error) -> JsError {
    JsError::new(&err.to_string())
}
