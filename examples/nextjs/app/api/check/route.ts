// GET /api/check?url=<a redirect>&redirect_url=<a candidate redirect URL>, on the edge runtime:
// a support tool that reads a redirect the way the callback page does (`parseRedirect`) and checks
// a redirect URL the way `createAuthLink` will (`validateRedirectUrl`), without calling Markifact.
// Answers 200 when every check given passes, 400 when one fails; each failure is the package's
// coded error: `{ ok: false, error: { code, field, rule?, message } }`.
import { MarkifactError, parseRedirect, validateRedirectUrl } from "markifact-connect";
import { appOrigin } from "@/lib/config";
import { HttpError, errorResponse, json } from "@/lib/http";

export const runtime = "edge";

type Check<T> = { ok: true; value: T } | { ok: false; error: { code: string; field?: string; rule?: string; message: string } };

function check<T>(run: () => T): Check<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (!(error instanceof MarkifactError)) throw error;
    const { code, field, rule, message } = error;
    return { ok: false, error: { code, field, rule, message } };
  }
}

export function GET(request: Request): Response {
  try {
    const query = new URL(request.url).searchParams;
    const url = query.get("url");
    const redirectUrl = query.get("redirect_url");
    if (url === null && redirectUrl === null) {
      throw new HttpError(400, "nothing_to_check", "Give url (a redirect to read) and/or redirect_url (to validate).");
    }
    const body: { runtime: string; parse?: Check<unknown>; validate?: Check<string> } = {
      // Next.js defines EdgeRuntime on its edge runtime.
      runtime: typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === "string" ? "edge" : "nodejs",
    };
    if (url !== null) body.parse = check(() => parseRedirect(url));
    if (redirectUrl !== null) {
      // http://localhost redirect URLs only when this app runs on one (the sandbox).
      const { insecureLoopback } = appOrigin();
      body.validate = check(() => validateRedirectUrl(redirectUrl, { allowInsecureLocalhost: insecureLoopback }));
    }
    const failed = body.parse?.ok === false || body.validate?.ok === false;
    return json(body, { status: failed ? 400 : 200 });
  } catch (error) {
    return errorResponse(error);
  }
}
