//! Federate's engine: pure functions over Azure DevOps service connections.
//!
//! No clock, no network, no file system: time comes in as arguments and I/O through
//! [`api::Transport`], so everything here is tested natively.

pub mod api;
pub mod azure_devops;
pub mod convertibility;
pub mod diagnose;
pub mod error;
pub mod federation;
pub mod job;
pub mod jobs;
pub mod migration;
pub mod model;
pub mod remedy;
pub mod report;
pub mod sanitize;
#[cfg(feature = "ts")]
pub mod typescript;
pub mod usage;
pub mod verdict;

pub use error::Error;
