//! The conformance suite: every test runs against every engine (see `suite!` at the end).
//! Tests that must see the raw keyspace (nothing written, corruption) go through
//! [`Harness::kv`].
#![allow(clippy::unwrap_used)]

use bashu_core::CountyCode;
use bashu_core::codec::Certificate;
use bashu_core::entry::{
    EntryDraft, EntryKind, SignedEntry, VerifiedCheckpoint, VerifiedEntry, sign_checkpoint,
    sign_entry,
};
use bashu_core::keys::SigningKey;
use bashu_core::merkle::{Hash, empty_root, root_of};

use crate::kv::Kv;
use crate::{AppendBatch, HomeRecord, LogState, MemStore, SledStore, Store, StoreError};

const ALLIANCE: &str = "yuxi-chuannan";

/// An engine under test: a fresh empty store, plus whatever must outlive it.
pub(crate) trait Harness: Store + Sized {
    type Guard;
    fn fresh() -> (Self, Self::Guard);
    fn kv(&self) -> &dyn Kv;
    /// The same keyspace opened again.
    fn reopen(self, guard: &Self::Guard) -> Result<Self, StoreError>;
}

impl Harness for MemStore {
    type Guard = ();
    fn fresh() -> (Self, ()) {
        (MemStore::new(), ())
    }
    fn kv(&self) -> &dyn Kv {
        &self.inner.kv
    }
    fn reopen(self, _: &()) -> Result<Self, StoreError> {
        crate::engine::KvStore::open(self.inner.kv).map(|inner| MemStore { inner })
    }
}

impl Harness for SledStore {
    type Guard = tempfile::TempDir;
    fn fresh() -> (Self, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (SledStore::open(dir.path(), 8 << 20).unwrap(), dir)
    }
    fn kv(&self) -> &dyn Kv {
        &self.inner.kv
    }
    fn reopen(self, dir: &tempfile::TempDir) -> Result<Self, StoreError> {
        drop(self);
        SledStore::open(dir.path(), 8 << 20)
    }
}

// ---------------------------------------------------------------- fixtures

fn county(code: &str) -> CountyCode {
    CountyCode::parse(code).unwrap()
}

fn cert_body(cert_no: &str, person: [u8; 32]) -> Vec<u8> {
    Certificate {
        cert_no: cert_no.into(),
        cert_type: None,
        person_key: person.to_vec(),
        id_type: "居民身份证".into(),
        id_masked: "500226********1234".into(),
        name: "测试人员".into(),
        occupation_code: "6-18-01-01".into(),
        occupation_name: "焊工".into(),
        work_type: String::new(),
        level: None,
        issue_date: "2024-06-01".into(),
        institution_name_printed: "荣昌职业技能鉴定站".into(),
        institution_uscc: String::new(),
        filing_no: String::new(),
        batch_id: String::new(),
        competition_result_id: String::new(),
        source: None,
        status: None,
        status_reason: String::new(),
        status_effective_date: String::new(),
    }
    .encode()
}

/// One author's log as the test writes it: key, next seq and the entry hashes so far.
struct Log {
    author: CountyCode,
    key: SigningKey,
    hashes: Vec<Hash>,
}

impl Log {
    fn new(code: &str, n: u8) -> Log {
        Log {
            author: county(code),
            key: SigningKey::from_bytes([n; 32]),
            hashes: Vec::new(),
        }
    }

    /// An entry at `seq`, without taking it into the log.
    fn at(&self, seq: u64, kind: EntryKind, record_id: &str, body: Vec<u8>) -> VerifiedEntry {
        sign_entry(
            &self.key,
            EntryDraft {
                alliance_id: ALLIANCE.into(),
                author: self.author.clone(),
                seq,
                authored_at_ms: 1_717_200_000_000 + seq as i64,
                kind,
                record_id: record_id.into(),
                body,
            },
        )
    }

    /// The next entry, taken into the log.
    fn next(&mut self, kind: EntryKind, record_id: &str, body: Vec<u8>) -> VerifiedEntry {
        let e = self.at(self.hashes.len() as u64 + 1, kind, record_id, body);
        self.hashes.push(e.hash());
        e
    }

    fn cert(&mut self, record_id: &str, cert_no: &str, person: [u8; 32]) -> VerifiedEntry {
        self.next(
            EntryKind::Certificate,
            record_id,
            cert_body(cert_no, person),
        )
    }

    fn checkpoint_at(&self, size: u64, root: Hash) -> VerifiedCheckpoint {
        sign_checkpoint(
            &self.key,
            ALLIANCE,
            &self.author,
            size,
            root,
            1_717_300_000_000,
        )
    }

    /// A checkpoint of the log as the test has written it.
    fn checkpoint(&self) -> VerifiedCheckpoint {
        self.checkpoint_at(self.hashes.len() as u64, root_of(&self.hashes))
    }

    fn batch(&self, entries: Vec<VerifiedEntry>) -> AppendBatch {
        AppendBatch {
            author: self.author.clone(),
            entries,
            checkpoint: None,
            home: Vec::new(),
        }
    }

    fn batch_with_checkpoint(&self, entries: Vec<VerifiedEntry>) -> AppendBatch {
        AppendBatch {
            checkpoint: Some(self.checkpoint()),
            ..self.batch(entries)
        }
    }
}

type Dump = Vec<(Vec<u8>, Vec<u8>)>;

/// Every key and value the engine holds.
fn dump(kv: &dyn Kv) -> Dump {
    kv.scan(b"", &[0xff], usize::MAX).unwrap()
}

fn count_prefix(d: &Dump, prefix: &[u8]) -> usize {
    d.iter().filter(|(k, _)| k.starts_with(prefix)).count()
}

/// Appends `batch`, expects it refused, and checks the keyspace did not change.
fn refused<S: Harness>(s: &S, batch: AppendBatch) -> StoreError {
    let before = dump(s.kv());
    let err = s.append(batch).unwrap_err();
    assert_eq!(
        dump(s.kv()),
        before,
        "a refused batch wrote something: {err}"
    );
    err
}

/// A pointer to version `seq` of a certificate of `author`.
fn pointer(author: &CountyCode, seq: u64, body_hash: Hash) -> crate::RecordPointer {
    crate::RecordPointer {
        kind: EntryKind::Certificate,
        author: author.clone(),
        record_id: "c".into(),
        seq,
        body_hash,
        entry_hash: [0; 32],
    }
}

fn signed(entries: &[VerifiedEntry]) -> Vec<SignedEntry> {
    entries.iter().map(|e| e.signed().clone()).collect()
}

// ---------------------------------------------------------------- tests

fn empty_store<S: Harness>() {
    let (s, _g) = S::fresh();
    let a = county("500153");
    let state = s.log_state(&a).unwrap();
    assert_eq!(state, LogState::default());
    assert_eq!(state.frontier.root(), empty_root());
    assert!(s.authors().unwrap().is_empty());
    assert!(s.checkpoint(&a).unwrap().is_none());
    assert!(s.entries(&a, 1, 100).unwrap().is_empty());
    assert!(s.entry(&a, 1).unwrap().is_none());
    assert!(
        s.record(EntryKind::Certificate, &a, "c1")
            .unwrap()
            .is_none()
    );
    assert!(s.body(&pointer(&a, 1, [0; 32])).unwrap().is_none());
    assert!(s.certificates_by_number("CQ-1").unwrap().is_empty());
    assert!(s.certificates_by_person(&[1; 32]).unwrap().is_empty());
    assert!(s.home_id_number("CQ-1").unwrap().is_none());
    // Nothing but the layout marker.
    let d = dump(s.kv());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, crate::layout::FORMAT_KEY);
}

fn append_and_read_back<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let entries = vec![
        log.cert("c1", "CQ-0001", [1; 32]),
        log.next(EntryKind::Institution, "inst-1", b"institution".to_vec()),
        log.cert("c2", "CQ-0002", [2; 32]),
        log.next(EntryKind::Expert, "exp-1", b"expert".to_vec()),
        log.next(EntryKind::Filing, "fil-1", b"filing".to_vec()),
    ];
    let state = s
        .append(log.batch_with_checkpoint(entries.clone()))
        .unwrap();
    assert_eq!(state.size, 5);
    assert_eq!(s.log_state(&log.author).unwrap(), state);

    assert_eq!(s.entries(&log.author, 1, 100).unwrap(), signed(&entries));
    assert_eq!(s.entries(&log.author, 0, 100).unwrap(), signed(&entries));
    assert_eq!(
        s.entries(&log.author, 3, 2).unwrap(),
        signed(&entries[2..4])
    );
    assert_eq!(s.entries(&log.author, 5, 9).unwrap(), signed(&entries[4..]));
    assert!(s.entries(&log.author, 6, 9).unwrap().is_empty());
    assert!(s.entries(&log.author, 1, 0).unwrap().is_empty());
    // Another author's log is not mixed in.
    assert!(s.entries(&county("500118"), 1, 9).unwrap().is_empty());

    for e in &entries {
        let seq = e.header().seq;
        assert_eq!(s.entry(&log.author, seq).unwrap().as_ref(), Some(e));
        let p = s
            .record(e.header().kind, &log.author, &e.header().record_id)
            .unwrap()
            .unwrap();
        assert_eq!(s.body(&p).unwrap().as_deref(), Some(e.body()));
        assert_eq!(
            (p.seq, p.body_hash, p.entry_hash),
            (seq, e.header().body_hash, e.hash())
        );
    }
    assert!(s.entry(&log.author, 6).unwrap().is_none());
    assert_eq!(s.checkpoint(&log.author).unwrap(), Some(log.checkpoint()));
    // The kind is part of the record's identity.
    assert!(
        s.record(EntryKind::Expert, &log.author, "c1")
            .unwrap()
            .is_none()
    );
    let by_no = s.certificates_by_number("CQ-0002").unwrap();
    assert_eq!(by_no.len(), 1);
    assert_eq!((by_no[0].record_id.as_str(), by_no[0].seq), ("c2", 3));
}

fn root_matches_reference<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("510521", 2);
    for batch_len in [1usize, 2, 1, 4, 7, 3] {
        let entries: Vec<_> = (0..batch_len)
            .map(|i| log.next(EntryKind::Occupation, &format!("o{i}"), vec![i as u8]))
            .collect();
        let state = s.append(log.batch(entries)).unwrap();
        assert_eq!(state.size, log.hashes.len() as u64);
        assert_eq!(state.frontier.root(), root_of(&log.hashes));
        assert_eq!(
            s.log_state(&log.author).unwrap().frontier.root(),
            root_of(&log.hashes)
        );
    }
}

fn non_contiguous_refused<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let first = vec![log.cert("c1", "N1", [1; 32]), log.cert("c2", "N2", [2; 32])];
    s.append(log.batch(first)).unwrap();

    let gap = vec![log.at(4, EntryKind::Expert, "e", b"x".to_vec())];
    let err = refused(&s, log.batch(gap));
    assert!(
        matches!(
            err,
            StoreError::NotContiguous {
                expected: 3,
                found: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let replay = vec![log.at(2, EntryKind::Expert, "e", b"x".to_vec())];
    assert!(matches!(
        refused(&s, log.batch(replay)),
        StoreError::NotContiguous {
            expected: 3,
            found: 2,
            ..
        }
    ));
    // A gap after a good entry: the good one is not written either.
    let inner_gap = vec![
        log.at(3, EntryKind::Expert, "e3", b"x".to_vec()),
        log.at(5, EntryKind::Expert, "e5", b"y".to_vec()),
    ];
    assert!(matches!(
        refused(&s, log.batch(inner_gap)),
        StoreError::NotContiguous {
            expected: 4,
            found: 5,
            ..
        }
    ));
    assert_eq!(s.log_state(&log.author).unwrap().size, 2);
    assert!(s.entry(&log.author, 3).unwrap().is_none());
}

fn mixed_authors_refused<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut a = Log::new("500153", 1);
    let mut b = Log::new("500118", 2);
    let entries = vec![a.cert("c1", "N1", [1; 32]), b.cert("c1", "N1", [1; 32])];
    let err = refused(&s, a.batch(entries));
    assert!(
        matches!(&err, StoreError::MixedAuthors { expected, found }
            if expected == "500153" && found == "500118"),
        "{err:?}"
    );
    assert!(s.authors().unwrap().is_empty());
    assert!(s.certificates_by_number("N1").unwrap().is_empty());
}

fn checkpoint_mismatch_refused<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let first = vec![log.cert("c1", "N1", [1; 32]), log.cert("c2", "N2", [2; 32])];
    s.append(log.batch_with_checkpoint(first)).unwrap();
    let held = log.checkpoint();

    let third = log.cert("c3", "N3", [3; 32]);
    let good_root = root_of(&log.hashes);
    let wrong = [
        ("wrong size", log.checkpoint_at(2, good_root)),
        ("wrong root", log.checkpoint_at(3, [9; 32])),
        (
            "other author",
            sign_checkpoint(&log.key, ALLIANCE, &county("500118"), 3, good_root, 1),
        ),
    ];
    for (what, cp) in wrong {
        let batch = AppendBatch {
            checkpoint: Some(cp),
            ..log.batch(vec![third.clone()])
        };
        let err = refused(&s, batch);
        assert!(
            matches!(err, StoreError::CheckpointMismatch { .. }),
            "{what}: {err:?}"
        );
    }
    assert_eq!(s.log_state(&log.author).unwrap().size, 2);
    assert_eq!(s.checkpoint(&log.author).unwrap(), Some(held.clone()));
    assert!(s.certificates_by_number("N3").unwrap().is_empty());

    // The third entry with a matching checkpoint goes in; then an older checkpoint (which
    // matched the log when it was signed) is smaller than the held one and refused.
    s.append(log.batch_with_checkpoint(vec![third])).unwrap();
    let newer = log.checkpoint();
    let older = AppendBatch {
        checkpoint: Some(held),
        ..log.batch(Vec::new())
    };
    assert!(matches!(
        refused(&s, older),
        StoreError::CheckpointMismatch { size: 2, .. }
    ));
    assert_eq!(s.checkpoint(&log.author).unwrap(), Some(newer));
}

fn checkpoint_alone<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500111", 3);
    let entries = vec![log.next(EntryKind::Expert, "x1", b"a".to_vec())];
    s.append(log.batch(entries)).unwrap();
    assert!(s.checkpoint(&log.author).unwrap().is_none());
    let state = s.append(log.batch_with_checkpoint(Vec::new())).unwrap();
    assert_eq!(state.size, 1);
    assert_eq!(s.checkpoint(&log.author).unwrap(), Some(log.checkpoint()));
    // The same size again (say re-signed later) is not smaller: accepted.
    let resigned = AppendBatch {
        checkpoint: Some(sign_checkpoint(
            &log.key,
            ALLIANCE,
            &log.author,
            1,
            root_of(&log.hashes),
            1_717_400_000_000,
        )),
        ..log.batch(Vec::new())
    };
    s.append(resigned.clone()).unwrap();
    assert_eq!(s.checkpoint(&log.author).unwrap(), resigned.checkpoint);
}

fn supersede<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut rc = Log::new("500153", 1);
    let mut lx = Log::new("510521", 2);
    let (p1, p2) = ([1; 32], [2; 32]);

    let v1 = rc.cert("c1", "N1", p1);
    s.append(rc.batch(vec![v1.clone()])).unwrap();
    let other = lx.cert("lx-7", "N9", p1);
    s.append(lx.batch(vec![other])).unwrap();

    let found: Vec<_> = s
        .certificates_by_person(&p1)
        .unwrap()
        .into_iter()
        .map(|p| (p.author.to_string(), p.record_id))
        .collect();
    assert_eq!(
        found,
        [
            ("500153".to_owned(), "c1".to_owned()),
            ("510521".into(), "lx-7".into())
        ]
    );

    // A new version of c1 moves it to another person and number.
    let filler = rc.next(EntryKind::Expert, "e1", b"e".to_vec());
    let v2 = rc.cert("c1", "N2", p2);
    s.append(rc.batch(vec![filler, v2.clone()])).unwrap();
    let latest = s
        .record(EntryKind::Certificate, &rc.author, "c1")
        .unwrap()
        .unwrap();
    assert_eq!((latest.seq, latest.entry_hash), (3, v2.hash()));
    assert_eq!(s.certificates_by_number("N1").unwrap(), vec![]);
    assert_eq!(
        s.certificates_by_number("N2").unwrap(),
        vec![latest.clone()]
    );
    let by_p1 = s.certificates_by_person(&p1).unwrap();
    assert_eq!(by_p1.len(), 1);
    assert_eq!(by_p1[0].record_id, "lx-7");
    assert_eq!(s.certificates_by_person(&p2).unwrap(), vec![latest]);
    // The old version stays in the log.
    assert_eq!(s.entry(&rc.author, 1).unwrap(), Some(v1));

    // Two versions in one batch: the later one wins, its rows only.
    let v3 = rc.cert("c1", "N3", p1);
    let v4 = rc.cert("c1", "N4", p2);
    s.append(rc.batch(vec![v3, v4.clone()])).unwrap();
    let latest = s
        .record(EntryKind::Certificate, &rc.author, "c1")
        .unwrap()
        .unwrap();
    assert_eq!(latest.entry_hash, v4.hash());
    assert!(s.certificates_by_number("N3").unwrap().is_empty());
    assert_eq!(
        s.certificates_by_number("N4").unwrap(),
        vec![latest.clone()]
    );
    assert_eq!(s.certificates_by_person(&p2).unwrap(), vec![latest]);
    assert_eq!(s.certificates_by_person(&p1).unwrap().len(), 1);

    // A stale index row (as an older layout or an interrupted cleanup could leave) is
    // checked against the latest version and not reported.
    let stale = crate::layout::person_row(&p1, &rc.author, "c1");
    s.kv()
        .write_batch(vec![(stale, Some(crate::layout::versioned(&[])))])
        .unwrap();
    let by_p1 = s.certificates_by_person(&p1).unwrap();
    assert_eq!(by_p1.len(), 1);
    assert_eq!(by_p1[0].record_id, "lx-7");
}

fn undecodable_and_redacted_bodies<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let garbage = log.next(EntryKind::Certificate, "bad", vec![0xff, 0xff, 0xff]);
    // An entry whose body was redacted before it reached this node.
    let full = log.cert("gone", "N-R", [5; 32]);
    let mut bare = full.signed().clone();
    bare.body.clear();
    let redacted = VerifiedEntry::from_trusted_storage(bare.clone()).unwrap();
    s.append(log.batch(vec![garbage.clone(), redacted]))
        .unwrap();

    assert_eq!(s.entry(&log.author, 1).unwrap(), Some(garbage.clone()));
    let bad = s
        .record(EntryKind::Certificate, &log.author, "bad")
        .unwrap()
        .unwrap();
    assert_eq!(s.body(&bad).unwrap(), Some(vec![0xff; 3]));
    assert_eq!(s.entries(&log.author, 2, 1).unwrap(), vec![bare]);
    let gone = s
        .record(EntryKind::Certificate, &log.author, "gone")
        .unwrap()
        .unwrap();
    assert_eq!(gone.body_hash, full.header().body_hash);
    assert!(s.body(&gone).unwrap().is_none());
    assert!(s.certificates_by_number("N-R").unwrap().is_empty());
    assert!(s.certificates_by_person(&[5; 32]).unwrap().is_empty());
    assert_eq!(
        s.log_state(&log.author).unwrap().frontier.root(),
        root_of(&log.hashes)
    );
}

fn logs_are_stored_in_chunks<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut a = Log::new("500153", 1);
    let mut b = Log::new("511083", 2);
    // One large append, then single entries, then one entry too large to share a chunk.
    let mut all = Vec::new();
    let big: Vec<_> = (0..150)
        .map(|i| a.next(EntryKind::Occupation, &format!("o{i}"), vec![b'x'; 100]))
        .collect();
    s.append(a.batch(big.clone())).unwrap();
    all.extend(big);
    for i in 0..3 {
        let e = vec![a.next(EntryKind::Expert, &format!("x{i}"), b"expert".to_vec())];
        s.append(a.batch(e.clone())).unwrap();
        all.extend(e);
    }
    let huge: Vec<_> = (0..3)
        .map(|i| {
            let body = vec![b'y'; crate::layout::CHUNK_BYTES];
            a.next(EntryKind::Institution, &format!("i{i}"), body)
        })
        .collect();
    s.append(a.batch(huge.clone())).unwrap();
    all.extend(huge);
    let eb = vec![b.next(EntryKind::Occupation, "o1", b"other".to_vec())];
    s.append(b.batch(eb.clone())).unwrap();

    let d = dump(s.kv());
    // 150 small entries in full chunks; then 3 single appends; then one chunk per
    // entry of at least a chunk's bytes.
    let chunks_of_a = count_prefix(&d, b"e/500153");
    assert_eq!(
        chunks_of_a,
        150usize.div_ceil(crate::layout::CHUNK_ENTRIES) + 3 + 3
    );
    assert_eq!(count_prefix(&d, b"e/511083"), 1);
    // Every position reads back, from any start and any length.
    let n = all.len() as u64;
    for from in [
        1, 2, 15, 16, 17, 63, 64, 65, 128, 129, 150, 151, 153, 154, 156,
    ] {
        for max in [1, 7, 64, 200] {
            let want: Vec<_> = all
                .iter()
                .skip(from as usize - 1)
                .take(max)
                .map(|e| e.signed().clone())
                .collect();
            assert_eq!(
                s.entries(&a.author, from, max).unwrap(),
                want,
                "{from} {max}"
            );
        }
    }
    assert!(s.entries(&a.author, n + 1, 5).unwrap().is_empty());
    for e in &all {
        assert_eq!(
            s.entry(&a.author, e.header().seq).unwrap().as_ref(),
            Some(e)
        );
    }
    assert!(s.entry(&a.author, 0).unwrap().is_none());
    assert!(s.entry(&a.author, n + 1).unwrap().is_none());
    assert_eq!(s.entries(&b.author, 1, 9).unwrap(), signed(&eb));
    assert_eq!(
        s.log_state(&a.author).unwrap().frontier.root(),
        root_of(&a.hashes)
    );
}

fn other_layouts_are_refused<S: Harness>() {
    let (s, g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let e = vec![log.next(EntryKind::Expert, "x", b"1".to_vec())];
    s.append(log.batch(e.clone())).unwrap();
    // Opened again: the same layout, the same data.
    let s = s.reopen(&g).unwrap();
    assert_eq!(s.entries(&log.author, 1, 9).unwrap(), signed(&e));
    // A newer layout is refused, naming both versions.
    s.kv()
        .write_batch(vec![(
            crate::layout::FORMAT_KEY.to_vec(),
            Some(crate::layout::versioned(&9u32.to_be_bytes())),
        )])
        .unwrap();
    match s.reopen(&g) {
        Err(StoreError::Format { found: 9, expected }) => {
            assert_eq!(expected, crate::layout::FORMAT);
        }
        other => panic!("{:?}", other.map(drop)),
    }
    // Data without a layout marker (the first layout) is refused too.
    let (s, g) = S::fresh();
    s.kv()
        .write_batch(vec![
            (crate::layout::FORMAT_KEY.to_vec(), None),
            (b"b/old-body".to_vec(), Some(vec![1, 2])),
        ])
        .unwrap();
    let err = s.reopen(&g).map(drop).unwrap_err();
    assert!(matches!(err, StoreError::Format { found: 1, .. }), "{err}");
    assert!(err.to_string().contains("存储格式"), "{err}");
}

fn home_id_numbers<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let entries = vec![log.cert("c1", "CQ-7", [7; 32])];
    let batch = AppendBatch {
        home: vec![HomeRecord::IdNumber {
            cert_no: "CQ-7".into(),
            id_type: "居民身份证".into(),
            id_no: "11010519491231002X".into(),
        }],
        ..log.batch(entries)
    };
    s.append(batch).unwrap();
    assert_eq!(
        s.home_id_number("CQ-7").unwrap(),
        Some(("居民身份证".to_owned(), "11010519491231002X".to_owned()))
    );
    assert!(s.home_id_number("CQ-8").unwrap().is_none());

    // An id type that cannot be stored unambiguously is refused with the whole batch.
    let next = vec![log.at(2, EntryKind::Expert, "e", b"e".to_vec())];
    let batch = AppendBatch {
        home: vec![HomeRecord::IdNumber {
            cert_no: "CQ-9".into(),
            id_type: "bad\u{1f}type".into(),
            id_no: "1".into(),
        }],
        ..log.batch(next)
    };
    refused(&s, batch);
}

fn authors_listed<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut lx = Log::new("510521", 2);
    let mut rc = Log::new("500153", 1);
    let yc = Log::new("500118", 3);
    let e = vec![lx.next(EntryKind::Expert, "x", b"1".to_vec())];
    s.append(lx.batch(e)).unwrap();
    let e = vec![rc.next(EntryKind::Expert, "x", b"2".to_vec())];
    s.append(rc.batch_with_checkpoint(e)).unwrap();
    // Only a checkpoint (of the empty log) is held for 500118.
    s.append(yc.batch_with_checkpoint(Vec::new())).unwrap();
    assert_eq!(
        s.authors().unwrap(),
        vec![county("500118"), county("500153"), county("510521")]
    );
}

fn unknown_version_is_corrupt<S: Harness>() {
    let (s, _g) = S::fresh();
    let mut log = Log::new("500153", 1);
    let entries = vec![log.cert("c1", "N1", [1; 32])];
    let body_hash = entries[0].header().body_hash;
    s.append(log.batch_with_checkpoint(entries)).unwrap();

    let bump = |prefix: &[u8]| {
        let (k, mut v) = dump(s.kv())
            .into_iter()
            .find(|(k, _)| k.starts_with(prefix))
            .unwrap();
        v[0] = 2;
        s.kv().write_batch(vec![(k, Some(v))]).unwrap();
    };
    let is_corrupt = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::Corrupt { .. })), "{r:?}");
    };
    bump(b"h/");
    is_corrupt(s.log_state(&log.author).map(drop));
    is_corrupt(s.append(log.batch(Vec::new())).map(drop));
    bump(b"c/");
    is_corrupt(s.checkpoint(&log.author).map(drop));
    let p = s
        .record(EntryKind::Certificate, &log.author, "c1")
        .unwrap()
        .unwrap();
    assert_eq!(p.body_hash, body_hash);
    bump(b"e/");
    is_corrupt(s.entries(&log.author, 1, 1).map(drop));
    is_corrupt(s.entry(&log.author, 1).map(drop));
    is_corrupt(s.body(&p).map(drop));
    bump(b"r/");
    is_corrupt(
        s.record(EntryKind::Certificate, &log.author, "c1")
            .map(drop),
    );
    bump(b"i/cn/");
    is_corrupt(s.certificates_by_number("N1").map(drop));
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod mem_store {
            $( #[test] fn $test() { super::$test::<crate::MemStore>(); } )*
        }
        mod sled_store {
            $( #[test] fn $test() { super::$test::<crate::SledStore>(); } )*
        }
    };
}

suite!(
    empty_store,
    append_and_read_back,
    root_matches_reference,
    non_contiguous_refused,
    mixed_authors_refused,
    checkpoint_mismatch_refused,
    checkpoint_alone,
    supersede,
    undecodable_and_redacted_bodies,
    logs_are_stored_in_chunks,
    other_layouts_are_refused,
    home_id_numbers,
    authors_listed,
    unknown_version_is_corrupt,
);

// ---------------------------------------------------------------- sled only

#[test]
fn sled_reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new("500153", 1);
    let entries = vec![
        log.cert("c1", "CQ-1", [1; 32]),
        log.next(EntryKind::Filing, "f1", b"filing".to_vec()),
        log.cert("c1", "CQ-2", [2; 32]),
    ];
    let home = vec![HomeRecord::IdNumber {
        cert_no: "CQ-2".into(),
        id_type: "居民身份证".into(),
        id_no: "500226199001011234".into(),
    }];
    let state = {
        let s = SledStore::open(dir.path(), 8 << 20).unwrap();
        let batch = AppendBatch {
            home,
            ..log.batch_with_checkpoint(entries.clone())
        };
        let state = s.append(batch).unwrap();
        assert!(s.size_on_disk().unwrap() > 0);
        state
    };

    let s = SledStore::open(dir.path(), 8 << 20).unwrap();
    assert_eq!(s.log_state(&log.author).unwrap(), state);
    assert_eq!(state.frontier.root(), root_of(&log.hashes));
    assert_eq!(s.checkpoint(&log.author).unwrap(), Some(log.checkpoint()));
    assert_eq!(s.entries(&log.author, 1, 9).unwrap(), signed(&entries));
    assert_eq!(s.authors().unwrap(), vec![log.author.clone()]);
    let latest = s
        .record(EntryKind::Certificate, &log.author, "c1")
        .unwrap()
        .unwrap();
    assert_eq!(latest.seq, 3);
    assert_eq!(s.certificates_by_person(&[2; 32]).unwrap(), vec![latest]);
    assert!(s.certificates_by_person(&[1; 32]).unwrap().is_empty());
    assert_eq!(
        s.home_id_number("CQ-2").unwrap(),
        Some(("居民身份证".to_owned(), "500226199001011234".to_owned()))
    );

    // The reopened log continues where it stopped.
    let more = vec![log.next(EntryKind::Expert, "x", b"x".to_vec())];
    let state = s.append(log.batch_with_checkpoint(more)).unwrap();
    assert_eq!(state.size, 4);
    assert_eq!(state.frontier.root(), root_of(&log.hashes));
}

#[test]
fn concurrent_appends_stay_contiguous() {
    // Writers racing on one author: each reads the head and appends the next entry; the
    // store serialises them, so every accepted batch continued the log and the log ends
    // up contiguous with the root of exactly the accepted entries.
    let (s, _g) = <MemStore as Harness>::fresh();
    let s = std::sync::Arc::new(s);
    let log = std::sync::Arc::new(Log::new("500153", 1));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (s, log) = (s.clone(), log.clone());
            std::thread::spawn(move || {
                let mut accepted = 0;
                while accepted < 25 {
                    let seq = s.log_state(&log.author).unwrap().size + 1;
                    let e = log.at(seq, EntryKind::Expert, &format!("t{t}"), vec![t]);
                    match s.append(log.batch(vec![e])) {
                        Ok(_) => accepted += 1,
                        Err(StoreError::NotContiguous { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let entries = s.entries(&log.author, 1, 1000).unwrap();
    assert_eq!(entries.len(), 100);
    let hashes: Vec<Hash> = entries
        .into_iter()
        .map(|e| VerifiedEntry::from_trusted_storage(e).unwrap().hash())
        .collect();
    assert_eq!(
        s.log_state(&log.author).unwrap().frontier.root(),
        root_of(&hashes)
    );
}
