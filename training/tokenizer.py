#!/usr/bin/env python3
"""Train Ghostline's code tokenizer: SentencePiece BPE with byte fallback.

Text round-trips exactly (identity normalisation, no dummy prefix, whitespace kept). Indentation is
cheap: newline + indentation runs (spaces written as U+2581, as SentencePiece escapes them) ("\\n", "\\n  ", "\\n    ", ... and tab runs) are user-defined
pieces, matched greedily before BPE both by SentencePiece and by llama.cpp, so a newline and the
indentation of the next line usually cost one token instead of two to five.

Special tokens (CONTROL type, never produced from user text): <unk>=0 <s>=1 </s>=2 <pad>=3
<fim_prefix> <fim_suffix> <fim_middle> <fim_pad> <file_sep>.
"""
import argparse
import json
import os
import random
import sys

CONTROL = ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<file_sep>"]


def whitespace_pieces():
    pieces = ["\n"]
    pieces += ["\n" + "\u2581" * n for n in range(1, 33)]
    pieces += ["\n" + "\t" * n for n in range(1, 9)]
    return pieces


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(here, "work", "corpus", "train.jsonl"))
    ap.add_argument("--out", default=os.path.join(here, "work", "tokenizer"))
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--sample-bytes", type=int, default=12_000_000)
    args = ap.parse_args()
    import sentencepiece as spm

    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(7)
    docs = [json.loads(l)["text"] for l in open(args.corpus)]
    rng.shuffle(docs)
    # SentencePiece reads one sentence per line; feed lines (the user-defined newline pieces are
    # added verbatim, so the trainer never needs to see newlines itself).
    sample_path = os.path.join(args.out, "sample.txt")
    total = 0
    with open(sample_path, "w") as f:
        for d in docs:
            for line in d.split("\n"):
                if line.strip():
                    f.write(line[:2000] + "\n")
                    total += len(line) + 1
            if total > args.sample_bytes:
                break
    user = whitespace_pieces()
    spm.SentencePieceTrainer.train(
        input=sample_path,
        model_prefix=os.path.join(args.out, "ghostline"),
        model_type="bpe",
        vocab_size=args.vocab,
        character_coverage=0.9995,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        allow_whitespace_only_pieces=True,
        split_digits=True,
        split_by_whitespace=True,
        max_sentence_length=4096,
        input_sentence_size=2_000_000,
        shuffle_input_sentence=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=3,
        control_symbols=CONTROL,
        user_defined_symbols=user,
        num_threads=2,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "ghostline.model"))
    # check exact round trip and report compression on held-out text
    held = [json.loads(l)["text"] for l in open(args.corpus.replace("train.jsonl", "heldout.jsonl"))][:200]
    chars = toks = 0
    for t in held:
        ids = sp.encode(t)
        assert sp.decode(ids) == t, "tokenizer does not round-trip"
        chars += len(t)
        toks += len(ids)
    print(json.dumps({"vocab": sp.get_piece_size(), "chars_per_token": round(chars / toks, 3)}))


if __name__ == "__main__":
    main()
