//! Waiting for an auth link: polling its status until it is `connected` or `expired`, as the
//! [`PollPolicy`] says, within the caller's deadline. Transient failures (429, 5xx, network,
//! timeouts) only slow the polling down; every status read is reported as progress.

use super::api::HttpRequest;
use super::call::{out_of_order, received, Action, Event, Machine};
use super::poll::{PollPolicy, PollStep};
use super::response;
use super::ClientConfig;
use crate::error::Error;
use crate::models::AuthLinkStatus;
use crate::text::{concat, decimal};

pub(crate) struct Wait {
    request: HttpRequest,
    /// The client's per-attempt timeout; a poll also never outlives the deadline.
    attempt_timeout_ms: u64,
    wait_ms: u64,
    policy: PollPolicy,
    deadline: u64,
    /// Polls sent so far.
    attempt: u32,
    last: Option<AuthLinkStatus>,
    state: State,
}

enum State {
    Ready,
    Polling,
    /// A status was reported; this is what comes next.
    Reported(Box<Action<AuthLinkStatus>>),
    Sleeping,
}

impl Wait {
    pub(crate) fn new(config: &ClientConfig, request: HttpRequest, wait_ms: u64) -> Self {
        Wait {
            request,
            attempt_timeout_ms: config.timeout_ms(),
            wait_ms,
            policy: PollPolicy::default(),
            deadline: 0,
            attempt: 0,
            last: None,
            state: State::Ready,
        }
    }

    fn poll(&mut self, now_ms: u64) -> Action<AuthLinkStatus> {
        self.attempt += 1;
        let time_left = self.deadline.saturating_sub(now_ms).max(1);
        self.request.timeout_ms = self.attempt_timeout_ms.min(time_left);
        self.state = State::Polling;
        Action::Send(self.request.clone())
    }

    /// What follows a poll: sleep, or done (the final status, or a timeout).
    fn next(
        &mut self,
        retry_after: Option<u64>,
        now_ms: u64,
        random: f64,
    ) -> Action<AuthLinkStatus> {
        let step = self.policy.next(
            self.last.as_ref().map(|s| s.status),
            retry_after,
            self.attempt,
            now_ms,
            self.deadline,
            self.last
                .as_ref()
                .and_then(|s| u64::try_from(s.expires_at).ok()),
            random,
        );
        match (step, self.last.take()) {
            (PollStep::Done, Some(status)) => Action::Done(Ok(status)),
            (PollStep::Wait(ms), status) => {
                self.last = status;
                self.state = State::Sleeping;
                Action::Sleep(ms)
            }
            (PollStep::TimedOut | PollStep::Done, status) => {
                let state = status.map_or("unknown", |s| s.status.as_str());
                Action::Done(Err(Error::timeout(concat(&[
                    "wait_for_auth_link gave up after ",
                    &decimal(self.wait_ms),
                    " ms; the link is still ",
                    state,
                ]))))
            }
        }
    }

    fn polled(
        &mut self,
        polled: crate::Result<AuthLinkStatus>,
        now_ms: u64,
        random: f64,
    ) -> Action<AuthLinkStatus> {
        match polled {
            Ok(status) => {
                self.last = Some(status.clone());
                let next = self.next(None, now_ms, random);
                self.state = State::Reported(Box::new(next));
                Action::Progress(status)
            }
            Err(error) if error.retryable() => self.next(error.retry_after_ms(), now_ms, random),
            Err(error) => Action::Done(Err(error)),
        }
    }
}

impl Machine<AuthLinkStatus> for Wait {
    fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Action<AuthLinkStatus> {
        match (core::mem::replace(&mut self.state, State::Ready), event) {
            (State::Ready, Event::Continue) => {
                self.deadline = now_ms.saturating_add(self.wait_ms);
                self.poll(now_ms)
            }
            (State::Sleeping, Event::Continue) => self.poll(now_ms),
            (State::Reported(next), Event::Continue) => {
                if matches!(*next, Action::Sleep(_)) {
                    self.state = State::Sleeping;
                }
                *next
            }
            (State::Polling, Event::Response(raw)) => {
                let polled =
                    received(&raw, now_ms).and_then(|view| response::auth_link_status(&view));
                self.polled(polled, now_ms, random)
            }
            (State::Polling, Event::Failed(error)) => self.polled(Err(error), now_ms, random),
            (State::Sleeping | State::Reported(_), Event::Failed(error)) => {
                Action::Done(Err(error))
            }
            (State::Ready, event) => Action::Done(Err(out_of_order(&event, "not started"))),
            (State::Polling, event) => {
                Action::Done(Err(out_of_order(&event, "waiting for a response")))
            }
            (State::Sleeping | State::Reported(_), event) => {
                Action::Done(Err(out_of_order(&event, "sleeping")))
            }
        }
    }
}
