// Responses, errors and request checks shared by the route handlers. Runs in both runtimes
// (Node and edge): Web APIs only.

/** An error the route answers as `{ "error": { "code", "message" } }` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const NO_STORE = {
  "cache-control": "no-store",
  // The callback URL carries the state and the external id: never send it on as a Referer.
  "referrer-policy": "no-referrer",
};

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return Response.json(body, { status: init.status ?? 200, headers: { ...NO_STORE, ...init.headers } });
}

/** The JSON error response for anything a handler throws (a bug becomes a generic 500). */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    return json({ error: { code: error.code, message: error.message } }, { status: error.status, headers: error.headers });
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return json({ error: { code: "internal", message: "Something went wrong on the server." } }, { status: 500 });
}

/**
 * Cross-site request forgery guard for state-changing routes. The session cookie is
 * SameSite=Lax, which already keeps it off cross-site POSTs; these checks do not rely on that:
 * the request must come from the app's own origin (browsers always send Origin on POST) and
 * carry JSON (a cross-site form cannot; a cross-site fetch with JSON needs a CORS preflight,
 * which this app never grants).
 */
export function requireSameOriginJson(request: Request, appOrigin: string): void {
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  if ((origin !== null && origin !== appOrigin) || (site !== null && site !== "same-origin" && site !== "none")) {
    throw new HttpError(403, "cross_origin_request", "This request must come from the app's own origin.");
  }
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(403, "json_required", "This request must have Content-Type: application/json.");
  }
}

const MAX_JSON_BYTES = 32 * 1024;

/** The request's JSON object body, read up to MAX_JSON_BYTES. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BYTES) throw tooLarge();
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_JSON_BYTES) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid UTF-8 JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "invalid_json", "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function tooLarge(): HttpError {
  return new HttpError(413, "body_too_large", `The request body is over ${MAX_JSON_BYTES} bytes.`);
}
