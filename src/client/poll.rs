//! When to poll an auth link's status again while waiting for the user (`waitForAuthLink`): a
//! pure policy, so the I/O layer only sleeps, polls and asks again.
//!
//! ```
//! use markifact_connect::client::{PollPolicy, PollStep};
//! use markifact_connect::models::AuthLinkState;
//!
//! let policy = PollPolicy::default();
//! // First poll at t=0 says pending; the caller gives up at t=60 s.
//! let step = policy.next(Some(AuthLinkState::Pending), None, 1, 0, 60_000, None, 0.5);
//! assert_eq!(step, PollStep::Wait(1_000));
//! assert_eq!(policy.next(Some(AuthLinkState::Connected), None, 2, 1_000, 60_000, None, 0.5), PollStep::Done);
//! ```

use crate::models::AuthLinkState;

/// How often to poll: exponential backoff from [`initial_delay_ms`](Self::initial_delay_ms),
/// ×1.5 per poll, capped at [`max_delay_ms`](Self::max_delay_ms), with ±20 % jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// The wait after the first poll, in ms (before jitter).
    pub initial_delay_ms: u64,
    /// The longest backoff, in ms (before jitter, so a wait may reach 1.2 × this; a
    /// `Retry-After` may ask for longer).
    pub max_delay_ms: u64,
}

impl Default for PollPolicy {
    /// 1 s initial delay, 10 s maximum.
    fn default() -> Self {
        PollPolicy {
            initial_delay_ms: 1_000,
            max_delay_ms: 10_000,
        }
    }
}

/// What to do after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStep {
    /// The link reached a final state (`connected` or `expired`): stop polling and report it.
    Done,
    /// Wait this many milliseconds, then poll again.
    Wait(u64),
    /// The caller's deadline has passed without a final state: stop and report a timeout.
    TimedOut,
}

/// How long after a link's `expires_at` the server is trusted to report `expired`, in ms.
const EXPIRY_GRACE_MS: u64 = 1_000;

/// The longest wait once a link is past its expiry, so the server soon reports `expired`.
const AFTER_EXPIRY_WAIT_MS: u64 = 1_000;

impl PollPolicy {
    /// After a poll, whether to stop or how long to wait before the next one.
    ///
    /// - `status`: the state the poll returned, or `None` if it failed with a retryable error
    ///   (429, 5xx, network); a non-retryable error ends the wait and is not this policy's
    ///   business;
    /// - `retry_after_ms`: the `Retry-After` wait of that failure, if any;
    /// - `attempt`: polls made so far (1 after the first; 0 is read as 1);
    /// - `now_ms`, `deadline_ms`: the current time and the caller's deadline, on the same clock;
    /// - `link_expires_at`: the link's `expires_at` (same clock, ms) from an earlier status, if known;
    /// - `random`: a uniform random number in `[0, 1)` for the jitter (out-of-range values are
    ///   clamped, NaN is read as 0.5).
    ///
    /// The rules, in order:
    /// 1. `connected` or `expired` → [`PollStep::Done`];
    /// 2. `now_ms >= deadline_ms` → [`PollStep::TimedOut`];
    /// 3. the backoff is `initial_delay_ms × 1.5^(attempt-1)`, capped at `max_delay_ms`, times a
    ///    jitter factor in `[0.8, 1.2)`;
    /// 4. once the link is past its expiry (`now_ms > link_expires_at + 1000`), at most 1 s, so
    ///    the server can report `expired`;
    /// 5. at least `retry_after_ms` when given;
    /// 6. never past the deadline: at most `deadline_ms - now_ms` (one last poll then happens at
    ///    the deadline, and the next call says [`PollStep::TimedOut`] unless it is final).
    #[allow(clippy::too_many_arguments)]
    pub fn next(
        &self,
        status: Option<AuthLinkState>,
        retry_after_ms: Option<u64>,
        attempt: u32,
        now_ms: u64,
        deadline_ms: u64,
        link_expires_at: Option<u64>,
        random: f64,
    ) -> PollStep {
        if matches!(
            status,
            Some(AuthLinkState::Connected | AuthLinkState::Expired)
        ) {
            return PollStep::Done;
        }
        if now_ms >= deadline_ms {
            return PollStep::TimedOut;
        }
        let mut wait = self.backoff(attempt, random);
        if let Some(expires_at) = link_expires_at {
            if now_ms > expires_at.saturating_add(EXPIRY_GRACE_MS) {
                wait = wait.min(AFTER_EXPIRY_WAIT_MS);
            }
        }
        if let Some(retry_after) = retry_after_ms {
            wait = wait.max(retry_after);
        }
        PollStep::Wait(wait.min(deadline_ms - now_ms))
    }

    /// The jittered exponential backoff after `attempt` polls, in ms.
    fn backoff(&self, attempt: u32, random: f64) -> u64 {
        // 1.5^57 > 2^33 × 10^6: past that the cap applies for any sane policy; the exponent
        // bound keeps powi finite.
        let exponent = attempt.saturating_sub(1).min(64) as i32;
        let raw = self.initial_delay_ms as f64 * 1.5f64.powi(exponent);
        let capped = raw.min(self.max_delay_ms as f64);
        let random = if random.is_nan() {
            0.5
        } else {
            random.clamp(0.0, 1.0)
        };
        let jitter = 0.8 + 0.4 * random;
        // `as` saturates on overflow.
        (capped * jitter).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthLinkState::{Connected, Expired, Pending};

    const P: PollPolicy = PollPolicy {
        initial_delay_ms: 1_000,
        max_delay_ms: 10_000,
    };
    const FAR: u64 = u64::MAX / 2;

    fn wait(step: PollStep) -> u64 {
        match step {
            PollStep::Wait(ms) => ms,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[test]
    fn default_is_one_to_ten_seconds() {
        assert_eq!(PollPolicy::default(), P);
    }

    #[test]
    fn final_states_are_done_even_past_the_deadline() {
        for state in [Connected, Expired] {
            for (now, deadline) in [(0, 10), (10, 10), (20, 10)] {
                for retry_after in [None, Some(5_000)] {
                    assert_eq!(
                        P.next(Some(state), retry_after, 3, now, deadline, Some(0), 0.3),
                        PollStep::Done
                    );
                }
            }
        }
    }

    #[test]
    fn pending_or_failed_polls_time_out_at_the_deadline() {
        for status in [Some(Pending), None] {
            assert_eq!(
                P.next(status, None, 1, 10, 10, None, 0.5),
                PollStep::TimedOut
            );
            assert_eq!(
                P.next(status, None, 1, 11, 10, None, 0.5),
                PollStep::TimedOut
            );
            assert_eq!(
                P.next(status, Some(100), 5, 10, 0, None, 0.5),
                PollStep::TimedOut
            );
            assert!(matches!(
                P.next(status, None, 1, 9, 10, None, 0.5),
                PollStep::Wait(1)
            ));
        }
    }

    #[test]
    fn backoff_grows_by_half_and_caps() {
        let waits: Vec<u64> = (1..=10)
            .map(|attempt| wait(P.next(Some(Pending), None, attempt, 0, FAR, None, 0.5)))
            .collect();
        assert_eq!(
            waits,
            [1_000, 1_500, 2_250, 3_375, 5_063, 7_594, 10_000, 10_000, 10_000, 10_000]
        );
        // Attempt 0 is read as the first poll; huge attempts stay at the cap.
        assert_eq!(
            wait(P.next(Some(Pending), None, 0, 0, FAR, None, 0.5)),
            1_000
        );
        assert_eq!(
            wait(P.next(Some(Pending), None, u32::MAX, 0, FAR, None, 0.5)),
            10_000
        );
        // A failed poll backs off the same way.
        assert_eq!(wait(P.next(None, None, 3, 0, FAR, None, 0.5)), 2_250);
    }

    #[test]
    fn jitter_is_plus_or_minus_twenty_percent() {
        let at = |attempt, random| wait(P.next(Some(Pending), None, attempt, 0, FAR, None, random));
        assert_eq!(at(1, 0.0), 800);
        assert_eq!(at(1, 0.25), 900);
        assert_eq!(at(1, 0.999_999), 1_200);
        assert_eq!(at(20, 0.0), 8_000);
        assert_eq!(at(20, 0.999_999), 12_000);
        // Out-of-range randoms are clamped, NaN is the middle.
        assert_eq!(at(1, -3.0), 800);
        assert_eq!(at(1, 7.0), 1_200);
        assert_eq!(at(1, f64::NAN), 1_000);
        assert_eq!(at(1, f64::INFINITY), 1_200);
        for i in 0..1000 {
            let r = f64::from(i) / 1000.0;
            for attempt in 1..12 {
                let w = at(attempt, r);
                let base = wait(P.next(Some(Pending), None, attempt, 0, FAR, None, 0.5));
                // ±1 ms: both are rounded from the unrounded backoff.
                assert!(
                    (w + 1) * 10 >= base * 8 && w * 10 <= (base + 1) * 12,
                    "{attempt} {r} {w}"
                );
            }
        }
    }

    #[test]
    fn retry_after_is_a_minimum() {
        assert_eq!(wait(P.next(None, Some(5_000), 1, 0, FAR, None, 0.5)), 5_000);
        // Shorter than the backoff: the backoff stands.
        assert_eq!(wait(P.next(None, Some(10), 3, 0, FAR, None, 0.5)), 2_250);
        // Longer than the cap: still honoured.
        assert_eq!(
            wait(P.next(None, Some(45_000), 9, 0, FAR, None, 0.5)),
            45_000
        );
        // Also with a status (e.g. a caller passing both).
        assert_eq!(
            wait(P.next(Some(Pending), Some(3_000), 1, 0, FAR, None, 0.0)),
            3_000
        );
    }

    #[test]
    fn never_waits_past_the_deadline() {
        // The backoff would pass the deadline: wait only until it.
        assert_eq!(
            wait(P.next(Some(Pending), None, 9, 1_000, 1_300, None, 0.5)),
            300
        );
        // So does a Retry-After.
        assert_eq!(
            wait(P.next(None, Some(30_000), 1, 0, 2_000, None, 0.5)),
            2_000
        );
        // Then the last poll at the deadline, and it is over.
        assert_eq!(
            P.next(Some(Pending), None, 10, 1_300, 1_300, None, 0.5),
            PollStep::TimedOut
        );
        // The final poll can still be a success.
        assert_eq!(
            P.next(Some(Connected), None, 10, 1_300, 1_300, None, 0.5),
            PollStep::Done
        );
        // Exactly fitting waits are untouched.
        assert_eq!(
            wait(P.next(Some(Pending), None, 1, 0, 1_000, None, 0.5)),
            1_000
        );
    }

    #[test]
    fn a_lapsed_link_is_polled_again_soon() {
        let expires = 100_000;
        let at = |attempt, now, retry_after| {
            wait(P.next(
                Some(Pending),
                retry_after,
                attempt,
                now,
                FAR,
                Some(expires),
                0.5,
            ))
        };
        // Not yet past expiry + 1 s: the normal backoff.
        assert_eq!(at(8, expires, None), 10_000);
        assert_eq!(at(8, expires + 1_000, None), 10_000);
        // Past it: at most 1 s.
        assert_eq!(at(8, expires + 1_001, None), 1_000);
        assert_eq!(at(1, expires + 5_000, None), 1_000);
        // A shorter backoff stays shorter.
        let short = PollPolicy {
            initial_delay_ms: 200,
            max_delay_ms: 10_000,
        };
        assert_eq!(
            wait(short.next(
                Some(Pending),
                None,
                1,
                expires + 2_000,
                FAR,
                Some(expires),
                0.5
            )),
            200
        );
        // Retry-After still wins, and the deadline still caps.
        assert_eq!(at(8, expires + 2_000, Some(4_000)), 4_000);
        assert_eq!(
            wait(P.next(
                Some(Pending),
                None,
                8,
                expires + 2_000,
                expires + 2_500,
                Some(expires),
                0.5
            )),
            500
        );
        // A huge expires_at does not overflow.
        assert_eq!(
            wait(P.next(Some(Pending), None, 1, 0, FAR, Some(u64::MAX), 0.5)),
            1_000
        );
    }

    #[test]
    fn extreme_policies_do_not_panic() {
        let huge = PollPolicy {
            initial_delay_ms: u64::MAX,
            max_delay_ms: u64::MAX,
        };
        assert_eq!(
            wait(huge.next(None, None, 1, 0, u64::MAX, None, 0.999)),
            u64::MAX
        );
        let zero = PollPolicy {
            initial_delay_ms: 0,
            max_delay_ms: 0,
        };
        assert_eq!(wait(zero.next(None, None, 5, 0, 10, None, 0.5)), 0);
        // max below initial: the cap applies from the first poll.
        let inverted = PollPolicy {
            initial_delay_ms: 5_000,
            max_delay_ms: 2_000,
        };
        assert_eq!(wait(inverted.next(None, None, 1, 0, FAR, None, 0.5)), 2_000);
    }
}
