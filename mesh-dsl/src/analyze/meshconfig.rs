//! The parts of Istio's mesh configuration (`MeshConfig`) the analyzers read.

use std::collections::BTreeMap;

use serde_json::Value;

/// How Istio handles Kubernetes Ingress objects (`ingressControllerMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum IngressControllerMode {
    /// Ingress is off: no default ingress gateway is assumed.
    Off,
    /// `DEFAULT`.
    Default,
    /// `STRICT` (Istio's default).
    #[default]
    Strict,
}

/// Istio's mesh configuration, as far as analysis needs it. Unknown fields are ignored.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MeshConfig {
    /// `rootNamespace`: policies here apply mesh-wide. Default `istio-system`.
    pub root_namespace: String,
    /// `ingressControllerMode`. Default `STRICT`.
    pub ingress_controller_mode: IngressControllerMode,
    /// `ingressService`: the ingress gateway Service. Default `istio-ingressgateway`.
    pub ingress_service: String,
    /// `defaultConfig.proxyMetadata`.
    pub proxy_metadata: BTreeMap<String, String>,
    /// `defaultConfig.image.imageType`, e.g. `distroless`.
    pub image_type: Option<String>,
    /// `defaultProviders.accessLogging`.
    pub default_access_logging: Vec<String>,
    /// Names of `extensionProviders` that use the (deprecated) Lightstep tracer.
    pub lightstep_providers: Vec<String>,
}

impl Default for MeshConfig {
    fn default() -> Self {
        Self {
            root_namespace: "istio-system".into(),
            ingress_controller_mode: IngressControllerMode::Strict,
            ingress_service: "istio-ingressgateway".into(),
            proxy_metadata: BTreeMap::new(),
            image_type: None,
            default_access_logging: Vec::new(),
            lightstep_providers: Vec::new(),
        }
    }
}

/// Why a mesh configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshConfigError {
    /// The text is not YAML.
    #[error("mesh config is not YAML: {0}")]
    Yaml(#[from] istio_types::yaml::YamlError),
    /// The YAML is not a map.
    #[error("mesh config must be a map of settings")]
    NotAMap,
}

impl MeshConfig {
    /// Reads a mesh configuration written as YAML (Istio's defaults fill what is missing).
    /// A ConfigMap holding it under `data.mesh` is accepted too.
    ///
    /// # Errors
    /// When the text is not YAML or not a map.
    pub fn from_yaml(text: &str) -> Result<Self, MeshConfigError> {
        let docs = istio_types::yaml::parse_stream(text)?;
        let Some(doc) = docs.into_iter().next() else {
            return Ok(Self::default());
        };
        let v = doc.value;
        if v.get("kind").and_then(Value::as_str) == Some("ConfigMap") {
            let inner = v
                .get("data")
                .and_then(|d| d.get("mesh"))
                .and_then(Value::as_str)
                .unwrap_or("");
            return Self::from_yaml(inner);
        }
        if v.is_null() {
            return Ok(Self::default());
        }
        if !v.is_object() {
            return Err(MeshConfigError::NotAMap);
        }
        Ok(Self::from_value(&v))
    }

    /// Reads a mesh configuration from JSON (Istio's defaults fill what is missing).
    pub fn from_value(v: &Value) -> Self {
        let mut mc = Self::default();
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(String::from);
        if let Some(ns) = s(v.get("rootNamespace")).filter(|x| !x.is_empty()) {
            mc.root_namespace = ns;
        }
        if let Some(mode) = s(v.get("ingressControllerMode")) {
            mc.ingress_controller_mode = match mode.to_ascii_uppercase().as_str() {
                "OFF" => IngressControllerMode::Off,
                "DEFAULT" => IngressControllerMode::Default,
                _ => IngressControllerMode::Strict,
            };
        }
        if let Some(svc) = s(v.get("ingressService")).filter(|x| !x.is_empty()) {
            mc.ingress_service = svc;
        }
        let dc = v.get("defaultConfig");
        if let Some(pm) = dc
            .and_then(|d| d.get("proxyMetadata"))
            .and_then(Value::as_object)
        {
            for (k, val) in pm {
                let val = match val {
                    Value::String(x) => x.clone(),
                    other => other.to_string(),
                };
                mc.proxy_metadata.insert(k.clone(), val);
            }
        }
        mc.image_type = s(dc
            .and_then(|d| d.get("image"))
            .and_then(|i| i.get("imageType")));
        mc.default_access_logging = v
            .get("defaultProviders")
            .and_then(|d| d.get("accessLogging"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect();
        mc.lightstep_providers = v
            .get("extensionProviders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p.get("lightstep").is_some())
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .map(String::from)
            .collect();
        mc
    }

    /// Whether DNS auto-allocation gives ServiceEntries addresses
    /// (`ISTIO_META_DNS_CAPTURE` and `ISTIO_META_DNS_AUTO_ALLOCATE` both `true`).
    pub fn dns_auto_allocate(&self) -> bool {
        let on = |k: &str| self.proxy_metadata.get(k).is_some_and(|v| v == "true");
        on("ISTIO_META_DNS_CAPTURE") && on("ISTIO_META_DNS_AUTO_ALLOCATE")
    }
}

/// Istio's `MeshNetworks`: the networks of a multi-network mesh and where their endpoints
/// come from.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct MeshNetworks {
    /// Network name to the service registries (`fromRegistry`) of its endpoints.
    pub networks: BTreeMap<String, Vec<String>>,
}

impl MeshNetworks {
    /// Reads mesh networks written as YAML (`networks: {name: {endpoints: [...]}}`).
    ///
    /// # Errors
    /// When the text is not YAML or not a map.
    pub fn from_yaml(text: &str) -> Result<Self, MeshConfigError> {
        let docs = istio_types::yaml::parse_stream(text)?;
        let Some(doc) = docs.into_iter().next() else {
            return Ok(Self::default());
        };
        if !doc.value.is_object() {
            return Err(MeshConfigError::NotAMap);
        }
        let mut out = Self::default();
        for (name, n) in doc
            .value
            .get("networks")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let registries = n
                .get("endpoints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| e.get("fromRegistry").and_then(Value::as_str))
                .map(String::from)
                .collect();
            out.networks.insert(name.clone(), registries);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_and_defaults() {
        let mc = MeshConfig::from_yaml(
            "rootNamespace: mesh-root\ningressControllerMode: \"OFF\"\ndefaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n    ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"\nextensionProviders:\n- name: ls\n  lightstep: {}\n",
        )
        .unwrap();
        assert_eq!(mc.root_namespace, "mesh-root");
        assert_eq!(mc.ingress_controller_mode, IngressControllerMode::Off);
        assert!(mc.dns_auto_allocate());
        assert_eq!(mc.lightstep_providers, ["ls"]);
        assert_eq!(MeshConfig::from_yaml("").unwrap(), MeshConfig::default());
        assert!(MeshConfig::from_yaml("- a\n").is_err());
        let mn = MeshNetworks::from_yaml(
            "networks:\n  n1:\n    endpoints: [{fromRegistry: Kubernetes}, {fromCidr: 10.0.0.0/8}]\n",
        )
        .unwrap();
        assert_eq!(mn.networks["n1"], ["Kubernetes"]);
    }
}
