#!/usr/bin/env python3
"""Export a training checkpoint (or a fresh random-init model) to a GGUF file llama.cpp loads.

  python3 training/export.py --checkpoint training/work/ckpt/target.pt --out models/ghostline-target.gguf
  python3 training/export.py --random target --out /tmp/random.gguf
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, LlamaLM, PRESETS, gguf_tensors  # noqa: E402
from gguf_io import write_gguf, tokenizer_metadata, model_metadata, T_F16, T_Q8_0, T_F32  # noqa: E402
from tokenizer import whitespace_pieces  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TOKENIZER = os.path.join(os.path.dirname(HERE), "models", "ghostline-tokenizer.model")


def load_sp(path):
    import sentencepiece as spm
    return spm.SentencePieceProcessor(model_file=path)


def export_model(model, sp, out, name, version="0", weight_type=T_F16, extra=None):
    meta = model_metadata(model.cfg, name, {"general.version": version, **(extra or {})})
    meta.update(tokenizer_metadata(sp, whitespace_pieces()))
    tensors = {k: v.detach().float().cpu().numpy() for k, v in gguf_tensors(model).items()}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    write_gguf(tmp, meta, tensors, weight_type)
    os.replace(tmp, out)


def load_checkpoint(path, map_location="cpu"):
    ck = torch.load(path, map_location=map_location)
    model = LlamaLM(Config(**ck["config"]))
    model.load_state_dict(ck["model"])
    return model, ck


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--random", choices=sorted(PRESETS))
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="ghostline")
    ap.add_argument("--version", default="0")
    ap.add_argument("--type", choices=["f16", "q8_0", "f32"], default="f16")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sp = load_sp(args.tokenizer)
    if args.checkpoint:
        model, ck = load_checkpoint(args.checkpoint)
        info = {"step": ck.get("step"), "tokens": ck.get("tokens")}
    elif args.random:
        torch.manual_seed(args.seed)
        cfg = PRESETS[args.random]
        cfg.vocab = sp.get_piece_size()
        model = LlamaLM(cfg)
        info = {"random_init": True}
    else:
        ap.error("give --checkpoint or --random")
    wt = {"f16": T_F16, "q8_0": T_Q8_0, "f32": T_F32}[args.type]
    export_model(model, sp, args.out, args.name, args.version, wt)
    print(json.dumps({"out": args.out, "params": model.num_params(), "bytes": os.path.getsize(args.out), **info}))


if __name__ == "__main__":
    main()
