//! Watching a Supabase project after restore-pitr was accepted (pure): `ACTIVE_HEALTHY` counts
//! only after a non-active status (`RESTORING`, or any other status than `ACTIVE_HEALTHY`) was
//! seen, so a project that never went down is not mistaken for a finished restore;
//! `RESTORE_FAILED` (and `INIT_FAILED`, `REMOVED`) end it as a failure; the caller's deadline
//! (2× the RTO objective) ends it with [`RestoreWatch::deadline_failure`].

use std::time::Duration;

use crate::config::format_duration;

/// The project is up and serving.
pub const ACTIVE: &str = "ACTIVE_HEALTHY";

/// Statuses after which the restore will not finish by itself.
const FAILED: [&str; 3] = ["RESTORE_FAILED", "INIT_FAILED", "REMOVED"];

/// What one status means for the restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not done yet: poll again.
    Wait,
    /// Back to `ACTIVE_HEALTHY` after a non-active status.
    Restored,
    /// Over, unsuccessfully: why.
    Failed(String),
}

/// The statuses seen since the restore was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreWatch {
    /// Successive distinct statuses, in order.
    pub statuses: Vec<String>,
    /// Whether a non-active status was seen (the restore started).
    pub started: bool,
}

impl RestoreWatch {
    /// Takes one polled status (upper-cased).
    pub fn observe(&mut self, status: &str) -> Verdict {
        if self.statuses.last().map(String::as_str) != Some(status) {
            self.statuses.push(status.to_owned());
        }
        if FAILED.contains(&status) {
            return Verdict::Failed(format!(
                "Supabase reports {status}: the database was not restored and the project may stay offline; open a ticket with Supabase support (Dashboard → Support) naming the project and the target time (statuses: {})",
                self.path()
            ));
        }
        if status != ACTIVE {
            self.started = true;
            return Verdict::Wait;
        }
        if self.started {
            Verdict::Restored
        } else {
            Verdict::Wait
        }
    }

    /// `RESTORING → ACTIVE_HEALTHY`, or `none` before the first status.
    pub fn path(&self) -> String {
        if self.statuses.is_empty() {
            return "none".to_owned();
        }
        self.statuses.join(" → ")
    }

    /// Why the restore failed when the deadline (`limit` after the request) passed first;
    /// `last_error` is the last failed status poll, if any.
    pub fn deadline_failure(&self, limit: Duration, last_error: Option<&str>) -> String {
        let limit = format_duration(limit);
        let polls = last_error
            .map(|e| format!("; the last status poll failed: {e}"))
            .unwrap_or_default();
        if self.started {
            format!(
                "the project was not ACTIVE_HEALTHY again within {limit} (2× the RTO objective; statuses: {}){polls}; it may still be restoring: watch it in the dashboard",
                self.path()
            )
        } else {
            format!(
                "the restore never started: Supabase accepted it, but no RESTORING (or other non-active) status was seen within {limit} (2× the RTO objective; statuses: {}){polls}; check the project in the dashboard before retrying",
                self.path()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(statuses: &[&str]) -> (RestoreWatch, Vec<Verdict>) {
        let mut w = RestoreWatch::default();
        let verdicts = statuses.iter().map(|s| w.observe(s)).collect();
        (w, verdicts)
    }

    #[test]
    fn active_counts_only_after_a_non_active_status() {
        let (w, v) = run(&["ACTIVE_HEALTHY", "RESTORING", "RESTORING", "ACTIVE_HEALTHY"]);
        assert_eq!(
            v,
            [
                Verdict::Wait,
                Verdict::Wait,
                Verdict::Wait,
                Verdict::Restored
            ]
        );
        assert_eq!(w.path(), "ACTIVE_HEALTHY → RESTORING → ACTIVE_HEALTHY");
        // Any non-active status means the restore started (GOING_DOWN, COMING_UP, …).
        let (_, v) = run(&["GOING_DOWN", "COMING_UP", "ACTIVE_HEALTHY"]);
        assert_eq!(v.last(), Some(&Verdict::Restored));
    }

    #[test]
    fn restore_failed_is_a_failure() {
        let (w, v) = run(&["RESTORING", "RESTORE_FAILED"]);
        let Some(Verdict::Failed(why)) = v.last() else {
            panic!("{v:?}");
        };
        assert!(why.contains("RESTORE_FAILED"), "{why}");
        assert!(why.contains("RESTORING → RESTORE_FAILED"), "{why}");
        assert!(w.started);
        let (_, v) = run(&["REMOVED"]);
        assert!(matches!(v[0], Verdict::Failed(_)));
    }

    #[test]
    fn the_deadline_says_whether_it_ever_started() {
        let (w, v) = run(&["ACTIVE_HEALTHY", "ACTIVE_HEALTHY"]);
        assert_eq!(v, [Verdict::Wait, Verdict::Wait]);
        let why = w.deadline_failure(Duration::from_secs(4), None);
        assert!(why.starts_with("the restore never started"), "{why}");
        assert!(why.contains("within 4s"), "{why}");
        let (w, _) = run(&["RESTORING"]);
        let why = w.deadline_failure(Duration::from_secs(7200), Some("timed out"));
        assert!(why.contains("not ACTIVE_HEALTHY again within 2h"), "{why}");
        assert!(why.contains("last status poll failed: timed out"), "{why}");
        assert_eq!(RestoreWatch::default().path(), "none");
    }
}
