import { describe, expect, it } from "vitest";
import { createHealStrip } from "./token-healing.js";

describe("createHealStrip (token healing)", () => {
  it("cuts the healed text from the start of the stream, across pieces", () => {
    const strip = createHealStrip("re");
    expect(["request", ".limit"].map(strip)).toEqual(["quest", ".limit"]);
    const split = createHealStrip("abc");
    expect(["a", "", "bcd", "ef"].map(split)).toEqual(["", "", "d", "ef"]);
    const exact = createHealStrip("foo");
    expect(["foo", "(x)"].map(exact)).toEqual(["", "(x)"]);
  });

  it("passes a piece through when it does not continue the healed text (never under the constraint)", () => {
    const strip = createHealStrip("xy");
    expect(["ab", "xy"].map(strip)).toEqual(["ab", "xy"]);
  });
});
