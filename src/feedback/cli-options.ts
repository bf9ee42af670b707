/**
 * Argument parsing and service opening shared by the `dataset` and `experiment` CLI commands (src/cli/commands).
 * Config: loadConfig() (`--config FILE` or GHOSTLINE_CONFIG, plus the GHOSTLINE_* environment); the data dir
 * defaults to config.server.dataDir.
 */
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
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
  const config = loadConfig({ file: flags.get("config") });
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
