/**
 * `ghostline dataset export --out FILE [--data-dir DIR] [--eval-fraction 0.1] [--tenant T]
 *  [--config FILE] [--store sqlite|postgres] [--postgres-url URL]`
 * Writes FILE's train/eval SFT JSONL (the training/finetune.py format) and preference pairs.
 */
import { isGhostlineError } from "../../core/errors.js";
import { openFromFlags, parseFlags } from "../../feedback/cli-options.js";

const USAGE = `usage: ghostline dataset export --out FILE [--data-dir DIR] [--eval-fraction 0.1] [--tenant T]
                                [--config FILE] [--store sqlite|postgres] [--postgres-url URL]
Writes FILE.train.jsonl / FILE.eval.jsonl ({prefix, suffix, middle, language?}) and
FILE.pairs.train.jsonl / FILE.pairs.eval.jsonl ({prefix, suffix, chosen, rejected, language?})
from feedback stored at telemetry level "code".`;

/** The `dataset` CLI command. */
export const command = {
  name: "dataset",
  summary: "Export fine-tuning datasets (FIM examples, preference pairs) from stored feedback",
  run: async (argv: string[]): Promise<number> => {
    const { flags, positional } = parseFlags(argv);
    if (positional[0] !== "export" || flags.has("help") || !flags.get("out")) {
      process.stderr.write(USAGE + "\n");
      return flags.has("help") ? 0 : 2;
    }
    const evalFraction = Number(flags.get("eval-fraction") ?? "0.1");
    if (!(evalFraction >= 0 && evalFraction <= 1)) {
      process.stderr.write("--eval-fraction must be between 0 and 1\n");
      return 2;
    }
    try {
      const { service } = await openFromFlags(flags);
      try {
        const r = await service.exportDataset({
          out: flags.get("out")!,
          evalFraction,
          tenant: flags.get("tenant"),
        });
        process.stdout.write(
          `SFT examples: ${r.sft.train} train -> ${r.files.train}, ${r.sft.eval} eval -> ${r.files.eval}\n` +
            `preference pairs: ${r.pairs.train} train -> ${r.files.pairsTrain}, ${r.pairs.eval} eval -> ${r.files.pairsEval}\n`,
        );
        return 0;
      } finally {
        await service.close();
      }
    } catch (e) {
      process.stderr.write(
        `dataset export failed: ${isGhostlineError(e) ? `${e.code}: ${e.message}` : String(e)}\n`,
      );
      return 1;
    }
  },
};

export const { name, summary, run } = command;
