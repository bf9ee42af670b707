/**
 * `ghostline models`: the model registry from the command line.
 *   list                                   versions in the data dir's registry (+ shipped)
 *   register --version V --path P [--draft D] [--name N]
 *   activate V [--url http://127.0.0.1:8017] [--api-key K]   hot swap on a running server
 */
import { parseArgs } from "node:util";
import { isGhostlineError } from "../../core/errors.js";
import { ModelRegistry } from "../../registry/model-registry.js";
import { DEFAULT_DRAFT, DEFAULT_MODEL } from "../engine-factory.js";

export const name = "models";
export const summary = "List and register model versions; hot-swap a running server (activate)";

const USAGE = `usage: ghostline models list [--data-dir DIR]
       ghostline models register --version V --path FILE.gguf [--draft FILE.gguf] [--name NAME] [--data-dir DIR]
       ghostline models activate V [--url http://127.0.0.1:8017] [--api-key KEY]
`;

/** Runs the subcommand; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        version: { type: "string" }, path: { type: "string" }, draft: { type: "string" }, name: { type: "string" },
        "data-dir": { type: "string" }, url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const sub = positionals[0];
  if (v.help || !sub) {
    process.stdout.write(USAGE);
    return v.help ? 0 : 2;
  }
  const dataDir = v["data-dir"] ?? process.env.GHOSTLINE_DATA_DIR ?? ".data";
  try {
    if (sub === "list" || sub === "register") {
      const registry = new ModelRegistry({ dataDir, shipped: { path: DEFAULT_MODEL, draftPath: DEFAULT_DRAFT } });
      if (sub === "register") {
        if (!v.version || !v.path) {
          process.stderr.write(`register needs --version and --path\n${USAGE}`);
          return 2;
        }
        const e = registry.register({ version: v.version, path: v.path, ...(v.draft ? { draftPath: v.draft } : {}), ...(v.name ? { name: v.name } : {}) });
        process.stdout.write(`registered ${e.version} (${e.path}, ${(e.bytes / 1e6).toFixed(1)} MB)\n`);
        return 0;
      }
      for (const e of registry.list()) {
        process.stdout.write(`${e.version.padEnd(20)} ${e.source.padEnd(10)} ${(e.bytes / 1e6).toFixed(1).padStart(7)} MB  ${e.path}\n`);
      }
      return 0;
    }
    if (sub === "activate") {
      const version = positionals[1];
      if (!version) {
        process.stderr.write(`activate needs a version\n${USAGE}`);
        return 2;
      }
      const url = (v.url ?? process.env.GHOSTLINE_URL ?? "http://127.0.0.1:8017").replace(/\/$/, "");
      const res = await fetch(`${url}/v1/admin/models/${encodeURIComponent(version)}/activate`, {
        method: "POST",
        headers: v["api-key"] ? { authorization: `Bearer ${v["api-key"]}` } : {},
      });
      const body = (await res.json()) as { active?: string; error?: { code: string; message: string } };
      if (!res.ok) {
        process.stderr.write(`ghostline: ${body.error?.code ?? res.status}: ${body.error?.message ?? "failed"}\n`);
        return 1;
      }
      process.stdout.write(`active model: ${body.active}\n`);
      return 0;
    }
    process.stderr.write(`unknown subcommand ${sub}\n${USAGE}`);
    return 2;
  } catch (e) {
    process.stderr.write(`ghostline: ${isGhostlineError(e) ? `${e.code}: ${e.message}` : String(e)}\n`);
    return 1;
  }
}
