//! The secretariat console in headless Chromium: a certificate page with the recognition
//! verdict of every member county and its reasons, in Chinese and in English.
#![allow(clippy::unwrap_used)]

use bashu_proto::v1 as pb;
use bashu_tests::web;
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

/// What the DOM shows for text (Chromium serialises `&`, `<`, `>` as entities).
fn in_dom(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_shows_each_countys_recognition_verdict() {
    let Some(browser) = web::chromium() else {
        eprintln!(
            "SKIPPED console_in_chromium_shows_each_countys_recognition_verdict: \
             chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
        );
        return;
    };
    let c = Cluster::start(3, Topology::FullMesh).await;
    let certs = c.certificates(0, 5, 21);
    let csv = c.write_csv("a.csv", &certs);
    c.import(0, &csv).await;
    c.sync(2).await;

    // The verdict Query answers at node 2 for county 1, to find it on the page.
    let cert = &certs[0];
    let mut client = c.client(2).await;
    let v = client
        .query
        .check_recognition(pb::CheckRecognitionRequest {
            cert_no: cert.cert_no.as_str().to_owned(),
            county: c.county(1).to_string(),
            as_of: String::new(),
            author: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let verdict: serde_json::Value = serde_json::from_str(&v.verdict_json).unwrap();
    let (zh, en) = match v.outcome.as_str() {
        "RECOGNISED" => ("予以互认", "Recognised"),
        "PENDING" => ("待人工复核", "Pending review"),
        "REJECTED" => ("不予互认", "Not recognised"),
        other => panic!("unexpected outcome {other}"),
    };

    let token = c.console_token(2);
    let profile = tempfile::tempdir().unwrap();
    let url = |lang: &str| {
        format!(
            "http://{}/console/cert?cert_no={}&name={}&token={token}{lang}",
            c.http(2),
            enc(cert.cert_no.as_str()),
            enc(&cert.name)
        )
    };
    let (b, p, u) = (browser.clone(), profile.path().to_owned(), url(""));
    let dom = tokio::task::spawn_blocking(move || web::dump_dom(&b, &p, &u))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(dom.contains(cert.cert_no.as_str()), "{dom}");
    assert!(dom.contains(&in_dom(&cert.name)), "{dom}");
    // One verdict row per member county, the asked county's with the Query's outcome.
    let row = dom
        .split("<tr>")
        .find(|r| r.contains(&format!("{} ", c.county(1))) && r.contains(&v.outcome))
        .unwrap_or_else(|| panic!("no verdict row for {} in\n{dom}", c.county(1)));
    assert!(row.contains(zh), "{row}");
    if let Some(f) = verdict["findings"].as_array().and_then(|f| f.first()) {
        let zh_reason = f["message_zh"].as_str().unwrap();
        assert!(row.contains(&in_dom(zh_reason)), "{zh_reason} not in {row}");
    }
    for i in 0..3 {
        assert!(
            dom.contains(&format!("<td>{} ", c.county(i))),
            "county {} has no row",
            c.county(i)
        );
    }

    // English on request.
    let (b, p, u) = (browser, profile.path().to_owned(), url("&lang=en"));
    let dom = tokio::task::spawn_blocking(move || web::dump_dom(&b, &p, &u))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(dom.contains(en), "{dom}");
    if let Some(f) = verdict["findings"].as_array().and_then(|f| f.first()) {
        let en_reason = f["message_en"].as_str().unwrap();
        assert!(dom.contains(&in_dom(en_reason)), "{en_reason} not in {dom}");
    }
}
