//! Creating what an alliance and its nodes start from: signing keys, the pseudonym key,
//! the genesis signed by every founder, and one `node.toml` per county.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bashu_core::CountyCode;
use bashu_core::entry::{Genesis, Member, SignedGenesis};
use bashu_core::keys::SigningKey;
use bashu_core::person::PseudonymKey;

/// Why bootstrapping failed.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} already exists; refusing to overwrite keys")]
    Exists { path: PathBuf },
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("{0}")]
    Invalid(String),
}

/// 32 bytes from the operating system's random source.
pub fn random_bytes() -> Result<[u8; 32], BootstrapError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| BootstrapError::Random(e.to_string()))?;
    Ok(b)
}

/// Writes a secret file readable only by its owner (mode 0600), never overwriting one.
pub fn write_secret(path: &Path, contents: &str) -> Result<(), BootstrapError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            BootstrapError::Exists {
                path: path.to_owned(),
            }
        } else {
            BootstrapError::Write {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    f.write_all(contents.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|source| BootstrapError::Write {
            path: path.to_owned(),
            source,
        })
}

fn write_file(path: &Path, contents: &[u8]) -> Result<(), BootstrapError> {
    std::fs::write(path, contents).map_err(|source| BootstrapError::Write {
        path: path.to_owned(),
        source,
    })
}

/// A new random signing key, written to `path` with mode 0600.
pub fn generate_key(path: &Path) -> Result<SigningKey, BootstrapError> {
    let key = SigningKey::from_bytes(random_bytes()?);
    write_secret(path, &key.to_file_string())?;
    Ok(key)
}

/// One founding county.
#[derive(Debug, Clone)]
pub struct Founder {
    pub county: CountyCode,
    pub name: String,
    /// Port of this county's node; `None` takes the next one from `base_port`.
    pub port: Option<u16>,
}

/// How to lay out the alliance.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub alliance_id: String,
    pub alliance_name: String,
    /// Host the nodes listen on and are reached at.
    pub host: String,
    /// Port of the first county; the others follow (base, base+1, …).
    pub base_port: u16,
    /// Approvals needed for decisions; 0 means a majority of the founders.
    pub threshold: u32,
    pub founded_on: String,
    /// Sync schedule written into every node.toml (seconds; 0 = on demand only).
    pub sync_interval_secs: u64,
    /// The HTTP side of every node (`[http]`: health, metrics, the console):
    /// `None` writes none; `Some(p)`: the i-th county listens on port `p + i` of `host`;
    /// `Some(0)`: every node on a free port (tests).
    pub http_base_port: Option<u16>,
}

/// What `init_alliance` wrote.
#[derive(Debug, Clone)]
pub struct InitReport {
    pub genesis: PathBuf,
    pub counties: Vec<CountyFiles>,
}

#[derive(Debug, Clone)]
pub struct CountyFiles {
    pub county: CountyCode,
    pub name: String,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub signing_key: PathBuf,
    pub key_id: String,
    pub endpoint: String,
}

fn province(c: &CountyCode) -> String {
    c.as_str().get(..2).unwrap_or_default().to_owned()
}

/// Security of a new alliance: TLS identities (the default) or plaintext development.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityOptions {
    /// Plaintext gRPC, peers unauthenticated: writes `insecure_dev = true` into every
    /// `node.toml` and no TLS identities. Development on loopback only.
    pub insecure_dev: bool,
    /// Validity of the generated TLS certificates, in days from now.
    pub tls_valid_days: u64,
    /// Other validities for some counties (to stagger renewals; tests use it to found
    /// an alliance with an expired certificate).
    pub tls_validity_overrides: Vec<(CountyCode, crate::tls::Validity)>,
}

impl Default for SecurityOptions {
    fn default() -> Self {
        SecurityOptions {
            insecure_dev: false,
            tls_valid_days: 3650,
            tls_validity_overrides: Vec::new(),
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A county's TLS identity (the same for its node's server and client side): writes
/// `dir/tls.crt` and `dir/tls.key` (mode 0600), never overwriting, and returns the pin.
pub fn generate_tls_identity(
    dir: &Path,
    subject: &str,
    validity: crate::tls::Validity,
) -> Result<crate::tls::GeneratedIdentity, BootstrapError> {
    let id = crate::tls::generate_identity(subject, validity)
        .map_err(|e| BootstrapError::Invalid(e.to_string()))?;
    let cert = dir.join("tls.crt");
    if cert.exists() {
        return Err(BootstrapError::Exists { path: cert });
    }
    write_secret(&dir.join("tls.key"), &id.key_pem)?;
    write_file(&cert, id.cert_pem.as_bytes())?;
    Ok(id)
}

/// The `[tls]` and `[[clients]]` sections of a county's `node.toml`.
fn write_security_sections(toml: &mut String, county: &CountyCode, insecure_dev: bool) {
    if !insecure_dev {
        let _ = writeln!(
            toml,
            "\n# This county's TLS identity; its SHA-256 is pinned in the genesis.\n[tls]\ncert = \"tls.crt\"\nkey = \"tls.key\""
        );
    }
    let _ = writeln!(
        toml,
        "\n# Clients and their roles (bearer tokens in files, mode 0600). `bashu` commands run\n# on this machine use the operator token.\n[[clients]]\nname = \"operator\"\nrole = \"operator\"\ntoken_file = \"operator.token\"\n\n[[clients]]\nname = \"secretariat\"\nrole = \"secretariat\"\ntoken_file = \"secretariat.token\"\n\n[[clients]]\nname = \"hr-{county}\"\nrole = \"county-writer\"\ncounty = \"{county}\"\ntoken_file = \"writer.token\""
    );
}

/// A new bearer token, written to `path` (mode 0600).
pub fn generate_token(path: &Path) -> Result<String, BootstrapError> {
    let token = format!(
        "{}{}",
        crate::auth::TOKEN_PREFIX,
        hex::encode(random_bytes()?)
    );
    write_secret(path, &format!("{token}\n"))?;
    Ok(token)
}

/// Creates `dir/genesis.bin`, `dir/pseudonym.key` and, per county, `dir/<code>/` with
/// `signing.key`, its TLS identity (`tls.crt`, `tls.key`, pinned in the genesis), the
/// client tokens (`operator.token`, `secretariat.token`, `writer.token`) and `node.toml`;
/// every node peers with every other.
pub fn init_alliance(
    dir: &Path,
    founders: &[Founder],
    opts: &InitOptions,
) -> Result<InitReport, BootstrapError> {
    init_alliance_with(dir, founders, opts, &SecurityOptions::default())
}

/// [`init_alliance`] with the security chosen.
pub fn init_alliance_with(
    dir: &Path,
    founders: &[Founder],
    opts: &InitOptions,
    security: &SecurityOptions,
) -> Result<InitReport, BootstrapError> {
    if founders.is_empty() {
        return Err(BootstrapError::Invalid(
            "at least one county is needed".into(),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for f in founders {
        if !seen.insert(f.county.clone()) {
            return Err(BootstrapError::Invalid(format!(
                "county {} given twice",
                f.county
            )));
        }
    }
    let mkdir = |p: &Path| {
        std::fs::create_dir_all(p).map_err(|source| BootstrapError::Write {
            path: p.to_owned(),
            source,
        })
    };
    mkdir(dir)?;
    let pseudonym = PseudonymKey::from_bytes(random_bytes()?);
    let mut counties = Vec::new();
    let mut keys = Vec::new();
    let mut pins = Vec::new();
    let scheme = if security.insecure_dev {
        "http"
    } else {
        "https"
    };
    for (i, f) in founders.iter().enumerate() {
        let cdir = dir.join(f.county.as_str());
        mkdir(&cdir)?;
        let key_path = cdir.join("signing.key");
        let key = generate_key(&key_path)?;
        write_secret(&cdir.join("pseudonym.key"), &pseudonym.to_file_string())?;
        pins.push(if security.insecure_dev {
            Vec::new()
        } else {
            let validity = security
                .tls_validity_overrides
                .iter()
                .find(|(c, _)| *c == f.county)
                .map_or_else(
                    || crate::tls::Validity::days_from(unix_now(), security.tls_valid_days),
                    |(_, v)| *v,
                );
            generate_tls_identity(&cdir, f.county.as_str(), validity)?
                .pin
                .to_vec()
        });
        for role in ["operator", "secretariat", "writer"] {
            generate_token(&cdir.join(format!("{role}.token")))?;
        }
        let port = match f.port {
            Some(p) => p,
            None => {
                let p = u32::from(opts.base_port) + i as u32;
                u16::try_from(p)
                    .map_err(|_| BootstrapError::Invalid(format!("port {p} out of range")))?
            }
        };
        counties.push(CountyFiles {
            county: f.county.clone(),
            name: f.name.clone(),
            config: cdir.join("node.toml"),
            dir: cdir,
            signing_key: key_path,
            key_id: key.key_id().to_string(),
            endpoint: format!("{scheme}://{}:{port}", opts.host),
        });
        keys.push(key);
    }
    let threshold = if opts.threshold == 0 {
        (founders.len() as u32) / 2 + 1
    } else {
        opts.threshold
    };
    let genesis = Genesis {
        alliance_id: opts.alliance_id.clone(),
        name: opts.alliance_name.clone(),
        members: counties
            .iter()
            .zip(&keys)
            .zip(&pins)
            .map(|((c, k), pin)| Member {
                county: c.county.clone(),
                name: c.name.clone(),
                province: province(&c.county),
                signing_key: k.public_key(),
                endpoint: c.endpoint.clone(),
                tls_cert_sha256: pin.clone(),
            })
            .collect(),
        threshold,
        founded_on: opts.founded_on.clone(),
        rule_parameters_json: bashu_rules::RuleParams::alliance_default().to_json(),
    };
    let signers: Vec<(&CountyCode, &SigningKey)> = counties
        .iter()
        .map(|c| &c.county)
        .zip(keys.iter())
        .collect();
    let signed = SignedGenesis::sign(&genesis, &signers);
    let genesis_path = dir.join("genesis.bin");
    write_file(&genesis_path, &signed.encode())?;

    for c in &counties {
        let listen = c
            .endpoint
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        let mut toml = String::new();
        let _ = writeln!(toml, "# Bashu Exchange node of {} {}", c.county, c.name);
        let _ = writeln!(toml, "county = \"{}\"", c.county);
        let _ = writeln!(toml, "genesis = \"../genesis.bin\"");
        let _ = writeln!(toml, "signing_key = \"signing.key\"");
        let _ = writeln!(toml, "pseudonym_key = \"pseudonym.key\"");
        let _ = writeln!(toml, "data_dir = \"data\"");
        let _ = writeln!(toml, "listen = \"{listen}\"");
        if security.insecure_dev {
            let _ = writeln!(
                toml,
                "# PLAINTEXT, peers unauthenticated: development on loopback only.\ninsecure_dev = true"
            );
        }
        let _ = writeln!(toml, "\n[store]\ncache_mib = 128");
        let _ = writeln!(
            toml,
            "\n[sync]\ninterval_secs = {}\nmax_chunk = 1024\npeer_timeout_secs = 30",
            opts.sync_interval_secs
        );
        let _ = writeln!(
            toml,
            "probe_secs = 300\n# Nightly sync at a local time (UTC+8) plus a random delay:\n# at = \"02:30\"\n# jitter_secs = 600"
        );
        if let Some(base) = opts.http_base_port {
            let i = counties
                .iter()
                .position(|x| x.county == c.county)
                .unwrap_or(0);
            let port = if base == 0 {
                0
            } else {
                u16::try_from(u32::from(base) + i as u32).map_err(|_| {
                    BootstrapError::Invalid(format!("http port {base}+{i} out of range"))
                })?
            };
            // The console admits the Query clients (the secretariat's token below).
            let _ = writeln!(
                toml,
                "\n[http]\nlisten = \"{}:{port}\"\nhigh_skill_target = 5000",
                opts.host
            );
        }
        for p in counties.iter().filter(|p| p.county != c.county) {
            let _ = writeln!(
                toml,
                "\n[[peers]]\ncounty = \"{}\"\nendpoint = \"{}\"",
                p.county, p.endpoint
            );
        }
        write_security_sections(&mut toml, &c.county, security.insecure_dev);
        write_file(&c.config, toml.as_bytes())?;
    }
    Ok(InitReport {
        genesis: genesis_path,
        counties,
    })
}
