//! Istio's own naming rules, in one place: how Istio qualifies, parses and compares host
//! names ([`host`]), how `exportTo` decides who sees an object ([`export_to`]), and how a
//! port's protocol is read from its name or `appProtocol` ([`protocol`]).
//!
//! Validation, analysis and simulation all call these functions, so the three agree with
//! each other and with Istio. Each function names the Istio function it follows; where
//! Istio itself has two rules (istiod's runtime and `istioctl analyze`'s analyzers), both
//! are here under distinct names.
//!
//! ```
//! use mesh_dsl::istio::{host, protocol::Protocol};
//!
//! assert_eq!(host::qualify("reviews", "shop"), "reviews.shop.svc.cluster.local");
//! assert!(host::matches("*.example.com", "api.example.com"));
//! assert_eq!(Protocol::from_port_name("http-web"), Some(Protocol::Http));
//! ```

pub mod export_to;
pub mod host;
pub mod protocol;
