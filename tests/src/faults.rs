//! Faults between nodes: a TCP proxy that sits between a node and a peer it pulls from, and
//! passes, drops, black-holes, delays or cuts the traffic on command.
//!
//! The proxy only sees bytes, so TLS, the pinned certificates and gRPC pass through it
//! untouched: the nodes under test run exactly as deployed, and only the network between
//! them misbehaves. [`Cluster::start_proxied`] starts a cluster in which every pull (node
//! `i` from node `j`) goes through its own proxy, [`Cluster::route_through_proxies`] puts a
//! running node's pulls behind proxies, and [`ProxyNet`] sets faults per link or as a
//! partition.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use bashu_node::NodeConfig;
use bashu_node::bootstrap::SecurityOptions;

use crate::{COUNTIES, Cluster, Topology};

/// What a proxy does to the traffic passing through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bytes pass unchanged.
    Pass,
    /// A partition the puller sees at once: new connections are closed as soon as they are
    /// accepted, open ones are cut.
    Drop,
    /// A partition the puller sees only through its timeouts: connections are accepted,
    /// and every byte in either direction is discarded.
    Blackhole,
    /// Every read is passed on after this delay (in both directions).
    Delay(Duration),
    /// Each connection passes at most this many bytes from the peer to the puller, then is
    /// cut: an interrupted stream, somewhere inside a chunk.
    CutAfter(u64),
}

/// What a proxy has done so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted and forwarded.
    pub connections: u64,
    /// Connections closed on arrival ([`Fault::Drop`]).
    pub refused: u64,
    /// Open connections cut ([`Fault::Drop`] set while open, or [`Fault::CutAfter`]).
    pub cut: u64,
    /// Bytes passed from the puller to the peer, and back.
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Bytes discarded by [`Fault::Blackhole`].
    pub discarded: u64,
    /// Reads held back by [`Fault::Delay`].
    pub delayed: u64,
}

impl std::ops::AddAssign for ProxyStats {
    fn add_assign(&mut self, o: ProxyStats) {
        self.connections += o.connections;
        self.refused += o.refused;
        self.cut += o.cut;
        self.bytes_up += o.bytes_up;
        self.bytes_down += o.bytes_down;
        self.discarded += o.discarded;
        self.delayed += o.delayed;
    }
}

struct Shared {
    fault: watch::Sender<Fault>,
    stats: Mutex<ProxyStats>,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut ProxyStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// A fault-injecting TCP proxy on 127.0.0.1 towards one target address. Dropping it stops
/// the proxy and cuts every connection through it.
pub struct FaultProxy {
    addr: SocketAddr,
    target: SocketAddr,
    shared: Arc<Shared>,
    /// Dropped with the proxy: every task watching it ends.
    _stop: watch::Sender<()>,
    accept: JoinHandle<()>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("target", &self.target)
            .field("fault", &self.fault())
            .finish()
    }
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 towards `target`, passing traffic.
    pub async fn start(target: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        FaultProxy::serve(listener, target)
    }

    /// [`FaultProxy::start`] from synchronous code running inside a Tokio runtime (a
    /// configuration tweak, say).
    pub fn start_in_runtime(target: SocketAddr) -> FaultProxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        FaultProxy::serve(TcpListener::from_std(std_listener).unwrap(), target)
    }

    fn serve(listener: TcpListener, target: SocketAddr) -> FaultProxy {
        let addr = listener.local_addr().unwrap();
        let (fault, _) = watch::channel(Fault::Pass);
        let shared = Arc::new(Shared {
            fault,
            stats: Mutex::new(ProxyStats::default()),
        });
        let (stop, stop_rx) = watch::channel(());
        let accept = tokio::spawn(accept_loop(listener, target, shared.clone(), stop_rx));
        FaultProxy {
            addr,
            target,
            shared,
            _stop: stop,
            accept,
        }
    }

    /// Where the proxy listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where it forwards to.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Changes what the proxy does; open connections follow at their next read (and are
    /// cut at once by [`Fault::Drop`]).
    pub fn set(&self, fault: Fault) {
        self.shared.fault.send_replace(fault);
    }

    pub fn fault(&self) -> Fault {
        *self.shared.fault.borrow()
    }

    pub fn stats(&self) -> ProxyStats {
        *self.shared.stats.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Receiver<()>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let (shared, mut stop) = (shared.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = connection(client, target, shared) => {}
                _ = stop.changed() => {}
            }
        });
    }
}

async fn connection(client: TcpStream, target: SocketAddr, shared: Arc<Shared>) {
    let fault_rx = shared.fault.subscribe();
    if *fault_rx.borrow() == Fault::Drop {
        shared.count(|s| s.refused += 1);
        return;
    }
    let Ok(server) = TcpStream::connect(target).await else {
        // The peer itself is down: the puller sees the connection close.
        return;
    };
    shared.count(|s| s.connections += 1);
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_r, client_w) = client.into_split();
    let (server_r, server_w) = server.into_split();
    let up = pump(client_r, server_w, Direction::Up, &shared, fault_rx.clone());
    let down = pump(server_r, client_w, Direction::Down, &shared, fault_rx);
    // When either direction ends, both sockets are dropped: the connection is gone.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Puller → peer.
    Up,
    /// Peer → puller.
    Down,
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    dir: Direction,
    shared: &Shared,
    mut fault_rx: watch::Receiver<Fault>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut passed = 0u64;
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            changed = fault_rx.changed() => {
                if changed.is_err() {
                    return;
                }
                if *fault_rx.borrow_and_update() == Fault::Drop {
                    if dir == Direction::Down {
                        shared.count(|s| s.cut += 1);
                    }
                    return;
                }
                continue;
            }
        };
        let fault = *fault_rx.borrow_and_update();
        let mut allowed = n;
        match fault {
            Fault::Pass => {}
            Fault::Drop => {
                if dir == Direction::Down {
                    shared.count(|s| s.cut += 1);
                }
                return;
            }
            Fault::Blackhole => {
                shared.count(|s| s.discarded += n as u64);
                continue;
            }
            Fault::Delay(d) => {
                shared.count(|s| s.delayed += 1);
                tokio::time::sleep(d).await;
            }
            Fault::CutAfter(limit) if dir == Direction::Down => {
                allowed = usize::try_from(limit.saturating_sub(passed))
                    .unwrap_or(usize::MAX)
                    .min(n);
            }
            Fault::CutAfter(_) => {}
        }
        if allowed > 0 && to.write_all(&buf[..allowed]).await.is_err() {
            return;
        }
        passed += allowed as u64;
        shared.count(|s| match dir {
            Direction::Up => s.bytes_up += allowed as u64,
            Direction::Down => s.bytes_down += allowed as u64,
        });
        if allowed < n {
            shared.count(|s| s.cut += 1);
            return;
        }
    }
}

/// The proxies of a cluster: one per pull link, `(i, j)` carrying node `i`'s pulls from
/// node `j`.
#[derive(Debug, Default)]
pub struct ProxyNet {
    links: BTreeMap<(usize, usize), FaultProxy>,
}

impl ProxyNet {
    /// The proxy of node `from`'s pulls from node `to`.
    pub fn link(&self, from: usize, to: usize) -> &FaultProxy {
        self.links
            .get(&(from, to))
            .unwrap_or_else(|| panic!("no proxied link {from} -> {to}"))
    }

    /// Every link, `(puller, peer)`.
    pub fn links(&self) -> impl Iterator<Item = ((usize, usize), &FaultProxy)> {
        self.links.iter().map(|(k, p)| (*k, p))
    }

    pub fn set(&self, from: usize, to: usize, fault: Fault) {
        self.link(from, to).set(fault);
    }

    pub fn set_all(&self, fault: Fault) {
        for p in self.links.values() {
            p.set(fault);
        }
    }

    /// Node `i` is in group `group_of[i]`: links between groups get `fault` (a
    /// [`Fault::Drop`] or [`Fault::Blackhole`] partition), links within a group pass.
    pub fn partition(&self, group_of: &[usize], fault: Fault) {
        for (&(i, j), p) in &self.links {
            p.set(if group_of[i] == group_of[j] {
                Fault::Pass
            } else {
                fault
            });
        }
    }

    /// Every link passes again.
    pub fn heal(&self) {
        self.set_all(Fault::Pass);
    }

    /// Everything every proxy has done.
    pub fn stats(&self) -> ProxyStats {
        let mut total = ProxyStats::default();
        for p in self.links.values() {
            total += p.stats();
        }
        total
    }

    fn insert(&mut self, from: usize, to: usize, proxy: FaultProxy) {
        self.links.insert((from, to), proxy);
    }
}

/// The socket address of an endpoint `scheme://host:port`, and its scheme.
fn split_endpoint(endpoint: &str) -> (&str, SocketAddr) {
    let (scheme, rest) = endpoint
        .split_once("://")
        .unwrap_or_else(|| panic!("endpoint without a scheme: {endpoint}"));
    let addr = rest
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|e| panic!("endpoint {endpoint} is not host:port: {e}"));
    (scheme, addr)
}

/// A proxy towards `endpoint`, and the endpoint that reaches it.
fn proxy_for(endpoint: &str) -> (FaultProxy, String) {
    let (scheme, target) = split_endpoint(endpoint);
    let proxy = FaultProxy::start_in_runtime(target);
    let via = format!("{scheme}://{}", proxy.addr());
    (proxy, via)
}

fn index_of(county: &str) -> usize {
    COUNTIES
        .iter()
        .position(|(c, _)| *c == county)
        .unwrap_or_else(|| panic!("{county} is not one of the harness counties"))
}

impl Cluster {
    /// [`Cluster::start_with`] (default security), with every pull — node `i` from node `j`
    /// — through its own [`FaultProxy`]. Clients (imports, queries) reach the nodes
    /// directly; only node-to-node traffic crosses the proxies.
    pub async fn start_proxied(
        n: usize,
        topology: Topology,
        tweak: impl Fn(&mut NodeConfig),
    ) -> (Cluster, ProxyNet) {
        let net = Mutex::new(ProxyNet::default());
        let cluster = Cluster::start_with(n, topology, &SecurityOptions::default(), |cfg| {
            let i = index_of(&cfg.county);
            for peer in &mut cfg.peers {
                let j = index_of(&peer.county);
                let (proxy, via) = proxy_for(&peer.endpoint);
                peer.endpoint = via;
                net.lock().unwrap().insert(i, j, proxy);
            }
            tweak(cfg);
        })
        .await;
        (cluster, net.into_inner().unwrap())
    }

    /// Puts node `i`'s pulls behind fresh proxies: stops the node, points each of its
    /// peers at a proxy towards that peer, and starts it again. Returns the proxies by
    /// peer index.
    pub async fn route_through_proxies(&mut self, i: usize) -> BTreeMap<usize, FaultProxy> {
        self.stop(i).await;
        let mut out = BTreeMap::new();
        let counties: Vec<String> = self
            .report
            .counties
            .iter()
            .map(|c| c.county.to_string())
            .collect();
        for peer in &mut self.configs[i].peers {
            let j = counties
                .iter()
                .position(|c| *c == peer.county)
                .unwrap_or_else(|| panic!("peer {} is not in the cluster", peer.county));
            let (proxy, via) = proxy_for(&peer.endpoint);
            peer.endpoint = via;
            out.insert(j, proxy);
        }
        self.restart(i).await;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server: what the proxy passes comes back.
    async fn echo() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    async fn roundtrip(addr: SocketAddr, payload: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(payload).await?;
        let mut got = vec![0u8; payload.len()];
        let mut read = 0;
        while read < got.len() {
            let n = s.read(&mut got[read..]).await?;
            if n == 0 {
                break;
            }
            read += n;
        }
        got.truncate(read);
        Ok(got)
    }

    #[tokio::test]
    async fn pass_drop_cut_delay_and_blackhole_do_what_they_say() {
        let proxy = FaultProxy::start(echo().await).await;
        let payload: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();

        assert_eq!(roundtrip(proxy.addr(), &payload).await.unwrap(), payload);

        proxy.set(Fault::CutAfter(1000));
        let got = roundtrip(proxy.addr(), &payload).await.unwrap_or_default();
        assert_eq!(got.len(), 1000, "cut after exactly 1000 bytes back");
        assert_eq!(got, payload[..1000]);

        proxy.set(Fault::Drop);
        let got = roundtrip(proxy.addr(), &payload).await.unwrap_or_default();
        assert!(got.is_empty(), "a dropped link passes nothing");

        proxy.set(Fault::Delay(Duration::from_millis(30)));
        let t = std::time::Instant::now();
        assert_eq!(roundtrip(proxy.addr(), b"ping").await.unwrap(), b"ping");
        assert!(
            t.elapsed() >= Duration::from_millis(60),
            "{:?}",
            t.elapsed()
        );

        proxy.set(Fault::Blackhole);
        let r = tokio::time::timeout(Duration::from_millis(300), roundtrip(proxy.addr(), b"x"));
        assert!(r.await.is_err(), "a black hole answers nothing");

        let s = proxy.stats();
        assert!(
            s.refused >= 1 && s.cut >= 1 && s.discarded >= 1 && s.delayed >= 2,
            "{s:?}"
        );
    }
}
