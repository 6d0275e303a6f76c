//! Limits on every inbound call: message size, items per message, messages per request
//! stream, concurrent calls and a request rate per caller, and request deadlines.
//! Enforced in the security layer (`gate.rs`) before a handler runs, so a call over a
//! limit changes nothing; each answers with its gRPC status (RESOURCE_EXHAUSTED for sizes,
//! counts, concurrency and rate, DEADLINE_EXCEEDED for time).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http_body::{Body, Frame};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;

/// `[limits]` in `node.toml`. Every field has a default; a partial table is fine.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request message of the County and Exchange services (an HR submission, a
    /// peer's request), and largest message accepted from a peer (a chunk of entries).
    pub max_message_bytes: usize,
    /// Largest request message of the Query and Admin services.
    pub max_query_message_bytes: usize,
    /// Most items in one request message (rows of a submission; top-level fields in
    /// general), and most messages in one request stream.
    pub max_items_per_request: usize,
    /// Calls one caller (a peer county, a token, a client certificate) may have in flight
    /// at once, streams included; more are answered RESOURCE_EXHAUSTED at once.
    pub max_concurrent_per_caller: usize,
    /// HTTP/2 streams one connection may open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    pub max_streams_per_connection: u32,
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// Deadline of a call until its answer starts (the client's own `grpc-timeout`
    /// applies when shorter), in seconds. `Admin.SyncNow` is bounded by the per-peer
    /// timeouts instead; a served stream ends when its reader stalls.
    pub request_timeout_secs: u64,
    /// A TLS handshake must finish within this many seconds.
    pub handshake_timeout_secs: u64,
    /// Sustained calls per second per caller (a token bucket); 0 turns the limit off.
    pub rate_per_sec: f64,
    /// Calls a caller may make in a burst above the sustained rate.
    pub rate_burst: f64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_bytes: 16 * 1024 * 1024,
            max_query_message_bytes: 64 * 1024,
            max_items_per_request: 10_000,
            max_concurrent_per_caller: 32,
            max_streams_per_connection: 64,
            max_connections: 1024,
            request_timeout_secs: 120,
            handshake_timeout_secs: 10,
            rate_per_sec: 500.0,
            rate_burst: 1000.0,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rate

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per caller.
pub(crate) struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets kept before idle (full) ones are dropped.
const MAX_BUCKETS: usize = 10_000;

impl RateLimiter {
    pub(crate) fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate,
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token of `caller`'s bucket at `now`; false when it is empty.
    pub(crate) fn allow(&self, caller: &str, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(caller) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let b = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency

/// Calls in flight per caller.
pub(crate) struct InFlight {
    per_caller: usize,
    callers: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl InFlight {
    pub(crate) fn new(per_caller: usize) -> InFlight {
        InFlight {
            per_caller: per_caller.max(1),
            callers: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for one more call of `caller`, held until the answer (stream included) is
    /// finished; `None` when all are taken.
    pub(crate) fn try_enter(&self, caller: &str) -> Option<OwnedSemaphorePermit> {
        let sem = {
            let mut callers = self
                .callers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if callers.len() >= MAX_BUCKETS {
                let full = self.per_caller;
                callers.retain(|_, s| s.available_permits() < full);
            }
            callers
                .entry(caller.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_caller)))
                .clone()
        };
        sem.try_acquire_owned().ok()
    }
}

// ---------------------------------------------------------------------------------------
// Deadlines

/// The client's deadline from a `grpc-timeout` header (`<digits><H|M|S|m|u|n>`).
pub(crate) fn grpc_timeout(value: &str) -> Option<Duration> {
    let value = value.trim();
    let unit = value.chars().last()?;
    let digits = value.get(..value.len() - unit.len_utf8())?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        'H' => Duration::from_secs(n * 3600),
        'M' => Duration::from_secs(n * 60),
        'S' => Duration::from_secs(n),
        'm' => Duration::from_millis(n),
        'u' => Duration::from_micros(n),
        'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Request bodies

/// Limits on one request body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits {
    pub max_message_bytes: usize,
    pub max_items: usize,
    pub max_messages: usize,
}

/// Looks at each complete request message before the handler decodes it; an error ends
/// the request with that status (nothing has been handled yet).
pub(crate) type Inspect = Box<dyn FnMut(&[u8]) -> Result<(), Status> + Send>;

/// A gRPC request body, re-framed message by message: each length-prefixed message is
/// checked against the limits as soon as its prefix arrives (size) and when it is
/// complete (items), then passed on whole. The first violation becomes the body's
/// error, which tonic answers with that status.
pub(crate) struct LimitedBody {
    inner: tonic::body::Body,
    limits: BodyLimits,
    buf: BytesMut,
    messages: usize,
    inspect: Option<Inspect>,
    failed: bool,
}

impl LimitedBody {
    pub(crate) fn new(
        inner: tonic::body::Body,
        limits: BodyLimits,
        inspect: Option<Inspect>,
    ) -> LimitedBody {
        LimitedBody {
            inner,
            limits,
            buf: BytesMut::new(),
            messages: 0,
            inspect,
            failed: false,
        }
    }

    /// The next complete message in the buffer (prefix included), after its checks.
    fn next_message(&mut self) -> Result<Option<Bytes>, Status> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.limits.max_message_bytes {
            return Err(Status::resource_exhausted(format!(
                "request message of {len} bytes exceeds the limit of {} bytes / 请求消息超过 {} 字节上限",
                self.limits.max_message_bytes, self.limits.max_message_bytes
            )));
        }
        if self.buf.len() < 5 + len {
            return Ok(None);
        }
        self.messages += 1;
        if self.messages > self.limits.max_messages {
            return Err(Status::resource_exhausted(format!(
                "more than {} messages in one request stream / 单个请求流的消息数超过上限",
                self.limits.max_messages
            )));
        }
        let msg = self.buf.split_to(5 + len).freeze();
        // Compressed messages (flag 1) are not counted here; the node accepts none.
        if msg[0] == 0 {
            let items = count_fields(&msg[5..]);
            if items > self.limits.max_items {
                return Err(Status::resource_exhausted(format!(
                    "{items} items in one request; the limit is {} / 单次请求 {items} 项，上限为 {} 项",
                    self.limits.max_items, self.limits.max_items
                )));
            }
            if let Some(inspect) = self.inspect.as_mut() {
                inspect(&msg[5..])?;
            }
        }
        Ok(Some(msg))
    }
}

/// Top-level fields of a protobuf message (each element of a repeated field counts);
/// stops counting at malformed bytes (the decoder reports those).
pub(crate) fn count_fields(b: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while at < b.len() {
        let Some(key) = varint(b, &mut at) else {
            break;
        };
        let skip = match key & 7 {
            0 => varint(b, &mut at).map(|_| 0),
            1 => Some(8),
            2 => varint(b, &mut at).and_then(|l| usize::try_from(l).ok()),
            5 => Some(4),
            _ => None,
        };
        let Some(end) = skip
            .and_then(|s| at.checked_add(s))
            .filter(|e| *e <= b.len())
        else {
            break;
        };
        at = end;
        n += 1;
    }
    n
}

pub(crate) fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        loop {
            match this.next_message() {
                Ok(Some(msg)) => return Poll::Ready(Some(Ok(Frame::data(msg)))),
                Ok(None) => {}
                Err(status) => {
                    this.failed = true;
                    this.buf.clear();
                    return Poll::Ready(Some(Err(status)));
                }
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    if this.buf.is_empty() {
                        return Poll::Ready(None);
                    }
                    // A truncated message: hand it on, the decoder reports it.
                    let rest = std::mem::take(&mut this.buf).freeze();
                    return Poll::Ready(Some(Ok(Frame::data(rest))));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(mut data) => {
                        while data.has_remaining() {
                            let chunk = data.chunk();
                            let n = chunk.len();
                            this.buf.extend_from_slice(chunk);
                            data.advance(n);
                        }
                    }
                    Err(frame) => {
                        // Trailers: only after the last message.
                        return Poll::Ready(Some(Ok(frame)));
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || (self.buf.is_empty() && self.inner.is_end_stream())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_at_the_rate_and_never_beyond_the_burst() {
        let r = RateLimiter::new(2.0, 3.0);
        let t = Instant::now();
        assert!((0..3).all(|_| r.allow("a", t)));
        assert!(!r.allow("a", t), "burst used up");
        assert!(r.allow("b", t), "another caller has its own bucket");
        assert!(r.allow("a", t + Duration::from_millis(500)));
        assert!(!r.allow("a", t + Duration::from_millis(500)));
        let later = t + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| r.allow("a", later)).count(), 3);
        assert!(RateLimiter::new(0.0, 0.0).allow("x", t), "0 = off");
    }

    #[test]
    fn in_flight_slots_are_per_caller_and_come_back() {
        let f = InFlight::new(2);
        let a1 = f.try_enter("a").unwrap();
        let _a2 = f.try_enter("a").unwrap();
        assert!(f.try_enter("a").is_none());
        assert!(f.try_enter("b").is_some());
        drop(a1);
        assert!(f.try_enter("a").is_some());
    }

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(grpc_timeout("m"), None);
        assert_eq!(grpc_timeout("123456789S"), None);
        assert_eq!(grpc_timeout("5x"), None);
    }

    #[test]
    fn fields_are_counted_at_the_top_level() {
        // field 1 (len 2 "ab") ×3, field 2 varint 150.
        let msg = [
            0x0a, 2, b'a', b'b', 0x0a, 2, b'a', b'b', 0x0a, 2, b'a', b'b', 0x10, 0x96, 0x01,
        ];
        assert_eq!(count_fields(&msg), 4);
        assert_eq!(
            count_fields(&msg[..6]),
            1,
            "a truncated field is not counted"
        );
        assert_eq!(count_fields(&[]), 0);
    }
}
