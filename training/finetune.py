#!/usr/bin/env python3
"""Fine-tune a shipped (or any Ghostline-format) GGUF model on a JSONL of FIM examples and export a
new, versioned GGUF with its model card.

Input lines (what `ghostline dataset export` writes for supervised examples):
  {"prefix": "...", "suffix": "...", "middle": "...", "language": "typescript"}
Training uses the same SPM layout as pre-training and the server:
  <s> <fim_suffix> suffix <fim_prefix> prefix <fim_middle> middle </s>
with the loss on the middle and the closing </s> only.

  /usr/bin/python3 training/finetune.py --base models/ghostline-target.gguf --data sft.jsonl \
      --out .data/models/ghostline-target-ft1.gguf --version ft1 [--steps 200] [--eval eval.jsonl]
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity import model_from_gguf  # noqa: E402
from export import export_model, load_sp, DEFAULT_TOKENIZER  # noqa: E402
from gguf_io import FILE_TYPE, T_F16  # noqa: E402
from cpu_tuning import keep_freed_memory  # noqa: E402


def encode_example(sp, ex, ctx):
    PRE, SUF, MID = (sp.piece_to_id(p) for p in ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"))
    middle = sp.encode(ex["middle"])[: ctx // 3]
    suffix = sp.encode(ex.get("suffix", ""))[:128]
    room = ctx + 1 - 5 - len(middle) - len(suffix)
    prefix = sp.encode(ex.get("prefix", ""))
    prefix = prefix[-room:] if room > 0 else []
    head = [sp.bos_id(), SUF] + suffix + [PRE] + prefix + [MID]
    ids = head + middle + [sp.eos_id()]
    mask = [0] * len(head) + [1] * (len(middle) + 1)
    return ids[: ctx + 1], mask[: ctx + 1]


def load_jsonl(path):
    out = []
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line:
            continue
        try:
            ex = json.loads(line)
        except json.JSONDecodeError as e:
            sys.exit(f"{path}:{n}: not JSON ({e})")
        if not isinstance(ex, dict) or not isinstance(ex.get("middle"), str) or not isinstance(ex.get("prefix", ""), str):
            sys.exit(f"{path}:{n}: expected {{prefix, suffix, middle}} strings")
        out.append(ex)
    if not out:
        sys.exit(f"{path}: no examples")
    return out


def batch_of(examples, sp, ctx, pad):
    rows = [encode_example(sp, ex, ctx) for ex in examples]
    T = max(len(r[0]) for r in rows)
    x = torch.full((len(rows), T), pad, dtype=torch.long)
    m = torch.zeros((len(rows), T), dtype=torch.float32)
    for i, (ids, mask) in enumerate(rows):
        x[i, : len(ids)] = torch.tensor(ids)
        m[i, : len(mask)] = torch.tensor(mask, dtype=torch.float32)
    return x, m


def middle_loss(model, x, m):
    logits = model(x[:, :-1])
    ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="none")
    w = m[:, 1:].reshape(-1)
    return (ce * w).sum() / w.sum().clamp(min=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="GGUF to start from")
    ap.add_argument("--data", required=True, help="JSONL of {prefix, suffix, middle}")
    ap.add_argument("--eval", help="optional JSONL for before/after middle loss")
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    keep_freed_memory()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    sp = load_sp(args.tokenizer)
    model, meta = model_from_gguf(args.base)
    model.to(device).train()
    data = load_jsonl(args.data)
    evald = load_jsonl(args.eval) if args.eval else data[: min(len(data), 64)]
    pad = sp.pad_id()

    def eval_loss():
        model.eval()
        with torch.no_grad():
            tot, n = 0.0, 0
            for i in range(0, len(evald), args.batch):
                x, m = batch_of(evald[i:i + args.batch], sp, model.cfg.ctx, pad)
                tot += middle_loss(model, x.to(device), m.to(device)).item()
                n += 1
        model.train()
        return tot / max(n, 1)

    before = eval_loss()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    t0 = time.time()
    for step in range(args.steps):
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * step / max(1, args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, m = batch_of([rng.choice(data) for _ in range(args.batch)], sp, model.cfg.ctx, pad)
        loss = middle_loss(model, x.to(device), m.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        frac = (step + 1) / args.steps
        sys.stderr.write(f"\r[{'#' * int(frac * 30):-<30}] step {step + 1}/{args.steps} loss {loss.item():.3f}")
    sys.stderr.write("\n")
    after = eval_loss()
    base_name = meta.get("general.name", "ghostline")
    name = f"{base_name}-{args.version}"
    # the fine-tuned version is stored as its base is (q8_0 for the shipped target), so an A/B
    # experiment compares the fine-tuning, not the weight format
    weight_type = {ft: t for t, ft in FILE_TYPE.items()}.get(meta.get("general.file_type"), T_F16)
    export_model(model.cpu(), sp, args.out, name, version=args.version, weight_type=weight_type,
                 extra={"ghostline.base_model": base_name, "ghostline.base_version": str(meta.get("general.version", ""))})
    card = {
        "name": name,
        "version": args.version,
        "base": {"file": os.path.basename(args.base), "name": base_name, "version": meta.get("general.version")},
        "data": {"file": os.path.abspath(args.data), "examples": len(data)},
        "training": {"steps": args.steps, "batch": args.batch, "lr": args.lr, "seconds": round(time.time() - t0, 1), "device": device},
        "eval_middle_loss": {"before": round(before, 4), "after": round(after, 4), "examples": len(evald)},
        "file": os.path.basename(args.out),
        "bytes": os.path.getsize(args.out),
        "license": "MIT (weights); see models/README.md for training data licences",
    }
    card_path = os.path.splitext(args.out)[0] + ".card.json"
    json.dump(card, open(card_path, "w"), indent=1)
    print(json.dumps(card))


if __name__ == "__main__":
    main()
