import { GhostlineError } from "../../core/errors.js";
import { CircuitBreaker } from "./circuit-breaker.js";

/** Abort reasons the engine uses to tell its own aborts apart. */
export const TIMEOUT = Symbol("upstream-timeout");
export const DEADLINE = Symbol("deadline");
export const CLOSED = Symbol("engine-closed");

/** One upstream server (a base URL ending in /v1) and its breaker. */
export interface Upstream {
  base: string;
  breaker: CircuitBreaker;
}

/** Normalises a base URL (no trailing slash); throws config_invalid when it is not http(s). */
export function normaliseBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new GhostlineError("config_invalid", `Invalid upstream URL: ${url}`, { cause: e });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new GhostlineError("config_invalid", `Upstream URL must be http(s): ${url}`);
  return url.replace(/\/+$/, "");
}

const CONNECT_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE",
  "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_CLOSED",
]);

/** True when `e` (a fetch rejection) is a connection-level failure: safe to retry elsewhere. */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof TypeError)) return false;
  const cause = (e as { cause?: { code?: string } }).cause;
  return cause?.code === undefined || CONNECT_CODES.has(cause.code);
}

/** Translates a failure of one upstream call into a GhostlineError (`reason` = the abort reason, if any). */
export function upstreamError(e: unknown, base: string, reason: unknown): GhostlineError {
  if (e instanceof GhostlineError) return e;
  if (reason === TIMEOUT) return new GhostlineError("upstream_timeout", `Upstream ${base} did not answer in time`, { cause: e, details: { upstream: base } });
  if (isConnectionError(e)) return new GhostlineError("upstream_unavailable", `Upstream ${base} is unreachable`, { cause: e, details: { upstream: base } });
  const msg = e instanceof Error ? e.message : String(e);
  return new GhostlineError("upstream_error", `Upstream ${base} failed: ${msg}`, { cause: e, details: { upstream: base } });
}

/**
 * Arms an abort on `controller` after `ms` (re-armable: each `arm` restarts the clock).
 * `disarm` in `finally`.
 */
export function watchdog(controller: AbortController, reason: unknown): { arm(ms: number): void; disarm(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    arm(ms) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => controller.abort(reason), ms);
    },
    disarm() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** FNV-1a hash of a string (stable upstream order per affinity key). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Probes one upstream: GET {base}/models, then {origin}/health. Resolves true when either answers 2xx. */
export async function probeUpstream(base: string, fetchImpl: typeof fetch, timeoutMs: number, headers: Record<string, string>): Promise<boolean> {
  const urls = [`${base}/models`, `${new URL(base).origin}/health`];
  for (const url of urls) {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(TIMEOUT), timeoutMs);
    try {
      const res = await fetchImpl(url, { headers, signal: ctl.signal });
      await res.body?.cancel().catch(() => {});
      if (res.ok) return true;
    } catch {
      // try the next probe
    } finally {
      clearTimeout(t);
    }
  }
  return false;
}
