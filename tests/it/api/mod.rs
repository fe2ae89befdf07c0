//! The JSON API over real HTTP against `agent::start` (DESIGN.md §5).
//!
//! - [`drills`]: `POST …/drills`: token, 403 without one configured, 404, 202, 409, 400, 429.
//! - [`views`]: every read endpoint on a real pgBackRest stanza with a WAL gap and a Supabase
//!   project on the fake; recovery points inside, in the gap, outside; no secret in any answer.
//! - [`objectives`]: `PUT`/`DELETE …/objectives`: 401 without detail, 400 naming the field,
//!   `/metrics` at once, audited old → new, kept across a restart, 429 over the write limit.
//! - [`schemathesis`]: schemathesis against `/api/v1/openapi.json` finds no 500.

mod client;
mod drills;
mod objectives;
mod schemathesis;
mod views;
