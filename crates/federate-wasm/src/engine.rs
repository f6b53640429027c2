//! Exports of the engine (verdicts, federation, remedies, diagnosis, reports).
