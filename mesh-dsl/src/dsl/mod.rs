//! The builders: what a user writes to describe a mesh.
//!
//! [`mesh::Mesh`] collects the declarations; [`service`] (namespaces, services, ports,
//! versions), [`route`] (routes, matches, canaries), [`policy`] (traffic policy),
//! [`gateway`] (ingress, egress, sidecar scope), [`security`] (mTLS, authorization, JWT)
//! and [`telemetry`] describe them as intents. The builders hold no Istio objects and run
//! no checks: [`crate::compile`] lowers them to the typed [`crate::model`] and checks the
//! result. Nothing but `compile` reads the builders' inner fields, and no other subsystem
//! imports this module.
//!
//! Each module is re-exported at the crate root (`mesh_dsl::route`, ...), which is the
//! public path.

pub mod gateway;
pub mod mesh;
pub mod policy;
pub mod route;
pub mod security;
pub mod service;
pub mod telemetry;
