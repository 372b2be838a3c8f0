//! The scale workload's pipeline, stage by stage, for N = 100, 1,000 and 5,000 services:
//! `cargo bench -p scale`.
//!
//! - `build`: describing the mesh with the DSL;
//! - `compile`: `Mesh::compile` (DSL checks, resource generation, validation and
//!   analysis);
//! - `validate_analyze`: per-resource validation plus the cross-resource analyzers over
//!   the compiled resources, the part of `compile` that checks them as Istio would;
//! - `render`: writing the YAML stream;
//! - `pipeline`: all three, what `scale --services N` does (`Mesh::compile_to_yaml`:
//!   rendering overlaps validation and analysis on a second core);
//! - `pipeline_sequential`: `compile()`, then `render::to_yaml`;
//! - `floor`: serde alone (serde-saphyr, with the project's writer settings) serializing
//!   the same final resources into one buffer, document after document: the cost of
//!   producing the bytes at all.

use mesh_dsl::Resources;

fn main() {
    divan::main();
}

const SIZES: [usize; 3] = [100, 1_000, 5_000];

fn compiled(n: usize) -> Resources {
    scale::mesh(n)
        .compile()
        .expect("the workload compiles")
        .resources
}

#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn build(n: usize) -> mesh_dsl::Mesh {
    scale::mesh(n)
}

#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn compile(bencher: divan::Bencher, n: usize) {
    let mesh = scale::mesh(n);
    bencher.bench_local(|| mesh.compile().expect("compiles"));
}

#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn validate_analyze(bencher: divan::Bencher, n: usize) {
    let resources = compiled(n);
    let options = mesh_dsl::analyze::AnalyzeOptions::default();
    bencher.bench_local(|| {
        let mut found = mesh_dsl::validate::validate(&resources);
        found.extend(mesh_dsl::analyze::analyze(&resources, &options));
        found
    });
}

#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn render(bencher: divan::Bencher, n: usize) {
    let resources = compiled(n);
    bencher.bench_local(|| mesh_dsl::render::to_yaml(&resources).expect("renders"));
}

#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn pipeline(n: usize) -> String {
    let (_compiled, yaml) = scale::mesh(n)
        .compile_to_yaml(&mesh_dsl::CompileOptions::default())
        .expect("compiles");
    yaml
}

/// The pipeline without the overlap: `compile()`, then rendering.
#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn pipeline_sequential(n: usize) -> String {
    let resources = compiled(n);
    mesh_dsl::render::to_yaml(&resources).expect("renders")
}

#[divan::bench(args = SIZES, sample_count = 10, sample_size = 1)]
fn floor(bencher: divan::Bencher, n: usize) {
    let resources = compiled(n);
    bencher.bench_local(|| {
        let mut out = String::new();
        for r in &resources {
            istio_types::yaml::append_yaml(&mut out, r).expect("serializes");
            out.push_str("---\n");
        }
        out
    });
}
