/**
 * createFeedbackService: the FeedbackService (types.ts) over a SQLite or Postgres store, plus
 * metrics, experiment reports, erase-user, retention purge and dataset export.
 *
 * Why this shape: every write goes through `level()` first (server-side privacy enforcement:
 * "off" returns before anything touches the store) and through `scrub()` for any text; user ids
 * are replaced by salted HMACs before a row is built. `ingest` awaits the store's durable commit
 * before resolving, which is when the edge acknowledges. A purge timer (unref'd) applies the
 * retention period.
 */
import { randomUUID } from "node:crypto";
import type { FeedbackEvent } from "@ghostline/protocol";
import type { Registry } from "prom-client";
import type { Config } from "../config/schema.js";
import { GhostlineError } from "../core/errors.js";
import { assignExperiment, type ArmAssignment } from "../experiments/assign.js";
import { experimentReport, type ExperimentReport, type ReportOptions } from "../experiments/report.js";
import { exportDataset, type DatasetExportOptions, type DatasetExportResult } from "./dataset.js";
import { buildReport, outcomes, type MetricsReport } from "./metrics.js";
import { openPostgresStore } from "./postgres-store.js";
import { effectiveLevel, loadSalt, serverLevel, userHasher } from "./privacy.js";
import { FeedbackProm } from "./prom.js";
import {
  SCHEMA_VERSION,
  parseWireEvents,
  toStoredPayload,
  type StoredCompletion,
  type StoredEvent,
} from "./schemas.js";
import { scrub } from "./scrub.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { CompletionQuery, FeedbackStore } from "./store.js";
import type { CompletionRecordInput, FeedbackContext, FeedbackService, TelemetryLevel } from "./types.js";

/** Options of createFeedbackService. */
export interface FeedbackServiceOptions {
  config: Config;
  dataDir: string;
  /** Default config.feedback.store. */
  store?: "sqlite" | "postgres";
  /** Default config.feedback.postgresUrl. */
  postgresUrl?: string;
  /** Postgres schema (default "ghostline"); tests use one per run. */
  postgresSchema?: string;
  registry?: Registry;
  /**
   * Group commit of completion records: records arriving within this many ms share one transaction
   * (default 25; 0 = only those arriving in the same tick). `recordCompletion` resolves after it.
   */
  completionFlushMs?: number;
  /** Purge interval in ms (default 1 h; 0 disables the timer). */
  purgeIntervalMs?: number;
  /** Environment for GHOSTLINE_TELEMETRY (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Filter of a metrics query (tenant required; times epoch ms). */
export interface MetricsFilter extends Omit<CompletionQuery, "completionIds" | "withCode"> {
  tenant: string;
  bucketMs?: number;
}

/** The full service. */
export interface FeedbackServiceImpl extends FeedbackService {
  readonly store: FeedbackStore;
  /** The server default level (config or GHOSTLINE_TELEMETRY). */
  readonly serverLevel: TelemetryLevel;
  /** Effective level for a context. */
  level(ctx: FeedbackContext): TelemetryLevel;
  /** Salted hash of a user id (null without user). */
  hashUser(tenant: string, user: string | undefined): string | null;
  /** Sticky experiment arm for the context's user (undefined without user or experiments). */
  assign(ctx: FeedbackContext): ArmAssignment | undefined;
  metrics(filter: MetricsFilter): Promise<MetricsReport>;
  experimentReport(tenant: string, experiment: string, opts?: ReportOptions): Promise<ExperimentReport>;
  /** Erases every row of the user in the tenant; returns rows removed. */
  eraseUser(tenant: string, user: string): Promise<number>;
  /** Deletes rows older than the retention period; returns rows removed. */
  purge(now?: number): Promise<number>;
  exportDataset(opts: DatasetExportOptions): Promise<DatasetExportResult>;
}

/** Creates the feedback service (opens / migrates the store). */
export async function createFeedbackService(opts: FeedbackServiceOptions): Promise<FeedbackServiceImpl> {
  const { config } = opts;
  const kind = opts.store ?? config.feedback.store;
  let store: FeedbackStore;
  if (kind === "postgres") {
    const url = opts.postgresUrl ?? config.feedback.postgresUrl;
    if (!url)
      throw new GhostlineError(
        "config_invalid",
        "feedback.store is postgres but no postgresUrl is configured",
      );
    store = await openPostgresStore({ url, schema: opts.postgresSchema });
  } else store = openSqliteStore(opts.dataDir);

  const hash = userHasher(loadSalt(config, opts.dataDir));
  const server = serverLevel(config, opts.env);
  const prom = opts.registry ? new FeedbackProm(opts.registry) : undefined;
  const retentionMs = config.telemetry.retentionDays * 86_400_000;
  const level = (ctx: FeedbackContext): TelemetryLevel => effectiveLevel(config, ctx, server);
  const clean = (s: string): string => scrub(s, { ips: config.telemetry.scrubIps });

  const purge = (now = Date.now()): Promise<number> => store.purge(now - retentionMs);

  // Group commit: one fsync per flush instead of one per completion (each costs ~2 ms of blocked
  // event loop with better-sqlite3). Callers awaiting recordCompletion resume after the commit.
  const flushMs = opts.completionFlushMs ?? 25;
  let pending: { row: StoredCompletion; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const flush = async (): Promise<void> => {
    if (flushTimer !== undefined) {
      if (flushMs > 0) clearTimeout(flushTimer as NodeJS.Timeout);
      else clearImmediate(flushTimer as NodeJS.Immediate);
      flushTimer = undefined;
    }
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      await store.insertCompletions(batch.map((b) => b.row));
      for (const b of batch) prom?.completion(b.row);
      for (const b of batch) b.resolve();
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  };
  const enqueue = (row: StoredCompletion): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      pending.push({ row, resolve, reject });
      if (pending.length >= 256) void flush();
      else if (flushTimer === undefined)
        flushTimer = flushMs > 0 ? setTimeout(() => void flush(), flushMs) : setImmediate(() => void flush());
    });
  let timer: NodeJS.Timeout | undefined;
  const intervalMs = opts.purgeIntervalMs ?? 3_600_000;
  if (intervalMs > 0) {
    timer = setInterval(() => void purge().catch(() => {}), intervalMs);
    timer.unref();
    void purge().catch(() => {});
  }

  const service: FeedbackServiceImpl = {
    store,
    serverLevel: server,
    level,
    hashUser: hash,
    assign: (ctx) => assignExperiment(config, hash(ctx.tenant, ctx.user) ?? undefined),

    async recordCompletion(r: CompletionRecordInput, ctx: FeedbackContext): Promise<void> {
      const lv = level(ctx);
      if (lv === "off") return;
      const code = lv === "code";
      const u = r.usage;
      const row: StoredCompletion = {
        v: SCHEMA_VERSION,
        completionId: r.completionId,
        tenant: ctx.tenant,
        userHash: hash(ctx.tenant, ctx.user),
        level: lv,
        createdAt: r.createdAt,
        model: r.model,
        modelVersion: r.modelVersion,
        language: r.language ?? r.fim?.language ?? null,
        source: r.source,
        experiment: r.arm?.experiment ?? null,
        arm: r.arm?.arm ?? null,
        stopReason: r.stopReason,
        textChars: r.text.length,
        latencyMs: u.timings.totalMs,
        firstTokenMs: u.timings.firstTokenMs,
        promptTokens: u.promptTokens,
        completionTokens: u.completionTokens,
        speculative: u.speculative
          ? {
              targetPasses: u.speculative.targetPasses,
              tokensPerPass: u.speculative.tokensPerPass,
              proposed: { ...u.speculative.proposed },
              accepted: { ...u.speculative.accepted },
            }
          : null,
        text: code ? clean(r.text) : null,
        fim:
          code && r.fim
            ? {
                prefix: clean(r.fim.prefix),
                suffix: clean(r.fim.suffix),
                ...(r.fim.filepath ? { filepath: clean(r.fim.filepath) } : {}),
              }
            : null,
      };
      await enqueue(row);
    },

    async ingest(events: FeedbackEvent[], ctx: FeedbackContext): Promise<{ accepted: number }> {
      const valid = parseWireEvents(events);
      const lv = level(ctx);
      if (lv === "off" || valid.length === 0) return { accepted: valid.length };
      await flush(); // completion rows first, so joins and labels see them
      const now = Date.now();
      const userHash = hash(ctx.tenant, ctx.user);
      const rows: StoredEvent[] = valid.map((e) => ({
        id: randomUUID(),
        v: SCHEMA_VERSION,
        tenant: ctx.tenant,
        userHash,
        completionId: e.completion_id,
        type: e.type,
        receivedAt: now,
        clientTs: e.ts ?? null,
        payload: toStoredPayload(e, lv === "code", clean),
      }));
      await store.insertEvents(rows);
      if (prom) {
        const ids = [...new Set(rows.map((r) => r.completionId))];
        const cs = await store.completions(ctx.tenant, { completionIds: ids, omitCode: true }).catch(() => []);
        prom.stored(rows, new Map(cs.map((c) => [c.completionId, c])));
      }
      return { accepted: valid.length };
    },

    async metrics(f: MetricsFilter): Promise<MetricsReport> {
      await flush();
      const { tenant, bucketMs, ...q } = f;
      const [cs, es] = await Promise.all([store.completions(tenant, { ...q, omitCode: true }), store.events(tenant, q)]);
      return buildReport(tenant, outcomes(cs, es), {
        from: q.since,
        to: q.until,
        bucketMs,
        experiments: config.experiments.map((e) => e.id),
      });
    },

    async experimentReport(tenant, experiment, ropts = {}) {
      await flush();
      const exp = config.experiments.find((e) => e.id === experiment);
      return experimentReport(store, tenant, experiment, { arms: exp?.arms.map((a) => a.name), ...ropts });
    },

    async eraseUser(tenant: string, user: string): Promise<number> {
      await flush(); // pending rows of this user must go too
      const h = hash(tenant, user);
      return h ? store.deleteUser(tenant, h) : 0;
    },

    purge: async (now?: number) => {
      await flush();
      return purge(now);
    },
    exportDataset: async (o) => {
      await flush();
      return exportDataset(store, o);
    },

    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      await flush();
      await store.close();
    },
  };
  return service;
}
