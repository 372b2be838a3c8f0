//! Reading and writing YAML: the one place in the project that touches a YAML library.
//!
//! Everything else goes through [`parse_stream`], [`to_yaml`] and [`to_yaml_stream`], so
//! the backend (currently `serde-saphyr`) can be swapped without touching callers.
//!
//! # Output is safe for YAML 1.1 readers
//!
//! `kubectl` and the Kubernetes API server read YAML 1.1, where plain (unquoted) scalars
//! such as `on`, `no`, `y`, `~`, `0x1F`, `017`, `1_000`, `12:30` or `2024-01-01` are
//! booleans, nulls, numbers or timestamps rather than strings. The writer here quotes
//! every string that a YAML 1.1 or YAML 1.2 reader could take for something else, in
//! values and in map keys alike, so a string always comes back as the same string.
//! Strings containing line breaks are written as literal blocks (`|`); long single-line
//! strings stay on one line. Output depends only on the value, so it is deterministic as
//! long as the value's own `Serialize` output is (for example, maps are `BTreeMap`s).
//!
//! ```
//! use std::collections::BTreeMap;
//! use istio_types::yaml::{parse_stream, to_yaml};
//!
//! let labels = BTreeMap::from([("canary", "on"), ("version", "1.10")]);
//! let text = to_yaml(&labels)?;
//! assert_eq!(text, "canary: \"on\"\nversion: \"1.10\"\n");
//! let docs = parse_stream(&text)?;
//! assert_eq!(docs[0].value, serde_json::json!({"canary": "on", "version": "1.10"}));
//! # Ok::<(), istio_types::yaml::YamlError>(())
//! ```
//!
//! # Reading
//!
//! [`parse_stream`] reads a stream of documents into JSON values, as `kubectl` would:
//! YAML 1.1 spellings are honoured (`yes`/`on` are booleans, `017` is octal), duplicate
//! keys are rejected, and values JSON cannot hold (NaN, infinities) are errors.

use serde::Serialize;
use serde_json::Value;
use serde_saphyr::granit_parser::{Event, Parser};

/// One document of a YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlDocument {
    /// Position of the document in the stream, counting from 0. Empty and null documents
    /// are not returned but still count, so this matches what a reader of the file sees.
    pub index: usize,
    /// The 1-based line where the document's content begins (its first key, item or
    /// scalar), when known.
    pub line: Option<usize>,
    /// The document's content.
    pub value: Value,
}

/// A failure to read or write YAML.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum YamlError {
    /// The input is not valid YAML, or holds something that JSON cannot represent.
    #[error("invalid yaml{}{}: {message}", in_document(*.document), at(*.line, *.column))]
    Parse {
        /// What is wrong.
        message: String,
        /// The 1-based document of the stream the problem is in, when it is not the
        /// first.
        document: Option<usize>,
        /// The 1-based line of the problem, when known.
        line: Option<usize>,
        /// The 1-based column of the problem, when known.
        column: Option<usize>,
    },
    /// A value could not be written as YAML (for example, a map with non-scalar keys).
    #[error("cannot write yaml: {message}")]
    Write {
        /// What went wrong.
        message: String,
    },
}

fn in_document(document: Option<usize>) -> String {
    document.map_or_else(String::new, |d| format!(" in document {d}"))
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

impl YamlError {
    /// The 1-based line the error refers to, for parse errors that know it.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Parse { line, .. } => *line,
            Self::Write { .. } => None,
        }
    }

    /// The 1-based column the error refers to, for parse errors that know it.
    #[must_use]
    pub fn column(&self) -> Option<usize> {
        match self {
            Self::Parse { column, .. } => *column,
            Self::Write { .. } => None,
        }
    }

    fn from_read(err: &serde_saphyr::Error) -> Self {
        let location = err.location();
        let line = location
            .and_then(|l| usize::try_from(l.line()).ok())
            .filter(|l| *l > 0);
        let column = location
            .and_then(|l| usize::try_from(l.column()).ok())
            .filter(|c| *c > 0);
        let message = limit_message(err.without_snippet()).unwrap_or_else(|| {
            let mut message = err.without_snippet().to_string();
            // The backend appends the position to its message; it is kept in fields
            // instead.
            if let (Some(l), Some(c)) = (line, column) {
                let suffix = format!(" at line {l}, column {c}");
                if let Some(stripped) = message.strip_suffix(&suffix) {
                    message.truncate(stripped.len());
                }
            }
            // Advice about the backend's own settings means nothing to our users.
            if let Some(stripped) =
                message.strip_suffix(", set DuplicateKeyPolicy in Options if acceptable")
            {
                message.truncate(stripped.len());
            }
            if message == "simple key expected ':'" {
                message = format!(
                    "a line that is neither `key: value` nor a list item, or a mapping key \
                     longer than {} bytes: keys must be short and end with ':'; did you \
                     forget a ':'?",
                    thousands(MAX_KEY_BYTES)
                );
            } else if looks_like_debug(&message) {
                // A backend message we have no words for yet: never show its internals.
                message = "the YAML reader stopped at a limit it enforces (the document \
                           is too large, too deep or too repetitive)"
                    .to_string();
            }
            message
        });
        Self::Parse {
            message,
            document: None,
            line,
            column,
        }
    }

    fn from_write(err: &serde_saphyr::SerializeError) -> Self {
        Self::Write {
            message: err.to_string(),
        }
    }
}

/// The deepest nesting of maps and lists read.
pub const MAX_DEPTH: usize = 64;
/// The most nodes alias expansion may produce in one document (YAML bombs).
pub const MAX_ALIAS_EXPANSION: usize = 1_000_000;
/// The longest mapping key (without `?`) read, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The most nodes (maps, lists, scalars) in one document.
pub const MAX_NODES: usize = 100_000_000;
/// The most text (all scalars together) in one document, and in one input, in bytes.
pub const MAX_BYTES: usize = 1 << 30;

/// A count with thousands separators, as messages print it: `1000000` as `1,000,000`.
///
/// ```
/// assert_eq!(istio_types::yaml::thousands(9990), "9,990");
/// assert_eq!(istio_types::yaml::thousands(1_234_567), "1,234,567");
/// assert_eq!(istio_types::yaml::thousands(12), "12");
/// ```
#[must_use]
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether a message shows a Rust structure (`Name { field: 1 }`) rather than words.
fn looks_like_debug(message: &str) -> bool {
    message
        .find(" { ")
        .is_some_and(|i| message[i..].contains(": ") && message[i..].contains(" }"))
}

/// Words for the backend's limits (its budget and alias checks): what was hit, and what
/// to do about it.
fn limit_message(err: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let bomb = || {
        format!(
            "more than {} nodes from aliases (*name) in one document (a YAML bomb?): mesh \
             expands aliases to at most {} nodes per document; write the repeated parts out, \
             or repeat them less",
            thousands(MAX_ALIAS_EXPANSION),
            thousands(MAX_ALIAS_EXPANSION)
        )
    };
    // The backend wraps errors met while replaying an alias, and snippets; unwrap them.
    let mut err = err;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = err {
        err = error;
    }
    let text = match err {
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => format!(
                "nesting deeper than {MAX_DEPTH} levels (maps and lists inside each other): \
                 mesh reads at most {MAX_DEPTH}; Kubernetes objects are far shallower \
                 (unbalanced brackets, or a generator gone wrong?)"
            ),
            B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. }
            | B::Aliases { .. }
            | B::AliasAnchorRatio { .. } => bomb(),
            B::Anchors { .. } => {
                "too many anchors (&name) in one document: split it into several documents"
                    .to_string()
            }
            B::Events { .. } | B::Nodes { .. } => format!(
                "more than {} nodes in one document: split it into several documents",
                thousands(MAX_NODES)
            ),
            B::ScalarBytes { .. } => format!(
                "more than {} bytes of text in one document: split it into several documents",
                thousands(MAX_BYTES)
            ),
            B::InputBytes { .. } => format!(
                "the input is longer than {} bytes: mesh reads at most 1 GiB per input; \
                 split it into several files",
                thousands(MAX_BYTES)
            ),
            B::Documents { .. } => {
                "too many documents in one input: split it into several files".to_string()
            }
            B::MergeKeys { .. } => {
                "too many merge keys (<<) in one document: write the merged maps out".to_string()
            }
            _ => "the YAML reader stopped at one of its limits (the document is too large, \
                  too deep or too repetitive): split it into several documents"
                .to_string(),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => bomb(),
        E::AliasReplayStackDepthExceeded { .. } => format!(
            "aliases (*name) nested deeper than {MAX_DEPTH} levels (a YAML bomb?): write the \
             repeated parts out"
        ),
        _ => return None,
    };
    Some(text)
}

fn read_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // YAML 1.1 (and so kubectl) reads `017` as octal 15.
        legacy_octal_numbers: true,
        // Errors carry line and column; callers render their own context.
        with_snippet: false,
        // Limits sized for meshes of thousands of services in one stream (a
        // 5,000-service mesh is 25,000 documents and millions of nodes), while keeping the
        // backend's protection against alias bombs and runaway nesting.
        budget: serde_saphyr::budget! {
            max_documents: 1_000_000,
            max_nodes: MAX_NODES,
            max_events: 4 * MAX_NODES,
            max_total_scalar_bytes: MAX_BYTES,
            max_reader_input_bytes: Some(MAX_BYTES),
            max_depth: MAX_DEPTH,
            max_recorded_anchor_events: MAX_ALIAS_EXPANSION,
            simple_key_max_lookahead: MAX_KEY_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_EXPANSION,
            max_replay_stack_depth: MAX_DEPTH,
        },
    }
}

fn write_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        // Quote strings that YAML 1.1 readers would resolve to another type (the
        // backend's default, spelled out because the whole project relies on it).
        yaml_12: false,
        quote_all: false,
        indent_step: 2,
        // `- name: x` directly under its key, as kubectl prints it.
        compact_list_indent: true,
        // Multi-line strings become literal blocks...
        prefer_block_scalars: true,
        // ...but long single-line strings are never folded across lines.
        folded_wrap_chars: usize::MAX,
    }
}

/// Parses a stream of YAML documents (separated by `---`) into JSON values.
///
/// Documents that are empty or null (for example a trailing `---`, or one holding only
/// comments) are left out, but [`YamlDocument::index`] still counts them. Mapping keys
/// become strings, as in JSON.
///
/// # Errors
/// [`YamlError::Parse`] for invalid YAML, duplicate keys, unknown aliases, or values that
/// JSON cannot represent (NaN and infinite numbers, non-scalar keys), with the line and
/// column when they are known. The whole stream fails if any document does.
///
/// ```
/// use istio_types::yaml::parse_stream;
///
/// let docs = parse_stream("a: 1\n---\n# nothing here\n---\nb: [x, yes]\n")?;
/// assert_eq!(docs.len(), 2);
/// assert_eq!((docs[1].index, docs[1].line), (2, Some(5)));
/// // YAML 1.1 rules, as kubectl applies them: unquoted `yes` is a boolean.
/// assert_eq!(docs[1].value, serde_json::json!({"b": ["x", true]}));
///
/// let err = parse_stream("a: 1\na: 2\n").unwrap_err();
/// assert_eq!((err.line(), err.column()), (Some(2), Some(1)));
/// # Ok::<(), istio_types::yaml::YamlError>(())
/// ```
pub fn parse_stream(src: &str) -> Result<Vec<YamlDocument>, YamlError> {
    let mut docs = Vec::new();
    for_each_document(src, |d| docs.push(d))?;
    Ok(docs)
}

/// Reads a stream of YAML documents one at a time, handing each to `f` as soon as it is
/// read, so that only one document's value is held at a time (see [`parse_stream`],
/// which collects them).
///
/// # Errors
/// As [`parse_stream`]: the first problem ends the read; `f` has then seen the documents
/// before it.
///
/// ```
/// let mut kinds = Vec::new();
/// istio_types::yaml::for_each_document("kind: A\n---\nkind: B\n", |d| kinds.push(d.value["kind"].clone()))?;
/// assert_eq!(kinds, ["A", "B"]);
/// # Ok::<(), istio_types::yaml::YamlError>(())
/// ```
pub fn for_each_document(src: &str, mut f: impl FnMut(YamlDocument)) -> Result<(), YamlError> {
    // The backend drops null documents without saying where they were, so the
    // documents are enumerated separately and matched by where their content starts.
    let roots = document_roots(src);
    let mut reader = src.as_bytes();
    let mut next = 0;
    // The backend's streaming reader deserializes one document at a time (its string
    // reader would first collect every document).
    let stream = serde_saphyr::read_with_options::<_, serde_saphyr::Spanned<Value>>(
        &mut reader,
        read_options(),
    );
    for spanned in stream {
        let spanned = spanned.map_err(|e| {
            let mut err = YamlError::from_read(&e);
            if let YamlError::Parse { document, line, .. } = &mut err {
                // Name the document when it is not the first (or only) one.
                let n = match *line {
                    Some(l) => roots.document_at(l),
                    None => next + 1,
                };
                *document = (n > 1).then_some(n);
            }
            err
        })?;
        if spanned.value.is_null() {
            continue;
        }
        // The streaming reader knows lines and columns (not byte offsets).
        let at = (spanned.referenced.line(), spanned.referenced.column());
        let rest = roots.roots.get(next..).unwrap_or_default();
        let matched = rest
            .iter()
            .position(|r| r.is_some_and(|r| at.0 > 0 && (r.line as u64, r.column as u64) == at))
            .map(|pos| (next + pos, rest[pos]));
        let (index, root) = match matched {
            Some((index, root)) => (index, root),
            // Not expected to happen; keep indices increasing all the same.
            None => (next, None),
        };
        next = index + 1;
        let line = root.map(|r| r.line).or_else(|| {
            usize::try_from(spanned.referenced.line())
                .ok()
                .filter(|l| *l > 0)
        });
        f(YamlDocument {
            index,
            line,
            value: spanned.value,
        });
    }
    Ok(())
}

/// Where a document's root node starts.
#[derive(Clone, Copy, Debug)]
struct Root {
    line: usize,
    column: usize,
}

/// The documents of `src` as far as the event parser reads them: where each starts (its
/// 1-based line) and where its root node starts (`None` for documents without content).
#[derive(Default)]
struct Roots {
    starts: Vec<usize>,
    roots: Vec<Option<Root>>,
}

impl Roots {
    /// The 1-based document holding `line`.
    fn document_at(&self, line: usize) -> usize {
        self.starts.partition_point(|s| *s <= line).max(1)
    }
}

fn document_roots(src: &str) -> Roots {
    let mut out = Roots::default();
    let mut awaiting_root = false;
    for event in Parser::new_from_str(src) {
        let Ok((event, span)) = event else {
            break;
        };
        match event {
            Event::DocumentStart(..) => {
                out.starts.push(span.start.line());
                out.roots.push(None);
                awaiting_root = true;
            }
            Event::Scalar(..)
            | Event::SequenceStart(..)
            | Event::MappingStart(..)
            | Event::Alias(..)
                if awaiting_root =>
            {
                awaiting_root = false;
                if let Some(slot) = out.roots.last_mut() {
                    *slot = Some(Root {
                        line: span.start.line(),
                        column: span.start.col() + 1,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Writes one value as a YAML document (without a leading `---`), ending in a newline.
///
/// Non-finite floats are written as `.nan`, `.inf` or `-.inf`; Kubernetes (like JSON)
/// has no such values, and [`parse_stream`] rejects them.
///
/// # Errors
/// [`YamlError::Write`] if the value's `Serialize` implementation fails or the value
/// cannot be expressed in YAML.
///
/// ```
/// use istio_types::yaml::to_yaml;
///
/// #[derive(serde::Serialize)]
/// struct Route { host: &'static str, weight: u32, tags: Vec<&'static str> }
///
/// let text = to_yaml(&Route { host: "reviews", weight: 80, tags: vec!["yes", "v1"] })?;
/// assert_eq!(text, "host: reviews\nweight: 80\ntags:\n- \"yes\"\n- v1\n");
/// # Ok::<(), istio_types::yaml::YamlError>(())
/// ```
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    let mut out = String::new();
    append_yaml(&mut out, value)?;
    Ok(out)
}

/// Writes one value as a YAML document at the end of `out` (see [`to_yaml`]), ending in
/// a newline: for writers that reuse one buffer for many documents.
///
/// # Errors
/// As [`to_yaml`]; `out` may then hold part of the document.
///
/// ```
/// let mut out = String::from("---\n");
/// istio_types::yaml::append_yaml(&mut out, &serde_json::json!({"kind": "Gateway"}))?;
/// assert_eq!(out, "---\nkind: Gateway\n");
/// # Ok::<(), istio_types::yaml::YamlError>(())
/// ```
pub fn append_yaml<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), YamlError> {
    serde_saphyr::to_fmt_writer_with_options(out, &value, write_options())
        .map_err(|e| YamlError::from_write(&e))?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(())
}

/// Writes several values as one YAML stream, separated by `---` lines, in a form that
/// `kubectl apply -f` accepts. An empty iterator gives an empty string.
///
/// # Errors
/// [`YamlError::Write`] if any value cannot be written (see [`to_yaml`]).
///
/// ```
/// use istio_types::yaml::{parse_stream, to_yaml_stream};
/// use serde_json::json;
///
/// let docs = [json!({"kind": "Gateway"}), json!({"kind": "VirtualService"})];
/// let text = to_yaml_stream(&docs)?;
/// assert_eq!(text, "kind: Gateway\n---\nkind: VirtualService\n");
/// assert_eq!(parse_stream(&text)?.len(), 2);
/// # Ok::<(), istio_types::yaml::YamlError>(())
/// ```
pub fn to_yaml_stream<'a, T: Serialize + ?Sized + 'a>(
    docs: impl IntoIterator<Item = &'a T>,
) -> Result<String, YamlError> {
    let mut out = String::new();
    for (i, doc) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        append_yaml(&mut out, doc)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// Strings that a YAML 1.1 (or 1.2) reader would not read back as the same string if
    /// they were written plain, plus awkward syntax and layout cases.
    const TRICKY: &[&str] = &[
        // YAML 1.1 booleans, nulls and their case variants.
        "on",
        "off",
        "yes",
        "no",
        "y",
        "n",
        "Y",
        "N",
        "On",
        "ON",
        "Off",
        "OFF",
        "Yes",
        "YES",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "null",
        "Null",
        "NULL",
        "~",
        "",
        // Timestamps.
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2024-01-01T00:00:00Z",
        // Sexagesimal, radix, underscore and exponent numbers; special floats.
        "12:30",
        "190:20:30",
        "190:20:30.15",
        "1:20",
        "0x1F",
        "0X1f",
        "0o17",
        "017",
        "0b101",
        "1_000",
        "0x_1F",
        "1e3",
        "1E3",
        "1.5e3",
        "6.8523015e+5",
        "1.",
        ".5",
        "+.5",
        "0.5",
        "10.0",
        "-1",
        "+12",
        "0",
        "-0",
        "08",
        "09",
        ".inf",
        "-.Inf",
        "+.INF",
        ".NaN",
        ".nan",
        "inf",
        "nan",
        "NaN",
        // Merge and value keys.
        "<<",
        "=",
        // Indicators, whitespace and structure.
        " x",
        "x ",
        " ",
        "a: b",
        "a:",
        ":a",
        "#x",
        "x #y",
        "- x",
        "-",
        "?",
        "? x",
        "@x",
        "`x",
        "*x",
        "&x",
        "!x",
        "%x",
        "{x",
        "}x",
        "[x",
        "]x",
        "|x",
        ">x",
        "'x",
        "\"x",
        ",x",
        "---",
        "...",
        "--- x",
        "x\ny",
        "x\ny\n",
        "x\n\n",
        "\n",
        " x\ny",
        "a\tb",
        "\tx",
        "x\t",
        "\u{0}",
        "\u{7f}",
        "\u{feff}x",
        "x\u{2028}y",
        "\r\n",
        // Matches the YAML 1.1 float pattern, which allows several dots.
        "1.2.3",
    ];

    /// Strings that are safe to write plain and should stay readable.
    const PLAIN_OK: &[&str] = &[
        "a\\b",
        "it's",
        "say \"hi\"",
        "x,y",
        "x[1]",
        "a b",
        "a=b",
        "x?",
        "x-",
        "x#y",
        "x:y",
        "http://x:80/a",
        "héllo ✓",
        "日本語",
        "Ω",
        "😀",
        "1e",
        "v1",
        "0.5s",
    ];

    fn roundtrip(value: &Value) -> Value {
        let text = to_yaml(value).unwrap();
        let mut docs = parse_stream(&text).unwrap();
        assert_eq!(docs.len(), 1, "{text}");
        docs.remove(0).value
    }

    #[test]
    fn ambiguous_strings_are_quoted_in_values_and_keys() {
        let cases = [
            ("on", r#""on""#),
            ("off", r#""off""#),
            ("yes", r#""yes""#),
            ("no", r#""no""#),
            ("y", r#""y""#),
            ("N", r#""N""#),
            ("True", r#""True""#),
            ("NULL", r#""NULL""#),
            ("~", r#""~""#),
            ("", r#""""#),
            ("2024-01-01", r#""2024-01-01""#),
            ("12:30", r#""12:30""#),
            ("190:20:30", r#""190:20:30""#),
            ("0x1F", r#""0x1F""#),
            ("0o17", r#""0o17""#),
            ("017", r#""017""#),
            ("0b101", r#""0b101""#),
            ("1_000", r#""1_000""#),
            ("1e3", r#""1e3""#),
            (".inf", r#"".inf""#),
            ("-.Inf", r#""-.Inf""#),
            (".NaN", r#"".NaN""#),
            ("+12", r#""+12""#),
            (" x", r#"" x""#),
            ("a: b", r#""a: b""#),
            ("#x", r##""#x""##),
            ("- x", r#""- x""#),
            ("*x", r#""*x""#),
            ("a\tb", r#""a\tb""#),
        ];
        for s in PLAIN_OK {
            let text = to_yaml(&BTreeMap::from([("k", *s)])).unwrap();
            assert_eq!(text, format!("k: {s}\n"));
        }
        for (s, quoted) in cases {
            let value = to_yaml(&BTreeMap::from([("key", s)])).unwrap();
            assert_eq!(value, format!("key: {quoted}\n"), "value {s:?}");
            let key = to_yaml(&BTreeMap::from([(s, 1)])).unwrap();
            assert_eq!(key, format!("{quoted}: 1\n"), "key {s:?}");
        }
        // A lone dash is single-quoted; either quote style is fine.
        assert_eq!(to_yaml(&json!({"k": "-"})).unwrap(), "k: '-'\n");
    }

    #[test]
    fn every_tricky_string_is_written_non_plain() {
        // No tricky string may be written as a bare plain scalar: it must be quoted
        // (single or double) or be a block scalar.
        for s in TRICKY {
            let text = to_yaml(&BTreeMap::from([("k", *s)])).unwrap();
            let written = text.strip_prefix("k: ").unwrap();
            assert!(
                written.starts_with(['"', '\'', '|']),
                "{s:?} was written plain: {text:?}"
            );
            let key_text = to_yaml(&BTreeMap::from([(*s, 1)])).unwrap();
            assert!(key_text.starts_with(['"', '\'']), "key {s:?}: {key_text:?}");
        }
    }

    #[test]
    fn every_tricky_string_round_trips_in_values_keys_and_lists() {
        let all: Vec<&str> = TRICKY.iter().chain(PLAIN_OK).copied().collect();
        let values: BTreeMap<String, &str> = all
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("v{i:03}"), *s))
            .collect();
        let keys: BTreeMap<&str, usize> = all.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let doc = json!({"values": values, "keys": keys, "list": all});
        assert_eq!(roundtrip(&doc), doc);

        // Nested in a list of maps, the layout used by most Istio fields.
        let nested = json!({"spec": {"http": [{"match": [{"headers": keys}]}]}});
        assert_eq!(roundtrip(&nested), nested);
    }

    #[test]
    fn plain_strings_stay_plain_and_long_ones_stay_on_one_line() {
        let long = "word ".repeat(60).trim_end().to_string();
        let doc = json!({"host": "reviews.default.svc.cluster.local", "long": long, "url": "http://x:80/a#b", "ver": "v1"});
        let text = to_yaml(&doc).unwrap();
        assert_eq!(
            text,
            format!(
                "host: reviews.default.svc.cluster.local\nlong: {long}\nurl: http://x:80/a#b\nver: v1\n"
            )
        );
        assert_eq!(roundtrip(&doc), doc);
        let long_quoted = format!("on {}", "z ".repeat(60));
        let text = to_yaml(&json!({ "k": long_quoted })).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
    }

    #[test]
    fn multi_line_strings_use_literal_blocks() {
        let text = to_yaml(&json!({"script": "line one\nline: two\n"})).unwrap();
        assert_eq!(text, "script: |\n  line one\n  line: two\n");
        let text = to_yaml(&json!({"s": "a\nb"})).unwrap();
        assert_eq!(text, "s: |-\n  a\n  b\n");
    }

    #[test]
    fn numbers_booleans_and_collections_keep_their_types() {
        #[derive(Serialize)]
        struct Sample {
            ratio: f64,
            whole: f64,
            port: u32,
            delta: i64,
            on: bool,
            empty_map: BTreeMap<String, String>,
            empty_list: Vec<u32>,
            nested: Vec<Vec<u32>>,
            missing: Option<u32>,
        }
        let text = to_yaml(&Sample {
            ratio: 0.5,
            whole: 10.0,
            port: 9080,
            delta: -3,
            on: true,
            empty_map: BTreeMap::new(),
            empty_list: vec![],
            nested: vec![vec![1, 2], vec![]],
            missing: None,
        })
        .unwrap();
        assert_eq!(
            text,
            "ratio: 0.5\nwhole: 10.0\nport: 9080\ndelta: -3\n\"on\": true\nempty_map: {}\nempty_list: []\nnested:\n- - 1\n  - 2\n- []\nmissing: null\n"
        );
        let back = &parse_stream(&text).unwrap()[0].value;
        assert_eq!(
            *back,
            json!({"ratio": 0.5, "whole": 10.0, "port": 9080, "delta": -3, "on": true,
                   "empty_map": {}, "empty_list": [], "nested": [[1, 2], []], "missing": null})
        );
    }

    #[test]
    fn lists_of_maps_use_kubectl_indentation() {
        let doc =
            json!({"spec": {"http": [{"route": [{"destination": {"host": "a"}, "weight": 100}]}]}});
        assert_eq!(
            to_yaml(&doc).unwrap(),
            "spec:\n  http:\n  - route:\n    - destination:\n        host: a\n      weight: 100\n"
        );
    }

    #[test]
    fn streams_join_documents_and_keep_indices_honest() {
        let docs = [json!({"a": 1}), json!("on"), json!([1])];
        let text = to_yaml_stream(&docs).unwrap();
        assert_eq!(text, "a: 1\n---\n\"on\"\n---\n- 1\n");
        let back: Vec<Value> = parse_stream(&text)
            .unwrap()
            .into_iter()
            .map(|d| d.value)
            .collect();
        assert_eq!(back, docs);
        assert_eq!(to_yaml_stream::<Value>([]).unwrap(), "");
        // Output is deterministic.
        assert_eq!(to_yaml_stream(&docs).unwrap(), text);

        let src =
            "---\n# leading comment only\n---\na: 1\n---\n~\n---\n---\n  - x\n--- \"s\"\n---\n";
        let got: Vec<(usize, Option<usize>, Value)> = parse_stream(src)
            .unwrap()
            .into_iter()
            .map(|d| (d.index, d.line, d.value))
            .collect();
        assert_eq!(
            got,
            [
                (1, Some(4), json!({"a": 1})),
                (4, Some(9), json!(["x"])),
                (5, Some(10), json!("s")),
            ]
        );
        assert!(parse_stream("").unwrap().is_empty());
        assert!(parse_stream("# just a comment\n").unwrap().is_empty());
    }

    #[test]
    fn positions_survive_bom_crlf_tags_and_anchors() {
        let src = "\u{feff}a: 1\r\n---\r\n--- !custom\r\n---\r\nbase: &b {x: 1}\r\nuse:\r\n  <<: *b\r\n  y: 2\r\n";
        let got: Vec<(usize, Option<usize>, Value)> = parse_stream(src)
            .unwrap()
            .into_iter()
            .map(|d| (d.index, d.line, d.value))
            .collect();
        assert_eq!(
            got,
            [
                (0, Some(1), json!({"a": 1})),
                (
                    3,
                    Some(5),
                    json!({"base": {"x": 1}, "use": {"x": 1, "y": 2}})
                ),
            ]
        );
    }

    #[test]
    fn reads_yaml_1_1_spellings_like_kubectl() {
        let doc =
            &parse_stream("a: on\nb: No\nc: 017\nd: 0x1F\ne: 1_000\nf: ~\ng: '017'\n").unwrap()[0];
        assert_eq!(
            doc.value,
            json!({"a": true, "b": false, "c": 15, "d": 31, "e": 1000, "f": null, "g": "017"})
        );
        assert_eq!((doc.index, doc.line), (0, Some(1)));
    }

    #[test]
    fn parse_errors_carry_positions_and_clean_messages() {
        let err = parse_stream("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(matches!(err, YamlError::Parse { .. }));
        assert!(err.line().is_some() && err.column().is_some(), "{err:?}");
        assert!(
            err.to_string().starts_with("invalid yaml at line "),
            "{err}"
        );

        let err = parse_stream("ok: 1\n---\na: 1\na: 2\n").unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(4), Some(1)));
        // The document is named when it is not the first.
        assert_eq!(
            err.to_string(),
            "invalid yaml in document 2 at line 4, column 1: duplicate mapping key: a"
        );

        for bad in [
            "k: .nan\n",
            "x: *nope\n",
            "a: b: c\n",
            "? [1]\n: 2\n",
            "\"unterminated\n",
        ] {
            let err = parse_stream(bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("invalid yaml"), "{bad:?}: {msg}");
            assert!(!msg.contains('\n'), "{bad:?}: {msg}");
        }
    }

    #[test]
    fn write_failures_become_write_errors() {
        struct Broken;
        impl Serialize for Broken {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("broken value"))
            }
        }
        let err = to_yaml(&[Broken]).unwrap_err();
        assert!(matches!(err, YamlError::Write { .. }), "{err:?}");
        assert!(err.to_string().starts_with("cannot write yaml: "), "{err}");
    }
}
