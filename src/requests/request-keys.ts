/**
 * Identity helpers of the request lifecycle: completion ids, document keys, parameter keys and the
 * typing-through test.
 */
import crypto, { createHash, randomFillSync } from "node:crypto";
import type { CompletionRequest } from "./types.js";
import type { Generation } from "./generation.js";

/**
 * SHA-1 of a string (base64url), for keys. One call into OpenSSL (`crypto.hash`, Node >= 20.12)
 * instead of a Hash object and an update per part: on a request's path, after the idle gap of a
 * keystroke, a cold createHash + 5 updates took ~0.1 ms here, the one-shot ~0.06 ms.
 */
export const sha1Key: (data: string) => string =
  typeof crypto.hash === "function" ? (data) => crypto.hash("sha1", data, "base64url") : (data) => createHash("sha1").update(data).digest("base64url");

/** Random bytes for ids, drawn from the CSPRNG 4 KiB at a time (one call per 341 ids, not one per id). */
const idPool = Buffer.alloc(4_092);
let idPoolAt = idPool.length;

/** A new completion id: "cmpl-" + 24 hex chars (96 random bits). */
export function completionId(): string {
  if (idPoolAt + 12 > idPool.length) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  idPoolAt += 12;
  return `cmpl-${idPool.toString("hex", idPoolAt - 12, idPoolAt)}`;
}

/** The latest-wins key: tenant + client + documentKey; undefined when the request names no document. */
export function docKeyOf(req: Pick<CompletionRequest, "tenant" | "client" | "documentKey">): string | undefined {
  return req.documentKey === undefined || req.documentKey === "" ? undefined : `${req.tenant}\u0000${req.client ?? ""}\u0000${req.documentKey}`;
}

/**
 * The engine affinity key: tenant + client + documentKey; without a document identity (plain HTTP
 * clients) tenant + client + a hash of the parts of the file that typing at the cursor leaves alone: the filepath, the
 * prefix's first 256 characters (when it is longer than 512, so they are far from the cursor) and
 * the suffix's last 256 (likewise). Different files keep different KV sequences instead of evicting
 * each other, and the key stays the same from keystroke to keystroke even near the top of a file.
 * Used for affinity only, never for latest-wins.
 */
export function affinityKeyOf(req: Pick<CompletionRequest, "tenant" | "client" | "documentKey" | "fim">): string {
  const who = `${req.tenant}\u0000${req.client ?? ""}`;
  if (req.documentKey) return `${who}\u0000${req.documentKey}`;
  const { prefix, suffix } = req.fim;
  const h = sha1Key(`${req.fim.filepath ?? ""}\u0000${prefix.length > 512 ? prefix.slice(0, 256) : ""}\u0000${suffix.length > 512 ? suffix.slice(-256) : ""}`);
  return `${who}\u0000#${h}`;
}

/**
 * A key of everything besides prefix/suffix that shapes the generated text: sampling, stop rules,
 * model, language, filepath and extra context. Speculation and client drafts are excluded: they
 * change speed, not output.
 */
export function paramsKeyOf(req: CompletionRequest): string {
  const extra = req.fim.extra?.length ? sha1Key(JSON.stringify(req.fim.extra.map((e) => [e.filepath, e.text]))) : "";
  const s = req.sampling;
  return JSON.stringify([s.temperature, s.topP, s.topK, s.seed ?? null, req.stop.maxTokens, req.stop.stop, req.stop.mode, req.model ?? "", req.fim.language ?? "", req.fim.filepath ?? "", extra]);
}

/** Only reproducible completions are cached: greedy, or sampled with a fixed seed. */
export function isCacheable(req: CompletionRequest): boolean {
  return req.sampling.temperature === 0 || req.sampling.seed !== undefined;
}

/**
 * If `prefix` = gen.prefix + typed where typed is the start of the generation's text (same suffix
 * and params), returns typed.length; undefined otherwise. A finished generation qualifies only when
 * it succeeded and text remains after the typed characters (or nothing was typed).
 */
export function typedThrough(gen: Generation, prefix: string, suffix: string, paramsKey: string): number | undefined {
  if (gen.paramsKey !== paramsKey || gen.suffix !== suffix || gen.aborted) return undefined;
  if (gen.finished && !gen.succeeded) return undefined;
  if (prefix.length < gen.prefix.length || !prefix.startsWith(gen.prefix)) return undefined;
  const typed = prefix.length - gen.prefix.length;
  if (typed > gen.text.length) return undefined;
  if (!gen.text.startsWith(prefix.slice(gen.prefix.length))) return undefined;
  if (gen.finished && typed > 0 && typed >= gen.text.length) return undefined;
  return typed;
}
