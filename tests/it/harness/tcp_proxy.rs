//! A TCP proxy on 127.0.0.1 for network faults between the agent and a database
//! (DESIGN.md §12): [`Fault::Pass`] forwards, [`Fault::Drop`] blackholes (connections stay open,
//! nothing moves in either direction, new connections are accepted and hang), [`Fault::Refuse`]
//! closes new connections at once (existing ones keep passing), and [`TcpProxy::reset_all`]
//! resets every open connection. Switch at run time; dropping the proxy closes everything.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways.
    Pass,
    /// A partition: accept, keep sockets open, forward nothing (data is held, as TCP would
    /// retransmit it, and delivered after the fault ends).
    Drop,
    /// Close new connections right after accepting them; open ones keep passing.
    Refuse,
}

/// A running proxy to one upstream address.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    fault: watch::Sender<Fault>,
    resets: watch::Sender<u64>,
    open: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

#[allow(dead_code)]
impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind TCP proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (fault, _) = watch::channel(Fault::Pass);
        let (resets, _) = watch::channel(0u64);
        let open = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn(accept_loop(
            listener,
            upstream,
            fault.clone(),
            resets.clone(),
            open.clone(),
        ));
        TcpProxy {
            addr,
            upstream,
            fault,
            resets,
            open,
            accept,
        }
    }

    /// A proxy in front of the local port `port` (a scratch cluster's).
    pub async fn to_port(port: u16) -> TcpProxy {
        TcpProxy::start(SocketAddr::from(([127, 0, 0, 1], port))).await
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Where the proxy forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// A trust-auth DSN for a scratch cluster behind this proxy.
    pub fn dsn(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=disable",
            self.port()
        )
    }

    /// Switches the fault; open connections follow at once.
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// The current fault.
    pub fn fault(&self) -> Fault {
        *self.fault.borrow()
    }

    /// Resets (RST) every open connection; new ones are handled by the current fault.
    pub fn reset_all(&self) {
        self.resets.send_modify(|n| *n += 1);
    }

    /// Connections open through the proxy now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Connection tasks end when they see the reset generation move.
        self.reset_all();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    fault: watch::Sender<Fault>,
    resets: watch::Sender<u64>,
    open: Arc<AtomicUsize>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let fault_rx = fault.subscribe();
        let reset_rx = resets.subscribe();
        let open = open.clone();
        tokio::spawn(async move {
            open.fetch_add(1, Ordering::SeqCst);
            connection(client, upstream, fault_rx, reset_rx).await;
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// One proxied connection until either side closes or a reset comes.
async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut fault: watch::Receiver<Fault>,
    mut reset: watch::Receiver<u64>,
) {
    reset.mark_unchanged();
    // New connections: refused, held while dropped, or connected.
    let admitted = async {
        loop {
            let now = *fault.borrow_and_update();
            match now {
                Fault::Refuse => return false,
                Fault::Pass => return true,
                Fault::Drop => {
                    if fault.changed().await.is_err() {
                        return false;
                    }
                }
            }
        }
    };
    let admitted = tokio::select! {
        ok = admitted => ok,
        _ = reset.changed() => false,
    };
    if !admitted {
        abort(&client);
        return;
    }
    let server = tokio::select! {
        s = TcpStream::connect(upstream) => s,
        _ = reset.changed() => { abort(&client); return; }
    };
    let Ok(server) = server else {
        abort(&client);
        return;
    };
    let (mut client, mut server) = (client, server);
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let reset_now = {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let up = pump(&mut client_read, &mut server_write, fault.clone());
        let down = pump(&mut server_read, &mut client_write, fault.clone());
        tokio::select! {
            _ = async { tokio::join!(up, down) } => false,
            _ = reset.changed() => true,
        }
    };
    if reset_now {
        abort(&client);
        abort(&server);
    }
}

/// Copies one direction, holding data while the fault is [`Fault::Drop`], then half-closes.
async fn pump<R, W>(from: &mut R, to: &mut W, mut fault: watch::Receiver<Fault>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if !wait_pass(&mut fault).await {
            break;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !wait_pass(&mut fault).await {
            break;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Waits while the fault is `Drop`; false when the proxy is gone.
async fn wait_pass(fault: &mut watch::Receiver<Fault>) -> bool {
    loop {
        if *fault.borrow_and_update() != Fault::Drop {
            return true;
        }
        if fault.changed().await.is_err() {
            return false;
        }
    }
}

/// Closes with RST rather than FIN.
fn abort(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}
