// The JSON API the app's page calls. Every route but /api/session and /api/connection-types
// needs the signed session cookie; ownership of links and connections is checked on the server
// (a user only ever sees their own, others get the same 404 as an unknown id).
//
// A connection is this user's only once a callback in this user's own session has verified it
// (callback.js credits it in the user's Durable Object). Nothing here credits anything: not the
// status route, not Markifact's list of connections under the user's external_id (a link someone
// else approved lands there too), and the status route never reveals a connection id that was
// not credited (the id in the redirect is the one thing the approving browser holds that the
// link's creator does not).
import { HttpError, json, readJsonObject } from "./http.js";
import { apiError } from "./markifact.js";
import { requireJson, requireSameOrigin } from "./csrf.js";
import { limitLinkCreation } from "./ratelimit.js";
import { externalIdFor, newSession, randomHex, readSession } from "./session.js";
import { LINK_TTL_S, getLink, putLink, stateSlot, userConnections } from "./store.js";

const CONNECTION_TYPE_RE = /^[a-z0-9_]{1,64}$/;

async function requireUser(request, config) {
  const user = await readSession(request, config);
  if (!user) throw new HttpError(401, "no_session", "No valid session: call GET /api/session first.");
  return user;
}

/** Calls Markifact, turning its coded errors into this API's. */
async function upstream(promise) {
  try {
    return await promise;
  } catch (error) {
    throw apiError(error);
  }
}

/** GET /api/session: the signed-in user, signing a new one in when the cookie is absent or invalid. */
export async function getSession(request, { config }) {
  const user = await readSession(request, config);
  if (user) return json({ user });
  const session = await newSession(config);
  return json({ user: session.user }, { headers: { "set-cookie": session.setCookie } });
}

/** GET /api/connection-types: what can be connected, as Markifact lists it. */
export async function getConnectionTypes(request, { config }) {
  return json({ connectionTypes: await upstream(config.client.listConnectionTypes()) });
}

/** POST /api/connect {"connectionType"}: a new auth link for this user; the page sends them to `url`. */
export async function postConnect(request, { config }) {
  requireSameOrigin(request, config);
  requireJson(request);
  const user = await requireUser(request, config);
  const { connectionType } = await readJsonObject(request);
  if (typeof connectionType !== "string" || !CONNECTION_TYPE_RE.test(connectionType)) {
    throw new HttpError(
      400,
      "invalid_connection_type",
      "connectionType must be a connection type id such as \"ga4\" (lower-case letters, digits, _).",
    );
  }
  await limitLinkCreation(request, config, user);
  // 128 random bits binding the callback to this link and this browser's session.
  const state = randomHex(16);
  const redirectUrl = `${config.appOrigin}/oauth/callback?state=${state}`;
  const externalId = await externalIdFor(config, user);
  const link = await upstream(config.client.createAuthLink({ connectionType, redirectUrl, externalId }));
  const createdAt = Date.now();
  await stateSlot(config, state).put(
    { authLinkId: link.id, user, connectionType, redirectUrl, createdAt },
    createdAt + LINK_TTL_S * 1000,
  );
  await putLink(config.kv, user, link.id, { connectionType, createdAt });
  // The page hands `state` to openAuthLink, which accepts only a result carrying it.
  return json({ authLinkId: link.id, url: link.url, state });
}

/**
 * GET /api/connect/:authLinkId/status: where one of this user's links is, for a progress display.
 * It credits nothing: a link that completed without this session's callback (approved by someone
 * else, or a tab that never came back) is "connected" here but no connection of this user, and
 * its connection id is not shown.
 */
export async function getConnectStatus(request, { config, params }) {
  const user = await requireUser(request, config);
  const [authLinkId] = params;
  const link = await getLink(config.kv, user, authLinkId);
  if (!link) throw new HttpError(404, "not_found", "This session has no such auth link.");
  const status = await upstream(config.client.getAuthLinkStatus(authLinkId));
  const body = { status: status.status };
  if (status.connectionId && (await userConnections(config, user).has(status.connectionId))) {
    body.connectionId = status.connectionId;
  }
  return json(body);
}

/**
 * GET /api/connections: the connections credited to this user, as Markifact describes them now
 * (one that was deleted at Markifact in the meantime is left out). Markifact's list under the
 * user's external_id only serves to refresh them, never to add any.
 */
export async function getConnections(request, { config }) {
  const user = await requireUser(request, config);
  const credited = await userConnections(config, user).list();
  if (credited.length === 0) return json({ connections: [] });
  const externalId = await externalIdFor(config, user);
  const current = new Map();
  for (const connection of await upstream(config.client.listConnections({ externalId }))) {
    current.set(connection.id, connection);
  }
  return json({ connections: credited.filter((c) => current.has(c.id)).map((c) => current.get(c.id)) });
}

/** DELETE /api/connections/:id: only a connection credited to this user; anything else is a 404. */
export async function deleteConnection(request, { config, params }) {
  requireSameOrigin(request, config);
  const user = await requireUser(request, config);
  const [connectionId] = params;
  const credited = userConnections(config, user);
  if (!(await credited.has(connectionId))) {
    throw new HttpError(404, "not_found", "This user has no such connection.");
  }
  let deleted;
  try {
    deleted = await config.client.deleteConnection(connectionId);
  } catch (error) {
    const mapped = apiError(error);
    // Gone at Markifact already: forget it here too.
    if (mapped.status === 404) await credited.remove(connectionId);
    throw mapped;
  }
  await credited.remove(connectionId);
  return json({ deleted });
}
