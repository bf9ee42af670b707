/**
 * Argument parsing and service opening shared by the `dataset` and `experiment` CLI commands (src/cli/commands).
 * Config: `--config FILE` or GHOSTLINE_CONFIG (JSON, parsed by the one ConfigSchema); the data dir
 * defaults to config.server.dataDir.
 */
import { readFileSync } from "node:fs";
import { ConfigSchema, type Config } from "../config/schema.js";
import { GhostlineError } from "../core/errors.js";
import { createFeedbackService, type FeedbackServiceImpl } from "./service.js";

/** Parsed `--name value` flags (and bare `--flag` → "true") plus positionals. */
export function parseFlags(argv: string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags.set(a.slice(2), argv[++i]!);
    else flags.set(a.slice(2), "true");
  }
  return { flags, positional };
}

/** Loads the config file (if any) and opens the feedback service on the chosen store (no purge timer). */
export async function openFromFlags(
  flags: Map<string, string>,
): Promise<{ config: Config; service: FeedbackServiceImpl }> {
  const file = flags.get("config") ?? process.env.GHOSTLINE_CONFIG;
  let raw: unknown = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new GhostlineError("config_invalid", `cannot read config ${file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new GhostlineError(
      "config_invalid",
      parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  const config = parsed.data;
  const store = flags.get("store");
  if (store !== undefined && store !== "sqlite" && store !== "postgres")
    throw new GhostlineError("invalid_request", "--store must be sqlite or postgres");
  const service = await createFeedbackService({
    config,
    dataDir: flags.get("data-dir") ?? config.server.dataDir,
    store,
    postgresUrl: flags.get("postgres-url"),
    purgeIntervalMs: 0,
  });
  return { config, service };
}
