//! A real HAProxy in front of the databases, checking the agent's load-balancer endpoints
//! (DESIGN.md §5): a `primary` listener routing to the server whose
//! `/health/<venture>/<server>/primary` answers 200, and a `replicas` listener using `/replica`.
//! Checks run every 500 ms (`fall 2 rise 1`, `on-marked-down shutdown-sessions`) against the
//! agent's HTTP port. `haproxy -f cfg -db` runs as a child process, killed on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One backend server: its name (the endpoint name, `%[srv_name]` in the check) and the port
/// of its database on 127.0.0.1 (direct, not through a fault proxy).
#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub port: u16,
}

impl Server {
    /// A server named `name` at 127.0.0.1:`port`.
    pub fn new(name: &str, port: u16) -> Server {
        Server {
            name: name.to_owned(),
            port,
        }
    }
}

/// A running HAProxy.
#[derive(Debug)]
pub struct HaProxy {
    child: tokio::process::Child,
    dir: PathBuf,
    primary_port: u16,
    replica_port: u16,
    servers: Vec<Server>,
}

/// The config for `venture`'s `servers`, checks against the agent at `agent`.
pub fn config(
    venture: &str,
    servers: &[Server],
    agent: SocketAddr,
    primary_port: u16,
    replica_port: u16,
    socket: &Path,
) -> String {
    let lines: String = servers
        .iter()
        .map(|s| format!("    server {} 127.0.0.1:{}\n", s.name, s.port))
        .collect();
    let check = |role: &str| {
        format!(
            "    option httpchk\n    http-check send meth GET uri-lf /health/{venture}/%[srv_name]/{role} ver HTTP/1.1 hdr Host backstop\n    http-check expect status 200\n    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions check addr {} port {}\n",
            agent.ip(),
            agent.port()
        )
    };
    format!(
        "global\n    maxconn 200\n    stats socket {socket} mode 600 level admin\n\n\
         defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30m\n    timeout server 30m\n    timeout check 2s\n\n\
         listen primary\n    bind 127.0.0.1:{primary_port}\n{}{lines}\n\
         listen replicas\n    bind 127.0.0.1:{replica_port}\n    balance roundrobin\n{}{lines}",
        check("primary"),
        check("replica"),
        socket = socket.display(),
    )
}

#[allow(dead_code)]
impl HaProxy {
    /// Writes the config under `dir` and starts HAProxy; panics with the install command when
    /// it is missing, or with its output when it does not come up.
    pub async fn start(
        dir: &Path,
        venture: &str,
        servers: &[Server],
        agent: SocketAddr,
    ) -> HaProxy {
        let primary_port = free_port();
        let replica_port = free_port();
        let dir = dir.join("haproxy");
        std::fs::create_dir_all(&dir).expect("haproxy dir");
        let cfg = dir.join("haproxy.cfg");
        let socket = dir.join("admin.sock");
        let text = config(venture, servers, agent, primary_port, replica_port, &socket);
        std::fs::write(&cfg, &text).expect("write haproxy.cfg");
        let log = std::fs::File::create(dir.join("haproxy.log")).expect("haproxy log");
        let child = tokio::process::Command::new("haproxy")
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("haproxy missing ({e}): apt-get install -y haproxy"));
        let mut haproxy = HaProxy {
            child,
            dir,
            primary_port,
            replica_port,
            servers: servers.to_vec(),
        };
        haproxy.wait_listening().await;
        haproxy
    }

    async fn wait_listening(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("haproxy exited ({status}):\n{}", self.log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.primary_port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "haproxy not listening within 10 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where writers connect (the `primary` listener).
    pub fn primary_port(&self) -> u16 {
        self.primary_port
    }

    /// Where readers connect (the `replicas` listener).
    pub fn replica_port(&self) -> u16 {
        self.replica_port
    }

    /// A trust-auth DSN through the `primary` listener.
    pub fn primary_dsn(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=disable connect_timeout=2",
            self.primary_port
        )
    }

    /// A trust-auth DSN through the `replicas` listener.
    pub fn replica_dsn(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=disable connect_timeout=2",
            self.replica_port
        )
    }

    /// HAProxy's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default()
    }

    /// `show servers state` from the admin socket (for assertions' messages).
    pub async fn servers_state(&self) -> String {
        let Ok(mut sock) = tokio::net::UnixStream::connect(self.dir.join("admin.sock")).await
        else {
            return "(admin socket not reachable)".into();
        };
        if sock.write_all(b"show servers state\n").await.is_err() {
            return "(admin socket write failed)".into();
        }
        let mut out = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), sock.read_to_string(&mut out)).await;
        out
    }

    /// The database port the `primary` listener routes a new connection to now (`None` when
    /// the connection or the query fails, e.g. no server is up).
    pub async fn routed_port(&self) -> Option<u16> {
        routed_port(&self.primary_dsn()).await
    }

    /// Waits until new connections to the `primary` listener reach the server `name` (several in a row); panics
    /// with the servers' state after `limit`.
    pub async fn wait_routes_to(&self, name: &str, limit: Duration) {
        let port = self
            .servers
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no server {name} in this haproxy"))
            .port;
        // HAProxy starts with every server up until its checks say otherwise, so one connection
        // reaching `name` proves little: wait for several in a row.
        const IN_A_ROW: u32 = 4;
        let start = Instant::now();
        let mut last = None;
        let mut streak = 0;
        while start.elapsed() < limit {
            last = self.routed_port().await;
            streak = if last == Some(port) { streak + 1 } else { 0 };
            if streak == IN_A_ROW {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "haproxy did not route to {name} (port {port}) within {limit:?}; last routed to {last:?}; servers:\n{}\nlog:\n{}",
            self.servers_state().await,
            self.log()
        );
    }

    /// Waits until the `primary` listener routes nowhere (every server marked down).
    pub async fn wait_routes_nowhere(&self, limit: Duration) {
        let start = Instant::now();
        loop {
            let now = self.routed_port().await;
            if now.is_none() {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "haproxy still routes to port {now:?} after {limit:?}; servers:\n{}",
                self.servers_state().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `sql` through the `primary` listener on a new connection.
    pub async fn execute(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        let (client, conn) =
            tokio_postgres::connect(&self.primary_dsn(), tokio_postgres::NoTls).await?;
        let task = tokio::spawn(conn);
        let result = client.batch_execute(sql).await;
        drop(client);
        let _ = task.await;
        result
    }
}

/// `inet_server_port()` over a new connection to `dsn`.
async fn routed_port(dsn: &str) -> Option<u16> {
    let connect = tokio_postgres::connect(dsn, tokio_postgres::NoTls);
    let (client, conn) = tokio::time::timeout(Duration::from_secs(3), connect)
        .await
        .ok()?
        .ok()?;
    let task = tokio::spawn(conn);
    let row = tokio::time::timeout(
        Duration::from_secs(3),
        client.query_one("SELECT inet_server_port()", &[]),
    )
    .await
    .ok()?
    .ok()?;
    drop(client);
    let _ = task.await;
    let port: i32 = row.get(0);
    u16::try_from(port).ok()
}

fn free_port() -> u16 {
    backstop::postgres::scratch::free_local_port().expect("free port")
}
