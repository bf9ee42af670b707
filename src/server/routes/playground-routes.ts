/**
 * The Monaco playground: `/` serves the page, `/playground/app.js` the bundled client (built from
 * source with esbuild on first request), `/playground/monaco/*` Monaco's own `min/vs` files from
 * node_modules (no CDN).
 */
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { PLAYGROUND_DIR, playgroundBundle } from "../../../packages/playground/src/bundle.js";

/** Options of the playground routes. */
export interface PlaygroundDeps {
  /** Serve the playground (default true). */
  enabled?: boolean;
  /** The app's services (unused by the playground; accepted for a uniform route-module signature). */
  services?: unknown;
}

const TYPES: Record<string, string> = {
  ".js": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ttf": "font/ttf",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** Directory of monaco-editor's `min/vs`. */
function monacoDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("monaco-editor/package.json")), "min", "vs");
}

/** Registers the playground page and its static assets. */
export async function registerPlaygroundRoutes(app: FastifyInstance, deps?: PlaygroundDeps): Promise<void> {
  if (deps?.enabled === false) return;
  const root = monacoDir();
  const page = (reply: FastifyReply) =>
    readFile(path.join(PLAYGROUND_DIR, "index.html"), "utf8").then((html) => reply.type(TYPES[".html"]!).header("cache-control", "no-cache").send(html));
  app.get("/", (_req, reply) => page(reply));
  app.get("/playground", (_req, reply) => page(reply));
  app.get("/playground/app.js", async (_req, reply) => {
    const js = await playgroundBundle();
    return reply.type(TYPES[".js"]!).header("cache-control", "no-cache").send(js);
  });
  app.get("/playground/monaco/*", async (req, reply) => {
    const rel = (req.params as { "*": string })["*"];
    if (!rel.startsWith("vs/")) return reply.code(404).send({ error: { code: "not_found", message: "not found" } });
    const file = path.resolve(root, rel.slice(3));
    if (file !== root && !file.startsWith(root + path.sep)) return reply.code(404).send({ error: { code: "not_found", message: "not found" } });
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return reply.code(404).send({ error: { code: "not_found", message: "not found" } });
    const body = await readFile(file);
    return reply
      .type(TYPES[path.extname(file)] ?? "application/octet-stream")
      .header("cache-control", "public, max-age=86400")
      .send(body);
  });
}
