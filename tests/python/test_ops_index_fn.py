"""take, take_along_axis and put_along_axis (the functions, not
subscripting) against NumPy and real MLX."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import (FAMILY_DTYPES, LAYOUTS, check, dt, from_numpy, layout, param_kinds, random,
                     same_outcome)

IDX_TYPES = ["int32", "uint8", "int64", "uint32", "int16"]


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_take(dtype):
    x = random((4, 5), dtype, seed=1)
    idx = np.array([[0, 3], [-1, 2], [4, 4]])
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.take(a, mx.array(idx)), np.take(e, idx), dt(dtype))
        check(mx.take(a, mx.array(idx[:, :1] % 4), axis=0), np.take(e, idx[:, :1] % 4, 0),
              dt(dtype))
        check(mx.take(a, mx.array([1, -2]), 1), np.take(e, [1, -2], 1), dt(dtype))
        check(mx.take(a, 7), np.take(e, 7), dt(dtype))
        check(mx.take(a, -1, axis=0), np.take(e, -1, 0), dt(dtype))
        check(mx.take(a, indices=2, axis=1), np.take(e, 2, 1), dt(dtype))
        check(mx.take(a, mx.array(3)), np.take(e, 3), dt(dtype))


@pytest.mark.parametrize("itype", IDX_TYPES)
def test_index_dtypes_and_layouts(itype):
    x = random((4, 5), "float32", seed=2)
    idx = random((3, 5), "int32", seed=3, low=0, high=4).astype(itype)
    for how in LAYOUTS:
        i, ie = layout(idx, itype, how)
        a = mx.array(x)
        check(mx.take(a, i, 0), np.take(x, ie, 0))
        check(mx.take_along_axis(a, i, axis=0), np.take_along_axis(x, ie.astype(np.int64), 0))


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_take_along_axis(dtype):
    x = random((4, 5), dtype, seed=4)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        idx = np.argsort(random((4, 5), "float32", seed=5), 1)[:, :3]
        check(mx.take_along_axis(a, mx.array(idx), 1), np.take_along_axis(e, idx, 1), dt(dtype))
        check(mx.take_along_axis(a, mx.array(idx)), np.take_along_axis(e, idx, -1), dt(dtype))
        bidx = np.array([[1], [0], [3], [2]])  # broadcasts along axis 1
        check(mx.take_along_axis(a, mx.array(bidx), axis=1),
              np.take_along_axis(e, bidx, 1), dt(dtype))
        neg = np.array([[-1, 0, -4, 2, 1]])
        check(mx.take_along_axis(a, mx.array(neg), 0), np.take_along_axis(e, neg % 4, 0),
              dt(dtype))
        flat = np.array([0, 19, 7])
        check(mx.take_along_axis(a, mx.array(flat), None), np.take_along_axis(e, flat, None),
              dt(dtype))


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_put_along_axis(dtype):
    x = random((4, 5), dtype, seed=6)
    vals = random((4, 2), dtype, seed=7)
    idx = np.array([[0, 4], [1, 3], [2, 2], [4, 0]])
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        want = e.copy()
        np.put_along_axis(want, idx, vals, 1)
        check(mx.put_along_axis(a, mx.array(idx), from_numpy(vals, dtype), 1), want, dt(dtype))
        want = e.copy()
        np.put_along_axis(want, idx[:, :1], vals[:1, :1], 1)
        check(mx.put_along_axis(a, mx.array(idx[:, :1]), from_numpy(vals[:1, :1], dtype),
                                axis=1), want, dt(dtype))
        want = e.copy()
        np.put_along_axis(want, np.array([3, 17]), vals[0], None)
        check(mx.put_along_axis(a, mx.array([3, 17]), from_numpy(vals[0], dtype)), want,
              dt(dtype))
        check(a, e, dt(dtype))  # the input is unchanged


def test_put_along_axis_weak_scalar_and_empty():
    a = mx.array([[1, 2], [3, 4]], mx.int8)
    check(mx.put_along_axis(a, mx.array([[1], [0]]), 9, 1), [[1, 9], [9, 4]], mx.int8)
    check(mx.put_along_axis(a, mx.array([[0]]), 2.5, 0), [[2, 2], [3, 4]], mx.int8)
    e = mx.zeros((0, 3))
    check(mx.take(e, mx.zeros((0,), mx.int32), 0), np.zeros((0, 3)))
    check(mx.take_along_axis(e, mx.zeros((0, 3), mx.int32), 0), np.zeros((0, 3)))
    check(mx.take(mx.array([1.0, 2.0]), mx.zeros((2, 0), mx.int32)), np.zeros((2, 0)))


def test_nan_inf_negative_zero_move_intact():
    x = np.array([np.nan, -0.0, np.inf, -np.inf], np.float32)
    got = np.array(mx.take(mx.array(x), mx.array([3, 2, 1, 0])))
    np.testing.assert_array_equal(got, x[::-1])
    assert np.signbit(got[2])


def A(m):
    return m.array(np.arange(12, dtype=np.float32).reshape(3, 4))


MLX_CASES = [
    lambda m: m.take(A(m), m.array([[1, 2]])), lambda m: m.take(A(m), 5),
    lambda m: m.take(A(m), 3, 1), lambda m: m.take(A(m), m.array([0, 2], m.uint8), axis=0),
    lambda m: m.take_along_axis(A(m), m.array([[0], [1], [2]]), 1),
    lambda m: m.take_along_axis(A(m), m.array([5, 0]), None),
    lambda m: m.put_along_axis(A(m), m.array([[0, 1]]), m.array([[7.0]]), 0),
    lambda m: m.put_along_axis(A(m), m.array([5, 0]), m.array([-1.0, -2.0]), None),
    lambda m: m.put_along_axis(m.array([1, 2], m.uint8), m.array([0]), m.array(3)),
    # wrong calls
    lambda m: m.take(A(m), m.array([0.5])), lambda m: m.take(A(m), m.array([0]), 2),
    lambda m: m.take(A(m), 1, axis=-3),
    lambda m: m.take(m.array(1.0), m.array([0]), 0),
    lambda m: m.take_along_axis(A(m), m.array([0]), 0),
    lambda m: m.take_along_axis(A(m), m.array([[0]]), 2),
    lambda m: m.put_along_axis(A(m), m.array([[0]]), m.array([[1.0]]), 5),
    lambda m: m.put_along_axis(A(m), m.array([0]), m.array([1.0]), 0),
    lambda m: m.put_along_axis(A(m), m.array([[0]]), m.zeros((2, 2, 2)), 0),
]


# Not compared: MLX's take with a negative int index (cmlx counts from the
# end, as NumPy), float indices in take_along_axis (MLX fails only when
# evaluating), and non-array arguments (cmlx converts them like mx.array).


@pytest.mark.parametrize("case", range(len(MLX_CASES)))
def test_same_as_mlx(case, mlx):
    same_outcome(MLX_CASES[case], mlx)


# ---- how each parameter may be passed, found by calling both libraries ----

Z = lambda m: m.zeros((2,))  # noqa: E731
Z2 = lambda m: m.zeros((2, 2))  # noqa: E731
K = lambda m: m.random.key(0)  # noqa: E731
SIGNATURES = {
    "take": [("a", Z2), ("indices", 0), ("axis", 0)],
    "take_along_axis": [("a", Z2), ("indices", lambda m: m.array([[0]])), ("axis", 0)],
    "put_along_axis": [
        ("a", Z2), ("indices", lambda m: m.array([[0]])), ("values", lambda m: m.array(1.0)),
        ("axis", 0),
    ],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])
