//! The layout rules of the hand-written crates, checked on every test run: no file over
//! 600 lines (generated files excepted) and no import cycle between files.
//!
//! An import is any `crate::a::b` or `super::a` path in a file's code (comments and string
//! literals are ignored). It is resolved to the longest module path that is a file. A
//! file may use what its ancestors (`mod.rs`, `lib.rs`) define without that counting as an
//! edge: shared definitions live there and the children are the parts. Every other edge
//! counts, and a strongly connected group of two or more files is a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The most lines a hand-written source file may have.
const MAX_LINES: usize = 600;

/// The source folders checked, relative to the workspace root.
const CRATES: &[&str] = &["mesh-dsl/src", "mesh-cli/src"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A generated file says so in a comment at its top, with "do not edit".
fn is_generated(text: &str) -> bool {
    text.lines().take(5).any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("//") && l.contains("generated") && l.contains("do not edit")
    })
}

/// The module path of a file relative to its crate's `src`: `lib.rs` is `[]`,
/// `a/mod.rs` and `a.rs` are `["a"]`, `a/b.rs` is `["a", "b"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// The code of a file without comments, string and char literals (kept as blanks so that
/// nothing inside them looks like a path).
fn strip_comments_and_strings(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r' && i + 1 < b.len() && (b[i + 1] == b'"' || b[i + 1] == b'#') {
            // A raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while j < b.len() && b[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            if j < b.len() && b[j] == b'"' {
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                j += 1;
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = j + close.len();
                out.push(' ');
            } else {
                out.push('r');
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal ('a', '\n', '\''); lifetimes ('a) are left alone.
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else {
            let ch = text[i..].chars().next().expect("a char");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Every path the code names from `crate::`, `super::` or `self::`, or from a child
/// module at the start of a `use`, expanded through `use` groups (`use crate::a::{b,
/// c::d}` gives `a::b` and `a::c::d`), as absolute module paths.
fn referenced_paths(
    code: &str,
    own: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let rest = &code[i..];
        let anchor = if !starts_word {
            None
        } else if rest.starts_with("crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if rest.starts_with("self::") {
            Some((own.to_vec(), "self::".len()))
        } else if rest.starts_with("super::") {
            let mut base = own.to_vec();
            let mut len = 0;
            while code[i + len..].starts_with("super::") {
                base.pop();
                len += "super::".len();
            }
            Some((base, len))
        } else if rest.starts_with("use ") {
            // `use child::x` names a child module of this one without `self::`.
            let start = i + "use ".len();
            let first: String = code[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let mut child = own.to_vec();
            child.push(first);
            modules
                .contains_key(&child)
                .then(|| (own.to_vec(), "use ".len()))
        } else {
            None
        };
        if let Some((base, skip)) = anchor {
            let tail_start = i + skip;
            let end = path_end(code, tail_start);
            for tail in expand_group(&code[tail_start..end]) {
                let mut p = base.clone();
                p.extend(tail);
                found.push(p);
            }
            i = end.max(i + 1);
        } else {
            i += code[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// Where a path that starts at `start` ends: after its last segment or its closing brace.
fn path_end(code: &str, start: usize) -> usize {
    let b = code.as_bytes();
    let mut i = start;
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == b'{' {
            depth += 1;
        } else if c == b'}' {
            if depth == 0 {
                return i;
            }
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        } else if depth == 0 && !(c.is_ascii_alphanumeric() || c == b'_' || c == b':') {
            return i;
        }
        i += 1;
    }
    i
}

/// `a::{b, c::{d, e}}` into `[a,b]`, `[a,c,d]`, `[a,c,e]`; `self` ends a path.
fn expand_group(text: &str) -> Vec<Vec<String>> {
    // Drop `as alias` renames, then all white space.
    let mut words = text.split_whitespace();
    let mut text = String::new();
    while let Some(w) = words.next() {
        if w == "as" {
            // The alias may carry the separator that follows it: `as f,` or `as f}`.
            let alias = words.next().unwrap_or("");
            text.extend(alias.chars().filter(|c| matches!(c, ',' | '}')));
        } else {
            text.push_str(w);
        }
    }
    fn go(prefix: &[String], s: &str, out: &mut Vec<Vec<String>>) {
        if let Some(open) = s.find('{') {
            let head: Vec<String> = s[..open]
                .split("::")
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &s[open + 1..s.rfind('}').unwrap_or(s.len())];
            let mut depth = 0;
            let mut last = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&base, &inner[last..i], out);
                        last = i + 1;
                    }
                    _ => {}
                }
            }
            go(&base, &inner[last..], out);
        } else {
            let mut p = prefix.to_vec();
            p.extend(
                s.split("::")
                    .filter(|p| !p.is_empty() && *p != "self" && *p != "*")
                    .map(String::from),
            );
            out.push(p);
        }
    }
    let mut out = Vec::new();
    go(&[], &text, &mut out);
    out
}

struct Crate {
    /// Module path -> file.
    modules: BTreeMap<Vec<String>, PathBuf>,
    /// File -> files it imports from (ancestors left out).
    edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn read_crate(src: &Path) -> Crate {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_path(src, f), f.clone()))
        .collect();
    let codes: Vec<(PathBuf, Vec<String>, String)> = files
        .iter()
        .map(|f| {
            let text = fs::read_to_string(f).expect("a readable source file");
            (
                f.clone(),
                module_path(src, f),
                strip_comments_and_strings(&text),
            )
        })
        .collect();
    let aliases = module_aliases(&codes, &modules);
    let mut edges = BTreeMap::new();
    for (file, own, code) in &codes {
        let mut targets = BTreeSet::new();
        for path in referenced_paths(code, own, &modules) {
            let path = resolve_aliases(path, &aliases);
            // The longest prefix that is a file.
            let target = (0..=path.len())
                .rev()
                .find_map(|n| modules.get(&path[..n]))
                .expect("lib.rs at least");
            let target_mod = module_path(src, target);
            let is_ancestor = own.len() > target_mod.len() && own.starts_with(&target_mod);
            if target != file && !is_ancestor {
                targets.insert(target.clone());
            }
        }
        edges.insert(file.clone(), targets);
    }
    Crate { modules, edges }
}

/// Modules re-exported under another path (`pub use dsl::service;` in `lib.rs` makes
/// `crate::service` the file `dsl/service.rs`): alias path -> module path.
fn module_aliases(
    codes: &[(PathBuf, Vec<String>, String)],
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut aliases = BTreeMap::new();
    for (_, own, code) in codes {
        for stmt in code.split(';') {
            let stmt = stmt.trim_start();
            let Some(rest) = ["pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|p| stmt.rfind(p).map(|i| &stmt[i + p.len()..]))
            else {
                continue;
            };
            for path in expand_group(rest) {
                let full = match path.first().map(String::as_str) {
                    Some("crate") => path[1..].to_vec(),
                    Some("self") => own.iter().chain(&path[1..]).cloned().collect(),
                    Some("super") => {
                        let mut base = own.clone();
                        let mut rest = &path[..];
                        while rest.first().is_some_and(|p| p == "super") {
                            base.pop();
                            rest = &rest[1..];
                        }
                        base.into_iter().chain(rest.iter().cloned()).collect()
                    }
                    _ => own.iter().chain(&path).cloned().collect(),
                };
                if let (true, Some(last)) = (modules.contains_key(&full), full.last()) {
                    let mut alias = own.clone();
                    alias.push(last.clone());
                    if alias != full {
                        aliases.insert(alias, full);
                    }
                }
            }
        }
    }
    aliases
}

/// A path with its re-exported module prefixes replaced by where the modules are.
fn resolve_aliases(
    mut path: Vec<String>,
    aliases: &BTreeMap<Vec<String>, Vec<String>>,
) -> Vec<String> {
    for _ in 0..8 {
        let Some(n) = (1..=path.len())
            .rev()
            .find(|n| aliases.contains_key(&path[..*n]))
        else {
            break;
        };
        let mut resolved = aliases[&path[..n]].clone();
        resolved.extend_from_slice(&path[n..]);
        path = resolved;
    }
    path
}

/// Strongly connected groups of two or more files (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        groups: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.groups.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        groups: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.groups
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

#[test]
fn no_hand_written_file_over_600_lines() {
    let root = workspace_root();
    let mut long = Vec::new();
    for dir in CRATES {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        for f in files {
            let text = fs::read_to_string(&f).expect("a readable source file");
            let n = text.lines().count();
            if n > MAX_LINES && !is_generated(&text) {
                long.push(format!("{n:5} {}", rel(&root, &f)));
            }
        }
    }
    assert!(
        long.is_empty(),
        "hand-written files over {MAX_LINES} lines (cut them by concept):\n{}",
        long.join("\n")
    );
}

#[test]
fn no_import_cycle_between_files() {
    let root = workspace_root();
    let mut found = Vec::new();
    for dir in CRATES {
        let krate = read_crate(&root.join(dir));
        assert!(krate.modules.len() > 1, "{dir} has no modules");
        for group in cycles(&krate.edges) {
            let names: Vec<String> = group.iter().map(|f| rel(&root, f)).collect();
            found.push(names.join(" <-> "));
        }
    }
    assert!(
        found.is_empty(),
        "files that import each other (move the shared part to one side or to a leaf file):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_sees_a_cycle_and_resolves_groups() {
    let groups = expand_group("a::{b, c::{d, e as f}, self}");
    assert_eq!(
        groups,
        vec![
            vec!["a", "b"],
            vec!["a", "c", "d"],
            vec!["a", "c", "e"],
            vec!["a"]
        ]
    );
    let code = strip_comments_and_strings(
        "use super::b::X; // crate::c::Y\nlet s = \"crate::d::Z\"; let c = '\"';",
    );
    let own = vec!["m".to_string(), "a".to_string()];
    assert_eq!(
        referenced_paths(&code, &own, &BTreeMap::new()),
        vec![vec!["m".to_string(), "b".to_string(), "X".to_string()]]
    );
    let mut edges = BTreeMap::new();
    let (a, b, c) = (PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c"));
    edges.insert(a.clone(), BTreeSet::from([b.clone()]));
    edges.insert(b.clone(), BTreeSet::from([a.clone(), c.clone()]));
    edges.insert(c.clone(), BTreeSet::new());
    assert_eq!(cycles(&edges), vec![vec![a, b]]);

    // `pub use dsl::{service};` in lib.rs: `crate::service::Port` is in dsl/service.rs.
    let modules = BTreeMap::from([
        (vec![], PathBuf::from("lib.rs")),
        (vec!["dsl".to_string()], PathBuf::from("dsl/mod.rs")),
        (
            vec!["dsl".to_string(), "service".to_string()],
            PathBuf::from("dsl/service.rs"),
        ),
    ]);
    let codes = vec![(
        PathBuf::from("lib.rs"),
        vec![],
        "mod dsl; pub use dsl::{service};".to_string(),
    )];
    let aliases = module_aliases(&codes, &modules);
    assert_eq!(
        resolve_aliases(vec!["service".into(), "Port".into()], &aliases),
        ["dsl", "service", "Port"]
    );
}
