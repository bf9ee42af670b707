#!/usr/bin/env python3
"""Train Ghostline's target and draft models together on the same batches.

The draft learns from the data and, by distillation, from the target's own predictions on the same
batch (free: the target's logits are already computed), which raises draft/target agreement and so
the speculative acceptance rate. Device-agnostic (CPU or CUDA, picked automatically), deterministic
seed, checkpoint + resume, progress and loss log (JSONL), and periodic GGUF export.

  /usr/bin/python3 training/train.py --minutes 120           # resume if a checkpoint exists
  /usr/bin/python3 training/train.py --target target-gpu --batch 64 --minutes 60   # on a GPU
  /usr/bin/python3 training/train.py --draft-only --minutes 60 --anneal-from 1e-3 --anneal-to 1e-4

--draft-only freezes the target and trains only the draft to imitate it: KL(target || draft) plus
cross-entropy on the target's own greedy token (greedy acceptance is exactly "draft argmax ==
target argmax"). With no target backward pass a step costs about a third of a joint step, so the
draft sees several times more tokens per minute; the target's step/token counters do not move and
the draft's extra distillation is counted separately (draft_steps / draft_tokens / draft_seconds).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import Config, LlamaLM, PRESETS  # noqa: E402
from data import FimSampler, targets  # noqa: E402
from export import export_model, load_sp, DEFAULT_TOKENIZER  # noqa: E402
from cpu_tuning import keep_freed_memory  # noqa: E402


def lr_at(step, base, warmup, total):
    if step < warmup:
        return base * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def continued_lr(lr0, floor, frac):
    """Cosine from lr0 (where the resumed run left off) down to floor over this run's wall time."""
    return floor + (lr0 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))


def masked_ce(logits, y, pad):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=pad)


def weighted_ce(logits, y, pad, w):
    """Cross-entropy with a per-target weight (w[:, 1:] of packed_batch's weights: the weight of
    the token being predicted), normalised by the total weight of non-padding targets."""
    ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=pad, reduction="none")
    wt = w[:, 1:].reshape(-1) * (y.reshape(-1) != pad)
    return (ce * wt).sum() / wt.sum().clamp(min=1)


@torch.no_grad()
def evaluate(model, batches, pad):
    model.eval()
    tot, n = 0.0, 0
    correct, count = 0, 0
    for x, seg in batches:
        logits = model(x[:, :-1], seg[:, :-1])
        y = targets(x, seg, pad)
        tot += masked_ce(logits, y, pad).item()
        n += 1
        m = y != pad
        correct += ((logits.argmax(-1) == y) & m).sum().item()
        count += m.sum().item()
    model.train()
    return tot / max(n, 1), correct / max(count, 1)


@torch.no_grad()
def agreement(target, draft, batches, pad):
    target.eval(); draft.eval()
    agree, count = 0, 0
    for x, seg in batches:
        a = target(x[:, :-1], seg[:, :-1]).argmax(-1)
        b = draft(x[:, :-1], seg[:, :-1]).argmax(-1)
        m = targets(x, seg, pad) != pad
        agree += ((a == b) & m).sum().item()
        count += m.sum().item()
    target.train(); draft.train()
    return agree / max(count, 1)


def bar(frac, width=30):
    return "#" * int(frac * width) + "-" * (width - int(frac * width))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(HERE, "work", "corpus"))
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "work", "ckpt"))
    ap.add_argument("--export-dir", default=os.path.join(HERE, "work", "export"))
    ap.add_argument("--target", default="target", choices=sorted(PRESETS))
    ap.add_argument("--draft", default="draft", choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--draft-lr", type=float, default=5e-3)
    ap.add_argument("--total-steps", type=int, default=3000, help="length of the LR schedule")
    ap.add_argument("--minutes", type=float, default=60, help="stop after this much wall time (this run)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--ckpt-every", type=float, default=4.0, help="minutes between checkpoints")
    ap.add_argument("--export-every", type=float, default=15.0, help="minutes between GGUF exports")
    ap.add_argument("--anneal-to", type=float, default=None,
                    help="on resume: ignore --total-steps and decay the LR by cosine from where the checkpoint left "
                         "off down to this value over this run's --minutes (time-based, robust to a busy machine)")
    ap.add_argument("--anneal-from", type=float, default=None,
                    help="with --anneal-to: start the cosine from this LR instead of the checkpoint's (re-warm a "
                         "finished run; the draft's LR keeps its ratio to the target's)")
    ap.add_argument("--init-from", default=None,
                    help="directory with ghostline-target.gguf / ghostline-draft.gguf (+ .card.json) to start from "
                         "when there is no checkpoint, e.g. models/ (optimizer state starts fresh; use --anneal-from)")
    ap.add_argument("--middle-weight", type=float, default=1.0,
                    help="loss weight of FIM middle tokens (and their </s>) relative to all other tokens")
    ap.add_argument("--distill", type=float, default=0.5, help="weight of the KL(target || draft) term")
    ap.add_argument("--draft-only", action="store_true",
                    help="freeze the target; train the draft on --distill * KL + (1 - --distill) * CE(target's greedy token)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    keep_freed_memory()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(args.seed)
    sp = load_sp(args.tokenizer)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    os.makedirs(args.export_dir, exist_ok=True)
    tcfg, dcfg = PRESETS[args.target], PRESETS[args.draft]
    tcfg.vocab = dcfg.vocab = sp.get_piece_size()
    dcfg.ctx = tcfg.ctx
    target, draft = LlamaLM(tcfg).to(device), LlamaLM(dcfg).to(device)

    def opt_for(m, lr):
        decay = [p for p in m.parameters() if p.dim() >= 2]
        no_decay = [p for p in m.parameters() if p.dim() < 2]
        return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                 lr=lr, betas=(0.9, 0.95), eps=1e-8)

    opt_t, opt_d = opt_for(target, args.lr), opt_for(draft, args.draft_lr)
    sampler = FimSampler(sp, os.path.join(args.corpus, "train.jsonl"), tcfg.ctx, seed=args.seed)
    held = FimSampler(sp, os.path.join(args.corpus, "heldout.jsonl"), tcfg.ctx, seed=99)
    held_batches = [tuple(t.to(device) for t in held.packed_batch(args.batch)) for _ in range(6)]
    step, tokens, train_seconds = 0, 0, 0.0
    dsteps, dtokens, dseconds = 0, 0, 0.0  # draft-only distillation on top of the joint run
    ck_path = os.path.join(args.ckpt_dir, "state.pt")
    if os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location=device)
        target.load_state_dict(ck["target"]); draft.load_state_dict(ck["draft"])
        opt_t.load_state_dict(ck["opt_t"]); opt_d.load_state_dict(ck["opt_d"])
        sampler.set_state(ck["sampler"]); torch.set_rng_state(ck["torch_rng"])
        step, tokens, train_seconds = ck["step"], ck["tokens"], ck.get("train_seconds", 0.0)
        dsteps, dtokens, dseconds = ck.get("draft_steps", 0), ck.get("draft_tokens", 0), ck.get("draft_seconds", 0.0)
        print(f"resumed at step {step} ({tokens} tokens, {train_seconds / 60:.1f} min trained)", flush=True)
    elif args.init_from:
        from parity import model_from_gguf
        for name, m in (("target", target), ("draft", draft)):
            src, _ = model_from_gguf(os.path.join(args.init_from, f"ghostline-{name}.gguf"))
            m.load_state_dict(src.state_dict())
        card = os.path.join(args.init_from, "ghostline-target.card.json")
        if os.path.exists(card):
            tr = json.load(open(card)).get("training", {})
            step, tokens, train_seconds = tr.get("steps", 0), tr.get("tokens", 0), float(tr.get("seconds", 0))
        dcard = os.path.join(args.init_from, "ghostline-draft.card.json")
        if os.path.exists(dcard):  # the draft-only distillation the shipped draft already had
            dd = json.load(open(dcard)).get("training", {}).get("draft_only_distillation") or {}
            dsteps, dtokens, dseconds = dd.get("steps", 0), dd.get("tokens", 0), float(dd.get("seconds", 0))
        print(f"initialised from {args.init_from} (step {step}, {tokens} tokens, {train_seconds / 60:.1f} min trained)", flush=True)
    print(f"device={device} target={target.num_params()} params draft={draft.num_params()} params", flush=True)

    log = open(os.path.join(args.ckpt_dir, "log.jsonl"), "a")

    def save():
        tmp = ck_path + ".tmp"
        torch.save({"target": target.state_dict(), "draft": draft.state_dict(), "opt_t": opt_t.state_dict(),
                    "opt_d": opt_d.state_dict(), "sampler": sampler.state(), "torch_rng": torch.get_rng_state(),
                    "step": step, "tokens": tokens, "train_seconds": train_seconds,
                    "draft_steps": dsteps, "draft_tokens": dtokens, "draft_seconds": dseconds,
                    "tcfg": tcfg.to_dict(), "dcfg": dcfg.to_dict()}, tmp)
        os.replace(tmp, ck_path)
        for name, m in (("target", target), ("draft", draft)):
            torch.save({"config": m.cfg.to_dict(), "model": m.state_dict(), "step": step, "tokens": tokens,
                        "train_seconds": train_seconds, **({"draft_steps": dsteps, "draft_tokens": dtokens,
                                                             "draft_seconds": dseconds} if name == "draft" else {})}, os.path.join(args.ckpt_dir, f"{name}.pt"))

    def export():
        for name, m in (("target", target), ("draft", draft)):
            export_model(m, sp, os.path.join(args.export_dir, f"ghostline-{name}.gguf"), f"ghostline-{name}",
                         version=f"step{step}")

    def heldout_scores():
        hl, ha = evaluate(target, held_batches, pad)
        dl, da = evaluate(draft, held_batches, pad)
        scores = {"heldout_loss_target": round(hl, 4), "heldout_top1_target": round(ha, 4),
                  "heldout_loss_draft": round(dl, 4), "heldout_top1_draft": round(da, 4),
                  "agreement": round(agreement(target, draft, held_batches, pad), 4)}
        if args.draft_only:
            target.eval()  # evaluate() / agreement() put it back into training mode
        return scores

    def report(rec, line):
        log.write(json.dumps(rec) + "\n"); log.flush()
        sys.stderr.write("\r" + line)
        if "agreement" in rec:
            sys.stderr.write("\n" + json.dumps(rec) + "\n")
        sys.stderr.flush()

    due = {"ckpt": time.time(), "export": time.time()}

    def checkpoint_if_due():
        if time.time() - due["ckpt"] > args.ckpt_every * 60:
            save(); due["ckpt"] = time.time()
        if time.time() - due["export"] > args.export_every * 60:
            export(); due["export"] = time.time()

    lr0_t, lr0_d = opt_t.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]
    if args.anneal_from is not None:
        lr0_t, lr0_d = args.anneal_from, args.anneal_from * args.draft_lr / args.lr
    if args.anneal_to is not None:
        print(f"annealing lr {lr0_t:.2e} -> {args.anneal_to:.2e} over {args.minutes} min", flush=True)
    t_start = time.time()
    pad = sp.pad_id()
    if args.draft_only:
        target.eval()
        for p in target.parameters():
            p.requires_grad_(False)
        print(f"draft-only distillation: {args.distill} * KL + {1 - args.distill:.2f} * CE(target greedy)", flush=True)
    while args.draft_only and time.time() - t_start < args.minutes * 60:
        t0 = time.time()
        x, seg, w = (t.to(device) for t in sampler.packed_batch(args.batch, middle_weight=args.middle_weight))
        inp, y, sin = x[:, :-1], targets(x, seg, pad), seg[:, :-1]
        frac = (time.time() - t_start) / (args.minutes * 60)
        for g in opt_d.param_groups:
            g["lr"] = continued_lr(lr0_d, (args.anneal_to or 1e-4) * lr0_d / lr0_t, frac)
        with torch.no_grad():
            logits_t = target(inp, sin)
        logits_d = draft(inp, sin)
        m = (y != pad).reshape(-1)
        wt = (w[:, 1:].reshape(-1))[m]
        lt = logits_t.reshape(-1, logits_t.size(-1))[m]
        ld = F.log_softmax(logits_d.reshape(-1, logits_d.size(-1))[m], -1)
        kl_rows = (F.softmax(lt, -1) * (F.log_softmax(lt, -1) - ld)).sum(-1)
        ce_greedy_rows = -ld.gather(1, lt.argmax(-1, keepdim=True)).squeeze(1)
        kl = (kl_rows * wt).sum() / wt.sum().clamp(min=1)
        ce_g = (ce_greedy_rows * wt).sum() / wt.sum().clamp(min=1)
        loss_d = args.distill * kl + (1 - args.distill) * ce_g
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        torch.nn.utils.clip_grad_norm_(draft.parameters(), 1.0)
        opt_d.step()
        dsteps += 1
        ntok = int(m.sum().item())
        dtokens += ntok
        dt = time.time() - t0
        dseconds += dt
        if dsteps % 10 == 0:
            with torch.no_grad():
                agree_batch = (ld.argmax(-1) == lt.argmax(-1)).float().mean().item()
            rec = {"step": step, "tokens": tokens, "time": round(train_seconds), "phase": "draft-only", "distill": args.distill,
                   "draft_steps": dsteps, "draft_tokens": dtokens, "draft_time": round(dseconds),
                   "kl": round(kl.item(), 4), "ce_target_greedy": round(ce_g.item(), 4),
                   "batch_agreement": round(agree_batch, 4), "tok_per_s": round(ntok / dt),
                   "lr_draft": opt_d.param_groups[0]["lr"]}
            if dsteps % 100 == 0:
                rec.update(heldout_scores())
            report(rec, f"[{bar(min(1.0, frac))}] draft step {dsteps} kl {kl.item():.3f} "
                        f"agree {agree_batch:.3f} {ntok / dt:.0f} tok/s {dtokens / 1e6:.2f}M tok")
        checkpoint_if_due()
    while not args.draft_only and time.time() - t_start < args.minutes * 60:
        t0 = time.time()
        x, seg, w = (t.to(device) for t in sampler.packed_batch(args.batch, middle_weight=args.middle_weight))
        inp, y, sin = x[:, :-1], targets(x, seg, pad), seg[:, :-1]
        frac = (time.time() - t_start) / (args.minutes * 60)
        for g in opt_t.param_groups:
            g["lr"] = (continued_lr(lr0_t, args.anneal_to, frac) if args.anneal_to is not None
                       else lr_at(step, args.lr, 100, args.total_steps))
        for g in opt_d.param_groups:
            g["lr"] = (continued_lr(lr0_d, args.anneal_to * lr0_d / lr0_t, frac) if args.anneal_to is not None
                       else lr_at(step, args.draft_lr, 100, args.total_steps))
        logits_t = target(inp, sin)
        loss_t = weighted_ce(logits_t, y, pad, w)
        opt_t.zero_grad(set_to_none=True)
        loss_t.backward()
        torch.nn.utils.clip_grad_norm_(target.parameters(), 1.0)
        opt_t.step()
        logits_d = draft(inp, sin)
        loss_hard = weighted_ce(logits_d, y, pad, w)
        m = (y != pad).reshape(-1)
        lt = logits_t.detach().reshape(-1, logits_t.size(-1))[m]
        ld = logits_d.reshape(-1, logits_d.size(-1))[m]
        kl = F.kl_div(F.log_softmax(ld, -1), F.log_softmax(lt, -1), log_target=True, reduction="batchmean")
        loss_d = (1 - args.distill) * loss_hard + args.distill * kl
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        torch.nn.utils.clip_grad_norm_(draft.parameters(), 1.0)
        opt_d.step()
        step += 1
        ntok = int((y != pad).sum().item())
        tokens += ntok
        dt = time.time() - t0
        train_seconds += dt
        if step % 10 == 0:
            frac = min(1.0, (time.time() - t_start) / (args.minutes * 60))
            rec = {"step": step, "tokens": tokens, "loss_target": round(loss_t.item(), 4),
                   "loss_draft": round(loss_hard.item(), 4), "kl": round(kl.item(), 4),
                   "tok_per_s": round(ntok / dt), "lr": opt_t.param_groups[0]["lr"], "time": round(train_seconds),
                   **({"draft_steps": dsteps, "draft_tokens": dtokens, "draft_time": round(dseconds)} if dsteps else {})}
            if step % 100 == 0:
                rec.update(heldout_scores())
            report(rec, f"[{bar(frac)}] step {step} loss {loss_t.item():.3f}/{loss_hard.item():.3f} "
                        f"{ntok / dt:.0f} tok/s {tokens / 1e6:.2f}M tok")
        checkpoint_if_due()
    save()
    export()
    print(f"\ndone: step {step}, {tokens} tokens", flush=True)


if __name__ == "__main__":
    main()
