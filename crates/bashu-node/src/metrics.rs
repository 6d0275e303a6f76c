//! What a node counts about itself, and its Prometheus text rendering (`/metrics`).
//!
//! [`Metrics`] lives in the node state. The sync path records each session's outcome
//! ([`Metrics::observe_session`]) and, through [`Observed`], the checkpoints each peer
//! announced (for the lag gauges); [`RpcLayer`] times every gRPC call and opens its
//! tracing span. Gauges that the store already knows (log sizes, frozen logs, store size)
//! are read at scrape time by [`crate::federation`]. The text encoder is a few lines by
//! hand: the exposition format is small and stable, and a client library would be a
//! dependency for little.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;

use tracing::Instrument;

use bashu_core::CountyCode;
use bashu_core::entry::verify_checkpoint;
use bashu_store::SledStore;
use bashu_sync::{PeerReport, RawHeads, SyncError, Transport, TransportError};

use crate::federation::FederationFacts;

/// Upper bounds (seconds) of the request latency histogram buckets.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Most distinct method labels kept; calls to further paths count under `other`, so a
/// client cannot grow the metrics without bound.
const MAX_METHODS: usize = 64;

/// The newest checkpoint of one author that a peer announced (signature verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenHead {
    pub size: u64,
    pub signed_at_ms: i64,
    pub peer: String,
}

/// Sync history with one peer.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeerHistory {
    /// Unix seconds of the last session that went through without an error.
    pub last_success: Option<i64>,
    /// Unix seconds of the last session, whatever its outcome.
    pub last_attempt: Option<i64>,
    pub last_error: Option<String>,
    pub sessions_ok: u64,
    pub sessions_failed: u64,
    pub last_seconds: f64,
}

#[derive(Debug, Clone)]
struct Histogram {
    /// Counts per bucket of [`LATENCY_BUCKETS`] (not cumulative), then the overflow.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: [0; LATENCY_BUCKETS.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, secs: f64) {
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i] += 1;
        self.sum += secs;
        self.count += 1;
    }
}

#[derive(Default)]
struct Counters {
    heads: BTreeMap<String, SeenHead>,
    peers: BTreeMap<String, PeerHistory>,
    /// Refused data, by reason.
    verification_failures: BTreeMap<&'static str, u64>,
    equivocations: BTreeMap<String, u64>,
    received_entries: BTreeMap<String, u64>,
    received_bytes: BTreeMap<String, u64>,
    /// (method, gRPC code) → calls.
    rpc_calls: BTreeMap<(String, String), u64>,
    rpc_latency: BTreeMap<String, Histogram>,
}

/// The node's own counters and the last checkpoints peers announced.
pub(crate) struct Metrics {
    counters: Mutex<Counters>,
    /// For the store's size on disk (the in-memory store has none).
    disk: Option<Arc<SledStore>>,
    started: Instant,
}

/// The reason label of a refused piece of data.
fn failure_reason(e: &SyncError) -> &'static str {
    match e {
        SyncError::Transport(_) => "transport",
        SyncError::Checkpoint(_) => "checkpoint_signature",
        SyncError::Entry { .. } => "entry_signature",
        SyncError::OutOfRange { .. } => "out_of_range",
        SyncError::RootMismatch { .. } => "root_mismatch",
        SyncError::Equivocation { .. } => "equivocation",
        SyncError::Evidence(_) => "evidence",
        SyncError::Incomplete { .. } => "incomplete",
        SyncError::Store(_) => "store",
        SyncError::Task(_) => "task",
    }
}

impl Metrics {
    pub(crate) fn new(disk: Option<Arc<SledStore>>) -> Metrics {
        Metrics {
            counters: Mutex::new(Counters::default()),
            disk,
            started: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counters> {
        // A panic while holding the lock leaves counters, never invariants: keep going.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store's size on disk, where there is a disk.
    pub(crate) fn store_bytes(&self) -> Option<u64> {
        self.disk.as_ref().and_then(|s| s.size_on_disk().ok())
    }

    /// Records a checkpoint a peer announced, if it is newer than any seen before.
    fn observe_head(&self, peer: &str, author: &CountyCode, size: u64, signed_at_ms: i64) {
        let mut c = self.lock();
        let seen = c
            .heads
            .entry(author.as_str().to_owned())
            .or_insert(SeenHead {
                size,
                signed_at_ms,
                peer: peer.to_owned(),
            });
        if size > seen.size || (size == seen.size && signed_at_ms > seen.signed_at_ms) {
            *seen = SeenHead {
                size,
                signed_at_ms,
                peer: peer.to_owned(),
            };
        }
    }

    /// Records the outcome of one sync session with `peer`, ended at `now_ms`.
    pub(crate) fn observe_session(
        &self,
        peer: &str,
        result: &Result<PeerReport, SyncError>,
        seconds: f64,
        now_ms: i64,
    ) {
        let mut c = self.lock();
        let now = now_ms / 1000;
        let (ok, error) = match result {
            Ok(report) => {
                for (_, e) in &report.failures {
                    *c.verification_failures
                        .entry(failure_reason(e))
                        .or_default() += 1;
                }
                for (author, _) in &report.equivocations {
                    *c.equivocations.entry(author.clone()).or_default() += 1;
                }
                for p in &report.received {
                    *c.received_entries.entry(p.author.clone()).or_default() += p.entries;
                    *c.received_bytes.entry(p.author.clone()).or_default() += p.bytes;
                }
                let error = report.failures.first().map(|(a, e)| {
                    if a.is_empty() {
                        e.to_string()
                    } else {
                        format!("{a}: {e}")
                    }
                });
                (report.failures.is_empty(), error)
            }
            Err(e) => {
                if !matches!(e, SyncError::Transport(_)) {
                    *c.verification_failures
                        .entry(failure_reason(e))
                        .or_default() += 1;
                }
                (false, Some(e.to_string()))
            }
        };
        let h = c.peers.entry(peer.to_owned()).or_default();
        h.last_attempt = Some(now);
        h.last_seconds = seconds;
        if ok {
            h.last_success = Some(now);
            h.sessions_ok += 1;
            h.last_error = None;
        } else {
            h.sessions_failed += 1;
            h.last_error = error;
        }
    }

    /// Records one finished gRPC call.
    fn observe_rpc(&self, method: &str, code: &str, secs: f64) {
        let mut c = self.lock();
        let method = if c.rpc_latency.contains_key(method) || c.rpc_latency.len() < MAX_METHODS {
            method
        } else {
            "other"
        };
        *c.rpc_calls
            .entry((method.to_owned(), code.to_owned()))
            .or_default() += 1;
        c.rpc_latency
            .entry(method.to_owned())
            .or_insert_with(Histogram::new)
            .observe(secs);
    }

    /// The newest checkpoint seen at a peer, per author.
    pub(crate) fn seen_heads(&self) -> BTreeMap<String, SeenHead> {
        self.lock().heads.clone()
    }

    /// Sync history per peer.
    pub(crate) fn peer_history(&self) -> BTreeMap<String, PeerHistory> {
        self.lock().peers.clone()
    }

    /// The Prometheus text exposition of everything: the counters here and the facts
    /// gathered from the store.
    pub(crate) fn render(&self, facts: &FederationFacts) -> String {
        let c = self.lock();
        let mut t = Text::default();

        t.family("bashu_up", "gauge", "1 while the node runs.");
        t.sample("bashu_up", &[], 1.0);
        t.family(
            "bashu_uptime_seconds",
            "gauge",
            "Seconds since the node started.",
        );
        t.sample(
            "bashu_uptime_seconds",
            &[],
            self.started.elapsed().as_secs_f64(),
        );
        t.family(
            "bashu_own_log_confirmed",
            "gauge",
            "1 once this node confirmed its own log with a peer after starting (writes are enabled).",
        );
        t.sample(
            "bashu_own_log_confirmed",
            &[],
            f64::from(u8::from(facts.own_log_confirmed)),
        );

        t.family(
            "bashu_log_entries",
            "gauge",
            "Entries held of each author's log.",
        );
        for l in &facts.logs {
            t.sample(
                "bashu_log_entries",
                &[("author", l.county.as_str())],
                l.size as f64,
            );
        }
        t.family(
            "bashu_checkpoint_size",
            "gauge",
            "Size of the latest signed checkpoint held for each author.",
        );
        for l in &facts.logs {
            t.sample(
                "bashu_checkpoint_size",
                &[("author", l.county.as_str())],
                l.checkpoint_size as f64,
            );
        }
        t.family(
            "bashu_checkpoint_cosignatures",
            "gauge",
            "Cosignatures held for each author's latest checkpoint.",
        );
        for l in &facts.logs {
            t.sample(
                "bashu_checkpoint_cosignatures",
                &[("author", l.county.as_str())],
                l.cosignatures as f64,
            );
        }
        t.family(
            "bashu_sync_lag_entries",
            "gauge",
            "Entries a peer announced for each author beyond what this node holds (as last seen; 0 when caught up).",
        );
        for l in &facts.logs {
            t.sample(
                "bashu_sync_lag_entries",
                &[("author", l.county.as_str())],
                l.lag_entries as f64,
            );
        }
        t.family(
            "bashu_sync_lag_seconds",
            "gauge",
            "How much older the checkpoint held is than the newest one a peer announced, for each author (0 when caught up).",
        );
        for l in &facts.logs {
            t.sample(
                "bashu_sync_lag_seconds",
                &[("author", l.county.as_str())],
                l.lag_seconds,
            );
        }
        t.family(
            "bashu_log_frozen",
            "gauge",
            "1 when an author's log is frozen after equivocation evidence.",
        );
        for l in &facts.logs {
            t.sample(
                "bashu_log_frozen",
                &[("author", l.county.as_str())],
                f64::from(u8::from(l.frozen_at.is_some())),
            );
        }
        t.family(
            "bashu_equivocation_evidence",
            "gauge",
            "Pieces of equivocation evidence held.",
        );
        t.sample("bashu_equivocation_evidence", &[], facts.evidence as f64);
        t.family(
            "bashu_equivocations_detected_total",
            "counter",
            "Equivocations learnt in sync sessions since start, by author.",
        );
        for (a, n) in &c.equivocations {
            t.sample(
                "bashu_equivocations_detected_total",
                &[("author", a)],
                *n as f64,
            );
        }

        t.family(
            "bashu_sync_received_entries_total",
            "counter",
            "Entries received, verified and committed since start, by author.",
        );
        for (a, n) in &c.received_entries {
            t.sample(
                "bashu_sync_received_entries_total",
                &[("author", a)],
                *n as f64,
            );
        }
        t.family(
            "bashu_sync_received_bytes_total",
            "counter",
            "Bytes of entries received since start, by author.",
        );
        for (a, n) in &c.received_bytes {
            t.sample(
                "bashu_sync_received_bytes_total",
                &[("author", a)],
                *n as f64,
            );
        }
        t.family(
            "bashu_verification_failures_total",
            "counter",
            "Data refused in sync sessions since start, by reason.",
        );
        for (r, n) in &c.verification_failures {
            t.sample(
                "bashu_verification_failures_total",
                &[("reason", r)],
                *n as f64,
            );
        }
        t.family(
            "bashu_sync_sessions_total",
            "counter",
            "Sync sessions since start, by peer and result.",
        );
        for (p, h) in &c.peers {
            t.sample(
                "bashu_sync_sessions_total",
                &[("peer", p), ("result", "ok")],
                h.sessions_ok as f64,
            );
            t.sample(
                "bashu_sync_sessions_total",
                &[("peer", p), ("result", "failed")],
                h.sessions_failed as f64,
            );
        }
        t.family(
            "bashu_peer_last_sync_success_timestamp_seconds",
            "gauge",
            "Unix time of the last sync session with each peer that went through without an error.",
        );
        for (p, h) in &c.peers {
            if let Some(s) = h.last_success {
                t.sample(
                    "bashu_peer_last_sync_success_timestamp_seconds",
                    &[("peer", p)],
                    s as f64,
                );
            }
        }
        t.family(
            "bashu_peer_last_sync_duration_seconds",
            "gauge",
            "How long the last sync session with each peer took.",
        );
        for (p, h) in &c.peers {
            t.sample(
                "bashu_peer_last_sync_duration_seconds",
                &[("peer", p)],
                h.last_seconds,
            );
        }

        t.family(
            "bashu_rpc_requests_total",
            "counter",
            "gRPC calls served, by method and status code.",
        );
        for ((m, code), n) in &c.rpc_calls {
            t.sample(
                "bashu_rpc_requests_total",
                &[("method", m), ("code", code)],
                *n as f64,
            );
        }
        t.family(
            "bashu_rpc_duration_seconds",
            "histogram",
            "Time to answer a gRPC call (for streams: until the response starts), by method.",
        );
        for (m, h) in &c.rpc_latency {
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i];
                t.sample(
                    "bashu_rpc_duration_seconds_bucket",
                    &[("method", m), ("le", &fmt_value(*le))],
                    cumulative as f64,
                );
            }
            t.sample(
                "bashu_rpc_duration_seconds_bucket",
                &[("method", m), ("le", "+Inf")],
                h.count as f64,
            );
            t.sample("bashu_rpc_duration_seconds_sum", &[("method", m)], h.sum);
            t.sample(
                "bashu_rpc_duration_seconds_count",
                &[("method", m)],
                h.count as f64,
            );
        }

        if let Some(bytes) = facts.store_bytes {
            t.family(
                "bashu_store_size_bytes",
                "gauge",
                "Size of the store on disk.",
            );
            t.sample("bashu_store_size_bytes", &[], bytes as f64);
        }
        t.0
    }
}

/// A Prometheus sample value: integers without a fraction, infinities as `+Inf`/`-Inf`.
fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The text exposition format, version 0.0.4.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.0, "{k}=\"{v}\"");
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {}", fmt_value(value));
    }
}

// ---------------------------------------------------------------------------------------
// The sync path: what peers announce.

/// A [`Transport`] that records, for the lag gauges, every checkpoint the peer announces
/// whose author signature verifies under the alliance state (a peer cannot inflate the
/// lag with forged heads).
pub(crate) struct Observed<'a, T> {
    inner: T,
    metrics: &'a Metrics,
    trust: &'a bashu_sync::Trust,
    peer: &'a str,
}

impl<'a, T> Observed<'a, T> {
    pub(crate) fn new(
        inner: T,
        metrics: &'a Metrics,
        trust: &'a bashu_sync::Trust,
        peer: &'a str,
    ) -> Self {
        Observed {
            inner,
            metrics,
            trust,
            peer,
        }
    }

    fn record(&self, heads: &RawHeads) {
        let state = self.trust.current();
        for h in &heads.heads {
            if let Ok(cp) = verify_checkpoint(h.bytes.clone(), h.signature.clone(), state.as_ref())
            {
                let cp = cp.checkpoint();
                self.metrics
                    .observe_head(self.peer, &cp.author, cp.size, cp.signed_at_ms);
            }
        }
    }
}

impl<T: Transport> Transport for Observed<'_, T> {
    type Chunks = T::Chunks;

    async fn heads(&self) -> Result<RawHeads, TransportError> {
        let heads = self.inner.heads().await?;
        self.record(&heads);
        Ok(heads)
    }

    fn pull(
        &self,
        author: &CountyCode,
        from_seq: u64,
        to_seq: u64,
        max_chunk: u32,
    ) -> impl Future<Output = Result<Self::Chunks, TransportError>> + Send {
        self.inner.pull(author, from_seq, to_seq, max_chunk)
    }
}

// ---------------------------------------------------------------------------------------
// The gRPC side: a span and a latency observation per call.

/// A tower layer for the gRPC server: one `rpc` span per call (method and status code as
/// fields) and one latency observation per call.
#[derive(Clone)]
pub(crate) struct RpcLayer {
    metrics: Arc<Metrics>,
}

impl RpcLayer {
    pub(crate) fn new(metrics: Arc<Metrics>) -> RpcLayer {
        RpcLayer { metrics }
    }
}

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcService<S>;

    fn layer(&self, inner: S) -> RpcService<S> {
        RpcService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RpcService<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

/// The status code of a response: the `grpc-status` header of a trailers-only (error)
/// answer, else OK (a stream's final status travels in trailers, after this point).
fn grpc_code<B>(response: &http::Response<B>) -> String {
    match response.headers().get("grpc-status") {
        Some(v) => format!("{:?}", tonic::Code::from_bytes(v.as_bytes())),
        None => "Ok".to_owned(),
    }
}

impl<S, B, RB> tower::Service<http::Request<B>> for RpcService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    RB: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "rpc",
            rpc.method = %method,
            rpc.code = tracing::field::Empty,
            rpc.seconds = tracing::field::Empty
        );
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        let metrics = self.metrics.clone();
        let started = Instant::now();
        Box::pin(
            async move {
                let result = future.await;
                let secs = started.elapsed().as_secs_f64();
                let code = match &result {
                    Ok(r) => grpc_code(r),
                    Err(_) => "TransportError".to_owned(),
                };
                metrics.observe_rpc(&method, &code, secs);
                let span = tracing::Span::current();
                span.record("rpc.code", code.as_str());
                span.record("rpc.seconds", secs);
                tracing::debug!("rpc answered");
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_formatted_for_prometheus() {
        assert_eq!(fmt_value(3.0), "3");
        assert_eq!(fmt_value(0.25), "0.25");
        assert_eq!(fmt_value(f64::INFINITY), "+Inf");
        assert_eq!(fmt_value(f64::NAN), "NaN");
        assert_eq!(fmt_value(-2.0), "-2");
    }

    #[test]
    fn labels_are_escaped() {
        let mut t = Text::default();
        t.sample("x", &[("a", "q\"b\\n\nl")], 1.0);
        assert_eq!(t.0, "x{a=\"q\\\"b\\\\n\\nl\"} 1\n");
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_bounded() {
        let m = Metrics::new(None);
        m.observe_rpc("/bashu.v1.Query/FindCertificate", "Ok", 0.003);
        m.observe_rpc("/bashu.v1.Query/FindCertificate", "Ok", 100.0);
        for i in 0..(MAX_METHODS + 10) {
            m.observe_rpc(&format!("/x/{i}"), "Unimplemented", 0.0);
        }
        let text = m.render(&FederationFacts::default());
        assert!(text.contains(
            "bashu_rpc_duration_seconds_bucket{method=\"/bashu.v1.Query/FindCertificate\",le=\"0.0025\"} 0\n"
        ));
        assert!(text.contains(
            "bashu_rpc_duration_seconds_bucket{method=\"/bashu.v1.Query/FindCertificate\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "bashu_rpc_duration_seconds_bucket{method=\"/bashu.v1.Query/FindCertificate\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains("bashu_rpc_duration_seconds_count{method=\"other\"}"));
        let methods = text
            .lines()
            .filter(|l| l.starts_with("bashu_rpc_duration_seconds_count"))
            .count();
        assert_eq!(methods, MAX_METHODS + 1);
    }

    #[test]
    fn newest_head_wins() {
        let m = Metrics::new(None);
        let a = bashu_core::CountyCode::parse("500153").unwrap_or_else(|e| panic!("{e}"));
        m.observe_head("510521", &a, 10, 5);
        m.observe_head("511083", &a, 8, 9);
        m.observe_head("511083", &a, 10, 7);
        let seen = m.seen_heads();
        assert_eq!(
            seen.get("500153"),
            Some(&SeenHead {
                size: 10,
                signed_at_ms: 7,
                peer: "511083".into()
            })
        );
    }
}
