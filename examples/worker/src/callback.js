// GET /oauth/callback: where Markifact sends the browser back. The query is only a claim; the
// Worker credits a connection when (1) the state is one it issued and has not used, (2) this
// browser holds the session that created it, (3) Markifact's status endpoint confirms the link
// produced exactly that connection for that session's user (verifyRedirect), and (4) this request
// is the one that takes the state (a Durable Object: exactly one of two concurrent callbacks).
//
// A completed link coming back in ANOTHER session (or none) is a donated link: someone created
// it in their session and had this browser's user approve it. Nothing is credited, and once the
// API confirms the link really produced that connection, the connection is deleted at Markifact,
// so the approving user's account does not stay attached to the creator's external_id.
//
// Every way out is a 303 to a fixed path on APP_ORIGIN or an HTML error page: no open redirect.
// Rejections are logged with their code only (never an external id, connection id or state).
import { MarkifactError } from "markifact-connect";
import { seeOther } from "./http.js";
import { isUpstreamTrouble } from "./markifact.js";
import { errorPage } from "./pages.js";
import { externalIdFor, readSession } from "./session.js";
import { LINK_TTL_S, stateSlot, userConnections } from "./store.js";

const STATE_RE = /^[0-9a-f]{32}$/;
// Markifact's error text is shown by the app's page; keep it to a sane length.
const MAX_ERROR_MESSAGE = 300;

const UNKNOWN_STATE =
  "This connection attempt is unknown, has expired, or was already completed. Start again from the app.";
const UPSTREAM_UNAVAILABLE =
  "Markifact could not confirm the connection right now. Reload this page in a moment to try again.";

/** An error page for a refused callback, logged by its code alone. */
function rejected(status, code, message) {
  console.warn(`callback rejected: ${code}`);
  return errorPage(status, code, message);
}

export async function oauthCallback(request, { config }) {
  const states = new URL(request.url).searchParams.getAll("state");
  if (states.length !== 1 || !STATE_RE.test(states[0])) {
    return rejected(400, "invalid_state", "This callback has no valid state parameter.");
  }
  const [state] = states;
  const slot = stateSlot(config, state);
  const record = await slot.peek();
  if (!record) return rejected(400, "unknown_state", UNKNOWN_STATE);

  const user = await readSession(request, config);
  if (user !== record.user) {
    return foreignCallback(request, config, slot, record, user ? "session_mismatch" : "no_session");
  }

  let connection;
  try {
    connection = await verify(request, config, record);
  } catch (error) {
    if (!(error instanceof MarkifactError)) throw error;
    if (error.code === "connection_failed") {
      // The user denied (or the provider failed). The link stays usable until it expires, so the
      // state is kept for a retry.
      const message = (error.detail ?? "").slice(0, MAX_ERROR_MESSAGE);
      return seeOther(
        appPage(config, { state, status: "error", connection_type: record.connectionType, error: message }),
      );
    }
    if (isUpstreamTrouble(error)) return rejected(502, "upstream_unavailable", UPSTREAM_UNAVAILABLE);
    // Forged or mismatched parameters, a pending or expired link, a URL that is not the one we
    // registered: nothing is credited, and the state stays for the genuine redirect.
    return rejected(
      400,
      error.code,
      "Markifact did not confirm this connection: the link may have expired, or the address was changed.",
    );
  }

  // Single use, atomically: of two concurrent callbacks only one gets the record.
  const taken = await slot.take();
  if (!taken) return rejected(400, "unknown_state", UNKNOWN_STATE);
  try {
    await userConnections(config, user).credit({ ...connection, authLinkId: record.authLinkId, verifiedAt: Date.now() });
  } catch (error) {
    // Not credited: give the state back so a reload can finish.
    await restore(slot, taken);
    throw error;
  }
  return seeOther(
    appPage(config, { state, status: "success", connection_type: connection.type, connection_id: connection.id }),
  );
}

/**
 * The callback of a link this browser's session did not create. When Markifact confirms the link
 * produced the connection the URL names, the state is used up and the connection deleted; a
 * forged or edited URL (which cannot be confirmed) deletes nothing and leaves the state alone.
 */
async function foreignCallback(request, config, slot, record, code) {
  const refused =
    code === "no_session"
      ? "This browser is not signed in to the session that started the connection."
      : "This connection was started by another session; it cannot be completed here.";
  let connection;
  try {
    connection = await verify(request, config, record);
  } catch (error) {
    if (!(error instanceof MarkifactError)) throw error;
    // Could not ask: the connection may exist; a reload retries the check.
    if (isUpstreamTrouble(error)) return rejected(502, "upstream_unavailable", UPSTREAM_UNAVAILABLE);
    // A denial, a pending link, forged parameters: no connection of this link to remove.
    return rejected(403, code, refused);
  }

  const taken = await slot.take();
  // Taken meanwhile: credited in the creator's session a moment ago (it held the same URL).
  if (!taken) return rejected(400, "unknown_state", UNKNOWN_STATE);
  try {
    await config.client.deleteConnection(connection.id);
  } catch (error) {
    if (!(error instanceof MarkifactError)) throw error;
    if (error.code !== "not_found") {
      // Still attached: keep the state so a reload can try the deletion again.
      await restore(slot, taken);
      console.error(`callback: could not remove a connection approved in another session (${error.code})`);
      return rejected(502, "upstream_unavailable", UPSTREAM_UNAVAILABLE);
    }
  }
  console.warn(`callback: removed a connection approved in another session (${code})`);
  return rejected(
    403,
    code,
    `${refused} The account was not connected to anyone here, and Markifact was asked to remove the connection. ` +
      "If you meant to connect your account, start again from the app.",
  );
}

/** verifyRedirect against the state's record: its link, exact redirect URL, type and user. */
async function verify(request, config, record) {
  return config.client.verifyRedirect(request.url, {
    authLinkId: record.authLinkId,
    redirectUrl: record.redirectUrl,
    expectedExternalId: await externalIdFor(config, record.user),
    expectedConnectionType: record.connectionType,
  });
}

/** Puts a taken state back, with its original expiry. */
function restore(slot, record) {
  return slot.put(record, record.createdAt + LINK_TTL_S * 1000);
}

/** The app's result page: a fixed path on APP_ORIGIN; request input only ever lands in the query. */
function appPage(config, params) {
  const url = new URL("/callback.html", config.appOrigin);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}
