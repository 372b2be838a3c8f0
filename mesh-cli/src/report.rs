//! What `mesh validate` and `mesh analyze` share: their common flags, the lenient reading
//! of every input, and the printing of the findings.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal as _;

use mesh_dsl::analyze::load_stream;
use mesh_dsl::diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
use mesh_dsl::{Resource, Resources};
use serde_json::json;

use crate::input::{Failure, Input};
use crate::output::write_stdout;

/// How findings are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// Grouped by resource, coloured on a terminal.
    #[default]
    Human,
    /// A JSON array of `{code, severity, kind, namespace, name, path, message, hint}`.
    Json,
}

/// The lowest severity that makes the command fail (exit 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    /// Fail on errors only.
    #[default]
    Error,
    /// Fail on warnings and errors.
    Warning,
    /// Fail on any finding.
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            Self::Error => Severity::Error,
            Self::Warning => Severity::Warning,
            Self::Info => Severity::Info,
        }
    }
}

/// Options both `validate` and `analyze` take.
#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// Files or directories to read (`.yaml`, `.yml`, `.json`; directories recursively, in
    /// name order), or `-` for standard input.
    #[arg(short = 'f', long = "filename", num_args = 1..)]
    pub files: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Exit 1 on findings of this severity or worse (default: errors only).
    #[arg(long = "fail-on", value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

/// What was read: the objects, the problems found while reading, and each object's file.
pub(crate) struct Read {
    /// Objects that decoded strictly.
    pub valid: Resources,
    /// Those plus repaired copies of the invalid ones, for analysis.
    pub all: Resources,
    pub diagnostics: Diagnostics,
    pub origins: HashMap<ResourceRef, String>,
}

/// Reads every input leniently: documents that fail strict decoding become IST0106
/// findings, and whatever can be read is kept for analysis.
pub(crate) fn read_all(inputs: &[Input]) -> Read {
    let mut valid: Vec<Resource> = Vec::new();
    let mut repaired: Vec<Resource> = Vec::new();
    let mut diagnostics = Diagnostics::new();
    let mut origins = HashMap::new();
    for input in inputs {
        match load_stream(&input.text, &input.origin) {
            Ok(loaded) => {
                for r in loaded.resources.iter().chain(&loaded.repaired) {
                    origins
                        .entry(r.reference())
                        .or_insert_with(|| input.origin.clone());
                }
                for d in &loaded.diagnostics {
                    if let Some(r) = &d.resource {
                        origins
                            .entry(r.clone())
                            .or_insert_with(|| input.origin.clone());
                    }
                }
                valid.extend(loaded.resources);
                repaired.extend(loaded.repaired);
                diagnostics.extend(loaded.diagnostics);
            }
            Err(e) => diagnostics.push(Diagnostic::error(
                "IST0106",
                "SchemaValidationError",
                format!("not YAML: {e}"),
            )),
        }
    }
    let all = Resources::from_vec(valid.iter().cloned().chain(repaired).collect());
    Read {
        valid: Resources::from_vec(valid),
        all,
        diagnostics,
        origins,
    }
}

fn severity_label(s: Severity, color: bool) -> String {
    let (text, code) = match s {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    };
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The findings as printed for people: grouped by resource, one block per finding.
pub(crate) fn human(
    diagnostics: &Diagnostics,
    origins: &HashMap<ResourceRef, String>,
    checked: usize,
    color: bool,
) -> String {
    let mut groups: BTreeMap<Option<&ResourceRef>, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        groups.entry(d.resource.as_ref()).or_default().push(d);
    }
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for (r, ds) in &groups {
        let header = match r {
            Some(r) => match origins.get(*r) {
                Some(file) => format!("{} ({file})", bold(&r.to_string())),
                None => bold(&r.to_string()),
            },
            None => bold("(no resource)"),
        };
        out.push_str(&header);
        out.push('\n');
        for d in ds {
            out.push_str(&format!(
                "  {} {} {}",
                severity_label(d.severity, color),
                d.code,
                d.name
            ));
            if let Some(p) = &d.path {
                out.push_str(&format!(" at {p}"));
            }
            out.push('\n');
            out.push_str(&format!("    {}\n", d.message));
            if let Some(h) = &d.hint {
                out.push_str(&format!("    hint: {h}\n"));
            }
        }
        out.push('\n');
    }
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if diagnostics.is_empty() {
        out.push_str(&format!(
            "no problems found in {}\n",
            plural(checked, "resource")
        ));
    } else {
        out.push_str(&format!(
            "{}, {}, {} info ({} checked)\n",
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning"),
            count(Severity::Info),
            plural(checked, "resource")
        ));
    }
    out
}

/// The findings as JSON: an array of objects.
pub(crate) fn json(diagnostics: &Diagnostics) -> String {
    let items: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let r = d.resource.as_ref();
            json!({
                "code": d.code,
                "severity": d.severity.to_string(),
                "kind": r.map(|r| r.kind.as_str()),
                "namespace": r.and_then(|r| r.namespace.as_deref()),
                "name": r.map(|r| r.name.as_str()),
                "path": d.path,
                "message": d.message,
                "hint": d.hint,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// Prints the findings; `Err(Invalid)` when one is at the `--fail-on` severity or worse.
pub(crate) fn report(
    diagnostics: &Diagnostics,
    origins: &HashMap<ResourceRef, String>,
    checked: usize,
    args: &ReportArgs,
) -> Result<(), Failure> {
    let text = match args.output {
        OutputFormat::Json => json(diagnostics),
        OutputFormat::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            human(diagnostics, origins, checked, color)
        }
    };
    write_stdout(&text)?;
    if diagnostics.has_at_least(args.fail_on.severity()) {
        Err(Failure::Invalid)
    } else {
        Ok(())
    }
}
