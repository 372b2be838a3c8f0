//! The shop's deploy program (`mesh_dsl::deploy`) end to end: the real binary against the
//! fake API server, through a generated kubeconfig; exit codes as documented.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_apiserver::{FakeApiServer, ServerOptions};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn kubeconfig(server: &FakeApiServer, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "ecommerce-{name}-{}.kubeconfig",
        std::process::id()
    ));
    server.write_kubeconfig(&path).unwrap();
    path
}

fn with(args: &[&str], kc: &Path) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--kubeconfig", kc.to_str().unwrap(), "--timeout", "60s"]);
    run(&all)
}

#[test]
fn validate_reports_findings_and_fails_only_on_errors() {
    let out = run(&["validate"]);
    let stderr = text(&out.stderr);
    // compile() validates and analyzes each of the 4 stages: the TLS origination to the
    // payment provider does not verify the server (IST0129, a warning) and that is all;
    // the gateway's TLS Secret is made outside the mesh and is not reported.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let findings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("stage ")).collect();
    assert_eq!(findings.len(), 4, "{stderr}");
    assert!(
        findings.iter().all(|l| l.contains("warning IST0129")),
        "{stderr}"
    );
    assert!(!stderr.contains("IST0101"), "{stderr}");
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        (0..4)
            .map(|s| format!("stage {s}: 28 objects, 0 error(s), 1 other finding(s)"))
            .collect::<Vec<_>>()
    );
    // Suppressing the code leaves nothing to say.
    let quiet = run(&["validate", "--suppress", "IST0129"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet.stderr));
    assert!(!text(&quiet.stderr).contains("IST0129"));
    // A stage that does not exist is an error of the mesh (MESH0009), exit 1.
    let bad = run(&["validate", "--stage", "9"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("MESH0009"),
        "{}",
        text(&bad.stderr)
    );
    assert!(text(&bad.stdout).contains("stage 9: not compiled, 1 error(s)"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["apply", "--timeout", "soon"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn missing_istio_crds_exit_3_with_one_clear_sentence() {
    let server = FakeApiServer::start(ServerOptions::new());
    let kc = kubeconfig(&server, "nocrds");
    let out = with(&["apply"], &kc);
    let _ = std::fs::remove_file(&kc);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("error: Istio's CRDs are not installed in this cluster: it does not serve "),
        "{err}"
    );
    assert!(
        err.contains("networking.istio.io/v1 VirtualService"),
        "{err}"
    );
}

#[test]
fn diff_apply_and_delete_with_their_exit_codes() {
    let server = FakeApiServer::start(
        ServerOptions::new()
            .istio()
            .deployments_ready_after(std::time::Duration::from_millis(200)),
    );
    let kc = kubeconfig(&server, "deploy");
    let objects = ecommerce::mesh().compile().unwrap().resources.len();

    let diff = with(&["diff"], &kc);
    assert_eq!(diff.status.code(), Some(6), "{}", text(&diff.stderr));
    assert!(
        text(&diff.stdout).contains(&format!("{objects} to create")),
        "{}",
        text(&diff.stdout)
    );

    let dry = with(&["apply", "--dry-run=server"], &kc);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).contains(&format!("dry run: {objects} object(s): {objects} created")),
        "{}",
        text(&dry.stdout)
    );
    assert_eq!(server.object("v1", "Namespace", None, "shop"), None);

    let apply = with(&["apply", "--prune", "--wait"], &kc);
    assert_eq!(
        apply.status.code(),
        Some(0),
        "{}{}",
        text(&apply.stdout),
        text(&apply.stderr)
    );
    let summary = text(&apply.stdout);
    assert!(
        summary.contains(&format!(
            "{objects} object(s): {objects} created, 0 configured, 0 unchanged, 0 pruned, 0 failed"
        )),
        "{summary}"
    );
    assert!(
        summary.contains("5 of 5 Deployment(s) rolled out"),
        "{summary}"
    );
    assert!(
        server
            .object("v1", "ConfigMap", Some("default"), "ecommerce")
            .is_some(),
        "the ApplySet is named after the program"
    );

    let again = with(&["diff"], &kc);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    let stage = with(&["diff", "--stage", "3"], &kc);
    assert_eq!(stage.status.code(), Some(6));
    assert!(
        text(&stage.stdout).contains("2 to update"),
        "{}",
        text(&stage.stdout)
    );

    let json = with(&["apply", "-o", "json"], &kc);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["results"].as_array().unwrap().len(), objects);
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "unchanged")
    );

    let delete = with(&["delete"], &kc);
    assert_eq!(delete.status.code(), Some(0), "{}", text(&delete.stderr));
    assert!(text(&delete.stdout).contains("Namespace shop deleted"));
    assert_eq!(server.object("v1", "Namespace", None, "shop"), None);
    let _ = std::fs::remove_file(&kc);
}
