//! When to send a failed request again: a pure policy, so the I/O layer only sleeps and resends.

use super::request::Method;
use super::response::is_retryable_status;
use crate::error::{Error, ErrorCode};

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No HTTP response at all: a network failure or a timeout.
    Network,
    /// An HTTP response with a failing status.
    Http {
        /// The status.
        status: u16,
        /// The parsed `Retry-After` wait in milliseconds, if the response had one.
        retry_after_ms: Option<u64>,
    },
}

impl Failure {
    /// The failure behind an [`Error`]: [`Failure::Network`] for [`ErrorCode::Network`] and
    /// [`ErrorCode::Timeout`], [`Failure::Http`] for errors with a status. `None` for everything
    /// else (validation, `aborted`, an invalid 2xx body...), which is never retried.
    pub fn from_error(error: &Error) -> Option<Failure> {
        match error.code() {
            ErrorCode::Network | ErrorCode::Timeout => Some(Failure::Network),
            ErrorCode::InvalidResponse => None,
            _ => error.status().map(|status| Failure::Http {
                status,
                retry_after_ms: error.retry_after_ms(),
            }),
        }
    }
}

/// Retries for idempotent reads: exponential backoff with full jitter, honouring `Retry-After`.
///
/// Only `GET` is ever repeated. A `POST` that failed may still have created an auth link, and a
/// `DELETE` may have deleted the connection, so those failures go back to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request may be repeated after its first attempt (0 disables retries).
    pub max_retries: u32,
    /// The backoff ceiling before the first retry, in ms; it doubles for each further retry.
    pub base_delay_ms: u64,
    /// The largest backoff ceiling, in ms.
    pub max_delay_ms: u64,
    /// The longest `Retry-After` wait the policy accepts, in ms. When the API asks for longer,
    /// the policy gives up rather than retry sooner than asked: the error carries the wait.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    /// Two retries, 250 ms base, 5 s maximum backoff, `Retry-After` up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay_ms: 250,
            max_delay_ms: 5_000,
            max_retry_after_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        base_delay_ms: 0,
        max_delay_ms: 0,
        max_retry_after_ms: 0,
    };

    /// How long to wait before sending the request again, in milliseconds, or `None` to give up.
    ///
    /// - `attempt`: how many retries were already made (0 after the first attempt failed);
    /// - `method`: only [`Method::Get`] is retried;
    /// - `failure`: network failures and `408`, `429` and `5xx` statuses are retried;
    /// - `random`: a uniform random number in `[0, 1)` (out-of-range values are clamped) for
    ///   the jitter, passed in so the policy stays pure and testable.
    ///
    /// With a `Retry-After` the wait is exactly that (if at most
    /// [`max_retry_after_ms`](RetryPolicy::max_retry_after_ms), else `None`); otherwise it is
    /// `random × min(max_delay_ms, base_delay_ms × 2^attempt)` ("full jitter").
    pub fn next_delay(
        &self,
        attempt: u32,
        method: Method,
        failure: &Failure,
        random: f64,
    ) -> Option<u64> {
        if method != Method::Get || attempt >= self.max_retries {
            return None;
        }
        match *failure {
            Failure::Http { status, .. } if !is_retryable_status(status) => None,
            Failure::Http {
                retry_after_ms: Some(wait),
                ..
            } => (wait <= self.max_retry_after_ms).then_some(wait),
            Failure::Http { .. } | Failure::Network => Some(self.backoff(attempt, random)),
        }
    }

    fn backoff(&self, attempt: u32, random: f64) -> u64 {
        let factor = 1u64 << attempt.min(63);
        let ceiling = self
            .base_delay_ms
            .saturating_mul(factor)
            .min(self.max_delay_ms);
        let random = if random.is_nan() || random < 0.0 {
            0.0
        } else {
            random.min(1.0)
        };
        // `as` saturates; the min keeps the delay below the ceiling despite float rounding.
        ((ceiling as f64 * random) as u64).min(ceiling.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy = RetryPolicy {
        max_retries: 3,
        base_delay_ms: 100,
        max_delay_ms: 1_000,
        max_retry_after_ms: 10_000,
    };

    fn http(status: u16) -> Failure {
        Failure::Http {
            status,
            retry_after_ms: None,
        }
    }

    #[test]
    fn only_get_is_retried() {
        for method in [Method::Post, Method::Delete] {
            for failure in [Failure::Network, http(503), http(429), http(408)] {
                assert_eq!(
                    P.next_delay(0, method, &failure, 0.5),
                    None,
                    "{method:?} {failure:?}"
                );
            }
            let ra = Failure::Http {
                status: 429,
                retry_after_ms: Some(1),
            };
            assert_eq!(P.next_delay(0, method, &ra, 0.5), None);
        }
    }

    #[test]
    fn retryable_statuses_exactly() {
        for status in 100..=999u16 {
            let expected = matches!(status, 408 | 429 | 500..=599);
            assert_eq!(
                P.next_delay(0, Method::Get, &http(status), 0.5).is_some(),
                expected,
                "{status}"
            );
        }
        assert!(P
            .next_delay(0, Method::Get, &Failure::Network, 0.5)
            .is_some());
    }

    #[test]
    fn gives_up_after_max_retries() {
        for attempt in 0..3 {
            assert!(P
                .next_delay(attempt, Method::Get, &Failure::Network, 0.5)
                .is_some());
        }
        for attempt in [3, 4, u32::MAX] {
            assert_eq!(
                P.next_delay(attempt, Method::Get, &Failure::Network, 0.5),
                None
            );
        }
        assert_eq!(
            RetryPolicy::NONE.next_delay(0, Method::Get, &http(503), 0.5),
            None
        );
    }

    #[test]
    fn backoff_doubles_with_full_jitter_and_a_ceiling() {
        let many = RetryPolicy {
            max_retries: u32::MAX,
            ..P
        };
        let delay = |attempt, random| {
            many.next_delay(attempt, Method::Get, &http(503), random)
                .unwrap()
        };
        assert_eq!(delay(0, 0.5), 50);
        assert_eq!(delay(1, 0.5), 100);
        assert_eq!(delay(2, 0.5), 200);
        assert_eq!(delay(3, 0.5), 400);
        assert_eq!(delay(4, 0.5), 500); // ceiling 1000
        assert_eq!(delay(63, 0.5), 500);
        assert_eq!(delay(64, 0.5), 500);
        assert_eq!(delay(u32::MAX - 1, 0.5), 500);
        for attempt in [0, 1, 5, 100] {
            assert_eq!(delay(attempt, 0.0), 0);
            let ceiling = (100u64 << attempt.min(10)).min(1_000);
            assert!(delay(attempt, 0.999_999_9) < ceiling);
            // Out-of-range randoms are clamped into [0, ceiling).
            assert!(delay(attempt, 1.0) < ceiling);
            assert!(delay(attempt, 7.0) < ceiling);
            assert_eq!(delay(attempt, -1.0), 0);
            assert_eq!(delay(attempt, f64::NAN), 0);
            assert_eq!(delay(attempt, f64::NEG_INFINITY), 0);
            assert!(delay(attempt, f64::INFINITY) < ceiling);
        }
        let huge = RetryPolicy {
            max_retries: 100,
            base_delay_ms: u64::MAX,
            max_delay_ms: u64::MAX,
            max_retry_after_ms: 0,
        };
        assert!(huge
            .next_delay(70, Method::Get, &Failure::Network, 0.5)
            .is_some());
        let zero = RetryPolicy {
            base_delay_ms: 0,
            ..P
        };
        assert_eq!(
            zero.next_delay(0, Method::Get, &Failure::Network, 0.9),
            Some(0)
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let ra = |status, ms| Failure::Http {
            status,
            retry_after_ms: Some(ms),
        };
        assert_eq!(
            P.next_delay(0, Method::Get, &ra(429, 1_000), 0.0),
            Some(1_000)
        );
        assert_eq!(P.next_delay(2, Method::Get, &ra(503, 0), 0.9), Some(0));
        assert_eq!(
            P.next_delay(0, Method::Get, &ra(429, 10_000), 0.5),
            Some(10_000)
        );
        assert_eq!(P.next_delay(0, Method::Get, &ra(429, 10_001), 0.5), None);
        // Retry-After does not make a non-retryable status retryable, nor lift max_retries.
        assert_eq!(P.next_delay(0, Method::Get, &ra(400, 1), 0.5), None);
        assert_eq!(P.next_delay(3, Method::Get, &ra(429, 1), 0.5), None);
        assert_eq!(P.next_delay(0, Method::Post, &ra(429, 1), 0.5), None);
    }

    #[test]
    fn failures_from_errors() {
        use crate::client::{response, HttpResponse};
        assert_eq!(
            Failure::from_error(&Error::network("x")),
            Some(Failure::Network)
        );
        assert_eq!(
            Failure::from_error(&Error::timeout("x")),
            Some(Failure::Network)
        );
        assert_eq!(Failure::from_error(&Error::aborted("x")), None);
        let e = response::error(&HttpResponse::new(429, "").with_retry_after(Some("3")));
        assert_eq!(
            Failure::from_error(&e),
            Some(Failure::Http {
                status: 429,
                retry_after_ms: Some(3_000)
            })
        );
        let invalid = response::list_connections(&HttpResponse::new(200, "x")).unwrap_err();
        assert_eq!(Failure::from_error(&invalid), None);
        let validation = crate::client::request::delete_connection("").unwrap_err();
        assert_eq!(Failure::from_error(&validation), None);
        assert_eq!(RetryPolicy::default().max_retries, 2);
    }
}
