//! Clients of a node's services, for the CLI, tools and tests.
//!
//! A client reaches a node over TLS 1.3 and accepts only the node's pinned certificate;
//! it authenticates per call with a bearer token (`authorization: Bearer …`) and/or a
//! client certificate. [`NodeClient::for_config`] is the operator on the node's own
//! machine: it pins the certificate named in `node.toml` and uses the operator token
//! listed there.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tonic::metadata::{AsciiMetadataValue, BinaryMetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use bashu_proto::v1::admin_client::AdminClient;
use bashu_proto::v1::county_client::CountyClient;
use bashu_proto::v1::query_client::QueryClient;

use crate::auth::{ClientRole, read_token};
use crate::config::NodeConfig;
use crate::tls::{CertPin, PinSet, TlsIdentity};

/// Largest message a client sends or accepts.
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Why a client could not be set up or connect.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(pub String);

/// Adds the caller's credentials (and a stated purpose) to every call.
#[derive(Clone, Default)]
pub struct Credentials {
    authorization: Option<AsciiMetadataValue>,
    purpose: Arc<Mutex<Option<BinaryMetadataValue>>>,
}

impl Interceptor for Credentials {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(a) = &self.authorization {
            req.metadata_mut().insert("authorization", a.clone());
        }
        let purpose = self
            .purpose
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(p) = purpose {
            req.metadata_mut().insert_bin("x-bashu-purpose-bin", p);
        }
        Ok(req)
    }
}

/// A channel whose calls carry [`Credentials`].
pub type AuthChannel = InterceptedService<Channel, Credentials>;

/// How to reach a node.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// TLS: the node's certificate pin, and optionally a client certificate. `None`:
    /// plaintext (a node with `insecure_dev`).
    pub tls: Option<ClientTls>,
    /// A bearer token (the content of a token file).
    pub token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ClientTls {
    /// SHA-256 of the node's certificate (DER).
    pub server_pin: CertPin,
    /// A client certificate to present (a client listed with `cert_sha256`).
    pub identity: Option<TlsIdentity>,
}

/// Connected clients of one node.
#[derive(Clone)]
pub struct NodeClient {
    pub county: CountyClient<AuthChannel>,
    pub query: QueryClient<AuthChannel>,
    pub admin: AdminClient<AuthChannel>,
    credentials: Credentials,
}

impl NodeClient {
    /// Connects in plaintext without credentials (e.g. `http://127.0.0.1:7153`): only a
    /// node with `insecure_dev` answers, and only Exchange calls without a token.
    pub async fn connect(endpoint: String) -> Result<NodeClient, ClientError> {
        NodeClient::connect_with(&endpoint, ClientOptions::default()).await
    }

    /// Connects to `endpoint` as `options` say.
    pub async fn connect_with(
        endpoint: &str,
        options: ClientOptions,
    ) -> Result<NodeClient, ClientError> {
        let tls = match &options.tls {
            None => None,
            Some(t) => Some(
                crate::tls::client_config(
                    t.identity.as_ref(),
                    Arc::new(PinSet(vec![t.server_pin])),
                )
                .map_err(|e| ClientError(e.to_string()))?,
            ),
        };
        let channel = crate::tls::connect_channel(endpoint, tls, None)
            .await
            .map_err(ClientError)?;
        let authorization = match &options.token {
            None => None,
            Some(t) => Some(
                format!("Bearer {}", t.trim())
                    .parse::<AsciiMetadataValue>()
                    .map_err(|_| ClientError("the token is not printable ASCII".into()))?,
            ),
        };
        let credentials = Credentials {
            authorization,
            purpose: Arc::default(),
        };
        let svc = |c: &Credentials| InterceptedService::new(channel.clone(), c.clone());
        Ok(NodeClient {
            county: CountyClient::new(svc(&credentials))
                .max_encoding_message_size(MAX_MESSAGE_BYTES)
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
            query: QueryClient::new(svc(&credentials)).max_decoding_message_size(MAX_MESSAGE_BYTES),
            admin: AdminClient::new(svc(&credentials)).max_decoding_message_size(MAX_MESSAGE_BYTES),
            credentials,
        })
    }

    /// The operator of the node `cfg` describes, on the node's machine: TLS pinned to the
    /// node's own certificate (unless `insecure_dev`), and the token of `token_file`, or
    /// else of the first `operator` client with a `token_file` in the config.
    pub async fn for_config(
        cfg: &NodeConfig,
        token_file: Option<&Path>,
    ) -> Result<NodeClient, ClientError> {
        let token_path = match token_file {
            Some(p) => Some(p.to_owned()),
            None => cfg
                .clients
                .iter()
                .find(|c| c.role == ClientRole::Operator && c.token_file.is_some())
                .and_then(|c| c.token_file.clone()),
        };
        let token = token_path
            .as_deref()
            .map(read_token)
            .transpose()
            .map_err(ClientError)?;
        let tls = if cfg.insecure_dev {
            None
        } else {
            let t = cfg.tls.as_ref().ok_or_else(|| {
                ClientError("the config has no [tls] section and is not insecure_dev".into())
            })?;
            Some(ClientTls {
                server_pin: crate::tls::cert_file_pin(&t.cert)
                    .map_err(|e| ClientError(e.to_string()))?,
                identity: None,
            })
        };
        NodeClient::connect_with(&endpoint_of(cfg), ClientOptions { tls, token }).await
    }

    /// States the purpose (case reference) of the following calls; the node records it
    /// in its audit trail with every query.
    pub fn set_purpose(&self, purpose: Option<&str>) {
        let value = purpose
            .filter(|p| !p.trim().is_empty())
            .map(|p| BinaryMetadataValue::from_bytes(p.trim().as_bytes()));
        *self
            .credentials
            .purpose
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = value;
    }
}

/// The client endpoint of the node a config describes (`https://` unless `insecure_dev`;
/// a wildcard listen address is reached on loopback).
pub fn endpoint_of(cfg: &NodeConfig) -> String {
    let mut addr = cfg.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let scheme = if cfg.insecure_dev { "http" } else { "https" };
    format!("{scheme}://{addr}")
}
