//! Connections: secrets never leak into errors, and `sslmode=require` really encrypts.

use std::time::Duration;

use backstop::error::ErrorKind;
use backstop::postgres::{connect, poll_once, ConnectOptions, PgError};
use backstop::secret::Secret;
use backstop::state::Role;

use crate::harness;

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A refused connection reports `connect` and never echoes the DSN or its password.
#[tokio::test]
async fn errors_never_contain_the_password() {
    let port = closed_port();
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    for dsn in [
        format!("postgres://backstop:s3cr3t-pw@127.0.0.1:{port}/db?sslmode=disable"),
        format!("host=127.0.0.1 port={port} user=backstop password=s3cr3t-pw sslmode=prefer"),
    ] {
        let err = connect(&Secret::new(dsn), &opts)
            .await
            .expect_err("closed port");
        let text = format!("{err} | {err:?}");
        assert!(!text.contains("s3cr3t-pw"), "password leaked: {text}");
        assert_eq!(err.kind(), ErrorKind::Connect, "{text}");
    }
    // The same through the collector: the error lands in the snapshot as a kind only.
    let state = harness::state("acme", &[("pg1", Role::Primary)]);
    let target = backstop::postgres::EndpointTarget {
        venture: "acme".into(),
        endpoint: "pg1".into(),
        dsn: Secret::new(format!("postgres://u:s3cr3t-pw@127.0.0.1:{port}/db")),
        poll_interval: Duration::from_secs(1),
        size_interval: Duration::from_secs(60),
        connect_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(2),
    };
    let err = poll_once(&target, &state).await.expect_err("down");
    assert!(!format!("{err:?}").contains("s3cr3t-pw"));
    let ep = harness::endpoint(&state, "acme", "pg1");
    assert_eq!(
        (ep.probe.up, ep.last_error),
        (Some(false), Some(ErrorKind::Connect))
    );
}

/// `sslmode=require` connects over TLS to a server with a self-signed certificate
/// (libpq semantics: encrypted, certificate not verified); a server without TLS is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_uses_tls() {
    let root = harness::root();
    let certs = root.path().join("certs");
    backstop::postgres::scratch::make_server_dir(&certs).expect("certs dir");
    let (cert, key) = (certs.join("server.crt"), certs.join("server.key"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (apt-get install -y openssl)");
    assert!(status.success(), "openssl req failed");
    for file in [&cert, &key] {
        if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .expect("lookup")
                .expect("postgres user");
            nix::unistd::chown(file, Some(user.uid), Some(user.gid)).expect("chown");
        }
    }
    let (cert_s, key_s) = (cert.display().to_string(), key.display().to_string());
    let pg = harness::started(
        root.path(),
        "tls",
        &[
            ("ssl", "on"),
            ("ssl_cert_file", &cert_s),
            ("ssl_key_file", &key_s),
        ],
    )
    .await;
    let dsn = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=require",
        pg.port()
    );
    let client = connect(&Secret::new(dsn), &ConnectOptions::default())
        .await
        .expect("TLS connect");
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl");
    assert!(row.get::<_, bool>(0), "connection should be encrypted");
    let timeout: String = client
        .query_one("SHOW statement_timeout", &[])
        .await
        .expect("show")
        .get(0);
    assert_eq!(timeout, "10s");
    let app: String = client
        .query_one("SHOW application_name", &[])
        .await
        .expect("show")
        .get(0);
    assert_eq!(app, "backstop");
    let short = ConnectOptions {
        statement_timeout: Duration::from_millis(100),
        ..Default::default()
    };
    let dsn = format!(
        "host=127.0.0.1 port={} user=postgres sslmode=require",
        pg.port()
    );
    let client = connect(&Secret::new(dsn), &short).await.expect("connect");
    let err = client
        .simple_query("SELECT pg_sleep(2)")
        .await
        .expect_err("statement_timeout");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::QUERY_CANCELED),
        "{err}"
    );

    // The same server with TLS off: require must fail, not fall back to plain text.
    pg.exec("ALTER SYSTEM SET ssl = off")
        .await
        .expect("ssl off");
    pg.exec("SELECT pg_reload_conf()").await.expect("reload");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dsn = format!(
        "host=127.0.0.1 port={} user=postgres sslmode=require",
        pg.port()
    );
    let err: PgError = connect(&Secret::new(dsn), &ConnectOptions::default())
        .await
        .expect_err("no TLS");
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
}
