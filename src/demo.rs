//! demo (placeholder until the agent core lands).
