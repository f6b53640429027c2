//! Azure DevOps as the target of a connection: its hosts, the personal access tokens (PATs)
//! connections hold for it, and the Azure DevOps service connection (`WorkloadIdentityUser`)
//! that replaces them.
//!
//! Facts (ado-facts §17.1, §17.2, seed `000_…`): global PATs stop working on 2026-12-01;
//! the Azure DevOps connection is an Entra service principal or managed identity, federated,
//! that must be a user of every organization it reaches (access level Basic) and a member of
//! the projects it uses. The REST API does not say whether a stored PAT is global or scoped
//! to one organization, so both are said.

use serde::{Deserialize, Serialize};

use crate::model::Endpoint;
use crate::verdict::time::{days_until, parse_iso_time};

/// The REST `type` of the Azure DevOps service connection (ado-facts §17.2).
pub const WORKLOAD_IDENTITY_USER: &str = "WorkloadIdentityUser";
/// When every global (all-organization) PAT stops working (ado-facts §17.1), ISO time.
pub const GLOBAL_PAT_END: &str = "2026-12-01T00:00:00Z";
/// The Azure DevOps resource (token audience) for Entra tokens (ado-facts §2).
pub const AZURE_DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

/// Whether a connection is the Azure DevOps connection (type compared case-insensitively).
pub fn is_workload_identity_user(ep: &Endpoint) -> bool {
    ep.endpoint_type()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(WORKLOAD_IDENTITY_USER))
}

/// The lowercase host of a URL (`https://user@Host:443/path` → `host`), or `None` when the
/// text has no `scheme://host`. Hand-written rather than the `url` crate: only the host is
/// needed, and the crate's IDNA tables would grow the wasm for nothing.
///
/// ```
/// use federate_core::azure_devops::url_host;
/// assert_eq!(url_host("https://PKGS.dev.azure.com/org/_packaging/f/nuget/v3/index.json").as_deref(), Some("pkgs.dev.azure.com"));
/// assert_eq!(url_host("https://build:x@contoso.visualstudio.com:443/").as_deref(), Some("contoso.visualstudio.com"));
/// assert_eq!(url_host("not a url"), None);
/// ```
pub fn url_host(url: &str) -> Option<String> {
    let (_, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Whether a host is an Azure DevOps Services host: `dev.azure.com` and its subdomains
/// (`pkgs.`, `vsrm.`, `vssps.`, `feeds.`…) or a subdomain of `visualstudio.com`
/// (`{org}.visualstudio.com`, `{org}.pkgs.visualstudio.com`, `marketplace.visualstudio.com`).
///
/// ```
/// use federate_core::azure_devops::is_azure_devops_host;
/// assert!(is_azure_devops_host("vsrm.dev.azure.com"));
/// assert!(is_azure_devops_host("contoso.visualstudio.com"));
/// assert!(!is_azure_devops_host("dev.azure.com.evil.example"));
/// assert!(!is_azure_devops_host("management.azure.com"));
/// ```
pub fn is_azure_devops_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "dev.azure.com" || h.ends_with(".dev.azure.com") || h.ends_with(".visualstudio.com")
}

/// What a PAT connection to Azure DevOps is used for, which decides the pipeline change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum PatUse {
    /// Checking out (or referencing templates in) a repository of another organization.
    Repository,
    /// An Azure Artifacts feed (`NuGet`, npm, Maven, Python, Cargo, Conda).
    ArtifactsFeed,
    /// Publishing to the Visual Studio Marketplace.
    ExtensionPublishing,
    /// REST calls to Azure DevOps.
    RestApi,
}

impl PatUse {
    /// In words, for texts.
    pub fn words(self) -> &'static str {
        match self {
            PatUse::Repository => "repository checkout",
            PatUse::ArtifactsFeed => "Artifacts feed",
            PatUse::ExtensionPublishing => "extension publishing",
            PatUse::RestApi => "REST calls",
        }
    }
}

/// A PAT (or password) a connection holds for Azure DevOps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AzureDevOpsPat {
    /// The Azure DevOps host the connection points at; `None` for an Azure DevOps type
    /// (`externaltfs`, `azdoapi`) without a URL.
    pub host: Option<String>,
    /// What it is used for, guessed from its type, host and path.
    #[serde(rename = "use")]
    pub usage: PatUse,
    /// When a global PAT stops working.
    pub global_pat_deadline: String,
    /// Whole days from `context.now` to that deadline (0 or less once passed).
    pub days_left: Option<i64>,
}

const FEED_TYPES: [&str; 5] = [
    "externalnugetfeed",
    "externalnpmregistry",
    "externalmavenrepository",
    "externalpythondownloadfeed",
    "externalpythonuploadfeed",
];

/// Types that always target Azure DevOps (or Azure DevOps Server) with a PAT.
const AZURE_DEVOPS_TYPES: [&str; 2] = ["externaltfs", "azdoapi"];

fn type_is(ep: &Endpoint, names: &[&str]) -> bool {
    ep.endpoint_type()
        .is_some_and(|t| names.iter().any(|n| t.trim().eq_ignore_ascii_case(n)))
}

/// The PAT a connection holds for Azure DevOps, if it does: the connection holds a token or
/// a password (`holds_token_or_password`, from the verdict table) and its `url` is an Azure
/// DevOps host, or it is an `externaltfs`/`azdoapi` connection without a URL. A URL on
/// another host (an Azure DevOps Server, GitHub, a registry) is not an Azure DevOps PAT.
pub fn azure_devops_pat(
    ep: &Endpoint,
    holds_token_or_password: bool,
    now: Option<&str>,
) -> Option<AzureDevOpsPat> {
    if !holds_token_or_password {
        return None;
    }
    let url = ep.url().filter(|u| !u.trim().is_empty());
    let host = match url {
        Some(u) => Some(url_host(u).filter(|h| is_azure_devops_host(h))?),
        None if type_is(ep, &AZURE_DEVOPS_TYPES) => None,
        None => return None,
    };
    let path = url.map(str::to_ascii_lowercase).unwrap_or_default();
    let h = host.as_deref().unwrap_or_default();
    let usage = if type_is(ep, &FEED_TYPES)
        || h.starts_with("pkgs.")
        || h.contains(".pkgs.")
        || h.starts_with("feeds.")
        || path.contains("/_packaging/")
    {
        PatUse::ArtifactsFeed
    } else if h == "marketplace.visualstudio.com" {
        PatUse::ExtensionPublishing
    } else if type_is(ep, &["externaltfs", "git"]) || path.contains("/_git/") {
        PatUse::Repository
    } else {
        PatUse::RestApi
    };
    let days_left = match (
        now.and_then(|n| parse_iso_time(n).ok()),
        parse_iso_time(GLOBAL_PAT_END).ok(),
    ) {
        (Some(n), Some(d)) => Some(days_until(n, d)),
        _ => None,
    };
    Some(AzureDevOpsPat {
        host,
        usage,
        global_pat_deadline: GLOBAL_PAT_END.to_owned(),
        days_left,
    })
}

/// The reason's message for a PAT to Azure DevOps (the words the marks and panel show).
pub fn pat_message(pat: &AzureDevOpsPat) -> String {
    let host = pat.host.as_deref().unwrap_or("Azure DevOps");
    let when = match pat.days_left {
        Some(d) if d > 0 => format!("on 2026-12-01 ({d} day(s) left)"),
        Some(_) => "since 2026-12-01".to_owned(),
        None => "on 2026-12-01".to_owned(),
    };
    let stops = if pat.days_left.is_some_and(|d| d <= 0) {
        "has stopped working"
    } else {
        "stops working"
    };
    format!(
        "Azure DevOps PAT ({host}, {}): replace it with an Azure DevOps connection (workload identity). A global PAT (all accessible organizations) {stops} {when}; the API does not tell a global PAT from one for a single organization, so treat it as urgent either way.",
        pat.usage.words()
    )
}

/// The organization a URL on an Azure DevOps host names: the first path segment on
/// `dev.azure.com` and its subdomains, the subdomain on `{org}.visualstudio.com` (and
/// `{org}.pkgs.visualstudio.com`). `None` for other hosts and for the Marketplace.
pub fn organization_of_url(url: &str) -> Option<String> {
    let host = url_host(url).filter(|h| is_azure_devops_host(h))?;
    if host.ends_with("visualstudio.com") {
        let org = host.split('.').next()?;
        return (org != "marketplace" && org != "app").then(|| org.to_owned());
    }
    let (_, rest) = url.split_once("://")?;
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or_default();
    path.split(['/', '?', '#'])
        .next()
        .filter(|s| !s.is_empty() && !s.starts_with('_'))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ep(ty: &str, url: Option<&str>) -> Endpoint {
        let mut v = json!({"type": ty, "authorization": {"scheme": "Token"}});
        if let Some(u) = url {
            v["url"] = json!(u);
        }
        Endpoint::from_value(v).unwrap()
    }

    #[test]
    fn hosts() {
        assert_eq!(url_host("https://[::1]:8443/x").as_deref(), Some("[::1]"));
        assert_eq!(
            url_host("https://dev.azure.com./org").as_deref(),
            Some("dev.azure.com")
        );
        assert_eq!(url_host("https://"), None);
        for h in [
            "dev.azure.com",
            "pkgs.dev.azure.com",
            "contoso.pkgs.visualstudio.com",
            "marketplace.visualstudio.com",
        ] {
            assert!(is_azure_devops_host(h), "{h}");
        }
        for h in [
            "azure.com",
            "visualstudio.com",
            "devazure.com",
            "evil-dev.azure.com.example",
            "github.com",
        ] {
            assert!(!is_azure_devops_host(h), "{h}");
        }
    }

    #[test]
    fn uses() {
        let u = |ty, url| azure_devops_pat(&ep(ty, url), true, None).map(|p| p.usage);
        assert_eq!(
            u(
                "generic",
                Some("https://pkgs.dev.azure.com/o/_packaging/f/nuget/v3/index.json")
            ),
            Some(PatUse::ArtifactsFeed)
        );
        assert_eq!(
            u("git", Some("https://dev.azure.com/o/p/_git/r")),
            Some(PatUse::Repository)
        );
        assert_eq!(u("externaltfs", None), Some(PatUse::Repository));
        assert_eq!(u("azdoapi", None), Some(PatUse::RestApi));
        assert_eq!(
            u("generic", Some("https://marketplace.visualstudio.com")),
            Some(PatUse::ExtensionPublishing)
        );
        assert_eq!(
            u("generic", Some("https://vsrm.dev.azure.com/o")),
            Some(PatUse::RestApi)
        );
        assert_eq!(
            u("externaltfs", Some("https://tfs.contoso.example/tfs")),
            None
        );
        assert_eq!(u("generic", None), None);
        assert!(
            azure_devops_pat(&ep("generic", Some("https://dev.azure.com/o")), false, None)
                .is_none()
        );
    }

    #[test]
    fn days_and_words() {
        let p = azure_devops_pat(
            &ep("azdoapi", Some("https://dev.azure.com/o")),
            true,
            Some("2026-11-30T04:00:00Z"),
        )
        .unwrap();
        assert_eq!(p.days_left, Some(1));
        let m = pat_message(&p);
        assert!(m.starts_with("Azure DevOps PAT (dev.azure.com, REST calls): replace it with an Azure DevOps connection (workload identity)."), "{m}");
        assert!(m.contains("1 day(s) left"), "{m}");
        let late =
            azure_devops_pat(&ep("azdoapi", None), true, Some("2026-12-02T00:00:00Z")).unwrap();
        assert!(pat_message(&late).contains("has stopped working since 2026-12-01"));
    }
}
