//! The audit trail of Query calls: who asked what, why, when, and what they were told.
//!
//! Every call to the Query service that reaches this node is recorded, answered or
//! refused: the caller's name and role, the method, the remote address, the purpose the
//! caller gave (`x-bashu-purpose` metadata, or `x-bashu-purpose-bin` for UTF-8), the time,
//! the gRPC status of the answer, and **what was asked as keyed hashes**: an
//! HMAC-SHA256 of the whole request message and one per request field, under a key
//! that never leaves this node (`data_dir/audit/audit.key`, mode 0600). Never a value: a
//! plain SHA-256 of an ID number or a name can be reversed by trying every candidate, a
//! keyed hash cannot without the key. The same question asked twice gives the same
//! hashes, so the operator can see repeats, and `bashu audit --match VALUE` (which reads
//! the key on the node's machine) finds the calls that asked for a given value.
//!
//! Storage: one JSON object per line in `data_dir/audit/queries.jsonl`, written before the
//! answer is released, so no answered query is missing from the trail after a crash of the
//! node. Against power loss the line is made durable (`fsync`) as [`AuditSync`] says: by
//! default in the background within 100 ms of the answer (as auditd's
//! `incremental_async` does), or before every answer (`[audit] fsync_every_call = true`,
//! which costs a disk flush, ≈ 0.5 ms here, on every query). The file is separate from
//! the sled store: the audit trail is node-local, never replicated, and kept and rotated
//! by the operator's own rules.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::limits::varint;

/// One audited call (a line of `queries.jsonl`, version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Format version of the line.
    pub v: u8,
    /// When the answer was given, milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    pub caller: String,
    pub role: String,
    /// Remote address of the connection.
    pub remote: String,
    /// `/bashu.v1.Query/FindCertificate`.
    pub method: String,
    /// HMAC-SHA256 (hex) of the request message; empty when it was refused before it
    /// was read.
    pub request_hash: String,
    /// Per request field: its name (or number) and the HMAC-SHA256 (hex) of its value.
    /// Flags that carry no personal data (`reveal_id`) are kept as they are.
    pub fields: BTreeMap<String, String>,
    /// The purpose or case reference the caller gave (at most 256 bytes).
    pub purpose: String,
    /// The gRPC status code name of the answer: `OK`, `PERMISSION_DENIED`, …
    pub outcome: String,
}

/// Why the audit trail could not be opened, written or read.
#[derive(Debug, thiserror::Error)]
#[error("audit trail {path}: {source}")]
pub struct AuditError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

const KEY_PREFIX: &str = "audit-hmac:";

/// The `[audit]` section of `node.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// `fsync` every record before its answer leaves (durable against power loss, one
    /// disk flush per query) instead of in the background.
    pub fsync_every_call: bool,
    /// Otherwise: written records are flushed to disk within this many milliseconds.
    pub fsync_interval_ms: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            fsync_every_call: false,
            fsync_interval_ms: 100,
        }
    }
}

/// When written audit records are made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditSync {
    /// Before the answer leaves.
    EveryCall,
    /// By a background flusher, at most this long after the answer.
    Within(Duration),
}

impl AuditConfig {
    pub fn sync(&self) -> AuditSync {
        if self.fsync_every_call {
            AuditSync::EveryCall
        } else {
            AuditSync::Within(Duration::from_millis(
                self.fsync_interval_ms.clamp(1, 60_000),
            ))
        }
    }
}

/// The file and whether it holds records not yet flushed to disk.
struct Trail {
    file: Mutex<File>,
    /// A second handle of the same file, so that a flush (which can take long while the
    /// disk is busy) never holds up the writers.
    syncer: File,
    dirty: AtomicBool,
    stop: AtomicBool,
}

impl Trail {
    fn flush(&self, path: &Path) {
        if self.dirty.swap(false, Ordering::AcqRel) {
            if let Err(e) = self.syncer.sync_data() {
                self.dirty.store(true, Ordering::Release);
                tracing::error!(path = %path.display(), error = %e, "audit trail: fsync failed");
            }
        }
    }
}

/// The node's audit trail.
pub struct AuditLog {
    path: PathBuf,
    key: [u8; 32],
    trail: Arc<Trail>,
    sync: AuditSync,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.trail.stop.store(true, Ordering::Release);
        if let Some(t) = self.flusher.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        self.trail.flush(&self.path);
    }
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditLog({})", self.path.display())
    }
}

/// The directory of the audit trail of a node whose data directory is `data_dir`.
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

/// Reads the node's audit key, creating it (mode 0600) on first use.
pub fn audit_key(dir: &Path) -> Result<[u8; 32], AuditError> {
    let path = dir.join("audit.key");
    let io = |source| AuditError {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    if !path.exists() {
        let key = crate::bootstrap::random_bytes()
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        match crate::bootstrap::write_secret(&path, &format!("{KEY_PREFIX}{}\n", hex::encode(key)))
        {
            Ok(()) | Err(crate::bootstrap::BootstrapError::Exists { .. }) => {}
            Err(e) => return Err(io(std::io::Error::other(e.to_string()))),
        }
    }
    let text = std::fs::read_to_string(&path).map_err(io)?;
    hex::decode(text.trim().trim_start_matches(KEY_PREFIX))
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "audit.key is not an audit key",
            ))
        })
}

/// HMAC-SHA256 (hex) of `value` under `key`.
pub fn keyed_hash(key: &[u8; 32], value: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this cannot happen.
        unreachable!("hmac key")
    });
    mac.update(value);
    hex::encode(mac.finalize().into_bytes())
}

impl AuditLog {
    /// Opens (creating) `dir/queries.jsonl` and the node's audit key; records are made
    /// durable as `sync` says.
    pub fn open(dir: &Path, sync: AuditSync) -> Result<AuditLog, AuditError> {
        let key = audit_key(dir)?;
        let path = dir.join("queries.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| AuditError {
                path: path.clone(),
                source,
            })?;
        let syncer = file.try_clone().map_err(|source| AuditError {
            path: path.clone(),
            source,
        })?;
        let trail = Arc::new(Trail {
            syncer,
            file: Mutex::new(file),
            dirty: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let flusher = match sync {
            AuditSync::EveryCall => None,
            AuditSync::Within(every) => {
                let (trail, at) = (trail.clone(), path.clone());
                let spawned = std::thread::Builder::new()
                    .name("audit-fsync".into())
                    .spawn(move || {
                        while !trail.stop.load(Ordering::Acquire) {
                            std::thread::park_timeout(every);
                            trail.flush(&at);
                        }
                    })
                    .map_err(|source| AuditError {
                        path: path.clone(),
                        source,
                    })?;
                Some(spawned)
            }
        };
        Ok(AuditLog {
            path,
            key,
            trail,
            sync,
            flusher,
        })
    }

    /// The keyed hashes of a request message: of the whole, and per field.
    pub(crate) fn hash_request(
        &self,
        method: &str,
        message: &[u8],
    ) -> (String, BTreeMap<String, String>) {
        let whole = keyed_hash(&self.key, message);
        let mut fields = BTreeMap::new();
        for (number, value, clear) in request_fields(message) {
            let name = field_name(method, number);
            let shown = if clear.is_some_and(|_| is_flag(method, number)) {
                clear.map(|v| v.to_string()).unwrap_or_default()
            } else if value.is_empty() {
                continue; // an absent string: nothing was asked
            } else {
                keyed_hash(&self.key, value)
            };
            // A repeated field: one hash of each value, joined.
            fields
                .entry(name)
                .and_modify(|s: &mut String| {
                    s.push(',');
                    s.push_str(&shown);
                })
                .or_insert(shown);
        }
        (whole, fields)
    }

    /// Appends one record: written to the file before this returns, and durable now or
    /// within the flush interval (see [`AuditSync`]).
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let io = |source| AuditError {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(record)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        line.push(b'\n');
        let mut f = self
            .trail
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f.write_all(&line).map_err(io)?;
        match self.sync {
            AuditSync::EveryCall => f.sync_data().map_err(io),
            AuditSync::Within(_) => {
                self.trail.dirty.store(true, Ordering::Release);
                Ok(())
            }
        }
    }

    /// Records at or after `since_ms`, oldest first, the newest `limit` of them.
    pub fn read_since(&self, since_ms: i64, limit: usize) -> Result<Vec<AuditRecord>, AuditError> {
        read_trail(&self.path, since_ms, limit)
    }

    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }
}

/// Reads an audit trail file (lines that do not parse are skipped).
pub fn read_trail(
    path: &Path,
    since_ms: i64,
    limit: usize,
) -> Result<Vec<AuditRecord>, AuditError> {
    let io = |source| AuditError {
        path: path.to_owned(),
        source,
    };
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut out = std::collections::VecDeque::new();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(io)?;
        let Ok(r) = serde_json::from_str::<AuditRecord>(&line) else {
            continue;
        };
        if r.at_ms >= since_ms {
            out.push_back(r);
            if out.len() > limit {
                out.pop_front();
            }
        }
    }
    Ok(out.into())
}

/// Top-level fields of a request: number, raw value bytes, and the value of a varint.
fn request_fields(b: &[u8]) -> Vec<(u32, &[u8], Option<u64>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let start_key = at;
        let Some(key) = varint(b, &mut at) else { break };
        let number = u32::try_from(key >> 3).unwrap_or(u32::MAX);
        match key & 7 {
            0 => {
                let from = at;
                let Some(v) = varint(b, &mut at) else { break };
                out.push((number, &b[from..at], Some(v)));
            }
            2 => {
                let Some(len) = varint(b, &mut at).and_then(|l| usize::try_from(l).ok()) else {
                    break;
                };
                let Some(end) = at.checked_add(len).filter(|e| *e <= b.len()) else {
                    break;
                };
                out.push((number, &b[at..end], None));
                at = end;
            }
            1 | 5 => {
                let n = if key & 7 == 1 { 8 } else { 4 };
                let Some(end) = at.checked_add(n).filter(|e| *e <= b.len()) else {
                    break;
                };
                out.push((number, &b[at..end], None));
                at = end;
            }
            _ => {
                let _ = start_key;
                break;
            }
        }
    }
    out
}

/// Field names of the Query requests this node knows; others are shown by number.
fn field_name(method: &str, number: u32) -> String {
    let names: &[&str] = match method.rsplit('/').next().unwrap_or_default() {
        "FindCertificate" => &["cert_no", "name", "id_no", "id_type", "reveal_id"],
        "CheckRecognition" => &["cert_no", "county", "as_of", "author"],
        "CheckBatch" => &["batch_id", "as_of"],
        "CheckPromotion" => &["result_id", "county", "as_of"],
        "EligibleExperts" => &["batch_id", "occupation_code", "level", "as_of"],
        _ => &[],
    };
    usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| names.get(i))
        .map_or_else(|| format!("#{number}"), |s| (*s).to_owned())
}

/// Fields kept in clear: flags that carry no personal data.
fn is_flag(method: &str, number: u32) -> bool {
    method.ends_with("/FindCertificate") && number == 5
}

/// Records returned by `Admin.Audit` when the caller gives no limit.
const DEFAULT_LIMIT: usize = 1000;

/// `Admin.Audit`: the trail from `since_ms`, newest `limit` records, oldest first.
pub(crate) async fn serve(
    log: std::sync::Arc<AuditLog>,
    req: bashu_proto::v1::AuditRequest,
) -> Result<bashu_proto::v1::AuditResponse, tonic::Status> {
    let limit = match req.limit {
        0 => DEFAULT_LIMIT,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let records = tokio::task::spawn_blocking(move || log.read_since(req.since_ms, limit))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "audit read task failed");
            tonic::Status::internal("internal error / 内部错误")
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read the audit trail");
            tonic::Status::unavailable("audit trail unavailable / 审计日志不可用")
        })?;
    Ok(bashu_proto::v1::AuditResponse {
        records: records
            .into_iter()
            .map(|r| bashu_proto::v1::AuditRecord {
                at_ms: r.at_ms,
                caller: r.caller,
                role: r.role,
                remote: r.remote,
                method: r.method,
                request_hash: r.request_hash,
                fields: r.fields.into_iter().collect(),
                purpose: r.purpose,
                outcome: r.outcome,
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Time stamps (UTC, RFC 3339)

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-30T08:15:02.123Z`.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        t / 3600,
        t / 60 % 60,
        t % 60,
        ms.rem_euclid(1000)
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` or a date `YYYY-MM-DD` (midnight UTC)
/// into milliseconds since the epoch.
pub fn parse_utc(s: &str) -> Result<i64, String> {
    let bad = || format!("{s:?} is not a time like 2026-11-30T00:00:00Z");
    let s = s.trim();
    let num = |t: &str| -> Result<i64, String> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let (date, rest) = s.split_at(s.find('T').unwrap_or(s.len()));
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d) = (num(y)?, num(m)?, num(d)?);
    if y.to_string().len() != 4 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return Err(bad());
    }
    let mut ms = days * 86_400_000;
    let Some(time) = rest.strip_prefix('T') else {
        return if rest.is_empty() { Ok(ms) } else { Err(bad()) };
    };
    let (clock, offset_ms) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, off) = time.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
        (c, sign * (num(oh)? * 3600 + num(om)? * 60) * 1000)
    } else {
        return Err(bad());
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let t: Vec<&str> = hms.split(':').collect();
    let [h, mi, se] = t.as_slice() else {
        return Err(bad());
    };
    let (h, mi, se) = (num(h)?, num(mi)?, num(se)?);
    if h > 23 || mi > 59 || se > 60 {
        return Err(bad());
    }
    let frac_ms = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain("000".chars()).take(3).collect();
        num(&digits)?
    };
    ms += ((h * 60 + mi) * 60 + se) * 1000 + frac_ms - offset_ms;
    Ok(ms)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let ms = parse_utc("2026-11-30T00:00:00Z").unwrap();
        assert_eq!(format_utc(ms), "2026-11-30T00:00:00.000Z");
        assert_eq!(parse_utc("2026-11-30").unwrap(), ms);
        assert_eq!(parse_utc("2026-11-30T08:00:00+08:00").unwrap(), ms);
        assert_eq!(parse_utc("1970-01-01T00:00:01.5Z").unwrap(), 1500);
        assert_eq!(format_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        for bad in [
            "2026-02-30",
            "2026-11-30T25:00:00Z",
            "yesterday",
            "2026-11-30T00:00:00",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_are_recorded_as_keyed_hashes_never_values() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path(), AuditSync::Within(Duration::from_millis(5))).unwrap();
        // FindCertificate { cert_no: "Y1", name: "张三", reveal_id: true }
        let mut msg = vec![0x0a, 2, b'Y', b'1', 0x12, 6];
        msg.extend_from_slice("张三".as_bytes());
        msg.extend_from_slice(&[0x28, 1]);
        let method = "/bashu.v1.Query/FindCertificate";
        let (whole, fields) = log.hash_request(method, &msg);
        assert_eq!(whole.len(), 64);
        assert_eq!(fields["cert_no"], keyed_hash(log.key(), b"Y1"));
        assert_eq!(fields["name"], keyed_hash(log.key(), "张三".as_bytes()));
        assert_eq!(fields["reveal_id"], "1");
        assert!(!fields.contains_key("id_no"));
        let r = AuditRecord {
            v: 1,
            at_ms: 5,
            caller: "secretariat".into(),
            role: "secretariat".into(),
            remote: "127.0.0.1:1".into(),
            method: method.into(),
            request_hash: whole,
            fields,
            purpose: "case 7".into(),
            outcome: "OK".into(),
        };
        log.append(&r).unwrap();
        let text = std::fs::read_to_string(dir.path().join("queries.jsonl")).unwrap();
        assert!(!text.contains("张三") && !text.contains("Y1\""));
        assert_eq!(log.read_since(0, 10).unwrap(), vec![r.clone()]);
        assert!(log.read_since(6, 10).unwrap().is_empty());
        // The key survives a reopen, so hashes stay comparable.
        let again = AuditLog::open(dir.path(), AuditSync::EveryCall).unwrap();
        assert_eq!(again.key(), log.key());
        // Both modes write before returning; the background flusher leaves nothing dirty.
        again
            .append(&AuditRecord {
                at_ms: 9,
                ..r.clone()
            })
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!log.trail.dirty.load(Ordering::Acquire));
        assert_eq!(log.read_since(0, 10).unwrap().len(), 2);
        drop(log);
    }
}
