//! [`Notifier`]: routes notifications onto one bounded queue per receiver and runs one delivery
//! worker per receiver, so a slow or dead receiver never delays the others nor the caller.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{NotifyConfig, Severity};

use super::deliver::{deliver, Policy, Progress};
use super::receiver::Receiver;
use super::routing::Routes;
use super::{Notification, NotifyError, Outcome, SendRecord};

/// Default queue length per receiver.
const DEFAULT_QUEUE: usize = 256;
/// After the grace period, how long cancelled workers get to record what they drop.
const CANCEL_WAIT: Duration = Duration::from_secs(1);

type Records = Option<mpsc::UnboundedSender<SendRecord>>;

/// Sends [`Notification`]s to the `[[notify]]` receivers in the background.
pub struct Notifier {
    lanes: Vec<mpsc::Sender<Arc<Notification>>>,
    names: Vec<String>,
    min_severity: Vec<Severity>,
    routes: Mutex<Routes>,
    dropped: AtomicU64,
    records: Records,
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

/// Settings for a [`Notifier`]; the defaults suit production.
pub struct NotifierBuilder {
    receivers: Vec<Receiver>,
    policy: Policy,
    capacity: usize,
    records: Records,
}

impl NotifierBuilder {
    /// Where every [`SendRecord`] goes (none are kept without it).
    pub fn records(mut self, records: mpsc::UnboundedSender<SendRecord>) -> Self {
        self.records = Some(records);
        self
    }

    /// Attempts per notification and receiver, at least 1 (default 5).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.policy.attempts = attempts.max(1);
        self
    }

    /// Backoff before the second attempt, doubling up to `max` (default 1 s, 30 s).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.policy.base = base;
        self.policy.max = max;
        self
    }

    /// Longest wait a `Retry-After` header can impose (default 60 s).
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.policy.max_retry_after = cap;
        self
    }

    /// Per-request timeout (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.policy.timeout = timeout;
        self
    }

    /// Queue length per receiver, at least 1 (default 256); beyond it sends are dropped.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Starts one worker per receiver; must be called inside a Tokio runtime.
    pub fn build(self) -> Result<Notifier, NotifyError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|e| NotifyError::Setup(e.to_string()))?;
        let client = reqwest::Client::builder()
            .connect_timeout(self.policy.timeout)
            .build()
            .map_err(|e| NotifyError::Setup(e.without_url().to_string()))?;
        let (stop, stopped) = watch::channel(false);
        let mut notifier = Notifier {
            lanes: Vec::new(),
            names: Vec::new(),
            min_severity: Vec::new(),
            routes: Mutex::new(Routes::default()),
            dropped: AtomicU64::new(0),
            records: self.records.clone(),
            stop,
            workers: Vec::new(),
        };
        for receiver in self.receivers {
            let (lane, queue) = mpsc::channel(self.capacity);
            notifier.lanes.push(lane);
            notifier.names.push(receiver.name.clone());
            notifier.min_severity.push(receiver.min_severity);
            let worker = Worker {
                receiver,
                client: client.clone(),
                policy: self.policy.clone(),
                records: self.records.clone(),
                stop: stopped.clone(),
            };
            notifier.workers.push(runtime.spawn(worker.run(queue)));
        }
        Ok(notifier)
    }
}

impl Notifier {
    /// A builder for these receivers (`[[notify]]`, in file order).
    pub fn builder(receivers: &[NotifyConfig]) -> NotifierBuilder {
        NotifierBuilder {
            receivers: receivers
                .iter()
                .enumerate()
                .map(|(i, c)| Receiver::new(i, c))
                .collect(),
            policy: Policy::default(),
            capacity: DEFAULT_QUEUE,
            records: None,
        }
    }

    /// Queues `n` for every receiver that should get it; never waits. A full queue drops the
    /// send (recorded as `dropped` and counted by [`Notifier::dropped`]).
    pub fn notify(&self, n: Notification) {
        let targets = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .route(&n, &self.min_severity);
        let n = Arc::new(n);
        for i in targets {
            let (Some(lane), Some(name)) = (self.lanes.get(i), self.names.get(i)) else {
                continue;
            };
            if lane.try_send(n.clone()).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                finish(
                    &self.records,
                    SendRecord::finished(
                        name,
                        &n,
                        Outcome::Dropped,
                        0,
                        None,
                        Some(&NotifyError::QueueFull),
                    ),
                    &NotifyError::QueueFull,
                );
            }
        }
    }

    /// Sends dropped because a queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The receivers' names, `<kind>#<index>`.
    pub fn receivers(&self) -> &[String] {
        &self.names
    }

    /// Stops taking notifications and delivers what is queued for up to `grace`; what is still
    /// in flight then is recorded as failed, what is still queued as dropped.
    pub async fn shutdown(self, grace: Duration) {
        let Notifier {
            lanes,
            stop,
            mut workers,
            ..
        } = self;
        drop(lanes);
        let deadline = tokio::time::Instant::now() + grace;
        for worker in &mut workers {
            let _ = tokio::time::timeout_at(deadline, worker).await;
        }
        if workers.iter().all(JoinHandle::is_finished) {
            return;
        }
        let _ = stop.send(true);
        for worker in &mut workers {
            if tokio::time::timeout(CANCEL_WAIT, &mut *worker)
                .await
                .is_err()
            {
                worker.abort();
            }
        }
    }
}

/// Delivers one receiver's queue, in order.
struct Worker {
    receiver: Receiver,
    client: reqwest::Client,
    policy: Policy,
    records: Records,
    stop: watch::Receiver<bool>,
}

impl Worker {
    async fn run(mut self, mut queue: mpsc::Receiver<Arc<Notification>>) {
        while let Some(n) = queue.recv().await {
            let name = &self.receiver.name;
            if *self.stop.borrow() {
                let err = NotifyError::Shutdown;
                let record = SendRecord::finished(name, &n, Outcome::Dropped, 0, None, Some(&err));
                finish(&self.records, record, &err);
                continue;
            }
            let progress = Progress::default();
            let result = tokio::select! {
                result = deliver(&self.client, &self.receiver, &n, &self.policy, &progress) => result,
                () = stopped(&mut self.stop) => Err(NotifyError::Shutdown),
            };
            let (attempts, status) = (progress.attempts(), progress.status());
            match result {
                Ok(()) => {
                    let record =
                        SendRecord::finished(name, &n, Outcome::Delivered, attempts, status, None);
                    if let Some(records) = &self.records {
                        let _ = records.send(record);
                    }
                }
                Err(err) => {
                    let record = SendRecord::finished(
                        name,
                        &n,
                        Outcome::Failed,
                        attempts,
                        status,
                        Some(&err),
                    );
                    finish(&self.records, record, &err);
                }
            }
        }
    }
}

/// Resolves once shutdown asks workers to stop; never if the notifier was dropped instead
/// (its workers then drain their queues in the background).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Logs a send that did not deliver and hands its record on.
fn finish(records: &Records, record: SendRecord, err: &NotifyError) {
    tracing::warn!(
        receiver = %record.receiver,
        venture = record.venture.as_deref().unwrap_or(""),
        event = %record.event,
        action = %record.action,
        outcome = %record.outcome,
        attempts = record.attempts,
        kind = %err.kind(),
        error = %err,
        "notification not delivered"
    );
    if let Some(records) = records {
        let _ = records.send(record);
    }
}
