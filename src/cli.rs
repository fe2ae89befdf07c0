//! cli (placeholder until the agent core lands).
