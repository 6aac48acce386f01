//! One request and its interpretation, repeating a `GET` that failed transiently as the
//! [`RetryPolicy`] says: the machine behind every call but the wait.

use super::api::HttpRequest;
use super::call::{out_of_order, received, Action, Event, Machine};
use super::response::{self, HttpResponse};
use super::retry::{Failure, RetryPolicy};
use crate::Result;

/// Turns the final response into the call's result (an error status included).
pub(crate) type Interpret<T> = Box<dyn FnOnce(&HttpResponse<'_>) -> Result<T> + Send>;

pub(crate) struct Exchange<T> {
    request: HttpRequest,
    retry: RetryPolicy,
    /// Retries made so far.
    attempt: u32,
    state: State,
    interpret: Option<Interpret<T>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    Sending,
    Sleeping,
}

impl<T> Exchange<T> {
    pub(crate) fn new(request: HttpRequest, retry: RetryPolicy, interpret: Interpret<T>) -> Self {
        Exchange {
            request,
            retry,
            attempt: 0,
            state: State::Ready,
            interpret: Some(interpret),
        }
    }

    fn send(&mut self) -> Action<T> {
        self.state = State::Sending;
        Action::Send(self.request.clone())
    }

    /// Sleeps before the next attempt when the policy says so for this failure.
    fn retry(&mut self, failure: Option<Failure>, random: f64) -> Option<Action<T>> {
        let ms = self
            .retry
            .next_delay(self.attempt, self.request.method, &failure?, random)?;
        self.attempt += 1;
        self.state = State::Sleeping;
        Some(Action::Sleep(ms))
    }
}

impl<T> Machine<T> for Exchange<T> {
    fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Action<T> {
        match (self.state, event) {
            (State::Ready | State::Sleeping, Event::Continue) => self.send(),
            (State::Sending, Event::Response(raw)) => {
                let view = match received(&raw, now_ms) {
                    Ok(view) => view,
                    Err(error) => return Action::Done(Err(error)),
                };
                let failure = match view.is_success() {
                    true => None,
                    false => Failure::from_error(&response::error(&view)),
                };
                if let Some(sleep) = self.retry(failure, random) {
                    return sleep;
                }
                match self.interpret.take() {
                    Some(interpret) => Action::Done(interpret(&view)),
                    None => out_of_order(&Event::Continue, "done"),
                }
            }
            // A sleep only fails when the caller cancels it.
            (State::Sleeping, Event::Failed(error)) => Action::Done(Err(error)),
            (State::Sending, Event::Failed(error)) => self
                .retry(Failure::from_error(&error), random)
                .unwrap_or(Action::Done(Err(error))),
            (State::Ready, event) => out_of_order(&event, "not started"),
            (State::Sending, event) => out_of_order(&event, "waiting for a response"),
            (State::Sleeping, event) => out_of_order(&event, "sleeping"),
        }
    }
}
