//! Renders the DSL version of one of Istio's bookinfo sample files:
//!
//! ```sh
//! cargo run -p bookinfo -- virtual-service-reviews-90-10   # YAML on stdout
//! cargo run -p bookinfo                                     # lists the files
//! ```
//!
//! Exit codes: 0 success, 1 the mesh does not compile, 2 no or an unknown file name.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: bookinfo <file>, where <file> is one of:");
    for (file, _) in bookinfo::FILES {
        eprintln!("  {}", file.trim_end_matches(".yaml"));
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let Some(arg) = std::env::args().nth(1) else {
        return usage();
    };
    let stem = arg.trim_end_matches(".yaml");
    let Some((_, build)) = bookinfo::FILES
        .iter()
        .find(|(file, _)| file.trim_end_matches(".yaml") == stem)
    else {
        eprintln!("error: no bookinfo file is named {arg:?}");
        return usage();
    };
    match build().compile() {
        Ok(compiled) => match mesh_dsl::render::to_yaml(&compiled.resources) {
            Ok(yaml) if !compiled.warnings.is_empty() => {
                eprintln!("{}", compiled.warnings);
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
