/**
 * Builds the playground's browser bundle (src/main.ts + the client library) with esbuild, in
 * memory. Reproducible from source at serve time: nothing generated is committed.
 */
import { fileURLToPath } from "node:url";

/** Absolute path of the playground package. */
export const PLAYGROUND_DIR = fileURLToPath(new URL("..", import.meta.url));

let cached: Promise<string> | undefined;

/** The bundled `app.js` (IIFE, ES2020); built once per process. */
export function playgroundBundle(): Promise<string> {
  cached ??= build().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function build(): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./main.ts", import.meta.url))],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    write: false,
    minify: true,
    sourcemap: false,
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return file.text;
}
