//! TODO(issue): filled in by its issue.
