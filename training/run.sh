#!/usr/bin/env bash
# The whole model pipeline, resumable: install → corpus → tokenizer → train (target + draft) →
# export → evaluate. Re-running resumes training from training/work/ckpt/state.pt; without a
# checkpoint it continues from the shipped models/ghostline-{target,draft}.gguf (FRESH=1: from scratch);
# those are q8_0, so a continued run starts from their dequantized weights (within 1/254 of each
# block's largest value of the f16 weights they were made from).
#
#   bash training/run.sh [MINUTES]            # default 120 minutes of training this run
#   TARGET=target-gpu BATCH=64 bash training/run.sh 60    # on a CUDA machine (same code)
#   DRAFT_ONLY=1 bash training/run.sh 90     # freeze the target, distil the draft into it (agreement)
#
# Keep the tokenizer fixed once models are shipped: models/ghostline-tokenizer.model is the source
# of truth; a new tokenizer means retraining both models from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-120}"
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}" OMP_WAIT_POLICY=PASSIVE
# glibc serves every allocation above 32 MB (attention scores, masks) with a fresh mmap, and the
# kernel then zero-fills it page by page: 3.8 M page faults and 40 % system time in 35 s of
# training. Keeping freed memory in the heap instead took a target step from 6.4 s to 1.8 s
# (2-core AMD EPYC, 2026-12-05).
export MALLOC_MMAP_MAX_="${MALLOC_MMAP_MAX_:-0}" MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-68719476736}" MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-536870912}"
bash training/install.sh
[ -f training/work/corpus/train.jsonl ] || $PY training/corpus.py
if [ ! -f models/ghostline-tokenizer.model ]; then
  $PY training/tokenizer.py
  cp training/work/tokenizer/ghostline.model models/ghostline-tokenizer.model
fi
if [ -f training/work/ckpt/state.pt ] || { [ -z "${FRESH:-}" ] && [ -f models/ghostline-target.gguf ] && [ "${TARGET:-target}" = target ]; }; then
  # continuing (checkpoint, else the shipped models): re-warm to ANNEAL_FROM and anneal to 1e-4 over
  # this run's wall time; FIM middle tokens weigh MIDDLE_WEIGHT times the rest in the loss
  $PY training/train.py --minutes "$MINUTES" --target "${TARGET:-target}" --batch "${BATCH:-8}" --init-from models \
    --anneal-from "${ANNEAL_FROM:-1e-3}" --anneal-to 1e-4 --middle-weight "${MIDDLE_WEIGHT:-3}" \
    ${DRAFT_ONLY:+--draft-only}
else
  $PY training/train.py --minutes "$MINUTES" --target "${TARGET:-target}" --batch "${BATCH:-8}" --total-steps "${TOTAL_STEPS:-2400}"
fi
# shipped weights are q8_0 (1.6x smaller, faster per step on CPU, same greedy quality within noise:
# docs/known-issues.md); WEIGHTS=f16 exports half-precision matrices instead
for m in target draft; do
  $PY training/export.py --checkpoint "training/work/ckpt/$m.pt" --out "training/work/export/ghostline-$m.gguf" --name "ghostline-$m" --version "$(date +%Y%m%d)" --type "${WEIGHTS:-q8_0}"
done
npx tsx training/evaluate.ts --target training/work/export/ghostline-target.gguf --draft training/work/export/ghostline-draft.gguf --out training/work/eval.json
echo "compare training/work/eval.json with models/*.card.md, then copy training/work/export/*.gguf to models/ if better"
