//! What every Istio kind has in common: the [`IstioKind`] trait and strict decoding of
//! the object envelope (`apiVersion`, `kind`, `metadata`, `spec`, `status`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::IstioStatus;
use crate::de::{Decoder, FieldErrorKind, FromValue, PathSegment};

/// The API groups Istio's CRDs define.
pub const ISTIO_GROUPS: &[&str] = &[
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
];

/// The API groups of the Kubernetes Gateway API (standard and experimental).
pub const GATEWAY_API_GROUPS: &[&str] =
    &["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"];

/// Facts about one Istio kind, and access to its metadata.
pub trait IstioKind {
    /// API group, e.g. `networking.istio.io`.
    const GROUP: &'static str;
    /// The version written on output, e.g. `v1`.
    const VERSION: &'static str;
    /// `GROUP/VERSION`.
    const API_VERSION: &'static str;
    /// The kind, e.g. `VirtualService`.
    const KIND: &'static str;
    /// The plural resource name used in API paths, e.g. `virtualservices`.
    const PLURAL: &'static str;
    /// Every version the API server serves for this kind; all are accepted on input.
    const SERVED_VERSIONS: &'static [&'static str];

    /// The object's metadata.
    fn metadata(&self) -> &ObjectMeta;
    /// The object's metadata, to change.
    fn metadata_mut(&mut self) -> &mut ObjectMeta;
}

/// What an `(apiVersion, kind)` pair names; see `IstioResource::classify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindMatch {
    /// An Istio kind at a version Istio serves.
    Served,
    /// An Istio kind, at a version Istio does not serve.
    UnservedVersion {
        /// The versions that are served.
        served: &'static [&'static str],
    },
    /// In an Istio API group, but not a kind of it.
    UnknownIstioKind,
    /// Not an Istio kind (a core Kubernetes kind, another project's CRD, ...).
    NotIstio,
}

/// Fields of `metadata` that Kubernetes defines; anything else is a typo.
const OBJECT_META_FIELDS: &[&str] = &[
    "annotations",
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "finalizers",
    "generateName",
    "generation",
    "labels",
    "managedFields",
    "name",
    "namespace",
    "ownerReferences",
    "resourceVersion",
    "selfLink",
    "uid",
];

/// Decodes `metadata` strictly: unknown fields are errors, labels and annotations must be
/// maps of strings.
pub fn decode_metadata(v: &Value, d: &mut Decoder) -> Option<ObjectMeta> {
    let m = d.object(v, OBJECT_META_FIELDS)?;
    let mut ok = d.is_ok();
    for key in ["labels", "annotations"] {
        if let Some(map) = m.get(key).filter(|x| !x.is_null()) {
            ok &= d
                .nested(PathSegment::Field(key.into()), |d| {
                    <std::collections::BTreeMap<String, String>>::from_value(map, d)
                })
                .is_some();
        }
    }
    for key in ["name", "namespace", "generateName"] {
        if let Some(x) = m.get(key).filter(|x| !x.is_null()) {
            ok &= d
                .nested(PathSegment::Field(key.into()), |d| String::from_value(x, d))
                .is_some();
        }
    }
    if !ok {
        return None;
    }
    match serde_json::from_value::<ObjectMeta>(v.clone()) {
        Ok(meta) => Some(meta),
        Err(e) => {
            d.error(FieldErrorKind::Invalid(format!("invalid metadata: {e}")));
            None
        }
    }
}

/// Decodes the envelope of kind `K` with spec type `S`.
pub fn decode_object<K: IstioKind, S: FromValue + Default>(
    v: &Value,
    d: &mut Decoder,
    spec_required: bool,
) -> Option<(ObjectMeta, S, Option<IstioStatus>)> {
    decode_object_with_status::<K, S, IstioStatus>(v, d, spec_required)
}

/// Decodes the envelope of kind `K` with spec type `S` and status type `St`.
pub fn decode_object_with_status<K: IstioKind, S: FromValue + Default, St: FromValue>(
    v: &Value,
    d: &mut Decoder,
    spec_required: bool,
) -> Option<(ObjectMeta, S, Option<St>)> {
    let m = d.object(v, &["apiVersion", "kind", "metadata", "spec", "status"])?;
    let api_version: Option<String> = d.req(m, "apiVersion");
    if let Some(av) = &api_version {
        let served = av
            .split_once('/')
            .is_some_and(|(g, ver)| g == K::GROUP && K::SERVED_VERSIONS.contains(&ver));
        if !served {
            d.nested(PathSegment::Field("apiVersion".into()), |d| {
                d.error(FieldErrorKind::Invalid(format!(
                    "{av:?} is not served for {}; use one of {}",
                    K::KIND,
                    K::SERVED_VERSIONS
                        .iter()
                        .map(|ver| format!("{}/{ver}", K::GROUP))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            });
        }
    }
    let kind: Option<String> = d.req(m, "kind");
    if let Some(k) = &kind
        && k != K::KIND
    {
        d.nested(PathSegment::Field("kind".into()), |d| {
            d.error(FieldErrorKind::Invalid(format!(
                "expected kind {}, found {k:?}",
                K::KIND
            )))
        });
    }
    let metadata = match m.get("metadata") {
        Some(meta) => d.nested(PathSegment::Field("metadata".into()), |d| {
            decode_metadata(meta, d)
        }),
        None => {
            d.error(FieldErrorKind::MissingField("metadata"));
            None
        }
    };
    let spec: Option<S> = if spec_required {
        d.req(m, "spec")
    } else {
        d.opt(m, "spec").map(Option::unwrap_or_default)
    };
    let status: Option<Option<St>> = d.opt(m, "status");
    Some((metadata?, spec?, status?))
}
