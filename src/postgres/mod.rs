//! postgres (placeholder until the agent core lands).
