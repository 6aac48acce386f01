//! Round trip against an independent model of how Markifact builds the redirect.
//!
//! The model is written from the contract (`The redirect back to the app`), not from the crate:
//! Markifact keeps the app's `redirect_url` as it is and appends `status`, `connection_type`,
//! `connection_id` (success), `external_id` (when given) and `error` (error); a name the app's URL
//! already uses is appended as `markifact_<name>` instead. Values are form-urlencoded by an encoder
//! written here. The parse must then give back exactly what the model put in:
//!
//! (a) with `ParseOptions { redirect_url: Some(app_url) }`, always;
//! (b) without options, whenever the reader rule ("the last `markifact_<name>` when present,
//!     otherwise `<name>`") is not fooled by the app's own names; in particular whenever the app's
//!     URL has no `markifact_<name>` parameter, except for one case that is ambiguous by the
//!     contract's own rule and is checked separately: the app's URL has its own `external_id` and
//!     Markifact appended none, so the reader takes the app's value.
#![cfg(not(target_arch = "wasm32"))]

use std::fmt::Write as _;

use markifact_connect::{parse_redirect, ErrorCode, ParseOptions};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde_json::{json, Value};

/// Markifact's parameter names, from the contract.
const NAMES: [&str; 5] = [
    "status",
    "connection_type",
    "connection_id",
    "external_id",
    "error",
];

/// The contract's collision prefix.
const PREFIX: &str = "markifact_";

// ---------------------------------------------------------------------------------------------
// The model's own form-urlencoded writer.

/// How one key or value is written into the query.
#[derive(Debug, Clone, Copy)]
struct Style {
    /// `+` for a space instead of `%20`.
    plus_for_space: bool,
    /// `%c3` instead of `%C3`.
    lower_hex: bool,
    /// Leave `/ ? : @ ! $ ' ( ) * , ;` unescaped (all legal in a query).
    keep_sub_delims: bool,
    /// Escape even the unreserved characters (`status` as `%73%74...`).
    escape_all: bool,
}

/// Percent-encodes every UTF-8 byte outside the unreserved set (subject to `style`).
fn encode(text: &str, style: Style) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &byte in text.as_bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        let sub_delim = matches!(
            byte,
            b'/' | b'?' | b':' | b'@' | b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b',' | b';'
        );
        if unreserved && !style.escape_all {
            out.push(byte as char);
        } else if byte == b' ' && style.plus_for_space {
            out.push('+');
        } else if sub_delim && style.keep_sub_delims && !style.escape_all {
            out.push(byte as char);
        } else if style.lower_hex {
            write!(out, "%{byte:02x}").unwrap();
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

#[test]
fn the_model_encoder_escapes_what_it_must() {
    let plain = Style {
        plus_for_space: false,
        lower_hex: false,
        keep_sub_delims: false,
        escape_all: false,
    };
    assert_eq!(
        encode("a b&c=d+e%f#g?h/é", plain),
        "a%20b%26c%3Dd%2Be%25f%23g%3Fh%2F%C3%A9"
    );
    let loose = Style {
        plus_for_space: true,
        lower_hex: true,
        keep_sub_delims: true,
        ..plain
    };
    assert_eq!(encode("a b&c?/é😀", loose), "a+b%26c?/%c3%a9%f0%9f%98%80");
    let all = Style {
        escape_all: true,
        ..plain
    };
    assert_eq!(encode("st", all), "%73%74");
}

// ---------------------------------------------------------------------------------------------
// The app's redirect_url.

#[derive(Debug, Clone)]
struct AppParam {
    key: String,
    value: String,
    key_style: Style,
    value_style: Style,
    /// Write `key` alone, without `=` (only when the value is empty).
    bare: bool,
    /// Put an empty pair (`&&`) before this parameter.
    extra_amp: bool,
}

#[derive(Debug, Clone)]
struct AppUrl {
    origin: &'static str,
    path: String,
    params: Vec<AppParam>,
    /// With no parameters: write `?` anyway.
    empty_question: bool,
    leading_amp: bool,
    trailing_amp: bool,
}

impl AppUrl {
    fn to_url(&self) -> String {
        let mut url = format!("{}{}", self.origin, self.path);
        if self.params.is_empty() && !self.empty_question {
            return url;
        }
        url.push('?');
        if self.leading_amp {
            url.push('&');
        }
        for (index, param) in self.params.iter().enumerate() {
            if index > 0 {
                url.push('&');
            }
            if param.extra_amp {
                url.push('&');
            }
            url.push_str(&encode(&param.key, param.key_style));
            if !(param.bare && param.value.is_empty()) {
                url.push('=');
                url.push_str(&encode(&param.value, param.value_style));
            }
        }
        if self.trailing_amp && !self.params.is_empty() {
            url.push('&');
        }
        url
    }

    /// The app's parameters as a reader decodes them: every pair, in order.
    fn pairs(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect()
    }

    fn has_key(&self, key: &str) -> bool {
        self.params.iter().any(|p| p.key == key)
    }
}

// ---------------------------------------------------------------------------------------------
// What Markifact reports, and how it appends it.

#[derive(Debug, Clone)]
enum Outcome {
    Success {
        connection_type: String,
        connection_id: String,
        external_id: Option<String>,
    },
    Error {
        connection_type: String,
        external_id: Option<String>,
        error: String,
    },
}

impl Outcome {
    fn external_id(&self) -> Option<&str> {
        match self {
            Outcome::Success { external_id, .. } | Outcome::Error { external_id, .. } => {
                external_id.as_deref()
            }
        }
    }

    /// Markifact's parameters, unprefixed, in the contract's order.
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        match self {
            Outcome::Success {
                connection_type,
                connection_id,
                external_id,
            } => {
                params.push(("status", "success".to_owned()));
                params.push(("connection_type", connection_type.clone()));
                params.push(("connection_id", connection_id.clone()));
                if let Some(id) = external_id {
                    params.push(("external_id", id.clone()));
                }
            }
            Outcome::Error {
                connection_type,
                external_id,
                error,
            } => {
                params.push(("status", "error".to_owned()));
                params.push(("connection_type", connection_type.clone()));
                if let Some(id) = external_id {
                    params.push(("external_id", id.clone()));
                }
                params.push(("error", error.clone()));
            }
        }
        params
    }

    /// The names a reader without the app's URL reads for this outcome's status.
    fn read_names(&self) -> [&'static str; 4] {
        match self {
            Outcome::Success { .. } => {
                ["status", "connection_type", "connection_id", "external_id"]
            }
            Outcome::Error { .. } => ["status", "connection_type", "external_id", "error"],
        }
    }

    /// The read names for which "the last `markifact_<name>`, otherwise the one `<name>`" does not
    /// find Markifact's value: Markifact appended `<name>` plainly but the app has its own
    /// `markifact_<name>`; or Markifact appended nothing and the app has either form.
    fn ambiguous_names(&self, app: &AppUrl) -> Vec<&'static str> {
        let appended: Vec<&str> = self.params().iter().map(|(name, _)| *name).collect();
        self.read_names()
            .into_iter()
            .filter(|name| {
                let plain = app.has_key(name);
                let prefixed = app.has_key(&format!("{PREFIX}{name}"));
                if appended.contains(name) {
                    prefixed && !plain
                } else {
                    plain || prefixed
                }
            })
            .collect()
    }

    /// The result the JS API returns for this outcome (serde JSON of `RedirectResult`).
    fn expected(&self, app_params: &[(String, String)]) -> Value {
        let app: Vec<Value> = app_params.iter().map(|(k, v)| json!([k, v])).collect();
        let mut object = match self {
            Outcome::Success {
                connection_type,
                connection_id,
                ..
            } => json!({
                "status": "success",
                "connectionType": connection_type,
                "connectionId": connection_id,
            }),
            Outcome::Error {
                connection_type,
                error,
                ..
            } => json!({ "status": "error", "connectionType": connection_type, "error": error }),
        };
        if let Some(id) = self.external_id() {
            object["externalId"] = json!(id);
        }
        object["appParams"] = Value::Array(app);
        object
    }
}

/// Markifact's redirect: the app's URL unchanged, then its own parameters (collision rule applied),
/// in `order`, then an optional fragment.
fn markifact_redirect(
    app: &AppUrl,
    outcome: &Outcome,
    style: Style,
    order: &[u8],
    fragment: &str,
) -> String {
    let mut url = app.to_url();
    match url.split_once('?') {
        None => url.push('?'),
        Some((_, query)) if query.is_empty() || query.ends_with('&') => {}
        Some(_) => url.push('&'),
    }
    let mut params = outcome.params();
    let mut ranks: Vec<(u8, usize)> = (0..params.len()).map(|i| (order[i], i)).collect();
    ranks.sort();
    params = ranks.iter().map(|&(_, i)| params[i].clone()).collect();
    let pieces: Vec<String> = params
        .iter()
        .map(|(name, value)| {
            let key = if app.has_key(name) {
                format!("{PREFIX}{name}")
            } else {
                (*name).to_owned()
            };
            format!("{key}={}", encode(value, style))
        })
        .collect();
    url.push_str(&pieces.join("&"));
    url.push_str(fragment);
    url
}

// ---------------------------------------------------------------------------------------------
// Strategies.

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(plus_for_space, lower_hex, keep_sub_delims, escape_all)| Style {
                plus_for_space,
                lower_hex,
                keep_sub_delims,
                escape_all,
            },
        )
}

/// Characters for keys and values: mostly plain, often reserved, sometimes far from ASCII.
fn character() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => select(vec!['a', 'b', 'x', 'Z', '0', '9', '-', '.', '_', '~']),
        3 => select(vec!['&', '=', '+', '%', '#', '?', '/', ' ', ':', '@', '!', '\'', '*', ';', ',', '[', ']']),
        2 => select(vec!['é', 'ü', '日', '😀', '€', '\u{0}', '\n', '\u{7f}', '\u{fffd}', '\u{200b}']),
    ]
}

fn text(length: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(character(), length).prop_map(String::from_iter)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(NAMES.to_vec()).prop_map(str::to_owned),
        2 => select(NAMES.to_vec()).prop_map(|name| format!("{PREFIX}{name}")),
        1 => select(vec!["markifact_", "markifact_foo", "Status", "session_id"]).prop_map(str::to_owned),
        3 => text(1..6),
    ]
}

fn app_param() -> impl Strategy<Value = AppParam> {
    (
        key(),
        prop_oneof![1 => Just(String::new()), 3 => text(0..8)],
        style(),
        style(),
        any::<bool>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(key, value, key_style, value_style, bare, extra_amp)| AppParam {
                key,
                value,
                key_style,
                value_style,
                bare,
                extra_amp,
            },
        )
}

fn app_url() -> impl Strategy<Value = AppUrl> {
    (
        select(vec![
            "https://app.example.com",
            "https://EXAMPLE.com",
            "https://xn--bcher-kva.example",
            "https://127.0.0.1",
            "https://[::1]",
            "https://example.com:8443",
            "https://example.com:443",
        ]),
        prop::collection::vec("[a-z0-9._~-]{0,5}", 0..3),
        prop::collection::vec(app_param(), 0..6),
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(origin, segments, params, empty_question, leading_amp, trailing_amp)| AppUrl {
                origin,
                path: segments.iter().map(|s| format!("/{s}")).collect(),
                params,
                empty_question,
                leading_amp,
                trailing_amp,
            },
        )
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let connection_type = "[a-z][a-z0-9_]{0,11}";
    prop_oneof![
        (connection_type, text(1..10), prop::option::of(text(1..10))).prop_map(
            |(connection_type, connection_id, external_id)| Outcome::Success {
                connection_type,
                connection_id,
                external_id,
            }
        ),
        (connection_type, prop::option::of(text(1..10)), text(0..16)).prop_map(
            |(connection_type, external_id, error)| Outcome::Error {
                connection_type,
                external_id,
                error,
            }
        ),
    ]
}

fn fragment() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just(""),
        1 => select(vec!["#", "#_=_", "#status=error&connection_id=x&markifact_status=ok"]),
    ]
}

// ---------------------------------------------------------------------------------------------
// The properties.

fn parse(url: &str, redirect_url: Option<&str>) -> Result<Value, markifact_connect::Error> {
    parse_redirect(url, ParseOptions { redirect_url })
        .map(|result| serde_json::to_value(result).expect("a RedirectResult serialises"))
}

proptest! {
    #![proptest_config(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn parse_gives_back_what_markifact_appended(
        app in app_url(),
        outcome in outcome(),
        value_style in style(),
        order in prop::array::uniform4(any::<u8>()),
        fragment in fragment(),
    ) {
        let app_url = app.to_url();
        let redirect = markifact_redirect(&app, &outcome, value_style, &order, fragment);
        let model = outcome.expected(&app.pairs());

        // (a) Exact parse against the app's redirect_url: always the model.
        let exact = parse(&redirect, Some(&app_url));
        prop_assert_eq!(
            exact.as_ref().ok(), Some(&model),
            "exact parse of {} against {}: {:?}", redirect, app_url, exact
        );

        // (b) The prefix rule alone ("markifact_<name> when present, the last one; otherwise
        // <name>"). It recovers the model unless a name it reads is ambiguous.
        let guessed = parse(&redirect, None);
        let ambiguous = outcome.ambiguous_names(&app);
        if ambiguous.is_empty() {
            prop_assert_eq!(
                guessed.as_ref().ok(), Some(&model),
                "prefix-rule parse of {}: {:?}", redirect, guessed
            );
        } else if ambiguous == ["external_id"] && !app.has_key("markifact_external_id") {
            // The app's own external_id, with none appended: the reader takes the app's value
            // (or finds it twice).
            let app_external_ids: Vec<&str> = app
                .params
                .iter()
                .filter(|p| p.key == "external_id")
                .map(|p| p.value.as_str())
                .collect();
            if let [only] = app_external_ids[..] {
                let mut app_params = app.pairs();
                app_params.retain(|(k, _)| k != "external_id");
                let mut want = outcome.expected(&app_params);
                want["externalId"] = json!(only);
                prop_assert_eq!(guessed.as_ref().ok(), Some(&want), "{}: {:?}", redirect, guessed);
            } else {
                let code_and_field = guessed.as_ref().err().map(|e| (e.code(), e.field()));
                prop_assert_eq!(
                    code_and_field, Some((ErrorCode::DuplicateParameter, Some("external_id"))),
                    "{}: {:?}", redirect, guessed
                );
            }
        } else if let Err(e) = &guessed {
            // Ambiguous by design (the contract's "warn at link creation"): any coded answer.
            prop_assert_ne!(e.code(), ErrorCode::Internal, "{}", redirect);
        }
    }
}
