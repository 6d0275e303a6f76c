//! `bashu status`: the federation as one node sees it, as a table (or `--json`).

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use bashu_proto::v1 as pb;

/// `3h05m`, `42s`, `2d04h`.
pub(crate) fn short_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{:02}s", s % 60)
    } else {
        format!("{s}s")
    }
}

fn age_secs(now_ms: i64, then_ms: i64) -> Option<f64> {
    (then_ms > 0).then(|| (now_ms - then_ms).max(0) as f64 / 1000.0)
}

pub(crate) async fn status(config: &Path, json: bool) -> Result<()> {
    let (_, mut client) = crate::connect(config).await?;
    let s = client
        .admin
        .status(pb::StatusRequest {})
        .await
        .map_err(|e| anyhow::anyhow!("status failed: {}", e.message()))?
        .into_inner();
    if json {
        println!("{}", serde_json::to_string_pretty(&status_json(&s))?);
    } else {
        print!("{}", status_text(&s));
    }
    Ok(())
}

pub(crate) fn status_json(s: &pb::StatusResponse) -> serde_json::Value {
    json!({
        "county": s.county,
        "alliance_id": s.alliance_id,
        "own_log_confirmed": s.own_log_confirmed,
        "store_bytes": s.store_bytes,
        "equivocation_evidence": s.equivocation_evidence,
        "logs": s.logs.iter().map(|l| json!({
            "county": l.author,
            "name": l.name,
            "member": l.member,
            "removed": l.removed,
            "size": l.size,
            "root": hex::encode(&l.root),
            "checkpoint_size": l.checkpoint_size,
            "checkpoint_age_secs": age_secs(s.now_ms, l.checkpoint_signed_at_ms),
            "cosignatures": l.cosignatures,
            "lag_entries": l.lag_entries,
            "lag_secs": l.lag_seconds,
            "frozen": l.frozen,
            "frozen_at": l.frozen.then_some(l.frozen_at),
        })).collect::<Vec<_>>(),
        "peers": s.peers.iter().map(|p| json!({
            "county": p.county,
            "endpoint": p.endpoint,
            "last_success_unix": (p.last_success_unix > 0).then_some(p.last_success_unix),
            "last_attempt_unix": (p.last_attempt_unix > 0).then_some(p.last_attempt_unix),
            "last_error": p.last_error,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn status_text(s: &pb::StatusResponse) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "node {} · alliance {} · own log {} · store {} · evidence {}\n\n",
        s.county,
        s.alliance_id,
        if s.own_log_confirmed {
            "confirmed"
        } else {
            "NOT YET CONFIRMED (writes wait)"
        },
        human_bytes(s.store_bytes),
        s.equivocation_evidence,
    ));
    let mut rows = vec![vec![
        "county 区县".to_owned(),
        "log size".to_owned(),
        "checkpoint".to_owned(),
        "age".to_owned(),
        "cosigs".to_owned(),
        "lag".to_owned(),
        "frozen?".to_owned(),
    ]];
    for l in &s.logs {
        let mut county = format!("{} {}", l.author, l.name).trim_end().to_owned();
        if l.removed {
            county.push_str(" (removed)");
        } else if !l.member {
            county.push_str(" (not a member)");
        }
        let lag = if l.lag_entries == 0 {
            "0".to_owned()
        } else {
            format!("{} ({})", l.lag_entries, short_duration(l.lag_seconds))
        };
        rows.push(vec![
            county,
            l.size.to_string(),
            l.checkpoint_size.to_string(),
            age_secs(s.now_ms, l.checkpoint_signed_at_ms)
                .map_or_else(|| "-".to_owned(), short_duration),
            l.cosignatures.to_string(),
            lag,
            if l.frozen {
                format!("FROZEN after {}", l.frozen_at)
            } else {
                "no".to_owned()
            },
        ]);
    }
    out.push_str(&crate::progress::format_table(&rows));
    if !s.peers.is_empty() {
        out.push('\n');
        let mut rows = vec![vec![
            "peer".to_owned(),
            "endpoint".to_owned(),
            "last successful sync".to_owned(),
            "last error".to_owned(),
        ]];
        let now = s.now_ms / 1000;
        for p in &s.peers {
            rows.push(vec![
                p.county.clone(),
                p.endpoint.clone(),
                if p.last_success_unix > 0 {
                    format!("{} ago", short_duration((now - p.last_success_unix) as f64))
                } else {
                    "never (since start)".to_owned()
                },
                p.last_error.clone(),
            ]);
        }
        out.push_str(&crate::progress::format_table(&rows));
    }
    out
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(42.0), "42s");
        assert_eq!(short_duration(125.0), "2m05s");
        assert_eq!(short_duration(3.0 * 3600.0 + 300.0), "3h05m");
        assert_eq!(short_duration(2.0 * 86_400.0 + 4.0 * 3600.0), "2d04h");
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn status_table_names_frozen_and_lagging_logs() {
        let s = pb::StatusResponse {
            county: "500153".into(),
            alliance_id: "a".into(),
            own_log_confirmed: true,
            now_ms: 10_000_000,
            logs: vec![
                pb::LogStatus {
                    author: "500153".into(),
                    name: "荣昌区".into(),
                    member: true,
                    size: 12,
                    checkpoint_size: 12,
                    checkpoint_signed_at_ms: 10_000_000 - 65_000,
                    cosignatures: 2,
                    ..Default::default()
                },
                pb::LogStatus {
                    author: "510521".into(),
                    name: "泸县".into(),
                    member: true,
                    size: 3,
                    lag_entries: 4,
                    lag_seconds: 30.0,
                    frozen: true,
                    frozen_at: 3,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let t = status_text(&s);
        assert!(t.contains("500153 荣昌区"), "{t}");
        assert!(t.contains("1m05s"), "{t}");
        assert!(t.contains("4 (30s)"), "{t}");
        assert!(t.contains("FROZEN after 3"), "{t}");
        let j = status_json(&s);
        assert_eq!(j["logs"][1]["lag_entries"], 4);
        assert_eq!(j["logs"][1]["frozen_at"], 3);
        assert_eq!(j["logs"][0]["frozen_at"], serde_json::Value::Null);
    }
}
