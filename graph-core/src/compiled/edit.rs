//! Editing a thread from outside: `update_state`, `bulk_update_state`, and a [`Command`] as
//! input (`invoke_command`).

use std::sync::Arc;

use crate::config::{Resume, RunConfig};
use crate::edit::UpdateTarget;
use crate::error::Result;
use crate::ids::CheckpointId;
use crate::node::Command;
use crate::outcome::RunOutput;
use crate::run::Run;
use crate::state::State;

use super::CompiledGraph;

impl<S: State> CompiledGraph<S> {
    /// Writes `update` in a new checkpoint after the latest one (or after the one `config`
    /// names: a fork), as `as_node` says ([`UpdateTarget`]): as a node (reducers apply, and the
    /// next superstep follows that node's edges), as the node that wrote the base checkpoint
    /// (`None`), as input (`"__input__"`), as the end (`"__end__"`), or a copy (`"__copy__"`).
    /// Returns the new checkpoint's id. Nothing runs: continue with
    /// [`CompiledGraph::resume`] and [`Resume::Continue`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, InMemoryCheckpointer, Resume, RunConfig, START, State, StateGraph, UpdateTarget};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Doc {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Doc>::new();
    /// graph.add_node("a", |_s: Arc<Doc>, _ctx: Ctx| async { Ok(DocUpdate::default().log(vec!["a".into()])) });
    /// graph.add_edge(START, "a");
    /// let graph = graph.compile()?.with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    /// let cfg = RunConfig::thread("t");
    /// graph.invoke(DocUpdate::default(), &cfg).await?;
    ///
    /// // As new input: the graph starts again from START when resumed.
    /// graph.update_state(&cfg, DocUpdate::default().log(vec!["again".into()]), UpdateTarget::Input).await?;
    /// assert_eq!(graph.get_state(&cfg).await?.next, ["a"]);
    /// let out = graph.resume(&cfg, Resume::Continue).await?;
    /// assert_eq!(out.state.log, ["a", "again", "a"]);
    /// # Ok(()) }
    /// ```
    pub async fn update_state(
        &self,
        config: &RunConfig,
        update: S::Update,
        as_node: impl Into<UpdateTarget>,
    ) -> Result<CheckpointId> {
        self.bulk_update_state(config, vec![vec![(update, as_node.into())]])
            .await
    }

    /// Applies `supersteps` of updates, one checkpoint per superstep, each the next one's base
    /// (LangGraph's `bulk_update_state`). The updates of one superstep apply together, like
    /// the tasks of a superstep: in order, through the reducers, and two writes of a field
    /// without a reducer are an [`crate::Error::Conflict`]; the next superstep follows all their
    /// nodes' edges. [`UpdateTarget::Input`], [`UpdateTarget::End`] and [`UpdateTarget::Copy`]
    /// must each be alone in their superstep. Returns the last checkpoint's id. An error stops
    /// at the superstep that failed: the checkpoints of the supersteps before it stay written.
    pub async fn bulk_update_state(
        &self,
        config: &RunConfig,
        supersteps: Vec<Vec<(S::Update, UpdateTarget)>>,
    ) -> Result<CheckpointId> {
        let (plan, persistence) = (Arc::clone(&self.plan), self.persistence.clone());
        Run::update_state(plan, persistence, config, supersteps).await
    }

    /// Starts or continues the thread with a [`Command`] as input (LangGraph's
    /// `invoke(Command(update=, goto=))`): `update` goes through the reducers as input, and the
    /// nodes of `goto` run in the next superstep besides what the thread had planned (on a new
    /// thread, instead of START's edges). Then the run goes on as [`CompiledGraph::resume`]
    /// does. The command is written as a checkpoint of its own first (an `update` checkpoint, or
    /// `input` on a new thread), where LangGraph stores it as pending writes.
    ///
    /// Refused: an empty command, [`Command::parent`], a `goto` with a
    /// [`crate::Push`], and a thread whose latest superstep is part-done (a pending interrupt,
    /// a failure, finished tasks): answer it with [`CompiledGraph::resume`] first, since the
    /// command's checkpoint would drop what those tasks saved.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Command, Ctx, InMemoryCheckpointer, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Doc {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Doc>::new();
    /// for name in ["a", "b"] {
    ///     graph.add_node(name, move |_s: Arc<Doc>, _ctx: Ctx| async move {
    ///         Ok(DocUpdate::default().log(vec![name.to_owned()]))
    ///     });
    /// }
    /// graph.add_edge(START, "a").add_edge("a", "b");
    /// let graph = graph.compile()?.with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    /// let cfg = RunConfig::thread("t");
    /// // On a new thread, `goto` replaces START's edges: `a` does not run.
    /// let command = Command::update(DocUpdate::default().log(vec!["hi".into()])).and_goto("b");
    /// let out = graph.invoke_command(command, &cfg).await?;
    /// assert_eq!(out.state.log, ["hi", "b"]);
    /// assert_eq!(out.executed, ["b"]);
    /// # Ok(()) }
    /// ```
    pub async fn invoke_command(
        &self,
        command: Command<S>,
        config: &RunConfig,
    ) -> Result<RunOutput<S>> {
        let id = self.write_command(command, config).await?;
        self.resume(&config.clone().at(id), Resume::Continue).await
    }

    /// The first half of [`CompiledGraph::invoke_command`]: writes the command's checkpoint and
    /// returns its id, running nothing. Continue from it with [`Resume::Continue`] at that id
    /// ([`RunConfig::at`]), streamed or not; refused as `invoke_command` refuses.
    pub async fn write_command(
        &self,
        command: Command<S>,
        config: &RunConfig,
    ) -> Result<CheckpointId> {
        let (plan, persistence) = (Arc::clone(&self.plan), self.persistence.clone());
        Run::command(plan, persistence, config, command).await
    }
}
