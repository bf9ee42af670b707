/** Keys of the lifecycle (request-keys.ts) and the completion cache's lookups, unit level. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { affinityKeyOf, sha1Key } from "../../src/requests/request-keys.js";
import { CompletionCache } from "../../src/requests/completion-cache.js";
import type { GenerationResult } from "../../src/requests/generation.js";

const result = (text: string) => ({ text, stopReason: "max_tokens" }) as unknown as GenerationResult;

describe("sha1Key", () => {
  it("is SHA-1 in base64url, as createHash gives it", () => {
    for (const s of ["", "abc", "é\u0000ü🙂", "x".repeat(20_000)]) expect(sha1Key(s)).toBe(createHash("sha1").update(s).digest("base64url"));
  });
});

describe("affinityKeyOf", () => {
  const head = "import x from 'y';\n".repeat(40); // > 512 characters
  const tail = "\nexport {};\n".repeat(60);
  const req = (prefix: string, suffix: string, extra: { filepath?: string; tenant?: string; client?: string; documentKey?: string } = {}) => ({
    tenant: extra.tenant ?? "t",
    ...(extra.client ? { client: extra.client } : {}),
    ...(extra.documentKey ? { documentKey: extra.documentKey } : {}),
    fim: { prefix, suffix, ...(extra.filepath ? { filepath: extra.filepath } : {}) },
  });

  it("stays the same while the user types at the cursor, and differs between files, clients and tenants", () => {
    const a = affinityKeyOf(req(`${head}const a`, tail));
    expect(affinityKeyOf(req(`${head}const ab`, tail))).toBe(a);
    expect(affinityKeyOf(req(`${head}const a`, tail, { filepath: "b.ts" }))).not.toBe(a);
    expect(affinityKeyOf(req(`// other file\n${head}const a`, tail))).not.toBe(a);
    expect(affinityKeyOf(req(`${head}const a`, tail, { client: "user:u2" }))).not.toBe(a);
    expect(affinityKeyOf(req(`${head}const a`, tail, { tenant: "t2" }))).not.toBe(a);
    expect(affinityKeyOf(req("x", "y", { documentKey: "file:///a.ts" }))).toBe("t\u0000\u0000file:///a.ts");
  });
});

describe("CompletionCache lookups", () => {
  const q = (prefix: string, o: { tenant?: string; suffix?: string; paramsKey?: string } = {}) => ({ tenant: o.tenant ?? "t1", model: "m", paramsKey: o.paramsKey ?? "p", prefix, suffix: o.suffix ?? ";\n" });

  it("serves an exact prefix, then the rest of the text after typed characters, never across tenants or parameters", () => {
    const cache = new CompletionCache(100);
    cache.put(q("const x = "), result("foo(bar)"));
    expect(cache.get(q("const x = "))?.typed).toBe(0);
    const hit = cache.get(q("const x = fo"));
    expect(hit?.typed).toBe(2);
    expect(hit?.entry.result.text.slice(hit.typed)).toBe("o(bar)");
    expect(cache.get(q("const x = fx"))).toBeUndefined();
    expect(cache.get(q("const x = foo(bar)"))).toBeUndefined(); // nothing left to show
    expect(cache.get(q("const x = ", { tenant: "t2" }))).toBeUndefined();
    expect(cache.get(q("const x = fo", { tenant: "t2" }))).toBeUndefined();
    expect(cache.get(q("const x = ", { paramsKey: "p2" }))).toBeUndefined();
    expect(cache.get(q("const x = ", { suffix: ")\n" }))).toBeUndefined();
  });

  it("evicts the least recently used entry beyond its capacity", () => {
    const cache = new CompletionCache(2);
    cache.put(q("a"), result("1"));
    cache.put(q("b"), result("2"));
    expect(cache.get(q("a"))).toBeDefined(); // a is now the most recent
    cache.put(q("c"), result("3"));
    expect(cache.get(q("b"))).toBeUndefined();
    expect(cache.get(q("a"))?.entry.result.text).toBe("1");
    expect(cache.size).toBe(2);
  });
});
