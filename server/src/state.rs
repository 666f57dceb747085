//! The shared state of a running server, [`App`], and the helpers every part of it uses: the
//! clock, correlation and request ids, and constant-time secret comparison.
//!
//! It knows no handler: the HTTP layer (`http/`), the inbox worker and the outbox sender
//! import it, never the other way round.

use std::sync::Arc;

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::agent::Agent;
use crate::config::{ChannelConfig, Config};
use crate::db::{PgLimits, Queue, Wake};
use crate::limits::RateLimits;
use crate::meta::Channel;
use crate::metrics::Metrics;
use crate::staff::StaffNotify;

/// Everything a request handler or background task needs.
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) agent: Arc<Agent>,
    /// LangGraph's HTTP API, mounted at the root.
    pub(crate) protocol: agent_protocol::Api,
    /// The inbox, the guests' leases and the outbox.
    pub(crate) db: Arc<dyn Queue>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) limits: RateLimits,
    instagram: Option<ChannelConfig>,
    whatsapp: Option<ChannelConfig>,
    /// Wakes the inbox worker and the outbox sender when work was stored.
    pub(crate) wake: Arc<Wake>,
    /// Where staff are told of new handoffs; `None` when nothing is configured.
    pub(crate) staff: Option<StaffNotify>,
}

impl App {
    pub(crate) fn new(
        config: Config,
        agent: Arc<Agent>,
        protocol: agent_protocol::Api,
        db: Arc<dyn Queue>,
        wake: Arc<Wake>,
        shared_limits: Option<PgLimits>,
        metrics: Arc<Metrics>,
    ) -> App {
        App {
            instagram: config.channel(Channel::Instagram),
            whatsapp: config.channel(Channel::Whatsapp),
            limits: RateLimits::new(
                config.rate_limit_per_guest,
                config.rate_limit_global,
                shared_limits,
            ),
            config,
            agent,
            protocol,
            db,
            metrics,
            wake,
            staff: None,
        }
    }

    /// Tells staff of new handoffs through `staff` (when it has a target).
    pub(crate) fn with_staff(mut self, staff: StaffNotify) -> App {
        self.staff = (!staff.is_empty()).then_some(staff);
        self
    }

    /// `channel`'s settings, `None` when it is not configured.
    pub(crate) fn channel(&self, channel: Channel) -> Option<&ChannelConfig> {
        match channel {
            Channel::Instagram => self.instagram.as_ref(),
            Channel::Whatsapp => self.whatsapp.as_ref(),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(graph_core::system_clock()).unwrap_or(i64::MAX)
}

/// A fresh id that follows one inbound message or request through the logs, the graph run's
/// checkpoints and its replies.
pub(crate) fn correlation_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// The caller's `x-request-id` when it is a sensible one (1–64 visible ASCII characters), else
/// a fresh [`correlation_id`]: what a request's log lines and a 500's body are marked with.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(correlation_id, str::to_owned)
}

/// Whether a presented secret equals the configured one, in time independent of where they
/// differ.
pub(crate) fn secret_eq(given: &[u8], expected: &[u8]) -> bool {
    bool::from(given.ct_eq(expected))
}
