//! `context_header` on ids separated by NUL: the header is JSON naming exactly those ids, and
//! only ASCII (fetch refuses header bytes above U+00FF).
#![no_main]

use libfuzzer_sys::fuzz_target;
use markifact_connect::{context_header, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ids: Vec<&str> = if text.is_empty() { Vec::new() } else { text.split('\0').collect() };
    match context_header(&ids) {
        Ok(header) => {
            assert!(header.is_ascii());
            let value: serde_json::Value = serde_json::from_str(&header).expect("the header is JSON");
            let read: Vec<&str> = value["connection_ids"]
                .as_array()
                .expect("connection_ids is an array")
                .iter()
                .map(|id| id.as_str().expect("ids are strings"))
                .collect();
            assert_eq!(read, ids);
        }
        Err(error) => {
            assert!(ids.iter().any(|id| id.is_empty()));
            assert_eq!(error.code(), ErrorCode::InvalidArgument);
        }
    }
});
