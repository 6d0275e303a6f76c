//! Who is calling, and what each caller may call: deny by default.
//!
//! A caller is identified once per call, from the connection and the call's metadata:
//! - a **peer node** by the TLS client certificate it proved, when that certificate is
//!   pinned for a current member of the alliance (genesis or admission decision);
//! - a **client** listed in `[[clients]]` by its client certificate (`cert_sha256`) or by a
//!   bearer token (`authorization: Bearer <token>`, the token read from `token_file`;
//!   the node keeps only the token's SHA-256).
//!
//! | role | may call |
//! |---|---|
//! | peer node | `bashu.v1.Exchange/*` only |
//! | county writer | `bashu.v1.County/*`, and only when bound to this node's county |
//! | secretariat | `bashu.v1.Query/*` |
//! | operator | `bashu.v1.Admin/*`, `bashu.v1.Query/*`, `bashu.v1.County/*` |
//!
//! Anything else (another service, a caller without credentials, an unknown token) is
//! refused. A peer can serve other counties' entries but never author them: no Exchange
//! method writes, and nothing but the County and Admin services appends to this node's
//! own log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tonic::Status;

use bashu_core::CountyCode;
use bashu_sync::Trust;

use crate::tls::{CertPin, PinPolicy};

/// A client's role, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientRole {
    /// A county HR system: writes its own county's records (County service).
    CountyWriter,
    /// The alliance secretariat: reads (Query service).
    Secretariat,
    /// The node's operator: Admin, Query and County.
    Operator,
}

/// What a caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Peer,
    CountyWriter,
    Secretariat,
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Peer => "peer",
            Role::CountyWriter => "county-writer",
            Role::Secretariat => "secretariat",
            Role::Operator => "operator",
        }
    }
}

impl From<ClientRole> for Role {
    fn from(r: ClientRole) -> Role {
        match r {
            ClientRole::CountyWriter => Role::CountyWriter,
            ClientRole::Secretariat => Role::Secretariat,
            ClientRole::Operator => Role::Operator,
        }
    }
}

/// `[[clients]]` in `node.toml`: one client of this node.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    /// The client's name, as logs and the audit trail show it (e.g. `operator`,
    /// `secretariat`, `hr-500153`). Unique in the file.
    pub name: String,
    /// `county-writer`, `secretariat` or `operator`.
    pub role: ClientRole,
    /// For a county writer: the county whose records it writes. A writer bound to another
    /// county than this node's is refused (PERMISSION_DENIED) on every write.
    #[serde(default)]
    pub county: Option<String>,
    /// A file holding the client's bearer token (mode 0600; `bashu alliance init` writes
    /// `operator.token` and `secretariat.token`).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// SHA-256 (hex) of the client's TLS certificate (DER), for a client that
    /// authenticates with a certificate (`bashu keys tls` prints it).
    #[serde(default)]
    pub cert_sha256: Option<String>,
}

impl ClientEntry {
    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        if let Some(p) = &mut self.token_file {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// An identified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `peer:<county>` for a peer node, the configured name for a client.
    pub name: String,
    pub role: Role,
    /// A peer's county, or the county a writer is bound to.
    pub county: Option<CountyCode>,
}

/// The bearer token format written by `bashu alliance init`: `bashu-token:<64 hex>`.
pub const TOKEN_PREFIX: &str = "bashu-token:";

/// Reads a token file (first line, trimmed).
pub fn read_token(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read token file {}: {e}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    if token.len() < 16 {
        return Err(format!("token file {} holds no token", path.display()));
    }
    Ok(token)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Why the client list could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("[[clients]] {name}: {reason}")]
pub struct ClientsError {
    pub name: String,
    pub reason: String,
}

/// Identifies callers and decides what they may call.
pub(crate) struct Authority {
    county: CountyCode,
    trust: Arc<Trust>,
    tokens: HashMap<[u8; 32], Caller>,
    certs: HashMap<CertPin, Caller>,
    /// Plaintext development mode: callers without credentials are taken for peers.
    insecure_dev: bool,
}

impl Authority {
    pub(crate) fn new(
        county: CountyCode,
        trust: Arc<Trust>,
        clients: &[ClientEntry],
        insecure_dev: bool,
    ) -> Result<Authority, ClientsError> {
        let mut tokens = HashMap::new();
        let mut certs = HashMap::new();
        let mut names = std::collections::BTreeSet::new();
        for c in clients {
            let err = |reason: String| ClientsError {
                name: c.name.clone(),
                reason,
            };
            if c.name.trim().is_empty() || c.name.starts_with("peer:") {
                return Err(err("a client needs a name (not starting with peer:)".into()));
            }
            if !names.insert(c.name.clone()) {
                return Err(err("name given twice".into()));
            }
            let bound = match (&c.role, &c.county) {
                (ClientRole::CountyWriter, Some(code)) => {
                    Some(CountyCode::parse(code).map_err(|e| err(format!("county: {e}")))?)
                }
                (ClientRole::CountyWriter, None) => {
                    return Err(err("a county-writer needs `county`".into()));
                }
                (_, Some(_)) => return Err(err("only a county-writer has a `county`".into())),
                (_, None) => None,
            };
            if let Some(b) = &bound {
                if *b != county {
                    tracing::warn!(client = %c.name, bound = %b, node = %county,
                        "county writer bound to another county: its writes will be refused");
                }
            }
            let caller = Caller {
                name: c.name.clone(),
                role: c.role.into(),
                county: bound,
            };
            if c.token_file.is_none() && c.cert_sha256.is_none() {
                return Err(err("give token_file or cert_sha256".into()));
            }
            if let Some(path) = &c.token_file {
                let token = read_token(path).map_err(err)?;
                if tokens.insert(token_hash(&token), caller.clone()).is_some() {
                    return Err(err("the same token is configured twice".into()));
                }
            }
            if let Some(hex_pin) = &c.cert_sha256 {
                let pin: CertPin = hex::decode(hex_pin.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| err("cert_sha256 is not 64 hex digits".into()))?;
                certs.insert(pin, caller);
            }
        }
        Ok(Authority {
            county,
            trust,
            tokens,
            certs,
            insecure_dev,
        })
    }

    /// The current member whose pinned certificate this is.
    fn member_with(&self, pin: &CertPin) -> Option<CountyCode> {
        let state = self.trust.current();
        state
            .members
            .values()
            .find(|m| m.removed_from.is_none() && m.tls_cert_sha256.as_slice() == pin)
            .map(|m| m.county.clone())
    }

    /// Who is calling: a bearer token decides when present (an unknown one is refused,
    /// never ignored); else the client certificate; else nobody.
    pub(crate) fn identify(
        &self,
        client_cert: Option<&CertPin>,
        authorization: Option<&http::HeaderValue>,
    ) -> Result<Option<Caller>, Status> {
        if let Some(value) = authorization {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    Status::unauthenticated("malformed authorization header / 授权头格式错误")
                })?;
            return match self.tokens.get(&token_hash(token)) {
                Some(c) => Ok(Some(c.clone())),
                None => Err(Status::unauthenticated("unknown token / 令牌无效")),
            };
        }
        if let Some(pin) = client_cert {
            if let Some(county) = self.member_with(pin) {
                return Ok(Some(Caller {
                    name: format!("peer:{county}"),
                    role: Role::Peer,
                    county: Some(county),
                }));
            }
            if let Some(c) = self.certs.get(pin) {
                return Ok(Some(c.clone()));
            }
            // Pinned at the handshake but no longer (a member removed since): nobody.
            return Ok(None);
        }
        if self.insecure_dev {
            return Ok(Some(Caller {
                name: "peer:insecure-dev".into(),
                role: Role::Peer,
                county: None,
            }));
        }
        Ok(None)
    }

    /// Whether `caller` may call `path` (`/bashu.v1.Service/Method`).
    pub(crate) fn authorise(&self, caller: &Caller, path: &str) -> Result<(), Status> {
        let service = service_of(path);
        if !allowed_roles(service).contains(&caller.role) {
            return Err(Status::permission_denied(format!(
                "{} may not call {service} / 无权调用该服务",
                caller.role.as_str()
            )));
        }
        if service == "bashu.v1.County" && caller.role == Role::CountyWriter {
            match &caller.county {
                Some(c) if *c == self.county => {}
                Some(c) => {
                    return Err(Status::permission_denied(format!(
                        "a writer of {c} may not write into {}'s node / {c} 的写入方不得写入 {} 节点",
                        self.county, self.county
                    )));
                }
                None => return Err(Status::permission_denied("writer without a county")),
            }
        }
        Ok(())
    }
}

/// `bashu.v1.Query` of `/bashu.v1.Query/FindCertificate`.
pub(crate) fn service_of(path: &str) -> &str {
    path.trim_start_matches('/')
        .split_once('/')
        .map_or("", |(s, _)| s)
}

/// The roles that may call a service: the whole authorisation table.
pub(crate) fn allowed_roles(service: &str) -> &'static [Role] {
    match service {
        "bashu.v1.Exchange" => &[Role::Peer],
        "bashu.v1.County" => &[Role::CountyWriter, Role::Operator],
        "bashu.v1.Query" => &[Role::Secretariat, Role::Operator],
        "bashu.v1.Admin" => &[Role::Operator],
        _ => &[],
    }
}

/// The TLS client certificates a node's server accepts: pinned for a current member of
/// the alliance (peers), or configured for a client.
pub(crate) struct NodeClientPins {
    pub trust: Arc<Trust>,
    pub clients: Vec<CertPin>,
}

impl std::fmt::Debug for NodeClientPins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "NodeClientPins(members + {} clients)",
            self.clients.len()
        )
    }
}

impl PinPolicy for NodeClientPins {
    fn accepts(&self, pin: &CertPin) -> bool {
        self.clients.contains(pin)
            || self
                .trust
                .current()
                .members
                .values()
                .any(|m| m.removed_from.is_none() && m.tls_cert_sha256.as_slice() == pin)
    }
}

/// The certificate a node accepts from the peer it pulls from: the one pinned for that
/// peer's county, as the alliance state says now.
pub(crate) struct PeerPin {
    pub trust: Arc<Trust>,
    pub county: CountyCode,
}

impl std::fmt::Debug for PeerPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PeerPin({})", self.county)
    }
}

impl PinPolicy for PeerPin {
    fn accepts(&self, pin: &CertPin) -> bool {
        self.trust
            .current()
            .members
            .get(&self.county)
            .is_some_and(|m| m.removed_from.is_none() && m.tls_cert_sha256.as_slice() == pin)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_table_denies_by_default() {
        assert_eq!(
            service_of("/bashu.v1.Query/FindCertificate"),
            "bashu.v1.Query"
        );
        assert_eq!(
            service_of("/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health"
        );
        assert_eq!(service_of("nonsense"), "");
        assert!(allowed_roles("grpc.health.v1.Health").is_empty());
        assert!(allowed_roles("").is_empty());
        assert_eq!(allowed_roles("bashu.v1.Exchange"), &[Role::Peer]);
        assert!(!allowed_roles("bashu.v1.Admin").contains(&Role::Secretariat));
        assert!(!allowed_roles("bashu.v1.County").contains(&Role::Secretariat));
        assert!(!allowed_roles("bashu.v1.County").contains(&Role::Peer));
        assert!(!allowed_roles("bashu.v1.Query").contains(&Role::CountyWriter));
        assert!(!allowed_roles("bashu.v1.Query").contains(&Role::Peer));
    }
}
