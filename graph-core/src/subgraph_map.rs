//! [`SubgraphMap`]: how a subgraph with a state type of its own sits in its parent — what it
//! starts from, what it hands back, and what a `Command::parent` of its nodes writes.

use std::fmt;
use std::sync::Arc;

use crate::config::SubgraphPersistence;
use crate::state::State;

type InputFn<P, C> = Arc<dyn Fn(&P) -> <C as State>::Update + Send + Sync>;
type OutputFn<P, C> = Arc<dyn Fn(&C) -> <P as State>::Update + Send + Sync>;
type ParentUpdateFn<P, C> = Arc<dyn Fn(<C as State>::Update) -> <P as State>::Update + Send + Sync>;

/// How a subgraph of state `C` runs as a node of a graph of state `P`
/// ([`crate::StateGraph::add_subgraph_mapped`]): `input` makes the subgraph's input from the
/// parent's state (applied to `C::default()` through `C`'s reducers), and `output` turns the
/// subgraph's final state into the parent task's update.
///
/// A node inside the subgraph that sends [`crate::Command::parent`] ends the subgraph and writes
/// its command's update to the parent, and that update is of the subgraph's type: without
/// [`SubgraphMap::parent_update`] a command with a non-empty update fails the task
/// ([`crate::Error::UnmappedParentUpdate`]); one with only destinations routes the parent.
///
/// ```
/// use std::sync::Arc;
/// use graph_core::{Ctx, RunConfig, START, State, StateGraph, SubgraphMap};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Order {
///     total: u32,
///     #[state(append)]
///     log: Vec<String>,
/// }
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Payment {
///     amount: u32,
///     receipt: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut pay = StateGraph::<Payment>::new();
/// pay.add_node("charge", |s: Arc<Payment>, _ctx: Ctx| async move {
///     Ok(PaymentUpdate::default().receipt(format!("charged {}", s.amount)))
/// });
/// pay.add_edge(START, "charge");
///
/// let mut order = StateGraph::<Order>::new();
/// order.add_subgraph_mapped(
///     "pay",
///     pay.compile()?,
///     SubgraphMap::new(
///         |o: &Order| PaymentUpdate::default().amount(o.total),
///         |p: &Payment| OrderUpdate::default().log(vec![p.receipt.clone()]),
///     ),
/// );
/// order.add_edge(START, "pay");
/// let out = order.compile()?.invoke(OrderUpdate::default().total(120u32), &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.log, ["charged 120"]);
/// # Ok(()) }
/// ```
pub struct SubgraphMap<P: State, C: State> {
    pub(crate) input: InputFn<P, C>,
    pub(crate) output: OutputFn<P, C>,
    pub(crate) parent_update: Option<ParentUpdateFn<P, C>>,
    pub(crate) persistence: SubgraphPersistence,
}

impl<P: State, C: State> SubgraphMap<P, C> {
    /// A mapping from the parent's state to the subgraph's input, and from the subgraph's final
    /// state to the parent task's update.
    pub fn new(
        input: impl Fn(&P) -> C::Update + Send + Sync + 'static,
        output: impl Fn(&C) -> P::Update + Send + Sync + 'static,
    ) -> Self {
        Self {
            input: Arc::new(input),
            output: Arc::new(output),
            parent_update: None,
            persistence: SubgraphPersistence::Inherit,
        }
    }

    /// Maps the update of a [`crate::Command::parent`] sent by a node inside the subgraph to
    /// the parent's update type.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Command, Ctx, NodeError, RunConfig, START, State, StateGraph, SubgraphMap};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Desk {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Triage {
    ///     note: String,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut triage = StateGraph::<Triage>::new();
    /// triage.add_node("escalate", |_s: Arc<Triage>, _ctx: Ctx| async {
    ///     Ok::<_, NodeError>(Command::parent("human", TriageUpdate::default().note("urgent")))
    /// });
    /// triage.add_edge(START, "escalate");
    ///
    /// let mut desk = StateGraph::<Desk>::new();
    /// let map = SubgraphMap::new(|_d: &Desk| TriageUpdate::default(), |_t: &Triage| DeskUpdate::default())
    ///     .parent_update(|t: TriageUpdate| DeskUpdate::default().log(t.note.into_iter().collect::<Vec<_>>()));
    /// desk.add_subgraph_mapped("triage", triage.compile()?, map).destinations(["human"]);
    /// desk.add_node("human", |_s: Arc<Desk>, _ctx: Ctx| async {
    ///     Ok(DeskUpdate::default().log(vec!["human".to_owned()]))
    /// });
    /// desk.add_edge(START, "triage");
    /// let out = desk.compile()?.invoke(DeskUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["urgent", "human"]);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn parent_update(
        mut self,
        map: impl Fn(C::Update) -> P::Update + Send + Sync + 'static,
    ) -> Self {
        self.parent_update = Some(Arc::new(map));
        self
    }

    /// Whether the subgraph stores checkpoints ([`SubgraphPersistence`]; inherited by default).
    ///
    /// ```
    /// use graph_core::{State, SubgraphMap, SubgraphPersistence};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct A { x: u32 }
    /// #[derive(State, Clone, Default, Debug)]
    /// struct B { y: u32 }
    ///
    /// let map = SubgraphMap::new(|a: &A| BUpdate::default().y(a.x), |b: &B| AUpdate::default().x(b.y))
    ///     .persistence(SubgraphPersistence::Off);
    /// # let _ = map;
    /// ```
    #[must_use]
    pub fn persistence(mut self, persistence: SubgraphPersistence) -> Self {
        self.persistence = persistence;
        self
    }
}

impl<P: State, C: State> fmt::Debug for SubgraphMap<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubgraphMap")
            .field("parent_update", &self.parent_update.is_some())
            .field("persistence", &self.persistence)
            .finish_non_exhaustive()
    }
}
