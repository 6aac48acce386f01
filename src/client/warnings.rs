//! Advice on link-creation inputs that are valid but probably a mistake. Warnings never fail a
//! call; the bindings log them or hand them to the app.
//!
//! ```
//! use markifact_connect::client::{external_id_warnings, redirect_url_warnings};
//!
//! assert!(external_id_warnings("user_42").is_empty());
//! assert_eq!(external_id_warnings("jane@example.com").len(), 1);
//! assert_eq!(redirect_url_warnings("https://app.example.com/cb?markifact_status=x").len(), 1);
//! ```

use crate::redirect::COLLISION_PREFIX;
use crate::text::concat;

/// Why PII or secrets do not belong in an `external_id`.
const ECHOED: &str = "external_id is echoed in the redirect URL, so it can end up in browser \
                      history, Referer headers and server logs; use an opaque id from your own \
                      system (e.g. a database id or a UUID) instead";

/// Markifact's parameter names, whose `markifact_` forms Markifact appends on a collision.
const PARAM_NAMES: [&str; 5] = [
    "status",
    "connection_type",
    "connection_id",
    "external_id",
    "error",
];

/// Warnings for an `external_id` that looks like personal data or a secret: an email address, a
/// phone number (7 to 15 digits and only phone separators `+ - . ( )` and spaces, optionally after
/// `tel:`), or a well-known token form (a JWT, `sk_`/`sk-`/`rk_` keys, `Bearer ...`, GitHub and
/// Slack tokens).
///
/// Each warning is one sentence saying what the value looks like and why it matters; the value
/// itself is never repeated. Opaque ids (UUIDs, `user_42`, `acct-12345`, numbers under 7 digits)
/// get none. A purely numeric id of 7 to 15 digits is reported as a possible phone number.
pub fn external_id_warnings(external_id: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    if looks_like_email(external_id) {
        warnings.push(concat(&[
            "external_id looks like an email address, which is personal data: ",
            ECHOED,
            ".",
        ]));
    }
    if looks_like_phone(external_id) {
        warnings.push(concat(&[
            "external_id looks like a phone number, which is personal data (ignore this if it is \
             a numeric id from your system): ",
            ECHOED,
            ".",
        ]));
    }
    if let Some(kind) = looks_like_token(external_id) {
        warnings.push(concat(&[
            "external_id looks like ",
            kind,
            ", a secret that would leak: ",
            ECHOED,
            ".",
        ]));
    }
    warnings
}

/// Warnings for a `redirect_url` whose query already has a `markifact_<name>` parameter for one
/// of Markifact's names (`status`, `connection_type`, `connection_id`, `external_id`, `error`):
/// one warning per such name, in that order.
///
/// Markifact appends `markifact_<name>` itself when the URL already uses `<name>`, so the
/// redirect would carry two of them. Parsing it without the redirect URL takes the last one,
/// which is Markifact's only if Markifact appended one; parsing with it (exact mode) is
/// unambiguous. Unparseable URLs get no warning (validation reports them).
pub fn redirect_url_warnings(redirect_url: &str) -> Vec<String> {
    let before_fragment = redirect_url
        .split_once('#')
        .map_or(redirect_url, |(before, _)| before);
    let Some((_, query)) = before_fragment.split_once('?') else {
        return Vec::new();
    };
    let keys: Vec<_> = crate::redirect::collect_pairs(query)
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    PARAM_NAMES
        .iter()
        .filter(|name| {
            keys.iter().any(|key| {
                key.strip_prefix(COLLISION_PREFIX)
                    .is_some_and(|rest| rest == **name)
            })
        })
        .map(|name| {
            concat(&[
                "redirect_url already has a ",
                COLLISION_PREFIX,
                name,
                " parameter, so the redirect back is ambiguous: Markifact may append its own ",
                COLLISION_PREFIX,
                name,
                " after it; parse the redirect with redirectUrl (exact mode: \
                 `ParseOptions::redirect_url` in Rust), or rename the parameter.",
            ])
        })
        .collect()
}

/// `local@domain.tld` anywhere in the value: a local-part character before an `@`, then a domain
/// with at least one dot and an alphabetic top-level label of 2 or more letters.
fn looks_like_email(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| {
        if b != b'@' || at == 0 {
            return false;
        }
        let before = bytes[at - 1];
        if !(before.is_ascii_alphanumeric() || b"._%+-".contains(&before)) {
            return false;
        }
        let domain_len = bytes[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'.' || **c == b'-')
            .count();
        let domain = value[at + 1..at + 1 + domain_len].trim_end_matches('.');
        match domain.rsplit_once('.') {
            Some((name, tld)) => {
                !name.is_empty()
                    && !name.ends_with('.')
                    && tld.len() >= 2
                    && tld.bytes().all(|c| c.is_ascii_alphabetic())
            }
            None => false,
        }
    })
}

/// 7 to 15 digits (E.164 allows 15) and nothing but phone separators, optionally after `tel:`.
fn looks_like_phone(value: &str) -> bool {
    let value = strip_prefix_ignore_case(value, "tel:").unwrap_or(value);
    let mut digits = 0;
    for c in value.chars() {
        match c {
            '0'..='9' => digits += 1,
            '+' | '-' | '.' | '(' | ')' | ' ' => {}
            _ => return false,
        }
    }
    (7..=15).contains(&digits)
}

/// A description of the token form `value` has, if any.
fn looks_like_token(value: &str) -> Option<&'static str> {
    let jwt = value.starts_with("eyJ")
        && value.split('.').count() == 3
        && value.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'=')
        });
    if jwt {
        return Some("a JSON Web Token");
    }
    if strip_prefix_ignore_case(value, "bearer ").is_some() {
        return Some("a bearer token");
    }
    const KEY_PREFIXES: [&str; 7] = ["sk_", "sk-", "rk_", "ghp_", "github_pat_", "xoxb-", "xoxp-"];
    let key = KEY_PREFIXES
        .iter()
        .any(|p| value.len() > p.len() + 8 && value.starts_with(p));
    key.then_some("an API key or access token")
}

fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn one(external_id: &str, needle: &str) {
        let w = external_id_warnings(external_id);
        assert_eq!(w.len(), 1, "{external_id:?}: {w:?}");
        assert!(w[0].contains(needle), "{external_id:?}: {}", w[0]);
        assert!(w[0].contains("redirect URL"), "{}", w[0]);
        assert!(w[0].ends_with('.'), "{}", w[0]);
        assert!(
            !w[0].contains(external_id),
            "the warning repeats the value: {}",
            w[0]
        );
    }

    #[test]
    fn opaque_ids_get_no_warning() {
        for id in [
            "user_42",
            "acct-12345",
            "550e8400-e29b-41d4-a716-446655440000",
            "550E8400E29B41D4A716446655440000",
            "123456",
            "1",
            "team/7",
            "org:acme:workspace:9",
            "a@b",
            "@handle",
            "user@localhost",
            "name@domain.c",
            "x@1.23",
            "12345678-1234-1234-1234-123456789012",
            "sku_12345678901",
            "sk_",
            "eyJhbGciOiJIUzI1NiJ9",
            "ORDER-2024-000123",
            "cust_01HZX3K8Q9",
            "bearer",
        ] {
            assert_eq!(external_id_warnings(id), Vec::<String>::new(), "{id:?}");
        }
    }

    #[test]
    fn emails_are_flagged() {
        for id in [
            "jane@example.com",
            "Jane.Doe+ads@mail.example.co.uk",
            "tenant:jane@example.com",
            "jane@example.com.",
        ] {
            one(id, "email address");
        }
    }

    #[test]
    fn phone_numbers_are_flagged() {
        for id in [
            "+1 (555) 123-4567",
            "555-1234",
            "5551234",
            "+44 20 7946 0958",
            "tel:+33123456789",
            "123.456.7890",
            "123456789012345",
        ] {
            one(id, "phone number");
        }
        // Too few or too many digits, or other characters.
        for id in [
            "555-123",
            "1234567890123456",
            "+1 555 123 4567 x89",
            "(((",
            "",
        ] {
            assert!(external_id_warnings(id).is_empty(), "{id:?}");
        }
    }

    #[test]
    fn tokens_are_flagged() {
        for id in [
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "sk-proj-abcdefghijklmnop",
            "rk_test_abcdefghijk",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "xoxb-1234-5678-abcdefgh",
        ] {
            one(id, "API key or access token");
        }
        one("Bearer abc.def", "bearer token");
        one(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "JSON Web Token",
        );
    }

    #[test]
    fn several_warnings_can_apply() {
        let w = external_id_warnings("sk_live_jane@example.com");
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn prefixed_parameters_in_the_redirect_url_are_flagged() {
        let w = redirect_url_warnings("https://app.example.com/cb?markifact_status=x&a=1");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("markifact_status"), "{}", w[0]);
        assert!(w[0].contains("ambiguous"), "{}", w[0]);
        assert!(w[0].contains("redirectUrl"), "{}", w[0]);

        let all = redirect_url_warnings(
            "https://a.example/cb?markifact_error=1&markifact_external_id=2&markifact_connection_id=3\
             &markifact_connection_type=4&markifact_status=5&markifact_status=6",
        );
        let names: Vec<&str> = all
            .iter()
            .filter_map(|w| {
                PARAM_NAMES
                    .into_iter()
                    .find(|n| w.contains(&format!("a markifact_{n} parameter")))
            })
            .collect();
        assert_eq!(names, PARAM_NAMES);

        // Encoded names are what the server decodes.
        assert_eq!(
            redirect_url_warnings("https://a.example/cb?markifact%5Fstatus=1").len(),
            1
        );
    }

    #[test]
    fn ordinary_redirect_urls_get_no_warning() {
        for url in [
            "https://app.example.com/cb",
            "https://app.example.com/cb?",
            "https://app.example.com/cb?status=started&session_id=abc&error=0",
            "https://app.example.com/cb?markifact_session=1&markifact_=2&xmarkifact_status=3",
            "https://app.example.com/cb?MARKIFACT_STATUS=1",
            "https://app.example.com/cb?x=markifact_status",
            "https://app.example.com/markifact_status",
            "https://app.example.com/cb#?markifact_status=1",
            "https://app.example.com/cb?a=1#markifact_status=1",
            "not a url",
        ] {
            assert!(redirect_url_warnings(url).is_empty(), "{url}");
        }
    }
}
