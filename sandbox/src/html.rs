//! The hosted pages: the consent page and its outcomes. Plain HTML, no script, no external
//! resources (the responses carry a `Content-Security-Policy` that forbids them anyway).

use std::fmt::Write;

/// Escapes text for HTML element content and double-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}\
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}\
h1{font-size:1.5rem;margin:.25rem 0 1rem}\
.badge{display:inline-block;font-size:.8rem;padding:.1rem .5rem;border-radius:99px;\
background:#fff3c4;color:#5c4400}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:600}\
dd{margin:0;overflow-wrap:anywhere}\
.actions{display:flex;gap:.75rem;margin-top:1.5rem}\
button,.button{font:inherit;padding:.6rem 1.4rem;border-radius:8px;border:1px solid #1b1d21;\
cursor:pointer;background:#fff;color:#1b1d21;text-decoration:none}\
button[value=approve]{background:#1a56db;border-color:#1a56db;color:#fff}\
button:focus-visible,.button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}\
code{overflow-wrap:anywhere}";

/// A whole page around `body` (already HTML).
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{} · Markifact sandbox</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"badge\">Markifact sandbox · no real account is involved</p>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// What the consent page shows about a link.
pub(crate) struct ConsentInfo<'a> {
    pub link_id: &'a str,
    pub type_name: &'a str,
    pub connection_type: &'a str,
    pub is_private: bool,
    pub external_id: Option<&'a str>,
    /// The origin (scheme, host, port) the browser returns to, if any.
    pub returns_to: Option<String>,
    pub expires_in_ms: i64,
}

/// The consent page: names the connection type and offers Approve and Deny.
pub(crate) fn consent(info: &ConsentInfo<'_>) -> String {
    let title = format!("Connect {}", info.type_name);
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1 id=\"title\">{}</h1>\n<p>An app asks to connect a <strong>{}</strong> account to your Markifact team. \
         In the sandbox, approving creates a fake connection at once; no provider is contacted.</p>\n<dl>\n\
         <dt>Connection type</dt><dd><code>{}</code></dd>\n<dt>Visibility</dt><dd>{}</dd>\n",
        escape(&title),
        escape(info.type_name),
        escape(info.connection_type),
        if info.is_private {
            "Private: only the user whose API key created the link sees it"
        } else {
            "Shared with the team"
        },
    );
    if let Some(external_id) = info.external_id {
        let _ = writeln!(
            body,
            "<dt>External id</dt><dd><code>{}</code></dd>",
            escape(external_id)
        );
    }
    let _ = writeln!(
        body,
        "<dt>Afterwards</dt><dd>{}</dd>\n<dt>Link expires</dt><dd>{}</dd>\n</dl>",
        match &info.returns_to {
            Some(origin) => format!("you return to <code>{}</code>", escape(origin)),
            None => "a result page is shown (the link has no redirect URL)".into(),
        },
        describe_duration(info.expires_in_ms),
    );
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/connect/{}\" aria-labelledby=\"title\">\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </div>\n</form>\n",
        escape(info.link_id)
    );
    page(&title, &body)
}

/// "in 23 h 59 min" style, for the expiry line.
fn describe_duration(ms: i64) -> String {
    let minutes = (ms.max(0) + 59_999) / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("in {m} min"),
        (h, 0) => format!("in {h} h"),
        (h, m) => format!("in {h} h {m} min"),
    }
}

/// A page with a heading, a paragraph (HTML) and an optional link onwards.
pub(crate) fn message(title: &str, paragraph_html: &str, link: Option<(&str, &str)>) -> String {
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", escape(title), paragraph_html);
    if let Some((href, text)) = link {
        let _ = writeln!(
            body,
            "<p><a class=\"button\" href=\"{}\">{}</a></p>",
            escape(href),
            escape(text)
        );
    }
    page(title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(describe_duration(24 * 3_600_000), "in 24 h");
        assert_eq!(describe_duration(90 * 60_000 - 1), "in 1 h 30 min");
        assert_eq!(describe_duration(1), "in 1 min");
        assert_eq!(describe_duration(-5), "in 0 min");
    }

    #[test]
    fn consent_page_escapes_and_offers_both_decisions() {
        let html = consent(&ConsentInfo {
            link_id: "id-1",
            type_name: "Google Ads",
            connection_type: "gads",
            is_private: true,
            external_id: Some("<script>"),
            returns_to: Some("https://example.com".into()),
            expires_in_ms: 1000,
        });
        assert!(html.contains("<h1 id=\"title\">Connect Google Ads</h1>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("value=\"approve\">Approve</button>"));
        assert!(html.contains("value=\"deny\">Deny</button>"));
        assert!(html.contains("action=\"/connect/id-1\""));
    }
}
