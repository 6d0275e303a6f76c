//! TLS 1.3 between nodes and towards clients, with certificates pinned by SHA-256.
//!
//! Each county has one self-signed certificate (its TLS identity, made by
//! `bashu keys tls` or `bashu alliance init`). The alliance pins it: the SHA-256 of the
//! certificate's DER is in the genesis (`Member.tls_cert_sha256`) or in the decision that
//! admitted the county. There is no certificate authority: a peer is accepted when its
//! certificate is exactly a pinned one, is within its validity period, is self-signed by
//! the key it carries, and the handshake proves possession of that key.
//!
//! - Server side: a node asks every client for a certificate but does not require one.
//!   A presented certificate must be pinned (a current member, or a client listed in
//!   `[[clients]] cert_sha256`), otherwise the handshake fails. Clients without a
//!   certificate authenticate per call with a bearer token (see `auth.rs`).
//! - Client side: a node connecting to a peer accepts only the certificate pinned for
//!   that peer's county; the CLI accepts only its own node's certificate.
//!
//! Only TLS 1.3, only the ring provider, ALPN `h2`. The handshake runs off the accept
//! loop, bounded by a timeout and a connection limit.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

pub use rustls::{ClientConfig, ServerConfig};

/// SHA-256 of a certificate's DER: what the alliance pins.
pub type CertPin = [u8; 32];

/// The SHA-256 pin of a DER certificate.
pub fn cert_pin(der: &[u8]) -> CertPin {
    Sha256::digest(der).into()
}

/// `[tls]` in `node.toml`: this node's TLS identity.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The county's certificate (PEM), whose SHA-256 the alliance pins.
    pub cert: PathBuf,
    /// Its private key (PEM, PKCS#8; mode 0600).
    pub key: PathBuf,
}

impl TlsConfig {
    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        for p in [&mut self.cert, &mut self.key] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// Why a TLS identity or configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: {reason}")]
    Pem { path: PathBuf, reason: String },
    #[error("cannot generate a TLS identity: {0}")]
    Generate(String),
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// A certificate and its private key.
pub struct TlsIdentity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TlsIdentity({})", hex::encode(self.pin()))
    }
}

impl Clone for TlsIdentity {
    fn clone(&self) -> Self {
        TlsIdentity {
            cert: self.cert.clone(),
            key: self.key.clone_key(),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The pin of the certificate in a PEM file.
pub fn cert_file_pin(path: &Path) -> Result<CertPin, TlsError> {
    let pem = read(path)?;
    let cert = CertificateDer::from_pem_slice(&pem).map_err(|e| TlsError::Pem {
        path: path.to_owned(),
        reason: format!("not a PEM certificate: {e}"),
    })?;
    Ok(cert_pin(&cert))
}

impl TlsIdentity {
    /// Reads a PEM certificate and a PEM private key.
    pub fn load(cert: &Path, key: &Path) -> Result<TlsIdentity, TlsError> {
        let cert_pem = read(cert)?;
        let key_pem = read(key)?;
        let c = CertificateDer::from_pem_slice(&cert_pem).map_err(|e| TlsError::Pem {
            path: cert.to_owned(),
            reason: format!("not a PEM certificate: {e}"),
        })?;
        let k = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Pem {
            path: key.to_owned(),
            reason: format!("not a PEM private key: {e}"),
        })?;
        Ok(TlsIdentity { cert: c, key: k })
    }

    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<TlsIdentity, TlsError> {
        let pem = |reason: String| TlsError::Pem {
            path: PathBuf::from("<memory>"),
            reason,
        };
        Ok(TlsIdentity {
            cert: CertificateDer::from_pem_slice(cert_pem.as_bytes())
                .map_err(|e| pem(e.to_string()))?,
            key: PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
                .map_err(|e| pem(e.to_string()))?,
        })
    }

    /// The SHA-256 of the certificate: what the alliance pins.
    pub fn pin(&self) -> CertPin {
        cert_pin(&self.cert)
    }
}

/// A freshly generated TLS identity.
#[derive(Clone)]
pub struct GeneratedIdentity {
    pub cert_pem: String,
    pub key_pem: String,
    pub pin: CertPin,
}

impl fmt::Debug for GeneratedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GeneratedIdentity({})", hex::encode(self.pin))
    }
}

/// Validity of a generated certificate, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: u64,
    pub not_after: u64,
}

impl Validity {
    /// From a day ago (clock skew between counties) for `days` days.
    pub fn days_from(now_unix: u64, days: u64) -> Validity {
        Validity {
            not_before: now_unix.saturating_sub(86_400),
            not_after: now_unix.saturating_add(days.saturating_mul(86_400)),
        }
    }
}

/// A new self-signed ECDSA P-256 certificate for `subject` (a county code, or a client's
/// name), usable as server and as client certificate.
pub fn generate_identity(subject: &str, validity: Validity) -> Result<GeneratedIdentity, TlsError> {
    let err = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let dns: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut params =
        rcgen::CertificateParams::new(vec![format!("{dns}.bashu.invalid")]).map_err(err)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, format!("bashu {subject}"));
    params.distinguished_name = dn;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + Duration::from_secs(validity.not_before);
    params.not_after = epoch + Duration::from_secs(validity.not_after);
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.self_signed(&key).map_err(err)?;
    Ok(GeneratedIdentity {
        pin: cert_pin(cert.der()),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

// ---------------------------------------------------------------------------------------
// Verification against pins

/// Which certificates a verifier accepts, asked at every handshake (so pins learnt from a
/// new alliance decision apply at the next connection).
pub trait PinPolicy: Send + Sync + fmt::Debug {
    fn accepts(&self, pin: &CertPin) -> bool;
}

/// A fixed set of pins.
#[derive(Debug, Clone, Default)]
pub struct PinSet(pub Vec<CertPin>);

impl PinPolicy for PinSet {
    fn accepts(&self, pin: &CertPin) -> bool {
        self.0.contains(pin)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

fn webpki_error(e: webpki::Error) -> rustls::Error {
    let c = match e {
        webpki::Error::CertExpired { .. } | webpki::Error::InvalidCertValidity => {
            CertificateError::Expired
        }
        webpki::Error::CertNotValidYet { .. } => CertificateError::NotValidYet,
        webpki::Error::BadDer | webpki::Error::BadDerTime => CertificateError::BadEncoding,
        webpki::Error::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        _ => CertificateError::ApplicationVerificationFailure,
    };
    rustls::Error::InvalidCertificate(c)
}

/// The pin must be accepted; then the certificate must be well-formed, self-signed by its
/// own key (it is its own trust anchor), within its validity at `now`, and fit `usage`.
fn verify_pinned(
    end_entity: &CertificateDer<'_>,
    now: UnixTime,
    pins: &dyn PinPolicy,
    algs: &WebPkiSupportedAlgorithms,
    usage: webpki::KeyUsage,
    side: &'static str,
) -> Result<(), rustls::Error> {
    let pin = cert_pin(end_entity);
    if !pins.accepts(&pin) {
        tracing::warn!(
            side,
            cert_sha256 = %hex::encode(pin),
            "tls certificate is not pinned by the alliance or this node; refused"
        );
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ));
    }
    let anchor = webpki::anchor_from_trusted_cert(end_entity).map_err(webpki_error)?;
    let cert = webpki::EndEntityCert::try_from(end_entity).map_err(webpki_error)?;
    cert.verify_for_usage(algs.all, &[anchor], &[], now, usage, None, None)
        .map_err(|e| {
            tracing::warn!(side, cert_sha256 = %hex::encode(pin), error = %e,
                "pinned tls certificate refused");
            webpki_error(e)
        })?;
    Ok(())
}

/// Accepts client certificates the policy pins; lets clients without one through (they
/// need a bearer token per call).
#[derive(Debug)]
struct PinnedClients {
    pins: Arc<dyn PinPolicy>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClients {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        verify_pinned(
            end_entity,
            now,
            self.pins.as_ref(),
            &self.algs,
            webpki::KeyUsage::client_auth(),
            "client",
        )?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// Accepts exactly the server certificates the policy pins; the server name is not used
/// (the pin names the county).
#[derive(Debug)]
struct PinnedServer {
    pins: Arc<dyn PinPolicy>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        verify_pinned(
            end_entity,
            now,
            self.pins.as_ref(),
            &self.algs,
            webpki::KeyUsage::server_auth(),
            "server",
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

const ALPN_H2: &[u8] = b"h2";

/// A server configuration: TLS 1.3 only, this identity, client certificates optional
/// but, when presented, pinned by `clients`.
pub fn server_config(
    identity: &TlsIdentity,
    clients: Arc<dyn PinPolicy>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let verifier = Arc::new(PinnedClients {
        pins: clients,
        algs: algorithms(),
    });
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert.clone()], identity.key.clone_key())
        .map_err(|e| TlsError::Config(e.to_string()))?;
    cfg.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(cfg))
}

/// A client configuration: TLS 1.3 only, the server must present a certificate `server`
/// pins; this side presents `identity` when given.
pub fn client_config(
    identity: Option<&TlsIdentity>,
    server: Arc<dyn PinPolicy>,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let verifier = Arc::new(PinnedServer {
        pins: server,
        algs: algorithms(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut cfg = match identity {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert.clone()], id.key.clone_key())
            .map_err(|e| TlsError::Config(e.to_string()))?,
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(cfg))
}

// ---------------------------------------------------------------------------------------
// Accepting connections

/// What the server knows about a connection: where it comes from and, over TLS, the pin
/// of the client certificate it proved (if any). Every request carries it.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote: Option<SocketAddr>,
    pub client_cert: Option<CertPin>,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// An accepted connection (plaintext only with `insecure_dev`). Holds a slot of the
/// connection limit until it closes.
pub struct Conn {
    io: Io,
    info: ConnInfo,
    _slot: OwnedSemaphorePermit,
}

impl Connected for Conn {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        self.info.clone()
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Bounds on accepting connections.
#[derive(Debug, Clone, Copy)]
pub struct AcceptLimits {
    /// Open connections at most; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// A TLS handshake that takes longer is dropped.
    pub handshake_timeout: Duration,
}

/// The stream of accepted connections for tonic's `serve_with_incoming*`: accepts on
/// `listener`, runs each TLS handshake in its own task (bounded by the timeout), and
/// yields only connections whose handshake succeeded. Ends when the server drops it.
pub fn incoming(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: AcceptLimits,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel::<io::Result<Conn>>(64);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let slot = tokio::select! {
                s = slots.clone().acquire_owned() => match s { Ok(s) => s, Err(_) => return },
                _ = tx.closed() => return,
            };
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = tx.closed() => return,
            };
            let (tcp, remote) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    // Out of descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let Some(acceptor) = acceptor.clone() else {
                let conn = Conn {
                    io: Io::Plain(tcp),
                    info: ConnInfo {
                        remote: Some(remote),
                        client_cert: None,
                    },
                    _slot: slot,
                };
                if tx.send(Ok(conn)).await.is_err() {
                    return;
                }
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp))
                    .await
                {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::info!(%remote, error = %e, "tls handshake refused");
                        return;
                    }
                    Err(_) => {
                        tracing::info!(%remote, "tls handshake timed out");
                        return;
                    }
                };
                let client_cert = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| cert_pin(c));
                let conn = Conn {
                    io: Io::Tls(Box::new(tls)),
                    info: ConnInfo {
                        remote: Some(remote),
                        client_cert,
                    },
                    _slot: slot,
                };
                let _ = tx.send(Ok(conn)).await;
            });
        }
    });
    ReceiverStream::new(rx)
}

// ---------------------------------------------------------------------------------------
// Connecting

/// Connects a tonic channel to `endpoint` (`https://host:port` or `http://host:port`):
/// over TLS with `tls`, in plaintext without. The scheme only says what the operator
/// expects; `tls` decides.
pub async fn connect_channel(
    endpoint: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    connect_timeout: Option<Duration>,
) -> Result<tonic::transport::Channel, String> {
    let authority = endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let mut ep = tonic::transport::Endpoint::from_shared(format!("http://{authority}"))
        .map_err(|e| format!("bad endpoint {endpoint}: {e}"))?
        .tcp_nodelay(true);
    if let Some(t) = connect_timeout {
        ep = ep.connect_timeout(t);
    }
    let result = match tls {
        None => ep.connect().await,
        Some(cfg) => {
            let connector = tower::service_fn(move |uri: http::Uri| {
                let cfg = cfg.clone();
                async move {
                    let host = uri.host().unwrap_or("127.0.0.1");
                    let host = host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned();
                    let port = uri.port_u16().unwrap_or(443);
                    let tcp = TcpStream::connect((host.as_str(), port)).await?;
                    tcp.set_nodelay(true)?;
                    // The verifier checks the pin; the name only has to be well-formed.
                    let name = ServerName::try_from("bashu-node.invalid")
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                    let tls = tokio_rustls::TlsConnector::from(cfg)
                        .connect(name, tcp)
                        .await?;
                    Ok::<_, io::Error>(hyper_util::rt::TokioIo::new(tls))
                }
            });
            ep.connect_with_connector(connector).await
        }
    };
    result.map_err(|e| {
        // tonic's Display of a connection error hides the TLS reason in its source chain.
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let text = s.to_string();
            if !msg.contains(&text) {
                msg.push_str(": ");
                msg.push_str(&text);
            }
            source = s.source();
        }
        format!("cannot reach {endpoint}: {msg}")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn check(id: &GeneratedIdentity, pins: &[CertPin], at: u64) -> Result<(), rustls::Error> {
        let cert = CertificateDer::from_pem_slice(id.cert_pem.as_bytes()).unwrap();
        verify_pinned(
            &cert,
            UnixTime::since_unix_epoch(Duration::from_secs(at)),
            &PinSet(pins.to_vec()),
            &algorithms(),
            webpki::KeyUsage::client_auth(),
            "test",
        )
    }

    #[test]
    fn a_pinned_certificate_within_its_validity_is_accepted() {
        let t = now();
        let id = generate_identity("500153", Validity::days_from(t, 30)).unwrap();
        check(&id, &[id.pin], t).unwrap();
        // The same certificate read back from PEM has the same pin.
        let loaded = TlsIdentity::from_pem(&id.cert_pem, &id.key_pem).unwrap();
        assert_eq!(loaded.pin(), id.pin);
    }

    #[test]
    fn unpinned_expired_and_not_yet_valid_certificates_are_refused() {
        let t = now();
        let id = generate_identity("510521", Validity::days_from(t, 30)).unwrap();
        let other = generate_identity("510521", Validity::days_from(t, 30)).unwrap();
        assert!(matches!(
            check(&id, &[other.pin], t),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure
            ))
        ));
        assert!(matches!(
            check(&id, &[id.pin], t + 31 * 86_400),
            Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
        ));
        assert!(matches!(
            check(&id, &[id.pin], t - 2 * 86_400),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet
            ))
        ));
    }
}
