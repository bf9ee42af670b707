/**
 * `ghostline experiment report [--id ID] [--tenant T] [--data-dir DIR] [--config FILE] [--json]`
 * Prints the per-arm report (acceptance, 5-min retention, latency, z-test vs control, stopping rule)
 * of each configured experiment (or `--id`) for each tenant (or `--tenant`).
 */
import { isGhostlineError } from "../../core/errors.js";
import type { ExperimentReport } from "../../experiments/report.js";
import { openFromFlags, parseFlags } from "../../feedback/cli-options.js";

const USAGE =
  "usage: ghostline experiment report [--id ID] [--tenant T] [--data-dir DIR] [--config FILE] [--json]";

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Formats one report as a plain-text table. */
export function formatReport(r: ExperimentReport): string {
  const lines = [
    `experiment ${r.experiment} (tenant ${r.tenant}) — ${r.stopping.status}: need ${r.stopping.requiredPerArm}/arm to detect ±${pct(r.stopping.mde)}, smallest arm ${r.stopping.minArmShown}`,
  ];
  lines.push(
    "arm            shown  acceptance [95% CI]        retention@5m        p50 ms [95% CI]      p vs control",
  );
  for (const a of r.arms) {
    const p50 = a.latencyMs.p50;
    lines.push(
      [
        a.arm.padEnd(14),
        String(a.acceptance.n).padStart(5),
        ` ${pct(a.acceptance.p)} [${pct(a.acceptance.low)}, ${pct(a.acceptance.high)}]`.padEnd(27),
        `${pct(a.retention.p)} (n=${a.retention.n})`.padEnd(19),
        (Number.isFinite(p50.estimate)
          ? `${p50.estimate.toFixed(0)} [${p50.low.toFixed(0)}, ${p50.high.toFixed(0)}]`
          : "-"
        ).padEnd(20),
        a.vsControl ? a.vsControl.acceptance.pValue.toFixed(4) : "control",
      ].join(" "),
    );
  }
  return lines.join("\n");
}

/** The `experiment` CLI command. */
export const command = {
  name: "experiment",
  summary: "Report experiment arms (acceptance, retention, latency, significance)",
  run: async (argv: string[]): Promise<number> => {
    const { flags, positional } = parseFlags(argv);
    if (positional[0] !== "report" || flags.has("help")) {
      process.stderr.write(USAGE + "\n");
      return flags.has("help") ? 0 : 2;
    }
    try {
      const { config, service } = await openFromFlags(flags);
      try {
        const id = flags.get("id");
        const ids = id ? [id] : config.experiments.map((e) => e.id);
        if (ids.length === 0) {
          process.stderr.write("no experiments configured (config.experiments) and no --id given\n");
          return 1;
        }
        const tenant = flags.get("tenant");
        const tenants = tenant ? [tenant] : await service.store.tenants();
        const reports: ExperimentReport[] = [];
        for (const t of tenants) for (const e of ids) reports.push(await service.experimentReport(t, e));
        process.stdout.write(
          flags.has("json")
            ? JSON.stringify(reports, null, 2) + "\n"
            : reports.map(formatReport).join("\n\n") + "\n",
        );
        return 0;
      } finally {
        await service.close();
      }
    } catch (e) {
      process.stderr.write(
        `experiment report failed: ${isGhostlineError(e) ? `${e.code}: ${e.message}` : String(e)}\n`,
      );
      return 1;
    }
  },
};

export const { name, summary, run } = command;
