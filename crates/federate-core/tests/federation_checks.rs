//! How a connection's federation is checked against its organization and cloud (issue 11):
//! organization names ignoring case (keeping the subject's spelling), the sovereign clouds'
//! exempt issuer, the subject's tenant against the issuer's, a context's malformed ids, and
//! the expected issuer and subject in the connection's current format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_core::federation::{Check, Format, SubjectContext, explain_issuer, explain_subject};
use federate_core::model::Endpoint;
use federate_core::remedy::remedies;
use federate_core::verdict::{Context, classify};
use serde_json::{Value, json};

const TENANT: &str = "ff882432-09b0-437b-bd22-ca13c0037ded";
const OTHER_TENANT: &str = "11111111-2222-3333-4444-555555555555";
const ORG_ID: &str = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
const CONN: &str = "64171687-7a59-4fce-b2c8-823278dcf176";
const ENTRA: &str = "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176";
const ADO_ISSUER: &str = "https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6";

/// A federated azurerm connection named `conn` in project `Web`, with these parameters and data.
fn connection(params: &Value, data: &Value) -> Endpoint {
    let mut parameters = json!({"serviceprincipalid": "99999999-1111-1111-1111-111111111111"});
    for (k, v) in params.as_object().unwrap() {
        parameters[k] = v.clone();
    }
    Endpoint::from_value(json!({
        "id": CONN, "name": "conn", "type": "azurerm", "isReady": true,
        "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": parameters},
        "data": data,
        "serviceEndpointProjectReferences": [{"projectReference": {"id": "p1", "name": "Web"}, "name": "conn"}]
    }))
    .unwrap()
}

fn lower_org() -> Context {
    Context {
        organization_name: Some("contoso".into()),
        organization_id: Some(ORG_ID.into()),
        ..Context::default()
    }
}

#[test]
fn organization_names_compare_ignoring_case_and_keep_the_subjects_spelling() {
    // The segment: `Contoso` against the page's `contoso` matches; another name differs.
    let ctx = SubjectContext {
        organization_name: Some("contoso".into()),
        ..SubjectContext::default()
    };
    let d = explain_subject("sc://Contoso/Web/conn", &ctx).unwrap();
    let org = d
        .segments
        .iter()
        .find(|s| s.label == "Organization name")
        .unwrap();
    assert_eq!(
        (org.check, org.expected.as_deref(), org.check_word.as_str()),
        (Check::Matches, None, "Matches")
    );
    let other = SubjectContext {
        organization_name: Some("fabrikam".into()),
        ..SubjectContext::default()
    };
    let d = explain_subject("sc://Contoso/Web/conn", &other).unwrap();
    assert_eq!(d.segments[1].check, Check::Differs);
    assert_eq!(d.segments[1].expected.as_deref(), Some("fabrikam"));

    // The connection: no rename warning, and the expected subject keeps `Contoso`.
    let ep = connection(
        &json!({"workloadIdentityFederationIssuer": ADO_ISSUER, "workloadIdentityFederationSubject": "sc://Contoso/Web/conn"}),
        &json!({}),
    );
    let f = classify(&ep, &lower_org()).federation.unwrap();
    assert!(
        !f.warnings.iter().any(|w| w.code == "subjectRenamed"),
        "{:?}",
        f.warnings
    );
    let expected = f.expected.unwrap();
    assert_eq!(
        expected.azure_dev_ops.subject.as_deref(),
        Some("sc://Contoso/Web/conn")
    );
    let now = f.expected_now.unwrap();
    assert_eq!(now.format, Format::AzureDevOps);
    assert!(!now.subject_differs && !now.issuer_differs, "{now:?}");

    // A real rename still warns, and advises the subject with the stored organization spelling.
    let renamed = connection(
        &json!({"workloadIdentityFederationIssuer": ADO_ISSUER, "workloadIdentityFederationSubject": "sc://Contoso/Web/old"}),
        &json!({}),
    );
    let f = classify(&renamed, &lower_org()).federation.unwrap();
    let w = f
        .warnings
        .iter()
        .find(|w| w.code == "subjectRenamed")
        .unwrap();
    assert!(w.message.contains("sc://Contoso/Web/conn"), "{}", w.message);
    assert!(!w.message.contains("organization"), "{}", w.message);

    // The remedies (built from the expected subject: no issuer stored, no tenant) keep `Contoso`.
    let draft = connection(
        &json!({"workloadIdentityFederationSubject": "sc://Contoso/Web/conn"}),
        &json!({}),
    );
    let r = remedies(&draft, &lower_org());
    assert!(!r.remedies.is_empty(), "{:?}", r.reason);
    for remedy in &r.remedies {
        assert!(
            remedy.text.contains("sc://Contoso/Web/conn"),
            "{:?}: {}",
            remedy.format,
            remedy.text
        );
        assert!(!remedy.text.contains("sc://contoso/"), "{}", remedy.text);
    }
}

#[test]
fn a_sovereign_clouds_azure_devops_issuer_is_exempt_not_retiring() {
    for env in ["AzureUSGovernment", "AzureChinaCloud"] {
        let ep = connection(
            &json!({"workloadIdentityFederationIssuer": ADO_ISSUER, "workloadIdentityFederationSubject": "sc://contoso/Web/conn"}),
            &json!({"environment": env}),
        );
        let f = classify(&ep, &lower_org()).federation.unwrap();
        assert!(
            f.warnings
                .iter()
                .any(|w| w.code == "issuerRetirementExempt")
        );
        let i = f.issuer_decoded.unwrap();
        assert_eq!(i.retires, None, "{env}");
        let meaning = &i.segments[0].meaning;
        assert!(
            meaning.contains("Exempt") && meaning.contains(env),
            "{meaning}"
        );
        assert!(!meaning.contains("switch to the Entra issuer"), "{meaning}");
    }
    // Public cloud (no environment, or AzureCloud): it retires.
    for data in [json!({}), json!({"environment": "AzureCloud"})] {
        let ep = connection(
            &json!({"workloadIdentityFederationIssuer": ADO_ISSUER, "workloadIdentityFederationSubject": "sc://contoso/Web/conn"}),
            &data,
        );
        let i = classify(&ep, &lower_org())
            .federation
            .unwrap()
            .issuer_decoded
            .unwrap();
        assert_eq!(i.retires.as_deref(), Some("2027-07-01"));
        assert!(i.segments[0].meaning.contains("switch to the Entra issuer"));
    }
    // The same through the context alone.
    let ctx = SubjectContext::from_value(json!({"environment": "AzureUSGovernment"})).unwrap();
    assert_eq!(explain_issuer(ADO_ISSUER, &ctx).retires, None);
}

#[test]
fn a_context_with_a_malformed_id_is_refused() {
    for field in [
        "organizationId",
        "connectionId",
        "tenantId",
        "issuerTenantId",
    ] {
        let e = SubjectContext::from_value(json!({ field: "not-a-guid" })).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(field) && text.contains("not-a-guid") && text.contains("not a GUID"),
            "{text}"
        );
    }
    // Given well (any case, braces), or not given (empty, null): accepted.
    let ok = SubjectContext::from_value(
        json!({"organizationId": ORG_ID.to_uppercase(), "connectionId": format!("{{{CONN}}}"), "tenantId": "", "issuerTenantId": null}),
    )
    .unwrap();
    assert_eq!(
        ok.organization_id.as_deref(),
        Some(ORG_ID.to_uppercase().as_str())
    );
}

#[test]
fn the_subjects_tenant_is_checked_against_the_entra_issuers_tenant() {
    // tenantid says another tenant; the subject's tenant is the issuer's: the segment matches
    // (the tenantid mismatch is the issuer's Tenant segment's and a warning's business).
    let ep = connection(
        &json!({
            "tenantid": OTHER_TENANT,
            "workloadIdentityFederationIssuer": format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            "workloadIdentityFederationSubject": ENTRA}),
        &json!({}),
    );
    let f = classify(&ep, &lower_org()).federation.unwrap();
    let d = f.decoded.unwrap();
    let t = d.segments.iter().find(|s| s.label == "Tenant").unwrap();
    assert_eq!(t.check, Check::Matches, "{t:?}");
    assert!(t.meaning.contains("Entra issuer's tenant"), "{}", t.meaning);
    assert!(f.warnings.iter().any(|w| w.code == "tenantMismatch"));

    // Without an Entra issuer, it is compared with tenantid, and says so.
    let ctx = SubjectContext {
        tenant_id: Some(OTHER_TENANT.into()),
        ..SubjectContext::default()
    };
    let d = explain_subject(ENTRA, &ctx).unwrap();
    let t = d.segments.iter().find(|s| s.label == "Tenant").unwrap();
    assert_eq!(
        (t.check, t.expected.as_deref()),
        (Check::Differs, Some(OTHER_TENANT))
    );
    assert!(t.meaning.contains("tenant id (tenantid)"), "{}", t.meaning);
    // An issuer tenant given wins over tenantid.
    let ctx = SubjectContext {
        issuer_tenant_id: Some(TENANT.to_uppercase()),
        ..ctx
    };
    let d = explain_subject(ENTRA, &ctx).unwrap();
    assert_eq!(d.segments[2].check, Check::Matches);
}

#[test]
fn the_expected_issuer_and_subject_in_the_current_format() {
    let entra_issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
    let ep = connection(
        &json!({"tenantid": TENANT, "workloadIdentityFederationIssuer": entra_issuer, "workloadIdentityFederationSubject": ENTRA}),
        &json!({}),
    );
    let now = classify(&ep, &lower_org())
        .federation
        .unwrap()
        .expected_now
        .unwrap();
    assert_eq!(now.format, Format::Entra);
    assert_eq!(now.subject.as_deref(), Some(ENTRA));
    assert!(!now.issuer_differs && !now.subject_differs, "{now:?}");

    // A subject of another connection id: the expected subject differs.
    let copied = ENTRA.replace(CONN, "00000000-0000-0000-0000-000000000001");
    let ep = connection(
        &json!({"tenantid": TENANT, "workloadIdentityFederationIssuer": entra_issuer, "workloadIdentityFederationSubject": copied}),
        &json!({}),
    );
    let now = classify(&ep, &lower_org())
        .federation
        .unwrap()
        .expected_now
        .unwrap();
    assert!(now.subject_differs && !now.issuer_differs, "{now:?}");
    assert_eq!(now.subject.as_deref(), Some(ENTRA));

    // The Azure DevOps format: an issuer of another organization differs.
    let ep = connection(
        &json!({"workloadIdentityFederationIssuer": "https://vstoken.dev.azure.com/00000000-0000-0000-0000-000000000002", "workloadIdentityFederationSubject": "sc://contoso/Web/conn"}),
        &json!({}),
    );
    let now = classify(&ep, &lower_org())
        .federation
        .unwrap()
        .expected_now
        .unwrap();
    assert_eq!(now.format, Format::AzureDevOps);
    assert_eq!(now.issuer.as_deref(), Some(ADO_ISSUER));
    assert!(now.issuer_differs && !now.subject_differs, "{now:?}");
}
