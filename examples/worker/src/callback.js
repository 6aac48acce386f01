// GET /oauth/callback: where Markifact sends the browser back. The query is only a claim; the
// Worker accepts it when (1) the state is one it issued and has not used, (2) this browser holds
// the session that created it, and (3) Markifact's status endpoint confirms the link produced
// exactly that connection for this user (verifyRedirect). Only then is a connection stored.
// Every way out is a 303 to a fixed path on APP_ORIGIN or an HTML error page: no open redirect.
import { MarkifactError } from "markifact-connect";
import { seeOther } from "./http.js";
import { isUpstreamTrouble } from "./markifact.js";
import { errorPage } from "./pages.js";
import { externalIdFor, readSession } from "./session.js";
import { deleteState, getState, putConnectionRecord } from "./store.js";

const STATE_RE = /^[0-9a-f]{32}$/;
// Markifact's error text is shown by the app's page; keep it to a sane length.
const MAX_ERROR_MESSAGE = 300;

export async function oauthCallback(request, { config }) {
  const states = new URL(request.url).searchParams.getAll("state");
  if (states.length !== 1 || !STATE_RE.test(states[0])) {
    return errorPage(400, "invalid_state", "This callback has no valid state parameter.");
  }
  const [state] = states;
  const record = await getState(config.kv, state);
  if (!record) {
    return errorPage(
      400,
      "unknown_state",
      "This connection attempt is unknown, has expired, or was already completed. Start again from the app.",
    );
  }
  const user = await readSession(request, config);
  if (!user) {
    return errorPage(403, "no_session", "This browser is not signed in to the session that started the connection.");
  }
  if (user !== record.user) {
    return errorPage(403, "session_mismatch", "This connection was started by another session; it cannot be completed here.");
  }

  let connection;
  try {
    connection = await config.client.verifyRedirect(request.url, {
      authLinkId: record.authLinkId,
      redirectUrl: record.redirectUrl,
      expectedExternalId: await externalIdFor(config, user),
      expectedConnectionType: record.connectionType,
    });
  } catch (error) {
    if (!(error instanceof MarkifactError)) throw error;
    if (error.code === "connection_failed") {
      // The user denied (or the provider failed). The link stays usable until it expires, so the
      // state is kept for a retry.
      const message = (error.detail ?? "").slice(0, MAX_ERROR_MESSAGE);
      return seeOther(appPage(config, { status: "error", connection_type: record.connectionType, error: message }));
    }
    if (isUpstreamTrouble(error)) {
      console.error(`callback: Markifact unavailable (${error.code}): ${error.message}`);
      return errorPage(
        502,
        "upstream_unavailable",
        "Markifact could not confirm the connection right now. Reload this page in a moment to try again.",
      );
    }
    // Forged or mismatched parameters, a pending or expired link, a URL that is not the one we
    // registered: nothing is stored, and the state stays for the genuine redirect.
    console.warn(`callback rejected (${error.code}${error.field ? `, ${error.field}` : ""}): ${error.message}`);
    return errorPage(
      400,
      error.code,
      "Markifact did not confirm this connection: the link may have expired, or the address was changed.",
    );
  }

  // Single use: forget the state before anything else can read it again.
  await deleteState(config.kv, state);
  await putConnectionRecord(config.kv, user, { ...connection, authLinkId: record.authLinkId, verifiedAt: Date.now() });
  return seeOther(
    appPage(config, { status: "success", connection_type: connection.type, connection_id: connection.id }),
  );
}

/** The app's result page: a fixed path on APP_ORIGIN; request input only ever lands in the query. */
function appPage(config, params) {
  const url = new URL("/callback.html", config.appOrigin);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}
