//! A real Prometheus for tests, and an exporter of Istio-shaped metrics whose values the
//! test controls.
//!
//! [`Prometheus::start`] runs the `prometheus` binary (the Debian package `prometheus`)
//! on `127.0.0.1` with a free port, a temporary TSDB directory and a generated
//! configuration scraping the given targets every second; the process is killed and the
//! directory removed when the value is dropped. Without the binary it fails under CI
//! ([`crate::in_ci`]) and prints a visible `SKIPPED` line otherwise.
//!
//! [`IstioExporter`] serves `/metrics` in Prometheus' text format: for each
//! [`Workload`], `istio_requests_total` and `istio_request_duration_milliseconds` as an
//! Istio sidecar reports them (`reporter="destination"`), growing like real counters at
//! the rate, error ratio and latency its [`Traffic`] says, which the test changes at
//! will.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The histogram buckets of `istio_request_duration_milliseconds` (Istio's defaults).
pub const BUCKETS: [f64; 19] = [
    0.5, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0,
    60000.0, 300000.0, 600000.0, 1800000.0, 3600000.0,
];

/// The requests each counter starts with (half answered 200, half 503, all in the
/// lowest latency bucket): a workload that served traffic before the test.
const PAST_REQUESTS: f64 = 1000.0;

/// What a workload is serving now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traffic {
    /// Requests per second.
    pub rps: f64,
    /// The share of them answered with a 503 (0 to 1).
    pub error_ratio: f64,
    /// How long each request takes, in milliseconds.
    pub latency_ms: f64,
}

impl Traffic {
    /// `rps` requests per second, no errors, 20 ms each.
    pub fn healthy(rps: f64) -> Self {
        Self {
            rps,
            error_ratio: 0.0,
            latency_ms: 20.0,
        }
    }
}

/// A workload (a Deployment `<app>-<version>` in a namespace) and its traffic.
#[derive(Debug)]
pub struct Workload {
    namespace: String,
    app: String,
    version: String,
    traffic: Mutex<Traffic>,
    counts: Mutex<Counts>,
}

#[derive(Debug)]
struct Counts {
    at: Instant,
    ok: f64,
    errors: f64,
    sum_ms: f64,
    buckets: Vec<f64>,
}

impl Workload {
    /// Workload `<app>-<version>` in `namespace`, serving `traffic`.
    pub fn new(namespace: &str, app: &str, version: &str, traffic: Traffic) -> Arc<Self> {
        Arc::new(Self {
            namespace: namespace.into(),
            app: app.into(),
            version: version.into(),
            traffic: Mutex::new(traffic),
            // Past traffic: counters that start at zero make Prometheus' extrapolation
            // of `rate` stop at the zero point, unlike their neighbours', and a histogram
            // of fresh buckets then shows latencies nobody had.
            counts: Mutex::new(Counts {
                at: Instant::now(),
                ok: PAST_REQUESTS,
                errors: PAST_REQUESTS,
                sum_ms: 2.0 * PAST_REQUESTS * BUCKETS[0],
                buckets: vec![2.0 * PAST_REQUESTS; BUCKETS.len()],
            }),
        })
    }

    /// Changes the traffic from now on (the counters keep what they counted).
    pub fn set(&self, traffic: Traffic) {
        self.advance();
        *self.traffic.lock().unwrap() = traffic;
    }

    /// The counters grow by what the traffic served since the last time.
    fn advance(&self) {
        let t = *self.traffic.lock().unwrap();
        let mut c = self.counts.lock().unwrap();
        let now = Instant::now();
        let n = t.rps * now.duration_since(c.at).as_secs_f64();
        c.at = now;
        c.ok += n * (1.0 - t.error_ratio);
        c.errors += n * t.error_ratio;
        c.sum_ms += n * t.latency_ms;
        for (i, le) in BUCKETS.iter().enumerate() {
            if t.latency_ms <= *le {
                c.buckets[i] += n;
            }
        }
    }

    fn render(&self, out: &mut String) {
        self.advance();
        let c = self.counts.lock().unwrap();
        let labels = format!(
            "reporter=\"destination\",destination_workload=\"{app}-{v}\",destination_workload_namespace=\"{ns}\",destination_app=\"{app}\",destination_version=\"{v}\",destination_service=\"{app}.{ns}.svc.cluster.local\"",
            app = self.app,
            v = self.version,
            ns = self.namespace
        );
        out.push_str(&format!(
            "istio_requests_total{{{labels},response_code=\"200\"}} {}\n",
            c.ok
        ));
        out.push_str(&format!(
            "istio_requests_total{{{labels},response_code=\"503\"}} {}\n",
            c.errors
        ));
        for (le, n) in BUCKETS.iter().zip(&c.buckets) {
            out.push_str(&format!(
                "istio_request_duration_milliseconds_bucket{{{labels},le=\"{le}\"}} {n}\n"
            ));
        }
        let total = c.ok + c.errors;
        out.push_str(&format!(
            "istio_request_duration_milliseconds_bucket{{{labels},le=\"+Inf\"}} {total}\n"
        ));
        out.push_str(&format!(
            "istio_request_duration_milliseconds_sum{{{labels}}} {}\n",
            c.sum_ms
        ));
        out.push_str(&format!(
            "istio_request_duration_milliseconds_count{{{labels}}} {total}\n"
        ));
    }
}

/// An HTTP server on `127.0.0.1` serving the workloads' metrics on `/metrics`; stops
/// when dropped.
#[derive(Debug)]
pub struct IstioExporter {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    scrapes: Arc<AtomicUsize>,
}

impl IstioExporter {
    /// Serves the metrics of `workloads`.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub fn start(workloads: Vec<Arc<Workload>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("its address");
        let stop = Arc::new(AtomicBool::new(false));
        let scrapes = Arc::new(AtomicUsize::new(0));
        let (s, n) = (Arc::clone(&stop), Arc::clone(&scrapes));
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = answer(stream, &workloads);
                        n.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self {
            addr,
            stop,
            scrapes,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many times the metrics were served.
    pub fn scrapes(&self) -> usize {
        self.scrapes.load(Ordering::SeqCst)
    }
}

impl Drop for IstioExporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn answer(mut stream: TcpStream, workloads: &[Arc<Workload>]) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let mut body = String::new();
    body.push_str("# TYPE istio_requests_total counter\n");
    body.push_str("# TYPE istio_request_duration_milliseconds histogram\n");
    for w in workloads {
        w.render(&mut body);
    }
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A `prometheus` process scraping some targets every second; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    dir: PathBuf,
    url: String,
}

/// A free local port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// The `prometheus` binary on `PATH`.
fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file())
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` every second, and waits until it is ready.
    /// `None` (after a visible `SKIPPED` line) when the binary is missing, outside CI.
    ///
    /// # Panics
    /// Under CI when the binary is missing; when it does not start or get ready in 30 s.
    pub fn start(test: &str, targets: &[SocketAddr]) -> Option<Self> {
        let Some(bin) = binary() else {
            let what = format!(
                "{test}: the `prometheus` binary is not on PATH (Debian package `prometheus`)"
            );
            if crate::in_ci() {
                panic!("prometheus missing under CI: {what}");
            }
            let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
            return None;
        };
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mesh-dsl-prometheus-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: istio\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("the configuration");
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("a log file");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        let p = Self {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(port, "/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(
                Instant::now() < deadline,
                "prometheus did not get ready in 30 s: {}",
                std::fs::read_to_string(p.dir.join("prometheus.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(p)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits until every target was scraped successfully at least `n` times within the
    /// last 30 s (so that rates over a few seconds have samples).
    ///
    /// # Panics
    /// After 30 s.
    pub fn wait_for_scrapes(&self, n: usize) {
        let port: u16 = self
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let query = "min(sum_over_time(up[30s]))";
        let path = format!("/api/v1/query?query={}", encode(query));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((200, body)) = get(port, &path)
                && let Some(v) = first_value(&body)
                && v >= n as f64
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus scraped too little in 30 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first sample value in a query answer's JSON text.
fn first_value(body: &str) -> Option<f64> {
    // The JSON object, even if the body came in chunks.
    let json = &body[body.find('{')?..=body.rfind('}')?];
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A plain HTTP GET on 127.0.0.1; the status and body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}
