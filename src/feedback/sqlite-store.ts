/**
 * SQLite feedback store (better-sqlite3) in `${dataDir}/feedback.sqlite`.
 *
 * Why synchronous calls behind an async interface: better-sqlite3 commits inside the call, so when a
 * method returns the transaction is on disk (WAL + synchronous=FULL fsyncs the WAL on every commit).
 * The promise therefore resolves only after a durable commit, which is what `ingest` acknowledges.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { GhostlineError } from "../core/errors.js";
import { parseStoredPayload, type StoredCompletion, type StoredEvent } from "./schemas.js";
import { chunks, completionWhere, type CompletionQuery, type FeedbackStore } from "./store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS completions (
  tenant TEXT NOT NULL, completion_id TEXT NOT NULL, user_hash TEXT, created_at INTEGER NOT NULL,
  level TEXT NOT NULL, model TEXT NOT NULL, language TEXT, experiment TEXT, arm TEXT, v INTEGER NOT NULL,
  body TEXT NOT NULL, PRIMARY KEY (tenant, completion_id));
CREATE INDEX IF NOT EXISTS completions_time ON completions (tenant, created_at);
CREATE INDEX IF NOT EXISTS completions_user ON completions (tenant, user_hash);
CREATE INDEX IF NOT EXISTS completions_purge ON completions (created_at);
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, user_hash TEXT, completion_id TEXT NOT NULL, type TEXT NOT NULL,
  received_at INTEGER NOT NULL, client_ts INTEGER, v INTEGER NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_completion ON events (tenant, completion_id);
CREATE INDEX IF NOT EXISTS events_user ON events (tenant, user_hash);
CREATE INDEX IF NOT EXISTS events_purge ON events (received_at);
`;

/** Rows per statement when a report reads completions or events (see `paged`). */
const PAGE_ROWS = 2_000;

interface EventRow {
  id: string;
  tenant: string;
  user_hash: string | null;
  completion_id: string;
  type: string;
  received_at: number;
  client_ts: number | null;
  v: number;
  payload: string;
}

/** Opens (creating if needed) the SQLite store. */
export function openSqliteStore(dataDir: string): FeedbackStore {
  mkdirSync(dataDir, { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(join(dataDir, "feedback.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    db.exec(SCHEMA);
  } catch (e) {
    throw new GhostlineError("storage_error", `cannot open feedback store: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const insC = db.prepare(
    `INSERT OR IGNORE INTO completions (tenant, completion_id, user_hash, created_at, level, model, language, experiment, arm, v, body)
     VALUES (@tenant, @completionId, @userHash, @createdAt, @level, @model, @language, @experiment, @arm, @v, @body)`,
  );
  const insE = db.prepare(
    `INSERT OR IGNORE INTO events (id, tenant, user_hash, completion_id, type, received_at, client_ts, v, payload)
     VALUES (@id, @tenant, @userHash, @completionId, @type, @receivedAt, @clientTs, @v, @payload)`,
  );
  const insertCompletionsTx = db.transaction((rows: StoredCompletion[]) => {
    for (const c of rows) {
      const { tenant, completionId, userHash, createdAt, level, model, language, experiment, arm, v } = c;
      insC.run({
        tenant,
        completionId,
        userHash,
        createdAt,
        level,
        model,
        language,
        experiment,
        arm,
        v,
        body: JSON.stringify(c),
      });
    }
  });
  const insertMany = db.transaction((rows: StoredEvent[]) => {
    for (const r of rows) {
      const { id, tenant, userHash, completionId, type, receivedAt, clientTs, v } = r;
      insE.run({
        id,
        tenant,
        userHash,
        completionId,
        type,
        receivedAt,
        clientTs,
        v,
        payload: JSON.stringify(r.payload),
      });
    }
  });
  const toEvent = (r: EventRow): StoredEvent => ({
    id: r.id,
    v: r.v,
    tenant: r.tenant,
    userHash: r.user_hash,
    completionId: r.completion_id,
    type: r.type as StoredEvent["type"],
    receivedAt: r.received_at,
    clientTs: r.client_ts,
    payload: parseStoredPayload(r.v, JSON.parse(r.payload)),
  });
  const wrap = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(new GhostlineError("storage_error", (e as Error).message, { cause: e }));
    }
  };
  const q = (): string => "?";
  /**
   * Reads a query's rows in pages of PAGE_ROWS by keyset, giving way to other work on the event
   * loop between pages: better-sqlite3 is synchronous, and reading 50,000 rows of a report in one
   * statement held the server's event loop for up to 3.6 s (bench/metrics-report.ts). The pages are
   * separate statements, so the group commit of completion records can run in between.
   * `sql(continued)` is the query; continued, it also takes the key (two placeholders) that `keyOf`
   * gives of the previous page's last row and starts after it. Failures are storage_error, as with
   * `wrap`.
   */
  async function paged<Row, R>(
    sql: (continued: boolean) => string,
    params: unknown[],
    keyOf: (r: Row) => [number, number],
    convert: (r: Row) => R,
  ): Promise<R[]> {
    const out: R[] = [];
    let after: [number, number] | undefined;
    try {
      const first = db.prepare(sql(false));
      const next = db.prepare(sql(true));
      for (;;) {
        const rows = (after ? next.all(...params, ...after) : first.all(...params)) as Row[];
        for (const r of rows) out.push(convert(r)); // parsing a page's JSON is part of its slice
        if (rows.length < PAGE_ROWS) return out;
        after = keyOf(rows[rows.length - 1]!);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (e) {
      throw new GhostlineError("storage_error", (e as Error).message, { cause: e });
    }
  }

  return {
    kind: "sqlite",
    insertCompletions: (rows) => wrap(() => insertCompletionsTx(rows)),
    insertEvents: (rows) => wrap(() => insertMany(rows)),
    completions: async (tenant, query: CompletionQuery = {}) => {
      const w = completionWhere("c", tenant, query, q);
      // only rows stored at level "code" hold code: the others are returned as they are
      const body = query.omitCode ? "CASE WHEN c.level = 'code' THEN json_remove(c.body, '$.text', '$.fim') ELSE c.body END" : "c.body";
      return paged<{ body: string; k1: number; k2: number }, StoredCompletion>(
        (continued) =>
          `SELECT ${body} AS body, c.created_at AS k1, c.rowid AS k2 FROM completions c WHERE ${w.sql}` +
          `${continued ? " AND (c.created_at, c.rowid) > (?, ?)" : ""} ORDER BY c.created_at, c.rowid LIMIT ${PAGE_ROWS}`,
        w.params,
        (r) => [r.k1, r.k2],
        (r): StoredCompletion => {
          const c = JSON.parse(r.body) as StoredCompletion;
          return query.omitCode ? { ...c, text: null, fim: null } : c;
        },
      );
    },
    events: async (tenant, query: CompletionQuery = {}) => {
      const w = completionWhere("c", tenant, query, q);
      return paged<EventRow & { k2: number }, StoredEvent>(
        (continued) =>
          `SELECT e.*, e.rowid AS k2 FROM events e JOIN completions c ON c.tenant = e.tenant AND c.completion_id = e.completion_id
         WHERE ${w.sql}${continued ? " AND (e.received_at, e.rowid) > (?, ?)" : ""} ORDER BY e.received_at, e.rowid LIMIT ${PAGE_ROWS}`,
        w.params,
        (r) => [r.received_at, r.k2],
        toEvent,
      );
    },
    eventsByCompletion: (tenant, ids) =>
      wrap(() =>
        chunks(ids, 500).flatMap((part) =>
          (
            db
              .prepare(
                `SELECT * FROM events WHERE tenant = ? AND completion_id IN (${part.map(() => "?").join(",")}) ORDER BY received_at`,
              )
              .all(tenant, ...part) as EventRow[]
          ).map(toEvent),
        ),
      ),
    deleteUser: (tenant, userHash) =>
      wrap(() =>
        db.transaction(() => {
          const a = db
            .prepare("DELETE FROM events WHERE tenant = ? AND user_hash = ?")
            .run(tenant, userHash).changes;
          const b = db
            .prepare("DELETE FROM completions WHERE tenant = ? AND user_hash = ?")
            .run(tenant, userHash).changes;
          return a + b;
        })(),
      ),
    purge: (before) =>
      wrap(() =>
        db.transaction(() => {
          const a = db.prepare("DELETE FROM events WHERE received_at < ?").run(before).changes;
          const b = db.prepare("DELETE FROM completions WHERE created_at < ?").run(before).changes;
          return a + b;
        })(),
      ),
    tenants: () =>
      wrap(() =>
        (
          db.prepare("SELECT tenant FROM completions UNION SELECT tenant FROM events ORDER BY 1").all() as {
            tenant: string;
          }[]
        ).map((r) => r.tenant),
      ),
    close: () => wrap(() => void (db.open && db.close())),
  };
}
