// Responses and the coded error every handler throws. JSON APIs answer
// `{ "error": { "code", "message", ...details } }` (details such as a 429's `retryAfterMs`);
// nothing here echoes request input into headers.

/** Headers on every response: nothing is cacheable (sessions, one-time states) or sniffable. */
const BASE_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  // The callback URL carries the state and external id: never leak it through Referer.
  "referrer-policy": "no-referrer",
};

/** A failure with an HTTP status and a stable code; thrown by handlers, rendered by the router. */
export class HttpError extends Error {
  constructor(status, code, message, { headers, cause, details } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers ?? {};
    /** Extra members of the JSON error object (never `code` or `message`). */
    this.details = details ?? {};
  }
}

export function json(body, { status = 200, headers = {} } = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...BASE_HEADERS, "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function jsonError(error) {
  const body = { code: error.code, message: error.message };
  for (const [name, value] of Object.entries(error.details)) if (!(name in body)) body[name] = value;
  return json({ error: body }, { status: error.status, headers: error.headers });
}

/** A 303 to a URL the caller built from APP_ORIGIN and a fixed path (never from request input). */
export function seeOther(location) {
  return new Response(null, { status: 303, headers: { ...BASE_HEADERS, location } });
}

export function html(body, { status = 200, headers = {} } = {}) {
  return new Response(body, {
    status,
    headers: { ...BASE_HEADERS, "content-type": "text/html; charset=utf-8", ...headers },
  });
}

const MAX_JSON_BYTES = 4096;

/**
 * The request body as a JSON object, read with a size cap (a Worker would otherwise buffer
 * whatever a client streams). The content type was checked by the CSRF guard.
 */
export async function readJsonObject(request) {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BYTES) throw tooLarge();
  const chunks = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
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
  let value;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid UTF-8 JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "invalid_json", "The request body must be a JSON object.");
  }
  return value;
}

function tooLarge() {
  return new HttpError(413, "body_too_large", `The request body is over ${MAX_JSON_BYTES} bytes.`);
}
