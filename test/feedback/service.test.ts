/**
 * The feedback service on every store backend (the SAME suite for SQLite and Postgres).
 * Postgres runs when GHOSTLINE_TEST_PG_URL is set (scripts/postgres-test.sh starts a throwaway cluster).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { isGhostlineError } from "../../src/core/errors.js";
import type { FeedbackServiceImpl } from "../../src/feedback/service.js";
import { BACKENDS, PG_URL, makeConfig, makeService, record, tempDir, usage } from "./helpers.js";

if (!PG_URL) {
  console.warn(
    "[feedback] Postgres store suite skipped: GHOSTLINE_TEST_PG_URL is not set (run `bash scripts/postgres-test.sh` to start a throwaway cluster).",
  );
  describe.skip("postgres store suite (GHOSTLINE_TEST_PG_URL not set)", () => {
    it("runs the store suite on Postgres", () => {});
  });
}

describe.each(BACKENDS)("feedback service on %s", (backend) => {
  const open: FeedbackServiceImpl[] = [];
  const make = async (
    ...args: Parameters<typeof makeService> extends [unknown, ...infer R] ? R : never
  ): Promise<FeedbackServiceImpl> => {
    const s = await makeService(backend, ...args);
    open.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it("rejects invalid events with the field path, storing nothing of the batch", async () => {
    const s = await make();
    const bad = [
      { type: "shown", completion_id: "c1" },
      { type: "retention", completion_id: "c1", interval_s: 30 },
    ];
    const err = await s.ingest(bad as never, { tenant: "t" }).catch((e: unknown) => e);
    expect(isGhostlineError(err, "invalid_request")).toBe(true);
    expect((err as Error).message).toMatch(/^events\.1\.similarity: required for retention/);
    const err2 = await s
      .ingest([{ type: "clicked", completion_id: "c" }] as never, { tenant: "t" })
      .catch((e: unknown) => e);
    expect((err2 as { details: { field: string } }).details.field).toBe("events.0.type");
    expect(await s.store.eventsByCompletion("t", ["c1"])).toEqual([]);
  });

  it("level off stores nothing at all (server, tenant ceiling or client)", async () => {
    const cases = [
      { cfg: makeConfig({ telemetry: { level: "off", salt: "s" } }), ctx: { tenant: "t", user: "u" } },
      {
        cfg: makeConfig({ auth: { apiKeys: { "key-12345678": { tenant: "t", telemetry: "off" } } } }),
        ctx: { tenant: "t", user: "u" },
      },
      { cfg: makeConfig(), ctx: { tenant: "t", user: "u", telemetry: "off" as const } },
      { cfg: makeConfig(), ctx: { tenant: "t", user: "u", tenantTelemetry: "off" as const } },
    ];
    for (const { cfg, ctx } of cases) {
      const s = await make(cfg);
      await s.recordCompletion(record("c1"), ctx);
      const r = await s.ingest(
        [
          { type: "shown", completion_id: "c1" },
          { type: "accepted", completion_id: "c1", kept_text: "x" },
        ],
        ctx,
      );
      expect(r.accepted).toBe(2);
      expect(await s.store.tenants()).toEqual([]);
      expect(await s.store.completions("t")).toEqual([]);
      expect(await s.store.eventsByCompletion("t", ["c1"])).toEqual([]);
    }
  });

  it("keeps code only at level code (scrubbed), numbers only at metrics; a client cannot raise its level", async () => {
    const secret = "AKIAIOSFODNN7EXAMPLE";
    const s = await make(makeConfig({ telemetry: { level: "metrics", salt: "s" } }));
    await s.recordCompletion(record("m1", { text: `const k = "${secret}";` }), {
      tenant: "t",
      user: "u",
      telemetry: "code",
    });
    await s.ingest([{ type: "accepted", completion_id: "m1", kept_text: "kept" }], {
      tenant: "t",
      user: "u",
      telemetry: "code",
    });
    const [c] = await s.store.completions("t");
    expect(c).toMatchObject({ level: "metrics", text: null, fim: null, textChars: 33, latencyMs: 100 });
    expect(c!.speculative).toMatchObject({ targetPasses: 4, tokensPerPass: 2.5 });
    const [e] = await s.store.eventsByCompletion("t", ["m1"]);
    expect(e!.payload).toMatchObject({ type: "accepted", keptText: null });

    const code = await make();
    await code.recordCompletion(
      record("c1", {
        text: `const k = "${secret}";`,
        fim: { prefix: "// mail me: jane.doe@example.com\n", suffix: "" },
      }),
      { tenant: "t", user: "u" },
    );
    const [cc] = await code.store.completions("t");
    expect(cc!.level).toBe("code");
    expect(cc!.text).toBe('const k = "[REDACTED:aws_key]";');
    expect(cc!.fim!.prefix).toBe("// mail me: [REDACTED:email]\n");
    // metrics and reports read rows without their code (omitCode): the same row, text and fim null
    const [lean] = await code.store.completions("t", { omitCode: true });
    expect(lean).toEqual({ ...cc, text: null, fim: null });
    expect((await code.store.completions("t"))[0]!.fim).not.toBeNull(); // still stored
  });

  it("hashes user ids with the salt and never stores them raw", async () => {
    const s = await make();
    await s.recordCompletion(record("c1"), { tenant: "t", user: "alice@example.com" });
    await s.ingest([{ type: "shown", completion_id: "c1" }], { tenant: "t", user: "alice@example.com" });
    const [c] = await s.store.completions("t");
    expect(c!.userHash).toMatch(/^[0-9a-f]{64}$/);
    expect(c!.userHash).toBe(s.hashUser("t", "alice@example.com"));
    expect(c!.userHash).not.toBe(s.hashUser("other-tenant", "alice@example.com"));
    expect(JSON.stringify(await s.store.eventsByCompletion("t", ["c1"]))).not.toContain("alice");
  });

  it("erase-user removes every row of that user in that tenant only", async () => {
    const s = await make();
    for (const [tenant, user, id] of [
      ["t", "alice", "a1"],
      ["t", "alice", "a2"],
      ["t", "bob", "b1"],
      ["t2", "alice", "x1"],
    ] as const) {
      await s.recordCompletion(record(id), { tenant, user });
      await s.ingest(
        [
          { type: "shown", completion_id: id },
          { type: "accepted", completion_id: id },
        ],
        { tenant, user },
      );
    }
    expect(await s.eraseUser("t", "alice")).toBe(6);
    expect((await s.store.completions("t")).map((c) => c.completionId)).toEqual(["b1"]);
    expect(await s.store.eventsByCompletion("t", ["a1", "a2"])).toEqual([]);
    expect(await s.store.eventsByCompletion("t", ["b1"])).toHaveLength(2);
    expect(await s.store.completions("t2")).toHaveLength(1);
    expect(await s.eraseUser("t", "alice")).toBe(0);
  });

  it("group-commits completion records; erase-user also removes records still waiting for their commit", async () => {
    const s = await make();
    const waits = Array.from({ length: 20 }, (_, i) =>
      s.recordCompletion(record(`g${i}`), { tenant: "t", user: i < 10 ? "alice" : "bob" }),
    );
    expect(await s.eraseUser("t", "alice")).toBe(10);
    await Promise.all(waits);
    expect((await s.store.completions("t")).map((c) => c.completionId).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `g${i + 10}`).sort(),
    );
  });

  it("reads thousands of rows whole and in order, with filters (SQLite reads them in pages)", async () => {
    const s = await make();
    const n = 4_500; // more than two pages of 2,000
    const rows = Array.from({ length: n }, (_, i) => ({
      v: 1 as const,
      completionId: `p${i}`,
      tenant: "t",
      userHash: null,
      level: "metrics" as const,
      createdAt: 1_000_000 + Math.floor(i / 3), // ties: three completions per millisecond
      model: "m",
      modelVersion: "1",
      language: null,
      source: "ws",
      experiment: null,
      arm: null,
      stopReason: "eos",
      textChars: 1,
      latencyMs: 1,
      firstTokenMs: 1,
      promptTokens: 1,
      completionTokens: 1,
      speculative: null,
      text: null,
      fim: null,
    }));
    await s.store.insertCompletions(rows);
    await s.store.insertEvents(
      rows.map((c, i) => ({ id: `ev${i}`, v: 1 as const, tenant: "t", userHash: null, completionId: c.completionId, type: "shown" as const, receivedAt: 2_000_000 + Math.floor(i / 3), clientTs: null, payload: { type: "shown" as const, visibleMs: 1 } })),
    );
    // every row once, in time order (the order among equal times is the backend's)
    const ids = (xs: { completionId: string }[]) => xs.map((x) => x.completionId).sort();
    const inOrder = (ts: number[]) => ts.every((t, i) => i === 0 || ts[i - 1]! <= t);
    const all = await s.store.completions("t");
    expect(ids(all)).toEqual(ids(rows));
    expect(inOrder(all.map((c) => c.createdAt))).toBe(true);
    const events = await s.store.events("t");
    expect(ids(events)).toEqual(ids(rows));
    expect(inOrder(events.map((e) => e.receivedAt))).toBe(true);
    const some = await s.store.completions("t", { since: 1_000_100, until: 1_001_000, omitCode: true });
    expect(ids(some)).toEqual(ids(rows.filter((c) => c.createdAt >= 1_000_100 && c.createdAt < 1_001_000)));
    expect(ids(await s.store.events("t", { since: 1_000_100, until: 1_001_000 }))).toEqual(ids(some));
  });

  it("purges rows older than the retention period", async () => {
    const s = await make(makeConfig({ telemetry: { level: "code", salt: "s", retentionDays: 1 } }));
    const now = Date.now();
    await s.recordCompletion(record("old", { createdAt: now - 2 * 86_400_000 }), { tenant: "t" });
    await s.recordCompletion(record("new", { createdAt: now }), { tenant: "t" });
    await s.ingest([{ type: "shown", completion_id: "new" }], { tenant: "t" });
    expect(await s.purge(now)).toBe(1);
    expect((await s.store.completions("t")).map((c) => c.completionId)).toEqual(["new"]);
    expect(await s.purge(now + 2 * 86_400_000)).toBe(2); // the event and the completion
  });

  it("computes metrics per tenant, sliced by model, language and arm, and exports them to Prometheus", async () => {
    const registry = new Registry();
    const s = await make(makeConfig(), { registry });
    const t0 = Date.UTC(2026, 0, 1, 10);
    const recs = [
      record("c1", {
        text: "abcdefghij",
        createdAt: t0,
        usage: usage(50),
        arm: { experiment: "e", arm: "a" },
      }),
      record("c2", {
        text: "abcdefghij",
        createdAt: t0 + 1000,
        usage: usage(100),
        arm: { experiment: "e", arm: "b" },
      }),
      record("c3", {
        text: "abcdefghij",
        createdAt: t0 + 2000,
        usage: usage(150),
        language: "python",
        arm: { experiment: "e", arm: "b" },
      }),
      record("c4", { text: "abcdefghij", createdAt: t0 + 3000, usage: usage(200), language: "python" }),
    ];
    for (const r of recs) await s.recordCompletion(r, { tenant: "t", user: "u" });
    await s.recordCompletion(record("other"), { tenant: "t2" });
    await s.ingest(
      [
        { type: "shown", completion_id: "c1" },
        { type: "accepted", completion_id: "c1", unit: "all" },
        { type: "retention", completion_id: "c1", interval_s: 30, similarity: 1 },
        { type: "retention", completion_id: "c1", interval_s: 300, similarity: 0.2 },
        { type: "shown", completion_id: "c2" },
        { type: "partially_accepted", completion_id: "c2", accepted_chars: 4, unit: "word" },
        { type: "retention", completion_id: "c2", interval_s: 35, similarity: 0.9 },
        { type: "shown", completion_id: "c3" },
        { type: "dismissed", completion_id: "c3" },
        { type: "shown", completion_id: "other" },
      ],
      { tenant: "t", user: "u" },
    );
    const m = await s.metrics({ tenant: "t" });
    expect(m.overall).toMatchObject({
      completions: 4,
      shown: 3,
      accepted: 1,
      partiallyAccepted: 1,
      dismissed: 1,
      shownChars: 30,
      acceptedChars: 14,
    });
    expect(m.overall.acceptanceRate).toBeCloseTo(2 / 3, 10);
    expect(m.overall.charAcceptanceRate).toBeCloseTo(14 / 30, 10);
    expect(m.overall.retention.find((r) => r.intervalS === 30)).toMatchObject({
      n: 2,
      stillPresent: 2,
      rate: 1,
    });
    expect(m.overall.retention.find((r) => r.intervalS === 300)).toMatchObject({
      n: 1,
      stillPresent: 0,
      rate: 0,
    });
    expect(m.overall.latencyMs.p50).toBeCloseTo(125, 10); // type-7 median of 50,100,150,200
    expect(Object.keys(m.byLanguage)).toEqual(["python", "typescript"]);
    expect(m.byLanguage.python!.shown).toBe(1);
    expect(m.byArm["e/b"]).toMatchObject({ completions: 2, shown: 2, partiallyAccepted: 1 });
    expect(m.byModel["ghostline-target@v1"]!.completions).toBe(4);
    expect(m.timeline).toEqual([{ t: t0, shown: 3, accepted: 2, acceptanceRate: 2 / 3 }]);
    // the "shown" for t2's completion was sent under tenant t: it must not leak into t2
    expect((await s.metrics({ tenant: "t2" })).overall).toMatchObject({ completions: 1, shown: 0 });
    await s.ingest([{ type: "shown", completion_id: "other" }], { tenant: "t2" });
    expect((await s.metrics({ tenant: "t2" })).overall).toMatchObject({ completions: 1, shown: 1 });
    expect((await s.metrics({ tenant: "t", arm: "a" })).overall.completions).toBe(1);

    const text = await registry.metrics();
    expect(text).toMatch(
      /ghostline_feedback_events_total\{type="accepted",model="ghostline-target",language="typescript",arm="e\/a"\} 1/,
    );
    expect(text).toMatch(
      /ghostline_feedback_accepted_chars_total\{model="ghostline-target",language="typescript",arm="e\/b"\} 4/,
    );
    expect(text).toMatch(/ghostline_feedback_retention_checks_total\{interval="300",still_present="false"/);
    expect(text).toContain("ghostline_feedback_completion_latency_seconds_bucket");
  });

  it("exports SFT examples in the fine-tune JSONL format, and preference pairs, deduplicated and scrubbed", async () => {
    const s = await make();
    const ctx = { tenant: "t", user: "u" };
    const fim = {
      prefix: "const url = 'postgres://app:hunter2pw@db/x';\nfunction f() {\n  ",
      suffix: "\n}\n",
    };
    await s.recordCompletion(record("a1", { fim, text: "return 1;" }), ctx);
    await s.recordCompletion(record("a2", { fim, text: "return 1;" }), ctx); // duplicate context + middle
    await s.recordCompletion(record("o1", { fim: { prefix: "let x = ", suffix: ";" }, text: "42" }), ctx);
    await s.recordCompletion(record("d1", { fim, text: "throw new Error();" }), ctx);
    await s.recordCompletion(record("gone", { fim: { prefix: "a", suffix: "b" }, text: "zzz" }), ctx);
    await s.ingest(
      [
        { type: "accepted", completion_id: "a1" },
        { type: "accepted", completion_id: "a2" },
        { type: "accepted", completion_id: "o1" },
        { type: "retention", completion_id: "o1", interval_s: 120, similarity: 0.6, kept_text: "43" },
        { type: "dismissed", completion_id: "d1" },
        { type: "accepted", completion_id: "gone" },
        { type: "retention", completion_id: "gone", interval_s: 30, similarity: 0 },
      ],
      ctx,
    );
    const out = join(tempDir(), "ds", "sft.jsonl");
    const r = await s.exportDataset({ out, evalFraction: 0 });
    expect(r.sft).toEqual({ train: 2, eval: 0 });
    const lines = readFileSync(r.files.train, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(["language", "middle", "prefix", "suffix"]);
      for (const v of Object.values(l)) expect(typeof v).toBe("string");
    }
    expect(lines).toContainEqual({
      prefix: "const url = 'postgres://app:[REDACTED:connection_password]@db/x';\nfunction f() {\n  ",
      suffix: "\n}\n",
      middle: "return 1;",
      language: "typescript",
    });
    expect(lines).toContainEqual({ prefix: "let x = ", suffix: ";", middle: "43", language: "typescript" });
    const pairs = readFileSync(r.files.pairsTrain, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(pairs.map((p) => [p.chosen, p.rejected]).sort()).toEqual([
      ["43", "42"],
      ["return 1;", "throw new Error();"],
    ]);
    expect(readFileSync(r.files.eval, "utf8")).toBe("");

    const all = await s.exportDataset({ out, evalFraction: 1 });
    expect(all.sft).toEqual({ train: 0, eval: 2 });
  });
});

describe("salt", () => {
  it("persists a random salt in the data dir when none is configured", async () => {
    const dir = tempDir();
    const cfg = makeConfig({ telemetry: { level: "metrics" } });
    const a = await makeService("sqlite", cfg, { dataDir: dir });
    const h = a.hashUser("t", "u");
    await a.close();
    const b = await makeService("sqlite", cfg, { dataDir: dir });
    expect(b.hashUser("t", "u")).toBe(h);
    await b.close();
    expect(readFileSync(join(dir, "telemetry-salt"), "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    const c = await makeService("sqlite", cfg);
    expect(c.hashUser("t", "u")).not.toBe(h);
    await c.close();
  });
});
