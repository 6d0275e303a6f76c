//! The node's HTTP side: probes, `/metrics` in Prometheus text format with the sync lag,
//! and the secretariat console's access rules and pages (in Chromium: `console.rs`).
#![allow(clippy::unwrap_used)]

use bashu_proto::v1 as pb;
use bashu_tests::web::{self, http_request, parse_prometheus};
use bashu_tests::{Cluster, Topology};

/// Percent-encodes a query value (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_and_metrics_show_the_lag_falling_to_zero_after_a_sync() {
    let c = Cluster::start(2, Topology::FullMesh).await;
    let (a, b) = (c.http(0), c.http(1));

    let h = web::get(a, "/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (200, "ok\n"));
    // Ready once the node's own log is confirmed with a peer (the start-up sync retries
    // until the peer is up): wait for it, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let r = loop {
        let r = web::get(a, "/readyz").await;
        if r.status == 200 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(web::get(a, "/nowhere").await.status, 404);
    let post = tokio::task::spawn_blocking(move || http_request(a, "POST", "/metrics", &[], ""))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(post.status, 405);
    let head = tokio::task::spawn_blocking(move || http_request(a, "HEAD", "/healthz", &[], ""))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((head.status, head.body.as_str()), (200, ""));

    // County 0 writes 25 certificates; county 1 learns of them from a heads probe.
    let csv = c.write_csv("a.csv", &c.certificates(0, 25, 7));
    assert_eq!(c.import(0, &csv).await.new, 25);
    c.node(1).probe_now().await;

    let m = web::get(b, "/metrics").await;
    assert_eq!(m.status, 200);
    assert!(
        m.headers["content-type"].starts_with("text/plain; version=0.0.4"),
        "{:?}",
        m.headers
    );
    let e = parse_prometheus(&m.body).unwrap_or_else(|err| panic!("{err}\n{}", m.body));
    let author = c.county(0).to_string();
    let lag = |e: &web::Exposition| e.value("bashu_sync_lag_entries", &[("author", &author)]);
    assert_eq!(lag(&e), Some(25.0), "{}", m.body);
    assert_eq!(
        e.value("bashu_log_entries", &[("author", &author)]),
        Some(0.0)
    );
    assert!(
        e.value("bashu_sync_lag_seconds", &[("author", &author)])
            .unwrap()
            >= 0.0
    );

    c.sync(1).await;
    let m = web::get(b, "/metrics").await;
    let e = parse_prometheus(&m.body).unwrap_or_else(|err| panic!("{err}\n{}", m.body));
    assert_eq!(lag(&e), Some(0.0), "{}", m.body);
    assert_eq!(
        e.value("bashu_sync_lag_seconds", &[("author", &author)]),
        Some(0.0)
    );
    assert_eq!(
        e.value("bashu_log_entries", &[("author", &author)]),
        Some(25.0)
    );
    assert_eq!(
        e.value("bashu_sync_received_entries_total", &[("author", &author)]),
        Some(25.0)
    );
    let last = e
        .value(
            "bashu_peer_last_sync_success_timestamp_seconds",
            &[("peer", &author)],
        )
        .expect("last successful sync with the peer");
    assert!(last > 1.7e9, "{last}");
    assert!(e.value("bashu_store_size_bytes", &[]).unwrap() > 0.0);
    assert_eq!(
        e.value("bashu_log_frozen", &[("author", &author)]),
        Some(0.0)
    );

    // County 0 served the pulls: its latency histogram counts them per method.
    let m0 = web::get(a, "/metrics").await;
    let e0 = parse_prometheus(&m0.body).unwrap_or_else(|err| panic!("{err}\n{}", m0.body));
    let heads = e0
        .value(
            "bashu_rpc_duration_seconds_count",
            &[("method", "/bashu.v1.Exchange/Heads")],
        )
        .unwrap_or(0.0);
    assert!(heads >= 2.0, "heads served: {heads}\n{}", m0.body);
    assert!(
        e0.value(
            "bashu_rpc_requests_total",
            &[("method", "/bashu.v1.County/SubmitRecords"), ("code", "Ok")]
        )
        .is_some(),
        "{}",
        m0.body
    );

    // The same facts through Admin.Status.
    let mut client = c.client(1).await;
    let s = client
        .admin
        .status(pb::StatusRequest {})
        .await
        .unwrap()
        .into_inner();
    let log = s.logs.iter().find(|l| l.author == author).unwrap();
    assert_eq!((log.size, log.lag_entries), (25, 0));
    assert_eq!(log.checkpoint_size, 25);
    assert!(log.cosignatures >= 1, "node 1 cosigned what it verified");
    assert!(s.peers.iter().all(|p| p.last_success_unix > 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_needs_a_token_and_keeps_id_numbers_out_of_pages() {
    let c = Cluster::start(2, Topology::FullMesh).await;
    let certs = c.certificates(0, 3, 11);
    let csv = c.write_csv("a.csv", &certs);
    c.import(0, &csv).await;
    let addr = c.http(0);
    let token = c.console_token(0);

    let r = web::get(addr, "/console").await;
    assert_eq!(r.status, 401);
    let r = web::get(addr, "/console?token=not-the-token-at-all").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("令牌无效"), "{}", r.body);

    let r = web::get(addr, &format!("/console?token={}", enc(&token))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r.headers.get("set-cookie").expect("token kept in a cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(r.headers["content-security-policy"].contains("default-src 'none'"));

    // The lookup form is POSTed; the cookie carries the token.
    let cert = &certs[0];
    let id_no = cert.person_id.normalised_number().to_owned();
    let form = format!("id_no={}&name={}", enc(&id_no), enc(&cert.name));
    let cookie = format!("bashu_console={token}");
    let r = tokio::task::spawn_blocking(move || {
        http_request(
            addr,
            "POST",
            "/console/cert",
            &[
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &form,
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(cert.cert_no.as_str()), "{}", r.body);
    assert!(
        !r.body.contains(&id_no),
        "the full ID number must never appear in a page"
    );
    assert!(r.body.contains(&cert.person_id.masked()));

    // The lookup is in the audit trail, like a Query call: who, what (hashed), why.
    let trail = bashu_node::audit::audit_dir(&c.configs[0].data_dir).join("queries.jsonl");
    let records = bashu_node::audit::read_trail(&trail, 0, 1000).unwrap();
    let r0 = records
        .iter()
        .find(|r| r.purpose == "secretariat console")
        .unwrap_or_else(|| panic!("no console lookup audited: {records:?}"));
    assert_eq!(
        (r0.caller.as_str(), r0.role.as_str(), r0.outcome.as_str()),
        ("secretariat", "secretariat", "OK")
    );
    assert!(!format!("{r0:?}").contains(&id_no));

    // A county writer's token does not open the console (it may not call Query).
    let writer = c.configs[0]
        .clients
        .iter()
        .find(|k| k.role == bashu_node::auth::ClientRole::CountyWriter)
        .and_then(|k| k.token_file.clone())
        .unwrap();
    let writer = bashu_node::auth::read_token(&writer).unwrap();
    let r = web::get(addr, &format!("/console?token={}", enc(&writer))).await;
    assert_eq!(r.status, 401);

    // A name alone finds nothing (the national "any two" rule).
    let r = web::get(
        addr,
        &format!("/console/cert?name={}&token={token}", enc(&cert.name)),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(!r.body.contains(cert.cert_no.as_str()));

    // Markup in a parameter comes back escaped.
    let r = web::get(
        addr,
        &format!(
            "/console/cert?cert_no={}&name=x&token={token}",
            enc("<script>alert(1)</script>")
        ),
    )
    .await;
    assert!(!r.body.contains("<script>"), "{}", r.body);
    assert!(r.body.contains("&lt;script&gt;"));

    // Federation and plan pages.
    let r = web::get(addr, &format!("/console/federation?token={token}")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(c.county(1).as_str()));
    let r = web::get(addr, &format!("/console/targets?lang=en&token={token}")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/ 5000"), "{}", r.body);
}
