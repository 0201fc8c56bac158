"""Assignment (a[key] = value) and the .at updates against NumPy (setitem,
np.add.at and friends) over random keys from test_indexing.random_key on
strided sources; boolean-mask assignment; value casting and broadcasting;
the errors MLX raises."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, check, dt, random, same_outcome, to_numpy
from test_indexing import random_key, random_source


def random_value(rng, shape, dtype_name):
    """(cmlx value, NumPy value) that broadcasts to shape: a Python scalar,
    an array of the full shape, of a broadcastable smaller shape, or with
    extra leading size-1 axes."""
    r = rng.random()
    np_dtype = "float32" if dtype_name == "bfloat16" else dtype_name.rstrip("_")
    if r < 0.2:
        v = random((), dtype_name, seed=int(rng.integers(1 << 30))).item()
        return v, np.array(v, np_dtype)
    vshape = list(shape)
    if r < 0.5:
        vshape = [d if rng.random() < 0.6 else 1 for d in vshape]
        vshape = vshape[rng.integers(len(vshape) + 1):]
    elif r < 0.6:
        vshape = [1] * int(rng.integers(1, 3)) + vshape
    x = random(tuple(vshape), dtype_name, seed=int(rng.integers(1 << 30)))
    form = rng.integers(3)
    if form == 0 or dtype_name == "bfloat16":
        return mx.array(x, dt(dtype_name)), x
    if form == 1:
        return x, x
    return (x.tolist() if x.size else mx.array(x, dt(dtype_name))), x


def np_value(x, ref_shape):
    """NumPy's setitem drops leading size-1 axes too; ufunc.at needs them gone."""
    x = np.asarray(x)
    while x.ndim > len(ref_shape) and x.shape[0] == 1:
        x = x[0]
    return x


SET_DTYPES = ["int32", "float32", "bool_", "float16", "complex64", "uint8", "bfloat16", "int64"]


@pytest.mark.parametrize("dtype_name", SET_DTYPES)
def test_random_setitem(dtype_name):
    rng = np.random.default_rng(4321 + DTYPES.index(dtype_name))
    done = 0
    for trial in range(200):
        c, e = random_source(rng, dtype_name)
        ckey, ekey = random_key(rng, e.shape)
        try:
            target = e[ekey]
        except (IndexError, ValueError):
            continue
        cv, ev = random_value(rng, target.shape, dtype_name)
        expected = e.copy()
        expected[ekey] = np_value(ev, target.shape)
        before = to_numpy(c)
        view = c[...]
        c[ckey] = cv
        check(c, expected, dt(dtype_name))
        check(view, before)  # arrays are values: the old one is unchanged
        done += 1
    assert done > 160


AT_OPS = [("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
          ("maximum", np.maximum), ("minimum", np.minimum), ("divide", np.divide)]


@pytest.mark.parametrize("dtype_name", ["int32", "float32", "float64", "int8", "uint8"])
@pytest.mark.parametrize("op,ufunc", AT_OPS, ids=[o for o, _ in AT_OPS])
def test_random_at(op, ufunc, dtype_name):
    if op == "divide" and not dtype_name.startswith("float"):
        pytest.skip("integer division through the reciprocal is covered below")
    rng = np.random.default_rng(99 + DTYPES.index(dtype_name) + 1000 * len(op))
    done = 0
    for trial in range(80):
        c, e = random_source(rng, dtype_name)
        ckey, ekey = random_key(rng, e.shape)
        try:
            target = e[ekey]
        except (IndexError, ValueError):
            continue
        cv, ev = random_value(rng, target.shape, dtype_name)
        if op in ("multiply", "divide"):  # powers of two: exact in any order
            ev = np.asarray(2.0 ** np.clip(np.round(np.asarray(ev, float)), -3, 3), e.dtype)
            if dtype_name.startswith("int") or dtype_name.startswith("uint"):
                ev = np.asarray(np.clip(ev, 1, 2), e.dtype)
            cv = mx.array(ev) if not isinstance(cv, (int, float)) else ev.item()
        elif op == "subtract" and dtype_name == "uint8":
            pass  # wraps in both
        expected = e.copy()
        with np.errstate(over="ignore"):
            ufunc.at(expected, ekey, np_value(ev, target.shape))
        got = getattr(c.at[ckey], op)(cv)
        check(got, expected, dt(dtype_name))
        done += 1
    assert done > 50


def test_setitem_duplicates_last_wins():
    a = mx.zeros((4,), mx.int32)
    a[mx.array([1, 1, 2, 1])] = mx.array([5, 6, 7, 8])
    check(a, [0, 8, 7, 0])
    b = mx.zeros((3, 2))
    b[[0, 0], 1] = mx.array([1.0, 2.0])
    check(b, [[0, 2], [0, 0], [0, 0]])


def test_at_accumulates_duplicates():
    a = mx.zeros((3,), mx.int32)
    check(a.at[mx.array([0, 0, 2, 0])].add(1), [3, 0, 1])
    check(a.at[[0, 0]].add(mx.array([2, 5])), [7, 0, 0])
    x = mx.ones((2, 3))
    check(x.at[[0, 0], 1:].multiply(3.0), [[1, 9, 9], [1, 1, 1]])
    check(x.at[[1, 1]].maximum(mx.array([[0, 5, 0], [4, 0, 0]])), [[1, 1, 1], [4, 5, 1]])
    check(x.at[[1, 1]].minimum(mx.array([[0, 5, 3], [4, 0, 2]])), [[1, 1, 1], [0, 0, 1]])
    check(x, np.ones((2, 3)))  # .at never changes the array


def test_at_divide_and_subtract_as_mlx():
    a = mx.arange(12).reshape(3, 4)
    # integer divide multiplies by the reciprocal cast to int (MLX)
    check(a.at[mx.array([0, 0])].divide(2), [[0] * 4, [4, 5, 6, 7], [8, 9, 10, 11]], mx.int32)
    f = mx.arange(4.0)
    check(f.at[[1, 1]].divide(2.0), [0, 0.25, 2, 3], mx.float32)
    check(f.at[1:].subtract(1.5), [0, -0.5, 0.5, 1.5])
    u = mx.array([5], mx.uint8)
    check(u.at[mx.array([0])].subtract(1), [4], mx.uint8)
    check(mx.array([True, False]).at[mx.array([1])].add(True), [True, True])


def test_at_object():
    a = mx.arange(6)
    at = a.at
    assert type(at).__name__ == "ArrayAt" and type(at[0]) is type(at)
    assert isinstance(at, mx.ArrayAt)
    with pytest.raises(ValueError, match="Must give indices"):
        at.add(1)
    check(at[1:3].add(value=10), [0, 11, 12, 3, 4, 5])
    a[0] = 100  # the ArrayAt keeps the array it was made from
    check(at[0].add(1), [1, 1, 2, 3, 4, 5])
    check(mx.array(1).at[()].add(1), 2)
    check(mx.array(1.0).at[None].multiply(3), 3.0)


def test_at_keeps_dtype_for_whole_keys():
    # MLX promotes for None/()/... (x + v) but not for other keys; cmlx keeps
    # the array's dtype for every key
    a = mx.arange(3)
    for key in [None, (), Ellipsis, slice(None)]:
        check(a.at[key].add(1.5), [1, 2, 3], mx.int32)


def test_setitem_values_cast_and_broadcast():
    a = mx.arange(24).reshape(2, 3, 4)
    a[1] = 5.7  # weak float into int32 truncates
    check(a[1], np.full((3, 4), 5), mx.int32)
    a[0, 0] = mx.ones((1, 1, 4))  # leading size-1 axes are dropped (NumPy)
    check(a[0, 0], [1, 1, 1, 1])
    a[:, 1] = [7, 8, 9, 10]  # lists are values (MLX refuses them)
    check(a[:, 1], [[7, 8, 9, 10]] * 2)
    a[..., 0] = np.array([[1], [2]])
    check(a[..., 0], [[1, 1, 1], [2, 2, 2]])
    h = mx.zeros((2, 2), mx.float16)
    h[0] = 5
    check(h, [[5, 5], [0, 0]], mx.float16)
    f = mx.zeros((2,))
    f[0] = 1 + 2j  # complex into float keeps the real part
    check(f, [1, 0], mx.float32)
    b = mx.zeros((2,), mx.bool_)
    b[1] = 2.5
    check(b, [False, True], mx.bool_)
    i8 = mx.zeros((2,), mx.int8)
    i8[0] = mx.array([200], mx.uint8)
    check(i8, [-56, 0], mx.int8)
    with pytest.raises(ValueError, match="overflow"):
        i8[0] = 300
    d = mx.zeros((3,), mx.float64)
    d[1] = np.array(0.1)  # NumPy values convert straight to the dtype
    assert d[1].item() == 0.1
    s = mx.array(1)
    s[()] = 5
    check(s, 5)
    s[...] = mx.array(7)
    check(s, 7)
    s[None] = 9
    check(s, 9)


def test_setitem_int_out_of_range_raises():
    a = mx.zeros((2, 3))
    for key in [2, -3, (0, 3), (mx.array([0]), 5)]:
        with pytest.raises(IndexError):
            a[key] = 1
        with pytest.raises(IndexError):
            a.at[key].add(1)
    check(a, np.zeros((2, 3)))


def test_setitem_array_index_out_of_range_is_dropped():
    a = mx.zeros((3,), mx.int32)
    a[mx.array([5, 1, -7])] = 4  # MLX leaves it undefined; cmlx skips them
    check(a, [0, 4, 0])


MASKS = [
    lambda m, x: m.array(x), lambda m, x: x, lambda m, x: x.tolist(),
]


@pytest.mark.parametrize("form", range(3))
def test_mask_assignment(form):
    rng = np.random.default_rng(5 + form)
    for trial in range(30):
        shape = tuple(int(rng.integers(1, 4)) for _ in range(rng.integers(1, 4)))
        e = rng.integers(-9, 9, shape).astype(np.int32)
        k = int(rng.integers(0 if form != 2 else 1, len(shape) + 1))
        mask = rng.random(shape[:k]) < 0.5
        count = int(mask.sum())
        rest = shape[k:]
        cases = [(7, 7), (np.int32(3), 3)]
        vals = rng.integers(100, 200, (count,) + rest).astype(np.int32)
        cases.append((mx.array(vals), vals))
        if rest:
            row = rng.integers(100, 200, rest[-1:]).astype(np.int32)
            cases.append((mx.array(row), row))
        for cv, ev in cases:
            c = mx.array(e)
            c[MASKS[form](mx, mask)] = cv
            expected = e.copy()
            expected[mask] = ev
            check(c, expected)


def test_mask_values_in_order_as_mlx():
    a = mx.arange(6).reshape(2, 3)
    m = np.array([[True, False, True], [False, True, False]])
    a[m] = mx.arange(100, 106)  # more values than masked elements: the first ones
    check(a, [[100, 1, 101], [3, 102, 5]])
    b = mx.zeros((2, 3), mx.int32)
    b[mx.array(True)] = 4  # a 0-d mask selects everything
    check(b, np.full((2, 3), 4))
    b[mx.array(False)] = 5
    check(b, np.full((2, 3), 4))
    c = mx.zeros((3,))
    c[[True, False, True]] = 1.0
    check(c, [1, 0, 1])
    c[True] = 2.0  # a Python bool alone is a 0-d mask (MLX)
    check(c, [2, 2, 2])
    c[False] = 3.0
    check(c, [2, 2, 2])
    e = mx.zeros((3,))
    e[[True, False, True]] = mx.array([1.0])  # values are not broadcast over the rows (MLX)
    with pytest.raises(RuntimeError):
        mx.eval(e)
    d = mx.zeros((3,))
    d[np.array([True, True, True])] = mx.array([1.0, 2.0])  # too few values
    with pytest.raises(RuntimeError):
        mx.eval(d)


def test_setitem_errors():
    a = mx.zeros((2, 3))
    with pytest.raises(ValueError):
        a[0] = mx.zeros((2, 3))  # does not broadcast to (3,)
    with pytest.raises(ValueError):
        a[[0, 1], [0, 1, 0]] = 1  # indices do not broadcast
    with pytest.raises(ValueError):
        a[mx.array([True, False, True])] = 1  # mask of the wrong shape
    with pytest.raises(ValueError):
        a[:, mx.array([True, False, True])] = 1  # mask inside a tuple
    with pytest.raises(ValueError):
        a.at[mx.array([True, False])].add(1)  # masks only for assignment
    with pytest.raises(ValueError):
        a[0] = "x"
    with pytest.raises(AttributeError):
        del a[0]
    check(a, np.zeros((2, 3)))


def test_setitem_errors_vs_mlx(mlx):
    def setter(key, value, shape=(2, 3), dtype="float32"):
        def run(m):
            a = m.zeros(shape, getattr(m, dtype))
            a[key(m)] = value(m)
            return a
        return run

    cases = [
        setter(lambda m: (0, 0, 0), lambda m: 1),
        setter(lambda m: (Ellipsis, Ellipsis), lambda m: 1),
        setter(lambda m: "a", lambda m: 1),
        setter(lambda m: 1.0, lambda m: 1),
        setter(lambda m: True, lambda m: 1),
        setter(lambda m: m.array([0.5]), lambda m: 1),
        setter(lambda m: ((0, 1), 0), lambda m: 1),
        setter(lambda m: 0, lambda m: m.zeros((2, 3))),
        setter(lambda m: (m.array([0, 1]), m.array([0, 1, 0])), lambda m: 1),
        setter(lambda m: m.array([True, False, True]), lambda m: 1),
        setter(lambda m: 0, lambda m: "x"),
        setter(lambda m: 0, lambda m: 300, dtype="int8"),
        setter(lambda m: m.array([True, False]), lambda m: m.ones((2, 2, 3))),
        setter(lambda m: 0, lambda m: 1, shape=()),
        # and cases that work, for the values
        setter(lambda m: m.array([1, 1, 0]), lambda m: m.array([[1.0], [2.0], [3.0]])),
        setter(lambda m: (slice(None), m.array([2, 0])), lambda m: m.array([4.0, 5.0])),
        setter(lambda m: m.array([[True, False, True], [False, False, True]]),
               lambda m: m.array([1.0, 2.0, 3.0])),
        setter(lambda m: (m.array([0, 1]), slice(None), m.array([1, 2])),
               lambda m: m.arange(6).reshape(2, 3), shape=(2, 3, 4), dtype="int32"),
    ]
    for run in cases:
        same_outcome(run, mlx)
    same_outcome(lambda m: m.zeros((3,)).at[m.array([0, 0])].add(2.0), mlx)
    same_outcome(lambda m: m.arange(4).at[m.array([1, 1])].multiply(3), mlx)
    same_outcome(lambda m: m.arange(4).at[m.array([1, 1])].divide(2), mlx)
    same_outcome(lambda m: m.arange(4.0).at[m.array([1, 3])].maximum(2.5), mlx)


def test_random_setitem_vs_mlx(mlx):
    """Where MLX's assignment and .at.add succeed, they agree. Keys with None
    or an empty target are left out: MLX mishandles them (ValueError on valid
    keys, or a crash)."""
    rng = np.random.default_rng(3)

    def conv(m, k):
        if isinstance(k, tuple):
            return tuple(conv(m, i) for i in k)
        if isinstance(k, (mx.array, np.ndarray)):
            return m.array(np.array(k))
        return k
    compared = 0
    for _ in range(300):
        x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
        ckey, ekey = random_key(rng, x.shape)
        if any(i is None for i in (ckey if isinstance(ckey, tuple) else (ckey,))):
            continue
        try:
            target = x[ekey]
        except (IndexError, ValueError):
            continue
        if target.size == 0:
            continue
        v = rng.integers(100, 200, target.shape).astype(np.float32)
        ref = mlx.array(x)
        try:
            ref[conv(mlx, ckey)] = mlx.array(v)
            ref_at = mlx.array(x).at[conv(mlx, ckey)].add(mlx.array(v))
        except ValueError:
            continue
        a = mx.array(x)
        a[conv(mx, ckey)] = mx.array(v)
        check(a, np.array(ref))
        check(mx.array(x).at[conv(mx, ckey)].add(mx.array(v)), np.array(ref_at))
        compared += 1
    assert compared > 150
