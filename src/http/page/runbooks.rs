//! The alerts a venture's objectives drive, with links to their runbooks on the project site
//! (`runbooks/<Alert>.md`), for the page's alert configuration section.

/// Where the runbooks live.
pub const RUNBOOK_BASE: &str = "https://github.com/backstop-dr/backstop/blob/main/runbooks/";

/// One alert: its name, what fires it, and the objective whose metric sets its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertLink {
    /// The alert name (`alerts/backstop.rules.yaml`).
    pub alert: &'static str,
    /// When it fires, in a few words.
    pub when: &'static str,
    /// The objective it compares against (`rpo`, `rto`, `pitr_window`, `backup_max_age`), if any.
    pub objective: Option<&'static str>,
}

/// Every alert of the rule files, grouped by concern.
pub const ALERTS: [AlertLink; 26] = [
    AlertLink {
        alert: "BackstopBackupStale",
        when: "newest backup older than backup_max_age",
        objective: Some("backup_max_age"),
    },
    AlertLink {
        alert: "BackstopBackupFailed",
        when: "a backup failed after the newest success",
        objective: None,
    },
    AlertLink {
        alert: "BackstopBackupChecksumErrors",
        when: "a backup has page checksum errors",
        objective: None,
    },
    AlertLink {
        alert: "BackstopPitrWindowShort",
        when: "window shorter than pitr_window",
        objective: Some("pitr_window"),
    },
    AlertLink {
        alert: "BackstopPitrWindowSplit",
        when: "WAL gap splits the window",
        objective: None,
    },
    AlertLink {
        alert: "BackstopWalArchivingFailing",
        when: "archive_command failing",
        objective: None,
    },
    AlertLink {
        alert: "BackstopWalArchivingStale",
        when: "nothing archived for longer than the RPO",
        objective: Some("rpo"),
    },
    AlertLink {
        alert: "BackstopArchiveTimeoutAboveRpo",
        when: "archive_timeout 0 or above the RPO",
        objective: Some("rpo"),
    },
    AlertLink {
        alert: "BackstopRetentionUnmet",
        when: "fewer backups kept than the policy asks",
        objective: None,
    },
    AlertLink {
        alert: "BackstopVerificationFailed",
        when: "pgbackrest verify found problems",
        objective: None,
    },
    AlertLink {
        alert: "BackstopVerificationStale",
        when: "no successful verification lately",
        objective: None,
    },
    AlertLink {
        alert: "BackstopDrillFailed",
        when: "the last DR drill failed",
        objective: None,
    },
    AlertLink {
        alert: "BackstopDrillOverdue",
        when: "no successful drill since it was due",
        objective: None,
    },
    AlertLink {
        alert: "BackstopDrillRtoAboveObjective",
        when: "drill RTO above the RTO",
        objective: Some("rto"),
    },
    AlertLink {
        alert: "BackstopDrillRpoAboveObjective",
        when: "drill RPO above the RPO",
        objective: Some("rpo"),
    },
    AlertLink {
        alert: "BackstopReplicationLagHigh",
        when: "standby lag above the RPO",
        objective: Some("rpo"),
    },
    AlertLink {
        alert: "BackstopEndpointDown",
        when: "an endpoint fails its probes",
        objective: None,
    },
    AlertLink {
        alert: "BackstopEndpointFenced",
        when: "an endpoint is fenced",
        objective: None,
    },
    AlertLink {
        alert: "BackstopFailoverHappened",
        when: "a failover completed",
        objective: None,
    },
    AlertLink {
        alert: "BackstopFailoverFailed",
        when: "a failover failed",
        objective: None,
    },
    AlertLink {
        alert: "BackstopSourceDown",
        when: "the backup source cannot be polled",
        objective: None,
    },
    AlertLink {
        alert: "BackstopSupabaseDrift",
        when: "Supabase settings differ from config",
        objective: None,
    },
    AlertLink {
        alert: "BackstopAgentAbsent",
        when: "Prometheus cannot scrape the agent",
        objective: None,
    },
    AlertLink {
        alert: "BackstopAgentStale",
        when: "the agent stopped polling",
        objective: None,
    },
    AlertLink {
        alert: "BackstopRecoverabilityBudgetBurnFast",
        when: "recoverability error budget burning fast",
        objective: None,
    },
    AlertLink {
        alert: "BackstopRecoverabilityBudgetBurnSlow",
        when: "recoverability error budget burning slowly",
        objective: None,
    },
];

/// The runbook URL of `alert`.
pub fn url(alert: &str) -> String {
    format!("{RUNBOOK_BASE}{alert}.md")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_objectives_known() {
        let mut names: Vec<_> = ALERTS.iter().map(|a| a.alert).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALERTS.len());
        for a in ALERTS {
            assert!(a.alert.starts_with("Backstop"), "{}", a.alert);
            assert!(a
                .objective
                .is_none_or(|o| ["rpo", "rto", "pitr_window", "backup_max_age"].contains(&o)));
        }
        assert_eq!(
            url("BackstopDrillFailed"),
            "https://github.com/backstop-dr/backstop/blob/main/runbooks/BackstopDrillFailed.md"
        );
    }
}
