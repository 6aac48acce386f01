//! Overlong inputs near and over every cap, built in code (too long to write into the vector
//! files), in the shapes of the vector files. Shared by the native run (`tests/vectors.rs`) and
//! the wasm run (`tests/wasm.rs`), where JS strings are UTF-16: the caps must count UTF-8 bytes
//! (and the external id's Unicode scalar values) after the crossing, not JS `length`.

use serde_json::{json, Value};

/// Overlong and oversized redirects, near and over the 16 KiB cap (too long to write into
/// `hostile.json`).
pub fn parse_redirect() -> Vec<Value> {
    const CAP: usize = 16 * 1024;
    let base = "https://app.example.com/cb?";
    let tail = "&status=error&error=x";
    let error_x = |app: Value| json!({"status": "error", "error": "x", "appParams": app});
    // An app parameter padded so that the whole URL is `len` bytes.
    let padded = |len: usize| {
        let pad = "x".repeat(len - base.len() - "pad=".len() - tail.len());
        (format!("{base}pad={pad}{tail}"), pad)
    };
    let (at_cap, pad_at_cap) = padded(CAP);
    let (over_cap, _) = padded(CAP + 1);
    // A 4-byte character (U+1F44D) ending exactly at the cap, or one byte past it.
    let head = "https://app.example.com/cb?status=error&error=";
    let emoji = |extra: usize| {
        let fill = "x".repeat(CAP - head.len() - 4 + extra);
        (format!("{head}{fill}\u{1F44D}"), format!("{fill}\u{1F44D}"))
    };
    let (emoji_at_cap, emoji_error) = emoji(0);
    let (emoji_over_cap, _) = emoji(1);
    // Invalid UTF-8 escapes filling the cap: each %FF is one U+FFFD.
    let escapes = (CAP - head.len()) / 3;
    let ff_url = format!("{head}{}", "%FF".repeat(escapes));
    // Thousands of parameters.
    let many_app = 3000;
    let many_app_url = format!("{base}{}status=error&error=x", "a=1&".repeat(many_app));
    let many_prefixed = 600;
    let many_prefixed_url = format!(
        "{base}{}markifact_status=success&connection_type=ga4&connection_id=c_1",
        "markifact_status=error&".repeat(many_prefixed)
    );
    let many_status_url = format!("{base}{}connection_type=ga4", "status=error&".repeat(1200));
    let ampersands_url = format!("{base}{}", "&".repeat(CAP - base.len()));
    let dots_url = format!(
        "https://app.example.com{}/cb?status=error&error=x",
        "/..".repeat(5000)
    );
    for url in [
        &at_cap,
        &ff_url,
        &many_app_url,
        &many_prefixed_url,
        &many_status_url,
        &ampersands_url,
        &dots_url,
    ] {
        assert!(url.len() <= CAP, "{} bytes", url.len());
    }
    assert_eq!((at_cap.len(), over_cap.len()), (CAP, CAP + 1));
    assert_eq!((emoji_at_cap.len(), emoji_over_cap.len()), (CAP, CAP + 1));
    let too_long = json!({"code": "input_too_long", "field": "url"});
    vec![
        json!({"name": "overlong: exactly 16384 bytes is parsed", "url": at_cap,
               "expect": error_x(json!([["pad", pad_at_cap]]))}),
        json!({"name": "overlong: 16385 bytes is input_too_long", "url": over_cap,
               "error": too_long}),
        json!({"name": "overlong: a 4-byte character ending exactly at 16384 bytes is parsed",
               "url": emoji_at_cap,
               "expect": {"status": "error", "error": emoji_error, "appParams": []}}),
        json!({"name": "overlong: a 4-byte character ending at 16385 bytes is input_too_long",
               "url": emoji_over_cap, "error": too_long}),
        json!({"name": "overlong: 1 MiB is input_too_long",
               "url": format!("{base}{}", "x".repeat(1 << 20)), "error": too_long}),
        json!({"name": "overlong: 1 MiB of NULs and escapes is input_too_long, not invalid_url",
               "url": "\u{0}%FF".repeat(1 << 18), "error": too_long}),
        json!({"name": "overlong: a value of %FF escapes up to the cap is one U+FFFD per escape",
               "url": ff_url,
               "expect": {"status": "error", "error": "\u{FFFD}".repeat(escapes), "appParams": []}}),
        json!({"name": "overlong: 3000 app parameters are all kept, in order", "url": many_app_url,
               "expect": error_x(Value::Array(vec![json!(["a", "1"]); many_app]))}),
        json!({"name": "overlong: 600 markifact_status before Markifact's, the last wins",
               "url": many_prefixed_url,
               "expect": {"status": "success", "connectionType": "ga4", "connectionId": "c_1",
                          "appParams": vec![json!(["markifact_status", "error"]); many_prefixed]}}),
        json!({"name": "overlong: status 1200 times is duplicate_parameter", "url": many_status_url,
               "error": {"code": "duplicate_parameter", "field": "status"}}),
        json!({"name": "overlong: a query of only & up to the cap has no status",
               "url": ampersands_url, "error": {"code": "missing_status", "field": "status"}}),
        json!({"name": "overlong: 5000 dot segments resolve and match redirectUrl's path",
               "url": dots_url, "redirectUrl": "https://app.example.com/cb",
               "expect": error_x(json!([]))}),
    ]
}

/// Overlong redirect URLs, near and over the 2048-byte cap.
pub fn validate_redirect_url() -> Vec<Value> {
    const CAP: usize = 2048;
    let base = "https://app.example.com/";
    let at_cap = format!("{base}{}", "x".repeat(CAP - base.len()));
    let over_cap = format!("{base}{}", "x".repeat(CAP + 1 - base.len()));
    // 2047 ASCII bytes and one 2-byte character: 2048 characters, 2049 bytes.
    let over_by_bytes = format!("{base}{}\u{e9}", "x".repeat(CAP - 1 - base.len()));
    let over_with_space = format!("{base} {}", "x".repeat(CAP - base.len()));
    let long_host = format!(
        "https://{}.example/",
        "a".repeat(CAP - "https://.example/".len())
    );
    assert_eq!((at_cap.len(), over_cap.len()), (CAP, CAP + 1));
    assert_eq!((over_by_bytes.len(), long_host.len()), (CAP + 1, CAP));
    let too_long = |name: &str, input: String| {
        json!({"name": name, "input": input,
               "error": {"code": "invalid_redirect_url", "rule": "too_long"}})
    };
    vec![
        json!({"name": "overlong: exactly 2048 bytes is accepted", "input": at_cap, "expect": at_cap}),
        too_long("overlong: 2049 bytes is too_long", over_cap),
        too_long(
            "overlong: 2049 bytes in fewer characters is too_long",
            over_by_bytes,
        ),
        too_long(
            "overlong: too_long is reported before the whitespace it also has",
            over_with_space,
        ),
        too_long(
            "overlong: 1 MiB is too_long",
            format!("{base}{}", "x".repeat(1 << 20)),
        ),
        too_long(
            "overlong: 1 MiB of NULs is too_long",
            "\u{0}".repeat(1 << 20),
        ),
        json!({"name": "overlong: a 2031-character host label within 2048 bytes is accepted",
               "input": long_host, "expect": long_host}),
    ]
}

/// Overlong external ids, far over the 255-character cap.
pub fn validate_external_id() -> Vec<Value> {
    let too_long = |name: &str, input: String| {
        json!({"name": name, "input": input,
               "error": {"code": "invalid_external_id", "rule": "too_long"}})
    };
    vec![
        too_long("overlong: 64 KiB of ASCII", "a".repeat(64 * 1024)),
        too_long("overlong: 1 MiB of ASCII", "a".repeat(1 << 20)),
        too_long(
            "overlong: 1 MiB of 4-byte characters",
            "\u{1F44D}".repeat(1 << 18),
        ),
        too_long("overlong: 1 MiB of NULs", "\u{0}".repeat(1 << 20)),
    ]
}
