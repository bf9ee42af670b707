import { describe, expect, it } from "vitest";
import { SequencePool } from "./sequence-pool.js";

const req = (tenant: string, affinityKey: string, prefixes: number[] = [], priority?: number) => ({
  tenant,
  affinityKey,
  sharedPrefix: (i: number) => prefixes[i] ?? 0,
  ...(priority !== undefined ? { priority } : {}),
});

describe("SequencePool", () => {
  it("prefers the slot that last served the same affinity key", async () => {
    const pool = new SequencePool(3);
    const a = (await pool.acquire(req("t", "doc1")))!;
    const b = (await pool.acquire(req("t", "doc2")))!;
    a.release();
    b.release();
    const again = (await pool.acquire(req("t", "doc2")))!;
    expect(again.index).toBe(b.index);
    expect(again.mustClear).toBe(false);
  });

  it("otherwise picks the same-tenant slot with the longest shared prefix", async () => {
    const pool = new SequencePool(3);
    const leases = [
      (await pool.acquire(req("t", "a")))!,
      (await pool.acquire(req("t", "b")))!,
      (await pool.acquire(req("t", "c")))!,
    ];
    leases.forEach((l) => l.release());
    const l = (await pool.acquire(req("t", "new", [3, 50, 10])))!;
    expect(l.index).toBe(1);
  });

  it("never reuses another tenant's slot without clearing it", async () => {
    const pool = new SequencePool(1);
    const a = (await pool.acquire(req("t1", "x")))!;
    expect(a.mustClear).toBe(true); // fresh slot: nothing to reuse
    a.release();
    const b = (await pool.acquire(req("t2", "x", [100])))!;
    expect(b.mustClear).toBe(true);
    b.release();
    const c = (await pool.acquire(req("t2", "x")))!;
    expect(c.mustClear).toBe(false);
    c.invalidate();
    c.release();
    expect((await pool.acquire(req("t2", "x")))!.mustClear).toBe(true);
  });

  it("queues by priority then arrival, and drops aborted waiters", async () => {
    const pool = new SequencePool(1);
    const first = (await pool.acquire(req("t", "a")))!;
    const order: string[] = [];
    const ac = new AbortController();
    const low = pool.acquire(req("t", "low", [], 0)).then((l) => (order.push("low"), l));
    const cancelled = pool.acquire(req("t", "gone", [], 9), { signal: ac.signal });
    const high = pool.acquire(req("t", "high", [], 5)).then((l) => (order.push("high"), l));
    ac.abort();
    expect(await cancelled).toBeNull();
    expect(pool.stats().queued).toBe(2);
    first.release();
    (await high)!.release();
    (await low)!.release();
    expect(order).toEqual(["high", "low"]);
    expect(pool.stats()).toEqual({ busy: 0, free: 1, queued: 0 });
  });

  it("waits for the document's own draining slot instead of evicting another document", async () => {
    const pool = new SequencePool(3, 1000, 25);
    const a = (await pool.acquire(req("t", "docA")))!;
    const b = (await pool.acquire(req("t", "docB")))!;
    b.release(); // docB's KV state sits in a free slot; one slot was never used
    a.drain(); // docA's request was cancelled by the next keystroke
    let got: number | undefined;
    // slot 0 holds 300 tokens of docA's prompt, slot 1 docB's (2 shared: BOS + a FIM token)
    const next = pool.acquire(req("t", "docA", [300, 2, 0])).then((l) => ((got = l!.index), l!));
    await new Promise((r) => setTimeout(r, 60)); // past busyWaitMs: still waiting, the slot drains
    expect(got).toBeUndefined();
    a.release();
    const lease = await next;
    expect(lease.index).toBe(a.index);
    expect(lease.mustClear).toBe(false);
  });

  it("with every slot busy, the slot released first goes to the request whose state it holds", async () => {
    const pool = new SequencePool(2, 1000, 25);
    const a = (await pool.acquire(req("t", "docA")))!;
    const b = (await pool.acquire(req("t", "docB")))!;
    a.drain(); // both documents' previous requests were superseded by new keystrokes
    b.drain();
    const gotA = pool.acquire(req("t", "docA", [300, 2]));
    const gotB = pool.acquire(req("t", "docB", [2, 300]));
    b.release(); // docB's slot drains first: docA (queued first) must not take it and evict docB
    a.release();
    const [leaseA, leaseB] = [(await gotA)!, (await gotB)!];
    expect([leaseA.index, leaseB.index]).toEqual([a.index, b.index]);
    expect([leaseA.mustClear, leaseB.mustClear]).toEqual([false, false]);
  });

  it("takes another slot after busyWaitMs when the same key's slot is busy and not draining", async () => {
    const pool = new SequencePool(2, 1000, 10);
    const a = (await pool.acquire(req("t", "docA")))!;
    const t0 = Date.now();
    const second = (await pool.acquire(req("t", "docA", [300, 0])))!; // e.g. a parallel n>1 request
    expect(second.index).not.toBe(a.index);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(9);
  });

  it("bounds the wait for a draining slot by affinityWaitMs", async () => {
    const pool = new SequencePool(2, 40, 10);
    const a = (await pool.acquire(req("t", "docA")))!;
    a.drain(); // ...but never releases (a stuck engine call)
    const other = (await pool.acquire(req("t", "docA", [300, 0])))!;
    expect(other.index).not.toBe(a.index);
    expect(pool.stats()).toEqual({ busy: 2, free: 0, queued: 0 });
  });

  it("a parallel sibling (n > 1) never waits for the slot a sibling holds", async () => {
    const pool = new SequencePool(2, 1000, 80);
    const first = (await pool.acquire(req("t", "doc", [0, 0])))!;
    const prefixes = [0, 0];
    prefixes[first.index] = 300;
    const t0 = Date.now();
    const sibling = (await pool.acquire({ ...req("t", "doc", prefixes), parallel: true }))!;
    expect(sibling.index).not.toBe(first.index);
    expect(Date.now() - t0).toBeLessThan(40);
  });

  it("places by content: one key with two different prompts does not make them evict each other", async () => {
    const pool = new SequencePool(3);
    const r1 = (await pool.acquire(req("t", "file.ts")))!; // region 1 of a file
    const r2 = (await pool.acquire(req("t", "file.ts")))!; // region 2, same key (e.g. no document id)
    r1.release();
    r2.release();
    // region 2's next keystroke: slot r2 holds 250 tokens of its prompt, slot r1 only the shared start
    const prefixes = [0, 0, 0];
    prefixes[r1.index] = 20;
    prefixes[r2.index] = 250;
    const next = (await pool.acquire(req("t", "file.ts", prefixes)))!;
    expect(next.index).toBe(r2.index);
    next.release();
    // a prompt sharing nothing useful with any slot takes the unused one, not another document's
    const fresh = (await pool.acquire(req("t", "other.ts", [2, 2, 0])))!;
    expect(fresh.index).not.toBe(r1.index);
    expect(fresh.index).not.toBe(r2.index);
  });
});
