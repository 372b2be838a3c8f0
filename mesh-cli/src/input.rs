//! Reading the command's inputs (files, directories, standard input) and how a run ends.

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};

use istio_types::document::{self, SourceDocument, StreamError};

/// How a run ended, and its exit code.
pub(crate) enum Failure {
    /// Invalid input, every problem printed (exit 1).
    Invalid,
    /// Input that could not be read, or output that could not be written (exit 2).
    Unreadable,
}

/// One input: where it came from and its text.
pub(crate) struct Input {
    /// The file's path, or `-` for standard input.
    pub origin: String,
    /// The file's text.
    pub text: String,
}

/// Reads every argument: `-` is standard input, a directory is read recursively in name
/// order (only `.yaml`, `.yml` and `.json` files). Every problem is printed.
pub(crate) fn read_inputs(args: &[String]) -> Result<Vec<Input>, Failure> {
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

/// The YAML and JSON files under `dir`, recursively, in path order.
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
pub(crate) fn parse_all(inputs: &[Input]) -> Result<Vec<(String, Vec<SourceDocument>)>, Failure> {
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
