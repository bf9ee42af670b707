/**
 * Scrubbing: a corpus of synthetic secrets of every listed kind is removed, and ordinary code is
 * left untouched. Secrets are assembled at runtime (joined pieces) so that this file itself does
 * not trip secret scanners.
 */
import { describe, expect, it } from "vitest";
import { detectSecrets, scrub, shannonEntropy, type SecretKind } from "../../src/feedback/scrub.js";

const j = (...p: string[]): string => p.join("");
const rnd = (n: number, alphabet = "A1b2C3d4E5f6G7h8J9k0LmNpQrStUvWxYz"): string =>
  Array.from({ length: n }, (_, i) => alphabet[(i * 7 + 3) % alphabet.length]).join("");

/** [kind, text containing it, the secret substring that must disappear] */
const CORPUS: [SecretKind, string, string][] = [
  ["aws_key", `aws_access_key_id = ${j("AKIA", "QWERTYUIOPASDFGH")}`, j("AKIA", "QWERTYUIOPASDFGH")],
  [
    "assigned_secret",
    `aws_secret_access_key = "${j("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYzzKEYEXAMPLE1")}"`,
    j("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYzzKEYEXAMPLE1"),
  ],
  ["gcp_key", `const key = "${j("AIza", "SyD3x4mpl3", rnd(25))}";`, j("AIza", "SyD3x4mpl3", rnd(25))],
  ["gcp_key", `Authorization: Bearer ${j("ya29.", "a0AfH6SM", rnd(30))}`, j("ya29.", "a0AfH6SM", rnd(30))],
  [
    "azure_key",
    `DefaultEndpointsProtocol=https;AccountName=acct;${j("AccountKey=", rnd(86), "==")};EndpointSuffix=core.windows.net`,
    rnd(86),
  ],
  ["azure_key", `https://acct.blob.core.windows.net/c/f?sv=2021&${j("sig=", rnd(43), "%3D")}`, rnd(43)],
  [
    "azure_key",
    `client_id = x; value ${j("abc", "8Q~", rnd(34, "abcdefghijkmnopqrstuvwxyz0123456789_-"))}`,
    j("abc", "8Q~"),
  ],
  ["github_token", `git clone https://${j("ghp_", rnd(36))}@github.com/o/r`, j("ghp_", rnd(36))],
  ["github_token", `GH=${j("github_pat_", "11ABCDEFG0", rnd(40))}`, j("github_pat_", "11ABCDEFG0")],
  ["gitlab_token", `headers["PRIVATE-TOKEN"] = ${j("glpat-", rnd(20))}`, j("glpat-", rnd(20))],
  [
    "slack_token",
    `slack.token(${j("xoxb-", "123456789012-1234567890123-", rnd(24))})`,
    j("xoxb-", "123456789012"),
  ],
  [
    "slack_token",
    `post(${j("https://hooks.slack.com/services/", "T00000000/B00000000/", rnd(24))})`,
    "T00000000/B00000000",
  ],
  ["stripe_key", `stripe(${j("sk_", "live_", rnd(24))})`, j("sk_", "live_", rnd(24))],
  ["stripe_key", `const pk = ${j("rk_", "test_", rnd(24))};`, j("rk_", "test_", rnd(24))],
  ["openai_key", `new OpenAI({ apiKey: ${j("sk-", "proj-", rnd(40))} })`, rnd(40)],
  ["openai_key", `OPENAI=${j("sk-", rnd(48))}`, rnd(48)],
  [
    "private_key",
    `${j("-----BEGIN ", "RSA PRIVATE KEY-----")}\nMIIEow${rnd(60)}\n${rnd(60)}\n${j("-----END ", "RSA PRIVATE KEY-----")}\n`,
    rnd(60),
  ],
  [
    "private_key",
    `key: \`${j("-----BEGIN ", "OPENSSH PRIVATE KEY-----")}\nb3BlbnNzaC1rZXktdjE${rnd(40)}\n${j("-----END ", "OPENSSH PRIVATE KEY-----")}\``,
    rnd(40),
  ],
  [
    "jwt",
    `token: ${j("eyJhbGciOiJIUzI1NiJ9", ".", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", ".", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")}`,
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  ],
  [
    "connection_password",
    `const db = "${j("postgres://app:", "S3cr3tPassw0rd", "@db.internal:5432/main")}";`,
    "S3cr3tPassw0rd",
  ],
  [
    "connection_password",
    `mongodb+srv://admin:${j("hunter", "2XyZ")}@cluster0.example.net/test`,
    j("hunter", "2XyZ"),
  ],
  [
    "connection_password",
    `Server=tcp:x.database.windows.net;User ID=sa;Password=${j("Pa55", "word!x")};`,
    j("Pa55", "word!x"),
  ],
  ["assigned_secret", `DB_PASSWORD=${j("q8Zt", "3vLm9XpR2wKs")}`, j("q8Zt", "3vLm9XpR2wKs")],
  [
    "assigned_secret",
    `config = { api_key: "${j("a9f8", "e7d6c5b4a3f2e1d0")}" }`,
    j("a9f8", "e7d6c5b4a3f2e1d0"),
  ],
  ["assigned_secret", `client_secret := "${j("7hG", "q2Lp9sWx")}"`, j("7hG", "q2Lp9sWx")],
  ["email", "// maintainer: Jane Doe <jane.doe@example.com>", "jane.doe@example.com"],
  ["phone", "call +1 (415) 555-0132 for support", "555-0132"],
  ["phone", "tel: +44 20 7946 0958", "7946 0958"],
  ["ip", "const upstream = '203.0.113.42';", "203.0.113.42"],
  ["ip", "bind 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3"],
];

const ORDINARY = `import { createServer } from "node:http";
import type { Token } from "./lexer.js";
// See https://example.com/docs/api for details; version 1.2.3, build 2026-01-15.
export function tokenize(source: string, password: string): Token[] {
  const token = lexer.next();
  const secret = getSecret(process.env.SECRET_NAME);
  const apiKey = config.apiKey ?? process.env.OPENAI_API_KEY;
  const password2 = \`\${prefix}-\${suffix}\`;
  const tokens: Token[] = [];
  for (let i = 0; i < 1000000; i++) tokens.push({ kind: "ident", start: i * 4, end: i * 4 + 3 });
  const server = createServer().listen(8080, "127.0.0.1");
  const matrix = [[1, 2, 3], [4, 5, 6]];
  const sha = "4f2a9c1d";
  const re = /[a-z]+@[a-z]+\\.[a-z]{2,}/;
  type Pass = { password: string; token?: string };
  return tokens.slice(0, 1_000) as Token[];
}
def handler(event, context):
    token = event["headers"].get("authorization")
    return {"statusCode": 200, "body": json.dumps({"ok": True, "id": 12345678})}
`;

describe("scrub", () => {
  it.each(CORPUS)("removes %s: %s", (kind, text, secret) => {
    const out = scrub(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(`[REDACTED:${kind}]`);
    expect(detectSecrets(text)).toContain(kind);
    expect(scrub(out)).toBe(out); // idempotent
  });

  it("covers every detector kind in the corpus", () => {
    const kinds: SecretKind[] = [
      "private_key",
      "jwt",
      "aws_key",
      "gcp_key",
      "azure_key",
      "github_token",
      "gitlab_token",
      "slack_token",
      "stripe_key",
      "openai_key",
      "connection_password",
      "assigned_secret",
      "email",
      "phone",
      "ip",
    ];
    expect(new Set(CORPUS.map(([k]) => k))).toEqual(new Set(kinds));
  });

  it("leaves ordinary code alone", () => {
    expect(scrub(ORDINARY)).toBe(ORDINARY);
  });

  it("keeps the structure around a redaction", () => {
    expect(scrub("postgres://app:pw123456@db:5432/x")).toBe(
      "postgres://app:[REDACTED:connection_password]@db:5432/x",
    );
    expect(scrub('password = "hunter2xyz9"')).toBe('password = "[REDACTED:assigned_secret]"');
    expect(scrub("a@b.example.org and 10.1.2.3", { ips: false })).toBe("[REDACTED:email] and 10.1.2.3");
  });

  it("computes Shannon entropy in bits per character", () => {
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
    expect(shannonEntropy("")).toBe(0);
  });
});
