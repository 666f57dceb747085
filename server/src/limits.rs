//! Rate limits on guest messages, per guest and for everyone together (governor's GCRA).
//! A guest over the limit gets one polite notice, not silence and not an error to Meta.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

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
}

/// The notice an over-limit guest gets, in both languages the agent speaks.
pub(crate) const SLOW_DOWN: &str = "You're sending messages faster than I can answer them. \
     Please wait a moment and try again. / Está enviando mensajes más rápido de lo que puedo \
     responder. Espere un momento y vuelva a intentarlo.";

impl RateLimits {
    pub(crate) fn new(per_guest_per_minute: u32, global_per_second: u32) -> RateLimits {
        let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            per_guest: RateLimiter::keyed(Quota::per_minute(nz(per_guest_per_minute))),
            global: RateLimiter::direct(Quota::per_second(nz(global_per_second))),
            notified: Mutex::new(HashSet::new()),
        }
    }

    /// Takes one message from `guest` (`channel:user`) out of both budgets.
    pub(crate) fn check(&self, guest: &str) -> Verdict {
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
