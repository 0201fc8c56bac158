"""Unary, binary and reduction ops bound from the op table, against NumPy
(and real MLX where it is installed)."""
import numpy as np
import pytest

import cmlx.core as mx

try:
    import mlx.core as real_mx
except ImportError:  # pragma: no cover
    real_mx = None

RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 0.9, size=(5, 7)).astype(np.float32)
Y = RNG.uniform(-3, 3, size=(5, 7)).astype(np.float32)

UNARY = {
    "abs": np.abs, "negative": np.negative, "square": np.square, "sqrt": np.sqrt,
    "rsqrt": lambda v: 1 / np.sqrt(v), "reciprocal": np.reciprocal, "exp": np.exp,
    "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh, "arctanh": np.arctanh,
    "degrees": np.degrees, "radians": np.radians, "floor": np.floor, "ceil": np.ceil,
    "trunc": np.trunc, "sign": np.sign,
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_unary_matches_numpy(name, layout):
    x = X.T if layout == "transposed" else X
    a = mx.array(X)
    if layout == "transposed":
        a = mx.transpose(a)
    got = np.array(getattr(mx, name)(a))
    np.testing.assert_allclose(got, UNARY[name](x), rtol=2e-6, atol=1e-6)


BINARY = {
    "maximum": np.maximum, "minimum": np.minimum, "power": np.power,
    "logaddexp": np.logaddexp, "arctan2": np.arctan2, "equal": np.equal,
    "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
    "floor_divide": np.floor_divide, "remainder": np.remainder,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_numpy_with_broadcast(name):
    a, b = np.abs(Y) + 0.5, Y[:1]  # b broadcasts along axis 0
    got = np.array(getattr(mx, name)(mx.array(a), mx.array(b)))
    np.testing.assert_allclose(got, BINARY[name](a, b), rtol=2e-6, atol=1e-6)


def test_integer_bitwise_and_shifts():
    a = np.array([1, 6, -8, 255], dtype=np.int32)
    b = np.array([3, 1, 2, 4], dtype=np.int32)
    for name, ref in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                      ("bitwise_xor", np.bitwise_xor), ("left_shift", np.left_shift),
                      ("right_shift", np.right_shift)]:
        assert np.array_equal(np.array(getattr(mx, name)(mx.array(a), mx.array(b))), ref(a, b))
    with pytest.raises((TypeError, ValueError)):
        mx.bitwise_and(mx.array([1.0]), mx.array([2.0]))


REDUCE = {"prod": np.prod, "min": np.min, "max": np.max, "mean": np.mean,
          "median": np.median, "all": np.all, "any": np.any}


@pytest.mark.parametrize("name", sorted(REDUCE))
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_reductions_match_numpy(name, axis):
    got = np.array(getattr(mx, name)(mx.array(X), axis=axis))
    np.testing.assert_allclose(got, REDUCE[name](X, axis=axis), rtol=2e-6)


def test_logsumexp_and_count_nonzero():
    got = np.array(mx.logsumexp(mx.array(Y), axis=1))
    np.testing.assert_allclose(got, np.log(np.exp(Y.astype(np.float64)).sum(1)), rtol=1e-6)
    z = np.array([[0, 1, 2], [0, 0, 3]], dtype=np.int32)
    assert np.array_equal(np.array(mx.count_nonzero(mx.array(z), axis=1)), [2, 1])


def test_methods_and_errors():
    a = mx.array(X)
    np.testing.assert_allclose(np.array(a.exp()), np.exp(X), rtol=2e-6)
    np.testing.assert_allclose(np.array(a.max(axis=1, keepdims=True)), X.max(1, keepdims=True))
    with pytest.raises(IndexError):
        mx.max(a, axis=2)
    with pytest.raises(ValueError):
        mx.maximum(a, mx.zeros((3,)))


@pytest.mark.skipif(real_mx is None, reason="real MLX is not installed")
@pytest.mark.parametrize("name", ["exp", "sigmoid", "erf", "tanh", "log1p"])
def test_dtypes_and_values_match_mlx(name):
    for dt in ["float16", "bfloat16", "float32", "int32"]:
        ours = getattr(mx, name)(mx.array(X).astype(getattr(mx, dt)))
        ref = getattr(real_mx, name)(real_mx.array(X).astype(getattr(real_mx, dt)))
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_allclose(np.array(ours.astype(mx.float32)),
                                   np.array(ref.astype(real_mx.float32)), rtol=1e-2, atol=1e-3)
