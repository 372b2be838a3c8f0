//! Reading the command's inputs (files, directories, standard input) and how a run ends.

use std::collections::HashSet;
use std::fs::Metadata;
use std::io::{IsTerminal as _, Read};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
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

/// The most a single input may hold: the YAML reader's own limit, checked before the
/// text is read so that a huge file or an endless device is an error, not an abort.
pub(crate) const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Reads every argument: `-` is standard input, a directory is read recursively in name
/// order (only `.yaml`, `.yml` and `.json` files). Every problem is printed.
///
/// Each file is read once, however many paths lead to it (symbolic links, a directory
/// named twice, a file named on its own and inside a directory); a directory reached
/// again through a symbolic link (a loop) is skipped with a warning. Inside directories,
/// only regular files are opened: FIFOs, sockets and devices are skipped with a warning
/// (a FIFO would block forever). A path named on the command line is read whatever it
/// is, so `-f <(kustomize build)` works.
pub(crate) fn read_inputs(args: &[String]) -> Result<Vec<Input>, Failure> {
    let mut inputs = Vec::new();
    let mut unreadable = false;
    let mut walk = Walk::default();
    for arg in args {
        if arg == "-" {
            match read_limited(std::io::stdin().lock()) {
                Ok(text) => inputs.push(Input {
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
            let before = walk.files.len();
            walk.dir(path);
            if walk.files.len() == before && !walk.unreadable {
                eprintln!("warning: {arg} holds no .yaml, .yml or .json file");
            }
            std::mem::take(&mut walk.files)
        } else {
            match std::fs::metadata(path) {
                // A regular file already read (through another path) is not read again.
                Ok(m) if m.is_file() && !walk.first_visit_of_file(&m) => Vec::new(),
                _ => vec![path.to_path_buf()],
            }
        };
        unreadable |= std::mem::take(&mut walk.unreadable);
        for file in files {
            let text = std::fs::File::open(&file).and_then(read_limited);
            match text {
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

/// Reads a whole input as UTF-8, refusing more than [`MAX_INPUT_BYTES`] (an explicit
/// `-f /dev/zero` would otherwise grow until the allocator aborts).
fn read_limited(r: impl Read) -> std::io::Result<String> {
    let mut text = String::new();
    let n = r.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text)?;
    if n as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "more than {MAX_INPUT_BYTES} bytes; mesh reads at most 1 GiB per input \
             (split it into several files)"
        )));
    }
    Ok(text)
}

/// A file system object's identity: the same for every path (or link) leading to it.
type Identity = (u64, u64);

fn identity(m: &Metadata) -> Identity {
    (m.dev(), m.ino())
}

/// The walk over the directories named on the command line.
#[derive(Default)]
struct Walk {
    /// Directories already listed.
    dirs: HashSet<Identity>,
    /// Regular files already taken.
    seen_files: HashSet<Identity>,
    /// Files found by the current [`Walk::dir`], in order.
    files: Vec<PathBuf>,
    /// Whether something could not be listed (already printed).
    unreadable: bool,
}

impl Walk {
    fn first_visit_of_file(&mut self, m: &Metadata) -> bool {
        self.seen_files.insert(identity(m))
    }

    /// Adds the YAML and JSON files under `dir`, recursively, in name order.
    fn dir(&mut self, dir: &Path) {
        // Directories are identified after following links, so a link back to an
        // ancestor (or to a directory already read) ends the descent.
        let meta = match std::fs::metadata(dir) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: cannot list {}: {e}", dir.display());
                self.unreadable = true;
                return;
            }
        };
        if !self.dirs.insert(identity(&meta)) {
            let link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
            if link {
                eprintln!(
                    "warning: skipping {}: a symbolic link to a directory already read (a loop?)",
                    dir.display()
                );
            }
            return;
        }
        let listed = std::fs::read_dir(dir).and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        });
        let mut entries = match listed {
            Ok(entries) => entries,
            Err(e) => {
                eprintln!("error: cannot list {}: {e}", dir.display());
                self.unreadable = true;
                return;
            }
        };
        entries.sort();
        for p in entries {
            // `metadata` follows links; a dangling link has none.
            let meta = match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    if has_yaml_extension(&p) {
                        eprintln!("error: cannot read {}: {e}", p.display());
                        self.unreadable = true;
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                self.dir(&p);
            } else if !has_yaml_extension(&p) {
                // Not ours (README, scripts...).
            } else if meta.is_file() {
                if self.first_visit_of_file(&meta) {
                    self.files.push(p);
                }
            } else {
                eprintln!(
                    "warning: skipping {}: not a regular file ({})",
                    p.display(),
                    describe(&meta)
                );
            }
        }
    }
}

fn has_yaml_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
}

/// What a file that is neither a regular file nor a directory is.
fn describe(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a file"
    }
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
