//! The 2026 deadlines in the reports: PAT and retiring-issuer counts, SARIF rules FED006 and
//! FED007, the summary line and the `--fail-on` gates.
#![allow(clippy::unwrap_used)]

use federate_core::model::parse_endpoint_list;
use federate_core::report::{gate_failures, render_report, summary_line};
use federate_core::verdict::{Context, Verdict, classify_all};
use serde_json::Value;

fn verdicts() -> Vec<Verdict> {
    let list = parse_endpoint_list(r#"[
      {"id":"1","name":"feed","type":"externalnugetfeed","url":"https://pkgs.dev.azure.com/contoso/_packaging/f/nuget/v3/index.json","authorization":{"scheme":"UsernamePassword"}},
      {"id":"2","name":"partner","type":"externaltfs","url":"https://fabrikam.visualstudio.com","authorization":{"scheme":"Token"}},
      {"id":"3","name":"classic","type":"azurerm","authorization":{"scheme":"WorkloadIdentityFederation","parameters":{"workloadIdentityFederationIssuer":"https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6","workloadIdentityFederationSubject":"sc://contoso/p/classic"}}},
      {"id":"4","name":"mystery","type":"contoso-thing","authorization":{"scheme":"Kerberos"}},
      {"id":"5","name":"github","type":"GitHub","url":"https://github.com","authorization":{"scheme":"Token"}}
    ]"#).unwrap();
    classify_all(
        &list,
        &Context {
            now: Some("2026-11-30T04:00:00Z".into()),
            ..Context::default()
        },
    )
}

#[test]
fn counts_in_every_summary() {
    let v = verdicts();
    assert_eq!(
        summary_line(&v),
        "5 connections: 3 hold a secret, 0 draft, 0 convertible now, 2 Azure DevOps PATs (global PATs end 2026-12-01), 1 on the Azure DevOps issuer (retires 2027-07-01), 1 unknown"
    );
    let json: Value = serde_json::from_str(&render_report(&v, "json").unwrap()).unwrap();
    assert_eq!(json["totals"]["azureDevOpsPat"], 2);
    assert_eq!(json["totals"]["azureDevOpsIssuer"], 1);
    let md = render_report(&v, "markdown").unwrap();
    assert!(md.contains("2 hold an Azure DevOps PAT (global PATs stop working on 2026-12-01); 1 on the Azure DevOps issuer (retires on 2027-07-01)"), "{md}");
}

#[test]
fn sarif_rules_for_the_deadlines() {
    let sarif: Value = serde_json::from_str(&render_report(&verdicts(), "sarif").unwrap()).unwrap();
    let run = &sarif["runs"][0];
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rule_ids.contains(&"FED006") && rule_ids.contains(&"FED007"));
    let results = run["results"].as_array().unwrap();
    let of = |rule: &str| {
        results
            .iter()
            .filter(|r| r["ruleId"] == rule)
            .collect::<Vec<_>>()
    };
    let pats = of("FED006");
    assert_eq!(pats.len(), 2);
    // One day before the global PAT deadline: an error, with the deadline in the message.
    assert_eq!(pats[0]["level"], "error");
    assert!(
        pats[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("2026-12-01")
    );
    let issuer = of("FED007");
    assert_eq!(issuer.len(), 1);
    assert!(
        issuer[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("2027-07-01")
    );
    assert!(
        of("FED002").is_empty(),
        "the retiring issuer has its own rule"
    );
}

#[test]
fn gates() {
    let v = verdicts();
    let names = |g: &[&str]| -> Vec<String> {
        let gates: Vec<String> = g.iter().map(|s| (*s).to_owned()).collect();
        gate_failures(&v, &gates)
            .unwrap()
            .iter()
            .map(|v| v.name.clone().unwrap())
            .collect()
    };
    assert_eq!(names(&["pat"]), ["feed", "partner"]);
    assert_eq!(names(&["unknown"]), ["mystery"]);
    assert_eq!(names(&["azure-devops-issuer"]), ["classic"]);
    assert_eq!(names(&["PAT", "unknown"]), ["feed", "partner", "mystery"]);
    assert!(names(&[]).is_empty());
    let err = gate_failures(&v, &["tokens".to_owned()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("pat, unknown"), "{err}");
}

/// The page's summary bar draws these parts; they are the summary line's counts, in its order.
#[test]
fn summary_parts_are_the_line() {
    let v = verdicts();
    let s = federate_core::report::inventory_summary(&v);
    assert_eq!(s.line, summary_line(&v));
    let counts: Vec<(&str, usize)> = s.parts.iter().map(|p| (p.key, p.count)).collect();
    assert_eq!(
        counts,
        [
            ("total", 5),
            ("secrets", 3),
            ("drafts", 0),
            ("convertible", 0),
            ("pat", 2),
            ("retiringIssuer", 1),
            ("unknown", 1)
        ]
    );
    assert_eq!(
        s.parts[4].text,
        "Azure DevOps PATs (global PATs end 2026-12-01)"
    );
    let one = federate_core::report::summary_parts(&v[..1]);
    assert_eq!(
        (one[0].text.as_str(), one[4].text.as_str()),
        (
            "connection",
            "Azure DevOps PAT (global PATs end 2026-12-01)"
        )
    );
    let js: Value = serde_json::to_value(&s).unwrap();
    assert_eq!(js["parts"][5]["key"], "retiringIssuer");
}

/// A sovereign cloud keeps the Azure DevOps issuer: not counted as retiring, not caught by the
/// gate, as its mark says.
#[test]
fn sovereign_clouds_are_not_retiring() {
    let list = parse_endpoint_list(r#"[
      {"id":"6","name":"gov","type":"azurerm","data":{"environment":"AzureUSGovernment"},"authorization":{"scheme":"WorkloadIdentityFederation","parameters":{"workloadIdentityFederationIssuer":"https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6","workloadIdentityFederationSubject":"sc://contoso/p/gov"}}}
    ]"#).unwrap();
    let mut v = verdicts();
    v.extend(classify_all(&list, &Context::default()));
    let s = federate_core::report::inventory_summary(&v);
    assert_eq!((s.parts[5].key, s.parts[5].count), ("retiringIssuer", 1));
    let gate = gate_failures(&v, &["azure-devops-issuer".to_owned()]).unwrap();
    assert_eq!(
        gate.iter().map(|v| v.name.as_deref()).collect::<Vec<_>>(),
        [Some("classic")]
    );
    // Nor flagged in SARIF under any rule: only the public-cloud one gets FED007.
    let sarif: Value = serde_json::from_str(&render_report(&v, "sarif").unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.iter().filter(|r| r["ruleId"] == "FED007").count(),
        1
    );
    let about_gov: Vec<&Value> = results
        .iter()
        .filter(|r| r["properties"]["connectionId"] == "6")
        .collect();
    assert!(about_gov.is_empty(), "{about_gov:?}");
}
