//! [`UpdateTarget`]: as what `update_state` applies an update, LangGraph's `as_node`, its
//! special names (`__input__`, `__end__`, `__copy__`) as variants instead of strings.

use crate::ids::NodeId;

/// As what [`crate::CompiledGraph::update_state`] and
/// [`crate::CompiledGraph::bulk_update_state`] apply an update (LangGraph's `as_node`).
///
/// Converts from a node name (`"b"`; LangGraph's special names `"__input__"`, `"__end__"` and
/// `"__copy__"` give [`UpdateTarget::Input`], [`UpdateTarget::End`] and [`UpdateTarget::Copy`],
/// so a name read from a request maps as LangGraph maps it) and from an `Option<&str>` (`None`:
/// [`UpdateTarget::LastWriter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum UpdateTarget {
    /// The node that wrote the base checkpoint, if exactly one did (LangGraph's `as_node=None`);
    /// otherwise the update is refused as ambiguous.
    #[default]
    LastWriter,
    /// As if this node had returned the update: reducers apply, and the next superstep follows
    /// the node's edges (its pending task, if planned, counts as done). A new `update`
    /// checkpoint, one superstep after its base.
    Node(NodeId),
    /// As new input (`__input__`): what was planned or waiting is dropped, the update goes
    /// through the reducers, and the graph then starts from START, as
    /// [`crate::CompiledGraph::invoke`] would: resume with [`crate::Resume::Continue`] to run
    /// it. An `input` checkpoint, one superstep after its base (superstep -1 on an empty thread).
    Input,
    /// As if the graph had ended (`__end__`): the update (empty is fine) goes through the
    /// reducers and nothing is planned any more: no next nodes, no waiting deferred node or
    /// join. An `update` checkpoint. Writes that tasks of the dropped superstep saved (finished
    /// siblings of an interrupted task) are dropped with it; LangGraph applies finished ones.
    End,
    /// A copy of the base checkpoint, unchanged (`__copy__`): the same values and next nodes,
    /// without its pending writes, as a `fork` checkpoint: a branch to run or edit without
    /// touching the original. The update must be empty. The copy is a child of the checkpoint it
    /// copies at the same superstep, as this crate's replays fork (LangGraph makes it a sibling,
    /// a child of the copied one's parent, one superstep later).
    Copy,
}

impl UpdateTarget {
    /// The target LangGraph's `as_node` string names.
    pub fn parse(name: &str) -> Self {
        match name {
            "__input__" => UpdateTarget::Input,
            "__end__" => UpdateTarget::End,
            "__copy__" => UpdateTarget::Copy,
            node => UpdateTarget::Node(NodeId::from(node)),
        }
    }

    /// Whether the target must be alone in its superstep of a bulk update.
    pub(crate) fn is_special(&self) -> bool {
        matches!(
            self,
            UpdateTarget::Input | UpdateTarget::End | UpdateTarget::Copy
        )
    }
}

impl From<&str> for UpdateTarget {
    fn from(name: &str) -> Self {
        UpdateTarget::parse(name)
    }
}

impl From<Option<&str>> for UpdateTarget {
    fn from(name: Option<&str>) -> Self {
        name.map_or(UpdateTarget::LastWriter, UpdateTarget::parse)
    }
}

impl From<NodeId> for UpdateTarget {
    fn from(node: NodeId) -> Self {
        UpdateTarget::Node(node)
    }
}
