#!/usr/bin/env python3
"""Writes a real-size stand-in of a shipped model that computes the same function: the shipped
weights embedded in a larger llama-architecture network (default: Qwen2.5-Coder-0.5B's shape --
896 wide, 24 layers, FFN 4,864, vocabulary 151,936), every added weight zero, so that llama.cpp
does the work of a 0.5 B-parameter model per token while the completions stay the shipped model's.
For benchmarks whose figures depend on what the model writes (typing-through, cache hits, wasted
tokens, draft acceptance) and on what a pass costs -- the shipped 5 M-parameter model's decode step
(~1-2 ms here) is so short that fixed per-request costs dominate any ratio measured in steps. No
download needed; numpy only.

  python3 bench/grown-standin.py --out bench/out/grown-target.gguf              # Qwen2.5-Coder-0.5B shape
  python3 bench/grown-standin.py --src models/ghostline-draft.gguf --out bench/out/grown-draft.gguf \\
      --dim 0 --layers 0 --ffn 0                                                # the draft: vocabulary only
  GHOSTLINE_BENCH_TARGET=bench/out/grown-target.gguf GHOSTLINE_BENCH_DRAFT=bench/out/grown-draft.gguf \\
      npx tsx bench/trace-replay.ts

How the function is kept (the shipped model has width d, the stand-in D):
- Residual stream: the shipped d channels, then D - d channels that stay zero (every projection
  writing into the residual has zero rows there), except one "constant channel" c = d holding a
  tiny constant a from the embedding on (see vocabulary).
- RMSNorm over D channels divides by sqrt(S / D + eps') instead of sqrt(S / d + eps); with
  eps' = eps * d / D that is the shipped value times sqrt(D / d) exactly, so every norm weight is
  multiplied by sqrt(d / D). The constant channel adds a^2 to S: a = 1e-4 changes it by ~1e-8 of S.
- Attention: the head size stays (D / 32 heads of 32; the scale 1/sqrt(32) is unchanged); added
  heads have zero Q/K/V rows and zero output columns, so they attend uniformly to nothing.
- FFN: added hidden units have zero gate/up rows and zero down columns (silu(0) * 0 = 0).
- Added layers: all projections zero, so each adds nothing to the residual stream.
- Vocabulary: added tokens are unused pieces (never produced by the tokenizer); their output rows
  are zero except in the constant channel, where -K with a large output-norm weight on that channel
  gives them a logit of about -1e4, so greedy decoding never picks them and sampling almost never.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "training"))

from gguf_io import T_F16, T_Q8_0, pad_vocab_metadata, read_gguf, write_gguf  # noqa: E402

CONST_A = 1e-4        # the constant channel's value in the residual stream
CONST_GAIN = 1e6      # output norm weight on the constant channel
CONST_ROW = -100.0    # added tokens' output weight on the constant channel (f16-representable)


def grow(meta, tensors, dim, layers, ffn, vocab):
    d = meta["llama.embedding_length"]
    n_layers = meta["llama.block_count"]
    f = meta["llama.feed_forward_length"]
    heads = meta["llama.attention.head_count"]
    kv = meta["llama.attention.head_count_kv"]
    head_dim = d // heads
    n_vocab = len(meta["tokenizer.ggml.tokens"])
    dim, layers, ffn, vocab = dim or d, layers or n_layers, ffn or f, vocab or n_vocab
    if kv != heads:
        raise SystemExit("the source uses grouped-query attention; growing keeps one KV head per head, so it must not")
    if dim < d + 1 or dim % head_dim:
        raise SystemExit(f"--dim must exceed {d} (one constant channel) and be a multiple of the head size {head_dim}")
    if layers < n_layers or ffn < f or vocab < n_vocab:
        raise SystemExit("--layers, --ffn and --vocab cannot shrink the source")
    H = dim // head_dim
    scale = np.float32(np.sqrt(d / dim))

    def pad(a, rows, cols=None):
        out = np.zeros((rows,) if cols is None else (rows, cols), dtype=np.float32)
        out[tuple(slice(0, s) for s in a.shape)] = a
        return out

    def norm(w):
        return pad(w * scale, dim)

    out = {}
    emb = tensors["token_embd.weight"]
    emb_g = pad(emb, vocab, dim)
    emb_g[:, d] = CONST_A
    out["token_embd.weight"] = emb_g
    head = tensors.get("output.weight", emb)
    head_g = pad(head, vocab, dim)
    head_g[n_vocab:, d] = CONST_ROW
    out["output.weight"] = head_g
    onorm = norm(tensors["output_norm.weight"])
    onorm[d] = CONST_GAIN
    out["output_norm.weight"] = onorm
    for i in range(layers):
        p = f"blk.{i}."
        if i < n_layers:
            for n in ("attn_norm", "ffn_norm"):
                out[p + n + ".weight"] = norm(tensors[p + n + ".weight"])
            for n in ("attn_q", "attn_k", "attn_v", "attn_output"):
                out[p + n + ".weight"] = pad(tensors[p + n + ".weight"], dim, dim)
            out[p + "ffn_gate.weight"] = pad(tensors[p + "ffn_gate.weight"], ffn, dim)
            out[p + "ffn_up.weight"] = pad(tensors[p + "ffn_up.weight"], ffn, dim)
            out[p + "ffn_down.weight"] = pad(tensors[p + "ffn_down.weight"], dim, ffn)
        else:
            # an added layer: norms of ones (any value would do), every projection zero
            for n in ("attn_norm", "ffn_norm"):
                out[p + n + ".weight"] = np.ones(dim, dtype=np.float32)
            for n in ("attn_q", "attn_k", "attn_v", "attn_output"):
                out[p + n + ".weight"] = np.zeros((dim, dim), dtype=np.float32)
            out[p + "ffn_gate.weight"] = np.zeros((ffn, dim), dtype=np.float32)
            out[p + "ffn_up.weight"] = np.zeros((ffn, dim), dtype=np.float32)
            out[p + "ffn_down.weight"] = np.zeros((dim, ffn), dtype=np.float32)
    meta = pad_vocab_metadata(meta, vocab)
    meta["llama.embedding_length"] = dim
    meta["llama.block_count"] = layers
    meta["llama.feed_forward_length"] = ffn
    meta["llama.attention.head_count"] = H
    meta["llama.attention.head_count_kv"] = H
    meta["llama.attention.layer_norm_rms_epsilon"] = float(meta["llama.attention.layer_norm_rms_epsilon"] * d / dim)
    meta["general.name"] = f"{meta['general.name']}-grown-{dim}x{layers}-v{vocab}"
    params = sum(a.size for a in out.values())
    return meta, out, params, {"dim": dim, "layers": layers, "ffn": ffn, "heads": H, "vocab": vocab}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=os.path.join(os.path.dirname(HERE), "models", "ghostline-target.gguf"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--dim", type=int, default=896, help="width (0: the source's + 32, for the constant channel)")
    ap.add_argument("--layers", type=int, default=24, help="layers (0: the source's)")
    ap.add_argument("--ffn", type=int, default=4864, help="FFN hidden size (0: the source's)")
    ap.add_argument("--vocab", type=int, default=151936, help="vocabulary (0: the source's)")
    ap.add_argument("--q8", action="store_true", help="Q8_0 weights instead of F16 (the shipped weights then round)")
    args = ap.parse_args()
    t0 = time.time()
    meta, tensors = read_gguf(args.src)
    if args.dim == 0:
        args.dim = meta["llama.embedding_length"] + meta["llama.embedding_length"] // meta["llama.attention.head_count"]
    meta, out, params, shape = grow(meta, tensors, args.dim, args.layers, args.ffn, args.vocab)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_gguf(args.out, meta, out, T_Q8_0 if args.q8 else T_F16)
    print(json.dumps({"out": args.out, "src": args.src, **shape, "params": int(params),
                      "bytes": os.path.getsize(args.out), "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
