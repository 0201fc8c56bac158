#!/usr/bin/env python3
"""Trains a classifier on Fashion-MNIST with cmlx and reports test accuracy.

    python3 examples/fashion_mnist.py [--model mlp|cnn] [--epochs 3]
                                      [--batch-size 128] [--lr 1e-3] [--seed 0]

The data comes from Debian's dataset-fashion-mnist package
(/usr/share/datasets/fashion-mnist, or --data DIR). The program is plain
MLX code: with --mlx it runs on real MLX instead, for comparison.
"""
import argparse
import gzip
import os
import sys
import time
from functools import partial

import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (the MNIST format) as a NumPy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir):
    def part(name):
        x = read_idx(os.path.join(data_dir, f"{name}-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(data_dir, f"{name}-labels-idx1-ubyte.gz"))
        return x.astype(np.float32).reshape(len(x), -1) / 255.0, y.astype(np.uint32)

    return part("train"), part("t10k")


def build(mx, nn, kind):
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)]

        def __call__(self, x):
            for layer in self.layers[:-1]:
                x = nn.relu(layer(x))
            return self.layers[-1](x)

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 16, 3, padding=1)
            self.c2 = nn.Conv2d(16, 32, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(7 * 7 * 32, 128)
            self.fc2 = nn.Linear(128, 10)

        def __call__(self, x):
            x = x.reshape(-1, 28, 28, 1)
            x = self.pool(nn.relu(self.c1(x)))
            x = self.pool(nn.relu(self.c2(x)))
            x = nn.relu(self.fc1(x.reshape(x.shape[0], -1)))
            return self.fc2(x)

    return MLP() if kind == "mlp" else CNN()


def make_step(mx, nn, model, opt):
    """A compiled training step step(x, y) -> loss and the state it updates:
    the model's weights and the optimizer's moments are implicit inputs and
    outputs of the compiled function."""

    def loss_fn(model, x, y):
        return nn.losses.cross_entropy(model(x), y, reduction="mean")

    loss_and_grad = nn.value_and_grad(model, loss_fn)
    state = [model.state, opt.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, grads = loss_and_grad(model, x, y)
        opt.update(model, grads)
        return loss

    return step, state


def progress(epoch, done, total, loss, rate):
    width = 30
    filled = int(width * done / total)
    bar = "#" * filled + "." * (width - filled)
    sys.stdout.write(f"\repoch {epoch} [{bar}] {done}/{total} loss {loss:.4f} "
                     f"{rate:,.0f} examples/s")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=DATA_DIR)
    ap.add_argument("--mlx", action="store_true", help="run on real MLX instead of cmlx")
    args = ap.parse_args()

    if args.mlx:
        import mlx.core as mx
        import mlx.nn as nn
        import mlx.optimizers as optim
    else:
        import cmlx.core as mx
        import cmlx.nn as nn
        import cmlx.optimizers as optim

    if not os.path.isdir(args.data):
        sys.exit(f"{args.data} is missing: install Debian's dataset-fashion-mnist "
                 "(scripts/install_deps.sh does) or pass --data DIR")
    (xtr, ytr), (xte, yte) = load(args.data)
    mx.random.seed(args.seed)
    model = build(mx, nn, args.model)
    mx.eval(model.parameters())
    opt = optim.Adam(learning_rate=args.lr)

    step, state = make_step(mx, nn, model, opt)
    rng = np.random.default_rng(args.seed)
    n, bs = len(xtr), args.batch_size
    steps = n // bs
    epoch_times = []
    for epoch in range(1, args.epochs + 1):
        perm = rng.permutation(n)
        t0 = time.perf_counter()
        running = None
        for i in range(steps):
            idx = perm[i * bs:(i + 1) * bs]
            loss = step(mx.array(xtr[idx]), mx.array(ytr[idx]))
            mx.eval(loss, state)
            value = loss.item()
            running = value if running is None else 0.95 * running + 0.05 * value
            if i % 20 == 0 or i == steps - 1:
                elapsed = time.perf_counter() - t0
                progress(epoch, (i + 1) * bs, steps * bs, running, (i + 1) * bs / elapsed)
        epoch_times.append(time.perf_counter() - t0)
        print(f"\nepoch {epoch}: {epoch_times[-1]:.2f} s")

    model.eval()
    correct = 0
    for i in range(0, len(xte), 1000):
        logits = model(mx.array(xte[i:i + 1000]))
        correct += int(mx.sum(mx.argmax(logits, axis=1) == mx.array(yte[i:i + 1000])).item())
    acc = correct / len(xte)
    print(f"test accuracy: {acc:.4f} ({correct}/{len(xte)}); "
          f"median epoch {sorted(epoch_times)[len(epoch_times) // 2]:.2f} s")
    return acc


if __name__ == "__main__":
    main()
