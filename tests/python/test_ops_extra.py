"""unique, minmax, matrix_norm, matrix_transpose, fft.stft / fft.istft,
fast.cross_entropy and fast.gated_delta_update against real MLX 0.32.4
(values, dtypes, shapes, errors), and through grad and vmap."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import to_numpy


def rnd(shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def same(got, ref, tol=None):
    """A cmlx array (or tuple/list of them) equal to an MLX one: dtype, shape, values."""
    if isinstance(ref, (tuple, list)):
        assert type(got) is type(ref), (type(got), type(ref))
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            same(g, r, tol)
        return
    assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (got.dtype, ref.dtype)
    assert tuple(got.shape) == tuple(ref.shape), (got.shape, ref.shape)
    g, r = to_numpy(got), to_numpy(ref)
    if tol is None:
        np.testing.assert_array_equal(g, r)
    else:
        scale = max(1.0, float(np.abs(r).max()) if r.size else 1.0)
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol * scale)


def both(mlx, fn, *arrays, **kw):
    """fn applied to the same NumPy inputs as cmlx and MLX arrays (None passes)."""
    ours = fn(mx, *[None if a is None else mx.array(a) for a in arrays], **kw)
    ref = fn(mlx, *[None if a is None else mlx.array(a) for a in arrays], **kw)
    return ours, ref


# ---- unique ----

UNIQUE_INPUTS = [
    np.array([2, 1, 2, 3, 1], np.int32),
    np.array([[2, 1, 2], [3, 1, 7]], np.int32),
    np.array([1.0, np.nan, np.nan, 0.0, -0.0, np.inf, -np.inf, 1.0], np.float32),
    np.array([True, False, True]),
    np.array(5.0, np.float32),
    np.array([1 + 2j, 1 - 1j, 1 + 2j], np.complex64),
    np.random.default_rng(3).integers(0, 6, (4, 5)).astype(np.uint8),
    np.random.default_rng(4).integers(-3, 3, (7,)).astype(np.float16),
]


@pytest.mark.parametrize("case", range(len(UNIQUE_INPUTS)))
@pytest.mark.parametrize("size", [0, 1, 3, 6, 12])
def test_unique_matches_mlx(mlx, case, size):
    a = UNIQUE_INPUTS[case]
    for flags in [(False, False, False), (True, True, True), (False, True, False),
                  (True, False, True)]:
        ours, ref = both(mlx, lambda m, x: m.unique(x, size, *flags), a)
        same(ours, ref)
    ours, ref = both(mlx, lambda m, x: m.unique(x, size, True, True, True, fill_value=0), a)
    same(ours, ref)


def test_unique_fill_and_layouts(mlx):
    a = np.array([[3, 1, 2], [3, 7, 1]], np.int32)
    # Transposed and broadcast inputs flatten in their logical order.
    ours = mx.unique(mx.array(a).T, 6, True, True, True, fill_value=-1.5)
    ref = mlx.unique(mlx.array(a).T, 6, True, True, True, fill_value=-1.5)
    same(ours, ref)
    ours = mx.unique(mx.broadcast_to(mx.array(a[0]), (2, 3)), 4, True, True, True)
    ref = mlx.unique(mlx.broadcast_to(mlx.array(a[0]), (2, 3)), 4, True, True, True)
    same(ours, ref)
    # An array fill value keeps a's dtype.
    ours, ref = both(mlx, lambda m, x, f: m.unique(x, 6, fill_value=f), a.astype(np.float16),
                     np.array(9.5, np.float32))
    same(ours, ref)
    # Empty input with a fill value.
    e = np.zeros((0,), np.float32)
    ours = mx.unique(mx.array(e), 3, True, True, True, fill_value=2.0)
    ref = mlx.unique(mlx.array(e), 3, True, True, True, fill_value=2.0)
    same(ours[0], ref[0])
    same(ours[3], ref[3])
    same(ours[2], ref[2])
    # Not evaluated: works inside a traced function (grad of the values).
    x = rnd((6,), 5)
    x[3] = x[1]
    g = mx.grad(lambda t: mx.unique(t, 4).sum())(mx.array(x))
    r = mlx.grad(lambda t: mlx.unique(t, 4).sum())(mlx.array(x))
    same(g, r, 1e-6)


def test_unique_errors(mlx):
    a = mx.array([1, 2, 2])
    with pytest.raises(ValueError):
        mx.unique(a, -1)
    with pytest.raises(ValueError):
        mx.unique(a, 3, fill_value=mx.array([1, 2]))
    with pytest.raises(ValueError):
        mx.unique(mx.array(np.zeros((0,), np.float32)), 3)
    with pytest.raises(TypeError):
        mx.unique(a)
    with pytest.raises((ValueError, OverflowError)):
        mx.unique(a.astype(mx.uint8), 4, fill_value=-1)


# ---- minmax, matrix_norm, matrix_transpose ----

@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), [1, 2]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_minmax_matches_mlx(mlx, axis, keepdims):
    a = rnd((3, 4, 5), 1)
    ints = (a * 10).astype(np.int32)
    a[1, 2, 3] = np.nan
    for x in (a, ints):
        ours, ref = both(mlx, lambda m, t: m.minmax(t, axis=axis, keepdims=keepdims), x)
        same(ours, ref)
    ours, ref = both(mlx, lambda m, t: m.minmax(t.T, axis, keepdims), a)
    same(ours, ref)


def test_minmax_transforms(mlx):
    x = np.array([[1.0, 5.0, 5.0], [3.0, 2.0, -1.0]], np.float32)

    def f(m):
        def g(t):
            lo, hi = m.minmax(t, axis=1)
            return (2 * lo + hi).sum()
        return g
    same(mx.grad(f(mx))(mx.array(x)), mlx.grad(f(mlx))(mlx.array(x)), 1e-6)
    # Finite differences on a point without ties.
    y = rnd((3, 4), 2)
    gy = to_numpy(mx.grad(f(mx))(mx.array(y)))
    eps = 1e-3
    for i in range(3):
        for j in range(4):
            d = np.zeros_like(y)
            d[i, j] = eps
            fd = (float(f(mx)(mx.array(y + d))) - float(f(mx)(mx.array(y - d)))) / (2 * eps)
            assert abs(fd - gy[i, j]) < 1e-2
    # vmap over the rows gives each row's (min, max).
    lo, hi = mx.vmap(lambda t: mx.minmax(t))(mx.array(y))
    np.testing.assert_array_equal(to_numpy(lo), y.min(1))
    np.testing.assert_array_equal(to_numpy(hi), y.max(1))


def test_minmax_errors(mlx):
    with pytest.raises(ValueError):
        mx.minmax(mx.array(np.zeros((0,), np.float32)))
    with pytest.raises((ValueError, IndexError)):
        mx.minmax(mx.array([1, 2]), axis=3)


def test_matrix_norm_is_linalg_norm(mlx):
    a = rnd((3, 4), 7)
    b = rnd((2, 3, 3), 8)
    for kw in [{}, {"ord": "fro"}, {"ord": 1}, {"ord": float("inf")}, {"ord": -1},
               {"axis": 0}, {"axis": (1, 2)}, {"ord": 2, "axis": -1, "keepdims": True}]:
        x = b if kw.get("axis") == (1, 2) else a
        ours, ref = both(mlx, lambda m, t: m.matrix_norm(t, **kw), x)
        same(ours, ref, 1e-5)
    ours, ref = both(mlx, lambda m, t: m.matrix_norm(t, "nuc"), a)
    same(ours, ref, 1e-4)
    with pytest.raises(ValueError):
        mx.matrix_norm(mx.array(b), "fro")


def test_matrix_transpose(mlx):
    for shape in [(2, 3), (2, 3, 4), (1, 2, 0, 5)]:
        ours, ref = both(mlx, lambda m, t: m.matrix_transpose(t), rnd(shape, 3))
        same(ours, ref)
    for bad in [np.float32(1), np.zeros((3,), np.float32)]:
        with pytest.raises(ValueError):
            mx.matrix_transpose(mx.array(bad))


# ---- stft / istft ----

def signal(shape, seed=0, complex_=False):
    x = rnd(shape, seed)
    if complex_:
        x = (x + 1j * rnd(shape, seed + 1)).astype(np.complex64)
    return x


STFT_CASES = [
    ((50,), dict(n_fft=16)),
    ((50,), dict(n_fft=16, hop_length=3)),
    ((50,), dict(n_fft=15, hop_length=4)),
    ((51,), dict(n_fft=16, win_length=10, window="hann10")),
    ((50,), dict(n_fft=16, window="hann16", pad_mode="constant")),
    ((50,), dict(n_fft=16, pad_mode="edge")),
    ((50,), dict(n_fft=16, center=False)),
    ((50,), dict(n_fft=16, norm="ortho")),
    ((50,), dict(n_fft=16, norm="forward", onesided=False)),
    ((2, 3, 41), dict(n_fft=8)),
    ((41,), dict(n_fft=8, complex_=True)),
    ((41,), dict(n_fft=8, complex_=True, onesided=True)),
    ((40,), dict(n_fft=64)),
    ((4,), dict(n_fft=8)),
    ((1,), dict(n_fft=8, pad_mode="reflect")),
    ((3, 40), dict(n_fft=9, hop_length=100)),
    ((0, 40), dict(n_fft=8)),
    ((40,), dict(n_fft=8, window="ones6")),
]


def make_window(m, name):
    if name is None:
        return None
    if name.startswith("hann"):
        n = int(name[4:])
        return m.array(np.hanning(n).astype(np.float32))
    return m.array(np.ones(int(name[4:]), np.float32))


def stft_call(m, x, kw):
    kw = dict(kw)
    kw.pop("complex_", None)
    kw["window"] = make_window(m, kw.get("window"))
    return m.fft.stft(x, **kw)


@pytest.mark.parametrize("case", range(len(STFT_CASES)))
def test_stft_matches_mlx(mlx, case):
    shape, kw = STFT_CASES[case]
    x = signal(shape, case, kw.get("complex_", False))
    ours, ref = both(mlx, lambda m, t: stft_call(m, t, kw), x)
    same(ours, ref, 1e-5)


def test_stft_dtypes(mlx):
    x = signal((40,), 2)
    for dt in ["float16", "bfloat16", "float64", "int32"]:
        ours = mx.fft.stft(mx.array(x * 10).astype(getattr(mx, dt)), n_fft=8)
        ref = mlx.fft.stft(mlx.array(x * 10).astype(getattr(mlx, dt)), n_fft=8)
        same(ours, ref, 1e-4)


ISTFT_CASES = [
    dict(n_fft=16, hop_length=4, window="hann16"),
    dict(n_fft=16, hop_length=4, window="hann16", center=False),
    dict(n_fft=16, hop_length=4, window="hann16", length=50),
    dict(n_fft=16, hop_length=4, window="hann16", length=60),
    dict(n_fft=16, hop_length=4, window="hann16", length=30),
    dict(n_fft=16, hop_length=4, window="hann16", center=False, length=70),
    dict(n_fft=16, hop_length=4, window="hann16", norm="ortho"),
    dict(n_fft=15, hop_length=5),
    dict(n_fft=16, hop_length=4, onesided=False),
    dict(n_fft=16, hop_length=3, win_length=10, window="hann10"),
    dict(n_fft=16, hop_length=20),
    dict(n_fft=16, hop_length=4, length=-1),
]


@pytest.mark.parametrize("case", range(len(ISTFT_CASES)))
def test_istft_matches_mlx(mlx, case):
    kw = dict(ISTFT_CASES[case])
    x = signal((2, 50), case)
    skw = {k: kw[k] for k in ("n_fft", "hop_length", "win_length", "window", "center", "norm",
                              "onesided") if k in kw}
    spec = to_numpy(stft_call(mlx, mlx.array(x), skw))
    ikw = dict(kw)
    ours = mx.fft.istft(mx.array(spec), **{**ikw, "window": make_window(mx, kw.get("window"))})
    ref = mlx.fft.istft(mlx.array(spec), **{**ikw, "window": make_window(mlx, kw.get("window"))})
    same(ours, ref, 2e-5)


def test_istft_defaults_and_errors(mlx):
    spec = np.asarray(signal((9, 13), 1) + 1j * signal((9, 13), 2), np.complex64)
    for kw in [{}, {"n_fft": 10}, {"n_fft": 17}, {"onesided": False},
               {"n_fft": 20, "onesided": False}, {"win_length": 10},
               {"window": "ones10", "win_length": 12}]:
        kw = dict(kw)
        w = kw.pop("window", None)
        ours = mx.fft.istft(mx.array(spec), window=make_window(mx, w), **kw)
        ref = mlx.fft.istft(mlx.array(spec), window=make_window(mlx, w), **kw)
        same(ours, ref, 2e-5)
    # A real input counts as complex with zero imaginary parts.
    same(mx.fft.istft(mx.array(spec.real)), mlx.fft.istft(mlx.array(spec.real)), 2e-5)
    s = mx.array(spec)
    for bad in [dict(window=mx.ones(20)), dict(window=mx.ones((4, 4))), dict(hop_length=0),
                dict(norm="bad")]:
        with pytest.raises(ValueError):
            mx.fft.istft(s, **bad)
    with pytest.raises(ValueError):
        mx.fft.istft(s[0])
    with pytest.raises(ValueError):
        mx.fft.istft(mx.zeros((1, 3), dtype=mx.complex64))


def test_stft_errors(mlx):
    x = mx.array(signal((40,), 0))
    for bad in [dict(n_fft=0), dict(n_fft=8, hop_length=0), dict(n_fft=8, win_length=20),
                dict(n_fft=8, window=mx.ones(9)), dict(n_fft=8, window=mx.ones((2, 4))),
                dict(n_fft=8, pad_mode="circular"), dict(n_fft=8, norm="xx"),
                dict(n_fft=64, center=False)]:
        with pytest.raises(ValueError):
            mx.fft.stft(x, **bad)
    with pytest.raises(ValueError):
        mx.fft.stft(mx.array(1.0), n_fft=8)


@pytest.mark.parametrize("n", [40, 41, 57])
@pytest.mark.parametrize("cfg", [dict(n_fft=16, hop_length=4, window="hann16"),
                                 dict(n_fft=9, hop_length=3),
                                 dict(n_fft=16, hop_length=4, window="hann16",
                                      pad_mode="constant", norm="ortho")])
def test_stft_round_trip(n, cfg):
    x = signal((3, n), n)
    kw = dict(cfg)
    w = kw.pop("window", None)
    spec = mx.fft.stft(mx.array(x), window=make_window(mx, w), **kw)
    ikw = {k: v for k, v in kw.items() if k != "pad_mode"}
    back = mx.fft.istft(spec, window=make_window(mx, w), length=n, **ikw)
    np.testing.assert_allclose(to_numpy(back), x, atol=1e-5)


def test_stft_transforms(mlx):
    x = signal((2, 30), 4)
    w = np.hanning(8).astype(np.float32)

    def f(m):
        return lambda t: (m.abs(m.fft.stft(t, n_fft=8, hop_length=3, window=m.array(w))) ** 2).sum()
    g = mx.grad(f(mx))(mx.array(x))
    r = mlx.grad(f(mlx))(mlx.array(x))
    same(g, r, 1e-4)
    # Finite differences of a few coordinates (float64 is not needed: the
    # function is smooth and of moderate size).
    gx = to_numpy(g)
    eps = 1e-2
    for (i, j) in [(0, 0), (0, 7), (1, 15), (1, 29)]:
        d = np.zeros_like(x)
        d[i, j] = eps
        fd = (float(f(mx)(mx.array(x + d))) - float(f(mx)(mx.array(x - d)))) / (2 * eps)
        assert abs(fd - gx[i, j]) < 2e-2 * max(1.0, abs(fd))
    # istft under grad: d/dx sum(istft(stft(x)) * c) = c.
    c = signal((2, 30), 9)
    gi = mx.grad(lambda t: (mx.fft.istft(mx.fft.stft(t, n_fft=8, hop_length=2), n_fft=8,
                                         hop_length=2, length=30) * mx.array(c)).sum())(
        mx.array(x))
    np.testing.assert_allclose(to_numpy(gi), c, atol=1e-4)
    # vmap over the batch equals the batched call.
    v = mx.vmap(lambda t: mx.fft.stft(t, n_fft=8, hop_length=3))(mx.array(x))
    same(v, mx.fft.stft(mx.array(x), n_fft=8, hop_length=3), 1e-6)


# ---- cross_entropy ----

@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 7)])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_cross_entropy_matches_mlx(mlx, shape, dtype):
    logits = rnd(shape, 1, -4, 4)
    targets = np.random.default_rng(2).integers(0, shape[-1], shape[:-1]).astype(np.int32)
    ours = mx.fast.cross_entropy(mx.array(logits).astype(getattr(mx, dtype)), mx.array(targets))
    ref = mlx.fast.cross_entropy(mlx.array(logits).astype(getattr(mlx, dtype)),
                                 mlx.array(targets))
    same(ours, ref, {"float32": 1e-6, "float16": 2e-3, "bfloat16": 2e-2}[dtype])
    for tdt in ["uint8", "int64"]:
        ours = mx.fast.cross_entropy(mx.array(logits), mx.array(targets).astype(getattr(mx, tdt)))
        same(ours, mlx.fast.cross_entropy(mlx.array(logits), mlx.array(targets)), 1e-6)


def test_cross_entropy_transforms(mlx):
    logits = rnd((4, 6), 3, -3, 3)
    targets = np.array([0, 5, 2, 2], np.int32)

    def f(m):
        return lambda l: (m.fast.cross_entropy(l, m.array(targets)) * m.arange(1, 5)).sum()
    g = mx.grad(f(mx))(mx.array(logits))
    same(g, mlx.grad(f(mlx))(mlx.array(logits)), 1e-6)
    # Finite differences.
    gx = to_numpy(g)
    eps = 1e-3
    for (i, j) in [(0, 0), (1, 5), (2, 1), (3, 2)]:
        d = np.zeros_like(logits)
        d[i, j] = eps
        fd = (float(f(mx)(mx.array(logits + d))) - float(f(mx)(mx.array(logits - d)))) / (2 * eps)
        assert abs(fd - gx[i, j]) < 1e-2
    # vmap over the rows.
    v = mx.vmap(mx.fast.cross_entropy)(mx.array(logits), mx.array(targets))
    same(v, mx.fast.cross_entropy(mx.array(logits), mx.array(targets)), 1e-6)


def test_cross_entropy_errors():
    lg = mx.array(rnd((3, 5)))
    t = mx.array([0, 4, 2])
    for bad in [(lg, t[:2]), (lg, t.astype(mx.float32)), (lg, t[:, None]),
                (mx.array(1.0), t[0]), (lg.astype(mx.int32), t)]:
        with pytest.raises(ValueError):
            mx.fast.cross_entropy(*bad)


# ---- gated_delta_update ----

def gdu_inputs(B, T, Hk, Hv, Dk, Dv, seed=0, vec_gate=False):
    rng = np.random.default_rng(seed)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    q, k, v = f(B, T, Hk, Dk), f(B, T, Hk, Dk) * 0.4, f(B, T, Hv, Dv)
    g = rng.uniform(0.5, 1.0, (B, T, Hv, Dk) if vec_gate else (B, T, Hv)).astype(np.float32)
    beta = rng.uniform(0, 1, (B, T, Hv)).astype(np.float32)
    s0 = f(B, Hv, Dv, Dk)
    mask = rng.uniform(0, 1, (B, T)) < 0.7
    return q, k, v, g, beta, s0, mask


GDU_CASES = [
    dict(B=1, T=3, Hk=1, Hv=1, Dk=4, Dv=5),
    dict(B=2, T=4, Hk=2, Hv=4, Dk=3, Dv=5, init=True),
    dict(B=2, T=5, Hk=1, Hv=3, Dk=8, Dv=2, init=True, mask=True),
    dict(B=1, T=6, Hk=2, Hv=2, Dk=4, Dv=4, mask=True),
    dict(B=2, T=3, Hk=2, Hv=4, Dk=4, Dv=3, init=True, vec_gate=True),
]


@pytest.mark.parametrize("case", range(len(GDU_CASES)))
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_gated_delta_matches_mlx(mlx, case, dtype):
    c = dict(GDU_CASES[case])
    init, use_mask = c.pop("init", False), c.pop("mask", False)
    q, k, v, g, beta, s0, mask = gdu_inputs(**c, seed=case)

    def run(m):
        cast = lambda a: m.array(a).astype(getattr(m, dtype))  # noqa: E731
        return m.fast.gated_delta_update(cast(q), cast(k), cast(v), cast(g), cast(beta),
                                         m.array(s0) if init else None,
                                         m.array(mask) if use_mask else None)
    ours, ref = run(mx), run(mlx)
    tol = {"float32": 1e-5, "float16": 3e-3, "bfloat16": 3e-2}[dtype]
    same(ours, ref, tol)


def test_gated_delta_dtypes_and_shapes(mlx):
    q, k, v, g, beta, s0, mask = gdu_inputs(1, 2, 1, 2, 3, 2, seed=5)
    # Mixed dtypes promote the output; the state stays float32.
    for args in [(q.astype(np.float16), k, v, g, beta), (q, k, v.astype(np.float16), g, beta)]:
        ours = mx.fast.gated_delta_update(*[mx.array(a) for a in args],
                                          mx.array(s0).astype(mx.float16))
        ref = mlx.fast.gated_delta_update(*[mlx.array(a) for a in args],
                                          mlx.array(s0).astype(mlx.float16))
        same(ours, ref, 1e-3)
    # A float mask counts nonzero as kept.
    fm = mask.astype(np.float32)
    ours = mx.fast.gated_delta_update(*[mx.array(a) for a in (q, k, v, g, beta, s0, fm)])
    ref = mlx.fast.gated_delta_update(*[mlx.array(a) for a in (q, k, v, g, beta, s0, fm)])
    same(ours, ref, 1e-5)
    # No steps: an empty output and the initial state.
    y, s = mx.fast.gated_delta_update(*[mx.array(a[:, :0]) for a in (q, k, v, g, beta)],
                                      mx.array(s0))
    assert y.shape == (1, 0, 2, 2)
    np.testing.assert_array_equal(to_numpy(s), s0)
    q2, k2, v2, g2, b2, _, _ = gdu_inputs(1, 2, 2, 4, 3, 2, seed=7)
    for bad in [(q, k[..., :2], v, g, beta), (q[0], k[0], v[0], g[0], beta[0]),
                (q2, k2, v2[:, :, :3], g2[..., :3], b2[..., :3])]:
        with pytest.raises(ValueError):
            mx.fast.gated_delta_update(*[mx.array(a) for a in bad])
    with pytest.raises(ValueError):
        mx.fast.gated_delta_update(*[mx.array(a) for a in (q, k, v, g, beta, s0)],
                                   mx.array(mask[0]))


def test_gated_delta_grad(mlx):
    q, k, v, g, beta, s0, mask = gdu_inputs(2, 3, 1, 2, 3, 2, seed=6)
    rng = np.random.default_rng(1)
    cy = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    cs = rng.standard_normal(s0.shape).astype(np.float32)

    def f(m, with_mask):
        def h(*a):
            y, s = m.fast.gated_delta_update(*a, m.array(mask) if with_mask else None)
            return (y * m.array(cy)).sum() + (s * m.array(cs)).sum()
        return h
    for with_mask in (False, True):
        args = (q, k, v, g, beta, s0)
        ours = mx.grad(f(mx, with_mask), argnums=(0, 1, 2, 3, 4, 5))(*[mx.array(a) for a in args])
        ref = mlx.grad(f(mlx, with_mask), argnums=(0, 1, 2, 3, 4, 5))(
            *[mlx.array(a) for a in args])
        same(ours, ref, 1e-4)
    # vmap over a leading axis equals the batched call.
    y1, s1 = mx.vmap(lambda *a: mx.fast.gated_delta_update(*a))(
        *[mx.array(a[None]) for a in (q, k, v, g, beta, s0)])
    y2, s2 = mx.fast.gated_delta_update(*[mx.array(a) for a in (q, k, v, g, beta, s0)])
    same(y1[0], y2, 1e-6)
    same(s1[0], s2, 1e-6)


def test_compositions_compile():
    x = mx.array(signal((2, 30), 11))
    f = mx.compile(lambda t: mx.fft.istft(mx.fft.stft(t, n_fft=8, hop_length=2), n_fft=8,
                                          hop_length=2, length=30))
    np.testing.assert_allclose(to_numpy(f(x)), to_numpy(x), atol=1e-5)
    t = mx.array([1, 2])
    g = mx.compile(lambda l: mx.fast.cross_entropy(l, t))
    same(g(x), mx.fast.cross_entropy(x, t), 1e-6)
    q, k, v, gm, beta, s0, mask = [mx.array(a) for a in gdu_inputs(1, 3, 1, 2, 4, 3, seed=2)]
    h = mx.compile(lambda *a: mx.fast.gated_delta_update(*a))
    same(h(q, k, v, gm, beta, s0, mask), mx.fast.gated_delta_update(q, k, v, gm, beta, s0, mask),
         1e-6)
    u = mx.compile(lambda a: mx.unique(a, 5, True, True, True))
    a = mx.array([3, 1, 3, 2])
    same(u(a), mx.unique(a, 5, True, True, True))
    lo, hi = mx.compile(lambda a: mx.minmax(a, axis=1))(x)
    same(lo, mx.min(x, axis=1))
    same(hi, mx.max(x, axis=1))
