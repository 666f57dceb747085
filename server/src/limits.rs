//! Rate limits on guest messages, per guest and for everyone together (GCRA). A guest over
//! the limit gets one polite notice, not silence and not an error to Meta.
//!
//! With one SQLite file there is one process, and the budgets live in its memory (governor).
//! With Postgres the budgets are shared by every replica through the database
//! ([`PgLimits`]), so N replicas allow the configured limit, not N times it; should the
//! database not answer, this replica's own budgets decide meanwhile (and the message could not
//! be stored anyway).

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::db::{Budget, PgLimits, Taken};

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Answer it.
    Allowed,
    /// Don't; `notify` is true for the first refused message since the guest was last
    /// allowed, which gets the "slow down" notice, and `wait` is how long until the next
    /// message would be allowed.
    Limited { notify: bool, wait: Duration },
}

pub(crate) struct RateLimits {
    per_guest: DefaultKeyedRateLimiter<String>,
    global: DefaultDirectRateLimiter,
    notified: Mutex<HashSet<String>>,
    /// With Postgres: the budgets every replica shares.
    shared: Option<Shared>,
}

struct Shared {
    limits: PgLimits,
    per_guest: Budget,
    global: Budget,
}

/// The key of everyone's budget in `sv_rate` (guests' keys are `channel:user`).
const EVERYONE: &str = "*";

/// The notice an over-limit guest gets, in both languages the agent speaks.
pub(crate) const SLOW_DOWN: &str = "You're sending messages faster than I can answer them. \
     Please wait a moment and try again. / Está enviando mensajes más rápido de lo que puedo \
     responder. Espere un momento y vuelva a intentarlo.";

impl RateLimits {
    /// The limits, in this process's memory, or shared through `shared` when given.
    pub(crate) fn new(
        per_guest_per_minute: u32,
        global_per_second: u32,
        shared: Option<PgLimits>,
    ) -> RateLimits {
        let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            per_guest: RateLimiter::keyed(Quota::per_minute(nz(per_guest_per_minute))),
            global: RateLimiter::direct(Quota::per_second(nz(global_per_second))),
            notified: Mutex::new(HashSet::new()),
            shared: shared.map(|limits| Shared {
                limits,
                per_guest: Budget {
                    limit: per_guest_per_minute,
                    window: Duration::from_secs(60),
                },
                global: Budget {
                    limit: global_per_second,
                    window: Duration::from_secs(1),
                },
            }),
        }
    }

    /// Takes one message from `guest` (`channel:user`) out of both budgets.
    pub(crate) async fn check(&self, guest: &str) -> Verdict {
        let Some(shared) = &self.shared else {
            return self.check_here(guest);
        };
        // The guest's budget first: a guest over theirs takes nothing from everyone's.
        let taken = shared
            .limits
            .take(guest, shared.per_guest, (EVERYONE, shared.global))
            .await;
        match taken {
            Ok(Taken::Allowed) => Verdict::Allowed,
            Ok(Taken::Refused { notify, wait }) => Verdict::Limited { notify, wait },
            Err(e) => {
                tracing::warn!(error = %e, "shared rate limits; using this replica's");
                self.check_here(guest)
            }
        }
    }

    /// [`RateLimits::check`] on this process's budgets.
    fn check_here(&self, guest: &str) -> Verdict {
        let key = guest.to_owned();
        let refused = match self.per_guest.check_key(&key) {
            Ok(()) => self.global.check().err(),
            Err(refused) => Some(refused),
        };
        let mut notified = self.notified.lock().unwrap_or_else(|p| p.into_inner());
        match refused {
            None => {
                notified.remove(guest);
                Verdict::Allowed
            }
            Some(refused) => Verdict::Limited {
                notify: notified.insert(key),
                wait: refused.wait_time_from(self.per_guest.clock().now()),
            },
        }
    }

    /// Forgets guests whose budget is full again, so memory follows active guests only.
    pub(crate) fn tidy(&self) {
        self.per_guest.retain_recent();
        self.per_guest.shrink_to_fit();
    }
}
