//! The hotel agent as the server runs it: one compiled graph checkpointed to the database, one
//! turn at a time per thread, each turn measured, and a turn that a crash interrupted finished
//! rather than run twice.
//!
//! A turn runs in a task of its own that holds its thread's lock until the run, and every
//! checkpoint write it queued, has ended. Its caller only awaits that task, so a caller that
//! stops waiting (the HTTP client left, a handler future was dropped) neither cuts the run short
//! nor lets the guest's next message start while the run's writes are still landing: the next
//! turn would read a stale head and allocate a checkpoint id that is already taken.

mod exclusion;
mod hold;
mod meter;
mod staff;

use self::hold::HOLD_WAIT;
pub(crate) use self::hold::Hold;
use self::meter::{BreakerProbe, metered};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use agent_nodes::resilience::BreakerState;
use agent_protocol::ThreadLocks;
use graph_core::{Checkpointer, CompiledGraph, EventKind, Resume, RunConfig, RunOutput, Store};
use hotel::{Bookings, Catalog, Clock};
use hotel_agent::{
    BOOK_TOOL, Conversation, HandoffReason, HotelAgent, RESCHEDULE_TOOL, hotel_agent_graph,
    thread_id, turn,
};
use tracing::Instrument;

use self::exclusion::InFlight;
use crate::Error;
use crate::config::{Config, LlmProvider};
use crate::metrics::Metrics;
use crate::metrics::{NodeLabels, OutcomeLabels, ProviderLabels};
use crate::sched::Scheduler;
use crate::storage::Storage;

/// The hotel agent's graph id in LangGraph's API.
pub(crate) const HOTEL_GRAPH: &str = "hotel";

/// What one turn produced.
#[derive(Debug, Clone)]
pub(crate) struct TurnOutcome {
    pub(crate) thread_id: String,
    pub(crate) reply: String,
    pub(crate) intent: Option<String>,
    pub(crate) nodes: Vec<String>,
    /// Why a person has the conversation, while one has (the agent answered nothing, or
    /// opened the handoff this turn).
    pub(crate) handoff: Option<HandoffReason>,
    /// The hotel the conversation is about (a catalog code), if any.
    pub(crate) focus: Option<String>,
    /// The bookings the turn made or moved, whose reminders are (re)scheduled.
    pub(crate) booked: Vec<String>,
    /// The language the turn answered in.
    pub(crate) language: agent_nodes::nlu::Language,
}

/// A guest's message, as a turn takes it.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    /// The channel it came on (`web`, `instagram`, `whatsapp`).
    pub(crate) channel: String,
    /// The guest's id on that channel.
    pub(crate) user: String,
    /// What the guest wrote.
    pub(crate) text: String,
    /// Makes the turn happen once (see [`Agent::turn`]).
    pub(crate) message_id: String,
    /// Follows the message through the logs and the run's checkpoints.
    pub(crate) correlation: String,
}

/// The agent graph and what the API reads beside it.
pub(crate) struct Agent {
    graph: CompiledGraph<Conversation>,
    /// The graph's checkpointer, to wait out a turn's writes.
    checkpointer: Arc<dyn Checkpointer>,
    /// Where the graph remembers guests across threads and channels.
    memory: Arc<dyn Store>,
    pub(crate) store: Arc<dyn Bookings>,
    pub(crate) catalog: Catalog,
    /// Where "today" comes from (`HOTEL_TODAY`), for the console's quotes and calendars.
    clock: Clock,
    /// Shared with the Agent Protocol's runs.
    locks: Arc<ThreadLocks>,
    /// Where a guest's thread is registered on its first turn, for LangGraph's API.
    threads: std::sync::OnceLock<agent_protocol::Api>,
    in_flight: InFlight,
    metrics: Arc<Metrics>,
    breaker: Option<(String, BreakerProbe)>,
    /// Where a turn that books schedules the booking's reminder.
    scheduler: Arc<Scheduler>,
}

impl Agent {
    /// Builds the graph with the configured model over the bookings, checkpoints and store
    /// in `storage`.
    pub(crate) fn open(
        config: &Config,
        storage: &Storage,
        catalog: Catalog,
        metrics: Arc<Metrics>,
        scheduler: Arc<Scheduler>,
    ) -> Result<Agent, Error> {
        let clock = config.hotel_today.map_or(Clock::System, Clock::Fixed);
        let store = Arc::clone(&storage.bookings);
        let checkpointer = Arc::clone(&storage.checkpointer);
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
            None => (HotelAgent::offline_on(Arc::clone(&store), clock), None),
            Some((model, probe)) => (
                HotelAgent::with_model_on(Arc::clone(&store), clock, model),
                Some(probe),
            ),
        };
        let mut agent = agent;
        agent.staff_hours = config.staff_hours;
        let graph = hotel_agent_graph(agent)
            .map_err(|e| Error::Startup(format!("the agent graph: {e}")))?
            .with_checkpointer(Arc::clone(&checkpointer))
            // Guests remembered across threads and channels, in the same database.
            .with_store(Arc::clone(&storage.store));
        Ok(Agent {
            graph,
            checkpointer,
            memory: Arc::clone(&storage.store),
            store,
            catalog,
            clock,
            locks: Arc::new(ThreadLocks::new()),
            threads: std::sync::OnceLock::new(),
            in_flight: InFlight::default(),
            metrics,
            breaker,
            scheduler,
        })
    }

    /// Today, as the agent's rules see it (`HOTEL_TODAY` or the system date).
    pub(crate) fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The scheduler turns plan reminders on.
    pub(crate) fn scheduler(&self) -> Arc<Scheduler> {
        Arc::clone(&self.scheduler)
    }

    /// Schedules the reminders of the bookings `turn` of `channel`/`user` made or moved.
    /// Idempotent, so a turn that failed here is answered again (from its checkpoint) and
    /// schedules them then.
    async fn plan_reminders(
        &self,
        (channel, user): (&str, &str),
        turn: &TurnOutcome,
    ) -> Result<(), Error> {
        for reference in &turn.booked {
            crate::sched::plan_pre_arrival(
                &*self.store,
                &self.scheduler,
                (channel, user),
                reference,
                turn.language,
            )
            .await?;
        }
        Ok(())
    }

    /// The compiled graph, for drawing and reading state.
    pub(crate) fn graph(&self) -> &CompiledGraph<Conversation> {
        &self.graph
    }

    /// The checkpointer the graph's threads live in.
    pub(crate) fn checkpointer(&self) -> &Arc<dyn Checkpointer> {
        &self.checkpointer
    }

    /// The long-term store the graph remembers guests in.
    pub(crate) fn long_term_store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.memory)
    }

    /// The per-thread locks turns take, to share with other runners of the same threads.
    pub(crate) fn locks(&self) -> Arc<ThreadLocks> {
        Arc::clone(&self.locks)
    }

    /// Registers each guest's thread with LangGraph's API on its first turn, so SDK clients
    /// can find the conversation (metadata `channel` and `user`).
    pub(crate) fn register_threads_with(&self, api: agent_protocol::Api) {
        let _ = self.threads.set(api);
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

    /// Answers `message`. `message_id` makes the turn happen once: when the thread's latest
    /// checkpoint already belongs to it (the process stopped after or during the run, before
    /// the reply was stored), the finished run's reply is returned or the interrupted run is
    /// resumed instead of running the message again.
    ///
    /// The turn runs to its end in a task of its own even if this future is dropped, and the
    /// thread's next turn starts only after it and every write it queued (see the module doc).
    ///
    /// With `hold`, the thread is also held in the database for the turn, so that no other
    /// replica runs one on it meanwhile (the inbox's turns need none: they hold the guest's
    /// lease already).
    pub(crate) async fn turn(
        self: &Arc<Self>,
        message: Message,
        hold: Option<Hold>,
    ) -> Result<TurnOutcome, Error> {
        let (channel, user) = (message.channel.clone(), message.user.clone());
        let turn = self
            .exclusive(
                channel.clone(),
                user.clone(),
                hold,
                move |agent, thread| async move { agent.run_turn(thread, &message).await },
            )
            .await?;
        self.plan_reminders((&channel, &user), &turn).await?;
        Ok(turn)
    }

    /// Runs `run` on the thread of `user` on `channel` alone: held across replicas with
    /// `hold`, then under this process's lock, to its end in a task of its own even if this
    /// future is dropped, and with every write it queued landed before the thread's next.
    pub(crate) async fn exclusive<T, F, Fut>(
        self: &Arc<Self>,
        channel: String,
        user: String,
        hold: Option<Hold>,
        run: F,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Agent>, String) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, graph_core::Error>> + Send,
    {
        let agent = Arc::clone(self);
        let counted = self.in_flight.enter();
        let task = tokio::spawn(
            async move {
                let _counted = counted;
                let thread = thread_id(&channel, &user);
                // Across replicas first, then in this process: the order every runner of a
                // thread takes them in, so none waits for the other's.
                let _held = match &hold {
                    Some(hold) => {
                        let held = hold.take(&channel, &user, HOLD_WAIT).await?;
                        Some(held.ok_or_else(|| Error::ThreadBusy {
                            thread: thread.clone(),
                        })?)
                    }
                    None => None,
                };
                let _exclusive = agent.locks.lock(&thread).await;
                let result = run(Arc::clone(&agent), thread).await;
                agent.settle().await;
                result.map_err(Error::Agent)
            }
            .in_current_span(),
        );
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only the runtime shutting down cancels the task.
            Err(_) => Err(Error::TurnStopped),
        }
    }

    /// Waits until no turn is under way, for shutdown.
    pub(crate) async fn idle(&self) {
        self.in_flight.idle().await;
    }

    /// Waits until every checkpoint write queued so far has ended, including one a run queued
    /// and stopped waiting for (a node attempt cut off by its timeout drops its write's future,
    /// not the write).
    async fn settle(&self) {
        if let Err(e) = self.checkpointer.barrier().await {
            tracing::error!(error = %e, "waiting for the turn's checkpoint writes");
        }
    }

    /// The turn itself, under the thread's lock.
    async fn run_turn(
        &self,
        thread: String,
        message: &Message,
    ) -> Result<TurnOutcome, graph_core::Error> {
        let Message {
            channel,
            user,
            text,
            message_id,
            correlation,
        } = message;
        let message_id = message_id.as_str();
        // Async: a turn's supersteps share commits; the run returns (and the reply goes to the
        // outbox) only once every checkpoint of the turn is stored.
        let config = RunConfig::thread(thread.clone())
            .durability(graph_core::Durability::Async)
            .metadata("message_id", message_id)
            .metadata("correlation", correlation.as_str());
        // The head's metadata alone says whether this message already ran: a turn pays for
        // reading the whole state (which grows with the conversation) only to reuse a reply.
        let head = self
            .checkpointer
            .list(
                &thread.as_str().into(),
                &graph_core::Namespace::root(),
                &graph_core::HistoryQuery {
                    limit: Some(1),
                    ..graph_core::HistoryQuery::default()
                },
            )
            .await
            .map_err(|source| graph_core::Error::Storage {
                thread: thread.as_str().into(),
                source,
            })?;
        let head = head.first();
        if head.is_none()
            && let Some(api) = self.threads.get()
        {
            let mut metadata = serde_json::Map::new();
            metadata.insert("channel".into(), channel.as_str().into());
            metadata.insert("user".into(), user.as_str().into());
            if let Err(e) = api.register_thread(&thread, HOTEL_GRAPH, metadata).await {
                tracing::error!(error = %e, thread, "registering the thread with the API");
            }
        }
        let seen = head
            .and_then(|c| c.metadata.get("message_id"))
            .and_then(|v| v.as_str())
            == Some(message_id);
        let started = Instant::now();
        let result = if seen && head.is_some_and(|h| h.next.is_empty()) {
            tracing::info!(thread, message_id, "turn already ran; reusing its reply");
            let latest = self
                .graph
                .get_state(&RunConfig::thread(thread.clone()))
                .await?;
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

fn outcome(thread_id: String, state: &Conversation, nodes: Vec<String>) -> TurnOutcome {
    let booked = state
        .tool_results
        .iter()
        .filter(|r| !r.is_error && (r.name == BOOK_TOOL || r.name == RESCHEDULE_TOOL))
        .filter_map(|r| r.output.get("reference")?.as_str().map(str::to_owned))
        .collect();
    TurnOutcome {
        thread_id,
        reply: state.reply.clone(),
        intent: state
            .understanding
            .as_ref()
            .and_then(|u| serde_json::to_value(u.intent).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        nodes,
        handoff: state.handoff,
        focus: state.focus.clone(),
        booked,
        language: state.language,
    }
}
