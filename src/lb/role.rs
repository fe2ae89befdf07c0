//! [`current_role`]: an endpoint's role as the load balancer sees it (pure).
//!
//! A fence wins over everything. Then the role observed by the last successful poll; before
//! the first one (right after a restart, or an endpoint never reached) the persisted role from
//! the store, which [`super::stored`] put into `configured_role` at start. A failed poll keeps
//! the last observed role: a blip between agent and database takes nobody out of rotation; a
//! fence (set by a failover) or an observed promotion or demotion does.

use crate::state::{EndpointState, Role};

/// The role the load-balancer endpoints answer for.
pub fn current_role(ep: &EndpointState) -> Role {
    if ep.fenced {
        return Role::Fenced;
    }
    match ep.role {
        // Observed fenced earlier, fence cleared since: back to the recorded role until the
        // next observation.
        Role::Unknown | Role::Fenced => ep.configured_role,
        observed => observed,
    }
}
