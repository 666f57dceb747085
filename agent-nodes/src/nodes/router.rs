//! [`IntentRouter`]: understand the latest message, store the understanding, route on it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use graph_core::{Command, Ctx, Node, NodeError, NodeId, NodeResult, State, StateGraph};

use crate::nlu::{Intent, Understand, Understanding};

type Read<S> = Arc<dyn Fn(&S) -> Option<String> + Send + Sync>;
type Store<S> = Arc<dyn Fn(Understanding) -> <S as State>::Update + Send + Sync>;
type Today = Arc<dyn Fn() -> NaiveDate + Send + Sync>;

/// A node that understands the state's latest message and goes to the node mapped to its
/// intent. Below the confidence threshold, for an unmapped intent, or when there is no message,
/// it goes to the fallback node. It routes with a [`Command`], so add it with
/// [`IntentRouter::add_to`], which also declares its destinations for the drawn graph.
///
/// ```
/// use std::sync::Arc;
/// use agent_nodes::nlu::{Lexicon, Intent, OfflineNlu, Understanding};
/// use agent_nodes::nodes::IntentRouter;
/// use graph_core::{END, START, State, StateGraph};
///
/// #[derive(State, Clone, Default)]
/// struct Chat { message: String, understanding: Option<Understanding> }
///
/// let mut graph = StateGraph::<Chat>::new();
/// IntentRouter::new(
///     Arc::new(OfflineNlu::new(Lexicon::default())),
///     |s: &Chat| Some(s.message.clone()),
///     |u| ChatUpdate::default().understanding(Some(u)),
///     "answer",
/// )
/// .route(Intent::ReservationRequest, "book")
/// .add_to(&mut graph, "route");
/// # use graph_core::{Ctx, NodeError};
/// # graph.add_node("book", |_s: Arc<Chat>, _c: Ctx| async { Ok::<_, NodeError>(()) });
/// # graph.add_node("answer", |_s: Arc<Chat>, _c: Ctx| async { Ok::<_, NodeError>(()) });
/// graph.add_edge(START, "route").add_edge("book", END).add_edge("answer", END);
/// graph.compile().unwrap();
/// ```
pub struct IntentRouter<S: State> {
    understand: Arc<dyn Understand>,
    read: Read<S>,
    store: Store<S>,
    routes: Vec<(Intent, NodeId)>,
    fallback: NodeId,
    threshold: f32,
    today: Today,
}

impl<S: State> IntentRouter<S> {
    /// A router that understands `read(state)` with `understand`, stores the result with
    /// `store`, and goes to `fallback` unless a [`route`](Self::route) applies. Relative dates
    /// resolve against the system date unless [`today`](Self::today) says otherwise. The
    /// default threshold is 0.5.
    pub fn new(
        understand: Arc<dyn Understand>,
        read: impl Fn(&S) -> Option<String> + Send + Sync + 'static,
        store: impl Fn(Understanding) -> S::Update + Send + Sync + 'static,
        fallback: impl Into<NodeId>,
    ) -> Self {
        Self {
            understand,
            read: Arc::new(read),
            store: Arc::new(store),
            routes: Vec::new(),
            fallback: fallback.into(),
            threshold: 0.5,
            today: Arc::new(|| chrono::Local::now().date_naive()),
        }
    }

    /// Goes to `node` for `intent`.
    #[must_use]
    pub fn route(mut self, intent: Intent, node: impl Into<NodeId>) -> Self {
        self.routes.push((intent, node.into()));
        self
    }

    /// Routes on an intent only when its confidence is at least `threshold`.
    #[must_use]
    pub fn threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// Where "today" comes from, for relative dates (inject a fixed date in tests).
    #[must_use]
    pub fn today(mut self, today: impl Fn() -> NaiveDate + Send + Sync + 'static) -> Self {
        self.today = Arc::new(today);
        self
    }

    /// Adds the router to `graph` as `name`, declaring every route as a destination.
    pub fn add_to(self, graph: &mut StateGraph<S>, name: impl Into<NodeId>) {
        let mut destinations: Vec<NodeId> = self.routes.iter().map(|(_, n)| n.clone()).collect();
        destinations.push(self.fallback.clone());
        destinations.sort();
        destinations.dedup();
        graph.add_node_impl(name, self).destinations(destinations);
    }

    /// The node an understanding leads to (`None`: no message).
    pub fn target(&self, understanding: Option<&Understanding>) -> &NodeId {
        understanding
            .filter(|u| u.confidence >= self.threshold)
            .and_then(|u| self.routes.iter().find(|(i, _)| *i == u.intent))
            .map_or(&self.fallback, |(_, node)| node)
    }
}

#[async_trait]
impl<S: State> Node<S> for IntentRouter<S> {
    async fn run(&self, state: Arc<S>, _ctx: Ctx) -> NodeResult<S> {
        let Some(text) = (self.read)(&state).filter(|t| !t.trim().is_empty()) else {
            return Ok(Command::goto(self.target(None).clone()));
        };
        let understanding = self
            .understand
            .understand(&text, (self.today)())
            .await
            .map_err(NodeError::from)?;
        tracing::debug!(
            intent = ?understanding.intent,
            confidence = understanding.confidence,
            provider = %understanding.provider,
            "understood"
        );
        let target = self.target(Some(&understanding)).clone();
        Ok(Command::update((self.store)(understanding)).and_goto(target))
    }
}
