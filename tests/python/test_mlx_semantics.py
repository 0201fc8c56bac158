"""Behaviour settled against MLX 0.32.4 (and NumPy where MLX is buggy):
comparisons with non-array operands, the bitwise operators on inexact
types, writable buffer exports, arange with an integer dtype, pad/roll
argument forms, NaN in complex min/max, gradients through bitwise ops."""
import ctypes
import operator

import numpy as np
import pytest

import cmlx.core as mx

ORDERINGS = [(operator.lt, "less than"), (operator.le, "less than or equal"),
             (operator.gt, "greater than"), (operator.ge, "greater than or equal")]


# ---- comparisons with things that are not array-like ----

@pytest.mark.parametrize("other", [[1, 2, 3], (1, 2, 3), [1, 2, 4], [], [[1, 2, 3]], "abc",
                                   object(), mx.float32])
def test_eq_ne_with_non_arrays_are_plain_bools(other):
    a = mx.array([1, 2, 3])
    assert (a == other) is False
    assert (a != other) is True
    assert (other == a) is False
    assert (other != a) is True


@pytest.mark.parametrize("op,name", ORDERINGS)
@pytest.mark.parametrize("other", [[1, 2, 3], (1, 2, 3), "str", object()])
def test_orderings_with_non_arrays_raise_value_error(op, name, other):
    a = mx.array([1, 2, 3])
    with pytest.raises(ValueError, match=f"Cannot perform {name} on an mlx.core.array and "
                                         f"{type(other).__name__}"):
        op(a, other)


def test_reflected_ordering_names_the_swapped_op():
    with pytest.raises(ValueError, match="Cannot perform greater than on"):
        [1, 2, 3] < mx.array([1, 2, 3])  # noqa: B015


def test_none_is_left_to_python():
    a = mx.array([1, 2])
    assert (a == None) is False  # noqa: E711
    assert (a != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        a < None  # noqa: B015


def test_array_like_operands_still_compare_elementwise():
    a = mx.array([1, 2, 3])
    assert (a == np.array([1, 0, 3])).tolist() == [True, False, True]
    assert (a < np.int64(2)).tolist() == [True, False, False]
    assert (a == 1.5).tolist() == [False, False, False]
    assert (a != 2).tolist() == [True, False, True]
    assert (a >= mx.array([3])).tolist() == [False, False, True]
    assert (mx.array([1 + 1j]) == 1 + 1j).tolist() == [True]


def test_matches_mlx(mlx):
    for other in ([1, 2, 3], (1, 2, 3), "s"):
        assert (mx.array([1, 2, 3]) == other) == (mlx.array([1, 2, 3]) == other)
        assert (mx.array([1, 2, 3]) != other) == (mlx.array([1, 2, 3]) != other)


# ---- bitwise operators refuse inexact operands ----

BITWISE = [(operator.and_, "bitwise and"), (operator.or_, "bitwise or"),
           (operator.xor, "bitwise xor"), (operator.lshift, "left shift"),
           (operator.rshift, "right shift")]
IBITWISE = [(operator.iand, "bitwise and"), (operator.ior, "bitwise or"),
            (operator.ixor, "bitwise xor"), (operator.ilshift, "left shift"),
            (operator.irshift, "right shift")]


@pytest.mark.parametrize("op,name", BITWISE + IBITWISE)
@pytest.mark.parametrize("x,y", [(mx.array(1.0), mx.array(1)), (mx.array(1), mx.array(1.0)),
                                 (mx.array([1]), 1.5), (mx.array(True), 1.5),
                                 (mx.array([1], mx.bfloat16), mx.array(2)),
                                 (mx.array([1 + 1j]), mx.array(1)),
                                 (mx.array([2.0], mx.float16), True)])
def test_bitwise_on_inexact_raises_value_error(op, name, x, y):
    before = x.tolist()
    with pytest.raises(ValueError, match=f"Floating point types not allowed with {name}."):
        op(x, y)
    assert x.tolist() == before  # an in-place form leaves the array alone


def test_invert_on_inexact_raises_value_error():
    for t in (mx.float32, mx.float16, mx.bfloat16, mx.float64, mx.complex64):
        with pytest.raises(ValueError, match="not allowed with bitwise inversion"):
            ~mx.array([1.0], t)


def test_bitwise_on_integers_and_bools_still_works():
    assert (mx.array(True) & True).item() is True
    assert (mx.array(True) & False).item() is False
    assert (mx.array(True) | False).item() is True
    assert (mx.array(False) | False).item() is False
    assert (~mx.array(False)).item() is True
    assert (mx.array([12, 10]) & 6).tolist() == [4, 2]
    assert (mx.array([12, 10], mx.uint8) ^ mx.array([1], mx.uint8)).tolist() == [13, 11]
    assert (mx.array([1, 2]) << 3).tolist() == [8, 16]
    a = mx.array([5, 6])
    a &= 4
    assert a.tolist() == [4, 4]
    # the functions keep the library's TypeError
    with pytest.raises(TypeError):
        mx.bitwise_and(mx.array(1.0), mx.array(1))


# ---- buffers are writable, as in MLX ----

def test_numpy_view_without_copy_is_writable():
    a = mx.ones((2, 2))
    b = mx.broadcast_to(a, (5, 2, 2))
    a_np = np.array(a, copy=False)
    b_np = np.array(b, copy=False)
    assert not a_np.flags.owndata and a_np.flags.writeable
    assert b_np.strides == (0, 8, 4)
    np.testing.assert_array_equal(b_np, np.ones((5, 2, 2), np.float32))
    a_np[0, 1] = 7
    assert a.tolist() == [[1, 7], [1, 1]]


def test_memoryview_writable_and_strided():
    a = mx.arange(6).reshape(2, 3)
    m = memoryview(a)
    assert not m.readonly
    m.cast("B").cast("i")[4] = 40
    assert a.tolist() == [[0, 1, 2], [3, 40, 5]]
    t = memoryview(a.T)
    assert not t.readonly and t.strides == (4, 12)


def test_contiguous_request_of_strided_array_is_a_readonly_copy():
    a = mx.arange(6)[::2]
    with pytest.raises(TypeError):  # ctypes wants writable C-contiguous memory
        (ctypes.c_char * 12).from_buffer(a)
    # read-only contiguous consumers get a copy
    assert bytes(a) == np.array([0, 2, 4], np.int32).tobytes()


def test_matches_mlx_readonly_flag(mlx):
    assert memoryview(mx.ones(3)).readonly == memoryview(mlx.ones(3)).readonly


# ---- arange with an integer dtype and infinite steps ----

@pytest.mark.parametrize("args", [(0, 3, 0.2), (-1, -4, -0.9), (-1, -20, -1.2), (0.5, 3, 0.7),
                                  (0, 5, 1.5), (0, 10, 100), (10, 0, 1), (2.7, 9, 2.5),
                                  (-2.5, 3, 1.9)])
@pytest.mark.parametrize("dtype", ["int32", "int64", "int16"])
def test_arange_integer_dtype_steps_by_converted_values(args, dtype):
    got = mx.arange(*args, dtype=getattr(mx, dtype))
    assert got.dtype == getattr(mx, dtype)
    assert got.tolist() == np.arange(*args, dtype=getattr(np, dtype)).tolist()


def test_arange_integer_dtype_examples():
    assert mx.arange(0, 3, 0.2, dtype=mx.int32).tolist() == [0] * 15
    assert mx.arange(-1, -20, -1.2, dtype=mx.int32).tolist() == list(range(-1, -17, -1))
    assert mx.arange(0, 3, 0.5, dtype=mx.uint8).tolist() == [0] * 6
    assert mx.arange(0, 3, 0.5).tolist() == [0, 0.5, 1, 1.5, 2, 2.5]  # floats unchanged


def test_arange_infinite_step():
    inf = float("inf")
    assert mx.arange(0, 10, inf).tolist() == [0]
    assert mx.arange(0, -10, -inf).tolist() == [0]
    assert mx.arange(0.5, 10, inf).tolist() == [0.5]
    assert mx.arange(0, 10, inf, dtype=mx.int32).tolist() == [0]
    assert mx.arange(0, -10, inf).tolist() == []
    assert mx.arange(0, 10, -inf).tolist() == []
    assert mx.arange(0, 0, inf).tolist() == []
    assert mx.arange(10, 0, inf).tolist() == []


@pytest.mark.parametrize("args", [(float("nan"), 1, 5), (0, float("nan"), 5), (0, 2, float("nan")),
                                  (0, float("inf"), float("inf")), (float("inf"), 1, float("inf")),
                                  (float("inf"), 1, 5), (0, float("inf")), (float("-inf"),)])
def test_arange_without_finite_length_raises(args):
    with pytest.raises(ValueError, match="Cannot compute length"):
        mx.arange(*args)


def test_arange_matches_mlx(mlx):
    for args in [(0, 3, 0.2), (-1, -20, -1.2), (0.5, 3, 0.7), (0, 10, float("inf"))]:
        assert mx.arange(*args, dtype=mx.int32).tolist() == \
            mlx.arange(*args, dtype=mlx.int32).tolist()


# ---- pad and roll argument forms ----

def test_pad_one_pair_for_every_axis():
    a = mx.zeros((1, 1, 1))
    assert mx.pad(a, [(1, 2)]).shape == (4, 4, 4)
    assert mx.pad(a, ((1, 2),)).shape == (4, 4, 4)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = mx.pad(mx.array(x), [(2, 1)], constant_values=-1)
    np.testing.assert_array_equal(np.array(got), np.pad(x, [(2, 1)], constant_values=-1))
    got = mx.pad(mx.array(x), ((1, 0),), mode="edge")
    np.testing.assert_array_equal(np.array(got), np.pad(x, ((1, 0),), mode="edge"))
    assert mx.pad(mx.arange(3), [(1, 1)]).tolist() == [0, 0, 1, 2, 0]


def test_pad_wrong_forms():
    a = mx.zeros((1, 1, 1))
    with pytest.raises(ValueError, match="Invalid number of padding sizes"):
        mx.pad(a, ((1, 2), (2, 1)))
    with pytest.raises(TypeError):
        mx.pad(a, [(1, 2, 3)])
    with pytest.raises(TypeError):
        mx.pad(a, (1, 2, 3))


@pytest.mark.parametrize("shift", [(1, 1), (-1, 2), (33, 33), (1, 2, 3), [2, -7]])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_roll_shift_tuple_with_one_axis_sums(shift, axis):
    x = np.arange(10).reshape(2, 5)
    got = mx.roll(mx.array(x), shift, axis)
    np.testing.assert_array_equal(np.array(got), np.roll(x, shift, axis))


def test_roll_other_forms():
    x = np.arange(10).reshape(2, 5)
    a = mx.array(x)
    assert mx.roll(a, (), 1).tolist() == x.tolist()
    np.testing.assert_array_equal(np.array(mx.roll(a, (1, 2), (0, 0))), np.roll(x, (1, 2), (0, 0)))
    np.testing.assert_array_equal(np.array(mx.roll(a, 2, (0, 1))), np.roll(x, 2, (0, 1)))
    np.testing.assert_array_equal(np.array(mx.roll(a, (1, 1, 1))), np.roll(x, (1, 1, 1)))
    with pytest.raises(IndexError):
        mx.roll(a, (1, 2), 5)
    with pytest.raises(ValueError):
        mx.roll(a, (1,), (0, 1))


# ---- complex min / max keep NaN elements (NumPy; MLX 0.32.4 mangles them) ----

def _complex_cases():
    nan = float("nan")
    return [[1 + 1j, 2 + 2j, 3 + 3j, complex(nan, 4)], [1 + 1j, 2 + 2j, complex(3, nan), 4 + 4j],
            [1 + 1j, complex(2, nan), 3 + 3j, 4 + 4j], [complex(nan, 1), 2 + 2j, 3 + 3j, 4 + 4j],
            [complex(nan, 1), complex(2, nan), 3 + 3j, 4 + 4j]]


@pytest.mark.parametrize("vals", _complex_cases())
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_complex_min_max_propagate_nan(vals, op, axis):
    x = np.array(vals, np.complex64).reshape(2, 2)
    for arr, ref in ((mx.array(x), x), (mx.array(x).T, x.T)):
        got = np.array(getattr(mx, op)(arr, axis=axis))
        np.testing.assert_array_equal(got, getattr(np, op)(ref, axis=axis))


def test_complex_min_max_long_rows_and_arg():
    nan = float("nan")
    x = (np.arange(300) % 17 + 1j * (np.arange(300) % 5)).astype(np.complex64)
    x[123] = complex(5, nan)
    x[200] = complex(nan, 0)
    for op in ("max", "min"):
        np.testing.assert_array_equal(np.array(getattr(mx, op)(mx.array(x))), getattr(np, op)(x))
    assert mx.argmax(mx.array(x)).item() == np.argmax(x) == 123
    assert mx.argmin(mx.array(x)).item() == np.argmin(x) == 123
    y = x.reshape(20, 15)
    np.testing.assert_array_equal(np.array(mx.max(mx.array(y), axis=0)), np.max(y, axis=0))
    np.testing.assert_array_equal(np.array(mx.argmin(mx.array(y), axis=1)), np.argmin(y, axis=1))


def test_complex_min_max_without_nan_unchanged():
    x = np.array([[3 + 1j, 3 + 2j], [-1 + 5j, 3 - 2j]], np.complex64)
    for op in ("max", "min"):
        for axis in (0, 1, None):
            np.testing.assert_array_equal(np.array(getattr(mx, op)(mx.array(x), axis=axis)),
                                          getattr(np, op)(x, axis=axis))


# ---- gradients through bitwise ops are zero, as in MLX ----

@pytest.mark.parametrize("fn", [lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b,
                                lambda a, b: a << b, lambda a, b: a >> b])
def test_bitwise_vjp_jvp_zero(fn):
    a = mx.array(np.random.randint(0, 10, (4, 3)))
    b = mx.array(np.random.randint(0, 4, (4, 3)))
    ct = mx.array(np.random.randint(0, 10, (4, 3)))
    out, vjps = mx.vjp(fn, [a, b], [ct])
    assert out[0].tolist() == fn(a, b).tolist()
    for v in vjps:
        assert v.shape == (4, 3) and not np.any(np.array(v))
    _, jvps = mx.jvp(fn, [a, b], [ct, ct])
    assert not np.any(np.array(jvps[0]))


def test_grad_through_bitwise_is_zero():
    g = mx.grad(lambda x: (x.astype(mx.int32) & 3).astype(mx.float32).sum())(mx.array([1.0, 2.0]))
    assert g.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError):  # invert stays non-differentiable, as in MLX
        mx.vjp(lambda a: ~a, [mx.array([1, 2])], [mx.array([1, 1])])


# ---- randint is exact beyond float32's integers ----

def test_randint_matches_mlx_within_float32_integers(mlx):
    for lo, hi, dt in [(0, 10, "int32"), (-5, 5, "int64"), (0, 2**24, "int32"), (3, 3, "int32"),
                       (5, 2, "uint8"), (0, 100, "uint64"), (-2**24, 2**24 - 7, "int64")]:
        got = mx.random.randint(lo, hi, (64,), dtype=getattr(mx, dt), key=mx.random.key(5))
        ref = mlx.random.randint(lo, hi, (64,), dtype=getattr(mlx, dt), key=mlx.random.key(5))
        assert got.tolist() == ref.tolist()


def test_randint_narrow_interval_beyond_two_to_24():
    key = mx.random.key(42)
    base = 2**24
    x = mx.random.randint(base, base + 2, (4000,), dtype=mx.int32, key=key)
    assert set(x.tolist()) == {base, base + 1}
    base = 2**40
    y = mx.random.randint(base, base + 1024, (10_000,), dtype=mx.int64, key=key)
    assert y.dtype == mx.int64 and set(y.tolist()) == set(range(base, base + 1024))
    z = mx.random.randint(2**31 - 3, 2**31 - 1, (200,), dtype=mx.int32, key=key)
    assert set(z.tolist()) == {2**31 - 3, 2**31 - 2}


def test_randint_wide_ranges_use_64_bits():
    key = mx.random.key(1)
    a = mx.random.randint(0, 2**48, (256,), dtype=mx.int64, key=key)
    b = mx.random.randint(0, 2**48, (256,), dtype=mx.int64, key=key)
    assert a.tolist() == b.tolist()
    v = np.array(a)
    assert v.min() >= 0 and v.max() < 2**48 and len(set(v.tolist())) == 256
    assert (v >= 2**47).any() and (v < 2**47).any() and (v % 2 == 1).any()
    lo, hi = 2**62, 2**62 + 2**38  # mixed-dtype bounds keep their precision
    x = mx.random.randint(mx.array([lo], mx.int64), mx.array([hi], mx.uint64), (5000,),
                          dtype=mx.uint64, key=key)
    xv = x.tolist()
    assert all(lo <= t < hi for t in xv) and len(set(xv)) > 4990
    u = mx.random.randint(mx.array(0, mx.uint64), mx.array(2**64 - 1, mx.uint64), (2000,),
                          dtype=mx.uint64, key=key).tolist()
    assert max(u) >= 2**63 and min(u) < 2**63 and len(set(u)) == 2000


def test_randint_empty_and_fractional_bounds():
    key = mx.random.key(7)
    assert set(mx.random.randint(2**25 + 2, 2**25, (50,), key=key).tolist()) == {2**25 + 2}
    assert set(mx.random.randint(0.5, 0.9, (100,), dtype=mx.int32, key=key).tolist()) == {0}
    # per-element bounds: some within 2^24, some beyond
    lo = mx.array([0, 2**30, -2**35])
    hi = mx.array([3, 2**30 + 3, -2**35 + 2], mx.int64)
    r = np.array(mx.random.randint(lo, hi, (300, 3), dtype=mx.int64, key=key))
    for c in range(3):
        assert set(r[:, c].tolist()) == set(range(lo[c].item(), hi[c].item()))
