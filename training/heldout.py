#!/usr/bin/env python3
"""Held-out next-token scores of GGUF models, measured as training measures them (train.py's
evaluate / agreement: 6 packed batches of 8 x 512 tokens from the held-out split, sampler seed 99),
so files in another weight format (f16 vs q8_0) or from another run are compared on the same text.

  python3 training/heldout.py --target models/ghostline-target.gguf --draft models/ghostline-draft.gguf

Prints one JSON object: heldout loss / perplexity / top-1 of each model, and draft/target greedy
agreement when both are given. q8_0 files are dequantized (the scores are those of the weights
llama.cpp runs, computed in float32 by PyTorch).
"""
import argparse
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity import model_from_gguf  # noqa: E402
from data import FimSampler  # noqa: E402
from export import load_sp, DEFAULT_TOKENIZER  # noqa: E402
from train import evaluate, agreement  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target")
    ap.add_argument("--draft")
    ap.add_argument("--corpus", default=os.path.join(HERE, "work", "corpus"))
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not args.target and not args.draft:
        ap.error("give --target and/or --draft")
    held_path = os.path.join(args.corpus, "heldout.jsonl")
    if not os.path.exists(held_path):
        ap.error(f"{held_path} is missing: run `bash training/install.sh && python3 training/corpus.py` first")
    torch.set_num_threads(args.threads)
    sp = load_sp(args.tokenizer)
    pad = sp.pad_id()
    models = {role: model_from_gguf(path)[0] for role, path in (("target", args.target), ("draft", args.draft)) if path}
    ctx = next(iter(models.values())).cfg.ctx
    held = FimSampler(sp, held_path, ctx, seed=99)
    batches = [held.packed_batch(args.batch) for _ in range(args.batches)]
    out = {}
    for role, m in models.items():
        loss, top1 = evaluate(m, batches, pad)
        out[role] = {"file": args.target if role == "target" else args.draft, "heldout_loss": round(loss, 4),
                     "heldout_perplexity": round(math.exp(loss), 2), "heldout_top1_next_token": round(top1, 4)}
    if len(models) == 2:
        out["draft_target_greedy_agreement"] = round(agreement(models["target"], models["draft"], batches, pad), 4)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
