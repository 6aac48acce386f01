// The Markifact client of the Node route handlers, and how its errors become this app's. The
// package's error codes are stable; the browser gets a status that says whose fault it is: its
// request (4xx) or the upstream (502/503). No MarkifactError message ever contains the API key.
import { MarkifactClient, MarkifactError } from "markifact-connect";
import type { ServerConfig } from "./config";
import { HttpError } from "./http";

let cached: { key: string; client: MarkifactClient } | undefined;

/** One client per process and configuration: it holds only settings; each call makes its own fetch. */
export function markifactClient(config: ServerConfig): MarkifactClient {
  const key = JSON.stringify([config.apiKey, config.apiUrl, config.insecureLoopback]);
  if (cached?.key !== key) {
    let client: MarkifactClient;
    try {
      client = new MarkifactClient({
        apiKey: config.apiKey,
        baseUrl: config.apiUrl,
        // http://127.0.0.1 redirect URLs, for the local sandbox: only when the app itself runs on
        // a loopback http origin. The real API refuses them anyway.
        allowInsecureLocalhost: config.insecureLoopback,
        // A browser is waiting: fail fast rather than hang.
        timeoutMs: 10_000,
        maxRetries: 2,
        onWarning: (warning) => console.warn(`markifact: ${warning}`),
      });
    } catch (error) {
      console.error(`MARKIFACT_API_URL is not usable: ${error instanceof Error ? error.message : error}`);
      throw new HttpError(500, "server_misconfigured", "The server is misconfigured; see its log.");
    }
    cached = { key, client };
  }
  return cached.client;
}

/** Errors worth a retry later: a callback keeps its state when one happens. */
export function isUpstreamTrouble(error: MarkifactError): boolean {
  if (["network", "timeout", "rate_limited", "invalid_response", "unauthorized", "aborted"].includes(error.code)) {
    return true;
  }
  return error.code === "http_error" && (error.status ?? 500) >= 500;
}

/** The HttpError for a failed client call (rethrows anything that is not a MarkifactError). */
export function upstreamError(error: unknown): HttpError {
  if (!(error instanceof MarkifactError)) throw error;
  if (error.code === "rate_limited") {
    const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
    return new HttpError(503, "upstream_rate_limited", "Markifact is rate limiting this app; try again shortly.", {
      "retry-after": String(seconds),
    });
  }
  if (error.code === "unauthorized") {
    console.error(`Markifact refused the API key: ${error.message}`);
    return new HttpError(502, "upstream_unauthorized", "The app's Markifact API key was refused.");
  }
  if (error.code === "http_error" && (error.status ?? 500) < 500) {
    return new HttpError(400, "rejected_by_markifact", `Markifact rejected the request: ${error.message}`);
  }
  if (isUpstreamTrouble(error)) {
    console.error(`Markifact unavailable (${error.code}): ${error.message}`);
    return new HttpError(502, "upstream_unavailable", "Markifact could not be reached; try again in a moment.");
  }
  // Validation codes (invalid_redirect_url, invalid_external_id, ...): a bug or a misconfiguration here.
  console.error(`unexpected Markifact client error ${error.code}: ${error.message}`);
  return new HttpError(500, "internal", "The request to Markifact failed unexpectedly.");
}
