//! Bad input in the ordinary test run: the properties the cargo-fuzz targets check
//! (`fuzz/src/oracle.rs`, compiled in here unchanged) over random bytes, mutated valid
//! inputs and hostile CSV/JSON cells — no panic, no hang, a clear error, and nothing forged
//! accepted. `BASHU_LONG=1` runs many more cases; `fuzz/README.md` runs the fuzzers.
#![allow(clippy::unwrap_used)]

#[path = "../../fuzz/src/oracle.rs"]
mod oracle;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn long() -> bool {
    std::env::var("BASHU_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Longest a single input may take (debug build, shared machine): far beyond any honest
/// case, far below a hang.
const PER_INPUT: Duration = Duration::from_secs(3);

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("entry", oracle::entry),
    ("checkpoint", oracle::checkpoint),
    ("evidence", oracle::evidence),
    ("genesis", oracle::genesis),
    ("import", oracle::import),
    ("submission", oracle::submission),
];

fn timed(name: &str, target: Target, data: &[u8]) {
    let t = Instant::now();
    target(data);
    let took = t.elapsed();
    assert!(
        took < PER_INPUT,
        "{name}: {} bytes took {took:?}",
        data.len()
    );
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    /// Copy a range over another place (protobuf length prefixes and repeated fields).
    Duplicate(usize, usize, usize),
    /// A hostile string at a position (text formats).
    Splice(usize, &'static str),
}

const HOSTILE: [&str; 22] = [
    "\"",
    "\"\"",
    ",",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "\0",
    "{",
    "}",
    "[",
    "\\",
    "\\u0000",
    "\\ud800",
    "9999999999999999999999",
    "-1",
    "１２３",
    "𠀀",
    "\u{202e}",
    "2023-02-30",
    "500153",
    "null",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(a, b, n)| Edit::Duplicate(a, b, n)),
        (any::<usize>(), proptest::sample::select(&HOSTILE[..]))
            .prop_map(|(i, s)| Edit::Splice(i, s)),
    ]
}

fn apply(mut data: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = data.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match e {
            Edit::Flip(i, b) if len > 0 => data[i % len] ^= b,
            Edit::Set(i, b) if len > 0 => data[i % len] = *b,
            Edit::Insert(i, b) => {
                let i = at(*i);
                data.splice(i..i, b.iter().copied());
            }
            Edit::Delete(i, n) if len > 0 => {
                let i = i % len;
                data.drain(i..(i + n).min(len));
            }
            Edit::Truncate(i) => data.truncate(at(*i)),
            Edit::Duplicate(a, b, n) if len > 0 => {
                let a = a % len;
                let range: Vec<u8> = data[a..(a + n).min(len)].to_vec();
                let b = at(*b);
                data.splice(b..b, range);
            }
            Edit::Splice(i, s) => {
                let i = at(*i);
                data.splice(i..i, s.bytes());
            }
            _ => {}
        }
    }
    data
}

fn config(cases: u32) -> Config {
    Config {
        cases: if long() { cases * 40 } else { cases },
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn random_bytes_never_panic_hang_or_verify() {
    let mut runner = TestRunner::new(config(128));
    let strategy = (
        0..TARGETS.len(),
        proptest::collection::vec(any::<u8>(), 0..2048),
    );
    runner
        .run(&strategy, |(t, data)| {
            let (name, target) = TARGETS[t];
            timed(name, target, &data);
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_valid_inputs_are_refused_with_a_message_or_are_the_genuine_ones() {
    let seeds = oracle::seeds();
    assert!(
        TARGETS
            .iter()
            .all(|(n, _)| seeds.iter().any(|(s, _)| s == n)),
        "a seed for every target"
    );
    // Every seed passes unmutated (they are what the system itself writes).
    for (name, data) in &seeds {
        let target = TARGETS.iter().find(|(n, _)| n == name).unwrap().1;
        timed(name, target, data);
    }
    let mut runner = TestRunner::new(config(512));
    let strategy = (0..seeds.len(), proptest::collection::vec(edit(), 1..6));
    runner
        .run(&strategy, |(s, edits)| {
            let (name, seed) = &seeds[s];
            let target = TARGETS.iter().find(|(n, _)| n == name).unwrap().1;
            timed(name, target, &apply(seed.clone(), &edits));
            Ok(())
        })
        .unwrap();
}

#[test]
fn large_and_pathological_inputs_finish_quickly() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let many_columns = format!("{}\n{}\n", ",".repeat(200_000), ",".repeat(200_000));
    let long_line = "x".repeat(2 * 1024 * 1024);
    let many_rows: String = (0..20_000).map(|i| format!("{i},{i},{i}\n")).collect();
    let quotes = "\"".repeat(500_001);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("deep JSON", deep_json.into_bytes()),
        ("200k columns", many_columns.into_bytes()),
        ("2 MiB line", long_line.into_bytes()),
        ("20k short rows", many_rows.into_bytes()),
        ("unbalanced quotes", quotes.into_bytes()),
        ("NULs", vec![0u8; 1 << 20]),
    ];
    let mut worst = Duration::ZERO;
    for (what, body) in &cases {
        for selector in [0u8, 1, 1 << 1, (1 << 1) | 1, 0x0f << 1, 0x80] {
            let mut data = vec![selector];
            data.extend_from_slice(body);
            let t = Instant::now();
            oracle::import(&data);
            worst = worst.max(t.elapsed());
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{what} (selector {selector:#x}) took {:?}",
                t.elapsed()
            );
        }
        for (name, target) in TARGETS {
            if name != "import" {
                timed(name, target, body);
            }
        }
    }
    println!("reliability: bad-input pathological inputs worst import {worst:?}");
}
