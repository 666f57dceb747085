//! [`ConsoleStore`]: what the staff console keeps beside the queues: staff accounts
//! (`sv_staff`, a password hash each) and their sessions (`sv_sessions`, the token's hash and
//! its expiry, in the database so every replica knows them), and the log of what guests wrote
//! (`sv_messages`), which the console's conversation list, its text search and its messages
//! per day read.

use async_trait::async_trait;

use crate::Error;

/// How a conversation stands, for the console's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConversationStatus {
    /// With the assistant, and the guest wrote within the last day.
    Active,
    /// A person has it (an open handoff).
    Handoff,
    /// With the assistant, and quiet for a day or more.
    Closed,
}

impl ConversationStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Active => "active",
            ConversationStatus::Handoff => "handoff",
            ConversationStatus::Closed => "closed",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<ConversationStatus> {
        [Self::Active, Self::Handoff, Self::Closed]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// Which conversations the console lists, newest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConversationQuery {
    /// Only this channel.
    pub(crate) channel: Option<String>,
    /// Only guests whose `channel:user` contains this (any case).
    pub(crate) guest: Option<String>,
    /// Only guests who wrote something containing this (any case).
    pub(crate) text: Option<String>,
    pub(crate) status: Option<ConversationStatus>,
    /// "Active" means a message after this.
    pub(crate) active_since_ms: i64,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

/// One guest's conversation, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConversationRow {
    pub(crate) channel: String,
    pub(crate) user: String,
    /// When the guest last wrote.
    pub(crate) last_ms: i64,
    /// How many messages the guest wrote.
    pub(crate) messages: i64,
    /// What the guest last wrote.
    pub(crate) last_text: String,
    /// The open handoff, if a person has the conversation.
    pub(crate) handoff: Option<i64>,
}

impl ConversationRow {
    /// Its status, "active" meaning a message after `active_since_ms`.
    pub(crate) fn status(&self, active_since_ms: i64) -> ConversationStatus {
        match self.handoff {
            Some(_) => ConversationStatus::Handoff,
            None if self.last_ms >= active_since_ms => ConversationStatus::Active,
            None => ConversationStatus::Closed,
        }
    }
}

/// Guest messages and handoffs opened on one day (days since the Unix epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct DayCounts {
    pub(crate) day: i64,
    pub(crate) messages: i64,
    pub(crate) handoffs: i64,
}

/// A day in milliseconds: what the per-day counts divide times by.
pub(crate) const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The console's tables.
#[async_trait]
pub(crate) trait ConsoleStore: Send + Sync + 'static {
    /// Adds staff member `name` with password hash `hash`; false when the name is taken.
    async fn add_staff(&self, name: &str, hash: &str, now_ms: i64) -> Result<bool, Error>;

    /// The password hash of staff member `name`, if there is one.
    async fn staff_hash(&self, name: &str) -> Result<Option<String>, Error>;

    /// Stores a session of `name` under `token_hash` until `expires_ms` (and forgets the
    /// sessions expired by `now_ms`).
    async fn open_session(
        &self,
        token_hash: &str,
        name: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), Error>;

    /// The staff member whose unexpired session `token_hash` is.
    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<String>, Error>;

    /// Ends session `token_hash`.
    async fn close_session(&self, token_hash: &str) -> Result<(), Error>;

    /// Records that a guest wrote `text` at `at_ms`.
    async fn guest_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        at_ms: i64,
    ) -> Result<(), Error>;

    /// When the guest last wrote, if ever.
    async fn last_guest_message(&self, channel: &str, user: &str) -> Result<Option<i64>, Error>;

    /// The conversations `query` selects, newest first.
    async fn conversations(&self, query: &ConversationQuery)
    -> Result<Vec<ConversationRow>, Error>;

    /// Guest messages and handoffs opened per day since `from_ms`, the days with any.
    async fn per_day(&self, from_ms: i64) -> Result<Vec<DayCounts>, Error>;

    /// The failed logins since `since_ms`: of `name` (its key, `name:` and the name
    /// lower-cased) and of all names together.
    async fn login_failures(&self, name_key: &str, since_ms: i64) -> Result<(i64, i64), Error>;

    /// Counts a failed login as `name_key` at `now_ms`, and one for all names; a count whose
    /// window began at or before `since_ms` starts again, and names with none since are
    /// forgotten.
    async fn login_failed(&self, name_key: &str, now_ms: i64, since_ms: i64) -> Result<(), Error>;

    /// Forgets the failed logins of `name_key`.
    async fn login_succeeded(&self, name_key: &str) -> Result<(), Error>;

    /// Deletes what guests wrote before `before_ms` (`MESSAGE_RETENTION_DAYS`); how many
    /// messages. Conversations' checkpoints and bookings are not touched.
    async fn forget_messages(&self, before_ms: i64) -> Result<usize, Error>;
}

/// The conversations query, from what guests wrote, in either engine's dialect: `param(i)`
/// writes parameter `i` (1-based), `like` is the case-insensitive match and `escape` what
/// follows its pattern (patterns escape with `\`, Postgres's default, SQLite's by clause).
/// Parameters: channel, guest pattern, text pattern, status wanted, the "active" cut-off
/// (ms), limit, offset.
pub(super) fn conversations_sql(
    param: impl Fn(usize) -> String,
    like: &str,
    escape: &str,
) -> String {
    let [channel, guest, text, status, since, limit, offset] = [1, 2, 3, 4, 5, 6, 7].map(param);
    format!(
        "SELECT channel, user_id, last_ms, messages, last_text, handoff
        FROM (SELECT m.channel, m.user_id, MAX(m.at_ms) AS last_ms, COUNT(*) AS messages,
                (SELECT l.text FROM sv_messages l WHERE l.channel = m.channel
                    AND l.user_id = m.user_id ORDER BY l.at_ms DESC, l.id DESC LIMIT 1)
                    AS last_text,
                (SELECT h.id FROM sv_handoffs h WHERE h.channel = m.channel
                    AND h.user_id = m.user_id AND h.closed_ms IS NULL) AS handoff
            FROM sv_messages m
            WHERE ({channel} IS NULL OR m.channel = {channel})
              AND ({guest} IS NULL OR (m.channel || ':' || m.user_id) {like} {guest}{escape})
            GROUP BY m.channel, m.user_id) c
        WHERE ({text} IS NULL OR EXISTS (SELECT 1 FROM sv_messages t
                WHERE t.channel = c.channel AND t.user_id = c.user_id AND t.text {like} {text}{escape}))
          AND ({status} IS NULL OR ({status} = 'handoff' AND handoff IS NOT NULL)
               OR ({status} = 'active' AND handoff IS NULL AND last_ms >= {since})
               OR ({status} = 'closed' AND handoff IS NULL AND last_ms < {since}))
        ORDER BY last_ms DESC, channel, user_id LIMIT {limit} OFFSET {offset}"
    )
}

/// Merges per-day message and handoff counts into one row per day, in day order.
pub(super) fn merge_days(messages: Vec<(i64, i64)>, handoffs: Vec<(i64, i64)>) -> Vec<DayCounts> {
    let mut days = std::collections::BTreeMap::<i64, DayCounts>::new();
    for (day, n) in messages {
        days.entry(day)
            .or_insert(DayCounts {
                day,
                ..DayCounts::default()
            })
            .messages += n;
    }
    for (day, n) in handoffs {
        days.entry(day)
            .or_insert(DayCounts {
                day,
                ..DayCounts::default()
            })
            .handoffs += n;
    }
    days.into_values().collect()
}
