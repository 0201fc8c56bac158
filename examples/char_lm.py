#!/usr/bin/env python3
"""Trains a small character-level transformer language model with cmlx and
generates text from it.

    python3 examples/char_lm.py [--steps 600] [--seed 0] [--layers 4]
                                [--dims 128] [--heads 4] [--context 64]
                                [--batch-size 32] [--lr 3e-3]
                                [--prompt "Call me"] [--max-tokens 200]

The corpus is the first 32 chapters of Moby Dick (examples/data/, or --data
FILE); the vocabulary is the set of characters in it. The model is a
pre-norm transformer decoder (RMSNorm, rotary positions, causal attention
through mx.fast.scaled_dot_product_attention, GELU MLP) trained with AdamW
and a compiled training step; generation reuses the attention keys and
values of earlier positions (a key-value cache). The program is plain MLX
code: with --mlx it runs on real MLX instead, for comparison.
"""
import argparse
import math
import os
import sys
import time
from functools import partial

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "moby_dick_ch1-32.txt")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=30, help="steps of linear learning-rate warm-up")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--prompt", default="Call me")
    ap.add_argument("--max-tokens", type=int, default=200, help="characters to generate")
    ap.add_argument("--temp", type=float, default=0.8, help="sampling temperature (0: greedy)")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--mlx", action="store_true", help="run on real MLX instead of cmlx")
    return ap.parse_args(argv)


def import_framework(real_mlx):
    """(mx, nn, optim): real MLX's modules or cmlx's."""
    if real_mlx:
        import mlx.core as mx
        import mlx.nn as nn
        import mlx.optimizers as optim
    else:
        import cmlx.core as mx
        import cmlx.nn as nn
        import cmlx.optimizers as optim
    return mx, nn, optim


class Corpus:
    """The text as character ids, split 90/10 into training and validation."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}
        ids = np.array([self.index[c] for c in text], dtype=np.uint32)
        cut = len(ids) * 9 // 10
        self.train, self.val = ids[:cut], ids[cut:]

    def encode(self, s):
        return [self.index[c] for c in s if c in self.index]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)

    def batch(self, rng, ids, batch_size, context):
        """Random windows: inputs (B, T) and the next characters (B, T)."""
        starts = rng.integers(0, len(ids) - context - 1, batch_size)
        pos = starts[:, None] + np.arange(context)
        return ids[pos], ids[pos + 1]


def build(mx, nn, vocab_size, dims, num_layers, num_heads):
    head_dims = dims // num_heads

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(dims, 3 * dims, bias=False)
            self.out = nn.Linear(dims, dims, bias=False)
            self.rope = nn.RoPE(head_dims)

        def __call__(self, x, cache=None):
            B, L, _ = x.shape
            q, k, v = mx.split(self.qkv(x), 3, axis=-1)
            q, k, v = (t.reshape(B, L, num_heads, head_dims).transpose(0, 2, 1, 3) for t in (q, k, v))
            offset = 0 if cache is None else cache[0].shape[2]
            q = self.rope(q, offset=offset)
            k = self.rope(k, offset=offset)
            if cache is not None:
                k = mx.concatenate([cache[0], k], axis=2)
                v = mx.concatenate([cache[1], v], axis=2)
            o = mx.fast.scaled_dot_product_attention(
                q, k, v, scale=head_dims**-0.5, mask="causal" if L > 1 else None)
            return self.out(o.transpose(0, 2, 1, 3).reshape(B, L, dims)), (k, v)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1 = nn.RMSNorm(dims)
            self.attention = Attention()
            self.norm2 = nn.RMSNorm(dims)
            self.up = nn.Linear(dims, 4 * dims)
            self.down = nn.Linear(4 * dims, dims)

        def __call__(self, x, cache=None):
            a, cache = self.attention(self.norm1(x), cache)
            x = x + a
            return x + self.down(nn.gelu(self.up(self.norm2(x)))), cache

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, dims)
            self.blocks = [Block() for _ in range(num_layers)]
            self.norm = nn.RMSNorm(dims)
            self.head = nn.Linear(dims, vocab_size)

        def __call__(self, x, cache=None):
            """Logits (B, L, vocab) and the new cache (one (keys, values)
            pair per block)."""
            h = self.embedding(x)
            cache = cache or [None] * len(self.blocks)
            new_cache = []
            for block, c in zip(self.blocks, cache):
                h, c = block(h, c)
                new_cache.append(c)
            return self.head(self.norm(h)), new_cache

    return CharLM()


def init_model(mx, nn, args, vocab_size):
    """The model with its initial weights for args.seed (evaluated)."""
    mx.random.seed(args.seed)
    model = build(mx, nn, vocab_size, args.dims, args.layers, args.heads)
    mx.eval(model.parameters())
    return model


def make_optimizer(optim, args):
    warmup = optim.linear_schedule(args.lr / 10, args.lr, max(args.warmup, 1))
    decay = optim.cosine_decay(args.lr, max(args.steps - args.warmup, 1), args.lr / 10)
    schedule = optim.join_schedules([warmup, decay], [max(args.warmup, 1)])
    return optim.AdamW(learning_rate=schedule, weight_decay=args.weight_decay)


def train(mx, nn, optim, model, corpus, args, log=print, step_times=None):
    """Trains for args.steps steps; returns the loss of every step (and
    appends each step's seconds to step_times when given)."""
    opt = make_optimizer(optim, args)

    def loss_fn(model, x, y):
        logits, _ = model(x)
        return nn.losses.cross_entropy(logits, y, reduction="mean")

    loss_and_grad = nn.value_and_grad(model, loss_fn)
    # The model's weights and the optimizer's moments are read and written by
    # the compiled step as implicit inputs and outputs.
    state = [model.state, opt.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, grads = loss_and_grad(model, x, y)
        opt.update(model, grads)
        return loss

    rng = np.random.default_rng(args.seed)
    losses = []
    tokens = args.batch_size * args.context
    t0 = time.perf_counter()
    tick, tick_step = t0, 0
    for i in range(args.steps):
        start = time.perf_counter()
        x, y = corpus.batch(rng, corpus.train, args.batch_size, args.context)
        loss = step(mx.array(x), mx.array(y))
        mx.eval(loss, state)
        losses.append(loss.item())
        if step_times is not None:
            step_times.append(time.perf_counter() - start)
        if log and ((i + 1) % args.log_every == 0 or i + 1 == args.steps):
            now = time.perf_counter()
            rate = (i + 1 - tick_step) * tokens / (now - tick)
            recent = losses[tick_step:]
            log(f"step {i + 1:5d}/{args.steps}  loss {sum(recent) / len(recent):.4f}  "
                f"{rate:,.0f} tokens/s")
            tick, tick_step = now, i + 1
    if log:
        elapsed = time.perf_counter() - t0
        log(f"trained {args.steps} steps in {elapsed:.1f} s "
            f"({1000 * elapsed / max(args.steps, 1):.1f} ms/step)")
    return losses


def validation_loss(mx, nn, model, corpus, args, batches=8):
    rng = np.random.default_rng(12345)
    total = 0.0
    for _ in range(batches):
        x, y = corpus.batch(rng, corpus.val, args.batch_size, args.context)
        logits, _ = model(mx.array(x))
        total += nn.losses.cross_entropy(logits, mx.array(y), reduction="mean").item()
    return total / batches


def generate(mx, model, prompt, max_tokens, temp=0.0, use_cache=True):
    """Yields max_tokens token ids following the ids in `prompt`: greedy when
    temp is 0, else sampled at that temperature. With use_cache each step
    feeds only the newest token and reuses the cached keys and values;
    without it each step recomputes the whole sequence."""

    def pick(logits):
        if temp == 0:
            return mx.argmax(logits, axis=-1)
        return mx.random.categorical(logits * (1 / temp))

    tokens = list(prompt)
    logits, cache = model(mx.array([tokens]))
    for _ in range(max_tokens):
        token = pick(logits[:, -1, :]).item()
        yield token
        tokens.append(token)
        if use_cache:
            logits, cache = model(mx.array([[token]]), cache)
        else:
            logits, _ = model(mx.array([tokens]))


def main(argv=None):
    args = parse_args(argv)
    mx, nn, optim = import_framework(args.mlx)
    corpus = Corpus(args.data)
    model = init_model(mx, nn, args, len(corpus.chars))
    nparams = sum(v.size for _, v in _flatten(model.parameters()))
    print(f"{'mlx' if args.mlx else 'cmlx'}: {len(corpus.train):,} training characters, "
          f"vocabulary {len(corpus.chars)}, {nparams:,} parameters "
          f"({args.layers} layers, d={args.dims}, {args.heads} heads, context {args.context}, "
          f"batch {args.batch_size})")
    print(f"initial loss should be about ln({len(corpus.chars)}) = {math.log(len(corpus.chars)):.3f}")
    train(mx, nn, optim, model, corpus, args)
    print(f"validation loss {validation_loss(mx, nn, model, corpus, args):.4f}")

    mx.random.seed(args.seed)
    prompt = corpus.encode(args.prompt) or [0]
    sys.stdout.write("\n" + corpus.decode(prompt))
    t0 = time.perf_counter()
    n = 0
    for token in generate(mx, model, prompt, args.max_tokens, args.temp):
        sys.stdout.write(corpus.decode([token]))
        sys.stdout.flush()
        n += 1
    print(f"\n\ngenerated {n} characters, {n / (time.perf_counter() - t0):.1f} characters/s")


def _flatten(tree, prefix=""):
    """(name, array) pairs of a nested dict/list of arrays."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _flatten(v, f"{prefix}{k}.")
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from _flatten(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1], tree


if __name__ == "__main__":
    main()
