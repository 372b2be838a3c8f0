//! `cargo run --release -p scale -- --services N [--out FILE] [--stream]`: writes the
//! scale workload's YAML stream. By default the text is rendered while the mesh is
//! checked (fastest); `--stream` writes it a document at a time after the checks (least
//! memory).

use std::io::{BufWriter, Write};

use anyhow::{Context as _, Result, bail};

fn main() -> Result<()> {
    let mut services = 100usize;
    let mut out: Option<String> = None;
    let mut stream = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--services" => {
                services = args
                    .next()
                    .context("--services needs a number")?
                    .parse()
                    .context("--services needs a whole number")?;
            }
            "--out" => out = Some(args.next().context("--out needs a file name")?),
            "--stream" => stream = true,
            "-h" | "--help" => {
                println!("usage: scale --services N [--out FILE] [--stream]");
                return Ok(());
            }
            other => bail!(
                "unknown argument {other:?}; usage: scale --services N [--out FILE] [--stream]"
            ),
        }
    }
    let mesh = scale::mesh(services);
    let options = mesh_dsl::CompileOptions::default();
    let (compiled, yaml) = if stream {
        (mesh.compile_with(&options), None)
    } else {
        // Rendering overlaps validation and analysis; the text is returned once they pass.
        match mesh.compile_to_yaml(&options) {
            Ok((c, yaml)) => (Ok(c), Some(yaml)),
            Err(e) => (Err(e), None),
        }
    };
    drop(mesh);
    let compiled = compiled.map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in &compiled.warnings {
        eprintln!("{w}");
    }
    let mut sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {path}"))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let written = match yaml {
        Some(yaml) => sink.write_all(yaml.as_bytes()).and_then(|()| sink.flush()),
        // With --stream, documents go out one at a time after the checks: the text of a
        // 5,000-service mesh is never held whole in memory.
        None => mesh_dsl::render::write_yaml(&compiled.resources, &mut sink)
            .map_err(std::io::Error::other),
    };
    written.with_context(|| format!("writing {}", out.as_deref().unwrap_or("stdout")))?;
    Ok(())
}
