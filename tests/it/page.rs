//! The status page at `/` in a real browser: Debian's Chromium, driven by playwright-core from
//! `tests/browser/status-page.js`, against the agent on a real pgBackRest 2.45 stanza with a full
//! and an incremental backup, a WAL gap between them (one archived segment deleted from the
//! repository), a passed and a failed drill (an assertion that does not hold) and a week of
//! daily size samples in the store.
//!
//! The script checks that every section renders, the recovery point selector answers inside the
//! window, in the gap and outside it (times taken from `pgbackrest info` here, not from the
//! page), the drill timeline shows both drills distinctly, the objectives form changes
//! `backstop_rpo_objective_seconds`, axe-core finds nothing serious or critical, and it saves
//! screenshots. This test then checks the headers, the page without JavaScript, and that neither
//! the cluster's password nor the admin token appears in any page or asset.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::harness::http::{get, sample};
use crate::harness::pgbackrest::{stanza, text, Stanza};
use crate::harness::{self, wait_until};

const TOKEN: &str = "page-admin-TOKEN-8c1f2e";
const PASSWORD: &str = "pg-PASSWORD-4b7d1a";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Days of size samples stored before the agent starts.
const SIZE_DAYS: u64 = 6;

/// The repository directory of the stanza (`repo1-path`).
fn repo(st: &Stanza) -> PathBuf {
    st.conf.parent().expect("stanza dir").join("repo")
}

/// Switches WAL, waits until that segment is archived; returns its name.
async fn switch(st: &Stanza) -> String {
    let client = st.cluster.client().await.expect("connect");
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS w (id int); INSERT INTO w SELECT generate_series(1, 500);",
        )
        .await
        .expect("write");
    let name: String = client
        .query_one("SELECT pg_walfile_name(pg_switch_wal())", &[])
        .await
        .expect("switch")
        .get(0);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let last: Option<String> = client
            .query_one("SELECT last_archived_wal FROM pg_stat_archiver", &[])
            .await
            .expect("archiver")
            .get(0);
        if last.is_some_and(|l| l.len() >= 24 && l[..24] >= *name.as_str()) {
            return name;
        }
        assert!(Instant::now() < deadline, "{name} was not archived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deletes archived segment `name` from the repository (pgBackRest adds `-<sha1>`).
fn delete_segment(st: &Stanza, name: &str) {
    let mut dirs = vec![repo(st).join("archive").join(&st.name)];
    let mut removed = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("repo dir").flatten() {
            let path = entry.path();
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                dirs.push(path);
            } else if file.starts_with(&format!("{name}-")) {
                std::fs::remove_file(&path).expect("remove segment");
                removed += 1;
            }
        }
    }
    assert_eq!(removed, 1, "segment {name} in the repository");
}

fn unix(v: &Value) -> DateTime<Utc> {
    Utc.timestamp_opt(v.as_i64().expect("unix time"), 0)
        .single()
        .expect("valid time")
}

/// The agent's config: the stanza's venture with its endpoint (a DSN carrying a password) and
/// `drill` lines; the admin token in a file.
fn write_config(root: &Path, st: &Stanza, file: &str, drill: &str) -> PathBuf {
    let token = root.join("admin-token");
    std::fs::write(&token, format!("{TOKEN}\n")).expect("token");
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{state}\"\nscratch_dir = \"{scratch}\"\n\
         poll_interval = \"1s\"\nadmin_token_file = \"{token}\"\n\n{venture}\
         [[ventures.endpoints]]\n  name = \"pg1\"\n  dsn = \"{dsn} password={PASSWORD}\"\n  role = \"primary\"\n\
         [ventures.drill]\n  timeout = \"90s\"\n{drill}\n",
        state = root.join("state.db").display(),
        scratch = root.join("scratch").display(),
        token = token.display(),
        venture = st.venture_toml("acme", "1s", "1s"),
        dsn = st.cluster.dsn().expose(),
    );
    let path = root.join(file);
    std::fs::write(&path, toml).expect("config");
    path
}

/// `backstop drill --venture acme --json` with `config`; its JSON.
fn drill(config: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["drill", "--venture", "acme", "--json", "--config"])
        .arg(config)
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn")
        .output()
        .expect("backstop drill runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("drill JSON ({e}): {}", text(&out)))
}

/// Fails with the install command when Chromium, node or the browser modules are missing.
fn browser_prerequisites(dir: &Path) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "Chromium is not installed: apt-get install -y chromium (or scripts/deps.sh test)"
    );
    crate::harness::pgbackrest::which("node", "apt-get install -y nodejs npm");
    assert!(
        dir.join("node_modules/playwright-core").is_dir() && dir.join("node_modules/axe-core").is_dir(),
        "the browser test modules are not installed: npm ci --prefix tests/browser (or scripts/deps.sh test)"
    );
}

/// Runs `node tests/browser/status-page.js <url> <spec.json>` (at most 3 minutes); its summary.
async fn run_browser(dir: &Path, url: &str, spec: &Path) -> Value {
    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("status-page.js"))
        .arg(url)
        .arg(spec)
        .env("CHROMIUM", CHROMIUM)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let read = |mut r: Box<dyn tokio::io::AsyncRead + Unpin + Send>| async move {
        let mut s = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut r, &mut s)
            .await
            .ok();
        s
    };
    let (status, out, err) = tokio::time::timeout(Duration::from_secs(180), async {
        tokio::join!(child.wait(), read(Box::new(stdout)), read(Box::new(stderr)))
    })
    .await
    .expect("the browser script finished within 3 minutes");
    let status = status.expect("node exit status");
    assert!(
        status.success(),
        "browser script failed ({status}):\n{err}\n{out}"
    );
    eprintln!("{err}");
    let last = out.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("summary JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_works_in_chromium_on_a_real_stanza() {
    harness::init_logs();
    let started = Instant::now();
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    browser_prerequisites(&browser_dir);
    let root = harness::root();
    let st = stanza(root.path(), "acme").await;

    // full backup; segments A, B (deleted below), C; incremental; more WAL after it.
    st.backup("full").await;
    switch(&st).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let deleted = switch(&st).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let in_gap = Utc::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    switch(&st).await;
    st.backup("incr").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    switch(&st).await;

    let info = st.info();
    let backups = info[0]["backup"].as_array().expect("backups").clone();
    assert_eq!(backups.len(), 2, "{info:#}");
    let (full, incr) = (&backups[0], &backups[1]);
    let incr_label = incr["label"].as_str().expect("label").to_owned();
    let full_label = full["label"].as_str().expect("label").to_owned();
    let incr_stop = unix(&incr["timestamp"]["stop"]);
    let inside = incr_stop + chrono::Duration::seconds(1);
    let before = unix(&full["timestamp"]["start"]) - chrono::Duration::hours(1);
    assert!(in_gap < incr_stop, "the gap time precedes the incremental");

    // A passed drill, then one whose assertion does not hold (same store).
    let config = write_config(root.path(), &st, "backstop.toml", "");
    let failing = write_config(
        root.path(),
        &st,
        "failing.toml",
        "  assertions = [\"SELECT count(*) = 0 FROM w\"]",
    );
    let passed = drill(&config);
    assert_eq!(passed["outcome"], "passed", "{passed:#}");
    let failed = drill(&failing);
    assert_eq!(failed["outcome"], "failed", "{failed:#}");
    delete_segment(&st, &deleted);

    // The daily size samples of the days before (the agent records one a day; this one has
    // not run before), through the real store, for the size trend.
    let store = backstop::store::Store::open(&backstop::secret::Secret::new(format!(
        "sqlite:{}",
        root.path().join("state.db").display()
    )))
    .await
    .expect("store");
    let today = Utc::now().date_naive();
    for back in 1..=SIZE_DAYS {
        let day = today - chrono::Days::new(back);
        let bytes = (30 << 20) - i64::try_from(back).expect("small") * (1 << 20);
        store
            .upsert_size_sample("acme", day, bytes)
            .await
            .expect("size sample");
    }

    let cfg = backstop::config::load(Some(&config)).expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    wait_until(
        &agent.state,
        Duration::from_secs(30),
        "window split, drill loaded",
        |s| {
            let snap = s.load();
            let v = snap.venture("acme");
            let pieces = v
                .and_then(|v| v.source.as_ref())
                .and_then(|src| src.window.as_ref())
                .map(|w| w.pieces.len());
            pieces == Some(2) && v.is_some_and(|v| v.drill.last_outcome_ok.is_some())
        },
    )
    .await;

    // The agent adds today's sample as soon as it knows the size: a week of samples in all.
    let deadline = Instant::now() + Duration::from_secs(30);
    let since = today - chrono::Days::new(SIZE_DAYS + 1);
    while store
        .size_samples("acme", since)
        .await
        .expect("samples")
        .len()
        < SIZE_DAYS as usize + 1
    {
        assert!(
            Instant::now() < deadline,
            "today's size sample was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(store);

    // The page as served: headers, no secrets, complete without JavaScript.
    let page = get(agent.addr, "/", &[]).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        page.header("content-security-policy"),
        Some(backstop::http::security::CONTENT_SECURITY_POLICY)
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    for needle in ["<script>", "style=", " onclick=", " onload=", "javascript:"] {
        assert!(
            !page.body.contains(needle),
            "inline code or style: {needle}"
        );
    }
    assert!(page
        .body
        .contains(r#"<noscript><meta http-equiv="refresh" content="30"></noscript>"#));
    for label in [&full_label, &incr_label] {
        assert!(
            page.body.contains(label.as_str()),
            "{label} not on the page"
        );
    }

    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    // The README's screenshot is rewritten only when asked for, so a test run leaves the
    // checkout unchanged: BACKSTOP_UPDATE_SCREENSHOT=1 cargo test --test it page
    let docs_screenshot = if std::env::var_os("BACKSTOP_UPDATE_SCREENSHOT").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/status-page.png")
    } else {
        artifacts.join("status-page-readme.png")
    };
    let spec = json!({
        "venture": "acme",
        "token": TOKEN,
        "inside": inside.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "gap": in_gap.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "outside": before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "inside_backup": incr_label,
        "backups": [full_label, incr_label],
        "size_samples": SIZE_DAYS + 1,
        "new_rpo": "30s",
        "new_rpo_seconds": 30,
        "artifacts": artifacts,
        "docs_screenshot": docs_screenshot,
    });
    let spec_file = root.path().join("page-spec.json");
    std::fs::write(&spec_file, spec.to_string()).expect("spec");
    let url = format!("http://{}/", agent.addr);
    let summary = run_browser(&browser_dir, &url, &spec_file).await;
    eprintln!("browser summary: {summary:#}");
    assert_eq!(summary["ok"], true, "{summary:#}");

    // The form's change is in force on the agent itself, not only on the page.
    let metrics = get(agent.addr, "/metrics", &[]).await.body;
    assert_eq!(
        sample(
            &metrics,
            "backstop_rpo_objective_seconds",
            &[("venture", "acme")]
        ),
        Some(30.0)
    );

    // No secret anywhere a browser can fetch.
    for path in ["/", "/assets/status.css", "/assets/status.js"] {
        let body = get(agent.addr, path, &[]).await.body;
        for secret in [PASSWORD, TOKEN] {
            assert!(!body.contains(secret), "{secret} appears in {path}");
        }
    }
    for file in [
        "status-page.png",
        "status-page-selector.png",
        "status-page-nojs.png",
    ] {
        assert!(artifacts.join(file).is_file(), "screenshot {file}");
    }
    agent.shutdown().await.expect("shutdown");
    eprintln!("page test: {:?}", started.elapsed());
}
