//! check (placeholder until the agent core lands).
