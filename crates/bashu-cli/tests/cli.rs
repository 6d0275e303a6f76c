//! The `bashu` binary driven the way operators and HR systems drive it: every command is a
//! separate process, the nodes are real `bashu node` processes talking over TCP.
//!
//! keys gen → alliance init → three nodes → import (with refused rows) → sync → query
//! (masking, reveal, "any two") → same entry hash everywhere → SIGTERM → restart → query.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bashu_core::CountyCode;
use bashu_core::import::write_certificates_csv;
use bashu_core::record::CertificateInput;
use serde_json::Value;

/// How long any one command or node transition may take before the test gives up.
const DEADLINE: Duration = Duration::from_secs(30);

const COUNTIES: [(&str, &str); 3] = [
    ("500153", "荣昌区"),
    ("510521", "泸县"),
    ("511083", "隆昌市"),
];
const HOME: &str = "500153";
const OTHER: &str = "510521";
const THIRD: &str = "511083";

// ---------------------------------------------------------------------------------------
// Running commands

/// What a finished command left behind.
struct Out {
    args: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Out {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    fn describe(&self) -> String {
        format!(
            "`bashu {}` exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.status, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code and returns self for further checks.
    fn expect_code(self, code: i32) -> Out {
        assert_eq!(self.code(), Some(code), "{}", self.describe());
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.describe()))
    }
}

fn bashu_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bashu"));
    // The log level is the test's business, not the environment's.
    c.env_remove("BASHU_LOG");
    c
}

/// Runs `bashu ARGS` to completion (killed and failed after [`DEADLINE`]).
fn bashu(args: &[&str]) -> Out {
    bashu_env(args, &[])
}

/// [`bashu`] with environment variables set.
fn bashu_env(args: &[&str], env: &[(&str, &Path)]) -> Out {
    let mut child = bashu_cmd()
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bashu");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_t = drain(Box::new(child.stdout.take().expect("stdout")));
    let err_t = drain(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`bashu {}` did not finish within {DEADLINE:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Out {
        args: args.join(" "),
        status,
        stdout: out_t.join().expect("stdout reader"),
        stderr: err_t.join().expect("stderr reader"),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------------------
// Node processes

/// A running `bashu node`; killed if still running when dropped (e.g. on a panic).
struct NodeProc {
    county: &'static str,
    config: PathBuf,
    addr: SocketAddr,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl NodeProc {
    /// Starts the node and waits until it accepts connections and says it is serving.
    fn start(
        county: &'static str,
        config: &Path,
        addr: SocketAddr,
        logs: &Path,
        run: u32,
    ) -> NodeProc {
        let stdout = logs.join(format!("{county}.{run}.stdout"));
        let stderr = logs.join(format!("{county}.{run}.stderr"));
        let child = bashu_cmd()
            .args(["node", "--config", s(config)])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("node stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("node stderr file"))
            .spawn()
            .expect("spawn bashu node");
        let mut node = NodeProc {
            county,
            config: config.to_owned(),
            addr,
            child,
            stdout,
            stderr,
        };
        node.wait_ready();
        node
    }

    fn logs(&self) -> String {
        format!(
            "--- node {} stdout ---\n{}\n--- node {} stderr ---\n{}",
            self.county,
            std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            self.county,
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        let mut accepting = false;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "node {} exited early with {status}\n{}",
                    self.county,
                    self.logs()
                );
            }
            if !accepting {
                accepting =
                    TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok();
            }
            // Accepting on the port is not proof it is *this* node: it also announces itself.
            if accepting
                && std::fs::read_to_string(&self.stdout)
                    .unwrap_or_default()
                    .contains(&format!("{} serving on {}", self.county, self.addr))
            {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "node {} not ready on {} within {DEADLINE:?}\n{}",
                self.county,
                self.addr,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// SIGTERM, then waits for the exit; returns the exit status.
    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "node {} did not exit within {DEADLINE:?} of SIGTERM\n{}",
                self.county,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `p`, `p+1` and `p+2` can all be bound on 127.0.0.1 (held together while checked).
fn three_free_from(p: u16) -> bool {
    if p == 0 || p > u16::MAX - 2 {
        return false;
    }
    let held: Vec<_> = (p..=p + 2)
        .map(|q| TcpListener::bind(("127.0.0.1", q)))
        .collect();
    held.iter().all(Result::is_ok)
}

/// A port `p` with `p`, `p+1` and `p+2` free on 127.0.0.1. Candidates come from below the
/// usual ephemeral range (32768–60999), so that the test's own outgoing connections cannot
/// take one of them as a source port before its node binds it; the kernel's pick of a free
/// port is the fallback.
fn three_free_ports() -> u16 {
    let seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    for i in 0..64u64 {
        let p = 20_000 + (seed.wrapping_add(i.wrapping_mul(7_919)) % 12_000) as u16;
        if three_free_from(p) {
            return p;
        }
    }
    for _ in 0..64 {
        let p = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_or(0, |a| a.port());
        if three_free_from(p) {
            return p;
        }
    }
    panic!("no three consecutive free ports found on 127.0.0.1");
}

// ---------------------------------------------------------------------------------------
// Data

fn csv_text(rows: &[CertificateInput]) -> String {
    let mut buf = Vec::new();
    write_certificates_csv(&mut buf, rows).expect("write CSV");
    String::from_utf8(buf).expect("CSV is UTF-8")
}

/// The data line of a one-row CSV with `column` set to `value`.
fn bad_row(c: &CertificateInput, column: &str, value: &str) -> String {
    let text = csv_text(std::slice::from_ref(c));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let line = lines.next().expect("data line");
    assert!(
        !line.contains('"'),
        "synthetic row needs no quoting: {line}"
    );
    let mut cells: Vec<&str> = line.split(',').collect();
    assert_eq!(cells.len(), header.len(), "{line}");
    let i = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no column {column} in {header:?}"));
    cells[i] = value;
    cells.join(",")
}

/// The same resident ID number with a wrong check digit.
fn wrong_check_digit(id: &str) -> String {
    let (body, last) = id.split_at(17);
    format!("{body}{}", if last == "0" { "1" } else { "0" })
}

/// The single match of a `query cert --json` answer.
fn single_match(out: &Out) -> serde_json::Map<String, Value> {
    let v = out.json();
    let arr = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", out.describe()));
    assert_eq!(arr.len(), 1, "{}", out.describe());
    arr[0].as_object().expect("match is an object").clone()
}

fn str_field<'a>(m: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    m.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {key} in {m:?}"))
}

// ---------------------------------------------------------------------------------------

#[test]
fn operators_and_hr_systems_drive_a_three_county_federation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).expect("logs dir");

    // 1. keys gen: 0600, shows a key id, refuses to overwrite.
    let key = dir.join("k.key");
    let out = bashu(&["keys", "gen", "--out", s(&key)]).expect_code(0);
    assert!(key.is_file(), "{}", out.describe());
    assert_eq!(mode(&key), 0o600);
    let key_id_line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("key id"))
        .unwrap_or_else(|| panic!("no key id: {}", out.describe()));
    assert!(
        key_id_line.trim_start_matches("key id").trim().len() >= 8,
        "{key_id_line}"
    );
    let key_bytes = std::fs::read(&key).expect("read key");
    let again = bashu(&["keys", "gen", "--out", s(&key)]);
    assert!(
        !again.status.success(),
        "overwrote a key: {}",
        again.describe()
    );
    assert!(
        again.stderr.contains("already exists"),
        "{}",
        again.describe()
    );
    assert_eq!(
        std::fs::read(&key).expect("read key"),
        key_bytes,
        "key changed"
    );
    assert_eq!(mode(&key), 0o600);

    // 2. alliance init.
    let fed = dir.join("fed");
    let base_port = three_free_ports();
    let base = base_port.to_string();
    let mut init_args = vec!["alliance", "init", "--dir", s(&fed)];
    let county_args: Vec<String> = COUNTIES.iter().map(|(c, n)| format!("{c}={n}")).collect();
    for c in &county_args {
        init_args.extend(["--county", c.as_str()]);
    }
    init_args.extend(["--base-port", &base, "--sync-interval", "0", "--no-http"]);
    let out = bashu(&init_args).expect_code(0);
    assert!(fed.join("genesis.bin").is_file(), "{}", out.describe());
    assert!(
        std::fs::metadata(fed.join("genesis.bin"))
            .expect("genesis")
            .len()
            > 0,
        "empty genesis"
    );
    let config = |county: &str| fed.join(county).join("node.toml");
    let addr_of = |county: &str| -> SocketAddr {
        let i = COUNTIES
            .iter()
            .position(|(c, _)| *c == county)
            .expect("county");
        SocketAddr::from(([127, 0, 0, 1], base_port + i as u16))
    };
    for (county, _) in COUNTIES {
        let cdir = fed.join(county);
        assert!(config(county).is_file(), "no node.toml for {county}");
        assert_eq!(
            mode(&cdir.join("signing.key")),
            0o600,
            "{county} signing.key"
        );
        assert_eq!(
            mode(&cdir.join("pseudonym.key")),
            0o600,
            "{county} pseudonym.key"
        );
        let toml = std::fs::read_to_string(config(county)).expect("node.toml");
        assert!(toml.contains(&format!("county = \"{county}\"")), "{toml}");
        assert!(
            toml.contains(&format!("listen = \"{}\"", addr_of(county))),
            "{toml}"
        );
        assert!(toml.contains("interval_secs = 0"), "{toml}");
        assert!(out.stdout.contains(county), "{}", out.describe());
        // TLS on by default: the county's identity, pinned; client tokens, all 0600.
        assert!(
            toml.contains("[tls]") && !toml.contains("insecure_dev"),
            "{toml}"
        );
        assert!(cdir.join("tls.crt").is_file());
        for secret in [
            "tls.key",
            "operator.token",
            "secretariat.token",
            "writer.token",
        ] {
            assert_eq!(mode(&cdir.join(secret)), 0o600, "{county} {secret}");
        }
    }
    assert!(out.stdout.contains("tls cert sha256"), "{}", out.describe());

    // 3. Three node processes.
    let mut nodes: Vec<NodeProc> = COUNTIES
        .iter()
        .map(|&(c, _)| NodeProc::start(c, &config(c), addr_of(c), &logs, 1))
        .collect();
    let cfg = |county: &str| config(county).to_str().expect("UTF-8").to_owned();

    // 4. Import an HR export with three bad rows appended.
    let county = CountyCode::parse(HOME).expect("county code");
    let all = bashu_core::synth::certificates(&county, "荣昌区", 53, 1);
    assert_eq!(all.len(), 53);
    let (good, spare) = all.split_at(50);
    let good_csv = csv_text(good);
    let mut csv = good_csv.clone();
    for line in [
        bad_row(
            &spare[0],
            "id_no",
            &wrong_check_digit(spare[0].person_id.normalised_number()),
        ),
        bad_row(&spare[1], "issue_date", "2023-02-30"),
        bad_row(&spare[2], "name", ""),
    ] {
        csv.push_str(&line);
        csv.push('\n');
    }
    let certs = dir.join("certs.csv");
    std::fs::write(&certs, &csv).expect("write certs.csv");
    let out = bashu(&["import", "--config", &cfg(HOME), s(&certs)]).expect_code(3);
    // Header is line 1, the good rows 2..=51, the bad ones 52, 53, 54.
    for (line, column) in [(52, "id_no"), (53, "issue_date"), (54, "name")] {
        let origin = format!("certs.csv:{line}: column {column}:");
        assert!(
            out.stderr.contains(&origin),
            "no `{origin}`: {}",
            out.describe()
        );
    }
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("certs.csv:"))
            .count(),
        3,
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("read 53, new 50, unchanged 0, refused 3"),
        "{}",
        out.describe()
    );
    for c in spare {
        let id = c.person_id.normalised_number();
        assert!(
            !out.stderr.contains(id),
            "an ID number in the refusals: {}",
            out.describe()
        );
    }

    let good_file = dir.join("good.csv");
    std::fs::write(&good_file, &good_csv).expect("write good.csv");
    let out = bashu(&["import", "--config", &cfg(HOME), s(&good_file)]).expect_code(0);
    assert!(
        out.stdout
            .contains("read 50, new 0, unchanged 50, refused 0"),
        "{}",
        out.describe()
    );

    // 5. Sync the second county and query there.
    bashu(&["sync", "--config", &cfg(OTHER)]).expect_code(0);
    let cert = &good[17];
    let cert_no = cert.cert_no.as_str();
    let name = cert.name.as_str();
    let id_no = cert.person_id.normalised_number();
    let masked = cert.person_id.masked();
    assert!(masked.contains("**********"), "{masked}");

    let query = |county: &str, extra: &[&str]| {
        let c = cfg(county);
        let mut args = vec!["query", "cert", "--config", c.as_str()];
        args.extend_from_slice(extra);
        bashu(&args)
    };
    let check_masked = |out: &Out| -> String {
        let m = single_match(out);
        assert_eq!(str_field(&m, "author"), HOME, "{}", out.describe());
        assert_eq!(str_field(&m, "cert_no"), cert_no, "{}", out.describe());
        assert_eq!(str_field(&m, "name"), name, "{}", out.describe());
        assert_eq!(str_field(&m, "id_masked"), masked, "{}", out.describe());
        assert!(!m.contains_key("id_no"), "id_no leaked: {}", out.describe());
        assert!(
            !out.stdout.contains(id_no),
            "full ID in stdout: {}",
            out.describe()
        );
        let hash = str_field(&m, "entry_hash").to_owned();
        assert_eq!(hash.len(), 64, "{hash}");
        hash
    };

    let by_no_name = query(OTHER, &["--cert-no", cert_no, "--name", name, "--json"]).expect_code(0);
    let hash = check_masked(&by_no_name);
    let by_id_name = query(OTHER, &["--id-no", id_no, "--name", name, "--json"]).expect_code(0);
    assert_eq!(check_masked(&by_id_name), hash);
    let by_no_id = query(OTHER, &["--cert-no", cert_no, "--id-no", id_no, "--json"]).expect_code(0);
    assert_eq!(check_masked(&by_no_id), hash);

    // --reveal-id: only the home node holds (and shows) the full number.
    let revealed = query(
        HOME,
        &[
            "--cert-no",
            cert_no,
            "--name",
            name,
            "--reveal-id",
            "--json",
        ],
    )
    .expect_code(0);
    let m = single_match(&revealed);
    assert_eq!(str_field(&m, "id_no"), id_no, "{}", revealed.describe());
    assert_eq!(str_field(&m, "entry_hash"), hash);
    let elsewhere = query(
        OTHER,
        &[
            "--cert-no",
            cert_no,
            "--name",
            name,
            "--reveal-id",
            "--json",
        ],
    )
    .expect_code(0);
    assert_eq!(check_masked(&elsewhere), hash);
    // The human-readable form masks too.
    let text = query(OTHER, &["--cert-no", cert_no, "--name", name]).expect_code(0);
    assert!(text.stdout.contains(&masked), "{}", text.describe());
    assert!(!text.stdout.contains(id_no), "{}", text.describe());

    // One criterion is not enough.
    for one in [["--cert-no", cert_no], ["--name", name], ["--id-no", id_no]] {
        let out = query(OTHER, &one);
        assert!(!out.status.success(), "{}", out.describe());
        assert!(out.stderr.contains("any two"), "{}", out.describe());
        assert!(!out.stdout.contains(id_no) && !out.stderr.contains(id_no));
    }
    // A wrong pairing finds nothing rather than someone else's certificate.
    let wrong = query(
        OTHER,
        &["--cert-no", cert_no, "--name", &good[18].name, "--json"],
    )
    .expect_code(0);
    if good[18].name != cert.name {
        assert_eq!(
            wrong.json(),
            Value::Array(Vec::new()),
            "{}",
            wrong.describe()
        );
    }

    // 6. The same entry on every node.
    bashu(&["sync", "--config", &cfg(THIRD)]).expect_code(0);
    for county in [HOME, OTHER, THIRD] {
        let out = query(county, &["--cert-no", cert_no, "--name", name, "--json"]).expect_code(0);
        assert_eq!(check_masked(&out), hash, "entry hash differs on {county}");
    }

    // 6b. The secretariat's token (BASHU_TOKEN_FILE) reads but does not write; the node
    // that answered keeps an audit trail of the queries, with a purpose, without values.
    let secretariat = fed.join(OTHER).join("secretariat.token");
    let env = [("BASHU_TOKEN_FILE", secretariat.as_path())];
    let denied = bashu_env(&["import", "--config", &cfg(OTHER), s(&good_file)], &env);
    assert_eq!(denied.code(), Some(1), "{}", denied.describe());
    assert!(
        denied.stderr.contains("may not call"),
        "{}",
        denied.describe()
    );
    let c = cfg(OTHER);
    let asked = bashu_env(
        &[
            "query",
            "cert",
            "--config",
            &c,
            "--cert-no",
            cert_no,
            "--name",
            name,
            "--purpose",
            "核查 case 17",
            "--json",
        ],
        &env,
    )
    .expect_code(0);
    assert_eq!(check_masked(&asked), hash);
    let trail = bashu(&[
        "audit",
        "--config",
        &c,
        "--since",
        "2026-01-01T00:00:00Z",
        "--json",
    ])
    .expect_code(0);
    let records = trail.json();
    let records = records.as_array().expect("audit records");
    let sec: Vec<_> = records
        .iter()
        .filter(|r| r["caller"] == "secretariat")
        .collect();
    assert_eq!(sec.len(), 1, "{}", trail.describe());
    assert_eq!(sec[0]["purpose"], "核查 case 17");
    assert_eq!(sec[0]["outcome"], "OK");
    assert!(
        records.iter().filter(|r| r["caller"] == "operator").count() >= 3,
        "the operator's queries are in the trail too: {}",
        trail.describe()
    );
    for value in [cert_no, name, id_no] {
        assert!(!trail.stdout.contains(value), "{}", trail.describe());
    }
    // The operator on the node's machine finds who asked for a certificate number.
    let matched = bashu(&["audit", "--config", &c, "--match", cert_no, "--json"]).expect_code(0);
    assert!(
        matched.json().as_array().expect("records").len() >= 4,
        "{}",
        matched.describe()
    );

    // 7. SIGTERM stops every node cleanly; the data survives a restart.
    for node in &mut nodes {
        let status = node.terminate();
        assert_eq!(
            status.code(),
            Some(0),
            "node {}: {status}\n{}",
            node.county,
            node.logs()
        );
    }
    let other_cfg = nodes[1].config.clone();
    let other_addr = nodes[1].addr;
    drop(nodes);
    let mut again = NodeProc::start(OTHER, &other_cfg, other_addr, &logs, 2);
    let out = query(OTHER, &["--cert-no", cert_no, "--name", name, "--json"]).expect_code(0);
    assert_eq!(check_masked(&out), hash, "after restart");
    let status = again.terminate();
    assert_eq!(
        status.code(),
        Some(0),
        "restarted node: {status}\n{}",
        again.logs()
    );
}
