//! The stored encodings every durable checkpointer shares (SQLite's `checkpoint`, Postgres's
//! `checkpoint-pg`): a format byte in front of every record, so a later version can change an
//! encoding and still read old rows, and a row from an unknown future format is reported
//! instead of misread; the compact encoding of a checkpoint's metadata; and its field
//! versions. One definition, so both backends write the same bytes.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Breakpoint, CheckpointMeta, Metadata, Source};
use crate::ids::{CheckpointId, Namespace, NodeId, ThreadId};

/// The format byte of everything written by this version.
pub const FORMAT: u8 = 1;

/// `bytes` behind the format byte.
pub fn wrap(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.push(FORMAT);
    out.extend_from_slice(bytes);
    out
}

/// The payload of a stored record written by [`wrap`].
pub fn unwrap(blob: &[u8]) -> Result<&[u8], String> {
    match blob.split_first() {
        Some((&FORMAT, rest)) => Ok(rest),
        Some((other, _)) => Err(format!(
            "unknown format byte {other} (this build reads format {FORMAT})"
        )),
        None => Err("empty BLOB (no format byte)".into()),
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
pub fn encode_meta(meta: &CheckpointMeta) -> Result<Vec<u8>, serde_json::Error> {
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

/// A checkpoint's metadata read back from what [`encode_meta`] wrote, with the thread,
/// namespace and id its row keys it by.
pub fn decode_meta(
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

/// A field version as stored: the field's number in the backend's `gc_fields` table (of the
/// integer type its column has), the version and the delta depth.
pub type StoredVersion<F = i64> = (F, u64, u32);

/// Field versions behind the format byte.
pub fn encode_versions<F: Serialize>(
    versions: &[StoredVersion<F>],
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = vec![FORMAT];
    serde_json::to_writer(&mut out, versions)?;
    Ok(out)
}

/// Field versions read back from what [`encode_versions`] wrote.
pub fn decode_versions<F: serde::de::DeserializeOwned>(
    blob: &[u8],
) -> Result<Vec<StoredVersion<F>>, String> {
    serde_json::from_slice(unwrap(blob)?).map_err(|e| format!("field versions do not decode: {e}"))
}
