/**
 * Privacy rules of the feedback loop: the effective telemetry level and user-id hashing.
 * The level is enforced server-side whatever a client sends: effective = min(server default,
 * tenant key ceiling, client's level). User ids are never stored: only HMAC-SHA256(salt, tenant:user).
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/schema.js";
import type { FeedbackContext, TelemetryLevel } from "./types.js";

const RANK: Record<TelemetryLevel, number> = { off: 0, metrics: 1, code: 2 };

/** The lowest of the given levels (undefined entries are ignored; none given = "off"). */
export function minLevel(...levels: (TelemetryLevel | undefined)[]): TelemetryLevel {
  let best: TelemetryLevel | undefined;
  for (const l of levels) if (l !== undefined && (best === undefined || RANK[l] < RANK[best])) best = l;
  return best ?? "off";
}

/** Parses a level string (e.g. GHOSTLINE_TELEMETRY); undefined when not a valid level. */
export function parseLevel(s: string | undefined): TelemetryLevel | undefined {
  return s === "off" || s === "metrics" || s === "code" ? s : undefined;
}

/** Server default: GHOSTLINE_TELEMETRY when set (and valid), else config.telemetry.level. */
export function serverLevel(config: Config, env: NodeJS.ProcessEnv = process.env): TelemetryLevel {
  return parseLevel(env.GHOSTLINE_TELEMETRY) ?? config.telemetry.level;
}

/** The strictest ceiling configured for `tenant` over all of its API keys (undefined = none). */
export function tenantCeiling(config: Config, tenant: string): TelemetryLevel | undefined {
  const levels = Object.values(config.auth.apiKeys)
    .filter((k) => k.tenant === tenant && k.telemetry !== undefined)
    .map((k) => k.telemetry);
  return levels.length ? minLevel(...levels) : undefined;
}

/** Effective level for one request: min(server, tenant ceiling, ctx.tenantTelemetry, client's). */
export function effectiveLevel(config: Config, ctx: FeedbackContext, server: TelemetryLevel): TelemetryLevel {
  return minLevel(
    server,
    tenantCeiling(config, ctx.tenant) ?? server,
    ctx.tenantTelemetry ?? server,
    ctx.telemetry ?? server,
  );
}

/** Loads config.telemetry.salt, or a random salt persisted as `${dataDir}/telemetry-salt` (mode 0600). */
export function loadSalt(config: Config, dataDir: string): string {
  if (config.telemetry.salt) return config.telemetry.salt;
  const file = join(dataDir, "telemetry-salt");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const salt = randomBytes(32).toString("hex");
  try {
    writeFileSync(file, salt + "\n", { mode: 0o600, flag: "wx" });
  } catch {
    return readFileSync(file, "utf8").trim(); // another process won the race
  }
  return salt;
}

/** Returns the user hasher: HMAC-SHA256(salt, tenant + "\0" + user) as hex; null for no user. */
export function userHasher(salt: string): (tenant: string, user: string | undefined) => string | null {
  return (tenant, user) =>
    user ? createHmac("sha256", salt).update(`${tenant}\0${user}`).digest("hex") : null;
}
