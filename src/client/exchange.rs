//! One request and its interpretation, repeating a `GET` that failed transiently as the
//! [`RetryPolicy`] says: the machine behind every call but the wait.
//!
//! The retries are the same whatever a call returns, so they are compiled once ([`Retries`]);
//! only the last step, interpreting the final response, depends on the call's result type.

use super::api::{HttpRequest, RawResponse};
use super::call::{out_of_order, received, Action, Event, Machine};
use super::response::{self, HttpResponse};
use super::retry::{Failure, RetryPolicy};
use crate::error::Error;
use crate::Result;

/// Turns the final response into the call's result (an error status included).
pub(crate) type Interpret<T> = Box<dyn FnOnce(&HttpResponse<'_>) -> Result<T> + Send>;

pub(crate) struct Exchange<T> {
    retries: Retries,
    interpret: Option<Interpret<T>>,
}

impl<T> Exchange<T> {
    pub(crate) fn new(request: HttpRequest, retry: RetryPolicy, interpret: Interpret<T>) -> Self {
        Exchange {
            retries: Retries {
                request,
                retry,
                attempt: 0,
                state: State::Ready,
            },
            interpret: Some(interpret),
        }
    }
}

impl<T> Machine<T> for Exchange<T> {
    fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Action<T> {
        match self.retries.step(event, now_ms, random) {
            Step::Send(request) => Action::Send(request),
            Step::Sleep(ms) => Action::Sleep(ms),
            Step::Failed(error) => Action::Done(Err(error)),
            Step::Received(raw) => match self.interpret.take() {
                Some(interpret) => Action::Done(interpret(&raw.view(now_ms))),
                None => Action::Done(Err(out_of_order(&Event::Continue, "done"))),
            },
        }
    }
}

/// The request and its retries, up to the final response.
struct Retries {
    request: HttpRequest,
    retry: RetryPolicy,
    /// Retries made so far.
    attempt: u32,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    Sending,
    Sleeping,
}

/// What [`Retries`] decided: an [`Action`] without a result yet, or the final response.
enum Step {
    Send(HttpRequest),
    Sleep(u64),
    Failed(Error),
    /// A real response that is not retried: the call's result, once interpreted.
    Received(RawResponse),
}

impl Retries {
    fn send(&mut self) -> Step {
        self.state = State::Sending;
        Step::Send(self.request.clone())
    }

    /// Sleeps before the next attempt when the policy says so for this failure.
    fn retry(&mut self, failure: Option<Failure>, random: f64) -> Option<Step> {
        let ms = self
            .retry
            .next_delay(self.attempt, self.request.method, &failure?, random)?;
        self.attempt += 1;
        self.state = State::Sleeping;
        Some(Step::Sleep(ms))
    }

    fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Step {
        match (self.state, event) {
            (State::Ready | State::Sleeping, Event::Continue) => self.send(),
            (State::Sending, Event::Response(raw)) => {
                let failure = match received(&raw, now_ms) {
                    Ok(view) if view.is_success() => None,
                    Ok(view) => Failure::from_error(&response::error(&view)),
                    Err(error) => return Step::Failed(error),
                };
                self.retry(failure, random).unwrap_or(Step::Received(raw))
            }
            // A sleep only fails when the caller cancels it.
            (State::Sleeping, Event::Failed(error)) => Step::Failed(error),
            (State::Sending, Event::Failed(error)) => self
                .retry(Failure::from_error(&error), random)
                .unwrap_or(Step::Failed(error)),
            (State::Ready, event) => Step::Failed(out_of_order(&event, "not started")),
            (State::Sending, event) => Step::Failed(out_of_order(&event, "waiting for a response")),
            (State::Sleeping, event) => Step::Failed(out_of_order(&event, "sleeping")),
        }
    }
}
