"""Basic indexing (ints, slices with any step, None, Ellipsis, tuples of
them) against NumPy, and its errors."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import check, same_outcome

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
    ([0, 1], ValueError),
    (mx.array([0, 1]), ValueError),
    (mx.array(1.0), ValueError),
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
