//! The naming table of the Kubernetes Gateway API: which Go type each schema location
//! is, in the Gateway API's own names (`HTTPRouteRule`, `ParentReference`, ...), Rust
//! casing applied by the generator (`HttpRouteRule`). Locations not listed, and not
//! identical to a listed one, are named `<Parent><Field>`.

/// Schema path (`Kind:field.field` from the kind's `spec`) -> Go type name.
pub const TYPE_NAMES: &[(&str, &str)] = &[];
