//! The wasm-bindgen boundary: every export decodes its input, calls `federate-core`, and
//! encodes the result. No logic lives here.

pub mod client;
pub mod deadlines;
pub mod engine;
pub mod usage;

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Installs the panic hook once; called by every export's entry (cheap after the first).
fn init() {
    console_error_panic_hook::set_once();
}

/// An optional argument as given: `None` for an absent one, `undefined` or `null`.
pub(crate) fn given(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|v| !v.is_null_or_undefined())
}

/// Encodes a result as plain JS objects: `null` for `None`, no `Map`, no `BigInt`.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Decodes a JS value (an object or a JSON string) into JSON.
pub(crate) fn from_js(value: JsValue) -> Result<serde_json::Value, JsError> {
    if let Some(text) = value.as_string() {
        let text = text.trim_start_matches('\u{feff}');
        return serde_json::from_str(text)
            .map_err(|e| JsError::new(&federate_core::Error::from_json(&e).to_string()));
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&e.to_string()))
}

/// Turns an engine error into a real JS `Error`.
pub(crate) fn js_err(err: &federate_core::Error) -> JsError {
    JsError::new(&err.to_string())
}
