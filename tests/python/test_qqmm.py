"""qqmm and gather_qqmm in cmlx.core: both operands quantized, against
dequantize(quantize(x)) @ dequantize(quantize(w)).T, and against MLX;
argument passing and errors as mlx.core."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import param_kinds

MODES = [("nvfp4", 16, 4), ("mxfp8", 32, 8)]


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def qdq(a, mode, gs, bits):
    q = mx.quantize(a, gs, bits, mode=mode)
    return mx.dequantize(q[0], q[1], None, gs, bits, mode, dtype=a.dtype)


@pytest.mark.parametrize("mode,gs,bits", MODES)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_qqmm_values(mode, gs, bits, dtype):
    t = getattr(mx, dtype)
    x, w = mx.array(rnd((5, 64), 1)).astype(t), mx.array(rnd((7, 64), 2)).astype(t)
    ref = qdq(x, mode, gs, bits).astype(mx.float32) @ qdq(w, mode, gs, bits).astype(mx.float32).T
    got = mx.qqmm(x, w, mode=mode)
    assert got.dtype == t and got.shape == (5, 7)
    tol = 1e-4 if dtype == "float32" else 5e-2
    np.testing.assert_allclose(np.array(got.astype(mx.float32)), np.array(ref), rtol=tol,
                               atol=tol * 8)
    # w given packed with its scales
    wq, sc = mx.quantize(w, gs, bits, mode=mode)
    got2 = mx.qqmm(x, wq, sc, mode=mode)
    np.testing.assert_allclose(np.array(got2.astype(mx.float32)), np.array(ref), rtol=tol,
                               atol=tol * 8)


@pytest.mark.parametrize("mode,gs,bits", MODES)
def test_qqmm_like_mlx(mode, gs, bits, mlx):
    x, w = rnd((3, 32), 3), rnd((4, 32), 4)
    # MLX 0.32 builds qqmm on the CPU but cannot evaluate it ("NYI"): shapes
    # and dtypes only
    for t in ("float32", "bfloat16"):
        got = mx.qqmm(mx.array(x).astype(getattr(mx, t)), mx.array(w).astype(getattr(mx, t)),
                      None, gs, bits, mode)
        theirs = mlx.qqmm(mlx.array(x).astype(getattr(mlx, t)),
                          mlx.array(w).astype(getattr(mlx, t)), None, gs, bits, mode)
        assert got.shape == theirs.shape and str(got.dtype) == str(theirs.dtype)


def test_gather_qqmm_values():
    x, w = mx.array(rnd((2, 1, 3, 32), 5)), mx.array(rnd((3, 4, 32), 6))
    lhs, rhs = mx.array([1, 0]), mx.array([2, 0])
    got = mx.gather_qqmm(x, w, lhs_indices=lhs, rhs_indices=rhs, mode="mxfp8")
    xd, wd = qdq(x, "mxfp8", 32, 8), qdq(w, "mxfp8", 32, 8)
    ref = mx.gather_mm(xd, wd.swapaxes(-1, -2), lhs, rhs)
    assert got.shape == ref.shape
    np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-4, atol=1e-4)
    # no indices: a batched qqmm
    got = mx.gather_qqmm(mx.array(rnd((3, 2, 32), 7)), w, mode="mxfp8")
    assert got.shape == (3, 2, 4)


def test_param_kinds_like_mlx(mlx):
    a = lambda m: m.ones((4, 32))  # noqa: E731
    params = [("x", a), ("w", a), ("scales", None), ("group_size", None), ("bits", None),
              ("mode", "nvfp4"), ("global_scale_x", None), ("global_scale_w", None)]
    assert param_kinds(mx, "qqmm", params) == param_kinds(mlx, "qqmm", params)
    params = params[:3] + [("lhs_indices", None), ("rhs_indices", None)] + params[3:] + [
        ("sorted_indices", False)]
    assert param_kinds(mx, "gather_qqmm", params) == param_kinds(mlx, "gather_qqmm", params)


def test_errors():
    x = mx.ones((4, 32))
    # global scales are nvfp4's only, float32 scalars
    with pytest.raises(ValueError):
        mx.qqmm(x, x, mode="mxfp8", global_scale_x=mx.array(1.0))
    with pytest.raises(ValueError):
        mx.qqmm(x, x, global_scale_w=mx.array(1.0, mx.float16))
    with pytest.raises(ValueError):
        mx.qqmm(x, x, global_scale_x=mx.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        mx.qqmm(x, x, mode="bogus")
    with pytest.raises(ValueError):
        mx.qqmm(x, mx.ones((4, 16)))
    with pytest.raises(TypeError):
        mx.qqmm(x, x, group_size="a")
