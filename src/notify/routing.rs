//! Which receivers get a notification: a trigger goes to every receiver whose `min_severity` it
//! meets, and is remembered by `<venture>:<event>`; the resolve goes to the receivers its
//! trigger went to (or, with no trigger seen since start, by its own severity).

use std::collections::HashMap;

use crate::config::Severity;

use super::{Action, Notification};

/// Open incidents and the receivers (by index) told about them.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    open: HashMap<String, Vec<usize>>,
}

impl Routes {
    /// Receiver indices for `n`, given each receiver's `min_severity`.
    pub fn route(&mut self, n: &Notification, min_severity: &[Severity]) -> Vec<usize> {
        let matching: Vec<usize> = min_severity
            .iter()
            .enumerate()
            .filter(|(_, min)| n.severity >= **min)
            .map(|(i, _)| i)
            .collect();
        match n.action {
            Action::Trigger => {
                let told = self.open.entry(n.dedup_key()).or_default();
                for i in &matching {
                    if !told.contains(i) {
                        told.push(*i);
                    }
                }
                told.sort_unstable();
                matching
            }
            Action::Resolve => self.open.remove(&n.dedup_key()).unwrap_or(matching),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(event: &str, severity: Severity, action: Action) -> Notification {
        Notification {
            venture: "acme".into(),
            event: event.into(),
            severity,
            action,
            summary: String::new(),
            details: serde_json::Value::Null,
            at: chrono::Utc::now(),
        }
    }

    const MINS: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    #[test]
    fn triggers_filter_by_min_severity() {
        let mut r = Routes::default();
        assert_eq!(
            r.route(&n("a", Severity::Critical, Action::Trigger), &MINS),
            [0, 1, 2]
        );
        assert_eq!(
            r.route(&n("b", Severity::Warning, Action::Trigger), &MINS),
            [1, 2]
        );
        assert_eq!(
            r.route(&n("c", Severity::Info, Action::Trigger), &MINS),
            [2]
        );
    }

    #[test]
    fn resolves_follow_their_trigger() {
        let mut r = Routes::default();
        r.route(&n("a", Severity::Warning, Action::Trigger), &MINS);
        r.route(&n("a", Severity::Critical, Action::Trigger), &MINS);
        assert_eq!(
            r.route(&n("a", Severity::Info, Action::Resolve), &MINS),
            [0, 1, 2],
            "an info resolve still reaches the pager that got the critical trigger"
        );
        assert_eq!(
            r.route(&n("a", Severity::Info, Action::Resolve), &MINS),
            [2],
            "a second resolve has no open trigger: by its own severity"
        );
    }
}
