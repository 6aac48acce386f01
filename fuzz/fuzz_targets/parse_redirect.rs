//! `parse_redirect` on any input: a URL, optionally followed by NUL and the `redirect_url` of
//! an exact parse. Beyond "no panic": results keep the parser's promises, and errors are coded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markifact_connect::{parse_redirect, ErrorCode, ParseOptions, RedirectResult};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (url, redirect_url) = match text.split_once('\0') {
        Some((url, original)) => (url, Some(original)),
        None => (text, None),
    };
    let outcome = parse_redirect(url, ParseOptions { redirect_url });
    match &outcome {
        Ok(RedirectResult::Success(success)) => {
            assert!(!success.connection_type.is_empty() && !success.connection_id.is_empty());
        }
        Ok(RedirectResult::Error(_)) => {}
        Err(error) => {
            assert!(ErrorCode::ALL.contains(&error.code()));
            assert!(!error.message().is_empty());
            assert_ne!(error.code(), ErrorCode::Internal, "{error:?}");
        }
    }
    // Deterministic, and results are plain JSON that reads back as the same value.
    assert_eq!(outcome, parse_redirect(url, ParseOptions { redirect_url }));
    if let Ok(result) = outcome {
        let json = serde_json::to_string(&result).expect("a result serialises");
        assert_eq!(serde_json::from_str::<RedirectResult>(&json).expect("and reads back"), result);
    }
});
