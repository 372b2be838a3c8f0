//! The `mesh` binary, run as a user runs it.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn mesh(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mesh runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("mesh exits")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const MESSY: &str = r#"
kind: VirtualService
apiVersion: networking.istio.io/v1beta1
spec:
  http:
  - route:
    - weight: 100
      destination: {subset: v1, host: reviews}
  hosts: ["reviews"]
metadata: {namespace: shop, name: reviews, labels: {enabled: "on"}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}
"#;

#[test]
fn fmt_prints_one_canonical_stream() {
    let out = mesh(&["fmt", "-f", "-"], MESSY);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    // Keys in a stable order, the version read, YAML 1.1-safe quoting.
    let vs_start = "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  labels:\n    enabled: \"on\"\n  name: reviews\n  namespace: shop\nspec:\n  hosts:\n  - reviews\n";
    assert!(yaml.starts_with(vs_start), "{yaml}");
    assert!(
        yaml.contains(
            "\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\nspec:\n  ports:\n"
        ),
        "{yaml}"
    );
    // Formatting is idempotent, and --check accepts its own output.
    let again = mesh(&["fmt", "-f", "-"], &yaml);
    assert_eq!(text(&again.stdout), yaml);
    assert!(mesh(&["fmt", "--check", "-f", "-"], &yaml).status.success());
    assert_eq!(
        mesh(&["fmt", "--check", "-f", "-"], MESSY).status.code(),
        Some(1)
    );
}

#[test]
fn fmt_keeps_the_version_read_unless_asked_to_move_it() {
    let out = mesh(&["fmt", "-f", "-"], MESSY);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("apiVersion: networking.istio.io/v1beta1\n"));
    let out = mesh(&["fmt", "--to-version", "v1", "-f", "-"], MESSY);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert!(
        yaml.starts_with("apiVersion: networking.istio.io/v1\nkind: VirtualService"),
        "{yaml}"
    );
    // Other kinds are left alone.
    assert!(
        yaml.contains("\n---\napiVersion: v1\nkind: Service\n"),
        "{yaml}"
    );
    // The upgraded form is canonical for --check with the same option only.
    assert!(
        mesh(&["fmt", "--check", "--to-version", "v1", "-f", "-"], &yaml)
            .status
            .success()
    );
    assert_eq!(
        mesh(&["fmt", "--check", "-f", "-"], &yaml).status.code(),
        Some(0)
    );
    // A version the kind is not served at: an error naming the served ones, no output.
    let out = mesh(&["fmt", "--to-version", "v2", "-f", "-"], MESSY);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("networking.istio.io/v2 is not served")
            && err.contains("networking.istio.io/v1alpha3"),
        "{err}"
    );
}

#[test]
fn fmt_reports_every_problem_and_prints_nothing() {
    let bad = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x, namespace: shop}\nspec:\n  http:\n  - timout: 5s\n    route: [{destination: {host: 3}}]\n";
    let out = mesh(&["fmt", "-f", "-"], bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing may be printed for invalid input"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("-: document 1 (line 1), VirtualService shop/x: 2 problems"),
        "{err}"
    );
    assert!(
        err.contains("spec.http[0].timout: unknown field `timout`; did you mean `timeout`?"),
        "{err}"
    );
    assert!(
        err.contains("spec.http[0].route[0].destination.host: expected a string"),
        "{err}"
    );
}

#[test]
fn fmt_reads_files_and_directories_and_fails_cleanly_on_missing_ones() {
    let dir = std::env::temp_dir().join(format!("mesh-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/a.yml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not yaml: [").unwrap();
    let out = mesh(&["fmt", "-f", dir.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    let b = yaml.find("name: b").expect("b.yaml read");
    let a = yaml.find("name: a").expect("sub/a.yml read");
    assert!(
        b < a,
        "files are read in path order: b.yaml before sub/a.yml"
    );
    assert!(!yaml.contains("not yaml"));
    let missing = mesh(&["fmt", "-f", dir.join("nope.yaml").to_str().unwrap()], "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fmt_accepts_the_whole_bookinfo_sample() {
    let Some(dir) = testkit::shared_or_skip("fmt_accepts_the_whole_bookinfo_sample") else {
        return;
    };
    let out = mesh(
        &[
            "fmt",
            "-f",
            dir.join("corpus/samples/bookinfo/networking")
                .to_str()
                .unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = text(&out.stdout).matches("\n---\n").count() + 1;
    assert!(
        docs > 20,
        "every bookinfo routing document is printed, got {docs}"
    );
}

const ROUTING: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}, sourceLabels: {app: productpage}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"#;

#[test]
fn simulate_prints_the_decision_and_its_trace() {
    let args = [
        "simulate",
        "-f",
        "-",
        "--host",
        "reviews",
        "--source-namespace",
        "shop",
        "-H",
        "end-user: jason",
        "--source-label",
        "app=productpage",
    ];
    let out = mesh(&args, ROUTING);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("route:    VirtualService shop/reviews http[0] match[0]"),
        "{report}"
    );
    assert!(
        report.contains("-> reviews.shop.svc.cluster.local subset v2 port 80  weight 100 (100%)"),
        "{report}"
    );
    assert!(
        report.contains("load balancer: {\"simple\":\"RANDOM\"} (from trafficPolicy)"),
        "{report}"
    );
    assert!(report.contains("trace:"), "{report}");

    // Without the source label the first route is left out, and the split applies.
    let out = mesh(&args[..args.len() - 2], ROUTING);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("subset v1 port 80  weight 90 (90%)"),
        "{report}"
    );
    assert!(
        report.contains("subset v2 port 80  weight 10 (10%)"),
        "{report}"
    );
}

#[test]
fn simulate_prints_json_for_tools() {
    let out = mesh(
        &[
            "simulate",
            "-f",
            "-",
            "--host",
            "reviews.shop",
            "--path",
            "/x?y=1",
            "-o",
            "json",
        ],
        ROUTING,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(
        v["request"]["routed_host"],
        "reviews.shop.svc.cluster.local"
    );
    assert_eq!(v["request"]["path"], "/x?y=1");
    assert_eq!(v["outcome"]["action"], "forward");
    assert_eq!(v["outcome"]["destinations"][0]["share"], 0.9);
    assert_eq!(v["checks"][0]["result"], "excluded");
    assert_eq!(v["checks"][0]["why"]["field"], "sourceLabels");
}

#[test]
fn simulate_exit_codes() {
    // Malformed flags and an unknown gateway are invalid input: 1.
    let bad_header = mesh(
        &["simulate", "-f", "-", "--host", "r", "-H", "no-colon"],
        ROUTING,
    );
    assert_eq!(bad_header.status.code(), Some(1));
    assert!(text(&bad_header.stderr).contains("expected NAME:VALUE"));
    let gw = mesh(
        &[
            "simulate",
            "-f",
            "-",
            "--host",
            "r",
            "--gateway",
            "shop/none",
        ],
        ROUTING,
    );
    assert_eq!(gw.status.code(), Some(1));
    assert!(
        text(&gw.stderr).contains("gateway shop/none is not defined"),
        "{}",
        text(&gw.stderr)
    );
    let invalid = mesh(
        &["simulate", "-f", "-", "--host", "r"],
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {hots: [a]}\n",
    );
    assert_eq!(invalid.status.code(), Some(1));
    assert!(invalid.stdout.is_empty());
    // A file that cannot be read: 2.
    let missing = mesh(
        &["simulate", "-f", "/nonexistent/mesh.yaml", "--host", "r"],
        "",
    );
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn simulate_routes_bookinfo_through_its_gateway() {
    let Some(dir) = testkit::shared_or_skip("simulate_routes_bookinfo_through_its_gateway") else {
        return;
    };
    let net = dir.join("corpus/samples/bookinfo/networking");
    let file = |f: &str| net.join(f).to_string_lossy().into_owned();
    let (gw, dr) = (
        file("bookinfo-gateway.yaml"),
        file("destination-rule-all.yaml"),
    );
    let run = |path: &str| {
        mesh(
            &[
                "simulate",
                "-f",
                &gw,
                "-f",
                &dr,
                "--host",
                "bookinfo.example.com",
                "--path",
                path,
                "--gateway",
                "default/bookinfo-gateway",
                "-o",
                "json",
            ],
            "",
        )
    };
    let out = run("/productpage");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(
        v["outcome"]["destinations"][0]["host"],
        "productpage.default.svc.cluster.local"
    );
    assert_eq!(v["outcome"]["destinations"][0]["port"], 9080);
    let none = run("/nowhere");
    assert!(none.status.success(), "a 404 is a decision too");
    let v: serde_json::Value = serde_json::from_slice(&none.stdout).expect("JSON output");
    assert_eq!(v["outcome"]["action"], "no_route");
}

const ANALYZE_INPUT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: ratings}}]
"#;

#[test]
fn analyze_reports_istio_codes_as_json_and_fails_on_errors() {
    let out = mesh(&["analyze", "-f", "-", "-o", "json"], ANALYZE_INPUT);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let items = v.as_array().expect("an array");
    let missing = items
        .iter()
        .find(|d| d["code"] == "IST0101")
        .expect("IST0101 for the missing host");
    assert_eq!(missing["severity"], "error");
    assert_eq!(missing["kind"], "VirtualService");
    assert_eq!(missing["namespace"], "shop");
    assert_eq!(missing["name"], "reviews");
    assert_eq!(missing["path"], "spec.http[0].route[0].destination.host");
    assert!(missing["message"].as_str().unwrap().contains("ratings"));
}

#[test]
fn analyze_human_output_is_grouped_and_plain_off_a_terminal() {
    let out = mesh(&["analyze", "-f", "-"], ANALYZE_INPUT);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        !report.contains('\x1b'),
        "no colour when not a terminal: {report}"
    );
    assert!(
        report.contains("VirtualService shop/reviews (-)\n  error IST0101 ReferencedResourceNotFound at spec.http[0].route[0].destination.host\n"),
        "{report}"
    );
    assert!(report.contains("1 error, 0 warnings, 0 info"), "{report}");
}

#[test]
fn analyze_fail_on_warning_and_clean_input() {
    // Only a warning (IST0132: the gateway serves another host).
    let warn_only = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [shop.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other, namespace: istio-system}
spec:
  hosts: [other.example.com]
  gateways: [gw]
  http: [{directResponse: {status: 200}}]
"#;
    let out = mesh(&["analyze", "-f", "-"], warn_only);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("IST0132"));
    let out = mesh(&["analyze", "--fail-on", "warning", "-f", "-"], warn_only);
    assert_eq!(out.status.code(), Some(1));
    let clean = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n";
    let out = mesh(&["analyze", "--fail-on", "info", "-f", "-"], clean);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("no problems found in 1 resource"));
    let json = mesh(&["analyze", "-o", "json", "-f", "-"], clean);
    assert_eq!(text(&json.stdout).trim(), "[]");
}

#[test]
fn validate_reports_every_schema_problem_with_its_path() {
    let bad = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x, namespace: shop}\nspec:\n  http:\n  - timout: 5s\n    route: [{destination: {host: 3}}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    let out = mesh(&["validate", "-f", "-", "-o", "json"], bad);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let paths: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "IST0106")
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(paths.contains(&"spec.http[0].timout"), "{paths:?}");
    assert!(
        paths.contains(&"spec.http[0].route[0].destination.host"),
        "{paths:?}"
    );
    let ok = mesh(
        &["validate", "-f", "-"],
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
}

#[test]
fn validate_and_analyze_exit_2_on_unreadable_input() {
    for cmd in ["validate", "analyze"] {
        let out = mesh(&[cmd, "-f", "/nonexistent/mesh.yaml"], "");
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert!(text(&out.stderr).contains("cannot read"), "{cmd}");
    }
    let out = mesh(&["analyze", "--analyzer", "no.SuchAnalyzer", "-f", "-"], "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn analyze_runs_istio_analyzer_inputs() {
    let Some(dir) = testkit::shared_or_skip("analyze_runs_istio_analyzer_inputs") else {
        return;
    };
    let file =
        dir.join("corpus/pkg/config/analysis/analyzers/testdata/virtualservice_gateways.yaml");
    let out = mesh(
        &[
            "analyze",
            "--analyzer",
            "virtualservice.GatewayAnalyzer",
            "-o",
            "json",
            "-f",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let found: std::collections::BTreeSet<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: std::collections::BTreeSet<(String, String)> = [
        ("IST0101", "httpbin-bogus"),
        ("IST0132", "cross-test"),
        ("IST0132", "httpbin-bogus"),
        ("IST0132", "httpbin"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    assert_eq!(found, expected);
}

/// `mesh analyze --analyzer NAME` on the files of every case of Istio's analyzer test grid
/// (with the case's mesh config and mesh networks files) prints exactly Istio's expected
/// findings, each as many times as Istio reports it.
#[test]
fn analyze_gives_istios_findings_for_every_analyzer_case() {
    let Some(dir) =
        testkit::shared_or_skip("analyze_gives_istios_findings_for_every_analyzer_case")
    else {
        return;
    };
    let cases: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("analyzer-cases.json")).expect("analyzer-cases.json"),
    )
    .expect("JSON");
    let base = dir.join("corpus/pkg/config/analysis/analyzers");
    let path = |v: &serde_json::Value| base.join(v.as_str().unwrap_or("")).display().to_string();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("");
        let mut args: Vec<String> = vec![
            "analyze".into(),
            "--analyzer".into(),
            case["analyzer"].as_str().unwrap_or("").into(),
            "-o".into(),
            "json".into(),
        ];
        for (key, flag) in [
            ("meshConfigFile", "--mesh-config"),
            ("meshNetworksFile", "--mesh-networks"),
        ] {
            if !case[key].is_null() {
                args.extend([flag.to_string(), path(&case[key])]);
            }
        }
        args.push("-f".into());
        args.extend(case["inputFiles"].as_array().unwrap().iter().map(path));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = mesh(&args, "");
        let Ok(found) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
            failures.push(format!("{name}: no JSON output: {}", text(&out.stderr)));
            continue;
        };
        let mut found: Vec<String> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|d| match d["namespace"].as_str() {
                Some(ns) => format!("{} {} {ns}/{}", d["code"], d["kind"], d["name"]),
                None => format!("{} {} {}", d["code"], d["kind"], d["name"]),
            })
            .map(|s| s.replace('"', ""))
            .collect();
        let mut expected: Vec<String> = case["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{} {}", e["code"], e["origin"]).replace('"', ""))
            .collect();
        found.sort();
        expected.sort();
        if found != expected {
            failures.push(format!("{name}: found {found:?}, expected {expected:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
