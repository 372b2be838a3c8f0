//! CORS policies of routes.

use istio_types::Duration;
use istio_types::networking::v1::{CorsPolicy, StringMatch};

/// A CORS policy.
///
/// ```
/// use istio_types::Duration;
/// use mesh_dsl::{Cors, exact};
/// let cors = Cors::new()
///     .allow_origin(exact("https://shop.example.com"))
///     .allow_methods(["GET", "POST"])
///     .allow_headers(["authorization"])
///     .max_age(Duration::from_hours(24));
/// # let _ = cors;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct Cors {
    pub(super) inner: CorsPolicy,
}

impl Cors {
    /// A policy that allows nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows origins matching `m`.
    pub fn allow_origin(mut self, m: StringMatch) -> Self {
        self.inner.allow_origins.push(m);
        self
    }

    /// Allows these methods.
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner
            .allow_methods
            .extend(methods.into_iter().map(Into::into));
        self
    }

    /// Allows these request headers.
    pub fn allow_headers(mut self, headers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner
            .allow_headers
            .extend(headers.into_iter().map(Into::into));
        self
    }

    /// Exposes these response headers.
    pub fn expose_headers(mut self, headers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.inner
            .expose_headers
            .extend(headers.into_iter().map(Into::into));
        self
    }

    /// How long browsers may cache the preflight answer.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.inner.max_age = Some(age);
        self
    }

    /// Allows credentials (cookies, authorization headers).
    pub fn allow_credentials(mut self) -> Self {
        self.inner.allow_credentials = Some(true);
        self
    }
}
