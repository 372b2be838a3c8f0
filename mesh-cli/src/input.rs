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
    /// An input over mesh's size limits, or larger than the memory available (exit 3).
    TooLarge,
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
    let mut too_large = false;
    let mut walk = Walk::default();
    for arg in args {
        if arg == "-" {
            match read_limited(std::io::stdin().lock(), None) {
                Ok(text) => inputs.push(Input {
                    origin: "-".into(),
                    text,
                }),
                Err(e) => {
                    eprintln!("error: cannot read standard input: {e}");
                    too_large |= matches!(e, ReadError::TooLarge(_));
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
            let text = std::fs::File::open(&file)
                .map_err(ReadError::Io)
                .and_then(|f| {
                    // The size of a regular file, to reserve it at once (a pipe has none).
                    let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                    read_limited(f, size)
                });
            match text {
                Ok(text) => inputs.push(Input {
                    origin: file.display().to_string(),
                    text,
                }),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    too_large |= matches!(e, ReadError::TooLarge(_));
                    unreadable = true;
                }
            }
        }
    }
    if too_large {
        Err(Failure::TooLarge)
    } else if unreadable {
        Err(Failure::Unreadable)
    } else {
        Ok(inputs)
    }
}

/// Why an input could not be read.
enum ReadError {
    /// The operating system's error.
    Io(std::io::Error),
    /// Longer than [`MAX_INPUT_BYTES`], or more than the memory available.
    TooLarge(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => e.fmt(f),
            Self::TooLarge(why) => f.write_str(why),
        }
    }
}

/// Reads a whole input as UTF-8, refusing more than [`MAX_INPUT_BYTES`] (an explicit
/// `-f /dev/zero` would otherwise grow until the allocator aborts) and reserving memory
/// fallibly, so that an input larger than the memory available is an error, not an abort.
fn read_limited(r: impl Read, size: Option<u64>) -> Result<String, ReadError> {
    let too_large = || {
        ReadError::TooLarge(format!(
            "longer than {MAX_INPUT_BYTES} bytes; mesh reads at most 1 GiB per input \
             (split it into several files)"
        ))
    };
    let no_memory = |n: usize| {
        ReadError::TooLarge(format!(
            "not enough memory to hold {n} bytes of input (split it into several files)"
        ))
    };
    let mut buf: Vec<u8> = Vec::new();
    if let Some(size) = size {
        if size > MAX_INPUT_BYTES {
            return Err(too_large());
        }
        let size = usize::try_from(size).map_err(|_| too_large())?;
        buf.try_reserve_exact(size).map_err(|_| no_memory(size))?;
    }
    let mut r = r.take(MAX_INPUT_BYTES + 1);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        buf.try_reserve(n).map_err(|_| no_memory(buf.len() + n))?;
        buf.extend_from_slice(&chunk[..n]);
    }
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    String::from_utf8(buf).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
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
