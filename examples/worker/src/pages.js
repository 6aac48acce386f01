// The Worker's only HTML: the page a browser lands on when a callback cannot be accepted. No
// script at all, every dynamic value escaped, and a Content-Security-Policy that allows nothing
// but its own inline style (by hash), so even an escaping mistake could not run code.
import { html } from "./http.js";

const STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:3rem 1rem;color:#1f2328;background:#f6f8fa}" +
  "main{max-width:34rem;margin:0 auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem 2rem}" +
  "h1{font-size:1.4rem;margin-top:0}code{background:#eff1f3;padding:.1em .3em;border-radius:4px}";

let styleSource;

async function styleHash() {
  styleSource ??= crypto.subtle
    .digest("SHA-256", new TextEncoder().encode(STYLE))
    .then((digest) => `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`);
  return styleSource;
}

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A short explanation, the error code, and a way back to the app (status 400 or 403). */
export async function errorPage(status, code, message) {
  const csp = [
    "default-src 'none'",
    `style-src ${await styleHash()}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connection not completed</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>The connection was not completed</h1>
<p>${escapeHtml(message)}</p>
<p>Error code: <code>${escapeHtml(code)}</code></p>
<p><a href="/">Back to the app</a></p>
</main>
</body>
</html>
`;
  return html(body, {
    status,
    headers: { "content-security-policy": csp, "x-frame-options": "DENY" },
  });
}
