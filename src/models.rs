//! The objects of the Markifact Connections API.
//!
//! They deserialise from the wire (snake_case JSON), tolerantly where the contract is: nullable or
//! missing optional fields become `None`, unknown fields are ignored. The objects the API returns
//! serialise in the JavaScript API's shape (camelCase, absent instead of `null`), which is what the
//! npm package hands to JavaScript. Timestamps are milliseconds since the Unix epoch.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// A connected account (`GET /v1/connections`, `GET /v1/connections/{id}`, `DELETE ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "typescript",
    derive(ts_rs::TS),
    ts(rename_all = "camelCase")
)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Connection {
    /// Markifact's id. The schema calls it nullable, so `None` is tolerated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub id: Option<String>,
    /// The connection type, e.g. `gads`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "typescript", ts(rename = "type"))]
    pub connection_type: String,
    /// `true` when only the key's user sees it, `false` when shared with the workspace.
    pub is_private: bool,
    /// The account's display name, when the provider gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub display_name: Option<String>,
    /// The app's `external_id` given at link creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub external_id: Option<String>,
    /// Creation time (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub created_at: Option<i64>,
    /// Last update time (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub updated_at: Option<i64>,
}

/// The state of an auth link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AuthLinkState {
    /// Not completed and not expired.
    Pending,
    /// The OAuth flow finished and the link was consumed.
    Connected,
    /// It lapsed before completion.
    Expired,
}

impl AuthLinkState {
    /// The state as the API writes it: `pending`, `connected` or `expired`.
    ///
    /// ```
    /// assert_eq!(markifact_connect::models::AuthLinkState::Expired.as_str(), "expired");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AuthLinkState::Pending => "pending",
            AuthLinkState::Connected => "connected",
            AuthLinkState::Expired => "expired",
        }
    }
}

/// `GET /v1/connections/auth-links/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "typescript",
    derive(ts_rs::TS),
    ts(rename_all = "camelCase")
)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct AuthLinkStatus {
    /// The auth link id.
    pub id: String,
    /// Where the link is in its lifecycle.
    pub status: AuthLinkState,
    /// The connection type the link was created for.
    pub connection_type: String,
    /// When the link expires or expired (ms since the epoch).
    pub expires_at: i64,
    /// Creation time (ms since the epoch).
    pub created_at: i64,
    /// Last update time (ms since the epoch).
    pub updated_at: i64,
    /// The connection the link produced, once connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub connection_id: Option<String>,
    /// The `external_id` given at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub external_id: Option<String>,
    /// When the link was used (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub consumed_at: Option<i64>,
    /// Exactly the produced connection while it still exists; empty when pending, expired, or
    /// deleted since (so `connection_id` may be set while this is empty).
    #[serde(default)]
    pub connections: Vec<Connection>,
}

/// A created auth link, as the client returns it: the API's answer plus the warnings about the
/// inputs that did not stop the creation (an `external_id` that looks like PII, a `redirect_url`
/// that makes redirects ambiguous).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuthLink {
    /// The auth link id, for the status endpoint.
    pub id: String,
    /// The hosted URL to send the user to.
    pub url: String,
    /// When the link expires (ms since the epoch).
    pub expires_at: i64,
    /// Human-readable warnings; empty when there is nothing to say.
    pub warnings: Vec<String>,
}

/// The body of `POST /v1/connections/auth-link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAuthLinkRequest {
    /// The connection type to connect, e.g. `gads`.
    pub connection_type: String,
    /// Where Markifact sends the browser afterwards (HTTPS; see [`validate_redirect_url`]).
    ///
    #[cfg_attr(
        feature = "full",
        doc = "[`validate_redirect_url`]: crate::validate_redirect_url"
    )]
    #[cfg_attr(
        not(feature = "full"),
        doc = "[`validate_redirect_url`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.validate_redirect_url.html"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The app's opaque id for the user or account (see [`validate_external_id`]).
    ///
    #[cfg_attr(
        feature = "full",
        doc = "[`validate_external_id`]: crate::validate_external_id"
    )]
    #[cfg_attr(
        not(feature = "full"),
        doc = "[`validate_external_id`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.validate_external_id.html"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `true` for a connection only the key's user sees; the API defaults to `false` (shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_private: Option<bool>,
}

/// The response of `POST /v1/connections/auth-link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAuthLinkResponse {
    /// The auth link id, for the status endpoint.
    pub id: String,
    /// The hosted URL to send the user to.
    pub url: String,
    /// When the link expires (ms since the epoch): 24 hours after creation.
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_are_the_wire_names() {
        for state in [
            AuthLinkState::Pending,
            AuthLinkState::Connected,
            AuthLinkState::Expired,
        ] {
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str())
            );
        }
    }

    #[test]
    fn connection_tolerates_nulls_and_missing_fields() {
        let c: Connection = serde_json::from_str(
            r#"{"id":null,"type":"ga4","is_private":false,"display_name":null,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(c.id, None);
        assert_eq!(c.connection_type, "ga4");
        assert_eq!(
            (c.external_id, c.created_at, c.updated_at),
            (None, None, None)
        );
    }

    #[test]
    fn status_reads_the_documented_shape() {
        let s: AuthLinkStatus = serde_json::from_str(
            r#"{"id":"l1","status":"connected","connection_type":"ga4","expires_at":1,"created_at":0,
                "updated_at":2,"connection_id":"c1","external_id":null,"consumed_at":2,
                "connections":[{"id":"c1","type":"ga4","is_private":true,"display_name":"Acme",
                "external_id":null,"created_at":2,"updated_at":2}]}"#,
        )
        .unwrap();
        assert_eq!(s.status, AuthLinkState::Connected);
        assert_eq!(s.connections.len(), 1);
        assert!(serde_json::from_str::<AuthLinkStatus>(r#"{"id":"l1","status":"done"}"#).is_err());
    }

    #[test]
    fn create_request_omits_unset_options() {
        let body = CreateAuthLinkRequest {
            connection_type: "ga4".into(),
            redirect_url: None,
            external_id: Some("u1".into()),
            is_private: None,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"connection_type":"ga4","external_id":"u1"}"#
        );
    }
}
