//! Writing a command's output.

use std::io::Write as _;

use crate::input::Failure;

/// Writes a command's output; a closed pipe (`mesh analyze ... | head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<(), Failure> {
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
