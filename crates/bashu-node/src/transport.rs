//! `bashu_sync::Transport` over the peer's gRPC `Exchange` service.

use std::time::Duration;

use tonic::transport::Channel;

use bashu_core::CountyCode;
use bashu_core::entry::SignedEntry;
use bashu_proto::v1 as pb;
use bashu_proto::v1::exchange_client::ExchangeClient;
use bashu_sync::{ChunkStream, RawCosignature, RawHead, RawHeads, Transport, TransportError};

use crate::config::PeerConfig;

pub(crate) struct GrpcPeer {
    client: ExchangeClient<Channel>,
    alliance_id: String,
    from_county: String,
    /// Longest wait for the next chunk of a pull: a peer that goes silent mid-stream
    /// (packets dropped, not refused) must not hold this node's sync round forever.
    idle: Duration,
}

fn terr(e: impl std::fmt::Display) -> TransportError {
    TransportError(e.to_string())
}

impl GrpcPeer {
    /// Connects over TLS with `tls` (see `tls::connect_channel`), plaintext without;
    /// messages from the peer are accepted up to `max_message_bytes`.
    pub(crate) async fn connect(
        peer: &PeerConfig,
        timeout: Duration,
        tls: Option<std::sync::Arc<crate::tls::ClientConfig>>,
        max_message_bytes: usize,
    ) -> Result<GrpcPeer, TransportError> {
        let channel = crate::tls::connect_channel(&peer.endpoint, tls, Some(timeout))
            .await
            .map_err(TransportError)?;
        Ok(GrpcPeer {
            client: ExchangeClient::new(channel).max_decoding_message_size(max_message_bytes),
            alliance_id: String::new(),
            from_county: String::new(),
            idle: timeout,
        })
    }

    fn silent(&self, call: &str) -> TransportError {
        TransportError(format!(
            "peer did not answer {call} within {}s",
            self.idle.as_secs()
        ))
    }

    pub(crate) fn with_identity(mut self, alliance_id: &str, county: &CountyCode) -> GrpcPeer {
        self.alliance_id = alliance_id.to_owned();
        self.from_county = county.as_str().to_owned();
        self
    }
}

/// The chunks of one pull, the most entries the puller asked per chunk, and the longest
/// wait for the next one.
pub(crate) struct GrpcChunks(tonic::Streaming<pb::PullChunk>, usize, Duration);

impl ChunkStream for GrpcChunks {
    async fn next_chunk(&mut self) -> Result<Option<Vec<SignedEntry>>, TransportError> {
        let chunk = tokio::time::timeout(self.2, self.0.message())
            .await
            .map_err(|_| {
                TransportError(format!(
                    "peer sent nothing for {}s in the middle of a pull",
                    self.2.as_secs()
                ))
            })?
            .map_err(terr)?;
        if let Some(c) = &chunk {
            // A peer that sends more than asked is refused before anything is verified.
            if c.entries.len() > self.1 {
                return Err(TransportError(format!(
                    "peer sent a chunk of {} entries, more than the {} asked",
                    c.entries.len(),
                    self.1
                )));
            }
        }
        Ok(chunk.map(|c| {
            c.entries
                .into_iter()
                .map(|e| SignedEntry {
                    entry: e.entry,
                    signature: e.signature,
                    body: e.body,
                })
                .collect()
        }))
    }
}

impl Transport for GrpcPeer {
    type Chunks = GrpcChunks;

    async fn heads(&self) -> Result<RawHeads, TransportError> {
        let mut client = self.client.clone();
        let call = client.heads(pb::HeadsRequest {
            alliance_id: self.alliance_id.clone(),
            from_county: self.from_county.clone(),
        });
        let resp = tokio::time::timeout(self.idle, call)
            .await
            .map_err(|_| self.silent("heads"))?
            .map_err(terr)?
            .into_inner();
        Ok(RawHeads {
            heads: resp
                .heads
                .into_iter()
                .filter_map(|h| {
                    let cp = h.checkpoint?;
                    Some(RawHead {
                        bytes: cp.checkpoint,
                        signature: cp.signature,
                        cosignatures: h
                            .cosignatures
                            .into_iter()
                            .map(|c| RawCosignature {
                                witness: c.witness,
                                key_id: c.key_id,
                                signature: c.signature,
                            })
                            .collect(),
                    })
                })
                .collect(),
            evidence: resp.evidence,
        })
    }

    async fn pull(
        &self,
        author: &CountyCode,
        from_seq: u64,
        to_seq: u64,
        max_chunk: u32,
    ) -> Result<GrpcChunks, TransportError> {
        let mut client = self.client.clone();
        let call = client.pull(pb::PullRequest {
            alliance_id: self.alliance_id.clone(),
            author: author.as_str().to_owned(),
            from_seq,
            to_seq,
            max_chunk_entries: max_chunk,
        });
        let resp = tokio::time::timeout(self.idle, call)
            .await
            .map_err(|_| self.silent("pull"))?
            .map_err(terr)?;
        Ok(GrpcChunks(
            resp.into_inner(),
            usize::try_from(max_chunk.max(1)).unwrap_or(usize::MAX),
            self.idle,
        ))
    }
}
