//! Starting, running and stopping a node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use bashu_core::CountyCode;
use bashu_core::entry::{Alliance, SignedGenesis};
use bashu_core::keys::SigningKey;
use bashu_core::person::PseudonymKey;
use bashu_proto::v1::admin_server::AdminServer;
use bashu_proto::v1::county_server::CountyServer;
use bashu_proto::v1::exchange_server::ExchangeServer;
use bashu_proto::v1::query_server::QueryServer;
use bashu_store::{SledStore, Store};
use bashu_sync::{AuthorProgress, LocalAuthor, SyncContext, Trust, pull_from_peer};

use crate::config::{NodeConfig, PeerConfig};
use crate::services::Services;
use crate::transport::GrpcPeer;

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("cannot read {what} {path}: {source}")]
    ReadFile {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("genesis {path} refused: {reason}")]
    Genesis { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot open store at {path}: {reason}")]
    Store { path: String, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Everything the services share.
pub(crate) struct NodeState {
    pub county: CountyCode,
    pub alliance: Arc<Alliance>,
    pub trust: Arc<Trust>,
    pub store: Arc<dyn Store>,
    pub author: LocalAuthor,
    pub pseudonym: PseudonymKey,
    pub peers: Vec<PeerConfig>,
    pub max_chunk: u32,
    pub peer_timeout: Duration,
    /// True once this node's own log is confirmed with a peer (or no confirmation is
    /// needed): only then does it append, so a node restored from an old copy learns its
    /// own later entries first and never forks its own log.
    pub own_log_confirmed: watch::Sender<bool>,
    /// One sync round at a time (scheduled, asked for, or at start).
    pub sync_lock: tokio::sync::Mutex<()>,
    /// The rules' last store snapshot.
    pub snapshots: crate::rules::SnapshotCache,
    /// Counters and gauges for `/metrics`, the console and `Admin.Status`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// This node's TLS identity towards peers; `None` with `insecure_dev` (plaintext).
    pub tls: Option<Arc<crate::tls::TlsIdentity>>,
    /// The audit trail of Query calls (`Admin.Audit`).
    pub audit: Arc<crate::audit::AuditLog>,
    /// Largest message accepted from a peer (`[limits] max_message_bytes`).
    pub max_message_bytes: usize,
}

/// The outcome of one sync session with one peer.
#[derive(Debug, Clone)]
pub struct PeerOutcome {
    pub peer: String,
    pub ok: bool,
    /// Why the session (or parts of it) failed; empty when all went well.
    pub errors: Vec<String>,
    pub received: Vec<AuthorProgress>,
    pub seconds: f64,
}

impl NodeState {
    /// Connects to a peer's Exchange service: over TLS 1.3 presenting this county's
    /// certificate and accepting only the one the alliance pins for the peer's county
    /// (plaintext with `insecure_dev`).
    pub(crate) async fn connect_peer(
        &self,
        peer: &PeerConfig,
    ) -> Result<GrpcPeer, bashu_sync::TransportError> {
        let tls = match &self.tls {
            None => None,
            Some(identity) => {
                let county = CountyCode::parse(&peer.county).map_err(|e| {
                    bashu_sync::TransportError(format!("peer county {}: {e}", peer.county))
                })?;
                let pin = Arc::new(crate::auth::PeerPin {
                    trust: self.trust.clone(),
                    county,
                });
                Some(
                    crate::tls::client_config(Some(identity), pin)
                        .map_err(|e| bashu_sync::TransportError(e.to_string()))?,
                )
            }
        };
        GrpcPeer::connect(peer, self.peer_timeout, tls, self.max_message_bytes).await
    }

    /// Pulls from every configured peer, one after another.
    pub(crate) async fn sync_all(&self) -> Vec<PeerOutcome> {
        let _round = self.sync_lock.lock().await;
        let mut out = Vec::with_capacity(self.peers.len());
        for peer in &self.peers {
            out.push(self.sync_peer(peer).await);
        }
        crate::schedule::log_round_summary(&out);
        out
    }

    async fn sync_peer(&self, peer: &PeerConfig) -> PeerOutcome {
        let span = tracing::info_span!("sync", peer.county = %peer.county);
        self.sync_peer_inner(peer).instrument(span).await
    }

    async fn sync_peer_inner(&self, peer: &PeerConfig) -> PeerOutcome {
        let started = Instant::now();
        let ctx = SyncContext {
            store: self.store.clone(),
            trust: self.trust.clone(),
            witness: Some((self.county.clone(), self.author.key().clone())),
            max_chunk: self.max_chunk,
        };
        let result = match self.connect_peer(peer).await {
            Ok(transport) => {
                let transport = transport
                    .with_identity(self.alliance.genesis().alliance_id.as_str(), &self.county);
                let transport = crate::metrics::Observed::new(
                    transport,
                    &self.metrics,
                    &self.trust,
                    &peer.county,
                );
                pull_from_peer(&transport, &ctx).await
            }
            Err(e) => Err(e.into()),
        };
        if result.is_ok() {
            self.own_log_confirmed.send_replace(true);
        }
        let seconds = started.elapsed().as_secs_f64();
        self.metrics
            .observe_session(&peer.county, &result, seconds, now_ms());
        match result {
            Ok(report) => {
                for (author, at) in &report.equivocations {
                    tracing::error!(author = %author, consistent_up_to = at, "county equivocated; its log is frozen");
                }
                for p in &report.received {
                    tracing::info!(
                        author = %p.author, entries = p.entries, bytes = p.bytes, size = p.size,
                        seconds, "received entries"
                    );
                }
                let errors: Vec<String> = report
                    .failures
                    .iter()
                    .map(|(a, e)| {
                        if a.is_empty() {
                            e.to_string()
                        } else {
                            format!("{a}: {e}")
                        }
                    })
                    .collect();
                for e in &errors {
                    tracing::error!(peer.county = %peer.county, error = %e, "refused data from peer");
                }
                PeerOutcome {
                    peer: peer.county.clone(),
                    ok: errors.is_empty(),
                    errors,
                    received: report.received,
                    seconds,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync with peer failed");
                PeerOutcome {
                    peer: peer.county.clone(),
                    ok: false,
                    errors: vec![e.to_string()],
                    received: Vec::new(),
                    seconds,
                }
            }
        }
    }
}

/// A running node.
pub struct Node {
    state: Arc<NodeState>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    scheduler: Option<JoinHandle<()>>,
    confirmer: Option<JoinHandle<()>>,
    /// The HTTP side (`[http]`): its bound address and task.
    http: Option<(SocketAddr, JoinHandle<()>)>,
    /// The configuration it started with (for [`Node::operator_client`]).
    config: NodeConfig,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn read(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, NodeError> {
    std::fs::read(path).map_err(|source| NodeError::ReadFile {
        what,
        path: path.display().to_string(),
        source,
    })
}

/// Reads and verifies the genesis file.
pub fn load_alliance(path: &std::path::Path) -> Result<Alliance, NodeError> {
    let bytes = read("genesis", path)?;
    let refuse = |reason: String| NodeError::Genesis {
        path: path.display().to_string(),
        reason,
    };
    SignedGenesis::decode(&bytes)
        .map_err(|e| refuse(e.to_string()))?
        .verify()
        .map_err(|e| refuse(e.to_string()))
}

impl Node {
    /// Starts a node from its configuration: verifies the genesis, opens the store, binds
    /// (or takes) the listener, and serves until [`Node::shutdown`].
    pub async fn start(cfg: NodeConfig, listener: Option<TcpListener>) -> Result<Node, NodeError> {
        let county = CountyCode::parse(&cfg.county)
            .map_err(|e| NodeError::Invalid(format!("county in config: {e}")))?;
        let alliance = Arc::new(load_alliance(&cfg.genesis)?);
        let key_text =
            String::from_utf8_lossy(&read("signing key", &cfg.signing_key)?).into_owned();
        let key = SigningKey::from_file_string(&key_text).map_err(|e| {
            NodeError::Invalid(format!("signing key {}: {e}", cfg.signing_key.display()))
        })?;
        let pseudonym_text =
            String::from_utf8_lossy(&read("pseudonym key", &cfg.pseudonym_key)?).into_owned();
        let pseudonym = PseudonymKey::from_file_string(&pseudonym_text).map_err(|e| {
            NodeError::Invalid(format!(
                "pseudonym key {}: {e}",
                cfg.pseudonym_key.display()
            ))
        })?;
        for p in &cfg.peers {
            let pc = CountyCode::parse(&p.county)
                .map_err(|e| NodeError::Invalid(format!("peer county {}: {e}", p.county)))?;
            if pc == county {
                return Err(NodeError::Invalid(format!(
                    "county {pc} lists itself as a peer"
                )));
            }
        }

        let schedule = crate::schedule::Schedule::from_config(&cfg.sync)
            .map_err(|e| NodeError::Invalid(format!("[sync] at: {e}")))?;
        let store_path = cfg.data_dir.join("store");
        let sled = Arc::new(
            SledStore::open(&store_path, cfg.store.cache_mib * 1024 * 1024).map_err(|e| {
                NodeError::Store {
                    path: store_path.display().to_string(),
                    reason: e.to_string(),
                }
            })?,
        );
        let metrics = Arc::new(crate::metrics::Metrics::new(Some(sled.clone())));
        let store: Arc<dyn Store> = sled;
        let trust = Arc::new(
            Trust::load(alliance.genesis().clone(), store.as_ref()).map_err(|e| {
                NodeError::Store {
                    path: store_path.display().to_string(),
                    reason: e.to_string(),
                }
            })?,
        );
        {
            let state = trust.current();
            match state.member(&county) {
                None => tracing::warn!(county = %county,
                    "not (yet) a member of the alliance: other nodes accept this county's entries once its admission is approved"),
                Some(m) if !m.keys.iter().any(|k| k.key == key.public_key()) => {
                    tracing::error!(county = %county, key_id = %key.key_id(),
                        "the configured signing key is not a key the alliance holds for this county; writes will be refused")
                }
                Some(_) => {}
            }
        }
        let security = crate::gate::Security::setup(&cfg, &county, &trust)?;
        let listener = match listener {
            Some(l) => l,
            None => TcpListener::bind(cfg.listen)
                .await
                .map_err(|source| NodeError::Listen {
                    addr: cfg.listen,
                    source,
                })?,
        };
        let addr = listener.local_addr().map_err(|source| NodeError::Listen {
            addr: cfg.listen,
            source,
        })?;

        let needs_confirmation = !cfg.peers.is_empty() && cfg.sync.confirm_own_log_on_start;
        let (own_log_confirmed, _) = watch::channel(!needs_confirmation);
        let state = Arc::new(NodeState {
            author: LocalAuthor::new(
                store.clone(),
                trust.clone(),
                key,
                alliance.genesis().alliance_id.clone(),
                county.clone(),
            ),
            county: county.clone(),
            alliance,
            trust,
            own_log_confirmed,
            sync_lock: tokio::sync::Mutex::new(()),
            snapshots: crate::rules::SnapshotCache::default(),
            metrics: metrics.clone(),
            store,
            pseudonym,
            peers: cfg.peers.clone(),
            max_chunk: cfg.sync.max_chunk.max(1),
            peer_timeout: Duration::from_secs(cfg.sync.peer_timeout_secs.max(1)),
            tls: security.identity.clone(),
            audit: security.audit.clone(),
            max_message_bytes: cfg.limits.max_message_bytes,
        });

        let (shutdown, shutdown_rx) = watch::channel(false);
        let services = Services::new(state.clone());
        // The HTTP side binds before the gRPC server starts, so a bad `[http]` stops the
        // start cleanly.
        let http = match &cfg.http {
            Some(h) => Some(
                crate::http::start(
                    h,
                    state.clone(),
                    services.clone(),
                    security.gate.clone(),
                    shutdown_rx.clone(),
                )
                .await?,
            ),
            None => None,
        };
        // TLS handshakes (pinned certificates) happen in `incoming`; every call then
        // passes the security layer (identity, rate, authorisation, limits, audit).
        let incoming = crate::tls::incoming(
            listener,
            security.server_tls.clone(),
            crate::gate::Security::accept_limits(&cfg.limits),
        );
        let (big, small) = (
            cfg.limits.max_message_bytes,
            cfg.limits.max_query_message_bytes,
        );
        let mut server_rx = shutdown_rx.clone();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .max_concurrent_streams(cfg.limits.max_streams_per_connection.max(1))
                .layer(crate::metrics::RpcLayer::new(metrics))
                .layer(crate::gate::GateLayer(security.gate.clone()))
                .add_service(
                    ExchangeServer::new(services.clone())
                        .max_decoding_message_size(big)
                        .max_encoding_message_size(big),
                )
                .add_service(CountyServer::new(services.clone()).max_decoding_message_size(big))
                .add_service(QueryServer::new(services.clone()).max_decoding_message_size(small))
                .add_service(AdminServer::new(services).max_decoding_message_size(small))
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = server_rx.wait_for(|stop| *stop).await;
                }),
        );

        let confirmer = needs_confirmation.then(|| {
            // Learn this county's own latest checkpoint from a peer before appending.
            let state = state.clone();
            let mut stop = shutdown_rx.clone();
            tokio::spawn(async move {
                let mut wait = Duration::from_millis(200);
                while !*state.own_log_confirmed.borrow() {
                    state.sync_all().await;
                    if *state.own_log_confirmed.borrow() {
                        tracing::info!("own log confirmed with a peer; appending enabled");
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
                    }
                    wait = (wait * 2).min(Duration::from_secs(30));
                }
            })
        });

        let scheduler = schedule
            .filter(|_| !cfg.peers.is_empty())
            .map(|s| tokio::spawn(crate::schedule::run(state.clone(), s, shutdown_rx)));

        tracing::info!(county = %county, %addr, "node serving");
        let mut config = cfg;
        config.listen = addr;
        Ok(Node {
            state,
            addr,
            shutdown,
            server,
            scheduler,
            confirmer,
            http,
            config,
        })
    }

    /// A client of this node as its operator (TLS pinned to its certificate, the operator
    /// token of its config), for tools and tests running beside it.
    pub async fn operator_client(
        &self,
    ) -> Result<crate::client::NodeClient, crate::client::ClientError> {
        crate::client::NodeClient::for_config(&self.config, None).await
    }

    /// The address the HTTP side (`/healthz`, `/readyz`, `/metrics`, `/console`) is bound
    /// to; `None` without an `[http]` section.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(|(addr, _)| *addr)
    }

    /// The address the gRPC server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn county(&self) -> &CountyCode {
        &self.state.county
    }

    /// The node's store (for tests and tools running in the same process).
    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Pulls from every configured peer now.
    pub async fn sync_now(&self) -> Vec<PeerOutcome> {
        self.state.sync_all().await
    }

    /// Asks every peer for its heads now, pulling nothing (what `[sync] probe_secs`
    /// does on a schedule): refreshes the lag gauges of `/metrics` and `bashu status`.
    pub async fn probe_now(&self) {
        self.state.probe_heads().await;
    }

    /// Stops accepting calls, lets in-flight calls (and their durable writes) finish, stops
    /// the scheduler and closes the store.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let http = self.http.map(|(_, task)| task);
        for task in [self.scheduler, self.confirmer, http].into_iter().flatten() {
            let _ = task.await;
        }
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server ended with an error"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        tracing::info!(county = %self.state.county, "node stopped");
    }
}
