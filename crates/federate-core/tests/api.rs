//! URLs, request builders, answer classification and rate-limit headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_core::api::{
    self, Api, ApiError, HostForm, OrgLocation, RateLimit, Response, conversion_body, revert_body,
};
use federate_core::model::Endpoint;
use serde_json::json;

#[test]
fn both_url_forms_give_the_organization_project_and_api_base() {
    let cases = [
        (
            "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_settings/adminservices?resourceId=5e47a0d8-1&_a=x",
            "fabrikam",
            Some("Fabrikam Fiber"),
            Some("5e47a0d8-1"),
            "https://dev.azure.com/fabrikam",
            HostForm::Path,
        ),
        (
            "https://fabrikam.visualstudio.com/Fabrikam%20Fiber/_settings/adminservices",
            "fabrikam",
            Some("Fabrikam Fiber"),
            None,
            "https://fabrikam.visualstudio.com",
            HostForm::Subdomain,
        ),
        (
            "https://dev.azure.com/fabrikam/c7e5f0b3-4f4e-4d7b-8e4f-1b2a3c4d5e6f/_apis/x",
            "fabrikam",
            Some("c7e5f0b3-4f4e-4d7b-8e4f-1b2a3c4d5e6f"),
            None,
            "https://dev.azure.com/fabrikam",
            HostForm::Path,
        ),
        (
            "https://dev.azure.com/fabrikam/",
            "fabrikam",
            None,
            None,
            "https://dev.azure.com/fabrikam",
            HostForm::Path,
        ),
        (
            "https://dev.azure.com/fabrikam/_settings/projects",
            "fabrikam",
            None,
            None,
            "https://dev.azure.com/fabrikam",
            HostForm::Path,
        ),
        (
            "HTTPS://Fabrikam.VisualStudio.com",
            "fabrikam",
            None,
            None,
            "https://fabrikam.visualstudio.com",
            HostForm::Subdomain,
        ),
        (
            "dev.azure.com/fabrikam/%C3%9Cnic%C3%B6de%20%3Cb%3E",
            "fabrikam",
            Some("Ünicöde <b>"),
            None,
            "https://dev.azure.com/fabrikam",
            HostForm::Path,
        ),
        (
            "https://127.0.0.1:8443/demo/Web/_settings/adminservices?resourceid=abc#frag",
            "demo",
            Some("Web"),
            Some("abc"),
            "https://127.0.0.1:8443/demo",
            HostForm::Path,
        ),
    ];
    for (url, org, project, resource, base, form) in cases {
        let loc = OrgLocation::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(loc.organization, org, "{url}");
        assert_eq!(loc.project.as_deref(), project, "{url}");
        assert_eq!(loc.resource_id.as_deref(), resource, "{url}");
        assert_eq!(loc.api_base(), base, "{url}");
        assert_eq!(loc.host_form, form, "{url}");
    }
    for bad in [
        "",
        "https://",
        "https://dev.azure.com/",
        "https://dev.azure.com/_apis/x",
        "ftp://dev.azure.com/x",
        "https://a.b.visualstudio.com/x",
        "https://user@dev.azure.com/x",
    ] {
        assert!(OrgLocation::parse(bad).is_err(), "{bad} parsed");
    }
}

#[test]
fn requests_carry_the_web_ui_headers_and_api_version() {
    let api = Api::new(&OrgLocation::parse("https://dev.azure.com/fabrikam").unwrap());
    for req in [
        api.connection_data(),
        api.list_projects(None, 100),
        api.list_endpoints("P"),
        api.get_endpoint("P", "e"),
    ] {
        assert_eq!(req.method, "GET");
        assert!(req.body.is_none());
        let h = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(h("X-TFS-FedAuthRedirect"), Some("Suppress"));
        assert_eq!(h("X-VSS-ReauthenticationAction"), Some("Suppress"));
        let accept = h("Accept").unwrap();
        let version = req.url.split("api-version=").nth(1).unwrap();
        assert_eq!(accept, format!("application/json;api-version={version}"));
        assert_eq!(h("Content-Type"), None);
    }
    assert_eq!(
        api.list_endpoints("Web Site/ü").url,
        "https://dev.azure.com/fabrikam/Web%20Site%2F%C3%BC/_apis/serviceendpoint/endpoints?includeFailed=true&api-version=7.1"
    );
    assert_eq!(
        api.list_projects(Some("200"), 100).url,
        "https://dev.azure.com/fabrikam/_apis/projects?$top=100&continuationToken=200&api-version=7.1"
    );
    let api = api.with_api_version("7.2-preview.4");
    assert!(
        api.get_endpoint("P", "e")
            .url
            .ends_with("?api-version=7.2-preview.4")
    );
    assert!(
        api.connection_data()
            .url
            .ends_with("?api-version=7.2-preview.1")
    );
    let vs = Api::new(&OrgLocation::parse("https://fabrikam.visualstudio.com/P").unwrap());
    assert_eq!(
        vs.get_endpoint("P", "e").url,
        "https://fabrikam.visualstudio.com/P/_apis/serviceendpoint/endpoints/e?api-version=7.1"
    );
}

fn ep() -> Endpoint {
    Endpoint::from_value(json!({
        "id":"e1","name":"n","type":"azurerm",
        "data":{"creationMode":"Automatic","revertschemedeadline":"2024-01-30T09:41:12Z","subscriptionId":"s"},
        "authorization":{"parameters":{"serviceprincipalkey":null},"scheme":"ServicePrincipal"},
        "serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"P"},"name":"n","description":""}]
    })).unwrap()
}

#[test]
fn conversion_and_revert_bodies_change_only_the_scheme() {
    let body = conversion_body(&ep()).unwrap();
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"id":"e1","name":"n","type":"azurerm","data":{"creationMode":"Automatic","subscriptionId":"s"},"authorization":{"parameters":{"serviceprincipalkey":null},"scheme":"WorkloadIdentityFederation"},"serviceEndpointProjectReferences":[{"projectReference":{"id":"p1","name":"P"},"name":"n","description":""}]}"#
    );
    assert_eq!(
        revert_body(&body).unwrap().scheme(),
        Some("ServicePrincipal")
    );
    let no_auth = Endpoint::from_value(json!({"id":"x"})).unwrap();
    assert!(conversion_body(&no_auth).is_err());
    let api = Api::new(&OrgLocation::parse("https://dev.azure.com/o").unwrap());
    let req = api.convert("p1", &ep()).unwrap();
    assert_eq!(req.method, "PUT");
    assert!(
        req.headers
            .contains(&("Content-Type".to_owned(), "application/json".to_owned()))
    );
    assert_eq!(
        req.body.as_deref().unwrap(),
        serde_json::to_string(&body).unwrap()
    );
}

fn err_of(resp: &Response) -> Option<ApiError> {
    api::check(resp).err()
}

#[test]
fn answers_are_classified() {
    let body = |m: &str| {
        json!({"$id":"1","innerException":null,"message":m,"typeName":"T","typeKey":"K","errorCode":0,"eventId":3000}).to_string()
    };
    assert_eq!(err_of(&Response::new(200, "{}")), None);
    assert_eq!(err_of(&Response::new(204, "")), None);
    assert_eq!(err_of(&Response::new(401, "")).unwrap().kind(), "signedOut");
    assert_eq!(
        err_of(&Response::new(203, "<html>")).unwrap().kind(),
        "signedOut"
    );
    assert_eq!(
        err_of(&Response::new(404, "<html>x</html>"))
            .unwrap()
            .kind(),
        "notFound"
    );
    assert_eq!(
        err_of(&Response::new(400, "<html>x</html>").with_header("content-type", "text/html"))
            .unwrap()
            .kind(),
        "signedOut"
    );
    assert_eq!(
        err_of(&Response::new(301, "").with_header("location", "https://dev.azure.com/other"))
            .unwrap()
            .kind(),
        "malformed"
    );
    assert_eq!(err_of(&Response::new(0, "")).unwrap().kind(), "network");
    assert_eq!(
        err_of(&Response::new(
            400,
            body("TF400733: The request has been canceled")
        ))
        .unwrap()
        .kind(),
        "throttled"
    );
    assert_eq!(
        err_of(&Response::new(429, body("x")).with_header("retry-after", "1.5")).unwrap(),
        ApiError::Throttled {
            retry_after_ms: Some(1500),
            message: "x".into()
        }
    );
    assert_eq!(
        err_of(&Response::new(
            409,
            body("Cannot perform this operation since another operation is already in progress")
        ))
        .unwrap()
        .kind(),
        "inProgress"
    );
    assert_eq!(
        err_of(&Response::new(400, body("Bad thing"))).unwrap(),
        ApiError::BadRequest {
            status: 400,
            message: "Bad thing".into()
        }
    );
    assert_eq!(
        err_of(&Response::new(502, "")).unwrap(),
        ApiError::Server {
            status: 502,
            message: "HTTP 502 without a message".into()
        }
    );
    assert_eq!(
        err_of(&Response::new(500, "plain text failure"))
            .unwrap()
            .message(),
        "plain text failure"
    );
    let e = err_of(&Response::new(
        403,
        body("You need to be an Administrator on this service connection."),
    ))
    .unwrap();
    assert_eq!(
        e.to_string(),
        "forbidden: You need to be an Administrator on this service connection."
    );
    assert!(
        !ApiError::Forbidden {
            message: String::new()
        }
        .is_pause_worthy()
    );
    assert!(
        ApiError::SignedOut {
            message: String::new()
        }
        .is_pause_worthy()
    );
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"kind":"forbidden","message":"You need to be an Administrator on this service connection."})
    );
}

#[test]
fn rate_limit_headers_are_read() {
    let resp = Response::new(200, "{}")
        .with_header("Retry-After", "3")
        .with_header("x-ratelimit-delay", "0.125")
        .with_header("X-RateLimit-Remaining", "0")
        .with_header("X-RateLimit-Limit", "200")
        .with_header("X-RateLimit-Reset", "1700000000")
        .with_header("X-RateLimit-Resource", "ServiceEndpoints");
    let rl = RateLimit::from_response(&resp);
    assert_eq!(
        rl,
        RateLimit {
            retry_after_ms: Some(3000),
            delay_ms: Some(125),
            remaining: Some(0.0),
            limit: Some(200.0),
            reset_epoch_s: Some(1_700_000_000),
            resource: Some("ServiceEndpoints".into())
        }
    );
    assert_eq!(rl.pause_ms(), Some(3000));
    let delayed = Response::new(200, "{}")
        .with_header("X-RateLimit-Delay", "2")
        .with_header("X-RateLimit-Remaining", "0");
    assert_eq!(RateLimit::from_response(&delayed).pause_ms(), Some(2000));
    let fine = Response::new(200, "{}")
        .with_header("X-RateLimit-Delay", "2")
        .with_header("X-RateLimit-Remaining", "50");
    assert_eq!(RateLimit::from_response(&fine).pause_ms(), None);
    for junk in ["-1", "abc", "NaN", "1e300", "Wed, 21 Oct 2015 07:28:00 GMT"] {
        assert_eq!(
            RateLimit::from_response(&Response::new(429, "").with_header("Retry-After", junk))
                .retry_after_ms,
            None,
            "{junk}"
        );
    }
}

#[test]
fn parsers_read_lists_pages_and_ids() {
    let page = Response::new(
        200,
        r#"{"count":1,"value":[{"id":"p","name":"P","state":"wellFormed","url":"u"}]}"#,
    )
    .with_header("X-MS-ContinuationToken", "100");
    let page = api::parse_projects_page(&page).unwrap();
    assert_eq!(page.projects[0].name, "P");
    assert_eq!(page.continuation.as_deref(), Some("100"));
    assert!(
        api::parse_projects_page(&Response::new(200, r#"{"value":[{"name":"no id"}]}"#)).is_err()
    );
    assert_eq!(
        api::parse_endpoints(&Response::new(200, r#"{"count":1,"value":[{"id":"e"}]}"#)).unwrap()
            [0]
        .id(),
        Some("e")
    );
    assert_eq!(
        api::parse_endpoints(&Response::new(200, r#"{"count":1}"#))
            .unwrap_err()
            .kind(),
        "malformed"
    );
    assert_eq!(
        api::parse_endpoint(&Response::new(200, "null"))
            .unwrap_err()
            .kind(),
        "notFound"
    );
    assert_eq!(
        api::parse_endpoint(&Response::new(200, ""))
            .unwrap_err()
            .kind(),
        "notFound"
    );
    assert_eq!(
        api::parse_organization_id(&Response::new(200, r#"{"instanceId":"ABC"}"#)).unwrap(),
        "abc"
    );
    assert_eq!(
        api::parse_organization_id(&Response::new(200, "{}"))
            .unwrap_err()
            .kind(),
        "malformed"
    );
    // The service's error message is surfaced from its error body, BOM or not.
    assert_eq!(
        api::service_message("\u{feff}{\"message\":\"m\"}").as_deref(),
        Some("m")
    );
}

#[test]
#[allow(clippy::float_cmp)] // whole milliseconds, exact in f64
fn retry_after_http_dates_in_the_three_rfc_7231_forms() {
    use federate_core::api::parse_http_date;
    let imf = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
    assert_eq!(imf, 784_111_777_000.0);
    assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(imf));
    assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(imf));
    for junk in [
        "",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 PST",
        "1994-11-06T08:49:37Z",
    ] {
        assert_eq!(parse_http_date(junk), None, "{junk:?}");
    }
    let resp = Response::new(429, "").with_header("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(
        RateLimit::from_response_at(&resp, imf - 2_500.0).retry_after_ms,
        Some(2_500)
    );
    assert_eq!(
        RateLimit::from_response_at(&resp, imf + 60_000.0).retry_after_ms,
        Some(0),
        "past: now"
    );
    assert_eq!(
        RateLimit::from_response_at(&resp, imf - 2.0 * 86_400_000.0).retry_after_ms,
        None,
        "beyond a day"
    );
    assert_eq!(
        RateLimit::from_response(&resp).retry_after_ms,
        None,
        "no clock, no date"
    );
    let seconds = Response::new(429, "").with_header("Retry-After", "3");
    assert_eq!(
        RateLimit::from_response_at(&seconds, imf).retry_after_ms,
        Some(3_000)
    );
}

#[test]
fn a_redirect_the_transport_could_not_see_into_on_apis_is_signed_out() {
    let api_url = "https://dev.azure.com/org/proj/_apis/serviceendpoint/endpoints";
    // What the relay reports for `fetch(url, { redirect: 'manual' })` answering
    // `type: 'opaqueredirect'`: status 0, no headers, no body, the request's URL.
    let opaque = Response {
        opaque_redirect: true,
        url: Some(api_url.into()),
        ..Response::new(0, "")
    };
    assert_eq!(err_of(&opaque).unwrap().kind(), "signedOut");
    // The same without a URL (a relay that does not know it): the engine only calls `_apis`.
    let opaque_no_url = Response {
        opaque_redirect: true,
        ..Response::new(0, "")
    };
    assert_eq!(err_of(&opaque_no_url).unwrap().kind(), "signedOut");
    // A 302 without a Location header on `_apis`.
    let bare = Response {
        url: Some(api_url.into()),
        ..Response::new(302, "")
    };
    assert_eq!(
        err_of(&bare).unwrap(),
        ApiError::SignedOut {
            message: api::SIGNED_OUT_MESSAGE.into()
        }
    );
    // Status 0 that was not a redirect stays a network failure; a visible redirect elsewhere
    // stays malformed; a hidden redirect off `_apis` is not claimed to be a sign-in.
    assert_eq!(err_of(&Response::new(0, "")).unwrap().kind(), "network");
    assert_eq!(
        err_of(&Response::new(302, "").with_header("Location", "https://example.com/x"))
            .unwrap()
            .kind(),
        "malformed"
    );
    let off_api = Response {
        opaque_redirect: true,
        url: Some("https://dev.azure.com/org/proj/_settings".into()),
        ..Response::new(0, "")
    };
    assert_eq!(err_of(&off_api).unwrap().kind(), "network");
    // The fact crosses the boundary as `opaqueRedirect` and defaults to false.
    let read: Response =
        serde_json::from_value(json!({"status":0,"headers":[],"body":"","opaqueRedirect":true}))
            .unwrap();
    assert!(read.opaque_redirect);
    let old: Response =
        serde_json::from_value(json!({"status":200,"headers":[],"body":""})).unwrap();
    assert!(!old.opaque_redirect);
}

#[test]
fn error_words_cover_every_kind_the_clients_show() {
    use federate_core::api::error_words;
    let fallback = error_words("no such kind", None);
    assert_eq!(fallback.title, "Something went wrong");
    for kind in [
        "signedOut",
        "throttled",
        "forbidden",
        "notFound",
        "inProgress",
        "badRequest",
        "server",
        "network",
        "malformed",
        "cancelled",
        "tab",
        "insecure",
        "off",
    ] {
        let words = error_words(kind, None);
        assert!(!words.title.is_empty(), "{kind}: a title");
        assert_ne!(
            words.title, fallback.title,
            "{kind}: its own title, not the fallback"
        );
    }
    assert_eq!(
        error_words("signedOut", None).title,
        "You are signed out of Azure DevOps"
    );
    assert_eq!(
        error_words("throttled", Some(2_001)).advice,
        "Wait 3 seconds, then retry."
    );
    assert_eq!(
        error_words("throttled", None).advice,
        "Wait a moment, then retry."
    );
    assert_eq!(error_words("cancelled", None).advice, "");
}
