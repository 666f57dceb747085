//! Every SQL statement of [`super::PgJobs`], named, and [`ALL`] of them for the test that
//! prepares each against a migrated schema.

/// Schedules job (`$1` kind, `$2` key, `$3` payload, `$4` due ms) created at `$5`; a pending
/// job of the same key takes the new due time and payload, a finished one is kept.
pub(super) const SCHEDULE: &str =
    "INSERT INTO sv_jobs (kind, key, payload, due_ms, state, created_ms)
    VALUES ($1, $2, $3, $4, 'pending', $5)
    ON CONFLICT (key) DO UPDATE SET due_ms = EXCLUDED.due_ms, payload = EXCLUDED.payload
        WHERE sv_jobs.state = 'pending'";

/// Claims for `$1` (this replica), for `$4` ms on the database's clock, up to `$3` pending jobs
/// of the kinds `$5` due at `$2` whose claim is free or lapsed, earliest first; rows another
/// replica is claiming are skipped, not waited for.
pub(super) const CLAIM_DUE: &str = "UPDATE sv_jobs SET claimed_by = $1,
        claim_until = now() + $4 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM sv_jobs
        WHERE state = 'pending' AND due_ms <= $2 AND kind = ANY($5)
          AND (claim_until IS NULL OR claim_until < now())
        ORDER BY due_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, key, payload, due_ms, attempts";

/// Records how job `$1` ended (`$3` state, `$4` attempts to add, `$5` new due ms or NULL,
/// `$6` last error, `$7` detail, `$8` done ms) and frees its claim, only while `$2` still
/// holds that claim unexpired: a replica whose claim lapsed changes nothing.
pub(super) const FINISH: &str = "UPDATE sv_jobs SET state = $3, attempts = attempts + $4,
        due_ms = COALESCE($5, due_ms), last_error = $6, detail = $7, done_ms = $8,
        claimed_by = NULL, claim_until = NULL
    WHERE id = $1 AND state = 'pending' AND claimed_by = $2 AND claim_until > now()";

/// Whether guest (`$1` channel, `$2` user) opted out.
pub(super) const OPTED_OUT: &str = "SELECT 1 FROM sv_optouts WHERE channel = $1 AND user_id = $2";

/// Guest (`$1` channel, `$2` user) opts out at `$3` ms.
pub(super) const OPT_OUT: &str = "INSERT INTO sv_optouts (channel, user_id, since_ms)
    VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

/// Guest (`$1` channel, `$2` user) opts back in.
pub(super) const OPT_IN: &str = "DELETE FROM sv_optouts WHERE channel = $1 AND user_id = $2";

/// When guest (`$1` channel, `$2` user) last wrote, by Meta's timestamp.
pub(super) const LAST_HEARD: &str =
    "SELECT MAX(sent_at_ms) FROM sv_inbox WHERE channel = $1 AND user_id = $2";

/// Forgets jobs finished before `$1` ms.
pub(super) const PRUNE: &str = "DELETE FROM sv_jobs WHERE state != 'pending' AND done_ms < $1";

/// Fails done job `$1`, whose message the outbox dropped for `$2`.
pub(super) const UNDELIVERED: &str =
    "UPDATE sv_jobs SET state = 'failed', last_error = $2 WHERE key = $1 AND state = 'done'";

/// Every statement above.
pub(super) const ALL: &[&str] = &[
    SCHEDULE,
    CLAIM_DUE,
    FINISH,
    OPTED_OUT,
    OPT_OUT,
    OPT_IN,
    LAST_HEARD,
    PRUNE,
    UNDELIVERED,
];
