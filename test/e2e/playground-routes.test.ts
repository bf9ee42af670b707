import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { registerPlaygroundRoutes } from "../../src/server/routes/playground-routes.js";

describe("playground routes", () => {
  it("serves the page, the bundled client and Monaco's files without a CDN", async () => {
    const app = Fastify();
    await registerPlaygroundRoutes(app, {});
    const page = await app.inject({ method: "GET", url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("/playground/monaco/vs/loader.js");
    expect(page.body).not.toMatch(/https?:\/\//);
    const loader = await app.inject({ method: "GET", url: "/playground/monaco/vs/loader.js" });
    expect(loader.statusCode).toBe(200);
    expect(loader.headers["content-type"]).toContain("javascript");
    const css = await app.inject({ method: "GET", url: "/playground/monaco/vs/editor/editor.main.css" });
    expect(css.headers["content-type"]).toContain("text/css");
    const js = await app.inject({ method: "GET", url: "/playground/app.js" });
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain("/v1/stream");
    await app.close();
  });

  it("refuses paths outside monaco's directory", async () => {
    const app = Fastify();
    await registerPlaygroundRoutes(app, {});
    for (const url of ["/playground/monaco/vs/../../package.json", "/playground/monaco/vs/%2e%2e/%2e%2e/package.json", "/playground/monaco/other/x.js", "/playground/monaco/vs/nope.js"]) {
      expect((await app.inject({ method: "GET", url })).statusCode, url).toBe(404);
    }
    await app.close();
  });
});
