// Bundles the extension and the client library into out/extension.js (vscode stays external).
import { build } from "esbuild";
await build({
  entryPoints: [new URL("../src/extension.ts", import.meta.url).pathname],
  outfile: new URL("../out/extension.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode", "bufferutil", "utf-8-validate"],
  minify: true,
  logLevel: "info",
});
