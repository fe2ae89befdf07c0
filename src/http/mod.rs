//! http (placeholder until the agent core lands).
