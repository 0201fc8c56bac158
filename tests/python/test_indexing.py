"""Indexing against NumPy: basic keys (ints, slices with any step, None,
Ellipsis), integer arrays (cmlx, NumPy, lists) in any mix with them, over
hundreds of random keys on strided sources, and the errors MLX raises.

random_key() is shared with test_setitem.py."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, check, dt, random, same_outcome

X = np.arange(2 * 3 * 4).reshape(2, 3, 4)
E = Ellipsis

KEYS = [
    0, 1, -1, -2, (1,), (0, 1), (1, 2, 3), (-1, -1, -1),
    slice(None), slice(1, None), slice(None, 1), slice(None, None, -1), slice(None, None, 2),
    (slice(None), 1), (slice(None), slice(None, None, -2)), (1, slice(None), slice(None, None, -2)),
    (slice(None), slice(1, -1)), (slice(10, None),), (slice(None, -10),), (slice(3, 1, -1),),
    (slice(-1, -7, -2),), (slice(100, -100, -3),), (slice(2**40),), (slice(-2**40, None),),
    None, (None, 1), (1, None), (None, slice(None), None, 0), (E, 1), (1, E), (1, E, None),
    (E, None, slice(None)), (None, E, None), (E,), (), (0, E, 0, 0), (slice(None), E, 2),
    (np.int64(1), np.int32(-1)), (slice(np.int64(1), np.int32(3)),),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_basic_index(key):
    check(mx.array(X)[key], X[key], mx.int64)
    # also on a transposed and a reversed view
    for view, ref in ((mx.array(X).T, X.T), (mx.array(X)[::-1, :, ::-1], X[::-1, :, ::-1])):
        try:
            expected = ref[key]
        except IndexError:
            with pytest.raises(IndexError):
                view[key]
            continue
        check(view[key], expected)


def _small(key):  # MLX refuses slice bounds outside int32; cmlx clamps them
    return "1099511627776" not in repr(key)


@pytest.mark.parametrize("key", [k for k in KEYS if _small(k)], ids=repr)
def test_basic_index_vs_mlx(key, mlx):
    same_outcome(lambda m: m.array(X)[key], mlx)


def test_index_1d_and_scalars():
    a = mx.arange(5)
    check(a[::-2], [4, 2, 0])
    check(a[-1], 4)
    check(a[mx.array(1)], 1)
    check(a[:mx.array(3)], [0, 1, 2])
    s = mx.array(5)
    check(s[()], 5)
    check(s[None], [5])
    check(s[...], 5)
    assert a[1].shape == () and a[1:2].shape == (1,)


def test_index_results_compose():
    a = mx.arange(24.0).reshape(2, 3, 4)
    check(a[:, ::-1, 1::2].sum(axis=(0, 2)), X[:, ::-1, 1::2].sum(axis=(0, 2)))
    check(a[1][2][3], 23)
    check(a.T[1] + 1, X.T[1] + 1)


@pytest.mark.parametrize("key,err", [
    ((1, 2, 3, 4), ValueError),
    ((E, E), ValueError),
    ("a", ValueError),
    (1.0, ValueError),
    (mx.array(1.0), ValueError),
    (mx.array([0.0, 1.0]), ValueError),
    (True, ValueError),
    (mx.array([True, False]), ValueError),
    (((0, 1), 0), ValueError),
    ((mx.array([0, 1]), mx.array([0, 1, 0])), ValueError),
    (2, IndexError),
    (-3, IndexError),
    ((0, 5), IndexError),
    (slice(None, None, 0), ValueError),
], ids=repr)
def test_index_errors(key, err):
    with pytest.raises(err):
        mx.zeros((2, 3))[key]
    assert mx.zeros((2, 3))[1].shape == (3,)  # still fine afterwards


def test_zero_dim_errors():
    with pytest.raises(ValueError, match="0-dimensional"):
        mx.array(1)[0]


# ---- random keys ----

INDEX_DTYPES = ["int32", "int64", "uint8", "int16", "uint32"]


def _index_array(rng, shape, n, form):
    """Integer indices in [-n, n) of the given shape as cmlx, NumPy or a list."""
    dtype = INDEX_DTYPES[rng.integers(len(INDEX_DTYPES))]
    lo = 0 if dtype.startswith("u") else -n
    vals = rng.integers(lo, n, shape).astype(dtype)
    if form == "list" and vals.size > 0 and vals.ndim > 0:  # [] loses the shape
        return vals.tolist(), vals
    if form == "np":
        return vals, vals
    return mx.array(vals), vals


def _axis_item(rng, n, bshape, arrays):
    """An index for one axis of size n: (cmlx item, NumPy item, is_array)."""
    r = rng.random()
    if arrays and n > 0 and r < 0.4:
        # a shape that broadcasts to bshape
        shape = [d if rng.random() < 0.7 else 1 for d in bshape]
        shape = shape[rng.integers(len(shape) + 1):] if rng.random() < 0.3 else shape
        form = ("mx", "np", "list")[rng.integers(3)]
        c, e = _index_array(rng, tuple(shape), n, form)
        return c, e, True
    if n > 0 and r < 0.6:
        i = int(rng.integers(-n, n))
        return i, i, False
    def bound():
        return None if rng.random() < 0.3 else int(rng.integers(-n - 2, n + 3))
    step = (None, 1, 1, 2, 3, -1, -2, -3)[rng.integers(8)]
    sl = slice(bound(), bound(), step)
    return sl, sl, False


def random_key(rng, shape, arrays=True):
    """A random key for an array of `shape`: (cmlx key, NumPy key with MLX's
    meaning). Ints, slices, None, at most one Ellipsis and (with `arrays`)
    integer arrays that broadcast together."""
    nd = len(shape)
    k = int(rng.integers(0, nd + 1))
    ellipsis = rng.random() < 0.35
    k1 = int(rng.integers(0, k + 1)) if ellipsis else k
    axes = list(range(k1)) + list(range(nd - (k - k1), nd))
    bshape = tuple(int(rng.integers(0, 4)) if rng.random() < 0.1 else int(rng.integers(1, 4))
                   for _ in range(rng.integers(0, 3)))
    citems, eitems = [], []
    for ax in axes:
        c, e, _ = _axis_item(rng, shape[ax], bshape, arrays)
        citems.append(c)
        eitems.append(e)
    if ellipsis:
        citems.insert(k1, Ellipsis)
        # MLX: an Ellipsis standing for no axis does not separate advanced
        # indices (NumPy's does); NumPy gets the key without it.
        eitems.insert(k1, Ellipsis if k < nd else None)
        if k == nd:
            eitems.pop(k1)
    for _ in range(rng.integers(0, 3) if rng.random() < 0.4 else 0):
        pos = int(rng.integers(0, len(citems) + 1))
        epos = pos if not (ellipsis and k == nd and pos > k1) else pos - 1
        citems.insert(pos, None)
        eitems.insert(epos, None)
    if len(citems) == 1 and len(eitems) == 1 and rng.random() < 0.5:
        return citems[0], eitems[0]
    return tuple(citems), tuple(eitems)


def random_source(rng, dtype_name, shape=None):
    """(cmlx array, NumPy array) equal, the cmlx one often a strided,
    transposed or reversed view."""
    if shape is None:
        shape = tuple(int(rng.integers(0, 5)) if rng.random() < 0.1 else int(rng.integers(1, 5))
                      for _ in range(rng.integers(0, 5)))
    kind = rng.integers(4) if len(shape) else 0
    if kind == 1:  # transposed
        x = random(shape[::-1], dtype_name, seed=int(rng.integers(1 << 30)))
        c, e = mx.array(x, dt(dtype_name)).T, x.T
    elif kind == 2:  # every other element along the first axis
        big = (2 * shape[0],) + shape[1:]
        x = random(big, dtype_name, seed=int(rng.integers(1 << 30)))
        c, e = mx.array(x, dt(dtype_name))[::2], x[::2]
    elif kind == 3:  # reversed along every axis
        x = random(shape, dtype_name, seed=int(rng.integers(1 << 30)))
        rev = (slice(None, None, -1),) * len(shape)
        c, e = mx.array(x, dt(dtype_name))[rev], x[rev]
    else:
        x = random(shape, dtype_name, seed=int(rng.integers(1 << 30)))
        c, e = mx.array(x, dt(dtype_name)), x
    return c, np.array(e)


@pytest.mark.parametrize("dtype_name", ["int32", "float32", "bool_", "float16", "complex64",
                                        "uint8", "bfloat16", "float64"])
def test_random_keys(dtype_name):
    rng = np.random.default_rng(1234 + DTYPES.index(dtype_name))
    for trial in range(200):
        c, e = random_source(rng, dtype_name)
        ckey, ekey = random_key(rng, e.shape)
        try:
            expected = e[ekey]
        except (IndexError, ValueError):
            continue  # NumPy refuses it: an index array out of range etc.
        got = c[ckey]
        assert got.shape == expected.shape, (trial, e.shape, ckey, got.shape, expected.shape)
        check(got, expected, dt(dtype_name))


def test_random_keys_vs_mlx(mlx):
    rng = np.random.default_rng(7)
    for _ in range(150):
        x = random((2, 3, 4), "int32", seed=1)
        ckey, _ = random_key(rng, x.shape)

        def conv(module, k):
            if isinstance(k, tuple):
                return tuple(conv(module, i) for i in k)
            if isinstance(k, (mx.array, mlx.array)):
                return module.array(np.array(k))
            if isinstance(k, np.ndarray):  # MLX takes no NumPy index arrays
                return module.array(k)
            return k
        same_outcome(lambda m: m.array(x)[conv(m, ckey)], mlx)


def test_advanced_placement():
    x = np.arange(5 * 3 * 4 * 6).reshape(5, 3, 4, 6)
    a = mx.array(x)
    i, j = np.array([0, 2]), np.array([[1], [0]])
    for key in [(i,), (slice(None), i), (slice(None), i, j), (i, slice(None), j),
                (slice(None), 0, slice(None), i), (0, slice(1, None), j), (i, j, 1),
                (Ellipsis, i), (i, Ellipsis, j), (None, i, None, j), (slice(None), i, None, j),
                (slice(None, None, -1), j, i, slice(None, None, -2)), (1, i, 2, j)]:
        ckey = tuple(mx.array(k) if isinstance(k, np.ndarray) else k for k in key)
        check(a[ckey], x[key])
    # An Ellipsis that stands for no axis keeps the indices together (MLX)
    check(a[:, i, ..., j, :], x[:, i, j, :])


def test_index_arrays_forms():
    x = np.arange(12).reshape(3, 4)
    a = mx.array(x)
    check(a[[2, 0, -1]], x[[2, 0, -1]])
    check(a[[[0, 1], [2, 2]]], x[[[0, 1], [2, 2]]])
    check(a[np.array([1, 0])], x[[1, 0]])
    check(a[np.int64(2)], x[2])
    check(a[np.array(1)], x[1])
    check(a[mx.array([1, 0], mx.uint8)], x[[1, 0]])
    check(a[mx.array([-1, -3], mx.int64)], x[[-1, -3]])
    check(a[[]], x[np.array([], int)])
    check(a[mx.array([], mx.int32), 1:], x[np.array([], int), 1:])
    check(a[[1, 1, 1], [3, 0, 3]], x[[1, 1, 1], [3, 0, 3]])
    check(a[mx.array(2), [0, 1]], x[2, [0, 1]])
    check(mx.zeros((2, 0))[[1, 0]], np.zeros((2, 0)))


def test_index_array_out_of_range_is_clamped():
    # MLX leaves it undefined (reads out of bounds); cmlx clamps reads
    a = mx.arange(5)
    check(a[mx.array([7, -9])], [4, 0])


def test_index_errors_vs_mlx(mlx):
    keys = [
        lambda m: (0, 0, 0), lambda m: (Ellipsis, Ellipsis), lambda m: "a", lambda m: 1.0,
        lambda m: True, lambda m: m.array([0.5]), lambda m: m.array([True, False]),
        lambda m: ((0, 1), 0), lambda m: slice(1.0, None),
        lambda m: (m.array([0, 1]), m.array([0, 1, 0])),
        lambda m: (slice(None), m.array([True, False, True])), lambda m: [0.0],
        lambda m: [True, False], lambda m: None, lambda m: (1, [0, 2]),
    ]
    for key in keys:
        same_outcome(lambda m: m.zeros((2, 3))[key(m)], mlx)
    same_outcome(lambda m: m.array(1)[0], mlx)
    same_outcome(lambda m: m.array(1)[m.array([0])], mlx)


def test_index_results_are_lazy_views():
    a = mx.arange(24.0).reshape(4, 6)
    b = a[mx.array([3, 0]), 1::2]
    a[0] = 100.0  # a later update does not change a result taken before
    check(b, np.arange(24.0).reshape(4, 6)[[3, 0], 1::2])
