"""Helpers for the cmlx.nn / cmlx.optimizers tests: real MLX (the spec)
when importable, weight copying between the two, comparisons."""
import os

import numpy as np
import pytest

import cmlx.core as mx
from cmlx.utils import tree_flatten

try:
    if os.environ.get("CMLX_NO_MLX") == "1":
        raise ImportError
    import mlx.core as rmx
    import mlx.nn as rnn
    import mlx.optimizers as roptim
    import mlx.utils as rutils
except Exception:  # not installed, or fails to load on this machine
    rmx = rnn = roptim = rutils = None

needs_mlx = pytest.mark.skipif(rmx is None, reason="real MLX is not importable")


def copy_weights(dst, src):
    """Loads the parameters of the real-MLX module ``src`` into the cmlx
    module ``dst`` (strict: names and shapes must match)."""
    def conv(v):
        if v.dtype == rmx.bfloat16:  # NumPy has no bfloat16
            return mx.array(np.array(v.astype(rmx.float32))).astype(mx.bfloat16)
        return mx.array(np.array(v))

    dst.load_weights([(k, conv(v)) for k, v in rutils.tree_flatten(src.parameters())])
    return dst


def to_real(x):
    return None if x is None else rmx.array(np.asarray(x))


def to_cmlx(x):
    return None if x is None else mx.array(np.asarray(x))


def same_params(a, b):
    """The cmlx and MLX modules have the same parameter names, shapes and
    bit-identical values."""
    fa = tree_flatten(a.parameters())
    fb = rutils.tree_flatten(b.parameters())
    assert [k for k, _ in fa] == [k for k, _ in fb]
    for (k, x), (_, y) in zip(fa, fb):
        assert x.shape == tuple(y.shape), k
        np.testing.assert_array_equal(np.array(x), np.array(y), err_msg=k)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=tol, atol=tol)
