"""Llama-architecture decoder (RMSNorm, RoPE in GGML "NORM" adjacent-pair order, SwiGLU, tied
embeddings) in plain PyTorch (works on torch 1.13 and 2.x, CPU or CUDA)."""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 4096
    dim: int = 256
    layers: int = 5
    heads: int = 8
    ffn: int = 688
    ctx: int = 512
    rope_base: float = 10000.0
    eps: float = 1e-5

    def to_dict(self):
        return asdict(self)


PRESETS = {
    # ~5.0 M parameters: the shipped target
    "target": Config(dim=256, layers=5, heads=8, ffn=688),
    # ~0.93 M parameters, ~5x fewer multiply-adds per token: the shipped draft
    "draft": Config(dim=128, layers=2, heads=4, ffn=352),
    # larger target for GPU runs (train_gpu.sh)
    "target-gpu": Config(dim=512, layers=8, heads=8, ffn=1376, ctx=1024),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, T, device, pos=None):
    """cos/sin tables (T, hd/2); with pos (B, T) of per-token positions, (B, 1, T, hd/2)."""
    hd = cfg.dim // cfg.heads
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, device=device, dtype=torch.float32) / hd)
    p = torch.arange(T, device=device, dtype=torch.float32) if pos is None else pos.float()
    ang = p[..., None] * inv
    if pos is not None:
        ang = ang[:, None]
    return ang.cos(), ang.sin()


def segment_positions(seg):
    """Position of each token within its segment (packed rows): 0 at every segment start."""
    B, T = seg.shape
    idx = torch.arange(T, device=seg.device).expand(B, T)
    start = torch.ones_like(seg, dtype=torch.bool)
    start[:, 1:] = seg[:, 1:] != seg[:, :-1]
    first = torch.where(start, idx, torch.zeros_like(idx)).cummax(dim=1).values
    return idx - first


def apply_rope(x, cos, sin):
    # x: (B, H, T, hd); adjacent pairs (x[2i], x[2i+1]) rotate together (GGML NORM mode)
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    o1 = x1 * cos - x2 * sin
    o2 = x1 * sin + x2 * cos
    return torch.stack((o1, o2), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.w_gate = nn.Linear(d, cfg.ffn, bias=False)
        self.w_up = nn.Linear(d, cfg.ffn, bias=False)
        self.w_down = nn.Linear(cfg.ffn, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        H = self.cfg.heads
        hd = D // H
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, H, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, H, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, H, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class LlamaLM(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.dim)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.norm = RMSNorm(cfg.dim, cfg.eps)
        self.apply(self._init)
        for b in self.blocks:  # scaled residual init (GPT-2 style)
            nn.init.normal_(b.wo.weight, std=0.02 / math.sqrt(2 * cfg.layers))
            nn.init.normal_(b.w_down.weight, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, seg=None):
        """idx (B, T); seg (B, T) optional segment ids of packed samples: attention stays inside a
        segment and positions restart at each segment start."""
        B, T = idx.shape
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=idx.device), 1)
        if seg is None:
            cos, sin = rope_tables(self.cfg, T, idx.device)
        else:
            cos, sin = rope_tables(self.cfg, T, idx.device, segment_positions(seg))
            mask = (mask[None] | (seg[:, :, None] != seg[:, None, :]))[:, None]
        x = self.embed(idx)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return F.linear(self.norm(x), self.embed.weight)  # tied output


def gguf_tensors(model: LlamaLM):
    """Map module parameters to llama.cpp tensor names (no q/k permutation: RoPE is NORM order)."""
    out = {"token_embd.weight": model.embed.weight, "output_norm.weight": model.norm.weight}
    for i, b in enumerate(model.blocks):
        p = f"blk.{i}."
        out[p + "attn_norm.weight"] = b.attn_norm.weight
        out[p + "attn_q.weight"] = b.wq.weight
        out[p + "attn_k.weight"] = b.wk.weight
        out[p + "attn_v.weight"] = b.wv.weight
        out[p + "attn_output.weight"] = b.wo.weight
        out[p + "ffn_norm.weight"] = b.ffn_norm.weight
        out[p + "ffn_gate.weight"] = b.w_gate.weight
        out[p + "ffn_up.weight"] = b.w_up.weight
        out[p + "ffn_down.weight"] = b.w_down.weight
    return out
