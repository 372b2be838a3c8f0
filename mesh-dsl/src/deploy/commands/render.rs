//! The offline commands that print the mesh: `stages`, `install` and `render`.

use crate::render::RenderError;
use crate::{CompileOptions, Compiled, Mesh};

use super::{compile, report};
use crate::deploy::args::{Format, InstallFormat, RenderArgs};
use crate::deploy::exit;
use crate::deploy::output::print_or_fail;

/// `stages`: lists the canary stages.
pub(in crate::deploy) fn stages(mesh: &Mesh) -> u8 {
    for (i, s) in mesh.stage_descriptions().iter().enumerate() {
        println!("{i}: {s}");
    }
    exit::OK
}

/// `install`: prints the Istio installation fragment of stage 0.
pub(in crate::deploy) fn install(mesh: &Mesh, format: InstallFormat) -> u8 {
    let compiled = match compile(mesh, 0) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let value = match format {
        InstallFormat::Operator => compiled.install.istio_operator(),
        InstallFormat::Helm => compiled.install.helm_values(),
    };
    print_or_fail(istio_types::yaml::to_yaml(&value).map_err(|e| e.to_string()))
}

/// `render`: compiles a stage and prints it (or writes a directory).
pub(in crate::deploy) fn render(mesh: &Mesh, args: RenderArgs) -> u8 {
    let RenderArgs {
        stage,
        output,
        out_dir,
    } = args;
    let (compiled, yaml) = match compile_for_render(mesh, stage, out_dir.is_none(), output) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rendered = match (yaml, out_dir, output) {
        (Some(yaml), ..) => Ok(yaml),
        (None, Some(dir), _) => crate::render::write_dir(&compiled.resources, &dir).map(|files| {
            eprintln!("wrote {} files under {}", files.len(), dir.display());
            String::new()
        }),
        (None, None, Format::Yaml) => crate::render::to_yaml(&compiled.resources),
        (None, None, Format::Json) => crate::render::to_json(&compiled.resources),
    };
    match rendered {
        Ok(text) => print_or_fail(Ok(text)),
        Err(e @ RenderError::Io { .. }) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_MESH
        }
    }
}

/// Compiles the stage; for a YAML stream on standard output, the stream is rendered
/// while the mesh is checked (on large meshes) and returned too.
fn compile_for_render(
    mesh: &Mesh,
    stage: usize,
    to_stdout: bool,
    output: Format,
) -> Result<(Compiled, Option<String>), u8> {
    if to_stdout && matches!(output, Format::Yaml) {
        report(mesh.compile_to_yaml(&CompileOptions::default().stage(stage)))
            .map(|(c, yaml)| (c, Some(yaml)))
    } else {
        compile(mesh, stage).map(|c| (c, None))
    }
}
