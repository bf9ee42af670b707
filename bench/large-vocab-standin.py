#!/usr/bin/env python3
"""Writes a large-vocabulary stand-in of the shipped target for bench/sampled-decode.ts: the same
weights, its vocabulary padded with unused tokens to --vocab entries (default 151,936, Qwen2.5-Coder's),
so that per-token costs that grow with the vocabulary (logits, sampling, probability maps) show as
they would with a real model's tokenizer. The new tokens' embedding and output rows are zero (logit 0):
the model's text changes under sampling, its per-token work is what is measured. numpy only.

  python3 bench/large-vocab-standin.py --out bench/out/large-vocab.gguf [--vocab 151936]
  GHOSTLINE_BENCH_TARGET=bench/out/large-vocab.gguf npx tsx bench/sampled-decode.ts
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "training"))

from gguf_io import T_F16, pad_vocab_metadata, read_gguf, write_gguf  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=os.path.join(os.path.dirname(HERE), "models", "ghostline-target.gguf"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=151936)
    args = ap.parse_args()
    meta, tensors = read_gguf(args.src)
    n = len(meta["tokenizer.ggml.tokens"])
    if args.vocab <= n:
        raise SystemExit(f"--vocab must exceed the source's {n} tokens")
    extra = args.vocab - n
    meta = pad_vocab_metadata(meta, args.vocab)
    meta["general.name"] = f"{meta['general.name']}-vocab{args.vocab}"
    emb = tensors["token_embd.weight"]
    padded = np.concatenate([emb, np.zeros((extra, emb.shape[1]), dtype=np.float32)])
    tensors["token_embd.weight"] = padded
    if "output.weight" not in tensors:
        tensors["output.weight"] = padded  # untied from here on: same values
    else:
        out = tensors["output.weight"]
        tensors["output.weight"] = np.concatenate([out, np.zeros((extra, out.shape[1]), dtype=np.float32)])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_gguf(args.out, meta, tensors, T_F16)
    print(json.dumps({"out": args.out, "vocab": args.vocab, "bytes": os.path.getsize(args.out)}))


if __name__ == "__main__":
    main()
