//! Text for error messages and JSON, written without `core::fmt`: the parser wasm leaves
//! `format!` and its machinery out (about a third of that module's size).

use alloc::string::String;
use alloc::vec::Vec;

/// The parts joined, for messages that would otherwise be a `format!`.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `n` in decimal.
pub(crate) fn decimal(n: u64) -> String {
    let mut digits = Vec::with_capacity(20);
    let mut rest = n;
    loop {
        digits.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
}

/// Quotes untrusted input for an error message: escaped (no control characters reach a log) and
/// cut to a readable length, with the cut said explicitly.
pub(crate) fn quote(input: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut out = String::with_capacity(input.len().min(MAX_CHARS * 2) + 2);
    out.push('"');
    for (count, c) in input.chars().enumerate() {
        if count == MAX_CHARS {
            out.push_str("\"… (");
            // Counting the bytes that start a character: `chars().count()` is 900 B of wasm.
            let chars = input.bytes().filter(|&b| b & 0xc0 != 0x80).count();
            out.push_str(&decimal(chars as u64));
            out.push_str(" characters)");
            return out;
        }
        // Not `escape_debug`: its Unicode tables and `fmt` cost the parser wasm ~10 KB.
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u{");
                let code = u32::from(c);
                let digits = (32 - code.leading_zeros()).div_ceil(4).max(1);
                for shift in (0..digits).rev() {
                    out.push(char::from(HEX[((code >> (shift * 4)) & 0xf) as usize]));
                }
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `c` as `\u{…}`, as `char::escape_unicode` writes it (lower-case hex, no leading zeros), without
/// `core::fmt`. [`quote`] writes the same escape inline (a shared function measured 2 B gzip more
/// in the parser wasm).
#[cfg(feature = "full")]
pub(crate) fn escape_unicode(c: char) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::from("\\u{");
    let code = u32::from(c);
    let digits = (32 - code.leading_zeros()).div_ceil(4).max(1);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((code >> (shift * 4)) & 0xf) as usize]));
    }
    out.push('}');
    out
}

/// Appends `value` as a JSON string, escaped as `serde_json` escapes it.
#[cfg(any(
    test,
    feature = "full",
    all(target_arch = "wasm32", feature = "parser-abi")
))]
pub(crate) fn json_string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (index, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `get`, not indexing: no panic path (and its formatting) in the parser wasm.
        out.push_str(value.get(start..index).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(value.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_writes_every_digit() {
        for n in [0, 7, 10, 255, 16_384, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    #[cfg(feature = "full")]
    fn escape_unicode_writes_what_std_writes() {
        for c in [
            '\0',
            '\t',
            ' ',
            '\u{85}',
            '\u{a0}',
            '\u{2028}',
            '\u{3000}',
            '\u{10ffff}',
        ] {
            assert_eq!(escape_unicode(c), c.escape_unicode().to_string());
        }
    }

    #[test]
    fn concat_joins_in_order() {
        assert_eq!(concat(&["a", "", "bc", "d"]), "abcd");
        assert_eq!(concat(&[]), "");
    }

    #[test]
    fn quote_escapes_and_shortens() {
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        assert_eq!(
            quote("\u{1b}[\u{0}\u{85}\u{2028}\"é"),
            "\"\\u{1b}[\\u{0}\\u{85}\\u{2028}\\\"é\""
        );
        let long = "x".repeat(100);
        let q = quote(&long);
        assert!(q.starts_with("\"xxxx"));
        assert!(q.ends_with("(100 characters)"), "{q}");
    }
}
