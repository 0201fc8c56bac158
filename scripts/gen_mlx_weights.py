#!/usr/bin/env python3
"""Writes weights saved by real MLX for tests/python/test_mlx_weights.py.

    python3 scripts/gen_mlx_weights.py      (needs the real `mlx` package)

A small model (Embedding, MultiHeadAttention, LayerNorm, Conv2d, Linear
layers in a list) is initialised by MLX with a fixed seed and saved with
Module.save_weights as tests/data/mlx_weights.safetensors and
tests/data/mlx_weights.npz; tests/data/mlx_weights_io.npz holds a fixed
input and MLX's output of the model on it. The test builds the same model
(build() below) with cmlx.nn, loads the files and compares outputs.
"""
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
VOCAB, DIMS, HEADS, CHANNELS, OUT = 20, 16, 4, 4, 8


def build(mx, nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, DIMS)
            self.attention = nn.MultiHeadAttention(DIMS, HEADS, bias=True)
            self.norm = nn.LayerNorm(DIMS)
            self.conv = nn.Conv2d(1, CHANNELS, 3, padding=1)
            self.head = [nn.Linear(DIMS * CHANNELS, 32), nn.Linear(32, OUT)]

        def __call__(self, tokens):
            """(B, L) token ids -> (B, L, OUT)."""
            h = self.embedding(tokens)
            mask = nn.MultiHeadAttention.create_additive_causal_mask(h.shape[1])
            h = self.norm(h + self.attention(h, h, h, mask))
            # Each position's features as a one-channel (DIMS x 1) image.
            c = nn.relu(self.conv(h.reshape(-1, DIMS, 1, 1)))
            c = c.reshape(*tokens.shape, DIMS * CHANNELS)
            return self.head[1](nn.gelu(self.head[0](c)))

    return Net()


def fixed_input():
    return (np.arange(2 * 7, dtype=np.int32).reshape(2, 7) * 7) % VOCAB


def main():
    import mlx.core as mx
    import mlx.nn as nn

    mx.random.seed(42)
    model = build(mx, nn)
    mx.eval(model.parameters())
    DATA.mkdir(exist_ok=True)
    model.save_weights(str(DATA / "mlx_weights.safetensors"))
    model.save_weights(str(DATA / "mlx_weights.npz"))
    x = fixed_input()
    y = model(mx.array(x))
    np.savez(DATA / "mlx_weights_io.npz", input=x, output=np.array(y), mlx_version=mx.__version__)
    print(f"wrote {DATA}/mlx_weights.{{safetensors,npz}} and mlx_weights_io.npz "
          f"(MLX {mx.__version__}, output {y.shape})")


if __name__ == "__main__":
    main()
