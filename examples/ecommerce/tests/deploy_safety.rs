//! Issue #19 through the shop's deploy program: no credential in any output, at any log
//! level; no kube error lines for requests that the apply retries successfully; objects
//! created under lost answers are counted as created; delete keeps a namespace holding
//! objects of others.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_apiserver::{FakeApiServer, Fault, RequestMatch, ServerOptions};

/// Every planted secret contains this (case-insensitively), and no output may.
const MARK: &str = "s3cr3t";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A directory of its own for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecommerce-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the deploy program with `RUST_LOG` (`None`: unset) and extra environment.
fn run(args: &[&str], rust_log: Option<&str>, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecommerce"));
    cmd.args(args)
        .env_remove("RUST_LOG")
        .env_remove("KUBECONFIG");
    if let Some(level) = rust_log {
        cmd.env("RUST_LOG", level);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// All the output of a run, for the secret check.
fn all_output(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn assert_no_secret(case: &str, out: &str) {
    assert!(
        !out.to_lowercase().contains(MARK),
        "{case}: a planted secret is in the output:\n{out}"
    );
}

/// A kubeconfig with a recognisable secret in every credential field (the exec plugin is
/// `plugin`), pointing at `server`; and the lines that hold the secrets.
fn kubeconfig_with_secrets(server: &str, plugin: &str) -> (Vec<String>, Vec<usize>) {
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: {server}
contexts:
- name: c
  context:
    cluster: c
    user: u
current-context: c
users:
- name: u
  user:
    token: S3CR3T-token-0001
    username: admin
    password: S3CR3T-password-0002
    client-certificate-data: S3CR3TcertData0003
    client-key-data: S3CR3TkeyData0004
    auth-provider:
      name: oidc
      config:
        client-secret: S3CR3T-client-secret-0005
        id-token: S3CR3T-id-token-0006
        refresh-token: S3CR3T-refresh-token-0007
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {plugin}
      args:
      - --password=S3CR3T-arg-0008
      env:
      - name: PLUGIN_TOKEN
        value: S3CR3T-env-0009
      interactiveMode: Never
"
    );
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let secret_lines = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("S3CR3T"))
        .map(|(i, _)| i)
        .collect();
    (lines, secret_lines)
}

/// Kinds of syntax errors at or just after the secret on line `at`.
fn broken_variants(lines: &[String], at: usize) -> Vec<(String, String)> {
    let indent: String = lines[at].chars().take_while(|c| *c == ' ').collect();
    let (key, value) = lines[at].trim_start().split_once(": ").unwrap_or(("", ""));
    let key = key.trim_start_matches("- ");
    let with_line = |l: String| {
        let mut v = lines.to_vec();
        v[at] = l;
        v.join("\n") + "\n"
    };
    let insert_after = |offset: usize, l: String| {
        let mut v = lines.to_vec();
        v.insert((at + offset).min(v.len()), l);
        v.join("\n") + "\n"
    };
    let cut_after = |l: String| {
        let mut v = lines[..at].to_vec();
        v.push(l);
        v.join("\n") + "\n"
    };
    vec![
        (
            "unclosed double quote".into(),
            with_line(format!("{indent}{key}: \"{value}")),
        ),
        (
            "unclosed quote on the last line".into(),
            cut_after(format!("{indent}{key}: \"{value}")),
        ),
        (
            "unclosed single quote".into(),
            with_line(format!("{indent}{key}: '{value}")),
        ),
        (
            "unclosed flow sequence".into(),
            with_line(format!("{indent}{key}: [{value}")),
        ),
        (
            "a sequence where a string belongs".into(),
            with_line(format!("{indent}{key}: [{value}]")),
        ),
        (
            "a mapping value inside a plain scalar".into(),
            with_line(format!("{indent}{key}: {value}: x")),
        ),
        (
            "a tab on the next line".into(),
            insert_after(1, format!("\t{key}: x")),
        ),
        (
            "bad indentation on the next line".into(),
            insert_after(1, format!("{indent}   x: [y")),
        ),
        (
            "a stray colon two lines below".into(),
            insert_after(2, ": : :".into()),
        ),
        ("a duplicate key".into(), insert_after(1, lines[at].clone())),
    ]
}

#[test]
fn no_secret_of_a_broken_kubeconfig_is_ever_printed() {
    let dir = scratch("secrets");
    let (lines, secret_lines) = kubeconfig_with_secrets("http://127.0.0.1:1", "/bin/false");
    assert_eq!(secret_lines.len(), 9);
    let path = dir.join("kc-bad.yaml");
    let mut cases = 0;
    for at in &secret_lines {
        for (what, broken) in broken_variants(&lines, *at) {
            std::fs::write(&path, &broken).unwrap();
            let case = format!("{what} near line {}", at + 1);
            let p = path.to_str().unwrap();
            // --kubeconfig, at the default log level and at trace.
            let diff = run(&["diff", "--kubeconfig", p, "--timeout", "5s"], None, &[]);
            assert_no_secret(&case, &all_output(&diff));
            let traced = run(
                &["delete", "--kubeconfig", p, "--timeout", "5s"],
                Some("trace"),
                &[],
            );
            assert_no_secret(&case, &all_output(&traced));
            // KUBECONFIG, through the inference path.
            let inferred = run(
                &["delete", "--timeout", "5s"],
                Some("trace"),
                &[("KUBECONFIG", &path)],
            );
            assert_no_secret(&case, &all_output(&inferred));
            let code = inferred.status.code();
            // A file that does not parse is a configuration error (exit 3) naming the
            // place; the duplicate key and some others parse and fail later.
            assert!(
                matches!(code, Some(3 | 4)),
                "{case}: {code:?}\n{}",
                all_output(&inferred)
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 90);
    // The reproduction of the issue: the place and kind, not the text.
    let mut v = lines[..secret_lines[0]].to_vec();
    v.push("    token: \"S3CR3T-token-0001".into());
    std::fs::write(&path, v.join("\n") + "\n").unwrap();
    let out = run(&["diff", "--kubeconfig", path.to_str().unwrap()], None, &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(
            "error: cannot load the kubeconfig: the kubeconfig is not valid YAML at line "
        ),
        "{err}"
    );
    assert_no_secret("the issue's reproduction", &err);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes an executable shell script.
fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn no_secret_of_an_exec_plugin_is_ever_printed() {
    let server = FakeApiServer::start(ServerOptions::new().istio());
    let dir = scratch("exec");
    let plugins = [
        (
            "malformed JSON",
            "echo '{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": \"ExecCredential\", \"status\": {\"token\": \"S3CR3T-exec-token-0010\"'",
        ),
        (
            "a JSON that is not an ExecCredential",
            "echo '{\"status\": [\"S3CR3T-exec-token-0011\"]}'",
        ),
        (
            "a failing plugin that prints its token",
            "echo 'token S3CR3T-exec-token-0012'; echo \"$PLUGIN_TOKEN $1\" >&2; exit 3",
        ),
    ];
    for (what, body) in plugins {
        let plugin = dir.join("plugin.sh");
        script(&plugin, body);
        let (lines, _) = kubeconfig_with_secrets(&server.url(), plugin.to_str().unwrap());
        // Only the exec credentials: drop token, password, client certificate and key,
        // and auth provider, so that kube runs the plugin.
        let kept: Vec<String> = lines
            .iter()
            .filter(|l| {
                ![
                    "token:",
                    "username:",
                    "password:",
                    "client-certificate-data:",
                    "client-key-data:",
                    "auth-provider:",
                    "name: oidc",
                    "config:",
                    "client-secret:",
                    "id-token:",
                    "refresh-token:",
                ]
                .iter()
                .any(|k| l.trim_start().starts_with(k))
            })
            .cloned()
            .collect();
        let path = dir.join("kc-exec.yaml");
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
        for level in [None, Some("trace")] {
            let out = run(
                &[
                    "apply",
                    "--kubeconfig",
                    path.to_str().unwrap(),
                    "--timeout",
                    "10s",
                ],
                level,
                &[],
            );
            let all = all_output(&out);
            assert_no_secret(&format!("{what} ({level:?})"), &all);
            assert_eq!(out.status.code(), Some(3), "{what}: {all}");
            assert!(all.contains("exec credential plugin"), "{what}: {all}");
        }
    }
    assert_eq!(server.object("v1", "Namespace", None, "shop"), None);
    let _ = std::fs::remove_dir_all(&dir);
}

fn kubeconfig(server: &FakeApiServer, name: &str) -> PathBuf {
    let path = scratch(name).join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    path
}

fn apply_with(kc: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "apply",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--timeout",
        "60s",
    ];
    args.extend(extra);
    run(&args, None, &[])
}

#[test]
fn retried_500s_print_no_error_lines_and_lost_answers_count_as_created() {
    let server = FakeApiServer::start(ServerOptions::new().istio());
    let kc = kubeconfig(&server, "retries");
    let objects = ecommerce::mesh().compile().unwrap().resources.len();
    let faults = server.faults();
    faults.inject(Fault::InternalError, RequestMatch::writes(), 4);
    faults.inject_after(Fault::DisconnectAfterHandling, RequestMatch::writes(), 4, 9);
    let out = apply_with(&kc, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stderr.contains("ERROR"), "{stderr}");
    assert!(!stderr.contains("failed with status"), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "{objects} object(s): {objects} created, 0 configured, 0 unchanged"
        )),
        "{stdout}"
    );
    let requests = server.requests();
    assert_eq!(requests.iter().filter(|r| r.status == 500).count(), 4);
    assert_eq!(requests.iter().filter(|r| r.status == 0).count(), 9);
    let _ = std::fs::remove_dir_all(kc.parent().unwrap());
}

#[test]
fn delete_keeps_the_shop_namespace_while_others_use_it() {
    let server = FakeApiServer::start(ServerOptions::new().istio());
    let kc = kubeconfig(&server, "keep");
    let out = apply_with(&kc, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    server
        .apply_as(
            "kubectl",
            &serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "hand-made", "namespace": "shop"}}),
        )
        .unwrap();
    let k = kc.to_str().unwrap();
    for args in [
        vec!["delete", "--dry-run=server", "--kubeconfig", k],
        vec!["delete", "--kubeconfig", k],
    ] {
        let out = run(&args, None, &[]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        assert!(
            stdout.contains("Namespace shop skipped: kept: it holds objects this ApplySet did not deploy: ConfigMap shop/hand-made"),
            "{stdout}"
        );
    }
    assert!(server.object("v1", "Namespace", None, "shop").is_some());
    assert!(
        server
            .object("v1", "ConfigMap", Some("shop"), "hand-made")
            .is_some()
    );
    // Asked explicitly, it goes.
    let out = apply_with(&kc, &[]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(
        &["delete", "--delete-namespaces=force", "--kubeconfig", k],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Namespace shop deleted"));
    assert_eq!(server.object("v1", "Namespace", None, "shop"), None);
    let _ = std::fs::remove_dir_all(kc.parent().unwrap());
}
