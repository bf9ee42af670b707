#!/usr/bin/env python3
"""Write the model cards (models/<name>.card.json + .card.md) of the shipped target and draft from
the training log, the corpus manifest and the held-out evaluation (training/evaluate.ts output).

  /usr/bin/python3 training/card.py --eval training/work/eval.json --version 20261204

After re-encoding shipped files (training/quantize.py) there is no new training log: --heldout takes
training/heldout.py's scores of the new files, and the training and data sections are carried over
from the existing cards (used whenever --log is missing):

  /usr/bin/python3 training/card.py --eval eval-q8.json --heldout heldout-q8.json --version 20261205c-q8_0 \
      --draft-version 20261206-q8_0 --note "q8_0 made from the f16 export by training/quantize.py"
"""
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from gguf_io import read_gguf  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--log", default=os.path.join(HERE, "work", "ckpt", "log.jsonl"))
    ap.add_argument("--manifest", default=os.path.join(HERE, "work", "corpus", "manifest.json"))
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--version", required=True)
    ap.add_argument("--draft-version", help="the draft's version when it differs from the target's")
    ap.add_argument("--heldout", help="training/heldout.py output: held-out scores of the files in --models "
                                      "(instead of the training log's last evaluation)")
    ap.add_argument("--note", help="one line on how the files were made, shown beside their weight type")
    ap.add_argument("--machine", default="2-core x86-64 CPU (no GPU), PyTorch 1.13 (Debian), 2 threads, shared with other work")
    args = ap.parse_args()
    ev = json.load(open(args.eval))
    old = {}
    if not os.path.exists(args.log):
        # no training log: carry the training and data sections over from the existing cards
        old = {role: json.load(open(os.path.join(args.models, f"ghostline-{role}.card.json"))) for role in ("target", "draft")}
        t, d = old["target"]["training"], old["draft"]["training"]
        distil = d.get("draft_only_distillation") or {}
        last = {"step": t["steps"], "tokens": t["tokens"], "time": t["seconds"],
                **({"draft_steps": distil["steps"], "draft_tokens": distil["tokens"], "draft_time": distil["seconds"]}
                   if distil else {})}
        log = [last]
    else:
        log = [json.loads(l) for l in open(args.log)]
        last = log[-1]
    held = [r for r in log if "heldout_loss_target" in r]
    lastheld = held[-1] if held else {}
    if args.heldout:
        h = json.load(open(args.heldout))
        lastheld = {f"{k}_{role}": h[role][k2] for role in ("target", "draft") if role in h
                    for k, k2 in (("heldout_loss", "heldout_loss"), ("heldout_top1", "heldout_top1_next_token"))}
    if old:
        od = old["target"]["data"]
        summary = {"files": od["files"], "bytes": od["bytes"], "by_language": od["by_language_bytes"],
                   "packages": {k: {"license": v} for k, v in od["packages"].items()}}
    else:
        summary = json.load(open(args.manifest))["summary"]
    data = {
        "sources": "Python standard library (PSF-2.0) and the own sources of permissively licensed npm packages "
                   "(MIT / ISC / BSD / Apache-2.0; see training/corpus-packages.txt); minified, bundled, generated, "
                   "compiled and vendored files removed, exact and near-duplicates removed, held-out split by file",
        "files": summary["files"],
        "bytes": summary["bytes"],
        "by_language_bytes": summary["by_language"],
        "packages": {k: v["license"] for k, v in summary["packages"].items()},
    }
    for role in ("target", "draft"):
        path = os.path.join(args.models, f"ghostline-{role}.gguf")
        meta, tensors = read_gguf(path)
        params = int(sum(t.size for t in tensors.values()))
        per_param = os.path.getsize(path) / params
        weights = "q8_0" if per_param < 1.5 else "f16" if per_param < 3 else "f32"
        arch = {k.split(".", 1)[1]: meta[k] for k in meta if k.startswith("llama.")}
        scores = {
            "heldout_loss": lastheld.get(f"heldout_loss_{role}"),
            "heldout_perplexity": round(math.exp(lastheld[f"heldout_loss_{role}"]), 2) if f"heldout_loss_{role}" in lastheld else None,
            "heldout_top1_next_token": lastheld.get(f"heldout_top1_{role}"),
        }
        if role == "target":
            scores.update({
                "single_line_infill": ev["single_line"],
                "multi_line_infill": ev["multi_line"],
                **({"rest_of_line_infill": ev["rest_of_line"]} if "rest_of_line" in ev else {}),
                **({"rest_of_line_infill_served": ev["rest_of_line_served"]} if "rest_of_line_served" in ev else {}),
                "single_line_by_language": ev.get("single_line_by_language"),
                "eval_tasks": ev["tasks"],
            })
        scores["draft_target_greedy_agreement"] = ev.get("draft_target_greedy_agreement")
        version = args.draft_version if role == "draft" and args.draft_version else args.version
        machine = old[role]["training"]["machine"] if old else args.machine
        card = {
            "name": f"ghostline-{role}",
            "version": version,
            "role": role,
            "file": os.path.basename(path),
            "bytes": os.path.getsize(path),
            "weights": weights,
            **({"weights_note": args.note} if args.note else {}),
            "parameters": params,
            "architecture": arch,
            "tokenizer": "SentencePiece BPE, 4,096 pieces, byte fallback, newline+indentation pieces, FIM control tokens (models/ghostline-tokenizer.model)",
            "fim": "SPM order: <s> <fim_suffix> suffix <fim_prefix> prefix <fim_middle> middle </s> (also trained on PSM and plain text)",
            "training": {
                "steps": last["step"],
                "tokens": last["tokens"],
                "seconds": last["time"],
                "batch": "8 rows x 512 tokens; since step 1,453 several samples packed per row, each attending only to itself",
                "optimizer": "AdamW (0.9, 0.95), wd 0.1, warmup 100, cosine",
                "draft_distillation": "draft trained on 0.5 * data CE + 0.5 * KL(target || draft) on the same batches" if role == "draft" else None,
                **({"draft_only_distillation": {
                    "what": "then, with the target frozen: {0} * KL(target || draft) + {1:g} * CE(target's greedy token)".format(
                        last.get("distill", 0.5), 1 - last.get("distill", 0.5)),
                    "steps": last["draft_steps"], "tokens": last["draft_tokens"], "seconds": last["draft_time"]}}
                   if role == "draft" and last.get("draft_steps") else {}),
                "machine": machine,
            },
            "data": data,
            "scores": scores,
            "license": "MIT (weights and code); training data under the licences listed in data.packages",
        }
        json.dump(card, open(os.path.join(args.models, f"ghostline-{role}.card.json"), "w"), indent=1)
        pct = lambda x: "n/a" if x is None else f"{100 * x:.1f} %"
        md = [f"# ghostline-{role} ({version})", "",
              f"- Parameters: {params:,} — {arch.get('block_count')} layers, width {arch.get('embedding_length')}, "
              f"{arch.get('attention.head_count')} heads, FFN {arch.get('feed_forward_length')}, context {arch.get('context_length')}",
              f"- File: `{card['file']}` ({card['bytes'] / 1e6:.1f} MB, {weights} weights{'; ' + args.note if args.note else ''})",
              f"- Training: {last['step']} steps, {last['tokens'] / 1e6:.2f} M tokens, {last['time'] / 60:.0f} min on {machine}",
              *([f"- Then distilled into the frozen target: {last['draft_steps']} steps, {last['draft_tokens'] / 1e6:.2f} M tokens, "
                 f"{last['draft_time'] / 60:.0f} min (KL to the target + cross-entropy on its greedy token)"]
                if role == "draft" and last.get("draft_steps") else []),
              f"- Data: {summary['files']} files, {sum(summary['bytes'].values()) / 1e6:.1f} MB "
              f"({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in summary['by_language'].items())})",
              f"- Held-out next-token loss {scores['heldout_loss']} (perplexity {scores['heldout_perplexity']}), top-1 {pct(scores['heldout_top1_next_token'])}"]
        if role == "target":
            md += [f"- Single-line infill (held-out, {ev['single_line']['n']} tasks): exact match {pct(ev['single_line']['exact_match'])}, "
                   f"edit similarity {pct(ev['single_line']['edit_similarity'])}",
                   f"- Multi-line infill ({ev['multi_line']['n']} tasks): exact match {pct(ev['multi_line']['exact_match'])}, "
                   f"edit similarity {pct(ev['multi_line']['edit_similarity'])}"]
            if "rest_of_line" in ev:
                md += [f"- Rest-of-line infill, cursor inside the line ({ev['rest_of_line']['n']} tasks): exact match "
                       f"{pct(ev['rest_of_line']['exact_match'])}, edit similarity {pct(ev['rest_of_line']['edit_similarity'])}"]
            if "rest_of_line_served" in ev:
                md += [f"- Rest-of-line infill as the server prompts it (line-anchored, token healing; "
                       f"{ev['rest_of_line_served']['n']} tasks): exact match {pct(ev['rest_of_line_served']['exact_match'])}, "
                       f"edit similarity {pct(ev['rest_of_line_served']['edit_similarity'])}"]
        md += [f"- Draft/target greedy agreement: {pct(ev.get('draft_target_greedy_agreement'))} "
               f"({ev.get('agreement_tokens')} target tokens, teacher-forced)", "",
               "Licence: MIT. Training data: the Python standard library (PSF) and permissively licensed npm packages; "
               "the full list with licences is in this card's JSON (`data.packages`).", ""]
        open(os.path.join(args.models, f"ghostline-{role}.card.md"), "w").write("\n".join(md))
        print(f"wrote ghostline-{role}.card.json/.md")


if __name__ == "__main__":
    main()
