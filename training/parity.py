#!/usr/bin/env python3
"""PyTorch side of the llama.cpp parity check (run by test/models/parity.test.ts).

Reads a GGUF file (the shipped artifact itself, not a training checkpoint), rebuilds the model in
PyTorch, and for a JSON input {"texts": [...], "sequences": [{"prompt": [ids], "generated": [ids]}]}
writes {"tokens": [[ids] per text], "sequences": [{"argmax": [...], "gap": [...]}]} where argmax[i]
is PyTorch's greedy choice after prompt + generated[:i] and gap[i] = logit(argmax) - logit(generated[i])
(0 when they agree).

  /usr/bin/python3 training/parity.py --gguf models/ghostline-target.gguf --tokenizer models/ghostline-tokenizer.model --in in.json
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_io import read_gguf  # noqa: E402
from model import Config, LlamaLM  # noqa: E402


def model_from_gguf(path):
    meta, t = read_gguf(path)
    cfg = Config(
        vocab=len(meta["tokenizer.ggml.tokens"]),
        dim=meta["llama.embedding_length"],
        layers=meta["llama.block_count"],
        heads=meta["llama.attention.head_count"],
        ffn=meta["llama.feed_forward_length"],
        ctx=meta["llama.context_length"],
        rope_base=meta.get("llama.rope.freq_base", 10000.0),
        eps=meta["llama.attention.layer_norm_rms_epsilon"],
    )
    m = LlamaLM(cfg)
    sd = {"embed.weight": t["token_embd.weight"], "norm.weight": t["output_norm.weight"]}
    names = {"attn_norm": "attn_norm.weight", "attn_q": "wq.weight", "attn_k": "wk.weight", "attn_v": "wv.weight",
             "attn_output": "wo.weight", "ffn_norm": "ffn_norm.weight", "ffn_gate": "w_gate.weight",
             "ffn_up": "w_up.weight", "ffn_down": "w_down.weight"}
    for i in range(cfg.layers):
        for g, p in names.items():
            sd[f"blocks.{i}.{p}"] = t[f"blk.{i}.{g}.weight"]
    m.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()})
    m.eval()
    return m, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--in", dest="inp", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    data = json.load(open(args.inp))
    model, _ = model_from_gguf(args.gguf)
    out = {"tokens": [sp.encode(t) for t in data.get("texts", [])], "sequences": []}
    with torch.no_grad():
        for s in data.get("sequences", []):
            ids = s["prompt"] + s["generated"]
            logits = model(torch.tensor([ids]))[0]
            p = len(s["prompt"])
            am, gaps = [], []
            for i, tok in enumerate(s["generated"]):
                row = logits[p - 1 + i]
                a = int(row.argmax())
                am.append(a)
                gaps.append(float(row[a] - row[tok]))
            out["sequences"].append({"argmax": am, "gap": gaps})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
