/**
 * Tenancy: maps an API key to a tenant. Keys come from `Authorization: Bearer <key>` (or
 * `Authorization: Token <key>`), `x-api-key`, `api-key`/`api_key` headers or an `api_key` query
 * parameter. With no keys configured only loopback clients are served, as config.auth.anonymousTenant.
 * An optional `x-ghostline-tenant` header must match the key's tenant (else 403 forbidden).
 */
import type { FastifyRequest } from "fastify";
import type { Config } from "../config/schema.js";
import { GhostlineError } from "../core/errors.js";
import type { TelemetryLevel } from "../feedback/types.js";

/** Who is calling. Every cache / record key includes `tenant`. */
export interface AuthContext {
  tenant: string;
  /** Fixed user of the API key, if any. */
  user?: string;
  /** Telemetry ceiling of the API key, if any. */
  telemetry?: TelemetryLevel;
  /** May manage models (API key with admin: true, or a loopback client when no keys are configured). */
  admin?: boolean;
  /**
   * The caller's network address (Fastify's `request.ip`, `server.trustProxy` applied): tells
   * clients without a user apart (latest wins per client and document).
   */
  address?: string;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || a.startsWith("127.") || a === "localhost";
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The API key of a request, from any of the supported places. */
export function extractApiKey(req: FastifyRequest): string | undefined {
  const auth = header(req, "authorization");
  if (auth) {
    const m = /^\s*(?:Bearer|Token)\s+(.+?)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  const direct = header(req, "x-api-key") ?? header(req, "api-key") ?? header(req, "api_key");
  if (direct) return direct.trim();
  const q = (req.query as Record<string, unknown> | undefined)?.api_key;
  return typeof q === "string" && q.length > 0 ? q : undefined;
}

/** Authenticates a request against `config.auth`; throws unauthorized (401) or forbidden (403). */
export function authenticate(req: FastifyRequest, config: Config): AuthContext {
  const keys = config.auth.apiKeys;
  const requested = header(req, "x-ghostline-tenant");
  let ctx: AuthContext;
  if (Object.keys(keys).length === 0) {
    if (!isLoopback(req.socket?.remoteAddress ?? req.ip))
      throw new GhostlineError("forbidden", "No API keys are configured: only loopback clients are served");
    ctx = { tenant: config.auth.anonymousTenant, admin: true };
  } else {
    const key = extractApiKey(req);
    if (!key) throw new GhostlineError("unauthorized", "An API key is required (Authorization: Bearer <key>)");
    const entry = Object.prototype.hasOwnProperty.call(keys, key) ? keys[key] : undefined;
    if (!entry) throw new GhostlineError("unauthorized", "Unknown API key");
    ctx = { tenant: entry.tenant, ...(entry.user !== undefined ? { user: entry.user } : {}), ...(entry.telemetry ? { telemetry: entry.telemetry } : {}), ...(entry.admin ? { admin: true } : {}) };
  }
  if (requested !== undefined && requested !== ctx.tenant)
    throw new GhostlineError("forbidden", `This key may not act for tenant "${requested.slice(0, 100)}"`, { details: { tenant: requested.slice(0, 100) } });
  if (req.ip) ctx.address = req.ip;
  return ctx;
}

/** `authenticate` bound to a config (the form route modules receive). */
export function createAuthenticator(config: Config): (req: FastifyRequest) => AuthContext {
  return (req) => authenticate(req, config);
}
