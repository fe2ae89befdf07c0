//! metrics (placeholder until the agent core lands).
