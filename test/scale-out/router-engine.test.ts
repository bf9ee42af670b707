import { describe, expect, it } from "vitest";
import { isGhostlineError } from "../../src/core/errors.js";
import { createRouterEngine } from "../../src/engines/router/index.js";
import { HashRing } from "../../src/engines/router/hash-ring.js";
import { fakeReplica } from "./fake-replica.js";
import { drain, engineRequest } from "./request-factory.js";
import { startFakeVllm } from "./vllm-fake-server.js";

const req = (doc: string, tenant = "t1") => engineRequest({ tenant, affinityKey: `${tenant}:${doc}` });

describe("HashRing", () => {
  it("walks every member once, stably", () => {
    const ring = new HashRing(["a", "b", "c"]);
    const w = ring.walk("doc-1");
    expect([...w].sort()).toEqual([0, 1, 2]);
    expect(new HashRing(["a", "b", "c"]).walk("doc-1")).toEqual(w);
  });
  it("adding a member moves only a fraction of the keys", () => {
    const keys = Array.from({ length: 2_000 }, (_, i) => `k${i}`);
    const three = new HashRing(["a", "b", "c"]);
    const four = new HashRing(["a", "b", "c", "d"]);
    const moved = keys.filter((k) => three.walk(k)[0] !== four.walk(k)[0]).length;
    expect(moved / keys.length).toBeLessThan(0.4);
    expect(moved).toBeGreaterThan(0);
    const share = keys.filter((k) => four.walk(k)[0] === 3).length / keys.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.4);
  });
});

describe("router engine", () => {
  it("a document keeps hitting the same replica; documents spread out", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b"), fakeReplica("c")];
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    const homes = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let d = 0; d < 30; d++) {
        const { done } = await drain(router.complete(req(`doc${d}`), {}));
        if (round === 0) homes.set(`doc${d}`, done.text);
        else expect(done.text).toBe(homes.get(`doc${d}`));
      }
    }
    expect(new Set(homes.values()).size).toBe(3);
    await router.close();
  });

  it("the same document of another tenant may land elsewhere (key includes the tenant)", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b"), fakeReplica("c")];
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    const placements = new Set<string>();
    for (let t = 0; t < 20; t++) placements.add((await drain(router.complete(req("same-doc", `tenant${t}`), {}))).done.text);
    expect(placements.size).toBeGreaterThan(1);
  });

  it("fails over before streaming and marks the replica unhealthy until a health check passes", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b")];
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    const home = (await drain(router.complete(req("doc"), {}))).done.text;
    const homeRep = reps.find((r) => r.name === home)!;
    const other = reps.find((r) => r.name !== home)!;
    homeRep.failWith = "upstream_unavailable";
    expect((await drain(router.complete(req("doc"), {}))).done.text).toBe(other.name);
    expect(router.replicas().find((s) => s.id.endsWith(homeRep.info.id))!.healthy).toBe(false);
    homeRep.failWith = null;
    expect((await drain(router.complete(req("doc"), {}))).done.text).toBe(other.name); // still avoided
    await router.health();
    expect((await drain(router.complete(req("doc"), {}))).done.text).toBe(home); // back home
  });

  it("does not fail over after a delta, nor on non-retryable errors", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b")];
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    reps.forEach((r) => (r.failMidStream = true));
    await expect(drain(router.complete(req("doc"), {}))).rejects.toSatisfy((e) => isGhostlineError(e, "engine_error"));
    expect(reps[0]!.calls.length + reps[1]!.calls.length).toBe(1);
    reps.forEach((r) => ((r.failMidStream = false), (r.failWith = "invalid_request")));
    await expect(drain(router.complete(req("doc"), {}))).rejects.toSatisfy((e) => isGhostlineError(e, "invalid_request"));
    expect(reps[0]!.calls.length + reps[1]!.calls.length).toBe(2);
  });

  it("all replicas down → the last error", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b")];
    reps.forEach((r) => (r.failWith = "upstream_timeout"));
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    await expect(drain(router.complete(req("doc"), {}))).rejects.toSatisfy((e) => isGhostlineError(e, "upstream_timeout"));
    expect(reps.every((r) => r.calls.length === 1)).toBe(true);
  });

  it("bounded load: a hot replica's overflow goes to the next one on the ring", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b"), fakeReplica("c")];
    reps.forEach((r) => (r.hold = true));
    const router = createRouterEngine(reps, { healthIntervalMs: 0, loadFactor: 1 });
    const runs = Array.from({ length: 6 }, () => drain(router.complete(req("hot-doc"), {})));
    await new Promise((r) => setTimeout(r, 10));
    const counts = router.replicas().map((s) => s.inFlight);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    reps.forEach((r) => ((r.hold = false), r.release()));
    await Promise.all(runs);
    expect(router.replicas().every((s) => s.inFlight === 0)).toBe(true);
  });

  it("draining: no new requests; resolves when in-flight ones finish", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b")];
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    const home = (await drain(router.complete(req("doc"), {}))).done.text;
    const idx = reps.findIndex((r) => r.name === home);
    reps[idx]!.hold = true;
    const inFlight = drain(router.complete(req("doc"), {}));
    await new Promise((r) => setTimeout(r, 5));
    let drained = false;
    const d = router.drain(idx).then(() => (drained = true));
    expect((await drain(router.complete(req("doc"), {}))).done.text).not.toBe(home);
    expect(drained).toBe(false);
    reps[idx]!.hold = false;
    reps[idx]!.release();
    expect((await inFlight).done.text).toBe(home);
    await d;
    expect(drained).toBe(true);
    router.undrain(idx);
    expect((await drain(router.complete(req("doc"), {}))).done.text).toBe(home);
  });

  it("health: ok while one replica is healthy, upstream_unavailable when none", async () => {
    const reps = [fakeReplica("a"), fakeReplica("b")];
    const router = createRouterEngine(reps, { healthIntervalMs: 0 });
    reps[0]!.healthy = false;
    expect((await router.health()).ok).toBe(true);
    reps[1]!.healthy = false;
    await expect(router.health()).rejects.toSatisfy((e) => isGhostlineError(e, "upstream_unavailable"));
  });

  it("URL replicas become openai-compat engines (e.g. another Ghostline or vLLM)", async () => {
    const f = await startFakeVllm("ghostline-target", { pieces: ["x = 1"], finishReason: "stop" });
    try {
      const router = createRouterEngine([{ url: f.url }], { healthIntervalMs: 0, remote: { family: "auto", timeoutMs: 2_000 } });
      const { done } = await drain(router.complete(req("doc"), {}));
      expect(done.text).toBe("x = 1");
      expect(router.info.kind).toBe("router");
      await router.close();
    } finally {
      await f.close();
    }
  });
});
