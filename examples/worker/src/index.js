// Cloudflare Worker entry: the server half of connecting a user's account through Markifact.
// See README.md for the routes and bindings.
import { loadConfig } from "./config.js";
import { HttpError } from "./http.js";
import { renderError, route } from "./router.js";

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
        if (error.status >= 500) console.error(`${error.code}: ${error.message}`);
        return renderError(error, page);
      }
      // A bug: log it, answer a generic 500 (no stack to the browser).
      console.error(error?.stack ?? String(error));
      return renderError(new HttpError(500, "internal", "Something went wrong on the server."), page);
    }
  },
};
