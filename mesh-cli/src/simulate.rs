//! `mesh simulate`: decide offline where one request goes, and print why.

use clap::{Args, ValueEnum};
use mesh_dsl::Resources;
use mesh_dsl::simulate::{Request, Simulator};

use crate::input::{Failure, parse_all, read_inputs};
use crate::output::write_stdout;

/// The flags of `mesh simulate`.
#[derive(Args, Debug)]
pub(crate) struct SimulateArgs {
    /// Files or directories with the configuration (`.yaml`, `.yml`, `.json`; directories
    /// recursively), or `-` for standard input.
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    files: Vec<String>,
    /// The host the request is sent to: a short name (`reviews`, qualified with the
    /// source namespace), `name.namespace`, a full name, or an external host; `:PORT`
    /// sets the port.
    #[arg(long)]
    host: String,
    /// The path, with an optional `?query`.
    #[arg(long, default_value = "/")]
    path: String,
    /// The method.
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// A request header, `name:value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE")]
    headers: Vec<String>,
    /// The port (default: the service's port, else 80; through a gateway, its server's).
    #[arg(long)]
    port: Option<u32>,
    /// The scheme.
    #[arg(long, default_value = "http")]
    scheme: String,
    /// The namespace of the calling workload (default: --default-namespace; through a
    /// gateway, the gateway's).
    #[arg(long = "source-namespace", value_name = "NAMESPACE")]
    source_namespace: Option<String>,
    /// A label of the calling workload, `key=value` (repeatable).
    #[arg(long = "source-label", value_name = "KEY=VALUE")]
    source_labels: Vec<String>,
    /// The calling workload's service account (shown; routing does not use it).
    #[arg(long = "service-account", value_name = "NAME")]
    service_account: Option<String>,
    /// Enter through this Istio Gateway instead of a sidecar.
    #[arg(long, value_name = "NAMESPACE/NAME")]
    gateway: Option<String>,
    /// The namespace of resources that name none.
    #[arg(long = "default-namespace", default_value = mesh_dsl::simulate::DEFAULT_NAMESPACE)]
    default_namespace: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Text)]
    output: Output,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    /// The decision and its trace, for people.
    Text,
    /// The whole decision as JSON.
    Json,
}

/// Builds the request from the flags; every malformed flag is reported.
fn request(args: &SimulateArgs) -> Result<Request, Failure> {
    let mut req = Request::new(&args.host)
        .path(&args.path)
        .method(&args.method)
        .scheme(&args.scheme);
    let mut bad = 0;
    for h in &args.headers {
        // `:authority:x` names a pseudo-header: split after its leading colon.
        let split = match h.strip_prefix(':') {
            Some(rest) => rest.split_once(':').map(|(n, v)| (format!(":{n}"), v)),
            None => h.split_once(':').map(|(n, v)| (n.to_string(), v)),
        };
        match split {
            Some((name, value)) if !name.trim().is_empty() => {
                req = req.header(name.trim(), value.trim());
            }
            _ => {
                eprintln!("error: --header {h:?}: expected NAME:VALUE");
                bad += 1;
            }
        }
    }
    for l in &args.source_labels {
        match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => req = req.source_label(k, v),
            _ => {
                eprintln!("error: --source-label {l:?}: expected KEY=VALUE");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        return Err(Failure::Invalid);
    }
    if let Some(p) = args.port {
        req = req.port(p);
    }
    if let Some(ns) = &args.source_namespace {
        req = req.from_namespace(ns);
    }
    if let Some(sa) = &args.service_account {
        req = req.service_account(sa);
    }
    if let Some(g) = &args.gateway {
        req = req.via_gateway(g);
    }
    Ok(req)
}

pub(crate) fn run(args: &SimulateArgs) -> Result<(), Failure> {
    // Read the input first, so that standard input is consumed whatever the flags say.
    let inputs = read_inputs(&args.files)?;
    let req = request(args);
    let parsed = parse_all(&inputs)?;
    let req = req?;
    let resources =
        Resources::from_documents(parsed.into_iter().flat_map(|(_, docs)| docs.into_iter()));
    let sim = Simulator::with_default_namespace(&resources, &args.default_namespace);
    for w in sim.warnings() {
        eprintln!("warning: {w}");
    }
    let decision = sim.simulate(&req).map_err(|e| {
        eprintln!("error: {e}");
        Failure::Invalid
    })?;
    let text = match args.output {
        Output::Text => decision.to_string(),
        Output::Json => match serde_json::to_string_pretty(&decision) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => {
                eprintln!("error: cannot write JSON: {e}");
                return Err(Failure::Invalid);
            }
        },
    };
    write_stdout(&text)
}
