//! A stable-Rust fuzz harness for every parser of outside input.
//!
//! Mutates a seed corpus (the fixtures in `tests/fixtures` plus built-in seeds) with a small
//! xorshift PRNG and feeds each mutant to the endpoint list reader, the verdict engine,
//! federation decoding, remedies, reports, the diagnosis table, the ISO time reader and the
//! Azure DevOps response parsers, catching panics. Any panic is printed with its input and
//! exits non-zero.
//!
//! ```text
//! cargo run --release -p federate-core --example fuzz -- --seconds 180 [--seed 42]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use federate_core::api::{self, Response};
use federate_core::model::parse_endpoint_list;
use federate_core::verdict::{Context, classify_all};
use federate_core::{diagnose, federation, remedy, report, verdict};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % (n as u64)).unwrap_or(0)
        }
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "\\u0000",
    "\u{feff}",
    "\"authorization\"",
    "\"scheme\"",
    "\"WorkloadIdentityFederation\"",
    "\"ServicePrincipal\"",
    "\"isDraft\"",
    "\"operationStatus\"",
    "\"InProgress\"",
    "\"revertSchemeDeadline\"",
    "\"2026-01-01T00:00:00Z\"",
    "sc://",
    "/eid1/c/pub/t/",
    "MiSI_7AJe0O9IsoTwAN97Q",
    "/a/rISbSSETf0KqFyZ8ppdXmA/sc/",
    "AADSTS70021",
    "TF400733",
    "https://vstoken.dev.azure.com/",
    "https://login.microsoftonline.com/",
    "é",
    "𝄞",
    "'",
    "=",
    "|",
];

fn mutate(rng: &mut XorShift, seed: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let len = data.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i + 1).min(64);
                data.drain(i..i + n);
            }
            2 => {
                let i = rng.below(len + 1);
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                data.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i + 1).min(256);
                let chunk = data[i..i + n].to_vec();
                let j = rng.below(len + 1);
                data.splice(j..j, chunk);
            }
            4 => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = rng.below(other.len() - i + 1).min(512);
                    let j = rng.below(len + 1);
                    data.splice(j..j, other[i..i + n].iter().copied());
                }
            }
            5 if len > 0 => {
                data.truncate(rng.below(len));
            }
            _ => {
                let i = rng.below(len + 1);
                let b = u8::try_from(rng.below(256)).unwrap_or(0);
                data.insert(i, b);
            }
        }
    }
    data
}

fn run_one(text: &str, ctx: &Context) {
    if let Ok(list) = parse_endpoint_list(text) {
        let verdicts = classify_all(&list, ctx);
        for f in ["json", "csv", "markdown", "sarif"] {
            let _ = report::render_report(&verdicts, f);
        }
        for ep in list.iter().take(4) {
            let _ = federation::expected_federation(ep, ctx);
            let _ = federation::explain_federation(ep, ctx);
            for f in remedy::FORMAT_NAMES {
                let _ = remedy::federated_credential_commands(ep, ctx, f);
            }
            let _ = api::conversion_body(ep);
            let _ = api::revert_body(ep);
        }
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = Context::from_value(value.clone());
        let _ = federation::SubjectContext::from_value(value.clone());
        let _ = serde_json::from_value::<Vec<verdict::Verdict>>(value);
    }
    let _ = federation::decode_subject(text);
    let _ = federation::decode_guid(text);
    let _ = federation::encode_guid(text);
    let _ = federation::issuer_info(text);
    let full = federation::SubjectContext {
        organization_name: Some(text.to_owned()),
        organization_id: Some(text.to_owned()),
        project_name: Some(text.to_owned()),
        connection_id: Some(text.to_owned()),
        connection_name: Some(text.to_owned()),
        tenant_id: Some(text.to_owned()),
        issuer_tenant_id: Some(text.to_owned()),
        environment: Some(text.to_owned()),
    };
    let _ = federation::explain_subject(text, &full);
    let _ = federation::explain_issuer(text, &full);
    let _ = diagnose::explain_error(text);
    let _ = diagnose::explain_errors(text);
    let _ = verdict::parse_iso_time(text);
    for status in [200u16, 203, 302, 401, 429, 500] {
        let resp = Response {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Retry-After".into(), text.chars().take(8).collect()),
                (
                    "x-ms-continuationtoken".into(),
                    text.chars().take(12).collect(),
                ),
            ],
            body: text.to_owned(),
            url: None,
            opaque_redirect: status == 0,
        };
        let _ = api::check(&resp);
        let _ = api::json_body(&resp);
        let _ = api::parse_endpoints(&resp);
        let _ = api::parse_endpoint(&resp);
        let _ = api::parse_projects_page(&resp);
        let _ = api::parse_organization_id(&resp);
        let _ = federate_core::usage::read_history_answer(&resp, 1_795_996_800, 50);
        let _ = federate_core::usage::preflight::parse_timeline(&resp);
    }
    let _ = api::service_message(text);
    let _ = api::percent_decode(text);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let seconds = arg("--seconds").unwrap_or(60);
    let mut rng = XorShift(arg("--seed").unwrap_or(0x9E37_79B9_7F4A_7C15) | 1);

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter(|b| b.len() < 64 * 1024)
                .collect()
        })
        .unwrap_or_default();
    // Response bodies of the HTTP examples are seeds of their own.
    let extra: Vec<Vec<u8>> = corpus
        .iter()
        .filter_map(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .filter_map(|v| {
            v.pointer("/responses/200/body")
                .map(|b| b.to_string().into_bytes())
        })
        .collect();
    corpus.extend(extra);
    for s in [
        "sc://fabrikam/Web/prod",
        "/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176",
        "##[error]AADSTS70021: Assertion Subject: sc://a/b/c",
        "2024-01-30T09:41:12.1234567Z",
        r#"{"count":1,"value":[{"endpointId":"e","data":{"planType":"Build","definition":{"id":1,"name":"ci"},"owner":{"id":2,"name":"2"},"startTime":"2018-01-08T11:46:51.3666667Z","finishTime":"2018-01-08T11:47:06.2833333Z","result":"succeeded"}}]}"#,
        r#"{"records":[{"type":"Task","order":1,"task":{"name":"AzureFileCopy","version":"5.248.1"}}]}"#,
        r#"{"$id":"1","innerException":null,"message":"TF400733: blocked","typeKey":"ArgumentException","errorCode":0,"eventId":0}"#,
        r#"[{"id":"64171687-7a59-4fce-b2c8-823278dcf176","type":"azurerm","isShared":true,"authorization":{"scheme":"WorkloadIdentityFederation","parameters":{"tenantid":"ff882432-09b0-437b-bd22-ca13c0037ded","workloadIdentityFederationIssuer":"https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6","workloadIdentityFederationSubject":"sc://o/p/n"}},"data":{"isDraft":"true","revertSchemeDeadline":"2026-01-05T00:00:00Z"},"operationStatus":{"state":"Failed","statusMessage":"converting_scheme_failed"},"serviceEndpointProjectReferences":[{"projectReference":{"id":"x","name":"p"},"name":"n"}]}]"#,
    ] {
        corpus.push(s.as_bytes().to_vec());
    }
    let ctx = Context {
        organization_name: Some("fabrikam".into()),
        organization_id: Some("0ca3ddd9-f0b0-4635-a98c-5866526961b6".into()),
        project_name: Some("Web".into()),
        project_id: Some("x".into()),
        now: Some("2026-01-01T00:00:00Z".into()),
    };
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let budget = Duration::from_secs(seconds);
    let mut inputs: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..64 {
            let seed = &corpus[rng.below(corpus.len())];
            let bytes = mutate(&mut rng, seed, &corpus);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let ctx_now = if inputs % 7 == 0 {
                Context::default()
            } else {
                ctx.clone()
            };
            if catch_unwind(AssertUnwindSafe(|| run_one(&text, &ctx_now))).is_err() {
                let _ = std::panic::take_hook();
                eprintln!(
                    "PANIC after {inputs} inputs on input ({} bytes):\n{text:?}",
                    text.len()
                );
                run_one(&text, &ctx_now);
                std::process::exit(1);
            }
            inputs += 1;
        }
    }
    println!(
        "fuzz: {inputs} inputs in {:.1} s from {} seeds, no panic",
        start.elapsed().as_secs_f64(),
        corpus.len()
    );
}
