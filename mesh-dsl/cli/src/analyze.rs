//! `mesh analyze`: Istio's cross-resource analysis (`istioctl analyze`, offline) over YAML
//! files, plus the per-resource checks of `mesh validate`. Also the report printing both
//! commands share.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal as _;
use std::path::PathBuf;

use mesh_dsl::analyze::{
    AnalyzeOptions, MeshConfig, MeshNetworks, analyze, analyzers, load_stream,
};
use mesh_dsl::diag::{Diagnostic, Diagnostics, ResourceRef, Severity};
use mesh_dsl::{Resource, Resources};
use serde_json::json;

use crate::{Failure, Input, read_inputs, write_stdout};

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

/// `mesh analyze` options.
#[derive(clap::Args, Debug)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// Istio's mesh configuration (YAML, or the `istio` ConfigMap holding it); Istio's
    /// defaults otherwise.
    #[arg(long = "mesh-config", value_name = "FILE")]
    pub mesh_config: Option<PathBuf>,
    /// Istio's mesh networks (YAML: `networks: {...}`), for multi-network checks.
    #[arg(long = "mesh-networks", value_name = "FILE")]
    pub mesh_networks: Option<PathBuf>,
    /// Run only this analyzer (Istio's name, e.g. `virtualservice.GatewayAnalyzer`);
    /// repeatable. See `--list-analyzers`.
    #[arg(long = "analyzer", value_name = "NAME")]
    pub analyzers: Vec<String>,
    /// The namespace of objects that do not name one.
    #[arg(short = 'n', long = "namespace", default_value = "default")]
    pub namespace: String,
    /// Do not assume Istio's default ingress gateway (Pod and Service in istio-system).
    #[arg(long = "no-default-ingress")]
    pub no_default_ingress: bool,
    /// Print the analyzers, their codes and what they check, then exit.
    #[arg(long = "list-analyzers")]
    pub list_analyzers: bool,
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

pub(crate) fn run(args: &AnalyzeArgs) -> Result<(), Failure> {
    if args.list_analyzers {
        let mut out = String::new();
        for a in analyzers() {
            out.push_str(&format!(
                "{:<55} {:<40} {}\n",
                a.name,
                a.codes.join(","),
                a.description
            ));
        }
        return write_stdout(&out);
    }
    if args.report.files.is_empty() {
        eprintln!("error: no input; pass -f FILE|DIR|- (or --list-analyzers)");
        return Err(Failure::Unreadable);
    }
    for name in &args.analyzers {
        if mesh_dsl::analyze::analyzer(name).is_none() {
            eprintln!("error: unknown analyzer {name:?}; see `mesh analyze --list-analyzers`");
            return Err(Failure::Invalid);
        }
    }
    let mut opts = AnalyzeOptions::default()
        .default_namespace(args.namespace.clone())
        .assume_default_ingress(!args.no_default_ingress);
    if !args.analyzers.is_empty() {
        opts = opts.only(args.analyzers.iter().cloned());
    }
    if let Some(path) = &args.mesh_config {
        let text = read_file(path)?;
        match MeshConfig::from_yaml(&text) {
            Ok(mc) => opts = opts.mesh_config(mc),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return Err(Failure::Invalid);
            }
        }
    }
    if let Some(path) = &args.mesh_networks {
        let text = read_file(path)?;
        match MeshNetworks::from_yaml(&text) {
            Ok(mn) => opts = opts.mesh_networks(mn),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return Err(Failure::Invalid);
            }
        }
    }
    let inputs = read_inputs(&args.report.files)?;
    let read = read_all(&inputs);
    let mut diagnostics = read.diagnostics;
    // Documents that do not fit their schema are schema.ValidationAnalyzer's findings: with
    // named analyzers, only when it is one of them (as in istioctl analyze).
    let schema = mesh_dsl::analyze::analyzer("schema.ValidationAnalyzer");
    if !args.analyzers.is_empty()
        && !args
            .analyzers
            .iter()
            .any(|n| schema.is_some_and(|a| a.is_named(n)))
    {
        diagnostics = diagnostics
            .into_iter()
            .filter(|d| d.resource.is_none())
            .collect();
    }
    if args.analyzers.is_empty() {
        diagnostics.extend(crate::validate::per_resource_checks(&read.valid));
    }
    diagnostics.extend(analyze(&read.all, &opts));
    diagnostics.sort();
    report(&diagnostics, &read.origins, read.all.len(), &args.report)
}

fn read_file(path: &std::path::Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        Failure::Unreadable
    })
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
