/**
 * `ghostline serve`: loads the engine (progress bar on stderr), starts the HTTP/WS server, prints
 * its URL, and drains on SIGINT/SIGTERM (a second signal exits at once).
 */
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { loadConfig, type DeepPartial } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { isGhostlineError } from "../../core/errors.js";
import type { FeedbackService } from "../../feedback/types.js";
import { createRequestManager } from "../../requests/request-manager.js";
import { buildApp } from "../../server/app.js";
import { startLoadingServer } from "../../server/loading-server.js";
import { createEngine, resolveModelPaths } from "../engine-factory.js";
import { ModelRegistry } from "../../registry/model-registry.js";
import { ModelPoolEngine } from "../../registry/model-pool-engine.js";
import { createProgressBar } from "../progress.js";

export const name = "serve";
export const summary = "Run the completion server (OpenAI, llama-server /infill, Tabby, WebSocket)";

const USAGE = `usage: ghostline serve [options]
  --model PATH        target GGUF (env GHOSTLINE_MODEL; default models/ghostline-target.gguf)
  --draft PATH        draft GGUF for speculative decoding (env GHOSTLINE_DRAFT)
  --host HOST         listen address (env HOST; default 127.0.0.1)
  --port N            port (env PORT; default 8017; 0 = any free port)
  --threads N         CPU threads of the target context (env GHOSTLINE_THREADS)
  --data-dir DIR      events, registry, datasets (env GHOSTLINE_DATA_DIR; default .data)
  --config FILE       JSON config file (env GHOSTLINE_CONFIG)
  --upstream URL,...  OpenAI-compatible upstream base URLs (env GHOSTLINE_UPSTREAMS; implies --engine openai-compat)
  --engine KIND       llama-cpp | openai-compat | fake (env GHOSTLINE_ENGINE)
  --no-feedback       do not open the feedback store
  Env GHOSTLINE_API_KEYS="key:tenant,..." requires API keys; without keys only loopback clients are served.
`;

/** Parses serve/complete engine flags into config overrides. */
export function engineOverrides(v: Record<string, string | boolean | undefined>): DeepPartial<Config> {
  const num = (s: unknown) => (typeof s === "string" && s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : s);
  const upstreams = typeof v.upstream === "string" ? v.upstream.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const engine: Record<string, unknown> = {};
  if (v.model) engine.model = v.model;
  if (v.draft) engine.draft = v.draft;
  if (v.threads) engine.threads = num(v.threads);
  if (upstreams) engine.upstreams = upstreams;
  if (v.engine) engine.kind = v.engine;
  else if (upstreams) engine.kind = "openai-compat";
  const server: Record<string, unknown> = {};
  if (v.host) server.host = v.host;
  if (v.port !== undefined) server.port = num(v.port);
  if (v["data-dir"]) server.dataDir = v["data-dir"];
  return { ...(Object.keys(engine).length ? { engine } : {}), ...(Object.keys(server).length ? { server } : {}) };
}

function fail(e: unknown): number {
  process.stderr.write(`ghostline: ${isGhostlineError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/** Runs the server until SIGINT/SIGTERM; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: "string" }, draft: { type: "string" }, host: { type: "string" }, port: { type: "string" },
        threads: { type: "string" }, "data-dir": { type: "string" }, config: { type: "string" }, upstream: { type: "string" },
        engine: { type: "string" }, "no-feedback": { type: "boolean" }, help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig({ ...(values.config ? { file: values.config } : {}), overrides: engineOverrides(values) });
  } catch (e) {
    return fail(e);
  }
  const registry = new Registry();
  // hold the port while the model loads: /health answers 503 "loading model" meanwhile
  let loading: Awaited<ReturnType<typeof startLoadingServer>> | undefined;
  try {
    loading = await startLoadingServer(config.server.host, config.server.port);
  } catch (e) {
    return fail(e);
  }
  const listenPort = loading.port;
  const bar = createProgressBar();
  let engine;
  try {
    engine = await createEngine(config, { onProgress: (f, label) => bar.update(f, label), log: (level, msg) => level !== "info" && process.stderr.write(`[engine] ${msg}\n`) });
  } catch (e) {
    bar.done();
    await loading.server.close();
    return fail(e);
  } finally {
    bar.done();
  }
  let models: { registry: ModelRegistry; pool: ModelPoolEngine } | undefined;
  if (config.engine.kind === "llama-cpp") {
    // versioned models with hot swap: the engine just loaded serves the shipped/active version
    const first = engine;
    const paths = resolveModelPaths(config);
    const modelRegistry = new ModelRegistry({ dataDir: config.server.dataDir, shipped: { path: paths.model, ...(paths.draft ? { draftPath: paths.draft } : {}) } });
    const active = modelRegistry.list()[0]!.version;
    let handedOut = false;
    const pool = await ModelPoolEngine.create({
      registry: modelRegistry,
      activeVersion: active,
      factory: async (entry) => {
        if (!handedOut && entry.version === active) {
          handedOut = true;
          return first;
        }
        const cfg = loadConfig({ ...(values.config ? { file: values.config } : {}), overrides: { ...engineOverrides(values), engine: { ...engineOverrides(values).engine, model: entry.path, ...(entry.draftPath ? { draft: entry.draftPath } : {}) } } });
        return createEngine(cfg);
      },
    });
    models = { registry: modelRegistry, pool };
    engine = pool;
  }
  let feedback: (FeedbackService & { close(): Promise<void> }) | undefined;
  if (!values["no-feedback"]) {
    try {
      const { createFeedbackService } = await import("../../feedback/service.js");
      feedback = await createFeedbackService({ config, dataDir: config.server.dataDir, registry });
    } catch (e) {
      process.stderr.write(`ghostline: feedback store disabled (${e instanceof Error ? e.message : String(e)})\n`);
    }
  }
  const manager = createRequestManager({ engine, config, metrics: registry, ...(feedback ? { feedback } : {}) });
  const app = await buildApp({ config, engine, manager, registry, ...(feedback ? { feedback } : {}), ...(models ? { models } : {}), logger: { level: config.server.logLevel } });
  try {
    await loading.server.close();
    await app.listen({ host: config.server.host, port: listenPort });
  } catch (e) {
    await manager.close();
    await engine.close();
    return fail(e);
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : listenPort;
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  process.stdout.write(`Ghostline listening on http://${host}:${port} (engine ${engine.info.kind}: ${engine.info.model})\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write(`ghostline: ${signal} again, exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`ghostline: ${signal}: draining (in-flight requests finish; ${signal} again to exit now)\n`);
      const force = setTimeout(() => app.server.closeAllConnections?.(), 10_000);
      force.unref();
      void (async () => {
        try {
          await app.close();
          await manager.close();
          await feedback?.close();
          await engine.close();
        } catch (e) {
          process.stderr.write(`ghostline: error while draining: ${String(e)}\n`);
        }
        clearTimeout(force);
        resolve(0);
      })();
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}
