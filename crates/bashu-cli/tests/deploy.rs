//! `deploy/federation.sh` with the built binary: three counties as separate processes,
//! brought up and waited for through `/readyz`; an import followed by a sync, a sync at
//! another county, a certificate found and checked there through the CLI, the federation
//! table, `/metrics`; then a clean stop with SIGTERM.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bashu_core::CountyCode;
use bashu_core::import::write_certificates_csv;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a command to completion within `limit`, output captured.
fn run(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let start = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{cmd:?} did not finish within {limit:?}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn bashu(args: &[&str]) -> Output {
    let out = run(
        Command::new(env!("CARGO_BIN_EXE_bashu"))
            .args(args)
            .env_remove("BASHU_LOG")
            .env_remove("BASHU_LOG_FORMAT"),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        describe(&format!("bashu {}", args.join(" ")), &out)
    );
    out
}

fn script(dir: &Path, args: &[&str]) -> Output {
    run(
        Command::new("bash")
            .arg(repo().join("deploy/federation.sh"))
            .args(args)
            .arg("--dir")
            .arg(dir)
            .env("BASHU_BIN", env!("CARGO_BIN_EXE_bashu"))
            .env_remove("BASHU_LOG")
            .env_remove("BASHU_LOG_FORMAT"),
        Duration::from_secs(120),
    )
}

/// A base port with `n` free consecutive ports from it.
fn free_ports(n: u16, avoid: &[u16]) -> u16 {
    for _ in 0..200 {
        let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(a) = l.local_addr() else { continue };
        let base = a.port();
        drop(l);
        if base > 65000 || avoid.iter().any(|p| (base..base + n).contains(p)) {
            continue;
        }
        let held: Vec<_> = (base..base + n)
            .map(|p| TcpListener::bind(("127.0.0.1", p)))
            .collect();
        if held.iter().all(Result::is_ok) {
            return base;
        }
    }
    panic!("no {n} free consecutive ports");
}

/// Stops the federation even when an assertion failed.
struct Federation(PathBuf);

impl Drop for Federation {
    fn drop(&mut self) {
        if self.0.join("counties").exists() {
            let _ = script(&self.0, &["down"]);
        }
    }
}

#[test]
fn federation_script_runs_three_counties_as_processes_and_stops_them_cleanly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fed");
    let grpc = free_ports(3, &[]);
    let http = free_ports(3, &[grpc, grpc + 1, grpc + 2]);
    let fed = Federation(dir.clone());

    let up = script(
        &dir,
        &[
            "up",
            "--counties",
            "3",
            "--base-port",
            &grpc.to_string(),
            "--http-base-port",
            &http.to_string(),
        ],
    );
    assert!(up.status.success(), "{}", describe("federation.sh up", &up));
    let up_log = String::from_utf8_lossy(&up.stderr);
    for c in ["500153", "510521", "511083"] {
        assert!(up_log.contains(&format!("{c} ready")), "{up_log}");
    }
    let config = |c: &str| dir.join(c).join("node.toml");
    let cfg = |c: &str| config(c).to_str().expect("utf-8 path").to_owned();

    // Every example county config, and these, load as node configs.
    let home = bashu_node::NodeConfig::load(&config("500153")).expect("config");
    let home_http = home.http.as_ref().expect("[http]").listen;
    assert_eq!(home_http.port(), http);

    // 荣昌 imports and syncs; 隆昌 syncs and finds the certificate.
    let county = CountyCode::parse("500153").expect("county");
    let certs = bashu_core::synth::certificates(&county, "荣昌区", 40, 5);
    let csv = tmp.path().join("rongchang.csv");
    write_certificates_csv(
        std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv")),
        &certs,
    )
    .expect("write csv");
    let out = bashu(&[
        "import",
        "--config",
        &cfg("500153"),
        "--sync",
        "--json",
        csv.to_str().expect("utf-8"),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("import json");
    assert_eq!(v["imports"][0]["new"], 40, "{v}");
    assert!(v["sync"].as_array().is_some_and(|s| s.len() == 2), "{v}");

    bashu(&["sync", "--config", &cfg("511083")]);
    let cert = &certs[3];
    let out = bashu(&[
        "query",
        "cert",
        "--config",
        &cfg("511083"),
        "--cert-no",
        cert.cert_no.as_str(),
        "--name",
        &cert.name,
        "--json",
    ]);
    let found: Value = serde_json::from_slice(&out.stdout).expect("query json");
    assert_eq!(found[0]["cert_no"], cert.cert_no.as_str(), "{found}");
    assert_eq!(found[0]["author"], "500153");

    // The recognition verdict for 隆昌 through the CLI (exit 4 when not RECOGNISED).
    let check = run(
        Command::new(env!("CARGO_BIN_EXE_bashu")).args([
            "check",
            "cert",
            "--config",
            &cfg("511083"),
            "--cert-no",
            cert.cert_no.as_str(),
            "--in",
            "511083",
        ]),
        Duration::from_secs(60),
    );
    assert!(
        matches!(check.status.code(), Some(0 | 4)),
        "{}",
        describe("bashu check cert", &check)
    );
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        ["RECOGNISED", "PENDING", "REJECTED"]
            .iter()
            .any(|o| text.contains(o)),
        "{text}"
    );

    // The federation table, as a script reads it.
    let out = bashu(&["status", "--config", &cfg("511083"), "--json"]);
    let s: Value = serde_json::from_slice(&out.stdout).expect("status json");
    let logs = s["logs"].as_array().expect("logs");
    let rongchang = logs
        .iter()
        .find(|l| l["county"] == "500153")
        .expect("500153 row");
    assert_eq!(rongchang["size"], 40, "{s}");
    assert_eq!(rongchang["lag_entries"], 0, "{s}");
    assert_eq!(rongchang["frozen"], false);
    assert_eq!(logs.len(), 3, "{s}");
    let out = bashu(&["status", "--config", &cfg("511083")]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("500153 荣昌区"), "{table}");

    // /readyz and /metrics of 隆昌.
    let node = bashu_node::NodeConfig::load(&config("511083")).expect("config");
    let addr = node.http.as_ref().expect("[http]").listen;
    let metrics = http_get(addr, "/metrics");
    assert!(
        metrics.contains("bashu_log_entries{author=\"500153\"} 40"),
        "{metrics}"
    );

    // A clean stop: SIGTERM, every node says it stopped.
    let down = script(&dir, &["down"]);
    assert!(
        down.status.success(),
        "{}",
        describe("federation.sh down", &down)
    );
    let down_log = String::from_utf8_lossy(&down.stderr);
    for c in ["500153", "510521", "511083"] {
        assert!(
            down_log.contains(&format!("{c} stopped cleanly")),
            "{down_log}"
        );
    }
    std::mem::forget(fed);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after down"
    );
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn example_county_configs_load() {
    let dir = repo().join("deploy/counties");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("deploy/counties") {
        let path = e.expect("entry").path();
        if path.extension().is_some_and(|x| x == "toml") {
            let cfg = bashu_node::NodeConfig::load(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            assert_eq!(cfg.county, stem, "{}", path.display());
            assert!(cfg.http.is_some(), "{} has no [http]", path.display());
            assert_eq!(cfg.sync.at.as_deref(), Some("02:30"));
            assert_eq!(cfg.audit, bashu_node::audit::AuditConfig::default());
            assert!(
                cfg.peers.iter().all(|p| p.county != cfg.county),
                "{} lists itself",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 5, "only {n} example configs");
}
