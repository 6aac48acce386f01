// The app's settings, from the environment at run time (not at build time: `next build` needs
// none of them, and the API key never ends up in a bundle). Only names without NEXT_PUBLIC_, so
// Next.js never inlines them into browser code.
import { HttpError } from "./http";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const DEFAULT_API_URL = "https://api.markifact.com";

export interface AppOrigin {
  /** e.g. `https://app.example.com`: scheme, host and port only. */
  origin: string;
  /** https: the session cookie gets `Secure` and the `__Host-` prefix. */
  secure: boolean;
  /** A plain-http loopback origin (local development against the sandbox). */
  insecureLoopback: boolean;
}

export interface ServerConfig extends AppOrigin {
  apiKey: string;
  apiUrl: string;
}

/** APP_ORIGIN, checked: a bare https origin, or http on localhost / 127.0.0.1 / [::1]. */
export function appOrigin(): AppOrigin {
  const value = process.env.APP_ORIGIN;
  if (!value) throw misconfigured("APP_ORIGIN is not set (e.g. https://app.example.com)");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw misconfigured("APP_ORIGIN is not an absolute URL");
  }
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
    throw misconfigured("APP_ORIGIN must be an origin only (scheme, host, port), without path, query or credentials");
  }
  if (url.protocol === "https:") return { origin: url.origin, secure: true, insecureLoopback: false };
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) {
    return { origin: url.origin, secure: false, insecureLoopback: true };
  }
  throw misconfigured("APP_ORIGIN must use https (plain http only for localhost, 127.0.0.1 and [::1])");
}

/** Everything the Node route handlers need, checked on every call (cheap: a few string tests). */
export function serverConfig(): ServerConfig {
  const apiKey = process.env.MARKIFACT_API_KEY;
  if (!apiKey || apiKey.trim() === "") throw misconfigured("MARKIFACT_API_KEY is not set");
  const apiUrl = process.env.MARKIFACT_API_URL || DEFAULT_API_URL;
  return { ...appOrigin(), apiKey, apiUrl };
}

function misconfigured(message: string): HttpError {
  // The details go to the server log; the browser only learns that the server is misconfigured.
  console.error(`markifact example misconfigured: ${message}`);
  return new HttpError(500, "server_misconfigured", "The server is misconfigured; see its log.");
}
