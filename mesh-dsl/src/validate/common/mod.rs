//! Checks Istio's webhook applies to many kinds, by topic: host and domain [`names`],
//! [`addresses`] and ports, host and gateway [`references`], HTTP [`headers`], [`regex`]es,
//! durations and percentages ([`values`]), labels, [`selectors`] and policy targets,
//! [`export_to`] lists, and the [`metadata`] annotations Istio reacts to. Istio's host,
//! `exportTo` and protocol semantics themselves are in [`crate::istio`].
//!
//! The functions return `Err(message)` with Istio's meaning in our words.

mod addresses;
mod export_to;
mod headers;
mod metadata;
mod names;
mod references;
mod regex;
mod selectors;
mod values;

pub(crate) use addresses::*;
pub(crate) use export_to::*;
pub(crate) use headers::*;
pub(crate) use metadata::*;
pub(crate) use names::*;
pub(crate) use references::*;
pub(crate) use regex::*;
pub(crate) use selectors::*;
pub(crate) use values::*;

/// The result of a check: `Err` carries the message.
pub(crate) type Check = Result<(), String>;
