// The Worker's settings, read from its bindings (wrangler.toml, `wrangler secret put`) and
// checked once per isolate: a misconfigured deployment fails every routed request with a clear 500
// instead of half-working (e.g. an http APP_ORIGIN silently dropping the cookie's Secure flag).
import { HttpError } from "./http.js";
import { createClient } from "./markifact.js";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const MIN_SECRET_LENGTH = 32;

// Tunables (string vars, positive integers): name, default, smallest and largest accepted.
const LIMITS = {
  // Browsers cap a cookie's lifetime at 400 days.
  SESSION_MAX_AGE_S: [30 * 24 * 3600, 60, 400 * 24 * 3600],
  CONNECT_LIMIT_PER_SESSION: [10, 1, 100_000],
  CONNECT_LIMIT_PER_IP: [60, 1, 100_000],
  CONNECT_LIMIT_WINDOW_S: [600, 1, 24 * 3600],
};

// The Durable Object namespaces (wrangler.toml [[durable_objects.bindings]]).
const NAMESPACES = { states: "CONNECT_STATES", users: "CONNECT_USERS", rateLimits: "CONNECT_RATE_LIMITS" };

let cached = { key: undefined, config: undefined };

/** The validated configuration for these bindings (throws a 500 HttpError naming the problem). */
export function loadConfig(env) {
  const key = JSON.stringify([
    env.MARKIFACT_API_KEY,
    env.SESSION_SECRET,
    env.APP_ORIGIN,
    env.MARKIFACT_BASE_URL,
    env.ALLOW_INSECURE_LOCALHOST,
    ...Object.keys(LIMITS).map((name) => env[name]),
  ]);
  if (cached.key !== key) cached = { key, config: buildConfig(env) };
  const kv = env.CONNECT_KV;
  if (!kv || typeof kv.get !== "function") {
    throw misconfigured("the KV namespace binding CONNECT_KV is missing");
  }
  const bindings = {};
  for (const [field, name] of Object.entries(NAMESPACES)) {
    const namespace = env[name];
    if (!namespace || typeof namespace.idFromName !== "function") {
      throw misconfigured(`the Durable Object binding ${name} is missing`);
    }
    bindings[field] = namespace;
  }
  // The bindings are taken from each request's env; the rest (and the client) is reused.
  return { ...cached.config, kv, ...bindings };
}

function buildConfig(env) {
  const apiKey = env.MARKIFACT_API_KEY;
  if (typeof apiKey !== "string" || apiKey.trim() === "") {
    throw misconfigured("the secret MARKIFACT_API_KEY is not set (wrangler secret put MARKIFACT_API_KEY)");
  }
  const sessionSecret = env.SESSION_SECRET;
  if (typeof sessionSecret !== "string" || sessionSecret.length < MIN_SECRET_LENGTH) {
    throw misconfigured(`the secret SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const insecure = env.ALLOW_INSECURE_LOCALHOST ?? "false";
  if (insecure !== "true" && insecure !== "false") {
    throw misconfigured('ALLOW_INSECURE_LOCALHOST must be "true" or "false"');
  }
  const allowInsecureLocalhost = insecure === "true";
  const appOrigin = parseAppOrigin(env.APP_ORIGIN, allowInsecureLocalhost);
  const baseUrl = env.MARKIFACT_BASE_URL || "https://api.markifact.com";

  let client;
  try {
    // Held per isolate: the client keeps only settings; each call makes its own fetch.
    client = createClient({ apiKey, baseUrl, allowInsecureLocalhost });
  } catch (error) {
    throw misconfigured(`MARKIFACT_BASE_URL is not usable: ${error?.message ?? error}`);
  }
  const number = (name) => positiveInteger(env, name);
  return {
    appOrigin,
    secure: appOrigin.startsWith("https:"),
    sessionSecret,
    sessionMaxAgeS: number("SESSION_MAX_AGE_S"),
    limits: {
      perSession: number("CONNECT_LIMIT_PER_SESSION"),
      perIp: number("CONNECT_LIMIT_PER_IP"),
      windowMs: number("CONNECT_LIMIT_WINDOW_S") * 1000,
    },
    client,
  };
}

/** A tunable: its default when unset, else a whole number within its bounds. */
function positiveInteger(env, name) {
  const [fallback, min, max] = LIMITS[name];
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const text = String(value).trim();
  const parsed = Number(text);
  if (!/^[0-9]+$/.test(text) || parsed < min || parsed > max) {
    throw misconfigured(`${name} must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

/** APP_ORIGIN must be a bare origin: https, or loopback http when explicitly allowed. */
function parseAppOrigin(value, allowInsecureLocalhost) {
  if (typeof value !== "string" || value === "") {
    throw misconfigured("APP_ORIGIN is not set (e.g. https://app.example.com)");
  }
  let url;
  try {
    url = new URL(value);
  } catch {
    throw misconfigured("APP_ORIGIN is not an absolute URL");
  }
  const bare = url.username === "" && url.password === "" && url.pathname === "/" && !url.search && !url.hash;
  if (!bare) {
    throw misconfigured("APP_ORIGIN must be an origin only (scheme, host, port), without path, query or credentials");
  }
  if (url.protocol === "https:") return url.origin;
  if (url.protocol === "http:" && allowInsecureLocalhost && LOOPBACK_HOSTS.has(url.hostname)) return url.origin;
  throw misconfigured(
    'APP_ORIGIN must use https (http://localhost, 127.0.0.1 and [::1] only with ALLOW_INSECURE_LOCALHOST = "true")',
  );
}

function misconfigured(message) {
  return new HttpError(500, "server_misconfigured", `The Worker is misconfigured: ${message}.`);
}
