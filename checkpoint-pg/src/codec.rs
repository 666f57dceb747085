//! How records are laid out in their BYTEA columns: graph-core's shared encodings
//! (`graph_core::codec`), the same bytes the SQLite crate writes, and checkpoint ids as
//! Postgres BIGINTs. Values stay opaque bytes (not JSONB): they
//! round-trip byte for byte, and Postgres never parses them on the write path.

use graph_core::{CheckpointId, ThreadId};

use crate::error::Error;

pub(crate) use graph_core::codec::{
    decode_meta, decode_versions, encode_meta, encode_versions, unwrap, wrap,
};

/// A field version as this crate stores it (its field numbers are `i32`s).
pub(crate) type StoredVersion = graph_core::codec::StoredVersion<i32>;

/// A checkpoint id read from a BIGINT column (ids are stored from `u64`s below 2^63, so a
/// negative one means the row is damaged).
pub(crate) fn stored_id(thread: &ThreadId, raw: i64) -> Result<CheckpointId, Error> {
    u64::try_from(raw).map(CheckpointId).map_err(|_| {
        Error::Invalid(format!(
            "thread `{thread}`: a stored checkpoint id is negative ({raw}); the row is damaged"
        ))
    })
}

/// A checkpoint id as Postgres's signed BIGINT.
pub(crate) fn sql_id(thread: &ThreadId, id: CheckpointId) -> Result<i64, Error> {
    i64::try_from(id.0).map_err(|_| {
        Error::Invalid(format!(
            "thread `{thread}`: checkpoint id {id} does not fit Postgres's 63-bit BIGINT"
        ))
    })
}
