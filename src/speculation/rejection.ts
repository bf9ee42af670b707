/**
 * Speculative sampling acceptor (Leviathan et al. 2023, Chen et al. 2023): given target
 * distributions p_i and draft distributions q_i for drafted tokens x_i, accept x_i with
 * probability min(1, p_i(x_i) / q_i(x_i)); on the first rejection draw from the residual
 * norm(max(0, p_i − q_i)); if all are accepted draw a bonus token from p_{K}. The emitted tokens
 * are distributed exactly as sequential sampling from p. A deterministic draft (n-gram, client)
 * is the point mass q = δ(x): accept with probability p(x), else draw from p with x removed.
 */
import { normalize, sample, type Rng, type TokenDist } from "./sampling.js";

/** Result of one verification: how many drafts were accepted and the token that follows them. */
export interface AcceptResult {
  /** Number of drafted tokens accepted (0..K). */
  accepted: number;
  /** The token emitted after the accepted drafts: a residual draw on rejection, else the bonus from p_K. */
  next: number;
}

/**
 * Runs the acceptor. `drafts[i]` was proposed from `draftDists[i]` (undefined = point mass on it);
 * `targetDists` has K+1 entries: the target's (transformed) distribution before each draft and after the last.
 */
export function acceptDrafts(
  drafts: readonly number[],
  draftDists: readonly (TokenDist | undefined)[],
  targetDists: readonly TokenDist[],
  rng: Rng,
): AcceptResult {
  for (let i = 0; i < drafts.length; i++) {
    const x = drafts[i]!;
    const p = normalize(targetDists[i]!);
    const qRaw = draftDists[i];
    const q = qRaw ? normalize(qRaw) : new Map([[x, 1]]);
    const px = p.get(x) ?? 0;
    const qx = q.get(x) ?? 0;
    const acceptP = qx > 0 ? Math.min(1, px / qx) : 0;
    if (rng() < acceptP) continue;
    const residual: TokenDist = new Map();
    for (const [t, pt] of p) {
      const r = pt - (q.get(t) ?? 0);
      if (r > 0) residual.set(t, r);
    }
    // Residual empty only when p == q up to rounding: then p itself is the right distribution.
    return { accepted: i, next: sample(residual.size > 0 ? residual : p, rng) };
  }
  return { accepted: drafts.length, next: sample(targetDists[drafts.length]!, rng) };
}
