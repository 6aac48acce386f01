//! The contract's rules as pure functions: `redirect_url` and `external_id` checks, and the
//! redirect back to the app with Markifact's parameters appended (the `markifact_` collision rule).
//!
//! This is written independently of the client crate's parser on purpose: the contract tests
//! parse what these functions build with `markifact_connect::parse_redirect`.

use url::Url;

/// Longest accepted `redirect_url`, in bytes.
pub(crate) const MAX_REDIRECT_URL_BYTES: usize = 2048;
/// Longest accepted `external_id`, in Unicode scalar values.
pub(crate) const MAX_EXTERNAL_ID_CHARS: usize = 255;
/// The prefix Markifact puts before a parameter name the app's URL already uses.
pub(crate) const COLLISION_PREFIX: &str = "markifact_";

/// Checks a `redirect_url` and returns it normalised (WHATWG serialisation).
///
/// The project's rules: an absolute `https:` URL (or, with `allow_insecure_localhost`, `http:` on
/// `localhost`, `127.0.0.1` or `[::1]`), no userinfo, no fragment, no whitespace or control
/// characters, at most 2048 bytes as given and once normalised (percent-encoding can triple a
/// character's bytes: `"` is sent as `%22`). The checks run in the client's order
/// (`markifact_connect::validate_redirect_url`), so the two refuse the same inputs.
pub(crate) fn check_redirect_url(
    input: &str,
    allow_insecure_localhost: bool,
) -> Result<String, String> {
    if input.len() > MAX_REDIRECT_URL_BYTES {
        return Err(format!(
            "redirect_url must be at most {MAX_REDIRECT_URL_BYTES} bytes; it is {}",
            input.len()
        ));
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("redirect_url must not contain whitespace or control characters".into());
    }
    let url = Url::parse(input)
        .map_err(|e| format!("redirect_url must be an absolute https URL ({e})"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_insecure_localhost => {}
        "http" if loopback => {
            return Err("redirect_url must use https; http on localhost is accepted only when the sandbox runs with --allow-insecure-localhost (the real API refuses it)".into())
        }
        other => return Err(format!("redirect_url must use https, not {other}:")),
    }
    if !url.username().is_empty() || url.password().is_some() || raw_authority_has_at(input) {
        return Err("redirect_url must not contain credentials (user@) before the host".into());
    }
    if url.fragment().is_some() {
        return Err("redirect_url must not contain a #fragment".into());
    }
    // The limit holds for what Markifact stores and redirects to, the normalised URL.
    let normalised: String = url.into();
    if normalised.len() > MAX_REDIRECT_URL_BYTES {
        return Err(format!(
            "redirect_url must be at most {MAX_REDIRECT_URL_BYTES} bytes; it is {} bytes once normalised (percent-encoded)",
            normalised.len()
        ));
    }
    Ok(normalised)
}

/// `https://@host/` parses with an empty username; the raw text still shows the `@`.
fn raw_authority_has_at(input: &str) -> bool {
    let Some((_, rest)) = input.split_once(':') else {
        return false;
    };
    let rest = rest.trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    rest[..end].contains('@')
}

/// Checks an `external_id`: 1 to 255 Unicode scalar values. The error is `(pydantic type, message)`.
pub(crate) fn check_external_id(input: &str) -> Result<(), (&'static str, String)> {
    let chars = input.chars().count();
    if chars == 0 {
        return Err((
            "string_too_short",
            "String should have at least 1 character".into(),
        ));
    }
    if chars > MAX_EXTERNAL_ID_CHARS {
        return Err((
            "string_too_long",
            format!(
                "String should have at most {MAX_EXTERNAL_ID_CHARS} characters (Unicode scalar values); it has {chars}"
            ),
        ));
    }
    Ok(())
}

/// Appends Markifact's parameters to the app's (already checked) redirect URL.
///
/// Every parameter already on the URL is kept byte for byte; each of Markifact's is appended in
/// the given order, percent-encoded (see [`encode`]), under its own name, or under
/// `markifact_<name>` when the app's URL already carries `<name>` (compared after decoding, as a
/// reader would).
pub(crate) fn redirect_with(redirect_url: &str, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(redirect_url) else {
        // Unreachable for a checked URL; fail safe without the app's URL.
        return redirect_url.to_owned();
    };
    let taken: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let mut query = url.query().unwrap_or("").to_owned();
    for (name, value) in params {
        if !query.is_empty() && !query.ends_with('&') {
            query.push('&');
        }
        if taken.iter().any(|k| k == name) {
            query.push_str(COLLISION_PREFIX);
        }
        query.push_str(&encode(name));
        query.push('=');
        query.push_str(&encode(value));
    }
    url.set_query(Some(&query));
    url.into()
}

/// Percent-encodes a parameter name or value as the documents' example does
/// (`error=Authorization%20failed`): everything but ASCII letters, digits and `*-._` is escaped,
/// and a space is `%20`, not the form encoding's `+` (readers accept both).
fn encode(text: &str) -> String {
    // The form encoding escapes a literal `+` as `%2B`, so every `+` it writes is a space.
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls() {
        assert_eq!(
            check_redirect_url("https://EXAMPLE.com", false).as_deref(),
            Ok("https://example.com/")
        );
        assert!(check_redirect_url("https://example.com/cb?a=1&b", false).is_ok());
        for bad in [
            "http://example.com/cb",
            "http://localhost:3000/cb",
            "ftp://example.com/",
            "javascript:alert(1)",
            "/relative",
            "https://user@example.com/",
            "https://user:pw@example.com/",
            "https://@example.com/",
            "https://example.com/#frag",
            "https://example.com/a b",
            "https://example.com/\t",
            "",
        ] {
            assert!(check_redirect_url(bad, false).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(check_redirect_url(&long, false).is_err());
        // 696 bytes as given, 2048 once `"` is `%22`; one more byte is over.
        let at_limit = format!("https://example.com/{}", "\"".repeat(676));
        assert_eq!(
            check_redirect_url(&at_limit, false).map(|u| u.len()),
            Ok(2048)
        );
        let over = format!("https://example.com/a{}", "\"".repeat(676));
        assert!(check_redirect_url(&over, false)
            .unwrap_err()
            .contains("2049 bytes once normalised"));
        for local in [
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/",
        ] {
            assert!(check_redirect_url(local, true).is_ok(), "{local}");
        }
        assert!(check_redirect_url("http://example.com/", true).is_err());
    }

    #[test]
    fn external_ids_count_scalar_values() {
        assert!(check_external_id("u").is_ok());
        assert!(check_external_id(&"é".repeat(255)).is_ok());
        assert_eq!(check_external_id("").unwrap_err().0, "string_too_short");
        assert_eq!(
            check_external_id(&"x".repeat(256)).unwrap_err().0,
            "string_too_long"
        );
    }

    #[test]
    fn appends_with_the_collision_rule() {
        assert_eq!(
            redirect_with(
                "https://example.com/cb?status=started&session_id=abc",
                &[("status", "success"), ("connection_type", "ga4")]
            ),
            "https://example.com/cb?status=started&session_id=abc&markifact_status=success&connection_type=ga4"
        );
        assert_eq!(
            redirect_with(
                "https://example.com/",
                &[("status", "error"), ("error", "a b&c")]
            ),
            "https://example.com/?status=error&error=a%20b%26c"
        );
        assert_eq!(
            redirect_with(
                "https://example.com/",
                &[
                    ("error", "Authorization failed"),
                    ("external_id", "1+1 = 2")
                ]
            ),
            "https://example.com/?error=Authorization%20failed&external_id=1%2B1%20%3D%202"
        );
        assert_eq!(
            redirect_with("https://example.com/?", &[("status", "x")]),
            "https://example.com/?status=x"
        );
        assert_eq!(
            redirect_with("https://example.com/?a=1&", &[("status", "x")]),
            "https://example.com/?a=1&status=x"
        );
        // Compared after decoding: st%61tus is status.
        assert_eq!(
            redirect_with("https://example.com/?st%61tus=1", &[("status", "x")]),
            "https://example.com/?st%61tus=1&markifact_status=x"
        );
    }
}
