//! What `mesh` reads: directories with symbolic links, loops and special files, `kind:
//! List` documents, and findings that name many objects. Every run of the binary is
//! bounded: a run that does not end within its time limit is killed and fails the test.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one run may take; the inputs here are read in milliseconds.
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `mesh` with `stdin`; fails the test if it does not end within [`LIMIT`].
fn mesh(args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mesh runs");
    let pid = child.id();
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // A closed pipe (mesh did not read its input) is not this test's concern.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(out) => out.expect("mesh exits"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("mesh {args:?} did not end within {LIMIT:?}");
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mesh-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp dir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

const VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: shop}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n";
const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}\n";

/// A directory whose one VirtualService is reachable through several paths, with loops,
/// a FIFO and a socket named `*.yaml`.
fn tricky_tree(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    let d = dir.path();
    std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
    std::fs::write(d.join("a.yaml"), VS).unwrap();
    std::fs::write(d.join("sub/svc.yaml"), SVC).unwrap();
    symlink(".", d.join("self")).unwrap();
    symlink("..", d.join("sub/deeper/up")).unwrap();
    symlink(d, d.join("sub/absolute-loop")).unwrap();
    symlink("a.yaml", d.join("link.yaml")).unwrap();
    symlink("../a.yaml", d.join("sub/again.yml")).unwrap();
    symlink("nowhere", d.join("dangling.txt")).unwrap();
    mkfifo(&d.join("pipe.yaml"));
    let _socket = std::os::unix::net::UnixListener::bind(d.join("socket.yaml")).unwrap();
    dir
}

#[test]
fn every_subcommand_reads_each_file_once_and_skips_loops_and_special_files() {
    let dir = tricky_tree("tricky");
    let validate = mesh(&["validate", "-f", dir.arg()], "");
    let stderr = text(&validate.stderr);
    assert_eq!(validate.status.code(), Some(0), "{stderr}");
    assert!(
        text(&validate.stdout).contains("no problems found in 2 resources"),
        "each file is read once: {}",
        text(&validate.stdout)
    );
    assert!(
        stderr.contains("pipe.yaml: not a regular file (a FIFO)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("socket.yaml: not a regular file (a socket)"),
        "{stderr}"
    );
    assert!(stderr.contains("a loop?"), "{stderr}");

    // Read once, the VirtualService does not conflict with itself (IST0109).
    let analyze = mesh(&["analyze", "-f", dir.arg(), "-o", "json"], "");
    let out = text(&analyze.stdout);
    assert_eq!(
        analyze.status.code(),
        Some(0),
        "{out}{}",
        text(&analyze.stderr)
    );
    assert!(!out.contains("IST0109"), "{out}");

    let fmt = mesh(&["fmt", "-f", dir.arg()], "");
    let yaml = text(&fmt.stdout);
    assert_eq!(fmt.status.code(), Some(0), "{}", text(&fmt.stderr));
    assert_eq!(yaml.matches("kind: VirtualService").count(), 1, "{yaml}");
    assert_eq!(yaml.matches("kind: Service\n").count(), 1, "{yaml}");

    let sim = mesh(
        &[
            "simulate",
            "-f",
            dir.arg(),
            "--host",
            "reviews",
            "--source-namespace",
            "shop",
        ],
        "",
    );
    assert_eq!(sim.status.code(), Some(0), "{}", text(&sim.stderr));
    assert!(
        text(&sim.stdout).contains("shop/reviews"),
        "{}",
        text(&sim.stdout)
    );

    // Named twice (directly, then inside its directory), a file is still read once.
    let twice = mesh(
        &[
            "validate",
            "-f",
            dir.path().join("a.yaml").to_str().unwrap(),
            "-f",
            dir.arg(),
        ],
        "",
    );
    assert!(
        text(&twice.stdout).contains("no problems found in 2 resources"),
        "{}",
        text(&twice.stdout)
    );
}

/// A small deterministic pseudo-random generator (the tests must not depend on a seed
/// from the environment).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn generated_trees_with_links_and_fifos_count_each_file_once() {
    for seed in 0..12u64 {
        let mut rng = Lcg(seed);
        let dir = TempDir::new(&format!("gen{seed}"));
        let mut dirs = vec![dir.path().to_path_buf()];
        for i in 0..(2 + rng.below(5)) {
            let parent = dirs[rng.below(dirs.len())].clone();
            let d = parent.join(format!("d{i}"));
            std::fs::create_dir(&d).unwrap();
            dirs.push(d);
        }
        let mut files = Vec::new();
        for i in 0..(1 + rng.below(6)) {
            let f = dirs[rng.below(dirs.len())].join(format!("f{i}.yaml"));
            std::fs::write(
                &f,
                format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{i}}}\n"),
            )
            .unwrap();
            files.push(f);
        }
        for i in 0..(3 + rng.below(6)) {
            let at = dirs[rng.below(dirs.len())].join(format!("l{i}.yaml"));
            match rng.below(4) {
                // A link to a directory (an ancestor makes a loop).
                0 | 1 => symlink(&dirs[rng.below(dirs.len())], &at).unwrap(),
                // A link to a file.
                2 => symlink(&files[rng.below(files.len())], &at).unwrap(),
                _ => mkfifo(&at),
            }
        }
        let out = mesh(&["validate", "-f", dir.arg()], "");
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}: {stdout}{}",
            text(&out.stderr)
        );
        let expected = format!("no problems found in {} resource", files.len());
        assert!(stdout.contains(&expected), "seed {seed}: {stdout}");
    }
}

#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    // `-f <(kustomize build)` hands mesh a pipe: named explicitly, it is read.
    let dir = TempDir::new("fifo-arg");
    let fifo = dir.path().join("in.yaml");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, VS))
    };
    let out = mesh(&["fmt", "-f", fifo.to_str().unwrap()], "");
    writer.join().unwrap().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("kind: VirtualService"));
}

const LIST: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: VirtualService\n  metadata: {name: reviews, namespace: shop}\n  spec:\n    hosts: [reviews]\n    http:\n    - route:\n      - destination: {host: reviews, subset: v2}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: reviews, namespace: shop}\n  spec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}\n- apiVersion: networking.istio.io/v1\n  kind: DestinationRule\n  metadata: {name: reviews, namespace: shop}\n  spec: {host: reviews, subsets: [{name: v2, labels: {version: v2}}]}\n";

#[test]
fn list_items_are_seen_by_every_subcommand() {
    let fmt = mesh(&["fmt", "-f", "-"], LIST);
    let yaml = text(&fmt.stdout);
    assert_eq!(fmt.status.code(), Some(0), "{}", text(&fmt.stderr));
    assert!(
        !yaml.contains("kind: List"),
        "items are printed as documents: {yaml}"
    );
    assert_eq!(yaml.matches("\n---\n").count(), 2, "{yaml}");
    assert!(yaml.starts_with("apiVersion: networking.istio.io/v1\nkind: VirtualService\n"));

    let sim = mesh(
        &[
            "simulate",
            "-f",
            "-",
            "--host",
            "reviews",
            "--source-namespace",
            "shop",
        ],
        LIST,
    );
    let decision = text(&sim.stdout);
    assert_eq!(sim.status.code(), Some(0), "{}", text(&sim.stderr));
    assert!(decision.contains("shop/reviews"), "{decision}");
    assert!(decision.contains("v2"), "{decision}");

    let validate = mesh(&["validate", "-f", "-"], LIST);
    assert!(
        text(&validate.stdout).contains("no problems found in 3 resources"),
        "{}",
        text(&validate.stdout)
    );
}

#[test]
fn an_invalid_list_item_fails_fmt_and_names_the_item() {
    let bad = LIST.replace("      - destination:", "      - destinaton:");
    let fmt = mesh(&["fmt", "-f", "-"], &bad);
    let stderr = text(&fmt.stderr);
    assert_eq!(fmt.status.code(), Some(1), "{stderr}");
    assert!(fmt.stdout.is_empty());
    assert!(
        stderr.contains("document 1 (line 1), item 1, VirtualService shop/reviews"),
        "{stderr}"
    );
    assert!(stderr.contains("destinaton"), "{stderr}");

    let sim = mesh(&["simulate", "-f", "-", "--host", "reviews"], &bad);
    assert_eq!(sim.status.code(), Some(1), "{}", text(&sim.stderr));
}

#[test]
fn findings_about_many_objects_name_a_bounded_few() {
    let n = 25;
    let mut stream = String::new();
    for i in 0..n {
        stream.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs-{i:02}, namespace: default}}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {{host: reviews}}\n---\n"
        ));
    }
    stream.push_str(
        "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: default}\nspec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}\n",
    );
    let out = mesh(&["analyze", "-f", "-", "-o", "json"], &stream);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let conflicts: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "IST0109")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(conflicts.len(), n, "one finding per VirtualService");
    let names: Vec<String> = (0..10).map(|i| format!("default/vs-{i:02}")).collect();
    for m in conflicts {
        assert!(
            m.contains(&format!("{} and 15 more", names.join(","))),
            "{m}"
        );
        assert!(!m.contains("vs-24"), "{m}");
    }
}

#[test]
fn parser_limits_are_explained_in_words() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    let deep = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
    let key = format!("kind: x\n{}: 1\n", "k".repeat(100_000));
    let second = format!("kind: a\n---\n{deep}");
    for (input, words) in [
        (bomb.as_str(), "a YAML bomb?"),
        (deep.as_str(), "nesting deeper than 64 levels"),
        (key.as_str(), "did you forget a ':'?"),
        (second.as_str(), "in document 2 at line 3"),
    ] {
        // A bomb takes seconds to refuse in a debug build: once is enough.
        let cmds: &[&str] = if words == "a YAML bomb?" {
            &["validate"]
        } else {
            &["validate", "fmt"]
        };
        for &cmd in cmds {
            let out = mesh(&[cmd, "-f", "-"], input);
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(1), "{cmd}: {all}");
            assert!(all.contains(words), "{cmd}: {all}");
            assert!(!all.contains(" { "), "{cmd}: no Rust structure: {all}");
        }
    }
}

#[test]
fn an_input_over_the_size_limit_exits_3_without_reading_it() {
    let dir = TempDir::new("huge");
    let huge = dir.path().join("huge.yaml");
    // Sparse: 1 GiB and one byte long, no disk space used, never read.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    for cmd in ["validate", "fmt"] {
        let out = mesh(&[cmd, "-f", dir.arg()], "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{cmd}: {stderr}");
        assert!(
            stderr.contains("mesh reads at most 1 GiB per input"),
            "{stderr}"
        );
    }
}
