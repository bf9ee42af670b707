#!/usr/bin/env bash
# Everything the training pipeline needs: Debian's PyTorch/NumPy/SentencePiece/OpenBLAS, and the
# permissively licensed npm packages whose sources form the TypeScript/JavaScript corpus (installed
# into training/work/npm, never committed, scripts disabled).
set -euo pipefail
cd "$(dirname "$0")"
bash ../scripts/install-system-deps.sh
mkdir -p work/npm
cd work/npm
[ -f package.json ] || echo '{"name":"ghostline-corpus","private":true}' > package.json
npm i --ignore-scripts --no-audit --no-fund --omit=optional --legacy-peer-deps $(grep -v '^#' ../../corpus-packages.txt | tr '\n' ' ')
