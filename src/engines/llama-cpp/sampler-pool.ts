/**
 * Reuses node-llama-cpp's native samplers across decode passes.
 *
 * node-llama-cpp 3.21.1 builds a native `AddonSampler` for every `controlledEvaluate` call, that is
 * for every decode pass, and disposes it after the pass. The constructor allocates a candidates
 * array the size of the vocabulary, and the native memory is only freed when the garbage collector
 * gets to the JavaScript wrapper, so each pass touches fresh pages: 0.12 ms at a 4,096-token
 * vocabulary and 4.5 ms at 151,936 (Qwen2.5-Coder's) on the 2-core VM — on the main thread, before
 * the pass can be queued (bench/sampler-pool.ts; docs/speculative-decoding.md).
 *
 * `installSamplerPool` replaces the `AddonSampler` constructor in the loaded bindings with one that
 * hands out a released sampler of the same model when there is one. A handed-out sampler's
 * `dispose` (which node-llama-cpp calls exactly once, after the pass's last sampling step, under
 * the sampler's lock) returns it to the pool instead of freeing it. Reuse is safe because every
 * sampling step first applies its full configuration (`applyConfig`: temperature, top-k, top-p,
 * min-p, seed; absent options reset) and the candidates array is refilled from the logits at every
 * step — but for the seed: a step whose seed equals the sampler's current one keeps its random
 * state, already advanced by the draws made since. So a released sampler that was given a seed is
 * re-seeded with RESET_SEED and no draw is made after that: a later seed equal to it then finds
 * the state a fresh sampler would have. (The decoder derives a token's seed from its output
 * position, and a verify pass that ends at position p is often followed by a pass that starts
 * there: without the reset, that position would be drawn from a different random state than in
 * plain decoding.) Pooled samplers hold a reference to their model: `drainSamplerPool` frees them
 * before the model is disposed. When the bindings do not look as expected (another node-llama-cpp version),
 * nothing is replaced and every pass builds its own sampler, as before.
 */
import type { Llama, LlamaModel } from "node-llama-cpp";

interface NativeSampler {
  dispose(): void;
  applyConfig?: (this: NativeSampler, config: { seed?: number }) => unknown;
}

/** The seed a released sampler is reset to (any value: nothing is drawn with it before the next configuration). */
const RESET_SEED = 0x5eed;
type NativeSamplerClass = (new (model: object) => NativeSampler) & { prototype: NativeSampler; ghostlinePool?: true };

/** Released samplers kept per native model, at most this many. */
const MAX_FREE = 32;
/** A sampler and its real dispose (each loaded copy of the bindings has its own class). */
interface Entry {
  sampler: NativeSampler;
  free: () => void;
  /** A configuration with a seed was applied since the sampler was last reset (greedy passes set none). */
  seeded: boolean;
}
const pools = new Map<object, Entry[]>();
/** Native models already drained: a sampler released after that is freed at once. */
const drained = new WeakSet<object>();
const stats = { created: 0, reused: 0 };

/** Installs the pool into `llama`'s bindings (idempotent); false when the bindings are not as expected. */
export function installSamplerPool(llama: Llama): boolean {
  const bindings = (llama as unknown as { _bindings?: { AddonSampler?: NativeSamplerClass } })._bindings;
  const Native = bindings?.AddonSampler;
  if (!bindings || typeof Native !== "function") return false;
  if (Native.ghostlinePool) return true;
  const dispose: unknown = Object.getOwnPropertyDescriptor(Native.prototype ?? {}, "dispose")?.value;
  if (typeof dispose !== "function") return false;
  const realDispose = dispose as (this: NativeSampler) => void;
  const Pooled = function (this: unknown, model: object): NativeSampler {
    const entry = pools.get(model)?.pop();
    if (entry) {
      stats.reused++;
      return entry.sampler;
    }
    const sampler = new Native(model);
    stats.created++;
    const own: Entry = { sampler, free: () => realDispose.call(sampler), seeded: false };
    Object.defineProperty(sampler, "dispose", { configurable: true, value: () => release(model, own) });
    const apply = sampler.applyConfig;
    if (typeof apply === "function")
      Object.defineProperty(sampler, "applyConfig", {
        configurable: true,
        value: (config: { seed?: number }) => {
          if (config?.seed !== undefined) own.seeded = true;
          return apply.call(sampler, config);
        },
      });
    return sampler; // an object returned from a constructor is what `new` yields
  } as unknown as NativeSamplerClass;
  Pooled.prototype = Native.prototype; // instanceof keeps working
  Object.setPrototypeOf(Pooled, Native); // static members (grammar helpers) stay reachable
  Pooled.ghostlinePool = true;
  bindings.AddonSampler = Pooled;
  return true;
}

function release(model: object, entry: Entry): void {
  if (drained.has(model)) return entry.free();
  let free = pools.get(model);
  if (!free) pools.set(model, (free = []));
  if (free.includes(entry)) return;
  if (free.length >= MAX_FREE) return entry.free();
  if (entry.seeded) {
    try {
      entry.sampler.applyConfig?.({ seed: RESET_SEED });
    } catch {
      return entry.free(); // not as expected: do not reuse it
    }
    entry.seeded = false; // (the reset itself went through the wrapper)
  }
  free.push(entry);
}

/** Frees the pooled samplers of `model` (call before disposing it). */
export function drainSamplerPool(model: LlamaModel): void {
  const native = (model as unknown as { _model?: object })._model;
  if (!native) return;
  drained.add(native);
  const free = pools.get(native) ?? [];
  pools.delete(native);
  for (const e of free) e.free();
}

/** Samplers built and samplers handed out again since the process started. */
export function samplerPoolStats(): { created: number; reused: number } {
  return { ...stats };
}
