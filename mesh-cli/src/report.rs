//! What `mesh validate` and `mesh analyze` share: their common flags, the lenient reading
//! of every input, and the printing of the findings.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal as _, Write};
use std::rc::Rc;

use mesh_dsl::analyze::load_stream;
use mesh_dsl::diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
use mesh_dsl::{Resource, Resources};
use serde_json::json;

use crate::input::{Failure, Input};
use crate::output::write_result;

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
    /// Repaired copies of the invalid ones, for analysis (see [`Read::all`]).
    pub repaired: Vec<Resource>,
    pub diagnostics: Diagnostics,
    pub origins: HashMap<ResourceRef, Rc<str>>,
}

impl Read {
    /// How many objects were read (valid and repaired).
    pub fn count(&self) -> usize {
        self.valid.len() + self.repaired.len()
    }

    /// Every object, the valid ones and the repaired copies, for analysis. Moves them
    /// rather than copying, so only one copy of the objects is ever held.
    pub fn all(&mut self) -> Resources {
        let valid = std::mem::take(&mut self.valid);
        if self.repaired.is_empty() {
            // Already in order.
            return valid;
        }
        let mut all = valid.into_vec();
        all.append(&mut self.repaired);
        Resources::from_vec(all)
    }
}

/// Reads every input leniently: documents that fail strict decoding become IST0106
/// findings, and whatever can be read is kept for analysis. Each input's text is dropped
/// as soon as it is read, so the texts and the objects are not all held at once.
pub(crate) fn read_all(inputs: Vec<Input>) -> Read {
    let mut valid: Vec<Resource> = Vec::new();
    let mut repaired: Vec<Resource> = Vec::new();
    let mut diagnostics = Diagnostics::new();
    let mut origins = HashMap::new();
    for input in inputs {
        let Input { origin, text } = input;
        let loaded = load_stream(&text, &origin);
        drop(text);
        // One shared copy of the file name for all of its objects.
        let origin: Rc<str> = Rc::from(origin);
        match loaded {
            Ok(loaded) => {
                for r in loaded.resources.iter().chain(&loaded.repaired) {
                    origins
                        .entry(r.reference())
                        .or_insert_with(|| Rc::clone(&origin));
                }
                for d in &loaded.diagnostics {
                    if let Some(r) = &d.resource {
                        origins
                            .entry(r.clone())
                            .or_insert_with(|| Rc::clone(&origin));
                    }
                }
                // The first input's objects are taken as they are, not copied.
                if valid.is_empty() {
                    valid = loaded.resources;
                } else {
                    valid.extend(loaded.resources);
                }
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
    Read {
        valid: Resources::from_vec(valid),
        repaired,
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
    out: &mut impl Write,
    diagnostics: &Diagnostics,
    origins: &HashMap<ResourceRef, Rc<str>>,
    checked: usize,
    color: bool,
) -> std::io::Result<()> {
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
    for (r, ds) in &groups {
        match r {
            Some(r) => match origins.get(*r) {
                Some(file) => writeln!(out, "{} ({file})", bold(&r.to_string()))?,
                None => writeln!(out, "{}", bold(&r.to_string()))?,
            },
            None => writeln!(out, "{}", bold("(no resource)"))?,
        }
        for d in ds {
            write!(
                out,
                "  {} {} {}",
                severity_label(d.severity, color),
                d.code,
                d.name
            )?;
            if let Some(p) = &d.path {
                write!(out, " at {p}")?;
            }
            writeln!(out)?;
            writeln!(out, "    {}", d.message)?;
            if let Some(h) = &d.hint {
                writeln!(out, "    hint: {h}")?;
            }
        }
        writeln!(out)?;
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
        writeln!(out, "no problems found in {}", plural(checked, "resource"))?;
    } else {
        writeln!(
            out,
            "{}, {}, {} info ({} checked)",
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning"),
            count(Severity::Info),
            plural(checked, "resource")
        )?;
    }
    Ok(())
}

/// The findings as JSON: an array of objects, written one finding at a time (the same
/// text as `serde_json::to_string_pretty` of the whole array).
pub(crate) fn json(out: &mut impl Write, diagnostics: &Diagnostics) -> std::io::Result<()> {
    if diagnostics.is_empty() {
        return writeln!(out, "[]");
    }
    out.write_all(b"[\n")?;
    for (i, d) in diagnostics.iter().enumerate() {
        let r = d.resource.as_ref();
        let item = json!({
            "code": d.code,
            "severity": d.severity.to_string(),
            "kind": r.map(|r| r.kind.as_str()),
            "namespace": r.and_then(|r| r.namespace.as_deref()),
            "name": r.map(|r| r.name.as_str()),
            "path": d.path,
            "message": d.message,
            "hint": d.hint,
        });
        let text = serde_json::to_string_pretty(&item).map_err(std::io::Error::other)?;
        if i > 0 {
            out.write_all(b",\n")?;
        }
        // An element of a pretty array is the element's own pretty text, indented once
        // (strings never hold a raw line break: JSON escapes it).
        for (j, line) in text.lines().enumerate() {
            if j > 0 {
                out.write_all(b"\n")?;
            }
            write!(out, "  {line}")?;
        }
    }
    out.write_all(b"\n]\n")
}

/// Prints the findings; `Err(Invalid)` when one is at the `--fail-on` severity or worse.
pub(crate) fn report(
    diagnostics: &Diagnostics,
    origins: &HashMap<ResourceRef, Rc<str>>,
    checked: usize,
    args: &ReportArgs,
) -> Result<(), Failure> {
    // Written as it is produced: the whole report is never held in memory.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.output {
        OutputFormat::Json => json(&mut out, diagnostics),
        OutputFormat::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            human(&mut out, diagnostics, origins, checked, color)
        }
    }
    .and_then(|()| out.flush());
    write_result(written)?;
    if diagnostics.has_at_least(args.fail_on.severity()) {
        Err(Failure::Invalid)
    } else {
        Ok(())
    }
}
