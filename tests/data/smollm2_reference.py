"""Prints the reference figures of tests/test_gguf_model.c from the PyPI
gguf package's reader: per selected tensor its ggml type, shape (row-major),
the float64 sum and absolute sum of its dequantized values and its first
four values. Usage: python3 smollm2_reference.py PATH.gguf"""
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

r = GGUFReader(sys.argv[1])
print("tensors", len(r.tensors), "keys", len([k for k in r.fields if not k.startswith("GGUF.")]))
names = ["token_embd.weight", "blk.0.attn_norm.weight", "blk.0.ffn_down.weight",
         "blk.0.attn_q.weight", "blk.29.ffn_up.weight", "output_norm.weight"]
for t in r.tensors:
    if t.name not in names:
        continue
    x = dequantize(t.data, t.tensor_type).astype(np.float64)
    f = [float(v) for v in x.reshape(-1)[:4]]
    shape = tuple(int(d) for d in reversed(t.shape))
    print(f'{{"{t.name}", "{t.tensor_type.name}", {{{", ".join(map(str, shape))}}}, '
          f"{float(x.sum())!r}, {float(np.abs(x).sum())!r}, {{{f[0]!r}, {f[1]!r}, {f[2]!r}, {f[3]!r}}}}},")
