#!/usr/bin/env bash
# Opt-in, never in CI: builds llama.cpp's `llama-server` from the exact llama.cpp sources that
# node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle), so that the gateway
# can be checked against a real OpenAI-compatible inference server (see docs/deploy.md,
# "Opt-in check against llama-server"). CPU build, ~15 min on 2 cores; prints the binary's path.
# As the typing-trace benchmark's peer (bench/README.md): BIN -m models/ghostline-target.gguf
#   --spm-infill -c 4096 -np 8 -t 1 -tb 1 -b 256 -ub 256 --port 8089
#
#   bash scripts/peer-llama-server.sh            # clone + build into ~/.cache/ghostline/llama.cpp
#   LLAMA_CPP_DIR=/some/dir JOBS=4 bash scripts/peer-llama-server.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle"
DIR="${LLAMA_CPP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ghostline/llama.cpp}"
JOBS="${JOBS:-2}"

if [ -n "${CI:-}" ] && [ "${GHOSTLINE_PEER_IN_CI:-}" != 1 ]; then
  echo "peer-llama-server: refusing to run in CI (a ~15 min native build); set GHOSTLINE_PEER_IN_CI=1 to force" >&2
  exit 2
fi
[ -f "$BUNDLE" ] || { echo "peer-llama-server: $BUNDLE not found (npm install first)" >&2; exit 2; }
for tool in git cmake c++; do
  command -v "$tool" >/dev/null || { echo "peer-llama-server: $tool not found (apt-get install git cmake g++)" >&2; exit 2; }
done

if [ ! -d "$DIR/.git" ]; then
  mkdir -p "$(dirname "$DIR")"
  git -c advice.detachedHead=false clone "$BUNDLE" "$DIR"
fi
# LLAMA_CURL=OFF: no libcurl needed (models are local files; deprecated no-op on newer releases).
# LLAMA_OPENSSL=OFF: no HTTPS in the server (loopback only).
cmake -S "$DIR" -B "$DIR/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
cmake --build "$DIR/build" --target llama-server -j"$JOBS"
BIN="$DIR/build/bin/llama-server"
[ -x "$BIN" ] || { echo "peer-llama-server: build finished but $BIN is missing" >&2; exit 1; }
echo "$BIN"
