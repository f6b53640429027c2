//! Exports of the Azure DevOps client, and its two transports (fetch and relay).
