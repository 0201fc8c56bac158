"""Every bound op against NumPy on several dtypes, shapes and layouts
(broadcast, transposed, sliced, negative steps), with the argument forms
mlx.core accepts, and against real MLX for dtypes and promotion."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, FLOATS, INTS, check, dt, from_numpy, random, same_outcome, to_numpy

ARITH = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
}


def layouts(np_x):
    """(description, cmlx array, NumPy equivalent) for several layouts."""
    yield "contiguous", np_x
    yield "transposed", np_x.T
    yield "sliced", np_x[::2]
    yield "reversed", np_x[::-1, ::-1]


# ---- creation ----


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("shape", [(), 3, (2, 3), [2, 0, 4], (1, 1, 1, 5)])
def test_zeros_ones(name, shape):
    np_shape = shape if isinstance(shape, (tuple, int)) else tuple(shape)
    check(mx.zeros(shape, dt(name)), np.zeros(np_shape), dt(name))
    check(mx.ones(shape, dtype=dt(name)), np.ones(np_shape), dt(name))


def test_zeros_default_dtype():
    assert mx.zeros((2,)).dtype == mx.float32
    assert mx.ones(2, dtype=None).dtype == mx.float32
    assert mx.zeros(shape=(2,), stream=mx.cpu).shape == (2,)


@pytest.mark.parametrize("name", DTYPES)
def test_full(name):
    check(mx.full((2, 3), True, dt(name)), np.ones((2, 3)), dt(name))
    check(mx.full([3], 0, dtype=dt(name)), np.zeros(3))
    v = mx.array([1, 0, 1], dt(name))
    check(mx.full((2, 3), v), np.broadcast_to(to_numpy(v), (2, 3)), dt(name))


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("val", ["1", "1.5", "True", "1j", "-1", "np.float64(2.5)"])
def test_full_vs_mlx(name, val, mlx):
    same_outcome(lambda m: m.full((2,), eval(val), dt(name, m)), mlx)


def test_full_dtype_rules():
    # dtype guides the conversion of a Python scalar only (MLX's behaviour)
    check(mx.full((2,), 1.5, mx.int8), [1.5, 1.5], mx.float32)
    check(mx.full((2,), mx.array([1.5, 2]), mx.int32), [1.5, 2], mx.float32)
    check(mx.full(2, True), [True, True], mx.bool_)
    check(mx.full((), 3), 3, mx.int32)
    check(mx.full((2, 2), 2.5, dtype=mx.float16), np.full((2, 2), 2.5), mx.float16)
    check(mx.full((2,), np.array([1, 2])), [1, 2], mx.int64)
    with pytest.raises(ValueError, match="overflow"):
        mx.full((2,), 1000, mx.int8)
    with pytest.raises(ValueError):
        mx.full((2,), [1, 2])
    with pytest.raises(ValueError):
        mx.full([2, 1], mx.array([1, 2, 3]))


@pytest.mark.parametrize("args,kwargs,expected,dtype", [
    ((5,), {}, np.arange(5), "int32"),
    ((5.0,), {}, np.arange(5), "float32"),
    ((1, 5), {}, np.arange(1, 5), "int32"),
    ((1, 5, 0.5), {}, np.arange(1, 5, 0.5), "float32"),
    ((10, 0, -3), {}, np.arange(10, 0, -3), "int32"),
    ((-3.5, 2), {}, np.arange(-3.5, 2), "float32"),
    ((5, 1), {}, np.arange(5, 1), "int32"),
    ((5,), {"dtype": mx.int8}, np.arange(5), "int8"),
    ((5,), {"dtype": mx.float32}, np.arange(5), "float32"),
    ((0, 10, 3), {"dtype": mx.float64}, np.arange(0, 10, 3), "float64"),
    ((), {"stop": 5}, np.arange(5), "int32"),
    ((), {"start": 1, "stop": 5}, np.arange(1, 5), "int32"),
    ((1,), {"stop": 5}, np.arange(1, 5), "int32"),
    ((5,), {"step": 2}, np.arange(0, 5, 2), "int32"),
    ((0, 5, None), {}, np.arange(5), "int32"),
    ((5, None, 2), {}, np.arange(0, 5, 2), "int32"),
    ((2**40, 2**40 + 2), {}, np.arange(2**40, 2**40 + 2), "int64"),
    ((np.int64(3),), {}, np.arange(3), "int32"),
])
def test_arange(args, kwargs, expected, dtype):
    check(mx.arange(*args, **kwargs), expected, dt(dtype))


def test_arange_errors():
    with pytest.raises(ValueError):
        mx.arange(0, 5, 0)
    with pytest.raises(ValueError):
        mx.arange(0, 5, 1, mx.bool_)
    with pytest.raises(TypeError):
        mx.arange()
    with pytest.raises(TypeError):
        mx.arange("a")


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_astype(src, dst):
    a = from_numpy(random((3, 4), src, low=0, high=3), src)
    x = to_numpy(a)  # the values as stored (bfloat16 rounded)
    if src == "complex64" and dst != "complex64":
        expected = x.real  # complex -> real keeps the real part, as MLX
    else:
        expected = x
    expected = expected.astype(np.float32 if dst == "bfloat16" else dst.rstrip("_"))
    check(mx.astype(a, dt(dst)), expected, dt(dst))
    check(a.T.astype(dt(dst)), expected.T, dt(dst))
    check(a.astype(dtype=dt(dst), stream=mx.cpu), expected, dt(dst))


# ---- arithmetic ----


NUMERIC = [d for d in DTYPES if d not in ("bool_", "bfloat16")]  # bfloat16: see below


@pytest.mark.parametrize("op", list(ARITH))
@pytest.mark.parametrize("name", NUMERIC)
def test_arith_values(op, name):
    x = random((4, 6), name, seed=1, low=1)
    y = random((4, 6), name, seed=2, low=1)
    fn = getattr(mx, op)
    ref = ARITH[op]
    for (_, xv), (_, yv) in zip(layouts(x), layouts(y)):
        check(fn(from_numpy(xv, name), from_numpy(yv, name)), ref(xv, yv), dt(name))


@pytest.mark.parametrize("op", list(ARITH) + ["divide"])
def test_arith_bfloat16(op):
    x = random((3, 5), "float32", seed=3, low=1)
    y = random((3, 5), "float32", seed=4, low=1)
    a, b = mx.array(x, mx.bfloat16), mx.array(y, mx.bfloat16)
    xb, yb = to_numpy(a), to_numpy(b)  # the rounded inputs
    ref = {"divide": np.divide, **ARITH}[op]
    check(getattr(mx, op)(a, b), ref(xb, yb), mx.bfloat16, rtol=1e-2)


@pytest.mark.parametrize("name", NUMERIC)
def test_divide(name):
    x = random((4, 6), name, seed=5, low=1)
    y = random((4, 6), name, seed=6, low=1)
    out = mx.divide(from_numpy(x, name), from_numpy(y, name))
    expected_dtype = name if name in FLOATS + ["complex64"] else "float32"
    assert out.dtype == dt(expected_dtype)
    check(out, (x / y), rtol=1e-3 if name == "float16" else 1e-6)


@pytest.mark.parametrize("shapes", [
    ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((1,), (5, 1)), ((), (2, 2)), ((2, 0), (1, 0)),
])
def test_broadcasting(shapes):
    sa, sb = shapes
    x = random(sa, "float32", seed=7)
    y = random(sb, "float32", seed=8)
    for op, ref in {**ARITH, "divide": np.divide}.items():
        check(getattr(mx, op)(mx.array(x), mx.array(y)), ref(x, y))


def test_broadcast_views_as_inputs():
    b = mx.broadcast_to(mx.array([1.0, 2.0, 3.0]), (4, 3))
    check(b + b.T.T, np.broadcast_to([2.0, 4.0, 6.0], (4, 3)))
    check(mx.arange(12.0).reshape(3, 4).T[::-1, 1:] * 2,
          np.arange(12.0).reshape(3, 4).T[::-1, 1:] * 2)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError):
        mx.add(mx.zeros((2, 3)), mx.zeros((4,)))
    with pytest.raises(ValueError):
        mx.zeros((2, 3)) * mx.zeros((3, 2))


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promotion_vs_mlx(a, b, mlx):
    same_outcome(lambda m: m.add(m.array([1, 0], dt(a, m)), m.array([1, 1], dt(b, m))), mlx)
    same_outcome(lambda m: m.divide(m.array([1, 0], dt(a, m)), m.array([1, 1], dt(b, m))), mlx)


def test_python_scalars_both_sides():
    check(mx.add(1, 2), 3, mx.int32)
    check(mx.add(1, 2.5), 3.5, mx.float32)
    check(mx.add(True, False), True, mx.bool_)
    check(mx.multiply(2, 1j), 2j, mx.complex64)
    check(mx.subtract(5, mx.array([1, 2], mx.uint8)), [4, 3], mx.uint8)
    with pytest.raises(ValueError):
        mx.add(mx.array([1.0]), [1, 2])  # lists are not scalars (as MLX)
    with pytest.raises(TypeError):
        mx.add(mx.array([1.0]), None)


# ---- shapes ----


@pytest.mark.parametrize("name", ["int8", "float32", "bfloat16", "complex64", "bool_"])
def test_reshape(name):
    x = random((2, 3, 4), name)
    a = from_numpy(x, name)
    for shape in [(24,), (4, 6), (2, -1), (-1, 3, 2), (1, 24, 1)]:
        check(mx.reshape(a, shape), x.reshape(shape))
        check(mx.reshape(a.T, shape), x.T.reshape(shape))
        check(a[:, ::-1].reshape(shape), x[:, ::-1].reshape(shape))
    check(a.reshape(4, 6), x.reshape(4, 6))
    check(a.reshape((4, 6)), x.reshape(4, 6))
    check(a.reshape([4, 6]), x.reshape(4, 6))
    check(a.reshape(-1), x.reshape(-1))
    check(a.reshape(24, stream=mx.cpu), x.reshape(24))
    check(mx.reshape(a, shape=[6, 4]), x.reshape(6, 4))


def test_reshape_errors():
    a = mx.zeros((2, 3))
    for bad in [(4, 2), (-1, -1), (4, -1)]:
        with pytest.raises(ValueError):
            a.reshape(bad)
    with pytest.raises(TypeError):
        a.reshape()
    with pytest.raises(TypeError):
        a.reshape(2.0, 3)


def test_transpose():
    x = np.arange(24).reshape(2, 3, 4)
    a = mx.array(x)
    check(mx.transpose(a), x.T)
    check(mx.transpose(a, (1, 0, 2)), x.transpose(1, 0, 2))
    check(mx.transpose(a, axes=[2, 0, 1]), x.transpose(2, 0, 1))
    check(a.transpose(2, 0, 1), x.transpose(2, 0, 1))
    check(a.transpose([2, 0, 1]), x.transpose(2, 0, 1))
    check(a.transpose((-1, 0, 1)), x.transpose(2, 0, 1))
    check(a.transpose(), x.T)
    check(a.T, x.T)
    check(a[:, ::-1].transpose(1, 2, 0), x[:, ::-1].transpose(1, 2, 0))
    with pytest.raises(ValueError):
        mx.transpose(a, (1, 0))
    with pytest.raises(ValueError):
        mx.transpose(a, (1, 1, 0))
    with pytest.raises(IndexError):
        mx.transpose(a, (1, 3, 0))


def test_broadcast_to():
    check(mx.broadcast_to(1.5, (2, 2)), np.full((2, 2), 1.5))
    check(mx.broadcast_to(mx.array([1, 2]), (3, 2)), np.broadcast_to([1, 2], (3, 2)))
    check(mx.broadcast_to(mx.array([[1], [2]]), [2, 3]), np.broadcast_to([[1], [2]], (2, 3)))
    check(mx.broadcast_to(mx.arange(3)[::-1], (2, 3)), [[2, 1, 0], [2, 1, 0]])
    with pytest.raises(ValueError):
        mx.broadcast_to(mx.array([1, 2]), (3, 3))


# ---- reductions ----

SUM_DTYPE = {"bool_": "int32", "uint8": "uint32", "uint16": "uint32", "int8": "int32",
             "int16": "int32"}


@pytest.mark.parametrize("name", DTYPES)
def test_sum(name):
    x = random((3, 4, 5), name, seed=9)
    a = from_numpy(x, name)
    out_dtype = dt(SUM_DTYPE.get(name, name))
    xr = x.astype(np.float64) if name not in ("complex64",) else x
    rtol = {"float16": 1e-2, "bfloat16": 5e-2}.get(name, 1e-5)
    for axis in [None, 0, 1, -1, (0, 2), [1], (0, 1, 2), ()]:
        np_axis = tuple(axis) if isinstance(axis, list) else axis
        for keepdims in (False, True):
            got = mx.sum(a, axis=axis, keepdims=keepdims)
            # As MLX: reducing over no axes returns the input, dtype unchanged.
            assert got.dtype == (a.dtype if axis == () else out_dtype)
            check(got, xr.sum(axis=np_axis, keepdims=keepdims), rtol=rtol)
    check(a.sum(), xr.sum(), rtol=rtol)
    check(a.sum(1, True), xr.sum(1, keepdims=True), rtol=rtol)
    check(a.T.sum(axis=0), xr.T.sum(axis=0), rtol=rtol)
    check(a[::-1, 1:].sum(axis=(1, 2)), xr[::-1, 1:].sum(axis=(1, 2)), rtol=rtol)


def test_sum_errors():
    a = mx.ones((2, 3))
    with pytest.raises(ValueError):
        mx.sum(a, axis=(0, 0))
    with pytest.raises(IndexError):
        mx.sum(a, axis=2)
    with pytest.raises(IndexError):
        a.sum(axis=-3)


def test_sum_scalar_and_empty():
    check(mx.sum(mx.array(5)), 5, mx.int32)
    check(mx.sum(mx.zeros((0, 3)), axis=0), np.zeros(3))
    check(mx.sum([1, 2]), 3, mx.int32)  # cmlx also takes lists here


# ---- matmul ----


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "complex64"])
@pytest.mark.parametrize("shapes", [
    ((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
    ((4, 2, 3), (3, 5)), ((2, 1, 2, 3), (3, 3, 2)), ((0, 3), (3, 2)),
])
def test_matmul(name, shapes):
    sa, sb = shapes
    x = random(sa, name if name != "bfloat16" else "float32", seed=10, low=-1, high=1)
    y = random(sb, name if name != "bfloat16" else "float32", seed=11, low=-1, high=1)
    a, b = from_numpy(x, name), from_numpy(y, name)
    xr, yr = to_numpy(a).astype(np.complex128 if name == "complex64" else np.float64), \
        to_numpy(b).astype(np.complex128 if name == "complex64" else np.float64)
    rtol = {"float16": 1e-2, "bfloat16": 3e-2}.get(name, 1e-5)
    check(mx.matmul(a, b), xr @ yr, dt(name), rtol=rtol)
    check(a @ b, xr @ yr, dt(name), rtol=rtol)
    if len(sa) == 2 and len(sb) == 2:
        check(mx.matmul(b.T, a.T), (xr @ yr).T, rtol=rtol)


def test_matmul_errors():
    with pytest.raises(ValueError):
        mx.matmul(mx.array([1, 2]), mx.array([1, 2]))
    with pytest.raises(ValueError):
        mx.matmul(mx.ones((2,)), mx.ones((3,)))
    with pytest.raises(TypeError):
        mx.ones((2, 3)) @ [1.0, 2.0, 3.0]
    with pytest.raises(TypeError):
        mx.ones((2, 3)) @ np.ones(3)


# ---- eval ----


def test_eval_trees():
    a, b, c = mx.ones(2) + 1, mx.ones(3) * 2, mx.arange(4) - 1
    assert mx.eval(a, [b, {"k": c, "t": (a, 3)}], "leaf", None) is None
    assert a.tolist() == [2, 2] and c.tolist() == [-1, 0, 1, 2]
    d = mx.ones(5) * 3
    assert mx.async_eval(d, {"x": [d]}) is None
    assert d.sum().item() == 15
    assert mx.eval() is None
    with pytest.raises(TypeError):
        mx.eval(stream=mx.cpu)


def test_eval_failure_raises():
    old = mx.set_memory_limit(1 << 20)
    try:
        big = mx.ones((1 << 20,)) + 1  # 4 MiB past a 1 MiB limit
        with pytest.raises(MemoryError):
            mx.eval(big)
    finally:
        mx.set_memory_limit(old)
    assert (mx.ones(2) + 1).tolist() == [2, 2]


# ---- the stream argument ----


def test_stream_argument_forms():
    s = mx.new_stream(mx.cpu)
    for stream in [None, mx.cpu, mx.Device(mx.cpu), s, mx.default_stream(mx.cpu)]:
        check(mx.add(mx.array([1]), 2, stream=stream), [3])
        check(mx.zeros((2,), stream=stream), [0, 0])
        check(mx.ones((2, 3)).sum(axis=1, stream=stream), [3, 3])
        check(mx.arange(3, stream=stream), [0, 1, 2])
        check(mx.arange(6).reshape((2, 3), stream=stream), [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(TypeError):
        mx.add(1, 2, stream=3)


# ---- argument binding ----


def test_argument_errors():
    with pytest.raises(TypeError, match="missing required argument 'b'"):
        mx.add(mx.array([1]))
    with pytest.raises(TypeError, match="positional"):
        mx.add(1, 2, 3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        mx.add(1, 2, c=3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        mx.sum(a=mx.ones(2))  # a is positional-only
    with pytest.raises(TypeError, match="multiple values"):
        mx.sum(mx.ones(2), 0, axis=0)
    with pytest.raises(TypeError):
        mx.zeros((2,), mx.float32, mx.cpu)  # stream is keyword-only


def test_methods_match_functions():
    x = mx.arange(12.0).reshape(3, 4)
    assert mx.array.sum(x, axis=0).tolist() == mx.sum(x, axis=0).tolist()
    assert x.astype(mx.int32).dtype == mx.int32
    assert x.reshape(4, 3).shape == (4, 3)
    assert x.transpose(1, 0).shape == (4, 3)
    m = x.sum
    assert m(axis=1).tolist() == [6, 22, 38]
