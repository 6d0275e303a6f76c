//! What must hold for any bytes at all, whoever sends them: decoding and verification of
//! entries, checkpoints, equivocation evidence and genesis documents, and the parsing of
//! HR import files (CSV and JSON Lines) and of the rows a node receives. Each function
//! panics when a property fails; a panic inside the code under test fails it the same
//! way.
//!
//! Used by the cargo-fuzz targets in `fuzz/fuzz_targets/` and, through `#[path]`, by the
//! proptest smoke in `tests/tests/bad_input.rs` that runs in every `cargo test`, so both
//! check the same properties.
//!
//! The properties:
//! - nothing panics, and every refusal has a non-empty message (both languages where the
//!   error carries two);
//! - verification accepts only what was really signed: an accepted entry or checkpoint is
//!   byte for byte one the fixture's authors signed (with its body), and no evidence of
//!   equivocation verifies against authors who never equivocated;
//! - a row the import accepts, the node accepts too (the node re-validates what the client
//!   sends), its records survive encode → decode unchanged, and no full ID number of the
//!   row appears in any replicated record.

use std::sync::LazyLock;

use bashu_core::CountyCode;
use bashu_core::entry::{
    Alliance, Checkpoint, EntryDraft, EntryKind, Genesis, Member, SignedEntry, SignedGenesis,
    VerifiedCheckpoint, VerifiedEntry, sign_checkpoint, sign_entry, verify_checkpoint,
    verify_entry,
};
use bashu_core::governance::{AllianceState, EquivocationProof};
use bashu_core::import::{Format, ImportKind, Input, parse_records, to_records};
use bashu_core::keys::SigningKey;
use bashu_core::merkle::Frontier;
use bashu_core::person::PseudonymKey;
use bashu_core::record::Record;

/// Two members; the first wrote three entries and signed checkpoints at sizes 2 and 3.
pub struct Fixture {
    pub alliance: Alliance,
    pub state: AllianceState,
    pub authors: Vec<CountyCode>,
    /// The first author's log.
    pub entries: Vec<SignedEntry>,
    pub checkpoints: Vec<VerifiedCheckpoint>,
    pub genesis: Vec<u8>,
    pub pseudonym: PseudonymKey,
}

const ALLIANCE: &str = "fuzz";

fn county(code: &str) -> CountyCode {
    CountyCode::parse(code).unwrap_or_else(|e| panic!("fixture county {code}: {e:?}"))
}

pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let keys = [
        (county("500153"), SigningKey::from_bytes([7; 32])),
        (county("510521"), SigningKey::from_bytes([8; 32])),
    ];
    let genesis = Genesis {
        alliance_id: ALLIANCE.into(),
        name: "fuzz".into(),
        members: keys
            .iter()
            .map(|(c, k)| Member {
                county: c.clone(),
                name: c.to_string(),
                province: c.province_code().to_owned(),
                signing_key: k.public_key(),
                endpoint: String::new(),
                tls_cert_sha256: Vec::new(),
            })
            .collect(),
        threshold: 2,
        founded_on: "2026-11-30".into(),
        rule_parameters_json: String::new(),
    };
    let founders: Vec<(&CountyCode, &SigningKey)> = keys.iter().map(|(c, k)| (c, k)).collect();
    let signed = SignedGenesis::sign(&genesis, &founders);
    let alliance = signed.verify().expect("the fixture genesis verifies");
    let state = AllianceState::derive(alliance.genesis(), &[], &Default::default());
    let (author, key) = &keys[0];
    let mut frontier = Frontier::new();
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    for seq in 1..=3u64 {
        let e = sign_entry(
            key,
            EntryDraft {
                alliance_id: ALLIANCE.into(),
                author: author.clone(),
                seq,
                authored_at_ms: 1_000 * seq as i64,
                kind: EntryKind::Institution,
                record_id: format!("R{seq}"),
                body: format!("{{\"n\":{seq}}}").into_bytes(),
            },
        );
        frontier.push(e.hash());
        entries.push(e.into_signed());
        if seq >= 2 {
            checkpoints.push(sign_checkpoint(
                key,
                ALLIANCE,
                author,
                seq,
                frontier.root(),
                1_000 * seq as i64,
            ));
        }
    }
    Fixture {
        alliance,
        state,
        authors: keys.iter().map(|(c, _)| c.clone()).collect(),
        entries,
        checkpoints,
        genesis: signed.encode(),
        pseudonym: PseudonymKey::from_bytes([3; 32]),
    }
});

fn message(e: &impl std::fmt::Display, what: &str) {
    assert!(
        !e.to_string().trim().is_empty(),
        "{what}: empty error message"
    );
}

/// `data` as a signed entry (protobuf `SignedEntry`, as stored and as sent by peers).
pub fn entry(data: &[u8]) {
    let f = &*FIXTURE;
    let signed = match SignedEntry::decode(data) {
        Ok(s) => s,
        Err(e) => return message(&e, "entry decode"),
    };
    if let Err(e) = VerifiedEntry::from_trusted_storage(signed.clone()) {
        message(&e, "entry from storage");
    }
    for author in &f.authors {
        for seq in [0, 1, 2, 3, 4, u64::MAX] {
            match verify_entry(signed.clone(), author, seq, &f.alliance) {
                Ok(v) => {
                    let genuine = usize::try_from(seq)
                        .ok()
                        .and_then(|s| s.checked_sub(1))
                        .and_then(|i| f.entries.get(i))
                        .filter(|_| author == &f.authors[0]);
                    let Some(g) = genuine else {
                        panic!("forged entry accepted: {author}#{seq}");
                    };
                    assert_eq!(
                        v.signed().entry,
                        g.entry,
                        "accepted envelope is not genuine"
                    );
                    assert_eq!(v.signed().body, g.body, "accepted body is not genuine");
                    assert_eq!(v.header().seq, seq);
                }
                Err(e) => message(&e, "entry verify"),
            }
        }
    }
}

/// `data` as a stored checkpoint (protobuf `SignedCheckpoint`), and as checkpoint bytes
/// under a genuine signature.
pub fn checkpoint(data: &[u8]) {
    let f = &*FIXTURE;
    let genuine: Vec<(Vec<u8>, Vec<u8>)> = f.checkpoints.iter().map(|c| c.to_wire()).collect();
    let mut candidates = Vec::new();
    match VerifiedCheckpoint::from_trusted_storage(data) {
        Ok(c) => candidates.push(c.to_wire()),
        Err(e) => message(&e, "checkpoint from storage"),
    }
    if let Err(e) = Checkpoint::decode_unverified(data) {
        message(&e, "checkpoint decode");
    }
    for (_, sig) in &genuine {
        candidates.push((data.to_vec(), sig.clone()));
    }
    for (bytes, sig) in candidates {
        match verify_checkpoint(bytes.clone(), sig.clone(), &f.alliance) {
            Ok(v) => assert!(
                genuine.contains(&(bytes, sig)),
                "forged checkpoint accepted: {:?}",
                v.checkpoint()
            ),
            Err(e) => message(&e, "checkpoint verify"),
        }
    }
}

/// `data` as equivocation evidence from a peer: the fixture's authors never equivocated,
/// so nothing may verify.
pub fn evidence(data: &[u8]) {
    let f = &*FIXTURE;
    match EquivocationProof::decode(data) {
        Ok(p) => match p.verify(&f.state) {
            Ok(eq) => panic!("evidence against an honest author verified: {eq:?}"),
            Err(e) => message(&e, "evidence verify"),
        },
        Err(e) => message(&e, "evidence decode"),
    }
}

/// `data` as a genesis file: only the genuine one verifies.
pub fn genesis(data: &[u8]) {
    let f = &*FIXTURE;
    match SignedGenesis::decode(data) {
        Ok(g) => match g.verify() {
            Ok(a) => assert_eq!(
                a.genesis(),
                f.alliance.genesis(),
                "a genesis nobody signed verified"
            ),
            Err(e) => message(&e, "genesis verify"),
        },
        Err(e) => message(&e, "genesis decode"),
    }
}

/// What an import file's first byte selects: the format, the kind (or none: told from the
/// content) and leniency.
pub fn import_options(selector: u8) -> (Format, Option<ImportKind>, bool) {
    let format = if selector & 1 == 0 {
        Format::Csv
    } else {
        Format::JsonLines
    };
    let k = usize::from((selector >> 1) & 0x0f);
    let kind = ImportKind::ALL.get(k).copied();
    (format, kind, selector & 0x80 != 0)
}

/// `data[0]` selects the options, the rest is the file: the HR import path, then the
/// node's re-validation of every accepted row.
pub fn import(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let (format, kind, lenient) = import_options(selector);
    let name = match format {
        Format::Csv => "fuzz.csv",
        Format::JsonLines => "fuzz.jsonl",
    };
    let file = match parse_records(text, name, format, kind, lenient) {
        Ok(f) => f,
        Err(e) => {
            message(&e, "import file error");
            assert!(
                !e.message_zh.trim().is_empty() && !e.message_en.trim().is_empty(),
                "file error without both messages: {e}"
            );
            return;
        }
    };
    for r in &file.file.refused {
        assert!(r.origin.starts_with(name), "refusal origin {:?}", r.origin);
        assert!(
            !r.message_zh.trim().is_empty() && !r.message_en.trim().is_empty(),
            "refusal without both messages at {}",
            r.origin
        );
    }
    let Some(kind) = file.kind else {
        assert!(file.file.rows.is_empty(), "rows without a kind");
        return;
    };
    for row in &file.file.rows {
        node_accepts(kind, &row.value.input, &row.value.json);
    }
}

/// The node's side of one row the client accepted: accepted too, records round-trip, and
/// no full ID number in them.
fn node_accepts(kind: ImportKind, input: &Input, json: &str) {
    let f = &*FIXTURE;
    // A county submits only its own experts: stand in the expert's own county.
    let home = match input {
        Input::Expert(e) => e.expert.home_county.clone(),
        _ => f.authors[0].clone(),
    };
    let ingested = to_records(kind, json, &f.pseudonym, &home)
        .unwrap_or_else(|e| panic!("the node refuses a row the import accepted: {e:?}"));
    let ids: Vec<String> = ingested
        .home_ids
        .iter()
        .map(|h| h.person_id.normalised_number().to_owned())
        .filter(|n| n.len() >= 8)
        .collect();
    for r in &ingested.records {
        let body = r.encode();
        let back = Record::decode(r.kind(), &body)
            .unwrap_or_else(|e| panic!("a {:?} record does not decode: {e:?}", r.kind()));
        assert_eq!(&back, r, "record changed through encode/decode");
        let text = String::from_utf8_lossy(&body);
        for id in &ids {
            assert!(
                !text.contains(id.as_str()),
                "a full ID number in a replicated record"
            );
        }
    }
}

/// `data[0]` selects the kind, the rest is one submitted row's JSON: the node's path for
/// whatever a client sends, without the client's checks.
pub fn submission(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let f = &*FIXTURE;
    let kind = ImportKind::ALL[usize::from(selector) % ImportKind::ALL.len()];
    let json = String::from_utf8_lossy(json);
    match to_records(kind, &json, &f.pseudonym, &f.authors[0]) {
        Ok(ingested) => {
            for r in &ingested.records {
                let back = Record::decode(r.kind(), &r.encode());
                assert!(
                    back.as_ref() == Ok(r),
                    "record changed through encode/decode"
                );
            }
        }
        Err(e) => assert!(
            !e.message_zh.trim().is_empty() && !e.message_en.trim().is_empty(),
            "refusal without both messages"
        ),
    }
}

/// Valid inputs of each target, to start from (the fuzz corpus and the smoke's mutations).
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let mut out = Vec::new();
    for e in &f.entries {
        out.push(("entry", e.encode()));
    }
    for c in &f.checkpoints {
        out.push(("checkpoint", c.encode()));
        out.push(("checkpoint", c.to_wire().0));
    }
    let (a, b) = (&f.checkpoints[0], &f.checkpoints[1]);
    out.push((
        "evidence",
        EquivocationProof::Checkpoints {
            a: a.to_wire(),
            b: b.to_wire(),
        }
        .encode(),
    ));
    out.push((
        "evidence",
        EquivocationProof::Entries {
            a: f.entries[0].clone(),
            b: f.entries[1].clone(),
        }
        .encode(),
    ));
    out.push(("genesis", f.genesis.clone()));
    out.extend(import_seeds());
    out
}

/// The first lines of every file of a generated county export (what `bashu gen` writes),
/// as `import` inputs (kind named, and told from the content) and their rows as
/// `submission` inputs.
fn import_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use bashu_core::synth::{FILES, GenOptions, generate_county, write_file};
    let options = GenOptions {
        counties: vec![
            (county("500153"), "荣昌区".into()),
            (county("510521"), "泸县".into()),
        ],
        certificates: bashu_core::synth::MIN_CERTIFICATES,
        seed: 11,
        violations: 0.02,
    };
    let data = generate_county(&options, 0).expect("a generated county");
    let mut out = Vec::new();
    for file in &FILES {
        let mut buf = Vec::new();
        write_file(&data, file, &mut buf).expect("export file");
        let text = String::from_utf8_lossy(&buf);
        let head: String = text.lines().take(12).map(|l| format!("{l}\n")).collect();
        let k = ImportKind::ALL
            .iter()
            .position(|k| *k == file.kind)
            .expect("a known kind") as u8;
        let format_bit = u8::from(file.format == Format::JsonLines);
        for selector in [format_bit | (k << 1), format_bit | (0x0f << 1)] {
            let mut input = vec![selector];
            input.extend_from_slice(head.as_bytes());
            out.push(("import", input));
        }
        let (format, kind, lenient) = import_options(format_bit | (k << 1));
        if let Ok(parsed) = parse_records(head.as_bytes(), file.name, format, kind, lenient) {
            for row in parsed.file.rows.iter().take(3) {
                let mut input = vec![k];
                input.extend_from_slice(row.value.json.as_bytes());
                out.push(("submission", input));
            }
        }
    }
    out
}
