/**
 * The storage interface of the feedback loop, implemented by SQLite (sqlite-store.ts) and Postgres
 * (postgres-store.ts). Both pass the same test suite. Every row carries its tenant and every query
 * takes one: no call reads across tenants except `tenants()` and the retention `purge`.
 *
 * Concurrency contract: calls may overlap; `insertEvents` / `insertCompletions` resolve only after
 * the rows are durably committed (one transaction per call).
 */
import type { StoredCompletion, StoredEvent } from "./schemas.js";

/** A filter over completions (and, through them, their events). Times are epoch ms, `until` exclusive. */
export interface CompletionQuery {
  since?: number;
  until?: number;
  model?: string;
  language?: string;
  experiment?: string;
  arm?: string;
  /** Only completions stored at level "code" (that kept text and FIM context). */
  withCode?: boolean;
  /**
   * `completions()` returns `text` and `fim` as null, leaving them in the database: metrics and
   * reports need neither, and at level "code" they are most of every row (a prompt of kilobytes).
   */
  omitCode?: boolean;
  completionIds?: string[];
}

/** The store. */
export interface FeedbackStore {
  readonly kind: "sqlite" | "postgres";
  /** Inserts completion records in one durable transaction; a duplicate (tenant, completionId) is ignored. */
  insertCompletions(rows: StoredCompletion[]): Promise<void>;
  /** Inserts events in one durable transaction. */
  insertEvents(rows: StoredEvent[]): Promise<void>;
  completions(tenant: string, q?: CompletionQuery): Promise<StoredCompletion[]>;
  /** Events whose completion matches `q` (joined on the completion). */
  events(tenant: string, q?: CompletionQuery): Promise<StoredEvent[]>;
  /** Events of a tenant by completion id, whether or not the completion was recorded. */
  eventsByCompletion(tenant: string, completionIds: string[]): Promise<StoredEvent[]>;
  /** Deletes every completion and event of the user (hash); returns the number of rows removed. */
  deleteUser(tenant: string, userHash: string): Promise<number>;
  /** Deletes rows older than `before` (epoch ms); returns the number removed. */
  purge(before: number): Promise<number>;
  tenants(): Promise<string[]>;
  close(): Promise<void>;
}

/** Builds the WHERE clause of a completion query; `ph(i)` renders the i-th (1-based) placeholder. */
export function completionWhere(
  alias: string,
  tenant: string,
  q: CompletionQuery,
  ph: (i: number) => string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenant];
  const parts = [`${alias}.tenant = ${ph(1)}`];
  const add = (expr: (p: string) => string, v: unknown): void => {
    params.push(v);
    parts.push(expr(ph(params.length)));
  };
  if (q.since !== undefined) add((p) => `${alias}.created_at >= ${p}`, q.since);
  if (q.until !== undefined) add((p) => `${alias}.created_at < ${p}`, q.until);
  if (q.model !== undefined) add((p) => `${alias}.model = ${p}`, q.model);
  if (q.language !== undefined) add((p) => `${alias}.language = ${p}`, q.language);
  if (q.experiment !== undefined) add((p) => `${alias}.experiment = ${p}`, q.experiment);
  if (q.arm !== undefined) add((p) => `${alias}.arm = ${p}`, q.arm);
  if (q.withCode) parts.push(`${alias}.level = 'code'`);
  if (q.completionIds !== undefined) {
    if (q.completionIds.length === 0) parts.push("1 = 0");
    else {
      const phs = q.completionIds.map((id) => {
        params.push(id);
        return ph(params.length);
      });
      parts.push(`${alias}.completion_id IN (${phs.join(", ")})`);
    }
  }
  return { sql: parts.join(" AND "), params };
}

/** Splits an array into chunks (for IN lists under the drivers' parameter limits). */
export function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
