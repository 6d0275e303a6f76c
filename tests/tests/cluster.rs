//! Multi-node behaviour with real nodes on loopback.
#![allow(clippy::unwrap_used)]

use bashu_core::entry::{EntryDraft, EntryKind, sign_checkpoint, sign_entry};
use bashu_core::keys::SigningKey;
use bashu_core::merkle::Frontier;
use bashu_node::PeerConfig;
use bashu_tests::rogue::{RogueData, RoguePeer};
use bashu_tests::{Cluster, Topology, county};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_at_one_node_replicates_byte_identical_to_the_others() {
    let c = Cluster::start(3, Topology::FullMesh).await;
    let certs = c.certificates(0, 300, 1);
    let csv = c.write_csv("a.csv", &certs);
    let s = c.import(0, &csv).await;
    assert_eq!(
        (s.read, s.new, s.unchanged, s.refused.len()),
        (300, 300, 0, 0)
    );

    c.sync(1).await;
    c.sync(2).await;

    let a = c.county(0);
    let home = c.node(0).store();
    let home_cp = home.checkpoint(&a).unwrap().unwrap();
    assert_eq!(home_cp.checkpoint().size, 300);
    for i in 1..3 {
        let store = c.node(i).store();
        assert_eq!(store.log_state(&a).unwrap().size, 300);
        assert_eq!(store.checkpoint(&a).unwrap().unwrap(), home_cp);
        let theirs = store.entries(&a, 1, 1000).unwrap();
        let ours = home.entries(&a, 1, 1000).unwrap();
        assert_eq!(theirs, ours, "node {i} holds different bytes");
    }
    // A second round brings nothing new.
    for o in c.sync(1).await {
        assert!(
            o.received.is_empty(),
            "quiet sync received {:?}",
            o.received
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_reaches_a_county_that_is_not_a_peer() {
    // 0 and 2 are not peers; both peer with 1.
    let c = Cluster::start(3, Topology::Edges(vec![(0, 1), (1, 0), (1, 2), (2, 1)])).await;
    let csv = c.write_csv("a.csv", &c.certificates(0, 120, 2));
    assert_eq!(c.import(0, &csv).await.new, 120);
    let csv = c.write_csv("c.csv", &c.certificates(2, 80, 3));
    assert_eq!(c.import(2, &csv).await.new, 80);

    c.sync(1).await; // 1 gets 0's and 2's logs
    c.sync(2).await; // 2 gets 0's log from 1
    c.sync(0).await; // 0 gets 2's log from 1

    let (a, cc) = (c.county(0), c.county(2));
    assert_eq!(c.node(2).store().log_state(&a).unwrap().size, 120);
    assert_eq!(c.node(0).store().log_state(&cc).unwrap().size, 80);
    assert_eq!(
        c.node(2).store().log_state(&a).unwrap().frontier.root(),
        c.node(0).store().log_state(&a).unwrap().frontier.root()
    );
}

/// Node 1 pulls only from a rogue that serves `data`; returns node 1's outcome errors.
async fn pull_from_rogue(c: &mut Cluster, data: RogueData) -> Vec<String> {
    let rogue = RoguePeer::start_for(data, &c.configs[0]).await;
    c.stop(1).await;
    c.configs[1].peers = vec![PeerConfig {
        county: c.county(0).to_string(),
        endpoint: rogue.endpoint(),
    }];
    c.restart(1).await;
    let out = c.node(1).sync_now().await;
    assert_eq!(out.len(), 1);
    assert!(!out[0].ok, "sync from the rogue must report the refusal");
    out[0].errors.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_entries_are_refused_and_nothing_is_stored() {
    let mut c = Cluster::start(3, Topology::Edges(vec![])).await;
    let csv = c.write_csv("a.csv", &c.certificates(0, 50, 4));
    c.import(0, &csv).await;
    let a = c.county(0);
    let home = c.node(0).store();
    let genuine = home.entries(&a, 1, 100).unwrap();
    let cp = home.checkpoint(&a).unwrap().unwrap();

    // One byte flipped in the envelope, in the body, in the signature.
    for (what, flip) in [("envelope", 0usize), ("body", 1), ("signature", 2)] {
        let mut entries = genuine.clone();
        let e = &mut entries[17];
        let target = match flip {
            0 => &mut e.entry,
            1 => &mut e.body,
            _ => &mut e.signature,
        };
        let i = target.len() / 2;
        target[i] ^= 0x01;
        let mut data = RogueData::default();
        data.add_checkpoint(&cp);
        data.entries.insert(a.to_string(), entries);
        let errors = pull_from_rogue(&mut c, data).await;
        assert!(
            errors.iter().any(|e| e.contains(&format!("{a}"))),
            "{what}: error names the author: {errors:?}"
        );
        let st = c.node(1).store().log_state(&a).unwrap();
        assert_eq!(st.size, 0, "{what}: nothing of a refused chunk is stored");
        assert!(c.node(1).store().checkpoint(&a).unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_signed_by_a_non_member_are_refused() {
    let mut c = Cluster::start(3, Topology::Edges(vec![])).await;
    let stranger = SigningKey::from_bytes([42; 32]);
    // 500118 永川区 is not a member of this three-county alliance.
    let outsider = county("500118");
    // And a member's county code signed with a key the alliance does not know.
    let impostor = c.county(0);
    let mut data = RogueData::default();
    for author in [&outsider, &impostor] {
        let mut frontier = Frontier::new();
        let mut entries = Vec::new();
        for seq in 1..=5 {
            let e = sign_entry(
                &stranger,
                EntryDraft {
                    alliance_id: "bashu-test".into(),
                    author: author.clone(),
                    seq,
                    authored_at_ms: 0,
                    kind: EntryKind::Certificate,
                    record_id: format!("X{seq}"),
                    body: vec![1, 2, 3],
                },
            );
            frontier.push(e.hash());
            entries.push(e.into_signed());
        }
        let cp = sign_checkpoint(&stranger, "bashu-test", author, 5, frontier.root(), 0);
        data.add_checkpoint(&cp);
        data.entries.insert(author.to_string(), entries);
    }
    let errors = pull_from_rogue(&mut c, data).await;
    assert_eq!(errors.len(), 2, "both forged logs refused: {errors:?}");
    let store = c.node(1).store();
    for author in [&outsider, &impostor] {
        assert_eq!(store.log_state(author).unwrap().size, 0);
        assert!(store.checkpoint(author).unwrap().is_none());
    }
    assert!(store.authors().unwrap().iter().all(|a| a != &outsider));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_keeps_its_data_and_heads_and_sync_continues() {
    let mut c = Cluster::start(2, Topology::FullMesh).await;
    let certs = c.certificates(0, 200, 5);
    let csv = c.write_csv("a.csv", &certs[..150]);
    c.import(0, &csv).await;
    c.sync(1).await;
    let a = c.county(0);
    let before = c.node(1).store().log_state(&a).unwrap();
    let cp_before = c.node(1).store().checkpoint(&a).unwrap();
    assert_eq!(before.size, 150);

    c.stop(1).await;
    c.restart(1).await;
    assert_eq!(c.node(1).store().log_state(&a).unwrap(), before);
    assert_eq!(c.node(1).store().checkpoint(&a).unwrap(), cp_before);

    let csv = c.write_csv("a2.csv", &certs);
    let s = c.import(0, &csv).await;
    assert_eq!((s.new, s.unchanged), (50, 150));
    c.sync(1).await;
    assert_eq!(c.node(1).store().log_state(&a).unwrap().size, 200);

    // The home node restarts too and keeps appending after its last checkpoint.
    c.stop(0).await;
    c.restart(0).await;
    let mut more = c.certificates(0, 210, 5);
    more[0].name = "改名".into();
    let csv = c.write_csv("a3.csv", &more);
    let s = c.import(0, &csv).await;
    assert_eq!((s.new, s.unchanged), (11, 199));
    c.sync(1).await;
    assert_eq!(
        c.node(1)
            .store()
            .checkpoint(&a)
            .unwrap()
            .unwrap()
            .checkpoint()
            .size,
        211
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reimport_creates_nothing_and_bad_rows_are_reported_with_lines() {
    let c = Cluster::start(1, Topology::FullMesh).await;
    let certs = c.certificates(0, 20, 6);
    let csv = c.write_csv("a.csv", &certs);
    assert_eq!(c.import(0, &csv).await.new, 20);
    let again = c.import(0, &csv).await;
    assert_eq!((again.read, again.new, again.unchanged), (20, 0, 20));

    // Three bad rows: a wrong ID check digit (line 3), an impossible date (line 6) and a
    // missing name (line 9). Line 1 is the header.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let edit = |line: &str, c: usize, f: &dyn Fn(&str) -> String| {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        cells[c] = f(&cells[c]);
        cells.join(",")
    };
    lines[2] = edit(&lines[2], col("id_no"), &|id| {
        let (head, last) = id.split_at(17);
        let wrong = if last == "0" { "1" } else { "0" };
        format!("{head}{wrong}")
    });
    lines[5] = edit(&lines[5], col("issue_date"), &|_| "2023-02-30".into());
    lines[8] = edit(&lines[8], col("name"), &|_| String::new());
    let bad = c.dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let s = c.import(0, &bad).await;
    let refused: Vec<(String, String)> = s
        .refused
        .iter()
        .map(|r| (r.origin.clone(), r.column.clone()))
        .collect();
    assert_eq!(
        refused,
        vec![
            ("bad.csv:3".to_owned(), "id_no".to_owned()),
            ("bad.csv:6".to_owned(), "issue_date".to_owned()),
            ("bad.csv:9".to_owned(), "name".to_owned()),
        ]
    );
    for r in &s.refused {
        assert!(!r.message_zh.is_empty() && !r.message_en.is_empty());
    }
    // The good rows are the ones already held: nothing new, nothing lost.
    assert_eq!((s.read, s.new, s.unchanged), (20, 0, 17));
    let a = c.county(0);
    assert_eq!(c.node(0).store().log_state(&a).unwrap().size, 20);
}
