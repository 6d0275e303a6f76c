//! The security layer every inbound gRPC call passes before a handler sees it:
//! identify the caller → rate limit → authorise the method → take an in-flight slot →
//! bound the request body (size, items, messages) → run under a deadline → record Query
//! calls in the audit trail. A refused call is answered here and reaches no handler, so
//! it changes nothing.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;
use tonic::{Code, Status};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::audit::{AuditLog, AuditRecord};
use crate::auth::{Authority, Caller, Role, service_of};
use crate::limits::{BodyLimits, InFlight, Inspect, LimitedBody, LimitsConfig, RateLimiter};
use crate::tls::ConnInfo;

/// The most bytes of a caller-supplied purpose kept in the audit trail.
const MAX_PURPOSE: usize = 256;

/// Margin by which this layer's deadline precedes the client's own, so the caller gets
/// DEADLINE_EXCEEDED from here rather than tonic's generic CANCELLED.
const DEADLINE_MARGIN: Duration = Duration::from_millis(20);

/// Everything the layer decides with.
pub(crate) struct Gate {
    pub authority: Authority,
    pub limits: LimitsConfig,
    pub rate: RateLimiter,
    pub in_flight: InFlight,
    pub audit: Arc<AuditLog>,
}

impl Gate {
    pub(crate) fn new(authority: Authority, limits: LimitsConfig, audit: Arc<AuditLog>) -> Gate {
        Gate {
            rate: RateLimiter::new(limits.rate_per_sec, limits.rate_burst),
            in_flight: InFlight::new(limits.max_concurrent_per_caller),
            authority,
            limits,
            audit,
        }
    }
}

#[derive(Clone)]
pub(crate) struct GateLayer(pub Arc<Gate>);

impl<S> Layer<S> for GateLayer {
    type Service = GateService<S>;

    fn layer(&self, inner: S) -> GateService<S> {
        GateService {
            gate: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub(crate) struct GateService<S> {
    gate: Arc<Gate>,
    inner: S,
}

type Req = http::Request<tonic::body::Body>;
type Resp = http::Response<GuardedBody>;

impl<S> Service<Req> for GateService<S>
where
    S: Service<Req, Response = http::Response<tonic::body::Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Resp;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Resp, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // The clone that was made ready handles this call; a fresh clone waits for the next.
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        let gate = self.gate.clone();
        let span = tracing::info_span!(
            "rpc",
            method = %req.uri().path(),
            caller = tracing::field::Empty,
        );
        Box::pin(async move { Ok(gate.handle(inner, req).await) }.instrument(span))
    }
}

/// The purpose a caller states for a query (`x-bashu-purpose`, or UTF-8 in
/// `x-bashu-purpose-bin`), cut to [`MAX_PURPOSE`] bytes.
fn purpose(headers: &http::HeaderMap) -> String {
    let text = if let Some(v) = headers.get("x-bashu-purpose-bin") {
        decode_base64(v.as_bytes())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    } else {
        headers
            .get("x-bashu-purpose")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut end = text.len().min(MAX_PURPOSE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].trim().to_owned()
}

/// Standard base64, padded or not (gRPC binary metadata).
fn decode_base64(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s: Vec<u8> = s.iter().copied().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= val(*c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// The name of a gRPC status code, as the audit trail writes it.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn deny(status: Status) -> Resp {
    status.into_http::<GuardedBody>()
}

/// What one call carries through the layer.
struct Call {
    path: String,
    remote: String,
    purpose: String,
    caller: Option<Caller>,
    /// The request message, kept for the audit trail (Query calls only).
    message: Arc<Mutex<Option<Bytes>>>,
}

impl Gate {
    async fn handle<S>(self: Arc<Self>, mut inner: S, mut req: Req) -> Resp
    where
        S: Service<Req, Response = http::Response<tonic::body::Body>, Error = Infallible> + Send,
        S::Future: Send,
    {
        let conn = req.extensions().get::<ConnInfo>().cloned();
        let mut call = Call {
            path: req.uri().path().to_owned(),
            remote: conn
                .as_ref()
                .and_then(|c| c.remote)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            purpose: purpose(req.headers()),
            caller: None,
            message: Arc::new(Mutex::new(None)),
        };
        let audited = service_of(&call.path) == "bashu.v1.Query";

        // Who is calling.
        let identified = self.authority.identify(
            conn.as_ref().and_then(|c| c.client_cert.as_ref()),
            req.headers().get(http::header::AUTHORIZATION),
        );
        let caller = match identified {
            Ok(c) => c,
            Err(status) => return self.refuse(&call, audited, status).await,
        };
        let rate_key = caller.as_ref().map_or_else(
            || {
                let ip = conn.as_ref().and_then(|c| c.remote).map(|a| a.ip());
                format!("anon:{}", ip.map(|i| i.to_string()).unwrap_or_default())
            },
            |c| c.name.clone(),
        );
        if let Some(c) = &caller {
            tracing::Span::current().record("caller", c.name.as_str());
        }
        call.caller = caller.clone();
        if !self.rate.allow(&rate_key, Instant::now()) {
            let status = Status::resource_exhausted(
                "too many calls from this caller; slow down / 调用过于频繁，请稍后再试",
            );
            return self.refuse(&call, audited, status).await;
        }
        let Some(caller) = caller else {
            let status = Status::unauthenticated(
                "no credentials: present an alliance client certificate or a bearer token / 未提供凭据",
            );
            return self.refuse(&call, audited, status).await;
        };
        if let Err(status) = self.authority.authorise(&caller, &call.path) {
            return self.refuse(&call, audited, status).await;
        }
        let Some(slot) = self.in_flight.try_enter(&caller.name) else {
            let status = Status::resource_exhausted(format!(
                "more than {} calls in flight for this caller / 并发调用过多",
                self.limits.max_concurrent_per_caller
            ));
            return self.refuse(&call, audited, status).await;
        };

        // Bound the request body; keep a Query request for the audit trail.
        let service = service_of(&call.path);
        let max_message_bytes = match service {
            "bashu.v1.County" | "bashu.v1.Exchange" => self.limits.max_message_bytes,
            _ => self.limits.max_query_message_bytes,
        };
        let inspect: Option<Inspect> = audited.then(|| {
            let keep = call.message.clone();
            let role = caller.role;
            let find = call.path.ends_with("/FindCertificate");
            Box::new(move |msg: &[u8]| {
                if find && role != Role::Operator && asks_reveal(msg) {
                    return Err(Status::permission_denied(
                        "only this node's operator may ask for full ID numbers / 仅本节点运维人员可查看完整证件号码",
                    ));
                }
                let mut k = keep.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if k.is_none() {
                    *k = Some(Bytes::copy_from_slice(msg));
                }
                Ok(())
            }) as Inspect
        });
        let limits = BodyLimits {
            max_message_bytes,
            max_items: self.limits.max_items_per_request,
            max_messages: self.limits.max_items_per_request,
        };
        let (parts, body) = req.into_parts();
        req = http::Request::from_parts(
            parts,
            tonic::body::Body::new(LimitedBody::new(body, limits, inspect)),
        );
        req.extensions_mut().insert(caller.clone());

        // The deadline: the server's, or the client's when shorter (SyncNow is bounded by
        // the per-peer timeouts).
        let mut deadline = (call.path != "/bashu.v1.Admin/SyncNow")
            .then(|| Duration::from_secs(self.limits.request_timeout_secs.max(1)));
        if let Some(client) = req
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::limits::grpc_timeout)
        {
            let client = client.saturating_sub(DEADLINE_MARGIN);
            deadline = Some(deadline.map_or(client, |d| d.min(client)));
        }
        let started = Instant::now();
        let answer = match deadline {
            Some(d) => tokio::time::timeout(d, inner.call(req)).await.ok(),
            None => Some(inner.call(req).await),
        };
        let response = match answer {
            Some(Ok(r)) => r,
            Some(Err(never)) => match never {},
            None => {
                let status = Status::deadline_exceeded("deadline exceeded / 请求超时");
                return self.refuse(&call, audited, status).await;
            }
        };
        let code = response
            .headers()
            .get("grpc-status")
            .map_or(Code::Ok, |v| Code::from_bytes(v.as_bytes()));
        tracing::debug!(
            outcome = code_name(code),
            ms = started.elapsed().as_millis() as u64,
            "rpc answered"
        );
        if audited {
            if let Err(e) = self.record(&call, code).await {
                // No answer leaves without its audit record.
                tracing::error!(error = %e, "audit trail unavailable; answer withheld");
                return deny(Status::unavailable(
                    "audit trail unavailable; the answer is withheld / 审计日志不可用，未返回结果",
                ));
            }
        }
        let (parts, body) = response.into_parts();
        http::Response::from_parts(
            parts,
            GuardedBody {
                inner: body,
                _slot: Some(slot),
            },
        )
    }

    /// Answers a refused call (recording it when it was a Query call).
    async fn refuse(&self, call: &Call, audited: bool, status: Status) -> Resp {
        let who = call
            .caller
            .as_ref()
            .map_or("unidentified", |c| c.name.as_str());
        tracing::warn!(
            caller = who,
            remote = %call.remote,
            outcome = code_name(status.code()),
            reason = status.message(),
            "call refused"
        );
        if audited {
            if let Err(e) = self.record(call, status.code()).await {
                tracing::error!(error = %e, "audit trail unavailable");
            }
        }
        deny(status)
    }

    async fn record(&self, call: &Call, code: Code) -> Result<(), String> {
        let message = call
            .message
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let (request_hash, fields) = match &message {
            Some(m) => self.audit.hash_request(&call.path, m),
            None => Default::default(),
        };
        let record = AuditRecord {
            v: 1,
            at_ms: crate::node::now_ms(),
            caller: call
                .caller
                .as_ref()
                .map_or_else(|| "unidentified".to_owned(), |c| c.name.clone()),
            role: call
                .caller
                .as_ref()
                .map_or("", |c| c.role.as_str())
                .to_owned(),
            remote: call.remote.clone(),
            method: call.path.clone(),
            request_hash,
            fields,
            purpose: call.purpose.clone(),
            outcome: code_name(code).to_owned(),
        };
        let audit = self.audit.clone();
        tokio::task::spawn_blocking(move || audit.append(&record))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

/// Whether a FindCertificate request sets `reveal_id` (field 5).
fn asks_reveal(msg: &[u8]) -> bool {
    let mut at = 0;
    let mut reveal = false;
    while at < msg.len() {
        let Some(key) = crate::limits::varint(msg, &mut at) else {
            return reveal;
        };
        let skip = match key & 7 {
            0 => {
                let Some(v) = crate::limits::varint(msg, &mut at) else {
                    return reveal;
                };
                if key >> 3 == 5 {
                    reveal = v != 0;
                }
                0
            }
            2 => match crate::limits::varint(msg, &mut at).and_then(|l| usize::try_from(l).ok()) {
                Some(l) => l,
                None => return reveal,
            },
            1 => 8,
            5 => 4,
            _ => return reveal,
        };
        at = at.saturating_add(skip);
    }
    reveal
}

/// A response body that holds the caller's in-flight slot until the answer (a stream
/// included) is finished or dropped.
#[derive(Default)]
pub(crate) struct GuardedBody {
    inner: tonic::body::Body,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The security of a starting node: its TLS identity and server configuration (none with
/// `insecure_dev`), the audit trail, and the layer.
pub(crate) struct Security {
    pub identity: Option<Arc<crate::tls::TlsIdentity>>,
    pub server_tls: Option<Arc<crate::tls::ServerConfig>>,
    pub audit: Arc<AuditLog>,
    pub gate: Arc<Gate>,
}

impl Security {
    pub(crate) fn setup(
        cfg: &crate::config::NodeConfig,
        county: &bashu_core::CountyCode,
        trust: &Arc<bashu_sync::Trust>,
    ) -> Result<Security, crate::node::NodeError> {
        use crate::node::NodeError;
        let invalid = |m: String| NodeError::Invalid(m);
        let authority = Authority::new(
            county.clone(),
            trust.clone(),
            &cfg.clients,
            cfg.insecure_dev,
        )
        .map_err(|e| invalid(e.to_string()))?;
        let (identity, server_tls) = if cfg.insecure_dev {
            tracing::warn!(
                "insecure_dev: gRPC is PLAINTEXT and peers are not authenticated; for development on loopback only"
            );
            (None, None)
        } else {
            let tls = cfg.tls.as_ref().ok_or_else(|| {
                invalid(
                    "no [tls] section: give the county's TLS identity (bashu keys tls), or insecure_dev = true for plaintext development".into(),
                )
            })?;
            let identity = crate::tls::TlsIdentity::load(&tls.cert, &tls.key)
                .map_err(|e| invalid(e.to_string()))?;
            let pinned = trust
                .current()
                .member(county)
                .map(|m| m.tls_cert_sha256.clone());
            match pinned {
                Some(p) if p.as_slice() != identity.pin() => tracing::error!(
                    county = %county,
                    configured = %hex::encode(identity.pin()),
                    pinned = %hex::encode(&p),
                    "the configured tls certificate is not the one the alliance pins for this county; peers will refuse it"
                ),
                _ => {}
            }
            let client_pins = cfg
                .clients
                .iter()
                .filter_map(|c| c.cert_sha256.as_deref())
                .filter_map(|h| hex::decode(h.trim()).ok()?.try_into().ok())
                .collect();
            let policy = Arc::new(crate::auth::NodeClientPins {
                trust: trust.clone(),
                clients: client_pins,
            });
            let server_tls =
                crate::tls::server_config(&identity, policy).map_err(|e| invalid(e.to_string()))?;
            (Some(Arc::new(identity)), Some(server_tls))
        };
        let audit = Arc::new(
            AuditLog::open(&crate::audit::audit_dir(&cfg.data_dir), cfg.audit.sync())
                .map_err(|e| invalid(e.to_string()))?,
        );
        let gate = Arc::new(Gate::new(authority, cfg.limits.clone(), audit.clone()));
        Ok(Security {
            identity,
            server_tls,
            audit,
            gate,
        })
    }

    pub(crate) fn accept_limits(limits: &LimitsConfig) -> crate::tls::AcceptLimits {
        crate::tls::AcceptLimits {
            max_connections: limits.max_connections,
            handshake_timeout: Duration::from_secs(limits.handshake_timeout_secs.max(1)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn purposes_come_from_metadata_and_are_bounded() {
        let mut h = http::HeaderMap::new();
        assert_eq!(purpose(&h), "");
        h.insert("x-bashu-purpose", "case 2026-17".parse().unwrap());
        assert_eq!(purpose(&h), "case 2026-17");
        // "核查" in base64.
        h.insert("x-bashu-purpose-bin", "5qC45p+l".parse().unwrap());
        assert_eq!(purpose(&h), "核查");
        h.insert("x-bashu-purpose", "x".repeat(1000).parse().unwrap());
        h.remove("x-bashu-purpose-bin");
        assert_eq!(purpose(&h).len(), MAX_PURPOSE);
    }

    #[test]
    fn reveal_is_read_from_the_wire() {
        assert!(!asks_reveal(&[0x0a, 1, b'a']));
        assert!(asks_reveal(&[0x0a, 1, b'a', 0x28, 1]));
        assert!(!asks_reveal(&[0x28, 0]));
    }
}
