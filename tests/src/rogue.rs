//! A misbehaving peer: a real gRPC `Exchange` server on loopback that serves whatever
//! checkpoints and entries a test prepared (tampered, forged, or signed by a stranger).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_stream::Stream;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use bashu_core::entry::{SignedEntry, VerifiedCheckpoint};
use bashu_proto::v1 as pb;
use bashu_proto::v1::exchange_server::{Exchange, ExchangeServer};

/// What the rogue serves.
#[derive(Clone, Default)]
pub struct RogueData {
    pub checkpoints: Vec<pb::SignedCheckpoint>,
    /// Equivocation evidence to offer.
    pub evidence: Vec<Vec<u8>>,
    /// Per author code, entries from seq 1.
    pub entries: HashMap<String, Vec<SignedEntry>>,
    /// Send everything asked for in one chunk, whatever chunk size the puller asked.
    pub ignore_max_chunk: bool,
}

impl RogueData {
    pub fn add_checkpoint(&mut self, cp: &VerifiedCheckpoint) {
        let (checkpoint, signature) = cp.to_wire();
        self.checkpoints.push(pb::SignedCheckpoint {
            checkpoint,
            signature,
        });
    }
}

#[derive(Clone)]
struct Rogue(RogueData);

type PullStream = Pin<Box<dyn Stream<Item = Result<pb::PullChunk, Status>> + Send>>;

#[tonic::async_trait]
impl Exchange for Rogue {
    async fn heads(
        &self,
        _: Request<pb::HeadsRequest>,
    ) -> Result<Response<pb::HeadsResponse>, Status> {
        Ok(Response::new(pb::HeadsResponse {
            heads: self
                .0
                .checkpoints
                .iter()
                .map(|c| pb::Head {
                    checkpoint: Some(c.clone()),
                    cosignatures: Vec::new(),
                })
                .collect(),
            evidence: self.0.evidence.clone(),
        }))
    }

    type PullStream = PullStream;

    async fn pull(&self, req: Request<pb::PullRequest>) -> Result<Response<PullStream>, Status> {
        let req = req.into_inner();
        let entries = self.0.entries.get(&req.author).cloned().unwrap_or_default();
        let from = usize::try_from(req.from_seq.saturating_sub(1)).unwrap_or(usize::MAX);
        let to = usize::try_from(req.to_seq)
            .unwrap_or(usize::MAX)
            .min(entries.len());
        let slice: Vec<pb::SignedEntry> = entries
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .map(|e| pb::SignedEntry {
                entry: e.entry.clone(),
                signature: e.signature.clone(),
                body: e.body.clone(),
            })
            .collect();
        let chunk = if self.0.ignore_max_chunk {
            slice.len().max(1)
        } else {
            (req.max_chunk_entries.max(1)) as usize
        };
        let chunks: Vec<Result<pb::PullChunk, Status>> = slice
            .chunks(chunk)
            .map(|c| {
                Ok(pb::PullChunk {
                    entries: c.to_vec(),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }
}

/// A running rogue peer; stops when dropped.
pub struct RoguePeer {
    pub addr: SocketAddr,
    tls: bool,
    _stop: oneshot::Sender<()>,
}

/// The rogue talks to anyone.
#[derive(Debug)]
struct AnyClient;

impl bashu_node::tls::PinPolicy for AnyClient {
    fn accepts(&self, _: &bashu_node::tls::CertPin) -> bool {
        true
    }
}

impl RoguePeer {
    /// A plaintext rogue (for nodes with `insecure_dev`).
    pub async fn start(data: RogueData) -> RoguePeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(ExchangeServer::new(Rogue(data)))
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                    let _ = stopped.await;
                }),
        );
        RoguePeer {
            addr,
            tls: false,
            _stop: stop,
        }
    }

    /// A rogue that holds the TLS identity of the node `cfg` describes (an insider: the
    /// county's own certificate and key), so other nodes take it for that county.
    pub async fn start_for(data: RogueData, cfg: &bashu_node::NodeConfig) -> RoguePeer {
        let Some(tls) = &cfg.tls else {
            return RoguePeer::start(data).await;
        };
        let identity = bashu_node::tls::TlsIdentity::load(&tls.cert, &tls.key).unwrap();
        let server = bashu_node::tls::server_config(&identity, Arc::new(AnyClient)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let incoming = bashu_node::tls::incoming(
            listener,
            Some(server),
            bashu_node::tls::AcceptLimits {
                max_connections: 64,
                handshake_timeout: std::time::Duration::from_secs(5),
            },
        );
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(ExchangeServer::new(Rogue(data)))
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        RoguePeer {
            addr,
            tls: true,
            _stop: stop,
        }
    }

    pub fn endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}
