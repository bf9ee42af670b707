/**
 * loadConfig(): parses ConfigSchema once from (lowest to highest precedence) an optional JSON file,
 * environment variables and CLI overrides, and returns a deep-frozen Config.
 * Env: PORT, HOST, GHOSTLINE_CONFIG (file), GHOSTLINE_DATA_DIR, GHOSTLINE_ENGINE, GHOSTLINE_MODEL,
 * GHOSTLINE_DRAFT, GHOSTLINE_THREADS, GHOSTLINE_TELEMETRY, GHOSTLINE_API_KEYS ("key:tenant,key2:tenant2"),
 * GHOSTLINE_UPSTREAMS (comma-separated base URLs), GHOSTLINE_LOG_LEVEL.
 */
import { readFileSync } from "node:fs";
import { ConfigSchema, type Config } from "./schema.js";
import { GhostlineError } from "../core/errors.js";

/** Recursively optional version of T (arrays are replaced, not merged). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Options of loadConfig. `file` defaults to env.GHOSTLINE_CONFIG; `env` defaults to process.env. */
export interface LoadConfigOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: DeepPartial<Config>;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isObj(v) && isObj(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as Obj)) deepFreeze(child);
  }
  return v;
}

/** A number when `s` is numeric, else `s` itself (so the schema reports the bad value). */
function num(s: string): number | string {
  const t = s.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : s;
}

function list(s: string): string[] {
  return s.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
}

/** Parses GHOSTLINE_API_KEYS: "key:tenant,key2:tenant2" (a key without ":tenant" maps to tenant "default"). */
export function parseApiKeys(s: string): Record<string, { tenant: string }> {
  const out: Record<string, { tenant: string }> = {};
  for (const item of list(s)) {
    const i = item.lastIndexOf(":");
    const key = i > 0 ? item.slice(0, i) : item;
    const tenant = i > 0 ? item.slice(i + 1) : "default";
    out[key] = { tenant };
  }
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Obj {
  const server: Obj = {};
  const engine: Obj = {};
  const out: Obj = {};
  if (env.PORT) server.port = num(env.PORT);
  if (env.HOST) server.host = env.HOST;
  if (env.GHOSTLINE_DATA_DIR) server.dataDir = env.GHOSTLINE_DATA_DIR;
  if (env.GHOSTLINE_LOG_LEVEL) server.logLevel = env.GHOSTLINE_LOG_LEVEL;
  if (env.GHOSTLINE_ENGINE) engine.kind = env.GHOSTLINE_ENGINE;
  if (env.GHOSTLINE_MODEL) engine.model = env.GHOSTLINE_MODEL;
  if (env.GHOSTLINE_DRAFT) engine.draft = env.GHOSTLINE_DRAFT;
  if (env.GHOSTLINE_THREADS) engine.threads = num(env.GHOSTLINE_THREADS);
  if (env.GHOSTLINE_UPSTREAMS) engine.upstreams = list(env.GHOSTLINE_UPSTREAMS);
  if (Object.keys(server).length) out.server = server;
  if (Object.keys(engine).length) out.engine = engine;
  if (env.GHOSTLINE_TELEMETRY) out.telemetry = { level: env.GHOSTLINE_TELEMETRY };
  if (env.GHOSTLINE_API_KEYS) out.auth = { apiKeys: parseApiKeys(env.GHOSTLINE_API_KEYS) };
  return out;
}

function readFile(file: string): Obj {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new GhostlineError("config_invalid", `Cannot read config file ${file}: ${(e as Error).message}`, { cause: e, details: { file } });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new GhostlineError("config_invalid", `Config file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e, details: { file } });
  }
  if (!isObj(parsed)) throw new GhostlineError("config_invalid", `Config file ${file} must contain a JSON object`, { details: { file } });
  return parsed;
}

/** Loads, validates and freezes the configuration. Throws GhostlineError("config_invalid") listing every issue. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.GHOSTLINE_CONFIG;
  let raw: Obj = file ? readFile(file) : {};
  raw = merge(raw, fromEnv(env));
  if (opts.overrides) raw = merge(raw, opts.overrides);
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const text = issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ");
    throw new GhostlineError("config_invalid", `Invalid configuration: ${text}`, { details: { issues } });
  }
  return deepFreeze(result.data);
}
