//! The LLM call meter: a model whose calls are counted by provider and outcome, and a probe of
//! its circuit breaker for the metrics.

use std::sync::Arc;

use agent_nodes::resilience::BreakerState;
use agent_nodes::{ChatModel, ChatRequest, ChatResponse};

use crate::metrics::Metrics;

/// Reads a model's circuit breaker, for the metrics.
pub(super) type BreakerProbe = Box<dyn Fn() -> BreakerState + Send + Sync>;

/// `client` with its calls counted, and a probe of its circuit breaker named by provider.
pub(super) fn metered<C: ChatModel + 'static>(
    client: C,
    breaker: fn(&C) -> BreakerState,
    metrics: &Arc<Metrics>,
) -> (Arc<dyn ChatModel>, (String, BreakerProbe)) {
    let client = Arc::new(client);
    let provider = client.provider().to_owned();
    let probed = Arc::clone(&client);
    let probe: BreakerProbe = Box::new(move || breaker(&probed));
    (
        Metered::wrap(client, Arc::clone(metrics)),
        (provider, probe),
    )
}

/// A model whose calls are counted by provider and outcome.
struct Metered {
    inner: Arc<dyn ChatModel>,
    metrics: Arc<Metrics>,
}

impl Metered {
    fn wrap(inner: Arc<dyn ChatModel>, metrics: Arc<Metrics>) -> Arc<dyn ChatModel> {
        Arc::new(Metered { inner, metrics })
    }

    fn count(&self, result: &Result<ChatResponse, agent_nodes::Error>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(agent_nodes::Error::Timeout { .. }) => "timeout",
            Err(agent_nodes::Error::CircuitOpen { .. }) => "circuit_open",
            Err(agent_nodes::Error::Http { .. }) => "http_error",
            Err(agent_nodes::Error::Transport { .. }) => "transport_error",
            Err(agent_nodes::Error::Malformed { .. }) => "malformed",
            Err(_) => "error",
        };
        self.metrics.llm_call(self.inner.provider(), outcome);
    }
}

#[async_trait::async_trait]
impl ChatModel for Metered {
    fn provider(&self) -> &str {
        self.inner.provider()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, agent_nodes::Error> {
        let result = self.inner.chat(request).await;
        self.count(&result);
        result
    }

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_text: &(dyn for<'s> Fn(&'s str) + Send + Sync),
    ) -> Result<ChatResponse, agent_nodes::Error> {
        let result = self.inner.chat_stream(request, on_text).await;
        self.count(&result);
        result
    }
}
