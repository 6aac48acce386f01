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
// Answers 200 `{ verified: true, connection }`, 200 `{ verified: false, error }` when Markifact
// reports that the user denied or the provider failed (`connection_failed`: the state is kept,
// the same link can be retried until it expires), or a JSON error (400, 403, 409, 502).
import { MarkifactError } from "markifact-connect";
import { serverConfig } from "@/lib/config";
import { HttpError, errorResponse, json, readJsonObject, requireSameOriginJson } from "@/lib/http";
import { isUpstreamTrouble, markifactClient } from "@/lib/markifact";
import { readSession } from "@/lib/session";
import { addConnection, claimState, consumeState, peekState, releaseState } from "@/lib/store";

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
    if (!session) {
      throw new HttpError(403, "no_session", "This browser is not in the session that started the connection.");
    }
    if (session.id !== pending.sessionId) {
      throw new HttpError(403, "session_mismatch", "This connection was started by another session.");
    }
    if (!claimState(state)) {
      throw new HttpError(409, "state_in_use", "This connection is being verified by another request.");
    }

    let connection;
    try {
      connection = await markifactClient(config).verifyRedirect(url, {
        authLinkId: pending.authLinkId,
        redirectUrl: pending.redirectUrl, // an exact parse against what was sent to Markifact
        expectedExternalId: pending.externalId,
        expectedConnectionType: pending.connectionType,
      });
    } catch (error) {
      releaseState(state); // not verified: the genuine redirect may still come
      if (!(error instanceof MarkifactError)) throw error;
      if (error.code === "connection_failed") {
        const message = (error.detail ?? "").slice(0, MAX_ERROR_MESSAGE);
        return json({ verified: false, error: { code: error.code, message } });
      }
      if (isUpstreamTrouble(error)) {
        console.error(`verify: Markifact unavailable (${error.code}): ${error.message}`);
        throw new HttpError(502, "upstream_unavailable", "Markifact could not confirm the connection right now; reload to retry.");
      }
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
