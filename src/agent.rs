//! agent (placeholder until the agent core lands).
