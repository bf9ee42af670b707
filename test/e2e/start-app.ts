/**
 * Starts a Ghostline app for client tests on an ephemeral loopback port: the real app
 * (src/server/app.ts `buildApp`) with the fake engine and the real request manager. While the
 * server is not there yet (it is built in parallel), a stub edge with the same wire protocol is used
 * and a warning is printed.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { buildStubApp } from "./stub-stream-server.js";

/** A running app. */
export interface RunningApp {
  url: string;
  /** "real" (buildApp + fake engine) or "stub". */
  kind: "real" | "stub";
  close(): Promise<void>;
}

/** Deterministic "model" output: what the fake engine generates for a prefix. */
export function scriptFor(prefix: string): string {
  if (prefix.endsWith("const x")) return ' = greet("ghost");';
  if (prefix.endsWith("retu")) return "rn a + b;";
  return "return `Hello, ${name}!`;\n}";
}

/** Starts the app; `close()` stops it. */
export async function startApp(): Promise<RunningApp> {
  const appPath = fileURLToPath(new URL("../../src/server/app.ts", import.meta.url));
  let app: FastifyInstance;
  let kind: RunningApp["kind"] = "real";
  let cleanup: () => Promise<void> = async () => {};
  if (existsSync(appPath) && process.env.GHOSTLINE_TEST_STUB !== "1") {
    // variable specifier: the module is written in parallel by the server helper
    const appModule = "../../src/server/app.js";
    const { buildApp } = (await import(appModule)) as { buildApp: (services: object) => Promise<FastifyInstance> };
    const { createFakeEngine } = await import("../../src/engines/fake/fake-engine.js");
    const { createRequestManager } = await import("../../src/requests/request-manager.js");
    const { ConfigSchema } = await import("../../src/config/schema.js");
    const config = ConfigSchema.parse({ engine: { kind: "fake" } });
    const engine = createFakeEngine({ script: (req) => scriptFor(req.fim.prefix), tokenDelayMs: 5 });
    const manager = createRequestManager({ engine, config });
    app = await buildApp({ config, engine, manager });
    cleanup = () => manager.close();
  } else {
    console.warn("start-app: src/server/app.ts missing — using the stub stream server");
    kind = "stub";
    app = await buildStubApp(scriptFor);
  }
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    kind,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}
