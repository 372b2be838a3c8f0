//! Placeholder until the simulate benchmark lands.
fn main() {}
