//! How many polls of one kind run at once, agent-wide: a fleet of ventures polls in turns.
//!
//! Every poller starts due at once when the agent starts (10,000 ventures: 10,000 pollers). Run
//! all together, they would start thousands of `pgbackrest` processes at the same moment, load the
//! repository host, and hold every poll's buffers in memory at once. A poller takes a slot before
//! it builds its poll and gives it back when the poll is published; with a slow tool the round
//! takes longer than the interval and the next tick is delayed (never skipped).

use tokio::sync::{Semaphore, SemaphorePermit};

/// `pgbackrest info`, `repo-ls` and backup-log reads at once.
pub const PGBACKREST_SLOTS: usize = 16;
/// Supabase polls at once (each is paced by its token's rate limiter as well).
pub const SUPABASE_SLOTS: usize = 16;

static PGBACKREST: Semaphore = Semaphore::const_new(PGBACKREST_SLOTS);
static SUPABASE: Semaphore = Semaphore::const_new(SUPABASE_SLOTS);

/// Waits for a pgBackRest poll slot (`None` only if the semaphore were closed, which it never is).
pub async fn pgbackrest() -> Option<SemaphorePermit<'static>> {
    PGBACKREST.acquire().await.ok()
}

/// Waits for a Supabase poll slot.
pub async fn supabase() -> Option<SemaphorePermit<'static>> {
    SUPABASE.acquire().await.ok()
}
