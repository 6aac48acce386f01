//! The API response interpreters on any status, `Retry-After` and body: every outcome is a typed
//! value or a coded error with the status, and what is kept of a body stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markifact_connect::client::{response, HttpResponse, MAX_DETAIL_BYTES, MAX_RETRY_AFTER_MS};
use markifact_connect::{Error, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let [high, low, rest @ ..] = data else { return };
    let status = u16::from_be_bytes([*high, *low]) % 1000;
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (retry_after, body) = text.split_once('\n').unwrap_or(("", text));
    let view = HttpResponse::new(status, body)
        .with_retry_after(Some(retry_after))
        .with_now_ms(1_767_225_600_000);
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
