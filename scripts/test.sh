#!/usr/bin/env bash
# The README's test command: installs what the tests need (Debian packages, a throwaway PostgreSQL
# cluster), type-checks, runs the whole vitest suite, then a smoke pass of each benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules ]; then npm ci --omit=optional --no-audit --no-fund; fi

# run everything below inside a throwaway PostgreSQL cluster (GHOSTLINE_TEST_PG_URL set)
if [ -z "${GHOSTLINE_TEST_PG_URL:-}" ]; then
  exec bash scripts/postgres-test.sh bash "$0" "$@"
fi

echo "== typecheck"
npx tsc -p tsconfig.json
echo "== lint"
npx eslint .
echo "== tests"
mkdir -p .tmp
set +e
npx vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest.json "$@"
rc=$?
set -e
summary="$(node -e '
const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || echo "tests: 0 passed, 1 failed")"
if [ "$rc" != 0 ]; then echo "$summary"; exit "$rc"; fi
if [ "$#" = 0 ]; then
  echo "== benchmark smoke"
  for b in bench/spec-decode.ts bench/sampled-decode.ts bench/metrics-report.ts bench/trace-replay.ts; do
    if [ -f "$b" ]; then npx tsx "$b" --quick; fi
  done
fi
echo "$summary"
