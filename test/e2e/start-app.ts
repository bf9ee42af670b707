/**
 * Starts a Ghostline app for client tests on an ephemeral loopback port: the real app
 * (`buildApp`) with the deterministic fake engine and the real request manager.
 */
import type { FastifyInstance } from "fastify";
import { ConfigSchema } from "../../src/config/schema.js";
import { createFakeEngine } from "../../src/engines/fake/fake-engine.js";
import { createRequestManager } from "../../src/requests/request-manager.js";
import { buildApp } from "../../src/server/app.js";

/** A running app. */
export interface RunningApp {
  url: string;
  app: FastifyInstance;
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
  const config = ConfigSchema.parse({ engine: { kind: "fake" } });
  const engine = createFakeEngine({ script: (req) => scriptFor(req.fim.prefix), tokenDelayMs: 5 });
  const manager = createRequestManager({ engine, config });
  const app = await buildApp({ config, engine, manager });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    app,
    close: async () => {
      await app.close();
      await manager.close();
    },
  };
}
