//! How records are laid out in their BYTEA columns: the same encodings as the SQLite crate's
//! (`checkpoint/src/codec.rs`). Every BYTEA this crate writes starts with a format byte, so a
//! later version can change an encoding and still read old rows, and a row from an unknown
//! future format is reported instead of misread. Values stay opaque bytes (not JSONB): they
//! round-trip byte for byte, and Postgres never parses them on the write path.

use graph_core::{
    Breakpoint, CheckpointId, CheckpointMeta, Metadata, Namespace, NodeId, Source, ThreadId,
};

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// The format byte of everything written by this version.
pub(crate) const FORMAT: u8 = 1;

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

/// `bytes` behind the format byte.
pub(crate) fn wrap(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.push(FORMAT);
    out.extend_from_slice(bytes);
    out
}

/// The payload of a BYTEA written by [`wrap`].
pub(crate) fn unwrap(blob: &[u8]) -> Result<&[u8], String> {
    match blob.split_first() {
        Some((&FORMAT, rest)) => Ok(rest),
        Some((other, _)) => Err(format!(
            "unknown format byte {other} (this build reads format {FORMAT})"
        )),
        None => Err("empty BYTEA (no format byte)".into()),
    }
}

// Short keys: the metadata row is written once per superstep and read by every history
// listing, so its size is the per-step storage floor.
#[derive(Serialize)]
struct MetaOut<'a> {
    #[serde(rename = "s")]
    step: i64,
    #[serde(rename = "o")]
    source: Source,
    #[serde(rename = "t")]
    created_at_ms: u64,
    #[serde(rename = "p", skip_serializing_if = "Option::is_none")]
    parent: Option<u64>,
    #[serde(rename = "n", skip_serializing_if = "<[_]>::is_empty")]
    next: &'a [NodeId],
    #[serde(rename = "w", skip_serializing_if = "<[_]>::is_empty")]
    writers: &'a [NodeId],
    #[serde(rename = "b", skip_serializing_if = "Option::is_none")]
    breakpoint: Option<Breakpoint>,
    #[serde(rename = "m", skip_serializing_if = "Metadata::is_empty")]
    metadata: &'a Metadata,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaIn {
    #[serde(rename = "s")]
    step: i64,
    #[serde(rename = "o")]
    source: Source,
    #[serde(rename = "t")]
    created_at_ms: u64,
    #[serde(rename = "p", default)]
    parent: Option<u64>,
    #[serde(rename = "n", default)]
    next: Vec<NodeId>,
    #[serde(rename = "w", default)]
    writers: Vec<NodeId>,
    #[serde(rename = "b", default)]
    breakpoint: Option<Breakpoint>,
    #[serde(rename = "m", default)]
    metadata: Metadata,
}

/// Everything in a [`CheckpointMeta`] except its thread, namespace and id (which are columns).
pub(crate) fn encode_meta(meta: &CheckpointMeta) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = vec![FORMAT];
    serde_json::to_writer(
        &mut out,
        &MetaOut {
            step: meta.step,
            source: meta.source,
            created_at_ms: meta.created_at_ms,
            parent: meta.parent.map(|p| p.0),
            next: &meta.next,
            writers: &meta.writers,
            breakpoint: meta.breakpoint,
            metadata: &meta.metadata,
        },
    )?;
    Ok(out)
}

pub(crate) fn decode_meta(
    thread: &ThreadId,
    ns: &Namespace,
    id: CheckpointId,
    blob: &[u8],
) -> Result<CheckpointMeta, String> {
    let meta: MetaIn = serde_json::from_slice(unwrap(blob)?)
        .map_err(|e| format!("checkpoint metadata does not decode: {e}"))?;
    Ok(CheckpointMeta {
        thread: thread.clone(),
        ns: ns.clone(),
        id,
        parent: meta.parent.map(CheckpointId),
        step: meta.step,
        source: meta.source,
        created_at_ms: meta.created_at_ms,
        next: meta.next,
        writers: meta.writers,
        breakpoint: meta.breakpoint,
        metadata: meta.metadata,
    })
}

/// A field version as stored: the field's number in the `gc_fields` table, the version and the
/// delta depth.
pub(crate) type StoredVersion = (i32, u64, u32);

pub(crate) fn encode_versions(versions: &[StoredVersion]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = vec![FORMAT];
    serde_json::to_writer(&mut out, versions)?;
    Ok(out)
}

pub(crate) fn decode_versions(blob: &[u8]) -> Result<Vec<StoredVersion>, String> {
    serde_json::from_slice(unwrap(blob)?).map_err(|e| format!("field versions do not decode: {e}"))
}
