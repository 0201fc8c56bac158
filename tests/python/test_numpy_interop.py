"""NumPy interop: the buffer protocol (writable, zero-copy where the layout
allows), __array__, round trips, and pickling."""
import ctypes
import gc
import hashlib
import pickle

import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, check, dt, random, to_numpy

NUMPY_DTYPES = [d for d in DTYPES if d != "bfloat16"]
FORMATS = {"bool_": "?", "uint8": "B", "uint16": "H", "uint32": "I", "uint64": "Q",
           "int8": "b", "int16": "h", "int32": "i", "int64": "q", "float16": "e",
           "float32": "f", "float64": "d", "bfloat16": "bfloat16", "complex64": "Zf"}


@pytest.mark.parametrize("name", NUMPY_DTYPES)
def test_round_trip(name):
    x = random((3, 4), name)
    a = mx.array(x, dt(name))
    y = np.array(a)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, x)
    # and NumPy -> cmlx keeps the dtype (float64 is kept when asked for)
    assert mx.array(y, dt(name)).dtype == dt(name)


@pytest.mark.parametrize("name", DTYPES)
def test_memoryview(name):
    a = mx.array([[1, 0, 1], [0, 1, 1]], dt(name))
    m = memoryview(a)
    assert m.format == FORMATS[name]
    assert m.itemsize == dt(name).size
    assert m.shape == (2, 3)
    assert m.strides == (3 * m.itemsize, m.itemsize)
    assert not m.readonly
    assert m.nbytes == a.nbytes
    if name != "bfloat16":
        assert m.tobytes() == np.array(a).tobytes()


def test_memoryview_formats_vs_mlx(mlx):
    for name in DTYPES:
        assert memoryview(mx.ones(2, dt(name))).format == \
            memoryview(mlx.ones(2, dt(name, mlx))).format


def test_zero_copy_export():
    a = mx.arange(12.0).reshape(3, 4)
    p1 = np.asarray(a).ctypes.data
    p2 = np.asarray(a).ctypes.data
    assert p1 == p2  # both views read the array's own buffer
    v = np.asarray(a)
    assert v.flags.writeable  # as MLX: writes reach the array
    v[0, 0] = 100
    assert a[0, 0].item() == 100


def test_strided_export():
    a = mx.arange(6).reshape(2, 3).T
    m = memoryview(a)
    assert m.strides == (4, 12) and not m.c_contiguous
    np.testing.assert_array_equal(np.asarray(a), np.arange(6).reshape(2, 3).T)
    np.testing.assert_array_equal(np.array(mx.arange(6)[::-2]), [5, 3, 1])
    assert memoryview(mx.arange(6)[::-1]).strides == (-4,)
    b = mx.broadcast_to(mx.array([1, 2]), (3, 2))
    assert memoryview(b).strides == (0, 4)
    np.testing.assert_array_equal(np.array(b), [[1, 2]] * 3)


def test_contiguous_request_copies():
    a = mx.arange(6).reshape(2, 3).T
    assert memoryview(a).tobytes() == np.arange(6, dtype=np.int32).reshape(2, 3).T.tobytes()
    # hashlib asks for a plain contiguous buffer: a strided array exports a copy
    s = mx.arange(6)[::2]
    assert hashlib.md5(s).digest() == hashlib.md5(np.array([0, 2, 4], np.int32)).digest()
    assert hashlib.md5(mx.arange(3)).digest() == hashlib.md5(np.arange(3, dtype=np.int32)).digest()


def test_writable_export():
    a = mx.arange(3)
    assert not memoryview(a).readonly
    memoryview(a).cast("B")[0] = 5
    assert a.tolist() == [5, 1, 2]
    (ctypes.c_int32 * 3).from_buffer(a)[2] = -1
    assert a.tolist() == [5, 1, -1]
    # a strided array has no contiguous writable form
    with pytest.raises(TypeError):
        (ctypes.c_char * 8).from_buffer(mx.arange(4)[::2])
    PyBUF_WRITABLE, PyBUF_C_CONTIGUOUS = 0x1, 0x20 | 0x18
    buf = ctypes.create_string_buffer(128)  # room for a Py_buffer
    get = ctypes.pythonapi.PyObject_GetBuffer
    get.argtypes = [ctypes.py_object, ctypes.c_void_p, ctypes.c_int]
    with pytest.raises(BufferError, match="not contiguous"):
        get(mx.arange(4)[::2], buf, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)


def test_export_outlives_array_and_inplace_updates():
    a = mx.arange(4) * 1
    view = np.asarray(a)
    a += 10  # replaces the array the object holds; the view keeps the old data
    del a
    gc.collect()
    np.testing.assert_array_equal(view, [0, 1, 2, 3])


def test_lazy_array_is_evaluated_on_export():
    a = mx.ones((2, 2)) * 3 + 1
    np.testing.assert_array_equal(np.array(a), np.full((2, 2), 4.0))


def test_dunder_array():
    a = mx.array([1, 2])
    r = a.__array__()
    assert isinstance(r, np.ndarray) and r.dtype == np.int32
    assert a.__array__(np.float32).dtype == np.float32
    assert a.__array__(copy=True).flags.writeable
    assert np.array(a, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.array(mx.zeros((0, 3))), np.zeros((0, 3)))
    assert np.array(mx.array(2.5, mx.float16)).dtype == np.float16


def test_bfloat16_and_numpy_as_mlx():
    a = mx.array([1, 2], mx.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        a.__array__()
    with pytest.raises(ValueError):  # NumPy cannot read the 'bfloat16' format, as with MLX
        np.array(a)
    np.testing.assert_array_equal(np.array(a.astype(mx.float32)), [1, 2])
    assert a.tolist() == [1.0, 2.0]
    # our own bfloat16 buffers read back
    check(mx.array(memoryview(a)), [1, 2], mx.bfloat16)


def test_numpy_inputs_any_layout():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for v in (x, x.T, x[:, ::-1], x[::2, :, 1::2], np.asfortranarray(x), x[..., 0]):
        check(mx.array(v), v, mx.float32)
    check(mx.array(np.array(5)), 5, mx.int64)
    check(mx.array(np.zeros((2, 0, 3))), np.zeros((2, 0, 3)), mx.float32)
    z = (np.arange(4) + 1j * np.arange(4))[::-1]
    check(mx.array(z), z, mx.complex64)


def test_large_numpy_copy():
    x = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)
    a = mx.array(x[:, ::2])
    np.testing.assert_array_equal(np.array(a), x[:, ::2])


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle(name, protocol):
    a = mx.array(random((2, 3), name, low=0), dt(name))
    for x in (a, a.T, a[0, 1], a[:, ::-1], mx.zeros((0, 2), dt(name))):
        b = pickle.loads(pickle.dumps(x, protocol=protocol))
        assert isinstance(b, mx.array)
        assert b.dtype == x.dtype and b.shape == x.shape
        assert b.tolist() == x.tolist()


def test_pickle_dtype():
    for name in DTYPES:
        assert pickle.loads(pickle.dumps(dt(name))) is dt(name)
