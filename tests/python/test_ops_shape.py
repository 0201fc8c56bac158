"""Creation, shape and view ops against NumPy (every dtype family and memory
layout) and real MLX (signatures, dtypes, errors)."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import (FAMILY_DTYPES, LAYOUTS, check, check_list, dt, from_numpy, layout,
                     param_kinds, random, same_outcome)

# ---- creation ----


def test_linspace_eye_identity_tri():
    check(mx.linspace(0, 1, 5), np.linspace(0, 1, 5), mx.float32)
    check(mx.linspace(-2, 3, 7, dtype=mx.float16), np.linspace(-2, 3, 7), mx.float16)
    check(mx.linspace(0, 1, 1), [0.0])
    assert mx.linspace(0, 1).shape == (50,)
    check(mx.eye(3), np.eye(3), mx.float32)
    check(mx.eye(3, 5, 2, mx.int32), np.eye(3, 5, 2), mx.int32)
    check(mx.eye(4, k=-1), np.eye(4, k=-1))
    check(mx.identity(4, dtype=mx.bool_), np.identity(4).astype(bool), mx.bool_)
    check(mx.tri(3, 4, 1), np.tri(3, 4, 1), mx.float32)
    check(mx.tri(3), np.tri(3))


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu(dtype, k):
    x = random((5, 4), dtype, seed=k + 3)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.tril(a, k), np.tril(e, k), dt(dtype))
        check(mx.triu(a, k=k), np.triu(e, k), dt(dtype))


def test_windows():
    for n in [0, 1, 2, 5, 12]:
        check(mx.bartlett(n), np.bartlett(n), mx.float32, rtol=1e-6)
        check(mx.hanning(n), np.hanning(n), mx.float32, rtol=1e-6)
        check(mx.hamming(n), np.hamming(n), mx.float32, rtol=1e-6)
        check(mx.blackman(n), np.blackman(n), mx.float32, rtol=1e-6)


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    xs = [np.arange(3), np.arange(4.0), np.arange(2)]
    got = mx.meshgrid(*[mx.array(v) for v in xs], sparse=sparse, indexing=indexing)
    assert isinstance(got, tuple)
    check_list(got, np.meshgrid(*xs, sparse=sparse, indexing=indexing))


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_like_constructors(dtype):
    x = random((3, 2), dtype)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.zeros_like(a), np.zeros_like(e), dt(dtype))
        check(mx.ones_like(a), np.ones_like(e), dt(dtype))
        check(mx.zeros_like(a, mx.int8), np.zeros(e.shape), mx.int8)
        check(mx.full_like(a, 1), np.full(e.shape, 1), dt(dtype))
        check(mx.full_like(a, 2.5, mx.float32), np.full(e.shape, 2.5), mx.float32)


# ---- shapes and views: one table, every dtype family and layout ----

SHAPE_CASES = {
    "flatten": (lambda a: mx.flatten(a), lambda x: x.reshape(-1)),
    "flatten_range": (lambda a: a.flatten(1, 2), lambda x: x.reshape(x.shape[0], -1)),
    "unflatten": (lambda a: mx.unflatten(a, 1, (2, -1)),
                  lambda x: x.reshape(x.shape[0], 2, -1, x.shape[2])),
    "squeeze": (lambda a: mx.squeeze(mx.expand_dims(a, (0, 2))), lambda x: x),
    "squeeze_axis": (lambda a: mx.expand_dims(a, -1).squeeze(-1), lambda x: x),
    "expand_dims": (lambda a: mx.expand_dims(a, (0, -1)), lambda x: x[None, ..., None]),
    "flip": (lambda a: mx.flip(a), lambda x: np.flip(x)),
    "flip_axis": (lambda a: mx.flip(a, 1), lambda x: np.flip(x, 1)),
    "moveaxis": (lambda a: mx.moveaxis(a, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    "moveaxis_method": (lambda a: a.moveaxis(2, 0), lambda x: np.moveaxis(x, 2, 0)),
    "swapaxes": (lambda a: a.swapaxes(0, 2), lambda x: np.swapaxes(x, 0, 2)),
    "permute_dims": (lambda a: mx.permute_dims(a, (1, 2, 0)), lambda x: x.transpose(1, 2, 0)),
    "permute_dims_rev": (lambda a: mx.permute_dims(a), lambda x: x.transpose()),
    "repeat": (lambda a: mx.repeat(a, 2, 1), lambda x: np.repeat(x, 2, 1)),
    "repeat_flat": (lambda a: mx.repeat(a, 3), lambda x: np.repeat(x, 3)),
    "tile": (lambda a: mx.tile(a, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3))),
    "tile_int": (lambda a: mx.tile(a, 2), lambda x: np.tile(x, 2)),
    "pad": (lambda a: mx.pad(a, 1), lambda x: np.pad(x, 1)),
    "pad_pairs": (lambda a: mx.pad(a, [(0, 1), (2, 0), (1, 1)], constant_values=1),
                  lambda x: np.pad(x, [(0, 1), (2, 0), (1, 1)], constant_values=1)),
    "pad_pair": (lambda a: mx.pad(a, (1, 2)), lambda x: np.pad(x, (1, 2))),
    "pad_edge": (lambda a: mx.pad(a, [(1, 2), (0, 0), (2, 1)], "edge"),
                 lambda x: np.pad(x, [(1, 2), (0, 0), (2, 1)], "edge")),
    "as_strided": (lambda a: mx.as_strided(a, (2, 3), (2, 1), 1),
                   lambda x: np.lib.stride_tricks.as_strided(
                       np.ascontiguousarray(x).reshape(-1)[1:], (2, 3),
                       (2 * x.itemsize, x.itemsize))),
    "as_strided_default": (lambda a: mx.as_strided(a), lambda x: x),
    "diagonal": (lambda a: mx.diagonal(a, 1, 0, 2), lambda x: np.diagonal(x, 1, 0, 2)),
    "diagonal_method": (lambda a: a.diagonal(-1, axis1=2, axis2=1),
                        lambda x: np.diagonal(x, -1, 2, 1)),
    "diag": (lambda a: mx.diag(mx.flatten(a)[:4], k=1), lambda x: np.diag(x.reshape(-1)[:4], 1)),
    "diag_extract": (lambda a: a[0].diag(-1), lambda x: np.diag(x[0], -1)),
    "roll_flat": (lambda a: mx.roll(a, 5), lambda x: np.roll(x, 5)),
    "roll_axis": (lambda a: mx.roll(a, -1, 2), lambda x: np.roll(x, -1, 2)),
    "roll_axes": (lambda a: mx.roll(a, (1, 2), (0, 2)), lambda x: np.roll(x, (1, 2), (0, 2))),
    "roll_same": (lambda a: mx.roll(a, 1, (1, 2)), lambda x: np.roll(x, 1, (1, 2))),
    "contiguous": (lambda a: mx.contiguous(a), lambda x: x),
    "stop_gradient": (lambda a: mx.stop_gradient(a), lambda x: x),
    "atleast_1d": (lambda a: mx.atleast_1d(a), lambda x: x),
    "concatenate": (lambda a: mx.concatenate([a, a], axis=1), lambda x: np.concatenate([x, x], 1)),
    "concatenate_none": (lambda a: mx.concatenate([a, a[0]], axis=None),
                         lambda x: np.concatenate([x, x[0]], axis=None)),
    "concat": (lambda a: mx.concat((a, a, a), -1), lambda x: np.concatenate([x, x, x], -1)),
    "stack": (lambda a: mx.stack([a, a], axis=2), lambda x: np.stack([x, x], 2)),
    "stack_default": (lambda a: mx.stack([a, a]), lambda x: np.stack([x, x])),
}


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_shape_op_matches_numpy(name, dtype):
    ours, ref = SHAPE_CASES[name]
    x = random((4, 2, 3), dtype, seed=len(name))
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(ours(a), ref(e), dt(dtype))


def test_empty_and_0d():
    e = mx.zeros((0, 3))
    check(mx.flatten(e), np.zeros(0))
    check(mx.pad(e, 1), np.pad(np.zeros((0, 3)), 1))
    check(mx.repeat(e, 2, 1), np.zeros((0, 6)))
    check(mx.tile(e, (2, 2)), np.zeros((0, 6)))
    check(mx.concatenate([e, e]), np.zeros((0, 3)))
    check(mx.roll(e, 1), np.zeros((0, 3)))
    s = mx.array(3.5)
    check(mx.atleast_1d(s), [3.5])
    check(mx.atleast_2d(s), [[3.5]])
    check(mx.atleast_3d(s), [[[3.5]]])
    check(mx.flatten(s), [3.5])
    check(mx.expand_dims(s, 0), [3.5])
    check(mx.squeeze(s), np.array(3.5))
    check(mx.tile(s, (2,)), [3.5, 3.5])
    check(mx.repeat(s, 2), [3.5, 3.5])
    check(mx.roll(s, 1), np.array(3.5))
    assert mx.unstack(mx.zeros((0, 2)), axis=0) == ()


def test_atleast_shapes_and_lists():
    one = mx.array([1, 2])
    assert mx.atleast_2d(one).shape == (1, 2)
    assert mx.atleast_3d(one).shape == (1, 2, 1)
    assert mx.atleast_3d(mx.zeros((2, 3))).shape == (2, 3, 1)
    got = mx.atleast_1d(mx.array(1), one)
    assert isinstance(got, list) and [g.shape for g in got] == [(1,), (2,)]


def test_nan_inf_and_negative_zero_survive_moves():
    x = np.array([[np.nan, -0.0, np.inf], [-np.inf, 1.5, 0.0]], np.float32)
    for how in LAYOUTS:
        a, e = layout(x, "float32", how)
        got = np.array(mx.flip(mx.roll(a, 1, 1), 0))
        want = np.flip(np.roll(e, 1, 1), 0)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", ["int32", "float16", "bfloat16", "complex64", "bool_"])
def test_split_unstack(dtype):
    x = random((6, 4), dtype)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        got = mx.split(a, 3)
        assert isinstance(got, list)
        check_list(got, np.split(e, 3), dt(dtype))
        check_list(a.split([1, 3], axis=1), np.split(e, [1, 3], axis=1), dt(dtype))
        check_list(mx.split(a, [-2, 10]), np.split(e, [-2, 10]), dt(dtype))
        check_list(mx.split(a, [4, 2]), np.split(e, [4, 2]), dt(dtype))
        got = mx.unstack(a, axis=1)
        assert isinstance(got, tuple)
        check_list(got, [e[:, i] for i in range(4)], dt(dtype))


@pytest.mark.parametrize("dtype", ["int32", "float32", "complex64", "bool_"])
def test_broadcast_arrays_and_shapes(dtype):
    x, y = random((3, 1), dtype), random((1, 4), dtype, seed=1)
    got = mx.broadcast_arrays(from_numpy(x, dtype), from_numpy(y, dtype))
    assert isinstance(got, list)
    check_list(got, np.broadcast_arrays(x, y), dt(dtype))
    assert mx.broadcast_shapes((1, 2), [3, 1], (1,)) == (3, 2)
    assert mx.broadcast_shapes(()) == ()


def test_view():
    x = np.arange(8, dtype=np.float32)
    a = mx.array(x)
    check(mx.view(a, mx.int32), x.view(np.int32), mx.int32)
    check(a.view(mx.uint8), x.view(np.uint8), mx.uint8)
    check(a.view(mx.float16), x.view(np.float16), mx.float16)
    check(mx.view(a, mx.complex64), x.view(np.complex64), mx.complex64)
    check(mx.view(mx.transpose(mx.array(np.ones((2, 3), np.int16))), mx.uint16),
          np.ones((3, 2), np.uint16))


def test_slice_and_slice_update():
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    a = mx.array(x)
    check(mx.slice(a, mx.array([1, 2]), [0, 1], [2, 3]), x[1:3, 2:5])
    check(mx.slice(a, mx.array(2), [1], [4, 2]), x[:, 2:4])
    got = mx.slice_update(a, mx.zeros((2, 2)), mx.array([1, 3]), [0, 1])
    want = x.copy()
    want[1:3, 3:5] = 0
    check(got, want)
    check(a, x)  # the input is not modified


def test_depends():
    a, b = mx.array([1, 2]), mx.array([3])
    check(mx.depends(a, b), [1, 2])
    got = mx.depends([a, b], [b])
    assert isinstance(got, list)
    check_list(got, [[1, 2], [3]])


# ---- against real MLX: results and error types ----

def A(m):
    return m.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4))


MLX_CASES = [
    lambda m: m.linspace(0, 10, 4, endpoint=False), lambda m: m.linspace(1, 2, 3, dtype=m.int32),
    lambda m: m.eye(2, 3, k=5), lambda m: m.tri(2, dtype=m.int8), lambda m: m.identity(0),
    lambda m: m.full_like(m.array([1, 2], m.uint8), 3.7), lambda m: m.ones_like(m.array(2.0)),
    lambda m: m.unflatten(A(m), -1, (2, 2)), lambda m: m.pad(A(m), ((1,), (0,), (2,))),
    lambda m: m.pad(A(m), [(1, 1)] * 3, constant_values=m.array(7.0)),
    lambda m: m.pad(m.array([1, 2], m.int8), 1, constant_values=3),
    lambda m: m.repeat(m.array([[1, 2]]), 0, 1), lambda m: m.stack([m.array(1), m.array(2.5)]),
    lambda m: m.concatenate([m.array([1], m.int8), m.array([2.5])]),
    lambda m: m.roll(A(m), (1, 2)), lambda m: m.diagonal(A(m)), lambda m: m.squeeze(A(m)),
    lambda m: m.as_strided(A(m), (3, 3), (1, 2), offset=2),
    # wrong calls
    lambda m: m.eye(-1), lambda m: m.tril(m.array([1, 2]), "1"),
    lambda m: m.flatten(A(m), 2, 1), lambda m: m.squeeze(A(m), 0),
    lambda m: m.expand_dims(A(m), 5), lambda m: m.flip(A(m), 3), lambda m: m.moveaxis(A(m), 0, 3),
    lambda m: m.swapaxes(A(m), 0, -4), lambda m: m.permute_dims(A(m), (0, 1)),
    lambda m: m.concatenate([A(m), m.zeros((2, 2))], axis=1), lambda m: m.concatenate(A(m)),
    lambda m: m.stack([]), lambda m: m.split(A(m), 5, axis=1), lambda m: m.split(A(m), 2, axis=3),
    lambda m: m.split(A(m), "a"), lambda m: m.repeat(A(m), -1), lambda m: m.tile(A(m), (-1,)),
    lambda m: m.pad(A(m), -1), lambda m: m.pad(A(m), [(1, 1)] * 2),
    lambda m: m.pad(A(m), 1, mode="wrap"), lambda m: m.diagonal(A(m), 0, 0, 0),
    lambda m: m.pad(A(m), tuple(range(1, 40))), lambda m: m.pad(A(m), ()),
    lambda m: m.diag(A(m)), lambda m: m.roll(A(m), 1, 3), lambda m: m.view(A(m), m.float64),
    lambda m: m.view(m.array(1.0), m.int8), lambda m: m.broadcast_arrays(A(m), m.zeros((5,))),
    lambda m: m.broadcast_shapes((2,), (3,)), lambda m: m.broadcast_shapes(),
    lambda m: m.unstack(A(m), axis=3), lambda m: m.unflatten(A(m), 0, (3, -1)),
    lambda m: m.meshgrid(m.array([1]), indexing="zz"), lambda m: m.linspace(0, 1, -1),
    lambda m: m.hanning(-3), lambda m: m.atleast_1d(),
]


@pytest.mark.parametrize("case", range(len(MLX_CASES)))
def test_same_as_mlx(case, mlx):
    same_outcome(MLX_CASES[case], mlx)


def test_keyword_names_and_positional_only(mlx):
    a = mx.zeros((2, 3))
    with pytest.raises(TypeError):
        mx.flatten(a=a)
    with pytest.raises(TypeError):
        mx.tile(a, reps=2)
    with pytest.raises(TypeError):
        mx.unstack(a, 0)
    check(mx.moveaxis(a, source=0, destination=1), np.zeros((3, 2)))
    check(mx.tril(x=a, k=1), np.zeros((2, 3)))
    check(mx.roll(a, 1, 0, stream=mx.cpu), np.zeros((2, 3)))
    check(mx.pad(a, pad_width=1, mode="constant", constant_values=0), np.zeros((4, 5)))


# ---- how each parameter may be passed, found by calling both libraries ----

Z = lambda m: m.zeros((2,))  # noqa: E731
Z2 = lambda m: m.zeros((2, 2))  # noqa: E731
K = lambda m: m.random.key(0)  # noqa: E731
SIGNATURES = {
    "linspace": [
        ("start", 0), ("stop", 1), ("num", 3), ("endpoint", True), ("dtype", lambda m: m.float32),
    ],
    "eye": [("n", 2), ("m", 2), ("k", 0), ("dtype", lambda m: m.float32)],
    "identity": [("n", 2), ("dtype", lambda m: m.float32)],
    "tri": [("n", 2), ("m", 2), ("k", 0), ("dtype", lambda m: m.float32)],
    "tril": [("x", Z2), ("k", 0)],
    "triu": [("x", Z2), ("k", 0)],
    "full_like": [("a", Z), ("vals", 1), ("dtype", lambda m: m.float32)],
    "zeros_like": [("a", Z), ("dtype", lambda m: m.float32)],
    "ones_like": [("a", Z), ("dtype", lambda m: m.float32)],
    "bartlett": [("M", 3)],
    "hanning": [("M", 3)],
    "hamming": [("M", 3)],
    "blackman": [("M", 3)],
    "flatten": [("a", Z2), ("start_axis", 0), ("end_axis", -1)],
    "unflatten": [("a", Z2), ("axis", 0), ("shape", (2, 1))],
    "squeeze": [("a", Z2), ("axis", None)],
    "expand_dims": [("a", Z2), ("axis", 0)],
    "flip": [("a", Z2), ("axis", 0)],
    "unstack": [("x", Z2), ("axis", 0)],
    "moveaxis": [("a", Z2), ("source", 0), ("destination", 1)],
    "swapaxes": [("a", Z2), ("axis1", 0), ("axis2", 1)],
    "permute_dims": [("a", Z2), ("axes", (1, 0))],
    "concatenate": [("arrays", lambda m: [m.zeros(2)]), ("axis", 0)],
    "concat": [("arrays", lambda m: [m.zeros(2)]), ("axis", 0)],
    "stack": [("arrays", lambda m: [m.zeros(2)]), ("axis", 0)],
    "split": [("a", Z2), ("indices_or_sections", 2), ("axis", 0)],
    "repeat": [("array", Z2), ("repeats", 2), ("axis", 0)],
    "tile": [("a", Z2), ("reps", 2)],
    "pad": [("a", Z2), ("pad_width", 1), ("mode", "constant"), ("constant_values", 0)],
    "as_strided": [("a", Z2), ("shape", (2,)), ("strides", (1,)), ("offset", 0)],
    "diagonal": [("a", Z2), ("offset", 0), ("axis1", 0), ("axis2", 1)],
    "diag": [("a", Z2), ("k", 0)],
    "roll": [("a", Z2), ("shift", 1), ("axis", 0)],
    "view": [("a", Z2), ("dtype", lambda m: m.int32)],
    "contiguous": [("a", Z2), ("allow_col_major", False)],
    "slice": [
        ("a", Z2), ("start_indices", lambda m: m.array([0])), ("axes", [0]),
        ("slice_size", [1, 2]),
    ],
    "slice_update": [
        ("a", Z2), ("update", lambda m: m.zeros((1, 2))),
        ("start_indices", lambda m: m.array([0])), ("axes", [0]),
    ],
    "stop_gradient": [("a", Z2)],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])


ALIASES = {"acos": "arccos", "acosh": "arccosh", "asin": "arcsin", "asinh": "arcsinh",
           "atan": "arctan", "atanh": "arctanh", "atan2": "arctan2", "pow": "power",
           "bitwise_left_shift": "left_shift", "bitwise_right_shift": "right_shift",
           "cumulative_sum": "cumsum", "cumulative_prod": "cumprod", "empty": "zeros",
           "empty_like": "zeros_like"}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases(alias, mlx):
    x = np.array([[0.25, 0.5], [0.75, 0.125]], np.float32)
    args = {"atan2": 2, "pow": 2, "bitwise_left_shift": 2, "bitwise_right_shift": 2}
    def call(m, name):
        if name in ("zeros", "empty"):
            return getattr(m, name)((2, 3), m.int8)
        a = m.array(x if "shift" not in alias else (x * 8).astype(np.int32))
        return getattr(m, name)(a, args[alias]) if alias in args else getattr(m, name)(a)
    check(call(mx, alias), np.array(call(mx, ALIASES[alias])))
    same_outcome(lambda m: call(m, alias), mlx)


def test_stream_argument_everywhere():
    a = mx.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    for s in (mx.cpu, mx.default_stream(mx.cpu), mx.Device(mx.cpu), None):
        check(mx.flatten(a, stream=s), np.arange(6))
        check(mx.split(a, 3, axis=1, stream=s)[0], [[0], [3]])
        check(mx.cumsum(a, 1, stream=s), np.cumsum(np.arange(6).reshape(2, 3), 1))
        check(mx.sort(a, stream=s), np.arange(6).reshape(2, 3))
        check(mx.take(a, 1, stream=s), np.array(1.0))
        check(mx.random.uniform(shape=(2,), key=mx.random.key(0), stream=s),
              np.array(mx.random.uniform(shape=(2,), key=mx.random.key(0))))
        check(mx.linspace(0, 1, 3, stream=s), [0, 0.5, 1])
    with pytest.raises(TypeError):
        mx.flatten(a, stream="cpu")


def test_as_strided_int64_strides_and_errors(mlx):
    same_outcome(lambda m: m.as_strided(m.arange(10), (3, 2), (2, -1), 5), mlx)
    same_outcome(lambda m: m.as_strided(m.arange(10), (2,), ("a",)), mlx)
    # cmlx checks what MLX does not: the view stays inside the array, and
    # shape and strides have the same length
    with pytest.raises(ValueError):
        mx.as_strided(mx.arange(10), (2,), (2**40,))
    with pytest.raises(ValueError):
        mx.as_strided(mx.arange(10), (2,), (1, 1))
