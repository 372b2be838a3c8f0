//! `mesh`: the mesh-dsl command-line tool.
//!
//! ```text
//! mesh fmt -f FILE|DIR|-... [--to-version V]
//!                             print every document back as canonical YAML
//! mesh simulate -f FILE|DIR --host H [--path P] [-H name:value]... [--gateway NS/NAME] [-o json]
//!                             decide offline where a request goes, and why
//! mesh validate -f FILE|DIR|-... [-o json] [--fail-on warning]
//!                             check every document on its own, all problems in one run
//! mesh analyze -f FILE|DIR|-... [-o json] [--fail-on warning] [--mesh-config FILE]
//!                             Istio's cross-resource analysis (istioctl analyze), offline
//! ```
//!
//! Exit codes: 0 success, 1 invalid input (every problem is printed), 2 input that could
//! not be read.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use istio_types::document::{self, SourceDocument, StreamError};

mod analyze;
mod simulate;
mod validate;

#[derive(Parser, Debug)]
#[command(
    name = "mesh",
    version,
    about = "Work with Istio configuration as typed data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse every document and print it back as canonical YAML: one stream, stable key
    /// order, each resource at the apiVersion it was read with (see `--to-version`).
    /// Nothing is printed unless every document is valid.
    Fmt {
        /// Files or directories to read (`.yaml`, `.yml`, `.json`; directories recursively,
        /// in name order), or `-` for standard input.
        #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
        files: Vec<String>,
        /// Do not print; exit 1 if any file is not already in canonical form.
        #[arg(long)]
        check: bool,
        /// Write every Istio resource at this served version (e.g. `v1`) instead of the
        /// `apiVersion` it was read with.
        #[arg(long, value_name = "VERSION")]
        to_version: Option<String>,
    },
    /// Decide offline where a request goes (VirtualService, route, destinations with
    /// shares and DestinationRule policies, faults, retries...) and print why. Exit 0 when
    /// decided, 1 for invalid input, 2 for unreadable files.
    Simulate(Box<simulate::SimulateArgs>),
    /// Check every document on its own (schema, field values) and report every problem
    /// with Istio's message codes. Exit 0 clean, 1 problems found (errors, or what
    /// `--fail-on` names), 2 input that could not be read.
    Validate(analyze::ReportArgs),
    /// Analyze the documents together as `istioctl analyze` does, offline: dangling
    /// references, conflicts, ineffective configuration, with Istio's message codes.
    /// Exit 0 clean, 1 problems found, 2 input that could not be read.
    Analyze(analyze::AnalyzeArgs),
}

/// How a run ended, and its exit code.
enum Failure {
    Invalid,
    Unreadable,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fmt {
            files,
            check,
            to_version,
        } => fmt(&files, check, to_version.as_deref()),
        Command::Simulate(args) => simulate::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Analyze(args) => analyze::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid) => ExitCode::from(1),
        Err(Failure::Unreadable) => ExitCode::from(2),
    }
}

/// One input: where it came from and its text.
struct Input {
    origin: String,
    text: String,
}

fn read_inputs(args: &[String]) -> Result<Vec<Input>, Failure> {
    let mut inputs = Vec::new();
    let mut unreadable = false;
    for arg in args {
        if arg == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => inputs.push(Input {
                    origin: "-".into(),
                    text,
                }),
                Err(e) => {
                    eprintln!("error: cannot read standard input: {e}");
                    unreadable = true;
                }
            }
            continue;
        }
        let path = Path::new(arg);
        let files = if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = collect_yaml(path, &mut found) {
                eprintln!("error: cannot list {arg}: {e}");
                unreadable = true;
            }
            if found.is_empty() {
                eprintln!("warning: {arg} holds no .yaml, .yml or .json file");
            }
            found
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => inputs.push(Input {
                    origin: file.display().to_string(),
                    text,
                }),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    unreadable = true;
                }
            }
        }
    }
    if unreadable {
        Err(Failure::Unreadable)
    } else {
        Ok(inputs)
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_yaml(&p, out)?;
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Parses every input; prints every problem; `Err` if any input was invalid.
fn parse_all(inputs: &[Input]) -> Result<Vec<(String, Vec<SourceDocument>)>, Failure> {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = Vec::new();
    let mut problems = 0usize;
    for input in inputs {
        match document::parse_stream(&input.text, &input.origin) {
            Ok(docs) => out.push((input.origin.clone(), docs)),
            Err(StreamError::Invalid(errs)) => {
                for e in errs {
                    problems += e.errors.len();
                    if color {
                        eprintln!("\x1b[31merror\x1b[0m: {e}");
                    } else {
                        eprintln!("error: {e}");
                    }
                }
            }
            Err(e) => {
                problems += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if problems > 0 {
        eprintln!(
            "{problems} problem{} found; nothing was written",
            if problems == 1 { "" } else { "s" }
        );
        return Err(Failure::Invalid);
    }
    Ok(out)
}

fn fmt(args: &[String], check: bool, to_version: Option<&str>) -> Result<(), Failure> {
    let inputs = read_inputs(args)?;
    let parsed = parse_all(&inputs)?;
    if check {
        let mut unformatted = 0;
        for ((origin, docs), input) in parsed.iter().zip(&inputs) {
            let canonical = render(docs, to_version)?;
            if canonical != input.text {
                eprintln!("{origin}: not in canonical form (run `mesh fmt -f {origin}`)");
                unformatted += 1;
            }
        }
        return if unformatted == 0 {
            Ok(())
        } else {
            Err(Failure::Invalid)
        };
    }
    let all = parsed.iter().flat_map(|(_, docs)| docs);
    let text = render(all, to_version)?;
    write_stdout(&text)
}

/// Writes a command's output; a closed pipe (`mesh analyze ... | head`) is not an error.
fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write output: {e}");
        return Err(Failure::Unreadable);
    }
    Ok(())
}

fn render<'a>(
    docs: impl IntoIterator<Item = &'a SourceDocument>,
    to_version: Option<&str>,
) -> Result<String, Failure> {
    document::write_stream(docs, to_version).map_err(|e| {
        match e {
            document::WriteError::Yaml(e) => eprintln!("error: cannot render YAML: {e}"),
            e => eprintln!("error: {e}"),
        }
        Failure::Invalid
    })
}
