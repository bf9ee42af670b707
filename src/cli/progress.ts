/** A one-line progress bar on stderr (redrawn in place on a TTY, one line per 25 % otherwise). */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): { update(fraction: number, label: string): void; done(): void } {
  let lastQuarter = -1;
  let drawn = false;
  return {
    update(fraction, label) {
      const f = Math.max(0, Math.min(1, fraction));
      if (stream.isTTY) {
        const width = 30;
        const full = Math.round(f * width);
        stream.write(`\r[${"#".repeat(full)}${"-".repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}% ${label.padEnd(12)}`);
        drawn = true;
      } else {
        const q = Math.floor(f * 4);
        if (q !== lastQuarter) {
          lastQuarter = q;
          stream.write(`loading ${label}: ${(f * 100).toFixed(0)}%\n`);
        }
      }
    },
    done() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
