/**
 * The native sampler pool (src/engines/llama-cpp/sampler-pool.ts) on and off, side by side: runs
 * bench/sampled-decode.ts in child processes, alternately with GHOSTLINE_SAMPLER_POOL=1 and =0
 * (the pool is installed per process), for --rounds rounds, and prints the median milliseconds per
 * token of each configuration with and without the pool and their ratio. Other arguments go to
 * sampled-decode (e.g. --tasks 6 --reps 1); GHOSTLINE_BENCH_TARGET / _DRAFT pick the models.
 *
 *   npx tsx bench/sampler-pool.ts [--rounds 3] [sampled-decode options]
 *   GHOSTLINE_BENCH_TARGET=bench/out/large-vocab.gguf GHOSTLINE_BENCH_DRAFT=bench/out/large-vocab-draft.gguf npx tsx bench/sampler-pool.ts --tasks 6 --reps 1
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const ri = args.indexOf("--rounds");
const rounds = ri >= 0 ? Number(args[ri + 1]) : 3;
const passOn = args.filter((_, i) => i !== ri && i !== ri + 1);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const runs: Record<"on" | "off", Record<string, number>[]> = { on: [], off: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of r % 2 ? (["off", "on"] as const) : (["on", "off"] as const)) {
    process.stderr.write(`round ${r + 1}/${rounds}, pool ${mode}\n`);
    const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/sampled-decode.ts"), ...passOn, "--json"], {
      cwd: ROOT,
      env: { ...process.env, GHOSTLINE_SAMPLER_POOL: mode === "on" ? "1" : "0" },
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
    });
    const last = out.trim().split("\n").pop()!;
    runs[mode].push((JSON.parse(last) as { msPerToken: Record<string, number> }).msPerToken);
  }
}
console.log(`target ${process.env.GHOSTLINE_BENCH_TARGET ?? "models/ghostline-target.gguf"}; ${rounds} rounds, pool on/off alternating; ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`);
console.log("config                            pool on ms/token  pool off ms/token  off / on");
for (const label of Object.keys(runs.on[0] ?? {})) {
  const on = median(runs.on.map((m) => m[label]!));
  const off = median(runs.off.map((m) => m[label]!));
  console.log(`${label.padEnd(32)} ${on.toFixed(3).padStart(17)} ${off.toFixed(3).padStart(18)} ${(off / on).toFixed(2).padStart(8)}×`);
}
