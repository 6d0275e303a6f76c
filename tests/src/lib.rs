//! The cluster harness: real nodes on loopback (port 0), each with its own temporary
//! sled directory and generated keys, and helpers to import, sync and wait for
//! conditions. No fixed sleeps: tests wait for what they need.
#![allow(clippy::unwrap_used)]

pub mod faults;
pub mod rogue;
pub mod web;

use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;

use bashu_core::CountyCode;
use bashu_core::import::ImportKind;
use bashu_core::import::write_certificates_csv;
use bashu_core::person::PseudonymKey;
use bashu_core::record::CertificateInput;
use bashu_core::synth;
use bashu_node::bootstrap::{
    Founder, InitOptions, InitReport, SecurityOptions, init_alliance_with,
};
use bashu_node::client::NodeClient;
use bashu_node::import::{ImportOptions, ImportSummary, import_file, import_file_with};
use bashu_node::{Node, NodeConfig, PeerConfig, PeerOutcome};

/// 荣昌区, 泸县, 隆昌市, 永川区, 大足区.
pub const COUNTIES: [(&str, &str); 5] = [
    ("500153", "荣昌区"),
    ("510521", "泸县"),
    ("511083", "隆昌市"),
    ("500118", "永川区"),
    ("500111", "大足区"),
];

/// Who pulls from whom.
#[derive(Debug, Clone)]
pub enum Topology {
    /// Every node pulls from every other.
    FullMesh,
    /// `(i, j)`: node i pulls from node j.
    Edges(Vec<(usize, usize)>),
}

pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub report: InitReport,
    pub configs: Vec<NodeConfig>,
    pub nodes: Vec<Option<Node>>,
}

pub fn county(code: &str) -> CountyCode {
    CountyCode::parse(code).unwrap()
}

impl Cluster {
    /// Founds an alliance of the first `n` of [`COUNTIES`] and starts one node each, with
    /// TLS (pinned certificates) and tokens as `bashu alliance init` writes them.
    pub async fn start(n: usize, topology: Topology) -> Cluster {
        Cluster::start_with(n, topology, &SecurityOptions::default(), |_| {}).await
    }

    /// [`Cluster::start`] with the security chosen, and `tweak` applied to every node's
    /// configuration before it starts.
    pub async fn start_with(
        n: usize,
        topology: Topology,
        security: &SecurityOptions,
        tweak: impl Fn(&mut NodeConfig),
    ) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let mut listeners = Vec::new();
        let mut founders = Vec::new();
        for (code, name) in COUNTIES.iter().take(n) {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            founders.push(Founder {
                county: county(code),
                name: (*name).to_owned(),
                port: Some(l.local_addr().unwrap().port()),
            });
            listeners.push(l);
        }
        let report = init_alliance_with(
            dir.path(),
            &founders,
            &InitOptions {
                alliance_id: "bashu-test".into(),
                alliance_name: "test alliance".into(),
                host: "127.0.0.1".into(),
                base_port: 0,
                threshold: 0,
                founded_on: "2026-11-30".into(),
                sync_interval_secs: 0,
                http_base_port: Some(0),
            },
            security,
        )
        .unwrap();
        let mut configs: Vec<NodeConfig> = report
            .counties
            .iter()
            .map(|c| NodeConfig::load(&c.config).unwrap())
            .collect();
        if let Topology::Edges(edges) = &topology {
            let all: Vec<PeerConfig> = report
                .counties
                .iter()
                .map(|c| PeerConfig {
                    county: c.county.to_string(),
                    endpoint: c.endpoint.clone(),
                })
                .collect();
            for (i, cfg) in configs.iter_mut().enumerate() {
                cfg.peers = edges
                    .iter()
                    .filter(|(a, _)| *a == i)
                    .map(|(_, b)| all[*b].clone())
                    .collect();
            }
        }
        for cfg in &mut configs {
            cfg.store.cache_mib = 16;
            tweak(cfg);
        }
        let mut nodes = Vec::new();
        for (cfg, l) in configs.iter().zip(listeners) {
            nodes.push(Some(Node::start(cfg.clone(), Some(l)).await.unwrap()));
        }
        Cluster {
            dir,
            report,
            configs,
            nodes,
        }
    }

    pub fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("node is running")
    }

    pub fn county(&self, i: usize) -> CountyCode {
        self.report.counties[i].county.clone()
    }

    /// Node i's operator (TLS pinned to the node's certificate, the operator token).
    pub async fn client(&self, i: usize) -> NodeClient {
        self.node(i).operator_client().await.unwrap()
    }

    /// A client of node i holding the token in node i's `<role>.token` (`operator`,
    /// `secretariat`, `writer`), or any other token file.
    pub async fn client_with_token(&self, i: usize, token_file: &std::path::Path) -> NodeClient {
        let mut cfg = self.configs[i].clone();
        cfg.listen = self.node(i).local_addr();
        NodeClient::for_config(&cfg, Some(token_file))
            .await
            .unwrap()
    }

    /// The token file `<role>.token` of county i.
    pub fn token_file(&self, i: usize, role: &str) -> PathBuf {
        self.report.counties[i].dir.join(format!("{role}.token"))
    }

    /// SHA-256 (hex) of county i's TLS certificate.
    pub fn tls_pin(&self, i: usize) -> String {
        let tls = self.configs[i].tls.as_ref().expect("a TLS node");
        hex::encode(bashu_node::tls::cert_file_pin(&tls.cert).unwrap())
    }

    /// `n` generated certificates of node i's county.
    pub fn certificates(&self, i: usize, n: usize, seed: u64) -> Vec<CertificateInput> {
        let c = &self.report.counties[i];
        synth::certificates(&c.county, &c.name, n, seed)
    }

    /// Writes a CSV into the cluster directory and returns its path.
    pub fn write_csv(&self, name: &str, certs: &[CertificateInput]) -> PathBuf {
        let path = self.dir.path().join(name);
        let f = std::fs::File::create(&path).unwrap();
        write_certificates_csv(std::io::BufWriter::new(f), certs).unwrap();
        path
    }

    /// Imports a file into node i through its County service.
    pub async fn import(&self, i: usize, path: &std::path::Path) -> ImportSummary {
        let mut client = self.client(i).await;
        import_file(&mut client, path, false, |_| {}).await.unwrap()
    }

    /// Writes a text file (any import kind, CSV or JSON Lines) into the cluster directory.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Imports a file of any kind into node i, its kind named or (`None`) told from it.
    pub async fn import_as(
        &self,
        i: usize,
        path: &std::path::Path,
        kind: Option<ImportKind>,
    ) -> ImportSummary {
        let mut client = self.client(i).await;
        let options = ImportOptions {
            kind,
            lenient: false,
        };
        import_file_with(&mut client, path, &options, |_| {})
            .await
            .unwrap()
    }

    /// The alliance pseudonym key (the same at every node), to compute expected person keys.
    pub fn pseudonym(&self) -> PseudonymKey {
        let text = std::fs::read_to_string(&self.configs[0].pseudonym_key).unwrap();
        PseudonymKey::from_file_string(&text).unwrap()
    }

    /// The HTTP side of node i (every harness node has one, on a free port).
    pub fn http(&self, i: usize) -> std::net::SocketAddr {
        self.node(i).http_addr().expect("harness nodes serve HTTP")
    }

    /// The secretariat's bearer token at node i (the console admits Query clients).
    pub fn console_token(&self, i: usize) -> String {
        let client = self.configs[i]
            .clients
            .iter()
            .find(|c| c.name == "secretariat")
            .expect("alliance init writes a secretariat client");
        let path = client.token_file.as_ref().expect("a token file");
        bashu_node::auth::read_token(path).unwrap()
    }

    /// Node i pulls from its peers once; panics if any peer failed.
    pub async fn sync(&self, i: usize) -> Vec<PeerOutcome> {
        let out = self.node(i).sync_now().await;
        for o in &out {
            assert!(
                o.ok,
                "sync {} <- {} failed: {:?}",
                self.county(i),
                o.peer,
                o.errors
            );
        }
        out
    }

    /// Every running node pulls once, in index order.
    pub async fn sync_round(&self) {
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_some() {
                self.sync(i).await;
            }
        }
    }

    pub async fn stop(&mut self, i: usize) {
        if let Some(n) = self.nodes[i].take() {
            n.shutdown().await;
        }
    }

    /// The peer entry other nodes use to reach node i.
    pub fn peer_config(&self, i: usize) -> PeerConfig {
        PeerConfig {
            county: self.report.counties[i].county.to_string(),
            endpoint: self.report.counties[i].endpoint.clone(),
        }
    }

    /// Node i's signing key as configured.
    pub fn signing_key(&self, i: usize) -> bashu_core::keys::SigningKey {
        let text = std::fs::read_to_string(&self.configs[i].signing_key).unwrap();
        bashu_core::keys::SigningKey::from_file_string(&text).unwrap()
    }

    /// Imports a file into node i, returning the error instead of panicking.
    pub async fn try_import(
        &self,
        i: usize,
        path: &std::path::Path,
    ) -> Result<ImportSummary, bashu_node::import::ImportError> {
        let mut client = self.client(i).await;
        import_file(&mut client, path, false, |_| {}).await
    }

    /// Starts a node for a county that is not in the genesis (it has its own key and the
    /// alliance files, and peers with every running node). Returns its index.
    pub async fn add_joiner(&mut self, code: &str, name: &str) -> usize {
        let cdir = self.dir.path().join(code);
        std::fs::create_dir_all(&cdir).unwrap();
        let key = bashu_node::bootstrap::generate_key(&cdir.join("signing.key")).unwrap();
        std::fs::copy(&self.configs[0].pseudonym_key, cdir.join("pseudonym.key")).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        bashu_node::bootstrap::generate_tls_identity(
            &cdir,
            code,
            bashu_node::tls::Validity::days_from(now, 30),
        )
        .unwrap();
        bashu_node::bootstrap::generate_token(&cdir.join("operator.token")).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut cfg = self.configs[0].clone();
        cfg.county = code.to_owned();
        cfg.signing_key = cdir.join("signing.key");
        cfg.pseudonym_key = cdir.join("pseudonym.key");
        cfg.data_dir = cdir.join("data");
        cfg.listen = addr;
        cfg.peers = (0..self.nodes.len()).map(|i| self.peer_config(i)).collect();
        cfg.tls = Some(bashu_node::tls::TlsConfig {
            cert: cdir.join("tls.crt"),
            key: cdir.join("tls.key"),
        });
        cfg.clients = vec![bashu_node::auth::ClientEntry {
            name: "operator".into(),
            role: bashu_node::auth::ClientRole::Operator,
            county: None,
            token_file: Some(cdir.join("operator.token")),
            cert_sha256: None,
        }];
        // A new county has no earlier copy of its log to learn back; and until its
        // admission (which pins its certificate) no member answers it.
        cfg.sync.confirm_own_log_on_start = false;
        self.report
            .counties
            .push(bashu_node::bootstrap::CountyFiles {
                county: county(code),
                name: name.to_owned(),
                dir: cdir.clone(),
                config: cdir.join("node.toml"),
                signing_key: cdir.join("signing.key"),
                key_id: key.key_id().to_string(),
                endpoint: format!("https://{addr}"),
            });
        self.nodes.push(Some(
            Node::start(cfg.clone(), Some(listener)).await.unwrap(),
        ));
        self.configs.push(cfg);
        self.nodes.len() - 1
    }

    /// Restarts node i with `peer` added to its peers.
    pub async fn add_peer(&mut self, i: usize, peer: PeerConfig) {
        self.stop(i).await;
        self.configs[i].peers.push(peer);
        self.restart(i).await;
    }

    /// Starts node i again on the same directory and port.
    pub async fn restart(&mut self, i: usize) {
        let cfg = self.configs[i].clone();
        let port = self.configs[i].listen.port();
        let listener = wait_for_bind(port).await;
        self.nodes[i] = Some(Node::start(cfg, Some(listener)).await.unwrap());
    }
}

async fn wait_for_bind(port: u16) -> TcpListener {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => return l,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::task::yield_now().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("cannot rebind port {port}: {e}"),
        }
    }
}
