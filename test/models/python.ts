/** The Python the model tests run (Debian's, with torch/sentencepiece/numpy) and whether it is usable. */
import { execFileSync } from "node:child_process";

export const PY = process.env.GHOSTLINE_PYTHON ?? "/usr/bin/python3";

/** True when PY can import every module of `modules` (a comma-separated list). */
export function pythonHas(modules: string): boolean {
  try {
    execFileSync(PY, ["-c", `import ${modules}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** True when PY imports torch, sentencepiece and numpy (scripts/install-system-deps.sh installs them). */
export const hasTorch = pythonHas("torch, sentencepiece, numpy");
