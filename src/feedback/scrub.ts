/**
 * Secret and PII scrubbing applied to every piece of text before it is stored (completion text,
 * FIM context, kept text). Detectors are written here (see docs/privacy.md for why no dependency):
 * each is a regular expression plus an optional check, replaced by `[REDACTED:<kind>]`.
 * Scrubbing is idempotent and never throws.
 */

/** A detector kind, used in the replacement marker. */
export type SecretKind =
  | "private_key"
  | "jwt"
  | "aws_key"
  | "gcp_key"
  | "azure_key"
  | "github_token"
  | "gitlab_token"
  | "slack_token"
  | "stripe_key"
  | "openai_key"
  | "connection_password"
  | "assigned_secret"
  | "email"
  | "phone"
  | "ip";

/** Scrubbing options. `ips`: also redact IPv4/IPv6 addresses (default true; loopback kept). */
export interface ScrubOptions {
  ips?: boolean;
}

interface Detector {
  kind: SecretKind;
  re: RegExp;
  /** Replacement builder; default replaces the whole match. */
  replace?: (m: string, ...groups: string[]) => string;
  accept?: (m: string) => boolean;
}

const mark = (k: SecretKind): string => `[REDACTED:${k}]`;

/** Secret-looking variable / key names (for the entropy rule). */
const SECRET_NAME =
  "(?:[A-Za-z0-9_]*?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|session[_-]?key|signing[_-]?key)[A-Za-z0-9_]*)";

const DETECTORS: Detector[] = [
  {
    kind: "private_key",
    re: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)/g,
  },
  { kind: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: "aws_key", re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g },
  { kind: "gcp_key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "gcp_key", re: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  {
    kind: "azure_key",
    re: /\b(AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{40,}={0,2}/g,
    replace: (_m, k) => `${k}=${mark("azure_key")}`,
  },
  {
    kind: "azure_key",
    re: /([?&]sig=)[A-Za-z0-9%+/=]{30,}/g,
    replace: (_m, p) => `${p}${mark("azure_key")}`,
  },
  { kind: "azure_key", re: /\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}\b/g },
  { kind: "github_token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: "gitlab_token", re: /\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}/g },
  { kind: "slack_token", re: /\bxox[abposr]-(?:[A-Za-z0-9]+-){1,4}[A-Za-z0-9]{6,}\b/g },
  { kind: "slack_token", re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+/g },
  { kind: "stripe_key", re: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { kind: "stripe_key", re: /\bwhsec_[A-Za-z0-9]{24,}\b/g },
  { kind: "openai_key", re: /\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  {
    // scheme://user:password@host — keep scheme, user and host, drop the password
    kind: "connection_password",
    re: /\b([a-z][a-z0-9+.-]{1,30}:\/\/[^\s:/@'"`[\]]{1,100}:)([^\s@/'"`]{1,200})(@)/gi,
    replace: (_m, head, pw, at) =>
      pw.startsWith("[REDACTED") ? _m : `${head}${mark("connection_password")}${at}`,
  },
  {
    // ADO / JDBC style: Password=...; Pwd=...
    kind: "connection_password",
    re: /\b((?:Password|Pwd)\s*=\s*)([^;'"`\s]{1,200})/gi,
    replace: (m, head, pw) => (pw.startsWith("[REDACTED") ? m : `${head}${mark("connection_password")}`),
  },
  {
    kind: "assigned_secret",
    re: new RegExp(
      `(${SECRET_NAME}["']?\\s*(?::[ \\t]*[A-Za-z<>\\[\\]| ]*?)?(?:=|:|=>|:=)\\s*)(["'\`])([^"'\`\\n]{4,300})\\2`,
      "gi",
    ),
    replace: (m, head, q, value) =>
      looksSecret(value, true) ? `${head}${q}${mark("assigned_secret")}${q}` : m,
  },
  {
    kind: "assigned_secret",
    re: new RegExp(
      `(\\b${SECRET_NAME}\\s*(?:=|:=)\\s*)([A-Za-z0-9+/_.~-]{12,300})(?![A-Za-z0-9(.\\[])`,
      "gi",
    ),
    replace: (m, head, value) => (looksSecret(value, false) ? `${head}${mark("assigned_secret")}` : m),
  },
  { kind: "email", re: /\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b(?!:)/g },
  {
    kind: "phone",
    re: /(?<![\w.+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w.-])/g,
    accept: (m) => m.replace(/\D/g, "").length >= 9,
  },
];

const IP_DETECTORS: Detector[] = [
  {
    kind: "ip",
    re: /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.])/g,
    accept: (m) => !/^(?:127\.|0\.0\.0\.0$|255\.255\.)/.test(m),
  },
  {
    kind: "ip",
    re: /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])/gi,
  },
];

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** True if a value assigned to a secret-looking name looks like a real secret (not a placeholder or code). */
function looksSecret(value: string, quoted: boolean): boolean {
  if (value.startsWith("[REDACTED")) return false;
  if (/\$\{|\{\{|process\.env|^<.*>$|^\*+$|^x+$/i.test(value)) return false;
  if (
    /^(?:changeme|password|secret|token|example|placeholder|your[_-].*|todo|none|null|undefined|true|false)$/i.test(
      value,
    )
  )
    return false;
  const hasDigit = /\d/.test(value);
  const hasAlpha = /[A-Za-z]/.test(value);
  const h = shannonEntropy(value);
  if (quoted) return value.length >= 6 && !/\s/.test(value) && ((hasDigit && hasAlpha) || h >= 3);
  return hasDigit && hasAlpha && h >= 3.5;
}

/** Replaces every detected secret / PII in `text` with `[REDACTED:<kind>]`. */
export function scrub(text: string, options: ScrubOptions = {}): string {
  let out = text;
  const detectors = options.ips === false ? DETECTORS : [...DETECTORS, ...IP_DETECTORS];
  for (const d of detectors) {
    out = out.replace(d.re, (m: string, ...rest: unknown[]) => {
      if (d.accept && !d.accept(m)) return m;
      if (d.replace)
        return d.replace(m, ...(rest.filter((x) => typeof x === "string" || x === undefined) as string[]));
      return mark(d.kind);
    });
  }
  return out;
}

/** Lists the kinds found in `text` (for tests and audits); does not modify it. */
export function detectSecrets(text: string, options: ScrubOptions = {}): SecretKind[] {
  const found = new Set<SecretKind>();
  const scrubbed = scrub(text, options);
  for (const m of scrubbed.matchAll(/\[REDACTED:([a-z_]+)\]/g)) found.add(m[1] as SecretKind);
  return [...found];
}
