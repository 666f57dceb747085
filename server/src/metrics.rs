//! The Prometheus metrics `GET /metrics` serves (text exposition format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) method: String,
    pub(crate) route: String,
    pub(crate) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct WebhookLabels {
    pub(crate) channel: String,
    pub(crate) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OutcomeLabels {
    pub(crate) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct NodeLabels {
    pub(crate) node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LlmLabels {
    pub(crate) provider: String,
    pub(crate) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ProviderLabels {
    pub(crate) provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TargetLabels {
    pub(crate) target: String,
    pub(crate) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct SendLabels {
    pub(crate) channel: String,
    pub(crate) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct JobLabels {
    pub(crate) kind: String,
    pub(crate) outcome: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds() -> Histogram {
    // 100 µs to about 26 s.
    Histogram::new(exponential_buckets(0.0001, 4.0, 10))
}

/// Every metric the server keeps.
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) request_seconds: Histograms<RequestLabels>,
    pub(crate) webhook_events: Family<WebhookLabels, Counter>,
    pub(crate) graph_runs: Family<OutcomeLabels, Counter>,
    pub(crate) graph_run_seconds: Histogram,
    pub(crate) node_seconds: Histograms<NodeLabels>,
    llm_calls: Family<LlmLabels, Counter>,
    /// The same counts as `llm_calls`, readable (Prometheus's families cannot be listed),
    /// for the staff console.
    llm_tally: std::sync::Mutex<std::collections::BTreeMap<(String, String), u64>>,
    /// 0 closed, 1 open, 2 half-open.
    pub(crate) breaker_state: Family<ProviderLabels, Gauge>,
    pub(crate) outbox_depth: Gauge,
    pub(crate) sends: Family<SendLabels, Counter>,
    pub(crate) bookings_created: Counter,
    pub(crate) handoffs_opened: Counter,
    pub(crate) handoffs_closed: Counter,
    staff_notices: Family<TargetLabels, Counter>,
    pub(crate) jobs: Family<JobLabels, Counter>,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hotel_agent");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let request_seconds: Histograms<RequestLabels> = Family::new_with_constructor(seconds);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route and status",
            request_seconds.clone(),
        );
        let webhook_events = Family::default();
        registry.register(
            "webhook_events",
            "Webhook events by channel and outcome (accepted, duplicate, ignored, rate_limited, \
             delivery_failed, bad_signature, malformed, too_large)",
            webhook_events.clone(),
        );
        let graph_runs = Family::default();
        registry.register(
            "graph_runs",
            "Agent graph runs by outcome",
            graph_runs.clone(),
        );
        let graph_run_seconds = seconds();
        registry.register(
            "graph_run_duration_seconds",
            "Agent graph run latency",
            graph_run_seconds.clone(),
        );
        let node_seconds: Histograms<NodeLabels> = Family::new_with_constructor(seconds);
        registry.register(
            "graph_node_duration_seconds",
            "Agent graph node latency by node",
            node_seconds.clone(),
        );
        let llm_calls = Family::default();
        registry.register(
            "llm_calls",
            "LLM calls by provider and outcome",
            llm_calls.clone(),
        );
        let breaker_state = Family::default();
        registry.register(
            "llm_circuit_breaker_state",
            "LLM circuit breaker state by provider: 0 closed, 1 open, 2 half-open",
            breaker_state.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register(
            "outbox_depth",
            "Reply messages stored and not yet sent",
            outbox_depth.clone(),
        );
        let sends = Family::default();
        registry.register(
            "send_attempts",
            "Send API attempts by channel and outcome (sent, retry, dropped)",
            sends.clone(),
        );
        let bookings_created = Counter::default();
        registry.register(
            "bookings_created",
            "Bookings created through the agent",
            bookings_created.clone(),
        );
        let handoffs_opened = Counter::default();
        registry.register(
            "handoffs_opened",
            "Conversations a person was asked to take over",
            handoffs_opened.clone(),
        );
        let handoffs_closed = Counter::default();
        registry.register(
            "handoffs_closed",
            "Conversations staff handed back to the assistant",
            handoffs_closed.clone(),
        );
        let staff_notices = Family::default();
        registry.register(
            "staff_notices",
            "Notices of new handoffs to staff by target (webhook, email) and outcome",
            staff_notices.clone(),
        );
        let jobs = Family::default();
        registry.register(
            "scheduled_jobs",
            "Scheduled jobs run, by kind and outcome (done, skipped, moved, retry, failed)",
            jobs.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            webhook_events,
            graph_runs,
            graph_run_seconds,
            node_seconds,
            llm_calls,
            llm_tally: std::sync::Mutex::default(),
            breaker_state,
            outbox_depth,
            sends,
            bookings_created,
            handoffs_opened,
            handoffs_closed,
            staff_notices,
            jobs,
        }
    }

    /// Counts one webhook event.
    pub(crate) fn webhook(&self, channel: &str, outcome: &str, n: u64) {
        self.webhook_events
            .get_or_create(&WebhookLabels {
                channel: channel.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc_by(n);
    }

    /// Counts one LLM call to `provider` that ended in `outcome` (`ok`, or why it failed, in
    /// which case the offline NLU answered instead).
    pub(crate) fn llm_call(&self, provider: &str, outcome: &str) {
        self.llm_calls
            .get_or_create(&LlmLabels {
                provider: provider.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        let mut tally = self.llm_tally.lock().unwrap_or_else(|p| p.into_inner());
        *tally
            .entry((provider.to_owned(), outcome.to_owned()))
            .or_default() += 1;
    }

    /// Every (provider, outcome) of the LLM calls since the start, with its count.
    pub(crate) fn llm_calls(&self) -> Vec<(String, String, u64)> {
        let tally = self.llm_tally.lock().unwrap_or_else(|p| p.into_inner());
        tally
            .iter()
            .map(|((provider, outcome), n)| (provider.clone(), outcome.clone(), *n))
            .collect()
    }

    /// Counts one notice to staff through `target` that ended in `outcome`.
    pub(crate) fn staff_notices(&self, target: &str, outcome: &str) {
        self.staff_notices
            .get_or_create(&TargetLabels {
                target: target.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The text exposition of every metric.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
