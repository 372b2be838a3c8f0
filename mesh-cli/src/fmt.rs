//! `mesh fmt`: print every document back as canonical YAML, or check that files already are.

use istio_types::document;

use crate::input::{Failure, parse_all, read_inputs};
use crate::output::write_stdout;

/// Prints every document back as canonical YAML, or with `check` only reports the files
/// that are not in canonical form.
pub(crate) fn run(args: &[String], check: bool, to_version: Option<&str>) -> Result<(), Failure> {
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

fn render<'a>(
    docs: impl IntoIterator<Item = &'a document::SourceDocument>,
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
