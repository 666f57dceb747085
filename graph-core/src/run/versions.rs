//! Where each field's latest value is stored ([`Version`]) and how a stored value relates to its
//! snapshot ([`Lineage`]), which decides whether the next write of an append-style field is a
//! delta or a new snapshot.

use crate::ids::CheckpointId;

/// How a stored value of a field relates to its latest snapshot. It decides whether the next
/// write of an append-style field is a delta or a new snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lineage {
    /// Deltas since the snapshot.
    pub(super) depth: u32,
    /// Bytes of the snapshot.
    pub(super) base: u64,
    /// Bytes of the deltas since it.
    pub(super) chain: u64,
}

impl Lineage {
    pub(super) fn snapshot(bytes: usize) -> Self {
        Self {
            depth: 0,
            base: bytes as u64,
            chain: 0,
        }
    }

    /// The lineage after one more delta of `bytes`, if it may be a delta. A chain may hold no
    /// more bytes than its snapshot: reading a value then costs at most twice its size, and
    /// since each snapshot follows at least its own size in deltas, snapshots add at most the
    /// size of the updates to what a thread stores. So a superstep costs O(its update) however
    /// long the thread grows (fixed-interval snapshots would cost O(state) every N steps).
    pub(super) fn extend(self, bytes: usize, max_depth: u32) -> Option<Self> {
        let chain = self.chain.saturating_add(bytes as u64);
        // `depth` may come from storage, so it is not trusted not to overflow.
        let depth = self.depth.checked_add(1)?;
        (depth < max_depth && chain <= self.base).then_some(Self {
            depth,
            base: self.base,
            chain,
        })
    }
}

/// The largest snapshot a run remembers to compare the field's next write with
/// (`Run::stored_small`): most fields a node resets each turn are a few bytes.
pub(super) const SMALL: usize = 256;

/// Where a field's current value lives.
#[derive(Debug, Clone, Copy)]
pub(super) struct Version {
    pub(super) id: CheckpointId,
    pub(super) lineage: Lineage,
    /// Whether the value at `id` is in storage (always, except with `Durability::Exit`).
    pub(super) stored: bool,
}
