import { describe, expect, it } from "vitest";
import { ContextGate, URGENT_HOLD_MS } from "./context-gate.js";

describe("ContextGate", () => {
  it("holds decode submissions back while a KV edit is pending, then lets them all through", async () => {
    const gate = new ContextGate();
    const order: string[] = [];
    await gate.pass(); // open: resolves at once
    let finishEdit!: () => void;
    const edit = gate.exclusive(
      () =>
        new Promise<void>((r) => {
          order.push("edit starts");
          finishEdit = () => (order.push("edit ends"), r());
        }),
    );
    expect(gate.pendingEdits).toBe(1);
    const a = gate.pass().then(() => order.push("decode a"));
    const b = gate.pass().then(() => order.push("decode b"));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["edit starts"]); // both decodes still held
    finishEdit();
    await Promise.all([edit, a, b]);
    expect(order).toEqual(["edit starts", "edit ends", "decode a", "decode b"]);
    expect(gate.pendingEdits).toBe(0);
  });

  it("keeps the gate closed until overlapping edits are all done, and reopens after a failed edit", async () => {
    const gate = new ContextGate();
    let release1!: () => void;
    const e1 = gate.exclusive(() => new Promise<void>((r) => (release1 = r)));
    const e2 = gate.exclusive(() => Promise.reject(new Error("native failure")));
    let passed = false;
    const p = gate.pass().then(() => (passed = true));
    await expect(e2).rejects.toThrow("native failure");
    await new Promise((r) => setTimeout(r, 5));
    expect(passed).toBe(false); // e1 still pending
    release1();
    await Promise.all([e1, p]);
    expect(passed).toBe(true);
  });

  it("holds continuing passes while a new request is before its first token, not the urgent ones", async () => {
    const gate = new ContextGate();
    const order: string[] = [];
    const end = gate.beginUrgent();
    expect(gate.urgentRequests).toBe(1);
    const continuing = gate.pass().then(() => order.push("continuing"));
    await gate.pass(true).then(() => order.push("urgent"));
    expect(order).toEqual(["urgent"]);
    end();
    end(); // idempotent
    expect(gate.urgentRequests).toBe(0);
    await continuing;
    expect(order).toEqual(["urgent", "continuing"]);
  });

  it("lets a continuing pass through after URGENT_HOLD_MS even while requests stay urgent", async () => {
    const gate = new ContextGate();
    const end = gate.beginUrgent();
    const t0 = performance.now();
    let passed = false;
    const p = gate.pass().then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 1));
    expect(passed).toBe(false);
    await p;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(URGENT_HOLD_MS - 1);
    expect(gate.urgentRequests).toBe(1);
    end();
  });

  it("still holds every pass while a KV edit is pending, urgent or not", async () => {
    const gate = new ContextGate();
    let release!: () => void;
    const edit = gate.exclusive(() => new Promise<void>((r) => (release = r)));
    let urgentPassed = false;
    const p = gate.pass(true).then(() => (urgentPassed = true));
    await new Promise((r) => setTimeout(r, URGENT_HOLD_MS + 5));
    expect(urgentPassed).toBe(false);
    release();
    await Promise.all([edit, p]);
    expect(urgentPassed).toBe(true);
  });
});
