//! The history API with values: LangGraph's `get_state_history`, a page of [`StateSnapshot`]s.

use std::sync::Arc;

use crate::checkpoint::HistoryQuery;
use crate::config::RunConfig;
use crate::error::Result;
use crate::outcome::StateSnapshot;
use crate::run::Run;
use crate::state::State;

use super::CompiledGraph;

impl<S: State> CompiledGraph<S> {
    /// A page of the thread's history with values (LangGraph's `get_state_history`): the
    /// checkpoints [`CompiledGraph::get_state_history`] lists for `query` (newest first; `limit`,
    /// `before` as the cursor of the next page, `filter`), each as [`CompiledGraph::get_state`]
    /// reads it: values, next, metadata, time, parent, tasks with their saved errors and
    /// interrupts. Subgraph states are not read ([`crate::StateOptions::subgraphs`] costs a read
    /// per task); ask [`CompiledGraph::get_state_with`] for one checkpoint's.
    ///
    /// A page is one [`crate::Checkpointer::history`] call, which the in-memory and SQLite
    /// checkpointers answer in a fixed number of reads whatever the page size. Root graph only.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, HistoryQuery, InMemoryCheckpointer, RunConfig, START, State, StateGraph};
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
    /// graph.invoke(DocUpdate::default(), &cfg).await?;
    ///
    /// let first = HistoryQuery { limit: Some(2), ..HistoryQuery::default() };
    /// let page = graph.get_state_history_values(&cfg, &first).await?;
    /// assert_eq!(page[0].values.log, ["a", "b"]);
    /// assert_eq!(page[1].values.log, ["a"]);
    /// assert_eq!(page[1].next, ["b"]);
    /// let cursor = page[1].checkpoint.as_ref().map(|c| c.id);
    /// let next = HistoryQuery { before: cursor, ..first };
    /// let older = graph.get_state_history_values(&cfg, &next).await?;
    /// assert_eq!(older.len(), 1); // the input checkpoint
    /// assert!(older[0].values.log.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn get_state_history_values(
        &self,
        config: &RunConfig,
        query: &HistoryQuery,
    ) -> Result<Vec<StateSnapshot<S>>> {
        Run::history(
            Arc::clone(&self.plan),
            self.persistence.clone(),
            config,
            query,
        )
        .await
    }
}
