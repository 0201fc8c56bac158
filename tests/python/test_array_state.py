"""array.__bytes__, __getstate__ and __setstate__ (pickling state), against
real MLX."""
import copy
import pickle

import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, dt


def sample(m, name):
    return (m.arange(6).reshape(2, 3) % 4).astype(dt(name, m))


@pytest.mark.parametrize("name", DTYPES)
def test_bytes_match_mlx(mlx, name):
    a, r = sample(mx, name), sample(mlx, name)
    assert bytes(a) == bytes(r)
    assert bytes(a.T) == bytes(r.T)  # row-major order of the view
    assert bytes(a[:, ::-2]) == bytes(r[:, ::-2])


def test_bytes_scalar_and_empty():
    assert bytes(mx.array(True)) == b"\x01"
    assert bytes(mx.array(1.5)) == np.float32(1.5).tobytes()
    assert bytes(mx.zeros((0, 4))) == b""
    assert bytes(mx.arange(3, dtype=mx.int16) * 2) == np.array([0, 2, 4], np.int16).tobytes()


@pytest.mark.parametrize("name", DTYPES)
def test_getstate_matches_mlx(mlx, name):
    a, r = sample(mx, name), sample(mlx, name)
    sa, sr = a.__getstate__(), r.__getstate__()
    assert isinstance(sa, tuple) and len(sa) == 2
    assert sa[1] == sr[1]
    assert sa[0].dtype == sr[0].dtype and sa[0].shape == sr[0].shape
    np.testing.assert_array_equal(sa[0], sr[0])


@pytest.mark.parametrize("name", DTYPES)
def test_setstate_round_trip(name):
    a = sample(mx, name).T
    b = mx.array(0)
    b.__setstate__(a.__getstate__())
    assert b.dtype == a.dtype and b.shape == a.shape
    assert bytes(b) == bytes(a)
    c = pickle.loads(pickle.dumps(a))
    assert c.dtype == a.dtype and bytes(c) == bytes(a)
    d = copy.deepcopy(a)
    assert bytes(d) == bytes(a)


def test_setstate_accepts_mlx_state(mlx):
    r = mlx.array([[1.5, -2.0]], dtype=mlx.bfloat16)
    b = mx.array(0)
    b.__setstate__(r.__getstate__())
    assert b.dtype == mx.bfloat16 and b.tolist() == [[1.5, -2.0]]


def test_setstate_errors():
    b = mx.array([1, 2])
    with pytest.raises(TypeError):
        b.__setstate__((1, 2, 3))
    with pytest.raises(TypeError):
        b.__setstate__("state")
    with pytest.raises(ValueError):
        b.__setstate__((np.zeros(3, np.float32), 99))
    with pytest.raises(ValueError):
        b.__setstate__((np.zeros(3, np.float32), 11))  # 12 bytes are not float64 elements
    assert b.tolist() == [1, 2]  # unchanged after failures
