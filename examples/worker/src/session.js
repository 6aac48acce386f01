// The demo session: a random user id and its issue time in a cookie signed with HMAC-SHA256
// (WebCrypto), and the external id Markifact sees for that user. Each HMAC use has its own label,
// so the external id (echoed in redirect URLs, browser history and logs) can never serve as a
// cookie signature.
//
// Cookie value: `v2.<user>.<issued at, Unix seconds>.<HMAC(label + user + "." + issued at)>`. The
// issue time is signed, so a session ends SESSION_MAX_AGE_S after it began whatever the browser
// does with the cookie's Max-Age (a copied cookie, a browser that keeps it, a stolen one).

const USER_RE = /^u_[0-9a-f]{32}$/;
// Unix seconds, canonical decimal (no sign, no leading zero).
const ISSUED_RE = /^[1-9][0-9]{0,11}$/;
// 32 bytes of HMAC in unpadded base64url.
const SIGNATURE_RE = /^[A-Za-z0-9_-]{43}$/;
const SESSION_LABEL = "markifact-connect-worker/session/v2:";
const EXTERNAL_ID_LABEL = "markifact-connect-worker/external-id/v1:";
// A cookie issued "in the future" by more than this is refused (clocks differ a little between
// Cloudflare's machines; more than that is a forgery or a misconfigured secret).
const MAX_CLOCK_SKEW_S = 300;

const encoder = new TextEncoder();
const keys = new Map();

function hmacKey(secret) {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/**
 * `__Host-` (on https) makes the browser refuse the cookie unless it is Secure, host-only and
 * Path=/, so a sibling subdomain cannot plant a session here. Browsers refuse that prefix on
 * plain http, hence the bare name for the loopback sandbox.
 */
function cookieName(config) {
  return config.secure ? "__Host-mf_session" : "mf_session";
}

/**
 * The signed-in user id, or null when the cookie is missing, malformed, not ours, or older than
 * the session's maximum age.
 */
export async function readSession(request, config) {
  const values = cookieValues(request.headers.get("cookie"), cookieName(config));
  // Two cookies of that name mean one was planted: trust neither.
  if (values.length !== 1) return null;
  const parts = values[0].split(".");
  if (
    parts.length !== 4 ||
    parts[0] !== "v2" ||
    !USER_RE.test(parts[1]) ||
    !ISSUED_RE.test(parts[2]) ||
    !SIGNATURE_RE.test(parts[3])
  ) {
    return null;
  }
  const [, user, issued, signature] = parts;
  const age = Math.floor(Date.now() / 1000) - Number(issued);
  if (age > config.sessionMaxAgeS || age < -MAX_CLOCK_SKEW_S) return null;
  const bytes = fromBase64Url(signature);
  // base64url has several spellings of the same bytes (the last character's unused bits): accept
  // only the canonical one, so a changed cookie is always a different, rejected cookie.
  if (!bytes || toBase64Url(bytes) !== signature) return null;
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(config.sessionSecret),
    bytes,
    encoder.encode(`${SESSION_LABEL}${user}.${issued}`),
  );
  return valid ? user : null;
}

/** A new random user and the Set-Cookie header that signs them in, issued now. */
export async function newSession(config) {
  const user = `u_${randomHex(16)}`;
  const issued = String(Math.floor(Date.now() / 1000));
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(config.sessionSecret),
    encoder.encode(`${SESSION_LABEL}${user}.${issued}`),
  );
  const attributes = [
    `${cookieName(config)}=v2.${user}.${issued}.${toBase64Url(new Uint8Array(signature))}`,
    "Path=/",
    `Max-Age=${config.sessionMaxAgeS}`,
    "HttpOnly",
    "SameSite=Lax",
  ];
  if (config.secure) attributes.push("Secure");
  return { user, setCookie: attributes.join("; ") };
}

/**
 * The `external_id` for this user's auth links: `demo_` + 128 bits of a keyed hash of the user
 * id. Stable per user, opaque, and not the session (which would then travel in redirect URLs).
 */
export async function externalIdFor(config, user) {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(config.sessionSecret), encoder.encode(EXTERNAL_ID_LABEL + user));
  return `demo_${toHex(new Uint8Array(mac).subarray(0, 16))}`;
}

/** `bytes` random bytes as lower-case hex (crypto.getRandomValues). */
export function randomHex(bytes) {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

function cookieValues(header, name) {
  if (!header) return [];
  const values = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) values.push(pair.slice(eq + 1).trim());
  }
  return values;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toBase64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
