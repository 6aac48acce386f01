//! The sandbox's in-memory state: auth links, connections, the clock and the fault queue.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How long an auth link stays usable after its creation: 24 hours, in milliseconds.
pub const LINK_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// A connection type the sandbox knows: its API id and its human name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConnectionType {
    /// The id used on the wire (`connection_type`, `type`), e.g. `gads`.
    #[serde(rename = "type")]
    pub id: &'static str,
    /// The name shown to people, e.g. `Google Ads`.
    pub name: &'static str,
}

/// The connection types `GET /v1/connections/types` lists and link creation accepts.
pub const CONNECTION_TYPES: &[ConnectionType] = &[
    ConnectionType {
        id: "gads",
        name: "Google Ads",
    },
    ConnectionType {
        id: "ga4",
        name: "Google Analytics 4",
    },
    ConnectionType {
        id: "meta_ads",
        name: "Meta Ads",
    },
];

/// The human name of a known connection type.
pub(crate) fn type_name(id: &str) -> Option<&'static str> {
    CONNECTION_TYPES.iter().find(|t| t.id == id).map(|t| t.name)
}

/// An auth link as the sandbox stores it.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub id: String,
    pub connection_type: String,
    pub redirect_url: Option<String>,
    pub external_id: Option<String>,
    pub is_private: bool,
    /// The API key that created it (each key is one user of the team).
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub connection_id: Option<String>,
}

/// Where a link is in its lifecycle, at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LinkState {
    Pending,
    Connected,
    Expired,
}

impl Link {
    pub fn state(&self, now: i64) -> LinkState {
        if self.consumed_at.is_some() {
            LinkState::Connected
        } else if now >= self.expires_at {
            LinkState::Expired
        } else {
            LinkState::Pending
        }
    }

    pub fn visible_to(&self, key: &str) -> bool {
        !self.is_private || self.owner == key
    }
}

/// A connection as the sandbox stores it.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub id: String,
    pub connection_type: String,
    pub is_private: bool,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The API key whose link created it.
    pub owner: String,
}

impl Connection {
    pub fn visible_to(&self, key: &str) -> bool {
        !self.is_private || self.owner == key
    }
}

/// The Connection object on the wire, in the contract's field order.
#[derive(Debug, Serialize)]
pub(crate) struct ConnectionView<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub connection_type: &'a str,
    pub is_private: bool,
    pub display_name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl<'a> From<&'a Connection> for ConnectionView<'a> {
    fn from(c: &'a Connection) -> Self {
        ConnectionView {
            id: &c.id,
            connection_type: &c.connection_type,
            is_private: c.is_private,
            display_name: c.display_name.as_deref(),
            external_id: c.external_id.as_deref(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The AuthLinkStatus object on the wire, in the contract's field order.
#[derive(Debug, Serialize)]
pub(crate) struct AuthLinkStatusView<'a> {
    pub id: &'a str,
    pub status: LinkState,
    pub connection_type: &'a str,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub connection_id: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub consumed_at: Option<i64>,
    pub connections: Vec<ConnectionView<'a>>,
}

/// One injected fault, consumed by one `/v1` request (see the crate docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fault {
    /// Answer with this status instead of handling the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// With `status`: a `Retry-After` header, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// Wait this long first (then answer `status`, reset, or handle the request normally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// With `status`: this exact raw body (with `Content-Type: application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Close the TCP connection without writing a response.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// Answer `200` with a valid JSON array padded with spaces to this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub huge_body_bytes: Option<u64>,
    /// Write the head and half of the body, wait this long, then the rest (a slow body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_delay_ms: Option<u64>,
    /// Write the head and half of the body, then close the connection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset_mid_body: bool,
}

/// The longest `delay_ms` or `body_delay_ms` a fault may ask for (ten minutes).
pub(crate) const MAX_FAULT_DELAY_MS: u64 = 10 * 60 * 1000;

/// The largest `huge_body_bytes` (256 MiB): big enough for any client cap, small enough to serve.
pub(crate) const MAX_HUGE_BODY_BYTES: u64 = 256 * 1024 * 1024;

impl Fault {
    /// Checks the combinations that make sense; the message says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let shapes_body =
            self.huge_body_bytes.is_some() || self.body_delay_ms.is_some() || self.reset_mid_body;
        if self.status.is_none() && self.delay_ms.is_none() && !self.reset && !shapes_body {
            return Err(
                "a fault needs at least one of status, delay_ms, reset, huge_body_bytes, body_delay_ms or reset_mid_body"
                    .into(),
            );
        }
        if self.reset && shapes_body {
            return Err(
                "reset drops the connection before any body; it excludes the body faults".into(),
            );
        }
        if self.huge_body_bytes.is_some() && (self.status.is_some() || self.body.is_some()) {
            return Err(
                "huge_body_bytes is its own 200 answer; it excludes status and body".into(),
            );
        }
        if self
            .huge_body_bytes
            .is_some_and(|n| !(2..=MAX_HUGE_BODY_BYTES).contains(&n))
        {
            return Err(format!(
                "huge_body_bytes must be 2 to {MAX_HUGE_BODY_BYTES}"
            ));
        }
        if self.body_delay_ms.is_some_and(|d| d > MAX_FAULT_DELAY_MS) {
            return Err(format!(
                "body_delay_ms must be at most {MAX_FAULT_DELAY_MS}"
            ));
        }
        if let Some(status) = self.status {
            if !(200..=599).contains(&status) {
                return Err(format!("status must be 200 to 599; got {status}"));
            }
            if self.reset {
                return Err("status and reset exclude each other".into());
            }
            if self.body.is_some() && matches!(status, 204 | 304) {
                return Err(format!("a {status} response cannot carry a body"));
            }
        } else if self.body.is_some() || self.retry_after_s.is_some() {
            return Err("body and retry_after_s need a status".into());
        }
        if self.delay_ms.is_some_and(|d| d > MAX_FAULT_DELAY_MS) {
            return Err(format!("delay_ms must be at most {MAX_FAULT_DELAY_MS}"));
        }
        Ok(())
    }
}

/// Opaque UUID-shaped ids (version 4 layout): a counter keyed through SipHash with random keys,
/// so ids are unique within the process and unpredictable across runs.
struct IdGenerator {
    counter: u64,
    keys: RandomState,
}

impl IdGenerator {
    fn new() -> Self {
        IdGenerator {
            counter: 0,
            keys: RandomState::new(),
        }
    }

    fn next(&mut self) -> String {
        self.counter += 1;
        let word = |salt: u64| {
            let mut hasher = self.keys.build_hasher();
            hasher.write_u64(self.counter);
            hasher.write_u64(salt);
            hasher.finish()
        };
        let hi = (word(0) & !0xF000) | 0x4000;
        let lo = (word(1) & !(0xC000 << 48)) | (0x8000 << 48);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

/// Milliseconds since the Unix epoch, by the machine's clock.
fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Everything the sandbox remembers. Guarded by one mutex in [`crate::app::App`].
pub(crate) struct State {
    clock_offset_ms: i64,
    pub links: HashMap<String, Link>,
    /// In creation order; deleted connections are removed.
    pub connections: Vec<Connection>,
    pub faults: VecDeque<Fault>,
    ids: IdGenerator,
}

impl State {
    pub fn new() -> Self {
        State {
            clock_offset_ms: 0,
            links: HashMap::new(),
            connections: Vec::new(),
            faults: VecDeque::new(),
            ids: IdGenerator::new(),
        }
    }

    /// The sandbox clock: real time plus the offset `/_sandbox/clock` added.
    pub fn now(&self) -> i64 {
        real_now_ms().saturating_add(self.clock_offset_ms)
    }

    pub fn advance_clock(&mut self, ms: i64) -> i64 {
        self.clock_offset_ms = self.clock_offset_ms.saturating_add(ms);
        self.now()
    }

    /// Forgets links, connections and faults, and puts the clock back to real time. Ids keep
    /// counting, so an id from before a reset never names something created after it.
    pub fn reset(&mut self) {
        self.clock_offset_ms = 0;
        self.links.clear();
        self.connections.clear();
        self.faults.clear();
    }

    pub fn new_id(&mut self) -> String {
        self.ids.next()
    }

    pub fn connection(&self, id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// The status of a link as `key` sees it at `now`.
    pub fn status_view<'a>(
        &'a self,
        link: &'a Link,
        key: &str,
        now: i64,
    ) -> AuthLinkStatusView<'a> {
        let status = link.state(now);
        let connections = match (status, &link.connection_id) {
            (LinkState::Connected, Some(id)) => self
                .connection(id)
                .filter(|c| c.visible_to(key))
                .map(ConnectionView::from)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        AuthLinkStatusView {
            id: &link.id,
            status,
            connection_type: &link.connection_type,
            expires_at: link.expires_at,
            created_at: link.created_at,
            updated_at: link.updated_at,
            connection_id: link.connection_id.as_deref(),
            external_id: link.external_id.as_deref(),
            consumed_at: link.consumed_at,
            connections,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let mut ids = IdGenerator::new();
        let a = ids.next();
        let b = ids.next();
        assert_ne!(a, b);
        for id in [&a, &b] {
            let groups: Vec<&str> = id.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(id
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
            assert!(groups[2].starts_with('4'), "{id}");
            assert!(
                matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
                "{id}"
            );
        }
    }

    #[test]
    fn fault_combinations() {
        let ok = |f: Fault| f.check().is_ok();
        assert!(!ok(Fault::default()));
        assert!(ok(Fault {
            status: Some(429),
            retry_after_s: Some(1),
            ..Fault::default()
        }));
        assert!(ok(Fault {
            delay_ms: Some(10),
            reset: true,
            ..Fault::default()
        }));
        assert!(!ok(Fault {
            status: Some(503),
            reset: true,
            ..Fault::default()
        }));
        assert!(!ok(Fault {
            status: Some(99),
            ..Fault::default()
        }));
        assert!(!ok(Fault {
            body: Some("x".into()),
            ..Fault::default()
        }));
        assert!(!ok(Fault {
            delay_ms: Some(MAX_FAULT_DELAY_MS + 1),
            ..Fault::default()
        }));
    }
}
