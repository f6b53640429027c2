//! The one error type of the engine.

/// Everything that can go wrong in the engine. Messages say what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Input that is not JSON, with the position serde reported.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON of the wrong shape, e.g. not a service connection list.
    #[error("{0}")]
    Shape(String),
    /// A federation subject or issuer that does not parse; names the bad segment.
    #[error("malformed federation subject: {0}")]
    Subject(String),
    /// A bad argument (unknown format name, bad GUID, bad time).
    #[error("{0}")]
    Argument(String),
    /// A token would travel in clear text (an `http:` organization URL).
    #[error("{0}")]
    Insecure(String),
}

impl Error {
    /// Wraps a `serde_json` error with its position.
    pub fn from_json(err: &serde_json::Error) -> Self {
        Error::Json {
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        }
    }
}
