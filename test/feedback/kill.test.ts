/**
 * Durability: SIGKILL a child process in the middle of ingestion, reopen the store, and check that
 * every event the child acknowledged ("ack" printed after `ingest` resolved) is stored.
 * The child runs as `node --import tsx` (one process, so SIGKILL hits the writer itself rather than
 * an `npx` wrapper).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BACKENDS, makeConfig, tempDir } from "./helpers.js";
import { createFeedbackService } from "../../src/feedback/service.js";

const CHILD = fileURLToPath(new URL("./fixtures/ingest-child.ts", import.meta.url));

describe.each(BACKENDS)("kill -9 during ingestion (%s)", (backend) => {
  it("loses no acknowledged event", async () => {
    const dataDir = tempDir();
    const schema = `kill_${process.pid}_${Date.now() % 1e7}`;
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, backend, dataDir, schema], {
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env,
    });
    const acked: string[] = [];
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let buf = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /^ack (\d+) (.*)$/.exec(line);
          if (m) acked.push(...m[2]!.split(","));
          if (m && Number(m[1]) >= 20) {
            child.kill("SIGKILL"); // mid-way: the child is already inside the next ingest call
            resolve();
          }
        }
      });
      child.on("exit", () => resolve());
      setTimeout(() => reject(new Error(`child did not ack in time: ${stderr}`)), 50_000).unref();
    });
    expect(await exited).toBe("SIGKILL");
    expect(acked.length).toBeGreaterThanOrEqual(21 * 50);

    const svc = await createFeedbackService({
      config: makeConfig(),
      dataDir,
      store: backend,
      postgresUrl: process.env.GHOSTLINE_TEST_PG_URL,
      postgresSchema: schema,
      purgeIntervalMs: 0,
      env: {},
    });
    try {
      // acked batches plus the ones the child may have been committing when it died
      const lastBatch = acked.length / 50 - 1;
      const candidates = Array.from(
        { length: (lastBatch + 6) * 50 },
        (_, i) => `b${Math.floor(i / 50)}-e${i % 50}`,
      );
      const stored = new Set(
        (await svc.store.eventsByCompletion("kill", candidates)).map((e) => e.completionId),
      );
      const missing = acked.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      // whole batches only: an interrupted batch is either fully committed or absent
      expect(stored.size % 50).toBe(0);
    } finally {
      await svc.close();
    }
  });
});
