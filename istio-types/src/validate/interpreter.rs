//! Evaluating the CRDs' CEL rules from their original text, with the `cel` crate and
//! Kubernetes' CEL libraries from `kube-cel` (feature `cel`).
//!
//! The generated checks do not need this: it is a second, independent way to evaluate
//! the same rules ([`super::CelEngine::Interpreter`]), used to cross-check the
//! translation and available to callers who prefer to run the rules as written.
//!
//! ```
//! use serde_json::json;
//! use istio_types::validate::interpreter;
//!
//! assert_eq!(interpreter::eval("0 < self && self <= 65535", &json!(8080)), Ok(true));
//! assert_eq!(interpreter::eval("duration(self) >= duration('1ms')", &json!("500us")), Ok(false));
//! assert!(interpreter::check("self.frobnicate()").is_err());
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use kube_cel::KubeCelExt as _;
use kube_cel::cel;
use serde_json::Value;

use super::CelError;

/// Functions and operators the interpreter's environment provides: CEL's standard
/// library as the `cel` crate implements it, plus the Kubernetes string and URL
/// libraries from `kube-cel`. A rule that refers to anything else cannot be evaluated.
pub const SUPPORTED_FUNCTIONS: &[&str] = &[
    // operators and macro internals
    "_&&_",
    "_||_",
    "!_",
    "-_",
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_+_",
    "_-_",
    "_*_",
    "_/_",
    "_%_",
    "_?_:_",
    "_[_]",
    "@in",
    "@not_strictly_false",
    // standard library
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "string",
    "int",
    "uint",
    "double",
    "bytes",
    "duration",
    "timestamp",
    "has",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
    // Kubernetes strings library
    "charAt",
    "indexOf",
    "lastIndexOf",
    "lowerAscii",
    "upperAscii",
    "replace",
    "split",
    "substring",
    "trim",
    "join",
    // Kubernetes URL library
    "url",
    "isURL",
    "getScheme",
    "getHost",
    "getHostname",
    "getPort",
    "getEscapedPath",
    "getQuery",
];

/// Compiles `rule` and checks that everything it calls is provided.
///
/// # Errors
/// When the rule does not parse, or calls a function the environment lacks.
pub fn check(rule: &str) -> Result<(), CelError> {
    let program = compile(rule)?;
    let refs = program.references();
    let missing: Vec<&str> = refs
        .functions()
        .into_iter()
        .filter(|f| !SUPPORTED_FUNCTIONS.contains(f))
        .collect();
    if !missing.is_empty() {
        return Err(CelError(format!(
            "calls functions the interpreter does not provide: {}",
            missing.join(", ")
        )));
    }
    let unknown: Vec<&str> = refs
        .variables()
        .into_iter()
        .filter(|v| *v == "oldSelf")
        .collect();
    if !unknown.is_empty() {
        return Err(CelError(
            "transition rule: refers to oldSelf, which a single object does not have".into(),
        ));
    }
    Ok(())
}

fn compile(rule: &str) -> Result<cel::Program, CelError> {
    cel::Program::compile(rule).map_err(|e| CelError(format!("rule does not parse: {e}")))
}

/// The CEL value of a JSON node: integers are `int`s (a schema `integer`), objects maps.
pub fn to_cel(v: &Value) -> cel::Value {
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(a) => cel::Value::List(Arc::new(a.iter().map(to_cel).collect())),
        Value::Object(o) => {
            let map: HashMap<String, cel::Value> =
                o.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            cel::Value::from(map)
        }
    }
}

struct Engine {
    root: cel::Context<'static>,
    programs: HashMap<String, Result<cel::Program, CelError>>,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// Evaluates `rule` with `self` bound to `this`. Compiled programs are cached per thread.
///
/// # Errors
/// When the rule does not parse, fails to evaluate, or yields something other than a
/// boolean.
pub fn eval(rule: &str, this: &Value) -> Result<bool, CelError> {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let engine = slot.get_or_insert_with(|| Engine {
            root: cel::Context::default().with_all(),
            programs: HashMap::new(),
        });
        let program = engine
            .programs
            .entry(rule.to_string())
            .or_insert_with(|| check(rule).and_then(|()| compile(rule)));
        let program = match program {
            Ok(p) => p,
            Err(e) => return Err(e.clone()),
        };
        let mut scope = engine.root.new_inner_scope();
        scope.add_variable_from_value("self", to_cel(this));
        match program.execute(&scope) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(CelError(format!(
                "the rule evaluated to {other:?}, not a bool"
            ))),
            Err(e) => Err(CelError(e.to_string())),
        }
    })
}

/// The per-validator state of the interpreter (programs are cached per thread).
#[derive(Debug, Default)]
pub(crate) struct Cache;

impl Cache {
    pub(crate) fn eval(&mut self, rule: &str, this: &Value) -> Result<bool, CelError> {
        eval(rule, this)
    }
}
