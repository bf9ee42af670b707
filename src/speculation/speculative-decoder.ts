/**
 * The draft → verify → accept → rollback loop. Plain decoding is the K = 0 case of the same loop.
 *
 * Each step evaluates [pending, d_1..d_K] on the target in one pass (pending = the last committed
 * token, not yet in the KV state). Greedy: accept the longest prefix of drafts equal to the
 * target's argmax, then emit the target's token after it — so the output is token-for-token that of
 * plain greedy decoding. Sampling: the output distribution equals the target's. Drafts that are
 * point masses (no draft, n-gram, client, prompt lookup) are verified by letting llama.cpp draw a
 * token y_i from the target's distribution at every position (each with its own seed from `rng`)
 * and accepting while y_i = x_i, then emitting the first y_i that differs (or the bonus y_K):
 * P(emit x) = p(x) and P(emit y ≠ x) = p(y), which is the rejection rule for q = δ(x) (accept with
 * probability p(x), else draw from p without x) without asking for probability maps, which cost a
 * map entry per vocabulary token per position. Stochastic drafts (the draft model while sampling)
 * go through the full acceptor (rejection.ts) with the target's maps — except in a request with a
 * seed (`seeded`), where they are verified as point masses too. The seed of each drawn position is
 * derived from the request's seed and the position's index in the output (positionSeed), not taken
 * from `rng` pass by pass, so with a seed the output is plain sampling's with that seed, whatever
 * drafts were tried, of whatever length (the adaptive controller's choices depend on measured
 * times): reproducible from run to run, like greedy output. Rejected drafts are erased from
 * the target's KV state, which afterwards holds exactly what plain decoding would hold: prompt +
 * committed tokens − pending.
 */
import type { DraftSourceName, DraftStatName, SamplingParams, SpeculativeStats } from "../core/types.js";
import { AdaptiveK, type CostModel } from "./adaptive-k.js";
import type { DraftProposal, DraftSource } from "./draft-source.js";
import { acceptDrafts } from "./rejection.js";
import { isGreedy, positionSeed, type Rng, type TokenDist } from "./sampling.js";
import type { TargetEvaluator } from "./target-evaluator.js";

/** Options of one decoding run. */
export interface DecodeOptions {
  target: TargetEvaluator;
  /**
   * Prompt tokens; all but the last must already be in the target's KV state, except the `lead`
   * tokens just before the last.
   */
  prompt: readonly number[];
  /**
   * Prompt tokens right before the last one that are not in the KV state yet: the first pass
   * evaluates them together with the last one (one native call for a keystroke's few new tokens
   * instead of a prefill call plus a decode call).
   */
  lead?: readonly number[];
  /**
   * Tokens the first pass verifies after the pending one (token healing: the prompt's dropped last
   * token, which the first generated token re-creates exactly about a third of the time on the
   * shipped model; without the draft that first token brings no new text and the first visible
   * text waits for a second pass). Verified like any point-mass draft, so the output is unchanged.
   */
  firstDraft?: readonly number[];
  sampling: SamplingParams;
  rng: Rng;
  /** Draft sources in preference order (empty = plain decoding). */
  sources: DraftSource[];
  maxK: number;
  /** Fixed K (no adaptation). */
  k?: number;
  /** Max tokens the KV sequence may hold (drafts are shortened to fit). */
  contextSize: number;
  signal?: AbortSignal;
  /** Pass-cost model shared across requests (engine-wide). */
  costs?: CostModel;
  /**
   * The request has a seed: stochastic drafts are verified as point masses (the target's drawn
   * token), so that the output does not depend on the drafts (see the header). Their acceptance is
   * then p(x) instead of min(1, p(x)/q(x)).
   */
  seeded?: boolean;
}

/** New stats object with zero counts. */
export function emptySpeculativeStats(): SpeculativeStats {
  return {
    targetPasses: 0,
    proposed: {},
    accepted: {},
    proposedByPosition: [],
    acceptedByPosition: [],
    tokensPerPass: 0,
  };
}

/**
 * Decodes until the consumer stops iterating, the signal aborts or the context is full. Yields the
 * tokens committed by each step (1..K+1). `stats` is updated in place. The caller owns trimming the
 * KV state at the end: when it stops iterating, the last step's rejected drafts may still be in it
 * (they are erased before the next pass), so it keeps prompt + committed tokens − the pending one
 * (completion-run.ts).
 */
export async function* speculativeDecode(
  options: DecodeOptions,
  stats: SpeculativeStats,
): AsyncGenerator<number[], "context_full" | "cancelled", void> {
  const { target, sampling, rng, sources, contextSize, signal } = options;
  const greedy = isGreedy(sampling);
  const history: number[] = [...options.prompt];
  const controller = new AdaptiveK({
    maxK: options.maxK,
    ...(options.k !== undefined ? { fixedK: options.k } : {}),
    ...(options.costs ? { costs: options.costs } : {}),
  });
  const byName = new Map(sources.map((s) => [s.name, s]));
  // Sampling: a seed per output position whose token llama.cpp draws (see the header).
  const baseSeed = greedy ? 0 : Math.floor(rng() * 0x1_0000_0000);
  const seedsFor = (n: number): number[] | undefined =>
    greedy ? undefined : Array.from({ length: n }, (_, i) => positionSeed(baseSeed, generated + i));
  let generated = 0;
  const passesBefore = stats.targetPasses;
  const count = (rec: Partial<Record<DraftStatName, number>>, name: DraftStatName, n: number): void => {
    rec[name] = (rec[name] ?? 0) + n;
  };
  // Rejected drafts are erased after their pass's tokens are handed out (the consumer gets them one
  // native call sooner); the next pass, or the caller's final trim, comes after the erase.
  let truncateTo: number | undefined;

  while (true) {
    if (truncateTo !== undefined) {
      await target.truncate(truncateTo);
      truncateTo = undefined;
    }
    if (signal?.aborted) return "cancelled";
    const first = stats.targetPasses === passesBefore;
    const lead = first ? (options.lead ?? []) : [];
    const room = contextSize - target.length - lead.length - 1; // positions left after the pending token
    if (room < 0) return "context_full";

    // The first pass takes no source's drafts: it yields the first token after one target position
    // (plus `firstDraft`), which is the latency the user sees (a verify pass costs nearly linearly in
    // positions on small models, and the draft model would first have to prefill the prompt).
    // Speculation starts at pass 2. It is submitted before the cheap sources propose (for shadow
    // scoring only, on this pass), so their JS work overlaps the native pass instead of delaying the
    // first token.
    const base = target.length + lead.length; // the pending token's position (cheap sources leave the target alone)
    const healDraft = first ? (options.firstDraft ?? []).slice(0, Math.max(0, room)) : [];
    const submittedAt = performance.now();
    let firstDoneAt = 0;
    const firstPass = first ? target.evaluate([history[history.length - 1]!, ...healDraft], lead, seedsFor(1 + healDraft.length)) : undefined;
    firstPass?.then(() => (firstDoneAt = performance.now())).catch(() => {}); // awaited below; no unhandled rejection while the sources propose

    // cheap sources: propose every step (also to shadow-score the ones not chosen)
    const cheap = new Map<DraftSourceName, DraftProposal>();
    const available: Partial<Record<DraftSourceName, number>> = {};
    const lag: Partial<Record<DraftSourceName, number>> = {};
    for (const s of sources) {
      if (s.cheap) {
        const p = await s.propose(history, Math.min(options.maxK, Math.max(0, room)), { signal });
        cheap.set(s.name, p);
        available[s.name] = p.tokens.length;
      } else {
        available[s.name] = room;
        if (!first && s.lag) lag[s.name] = s.lag(history);
      }
    }
    const choice = room > 0 && !first ? controller.choose(available, lag) : { k: 0 };

    let drafts: number[] = [...healDraft];
    let draftDists: (TokenDist | undefined)[] = [];
    let draftMs = 0;
    let synced = 0;
    if (choice.source && choice.k > 0) {
      const source = byName.get(choice.source)!;
      let proposal = cheap.get(choice.source);
      if (!proposal) {
        const t0 = performance.now();
        proposal = await source.propose(history, choice.k, { signal });
        draftMs = performance.now() - t0;
        synced = proposal.synced ?? 0;
      }
      drafts = proposal.tokens.slice(0, choice.k);
      draftDists = drafts.map((_, i) => proposal.dists?.[i]);
      if (signal?.aborted) return "cancelled";
    }

    // Stochastic drafts need the target's distributions; everything else gets drawn (or argmax) tokens.
    const withDists = !greedy && !options.seeded && draftDists.some((d) => d !== undefined);
    const t1 = performance.now(); // (the first pass, submitted earlier, is not measured: see below)
    const out = await (firstPass ?? target.evaluate([history[history.length - 1]!, ...drafts], lead, withDists ? undefined : seedsFor(drafts.length + 1)));
    const passMs = performance.now() - t1;
    stats.targetPasses++;

    let accepted = 0;
    let next: number;
    if (!withDists) {
      while (accepted < drafts.length && out[accepted]?.token === drafts[accepted]) accepted++;
      const t = out[accepted]?.token;
      if (t === undefined) throw new Error("target returned no token");
      next = t;
    } else {
      const dists = out.map((o) => o.dist ?? new Map<number, number>());
      ({ accepted, next } = acceptDrafts(drafts, draftDists, dists, rng));
    }
    if (accepted < drafts.length) truncateTo = base + 1 + accepted;

    if (healDraft.length > 0) {
      count(stats.proposed, "heal", healDraft.length);
      count(stats.accepted, "heal", accepted);
      options.costs?.observeHeal(accepted > 0);
    }
    // first passes with no prompt tokens to catch up on, with and without a drafted token: what
    // that position costs a first pass (CostModel.shouldDraftHeal)
    if (first && lead.length === 0 && firstDoneAt > 0 && healDraft.length <= 1) options.costs?.observeFirstPass(1 + healDraft.length, firstDoneAt - submittedAt);
    if (choice.source && drafts.length > 0) {
      const name = choice.source;
      count(stats.proposed, name, drafts.length);
      count(stats.accepted, name, accepted);
      for (let i = 0; i < drafts.length; i++) {
        stats.proposedByPosition[i] = (stats.proposedByPosition[i] ?? 0) + 1;
        stats.acceptedByPosition[i] = (stats.acceptedByPosition[i] ?? 0) + (i < accepted ? 1 : 0);
      }
      controller.observe(name, drafts.length, accepted);
    }
    // Not the first pass: it carries the prompt's last tokens (`lead`) and follows a pause (cold
    // caches), so as a "single-token pass" it would inflate t1 and make drafts look cheap.
    if (!first)
      controller.observeCost(
        drafts.length + 1,
        passMs,
        choice.source === "draft-model" ? drafts.length : 0,
        draftMs,
        synced,
      );

    const committed = [...drafts.slice(0, accepted), next];
    // shadow-score cheap sources that were not used: would their proposal have matched?
    for (const [name, p] of cheap) {
      if (name === choice.source || p.tokens.length === 0) continue;
      let m = 0;
      while (m < p.tokens.length && m < committed.length && p.tokens[m] === committed[m]) m++;
      controller.observe(name, Math.min(p.tokens.length, committed.length), m);
    }
    history.push(...committed);
    generated += committed.length;
    stats.tokensPerPass = generated / stats.targetPasses;
    yield committed;
  }
}
