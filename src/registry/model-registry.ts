/**
 * Versioned model registry. A model version is a GGUF file (+ optional draft GGUF) and its card.
 * Sources: the shipped models/ folder (version from the card or "shipped") and versions registered
 * at run time (e.g. by the fine-tuning loop), persisted in `${dataDir}/registry.json`.
 *
 * Why a class with state: registrations must survive restarts and be visible to every component
 * that resolves a version (experiments, hot swap, completion records) — one owner, one file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { GhostlineError } from "../core/errors.js";

/** One registered model version. */
export interface ModelEntry {
  /** Unique version id used in requests (`model` field), experiments and completion records. */
  version: string;
  /** Human name (e.g. "ghostline-target"). */
  name: string;
  path: string;
  draftPath?: string;
  /** Parsed card JSON (training data, scores, lineage) when present. */
  card?: Record<string, unknown>;
  bytes: number;
  registeredAt: number;
  source: "shipped" | "registered";
}

/** Input of `register`. */
export interface RegisterInput {
  version: string;
  path: string;
  draftPath?: string;
  name?: string;
  card?: Record<string, unknown>;
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function readCard(ggufPath: string): Record<string, unknown> | undefined {
  const p = ggufPath.replace(/\.gguf$/, ".card.json");
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The registry. Not thread-shared across processes: one server owns its data dir. */
export class ModelRegistry {
  private readonly file: string;
  private readonly entries = new Map<string, ModelEntry>();

  /** `shipped`: the default target (+ draft) the server starts with; `dataDir`: where registrations persist. */
  constructor(opts: { dataDir: string; shipped?: { path: string; draftPath?: string; version?: string } }) {
    this.file = join(resolve(opts.dataDir), "registry.json");
    if (opts.shipped && existsSync(opts.shipped.path)) {
      const card = readCard(opts.shipped.path);
      const version = opts.shipped.version ?? (typeof card?.version === "string" ? card.version : "shipped");
      this.entries.set(version, {
        version,
        name: basename(opts.shipped.path, ".gguf"),
        path: resolve(opts.shipped.path),
        ...(opts.shipped.draftPath && existsSync(opts.shipped.draftPath) ? { draftPath: resolve(opts.shipped.draftPath) } : {}),
        ...(card ? { card } : {}),
        bytes: statSync(opts.shipped.path).size,
        registeredAt: 0,
        source: "shipped",
      });
    }
    this.reload();
  }

  /** Re-reads registrations persisted by other processes (e.g. `ghostline models register`). */
  reload(): void {
    if (!existsSync(this.file)) return;
    try {
      const saved = JSON.parse(readFileSync(this.file, "utf8")) as ModelEntry[];
      for (const e of saved) if (existsSync(e.path)) this.entries.set(e.version, e);
    } catch (e) {
      throw new GhostlineError("internal", `Model registry ${this.file} is unreadable`, { cause: e });
    }
  }

  /** All versions, shipped first then by registration time. */
  list(): ModelEntry[] {
    return [...this.entries.values()].sort((a, b) => a.registeredAt - b.registeredAt);
  }

  /** The entry for `version`, or throws model_not_found. */
  get(version: string): ModelEntry {
    const e = this.entries.get(version);
    if (!e) throw new GhostlineError("model_not_found", `Unknown model version "${version}"`, { details: { version } });
    return e;
  }

  has(version: string): boolean {
    return this.entries.has(version);
  }

  /** Registers (or replaces) a version; validates the file and persists the registry atomically. */
  register(input: RegisterInput): ModelEntry {
    if (!VERSION_RE.test(input.version)) {
      throw new GhostlineError("invalid_request", "version must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}", { details: { field: "version" } });
    }
    const path = resolve(input.path);
    if (!existsSync(path) || !path.endsWith(".gguf")) {
      throw new GhostlineError("invalid_request", `No GGUF file at ${input.path}`, { details: { field: "path" } });
    }
    if (input.draftPath && !existsSync(input.draftPath)) {
      throw new GhostlineError("invalid_request", `No draft GGUF at ${input.draftPath}`, { details: { field: "draftPath" } });
    }
    const card = input.card ?? readCard(path);
    const entry: ModelEntry = {
      version: input.version,
      name: input.name ?? basename(path, ".gguf"),
      path,
      ...(input.draftPath ? { draftPath: resolve(input.draftPath) } : {}),
      ...(card ? { card } : {}),
      bytes: statSync(path).size,
      registeredAt: Date.now(),
      source: "registered",
    };
    this.entries.set(entry.version, entry);
    this.persist();
    return entry;
  }

  private persist(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = this.file + ".tmp";
    writeFileSync(tmp, JSON.stringify(this.list().filter((e) => e.source === "registered"), null, 1));
    renameSync(tmp, this.file);
  }
}
