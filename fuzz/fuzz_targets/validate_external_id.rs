//! `validate_external_id` against an independent statement of the rule: 1 to 255 Unicode scalar values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markifact_connect::{validate_external_id, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let expected_ok = (1..=255).contains(&input.chars().count());
    match validate_external_id(input) {
        Ok(()) => assert!(expected_ok, "accepted {} characters", input.chars().count()),
        Err(error) => {
            assert!(!expected_ok, "refused {input:?}: {error:?}");
            assert_eq!(error.code(), ErrorCode::InvalidExternalId);
        }
    }
});
