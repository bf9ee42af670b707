/**
 * Line-comment markers by language id / file extension, for families that carry repository
 * context as comments. Default "//".
 */
const HASH = new Set(["python", "py", "ruby", "rb", "shell", "sh", "bash", "zsh", "yaml", "yml", "toml", "perl", "pl", "r", "dockerfile", "makefile", "elixir", "ex", "exs", "nim", "julia", "jl", "coffeescript", "coffee", "powershell", "ps1"]);
const DASH = new Set(["sql", "lua", "haskell", "hs", "ada", "elm"]);
const PERCENT = new Set(["latex", "tex", "erlang", "erl", "matlab"]);
const SEMI = new Set(["lisp", "clojure", "clj", "scheme", "scm", "racket", "rkt"]);

/** The line-comment marker for `language` (VS Code id) or, failing that, `filepath`'s extension. */
export function lineComment(language?: string, filepath?: string): string {
  const keys = [language?.toLowerCase(), filepath?.split(/[\\/]/).pop()?.toLowerCase(), filepath?.split(".").pop()?.toLowerCase()];
  for (const k of keys) {
    if (!k) continue;
    if (HASH.has(k)) return "#";
    if (DASH.has(k)) return "--";
    if (PERCENT.has(k)) return "%";
    if (SEMI.has(k)) return ";";
  }
  return "//";
}

/** One snippet rendered as comment lines: a path line, then every line of `text` commented. */
export function commentSnippet(filepath: string, text: string, marker: string): string {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const lines = body.length > 0 ? body.split("\n").map((l) => (l.length > 0 ? `${marker} ${l}` : marker)) : [];
  return [`${marker} Path: ${filepath}`, ...lines].join("\n") + "\n";
}
