// POST /api/connect {"connectionType": "ga4"}: a new Markifact auth link for this browser's
// session, with a one-time `state` on the redirect URL. Answers `{ url }`; the page sends the
// browser there (Markifact's consent page), and Markifact sends it back to /callback?state=….
import { serverConfig } from "@/lib/config";
import { isConnectionType } from "@/lib/connection-types";
import { HttpError, errorResponse, json, readJsonObject, requireSameOriginJson } from "@/lib/http";
import { markifactClient, upstreamError } from "@/lib/markifact";
import { newSession, randomHex, readSession } from "@/lib/session";
import { putState } from "@/lib/store";

export const runtime = "nodejs";

export async function POST(request: Request): Promise<Response> {
  try {
    const config = serverConfig();
    requireSameOriginJson(request, config.origin);
    const { connectionType } = await readJsonObject(request);
    if (!isConnectionType(connectionType)) {
      throw new HttpError(400, "invalid_connection_type", 'connectionType must be one of "ga4", "gads", "meta_ads".');
    }

    // No session yet: this click starts one (a real app has its signed-in user here).
    let session = readSession(request.headers.get("cookie"), config.secure);
    let setCookie: string | undefined;
    if (!session) ({ session, setCookie } = newSession(config.secure));

    // 128 random bits binding the callback to this link and this session, used once.
    const state = randomHex(16);
    const redirectUrl = `${config.origin}/callback?state=${state}`;
    let link;
    try {
      link = await markifactClient(config).createAuthLink({
        connectionType,
        redirectUrl,
        externalId: session.externalId,
      });
    } catch (error) {
      throw upstreamError(error);
    }
    putState(state, {
      sessionId: session.id,
      authLinkId: link.id,
      redirectUrl,
      connectionType,
      externalId: session.externalId,
      createdAt: Date.now(),
    });
    return json({ url: link.url }, { headers: setCookie ? { "set-cookie": setCookie } : {} });
  } catch (error) {
    return errorResponse(error);
  }
}
