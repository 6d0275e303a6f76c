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
use bashu_core::entry::EntryKind;
use bashu_core::governance::{Approval, Proposal};
use bashu_core::id::PersonId;
use bashu_core::import::{ImportKind, Ingested, certificate_from_fields, to_records};
use bashu_core::record::Record;
use bashu_proto::v1 as pb;
use bashu_rules::Snapshot as _;
use bashu_store::{HomeRecord, RecordPointer, Store, StoreError};
use bashu_sync::{OwnRecord, SubmitOutcome, WriteError, serve_heads, serve_pull_chunk};

use crate::node::{NodeState, now_ms};

/// A served pull stream whose reader takes no chunk for this long is ended.
const PULL_STALL: std::time::Duration = std::time::Duration::from_secs(120);

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

    /// Appends to this county's own log: waits (bounded) until the own log is confirmed
    /// with a peer after a start, then signs and stores only what changed.
    pub(crate) async fn append_own(
        &self,
        records: Vec<OwnRecord>,
    ) -> Result<SubmitOutcome, Status> {
        let mut confirmed = self.state.own_log_confirmed.subscribe();
        let wait = tokio::time::timeout(OWN_LOG_WAIT, async move {
            confirmed.wait_for(|c| *c).await.is_ok()
        })
        .await;
        if wait != Ok(true) {
            return Err(Status::unavailable(
                "this node has not yet confirmed its own log with any peer; try again when a peer is reachable / 本节点尚未与任何对等节点确认本县日志，请在对等节点可达后重试",
            ));
        }
        let state = self.state.clone();
        blocking(move || state.author.submit(records, now_ms()).map_err(write_status)).await
    }
}

impl Services {
    /// Appends one governance entry and re-derives the alliance state.
    async fn append_governance(
        &self,
        kind: EntryKind,
        record_id: String,
        body: Vec<u8>,
    ) -> Result<(Vec<u8>, u64), Status> {
        let outcome = self
            .append_own(vec![OwnRecord {
                kind,
                record_id: record_id.clone(),
                body,
                home: Vec::new(),
            }])
            .await?;
        let state = self.state.clone();
        let pointer = blocking(move || {
            state
                .trust
                .refresh(state.store.as_ref())
                .map_err(store_status)?;
            state
                .store
                .record(kind, &state.county, &record_id)
                .map_err(store_status)
        })
        .await?;
        let p = pointer.ok_or_else(|| internal("governance entry not found after append"))?;
        tracing::info!(kind = ?kind, seq = p.seq, created = outcome.created, "governance entry appended");
        Ok((p.entry_hash.to_vec(), p.seq))
    }
}

/// The batch `batch_id` as the snapshot holds it, or NOT_FOUND saying so.
fn held_batch(
    snap: &dyn bashu_rules::Snapshot,
    batch_id: &str,
) -> Result<bashu_core::record::AssessmentBatch, Status> {
    snap.batch(batch_id.trim()).ok_or_else(|| {
        Status::not_found(format!(
            "batch {batch_id} is not held here / 本节点未持有认定批次 {batch_id}"
        ))
    })
}

fn verdict_response(v: &bashu_rules::Verdict) -> pb::VerdictResponse {
    pb::VerdictResponse {
        outcome: serde_json::to_value(v.outcome)
            .ok()
            .and_then(|o| o.as_str().map(str::to_owned))
            .unwrap_or_default(),
        verdict_json: String::from_utf8(v.to_canonical_json()).unwrap_or_default(),
    }
}

/// How long a write waits for the own-log confirmation after a start.
const OWN_LOG_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn write_status(e: WriteError) -> Status {
    match e {
        WriteError::Store(e) => store_status(e),
        e @ (WriteError::KeyNotValid { .. } | WriteError::RotationPending { .. }) => {
            tracing::error!(error = %e, "write refused");
            Status::failed_precondition(format!("{e} / 本县签名密钥当前不可用于写入"))
        }
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
            Status::unavailable(
                "storage unavailable, nothing was written / 存储不可用，未写入任何数据",
            )
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

/// A `Heads` answer as it goes on the wire.
pub fn heads_response(heads: bashu_sync::Heads) -> pb::HeadsResponse {
    pb::HeadsResponse {
        heads: heads
            .heads
            .iter()
            .map(|(c, cosigs)| {
                let (checkpoint, signature) = c.to_wire();
                pb::Head {
                    checkpoint: Some(pb::SignedCheckpoint {
                        checkpoint,
                        signature,
                    }),
                    cosignatures: cosigs
                        .iter()
                        .map(|c| pb::Cosignature {
                            witness: c.witness.as_str().to_owned(),
                            key_id: c.key_id.0.to_vec(),
                            signature: c.signature.0.to_vec(),
                        })
                        .collect(),
                }
            })
            .collect(),
        evidence: heads.evidence,
    }
}

#[tonic::async_trait]
impl pb::exchange_server::Exchange for Services {
    async fn heads(
        &self,
        request: Request<pb::HeadsRequest>,
    ) -> Result<Response<pb::HeadsResponse>, Status> {
        let req = request.into_inner();
        if req.alliance_id != self.state.alliance.genesis().alliance_id.as_str() {
            return Err(Status::failed_precondition("not a node of this alliance"));
        }
        let store = self.state.store.clone();
        let heads = blocking(move || serve_heads(store.as_ref()).map_err(store_status)).await?;
        Ok(Response::new(heads_response(heads)))
    }

    type PullStream = PullStream;

    async fn pull(
        &self,
        request: Request<pb::PullRequest>,
    ) -> Result<Response<PullStream>, Status> {
        let req = request.into_inner();
        if req.alliance_id != self.state.alliance.genesis().alliance_id.as_str() {
            return Err(Status::failed_precondition("not a node of this alliance"));
        }
        let author = parse_author(&req.author)?;
        if req.from_seq == 0 || req.to_seq < req.from_seq {
            return Err(Status::invalid_argument(
                "from_seq must be ≥ 1 and ≤ to_seq",
            ));
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
                // A puller that stops reading is let go: the stream ends, the slot frees.
                match tokio::time::timeout(PULL_STALL, tx.send(Ok(msg))).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return, // the puller went away
                    Err(_) => {
                        tracing::warn!(author = %author, "puller stalled; pull stream ended");
                        return;
                    }
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
        let outcome = self.append_own(records).await?;
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

    async fn submit_records(
        &self,
        request: Request<pb::SubmitRecordsRequest>,
    ) -> Result<Response<pb::SubmitResponse>, Status> {
        let req = request.into_inner();
        if req.records.len() > MAX_SUBMISSION {
            return Err(Status::invalid_argument(format!(
                "at most {MAX_SUBMISSION} rows per submission / 每次最多提交 {MAX_SUBMISSION} 条记录"
            )));
        }
        let received = req.records.len() as u64;
        let state = self.state.clone();
        // Validation and person keys are CPU work: off the async workers.
        let (records, refused) = blocking(move || Ok(ingest_rows(req.records, &state))).await?;
        let outcome = self.append_own(records).await?;
        tracing::info!(
            received,
            created = outcome.created,
            unchanged = outcome.unchanged,
            refused = refused.len(),
            log_size = outcome.log_size,
            "records submitted"
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

/// Validates submitted rows again (the node never trusts the client) and turns the good
/// ones into this county's records; the others into refusals naming their origin.
/// The rows are checked on all cores, in contiguous parts whose results keep the rows' order.
fn ingest_rows(
    rows: Vec<pb::RecordSubmission>,
    state: &NodeState,
) -> (Vec<OwnRecord>, Vec<pb::RowRefusal>) {
    let parts = bashu_sync::par::in_parts(rows, |_, part| ingest_part(part, state));
    let mut records = Vec::new();
    let mut refused = Vec::new();
    for (r, f) in parts {
        records.extend(r);
        refused.extend(f);
    }
    (records, refused)
}

fn ingest_part(
    rows: Vec<pb::RecordSubmission>,
    state: &NodeState,
) -> (Vec<OwnRecord>, Vec<pb::RowRefusal>) {
    let mut records = Vec::new();
    let mut refused = Vec::new();
    for sub in rows {
        let ingested = match ImportKind::parse(&sub.kind) {
            Some(kind) => to_records(kind, &sub.json, &state.pseudonym, &state.county),
            None => Err(bashu_core::import::FieldError {
                column: "kind".to_owned(),
                message_zh: format!("未知的记录类型 \"{}\"", sub.kind),
                message_en: format!("unknown record kind \"{}\"", sub.kind),
            }),
        };
        match ingested {
            Ok(ingested) => records.extend(own_records(ingested)),
            Err(e) => refused.push(pb::RowRefusal {
                origin: sub.origin,
                field: e.column,
                message_zh: e.message_zh,
                message_en: e.message_en,
            }),
        }
    }
    (records, refused)
}

/// The entries to append for one row; a certificate keeps its full ID number home-only.
fn own_records(ingested: Ingested) -> Vec<OwnRecord> {
    let Ingested { records, home_ids } = ingested;
    records
        .into_iter()
        .map(|r| {
            let record_id = r.record_id();
            let home = match &r {
                Record::Certificate(_) => home_ids
                    .iter()
                    .filter(|h| h.cert_no == record_id)
                    .map(|h| HomeRecord::IdNumber {
                        cert_no: h.cert_no.clone(),
                        id_type: h.person_id.id_type_label().to_owned(),
                        id_no: h.person_id.normalised_number().to_owned(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            OwnRecord {
                kind: r.kind(),
                record_id,
                body: r.encode(),
                home,
            }
        })
        .collect()
}

fn certificate_match(
    store: &dyn Store,
    pointer: &RecordPointer,
) -> Result<Option<(Certificate, pb::CertificateMatch)>, StoreError> {
    let Some(body) = store.body(pointer)? else {
        return Ok(None); // redacted
    };
    let Ok(cert) = Certificate::decode(&body) else {
        return Ok(None);
    };
    let checkpoint = store.checkpoint(&pointer.author)?;
    let cosignatures = store.cosignatures(&pointer.author)?.len();
    let m = pb::CertificateMatch {
        certificate: Some(cert.to_proto()),
        author: pointer.author.as_str().to_owned(),
        seq: pointer.seq,
        entry_hash: pointer.entry_hash.to_vec(),
        id_no: String::new(),
        checkpoint_size: checkpoint.map_or(0, |c| c.checkpoint().size),
        cosignatures: u32::try_from(cosignatures).unwrap_or(u32::MAX),
    };
    Ok(Some((cert, m)))
}

#[tonic::async_trait]
impl pb::query_server::Query for Services {
    async fn check_recognition(
        &self,
        request: Request<pb::CheckRecognitionRequest>,
    ) -> Result<Response<pb::VerdictResponse>, Status> {
        let req = request.into_inner();
        let county = crate::rules::county("county", &req.county)?;
        let as_of = crate::rules::as_of(&req.as_of)?;
        let author = if req.author.trim().is_empty() {
            None
        } else {
            Some(crate::rules::county("author", &req.author)?)
        };
        let cert_no = req.cert_no.trim().to_owned();
        let state = self.state.clone();
        blocking(move || {
            let snap = state.snapshot(as_of)?;
            let mut found = snap.certificates_by_number(&cert_no);
            if let Some(a) = &author {
                found.retain(|c| &c.author == a);
            }
            let cert = match found.as_slice() {
                [] => {
                    return Err(Status::not_found(format!(
                        "certificate {cert_no} is not held here / 本节点未持有证书 {cert_no}"
                    )));
                }
                [one] => one.clone(),
                _ => {
                    return Err(Status::failed_precondition(
                        "several counties issued this number; give the author county / 多个区县存在此编号，请指定发证区县",
                    ));
                }
            };
            Ok(verdict_response(&bashu_rules::check_recognition(
                snap.as_ref(),
                &cert,
                &county,
                as_of,
            )))
        })
        .await
        .map(Response::new)
    }

    async fn check_batch(
        &self,
        request: Request<pb::CheckBatchRequest>,
    ) -> Result<Response<pb::VerdictResponse>, Status> {
        let req = request.into_inner();
        let as_of = crate::rules::as_of(&req.as_of)?;
        let state = self.state.clone();
        blocking(move || {
            let snap = state.snapshot(as_of)?;
            let batch = held_batch(snap.as_ref(), &req.batch_id)?;
            Ok(verdict_response(&bashu_rules::check_batch(
                snap.as_ref(),
                &batch,
                as_of,
            )))
        })
        .await
        .map(Response::new)
    }

    async fn check_promotion(
        &self,
        request: Request<pb::CheckPromotionRequest>,
    ) -> Result<Response<pb::VerdictResponse>, Status> {
        let req = request.into_inner();
        let county = crate::rules::county("county", &req.county)?;
        let as_of = crate::rules::as_of(&req.as_of)?;
        let state = self.state.clone();
        blocking(move || {
            let snap = state.snapshot(as_of)?;
            let result = snap
                .competition_result(req.result_id.trim())
                .ok_or_else(|| {
                    Status::not_found(format!(
                        "competition result {} is not held here / 本节点未持有竞赛成绩 {}",
                        req.result_id, req.result_id
                    ))
                })?;
            Ok(verdict_response(&bashu_rules::check_promotion(
                snap.as_ref(),
                &result,
                &county,
                as_of,
            )))
        })
        .await
        .map(Response::new)
    }

    async fn eligible_experts(
        &self,
        request: Request<pb::EligibleExpertsRequest>,
    ) -> Result<Response<pb::EligibleExpertsResponse>, Status> {
        let req = request.into_inner();
        let as_of = crate::rules::as_of(&req.as_of)?;
        let state = self.state.clone();
        blocking(move || {
            let snap = state.snapshot(as_of)?;
            let batch = held_batch(snap.as_ref(), &req.batch_id)?;
            let occupation = if req.occupation_code.trim().is_empty() {
                batch.occupation_code.clone()
            } else {
                bashu_core::OccupationCode::parse(&req.occupation_code)
                    .map_err(|e| Status::invalid_argument(format!("occupation_code: {e}")))?
            };
            let level = if req.level.trim().is_empty() {
                batch.level
            } else {
                bashu_core::Level::parse(&req.level)
                    .map_err(|e| Status::invalid_argument(format!("level: {e}")))?
            };
            let list =
                bashu_rules::eligible_experts(snap.as_ref(), &batch, &occupation, level, as_of);
            Ok(pb::EligibleExpertsResponse {
                eligible: u32::try_from(list.iter().filter(|e| e.eligible).count())
                    .unwrap_or(u32::MAX),
                total: u32::try_from(list.len()).unwrap_or(u32::MAX),
                experts_json: serde_json::to_string(&list).map_err(internal)?,
            })
        })
        .await
        .map(Response::new)
    }

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
        let state = self.state.clone();
        let now = now_ms();
        let facts =
            blocking(move || crate::federation::gather(&state, now).map_err(store_status)).await?;
        Ok(Response::new(crate::federation::status_response(
            facts, now,
        )))
    }

    async fn alliance_status(
        &self,
        _request: Request<pb::AllianceStatusRequest>,
    ) -> Result<Response<pb::AllianceStatusResponse>, Status> {
        let state = self.state.trust.current();
        let store = self.state.store.clone();
        let evidence = blocking(move || store.equivocations().map_err(store_status)).await?;
        Ok(Response::new(pb::AllianceStatusResponse {
            alliance_id: state.alliance_id.clone(),
            threshold: state.threshold,
            members: state
                .members
                .values()
                .map(|m| pb::MemberStatus {
                    county: m.county.as_str().to_owned(),
                    name: m.name.clone(),
                    endpoint: m.endpoint.clone(),
                    keys: m
                        .keys
                        .iter()
                        .map(|k| pb::MemberKey {
                            key_id: k.key.key_id().0.to_vec(),
                            from_seq: k.from_seq,
                            until_seq: k.until_seq.unwrap_or(0),
                        })
                        .collect(),
                    removed: m.removed_from.is_some(),
                    frozen_at: state.frozen.get(&m.county).copied().unwrap_or(0),
                    frozen: state.frozen.contains_key(&m.county),
                })
                .collect(),
            decisions: state
                .decisions
                .iter()
                .map(|d| pb::DecisionStatus {
                    proposer: d.proposer.as_str().to_owned(),
                    proposal_id: d.proposal.proposal_id.clone(),
                    proposal_json: serde_json::to_string(&d.proposal).unwrap_or_default(),
                    approvals: d.approvals.iter().map(|c| c.as_str().to_owned()).collect(),
                    active: d.active,
                    entry_hash: d.entry_hash.to_vec(),
                })
                .collect(),
            rule_parameters_json: state.rule_parameters_json.clone(),
            equivocation_evidence: u32::try_from(evidence.len()).unwrap_or(u32::MAX),
        }))
    }

    async fn propose(
        &self,
        request: Request<pb::ProposeRequest>,
    ) -> Result<Response<pb::ProposeResponse>, Status> {
        let proposal: Proposal = serde_json::from_str(&request.into_inner().proposal_json)
            .map_err(|e| {
                Status::invalid_argument(format!("proposal is not valid / 提案格式错误: {e}"))
            })?;
        if proposal.proposal_id.trim().is_empty() {
            return Err(Status::invalid_argument(
                "proposal_id is empty / 提案编号为空",
            ));
        }
        let state = self.state.trust.current();
        if state.decisions.iter().any(|d| {
            d.proposer == self.state.county && d.proposal.proposal_id == proposal.proposal_id
        }) {
            return Err(Status::already_exists(format!(
                "proposal {} exists / 提案已存在",
                proposal.proposal_id
            )));
        }
        let body = serde_json::to_vec(&proposal).map_err(internal)?;
        self.append_governance(
            EntryKind::DecisionProposal,
            proposal.proposal_id.clone(),
            body,
        )
        .await
        .map(|(entry_hash, seq)| Response::new(pb::ProposeResponse { entry_hash, seq }))
    }

    async fn approve(
        &self,
        request: Request<pb::ApproveRequest>,
    ) -> Result<Response<pb::ApproveResponse>, Status> {
        let req = request.into_inner();
        let proposer = parse_author(&req.proposer)?;
        let state = self.state.trust.current();
        let Some(decision) = state
            .decisions
            .iter()
            .find(|d| d.proposer == proposer && d.proposal.proposal_id == req.proposal_id)
        else {
            return Err(Status::not_found(format!(
                "no proposal {} of {proposer} is held here; sync first / 本节点无此提案，请先同步",
                req.proposal_id
            )));
        };
        let approval = Approval {
            proposer,
            proposal_id: req.proposal_id,
            proposal_entry_hash: hex::encode(decision.entry_hash),
        };
        let body = serde_json::to_vec(&approval).map_err(internal)?;
        self.append_governance(EntryKind::DecisionApproval, approval.record_id(), body)
            .await
            .map(|(entry_hash, seq)| Response::new(pb::ApproveResponse { entry_hash, seq }))
    }

    async fn audit(
        &self,
        request: Request<pb::AuditRequest>,
    ) -> Result<Response<pb::AuditResponse>, Status> {
        crate::audit::serve(self.state.audit.clone(), request.into_inner())
            .await
            .map(Response::new)
    }
}
