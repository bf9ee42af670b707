/**
 * The line-anchored middle with token healing (requests.anchorLine): one prompt position per
 * keystroke within a line, the healed first token checked against node-llama-cpp driven by hand,
 * and greedy speculative output still identical to plain decoding on healed prompts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, TokenBias, type Llama, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import type { DraftSourceName, EngineRequest, FimInput } from "../../src/core/types.js";
import type { LlamaCppEngine } from "../../src/engines/llama-cpp/llama-cpp-engine.js";
import { HEAL_BOOST, healingBias, VocabularyPieces } from "../../src/engines/llama-cpp/token-healing.js";
import { collect, createOneSlotEngine, makeRequest, repoFimTasks, TARGET } from "./helpers.js";

let anchored: LlamaCppEngine;
let plainLayout: LlamaCppEngine;
// the same model driven by hand through node-llama-cpp
let llama: Llama;
let model: LlamaModel;
let seq: LlamaContextSequence;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: TARGET });
  const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: 1, flashAttention: false });
  seq = ctx.getSequence();
  anchored = await createOneSlotEngine({ anchorLine: true });
  plainLayout = await createOneSlotEngine({ anchorLine: false });
});
afterAll(async () => {
  await anchored?.close();
  await plainLayout?.close();
  await llama?.dispose();
});

/**
 * Repo tasks with the cursor moved into the middle of its line's content, the rest of the line not
 * typed yet (as while typing; left in the suffix, the stop rules would cut a completion that
 * repeats it).
 */
const midLine = (n: number): (FimInput & { name: string; rest: string })[] =>
  repoFimTasks(n * 3, 500, 160)
    .map((t) => {
      const line = t.suffix.slice(0, Math.max(0, t.suffix.indexOf("\n")));
      const indent = line.length - line.trimStart().length;
      const at = indent + Math.floor((line.length - indent) / 2);
      return { ...t, prefix: t.prefix + line.slice(0, at), suffix: t.suffix.slice(line.length), rest: line.slice(at) };
    })
    .filter((t) => t.prefix.slice(t.prefix.lastIndexOf("\n") + 1).trim().length >= 3 && t.rest.length >= 3)
    .slice(0, n);

describe("line-anchored middle", () => {
  it("a keystroke inside a line evaluates one prompt position (two with the usual layout)", async () => {
    const evaluated = { anchored: [] as number[], plainLayout: [] as number[] };
    for (const t of midLine(4)) {
      for (const [name, engine] of [["anchored", anchored], ["plainLayout", plainLayout]] as const) {
        await collect(engine, makeRequest({ prefix: t.prefix, suffix: t.suffix }, { affinityKey: "k" }));
        // the user types the next character of the line; the text after the cursor stays
        const next = await collect(engine, makeRequest({ prefix: t.prefix + t.rest[0], suffix: t.suffix }, { affinityKey: "k" }));
        evaluated[name].push(next.usage.promptTokensEvaluated);
      }
    }
    expect(evaluated.anchored).toEqual([1, 1, 1, 1]);
    expect(Math.min(...evaluated.plainLayout)).toBeGreaterThanOrEqual(2);
  });

  describe("healing, against node-llama-cpp driven by hand", () => {

    it("drops the typed text's last tokens, constrains the first token to start with their text, and cuts that text from the output", async () => {
      const vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
      const pieces = Array.from({ length: vocab }, (_, t) => model.detokenize([t as Token]));
      let healedTasks = 0;
      let multiTokenHeals = 0;
      for (const t of midLine(8)) {
        const MAX = 12;
        const got = await collect(anchored, makeRequest({ prefix: t.prefix, suffix: t.suffix }, { stop: { maxTokens: MAX, stop: [], mode: "none" } }));
        // by hand: the engine's prompt up to <fim_middle>, the typed tokens but the last, the constraint
        const lineStart = t.prefix.lastIndexOf("\n") + 1;
        const typedText = t.prefix.slice(lineStart).trimStart();
        const anchorPrefix = t.prefix.slice(0, t.prefix.length - typedText.length);
        const head = anchored.sequenceTokens(0).slice(0, anchored.sequenceTokens(0).indexOf(model.tokenize("<fim_middle>", true)[0]!) + 1);
        const typed = model.tokenize(typedText, false);
        // the engine heals the most typed tokens (up to 4) whose text some vocabulary entry starts with
        let k = 1;
        for (let n = 2; n <= Math.min(4, typed.length); n++) {
          const text = typedText.slice(model.detokenize(typed.slice(0, -n)).length);
          if (pieces.some((p) => p.startsWith(text))) k = n;
        }
        if (k > 1) multiTokenHeals++;
        const heal = typedText.slice(model.detokenize(typed.slice(0, -k)).length);
        const bias = new TokenBias(model.tokenizer);
        pieces.forEach((p, i) => {
          if (!p.startsWith(heal)) bias.set(i as Token, "never");
        });
        // the engine masks end-of-generation tokens too (TokenBias.set skips them)
        (bias as unknown as { _biases: Map<number, number> })._biases.set(model.tokens.eos!, -Infinity);
        const prompt = [...head, ...typed.slice(0, -k)] as Token[];
        await seq.clearHistory();
        let res = await seq.controlledEvaluate([...prompt.slice(0, -1), [prompt[prompt.length - 1]!, { generateNext: { token: true, options: { tokenBias: bias } } }]]);
        const out: Token[] = [];
        let next = res[res.length - 1]?.next.token;
        while (next !== undefined && next !== null && !model.isEogToken(next) && out.length < MAX) {
          out.push(next);
          res = await seq.controlledEvaluate([[next, { generateNext: { token: true } }]]);
          next = res[0]?.next.token;
        }
        const text = model.detokenize(out);
        expect(text.startsWith(heal), `${t.name}: ${JSON.stringify(text)} starts with ${JSON.stringify(heal)}`).toBe(true);
        expect(got.text, t.name).toBe(text.slice(heal.length));
        expect(anchorPrefix.length).toBeGreaterThan(0);
        if (typed.length > 0) healedTasks++;
      }
      expect(healedTasks).toBeGreaterThanOrEqual(6);
      expect(multiTokenHeals).toBeGreaterThanOrEqual(1);
    });
  });

  it("the constraint's boost form gives the mask form's next-token distribution (sampled) and token (greedy)", async () => {
    const vocab = VocabularyPieces.of(model);
    let boosted = 0;
    for (const t of midLine(5)) {
      const typed = model.tokenize(t.prefix.slice(t.prefix.lastIndexOf("\n") + 1).trimStart(), false);
      const heal = model.detokenize(typed.slice(-1));
      const forms = { boost: healingBias(model, vocab, heal)!, mask: healingBias(model, vocab, heal, "mask")! };
      if ([...(forms.boost as unknown as { _biases: Map<number, number> })._biases.values()].includes(HEAL_BOOST)) boosted++;
      const prompt = [...model.tokenize(t.prefix.slice(-600), false), ...typed.slice(0, -1)] as Token[];
      const next = async (bias: TokenBias, sampled: boolean) => {
        await seq.clearHistory();
        const options = sampled ? { temperature: 0.8, topK: 40, topP: 0.95, tokenBias: bias } : { tokenBias: bias };
        const res = await seq.controlledEvaluate([...prompt.slice(0, -1), [prompt[prompt.length - 1]!, { generateNext: sampled ? { probabilities: true, options } : { token: true, options } }]]);
        return res[res.length - 1]!.next;
      };
      expect((await next(forms.boost, false)).token, t.name).toBe((await next(forms.mask, false)).token);
      const [pb, pm] = [(await next(forms.boost, true)).probabilities!, (await next(forms.mask, true)).probabilities!];
      const support = (p: Map<number, number>) => [...p].filter(([, v]) => v > 0).map(([k]) => k).sort((a, b) => a - b);
      expect(support(pb), t.name).toEqual(support(pm));
      for (const [k, v] of pm) if (v > 0) expect(pb.get(k)!, t.name).toBeCloseTo(v, 4);
    }
    expect(boosted).toBeGreaterThanOrEqual(3);
  });

  it("sampling on a healed prompt: a seed gives the same completion every time, with and without speculation", async () => {
    for (const t of midLine(3)) {
      const req = (spec: boolean) =>
        makeRequest(
          { prefix: t.prefix, suffix: t.suffix },
          {
            sampling: { temperature: 0.8, topP: 0.95, topK: 40, seed: 7 },
            stop: { maxTokens: 12, stop: [], mode: "none" },
            speculative: spec ? { enabled: true, sources: ["ngram", "draft-model"], k: 2, maxK: 4 } : { enabled: false },
          },
        );
      const a = await collect(anchored, req(false));
      const b = await collect(anchored, req(false));
      expect(b.text, t.name).toBe(a.text);
      expect(a.usage.completionTokens).toBeGreaterThan(0);
      const c = await collect(anchored, req(true));
      const d = await collect(anchored, req(true));
      expect(c.text, t.name).toBe(a.text);
      expect(d.text, t.name).toBe(a.text);
    }
  });

  const SOURCES: DraftSourceName[][] = [["client"], ["ngram"], ["draft-model"], ["client", "ngram", "draft-model"]];
  it("speculative greedy output is the plain output on healed prompts, but for rare near-ties of the target's own logits", async () => {
    const tasks = midLine(12);
    const mismatched = new Set<string>();
    let clientAccepted = 0;
    for (const t of tasks) {
      const req = (over: Partial<EngineRequest>) =>
        makeRequest({ prefix: t.prefix, suffix: t.suffix }, { affinityKey: "spec", stop: { maxTokens: 16, stop: [], mode: "none" }, ...over });
      const plain = await collect(anchored, req({}));
      const kv = anchored.sequenceTokens(0);
      for (const sources of SOURCES)
        for (const clientDraft of [plain.text, plain.text.slice(0, 3) + "#@!" + plain.text.slice(3)]) {
          const spec = await collect(anchored, req({ speculative: { enabled: true, sources, k: 3, maxK: 6 }, clientDraft }));
          if (sources.length === 1 && sources[0] === "client" && clientDraft === plain.text) clientAccepted += spec.usage.speculative?.accepted.client ?? 0;
          if (spec.text === plain.text) {
            expect(anchored.sequenceTokens(0)).toEqual(kv);
            continue;
          }
          // A multi-position verify pass computes the logits with other kernels than a one-position
          // pass (docs/known-issues.md, "Quantized weights and greedy identity"): where the target's
          // two best tokens are nearly tied, the pick can differ. Allowed only there.
          mismatched.add(t.name);
          const other = anchored.sequenceTokens(0);
          let d = 0;
          while (kv[d] === other[d]) d++;
          await seq.clearHistory();
          const ctx = kv.slice(0, d) as Token[];
          const out = await seq.controlledEvaluate([...ctx.slice(0, -1), [ctx[ctx.length - 1]!, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0 } } }]]);
          const probs = out[out.length - 1]!.next.probabilities!;
          const [pa, pb] = [probs.get(kv[d] as Token) ?? 0, probs.get(other[d] as Token) ?? 0];
          const best = Math.max(...probs.values());
          expect(Math.abs(pa - pb), `${t.name}: ${sources.join("+")} diverged at a near-tie`).toBeLessThan(0.05);
          expect(Math.max(pa, pb)).toBeGreaterThan(best - 0.05);
        }
    }
    expect(mismatched.size, [...mismatched].join(", ")).toBeLessThanOrEqual(2);
    // the client's own suggestion is the model's output: after the healed first token its drafts line up
    expect(clientAccepted).toBeGreaterThan(0);
  });

  it("alternatives: the greedy text is unchanged; a probe for each gives the text the full request streams first, in one pass", async () => {
    const line = { maxTokens: 16, stop: [], mode: "line" as const };
    let reported = 0;
    let compared = 0;
    let emptyProbe = 0;
    let emptyOneToken = 0;
    for (const t of midLine(12)) {
      const fim = { prefix: t.prefix, suffix: t.suffix };
      const plain = await collect(anchored, makeRequest(fim, { stop: line }));
      let alternatives: string[] | undefined;
      let text = "";
      for await (const ev of anchored.complete(makeRequest(fim, { stop: line, alternatives: { count: 2, minProbability: 0.05 } }), {}))
        if (ev.type === "done") ({ alternatives, text } = ev);
      expect(text).toBe(plain.text);
      expect(alternatives?.length ?? 0).toBeLessThanOrEqual(2);
      for (const ch of alternatives ?? []) {
        reported++;
        expect([...ch].length).toBe(1);
        expect(text.startsWith(ch)).toBe(false);
        const typed = { prefix: t.prefix + ch, suffix: t.suffix };
        // the request manager's probe: the first pass only (speculation on, no draft source)
        const probe = await collect(anchored, makeRequest(typed, { stop: { ...line, maxTokens: 2 }, probe: true, speculative: { enabled: true, sources: [] } }));
        expect(probe.usage.speculative?.targetPasses).toBe(1);
        // one token without the healed token's draft (how probes ran before session 32)
        const oneToken = await collect(anchored, makeRequest(typed, { stop: { ...line, maxTokens: 1 }, probe: true }));
        if (!oneToken.text) emptyOneToken++;
        let firstDelta: string | undefined;
        let fullText = "";
        for await (const ev of anchored.complete(makeRequest(typed, { stop: line, speculative: { enabled: true, sources: ["ngram", "client"] } }), {})) {
          if (ev.type === "delta" && firstDelta === undefined) firstDelta = ev.text;
          if (ev.type === "done") fullText = ev.text;
        }
        expect(fullText.startsWith(probe.text)).toBe(true);
        if (probe.text) {
          compared++;
          // exactly the full request's first streamed text
          expect(firstDelta).toBe(probe.text);
        } else emptyProbe++;
      }
    }
    expect(reported).toBeGreaterThanOrEqual(3);
    expect(compared).toBeGreaterThanOrEqual(2);
    // the healed token's draft turns probes that re-created just the typed character into text
    expect(emptyProbe).toBeLessThan(Math.max(1, emptyOneToken));
  });

  it("a probe does not flush text held back as the start of a stop string (a plain max_tokens run does)", async () => {
    // a task whose first token puts text at the cursor (not just the healed text)
    let fim = { prefix: "", suffix: "" };
    let one = { text: "" };
    for (const t of midLine(8)) {
      fim = { prefix: t.prefix, suffix: t.suffix };
      one = await collect(anchored, makeRequest(fim, { stop: { maxTokens: 1, stop: [], mode: "none" } }));
      if (one.text) break;
    }
    expect(one.text.length).toBeGreaterThan(0);
    const stop = { maxTokens: 1, stop: [one.text + "\u0001"], mode: "none" as const };
    expect((await collect(anchored, makeRequest(fim, { stop }))).text).toBe(one.text);
    const probe = await collect(anchored, makeRequest(fim, { stop, probe: true }));
    expect(probe).toMatchObject({ text: "", stopReason: "max_tokens" });
  });

  it("the first pass drafts the healed token: when the model re-creates exactly it, the next token comes from the same pass; text as without speculation", async () => {
    // the cursor right after a word of its line: the healed text is often that whole word, which
    // the model then re-creates as it is (no new text from that token alone)
    const tasks = repoFimTasks(60, 500, 160)
      .map((t) => {
        const line = t.suffix.slice(0, Math.max(0, t.suffix.indexOf("\n")));
        const m = /^\s*\S.{2,}?[A-Za-z_]\b/.exec(line);
        return m ? { prefix: t.prefix + m[0], suffix: t.suffix.slice(m[0].length) } : undefined;
      })
      .filter((t) => t !== undefined)
      .slice(0, 16);
    expect(tasks.length).toBeGreaterThanOrEqual(10);
    let drafted = 0;
    let accepted = 0;
    let differing = 0;
    for (const fim of tasks) {
      const stop = { maxTokens: 2, stop: [], mode: "none" as const };
      const plain = await collect(anchored, makeRequest(fim, { stop }));
      // speculation on with no draft source: the healed token is the only draft
      const spec = await collect(anchored, makeRequest(fim, { stop, speculative: { enabled: true, sources: [] } }));
      if (spec.text !== plain.text) differing++;
      const s = spec.usage.speculative!;
      drafted += s.proposed.heal ?? 0;
      if (s.accepted.heal) {
        accepted++;
        // both tokens from the first pass
        expect(s.targetPasses).toBe(1);
        expect(spec.usage.completionTokens).toBe(2);
      } else if (plain.usage.completionTokens === 2) expect(s.targetPasses).toBe(2);
    }
    expect(drafted).toBeGreaterThanOrEqual(tasks.length / 2);
    // at a word's end the model mostly re-creates the word as it is (15 of 16 tasks on the shipped model)
    expect(accepted).toBeGreaterThanOrEqual(tasks.length / 2);
    // a two-position pass may pick the other of two nearly tied tokens (the test above)
    expect(differing).toBeLessThanOrEqual(1);
  });
});
