"""Shared helpers for the cmlx.core tests."""
import sys

import numpy as np

import cmlx.core as mx

DTYPES = [
    "bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
    "int64", "float16", "float32", "float64", "bfloat16", "complex64",
]
INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]
FLOATS = ["float16", "float32", "float64", "bfloat16"]
# NumPy has no bfloat16: its values are compared through float32.
NP_DTYPE = {d: (np.dtype(d.rstrip("_")) if d != "bfloat16" else None) for d in DTYPES}


def dt(name, module=mx):
    return getattr(module, name)


def to_numpy(a):
    """cmlx (or MLX) array -> NumPy, bfloat16 through float32."""
    module = sys.modules[type(a).__module__]
    if a.dtype == module.bfloat16:
        a = a.astype(module.float32)
    return np.array(a)


def tolerance(dtype_name):
    return {
        "float16": 1e-3, "bfloat16": 1e-2, "float32": 1e-6,
        "complex64": 1e-6, "float64": 1e-12,
    }.get(dtype_name, 0)


def check(a, expected, dtype=None, rtol=None):
    """a is a cmlx array equal to `expected` (NumPy-convertible)."""
    assert isinstance(a, mx.array), type(a)
    if dtype is not None:
        assert a.dtype == dtype, (a.dtype, dtype)
    e = np.asarray(expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    name = str(a.dtype).split(".")[-1]
    got = to_numpy(a)
    tol = tolerance(name) if rtol is None else rtol
    if tol:
        np.testing.assert_allclose(got, e.astype(got.dtype), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, e.astype(got.dtype))


def random(shape, dtype_name, seed=0, low=-5, high=5):
    """Random NumPy data suited to a dtype (small values, no overflow)."""
    rng = np.random.default_rng(seed)
    if dtype_name == "bool_":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype_name.startswith("uint"):
        return rng.integers(max(low, 0), high, shape).astype(dtype_name)
    if dtype_name.startswith("int"):
        return rng.integers(low, high, shape).astype(dtype_name)
    if dtype_name == "complex64":
        return (rng.uniform(low, high, shape) + 1j * rng.uniform(low, high, shape)).astype(
            np.complex64)
    vals = rng.uniform(low, high, shape)
    if dtype_name == "bfloat16":
        return vals.astype(np.float32)
    return vals.astype(dtype_name)


def from_numpy(x, dtype_name):
    """A cmlx array of dtype `dtype_name` holding NumPy data x."""
    return mx.array(x, dt(dtype_name))


def outcome(fn, module):
    """("array", dtype name, shape, values), ("value", python value) or
    ("error", exception type name)."""
    try:
        r = fn(module)
    except Exception as e:  # compared by type name across the two libraries
        return ("error", type(e).__name__)
    if type(r).__name__ == "array":
        return ("array", str(r.dtype).split(".")[-1], r.shape, to_numpy(r))
    if isinstance(r, np.ndarray):
        return ("array", "numpy." + str(r.dtype), r.shape, r)
    return ("value", r)


def same_outcome(fn, mlx):
    """fn(cmlx.core) and fn(mlx.core) give arrays of the same dtype, shape and
    values, equal Python values, or the same exception type."""
    a, b = outcome(fn, mx), outcome(fn, mlx)
    assert a[0] == b[0], (a, b)
    if a[0] != "array":
        assert a == b
        return
    assert a[1:3] == b[1:3], (a, b)
    np.testing.assert_array_equal(a[3], b[3], strict=True)


LAYOUTS = ["contiguous", "transposed", "broadcast", "reversed"]
# A dtype of each family, as the op tests sweep them.
FAMILY_DTYPES = ["bool_", "uint8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
                 "complex64"]


def layout(x, dtype_name, how):
    """(cmlx array, NumPy array) holding the same values as the NumPy array
    x (2-d or more), the cmlx one laid out as `how` says: contiguous, a
    transposed view, a broadcast (stride 0) view of x's first row, or a view
    with a negative step on axis 0."""
    if how == "contiguous":
        return from_numpy(x, dtype_name), x
    if how == "transposed":
        return mx.transpose(from_numpy(np.ascontiguousarray(x.T), dtype_name)), x
    if how == "broadcast":
        b = np.broadcast_to(x[:1], x.shape)
        return mx.broadcast_to(from_numpy(np.ascontiguousarray(x[:1]), dtype_name), x.shape), b
    if how == "reversed":
        doubled = np.repeat(x[::-1], 2, axis=0)  # every row twice, reversed
        return from_numpy(doubled, dtype_name)[::-2], doubled[::-2]
    raise ValueError(how)


def np_of(dtype_name):
    """The NumPy dtype that holds a cmlx dtype's values (float32 for
    bfloat16)."""
    return np.dtype("float32") if dtype_name == "bfloat16" else np.dtype(dtype_name.rstrip("_"))


def check_list(got, expected, dtype=None):
    """A list/tuple of cmlx arrays equal to the expected NumPy arrays."""
    assert len(got) == len(expected), (len(got), len(expected))
    for g, e in zip(got, expected):
        check(g, e, dtype)


def close_outcome(fn, mlx, rtol=1e-5):
    """Like same_outcome, values compared to rtol (float kernels may round
    differently in the last place), NaN equal to NaN."""
    a, b = outcome(fn, mx), outcome(fn, mlx)
    assert a[0] == b[0], (a, b)
    if a[0] != "array":
        assert a == b
        return
    assert a[1:3] == b[1:3], (a, b)
    if a[3].dtype.kind in "fc":
        np.testing.assert_allclose(a[3], b[3], rtol=rtol, atol=rtol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a[3], b[3], strict=True)


def param_kinds(module, name, params):
    """How each parameter of module.<name> may be passed, found by calling it:
    "B" by position or keyword, "P" by position only, "K" by keyword only
    ("?" neither, e.g. a first parameter whose followers are required).
    params: (name, value or fn(module) -> value) in order, stream added."""
    sub, _, fname = name.rpartition(".")  # "linalg.qr": the submodule's function
    mod = getattr(module, sub) if sub else module
    f = getattr(mod, fname)
    params = [(p, v(module) if callable(v) else v) for p, v in params] + [("stream", None)]

    def ok(call):
        try:
            call()
        except TypeError:
            return False
        except Exception:  # the arguments bound; the op itself may refuse them
            return True
        return True

    kinds = []
    for i, (p, v) in enumerate(params):
        pos = [vv for _, vv in params[:i]]
        by_kw, by_pos = ok(lambda: f(*pos, **{p: v})), ok(lambda: f(*pos, v))
        kinds.append((p, "B" if by_kw and by_pos else "K" if by_kw else "P" if by_pos else "?"))
    everything = {p: v for p, v in params}
    kinds.append(("all by keyword", ok(lambda: f(**everything))))
    return kinds
