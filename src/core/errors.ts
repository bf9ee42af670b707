/**
 * The single error table of Ghostline. Every failure that crosses a module boundary is a
 * `GhostlineError` whose `code` comes from this table; the HTTP edge maps it to `status` in one
 * place. Tests assert on `code`. Cancellation is not an error (see `StopReason`).
 */
export const ERROR_TABLE = {
  invalid_request: { status: 400, message: "The request is invalid" },
  invalid_json: { status: 400, message: "The body is not valid JSON" },
  invalid_utf8: { status: 400, message: "The body is not valid UTF-8" },
  field_too_large: { status: 413, message: "A field exceeds its size limit" },
  payload_too_large: { status: 413, message: "The body exceeds the size limit" },
  unsupported_media_type: { status: 415, message: "Content-Type must be application/json" },
  context_overflow: { status: 400, message: "The prompt does not fit the model's context" },
  unauthorized: { status: 401, message: "A valid API key is required" },
  forbidden: { status: 403, message: "Not allowed for this tenant" },
  not_found: { status: 404, message: "Not found" },
  model_not_found: { status: 404, message: "Unknown model" },
  method_not_allowed: { status: 405, message: "Method not allowed" },
  conflict: { status: 409, message: "Conflicting state" },
  rate_limited: { status: 429, message: "Too many requests" },
  overloaded: { status: 503, message: "The server is over capacity; retry shortly" },
  draining: { status: 503, message: "The server is draining for a restart" },
  model_loading: { status: 503, message: "The model is still loading; retry shortly" },
  deadline_exceeded: { status: 504, message: "The request's deadline passed" },
  upstream_error: { status: 502, message: "The upstream engine failed" },
  upstream_unavailable: { status: 503, message: "No upstream engine is available" },
  upstream_timeout: { status: 504, message: "The upstream engine timed out" },
  engine_error: { status: 500, message: "The inference engine failed" },
  model_load_failed: { status: 500, message: "The model could not be loaded" },
  storage_error: { status: 500, message: "The event store failed" },
  config_invalid: { status: 500, message: "The configuration is invalid" },
  internal: { status: 500, message: "Internal error" },
} as const satisfies Record<string, { status: number; message: string }>;

/** A string-literal union of every error code. */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** Options of a GhostlineError: the foreign cause and machine-readable details (e.g. the field). */
export interface GhostlineErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** The one error class. `status` is the HTTP status from ERROR_TABLE. */
export class GhostlineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: GhostlineErrorOptions = {}) {
    super(message ?? ERROR_TABLE[code].message, { cause: options.cause });
    this.name = "GhostlineError";
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.details = options.details;
  }

  /** The JSON error body every endpoint returns. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** True if `e` is a GhostlineError (optionally with the given code). */
export function isGhostlineError(e: unknown, code?: ErrorCode): e is GhostlineError {
  return e instanceof GhostlineError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into a GhostlineError (foreign errors become `fallback`, default `internal`). */
export function toGhostlineError(e: unknown, fallback: ErrorCode = "internal"): GhostlineError {
  if (e instanceof GhostlineError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new GhostlineError(fallback, message, { cause: e });
}
