import { describe, expect, it } from "vitest";
import { ContextGate } from "./context-gate.js";

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
});
