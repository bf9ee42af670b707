import { GhostlineError, isGhostlineError, type ErrorCode } from "../../core/errors.js";
import type { Engine, EngineEvent, EngineInfo, EngineRequest } from "../../core/types.js";
import { createOpenAICompatEngine, type OpenAICompatOptions } from "../openai-compat/index.js";
import { HashRing } from "./hash-ring.js";

/** A replica: an Engine, or the URL of an OpenAI-compatible server (e.g. another Ghostline's /v1). */
export type RouterReplica = Engine | { url: string };

/** Options of the router. */
export interface RouterOptions {
  /** Bounded-load factor c: a replica takes at most ceil(c · (in-flight + 1) / healthy replicas) requests. Default 1.25. */
  loadFactor?: number;
  /** Health-check period in ms (0 = only on demand via `health()`). Default 5,000. */
  healthIntervalMs?: number;
  /** Virtual nodes per replica on the hash ring. Default 64. */
  vnodes?: number;
  /** Options for replicas given as `{url}` (baseUrls is filled in). */
  remote?: Omit<OpenAICompatOptions, "baseUrls">;
}

/** Per-replica view for operators and tests. */
export interface ReplicaStatus {
  id: string;
  healthy: boolean;
  draining: boolean;
  inFlight: number;
}

/** The router engine: an Engine plus replica management. */
export interface RouterEngine extends Engine {
  /** Stops routing new requests to replica `index`; resolves when its in-flight requests finished. */
  drain(index: number): Promise<void>;
  /** Puts a drained replica back in rotation. */
  undrain(index: number): void;
  replicas(): ReplicaStatus[];
}

/** Codes after which a request that has streamed nothing yet moves to the next replica. */
const FAILOVER: ReadonlySet<ErrorCode> = new Set(["upstream_unavailable", "upstream_timeout", "upstream_error", "engine_error", "overloaded", "draining", "model_load_failed"]);

interface Slot {
  engine: Engine;
  id: string;
  healthy: boolean;
  draining: boolean;
  inFlight: number;
  idle: (() => void)[];
}

/**
 * Creates an engine that spreads requests over replicas with bounded-load consistent hashing on
 * tenant + affinity key: a document keeps hitting the same replica (its KV/prefix cache), unless
 * that replica is over its load bound, unhealthy or draining, in which case the next replica on
 * the ring takes it. A request that fails before its first delta fails over to the next replica
 * (the failed one is marked unhealthy until a health check passes); after a delta, errors pass
 * through. Unhealthy replicas are still tried last, so a wrong health verdict cannot black-hole
 * traffic. Concurrency: `complete` may be called concurrently; bookkeeping is synchronous.
 */
export function createRouterEngine(replicas: readonly RouterReplica[], opts: RouterOptions = {}): RouterEngine {
  if (replicas.length === 0) throw new GhostlineError("config_invalid", "The router needs at least one replica");
  const loadFactor = opts.loadFactor ?? 1.25;
  if (!(loadFactor >= 1)) throw new GhostlineError("config_invalid", "loadFactor must be ≥ 1");
  const slots: Slot[] = replicas.map((r, i) => {
    const engine = "complete" in r ? r : createOpenAICompatEngine({ family: "auto", timeoutMs: 10_000, ...opts.remote, baseUrls: [r.url] });
    return { engine, id: `${i}:${engine.info.id}`, healthy: true, draining: false, inFlight: 0, idle: [] };
  });
  const ring = new HashRing(slots.map((s) => s.id), opts.vnodes ?? 64);
  const first = slots[0]!.engine.info;
  const info: EngineInfo = {
    id: `router:${slots.length}`,
    kind: "router",
    model: first.model,
    modelVersion: first.modelVersion,
    family: first.family,
    contextSize: first.contextSize,
    ...(first.draftModel ? { draftModel: first.draftModel } : {}),
    sequences: slots.reduce((n, s) => n + s.engine.info.sequences, 0),
  };

  async function checkAll(): Promise<ReplicaStatus[]> {
    await Promise.all(
      slots.map(async (s) => {
        try {
          await s.engine.health();
          s.healthy = true;
        } catch {
          s.healthy = false;
        }
      }),
    );
    return status();
  }
  const status = (): ReplicaStatus[] => slots.map((s) => ({ id: s.id, healthy: s.healthy, draining: s.draining, inFlight: s.inFlight }));

  const interval = opts.healthIntervalMs ?? 5_000;
  const timer = interval > 0 ? setInterval(() => void checkAll(), interval) : undefined;
  timer?.unref();

  /** Replica order for a request: eligible ones in ring order (bounded load), then the overloaded, then the unhealthy. */
  function order(request: EngineRequest): number[] {
    const walk = ring.walk(`${request.tenant}\u0000${request.affinityKey}`);
    const live = walk.filter((i) => !slots[i]!.draining);
    const healthy = live.filter((i) => slots[i]!.healthy);
    const total = slots.reduce((n, s) => n + s.inFlight, 0);
    const bound = Math.ceil((loadFactor * (total + 1)) / Math.max(1, healthy.length));
    const within = healthy.filter((i) => slots[i]!.inFlight < bound);
    const over = healthy.filter((i) => slots[i]!.inFlight >= bound);
    return [...within, ...over, ...live.filter((i) => !slots[i]!.healthy)];
  }

  function release(s: Slot): void {
    s.inFlight--;
    if (s.inFlight === 0) s.idle.splice(0).forEach((f) => f());
  }

  async function* complete(request: EngineRequest, options: { signal?: AbortSignal }): AsyncGenerator<EngineEvent> {
    let lastError: GhostlineError | undefined;
    for (const i of order(request)) {
      const s = slots[i]!;
      s.inFlight++;
      let streamed = false;
      try {
        for await (const e of s.engine.complete(request, options)) {
          if (e.type === "delta") streamed = true;
          yield e;
        }
        return;
      } catch (e) {
        if (streamed || options.signal?.aborted || !isGhostlineError(e) || !FAILOVER.has(e.code)) throw e;
        s.healthy = false;
        lastError = e;
      } finally {
        release(s);
      }
    }
    throw lastError ?? new GhostlineError("upstream_unavailable", "Every replica is draining");
  }

  return {
    info,
    complete,
    async health() {
      const replicasStatus = await checkAll();
      if (!replicasStatus.some((r) => r.healthy && !r.draining)) {
        throw new GhostlineError("upstream_unavailable", "No healthy replica", { details: { replicas: replicasStatus } });
      }
      return { ok: true, details: { replicas: replicasStatus } };
    },
    async close() {
      if (timer) clearInterval(timer);
      await Promise.all(slots.map((s) => s.engine.close()));
    },
    drain(index) {
      const s = slots[index];
      if (!s) throw new GhostlineError("not_found", `No replica ${index}`);
      s.draining = true;
      return s.inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => s.idle.push(r));
    },
    undrain(index) {
      const s = slots[index];
      if (!s) throw new GhostlineError("not_found", `No replica ${index}`);
      s.draining = false;
    },
    replicas: status,
  };
}
