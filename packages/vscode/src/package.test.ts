/**
 * The extension packages as a .vsix with @vscode/vsce (bundled with esbuild first) and the package
 * holds the manifest and the bundled entry point.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const dir = resolve("packages/vscode"); // vitest runs from the repository root
const bin = resolve(dir, "..", "..", "node_modules", ".bin");

describe("packages/vscode .vsix", () => {
  it("packages with vsce and contains the manifest and out/extension.js", () => {
    const vsix = join(dir, "ghostline-0.1.0.vsix");
    rmSync(vsix, { force: true });
    execFileSync("npm", ["run", "package"], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: "pipe" });
    expect(existsSync(vsix)).toBe(true);
    const listing = execFileSync("python3", ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", vsix], { encoding: "utf8" });
    expect(listing).toContain("extension/package.json");
    expect(listing).toContain("extension/out/extension.js");
    rmSync(vsix, { force: true });
  });
});
