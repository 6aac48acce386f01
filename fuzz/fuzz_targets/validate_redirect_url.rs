//! `validate_redirect_url`: the first byte's low bit is the loopback opt-in, the rest the URL.
//! An accepted URL comes back normalised, and the normalised form is accepted as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markifact_connect::{validate_redirect_url, ErrorCode, RedirectUrlOptions};

fuzz_target!(|data: &[u8]| {
    let Some((flags, rest)) = data.split_first() else { return };
    let Ok(input) = std::str::from_utf8(rest) else { return };
    let options = RedirectUrlOptions {
        allow_insecure_localhost: flags & 1 == 1,
    };
    match validate_redirect_url(input, options) {
        Ok(normalised) => {
            let url = url::Url::parse(&normalised).expect("the normalised URL parses");
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            assert!(url.scheme() == "https" || (options.allow_insecure_localhost && loopback), "{normalised}");
            assert!(url.username().is_empty() && url.password().is_none() && url.fragment().is_none());
            assert!(normalised.len() <= 2048 || input.len() <= 2048);
            assert!(!normalised.chars().any(|c| c.is_whitespace() || c.is_control()));
            assert_eq!(validate_redirect_url(&normalised, options).as_deref(), Ok(normalised.as_str()));
        }
        Err(error) => {
            assert_eq!(error.code(), ErrorCode::InvalidRedirectUrl, "{error:?}");
            assert!(error.rule().is_some());
        }
    }
});
