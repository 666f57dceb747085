//! checkpoint: the durable SQLite implementation of graph-core's `Checkpointer`. Not built yet:
//! it is the subject of the next issue.
