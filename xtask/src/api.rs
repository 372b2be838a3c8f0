//! The two APIs the generator reads: Istio's CRDs and the Kubernetes Gateway API's.
//! Each has its own naming table, output directory and module root; the generated code
//! of both shares the hand-written runtime of `istio-types` (strict decoding, `Duration`,
//! the CEL helpers).

/// What differs between the generated APIs.
#[derive(Debug)]
pub struct Api {
    /// The input file under the shared `istio` directory.
    pub input: &'static str,
    /// Output directory under `istio-types/src/generated/` (`""` for the root).
    pub dir: &'static str,
    /// The Rust module of that directory (`crate`, `crate::gateway_api`).
    pub root: &'static str,
    /// Whether kinds sit in one module per API group (`crate::networking::v1`) or
    /// straight under the root by version (`crate::gateway_api::v1`).
    pub group_modules: bool,
    /// The project named in docs (`Istio`, `Gateway API`).
    pub project: &'static str,
    /// The enum of every kind.
    pub resource_enum: &'static str,
    /// The macro that declares one kind.
    pub kind_macro: &'static str,
    /// The macro that declares the enum of every kind.
    pub enum_macro: &'static str,
    /// Where the reference documentation lives; pages are appended.
    pub docs_root: &'static str,
    /// Schema path -> message name (see `names.rs`).
    pub type_names: &'static [(&'static str, &'static str)],
    /// One-of groups (see `names.rs`).
    pub one_ofs: &'static [(
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static str,
        &'static str,
    )],
    /// String fields that are durations although no rule says so.
    pub extra_durations: &'static [&'static str],
    /// (message, wire, Rust field name) where the default Rust name collides.
    pub field_renames: &'static [(&'static str, &'static str, &'static str)],
    /// Kind -> documentation page.
    pub doc_pages: &'static [(&'static str, &'static str)],
    /// Kinds whose older served versions have a different schema from the emitted one:
    /// they are read with the emitted version's schema (the CRD's conversion is the
    /// identity for the fields both have).
    pub versions_may_differ: &'static [&'static str],
    /// Kinds (of the file) left out, with the reason.
    pub skipped_kinds: &'static [(&'static str, &'static str)],
}

/// Istio's own CRDs.
pub static ISTIO: Api = Api {
    input: "crds.yaml",
    dir: "",
    root: "crate",
    group_modules: true,
    project: "Istio",
    resource_enum: "IstioResource",
    kind_macro: "istio_kind",
    enum_macro: "istio_resource_enum",
    docs_root: "https://istio.io/latest/docs/reference/config/",
    type_names: crate::names::TYPE_NAMES,
    one_ofs: crate::names::ONE_OFS,
    extra_durations: crate::names::EXTRA_DURATIONS,
    field_renames: crate::names::FIELD_RENAMES,
    doc_pages: crate::names::DOC_PAGES,
    versions_may_differ: &[],
    skipped_kinds: &[],
};

/// The Kubernetes Gateway API (experimental channel, a superset of standard).
pub static GATEWAY_API: Api = Api {
    input: "gateway-api-crds.yaml",
    dir: "gateway_api/",
    root: "crate::gateway_api",
    group_modules: false,
    project: "Gateway API",
    resource_enum: "GatewayApiResource",
    kind_macro: "gateway_api_kind",
    enum_macro: "gateway_api_resource_enum",
    docs_root: "https://gateway-api.sigs.k8s.io/reference/spec/",
    type_names: crate::names_gateway::TYPE_NAMES,
    one_ofs: &[],
    extra_durations: &[],
    field_renames: &[],
    doc_pages: &[],
    versions_may_differ: &["TCPRoute", "TLSRoute", "UDPRoute"],
    skipped_kinds: &[],
};
