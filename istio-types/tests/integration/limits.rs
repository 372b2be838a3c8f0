//! The YAML reader under hostile input: generated documents, truncations, deep nesting,
//! anchors and aliases, huge keys. Nothing panics, and every error is in words: it says
//! what is wrong (and which limit was hit), never shows a Rust structure.

use istio_types::document::{StreamError, parse_stream};
use istio_types::yaml;

/// A small deterministic pseudo-random generator: the same cases on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Whether `message` shows a Rust structure (`Depth { depth: 65 }`): a capitalised word,
/// ` { `, a lower-case field name and `: `.
fn shows_a_rust_structure(message: &str) -> bool {
    message.match_indices(" { ").any(|(i, _)| {
        let before = message[..i].rsplit(|c: char| !c.is_alphanumeric()).next();
        let after = &message[i + 3..];
        let field: String = after
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        before.is_some_and(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
            && !field.is_empty()
            && after[field.len()..].starts_with(": ")
    })
}

/// Reads `input` both ways; an error must be in words.
fn check(input: &str, case: &str) {
    if let Err(e) = yaml::parse_stream(input) {
        let text = e.to_string();
        assert!(text.starts_with("invalid yaml"), "{case}: {text}");
        assert!(text.len() < 600, "{case}: a short message: {text}");
        assert!(!shows_a_rust_structure(&text), "{case}: {text}");
    }
    match parse_stream(input, "fuzz.yaml") {
        Ok(_) => {}
        Err(StreamError::Yaml { source, .. }) => {
            let text = source.to_string();
            assert!(!shows_a_rust_structure(&text), "{case}: {text}");
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!shows_a_rust_structure(&text), "{case}: {text}");
        }
    }
}

const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "hosts",
    "http",
    "route",
    "a",
    "\"quoted key\"",
    "? complex",
    "<<",
];
const SCALARS: &[&str] = &[
    "networking.istio.io/v1",
    "VirtualService",
    "List",
    "1",
    "-0x1F",
    "017",
    ".nan",
    "~",
    "yes",
    "'single'",
    "\"double \\u263A\"",
    "!!str 5",
    "!!binary aGVsbG8=",
    "|\n  block\n",
    ">-\n  folded\n",
    "[a, b",
    "{x: 1}",
    "&anchor v",
    "*anchor",
    "*unknown",
    "\t",
    "'unterminated",
];

/// A random document built from Kubernetes-like pieces, some of them broken.
fn document(rng: &mut Lcg, depth: usize) -> String {
    let mut out = String::new();
    for _ in 0..(1 + rng.below(5)) {
        let indent = "  ".repeat(depth);
        let key = rng.pick(KEYS);
        match rng.below(6) {
            0 if depth < 6 => {
                out.push_str(&format!("{indent}{key}:\n{}", document(rng, depth + 1)));
            }
            1 => out.push_str(&format!(
                "{indent}{key}: [{}, {}]\n",
                rng.pick(SCALARS),
                rng.pick(SCALARS)
            )),
            2 => out.push_str(&format!("{indent}- {}\n", rng.pick(SCALARS))),
            _ => out.push_str(&format!("{indent}{key}: {}\n", rng.pick(SCALARS))),
        }
    }
    out
}

/// A stream of alias "laughs": each anchor repeats the previous one `fan` times.
fn bomb(levels: usize, fan: usize) -> String {
    let mut out = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..=levels {
        let refs = vec![format!("*l{}", i - 1); fan].join(", ");
        out.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    out
}

#[test]
fn generated_documents_and_their_truncations_never_panic_and_fail_in_words() {
    let mut rng = Lcg(19);
    for case in 0..400 {
        let mut stream = String::new();
        for d in 0..(1 + rng.below(3)) {
            if d > 0 {
                stream.push_str(rng.pick(&["---\n", "--- \n", "...\n---\n", "---\n# c\n"]));
            }
            stream.push_str(&document(&mut rng, 0));
        }
        check(&stream, &format!("case {case}"));
        // Cut anywhere (on a character boundary): unterminated quotes, brackets, blocks.
        for _ in 0..3 {
            let mut cut = rng.below(stream.len() + 1);
            while !stream.is_char_boundary(cut) {
                cut -= 1;
            }
            check(&stream[..cut], &format!("case {case} cut at {cut}"));
        }
    }
}

#[test]
fn deep_nesting_is_refused_in_words() {
    for depth in [10, 63, 64, 65, 100, 1_000, 10_000] {
        let flow = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let map = format!("a: {}1{}\n", "{b: ".repeat(depth), "}".repeat(depth));
        let block: String = (0..depth.min(2_000))
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>()
            + &"  ".repeat(depth.min(2_000))
            + "v\n";
        for (shape, input) in [("flow", &flow), ("map", &map), ("block", &block)] {
            check(input, &format!("{shape} depth {depth}"));
            if depth > 64 {
                let e = yaml::parse_stream(input).expect_err("too deep");
                let text = e.to_string();
                assert!(
                    text.contains("nesting deeper than 64 levels") || text.contains("limit"),
                    "{shape} depth {depth}: {text}"
                );
            }
        }
    }
    let e =
        yaml::parse_stream(&format!("a: {}{}\n", "[".repeat(100), "]".repeat(100))).unwrap_err();
    assert_eq!(e.line(), Some(1));
    assert!(
        e.to_string()
            .contains("nesting deeper than 64 levels (maps and lists inside each other)"),
        "{e}"
    );
}

#[test]
fn alias_bombs_are_refused_in_words_and_small_anchors_read() {
    // Small uses of anchors are ordinary YAML.
    let docs = yaml::parse_stream(&bomb(2, 3)).expect("90 nodes of aliases read");
    assert_eq!(docs.len(), 1);
    // Each refusal replays a million nodes first (seconds in a debug build): one bomb,
    // in a later document so that the message also says which.
    let input = format!("a: 1\n---\nb: 2\n---\n{}", bomb(9, 10));
    let e = yaml::parse_stream(&input).expect_err("a bomb is refused");
    let text = e.to_string();
    assert!(
        text.contains("(a YAML bomb?)") && text.contains("1,000,000"),
        "{text}"
    );
    assert!(text.contains("in document 3"), "{text}");
    assert!(!shows_a_rust_structure(&text), "{text}");
}

#[test]
fn huge_keys_are_refused_in_words() {
    for len in [1_025, 10_000, 1_000_000] {
        for input in [
            format!("kind: x\n{}: 1\n", "k".repeat(len)),
            format!("kind: x\n{}\n", "k".repeat(len)),
        ] {
            check(&input, &format!("key of {len} bytes"));
            let e = yaml::parse_stream(&input).expect_err("refused");
            let text = e.to_string();
            assert!(
                text.contains("longer than 1,024 bytes") && text.contains("did you forget a ':'?"),
                "{text}"
            );
            assert_eq!(e.line(), Some(2), "{text}");
        }
    }
    // Keys up to the limit read; a long value is no problem at all.
    let key = "k".repeat(1_000);
    assert!(yaml::parse_stream(&format!("{key}: 1\n")).is_ok());
    assert!(yaml::parse_stream(&format!("k: {}\n", "v".repeat(1_000_000))).is_ok());
}

#[test]
fn the_structure_detector_detects_structures() {
    assert!(shows_a_rust_structure(
        "budget breached: RecordedAnchorEvents { recorded_anchor_events: 1000001 }"
    ));
    assert!(shows_a_rust_structure("Depth { depth: 65 }"));
    assert!(!shows_a_rust_structure("expected a map, found {a: 1}"));
    assert!(!shows_a_rust_structure("nesting deeper than 64 levels"));
}
