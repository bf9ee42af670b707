// ESLint flat config: typescript-eslint type-checked rules, floating promises, and folder boundaries
// (imports point one way: core ← config ← prompt/engines/speculation/scheduler/postprocess ← requests ← feedback ← server ← cli).
import tseslint from "typescript-eslint";

const boundary = (from, forbidden) => ({
  files: [`src/${from}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", { patterns: forbidden.map((f) => ({ group: [`**/${f}/**`, `../${f}/*`, `../../${f}/*`], message: `${from}/ must not import ${f}/` })) }],
  },
});

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "training/work/**", "packages/vscode/out/**", "packages/playground/dist/**", "**/*.js", "**/*.mjs", ".tmp/**", ".data/**", "bench/out/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/restrict-template-expressions": "off",
    },
  },
  {
    // browser globals and the vscode API fake are untyped on purpose in these tests
    files: ["test/e2e/**/*.ts", "packages/vscode/src/**/*.test.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  boundary("core", ["config", "prompt", "engines", "speculation", "scheduler", "postprocess", "requests", "feedback", "server", "cli"]),
  boundary("config", ["prompt", "engines", "speculation", "scheduler", "postprocess", "requests", "feedback", "server", "cli"]),
  boundary("prompt", ["engines", "speculation", "scheduler", "requests", "feedback", "server", "cli"]),
  boundary("postprocess", ["engines", "speculation", "scheduler", "requests", "feedback", "server", "cli"]),
  boundary("engines", ["requests", "feedback", "server", "cli"]),
  boundary("speculation", ["requests", "feedback", "server", "cli"]),
  boundary("scheduler", ["requests", "feedback", "server", "cli"]),
  boundary("requests", ["server", "cli"]),
  boundary("feedback", ["server", "cli", "requests"]),
  boundary("server", ["cli"]),
);
