//! Wires the agent together: the initial [`Snapshot`] from config, one collector task per
//! endpoint, one poller per backup source, a scheduled `pgbackrest verify` per pgBackRest stanza
//! (its last result loaded from the store first), venture leadership, the drill scheduler, the failover controllers,
//! readiness, and the HTTP server with its API; shuts everything down on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::postgres::collector::{spawn_collectors, EndpointTarget};
use crate::state::{AgentState, EndpointState, SharedState, Snapshot, SourceState, VentureState};

/// Errors that stop the agent from starting.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}; is another backstop running? set agent.listen (or BACKSTOP_AGENT__LISTEN) to a free address")]
    Bind {
        /// The address from `agent.listen`.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The state store could not be opened.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    /// The notifier could not be built.
    #[error("notifications: {0}")]
    Notify(#[from] crate::notify::NotifyError),
    /// The HTTP server failed while running.
    #[error(transparent)]
    Serve(#[from] crate::http::HttpError),
}

/// The snapshot before any poll: every venture and endpoint from config, nothing observed.
pub fn initial_snapshot(config: &Config) -> Snapshot {
    Snapshot::new(
        0,
        AgentState {
            version: crate::VERSION.to_string(),
            started_at: Some(chrono::Utc::now()),
            first_poll_done: config.ventures.iter().all(|v| v.endpoints.is_empty()),
        },
        config
            .ventures
            .iter()
            .map(|v| VentureState {
                name: v.name.clone(),
                objectives: v.objectives(),
                endpoints: v
                    .endpoints
                    .iter()
                    .map(|e| EndpointState {
                        name: e.name.clone(),
                        configured_role: e.role,
                        address: crate::lb::address::from_dsn(&e.dsn),
                        ..Default::default()
                    })
                    .collect(),
                source: v.backups.as_ref().map(|b| SourceState::new(b.kind())),
                errors: Default::default(),
                drill: Default::default(),
                leader: None,
                triggers: crate::triggers::task::initial_states(&v.triggers),
                failover: Default::default(),
            })
            .collect(),
    )
}

/// Connect and statement timeouts derived from the poll interval: a poll never outlives its tick.
pub fn poll_timeouts(poll_interval: Duration) -> Duration {
    (poll_interval / 2).clamp(Duration::from_secs(1), Duration::from_secs(10))
}

/// One collector target per configured endpoint.
pub fn targets(config: &Config) -> Vec<EndpointTarget> {
    let timeout = poll_timeouts(config.agent.poll_interval);
    config
        .ventures
        .iter()
        .flat_map(|v| {
            v.endpoints.iter().map(move |e| EndpointTarget {
                venture: v.name.clone(),
                endpoint: e.name.clone(),
                dsn: e.dsn.clone(),
                poll_interval: config.agent.poll_interval,
                size_interval: config.agent.size_interval,
                connect_timeout: timeout,
                statement_timeout: timeout,
            })
        })
        .collect()
}

/// A running agent: its address, its state, and how to stop it.
pub struct RunningAgent {
    /// The address the HTTP server is bound to.
    pub addr: SocketAddr,
    /// The shared snapshot (tests and the demo read it).
    pub state: SharedState,
    /// The durable store.
    pub store: crate::store::Store,
    /// Notifications to the configured receivers (shared with the drill scheduler and the API).
    pub notifier: std::sync::Arc<crate::notify::Notifier>,
    /// What DR drills need (for the scheduler and the API): config, store, state, single flight.
    pub drills: crate::drill::DrillContext,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    recorder: JoinHandle<()>,
    server: JoinHandle<Result<(), crate::http::HttpError>>,
}

impl RunningAgent {
    /// Signals every task to stop and waits for the HTTP server to drain.
    pub async fn shutdown(self) -> Result<(), AgentError> {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        let served = self.server.await;
        // The scheduler and the API hold the notifier too; a drill still running in the
        // background keeps it (its workers then drain on their own).
        if let Ok(notifier) = std::sync::Arc::try_unwrap(self.notifier) {
            notifier.shutdown(Duration::from_secs(5)).await;
            // The notifier is gone, so the recorder ends once it has stored the last sends.
            let _ = tokio::time::timeout(Duration::from_secs(5), self.recorder).await;
        }
        match served {
            Ok(Ok(())) | Err(_) => Ok(()),
            Ok(Err(e)) => Err(AgentError::Serve(e)),
        }
    }

    /// Waits until `/readyz` would answer 200 (every endpoint polled once) or `timeout` passes.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.state.load().agent.first_poll_done {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// Starts pollers and the HTTP server on `config.agent.listen` and returns at once.
pub async fn start(config: &Config) -> Result<RunningAgent, AgentError> {
    let addr = config.agent.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| AgentError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| AgentError::Bind { addr, source })?;
    let store = crate::store::Store::open(&config.agent.state).await?;
    let state = SharedState::new(initial_snapshot(config));
    let configured: std::collections::HashMap<_, _> = config
        .ventures
        .iter()
        .map(|v| (v.name.clone(), v.objectives()))
        .collect();
    crate::plumbing::apply_overrides(&store, &state, &configured).await?;
    // Persisted roles and fences are in the snapshot before the HTTP server answers.
    crate::lb::stored::load(&store, &state).await?;
    let (records, sends) = tokio::sync::mpsc::unbounded_channel();
    let notifier = std::sync::Arc::new(
        crate::notify::Notifier::builder(&config.notify)
            .records(records)
            .build()?,
    );
    let (stop, stopped) = watch::channel(false);
    let mut tasks = spawn_collectors(targets(config), state.clone(), stopped.clone());
    tasks.extend(crate::sources::spawn_sources(config, &state, &stopped));
    tasks.extend(crate::sources::start_verifiers(config, &state, &store, &stopped).await);
    tasks.extend(crate::drill::heartbeat::spawn_heartbeats(
        config, &state, &stopped,
    ));
    let drills = crate::drill::DrillContext {
        config: std::sync::Arc::new(config.clone()),
        store: store.clone(),
        state: state.clone(),
        runner: crate::drill::DrillRunner::new(config.agent.max_concurrent_drills),
    };
    tasks.push(tokio::spawn(crate::drill::record::start(drills.clone())));
    let leadership = crate::leader::Leadership::new(
        store.clone(),
        config.ventures.iter().map(|v| v.name.clone()).collect(),
        crate::leader::DEFAULT_TTL,
    );
    let holder = leadership.holder().to_owned();
    tasks.push(tokio::spawn(leadership.run(state.clone(), stopped.clone())));
    tasks.extend(crate::drill::scheduler::spawn_schedulers(
        &drills, &notifier, &stopped,
    ));
    tasks.extend(crate::triggers::spawn_triggers(
        config, &state, &store, &notifier, &stopped,
    ));
    tasks.extend(crate::failover::controller::spawn_controllers(
        config, &store, &state, &notifier, &stopped, &holder,
    ));
    tasks.push(tokio::spawn(readiness(state.clone(), stopped.clone())));
    tasks.push(tokio::spawn(crate::plumbing::override_task(
        store.clone(),
        state.clone(),
        configured,
        stopped.clone(),
    )));
    tasks.push(tokio::spawn(crate::plumbing::size_sample_task(
        store.clone(),
        state.clone(),
        stopped.clone(),
    )));
    tasks.push(tokio::spawn(crate::plumbing::prune_task(
        store.clone(),
        config.agent.state_retention,
        stopped.clone(),
    )));
    // Ends by itself once the notifier (the only sender) is shut down.
    let recorder = tokio::spawn(crate::plumbing::record_sends(store.clone(), sends));
    if crate::notify::checkin::enabled() {
        // A whole cycle may take a poll interval plus a connect and a statement timeout.
        let poll = config.agent.poll_interval;
        let max_cycle = poll * 2 + poll_timeouts(poll) * 2;
        tasks.push(tokio::spawn(crate::notify::checkin::poll_cycle_task(
            state.clone(),
            stopped.clone(),
            max_cycle,
        )));
    }
    let app = crate::http::router(
        crate::http::AppState::new(state.clone(), crate::metrics::Metrics::new(state.clone()))
            .with_api(crate::http::api::Api::new(
                drills.clone(),
                notifier.clone(),
                config.agent.admin_token.clone(),
            )),
    );
    let mut stopped_http = stopped;
    let server = tokio::spawn(crate::http::serve(listener, app, async move {
        let _ = stopped_http.wait_for(|s| *s).await;
    }));
    Ok(RunningAgent {
        addr,
        state,
        store,
        notifier,
        drills,
        stop,
        tasks,
        recorder,
        server,
    })
}

/// Runs the agent until SIGTERM or Ctrl-C.
pub async fn run(config: &Config) -> Result<(), AgentError> {
    let agent = start(config).await?;
    crate::http::shutdown_signal().await;
    tracing::info!("shutting down");
    agent.shutdown().await
}

/// Marks the agent ready once every endpoint has been polled (successfully or not) once.
async fn readiness(state: SharedState, mut stopped: watch::Receiver<bool>) {
    loop {
        let snap = state.load();
        if snap.agent.first_poll_done {
            return;
        }
        let all_polled = snap
            .ventures
            .iter()
            .flat_map(|v| &v.endpoints)
            .all(|e| e.probe.last_attempt.is_some());
        if all_polled {
            state.update(|s| s.agent.first_poll_done = true);
            tracing::info!("first poll of every endpoint done: ready");
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = stopped.changed() => return,
        }
    }
}
