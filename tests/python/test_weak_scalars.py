"""MLX's weak Python scalars: a scalar meeting an array takes the array's
dtype where it can (x + 1 keeps int8, float16 + 1.5 stays float16, a float
with an integer array gives float32), and an int that does not fit a narrow
integer dtype raises ValueError."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, check, dt, same_outcome

SCALARS = ["True", "1", "-1", "255", "1000", "2**40", "1.5", "1j", "np.float64(2.5)",
           "np.int64(3)", "np.float32(2.5)", "np.array([2])", "np.array([1.5])"]
OPS = ["+", "-", "*", "/"]


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("op", OPS)
def test_weak_scalar_vs_mlx(name, scalar, op, mlx):
    for expr in (f"m.array([1, 0], dt) {op} {scalar}", f"{scalar} {op} m.array([1, 0], dt)"):
        with np.errstate(all="ignore"):
            same_outcome(lambda m: eval(expr, {"m": m, "np": np, "dt": dt(name, m)}), mlx)


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("scalar", ["True", "1", "1000", "1.5", "1j", "np.array([2])",
                                    "mx.array([2], mx.int8)", "mx.array(2.5)"])
@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_inplace_vs_mlx(name, scalar, op, mlx):
    def run(m):
        x = m.array([1.0, 2.0], dt(name, m))
        alias = x
        ns = {"x": x, "mx": m, "np": np}
        exec(f"x {op} {scalar}", ns)
        assert ns["x"] is alias  # in place: the same object, seen by every reference
        return ns["x"]
    same_outcome(run, mlx)


EXPECTED = [  # (array dtype, expression on x, result dtype) from real MLX 0.32
    ("int8", "x + 1", "int8"),
    ("int8", "x + 1.5", "float32"),
    ("int8", "x + True", "int8"),
    ("uint8", "1 - x", "uint8"),
    ("uint8", "2 / x", "float32"),
    ("float16", "x + 1", "float16"),
    ("float16", "x + 1.5", "float16"),
    ("float16", "x + 1j", "complex64"),
    ("bfloat16", "x * 2.5", "bfloat16"),
    ("bool_", "x + 1", "int32"),
    ("bool_", "x + 1.5", "float32"),
    ("bool_", "x + True", "bool_"),
    ("bool_", "x + 2**40", "int32"),
    ("int64", "x + 2**40", "int64"),
    ("uint64", "x + 2**40", "uint64"),
    ("float32", "x + np.array([1, 2])", "float32"),
    ("int8", "x + np.array([1.5, 2])", "int8"),
    ("complex64", "x * 2", "complex64"),
]


@pytest.mark.parametrize("name,expr,result", EXPECTED)
def test_weak_scalar_dtypes(name, expr, result):
    x = mx.array([1, 0], dt(name))
    assert eval(expr, {"x": x, "np": np}).dtype == dt(result)


def test_overflow_messages():
    with pytest.raises(ValueError, match="Converting 1000 to int8 would result in overflow."):
        mx.array([1, 2], mx.int8) + 1000
    with pytest.raises(ValueError, match="Converting -1 to uint8 would result in overflow."):
        mx.array([1, 2], mx.uint8) + -1
    with pytest.raises(ValueError, match="overflow"):
        mx.full((2,), 256, mx.uint8)
    check(mx.array([1, 2], mx.uint8) + 255, [0, 1], mx.uint8)


def test_unsupported_operands():
    x = mx.ones(2)
    with pytest.raises(ValueError, match="Cannot perform addition on an mlx.core.array and list"):
        x + [1, 2]
    with pytest.raises(ValueError, match="Cannot perform addition"):
        "a" + x
    with pytest.raises(TypeError):
        x + None
    with pytest.raises(TypeError):
        None * x
    with pytest.raises(ValueError, match="In place division"):
        y = mx.array([1, 2])
        y /= 2


def test_negative():
    check(-mx.array([1, -2]), [-1, 2], mx.int32)
    check(-mx.array([1], mx.uint8), [255], mx.uint8)
    check(-mx.array([-128], mx.int8), [-128], mx.int8)
    got = np.array(-mx.array([0.0, -0.0, np.inf]))
    np.testing.assert_array_equal(np.signbit(got), [True, False, True])
    check(-mx.array([1 + 2j]), [-1 - 2j], mx.complex64)
    check(-mx.array(1.5, mx.bfloat16), -1.5, mx.bfloat16)
    with pytest.raises(ValueError, match="logical_not"):
        -mx.array([True])


def test_numpy_scalars_on_the_left():
    # NumPy handles these itself (it sees the array through the buffer protocol)
    r = np.ones(2) + mx.ones(2)
    assert isinstance(r, np.ndarray) and r.tolist() == [2.0, 2.0]
    r = np.float64(2) + mx.ones(2)
    assert isinstance(r, np.ndarray) and r.tolist() == [3.0, 3.0]
    # but as the second operand of an array op they are weak scalars
    check(mx.ones(2, mx.float16) + np.float64(2), [3, 3], mx.float16)
