"""Python operators on arrays against NumPy: arithmetic, bitwise, shifts,
comparisons, their reflected and in-place forms, and unary operators."""
import operator

import numpy as np
import pytest

import cmlx.core as mx

INT_OPS = [operator.floordiv, operator.mod, operator.pow, operator.and_, operator.or_,
           operator.xor, operator.lshift, operator.rshift]
CMP_OPS = [operator.lt, operator.le, operator.eq, operator.ne, operator.gt, operator.ge]
FLOAT_OPS = [operator.floordiv, operator.mod, operator.pow]


def _ints():
    rng = np.random.default_rng(0)
    a = rng.integers(-20, 20, size=(3, 4)).astype(np.int32)
    b = rng.integers(1, 5, size=(4,)).astype(np.int32)
    return a, b


@pytest.mark.parametrize("op", INT_OPS, ids=lambda f: f.__name__)
def test_integer_binary_operators(op):
    a, b = _ints()
    if op in (operator.lshift, operator.rshift, operator.pow):
        a = np.abs(a)
    want = op(a, b)
    got = op(mx.array(a), mx.array(b))
    assert got.dtype == mx.int32
    np.testing.assert_array_equal(np.array(got), want)
    # A Python scalar on either side is weak: the dtype stays int32.
    np.testing.assert_array_equal(np.array(op(mx.array(a), 3)), op(a, np.int32(3)))
    np.testing.assert_array_equal(np.array(op(7, mx.array(b))), op(np.int32(7), b))
    assert op(mx.array(a), 3).dtype == mx.int32


@pytest.mark.parametrize("op", FLOAT_OPS, ids=lambda f: f.__name__)
def test_float_binary_operators(op):
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 3, size=(5,)).astype(np.float32)
    b = rng.uniform(0.5, 2, size=(5,)).astype(np.float32)
    np.testing.assert_allclose(np.array(op(mx.array(a), mx.array(b))), op(a, b), rtol=1e-5)
    np.testing.assert_allclose(np.array(op(mx.array(a), 1.5)), op(a, np.float32(1.5)), rtol=1e-5)


def test_power_of_int_by_float_promotes():
    got = mx.array([1, 4, 9]) ** 0.5
    assert got.dtype == mx.float32
    np.testing.assert_allclose(np.array(got), [1, 2, 3])
    np.testing.assert_array_equal(np.array(2 ** mx.array([1, 2, 3])), [2, 4, 8])


@pytest.mark.parametrize("op", CMP_OPS, ids=lambda f: f.__name__)
def test_comparisons(op):
    a = np.array([[1.0, np.nan, 3.0], [-0.0, 2.0, np.inf]], dtype=np.float32)
    b = np.array([1.0, 2.0, np.inf], dtype=np.float32)
    got = op(mx.array(a), mx.array(b))
    assert got.dtype == mx.bool_
    np.testing.assert_array_equal(np.array(got), op(a, b))
    np.testing.assert_array_equal(np.array(op(mx.array(a), 2.0)), op(a, 2.0))
    np.testing.assert_array_equal(np.array(op(2.0, mx.array(a))), op(2.0, a))


def test_comparison_with_non_arrays_falls_back():
    a = mx.array([1, 2])
    assert (a == None) is False  # noqa: E711
    assert (a != "x") is True
    assert (a == [1, 2]) is False  # lists are not operands (MLX)


def test_inplace_operators_replace_the_array():
    a = mx.array([7, 8, 9])
    alias = a
    a //= 2
    assert alias is a
    np.testing.assert_array_equal(np.array(a), [3, 4, 4])
    a %= 3
    np.testing.assert_array_equal(np.array(a), [0, 1, 1])
    a |= 4
    a ^= 1
    a &= 7
    np.testing.assert_array_equal(np.array(a), [5, 4, 4])
    a <<= 1
    a >>= 2
    np.testing.assert_array_equal(np.array(a), [2, 2, 2])
    a **= 0.5  # the result's dtype replaces the int dtype, as in MLX
    assert a.dtype == mx.float32


def test_unary_operators():
    a = np.array([-3, 0, 5], dtype=np.int32)
    np.testing.assert_array_equal(np.array(abs(mx.array(a))), np.abs(a))
    np.testing.assert_array_equal(np.array(+mx.array(a)), a)
    np.testing.assert_array_equal(np.array(~mx.array(a)), ~a)
    np.testing.assert_array_equal(np.array(~mx.array([True, False])), [False, True])
    f = np.array([-1.5, 2.0], dtype=np.float32)
    np.testing.assert_array_equal(np.array(abs(mx.array(f))), np.abs(f))


def test_wrong_operands():
    with pytest.raises(TypeError):
        pow(mx.array([1]), 2, 3)
    with pytest.raises((TypeError, ValueError)):
        mx.array([1.5]) << 1
    with pytest.raises(ValueError):  # MLX's type for a string operand
        mx.array([1]) + "x"
