//! `cargo run --release -p scale -- --services N [--out FILE]`: writes the scale
//! workload's YAML stream.

use std::io::BufWriter;

use anyhow::{Context as _, Result, bail};

fn main() -> Result<()> {
    let mut services = 100usize;
    let mut out: Option<String> = None;
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
            "-h" | "--help" => {
                println!("usage: scale --services N [--out FILE]");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}; usage: scale --services N [--out FILE]"),
        }
    }
    let compiled = scale::mesh(services)
        .compile()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in &compiled.warnings {
        eprintln!("{w}");
    }
    // Documents go out one at a time: the text of a 5,000-service mesh is never held
    // whole in memory.
    match out {
        Some(path) => {
            let file = std::fs::File::create(&path).with_context(|| format!("creating {path}"))?;
            mesh_dsl::render::write_yaml(&compiled.resources, BufWriter::new(file))
                .with_context(|| format!("writing {path}"))?;
        }
        None => mesh_dsl::render::write_yaml(
            &compiled.resources,
            BufWriter::new(std::io::stdout().lock()),
        )?,
    }
    Ok(())
}
