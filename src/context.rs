//! The `X-Markifact-Context` header for the Markifact MCP server.

use crate::error::{Error, Result, Rule};
use crate::text::{concat, decimal, json_string};

/// The header's name.
pub const CONTEXT_HEADER_NAME: &str = "X-Markifact-Context";

/// Builds the `X-Markifact-Context` value `{"connection_ids":[...]}` that narrows an MCP request
/// to these connections. An empty list is valid and means "no connection at all"; leaving the
/// header out (not calling this) means "the MCP server's saved settings". Empty ids are rejected.
///
/// ```
/// use markifact_connect::context_header;
///
/// assert_eq!(context_header(&["c_1", "c_2"])?, r#"{"connection_ids":["c_1","c_2"]}"#);
/// assert_eq!(context_header::<&str>(&[])?, r#"{"connection_ids":[]}"#);
/// assert_eq!(context_header(&["c_1", ""]).unwrap_err().field(), Some("connection_ids[1]"));
/// # Ok::<(), markifact_connect::Error>(())
/// ```
pub fn context_header<S: AsRef<str>>(connection_ids: &[S]) -> Result<String> {
    if let Some(index) = connection_ids.iter().position(|id| id.as_ref().is_empty()) {
        let field = concat(&["connection_ids[", &decimal(index as u64), "]"]);
        let message = concat(&[
            &field,
            " is empty; connection ids must be non-empty strings",
        ]);
        return Err(Error::invalid_argument(field, Rule::Empty, message));
    }
    let mut json = String::from("{\"connection_ids\":[");
    for (index, id) in connection_ids.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        json_string(&mut json, id.as_ref());
    }
    json.push_str("]}");
    Ok(ascii_json(&json))
}

/// Escapes every non-ASCII character of a JSON text as `\uXXXX`: HTTP header values must be
/// ASCII in practice (`fetch` rejects anything above U+00FF), and JSON readers decode it the same.
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(HEX[usize::from((*unit >> shift) & 0xf)]));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ids_as_ascii_json() {
        let header = context_header(&["a\"b", "é\u{1}😀"]).unwrap();
        assert_eq!(
            header,
            r#"{"connection_ids":["a\"b","\u00e9\u0001\ud83d\ude00"]}"#
        );
        assert!(header.is_ascii());
        let back: serde_json::Value = serde_json::from_str(&header).unwrap();
        assert_eq!(back["connection_ids"][0], "a\"b");
        assert_eq!(back["connection_ids"][1], "é\u{1}😀");
    }
}
