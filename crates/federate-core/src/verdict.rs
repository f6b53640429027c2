//! Verdicts: which credential a connection holds, its state, and whether it can move to
//! workload identity federation.

use serde::Serialize;

use crate::model::Endpoint;

/// The credential a connection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Credential {
    Secret,
    Certificate,
    Password,
    Token,
    PublishProfile,
    Federated,
    ManagedIdentity,
    Oauth,
    None,
    Unknown,
}

/// A first, simple rule: the credential from type and scheme.
pub fn credential(ep: &Endpoint) -> Credential {
    let ty = ep.endpoint_type().unwrap_or_default().to_ascii_lowercase();
    let scheme = ep.scheme().unwrap_or_default().to_ascii_lowercase();
    match (ty.as_str(), scheme.as_str()) {
        (_, "workloadidentityfederation") => Credential::Federated,
        ("azurerm", "serviceprincipal") => {
            match ep.param("authenticationType").as_deref() {
                Some(t) if t.eq_ignore_ascii_case("spnCertificate") => Credential::Certificate,
                _ => Credential::Secret,
            }
        }
        ("azurerm", "managedserviceidentity") => Credential::ManagedIdentity,
        ("azurerm", "publishprofile") => Credential::PublishProfile,
        (_, "usernamepassword") => Credential::Password,
        (_, "token" | "personalaccesstoken") => Credential::Token,
        _ => Credential::Unknown,
    }
}
