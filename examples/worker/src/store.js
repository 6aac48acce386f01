// What the Worker remembers, and where:
//
//   Durable Objects (strongly consistent, see durable.js):
//     CONNECT_STATES  one object per state: the pending callback of one auth link (single use, 24 h)
//     CONNECT_USERS   one object per user: the connections credited to that user at a callback
//                     in the user's own session; the only source of GET /api/connections
//   KV CONNECT_KV (eventually consistent: only what tolerates a stale read):
//     link:<user>:<authLinkId>   which user created a link, for its progress route (24 h). A stale
//                                read there is a brief 404 on a progress display, nothing more.

/** An auth link lives 24 hours; so do the records about it. */
export const LINK_TTL_S = 24 * 3600;

/** The Durable Object holding one state (RPC stub). */
export function stateSlot(config, state) {
  return config.states.get(config.states.idFromName(state));
}

/** The Durable Object holding one user's credited connections (RPC stub). */
export function userConnections(config, user) {
  return config.users.get(config.users.idFromName(user));
}

async function getJson(kv, key) {
  const text = await kv.get(key);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export const getLink = (kv, user, authLinkId) => getJson(kv, `link:${user}:${authLinkId}`);

export const putLink = (kv, user, authLinkId, record) =>
  kv.put(`link:${user}:${authLinkId}`, JSON.stringify(record), { expirationTtl: LINK_TTL_S });
