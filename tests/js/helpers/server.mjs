// A tiny static file server on 127.0.0.1 (a free port), with the MIME types browsers insist on
// (application/wasm for instantiateStreaming, text/javascript for module scripts).
import { createServer } from "node:http";
import { createReadStream, readFileSync, statSync } from "node:fs";
import path from "node:path";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/**
 * Serves `root` (and `mounts`: URL prefix -> folder, e.g. {"/vectors/": dir}). Resolves to
 * `{ url, requests, close() }`; `requests` logs `{ path, status, type }` of every request.
 * Options for the browser-engine tests (both off by default):
 * - `headers(pathname)`: extra response headers for a file, e.g. a Content-Security-Policy;
 * - `inject: { path, source }`: serves `source` as a script at `path` and loads it first in every
 *   HTML page (a `<script src>` right after `<head>`), e.g. helpers/engines.mjs's COLLECTOR.
 */
export function serveStatic(root, { mounts = {}, headers = () => ({}), inject } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    let status = 200;
    let type;
    try {
      const { pathname } = new URL(req.url, "http://localhost");
      if (inject && pathname === inject.path) {
        type = MIME[".js"];
        const body = Buffer.from(inject.source);
        res.writeHead(200, { "content-type": type, "content-length": body.length, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : body);
        requests.push({ path: req.url, status, type });
        return;
      }
      let base = root;
      let rel = decodeURIComponent(pathname);
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (rel.startsWith(prefix)) {
          base = dir;
          rel = `/${rel.slice(prefix.length)}`;
          break;
        }
      }
      let file = path.resolve(base, `.${rel}`);
      if (file !== base && !file.startsWith(base + path.sep)) {
        status = 403;
      } else {
        let stat = statSync(file, { throwIfNoEntry: false });
        if (stat?.isDirectory()) {
          file = path.join(file, "index.html");
          stat = statSync(file, { throwIfNoEntry: false });
        }
        if (!stat?.isFile()) status = 404;
        else {
          type = MIME[path.extname(file)] ?? "application/octet-stream";
          const extra = headers(pathname) ?? {};
          if (inject && path.extname(file) === ".html") {
            const html = readFileSync(file, "utf8");
            const tag = `<script src="${inject.path}"></script>`;
            const head = /<head[^>]*>/i;
            const body = Buffer.from(head.test(html) ? html.replace(head, (open) => open + tag) : tag + html);
            res.writeHead(200, { ...extra, "content-type": type, "content-length": body.length, "cache-control": "no-store" });
            res.end(req.method === "HEAD" ? undefined : body);
          } else {
            res.writeHead(200, { ...extra, "content-type": type, "content-length": stat.size, "cache-control": "no-store" });
            if (req.method === "HEAD") res.end();
            else createReadStream(file).pipe(res);
          }
        }
      }
    } catch {
      status = 400;
    }
    requests.push({ path: req.url, status, type });
    if (status !== 200) res.writeHead(status, { "content-type": "text/plain" }).end(String(status));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * What a page fetched of the package's wasm, as sorted `[path, status]`: the modules that embed
 * it (parser-wasm.js, main-wasm.js) and any .wasm file (there should be none).
 */
export function wasmRequests(server) {
  return server.requests
    .filter((r) => /\.wasm$|-wasm\.js$/.test(r.path))
    .map((r) => [r.path, r.status])
    .sort();
}

/** `wasmRequests` of a page that loads both entries of the installed package: each module once. */
export const BOTH_EMBEDDED_ONCE = [
  ["/node_modules/markifact-connect/main-wasm.js", 200],
  ["/node_modules/markifact-connect/parser-wasm.js", 200],
];
