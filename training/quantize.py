#!/usr/bin/env python3
"""Re-encode a GGUF file's weight matrices (NumPy only; no llama.cpp build, no PyTorch).

  python3 training/quantize.py --in training/work/export/ghostline-target.gguf --out models/ghostline-target.gguf --type q8_0 --version 20261205c-q8_0

Metadata is copied unchanged except general.file_type (and general.quantization_version for Q8_0).
From F16 to Q8_0 every tensor's data is byte for byte what llama.cpp's `llama-quantize IN OUT q8_0`
writes (ggml's reference rounding; norms stay F32); only the order of tensors in the header may
differ, since llama-quantize reorders them. (training/export.py --type q8_0, which wrote the
shipped models/ghostline-{target,draft}.gguf, encodes the same way through gguf_io.write_gguf.)
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_io import requantize_gguf, T_F16, T_Q8_0, T_F32  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", choices=["f16", "q8_0", "f32"], default="q8_0")
    ap.add_argument("--version", help="general.version of the output (the model registry's version id comes from the card); "
                                      "default: the input's")
    args = ap.parse_args()
    if os.path.abspath(args.src) == os.path.abspath(args.out):
        ap.error("--in and --out must differ")
    requantize_gguf(args.src, args.out, {"f16": T_F16, "q8_0": T_Q8_0, "f32": T_F32}[args.type], version=args.version)
    print(json.dumps({"in": args.src, "out": args.out, "type": args.type,
                      "bytes_in": os.path.getsize(args.src), "bytes_out": os.path.getsize(args.out)}))


if __name__ == "__main__":
    main()
