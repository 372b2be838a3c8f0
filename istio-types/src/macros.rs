//! Macros the generated code calls, so that each generated file stays plain data.

/// String enums: wire names, `Display`/`FromStr`, serde and strict decoding.
macro_rules! string_enum {
    ($name:ident, [$($variant:ident => $wire:literal),* $(,)?]) => {
        impl $name {
            /// Every value this enum accepts, as written in YAML.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];

            /// The value as written in YAML.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::de::UnknownValue;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($wire => Ok(Self::$variant),)*
                    _ => Err($crate::de::UnknownValue {
                        value: s.to_string(),
                        allowed: Self::VALUES,
                    }),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $crate::de::FromValue for $name {
            fn from_value(v: &::serde_json::Value, d: &mut $crate::de::Decoder) -> Option<Self> {
                match v {
                    ::serde_json::Value::String(s) => match s.parse() {
                        Ok(x) => Some(x),
                        Err(_) => {
                            d.error($crate::de::FieldErrorKind::UnknownVariant {
                                value: s.clone(),
                                allowed: Self::VALUES,
                            });
                            None
                        }
                    },
                    _ => {
                        d.wrong_type("a string", v);
                        None
                    }
                }
            }
        }

        $crate::impl_deserialize_via_value!($name);
    };
}
pub(crate) use string_enum;

/// One-of groups. `pure`: the whole message is the group, and `{}` is the `$empty`
/// variant. `flat`: the group is flattened into a parent message's field.
macro_rules! one_of_enum {
    (pure $name:ident, $empty:ident, [$($variant:ident => $wire:literal),* $(,)?]) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                match self {
                    Self::$empty => s.serialize_map(Some(0))?.end(),
                    $(Self::$variant(x) => {
                        let mut m = s.serialize_map(Some(1))?;
                        m.serialize_entry($wire, x)?;
                        m.end()
                    })*
                }
            }
        }

        impl $crate::de::OneOf for $name {
            const KEYS: &'static [&'static str] = &[$($wire),*];

            fn from_entry(key: &str, v: &::serde_json::Value, d: &mut $crate::de::Decoder) -> Option<Self> {
                match key {
                    $($wire => $crate::de::FromValue::from_value(v, d).map(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl $crate::de::FromValue for $name {
            fn from_value(v: &::serde_json::Value, d: &mut $crate::de::Decoder) -> Option<Self> {
                let m = d.object(v, <Self as $crate::de::OneOf>::KEYS)?;
                d.one_of::<Self>(m).map(|o| o.unwrap_or(Self::$empty))
            }
        }

        $crate::impl_deserialize_via_value!($name);
    };
    (flat $name:ident, [$($variant:ident => $wire:literal),* $(,)?]) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut m = s.serialize_map(Some(1))?;
                match self {
                    $(Self::$variant(x) => m.serialize_entry($wire, x)?,)*
                }
                m.end()
            }
        }

        impl $crate::de::OneOf for $name {
            const KEYS: &'static [&'static str] = &[$($wire),*];

            fn from_entry(key: &str, v: &::serde_json::Value, d: &mut $crate::de::Decoder) -> Option<Self> {
                match key {
                    $($wire => $crate::de::FromValue::from_value(v, d).map(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use one_of_enum;

/// `kube_core::Resource` for a kind with `metadata`, from its names (Istio's and the
/// Gateway API's kinds alike).
macro_rules! kube_resource {
    ($kind:ident, $kind_name:expr, $scope:ty, $group:literal, $version:literal, $plural:literal) => {
        #[cfg(feature = "kube")]
        impl ::kube_core::Resource for $kind {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> ::std::borrow::Cow<'_, str> {
                $kind_name.into()
            }
            fn group(_: &()) -> ::std::borrow::Cow<'_, str> {
                $group.into()
            }
            fn version(_: &()) -> ::std::borrow::Cow<'_, str> {
                $version.into()
            }
            fn api_version(_: &()) -> ::std::borrow::Cow<'_, str> {
                concat!($group, "/", $version).into()
            }
            fn plural(_: &()) -> ::std::borrow::Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(
                &mut self,
            ) -> &mut ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
pub(crate) use kube_resource;

/// A top-level kind: metadata + spec + status, with apiVersion/kind on the wire.
macro_rules! istio_kind {
    (
        $(#[$doc:meta])*
        kind: $kind:ident,
        spec: $spec:ty,
        group: $group:literal,
        version: $version:literal,
        served: [$($served:literal),* $(,)?],
        plural: $plural:literal,
        spec_required: $spec_required:literal,
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $kind {
            /// Standard Kubernetes object metadata: name, namespace, labels, annotations.
            pub metadata: ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
            /// The configuration itself.
            pub spec: $spec,
            /// What Istio reports back about the resource; left empty in configuration.
            pub status: Option<$crate::IstioStatus>,
        }

        impl $kind {
            /// A resource with this name and namespace and the given spec.
            #[must_use]
            pub fn new(namespace: impl Into<String>, name: impl Into<String>, spec: $spec) -> Self {
                Self {
                    metadata: ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                        name: Some(name.into()),
                        namespace: Some(namespace.into()),
                        ..Default::default()
                    },
                    spec,
                    status: None,
                }
            }
        }

        impl $crate::IstioKind for $kind {
            const GROUP: &'static str = $group;
            const VERSION: &'static str = $version;
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const KIND: &'static str = stringify!($kind);
            const PLURAL: &'static str = $plural;
            const SERVED_VERSIONS: &'static [&'static str] = &[$($served),*];

            fn metadata(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }

        impl ::serde::Serialize for $kind {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                let mut st = s.serialize_struct(stringify!($kind), 5)?;
                st.serialize_field("apiVersion", concat!($group, "/", $version))?;
                st.serialize_field("kind", stringify!($kind))?;
                st.serialize_field("metadata", &self.metadata)?;
                st.serialize_field("spec", &self.spec)?;
                if let Some(status) = &self.status {
                    st.serialize_field("status", status)?;
                } else {
                    st.skip_field("status")?;
                }
                st.end()
            }
        }

        impl $crate::de::FromValue for $kind {
            fn from_value(v: &::serde_json::Value, d: &mut $crate::de::Decoder) -> Option<Self> {
                let (metadata, spec, status) = $crate::kind::decode_object::<Self, $spec>(v, d, $spec_required)?;
                Some(Self { metadata, spec, status })
            }
        }

        $crate::impl_deserialize_via_value!($kind);

        $crate::macros::kube_resource!(
            $kind,
            stringify!($kind),
            ::kube_core::NamespaceResourceScope,
            $group,
            $version,
            $plural
        );
    };
}
pub(crate) use istio_kind;

/// The enum of every Istio kind.
macro_rules! istio_resource_enum {
    ($($kind:ident($path:path),)*) => {
        $crate::macros::resource_enum! {
            /// Any Istio resource, of any of the kinds this crate knows.
            enum: IstioResource,
            groups: $crate::ISTIO_GROUPS,
            project: "Istio",
            [$($kind($path),)*]
        }
    };
}
pub(crate) use istio_resource_enum;

/// The enum of every Gateway API kind.
macro_rules! gateway_api_resource_enum {
    ($($kind:ident($path:path),)*) => {
        $crate::macros::resource_enum! {
            /// Any Kubernetes Gateway API resource, of any of the kinds this crate knows.
            enum: GatewayApiResource,
            groups: $crate::GATEWAY_API_GROUPS,
            project: "Gateway API",
            [$($kind($path),)*]
        }
    };
}
pub(crate) use gateway_api_resource_enum;

/// The enum of every kind of one API.
macro_rules! resource_enum {
    (
        $(#[$doc:meta])*
        enum: $enum:ident,
        groups: $groups:path,
        project: $project:literal,
        [$($kind:ident($path:path),)*]
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum $enum {
            $(
                #[doc = concat!("A [`", stringify!($kind), "`](", stringify!($path), ").")]
                $kind(Box<$path>),
            )*
        }

        impl $enum {
            /// The `apiVersion` this resource is written with.
            #[must_use]
            pub fn api_version(&self) -> &'static str {
                match self {
                    $(Self::$kind(_) => <$path as $crate::IstioKind>::API_VERSION,)*
                }
            }

            /// The kind, e.g. `VirtualService`.
            #[must_use]
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Self::$kind(_) => <$path as $crate::IstioKind>::KIND,)*
                }
            }

            /// The resource's metadata.
            #[must_use]
            pub fn metadata(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                match self {
                    $(Self::$kind(r) => &r.metadata,)*
                }
            }

            /// The resource's metadata, to change.
            pub fn metadata_mut(&mut self) -> &mut ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                match self {
                    $(Self::$kind(r) => &mut r.metadata,)*
                }
            }

            /// What `(apiVersion, kind)` names: a kind of this API at a served version,
            /// at a version that is not served, or not a kind of this API at all
            /// (`KindMatch::UnknownIstioKind` stands for a kind unknown in one of the
            /// API's groups).
            #[must_use]
            pub fn classify(api_version: &str, kind: &str) -> $crate::KindMatch {
                let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
                $(
                    if kind == <$path as $crate::IstioKind>::KIND && group == <$path as $crate::IstioKind>::GROUP {
                        return if <$path as $crate::IstioKind>::SERVED_VERSIONS.contains(&version) {
                            $crate::KindMatch::Served
                        } else {
                            $crate::KindMatch::UnservedVersion {
                                served: <$path as $crate::IstioKind>::SERVED_VERSIONS,
                            }
                        };
                    }
                )*
                if $groups.contains(&group) {
                    $crate::KindMatch::UnknownIstioKind
                } else {
                    $crate::KindMatch::NotIstio
                }
            }

            /// Decodes one document. `Ok(None)` when it is not a kind of this API at all.
            ///
            /// # Errors
            /// Every problem found in the document, each with its field path.
            pub fn from_value(v: &::serde_json::Value) -> ::std::result::Result<Option<Self>, Vec<$crate::de::FieldError>> {
                let api_version = v.get("apiVersion").and_then(::serde_json::Value::as_str).unwrap_or("");
                let kind = v.get("kind").and_then(::serde_json::Value::as_str).unwrap_or("");
                let (group, _) = api_version.split_once('/').unwrap_or(("", api_version));
                $(
                    if kind == <$path as $crate::IstioKind>::KIND && group == <$path as $crate::IstioKind>::GROUP {
                        return $crate::de::Decoder::new().decode::<$path>(v).map(|r| Some(Self::$kind(Box::new(r))));
                    }
                )*
                match Self::classify(api_version, kind) {
                    $crate::KindMatch::UnknownIstioKind => Err(vec![$crate::de::FieldError {
                        path: $crate::de::FieldPath::root().field("kind"),
                        kind: $crate::de::FieldErrorKind::Invalid(format!(
                            "{:?} is not a kind of {}; known {} kinds: {}",
                            kind,
                            group,
                            $project,
                            [$(<$path as $crate::IstioKind>::KIND),*].join(", ")
                        )),
                    }]),
                    _ => Ok(None),
                }
            }
        }

        impl ::serde::Serialize for $enum {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $(Self::$kind(r) => r.serialize(s),)*
                }
            }
        }

        $(
            impl From<$path> for $enum {
                fn from(r: $path) -> Self {
                    Self::$kind(Box::new(r))
                }
            }
        )*
    };
}
pub(crate) use resource_enum;

/// A Gateway API kind: like `istio_kind`, with the kind's own name on the wire
/// (`HTTPRoute` for `HttpRoute`), cluster-scoped kinds, and a free-form status (the
/// Gateway API's status types are not generated: status is written by controllers).
macro_rules! gateway_api_kind {
    (
        $(#[$doc:meta])*
        kind: $kind:ident,
        kind_name: $kind_name:literal,
        namespaced: $namespaced:tt,
        spec: $spec:ty,
        group: $group:literal,
        version: $version:literal,
        served: [$($served:literal),* $(,)?],
        plural: $plural:literal,
        spec_required: $spec_required:literal,
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $kind {
            /// Standard Kubernetes object metadata: name, namespace, labels, annotations.
            pub metadata: ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
            /// The configuration itself.
            pub spec: $spec,
            /// What controllers report back about the resource, as written; left empty
            /// in configuration.
            pub status: Option<::serde_json::Value>,
        }

        $crate::macros::gateway_api_new!($kind, $spec, $namespaced);

        impl $crate::IstioKind for $kind {
            const GROUP: &'static str = $group;
            const VERSION: &'static str = $version;
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const KIND: &'static str = $kind_name;
            const PLURAL: &'static str = $plural;
            const SERVED_VERSIONS: &'static [&'static str] = &[$($served),*];

            fn metadata(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }

        impl ::serde::Serialize for $kind {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                let mut st = s.serialize_struct($kind_name, 5)?;
                st.serialize_field("apiVersion", concat!($group, "/", $version))?;
                st.serialize_field("kind", $kind_name)?;
                st.serialize_field("metadata", &self.metadata)?;
                st.serialize_field("spec", &self.spec)?;
                if let Some(status) = &self.status {
                    st.serialize_field("status", status)?;
                } else {
                    st.skip_field("status")?;
                }
                st.end()
            }
        }

        impl $crate::de::FromValue for $kind {
            fn from_value(v: &::serde_json::Value, d: &mut $crate::de::Decoder) -> Option<Self> {
                let (metadata, spec, status) = $crate::kind::decode_object_with_status::<
                    Self,
                    $spec,
                    ::serde_json::Value,
                >(v, d, $spec_required)?;
                Some(Self { metadata, spec, status })
            }
        }

        $crate::impl_deserialize_via_value!($kind);

        $crate::macros::kube_resource!(
            $kind,
            $kind_name,
            $crate::macros::gateway_api_scope!($namespaced),
            $group,
            $version,
            $plural
        );
    };
}
pub(crate) use gateway_api_kind;

/// The constructor of a Gateway API kind: with a namespace, or without for a
/// cluster-scoped kind.
macro_rules! gateway_api_new {
    ($kind:ident, $spec:ty, true) => {
        impl $kind {
            /// A resource with this name and namespace and the given spec.
            #[must_use]
            pub fn new(namespace: impl Into<String>, name: impl Into<String>, spec: $spec) -> Self {
                Self {
                    metadata: ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                        name: Some(name.into()),
                        namespace: Some(namespace.into()),
                        ..Default::default()
                    },
                    spec,
                    status: None,
                }
            }
        }
    };
    ($kind:ident, $spec:ty, false) => {
        impl $kind {
            /// A (cluster-scoped) resource with this name and the given spec.
            #[must_use]
            pub fn new(name: impl Into<String>, spec: $spec) -> Self {
                Self {
                    metadata: ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                        name: Some(name.into()),
                        ..Default::default()
                    },
                    spec,
                    status: None,
                }
            }
        }
    };
}
pub(crate) use gateway_api_new;

/// The `kube_core` scope of a Gateway API kind.
#[cfg(feature = "kube")]
macro_rules! gateway_api_scope {
    (true) => {
        ::kube_core::NamespaceResourceScope
    };
    (false) => {
        ::kube_core::ClusterResourceScope
    };
}
#[cfg(feature = "kube")]
pub(crate) use gateway_api_scope;
