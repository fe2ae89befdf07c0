//! Dashboards, alert rules and metrics held consistent on real components: the dashboards'
//! structure and metric names (no server), the rules loaded by a real Prometheus, and the
//! end-to-end test where a real Prometheus scrapes the agent over real clusters, every panel
//! query returns data and broken archiving fires its alert.

mod consistency;
mod dashboards;
mod e2e;
mod prometheus;
mod promql;
mod setup;
