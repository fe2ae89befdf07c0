//! telemetry (placeholder until the agent core lands).
