//! `cargo run --release -p scale -- --services N [--out FILE]`: writes the scale
//! workload's YAML stream.

use std::io::Write as _;

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
    let yaml = mesh_dsl::render::to_yaml(&compiled.resources)?;
    match out {
        Some(path) => std::fs::write(&path, yaml).with_context(|| format!("writing {path}"))?,
        None => std::io::stdout().lock().write_all(yaml.as_bytes())?,
    }
    Ok(())
}
