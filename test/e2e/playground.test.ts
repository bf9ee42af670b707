/**
 * End-to-end: the playground page in headless Debian Chromium (playwright-core) against the app
 * served in-process with the fake engine. Types, waits for ghost text, accepts with Tab, then
 * accepts the next word with Ctrl+Right, and saves a screenshot to docs/img/playground.png.
 */
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "./start-app.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe.skipIf(!existsSync(CHROMIUM))("playground e2e (headless Chromium)", () => {
  let app: RunningApp;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    app = await startApp();
    profile = mkdtempSync(path.join(tmpdir(), "ghostline-chromium-"));
    // a fresh --user-data-dir per run (playwright passes it for persistent contexts)
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 720 } });
    page = browser.pages()[0] ?? (await browser.newPage());
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const editorText = () => page.evaluate(() => (window as any).__ghostline.editor.getValue() as string);
  const ghostText = () => page.evaluate(() => ((window as any).__ghostline.session.ghost.current()?.text ?? "") as string);

  it("shows ghost text while typing, Tab accepts it, Ctrl+Right accepts a word, feedback flows", async () => {
    await page.goto(app.url);
    await page.waitForFunction(() => (window as any).__ghostline?.client.isConnected === true, undefined, { timeout: 30_000 });
    await page.click(".monaco-editor .view-lines");
    await page.evaluate(() => {
      const g = (window as any).__ghostline;
      const m = g.editor.getModel();
      g.editor.setPosition(m.getPositionAt(m.getValue().length));
      g.editor.focus();
    });
    await page.keyboard.type("const x", { delay: 40 });
    await page.waitForSelector(".ghost-text-decoration, .ghost-text", { timeout: 30_000 });
    await page.waitForFunction(() => (window as any).__ghostline.session.ghost.status === "shown", undefined, { timeout: 30_000 });
    const suggestion = await ghostText();
    expect(suggestion.length).toBeGreaterThan(0);
    const shown = await page.locator(".ghost-text-decoration, .ghost-text").first().textContent();
    expect(suggestion.replace(/\s+/g, " ")).toContain((shown ?? "").replace(/\s+/g, " ").trim().slice(0, 3));
    await page.waitForTimeout(400); // let it count as shown (shownThresholdMs)
    const before = await editorText();
    await page.keyboard.press("Tab");
    const after = await editorText();
    expect(after).toContain("const x" + suggestion);
    expect(after.length).toBe(before.length + suggestion.length);

    // next suggestion: accept one word with Ctrl+Right
    await page.keyboard.type("\n", { delay: 20 });
    await page.waitForFunction(() => (window as any).__ghostline.session.ghost.status === "shown", undefined, { timeout: 30_000 });
    const second = await ghostText();
    const len0 = (await editorText()).length;
    await page.keyboard.press("Control+ArrowRight");
    const len1 = (await editorText()).length;
    expect(len1).toBeGreaterThan(len0);
    const cur = await page.evaluate(() => { const g = (window as any).__ghostline; return g.editor.getModel().getOffsetAt(g.editor.getPosition()) as number; });
    const inserted = (await editorText()).slice(cur - (len1 - len0), cur);
    expect(second.startsWith(inserted), JSON.stringify({ second, inserted })).toBe(true);
    expect(await ghostText()).toBe(second.slice(len1 - len0));

    await page.waitForSelector(".ghost-text-decoration, .ghost-text", { timeout: 10_000 });
    mkdirSync("docs/img", { recursive: true });
    await page.screenshot({ path: "docs/img/playground.png" });

    await page.waitForFunction(() => (window as any).__ghostline.client.feedback.pending === 0 && (window as any).__ghostline.events.length >= 2, undefined, { timeout: 10_000 });
    const types = await page.evaluate(() => (window as any).__ghostline.events.map((e: { type: string }) => e.type) as string[]);
    expect(types).toContain("accepted");
    expect(types).toContain("partially_accepted");
    expect(types).toContain("shown");
  });
});
