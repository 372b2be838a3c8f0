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
    // Keys in a stable order, the newest served version, YAML 1.1-safe quoting.
    let vs_start = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  labels:\n    enabled: \"on\"\n  name: reviews\n  namespace: shop\nspec:\n  hosts:\n  - reviews\n";
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
