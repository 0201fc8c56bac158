"""Quantization in cmlx.core (quantize, dequantize, quantized_matmul,
gather_qmm, to_fp8, from_fp8): packed weights bit for bit equal to MLX's for
every mode, bits and group size; products against the dequantized matrices;
argument passing as mlx.core; errors of the same type as MLX's."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import param_kinds, to_numpy

CONFIGS = [("affine", g, b) for g in (32, 64, 128) for b in (1, 2, 3, 4, 5, 6, 8)] + [
    ("mxfp4", 32, 4), ("mxfp8", 32, 8), ("nvfp4", 16, 4)]


def rnd(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _np(a):
    """A cmlx or MLX array as NumPy, bfloat16 through float32."""
    m = __import__(type(a).__module__, fromlist=["float32"])
    return np.array(a.astype(m.float32)) if "bfloat16" in str(a.dtype) else np.array(a)


def same(ours, theirs):
    """Equal shape, dtype and bits."""
    assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype), (ours, theirs)
    np.testing.assert_array_equal(_np(ours), _np(theirs), strict=True)


@pytest.mark.parametrize("mode,group,bits", CONFIGS)
def test_quantize_like_mlx(mlx, mode, group, bits):
    w = rnd((4, 256), group * 10 + bits, 2.0)
    ours = mx.quantize(mx.array(w), group, bits, mode=mode)
    theirs = mlx.quantize(mlx.array(w), group, bits, mode=mode)
    assert type(ours) is list and len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        same(o, t)
    deq = mx.dequantize(*ours[:2], ours[2] if mode == "affine" else None, group, bits, mode)
    deq_t = mlx.dequantize(*theirs[:2], theirs[2] if mode == "affine" else None, group, bits,
                           mode)
    same(deq, deq_t)
    x = rnd((3, 256), 1)
    qm = mx.quantized_matmul(mx.array(x), *ours[:2], ours[2] if mode == "affine" else None,
                             True, group, bits, mode)
    np.testing.assert_allclose(to_numpy(qm), x @ to_numpy(deq).astype(np.float32).T,
                               rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_quantize_half_like_mlx(mlx, dtype):
    w = rnd((2, 3, 128), 5)
    for mode, group, bits in [("affine", 64, 4), ("affine", 32, 8), ("mxfp4", 32, 4),
                              ("nvfp4", 16, 4)]:
        ours = mx.quantize(mx.array(w).astype(getattr(mx, dtype)), group, bits, mode)
        theirs = mlx.quantize(mlx.array(w).astype(getattr(mlx, dtype)), group, bits, mode)
        for o, t in zip(ours, theirs):
            same(o, t)


def test_defaults_and_strided_input(mlx):
    w = rnd((128, 64), 6)
    ours = mx.quantize(mx.array(w.T.copy()).T)  # a transposed view
    theirs = mlx.quantize(mlx.array(w))
    for o, t in zip(ours, theirs):
        same(o, t)
    same(mx.dequantize(*ours), mlx.dequantize(*theirs))
    same(mx.dequantize(*ours, dtype=mx.float16), mlx.dequantize(*theirs, dtype=mlx.float16))
    assert len(mx.quantize(mx.array(w), mode="mxfp8")) == 2


def test_quantized_matmul_and_gather():
    w = rnd((3, 32, 128), 7)
    wq, s, b = mx.quantize(mx.array(w), 64, 4)
    dq = to_numpy(mx.dequantize(wq, s, b, 64, 4)).astype(np.float64)
    x = rnd((3, 5, 128), 8)
    got = mx.quantized_matmul(mx.array(x), wq, s, b)
    np.testing.assert_allclose(to_numpy(got), x @ np.swapaxes(dq, -1, -2), rtol=1e-3, atol=1e-3)
    xt = rnd((3, 5, 32), 9)
    got = mx.quantized_matmul(mx.array(xt), wq, s, b, transpose=False, group_size=64, bits=4)
    # without the transpose w is (K, N) = (32, 128)
    np.testing.assert_allclose(to_numpy(got), xt @ dq, rtol=1e-3, atol=1e-3)
    lhs, rhs = np.array([2, 0], np.uint32), np.array([1, 1], np.uint32)
    got = mx.gather_qmm(mx.array(x), wq, s, b, mx.array(lhs), mx.array(rhs))
    exp = np.stack([x[i] @ dq[j].T for i, j in zip(lhs, rhs)])
    np.testing.assert_allclose(to_numpy(got), exp, rtol=1e-3, atol=1e-3)
    # lhs None: x's matrices in turn, broadcast against rhs
    got = mx.gather_qmm(mx.array(x), wq, s, b, rhs_indices=mx.array([[1], [0]], mx.uint32),
                        sorted_indices=True)
    exp = np.stack([[x[i] @ dq[j].T for i in range(3)] for j in (1, 0)])
    np.testing.assert_allclose(to_numpy(got), exp, rtol=1e-3, atol=1e-3)


def test_gather_qmm_like_mlx(mlx):
    w = rnd((4, 64, 128), 10)
    x = rnd((2, 3, 128), 11)
    lhs, rhs = np.array([[1, 0]], np.uint32), np.array([[3], [2]], np.uint32)
    ours = mx.gather_qmm(mx.array(x), *mx.quantize(mx.array(w)), mx.array(lhs), mx.array(rhs))
    theirs = mlx.gather_qmm(mlx.array(x), *mlx.quantize(mlx.array(w)), mlx.array(lhs),
                            mlx.array(rhs))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(to_numpy(ours), np.array(theirs), rtol=1e-4, atol=1e-4)


def test_fp8_like_mlx(mlx):
    x = np.concatenate([rnd((200,), 12, 100.0), [0.0, -0.0, 448, 500, -1000, 1e-9,
                                                 np.inf, -np.inf]]).astype(np.float32)
    for dtype in ("float32", "float16", "bfloat16"):
        ours = mx.to_fp8(mx.array(x).astype(getattr(mx, dtype)))
        theirs = mlx.to_fp8(mlx.array(x).astype(getattr(mlx, dtype)))
        same(ours, theirs)
    b = np.arange(256, dtype=np.uint8)
    for dtype in ("float32", "float16", "bfloat16"):
        ours = mx.from_fp8(mx.array(b), getattr(mx, dtype))
        theirs = mlx.from_fp8(mlx.array(b), dtype=getattr(mlx, dtype))
        np.testing.assert_array_equal(to_numpy(ours), _np(theirs))
        assert str(ours.dtype) == str(theirs.dtype)
    same(mx.from_fp8(mx.array(b)[::-3]), mlx.from_fp8(mlx.array(b)[::-3]))


def _w(m):
    return m.ones((4, 64))


ERRORS = [
    lambda m: m.quantize(_w(m), 64, 7),
    lambda m: m.quantize(_w(m), 48, 4),
    lambda m: m.quantize(_w(m), mode="bad"),
    lambda m: m.quantize(m.ones((4, 60))),
    lambda m: m.quantize(_w(m), "64"),
    lambda m: m.quantize(_w(m), mode=4),
    lambda m: m.dequantize(*m.quantize(_w(m))[:2]),
    lambda m: m.dequantize(*m.quantize(_w(m)), dtype="float32"),
    lambda m: m.quantized_matmul(m.ones((2, 32)), *m.quantize(_w(m))),
    lambda m: m.quantized_matmul(m.ones((2, 64)), *m.quantize(_w(m)), transpose=1),
    lambda m: m.gather_qmm(m.ones((2, 64)), *m.quantize(_w(m)), sorted_indices=None),
    lambda m: m.from_fp8(m.array([1, 2], m.uint8), m.int32),
    lambda m: m.from_fp8(m.array([1, 2], m.uint8), None),
    lambda m: m.quantize(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_like_mlx(i, mlx):
    def kind(m):
        try:
            m.eval(ERRORS[i](m))
        except Exception as e:
            return type(e).__name__
        return None

    assert kind(mx) == kind(mlx) is not None


W = ("w", lambda m: m.ones((4, 64)))
Q = [("w", lambda m: m.quantize(m.ones((4, 64)))[0]),
     ("scales", lambda m: m.quantize(m.ones((4, 64)))[1]),
     ("biases", lambda m: m.quantize(m.ones((4, 64)))[2])]
X = ("x", lambda m: m.ones((2, 64)))
SIGNATURES = {
    "quantize": [W, ("group_size", None), ("bits", None), ("mode", "affine"),
                 ("global_scale", None)],
    "dequantize": Q + [("group_size", None), ("bits", None), ("mode", "affine"),
                       ("global_scale", None), ("dtype", None)],
    "quantized_matmul": [X] + Q + [("transpose", True), ("group_size", None), ("bits", None),
                                   ("mode", "affine")],
    "gather_qmm": [X] + Q + [("lhs_indices", None), ("rhs_indices", None), ("transpose", True),
                             ("group_size", None), ("bits", None), ("mode", "affine"),
                             ("global_scale", None), ("sorted_indices", False)],
    "to_fp8": [("x", lambda m: m.ones((2,)))],
    "from_fp8": [("x", lambda m: m.ones((2,), m.uint8)), ("dtype", lambda m: m.float32)],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])
