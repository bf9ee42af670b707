/**
 * Chooses, per decode step, which draft source to use and how many tokens to draft (K), from the
 * running acceptance of each source by draft position and the measured cost of target passes.
 *
 * Why: expected tokens per pass with conditional acceptance a_i at position i is
 * 1 + Σ_{i≤K} Π_{j≤i} a_j, while a pass with K drafts costs pass(K + 1) (measured per position
 * count, see CostModel) + K·t_draft for a draft model. The controller maximises tokens per unit
 * time and picks K = 0 (plain decoding) when no source beats 1/t1. Acceptance decays (EMA) so it tracks the current text; a source unused for
 * a while is probed with a short draft so a bad early estimate cannot exclude it forever.
 */
import type { DraftSourceName } from "../core/types.js";

/** Acceptance assumed for a source before the engine has seen any of its drafts. */
const PRIOR: Record<DraftSourceName, number> = { client: 0.8, ngram: 0.4, "draft-model": 0.5 };
/** c and td as shares of t1 until measured (measured here for tiny models). */
const PRIOR_C_RATIO = 0.35;
const PRIOR_TD_RATIO = 0.4;
/** A draft-model catch-up token (prompt tokens evaluated in chunks) as a share of t1 until measured. */
const PRIOR_TS_RATIO = 0.05;
/** Share of healed tokens the model re-creates exactly, until measured (115 of 238 on the shipped model). */
const HEAL_PRIOR = 0.45;
/** When the healed-token draft does not pay, one request in this many drafts it anyway (to keep its cost measured). */
const HEAL_EXPLORE = 16;
/**
 * Most tokens a draft source may catch up on in a proposal that still prices its drafted tokens
 * (the tokens one verify pass commits, at most maxK + 1); a longer catch-up prices `ts` instead.
 */
const STEADY_SYNC = 9;

/**
 * Folds one verify outcome (`proposed` drafts, the first `accepted` accepted) into per-position
 * acceptance EMAs `a` with weight `w`; a position not seen yet starts from `start(i)`.
 */
function foldAcceptance(a: number[], proposed: number, accepted: number, w: number, start: (i: number) => number): void {
  for (let i = 0; i < proposed && i <= accepted; i++) {
    const prev = a[i] ?? start(i);
    a[i] = prev + w * ((i < accepted ? 1 : 0) - prev);
  }
}

/**
 * Measurements shared by all requests of an engine. Pass costs are properties of the model and
 * machine, not of the text: t1 = single-token pass, c = cost per extra verified position (a linear
 * fit, used for position counts not yet measured), td = one draft-model token (its catch-up
 * decodes included), all EMAs in ms; plus the measured cost of a pass per number of positions,
 * because on a CPU the curve is not linear (a 0.5 B-parameter model here: 2 positions 1.5× a
 * single pass, 9 positions 2.8×). Until c and td are measured they are the prior ratios
 * (c = 0.35·t1, td = 0.4·t1, measured here for tiny models) of the current t1.
 * It also carries each draft source's acceptance by position over the engine's requests (a slow
 * EMA), which a new request starts from instead of a fixed prior: what this model accepts from
 * that source, not a guess.
 */
export class CostModel {
  t1 = 1;
  private cFit = 0;
  private tdFit = 0;
  private seenSingle = false;
  private seenAny = false;
  /** Whether c and td have been measured; until then they follow t1 at the prior ratios. */
  private seenMulti = false;
  private seenDraft = false;
  private tsFit = 0;
  private seenSync = false;
  /** EMA of the pass time (ms) by number of positions; index 0 unused. */
  private readonly byPositions: number[] = [];
  private readonly acceptance = new Map<DraftSourceName, number[]>();
  /** EMA of a request's first pass (it follows a typing pause: not the steady t1) by positions, 1 or 2. */
  private readonly firstPass: (number | undefined)[] = [];
  /** How often the model re-created the healed token exactly (a drafted one was accepted). */
  private healAccept = HEAL_PRIOR;
  /** First passes that did not draft it since the engine started (every HEAL_EXPLORE-th drafts anyway). */
  private healSkipped = 0;

  /**
   * Cost per extra verified position (ms): the linear fit once a multi-position pass was seen,
   * before that the prior ratio of the current t1. (Scaled once from the first pass and left
   * there, as before 2026-12-07, a slow first pass priced drafts so high that no multi-position
   * pass ever ran to correct it: on a 0.5 B model the controller never drafted, not even the
   * client's text the target reproduces exactly.)
   */
  get c(): number {
    return this.seenMulti ? this.cFit : PRIOR_C_RATIO * this.t1;
  }

  /** One draft-model token (ms), likewise. */
  get td(): number {
    return this.seenDraft ? this.tdFit : PRIOR_TD_RATIO * this.t1;
  }

  /**
   * One token of a draft model's catch-up (ms): a first use in a request evaluates the prompt, a
   * use after plain steps the tokens committed meanwhile. Likewise a prior share of t1 until seen.
   */
  get ts(): number {
    return this.seenSync ? this.tsFit : PRIOR_TS_RATIO * this.t1;
  }

  /**
   * Records the wall time of a target pass over `positions` tokens and of `drafted` draft-model
   * tokens, which first caught up on `synced` history tokens. A long catch-up (more than
   * STEADY_SYNC tokens) prices catch-up tokens (ts), not drafted ones; the pass is still recorded.
   */
  observe(positions: number, passMs: number, drafted = 0, draftMs = 0, synced = 0): void {
    const w = 0.2;
    if (!this.seenAny) {
      // calibrate the scale from the first pass, at the prior ratio
      this.t1 = passMs / (1 + PRIOR_C_RATIO * (positions - 1));
      this.seenAny = true;
    }
    if (positions <= 1) {
      this.t1 = this.seenSingle ? this.t1 + w * (passMs - this.t1) : passMs;
      this.seenSingle = true;
    } else if (this.seenSingle) {
      const slope = Math.max(0, passMs - this.t1) / (positions - 1);
      this.cFit = this.seenMulti ? this.cFit + w * (slope - this.cFit) : slope;
      this.seenMulti = true;
    }
    if (drafted > 0 && synced > STEADY_SYNC) {
      const perToken = Math.max(0, draftMs - drafted * this.td) / synced;
      this.tsFit = this.seenSync ? this.tsFit + w * (perToken - this.tsFit) : perToken;
      this.seenSync = true;
    } else if (drafted > 0) {
      this.tdFit = this.seenDraft ? this.tdFit + w * (draftMs / drafted - this.tdFit) : draftMs / drafted;
      this.seenDraft = true;
    }
    const prev = this.byPositions[positions];
    this.byPositions[positions] = prev === undefined ? passMs : prev + w * (passMs - prev);
  }

  /** Expected time of a target pass over `positions` tokens: measured where it was, else the linear fit. */
  passCost(positions: number): number {
    if (positions <= 1) return this.t1;
    const measured = this.byPositions[positions];
    if (measured !== undefined && this.seenSingle) return Math.max(this.t1, measured);
    return this.t1 + (positions - 1) * this.c;
  }

  /** The engine's running acceptance of `source` at draft position `i`, if it has seen any. */
  sharedAcceptance(source: DraftSourceName, i: number): number | undefined {
    return this.acceptance.get(source)?.[i];
  }

  /** Folds one verify outcome into the engine's running acceptance (weight 0.05 per outcome). */
  observeAcceptance(source: DraftSourceName, proposed: number, accepted: number): void {
    let a = this.acceptance.get(source);
    if (!a) this.acceptance.set(source, (a = []));
    foldAcceptance(a, proposed, accepted, 0.05, () => PRIOR[source]);
  }

  // --- the healed token's first-pass draft (DecodeOptions.firstDraft)
  /** Records a first pass over `positions` (1, or 2 with the healed token drafted) without lead tokens. */
  observeFirstPass(positions: number, passMs: number): void {
    if (positions < 1 || positions > 2) return;
    const prev = this.firstPass[positions];
    this.firstPass[positions] = prev === undefined ? passMs : prev + 0.1 * (passMs - prev);
  }

  /** Records whether a drafted healed token was accepted. */
  observeHeal(accepted: boolean): void {
    this.healAccept += 0.05 * ((accepted ? 1 : 0) - this.healAccept);
  }

  /**
   * Whether a first pass should draft the healed token: when the pass it saves as often as the
   * draft is accepted outweighs what the extra position adds to a first pass, both measured. The
   * saved pass is priced at the larger of a steady pass (t1) and a one-position first pass: on the
   * shipped model the second pass's latency includes the loop turn and, with eight typists, the
   * batch it joins, which t1 alone (measured ~1 ms) under-priced until the draft was switched off
   * under load, where it helped most (engine-served ws × 8 p50 3.6–3.9 ms with it, 4.6–5.1
   * without). On the shipped model a first pass after a typing pause costs about the same with one
   * position or two (the pause dominates), so it drafts; on a 0.5 B model on this CPU the second
   * position adds ~60 % to the pass (the 151,936-entry output layer runs twice) while the draft is
   * accepted about half the time, so it does not. Until both first-pass costs are measured it
   * drafts; when it does not, every HEAL_EXPLORE-th request drafts anyway, so that the
   * two-position cost stays measured.
   */
  shouldDraftHeal(): boolean {
    const one = this.firstPass[1];
    const two = this.firstPass[2];
    if (one === undefined || two === undefined) return true;
    if (this.healAccept * Math.max(this.t1, one) >= two - one) return true;
    this.healSkipped++;
    return this.healSkipped % HEAL_EXPLORE === 0;
  }
}

/** Controller options. `fixedK` disables adaptation of K (still picks the best source). */
export interface AdaptiveKOptions {
  maxK: number;
  fixedK?: number;
  /** EMA weight of a new acceptance observation (default 0.3). */
  alpha?: number;
  /** Steps without use after which a costly source is probed (default 32). */
  probeEvery?: number;
  /** Shared cost model (default: a fresh one). */
  costs?: CostModel;
}

/** The per-request controller. */
export class AdaptiveK {
  private readonly acc = new Map<DraftSourceName, number[]>();
  private readonly idle = new Map<DraftSourceName, number>();
  private readonly alpha: number;
  private readonly probeEvery: number;
  private readonly costs: CostModel;

  constructor(private readonly options: AdaptiveKOptions) {
    this.alpha = options.alpha ?? 0.3;
    this.probeEvery = options.probeEvery ?? 32;
    this.costs = options.costs ?? new CostModel();
  }

  /** Acceptance estimate of `source` at draft position `i` (conditional on the earlier ones). */
  acceptance(source: DraftSourceName, i: number): number {
    return this.acc.get(source)?.[i] ?? this.costs.sharedAcceptance(source, i) ?? PRIOR[source];
  }

  /** Records a verify outcome: `proposed` drafts of which the first `accepted` were accepted. */
  observe(source: DraftSourceName, proposed: number, accepted: number): void {
    let a = this.acc.get(source);
    if (!a) this.acc.set(source, (a = []));
    // before the engine's running acceptance takes this outcome in
    foldAcceptance(a, proposed, accepted, this.alpha, (i) => this.costs.sharedAcceptance(source, i) ?? PRIOR[source]);
    this.costs.observeAcceptance(source, proposed, accepted);
  }

  /** Records the wall time of a pass (see CostModel.observe). */
  observeCost(positions: number, passMs: number, drafted = 0, draftMs = 0, synced = 0): void {
    this.costs.observe(positions, passMs, drafted, draftMs, synced);
  }

  /**
   * Picks a source and K. `available` gives, per candidate source, how many tokens it can propose
   * now (Infinity for the draft model); `lag`, per costly source, how many history tokens it must
   * catch up on first (priced at ts each: a draft model that has not seen this request's prompt
   * drafts only when the verify pays for its prefill too, or when probed). Returns K = 0 when plain
   * decoding is expected to be faster.
   */
  choose(available: Partial<Record<DraftSourceName, number>>, lag: Partial<Record<DraftSourceName, number>> = {}): { source?: DraftSourceName; k: number } {
    let best: { source?: DraftSourceName; k: number } = { k: 0 };
    const { t1, td, ts } = this.costs;
    let bestRate = this.options.fixedK !== undefined ? -Infinity : 1 / t1;
    for (const [name, avail] of Object.entries(available) as [DraftSourceName, number][]) {
      const limit = Math.min(avail, this.options.fixedK ?? this.options.maxK);
      if (limit <= 0) continue;
      const idle = (this.idle.get(name) ?? 0) + 1;
      this.idle.set(name, idle);
      const costly = name === "draft-model";
      if (costly && idle >= this.probeEvery && this.options.fixedK === undefined) {
        return this.use(name, Math.min(2, limit));
      }
      let expected = 1;
      let run = 1;
      const ks = this.options.fixedK !== undefined ? [limit] : Array.from({ length: limit }, (_, i) => i + 1);
      for (let k = 1; k <= limit; k++) {
        run *= this.acceptance(name, k - 1);
        expected += run;
        if (!ks.includes(k)) continue;
        const cost = this.costs.passCost(k + 1) + (costly ? k * td + (lag[name] ?? 0) * ts : 0);
        const rate = expected / cost;
        if (rate > bestRate) {
          bestRate = rate;
          best = { source: name, k };
        }
      }
    }
    return best.source ? this.use(best.source, best.k) : best;
  }

  private use(source: DraftSourceName, k: number): { source: DraftSourceName; k: number } {
    this.idle.set(source, 0);
    return { source, k };
  }
}
