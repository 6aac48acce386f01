// Cloudflare Worker entry: the server half of connecting a user's account through Markifact.
// See README.md for the routes and bindings.
import { loadConfig } from "./config.js";
import { HttpError } from "./http.js";
import { renderError, route } from "./router.js";

// The Durable Object classes wrangler.toml binds (they must be exported by the main module).
export { OneTimeState, RateLimiter, UserConnections } from "./durable.js";

export default {
  async fetch(request, env) {
    let page = false;
    try {
      const matched = route(request);
      page = matched.page;
      const config = loadConfig(env);
      return await matched.handler(request, { config, params: matched.params });
    } catch (error) {
      if (error instanceof HttpError) {
        // The code only: messages can carry upstream details (ids in API paths).
        if (error.status >= 500) console.error(`${error.status} ${error.code}`);
        return renderError(error, page);
      }
      // A bug: log it, answer a generic 500 (no stack to the browser).
      console.error(error?.stack ?? String(error));
      return renderError(new HttpError(500, "internal", "Something went wrong on the server."), page);
    }
  },
};
