//! Notifications from the agent itself, and Sentry cron check-ins.

pub mod checkin;
