/**
 * The `ghostline` command dispatcher. Each subcommand is a module in ./commands exporting
 * `{ name, summary, run(argv) }` (run resolves to an exit code or nothing); add a file and one
 * line to COMMANDS to add a command.
 */

/** What a command module exports. */
export interface CommandModule {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number | void> | number | void;
}

/** Subcommands, lazily imported (loading one never loads the others' dependencies). */
export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  serve: () => import("./commands/serve.js"),
  complete: () => import("./commands/complete.js"),
  lsp: () => import("./commands/lsp.js"),
  dataset: () => import("./commands/dataset.js"),
  experiment: () => import("./commands/experiment.js"),
  models: () => import("./commands/models.js"),
};

async function usage(): Promise<string> {
  const lines = ["usage: ghostline <command> [options]   (ghostline <command> --help for details)", "", "commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) {
    let summary = "";
    try {
      summary = (await load()).summary;
    } catch (e) {
      summary = `(unavailable: ${e instanceof Error ? e.message.split("\n")[0] : String(e)})`;
    }
    lines.push(`  ${name.padEnd(12)} ${summary}`);
  }
  return lines.join("\n") + "\n";
}

/** Runs the CLI with `argv` (without node and script); sets process.exitCode. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(await usage());
    process.exitCode = cmd ? 0 : 1;
    return cmd ? 0 : 1;
  }
  if (cmd === "--version" || cmd === "-v") {
    process.stdout.write("ghostline 0.1.0\n");
    return 0;
  }
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) {
    process.stderr.write(`ghostline: unknown command "${cmd}"\n\n${await usage()}`);
    process.exitCode = 2;
    return 2;
  }
  const mod = await load();
  const code = (await mod.run(rest)) ?? 0;
  process.exitCode = code;
  return code;
}
