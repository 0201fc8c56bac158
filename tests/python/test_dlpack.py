"""DLPack: array.__dlpack__, array.__dlpack_device__ and from_dlpack, against
NumPy (the other side of the exchange) and real MLX (the spec)."""
import ctypes as C
import gc
import threading
import weakref

import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, NP_DTYPE, dt, to_numpy


# ---- reading a capsule, to check what the producer put in it ----

class _Device(C.Structure):
    _fields_ = [("device_type", C.c_int32), ("device_id", C.c_int32)]


class _Dtype(C.Structure):
    _fields_ = [("code", C.c_uint8), ("bits", C.c_uint8), ("lanes", C.c_uint16)]


class _Tensor(C.Structure):
    _fields_ = [("data", C.c_void_p), ("device", _Device), ("ndim", C.c_int32),
                ("dtype", _Dtype), ("shape", C.POINTER(C.c_int64)),
                ("strides", C.POINTER(C.c_int64)), ("byte_offset", C.c_uint64)]


class _Managed(C.Structure):
    _fields_ = [("dl_tensor", _Tensor), ("manager_ctx", C.c_void_p), ("deleter", C.c_void_p)]


class _Version(C.Structure):
    _fields_ = [("major", C.c_uint32), ("minor", C.c_uint32)]


class _ManagedVersioned(C.Structure):
    _fields_ = [("version", _Version), ("manager_ctx", C.c_void_p), ("deleter", C.c_void_p),
                ("flags", C.c_uint64), ("dl_tensor", _Tensor)]


_api = C.pythonapi
_api.PyCapsule_GetName.restype = C.c_char_p
_api.PyCapsule_GetName.argtypes = [C.py_object]
_api.PyCapsule_GetPointer.restype = C.c_void_p
_api.PyCapsule_GetPointer.argtypes = [C.py_object, C.c_char_p]

READ_ONLY, IS_COPIED = 1, 2


def capsule_info(cap):
    name = _api.PyCapsule_GetName(cap)
    ptr = _api.PyCapsule_GetPointer(cap, name)
    out = {"name": name.decode()}
    if name == b"dltensor_versioned":
        m = _ManagedVersioned.from_address(ptr)
        out.update(version=(m.version.major, m.version.minor), flags=m.flags)
    else:
        m = _Managed.from_address(ptr)
    t = m.dl_tensor
    nd = t.ndim
    out.update(
        data=t.data, device=(t.device.device_type, t.device.device_id), ndim=nd,
        dtype=(t.dtype.code, t.dtype.bits, t.dtype.lanes),
        shape=[t.shape[i] for i in range(nd)],
        strides=[t.strides[i] for i in range(nd)] if t.strides else None,
        byte_offset=t.byte_offset)
    return out


def np_address(n):
    return n.__array_interface__["data"][0]


# ---- export ----

def test_device():
    assert mx.array([1, 2]).__dlpack_device__() == (1, 0)


@pytest.mark.parametrize("name", [d for d in DTYPES if d != "bfloat16"])
def test_numpy_reads_every_dtype(name):
    vals = np.array([[0, 1, 2], [3, 250, 1]]).astype(NP_DTYPE[name])
    a = mx.array(vals, dtype=dt(name))
    n = np.from_dlpack(a)
    assert n.dtype == NP_DTYPE[name]
    np.testing.assert_array_equal(n, np.array(a))
    assert not n.flags.writeable  # cmlx arrays are immutable


def test_numpy_shares_memory():
    a = mx.arange(12, dtype=mx.float32).reshape(3, 4)
    n1, n2 = np.from_dlpack(a), np.from_dlpack(a)
    assert np.shares_memory(n1, n2)
    assert np.shares_memory(n1, np.asarray(a))
    info = capsule_info(a.__dlpack__())
    assert np_address(n1) == info["data"] + info["byte_offset"]


@pytest.mark.parametrize("view", [
    lambda a: a.T,
    lambda a: a[1:, ::2],
    lambda a: a[::-1],
    lambda a: a[:, ::-2],
    lambda a: mx.broadcast_to(a[:1], (3, 4)),
    lambda a: a[2],
])
def test_strides_preserved(view):
    base = np.arange(12, dtype=np.int32).reshape(3, 4)
    a = mx.array(base)
    v = view(a)
    mx.eval(v)
    n = np.from_dlpack(v)
    np.testing.assert_array_equal(n, np.array(v))
    expect = view(base) if not isinstance(v, mx.array) else None
    info = capsule_info(v.__dlpack__())
    assert [s * 4 for s in info["strides"]] == list(n.strides)
    if expect is not None:
        assert n.strides == expect.strides


def test_scalar_and_empty():
    n = np.from_dlpack(mx.array(2.5))
    assert n.shape == () and n == 2.5
    z = mx.zeros((0, 3), dtype=mx.int16)
    e = np.from_dlpack(z)
    assert e.shape == (0, 3) and e.dtype == np.int16
    assert capsule_info(z.__dlpack__())["data"]  # a valid pointer even with no bytes


def test_unevaluated_array_is_evaluated():
    a = mx.arange(5) * 2
    np.testing.assert_array_equal(np.from_dlpack(a), [0, 2, 4, 6, 8])


def test_versioned_and_legacy_capsules():
    a = mx.array([1.0, 2.0])
    assert capsule_info(a.__dlpack__())["name"] == "dltensor"
    assert capsule_info(a.__dlpack__(max_version=(0, 8)))["name"] == "dltensor"
    info = capsule_info(a.__dlpack__(max_version=(1, 0)))
    assert info["name"] == "dltensor_versioned"
    assert info["version"] == (1, 0)
    assert info["flags"] == READ_ONLY
    assert capsule_info(a.__dlpack__(max_version=(2, 3)))["name"] == "dltensor_versioned"


def test_copy_flag():
    a = mx.array([1.0, 2.0, 3.0])
    shared = capsule_info(a.__dlpack__(max_version=(1, 0)))
    copied = capsule_info(a.__dlpack__(max_version=(1, 0), copy=True))
    assert copied["flags"] == READ_ONLY | IS_COPIED
    assert copied["data"] != shared["data"]
    n = np.from_dlpack(a, copy=True)
    np.testing.assert_array_equal(n, [1, 2, 3])
    assert not np.shares_memory(n, np.asarray(a))
    assert capsule_info(a.__dlpack__(copy=False))["data"] == shared["data"]


def test_bfloat16_exported_as_dlpack_bfloat(mlx):
    a = mx.array([1.0, -2.0], dtype=mx.bfloat16)
    info = capsule_info(a.__dlpack__())
    assert info["dtype"] == (4, 16, 1)  # kDLBfloat
    ref = capsule_info(mlx.array([1.0, -2.0], dtype=mlx.bfloat16).__dlpack__())
    assert info["dtype"] == ref["dtype"]
    # NumPy has no bfloat16: it refuses, as it does for MLX's capsule
    with pytest.raises(Exception):
        np.from_dlpack(a)
    # the bits are the array's
    bits = (C.c_uint16 * 2).from_address(info["data"] + info["byte_offset"])
    assert list(bits) == [0x3F80, 0xC000]


@pytest.mark.parametrize("name", DTYPES)
def test_capsule_matches_mlx(mlx, name):
    vals = np.arange(24).reshape(2, 3, 4) % 3
    a = mx.array(vals).astype(dt(name))
    r = mlx.array(vals).astype(dt(name, mlx))
    for f in (lambda x: x, lambda x: x.transpose(2, 0, 1), lambda x: x[1:, ::2]):
        va, vr = f(a), f(r)
        mx.eval(va)
        mlx.eval(vr)
        ia, ir = capsule_info(va.__dlpack__()), capsule_info(vr.__dlpack__())
        for key in ("device", "ndim", "dtype", "shape", "strides", "byte_offset"):
            assert ia[key] == ir[key], key


def test_capsule_outlives_array():
    a = mx.arange(1000, dtype=mx.float32) + 1
    cap = a.__dlpack__()
    del a
    gc.collect()
    n = np.from_dlpack(type("P", (), {"__dlpack__": lambda self, **k: cap,
                                      "__dlpack_device__": lambda self: (1, 0)})())
    np.testing.assert_array_equal(n, np.arange(1000) + 1)


def test_unconsumed_capsule_is_freed():
    before = mx.get_active_memory()
    for _ in range(50):
        mx.array(np.ones(10000, np.float32)).__dlpack__(max_version=(1, 0))
        mx.array(np.ones(10000, np.float32)).__dlpack__()
    gc.collect()
    assert mx.get_active_memory() - before < 10000 * 4 * 4


def test_export_errors():
    a = mx.array([1, 2])
    with pytest.raises(BufferError):
        a.__dlpack__(dl_device=(2, 0))
    with pytest.raises(BufferError):
        a.__dlpack__(dl_device=(1, 1))
    assert capsule_info(a.__dlpack__(dl_device=(1, 0)))["device"] == (1, 0)
    with pytest.raises(TypeError):
        a.__dlpack__(1)  # keyword-only, as MLX
    with pytest.raises(TypeError):
        a.__dlpack__(copy="yes")
    with pytest.raises(TypeError):
        a.__dlpack__(max_version=1)
    a.__dlpack__(stream=None)


# ---- import ----

def test_from_numpy_shares_memory():
    n = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = mx.from_dlpack(n)
    assert a.dtype == mx.float32 and a.shape == (2, 3)
    n[0, 0] = 100
    assert a[0, 0].item() == 100
    np.testing.assert_array_equal(np.array(a), n)
    back = np.from_dlpack(a)
    assert np_address(back) == np_address(n)


@pytest.mark.parametrize("name", [d for d in DTYPES if d != "bfloat16"])
def test_from_numpy_every_dtype(name):
    n = (np.arange(12).reshape(3, 4) % 5).astype(NP_DTYPE[name])
    a = mx.from_dlpack(n)
    assert a.dtype == dt(name)
    np.testing.assert_array_equal(np.array(a), n)
    # and through an op
    np.testing.assert_array_equal(np.array(a.T), n.T)


@pytest.mark.parametrize("view", [
    lambda n: n.T,
    lambda n: n[:, ::-1],
    lambda n: n[::-2, 1:],
    lambda n: n[1:, ::2],
    lambda n: np.broadcast_to(n[:1], (3, 4)),
    lambda n: n[1],
])
def test_from_numpy_strided_views(view):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    v = view(base)
    a = mx.from_dlpack(v)
    np.testing.assert_array_equal(np.array(a), v)
    np.testing.assert_allclose(np.array(mx.sum(a * 2, axis=0)), (v * 2).sum(axis=0))
    np.testing.assert_allclose(np.array(a @ mx.ones((a.shape[-1], 2))),
                               v @ np.ones((v.shape[-1], 2), np.float32))
    # zero-copy with the producer's strides: NumPy sees its own memory again
    back = np.from_dlpack(a)
    assert back.strides == v.strides
    assert np_address(back) == np_address(v)


def test_from_numpy_keeps_producer_alive():
    n = np.arange(100, dtype=np.int64)
    ref = weakref.ref(n)
    a = mx.from_dlpack(n)
    b = a[10:20]
    del n
    gc.collect()
    assert ref() is not None
    np.testing.assert_array_equal(np.array(b), np.arange(10, 20))
    del a
    gc.collect()
    assert ref() is not None  # b is a view of the same memory
    del b
    gc.collect()
    assert ref() is None


def test_producer_released_from_worker_thread():
    n = np.arange(10, dtype=np.float32)
    ref = weakref.ref(n)
    a = mx.from_dlpack(n)
    del n
    result = []

    def work():
        result.append(np.array(mx.sum(a + 1)))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert result[0] == 55
    del a, result
    for _ in range(100):
        gc.collect()
        if ref() is None:
            break
    assert ref() is None


def test_from_dlpack_copy():
    n = np.arange(4, dtype=np.float32)
    a = mx.from_dlpack(n, copy=True)
    n[0] = 9
    assert a[0].item() == 0
    b = mx.from_dlpack(n, copy=False)
    n[1] = 7
    assert b[1].item() == 7
    c = mx.from_dlpack(n[::-1], copy=True)
    np.testing.assert_array_equal(np.array(c), n[::-1])


def test_from_dlpack_scalar_empty():
    a = mx.from_dlpack(np.float32(3.5))  # a buffer exporter, as MLX takes
    assert a.shape == () and a.item() == 3.5 and a.dtype == mx.float32
    b = mx.from_dlpack(memoryview(np.arange(3, dtype=np.int16)))
    assert b.tolist() == [0, 1, 2] and b.dtype == mx.int16
    e = mx.from_dlpack(np.zeros((2, 0), dtype=np.int8))
    assert e.shape == (2, 0) and e.dtype == mx.int8


def test_from_dlpack_complex128_narrows(mlx):
    n = np.array([1 + 2j, -0.5j])
    a = mx.from_dlpack(n)
    r = mlx.from_dlpack(n)
    assert a.dtype == mx.complex64 and str(r.dtype).endswith("complex64")
    np.testing.assert_array_equal(np.array(a), np.array(r))
    np.testing.assert_array_equal(np.array(mx.from_dlpack(n[::-1])), n[::-1].astype(np.complex64))
    with pytest.raises(BufferError):
        mx.from_dlpack(n, copy=False)


def test_from_dlpack_float64_keeps_dtype():
    n = np.array([1.0, 1e300])
    a = mx.from_dlpack(n)
    assert a.dtype == mx.float64
    assert a[1].item() == 1e300


def test_from_capsule_and_cmlx_array():
    n = np.arange(3, dtype=np.int32)
    cap = n.__dlpack__()
    a = mx.from_dlpack(cap)
    np.testing.assert_array_equal(np.array(a), n)
    with pytest.raises(ValueError):
        mx.from_dlpack(cap)  # a capsule is consumed once
    x = mx.array([[1.5, 2.5]])
    y = mx.from_dlpack(x)
    assert y.dtype == x.dtype and y.tolist() == x.tolist()
    z = mx.from_dlpack(mx.array([1, 2], dtype=mx.bfloat16))
    assert z.dtype == mx.bfloat16 and z.tolist() == [1, 2]


def test_from_old_producer_without_keywords():
    n = np.arange(5, dtype=np.uint8)

    class Old:
        def __dlpack__(self):
            return n.__dlpack__()

        def __dlpack_device__(self):
            return (1, 0)

    np.testing.assert_array_equal(np.array(mx.from_dlpack(Old())), n)


def test_from_dlpack_errors():
    with pytest.raises(TypeError):
        mx.from_dlpack(3)
    with pytest.raises((TypeError, BufferError)):  # NumPy itself refuses
        mx.from_dlpack(np.array([1.0], dtype=np.longdouble))
    with pytest.raises((TypeError, BufferError)):
        mx.from_dlpack(np.array(["a"]))
    with pytest.raises(TypeError):
        mx.from_dlpack(np.arange(3), copy="no")

    class Gpu:
        def __dlpack__(self, **kw):
            raise AssertionError("not asked for a GPU capsule")

        def __dlpack_device__(self):
            return (2, 0)

    with pytest.raises(BufferError):
        mx.from_dlpack(Gpu())

    class NotCapsule:
        def __dlpack__(self, **kw):
            return 3

        def __dlpack_device__(self):
            return (1, 0)

    with pytest.raises(TypeError):
        mx.from_dlpack(NotCapsule())


def test_round_trip_values_against_mlx(mlx):
    n = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for v in (n, n.T, n[::2, 1:]):
        a, r = mx.from_dlpack(v), mlx.from_dlpack(v)
        np.testing.assert_array_equal(to_numpy(a), np.array(r))
        np.testing.assert_array_equal(np.from_dlpack(a), np.from_dlpack(r))


@pytest.mark.parametrize("name", DTYPES)
def test_exchange_with_mlx_both_ways(mlx, name):
    vals = np.arange(12).reshape(3, 4) % 3
    r = mlx.array(vals).astype(dt(name, mlx))
    a = mx.from_dlpack(r)  # MLX's legacy capsule, bfloat16 included
    assert a.dtype == dt(name) and a.tolist() == r.tolist()
    x = mx.array(vals).astype(dt(name))
    for v in (x, x.T, x[::2, 1:]):
        y = mlx.from_dlpack(v)
        want = "float32" if name == "float64" else str(v.dtype).split(".")[-1]  # MLX narrows
        assert str(y.dtype).split(".")[-1] == want
        assert y.tolist() == v.tolist()
