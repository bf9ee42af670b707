/**
 * Chooses, per decode step, which draft source to use and how many tokens to draft (K), from the
 * running acceptance of each source by draft position and the measured cost of target passes.
 *
 * Why: expected tokens per pass with conditional acceptance a_i at position i is
 * 1 + Σ_{i≤K} Π_{j≤i} a_j, while a pass with K drafts costs about t1 + K·c (+ K·t_draft for a
 * draft model). The controller maximises tokens per unit time and picks K = 0 (plain decoding) when
 * no source beats 1/t1. Acceptance decays (EMA) so it tracks the current text; a source unused for
 * a while is probed with a short draft so a bad early estimate cannot exclude it forever.
 */
import type { DraftSourceName } from "../core/types.js";

/**
 * Measured pass costs, shared by all requests of an engine (they are properties of the model and
 * machine, not of the text): t1 = single-token pass, c = cost per extra verified position,
 * td = one draft-model token, all EMAs in ms. Before the first single-token observation the
 * prior ratios (c = 0.35·t1, td = 0.4·t1, measured here for tiny models) scale the first pass seen.
 */
export class CostModel {
  t1 = 1;
  c = 0.35;
  td = 0.4;
  private seenSingle = false;
  private seenAny = false;

  /** Records the wall time of a target pass over `positions` tokens and of `drafted` draft-model tokens. */
  observe(positions: number, passMs: number, drafted = 0, draftMs = 0): void {
    const w = 0.2;
    if (!this.seenAny) {
      // calibrate the scale from the first pass, keeping the prior ratios
      const t1 = passMs / (1 + (this.c / this.t1) * (positions - 1));
      this.c *= t1 / this.t1;
      this.td *= t1 / this.t1;
      this.t1 = t1;
      this.seenAny = true;
    }
    if (positions <= 1) {
      this.t1 = this.seenSingle ? this.t1 + w * (passMs - this.t1) : passMs;
      this.seenSingle = true;
    } else if (this.seenSingle) this.c += w * (Math.max(0, passMs - this.t1) / (positions - 1) - this.c);
    if (drafted > 0) this.td += w * (draftMs / drafted - this.td);
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

const PRIOR: Record<DraftSourceName, number> = { client: 0.8, ngram: 0.4, "draft-model": 0.5 };

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
    return this.acc.get(source)?.[i] ?? PRIOR[source];
  }

  /** Records a verify outcome: `proposed` drafts of which the first `accepted` were accepted. */
  observe(source: DraftSourceName, proposed: number, accepted: number): void {
    let a = this.acc.get(source);
    if (!a) this.acc.set(source, (a = []));
    for (let i = 0; i < proposed && i <= accepted; i++) {
      const prev = a[i] ?? PRIOR[source];
      a[i] = prev + this.alpha * ((i < accepted ? 1 : 0) - prev);
    }
  }

  /** Records the wall time of a pass (see CostModel.observe). */
  observeCost(positions: number, passMs: number, drafted = 0, draftMs = 0): void {
    this.costs.observe(positions, passMs, drafted, draftMs);
  }

  /**
   * Picks a source and K. `available` gives, per candidate source, how many tokens it can propose
   * now (Infinity for the draft model). Returns K = 0 when plain decoding is expected to be faster.
   */
  choose(available: Partial<Record<DraftSourceName, number>>): { source?: DraftSourceName; k: number } {
    let best: { source?: DraftSourceName; k: number } = { k: 0 };
    const { t1, c, td } = this.costs;
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
        const cost = t1 + k * c + (costly ? k * td : 0);
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
