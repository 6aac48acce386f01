// A Cloudflare Worker using the package: answers every request with parseRedirect(request.url)
// as JSON, or 400 {code, message} for a MarkifactError (anything else is a 500, so a broken
// `instanceof` or a crash shows).
import { parseRedirect, MarkifactError } from "markifact-connect";

export default {
  async fetch(request) {
    try {
      return Response.json(parseRedirect(request.url));
    } catch (error) {
      if (error instanceof MarkifactError) {
        return Response.json({ code: error.code, message: error.message }, { status: 400 });
      }
      return Response.json({ unexpected: String(error?.stack ?? error) }, { status: 500 });
    }
  },
};
