/**
 * Postgres feedback store (pg). Same tables and semantics as the SQLite store; `insertEvents` runs
 * BEGIN … COMMIT on one pooled client and resolves after COMMIT returns (durable with the server's
 * default synchronous_commit=on). An optional `schema` isolates a deployment (or a test run).
 */
import pg from "pg";
import { GhostlineError } from "../core/errors.js";
import { parseStoredPayload, type StoredCompletion, type StoredEvent } from "./schemas.js";
import { chunks, completionWhere, type CompletionQuery, type FeedbackStore } from "./store.js";

/** Options of the Postgres store. `schema`: created if missing and put first on search_path. */
export interface PostgresStoreOptions {
  url: string;
  schema?: string;
  /** Pool size (default 4). */
  max?: number;
}

const DDL = (schema: string): string => `
CREATE SCHEMA IF NOT EXISTS "${schema}";
SET search_path TO "${schema}";
CREATE TABLE IF NOT EXISTS completions (
  tenant TEXT NOT NULL, completion_id TEXT NOT NULL, user_hash TEXT, created_at BIGINT NOT NULL,
  level TEXT NOT NULL, model TEXT NOT NULL, language TEXT, experiment TEXT, arm TEXT, v INTEGER NOT NULL,
  body JSONB NOT NULL, PRIMARY KEY (tenant, completion_id));
CREATE INDEX IF NOT EXISTS completions_time ON completions (tenant, created_at);
CREATE INDEX IF NOT EXISTS completions_user ON completions (tenant, user_hash);
CREATE INDEX IF NOT EXISTS completions_purge ON completions (created_at);
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, user_hash TEXT, completion_id TEXT NOT NULL, type TEXT NOT NULL,
  received_at BIGINT NOT NULL, client_ts BIGINT, v INTEGER NOT NULL, payload JSONB NOT NULL);
CREATE INDEX IF NOT EXISTS events_completion ON events (tenant, completion_id);
CREATE INDEX IF NOT EXISTS events_user ON events (tenant, user_hash);
CREATE INDEX IF NOT EXISTS events_purge ON events (received_at);
`;

interface EventRow {
  id: string;
  tenant: string;
  user_hash: string | null;
  completion_id: string;
  type: string;
  received_at: string;
  client_ts: string | null;
  v: number;
  payload: unknown;
}

const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  v: r.v,
  tenant: r.tenant,
  userHash: r.user_hash,
  completionId: r.completion_id,
  type: r.type as StoredEvent["type"],
  receivedAt: Number(r.received_at),
  clientTs: r.client_ts === null ? null : Number(r.client_ts),
  payload: parseStoredPayload(r.v, r.payload),
});

/** Connects to Postgres and creates the tables (idempotent). */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<FeedbackStore> {
  const schema = opts.schema ?? "ghostline";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new GhostlineError("config_invalid", `invalid Postgres schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 4,
    options: `-c search_path="${schema}"`,
  });
  pool.on("error", () => {}); // idle client errors surface on the next query
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw e instanceof GhostlineError
        ? e
        : new GhostlineError("storage_error", (e as Error).message, { cause: e });
    }
  };
  const tx = <T>(f: (c: pg.PoolClient) => Promise<T>): Promise<T> =>
    guard(async () => {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        const r = await f(c);
        await c.query("COMMIT");
        return r;
      } catch (e) {
        await c.query("ROLLBACK").catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    });
  await guard(async () => {
    const c = await pool.connect();
    try {
      // serialise concurrent first-time DDL across processes
      await c.query("SELECT pg_advisory_lock(74217)");
      await c.query(DDL(schema));
      await c.query("SELECT pg_advisory_unlock(74217)");
    } finally {
      c.release();
    }
  });
  const ph = (i: number): string => `$${i}`;

  return {
    kind: "postgres",
    insertCompletions: (rows) =>
      tx(async (client) => {
        for (const part of chunks(rows, 500)) {
          const values: unknown[] = [];
          const tuples = part.map((c) => {
            const base = values.length;
            values.push(
              c.tenant,
              c.completionId,
              c.userHash,
              c.createdAt,
              c.level,
              c.model,
              c.language,
              c.experiment,
              c.arm,
              c.v,
              JSON.stringify(c),
            );
            return `(${Array.from({ length: 11 }, (_, i) => `$${base + i + 1}`).join(",")})`;
          });
          await client.query(
            `INSERT INTO completions (tenant, completion_id, user_hash, created_at, level, model, language, experiment, arm, v, body)
             VALUES ${tuples.join(",")} ON CONFLICT DO NOTHING`,
            values,
          );
        }
      }),
    insertEvents: (rows) =>
      tx(async (client) => {
        for (const part of chunks(rows, 500)) {
          const values: unknown[] = [];
          const tuples = part.map((r) => {
            const base = values.length;
            values.push(
              r.id,
              r.tenant,
              r.userHash,
              r.completionId,
              r.type,
              r.receivedAt,
              r.clientTs,
              r.v,
              JSON.stringify(r.payload),
            );
            return `(${Array.from({ length: 9 }, (_, i) => `$${base + i + 1}`).join(",")})`;
          });
          await client.query(
            `INSERT INTO events (id, tenant, user_hash, completion_id, type, received_at, client_ts, v, payload)
             VALUES ${tuples.join(",")} ON CONFLICT DO NOTHING`,
            values,
          );
        }
      }),
    completions: (tenant, q: CompletionQuery = {}) =>
      guard(async () => {
        const w = completionWhere("c", tenant, q, ph);
        // only rows stored at level "code" hold code: the others are returned as they are
        const body = q.omitCode ? "CASE WHEN c.level = 'code' THEN c.body - 'text' - 'fim' ELSE c.body END" : "c.body";
        const r = await pool.query<{ body: StoredCompletion }>(
          `SELECT ${body} AS body FROM completions c WHERE ${w.sql} ORDER BY c.created_at`,
          w.params,
        );
        return r.rows.map((x) => (q.omitCode ? { ...x.body, text: null, fim: null } : x.body));
      }),
    events: (tenant, q: CompletionQuery = {}) =>
      guard(async () => {
        const w = completionWhere("c", tenant, q, ph);
        const r = await pool.query<EventRow>(
          `SELECT e.* FROM events e JOIN completions c ON c.tenant = e.tenant AND c.completion_id = e.completion_id
           WHERE ${w.sql} ORDER BY e.received_at`,
          w.params,
        );
        return r.rows.map(toEvent);
      }),
    eventsByCompletion: (tenant, ids) =>
      guard(async () => {
        if (ids.length === 0) return [];
        const r = await pool.query<EventRow>(
          "SELECT * FROM events WHERE tenant = $1 AND completion_id = ANY($2::text[]) ORDER BY received_at",
          [tenant, ids],
        );
        return r.rows.map(toEvent);
      }),
    deleteUser: (tenant, userHash) =>
      tx(async (c) => {
        const a = await c.query("DELETE FROM events WHERE tenant = $1 AND user_hash = $2", [
          tenant,
          userHash,
        ]);
        const b = await c.query("DELETE FROM completions WHERE tenant = $1 AND user_hash = $2", [
          tenant,
          userHash,
        ]);
        return (a.rowCount ?? 0) + (b.rowCount ?? 0);
      }),
    purge: (before) =>
      tx(async (c) => {
        const a = await c.query("DELETE FROM events WHERE received_at < $1", [before]);
        const b = await c.query("DELETE FROM completions WHERE created_at < $1", [before]);
        return (a.rowCount ?? 0) + (b.rowCount ?? 0);
      }),
    tenants: () =>
      guard(async () => {
        const r = await pool.query<{ tenant: string }>(
          "SELECT tenant FROM completions UNION SELECT tenant FROM events ORDER BY 1",
        );
        return r.rows.map((x) => x.tenant);
      }),
    close: () => pool.end(),
  };
}
