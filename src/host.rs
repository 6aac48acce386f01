//! Reading a URL's host before any URL parser does: both builds (the `url` crate natively, the
//! platform's `URL` in the npm package) refuse the same inputs, and no IDNA backend ever sees a
//! non-ASCII host (`idna_adapter` 1.0 asserts on some of them in debug builds).

/// Whether the URL's host, read the way the URL parser will read it (leading and trailing C0
/// controls and spaces trimmed, tabs and newlines removed), has non-ASCII characters. Checked
/// before parsing because the `url` crate hands such hosts to the IDNA backend the build
/// resolved: refused without Unicode IDNA, and with `idna_adapter` 1.0 a debug assertion (a
/// panic) for some of them.
pub(crate) fn has_non_ascii_host(input: &str) -> bool {
    let trimmed = trim_c0_and_spaces(input);
    // Without an early exit the scan is vectorised: it runs over every input, and most have none.
    let has_tab_or_newline = trimmed
        .bytes()
        .fold(false, |found, b| found | matches!(b, b'\t' | b'\n' | b'\r'));
    if has_tab_or_newline {
        let cleaned: String = trimmed
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        return raw_authority(&cleaned).is_some_and(|a| !is_ascii_host(a));
    }
    raw_authority(trimmed).is_some_and(|a| !is_ascii_host(a))
}

/// `input` without its leading and trailing C0 controls and spaces. They are all ASCII, and every
/// byte of a non-ASCII character is above them, so trimming bytes trims the same characters as
/// `trim_matches(|c| c <= ' ')`, without decoding them.
fn trim_c0_and_spaces(input: &str) -> &str {
    let bytes = input.as_bytes();
    let start = bytes.iter().position(|&b| b > b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b > b' ')
        .map_or(start, |last| last + 1);
    &input[start..end]
}

/// Whether the host in a raw authority (after any `user@`) is ASCII, also counting percent-escapes
/// of non-ASCII bytes (`b%C3%BCcher`), which the URL parser decodes before IDNA.
pub(crate) fn is_ascii_host(authority: &str) -> bool {
    // A byte search: `rsplit('@')` goes through `memrchr`, slower on such short strings.
    let host = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    host.is_ascii()
        && !host.as_bytes().windows(3).any(|w| {
            w[0] == b'%'
                && matches!(w[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                && w[2].is_ascii_hexdigit()
        })
}

/// The authority as written, before the URL parser maps it: the text after `scheme:` and the
/// slashes that follow, up to the next `/`, `\`, `?` or `#`. For `http`, `https` and the other
/// special schemes the URL standard skips any run of `/` and `\` there, so `https:\\host`,
/// `https:/host` and `https:host` all name `host`; other schemes need `//`.
pub(crate) fn raw_authority(input: &str) -> Option<&str> {
    // Byte searches: the delimiters are ASCII, and char patterns decode every character first.
    let colon = input.bytes().position(|b| b == b':')?;
    let (scheme, rest) = (&input[..colon], &input[colon + 1..]);
    let special = ["http", "https", "ws", "wss", "ftp"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    let rest = if special {
        let slashes = rest
            .bytes()
            .take_while(|&b| matches!(b, b'/' | b'\\'))
            .count();
        &rest[slashes..]
    } else {
        rest.strip_prefix("//")?
    };
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}
