//! backstop's integration tests: one binary, a module per area, against real components
//! (DESIGN.md §12). Run with `cargo test --test it`.

mod collector;
mod connect;
mod harness;
