//! The hotel agent as the server runs it: one compiled graph checkpointed to SQLite, one turn
//! at a time per thread, each turn measured, and a turn that a crash interrupted finished
//! rather than run twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use agent_nodes::resilience::BreakerState;
use agent_nodes::{ChatModel, ChatRequest, ChatResponse};
use checkpoint::SqliteCheckpointer;
use graph_core::{CompiledGraph, EventKind, Resume, RunConfig, RunOutput};
use hotel::{BookingStore, Catalog, Clock};
use hotel_agent::{BOOK_TOOL, Conversation, HotelAgent, hotel_agent_graph, thread_id, turn};

use crate::Error;
use crate::config::{Config, LlmProvider};
use crate::metrics::Metrics;
use crate::metrics::{LlmLabels, NodeLabels, OutcomeLabels, ProviderLabels};

/// What one turn produced.
#[derive(Debug, Clone)]
pub(crate) struct TurnOutcome {
    pub(crate) thread_id: String,
    pub(crate) reply: String,
    pub(crate) intent: Option<String>,
    pub(crate) nodes: Vec<String>,
}

/// One lock per thread, so a guest's messages are answered one at a time and in order.
/// Locks nobody holds or waits for are dropped.
#[derive(Default)]
struct ThreadLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl ThreadLocks {
    fn get(&self, thread: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lock) = locks.get(thread).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() > 1024 {
            locks.retain(|_, weak| weak.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(thread.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

type BreakerProbe = Box<dyn Fn() -> BreakerState + Send + Sync>;

/// The agent graph and what the API reads beside it.
pub(crate) struct Agent {
    graph: CompiledGraph<Conversation>,
    pub(crate) store: BookingStore,
    pub(crate) catalog: Catalog,
    locks: ThreadLocks,
    metrics: Arc<Metrics>,
    breaker: Option<(String, BreakerProbe)>,
}

impl Agent {
    /// Opens the bookings and checkpoints in the database file and builds the graph with the
    /// configured model.
    pub(crate) fn open(config: &Config, metrics: Arc<Metrics>) -> Result<Agent, Error> {
        let path = &config.database_url.0;
        let clock = config.hotel_today.map_or(Clock::System, Clock::Fixed);
        let catalog = Catalog::load().map_err(|e| Error::Startup(format!("the catalog: {e}")))?;
        let store = BookingStore::open(path, catalog.clone()).map_err(|e| Error::Database {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let checkpointer = SqliteCheckpointer::open(path).map_err(|e| Error::Database {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let var = |name: &str| config.llm_var(name);
        let invalid = |variable: &'static str| {
            move |e: agent_nodes::Error| Error::Config {
                variable,
                reason: e.to_string(),
            }
        };
        let llm = match config.provider() {
            LlmProvider::Offline => None,
            LlmProvider::Gemini => {
                let client = agent_nodes::gemini::GeminiBuilder::from_vars(var)
                    .and_then(|b| b.build())
                    .map_err(invalid("GEMINI_API_KEY"))?;
                Some(metered(
                    client,
                    |c| c.resilience().breaker().state(),
                    &metrics,
                ))
            }
            LlmProvider::Openai => {
                let client = agent_nodes::openai::OpenAiBuilder::from_vars(var)
                    .and_then(|b| b.build())
                    .map_err(invalid("OPENAI_MODEL"))?;
                Some(metered(
                    client,
                    |c| c.resilience().breaker().state(),
                    &metrics,
                ))
            }
        };
        let (agent, breaker) = match llm {
            None => (HotelAgent::offline(store.clone(), clock), None),
            Some((model, probe)) => (
                HotelAgent::with_model(store.clone(), clock, model),
                Some(probe),
            ),
        };
        let graph = hotel_agent_graph(agent)
            .map_err(|e| Error::Startup(format!("the agent graph: {e}")))?
            .with_checkpointer(Arc::new(checkpointer));
        Ok(Agent {
            graph,
            store,
            catalog,
            locks: ThreadLocks::default(),
            metrics,
            breaker,
        })
    }

    /// The compiled graph, for drawing and reading state.
    pub(crate) fn graph(&self) -> &CompiledGraph<Conversation> {
        &self.graph
    }

    /// Publishes the circuit breaker's state to the metrics.
    pub(crate) fn observe_breaker(&self) {
        if let Some((provider, probe)) = &self.breaker {
            let value = match probe() {
                BreakerState::Closed => 0,
                BreakerState::Open => 1,
                BreakerState::HalfOpen => 2,
            };
            self.metrics
                .breaker_state
                .get_or_create(&ProviderLabels {
                    provider: provider.clone(),
                })
                .set(value);
        }
    }

    /// Answers `text` from `user` on `channel`. `message_id` makes the turn happen once: when
    /// the thread's latest checkpoint already belongs to it (the process stopped after or
    /// during the run, before the reply was stored), the finished run's reply is returned or
    /// the interrupted run is resumed instead of running the message again.
    pub(crate) async fn turn(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        message_id: &str,
        correlation: &str,
    ) -> Result<TurnOutcome, graph_core::Error> {
        let thread = thread_id(channel, user);
        let lock = self.locks.get(&thread);
        let _turn = lock.lock().await;
        let config = RunConfig::thread(thread.clone())
            .metadata("message_id", message_id)
            .metadata("correlation", correlation);
        let latest = self
            .graph
            .get_state(&RunConfig::thread(thread.clone()))
            .await?;
        let seen = latest
            .checkpoint
            .as_ref()
            .and_then(|c| c.metadata.get("message_id"))
            .and_then(|v| v.as_str())
            == Some(message_id);
        let started = Instant::now();
        let result = if seen && latest.next.is_empty() {
            tracing::info!(thread, message_id, "turn already ran; reusing its reply");
            return Ok(outcome(thread, &latest.values, Vec::new()));
        } else if seen {
            tracing::info!(thread, message_id, "resuming an interrupted turn");
            self.run(self.graph.stream_resume(
                &config,
                Resume::Continue,
                graph_core::StreamMode::Tasks,
            ))
            .await
        } else {
            self.run(self.graph.stream(
                turn(channel, user, text),
                &config,
                graph_core::StreamMode::Tasks,
            ))
            .await
        };
        self.metrics
            .graph_run_seconds
            .observe(started.elapsed().as_secs_f64());
        let label = if result.is_ok() { "ok" } else { "error" };
        self.metrics
            .graph_runs
            .get_or_create(&OutcomeLabels {
                outcome: label.into(),
            })
            .inc();
        let out = result?;
        if out
            .state
            .tool_results
            .iter()
            .any(|r| r.name == BOOK_TOOL && !r.is_error)
        {
            self.metrics.bookings_created.inc();
        }
        let nodes = out.executed.iter().map(|n| n.as_str().to_owned()).collect();
        Ok(outcome(thread, &out.state, nodes))
    }

    /// Drains a run's events, timing each task.
    async fn run(
        &self,
        mut events: graph_core::EventStream<Conversation>,
    ) -> Result<RunOutput<Conversation>, graph_core::Error> {
        let mut started = HashMap::new();
        while let Some(event) = events.next().await {
            match (&event.kind, event.task, &event.node) {
                (EventKind::TaskStart { .. }, Some(task), _) => {
                    started.insert(task, Instant::now());
                }
                (EventKind::TaskEnd { .. }, Some(task), Some(node)) => {
                    if let Some(at) = started.remove(&task) {
                        self.metrics
                            .node_seconds
                            .get_or_create(&NodeLabels {
                                node: node.as_str().to_owned(),
                            })
                            .observe(at.elapsed().as_secs_f64());
                    }
                }
                _ => {}
            }
        }
        events.finish().await
    }
}

/// `client` with its calls counted, and a probe of its circuit breaker named by provider.
fn metered<C: ChatModel + 'static>(
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

fn outcome(thread_id: String, state: &Conversation, nodes: Vec<String>) -> TurnOutcome {
    TurnOutcome {
        thread_id,
        reply: state.reply.clone(),
        intent: state
            .understanding
            .as_ref()
            .and_then(|u| serde_json::to_value(u.intent).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        nodes,
    }
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
        self.metrics
            .llm_calls
            .get_or_create(&LlmLabels {
                provider: self.inner.provider().to_owned(),
                outcome: outcome.into(),
            })
            .inc();
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
