/** Direct entry: `tsx packages/lsp/src/stdio.ts [--url URL]` runs the LSP server on stdio. */
import { startLspServer } from "./server.js";

const i = process.argv.indexOf("--url");
const { exited } = startLspServer({ serverUrl: i >= 0 ? process.argv[i + 1] : undefined });
process.exitCode = await exited;
process.exit();
