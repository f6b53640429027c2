//! The engine explains issuers and subjects segment by segment: only the segments of the
//! format, in order, each with a meaning and a check against the context.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_core::federation::{
    Check, DecodedIssuer, Format, Segment, SubjectContext, explain_issuer, explain_subject,
};
use federate_core::model::Endpoint;
use federate_core::verdict::{Context, classify};
use proptest::prelude::*;
use serde_json::json;

const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";
const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const CONN: &str = "64171687-7a59-4fce-b2c8-823278dcf176";
const ENTRA: &str = "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176";

/// The segments as a table, one line each, for a snapshot.
fn table(format_word: &str, segments: &[Segment]) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{format_word}\n");
    for s in segments {
        let _ = writeln!(
            out,
            "{} | {} | {} | {:?} {} | {}",
            s.label,
            s.text,
            s.value,
            s.check,
            s.expected.as_deref().unwrap_or("-"),
            s.meaning
        );
        let _ = writeln!(out, "    check: {}", s.check_word);
    }
    out
}

fn issuer_table(i: &DecodedIssuer) -> String {
    format!(
        "retires: {}\n{}",
        i.retires.as_deref().unwrap_or("-"),
        table(&i.format_word, &i.segments)
    )
}

fn labels(segments: &[Segment]) -> Vec<&str> {
    segments.iter().map(|s| s.label.as_str()).collect()
}

fn by_label<'a>(segments: &'a [Segment], label: &str) -> &'a Segment {
    segments
        .iter()
        .find(|s| s.label == label)
        .unwrap_or_else(|| panic!("no {label} segment in {:?}", labels(segments)))
}

fn full_context() -> SubjectContext {
    SubjectContext {
        organization_name: Some("contoso".into()),
        organization_id: Some(ORG_ID.to_uppercase()),
        project_name: Some("Web Shop".into()),
        connection_id: Some(CONN.into()),
        connection_name: Some("prod-arm".into()),
        tenant_id: Some(TENANT.into()),
        ..SubjectContext::default()
    }
}

#[test]
fn entra_subject_segments_in_order_with_meanings() {
    let d = explain_subject(ENTRA, &SubjectContext::default()).unwrap();
    assert_eq!(d.format, Format::Entra);
    assert_eq!(
        labels(&d.segments),
        [
            "Format marker",
            "Cloud",
            "Tenant",
            "Application",
            "Service connection",
            "Organization id",
            "Connection id"
        ],
        "only the Entra format's segments: no organization, project or connection name"
    );
    assert!(d.segments.iter().all(|s| !s.meaning.is_empty()));
    let texts: Vec<&str> = d.segments.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts.join("/"),
        ENTRA,
        "the texts are the subject as written"
    );
    let tenant = by_label(&d.segments, "Tenant");
    assert_eq!(tenant.value, TENANT, "decoded little-endian");
    assert!(tenant.meaning.starts_with(&format!(
        "Tenant that issues the token: {TENANT} (the identity's tenant)"
    )));
    assert_eq!(tenant.check, Check::Unknown, "no tenant in the context");
    let app = by_label(&d.segments, "Application");
    assert_eq!(app.check, Check::Matches);
    assert!(app.meaning.contains("this is a service connection subject"));
    insta::assert_snapshot!(
        "entra_subject_no_context",
        table(&d.format_word, &d.segments)
    );
}

#[test]
fn entra_subject_checked_against_the_context() {
    let d = explain_subject(ENTRA, &full_context()).unwrap();
    for label in ["Tenant", "Organization id", "Connection id"] {
        let s = by_label(&d.segments, label);
        assert_eq!(s.check, Check::Matches, "{label}: {s:?}");
        assert_eq!(s.expected, None);
    }
    let other_org = "11111111-2222-3333-4444-555555555555";
    let ctx = SubjectContext {
        organization_id: Some(other_org.into()),
        connection_id: Some("not a guid".into()),
        ..full_context()
    };
    let d = explain_subject(ENTRA, &ctx).unwrap();
    let org = by_label(&d.segments, "Organization id");
    assert_eq!(org.check, Check::Differs);
    assert_eq!(org.expected.as_deref(), Some(other_org));
    assert_eq!(org.check_word, format!("Differs: expected {other_org}"));
    assert_eq!(
        by_label(&d.segments, "Connection id").check,
        Check::Unknown,
        "a context value that is no GUID checks nothing"
    );
    insta::assert_snapshot!("entra_subject_differs", table(&d.format_word, &d.segments));
}

#[test]
fn entra_subject_of_another_application_and_cloud() {
    // v4j5cvGGr0GRqy180BHbRw is the Microsoft tenant, not the Azure DevOps application.
    let s = ENTRA
        .replace("rISbSSETf0KqFyZ8ppdXmA", "v4j5cvGGr0GRqy180BHbRw")
        .replace("/c/pub/", "/c/usgov/");
    let d = explain_subject(&s, &SubjectContext::default()).unwrap();
    let app = by_label(&d.segments, "Application");
    assert_eq!(app.check, Check::Differs);
    assert_eq!(
        app.expected.as_deref(),
        Some("499b84ac-1321-427f-aa17-267ca6975798")
    );
    assert_eq!(by_label(&d.segments, "Cloud").check, Check::Unknown);
}

#[test]
fn classic_subject_segments_and_checks() {
    let s = "sc://contoso/Web Shop/prod-arm";
    let d = explain_subject(s, &SubjectContext::default()).unwrap();
    assert_eq!(d.format, Format::AzureDevOps);
    assert_eq!(
        labels(&d.segments),
        [
            "Format marker",
            "Organization name",
            "Project name",
            "Connection name"
        ]
    );
    assert!(
        d.segments[1..]
            .iter()
            .all(|s| s.check == Check::Unknown && !s.meaning.is_empty())
    );
    let rest: Vec<&str> = d.segments[1..].iter().map(|s| s.text.as_str()).collect();
    assert_eq!(format!("sc://{}", rest.join("/")), s);
    insta::assert_snapshot!(
        "classic_subject_no_context",
        table(&d.format_word, &d.segments)
    );

    let renamed = SubjectContext {
        connection_name: Some("prod-arm-2".into()),
        ..full_context()
    };
    let d = explain_subject(s, &renamed).unwrap();
    assert_eq!(
        by_label(&d.segments, "Organization name").check,
        Check::Matches
    );
    assert_eq!(by_label(&d.segments, "Project name").check, Check::Matches);
    let name = by_label(&d.segments, "Connection name");
    assert_eq!(
        (name.check, name.expected.as_deref()),
        (Check::Differs, Some("prod-arm-2"))
    );
    assert!(name.meaning.contains("renaming the connection breaks"));
}

#[test]
fn unknown_subject_is_one_unchecked_segment() {
    let s = "repo:octo/app:ref:refs/heads/main";
    let d = explain_subject(s, &full_context()).unwrap();
    assert_eq!(d.format, Format::Unknown);
    assert_eq!(d.segments.len(), 1);
    assert_eq!(
        (d.segments[0].text.as_str(), d.segments[0].check),
        (s, Check::Unknown)
    );
    assert_eq!(d.organization_name, None);
    insta::assert_snapshot!("unknown_subject", table(&d.format_word, &d.segments));
    // A malformed subject of a known format stays an error naming the bad segment.
    let err = explain_subject("sc://org", &full_context()).unwrap_err();
    assert!(err.to_string().contains("project"), "{err}");
    assert!(explain_subject("  ", &full_context()).is_err());
}

#[test]
fn issuers_segment_by_segment() {
    let ado = explain_issuer(
        &format!("https://vstoken.dev.azure.com/{ORG_ID}"),
        &full_context(),
    );
    assert_eq!(ado.format, Format::AzureDevOps);
    assert_eq!(ado.retires.as_deref(), Some("2027-07-01"));
    assert_eq!(labels(&ado.segments), ["Issuer", "Organization id"]);
    assert_eq!(ado.segments[1].check, Check::Matches);
    assert!(ado.segments[0].meaning.contains("retires on 2027-07-01"));
    insta::assert_snapshot!("issuer_azure_devops", issuer_table(&ado));

    let entra = explain_issuer(
        &format!(
            "https://login.microsoftonline.com/{}/v2.0",
            TENANT.to_uppercase()
        ),
        &SubjectContext {
            tenant_id: Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
            ..SubjectContext::default()
        },
    );
    assert_eq!(entra.format, Format::Entra);
    assert_eq!(entra.retires, None);
    assert_eq!(labels(&entra.segments), ["Issuer", "Tenant", "Version"]);
    let tenant = &entra.segments[1];
    assert_eq!(tenant.text, TENANT.to_uppercase(), "as written");
    assert_eq!(tenant.value, TENANT, "normalised");
    assert_eq!(tenant.check, Check::Differs);
    insta::assert_snapshot!("issuer_entra_differs", issuer_table(&entra));

    let preview = explain_issuer("https://app.vstoken.visualstudio.com", &full_context());
    assert_eq!(preview.format, Format::Preview);
    assert_eq!(preview.segments.len(), 1);
    assert_eq!(preview.segments[0].check, Check::Differs);
    assert_eq!(
        preview.segments[0].expected.as_deref(),
        Some(format!("https://login.microsoftonline.com/{TENANT}/v2.0").as_str())
    );
    insta::assert_snapshot!("issuer_preview", issuer_table(&preview));
    let preview = explain_issuer(
        "https://app.vstoken.visualstudio.com",
        &SubjectContext::default(),
    );
    assert_eq!(preview.segments[0].check, Check::Unknown);

    let unknown = explain_issuer(
        "https://token.actions.githubusercontent.com",
        &full_context(),
    );
    assert_eq!(unknown.format, Format::Unknown);
    assert_eq!(unknown.segments.len(), 1);
    assert_eq!(unknown.segments[0].check, Check::Unknown);
}

fn draft(issuer: &str, subject: &str, name: &str) -> Endpoint {
    Endpoint::from_value(json!({
        "id": CONN, "name": name, "type": "azurerm", "isReady": false,
        "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": {
            "tenantid": TENANT, "serviceprincipalid": "11111111-1111-1111-1111-111111111111",
            "workloadIdentityFederationIssuer": issuer,
            "workloadIdentityFederationSubject": subject}},
        "data": {"creationMode": "Manual", "isDraft": "true"},
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "p1", "name": "Web Shop"}, "name": name}]
    }))
    .unwrap()
}

#[test]
fn a_verdict_explains_its_issuer_and_subject_against_the_connection() {
    let ctx = Context {
        organization_name: Some("contoso".into()),
        organization_id: Some(ORG_ID.into()),
        ..Context::default()
    };
    let v = classify(
        &draft(
            &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            ENTRA,
            "prod-arm",
        ),
        &ctx,
    );
    let f = v.federation.unwrap();
    let d = f.decoded.unwrap();
    assert_eq!(d.segments.len(), 7);
    assert!(
        d.segments.iter().all(|s| s.check == Check::Matches),
        "{:?}",
        d.segments
    );
    let i = f.issuer_decoded.unwrap();
    assert!(i.segments.iter().all(|s| s.check == Check::Matches));

    // Without the organization in the context, its id is not checked (never against itself).
    let v = classify(
        &draft(
            &format!("https://vstoken.dev.azure.com/{ORG_ID}"),
            "sc://contoso/Web Shop/old-name",
            "prod-arm",
        ),
        &Context::default(),
    );
    let f = v.federation.unwrap();
    let i = f.issuer_decoded.unwrap();
    assert_eq!(i.segments[1].check, Check::Unknown);
    assert_eq!(i.retires.as_deref(), Some("2027-07-01"));
    let d = f.decoded.unwrap();
    assert_eq!(
        by_label(&d.segments, "Organization name").check,
        Check::Unknown
    );
    assert_eq!(by_label(&d.segments, "Project name").check, Check::Matches);
    let name = by_label(&d.segments, "Connection name");
    assert_eq!(
        (name.check, name.expected.as_deref()),
        (Check::Differs, Some("prod-arm"))
    );

    // A subject of no known format: one segment, and the warning stays.
    let v = classify(&draft("https://example.com", "garbage", "x"), &ctx);
    let f = v.federation.unwrap();
    assert_eq!(f.decoded.unwrap().segments.len(), 1);
    assert!(f.warnings.iter().any(|w| w.code == "subjectMalformed"));
    assert_eq!(f.issuer_decoded.unwrap().format, Format::Unknown);
}

proptest! {
    #[test]
    fn garbage_never_panics_and_an_unknown_text_is_one_segment(s in "\\PC{0,80}") {
        let ctx = full_context();
        if let Ok(d) = explain_subject(&s, &ctx) {
            prop_assert!(!d.segments.is_empty());
            prop_assert!(d.segments.iter().all(|x| !x.meaning.is_empty()));
            if d.format == Format::Unknown {
                prop_assert_eq!(d.segments.len(), 1);
            }
        }
        let _ = explain_subject(&format!("/eid1/c/pub/t/{s}"), &ctx);
        let _ = explain_subject(&format!("sc://{s}"), &ctx);
        let i = explain_issuer(&s, &ctx);
        prop_assert!(!i.segments.is_empty());
        let _ = explain_issuer(&format!("https://login.microsoftonline.com/{s}"), &ctx);
        let _ = explain_issuer(&format!("https://vstoken.dev.azure.com/{s}"), &ctx);
    }
}
