/** Shared fixtures of the feedback tests: configs, completion records, service factories per backend. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { ConfigSchema, type Config } from "../../src/config/schema.js";
import type { Usage } from "../../src/core/types.js";
import { createFeedbackService, type FeedbackServiceImpl } from "../../src/feedback/service.js";
import type { CompletionRecordInput } from "../../src/feedback/types.js";

export const PG_URL = process.env.GHOSTLINE_TEST_PG_URL;

/** Backends the store suite runs on (Postgres only when GHOSTLINE_TEST_PG_URL is set). */
export const BACKENDS: ("sqlite" | "postgres")[] = PG_URL ? ["sqlite", "postgres"] : ["sqlite"];

export function makeConfig(over: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({ telemetry: { level: "code", salt: "test-salt" }, ...over });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "ghostline-fb-"));
}

let schemaSeq = 0;
/** A service on a fresh data dir (SQLite) or a fresh schema (Postgres). */
export async function makeService(
  backend: "sqlite" | "postgres",
  config: Config = makeConfig(),
  extra: { registry?: Registry; dataDir?: string } = {},
): Promise<FeedbackServiceImpl> {
  return createFeedbackService({
    config,
    dataDir: extra.dataDir ?? tempDir(),
    store: backend,
    postgresUrl: PG_URL,
    postgresSchema: `t_${process.pid}_${Date.now() % 1e7}_${schemaSeq++}`,
    registry: extra.registry,
    purgeIntervalMs: 0,
    env: {},
  });
}

export function usage(totalMs: number): Usage {
  return {
    promptTokens: 100,
    promptTokensReused: 0,
    promptTokensEvaluated: 100,
    completionTokens: 10,
    timings: {
      queueMs: 0,
      prefillMs: totalMs / 2,
      firstTokenMs: totalMs / 2,
      decodeMs: totalMs / 2,
      totalMs,
    },
    speculative: {
      targetPasses: 4,
      proposed: { ngram: 8 },
      accepted: { ngram: 6 },
      proposedByPosition: [4, 4],
      acceptedByPosition: [3, 3],
      tokensPerPass: 2.5,
    },
    truncated: false,
  };
}

export function record(id: string, over: Partial<CompletionRecordInput> = {}): CompletionRecordInput {
  return {
    completionId: id,
    model: "ghostline-target",
    modelVersion: "v1",
    language: "typescript",
    source: "http",
    text: "return a + b;",
    stopReason: "eos",
    usage: usage(100),
    fim: { prefix: "function add(a: number, b: number) {\n  ", suffix: "\n}\n", language: "typescript" },
    createdAt: Date.now(),
    ...over,
  };
}
