//! backstop's integration tests: one binary, a module per area, against real components
//! (DESIGN.md §12). Run with `cargo test --test it`.

mod agent;
mod alerting;
mod api;
mod chaos;
mod cli;
mod collector;
mod connect;
mod drill;
mod ha;
mod harness;
mod leader;
mod notify;
mod observability;
mod page;
mod pgbackrest;
mod retention;
mod runbooks;
mod secrets;
mod store;
mod supabase;
mod supabase_apply;
mod supabase_check;
mod supabase_recover;
mod supabase_retention;
mod supabase_scale;
mod systemd_unit;
mod telemetry;
mod triggers;
