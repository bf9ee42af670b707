/** `ghostline lsp [--url URL]`: the LSP server over stdio (see packages/lsp and docs/clients-ide.md). */
import { startLspServer } from "../../../packages/lsp/src/server.js";

export const name = "lsp";
export const summary = "Run the LSP server over stdio (inline completion for Neovim, Helix, Emacs, ...)";

/** Runs until the editor sends `exit`; returns the exit code (0 after a clean shutdown). */
export async function run(argv: string[]): Promise<number> {
  const i = argv.indexOf("--url");
  const url = i >= 0 ? argv[i + 1] : undefined;
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write("usage: ghostline lsp [--url http://127.0.0.1:8017]\n  env GHOSTLINE_URL, GHOSTLINE_API_KEY; initializationOptions {serverUrl, apiKey, telemetry, mode}\n");
    return 0;
  }
  const { exited } = startLspServer({ serverUrl: url });
  return exited;
}

/** The command as one object, for dispatchers that import the default. */
export default { name, summary, run };
