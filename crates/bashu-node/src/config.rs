//! The node's configuration file (`node.toml`). Every field is documented here and in
//! the example configs `deploy/counties/*.toml` (a test loads them); relative paths are
//! resolved against the file's directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `node.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's county: the 6-digit administrative division code (行政区划代码).
    pub county: String,
    /// The alliance genesis file, signed by every founder.
    pub genesis: PathBuf,
    /// This county's ed25519 signing key (`ed25519:<hex>`, mode 0600).
    pub signing_key: PathBuf,
    /// The alliance pseudonym key for person keys (`pseudonym:<hex>`, mode 0600).
    pub pseudonym_key: PathBuf,
    /// Directory of the node's store (created if absent).
    pub data_dir: PathBuf,
    /// Address the gRPC server listens on, e.g. `127.0.0.1:7153`.
    pub listen: SocketAddr,
    /// Storage settings.
    #[serde(default)]
    pub store: StoreConfig,
    /// Replication settings.
    #[serde(default)]
    pub sync: SyncConfig,
    /// The peers this node pulls from. Any peer serves every county's log it holds.
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
    /// The HTTP side (`/healthz`, `/readyz`, `/metrics`, the secretariat console); absent:
    /// no HTTP listener.
    #[serde(default)]
    pub http: Option<crate::http::HttpConfig>,
    /// Plaintext gRPC without TLS, peers unauthenticated (clients still need tokens):
    /// for development on loopback only (`bashu alliance init --insecure-dev`). The node
    /// logs a warning at start.
    #[serde(default)]
    pub insecure_dev: bool,
    /// This county's TLS identity, pinned in the genesis (or the admission decision).
    /// Required unless `insecure_dev`.
    #[serde(default)]
    pub tls: Option<crate::tls::TlsConfig>,
    /// The clients of this node (HR system, secretariat, operator) and their roles.
    /// Peers need no entry: their certificates are pinned by the alliance.
    #[serde(default)]
    pub clients: Vec<crate::auth::ClientEntry>,
    /// Limits on inbound calls.
    #[serde(default)]
    pub limits: crate::limits::LimitsConfig,
    /// When audit records are flushed to disk.
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Page cache of the embedded store, in MiB. Bounds the node's memory.
    pub cache_mib: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { cache_mib: 128 }
    }
}

/// `[sync]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Pull from every peer this often, in seconds; 0 turns the schedule off (sync then
    /// runs only when asked: `bashu sync`).
    pub interval_secs: u64,
    /// Most entries per streamed chunk (each chunk is verified and committed on its own).
    pub max_chunk: u32,
    /// Seconds to wait for a peer to answer before giving up on it for this round.
    pub peer_timeout_secs: u64,
    /// Before appending to its own log after a start, pull from a peer so that a node
    /// restored from an old copy learns its own later entries first (no self-fork).
    /// Writes wait until one peer answered. Only for a node without peers is it moot.
    #[serde(default = "yes")]
    pub confirm_own_log_on_start: bool,
    /// Also sync every day at this local time, `"HH:MM"` in China Standard Time (UTC+8,
    /// no daylight saving), e.g. `"02:30"` for the nightly sync after the HR exports.
    /// Absent: no daily sync (the interval, if any, still runs).
    #[serde(default)]
    pub at: Option<String>,
    /// The daily sync starts up to this many seconds after `at` (chosen at random each
    /// day), so that the counties of the alliance do not all pull at the same second.
    #[serde(default)]
    pub jitter_secs: u64,
    /// Ask every peer for its heads (a few kilobytes, nothing is pulled) this often, in
    /// seconds, so that `/metrics` and `bashu status` show how far behind this node is
    /// between syncs. 0 (the default): the lag is known only from syncs.
    #[serde(default)]
    pub probe_secs: u64,
}

fn yes() -> bool {
    true
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            interval_secs: 3600,
            max_chunk: 1024,
            peer_timeout_secs: 30,
            confirm_own_log_on_start: true,
            at: None,
            jitter_secs: 0,
            probe_secs: 0,
        }
    }
}

/// `[[peers]]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's county code.
    pub county: String,
    /// The peer's gRPC endpoint, e.g. `http://127.0.0.1:7521`.
    pub endpoint: String,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid node config: {message}")]
    Parse { path: PathBuf, message: String },
}

impl NodeConfig {
    /// Reads `path` and resolves relative paths against its directory.
    pub fn load(path: &Path) -> Result<NodeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut cfg: NodeConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut cfg.genesis,
            &mut cfg.signing_key,
            &mut cfg.pseudonym_key,
            &mut cfg.data_dir,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if let Some(http) = &mut cfg.http {
            http.resolve_paths(base);
        }
        if let Some(tls) = &mut cfg.tls {
            tls.resolve_paths(base);
        }
        for c in &mut cfg.clients {
            c.resolve_paths(base);
        }
        if let Some(at) = &cfg.sync.at {
            crate::schedule::TimeOfDay::parse(at).map_err(|message| ConfigError::Parse {
                path: path.to_owned(),
                message: format!("[sync] at: {message}"),
            })?;
        }
        Ok(cfg)
    }
}
