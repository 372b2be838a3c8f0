//! The shop's deploy program: `cargo run -p ecommerce -- render | validate | diff | apply |
//! delete | rollout | stages | install` (see `--help`, and `mesh_dsl::deploy` for the flags and exit
//! codes).

fn main() -> std::process::ExitCode {
    mesh_dsl::deploy::run(ecommerce::mesh)
}
