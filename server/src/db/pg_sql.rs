//! Every SQL statement of [`super::PgQueue`] and [`super::PgLimits`], named, and [`ALL`] of
//! them for a test that prepares each against a migrated schema (the stand-in for
//! compile-time checked SQL).

pub(super) const QUEUE_PART: &str =
    "INSERT INTO sv_outbox (channel, recipient, text, correlation, state,
    next_attempt_ms, created_ms, form)
    VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";

pub(super) const NOTIFY_OUTBOX: &str = "SELECT pg_notify('sv_outbox', '')";

pub(super) const PING: &str = "SELECT 1";

pub(super) const STORED_ALREADY: &str =
    "SELECT message_id FROM sv_inbox WHERE channel = $1 AND message_id = ANY($2)";

pub(super) const RECEIVE: &str =
    "INSERT INTO sv_inbox (channel, message_id, user_id, kind, text, sent_at_ms,
    received_at_ms, correlation, state)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (channel, message_id) DO NOTHING";

/// Keeps what guest (`$1` channel, `$2` user) wrote (`$4`) at `$3` ms, for the staff console.
pub(super) const KEEP_MESSAGE: &str =
    "INSERT INTO sv_messages (channel, user_id, at_ms, text) VALUES ($1, $2, $3, $4)";

/// Records that guest (`$1` channel, `$2` user) has a message stored at `$3` ms. An update,
/// not `DO NOTHING`: it locks the row until the storing transaction ends, so
/// [`PRUNE_GUESTS`] either waits and then sees the guest recent, or deleted the row first
/// and this inserts it again. Either way a pending message always has its guest's row.
pub(super) const ADD_GUEST: &str = "INSERT INTO sv_guests (channel, user_id, seen_ms)
    VALUES ($1, $2, $3)
    ON CONFLICT (channel, user_id) DO UPDATE
        SET seen_ms = GREATEST(sv_guests.seen_ms, EXCLUDED.seen_ms)";

pub(super) const NOTIFY_INBOX: &str = "SELECT pg_notify('sv_inbox', '')";

/// Takes the lease (`$1` owner, `$2` ms) of up to `$3` guests with pending messages on the
/// channels `$4` this build answers whose lease is free or lapsed, oldest waiting first; starts
/// from the pending messages (a partial index), not from every guest ever seen.
pub(super) const CLAIM_GUESTS: &str = "UPDATE sv_guests g SET lease_owner = $1,
        lease_until = now() + $2 * interval '1 millisecond'
    FROM (SELECT g2.channel, g2.user_id FROM sv_guests g2
          JOIN (SELECT channel, user_id, min(seq) AS first FROM sv_inbox
                WHERE state = 'pending' AND channel = ANY($4)
                GROUP BY channel, user_id) p
            ON p.channel = g2.channel AND p.user_id = g2.user_id
          WHERE g2.lease_until IS NULL OR g2.lease_until < now()
          ORDER BY p.first
          LIMIT $3 FOR UPDATE OF g2 SKIP LOCKED) c
    WHERE g.channel = c.channel AND g.user_id = c.user_id
    RETURNING g.channel, g.user_id";

pub(super) const PENDING_OF: &str =
    "SELECT seq, message_id, kind, text, correlation, attempts FROM sv_inbox
    WHERE state = 'pending' AND channel = $1 AND user_id = $2
    ORDER BY sent_at_ms, seq";

pub(super) const RENEW: &str =
    "UPDATE sv_guests SET lease_until = now() + $4 * interval '1 millisecond'
    WHERE channel = $1 AND user_id = $2 AND lease_owner = $3";

pub(super) const RELEASE: &str = "UPDATE sv_guests SET lease_owner = NULL, lease_until = NULL
    WHERE channel = $1 AND user_id = $2 AND lease_owner = $3";

/// Marks message `$1` handled (`$2` state, `$3` detail) only if it is still pending and `$4`
/// still holds its guest's unexpired lease; the lease row is locked `FOR SHARE`, so a takeover
/// under way either waits for this or wins and makes it match nothing.
pub(super) const ANSWER: &str = "UPDATE sv_inbox SET state = $2, detail = $3
    WHERE seq = $1 AND state = 'pending'
    AND EXISTS (SELECT 1 FROM sv_guests g
        WHERE g.channel = sv_inbox.channel AND g.user_id = sv_inbox.user_id
          AND g.lease_owner = $4 AND g.lease_until > now()
        FOR SHARE)";

pub(super) const ATTEMPT_FAILED: &str =
    "UPDATE sv_inbox SET attempts = attempts + 1, detail = $2 WHERE seq = $1";

pub(super) const CLAIM_DUE: &str = "UPDATE sv_outbox SET claimed_by = $1,
    claim_until = now() + $4 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM sv_outbox o
    WHERE state = 'pending' AND next_attempt_ms <= $2
    AND (claim_until IS NULL OR claim_until < now())
    AND NOT EXISTS (SELECT 1 FROM sv_outbox p
    WHERE p.state = 'pending' AND p.channel = o.channel
    AND p.recipient = o.recipient AND p.id < o.id)
    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING id, channel, recipient, text, correlation, attempts, form";

pub(super) const SENT: &str =
    "UPDATE sv_outbox SET state = 'sent', attempts = attempts + 1, done_ms = $2,
    remote_id = $3, last_error = NULL, claimed_by = NULL, claim_until = NULL
    WHERE id = $1";

pub(super) const RETRY_LATER: &str =
    "UPDATE sv_outbox SET attempts = attempts + 1, next_attempt_ms = $2,
    last_error = $3, claimed_by = NULL, claim_until = NULL
    WHERE id = $1";

pub(super) const DROPPED: &str = "UPDATE sv_outbox SET state = 'dropped', attempts = attempts + 1,
    done_ms = $2, last_error = $3, claimed_by = NULL,
    claim_until = NULL
    WHERE id = $1";

pub(super) const DEPTH: &str =
    "SELECT COUNT(*), MIN(created_ms), MIN(next_attempt_ms) FROM sv_outbox
    WHERE state = 'pending'";

pub(super) const DELIVERY_FAILED: &str = "INSERT INTO sv_delivery_failures
    (channel, message_id, recipient, code, detail, at_ms)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

pub(super) const PRUNE_INBOX: &str =
    "DELETE FROM sv_inbox WHERE state != 'pending' AND received_at_ms < $1";

pub(super) const PRUNE_OUTBOX: &str =
    "DELETE FROM sv_outbox WHERE state != 'pending' AND created_ms < $1";

/// Forgets guests last heard from before `$1` ms who have nothing pending and whose lease (or
/// hold) has lapsed. A row a message is being stored for, or a hold taken on, is locked by
/// that write, and re-checked here after it: then it is recent, or held.
pub(super) const PRUNE_GUESTS: &str = "DELETE FROM sv_guests g
    WHERE g.seen_ms < $1
        AND (g.lease_until IS NULL OR g.lease_until < now())
        AND NOT EXISTS (SELECT 1 FROM sv_inbox i
            WHERE i.channel = g.channel AND i.user_id = g.user_id AND i.state = 'pending')";

/// Forgets rate budgets that have been full again for an hour: a missing row is a full
/// budget (the next take inserts it), so this changes no decision. A take racing it locks
/// the row first (and moves it into the future) or inserts it again.
pub(super) const PRUNE_RATE: &str = "DELETE FROM sv_rate
    WHERE tat_us < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint - 3600000000";

/// Holds a thread (`$1` channel, `$2` user) for `$3` (this replica) for `$4` ms, if no one
/// else holds it; a row comes back when held.
pub(super) const HOLD: &str = "INSERT INTO sv_guests (channel, user_id, lease_owner, lease_until)
    VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
    ON CONFLICT (channel, user_id) DO UPDATE
        SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
        WHERE sv_guests.lease_until IS NULL OR sv_guests.lease_until < now()
    RETURNING 1";

/// Takes one message from a key's budget: `$1` the key, `$2` the emission interval `T`, `$3`
/// the window, in microseconds. The new TAT is max(old TAT, now) + T, allowed when at most the
/// window ahead of now; a row comes back only when allowed. Now is the database's clock, read
/// in the update itself: after waiting for the row's lock (which, for everyone's budget, can
/// take a while under load), not before, or a long wait would count against the message.
pub(super) const TAKE: &str = "INSERT INTO sv_rate (key, tat_us)
    VALUES ($1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint + $2)
    ON CONFLICT (key) DO UPDATE
        SET tat_us = GREATEST(sv_rate.tat_us,
                (extract(epoch FROM clock_timestamp()) * 1000000)::bigint) + $2
        WHERE GREATEST(sv_rate.tat_us,
                (extract(epoch FROM clock_timestamp()) * 1000000)::bigint) + $2
            - (extract(epoch FROM clock_timestamp()) * 1000000)::bigint <= $3
    RETURNING tat_us";

/// After a refusal: marks guest `$1` told to slow down and returns whether they already were,
/// the TAT of the budget `$2` that refused, and now (µs, the database's clock).
pub(super) const REFUSED: &str = "UPDATE sv_rate r SET notified = true
    FROM (SELECT notified FROM sv_rate WHERE key = $1 FOR UPDATE) old
    WHERE r.key = $1
    RETURNING old.notified, (SELECT tat_us FROM sv_rate WHERE key = $2),
        (extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

/// After a message of guest `$1` was allowed: their next refusal gets a notice again.
pub(super) const UNNOTIFY: &str = "UPDATE sv_rate SET notified = false WHERE key = $1 AND notified";

/// Every statement above.
pub(super) const ALL: &[&str] = &[
    QUEUE_PART,
    NOTIFY_OUTBOX,
    PING,
    STORED_ALREADY,
    RECEIVE,
    KEEP_MESSAGE,
    ADD_GUEST,
    NOTIFY_INBOX,
    CLAIM_GUESTS,
    PENDING_OF,
    RENEW,
    RELEASE,
    ANSWER,
    ATTEMPT_FAILED,
    CLAIM_DUE,
    SENT,
    RETRY_LATER,
    DROPPED,
    DEPTH,
    DELIVERY_FAILED,
    PRUNE_INBOX,
    PRUNE_OUTBOX,
    PRUNE_GUESTS,
    PRUNE_RATE,
    HOLD,
    TAKE,
    REFUSED,
    UNNOTIFY,
];
