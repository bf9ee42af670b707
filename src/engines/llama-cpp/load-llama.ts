/**
 * Loading llama.cpp and GGUF models, turning the native layer's terse failures ("Failed to load
 * model") into GhostlineErrors that carry the real cause captured from llama.cpp's log.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { GhostlineError } from "../../core/errors.js";
import { installSamplerPool } from "./sampler-pool.js";

/** The logger shape the engine accepts (pino-compatible subset). */
export interface EngineLogger {
  info(msg: string, obj?: object): void;
  warn(msg: string, obj?: object): void;
  error(msg: string, obj?: object): void;
}

/** A loaded llama.cpp runtime plus the recent warnings/errors it logged (newest last, max 20). */
export interface LlamaRuntime {
  llama: Llama;
  recentLog: string[];
}

/** Starts llama.cpp (prebuilt binaries only, no downloads). `gpu` false pins the CPU backend. */
export async function loadLlama(gpu: boolean, logger?: EngineLogger): Promise<LlamaRuntime> {
  const recentLog: string[] = [];
  try {
    const llama = await getLlama({
      gpu: gpu ? "auto" : false,
      build: "never",
      skipDownload: true,
      usePrebuiltBinaries: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const line = message.trim();
        if (!line) return;
        recentLog.push(line);
        if (recentLog.length > 20) recentLog.shift();
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
          logger?.error(line, { source: "llama.cpp" });
        else if (level === LlamaLogLevel.warn) logger?.warn(line, { source: "llama.cpp" });
      },
    });
    // GHOSTLINE_SAMPLER_POOL=0: a native sampler per pass, as node-llama-cpp does (sampler-pool.ts)
    if (process.env.GHOSTLINE_SAMPLER_POOL !== "0") installSamplerPool(llama);
    return { llama, recentLog };
  } catch (e) {
    throw new GhostlineError(
      "model_load_failed",
      `llama.cpp could not start: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/**
 * Checks the GGUF magic and version before handing the file to node-llama-cpp, whose metadata
 * reader can spin for minutes on a file that only starts with "GGUF".
 */
export function checkGgufHeader(modelPath: string): void {
  let fd: number | undefined;
  const header = Buffer.alloc(8);
  try {
    fd = openSync(modelPath, "r");
    if (readSync(fd, header, 0, 8, 0) < 8) throw new Error("the file is shorter than a GGUF header");
  } catch (e) {
    throw new GhostlineError(
      "model_load_failed",
      `Could not read ${modelPath}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e, details: { modelPath } },
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const magic = header.toString("latin1", 0, 4);
  const version = header.readUInt32LE(4);
  if (magic !== "GGUF")
    throw new GhostlineError(
      "model_load_failed",
      `${modelPath} is not a GGUF file (magic ${JSON.stringify(magic)})`,
      { details: { modelPath } },
    );
  if (version < 1 || version > 3)
    throw new GhostlineError("model_load_failed", `${modelPath}: unsupported GGUF version ${version}`, {
      details: { modelPath },
    });
}

/** Loads a GGUF model; on failure the error message includes llama.cpp's own log lines. */
export async function loadModel(
  runtime: LlamaRuntime,
  modelPath: string,
  onProgress?: (loaded: number) => void,
): Promise<LlamaModel> {
  checkGgufHeader(modelPath);
  runtime.recentLog.length = 0;
  try {
    return await runtime.llama.loadModel({
      modelPath,
      ...(onProgress ? { onLoadProgress: onProgress } : {}),
    });
  } catch (e) {
    const causeLines = [...runtime.recentLog];
    const message = e instanceof Error ? e.message : String(e);
    const detail = causeLines.length > 0 ? `${message}: ${causeLines.slice(-3).join(" | ")}` : message;
    throw new GhostlineError("model_load_failed", `Could not load ${modelPath}: ${detail}`, {
      cause: e,
      details: { modelPath, log: causeLines },
    });
  }
}
