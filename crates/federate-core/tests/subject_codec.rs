//! The Entra subject codec: encode-then-decode is the identity; garbage never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_collect)]

use federate_core::federation::{Format, decode_guid, decode_subject, encode_guid};
use proptest::prelude::*;

fn guid_from(bytes: [u8; 16]) -> String {
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[test]
fn public_examples() {
    for (enc, guid) in [
        (
            "MiSI_7AJe0O9IsoTwAN97Q",
            "ff882432-09b0-437b-bd22-ca13c0037ded",
        ),
        (
            "v4j5cvGGr0GRqy180BHbRw",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
        ),
        (
            "rISbSSETf0KqFyZ8ppdXmA",
            "499b84ac-1321-427f-aa17-267ca6975798",
        ),
    ] {
        assert_eq!(decode_guid(enc).unwrap(), guid);
        assert_eq!(encode_guid(guid).unwrap(), enc);
    }
    let d = decode_subject("/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176").unwrap();
    assert_eq!(d.format, Format::Entra);
    assert_eq!(
        d.tenant_id.as_deref(),
        Some("ff882432-09b0-437b-bd22-ca13c0037ded")
    );
    assert_eq!(
        d.application_id.as_deref(),
        Some("499b84ac-1321-427f-aa17-267ca6975798")
    );
    assert_eq!(
        d.organization_id.as_deref(),
        Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6")
    );
    assert_eq!(
        d.connection_id.as_deref(),
        Some("64171687-7a59-4fce-b2c8-823278dcf176")
    );
    let c =
        decode_subject("sc://noahstride0304/testing-azure-devops-join/test-generic-sc").unwrap();
    assert_eq!(
        (
            c.organization_name.as_deref(),
            c.project_name.as_deref(),
            c.connection_name.as_deref()
        ),
        (
            Some("noahstride0304"),
            Some("testing-azure-devops-join"),
            Some("test-generic-sc")
        )
    );
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(bytes in any::<[u8; 16]>()) {
        let guid = guid_from(bytes);
        let enc = encode_guid(&guid).unwrap();
        prop_assert_eq!(enc.len(), 22);
        prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(decode_guid(&enc).unwrap(), guid.clone());
        prop_assert_eq!(encode_guid(&guid.to_uppercase()).unwrap(), enc);
    }

    #[test]
    fn decode_then_encode_is_identity_on_canonical_text(enc in "[A-Za-z0-9_-]{21}[AQgw]") {
        let guid = decode_guid(&enc).unwrap();
        prop_assert_eq!(encode_guid(&guid).unwrap(), enc);
    }

    #[test]
    fn entra_subject_round_trips(t in any::<[u8; 16]>(), org in any::<[u8; 16]>(), conn in any::<[u8; 16]>()) {
        let (t, org, conn) = (guid_from(t), guid_from(org), guid_from(conn));
        let s = format!("/eid1/c/pub/t/{}/a/{}/sc/{org}/{conn}", encode_guid(&t).unwrap(), encode_guid("499b84ac-1321-427f-aa17-267ca6975798").unwrap());
        let d = decode_subject(&s).unwrap();
        prop_assert_eq!(d.tenant_id, Some(t));
        prop_assert_eq!(d.organization_id, Some(org));
        prop_assert_eq!(d.connection_id, Some(conn));
    }

    #[test]
    fn garbage_never_panics(s in any::<String>()) {
        let _ = decode_guid(&s);
        let _ = encode_guid(&s);
        let _ = decode_subject(&s);
        let _ = decode_subject(&format!("/eid1/c/pub/t/{s}"));
        let _ = decode_subject(&format!("sc://{s}"));
        let _ = federate_core::federation::issuer_info(&s);
        let _ = federate_core::diagnose::explain_error(&s);
        let _ = federate_core::verdict::parse_iso_time(&s);
    }

    #[test]
    fn wrong_length_is_an_error(s in "[A-Za-z0-9_-]{0,21}|[A-Za-z0-9_-]{23,40}") {
        let err = decode_guid(&s).unwrap_err().to_string();
        prop_assert!(err.contains("22 characters"));
    }
}
