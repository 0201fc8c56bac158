"""Reductions, scans and element-wise extras (var, std, argmin/argmax,
cumulative ops, softmax, trace, diff, round, clip, nan_to_num, isclose,
allclose, array_equal, divmod, where) against NumPy and real MLX."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import (FAMILY_DTYPES, LAYOUTS, check, close_outcome, dt, from_numpy, layout, np_of,
                     param_kinds, random, same_outcome)

FLOAT_TYPES = ["float32", "float16", "bfloat16"]


def _np_logcumsumexp(x, axis):
    return np.logaddexp.accumulate(x.astype(np.float64), axis=axis)


def _softmax(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# (ours(a), numpy(x)): values compared for real dtypes in every layout.
CASES = {
    "var": (lambda a: mx.var(a), lambda x: np.var(x.astype(np.float64))),
    "var_axis_ddof": (lambda a: mx.var(a, 1, keepdims=True, ddof=1),
                      lambda x: np.var(x.astype(np.float64), 1, keepdims=True, ddof=1)),
    "std": (lambda a: a.std(axis=(0, 1)), lambda x: np.std(x.astype(np.float64), (0, 1))),
    "argmin": (lambda a: mx.argmin(a), lambda x: np.argmin(x)),
    "argmin_axis": (lambda a: mx.argmin(a, 1, keepdims=True), lambda x: np.argmin(x, 1)[:, None]),
    "argmax": (lambda a: a.argmax(0), lambda x: np.argmax(x, 0)),
    "argmax_neg": (lambda a: mx.argmax(a, axis=-1), lambda x: np.argmax(x, -1)),
    "cumsum": (lambda a: mx.cumsum(a, 1), lambda x: np.cumsum(x, 1)),
    "cumsum_flat": (lambda a: mx.cumsum(a), lambda x: np.cumsum(x)),
    "cumsum_rev": (lambda a: a.cumsum(0, reverse=True),
                   lambda x: np.flip(np.cumsum(np.flip(x, 0), 0), 0)),
    "cumsum_excl": (lambda a: mx.cumsum(a, 1, inclusive=False),
                    lambda x: np.cumsum(x, 1) - x),
    "cumprod": (lambda a: mx.cumprod(a, 0), lambda x: np.cumprod(x, 0)),
    "cumprod_rev_excl": (lambda a: mx.cumprod(a, 1, reverse=True, inclusive=False),
                         lambda x: np.concatenate([np.flip(np.cumprod(np.flip(x[:, 1:], 1), 1), 1),
                                                   np.ones_like(x[:, :1])], 1)),
    "cummax": (lambda a: mx.cummax(a, 1), lambda x: np.maximum.accumulate(x, 1)),
    "cummin": (lambda a: a.cummin(0), lambda x: np.minimum.accumulate(x, 0)),
    "cummin_rev": (lambda a: mx.cummin(a, 1, reverse=True),
                   lambda x: np.flip(np.minimum.accumulate(np.flip(x, 1), 1), 1)),
    "trace": (lambda a: mx.trace(a), lambda x: np.trace(x)),
    "trace_offset": (lambda a: mx.trace(a, 1, 1, 0), lambda x: np.trace(x, 1, 1, 0)),
    "diff": (lambda a: mx.diff(a), lambda x: np.diff(x)),
    "diff_n_axis": (lambda a: mx.diff(a, 2, 0), lambda x: np.diff(x, 2, 0)),
    "diff_0": (lambda a: mx.diff(a, n=0), lambda x: x),
}
FLOAT_CASES = {
    "logcumsumexp": (lambda a: mx.logcumsumexp(a, 1), lambda x: _np_logcumsumexp(x, 1)),
    "logcumsumexp_flat": (lambda a: a.logcumsumexp(), lambda x: _np_logcumsumexp(x.reshape(-1), 0)),
    "softmax": (lambda a: mx.softmax(a, -1), lambda x: _softmax(x, -1)),
    "softmax_all": (lambda a: mx.softmax(a), lambda x: _softmax(x, None)),
    "softmax_precise": (lambda a: mx.softmax(a, (0, 1), precise=True),
                        lambda x: _softmax(x, (0, 1))),
}


def _unsigned_safe(name, dtype):
    # NumPy's unsigned diff/subtraction wraps like ours; cumprod of small
    # ints overflows alike. Nothing to skip.
    return True


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float32", "float16", "bfloat16"])
def test_matches_numpy(name, dtype):
    ours, ref = CASES[name]
    low, high = (0, 4) if name.startswith("cumprod") else (-5, 5)
    if dtype == "uint8":
        low = 0
    x = random((4, 5), dtype, seed=3, low=low, high=high)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        got = ours(a)
        want = np.asarray(ref(e.astype(np.float64) if dtype in FLOAT_TYPES else e))
        # bfloat16 sums round at every step (8 bits of mantissa)
        rtol = {"float16": 2e-3, "bfloat16": 6e-2}.get(dtype, 1e-5)
        if name.startswith("arg"):
            check(got, want, mx.uint32)
        elif np.issubdtype(np_of(str(got.dtype).split(".")[-1]), np.floating):
            check(got, want, rtol=rtol)
        else:
            check(got, want.astype(np_of(str(got.dtype).split(".")[-1])))


@pytest.mark.parametrize("name", sorted(FLOAT_CASES))
@pytest.mark.parametrize("dtype", FLOAT_TYPES)
def test_float_ops_match_numpy(name, dtype):
    ours, ref = FLOAT_CASES[name]
    x = random((4, 5), dtype, seed=7)
    rtol = {"float16": 3e-3, "bfloat16": 3e-2}.get(dtype, 2e-6)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(ours(a), ref(e.astype(np.float64)), dt(dtype), rtol=rtol)


def test_nan_inf_and_empty():
    x = np.array([[1.0, np.nan, -np.inf], [np.inf, -0.0, 2.0]], np.float32)
    a = mx.array(x)
    check(mx.cummax(a, 1), np.maximum.accumulate(x, 1))
    check(mx.cumsum(a, 1), np.cumsum(x, 1))
    check(mx.argmax(a, 1), [1, 0], mx.uint32)  # NaN wins, as NumPy
    check(mx.argmin(a, 1), [1, 1], mx.uint32)
    check(mx.var(mx.array([np.inf, 1.0])), np.array(np.nan, np.float32))
    e = mx.zeros((0, 3))
    check(mx.cumsum(e, 0), np.zeros((0, 3)))
    check(mx.var(e, 0), np.full(3, np.nan, np.float32))
    check(mx.diff(e, axis=0), np.zeros((0, 3)))
    check(mx.softmax(e, -1), np.zeros((0, 3)))
    check(mx.cumsum(mx.array(5)), [5])
    check(mx.std(mx.array(2.0)), np.array(0.0, np.float32))


# ---- element-wise extras ----

@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int32", "complex64"])
def test_round(dtype):
    x = random((4, 6), dtype, seed=2) * (1 if dtype == "int32" else 7.3)
    if dtype != "complex64":
        x.flat[:3] = [0.5, 1.5, -2.5] if dtype != "int32" else [15, 25, -35]
    x = x.astype(np_of(dtype)) if dtype != "complex64" else x.astype(np.complex64)
    if dtype == "bfloat16":  # the values as bfloat16 holds them
        x = np.array(mx.array(x, mx.bfloat16).astype(mx.float32))
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.round(a), np.round(e), dt(dtype))
        if dtype in ("float32", "complex64"):
            check(a.round(2), np.round(e, 2), dt(dtype), rtol=1e-5)
        if dtype == "int32":
            check(mx.round(a, -1), np.round(e, -1), dt(dtype))


@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "float16", "bfloat16", "int64"])
def test_clip(dtype):
    x = random((3, 5), dtype, seed=4, low=0 if dtype == "uint8" else -5)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.clip(a, 1, 3), np.clip(e, 1, 3), dt(dtype))
        check(mx.clip(a, None, 2), np.minimum(e, 2), dt(dtype))
        check(mx.clip(a, a_min=2, a_max=None), np.maximum(e, 2), dt(dtype))
        lo = np.arange(5, dtype=e.dtype) % 3
        check(mx.clip(a, from_numpy(lo, dtype), 4), np.clip(e, lo, 4), dt(dtype))


def test_clip_nan_and_errors():
    x = np.array([np.nan, -np.inf, 0.5, np.inf], np.float32)
    check(mx.clip(mx.array(x), 0, 1), np.clip(x, 0, 1))
    with pytest.raises(ValueError):
        mx.clip(mx.array(x), None, None)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_nan_to_num(dtype):
    x = np.array([[np.nan, np.inf, -np.inf, 1.5, -0.0]], np.float32)
    a = from_numpy(x, dtype)
    big = float(np.finfo(np.float16).max) if dtype == "float16" else None
    got = mx.nan_to_num(a)
    want = np.nan_to_num(x.astype(np.float16 if dtype == "float16" else np.float32))
    if dtype == "bfloat16":
        want[0, 1:3] = [3.3895313892515355e38, -3.3895313892515355e38]
    check(got, want, dt(dtype))
    check(mx.nan_to_num(a, nan=2, posinf=7, neginf=-7), [[2, 7, -7, 1.5, 0]], dt(dtype))
    check(mx.nan_to_num(mx.array([1, 2])), [1, 2], mx.int32)
    assert big is None or float(np.array(got.astype(mx.float32))[0, 1]) == big


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "complex64"])
def test_isclose_allclose_array_equal(dtype):
    x = random((3, 4), dtype, seed=5)
    y = x.copy()
    y.flat[::3] += 1e-3 if dtype != "int32" else 1
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        b, f = layout(y, dtype, how)
        tol = dict(rtol=1e-4, atol=1e-3) if dtype != "int32" else {}
        check(mx.isclose(a, b, **tol), np.isclose(e, f, **tol), mx.bool_)
        check(mx.allclose(a, b, **tol), np.allclose(e, f, **tol), mx.bool_)
        check(mx.array_equal(a, a), True, mx.bool_)
        check(mx.array_equal(a, b), np.array_equal(e, f), mx.bool_)
    n = mx.array([np.nan, 1.0])
    check(mx.isclose(n, n), [False, True])
    check(mx.isclose(n, n, equal_nan=True), [True, True])
    check(mx.array_equal(n, n), False)
    check(mx.array_equal(n, n, equal_nan=True), True)
    check(mx.array_equal(mx.zeros((2,)), mx.zeros((3,))), False)
    check(mx.isclose(mx.array([np.inf]), np.inf), [True])


@pytest.mark.parametrize("dtype", ["int32", "int8", "uint16", "float32", "float16"])
def test_divmod(dtype):
    x = random((3, 4), dtype, seed=6, low=-9, high=9)
    y = random((4,), dtype, seed=7, low=1, high=5)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        q, r = mx.divmod(a, from_numpy(y, dtype))
        check(q, np.floor_divide(e, y), dt(dtype))
        check(r, np.remainder(e, y), dt(dtype), rtol=1e-3)
    got = mx.divmod(mx.array([-7, 7]), 3)
    assert isinstance(got, list)
    check(got[0], [-3, 2], mx.int32)


@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_where(dtype):
    x, y = random((3, 4), dtype, seed=1), random((1, 4), dtype, seed=2)
    c = random((3, 1), "bool_", seed=3)
    for how in LAYOUTS:
        a, e = layout(x, dtype, how)
        check(mx.where(mx.array(c), a, from_numpy(y, dtype)), np.where(c, e, y), dt(dtype))
    check(mx.where(mx.array([True, False]), mx.array([1, 2], mx.int8), 7), [1, 7], mx.int8)
    check(mx.where(True, 1.5, mx.array([2], mx.float16)), [1.5], mx.float16)


# ---- against real MLX: every dtype family, results and errors ----

MLX_OPS = {
    "var": lambda m, a: m.var(a, axis=1, ddof=1),
    "std": lambda m, a: m.std(a, keepdims=True),
    "argmin": lambda m, a: m.argmin(a, 0),
    "argmax": lambda m, a: m.argmax(a),
    "cumsum": lambda m, a: m.cumsum(a, 1),
    "cumsum_dtype": lambda m, a: m.cumsum(a, 0, dtype=m.float32),
    "cumprod": lambda m, a: m.cumprod(a, 1, reverse=True),
    "cummax": lambda m, a: m.cummax(a, 0, inclusive=False),
    "cummin": lambda m, a: m.cummin(a),
    "logcumsumexp": lambda m, a: m.logcumsumexp(a, 1),
    "softmax": lambda m, a: m.softmax(a, axis=1),
    "trace": lambda m, a: m.trace(a, -1),
    "trace_dtype": lambda m, a: m.trace(a, dtype=m.float16),
    "diff": lambda m, a: m.diff(a, axis=0),
    "round": lambda m, a: m.round(a, 1),
    "clip": lambda m, a: m.clip(a, 1, 2),
    "nan_to_num": lambda m, a: m.nan_to_num(a, posinf=5.0),
    "isclose": lambda m, a: m.isclose(a, a[::-1]),
    "allclose": lambda m, a: m.allclose(a, a),
    "array_equal": lambda m, a: m.array_equal(a, 2),
    "divmod": lambda m, a: m.stack(m.divmod(a, 3)),
    "where": lambda m, a: m.where(a, 1.5, 2),
}


@pytest.mark.parametrize("name", sorted(MLX_OPS))
@pytest.mark.parametrize("dtype", FAMILY_DTYPES)
def test_dtypes_and_errors_as_mlx(name, dtype, mlx):
    x = random((3, 4), dtype, seed=11, low=0 if name == "cumprod" else -3,
               high=3 if name == "cumprod" else 5)
    if name == "nan_to_num" and dtype == "complex64":
        pytest.skip("cmlx accepts complex64 here, MLX refuses it (docs/differences.md)")

    def fn(m):
        return MLX_OPS[name](m, m.array(x, getattr(m, dtype)))
    close_outcome(fn, mlx, rtol=3e-2 if dtype in ("float16", "bfloat16") else 1e-5)


WRONG = [
    lambda m: m.var(m.zeros((2, 3)), 2), lambda m: m.std(m.zeros(3), ddof="1"),
    lambda m: m.argmax(m.zeros((2, 3)), 2), lambda m: m.argmin(m.zeros((2, 3)), (0, 1)),
    lambda m: m.argmax(m.zeros((0, 3)), 0), lambda m: m.cumsum(m.zeros(3), 1),
    lambda m: m.cumsum(m.zeros(3), reverse="x"), lambda m: m.logcumsumexp(m.zeros(3), -2),
    lambda m: m.softmax(m.zeros((2, 3)), 2), lambda m: m.trace(m.zeros(3)),
    lambda m: m.trace(m.zeros((2, 2)), 0, 0, 0), lambda m: m.diff(m.zeros(3), -1),
    lambda m: m.diff(m.array(1.0)), lambda m: m.round(m.zeros(3), 1.5),
    lambda m: m.clip(m.zeros(3), m.zeros(2), None), lambda m: m.nan_to_num(m.zeros(3), "a"),
    lambda m: m.isclose(m.zeros(2), m.zeros(3)), lambda m: m.divmod(m.zeros(2), m.zeros(3)),
    lambda m: m.where(m.zeros(2), m.zeros(3), 1), lambda m: m.cumsum(m.zeros(2), None, True),
    lambda m: m.var(m.zeros(3), keepdims=None),
]


@pytest.mark.parametrize("case", range(len(WRONG)))
def test_wrong_calls_as_mlx(case, mlx):
    same_outcome(WRONG[case], mlx)


# ---- how each parameter may be passed, found by calling both libraries ----

Z = lambda m: m.zeros((2,))  # noqa: E731
Z2 = lambda m: m.zeros((2, 2))  # noqa: E731
K = lambda m: m.random.key(0)  # noqa: E731
SIGNATURES = {
    "round": [("a", Z2), ("decimals", 1)],
    "clip": [("a", Z2), ("a_min", 0), ("a_max", 1)],
    "nan_to_num": [("a", Z2), ("nan", 0.0), ("posinf", 1.0), ("neginf", -1.0)],
    "isclose": [("a", Z2), ("b", Z2), ("rtol", 1e-5), ("atol", 1e-8), ("equal_nan", False)],
    "allclose": [("a", Z2), ("b", Z2), ("rtol", 1e-5), ("atol", 1e-8), ("equal_nan", False)],
    "array_equal": [("a", Z2), ("b", Z2), ("equal_nan", False)],
    "divmod": [("a", Z2), ("b", 2)],
    "where": [("condition", lambda m: m.array(True)), ("x", 1), ("y", 2)],
    "var": [("a", Z2), ("axis", 0), ("keepdims", False), ("ddof", 0)],
    "std": [("a", Z2), ("axis", 0), ("keepdims", False), ("ddof", 0)],
    "argmin": [("a", Z2), ("axis", 0), ("keepdims", False)],
    "argmax": [("a", Z2), ("axis", 0), ("keepdims", False)],
    "cumsum": [("a", Z2), ("axis", 0), ("reverse", False), ("inclusive", True), ("dtype", None)],
    "cumprod": [("a", Z2), ("axis", 0), ("reverse", False), ("inclusive", True), ("dtype", None)],
    "cummax": [("a", Z2), ("axis", 0), ("reverse", False), ("inclusive", True)],
    "cummin": [("a", Z2), ("axis", 0), ("reverse", False), ("inclusive", True)],
    "logcumsumexp": [("a", Z2), ("axis", 0), ("reverse", False), ("inclusive", True)],
    "softmax": [("a", Z2), ("axis", 0), ("precise", False)],
    "trace": [("a", Z2), ("offset", 0), ("axis1", 0), ("axis2", 1), ("dtype", None)],
    "diff": [("a", Z2), ("n", 1), ("axis", 0)],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])
