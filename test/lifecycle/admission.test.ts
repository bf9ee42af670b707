import { describe, expect, it } from "vitest";
import { Admission } from "../../src/scheduler/admission.js";
import { isGhostlineError } from "../../src/core/errors.js";

function tryAdmit(a: Admission, tenant: string, optional = false) {
  try {
    return a.admit(tenant, { optional });
  } catch (e) {
    if (isGhostlineError(e, "overloaded")) return undefined;
    throw e;
  }
}

describe("admission", () => {
  it("admits sequences + queueLimit, then sheds; release frees a slot", () => {
    const a = new Admission({ sequences: 2, queueLimit: 2 });
    const held = [0, 1, 2, 3].map(() => tryAdmit(a, "t"));
    expect(held.every(Boolean)).toBe(true);
    expect(a.stats()).toMatchObject({ active: 4, queued: 2 });
    expect(tryAdmit(a, "t")).toBeUndefined();
    held[0]!.release();
    held[0]!.release();
    expect(a.stats().active).toBe(3);
    expect(tryAdmit(a, "t")).toBeDefined();
    expect(a.stats().shed).toBe(1);
  });

  it("a tenant cannot take more than its fair share once requests wait", () => {
    const a = new Admission({ sequences: 2, queueLimit: 6 });
    expect(tryAdmit(a, "quiet")).toBeDefined();
    let noisy = 0;
    while (tryAdmit(a, "noisy")) noisy++;
    expect(noisy).toBe(4); // ceil(8 / 2 tenants)
    expect(tryAdmit(a, "quiet")).toBeDefined();
  });

  it("optional (prefetch) admissions only take idle sequences", () => {
    const a = new Admission({ sequences: 1, queueLimit: 4 });
    expect(tryAdmit(a, "t", true)).toBeDefined();
    expect(tryAdmit(a, "t", true)).toBeUndefined();
    expect(a.stats().shed).toBe(0);
  });

  it("priorities increase with arrival", () => {
    const a = new Admission({ sequences: 4, queueLimit: 0 });
    const p1 = a.admit("t").priority;
    const p2 = a.admit("t").priority;
    expect(p2).toBeGreaterThan(p1);
  });
});
