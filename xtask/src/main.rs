//! `cargo xtask generate [--check]`: regenerate `istio-types/src/generated/` from
//! `../shared/istio/crds.yaml` (Istio) and `../shared/istio/gateway-api-crds.yaml` (the
//! Kubernetes Gateway API, into `generated/gateway_api/`), or check that it is up to date.

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate"] => {
            let files = xtask::generate()?;
            xtask::write(&files)?;
            eprintln!(
                "wrote {} files under {}",
                files.len(),
                xtask::generated_dir().display()
            );
            Ok(())
        }
        ["generate", "--check"] => {
            let files = xtask::generate()?;
            let problems = xtask::diff_against_disk(&files);
            if problems.is_empty() {
                eprintln!("generated code is up to date ({} files)", files.len());
                Ok(())
            } else {
                bail!(
                    "generated code is stale; run `cargo xtask generate`:\n{}",
                    problems.join("\n")
                )
            }
        }
        _ => bail!("usage: cargo xtask generate [--check]"),
    }
}
