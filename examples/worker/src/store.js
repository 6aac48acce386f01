// What the Worker remembers, in the KV namespace CONNECT_KV:
//   state:<state>                  the pending callback of one auth link (single use, 24 h)
//   link:<user>:<authLinkId>       which user created a link (for its status route, 24 h)
//   conn:<user>:<connectionId>     a connection verified for that user
// KV is eventually consistent across locations: deleting a state makes a replay fail at once
// where it was deleted, and within about a minute elsewhere. A replay in that window could only
// repeat the same user's verified result (the cookie and Markifact's link status are checked
// again); use a Durable Object if that must be strictly once.

/** An auth link lives 24 hours; so do the records about it. */
export const LINK_TTL_S = 24 * 3600;

async function getJson(kv, key) {
  const text = await kv.get(key);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export const getState = (kv, state) => getJson(kv, `state:${state}`);

export const putState = (kv, state, record) =>
  kv.put(`state:${state}`, JSON.stringify(record), { expirationTtl: LINK_TTL_S });

export const deleteState = (kv, state) => kv.delete(`state:${state}`);

export const getLink = (kv, user, authLinkId) => getJson(kv, `link:${user}:${authLinkId}`);

export const putLink = (kv, user, authLinkId, record) =>
  kv.put(`link:${user}:${authLinkId}`, JSON.stringify(record), { expirationTtl: LINK_TTL_S });

export const getConnectionRecord = (kv, user, connectionId) => getJson(kv, `conn:${user}:${connectionId}`);

export const putConnectionRecord = (kv, user, connection) =>
  kv.put(`conn:${user}:${connection.id}`, JSON.stringify(connection));

export const deleteConnectionRecord = (kv, user, connectionId) => kv.delete(`conn:${user}:${connectionId}`);
