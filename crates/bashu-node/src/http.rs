//! The node's HTTP side, on its own port (`[http] listen`): `/healthz`, `/readyz`,
//! `/metrics` (Prometheus text) and the read-only secretariat console under `/console`.
//!
//! Plain hyper (HTTP/1.1), which tonic already brings: a handful of routes needs no
//! framework. Every response is built here; GET and HEAD only, except the console's
//! lookup form, which is POSTed so that names and ID numbers stay out of URLs and browser
//! history. Bounded: connections, header read time, form body size. Nothing here logs a
//! query string or a form.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

use crate::console::Console;
use crate::node::{NodeError, NodeState, now_ms};

/// Most HTTP connections served at once; further ones are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest form body accepted (the lookup form is three short fields).
const MAX_FORM_BYTES: usize = 4096;

/// `[http]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address the HTTP side listens on, e.g. `127.0.0.1:7250`. Port 0 takes a free port
    /// (tests; the bound address is `Node::http_addr()`). Serve it on loopback or an
    /// operators' network: `/metrics` and the probes carry no secrets, the console checks
    /// a token, but the HTTP side itself is plain HTTP (put a TLS proxy in front of it
    /// when the secretariat reaches it over a network).
    pub listen: SocketAddr,
    /// Optional file of console-only tokens, one per line (mode 0600; `#` starts a
    /// comment). Without it the console admits exactly the callers that may call `Query`:
    /// the bearer tokens of `[[clients]]` with the secretariat or operator role. A token is
    /// presented as `Authorization: Bearer …`, a `?token=` parameter or the `bashu_console`
    /// cookie. `/healthz`, `/readyz`, `/metrics` need none.
    #[serde(default)]
    pub console_token_file: Option<PathBuf>,
    /// The plan's target for high-skill talents (三级/高级工 and above) alliance-wide,
    /// shown against the data on the console: the 融合区 plan's 5,000.
    #[serde(default = "plan_target")]
    pub high_skill_target: u64,
}

fn plan_target() -> u64 {
    5000
}

impl HttpConfig {
    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        if let Some(p) = &mut self.console_token_file {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// Reads the console tokens (one per line, blank lines and `#` comments skipped).
pub(crate) fn read_tokens(path: &Path) -> Result<Vec<String>, NodeError> {
    let text = std::fs::read_to_string(path).map_err(|source| NodeError::ReadFile {
        what: "console token file",
        path: path.display().to_string(),
        source,
    })?;
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if tokens.iter().any(|t| t.len() < 16) {
        return Err(NodeError::Invalid(format!(
            "console token file {}: tokens must be at least 16 characters",
            path.display()
        )));
    }
    Ok(tokens)
}

pub(crate) type Body = Full<Bytes>;

pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    respond(status, "text/plain; charset=utf-8", body.into())
}

pub(crate) fn respond(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    r
}

/// What every request is served from.
struct App {
    state: Arc<NodeState>,
    console: Console,
}

impl App {
    async fn handle(&self, request: Request<Incoming>, remote: &str) -> Response<Body> {
        let path = request.uri().path().to_owned();
        let method = request.method().clone();
        let is_head = method == Method::HEAD;
        let mut response = match (method, path.as_str()) {
            (Method::GET | Method::HEAD, "/healthz") => text(StatusCode::OK, "ok\n"),
            (Method::GET | Method::HEAD, "/readyz") => self.readyz().await,
            (Method::GET | Method::HEAD, "/metrics") => self.metrics().await,
            (Method::GET | Method::HEAD, "/") => {
                let mut r = text(StatusCode::SEE_OTHER, "see /console\n");
                r.headers_mut().insert(
                    header::LOCATION,
                    header::HeaderValue::from_static("/console"),
                );
                r
            }
            (Method::GET | Method::HEAD, p) if p == "/console" || p.starts_with("/console/") => {
                let (parts, _) = request.into_parts();
                self.console.serve(&parts, None, remote).await
            }
            (Method::POST, "/console/cert") => {
                let (parts, body) = request.into_parts();
                match Limited::new(body, MAX_FORM_BYTES).collect().await {
                    Ok(b) => {
                        let form = b.to_bytes();
                        self.console.serve(&parts, Some(&form), remote).await
                    }
                    Err(_) => text(StatusCode::PAYLOAD_TOO_LARGE, "form too large\n"),
                }
            }
            (_, "/healthz" | "/readyz" | "/metrics" | "/console/cert") => {
                let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
                r.headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
                r
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        };
        tracing::debug!(status = response.status().as_u16(), "http answered");
        if is_head {
            *response.body_mut() = Full::new(Bytes::new());
        }
        response
    }

    /// Ready when the store answers and the own log is confirmed (writes are enabled).
    async fn readyz(&self) -> Response<Body> {
        let state = self.state.clone();
        let store_ok = tokio::task::spawn_blocking(move || state.store.log_state(&state.county))
            .await
            .is_ok_and(|r| r.is_ok());
        if !store_ok {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: store unavailable\n",
            );
        }
        if !*self.state.own_log_confirmed.borrow() {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: own log not yet confirmed with a peer\n",
            );
        }
        text(StatusCode::OK, "ready\n")
    }

    async fn metrics(&self) -> Response<Body> {
        let state = self.state.clone();
        let gathered = tokio::task::spawn_blocking(move || {
            crate::federation::gather(&state, now_ms()).map(|f| state.metrics.render(&f))
        })
        .await;
        match gathered {
            Ok(Ok(body)) => respond(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                body,
            ),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "metrics: store unavailable");
                text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n")
            }
            Err(e) => {
                tracing::error!(error = %e, "metrics task failed");
                text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
        }
    }
}

/// Binds `[http] listen` and serves until `shutdown`; returns the bound address and the
/// task (which ends once open connections finished, at most a few seconds later).
pub(crate) async fn start(
    cfg: &crate::http::HttpConfig,
    state: Arc<NodeState>,
    services: crate::services::Services,
    gate: Arc<crate::gate::Gate>,
    shutdown: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>), NodeError> {
    let tokens = match &cfg.console_token_file {
        Some(p) => read_tokens(p)?,
        None => Vec::new(),
    };
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| NodeError::Listen {
            addr: cfg.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| NodeError::Listen {
        addr: cfg.listen,
        source,
    })?;
    let app = Arc::new(App {
        console: Console::new(state.clone(), services, tokens, gate, cfg.high_skill_target),
        state,
    });
    let task = tokio::spawn(serve(listener, app, shutdown));
    tracing::info!(%addr, "http serving: /healthz /readyz /metrics /console");
    Ok((addr, task))
}

async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = async { let _ = shutdown.wait_for(|s| *s).await; } => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off briefly.
                tracing::warn!(error = %e, "http accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "http connection refused: too many open");
            continue;
        };
        let app = app.clone();
        let mut stop = shutdown.clone();
        connections.spawn(
            async move {
                let _slot = slot;
                let remote = peer.to_string();
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let app = app.clone();
                    let remote = remote.clone();
                    let span = tracing::info_span!("http", http.path = %req.uri().path(), http.method = %req.method());
                    async move { Ok::<_, Infallible>(app.handle(req, &remote).await) }
                        .instrument(span)
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "http connection ended");
                        }
                    }
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                    }
                }
            }
            .instrument(tracing::debug_span!("http_conn", %peer)),
        );
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}
