//! [`Handoffs`]: the conversations a person was asked to take over (`sv_handoffs`), for the
//! staff's list and the guest's channel rules. The graph's interrupt decides whether the agent
//! answers; this table is what staff search, and when the guest last wrote.

use async_trait::async_trait;

use crate::Error;

/// One handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handoff {
    pub(crate) id: i64,
    /// The guest's channel (`instagram`, `whatsapp`, `web`).
    pub(crate) channel: String,
    pub(crate) user: String,
    /// Why (`hotel_agent::HandoffReason`'s name).
    pub(crate) reason: String,
    pub(crate) opened_ms: i64,
    /// When the guest last wrote (the opening message, or one since): the channels' windows
    /// for replies count from it.
    pub(crate) last_guest_ms: i64,
    /// How it ended; `None` while open.
    pub(crate) closed: Option<Closed>,
}

/// How a handoff ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Closed {
    pub(crate) at_ms: i64,
    /// Who handed the conversation back.
    pub(crate) by: String,
    pub(crate) note: Option<String>,
}

/// Which handoffs a search returns, newest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandoffQuery {
    /// Only open ones (`Some(true)`), only closed ones (`Some(false)`), or all.
    pub(crate) open: Option<bool>,
    /// Only guests whose id contains this.
    pub(crate) guest: Option<String>,
    /// Only this channel.
    pub(crate) channel: Option<String>,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

/// The handoffs' table.
#[async_trait]
pub(crate) trait Handoffs: Send + Sync + 'static {
    /// Opens a handoff for the guest unless one is open already; its id and whether it is
    /// new.
    async fn open_handoff(
        &self,
        channel: &str,
        user: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<(i64, bool), Error>;

    /// Records that the guest wrote at `now_ms`, on their open handoff (if any); whether they
    /// have one.
    async fn guest_wrote(&self, channel: &str, user: &str, now_ms: i64) -> Result<bool, Error>;

    /// The handoffs `query` selects, newest first.
    async fn handoffs(&self, query: &HandoffQuery) -> Result<Vec<Handoff>, Error>;

    /// One handoff.
    async fn handoff(&self, id: i64) -> Result<Option<Handoff>, Error>;

    /// Closes handoff `id` if it is open; whether it was.
    async fn close_handoff(
        &self,
        id: i64,
        by: &str,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, Error>;
}

/// The columns every read selects, in [`Handoff`]'s order.
pub(super) const COLUMNS: &str =
    "id, channel, user_id, reason, opened_ms, last_guest_ms, closed_ms, closed_by, note";

/// A handoff read from a row of [`COLUMNS`], whichever the engine.
pub(super) fn handoff_from<R: super::ReadRow>(r: &R) -> Result<Handoff, R::Error> {
    Ok(Handoff {
        id: r.int(0)?,
        channel: r.text(1)?,
        user: r.text(2)?,
        reason: r.text(3)?,
        opened_ms: r.int(4)?,
        last_guest_ms: r.int(5)?,
        closed: match r.optional_int(6)? {
            Some(at_ms) => Some(Closed {
                at_ms,
                by: r.optional_text(7)?.unwrap_or_default(),
                note: r.optional_text(8)?,
            }),
            None => None,
        },
    })
}

/// A `LIKE` pattern matching values that contain `text` literally (`%`, `_` and `\` escaped).
pub(super) fn contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
