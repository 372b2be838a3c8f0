//! Writing a command's output.

use std::io::Write as _;

use crate::input::Failure;

/// Writes a command's output; a closed pipe (`mesh analyze ... | head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    write_result(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

/// How writing a command's output ended; a closed pipe is not an error.
pub(crate) fn write_result(written: std::io::Result<()>) -> Result<(), Failure> {
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write output: {e}");
        return Err(Failure::Unreadable);
    }
    Ok(())
}
