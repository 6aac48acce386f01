// POST /api/verify {"url": location.href}: the callback page asks whether the redirect it
// received is a real, finished connection of this session. The URL is only a claim (anyone can
// type `?status=success&connection_id=…`); it is accepted when
//   1. its `state` is one this app issued and has not used yet,
//   2. this browser holds the session that started the connection, and
//   3. Markifact's auth link status confirms that the link produced exactly this connection, of
//      this type, for this user's external_id, and the URL extends the registered redirect URL
//      (`client.verifyRedirect`).
// Only then is the connection credited to the user and the state deleted (a replay is refused).
//
// A completed link coming back in ANOTHER session (or none) is a donated link: someone created it
// in their session and had this browser's user approve it. Nothing is credited (403 no_session /
// session_mismatch), and once Markifact confirms the link produced that connection, the state is
// used up and the connection deleted at Markifact, so the approving user's account does not stay
// attached to the creator's external_id. A forged or unconfirmable callback deletes nothing.
//
// Answers 200 `{ verified: true, connection }`, 200 `{ verified: false, error }` when Markifact
// reports that the user denied or the provider failed (`connection_failed`: the state is kept,
// the same link can be retried until it expires), or a JSON error (400, 403, 409, 502).
import { MarkifactError } from "markifact-connect";
import { serverConfig, type ServerConfig } from "@/lib/config";
import { HttpError, errorResponse, json, readJsonObject, requireSameOriginJson } from "@/lib/http";
import { isUpstreamTrouble, markifactClient } from "@/lib/markifact";
import { readSession } from "@/lib/session";
import { addConnection, claimState, consumeState, peekState, putState, releaseState, type PendingConnect } from "@/lib/store";

export const runtime = "nodejs";

const STATE_RE = /^[0-9a-f]{32}$/;
const MAX_URL_LENGTH = 16 * 1024;
// Markifact's error text is shown by the page; keep it to a sane length.
const MAX_ERROR_MESSAGE = 300;

export async function POST(request: Request): Promise<Response> {
  try {
    const config = serverConfig();
    requireSameOriginJson(request, config.origin);
    const { url } = await readJsonObject(request);
    if (typeof url !== "string" || url.length > MAX_URL_LENGTH) {
      throw new HttpError(400, "invalid_callback_url", "url must be the callback page's address.");
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new HttpError(400, "invalid_callback_url", "url must be the callback page's address.");
    }
    if (parsed.origin !== config.origin || parsed.pathname !== "/callback") {
      throw new HttpError(400, "invalid_callback_url", "url must be this app's /callback address.");
    }

    const states = parsed.searchParams.getAll("state");
    if (states.length !== 1 || !STATE_RE.test(states[0])) {
      throw new HttpError(400, "invalid_state", "This callback has no valid state parameter.");
    }
    const [state] = states;
    const pending = peekState(state);
    if (!pending) {
      throw new HttpError(
        400,
        "unknown_state",
        "This connection attempt is unknown, has expired, or was already completed. Start again.",
      );
    }
    const session = readSession(request.headers.get("cookie"), config.secure);
    if (!session || session.id !== pending.sessionId) {
      return await foreignCallback(config, url, state, pending, session ? "session_mismatch" : "no_session");
    }
    claim(state);

    let connection;
    try {
      connection = await verify(config, url, pending);
    } catch (error) {
      releaseState(state); // not verified: the genuine redirect may still come
      if (!(error instanceof MarkifactError)) throw error;
      if (error.code === "connection_failed") {
        const message = (error.detail ?? "").slice(0, MAX_ERROR_MESSAGE);
        return json({ verified: false, error: { code: error.code, message } });
      }
      if (isUpstreamTrouble(error)) throw unavailable(error);
      // Forged or edited parameters, a pending or expired link, a URL that is not the registered one.
      console.warn(`verify: rejected (${error.code}${error.field ? `, ${error.field}` : ""}): ${error.message}`);
      throw new HttpError(400, error.code, "Markifact did not confirm this connection.");
    }

    // Single use: the state is gone before anything else can read it again.
    consumeState(state);
    addConnection(session.id, { ...connection, authLinkId: pending.authLinkId, verifiedAt: Date.now() });
    return json({
      verified: true,
      connection: { id: connection.id, type: connection.type, displayName: connection.displayName ?? null },
    });
  } catch (error) {
    return errorResponse(error);
  }
}

/**
 * The callback of a link this browser's session did not create: always refused. When Markifact
 * confirms the link produced the connection the URL names, the state is used up and the
 * connection deleted; a denial, a pending link or a forged URL (none can be confirmed) deletes
 * nothing and leaves the state alone. If the deletion fails, the state is put back: 502, and a
 * reload retries.
 */
async function foreignCallback(
  config: ServerConfig,
  url: string,
  state: string,
  pending: PendingConnect,
  code: "no_session" | "session_mismatch",
): Promise<never> {
  const refused =
    code === "no_session"
      ? "This browser is not in the session that started the connection."
      : "This connection was started by another session.";
  claim(state);
  let connection;
  try {
    connection = await verify(config, url, pending);
  } catch (error) {
    releaseState(state);
    if (!(error instanceof MarkifactError)) throw error;
    // Could not ask: the connection may exist; a reload retries the check.
    if (isUpstreamTrouble(error)) throw unavailable(error);
    throw new HttpError(403, code, refused);
  }

  // Taken, exactly once: the state is gone before the deletion starts (a replay is unknown_state).
  consumeState(state);
  try {
    // verifyRedirect matched the connection by the redirect's connection_id: it has an id.
    await markifactClient(config).deleteConnection(connection.id!);
  } catch (error) {
    if (!(error instanceof MarkifactError && error.code === "not_found")) {
      // Still attached: put the state back so a reload can try the deletion again.
      putState(state, pending);
      if (!(error instanceof MarkifactError)) throw error;
      console.error(`verify: could not remove a connection approved in another session (${error.code})`);
      throw new HttpError(502, "upstream_unavailable", "Markifact could not remove the connection right now; reload to retry.");
    }
  }
  console.warn(`verify: removed a connection approved in another session (${code})`);
  throw new HttpError(
    403,
    code,
    `${refused} The account was not connected to anyone here, and Markifact was asked to remove the connection. ` +
      "If you meant to connect your account, start again from the app.",
  );
}

/** Holds `state` for one verification (409 while another request holds it). */
function claim(state: string): void {
  if (!claimState(state)) {
    throw new HttpError(409, "state_in_use", "This connection is being verified by another request.");
  }
}

/** verifyRedirect against the state's own record: its link, exact redirect URL, type and creator. */
function verify(config: ServerConfig, url: string, pending: PendingConnect) {
  return markifactClient(config).verifyRedirect(url, {
    authLinkId: pending.authLinkId,
    redirectUrl: pending.redirectUrl, // an exact parse against what was sent to Markifact
    expectedExternalId: pending.externalId,
    expectedConnectionType: pending.connectionType,
  });
}

function unavailable(error: MarkifactError): HttpError {
  console.error(`verify: Markifact unavailable (${error.code}): ${error.message}`);
  return new HttpError(502, "upstream_unavailable", "Markifact could not confirm the connection right now; reload to retry.");
}
