//! High availability against real components: a primary and a streaming standby, HAProxy
//! checking the agent's load-balancer endpoints, and a TCP fault proxy (DESIGN.md §5, §9, §12).

mod failover;
mod lb;
mod manual;
mod pair;
