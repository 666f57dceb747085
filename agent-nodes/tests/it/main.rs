//! Tests of agent-nodes through its public API.
