//! How records are laid out in their BLOB columns: graph-core's shared encodings
//! (`graph_core::codec`: a format byte in front of every BLOB, the compact metadata, the field
//! versions), and checkpoint ids as SQLite integers.

use graph_core::{CheckpointId, ThreadId};

use crate::error::Error;

pub(crate) use graph_core::codec::{
    decode_meta, decode_versions, encode_meta, encode_versions, unwrap, wrap,
};

/// A field version as this crate stores it (its field numbers are `i64`s).
pub(crate) type StoredVersion = graph_core::codec::StoredVersion<i64>;

/// A checkpoint id read from an INTEGER column (ids are stored from `u64`s below 2^63, so a
/// negative one means the row is damaged).
pub(crate) fn stored_id(thread: &ThreadId, raw: i64) -> Result<CheckpointId, Error> {
    u64::try_from(raw).map(CheckpointId).map_err(|_| {
        Error::Invalid(format!(
            "thread `{thread}`: a stored checkpoint id is negative ({raw}); the row is damaged"
        ))
    })
}
