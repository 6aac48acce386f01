// The browser's session: a random 256-bit id in an HttpOnly cookie, looked up in the store. A
// real app has its own sign-in; what matters here is that the callback is accepted only in the
// session that started the connection, and that the `external_id` Markifact sees is the user's
// opaque id, never the session id (it travels in redirect URLs, browser history and logs).
import { getSession, putSession, type Session } from "./store";

const SESSION_ID_RE = /^[0-9a-f]{64}$/;
const COOKIE_MAX_AGE_S = 30 * 24 * 3600;

/**
 * `__Host-` (on https) makes the browser refuse the cookie unless it is Secure, host-only and
 * Path=/, so a sibling subdomain cannot plant a session here. Browsers refuse that prefix on
 * plain http, hence the bare name on a loopback origin.
 */
export function cookieName(secure: boolean): string {
  return secure ? "__Host-mf_session" : "mf_session";
}

/** The session of this request, or undefined (no cookie, two cookies, unknown or expired id). */
export function readSession(cookieHeader: string | null, secure: boolean): Session | undefined {
  const values = cookieValues(cookieHeader, cookieName(secure));
  // Two cookies of that name mean one was planted: trust neither.
  if (values.length !== 1 || !SESSION_ID_RE.test(values[0])) return undefined;
  return getSession(values[0]);
}

/** A new session (a new "user" of this example) and the Set-Cookie header that holds it. */
export function newSession(secure: boolean): { session: Session; setCookie: string } {
  const session: Session = { id: randomHex(32), externalId: `user_${randomHex(16)}`, createdAt: Date.now() };
  putSession(session);
  const attributes = [
    `${cookieName(secure)}=${session.id}`,
    "Path=/",
    `Max-Age=${COOKIE_MAX_AGE_S}`,
    "HttpOnly",
    "SameSite=Lax",
  ];
  if (secure) attributes.push("Secure");
  return { session, setCookie: attributes.join("; ") };
}

/** `bytes` random bytes as lower-case hex (Web Crypto: the same in Node and edge). */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function cookieValues(header: string | null, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) values.push(pair.slice(eq + 1).trim());
  }
  return values;
}
