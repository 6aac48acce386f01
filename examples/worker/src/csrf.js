// Cross-site request forgery guard for the state-changing routes (POST, DELETE). The session
// cookie is SameSite=Lax, which already keeps it off cross-site POSTs in current browsers; these
// checks do not rely on that.
import { HttpError } from "./http.js";

/**
 * Refuses a request a browser marks as coming from another origin. A missing Origin is allowed
 * (browsers always send one on POST and DELETE; tools such as curl carry no session cookie).
 */
export function requireSameOrigin(request, config) {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== config.appOrigin) {
    throw new HttpError(403, "cross_origin_request", "This request must come from the app's own origin.");
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, "cross_origin_request", "This request must come from the app's own origin.");
  }
}

/**
 * Requires `Content-Type: application/json`: a cross-site HTML form can only send form or text
 * bodies, and a cross-site fetch with JSON needs a CORS preflight, which this Worker never grants.
 */
export function requireJson(request) {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(403, "json_required", "This request must have Content-Type: application/json.");
  }
}
