/**
 * A fast path for the two messages a session sends at every keystroke (`change` and `complete`),
 * checked by hand instead of by the zod schema. Why: on a 2-core server, zod's parse of these two
 * messages was the largest single item on the way from a keystroke to the engine (~14 % of the
 * server's CPU time in the first milliseconds after a keystroke, measured with --cpu-prof).
 *
 * Contract: `parseHotMessage(x)` returns a message only when `ClientMessage` would accept `x` and
 * return a deep-equal value; anything else — another message type, an unknown key, a field it does
 * not check (`stop`, `speculative`, `extra`), any doubt — returns undefined, and the caller parses
 * with the schema (which also words the error). test/server/hot-path.test.ts checks the contract
 * against the schema on random messages.
 */
import { LIMITS, type ClientMessage } from "./index.js";

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const str = (x: unknown, max: number, min = 0): boolean => typeof x === "string" && x.length <= max && x.length >= min;
const int = (x: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  typeof x === "number" && Number.isSafeInteger(x) && x >= min && x <= max;
const num = (x: unknown, min: number, max: number): boolean => typeof x === "number" && Number.isFinite(x) && x >= min && x <= max;

/** Only these keys, each present one passing its check. */
function only(o: Obj, checks: Record<string, (v: unknown) => boolean>): boolean {
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const check = checks[k];
    if (!check || !check(o[k])) return false;
  }
  return true;
}

const position = (x: unknown): boolean =>
  isObj(x) && "line" in x && "character" in x && only(x, { line: (v) => int(v, 0), character: (v) => int(v, 0) });
const range = (x: unknown): boolean => isObj(x) && "start" in x && "end" in x && only(x, { start: position, end: position });
const change = (x: unknown): boolean =>
  isObj(x) && "text" in x && only(x, { range, text: (v) => str(v, LIMITS.documentChars) });

const CHANGE = {
  type: () => true,
  uri: (v: unknown) => str(v, LIMITS.uriChars),
  version: (v: unknown) => int(v, 0),
  changes: (v: unknown) => Array.isArray(v) && v.length <= 1000 && v.every(change),
};

const COMPLETE = {
  type: () => true,
  id: (v: unknown) => str(v, LIMITS.idChars, 1),
  uri: (v: unknown) => str(v, LIMITS.uriChars),
  version: (v: unknown) => int(v, 0),
  position,
  prefix: (v: unknown) => str(v, LIMITS.prefixChars),
  suffix: (v: unknown) => str(v, LIMITS.suffixChars),
  language: (v: unknown) => str(v, 64),
  filepath: (v: unknown) => str(v, LIMITS.uriChars),
  max_tokens: (v: unknown) => int(v, 1, LIMITS.maxTokens),
  temperature: (v: unknown) => num(v, 0, 2),
  top_p: (v: unknown) => num(v, Number.MIN_VALUE, 1),
  top_k: (v: unknown) => int(v, 0, 1000),
  seed: (v: unknown) => int(v, Number.MIN_SAFE_INTEGER),
  mode: (v: unknown) => v === "none" || v === "line" || v === "block",
  client_draft: (v: unknown) => str(v, LIMITS.clientDraftChars),
  deadline_ms: (v: unknown) => int(v, 1, 60_000),
  model: (v: unknown) => str(v, 200),
};

/** The message when it is a `change` or `complete` the fast path can vouch for; else undefined (see file comment). */
export function parseHotMessage(x: unknown): ClientMessage | undefined {
  if (!isObj(x)) return undefined;
  if (x.type === "change") {
    if (!("uri" in x && "version" in x && "changes" in x) || !only(x, CHANGE)) return undefined;
    return x as ClientMessage;
  }
  if (x.type === "complete") {
    if (!("id" in x) || !only(x, COMPLETE)) return undefined;
    return x as ClientMessage;
  }
  return undefined;
}
