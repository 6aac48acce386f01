//! The API response interpreters on any status, `Retry-After` and body: every outcome is a typed
//! value or a coded error with the status, and what is kept of a body stays bounded. On a 2xx,
//! the client's own JSON reading agrees with `serde_json` and the models' serde derives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markifact_connect::client::{response, HttpResponse, MAX_DETAIL_BYTES, MAX_RETRY_AFTER_MS};
use markifact_connect::models::{AuthLinkStatus, Connection, CreateAuthLinkResponse};
use markifact_connect::{Error, ErrorCode};
use serde::de::DeserializeOwned;

/// The client's reading of a 2xx body and serde_json's agree on whether it is valid and on what it
/// says. Skipped where serde_json is knowingly different: numbers beyond `f64` (valid JSON it
/// refuses) and arrays where a struct is read (serde's derives read an array as a struct).
fn agrees<T: DeserializeOwned + PartialEq + std::fmt::Debug>(body: &str, ours: Result<T, Error>) {
    let Ok(tree) = serde_json::from_str::<serde_json::Value>(body) else {
        return;
    };
    let struct_type = !std::any::type_name::<T>().contains("Vec<");
    if nested_arrays(&tree) || (struct_type && tree.is_array()) {
        return;
    }
    let theirs = serde_json::from_str::<T>(body);
    assert_eq!(ours.as_ref().ok(), theirs.as_ref().ok(), "{body:?}: {theirs:?}");
}

fn nested_arrays(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .any(|item| item.is_array() || nested_arrays(item)),
        serde_json::Value::Object(map) => map.values().any(nested_arrays),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let [high, low, rest @ ..] = data else { return };
    let status = u16::from_be_bytes([*high, *low]) % 1000;
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (retry_after, body) = text.split_once('\n').unwrap_or(("", text));
    let view = HttpResponse::new(status, body)
        .with_retry_after(Some(retry_after))
        .with_now_ms(1_767_225_600_000);
    if view.is_success() {
        agrees::<CreateAuthLinkResponse>(body, response::create_auth_link(&view));
        agrees::<AuthLinkStatus>(body, response::auth_link_status(&view));
        agrees::<Vec<Connection>>(body, response::list_connections(&view));
        agrees::<Connection>(body, response::delete_connection(&view));
    }
    let errors: Vec<Error> = [
        response::create_auth_link(&view).err(),
        response::auth_link_status(&view).err(),
        response::list_connections(&view).err(),
        response::get_connection(&view).err(),
        response::delete_connection(&view).err(),
        response::connection_types(&view).err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    for error in errors {
        assert_ne!(error.code(), ErrorCode::Internal, "{error:?}");
        assert!(error.detail().is_none_or(|d| d.len() <= MAX_DETAIL_BYTES), "{error:?}");
        assert!(error.retry_after_ms().is_none_or(|ms| ms <= MAX_RETRY_AFTER_MS));
        if view.is_success() {
            assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error:?}");
        } else {
            assert_eq!(error.status(), Some(status), "{error:?}");
        }
    }
});
