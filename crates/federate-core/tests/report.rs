//! Reports over verdicts of the samples plus hostile names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federate_core::model::parse_endpoint_list;
use federate_core::report::render_report;
use federate_core::verdict::{Context, classify_all};
use serde_json::Value;

fn verdicts() -> Vec<federate_core::verdict::Verdict> {
    let list = parse_endpoint_list(r#"[
      {"id":"1","name":"=cmd|' /C calc'!A0","type":"azurerm","authorization":{"scheme":"ServicePrincipal","parameters":{"authenticationType":"spnKey"}},"data":{"creationMode":"Automatic"},"serviceEndpointProjectReferences":[{"projectReference":{"id":"p","name":"Web"},"name":"x"}]},
      {"id":"2","name":"a|b, \"c\"\nd","type":"generic","authorization":{"scheme":"UsernamePassword"}},
      {"id":"3","name":"draft","type":"azurerm","authorization":{"scheme":"WorkloadIdentityFederation","parameters":{"workloadIdentityFederationIssuer":"https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6","workloadIdentityFederationSubject":"sc://o/p/draft"}},"data":{"isDraft":"true"}}
    ]"#).unwrap();
    classify_all(&list, &Context::default())
}

#[test]
fn csv_is_quoted_and_defused() {
    let csv = render_report(&verdicts(), "csv").unwrap();
    let lines: Vec<_> = csv.split("\r\n").collect();
    assert!(lines[0].starts_with("id,name,type,scheme"));
    assert!(csv.contains("1,'=cmd|' /C calc'!A0,azurerm"), "{csv}");
    // A line break inside a name is a space: one record a line, safe in a terminal too.
    assert!(csv.contains("\"a|b, \"\"c\"\" d\""), "{csv}");
    assert_eq!(lines.last(), Some(&""), "ends with CRLF");
}

#[test]
fn markdown_escapes_pipes() {
    let md = render_report(&verdicts(), "markdown").unwrap();
    assert!(md.contains("a\\|b, \"c\" d"), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 4);
}

#[test]
fn json_and_sarif_are_valid() {
    let v: Value = serde_json::from_str(&render_report(&verdicts(), "json").unwrap()).unwrap();
    assert_eq!(v["count"], 3);
    assert_eq!(v["totals"]["credential"]["secret"], 1);
    assert_eq!(v["verdicts"].as_array().unwrap().len(), 3);
    let s: Value = serde_json::from_str(&render_report(&verdicts(), "sarif").unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "Federate");
    let results = run["results"].as_array().unwrap();
    let rules: Vec<_> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"FED001") && rules.contains(&"FED003"),
        "{rules:?}"
    );
    for r in results {
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let known: Vec<_> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].clone())
            .collect();
        assert!(known.contains(&r["ruleId"]));
    }
}

#[test]
fn hostile_names_reach_no_report_raw() {
    let evil = "evil\u{1b}[2J\u{1b}[1;1Hfake-ok\u{9b}1m\u{202e}x\u{2066} ![x](https://evil.example/t.png) [click](javascript:alert(1)) <img src=x>";
    let list = parse_endpoint_list(
        &serde_json::json!([{"id": "9", "name": evil, "type": "generic", "authorization": {"scheme": "UsernamePassword"}}])
            .to_string(),
    )
    .unwrap();
    let verdicts = classify_all(&list, &Context::default());
    for format in ["json", "csv", "markdown", "sarif"] {
        let out = render_report(&verdicts, format).unwrap();
        let raw: Vec<char> = out
            .chars()
            .filter(|&c| federate_core::sanitize::is_unsafe(c) && c != '\n' && c != '\r')
            .collect();
        assert!(raw.is_empty(), "{format}: {raw:?}");
    }
    let md = render_report(&verdicts, "markdown").unwrap();
    // In the connection's row, every character that could open a link, an image or HTML is
    // escaped, and the row has exactly the table's 9 cell separators.
    let line = md.lines().find(|l| l.contains("evil")).unwrap();
    let chars: Vec<char> = line.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if "[]()<>!".contains(*c) {
            assert_eq!(chars[i - 1], '\\', "unescaped {c} at {i} in {line}");
        }
    }
    assert_eq!(line.matches(" | ").count() + 2, 9, "{line}");
    // JSON keeps the name exactly (escaped, not altered).
    let v: Value = serde_json::from_str(&render_report(&verdicts, "json").unwrap()).unwrap();
    assert_eq!(v["verdicts"][0]["name"], evil);
}

#[test]
fn secret_values_notice_counts_and_names_the_source() {
    use federate_core::report::{SecretSource, secret_values_notice};
    assert_eq!(secret_values_notice(0, SecretSource::Service), None);
    assert_eq!(
        secret_values_notice(1, SecretSource::Service).as_deref(),
        Some(
            "Azure DevOps returned 1 secret value (it should return none); Federate dropped it and shows, stores and exports none."
        )
    );
    assert_eq!(
        secret_values_notice(3, SecretSource::Input).as_deref(),
        Some(
            "The input held 3 secret values (Azure DevOps returns secrets as null); Federate dropped them and shows, stores and exports none."
        )
    );
    assert!("elsewhere".parse::<SecretSource>().is_err());
}
