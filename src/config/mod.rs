//! config (placeholder until the agent core lands).
