//! The gRPC services. Each handler converts wire types to domain types, calls into the
//! library crates, and maps errors to sanitised `tonic::Status` in one place.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use bashu_core::CountyCode;
use bashu_core::codec::Certificate;
use bashu_core::entry::{EntryKind, Keyring};
use bashu_core::id::PersonId;
use bashu_core::import::certificate_from_fields;
use bashu_proto::v1 as pb;
use bashu_store::{HomeRecord, RecordPointer, Store, StoreError};
use bashu_sync::{OwnRecord, serve_heads, serve_pull_chunk};

use crate::node::{NodeState, now_ms};

/// Largest chunk a server sends, whatever the puller asks.
const MAX_SERVED_CHUNK: u32 = 4096;
/// Most certificates in one submission.
const MAX_SUBMISSION: usize = 10_000;

#[derive(Clone)]
pub(crate) struct Services {
    state: Arc<NodeState>,
}

impl Services {
    pub(crate) fn new(state: Arc<NodeState>) -> Services {
        Services { state }
    }
}

/// Logged here once with detail; the caller sees a sanitised message.
fn internal(e: impl std::fmt::Display) -> Status {
    tracing::error!(error = %e, "internal error");
    Status::internal("internal error / 内部错误")
}

fn store_status(e: StoreError) -> Status {
    match e {
        StoreError::Engine(msg) => {
            tracing::error!(error = %msg, "store unavailable");
            Status::unavailable("storage unavailable, nothing was written / 存储不可用，未写入任何数据")
        }
        other => internal(other),
    }
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Status> + Send + 'static,
) -> Result<R, Status> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

fn parse_author(s: &str) -> Result<CountyCode, Status> {
    CountyCode::parse(s).map_err(|e| Status::invalid_argument(format!("author: {e}")))
}

type PullStream = Pin<Box<dyn Stream<Item = Result<pb::PullChunk, Status>> + Send>>;

#[tonic::async_trait]
impl pb::exchange_server::Exchange for Services {
    async fn heads(
        &self,
        request: Request<pb::HeadsRequest>,
    ) -> Result<Response<pb::HeadsResponse>, Status> {
        let req = request.into_inner();
        if req.alliance_id != self.state.alliance.alliance_id() {
            return Err(Status::failed_precondition("not a node of this alliance"));
        }
        let store = self.state.store.clone();
        let checkpoints = blocking(move || serve_heads(store.as_ref()).map_err(store_status)).await?;
        Ok(Response::new(pb::HeadsResponse {
            checkpoints: checkpoints
                .iter()
                .map(|c| {
                    let (checkpoint, signature) = c.to_wire();
                    pb::SignedCheckpoint {
                        checkpoint,
                        signature,
                    }
                })
                .collect(),
        }))
    }

    type PullStream = PullStream;

    async fn pull(
        &self,
        request: Request<pb::PullRequest>,
    ) -> Result<Response<PullStream>, Status> {
        let req = request.into_inner();
        if req.alliance_id != self.state.alliance.alliance_id() {
            return Err(Status::failed_precondition("not a node of this alliance"));
        }
        let author = parse_author(&req.author)?;
        if req.from_seq == 0 || req.to_seq < req.from_seq {
            return Err(Status::invalid_argument("from_seq must be ≥ 1 and ≤ to_seq"));
        }
        let chunk = req.max_chunk_entries.clamp(1, MAX_SERVED_CHUNK) as usize;
        let (tx, rx) = mpsc::channel(4);
        let store = self.state.store.clone();
        tokio::spawn(async move {
            let mut next = req.from_seq;
            while next <= req.to_seq {
                let s = store.clone();
                let a = author.clone();
                let to = req.to_seq;
                let read = tokio::task::spawn_blocking(move || {
                    serve_pull_chunk(s.as_ref(), &a, next, to, chunk)
                })
                .await;
                let entries = match read {
                    Ok(Ok(e)) => e,
                    Ok(Err(e)) => {
                        let _ = tx.send(Err(store_status(e))).await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(internal(e))).await;
                        return;
                    }
                };
                if entries.is_empty() {
                    return;
                }
                next += entries.len() as u64;
                let msg = pb::PullChunk {
                    entries: entries
                        .into_iter()
                        .map(|e| pb::SignedEntry {
                            entry: e.entry,
                            signature: e.signature,
                            body: e.body,
                        })
                        .collect(),
                };
                if tx.send(Ok(msg)).await.is_err() {
                    return; // the puller went away
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

#[tonic::async_trait]
impl pb::county_server::County for Services {
    async fn submit_certificates(
        &self,
        request: Request<pb::SubmitCertificatesRequest>,
    ) -> Result<Response<pb::SubmitResponse>, Status> {
        let req = request.into_inner();
        if req.certificates.len() > MAX_SUBMISSION {
            return Err(Status::invalid_argument(format!(
                "at most {MAX_SUBMISSION} certificates per submission / 每次最多提交 {MAX_SUBMISSION} 条证书"
            )));
        }
        let received = req.certificates.len() as u64;
        let mut refused = Vec::new();
        let mut records = Vec::new();
        for sub in req.certificates {
            let fields = [
                ("cert_no", sub.cert_no.as_str()),
                ("cert_type", sub.cert_type.as_str()),
                ("name", sub.name.as_str()),
                ("id_type", sub.id_type.as_str()),
                ("id_no", sub.id_no.as_str()),
                ("occupation_code", sub.occupation_code.as_str()),
                ("occupation_name", sub.occupation_name.as_str()),
                ("work_type", sub.work_type.as_str()),
                ("level", sub.level.as_str()),
                ("issue_date", sub.issue_date.as_str()),
                ("institution_uscc", sub.institution_uscc.as_str()),
                ("institution_name", sub.institution_name.as_str()),
                ("filing_no", sub.filing_no.as_str()),
                ("batch_id", sub.batch_id.as_str()),
                ("status", sub.status.as_str()),
            ];
            match certificate_from_fields(&fields) {
                Ok(input) => {
                    let cert = Certificate::from_input(&input, &self.state.pseudonym);
                    records.push(OwnRecord {
                        kind: EntryKind::Certificate,
                        record_id: cert.cert_no.clone(),
                        body: cert.encode(),
                        home: vec![HomeRecord::IdNumber {
                            cert_no: cert.cert_no.clone(),
                            id_type: input.person_id.id_type_label().to_owned(),
                            id_no: input.person_id.normalised_number().to_owned(),
                        }],
                    });
                }
                Err(e) => refused.push(pb::RowRefusal {
                    origin: sub.origin,
                    field: e.column,
                    message_zh: e.message_zh,
                    message_en: e.message_en,
                }),
            }
        }
        let state = self.state.clone();
        let outcome = blocking(move || {
            state
                .author
                .submit(records, now_ms())
                .map_err(store_status)
        })
        .await?;
        tracing::info!(
            received,
            created = outcome.created,
            unchanged = outcome.unchanged,
            refused = refused.len(),
            log_size = outcome.log_size,
            "certificates submitted"
        );
        Ok(Response::new(pb::SubmitResponse {
            received,
            created: outcome.created,
            unchanged: outcome.unchanged,
            refused,
            log_size: outcome.log_size,
        }))
    }
}

fn certificate_match(
    store: &dyn Store,
    pointer: &RecordPointer,
) -> Result<Option<(Certificate, pb::CertificateMatch)>, StoreError> {
    let Some(body) = store.body(&pointer.body_hash)? else {
        return Ok(None); // redacted
    };
    let Ok(cert) = Certificate::decode(&body) else {
        return Ok(None);
    };
    let m = pb::CertificateMatch {
        certificate: Some(cert.to_proto()),
        author: pointer.author.as_str().to_owned(),
        seq: pointer.seq,
        entry_hash: pointer.entry_hash.to_vec(),
        id_no: String::new(),
    };
    Ok(Some((cert, m)))
}

#[tonic::async_trait]
impl pb::query_server::Query for Services {
    async fn find_certificate(
        &self,
        request: Request<pb::FindCertificateRequest>,
    ) -> Result<Response<pb::FindCertificateResponse>, Status> {
        let req = request.into_inner();
        let cert_no = req.cert_no.trim().to_owned();
        let name = req.name.trim().to_owned();
        let id_no = req.id_no.trim().to_owned();
        let given = [&cert_no, &name, &id_no]
            .iter()
            .filter(|s| !s.is_empty())
            .count();
        if given < 2 {
            return Err(Status::invalid_argument(
                "give any two of certificate number, name and ID number / 请提供证书编号、姓名、证件号码中的任意两项",
            ));
        }
        let person_key = if id_no.is_empty() {
            None
        } else {
            let id = PersonId::parse(&req.id_type, &id_no)
                .map_err(|e| Status::invalid_argument(format!("id_no: {e}")))?;
            Some(self.state.pseudonym.person_key(&id))
        };
        let store = self.state.store.clone();
        let home = self.state.county.clone();
        let reveal = req.reveal_id;
        let matches = blocking(move || {
            let pointers = match &person_key {
                Some(pk) => store.certificates_by_person(pk),
                None => store.certificates_by_number(&cert_no),
            }
            .map_err(store_status)?;
            let mut out = Vec::new();
            for p in &pointers {
                let Some((cert, mut m)) =
                    certificate_match(store.as_ref(), p).map_err(store_status)?
                else {
                    continue;
                };
                if (!cert_no.is_empty() && cert.cert_no != cert_no)
                    || (!name.is_empty() && cert.name != name)
                    || person_key.is_some_and(|pk| cert.person_key != pk)
                {
                    continue;
                }
                if reveal && p.author == home {
                    if let Some((_, id)) =
                        store.home_id_number(&cert.cert_no).map_err(store_status)?
                    {
                        m.id_no = id;
                    }
                }
                out.push(m);
            }
            Ok(out)
        })
        .await?;
        Ok(Response::new(pb::FindCertificateResponse { matches }))
    }
}

#[tonic::async_trait]
impl pb::admin_server::Admin for Services {
    async fn sync_now(
        &self,
        _request: Request<pb::SyncNowRequest>,
    ) -> Result<Response<pb::SyncNowResponse>, Status> {
        let outcomes = self.state.sync_all().await;
        Ok(Response::new(pb::SyncNowResponse {
            peers: outcomes
                .into_iter()
                .map(|o| pb::PeerSyncReport {
                    peer: o.peer,
                    ok: o.ok,
                    error: o.errors.join("; "),
                    received: o
                        .received
                        .into_iter()
                        .map(|p| pb::AuthorProgress {
                            author: p.author,
                            entries: p.entries,
                            bytes: p.bytes,
                        })
                        .collect(),
                    seconds: o.seconds,
                })
                .collect(),
        }))
    }

    async fn status(
        &self,
        _request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let store = self.state.store.clone();
        let logs = blocking(move || {
            let mut logs = Vec::new();
            for author in store.authors().map_err(store_status)? {
                let st = store.log_state(&author).map_err(store_status)?;
                let cp = store.checkpoint(&author).map_err(store_status)?;
                logs.push(pb::LogStatus {
                    author: author.as_str().to_owned(),
                    size: st.size,
                    root: st.frontier.root().to_vec(),
                    checkpoint_size: cp.as_ref().map_or(0, |c| c.checkpoint().size),
                    checkpoint_signed_at_ms: cp.as_ref().map_or(0, |c| c.checkpoint().signed_at_ms),
                });
            }
            Ok(logs)
        })
        .await?;
        Ok(Response::new(pb::StatusResponse {
            county: self.state.county.as_str().to_owned(),
            alliance_id: self.state.alliance.alliance_id().to_owned(),
            logs,
        }))
    }
}
