"""Training samples: fill-in-the-middle in SPM and PSM order plus plain left-to-right text.

Token layouts (the server's prompt builder for the "ghostline" family uses exactly these):
  SPM: <s> <fim_suffix> suffix <fim_prefix> prefix <fim_middle> middle </s>
  PSM: <s> <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle </s>
  LM : <s> text
Prefix, suffix and middle are tokenised separately, as the server does, so that a cursor in the
middle of a word looks the same in training and in use.
"""
import json
import random

import torch


class FimSampler:
    def __init__(self, sp, path, ctx, seed=0, fim_rate=0.8, spm_rate=0.7, max_suffix=160, max_middle=192):
        self.sp = sp
        self.ctx = ctx
        self.rng = random.Random(seed)
        self.fim_rate = fim_rate
        self.spm_rate = spm_rate
        self.max_suffix = max_suffix
        self.max_middle = max_middle
        self.docs = [json.loads(l)["text"] for l in open(path)]
        self.cum = []
        total = 0
        for d in self.docs:
            total += len(d)
            self.cum.append(total)
        self.total = total
        self.BOS, self.EOS, self.PAD = sp.bos_id(), sp.eos_id(), sp.pad_id()
        self.PRE = sp.piece_to_id("<fim_prefix>")
        self.SUF = sp.piece_to_id("<fim_suffix>")
        self.MID = sp.piece_to_id("<fim_middle>")

    def state(self):
        return self.rng.getstate()

    def set_state(self, s):
        self.rng.setstate(s)

    def _pick_doc(self):
        import bisect
        r = self.rng.randrange(self.total)
        return self.docs[bisect.bisect_right(self.cum, r)]

    def _window(self, doc, chars):
        if len(doc) <= chars:
            return doc
        start = self.rng.randrange(len(doc) - chars)
        nl = doc.rfind("\n", 0, start)
        start = nl + 1 if nl >= 0 and start - nl < 200 else start
        return doc[start:start + chars]

    def _split(self, text):
        """Choose (a, b) so that middle = text[a:b]; modes mimic what an IDE asks for."""
        r = self.rng
        lines_at = [i + 1 for i, c in enumerate(text) if c == "\n"]
        starts = [0] + lines_at
        mode = r.random()
        if len(starts) < 3 or mode > 0.85:  # arbitrary character span
            a = r.randrange(len(text))
            b = min(len(text), a + r.randint(1, 400))
            return a, b
        # a line with content (blank lines would make an empty middle: the model then learns to
        # end at once, which is almost never what an IDE wants)
        for _ in range(8):
            li = r.randrange(len(starts) - 1)
            ls, le = starts[li], starts[li + 1] - 1  # le: index of the newline
            line = text[ls:le]
            if line.strip():
                break
        indent = len(line) - len(line.lstrip())
        if not line.strip():
            a = ls + indent
        elif mode < 0.15:
            a = ls + indent  # cursor after the indentation
        else:
            a = r.randint(ls + indent, le - 1)  # cursor somewhere in the line, before its end
        if mode < 0.55:
            return a, le  # rest of the line
        extra = r.randint(1, 4)
        end_li = min(len(starts) - 1, li + extra)
        b = starts[end_li] - 1 if end_li > li else le
        return a, max(b, a)

    def sample(self):
        return self.sample_with_middle()[0]

    def sample_with_middle(self):
        """(ids, m): m is the index of the first middle token (>= len(ids) when there is none)."""
        r = self.rng
        doc = self._pick_doc()
        window = self._window(doc, int(self.ctx * 3.6))
        T1 = self.ctx + 1
        if r.random() >= self.fim_rate or len(window) < 20:
            ids = [self.BOS] + self.sp.encode(window)
            return ids[:T1], T1
        a, b = self._split(window)
        enc = self.sp.encode
        prefix, middle, suffix = enc(window[:a]), enc(window[a:b]), enc(window[b:])
        middle = middle[: self.max_middle]
        suffix = suffix[: self.max_suffix]
        room = T1 - 5 - len(middle) - len(suffix)
        prefix = prefix[-room:] if room > 0 else []
        if r.random() < self.spm_rate:
            ids = [self.BOS, self.SUF] + suffix + [self.PRE] + prefix + [self.MID] + middle + [self.EOS]
        else:
            ids = [self.BOS, self.PRE] + prefix + [self.SUF] + suffix + [self.MID] + middle + [self.EOS]
        return ids[:T1], len(ids) - len(middle) - 1

    def batch(self, n):
        """One sample per row, padded (used by the fine-tuner's checks and older callers)."""
        T1 = self.ctx + 1
        rows = [self.sample() for _ in range(n)]
        x = torch.full((n, T1), self.PAD, dtype=torch.long)
        for i, ids in enumerate(rows):
            x[i, : len(ids)] = torch.tensor(ids)
        return x

    def packed_batch(self, n, min_room=48, middle_weight=None):
        """Rows filled with several samples back to back, plus a segment id per position (-1 on
        padding). With LlamaLM(idx, seg) each sample attends only to itself and its RoPE positions
        restart at 0, so a packed row trains exactly like separate rows, without computing on
        padding (one sample per row left ~18 % of a 512-token row empty).

        With middle_weight, also returns a per-position loss weight: middle_weight where the
        position is a FIM middle token or its closing </s>, 1 elsewhere (weighted_ce)."""
        T1 = self.ctx + 1
        x = torch.full((n, T1), self.PAD, dtype=torch.long)
        seg = torch.full((n, T1), -1, dtype=torch.long)
        w = torch.ones((n, T1), dtype=torch.float32)
        for i in range(n):
            at, k = 0, 0
            while T1 - at >= min_room:
                ids, mid = self.sample_with_middle()
                ids = ids[: T1 - at]
                x[i, at:at + len(ids)] = torch.tensor(ids)
                seg[i, at:at + len(ids)] = k
                if middle_weight is not None and mid < len(ids):
                    w[i, at + mid:at + len(ids)] = middle_weight
                at += len(ids)
                k += 1
        return (x, seg, w) if middle_weight is not None else (x, seg)


def targets(x, seg, pad):
    """Next-token targets for a packed batch: no target across a sample boundary or on padding."""
    y = x[:, 1:].clone()
    y[seg[:, 1:] != seg[:, :-1]] = pad
    return y
