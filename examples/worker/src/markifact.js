// How a failed Markifact API call becomes this Worker's JSON error. The package's codes are
// stable; the browser gets a status that says whose fault it is: its request (4xx) or the
// upstream (502/503). The API key never appears in a MarkifactError's message.
import { MarkifactClient, MarkifactError } from "markifact-connect";
import { HttpError } from "./http.js";

/** The Markifact client this Worker uses: short timeouts (a browser is waiting). */
export function createClient({ apiKey, baseUrl, allowInsecureLocalhost }) {
  return new MarkifactClient({
    apiKey,
    baseUrl,
    allowInsecureLocalhost,
    timeoutMs: 10_000,
    maxRetries: 2,
  });
}

/** Errors worth a retry later: the state of a callback is kept when one happens. */
export function isUpstreamTrouble(error) {
  if (!(error instanceof MarkifactError)) return false;
  if (["network", "timeout", "rate_limited", "invalid_response", "unauthorized", "aborted"].includes(error.code)) {
    return true;
  }
  return error.code === "http_error" && (error.status ?? 500) >= 500;
}

/** The HttpError for a rejected client call (rethrows what is not a MarkifactError). */
export function apiError(error) {
  if (!(error instanceof MarkifactError)) throw error;
  if (error.code === "not_found") {
    return new HttpError(404, "not_found", "Markifact knows no such auth link or connection.", { cause: error });
  }
  if (error.code === "rate_limited") {
    const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
    return new HttpError(503, "upstream_rate_limited", "Markifact is rate limiting this app; try again shortly.", {
      headers: { "retry-after": String(seconds) },
      cause: error,
    });
  }
  if (error.code === "unauthorized") {
    // The Worker's key is wrong or revoked: the server's problem, not the browser's.
    console.error("Markifact refused the API key (unauthorized)");
    return new HttpError(502, "upstream_unauthorized", "The app's Markifact API key was refused.", { cause: error });
  }
  if (error.code === "http_error" && error.status >= 400 && error.status < 500) {
    return new HttpError(400, "rejected_by_markifact", `Markifact rejected the request: ${error.message}`, {
      cause: error,
    });
  }
  if (isUpstreamTrouble(error)) {
    return new HttpError(502, "upstream_unavailable", `Markifact could not be reached: ${error.message}`, {
      cause: error,
    });
  }
  console.error(`unexpected Markifact client error (${error.code})`);
  return new HttpError(500, "internal", "The request to Markifact failed unexpectedly.", { cause: error });
}
