//! Every string we emit reads back as the same string under a YAML 1.1 reader (what
//! kubectl and the API server use), even strings that YAML 1.1 would otherwise take for
//! booleans, numbers, dates or null.

use std::collections::BTreeMap;

use istio_types::networking::v1::{
    Destination, HeaderOperations, Headers, HttpMatchRequest, HttpRoute, HttpRouteDestination,
    StringMatch, VirtualService, VirtualServiceSpec,
};

const TRICKY: &[&str] = &[
    "on",
    "off",
    "On",
    "OFF",
    "yes",
    "no",
    "Yes",
    "NO",
    "y",
    "n",
    "Y",
    "N",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "12:30",
    "190:20:30",
    "0x1F",
    "0o17",
    "017",
    "0b101",
    "1_000",
    "1e3",
    "1.5",
    ".inf",
    "-.Inf",
    ".NaN",
    "+12",
    "-0",
    "=",
    "<<",
    " leading",
    "trailing ",
    "a: b",
    "#x",
    "- x",
    "?",
    "@x",
    "`x",
    "*x",
    "&x",
    "!x",
    "%x",
    "{x",
    "[x",
    "multi\nline",
    "tab\there",
    "ünïcode",
];

#[test]
fn strings_survive_a_yaml_1_1_reader() {
    let labels: BTreeMap<String, String> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("l{i}"), v.to_string()))
        .collect();
    let annotations: BTreeMap<String, String> = TRICKY
        .iter()
        .map(|v| (format!("example.com/{}", v.len()) + v.trim(), v.to_string()))
        .collect();
    let mut vs = VirtualService::new(
        "shop",
        "yes",
        VirtualServiceSpec {
            hosts: TRICKY.iter().map(|s| s.to_string()).collect(),
            http: TRICKY
                .iter()
                .map(|v| HttpRoute {
                    name: Some(v.to_string()),
                    r#match: vec![HttpMatchRequest {
                        uri: Some(StringMatch::Exact(v.to_string())),
                        headers: BTreeMap::from([(
                            v.to_string(),
                            StringMatch::Prefix(v.to_string()),
                        )]),
                        ..Default::default()
                    }],
                    headers: Some(Headers {
                        request: Some(HeaderOperations {
                            set: BTreeMap::from([("x-value".to_string(), v.to_string())]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    route: vec![HttpRouteDestination {
                        destination: Destination {
                            host: v.to_string(),
                            ..Default::default()
                        },
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
    );
    vs.metadata.labels = Some(labels);
    vs.metadata.annotations = Some(annotations);
    let yaml = istio_types::yaml::to_yaml(&vs).unwrap();
    let read = testkit::yaml11_load_all(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(read.len(), 1);
    assert_eq!(
        read[0],
        serde_json::to_value(&vs).unwrap(),
        "YAML 1.1 reads something else:\n{yaml}"
    );
}
