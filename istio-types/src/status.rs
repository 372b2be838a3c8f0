//! [`IstioStatus`]: the `status` Istio writes on every kind.
//!
//! The CRDs declare a few known fields and keep any other field (the schema preserves
//! unknown fields here), so this type types the known ones and keeps the rest as JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::de::{Decoder, FromValue};

/// An integer that may also be written as a string (`observedGeneration`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// Written as a number.
    Int(i64),
    /// Written as a string.
    String(String),
}

impl FromValue for IntOrString {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        match v {
            Value::String(s) => Some(Self::String(s.clone())),
            Value::Number(_) => i64::from_value(v, d).map(Self::Int),
            _ => {
                d.wrong_type("an integer or a string", v);
                None
            }
        }
    }
}

/// Status that Istio's controllers report on a resource.
///
/// See <https://istio.io/latest/docs/reference/config/meta/v1alpha1/#IstioStatus>.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IstioStatus {
    /// Conditions such as `Reconciled`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<IstioCondition>,
    /// The generation the status describes.
    #[serde(rename = "observedGeneration", skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<IntOrString>,
    /// Analysis messages Istio attached to the resource.
    #[serde(rename = "validationMessages", skip_serializing_if = "Vec::is_empty")]
    pub validation_messages: Vec<ValidationMessage>,
    /// Any other status fields, kept as written.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One condition in an [`IstioStatus`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioCondition {
    /// When the condition was last probed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_probe_time: Option<String>,
    /// When the condition last changed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// A human-readable message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The generation the condition describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<IntOrString>,
    /// A machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `True`, `False` or `Unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The condition type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// Severity of a [`ValidationMessage`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValidationLevel {
    /// `UNKNOWN` on the wire.
    #[default]
    Unknown,
    /// `ERROR` on the wire.
    Error,
    /// `WARNING` on the wire.
    Warning,
    /// `INFO` on the wire.
    Info,
}

crate::macros::string_enum!(ValidationLevel, [Unknown => "UNKNOWN", Error => "ERROR", Warning => "WARNING", Info => "INFO"]);

/// An analysis message Istio attached to a resource's status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationMessage {
    /// Link to the message's documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<ValidationLevel>,
    /// The message type: code (e.g. `IST0101`) and name.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<AnalysisMessageType>,
}

/// Code and name of an analysis message, e.g. `IST0101` / `ReferencedResourceNotFound`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnalysisMessageType {
    /// E.g. `IST0101`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// E.g. `ReferencedResourceNotFound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl FromValue for IstioStatus {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let Value::Object(m) = v else {
            d.wrong_type("an object", v);
            return None;
        };
        let conditions = d.many(m, "conditions");
        let observed_generation = d.opt(m, "observedGeneration");
        let validation_messages = d.many(m, "validationMessages");
        let other = m
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "conditions" | "observedGeneration" | "validationMessages"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(Self {
            conditions: conditions?,
            observed_generation: observed_generation?,
            validation_messages: validation_messages?,
            other,
        })
    }
}

impl FromValue for IstioCondition {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let m = d.object(
            v,
            &[
                "lastProbeTime",
                "lastTransitionTime",
                "message",
                "observedGeneration",
                "reason",
                "status",
                "type",
            ],
        )?;
        let last_probe_time = d.opt(m, "lastProbeTime");
        let last_transition_time = d.opt(m, "lastTransitionTime");
        let message = d.opt(m, "message");
        let observed_generation = d.opt(m, "observedGeneration");
        let reason = d.opt(m, "reason");
        let status = d.opt(m, "status");
        let r#type = d.opt(m, "type");
        Some(Self {
            last_probe_time: last_probe_time?,
            last_transition_time: last_transition_time?,
            message: message?,
            observed_generation: observed_generation?,
            reason: reason?,
            status: status?,
            r#type: r#type?,
        })
    }
}

impl FromValue for ValidationMessage {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let m = d.object(v, &["documentationUrl", "level", "type"])?;
        let documentation_url = d.opt(m, "documentationUrl");
        let level = d.opt(m, "level");
        let r#type = d.opt(m, "type");
        Some(Self {
            documentation_url: documentation_url?,
            level: level?,
            r#type: r#type?,
        })
    }
}

impl FromValue for AnalysisMessageType {
    fn from_value(v: &Value, d: &mut Decoder) -> Option<Self> {
        let m = d.object(v, &["code", "name"])?;
        let code = d.opt(m, "code");
        let name = d.opt(m, "name");
        Some(Self {
            code: code?,
            name: name?,
        })
    }
}

crate::impl_deserialize_via_value!(
    IntOrString,
    IstioStatus,
    IstioCondition,
    ValidationMessage,
    AnalysisMessageType
);
