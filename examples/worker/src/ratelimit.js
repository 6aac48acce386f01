// Link creation is rate limited per session and per client address (each a RateLimiter Durable
// Object): every link costs a call to Markifact, and a flood of links is how a donated-link
// campaign would start. Over the limit: 429, `Retry-After` (seconds) and
// `{ "error": { "code": "rate_limited", "message", "retryAfterMs" } }`.
import { HttpError } from "./http.js";

/** Counts one link creation for this session and this address, or throws the 429. */
export async function limitLinkCreation(request, config, user) {
  const { perSession, perIp, windowMs } = config.limits;
  const checks = [
    [`session:${user}`, perSession],
    [`ip:${clientAddress(request)}`, perIp],
  ];
  // One after the other, taking back what was counted when a later limit refuses: a refused
  // attempt counts against nothing.
  const counted = [];
  for (const [key, limit] of checks) {
    const limiter = config.rateLimits.get(config.rateLimits.idFromName(key));
    const result = await limiter.hit(limit, windowMs);
    if (result.ok) {
      counted.push([limiter, result.at]);
    } else {
      await Promise.all(counted.map(([earlier, at]) => earlier.unhit(at)));
      const retryAfterMs = Math.max(1, Math.ceil(result.retryAfterMs));
      throw new HttpError(429, "rate_limited", "Too many connection attempts; try again later.", {
        headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
        details: { retryAfterMs },
      });
    }
  }
}

/**
 * The client's address as Cloudflare reports it (`CF-Connecting-IP`, which Cloudflare sets on
 * every request and a client cannot override in production). IPv6 is limited per /64, the
 * smallest block one subscriber usually gets. `wrangler dev` sets it from the socket unless the
 * request brings its own (the tests use that to act as several clients).
 */
function clientAddress(request) {
  const ip = (request.headers.get("cf-connecting-ip") ?? "").trim().toLowerCase();
  if (ip === "") return "unknown";
  if (!ip.includes(":")) return ip;
  const mapped = ip.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return mapped[1];
  return `${expandIpv6(ip).slice(0, 4).join(":")}::/64`;
}

function expandIpv6(ip) {
  const [head, tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") && tail ? tail.split(":") : [];
  const missing = Math.max(0, 8 - left.length - right.length);
  return [...left, ...Array(missing).fill("0"), ...right].map((group) => group.replace(/^0+(?=.)/, ""));
}
