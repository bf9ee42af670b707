#!/usr/bin/env python3
"""Writes a memory-bound stand-in for a "real" target model: a large random-init GGUF in the
Ghostline format (same tokenizer, llama architecture) for the speculative-decoding benchmark.
Its own greedy output replayed as client draft (alpha = 1) measures the machinery's ceiling when a
pass is bound by weight reads rather than arithmetic -- no download needed.

  python3 bench/spec-decode-standin.py --out bench/out/standin.gguf [--dim 1024 --layers 12]
  GHOSTLINE_BENCH_TARGET=bench/out/standin.gguf npx tsx bench/spec-decode.ts --standin
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "training"))

import torch  # noqa: E402
from export import DEFAULT_TOKENIZER, export_model, load_sp  # noqa: E402
from model import Config, LlamaLM  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--ffn", type=int, default=2816)
    ap.add_argument("--ctx", type=int, default=512)
    args = ap.parse_args()
    torch.manual_seed(0)
    sp = load_sp(DEFAULT_TOKENIZER)
    cfg = Config(dim=args.dim, layers=args.layers, heads=args.heads, ffn=args.ffn, ctx=args.ctx)
    cfg.vocab = sp.get_piece_size()
    with torch.no_grad():
        model = LlamaLM(cfg)
    export_model(model, sp, args.out, "ghostline-standin", "standin")
    print(json.dumps({"out": args.out, "params": model.num_params(), "bytes": os.path.getsize(args.out)}))


if __name__ == "__main__":
    main()
