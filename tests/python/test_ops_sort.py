"""sort, argsort, partition, argpartition, topk and searchsorted against
NumPy and real MLX."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import (FAMILY_DTYPES, LAYOUTS, check, dt, from_numpy, layout, param_kinds,
                     random, same_outcome, to_numpy)

REAL = [d for d in FAMILY_DTYPES if d != "complex64"]


def _x(dtype, shape=(5, 6), seed=0):
    x = random(shape, dtype, seed=seed, low=-20, high=20)
    if dtype == "bfloat16":  # the values bfloat16 holds
        x = np.array(mx.array(x, mx.bfloat16).astype(mx.float32))
    return x


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_sort_argsort(dtype):
    x = _x(dtype)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.sort(a), np.sort(e, -1), dt(dtype))
        check(mx.sort(a, 0), np.sort(e, 0), dt(dtype))
        check(mx.sort(a, axis=None), np.sort(e, None), dt(dtype))
        if dtype != "complex64":
            # stable: equal keys keep their order, as NumPy's stable sort
            check(mx.argsort(a), np.argsort(e, -1, kind="stable"), mx.uint32)
            check(mx.argsort(a, axis=0), np.argsort(e, 0, kind="stable"), mx.uint32)
            check(mx.argsort(a, None), np.argsort(e, None, kind="stable"), mx.uint32)


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("kth", [0, 2, -1])
def test_partition(dtype, kth):
    x = _x(dtype, seed=1)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        for axis in (-1, 0):
            p = to_numpy(mx.partition(a, kth, axis))
            k = kth % e.shape[axis]
            s = np.sort(e, axis)
            np.testing.assert_array_equal(np.take(p, [k], axis), np.take(s, [k], axis))
            np.testing.assert_array_equal(np.sort(p, axis), s.astype(p.dtype))
            below = np.take(p, range(k), axis)
            assert (below <= np.take(p, [k], axis)).all()
            idx = to_numpy(mx.argpartition(a, kth, axis=axis))
            assert idx.dtype == np.uint32
            np.testing.assert_array_equal(np.take_along_axis(e, idx.astype(np.int64), axis)
                                          .take([k], axis), np.take(s, [k], axis))
        flat = to_numpy(mx.partition(a, kth, None))
        assert flat.shape == (e.size,)
        assert flat[kth % e.size] == np.sort(e, None)[kth % e.size]


@pytest.mark.parametrize("dtype", REAL)
def test_topk(dtype):
    x = _x(dtype, seed=2)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        got = to_numpy(mx.topk(a, 3))
        np.testing.assert_array_equal(np.sort(got, -1), np.sort(e, -1)[:, -3:].astype(got.dtype))
        got = to_numpy(mx.topk(a, 2, axis=0))
        np.testing.assert_array_equal(np.sort(got, 0), np.sort(e, 0)[-2:].astype(got.dtype))
        got = to_numpy(mx.topk(a, 4, None))
        np.testing.assert_array_equal(np.sort(got), np.sort(e, None)[-4:].astype(got.dtype))


def test_nan_inf_negative_zero_and_empty():
    x = np.array([3.0, np.nan, -np.inf, -0.0, 0.0, np.inf, 1.0, np.nan], np.float32)
    got = to_numpy(mx.sort(mx.array(x)))
    np.testing.assert_array_equal(got, np.sort(x))  # NaN last, as NumPy
    assert list(to_numpy(mx.argsort(mx.array(x)))[-2:]) == [1, 7]
    e = mx.zeros((0, 3))
    check(mx.sort(e), np.zeros((0, 3)))
    check(mx.argsort(e, 0), np.zeros((0, 3)), mx.uint32)
    check(mx.sort(mx.array(2.0), None), [2.0])
    check(mx.topk(mx.array([1.0, 5.0]), 0), np.zeros(0))


@pytest.mark.parametrize("dtype", ["int32", "uint8", "float32", "float16", "int64"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(dtype, side):
    seq = np.sort(_x(dtype, (9,), seed=3))
    vals = _x(dtype, (4, 5), seed=4)
    vals.flat[:3] = seq[[0, 4, 8]]
    for how in LAYOUTS:
        v, e = layout(vals, dtype, how)
        got = mx.searchsorted(from_numpy(seq, dtype), v, side=side)
        check(got, np.searchsorted(seq, e, side=side))
    rev = from_numpy(np.ascontiguousarray(seq[::-1]), dtype)[::-1]
    check(mx.searchsorted(rev, from_numpy(vals, dtype), side),
          np.searchsorted(seq, vals, side=side))


def A(m):
    return m.array(np.array([[3, 1, 2], [9, -1, 4]], np.float32))


MLX_CASES = [
    lambda m: m.sort(A(m)), lambda m: m.argsort(A(m), 0), lambda m: m.sort(A(m), axis=None),
    lambda m: m.argsort(m.array([True, False, True])), lambda m: m.topk(A(m), 2),
    lambda m: m.sort(m.topk(A(m), 1, 0), 1), lambda m: m.partition(A(m), 1)[:, 1],
    lambda m: m.sort(m.argpartition(A(m), 0, axis=None)),
    lambda m: m.searchsorted(m.array([1, 2, 3]), m.array([0, 2, 9])),
    lambda m: m.searchsorted(m.array([1.0, 2, 3]), m.array(2), side="right"),
    lambda m: m.searchsorted(m.array([1, 2, 3], m.int8), m.array([2.5])),
    lambda m: m.sort(m.array(1.0)), lambda m: m.argsort(m.array([1 + 2j, 1 - 1j])),
    # wrong calls
    lambda m: m.sort(A(m), 2), lambda m: m.argsort(A(m), -3), lambda m: m.topk(A(m), 4),
    lambda m: m.topk(A(m), -1), lambda m: m.partition(A(m), 3), lambda m: m.partition(A(m), 0, 2),
    lambda m: m.argpartition(A(m), -4), lambda m: m.searchsorted(A(m), m.array([1])),
    lambda m: m.searchsorted(m.array([1, 2]), m.array([1]), side="middle"),
    lambda m: m.searchsorted(m.array([1, 2]), m.array([1]), side=1),
    lambda m: m.sort(A(m), axis="0"), lambda m: m.topk(A(m), 1.5),
]


@pytest.mark.parametrize("case", range(len(MLX_CASES)))
def test_same_as_mlx(case, mlx):
    same_outcome(MLX_CASES[case], mlx)


# ---- how each parameter may be passed, found by calling both libraries ----

Z = lambda m: m.zeros((2,))  # noqa: E731
Z2 = lambda m: m.zeros((2, 2))  # noqa: E731
K = lambda m: m.random.key(0)  # noqa: E731
SIGNATURES = {
    "sort": [("a", Z2), ("axis", 0)],
    "argsort": [("a", Z2), ("axis", 0)],
    "partition": [("a", Z2), ("kth", 0), ("axis", 0)],
    "argpartition": [("a", Z2), ("kth", 0), ("axis", 0)],
    "topk": [("a", Z2), ("k", 1), ("axis", 0)],
    "searchsorted": [("sorted_sequence", Z), ("values", Z), ("side", "left")],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])
