//! Typed Rust resources for every Istio CRD kind.
//!
//! The types under [`networking`], [`security`], [`telemetry`], [`extensions`] and
//! [`common`] are generated from the CRD schemas Istio installs (see `xtask/`), one Rust
//! type per proto message, with the same names Istio's reference documentation uses
//! (`HTTPRoute` is [`networking::v1::HttpRoute`]). Everything else here is written by hand:
//!
//! - [`de`]: strict decoding. Unknown fields, wrong types, bad enum values and conflicting
//!   one-of choices are errors naming the field path, and every problem in a document is
//!   reported in one pass.
//! - [`Duration`]: Istio's duration strings (`5s`, `1.5s`, `100ms`, `1h`).
//! - [`yaml`]: the one place YAML is read and written.
//! - [`document`]: multi-document YAML streams of Istio and other resources.
//! - [`validate`]: the CRDs' value constraints and CEL rules, checked on typed values.
//!
//! ```
//! use istio_types::networking::v1::{
//!     Destination, HttpRoute, HttpRouteDestination, VirtualService, VirtualServiceSpec,
//! };
//!
//! let vs = VirtualService::new("shop", "reviews", VirtualServiceSpec {
//!     hosts: vec!["reviews".into()],
//!     http: vec![HttpRoute {
//!         route: vec![HttpRouteDestination {
//!             destination: Destination { host: "reviews".into(), subset: Some("v2".into()), ..Default::default() },
//!             ..Default::default()
//!         }],
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! });
//! let yaml = istio_types::yaml::to_yaml(&vs).unwrap();
//! assert!(yaml.contains("subset: v2"));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod de;
pub mod document;
pub mod duration;
/// The Kubernetes Gateway API's kinds (`gateway.networking.k8s.io` and the experimental
/// `gateway.networking.x-k8s.io`), generated from its CRDs like the Istio kinds:
/// `gateway_api::v1::HttpRoute` is the `HTTPRoute` kind. [`GatewayApiResource`] is any
/// of them; `validate` holds their CEL rules and the places they sit.
#[path = "generated/gateway_api/mod.rs"]
pub mod gateway_api;
mod generated;
mod kind;
mod macros;
mod status;
pub mod validate;
pub mod yaml;

pub use duration::Duration;
pub use gateway_api::GatewayApiResource;
pub use generated::{IstioResource, common, extensions, networking, security, telemetry};
pub use kind::{GATEWAY_API_GROUPS, ISTIO_GROUPS, IstioKind, KindMatch, decode_metadata};
pub(crate) use macros::{
    gateway_api_kind, gateway_api_resource_enum, istio_kind, istio_resource_enum, one_of_enum,
    string_enum,
};
pub use status::{
    AnalysisMessageType, IntOrString, IstioCondition, IstioStatus, ValidationLevel,
    ValidationMessage,
};

/// The Kubernetes object metadata type every resource carries.
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
