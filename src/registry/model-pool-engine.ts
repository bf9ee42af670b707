/**
 * An Engine over several loaded model versions: requests go to `request.model` when given (e.g. an
 * experiment arm) and to the active version otherwise. Versions load on demand, unload after
 * draining, and the active version can be hot-swapped without failing in-flight requests:
 * new requests go to the new version at once while the old one finishes what it started, then
 * closes.
 *
 * Why stateful: it owns the lifetime of native model memory; in-flight counts decide when a
 * version may be closed. Memory per loaded version is accounted (file size + KV estimate).
 */
import { GhostlineError } from "../core/errors.js";
import type { Engine, EngineEvent, EngineInfo, EngineRequest } from "../core/types.js";
import type { ModelEntry, ModelRegistry } from "./model-registry.js";

interface Loaded {
  entry: ModelEntry;
  engine: Engine;
  inFlight: number;
  drained: Array<() => void>;
  loadedAt: number;
  /** Retire once drained (swapped out or unloaded). */
  retiring: boolean;
}

/** Options of the pool. `factory` loads one version (e.g. createLlamaCppEngine with the entry's paths). */
export interface ModelPoolOptions {
  registry: ModelRegistry;
  factory: (entry: ModelEntry) => Promise<Engine>;
  activeVersion: string;
  /** Max total bytes of loaded models (files + KV estimate); least recently used idle versions unload first. Default: unlimited. */
  memoryBudgetBytes?: number;
  /** Bytes of KV cache per loaded version beyond its file (estimate from the engine info). */
  kvBytes?: (info: EngineInfo) => number;
}

/** Memory of one loaded version. */
export interface LoadedModelInfo {
  version: string;
  bytes: number;
  inFlight: number;
  active: boolean;
  retiring: boolean;
}

export class ModelPoolEngine implements Engine {
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  private active: string;
  private readonly opts: ModelPoolOptions;

  private constructor(opts: ModelPoolOptions) {
    this.opts = opts;
    this.active = opts.activeVersion;
  }

  /** Creates the pool and loads the active version. */
  static async create(opts: ModelPoolOptions): Promise<ModelPoolEngine> {
    const pool = new ModelPoolEngine(opts);
    await pool.load(opts.activeVersion);
    return pool;
  }

  get info(): EngineInfo {
    const l = this.loaded.get(this.active);
    if (!l) throw new GhostlineError("engine_error", "The active model is not loaded");
    return { ...l.engine.info, modelVersion: this.active };
  }

  /** The version new requests without `model` go to. */
  get activeVersion(): string {
    return this.active;
  }

  /** Loads `version` (no-op when loaded); concurrent calls share one load. */
  async load(version: string): Promise<void> {
    await this.ensure(version);
  }

  private async ensure(version: string): Promise<Loaded> {
    const have = this.loaded.get(version);
    if (have && !have.retiring) return have;
    const pending = this.loading.get(version);
    if (pending) return pending;
    const entry = this.opts.registry.get(version);
    const p = (async () => {
      try {
        const engine = await this.opts.factory(entry);
        const l: Loaded = { entry, engine, inFlight: 0, drained: [], loadedAt: Date.now(), retiring: false };
        this.loaded.set(version, l);
        await this.enforceBudget(version);
        return l;
      } finally {
        this.loading.delete(version);
      }
    })();
    this.loading.set(version, p);
    return p;
  }

  /**
   * Hot swap: loads `version`, makes it active (new requests go there immediately), then drains and
   * closes the previous active version unless `keepPrevious`.
   */
  async activate(version: string, opts: { keepPrevious?: boolean } = {}): Promise<void> {
    await this.ensure(version);
    const previous = this.active;
    this.active = version;
    if (previous !== version && !opts.keepPrevious) await this.unload(previous);
  }

  /** Drains `version` (waits for its in-flight requests) and frees it. The active version can't be unloaded. */
  async unload(version: string): Promise<void> {
    if (version === this.active) throw new GhostlineError("conflict", "Cannot unload the active model; activate another first");
    const l = this.loaded.get(version);
    if (!l) return;
    l.retiring = true;
    if (l.inFlight > 0) await new Promise<void>((resolve) => l.drained.push(resolve));
    if (this.loaded.get(version) === l) this.loaded.delete(version);
    await l.engine.close();
  }

  /** Loaded versions with their accounted memory. */
  memory(): LoadedModelInfo[] {
    return [...this.loaded.values()].map((l) => ({
      version: l.entry.version,
      bytes: this.bytesOf(l),
      inFlight: l.inFlight,
      active: l.entry.version === this.active,
      retiring: l.retiring,
    }));
  }

  private bytesOf(l: Loaded): number {
    return l.entry.bytes + (this.opts.kvBytes ? this.opts.kvBytes(l.engine.info) : 0);
  }

  private async enforceBudget(justLoaded: string): Promise<void> {
    const budget = this.opts.memoryBudgetBytes;
    if (!budget) return;
    const total = () => [...this.loaded.values()].reduce((s, l) => s + this.bytesOf(l), 0);
    const idle = [...this.loaded.values()]
      .filter((l) => l.entry.version !== this.active && l.entry.version !== justLoaded && l.inFlight === 0)
      .sort((a, b) => a.loadedAt - b.loadedAt);
    for (const l of idle) {
      if (total() <= budget) break;
      await this.unload(l.entry.version);
    }
  }

  async *complete(request: EngineRequest, options: { signal?: AbortSignal }): AsyncIterable<EngineEvent> {
    const version = request.model ?? this.active;
    const l = await this.ensure(version);
    l.inFlight++;
    try {
      for await (const ev of l.engine.complete({ ...request, model: version }, options)) yield ev;
    } finally {
      l.inFlight--;
      if (l.inFlight === 0) l.drained.splice(0).forEach((r) => r());
    }
  }

  async health(): Promise<{ ok: true; details?: Record<string, unknown> }> {
    const l = this.loaded.get(this.active);
    if (!l) throw new GhostlineError("engine_error", "The active model is not loaded");
    const h = await l.engine.health();
    return { ok: true, details: { ...h.details, active: this.active, loaded: this.memory() } };
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((l) => l.engine.close()));
  }
}
