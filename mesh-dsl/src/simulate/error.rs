//! [`SimulateError`]: why a request could not be simulated.

/// Why a request could not be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulateError {
    /// The request itself is malformed.
    #[error("invalid request: {field}: {reason}")]
    InvalidRequest {
        /// The request field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The request enters through a Gateway the resources do not define.
    #[error("gateway {gateway} is not defined (known: {})", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownGateway {
        /// The gateway, as `namespace/name`.
        gateway: String,
        /// The gateways that are defined.
        known: Vec<String>,
    },
}
