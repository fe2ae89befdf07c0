//! Verification families, labelled `{venture}`: when the repository was last verified, when a
//! verification last passed and whether the last one did, read from each venture's
//! [`VerificationState`](crate::state::VerificationState). Absent until a verification ran (or
//! was loaded from the store at start); `last_success` stays absent while none passed.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;

use super::family::{flag, unix, venture_gauge, SECONDS};
use crate::state::{Snapshot, VentureState, VerificationState};

fn verification(v: &VentureState) -> Option<&VerificationState> {
    v.source.as_ref()?.verification.as_ref()
}

/// Writes the `verification_*` families.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    venture_gauge(
        enc,
        snap,
        "verification_last_run_timestamp",
        "Unix time the last backup repository verification finished.",
        Some(&SECONDS),
        |v| verification(v).map(|x| unix(x.last_run)),
    )?;
    venture_gauge(
        enc,
        snap,
        "verification_last_success_timestamp",
        "Unix time the last passed backup repository verification finished.",
        Some(&SECONDS),
        |v| verification(v).and_then(|x| x.last_success).map(unix),
    )?;
    venture_gauge(
        enc,
        snap,
        "verification_last_outcome",
        "1 when the last backup repository verification passed, 0 when it failed.",
        None,
        |v| verification(v).map(|x| flag(x.last_outcome_ok)),
    )
}
