// The JSON API the app's page calls. Every route but /api/session and /api/connection-types
// needs the signed session cookie; ownership of links and connections is checked on the server
// (a user only ever sees their own, others get the same 404 as an unknown id).
import { HttpError, json, readJsonObject } from "./http.js";
import { apiError } from "./markifact.js";
import { requireJson, requireSameOrigin } from "./csrf.js";
import { externalIdFor, newSession, randomHex, readSession } from "./session.js";
import {
  deleteConnectionRecord,
  getConnectionRecord,
  getLink,
  putConnectionRecord,
  putLink,
  putState,
} from "./store.js";

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
  // 128 random bits binding the callback to this link and this browser's session.
  const state = randomHex(16);
  const redirectUrl = `${config.appOrigin}/oauth/callback?state=${state}`;
  const externalId = await externalIdFor(config, user);
  const link = await upstream(config.client.createAuthLink({ connectionType, redirectUrl, externalId }));
  const createdAt = Date.now();
  await putState(config.kv, state, { authLinkId: link.id, user, connectionType, redirectUrl, createdAt });
  await putLink(config.kv, user, link.id, { state, connectionType, createdAt });
  return json({ authLinkId: link.id, url: link.url });
}

/** GET /api/connect/:authLinkId/status: where one of this user's links is (the page polls it). */
export async function getConnectStatus(request, { config, params }) {
  const user = await requireUser(request, config);
  const [authLinkId] = params;
  const link = await getLink(config.kv, user, authLinkId);
  if (!link) throw new HttpError(404, "not_found", "This session has no such auth link.");
  const status = await upstream(config.client.getAuthLinkStatus(authLinkId));
  const externalId = await externalIdFor(config, user);
  // The status endpoint is the source of truth: a finished link is this user's connection even
  // when the browser never came back through the callback (a closed tab, a popup).
  const connection = status.connections.find((c) => c.id === status.connectionId);
  if (status.status === "connected" && connection && status.externalId === externalId) {
    await putConnectionRecord(config.kv, user, { ...connection, authLinkId, verifiedAt: Date.now() });
  }
  const body = { status: status.status };
  if (status.connectionId) body.connectionId = status.connectionId;
  return json(body);
}

/** GET /api/connections: this user's connections, from Markifact (by the user's external id). */
export async function getConnections(request, { config }) {
  const user = await requireUser(request, config);
  const externalId = await externalIdFor(config, user);
  return json({ connections: await upstream(config.client.listConnections({ externalId })) });
}

/** DELETE /api/connections/:id: only one of this user's connections; anything else is a 404. */
export async function deleteConnection(request, { config, params }) {
  requireSameOrigin(request, config);
  const user = await requireUser(request, config);
  const [connectionId] = params;
  if (!(await ownsConnection(config, user, connectionId))) {
    throw new HttpError(404, "not_found", "This user has no such connection.");
  }
  let deleted;
  try {
    deleted = await config.client.deleteConnection(connectionId);
  } catch (error) {
    const mapped = apiError(error);
    // Gone at Markifact already: forget it here too.
    if (mapped.status === 404) await deleteConnectionRecord(config.kv, user, connectionId);
    throw mapped;
  }
  await deleteConnectionRecord(config.kv, user, connectionId);
  return json({ deleted });
}

/** Recorded for this user at a verified callback, or carrying this user's external id at Markifact. */
async function ownsConnection(config, user, connectionId) {
  if (await getConnectionRecord(config.kv, user, connectionId)) return true;
  const externalId = await externalIdFor(config, user);
  let found;
  try {
    found = await config.client.getConnection(connectionId, { lookupBy: "id" });
  } catch (error) {
    const mapped = apiError(error);
    if (mapped.status === 404) return false;
    throw mapped;
  }
  return found.some((c) => c.id === connectionId && c.externalId === externalId);
}
