"""Minimal GGUF v3 reader and writer (llama architecture, F32 / F16 / Q8_0 tensors) and the
tokenizer metadata of a SentencePiece model, as llama.cpp expects them."""
import os
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
ALIGN = 32
# value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
# tensor types
T_F32, T_F16, T_Q8_0 = 0, 1, 8
# general.file_type (llama_ftype) of a file whose matrices are of that tensor type
FILE_TYPE = {T_F32: 0, T_F16: 1, T_Q8_0: 7}
QUANTIZATION_VERSION = 2
# llama.cpp token types
TOK_NORMAL, TOK_UNKNOWN, TOK_CONTROL, TOK_USER_DEFINED, TOK_UNUSED, TOK_BYTE = 1, 2, 3, 4, 5, 6


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(v):
    """Encode a Python value with its GGUF type tag (ints -> u32 or i32/i64, floats -> f32)."""
    if isinstance(v, bool):
        return struct.pack("<I", BOOL) + struct.pack("<?", v)
    if isinstance(v, int):
        if 0 <= v < 2**32:
            return struct.pack("<I", U32) + struct.pack("<I", v)
        return struct.pack("<I", I64) + struct.pack("<q", v)
    if isinstance(v, float):
        return struct.pack("<I", F32) + struct.pack("<f", v)
    if isinstance(v, str):
        return struct.pack("<I", STRING) + _str(v)
    if isinstance(v, tuple) and v[0] == "array":
        kind, items = v[1], v[2]
        head = struct.pack("<I", ARRAY) + struct.pack("<IQ", kind, len(items))
        if kind == STRING:
            return head + b"".join(_str(s) for s in items)
        if kind == F32:
            return head + np.asarray(items, dtype="<f4").tobytes()
        if kind == I32:
            return head + np.asarray(items, dtype="<i4").tobytes()
        raise ValueError(f"unsupported array kind {kind}")
    raise ValueError(f"unsupported value {v!r}")


def quantize_q8_0(a):
    """Q8_0 blocks of 32 as ggml's quantize_row_q8_0_ref makes them (what llama-quantize writes):
    d = max|x| / 127 in float32, q = roundf(x * (1/d)) (halves away from zero), d stored as f16."""
    a = a.astype(np.float32).reshape(-1, 32)
    amax = np.abs(a).max(axis=1, keepdims=True)
    d = (amax / np.float32(127.0)).astype(np.float32)
    inv = np.where(d > 0, np.float32(1.0) / np.where(d > 0, d, np.float32(1.0)), np.float32(0.0)).astype(np.float32)
    x = (a * inv).astype(np.float32)
    q = (np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))).astype(np.int8)
    out = np.zeros(a.shape[0], dtype=[("d", "<f2"), ("q", "i1", 32)])
    out["d"] = d[:, 0].astype(np.float16)
    out["q"] = q
    return out.tobytes()


def _encode_tensors(tensors, weight_type):
    """Tensor infos and aligned data blobs: 1-D tensors F32, matrices `weight_type` (Q8_0 falls
    back to F16 where the last dimension is not a multiple of 32)."""
    infos, blobs, offset = [], [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        ttype = T_F32 if arr.ndim == 1 else weight_type
        if ttype == T_Q8_0 and arr.shape[-1] % 32 != 0:
            ttype = T_F16
        if ttype == T_F32:
            data = arr.astype("<f4").tobytes()
        elif ttype == T_F16:
            data = arr.astype("<f2").tobytes()
        else:
            data = quantize_q8_0(arr)
        dims = list(reversed(arr.shape))
        infos.append(_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
                     + struct.pack("<IQ", ttype, offset))
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    return infos, blobs


def _write_file(path, n_tensors, n_kv, kv, infos, blobs):
    header = GGUF_MAGIC + struct.pack("<IQQ", 3, n_tensors, n_kv) + kv + b"".join(infos)
    header += b"\0" * ((-len(header)) % ALIGN)
    with open(path, "wb") as f:
        f.write(header)
        for b in blobs:
            f.write(b)


def write_gguf(path, metadata, tensors, weight_type=T_F16):
    """metadata: ordered dict of key -> value (see _value); tensors: name -> numpy array (row-major,
    PyTorch [out, in] shape; GGUF dims are written reversed). 1-D tensors stay F32."""
    infos, blobs = _encode_tensors(tensors, weight_type)
    if weight_type == T_Q8_0:
        # where llama-quantize (and requantize_gguf) put them: last, in this order
        metadata = {k: v for k, v in metadata.items() if k not in ("general.file_type", "general.quantization_version")}
        metadata = {**metadata, "general.quantization_version": QUANTIZATION_VERSION,
                    "general.file_type": FILE_TYPE[weight_type]}
    elif "general.file_type" in metadata:
        metadata = {**metadata, "general.file_type": FILE_TYPE[weight_type]}
    kv = b"".join(_str(k) + _value(v) for k, v in metadata.items())
    _write_file(path, len(tensors), len(metadata), kv, infos, blobs)


def read_gguf(path):
    """Returns (metadata dict, tensors dict name -> float32 numpy array in PyTorch shape)."""
    meta, tensors, _ = _read_gguf(path)
    return meta, tensors


def _read_gguf(path):
    """read_gguf's result plus each metadata entry's bytes as stored (key -> bytes), in file order."""
    buf = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = buf[pos:pos + n].decode("utf-8")
        pos += n
        return s

    scalar = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", BOOL: "?", U64: "Q", I64: "q", F64: "d"}

    def value(t):
        if t == STRING:
            return string()
        if t == ARRAY:
            kind, n = take("I"), take("Q")
            return [value(kind) for _ in range(n)]
        return take(scalar[t])

    assert buf[:4] == GGUF_MAGIC, "not a GGUF file"
    pos = 4
    version, n_tensors, n_kv = take("I"), take("Q"), take("Q")
    meta, raw = {}, {}
    for _ in range(n_kv):
        start = pos
        k = string()
        meta[k] = value(take("I"))
        raw[k] = buf[start:pos]
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take("I")
        dims = [take("Q") for _ in range(nd)]
        ttype, off = take("I"), take("Q")
        infos.append((name, dims, ttype, off))
    align = meta.get("general.alignment", ALIGN)
    base = pos + ((-pos) % align)
    tensors = {}
    for name, dims, ttype, off in infos:
        n = int(np.prod(dims))
        shape = tuple(reversed(dims))
        start = base + off
        if ttype == T_F32:
            a = np.frombuffer(buf, dtype="<f4", count=n, offset=start)
        elif ttype == T_F16:
            a = np.frombuffer(buf, dtype="<f2", count=n, offset=start).astype(np.float32)
        elif ttype == T_Q8_0:
            blocks = np.frombuffer(buf, dtype=[("d", "<f2"), ("q", "i1", 32)], count=n // 32, offset=start)
            a = (blocks["q"].astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)
        else:
            raise ValueError(f"tensor type {ttype} not supported by this reader")
        tensors[name] = a.reshape(shape).copy()
    return meta, tensors, raw


def requantize_gguf(src, dst, weight_type, version=None):
    """Copies GGUF `src` to `dst` with every matrix (last dimension a multiple of 32 for Q8_0)
    re-encoded as `weight_type`; metadata is copied byte for byte except general.file_type (and
    general.version when `version` is given). From an F16 file to Q8_0 this writes the tensor data
    llama.cpp's `llama-quantize SRC DST q8_0` writes."""
    meta, tensors, raw = _read_gguf(src)
    entries = []
    for key, stored in raw.items():
        if weight_type == T_Q8_0 and key in ("general.file_type", "general.quantization_version"):
            continue  # appended below, where llama-quantize writes them
        if key == "general.file_type":
            entries.append(_str(key) + _value(FILE_TYPE[weight_type]))
        elif key == "general.version" and version is not None:
            entries.append(_str(key) + _value(str(version)))
        else:
            entries.append(stored)
    if weight_type == T_Q8_0:
        entries.append(_str("general.quantization_version") + _value(QUANTIZATION_VERSION))
        entries.append(_str("general.file_type") + _value(FILE_TYPE[weight_type]))
    infos, blobs = _encode_tensors(tensors, weight_type)
    assert meta.get("general.alignment", ALIGN) == ALIGN
    tmp = dst + ".tmp"
    _write_file(tmp, len(tensors), len(entries), b"".join(entries), infos, blobs)
    os.replace(tmp, dst)


def pad_vocab_metadata(meta, vocab):
    """Metadata `meta` (as read_gguf returns it) with its vocabulary padded to `vocab` entries by
    unused pieces (score -1e9, never produced by the tokenizer), the tokenizer arrays typed for
    write_gguf again, and llama.vocab_size set."""
    extra = vocab - len(meta["tokenizer.ggml.tokens"])
    if extra < 0:
        raise ValueError(f"cannot shrink a vocabulary of {len(meta['tokenizer.ggml.tokens'])} to {vocab}")
    meta = dict(meta)
    meta["llama.vocab_size"] = vocab
    meta["tokenizer.ggml.tokens"] = ("array", STRING, meta["tokenizer.ggml.tokens"] + [f"<unused_{i}>" for i in range(extra)])
    meta["tokenizer.ggml.scores"] = ("array", F32, meta["tokenizer.ggml.scores"] + [-1e9] * extra)
    meta["tokenizer.ggml.token_type"] = ("array", I32, meta["tokenizer.ggml.token_type"] + [TOK_UNUSED] * extra)
    return meta


def tokenizer_metadata(sp, user_defined):
    """llama.cpp "llama" (SentencePiece) tokenizer keys for a SentencePieceProcessor."""
    tokens, scores, types = [], [], []
    user_defined = set(user_defined)
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        if sp.is_unknown(i):
            t = TOK_UNKNOWN
        elif sp.is_control(i):
            t = TOK_CONTROL
        elif sp.is_byte(i):
            t = TOK_BYTE
        elif piece in user_defined:
            t = TOK_USER_DEFINED
            # llama.cpp matches user-defined tokens against raw text and copies them verbatim on
            # detokenisation, so they carry real spaces, not SentencePiece's U+2581
            piece = piece.replace("\u2581", " ")
        elif sp.is_unused(i):
            t = TOK_UNUSED
        else:
            t = TOK_NORMAL
        tokens.append(piece)
        scores.append(float(sp.get_score(i)))
        types.append(t)
    ids = {p: sp.piece_to_id(p) for p in ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<file_sep>"]}
    return {
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": ("array", STRING, tokens),
        "tokenizer.ggml.scores": ("array", F32, scores),
        "tokenizer.ggml.token_type": ("array", I32, types),
        "tokenizer.ggml.bos_token_id": sp.bos_id(),
        "tokenizer.ggml.eos_token_id": sp.eos_id(),
        "tokenizer.ggml.unknown_token_id": sp.unk_id(),
        "tokenizer.ggml.padding_token_id": sp.pad_id(),
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.add_eos_token": False,
        "tokenizer.ggml.add_space_prefix": False,
        "tokenizer.ggml.fim_pre_token_id": ids["<fim_prefix>"],
        "tokenizer.ggml.fim_suf_token_id": ids["<fim_suffix>"],
        "tokenizer.ggml.fim_mid_token_id": ids["<fim_middle>"],
        "tokenizer.ggml.fim_pad_token_id": ids["<fim_pad>"],
        "tokenizer.ggml.fim_sep_token_id": ids["<file_sep>"],
    }


def model_metadata(cfg, name, extra=None):
    hd = cfg.dim // cfg.heads
    meta = {
        "general.architecture": "llama",
        "general.name": name,
        "general.alignment": ALIGN,
        "general.file_type": 1,
        "llama.context_length": cfg.ctx,
        "llama.embedding_length": cfg.dim,
        "llama.block_count": cfg.layers,
        "llama.feed_forward_length": cfg.ffn,
        "llama.attention.head_count": cfg.heads,
        "llama.attention.head_count_kv": cfg.heads,
        "llama.attention.layer_norm_rms_epsilon": float(cfg.eps),
        "llama.rope.dimension_count": hd,
        "llama.rope.freq_base": float(cfg.rope_base),
        "llama.vocab_size": cfg.vocab,
    }
    for k, v in (extra or {}).items():
        meta[k] = v
    return meta
