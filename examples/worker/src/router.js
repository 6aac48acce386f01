// Method + path to handler. JSON routes answer JSON errors; the OAuth callback, which a browser
// navigates to, answers HTML error pages.
import { deleteConnection, getConnectStatus, getConnectionTypes, getConnections, getSession, postConnect } from "./api.js";
import { oauthCallback } from "./callback.js";
import { HttpError, jsonError } from "./http.js";
import { errorPage } from "./pages.js";

// An opaque Markifact id from the path: printable, no separators, bounded (it ends up in KV keys).
const ID = "([^/]{1,200})";

const ROUTES = [
  { path: /^\/api\/session$/, methods: { GET: getSession } },
  { path: /^\/api\/connection-types$/, methods: { GET: getConnectionTypes } },
  { path: /^\/api\/connect$/, methods: { POST: postConnect } },
  { path: new RegExp(`^/api/connect/${ID}/status$`), methods: { GET: getConnectStatus } },
  { path: /^\/api\/connections$/, methods: { GET: getConnections } },
  { path: new RegExp(`^/api/connections/${ID}$`), methods: { DELETE: deleteConnection } },
  { path: /^\/oauth\/callback$/, methods: { GET: oauthCallback }, page: true },
];

/** The route for a request: `{ handler, params, page }`, or throws a 404/405 HttpError. */
export function route(request) {
  const { pathname } = new URL(request.url);
  for (const { path, methods, page = false } of ROUTES) {
    const match = pathname.match(path);
    if (!match) continue;
    const handler = methods[request.method];
    if (!handler) {
      throw new HttpError(405, "method_not_allowed", `Use ${Object.keys(methods).join(", ")} on this route.`, {
        headers: { allow: Object.keys(methods).join(", ") },
      });
    }
    const params = match.slice(1).map(decodeId);
    if (params.includes(null)) throw new HttpError(404, "not_found", "No such auth link or connection.");
    return { handler, params, page };
  }
  throw new HttpError(404, "not_found", "No such route.");
}

function decodeId(segment) {
  let id;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return null;
  }
  // No control characters or whitespace, and nothing that walks a path.
  if (id === "." || id === ".." || /[\s\u0000-\u001f\u007f/]/.test(id)) return null;
  return id;
}

/** Renders a thrown HttpError for the kind of route (HTML page or JSON). */
export async function renderError(error, page) {
  if (page) return errorPage(error.status, error.code, error.message);
  return jsonError(error);
}

export { HttpError };
