"""mx.fast: rms_norm, layer_norm, rope, scaled_dot_product_attention against
NumPy references and real MLX."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import to_numpy

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover
    mlx = None

needs_mlx = pytest.mark.skipif(mlx is None, reason="real MLX not installed")

FLOATS = ["float32", "float16", "bfloat16"]
TOL = {"float32": 1e-5, "float16": 2e-3, "bfloat16": 2e-2}


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def arr(x, d, module=mx):
    return module.array(x).astype(getattr(module, d))


def rounded(x, d):
    """x as the dtype would store it, back in float32."""
    return to_numpy(arr(x, d))


def close(got, expected, d, scale=1.0):
    assert str(got.dtype).split(".")[-1] == d
    t = TOL[d] * 4
    np.testing.assert_allclose(to_numpy(got), expected, rtol=t, atol=t * scale)


# ---- references ----

def ref_rms(x, w, eps):
    y = x / np.sqrt(np.mean(x.astype(np.float64) ** 2, -1, keepdims=True) + eps)
    return y * w if w is not None else y


def ref_ln(x, w, b, eps):
    x = x.astype(np.float64)
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def ref_rope(x, dims, traditional, base, scale, offset, freqs=None):
    x = x.astype(np.float64)
    T = x.shape[-2]
    half = dims // 2
    inv = (1.0 / freqs.astype(np.float64) if freqs is not None
           else base ** (-np.arange(half) * 2.0 / dims))
    off = np.asarray(offset, dtype=np.float64)
    if off.ndim == 1:  # one per batch entry
        off = off.reshape((-1,) + (1,) * (x.ndim - 1))
    pos = (off + np.arange(T).reshape((T, 1)) if off.ndim == 0
           else off + np.arange(T).reshape((T, 1)))
    theta = pos * scale * inv  # (..., T, half)
    c, s = np.cos(theta), np.sin(theta)
    out = x.copy()
    if traditional:
        a, b = x[..., 0:dims:2], x[..., 1:dims:2]
        out[..., 0:dims:2] = a * c - b * s
        out[..., 1:dims:2] = a * s + b * c
    else:
        a, b = x[..., :half], x[..., half:dims]
        out[..., :half] = a * c - b * s
        out[..., half:dims] = a * s + b * c
    return out


def ref_sdpa(q, k, v, scale, mask=None, sinks=None):
    q, k, v = (t.astype(np.float64) for t in (q, k, v))
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, 1), np.repeat(v, rep, 1)
    s = scale * q @ np.swapaxes(k, -1, -2)
    Tq, Tk = s.shape[-2:]
    if isinstance(mask, str):
        keep = np.arange(Tk)[None, :] <= np.arange(Tq)[:, None] + Tk - Tq
        s = np.where(keep, s, -np.inf)
    elif mask is not None and mask.dtype == bool:
        s = np.where(mask, s, -np.inf)
    elif mask is not None:
        s = s + mask
    if sinks is not None:
        sk = np.broadcast_to(sinks.reshape(1, -1, 1, 1), s.shape[:-1] + (1,))
        s = np.concatenate([sk, s], -1)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    if sinks is not None:
        p = p[..., 1:]
    return p @ v


# ---- norms ----

@pytest.mark.parametrize("d", FLOATS)
def test_rms_norm(d):
    x, w = rnd((2, 3, 16)), rnd((16,), 1)
    xr, wr = rounded(x, d), rounded(w, d)
    close(mx.fast.rms_norm(arr(x, d), arr(w, d), 1e-5), ref_rms(xr, wr, 1e-5), d)
    close(mx.fast.rms_norm(arr(x, d), None, 1e-5), ref_rms(xr, None, 1e-5), d)
    close(mx.fast.rms_norm(x=arr(x, d), weight=arr(w, d), eps=1e-3), ref_rms(xr, wr, 1e-3), d)
    # strided input
    xt = arr(x, d).transpose(0, 2, 1)[..., :16]
    close(mx.fast.rms_norm(xt, None, 1e-5), ref_rms(np.swapaxes(xr, 1, 2), None, 1e-5), d)


@pytest.mark.parametrize("d", FLOATS)
def test_layer_norm(d):
    x, w, b = rnd((4, 32)), rnd((32,), 1), rnd((32,), 2)
    xr, wr, br = rounded(x, d), rounded(w, d), rounded(b, d)
    for ww, bb in [(wr, br), (None, None), (wr, None), (None, br)]:
        got = mx.fast.layer_norm(arr(x, d), None if ww is None else arr(ww, d),
                                 None if bb is None else arr(bb, d), 1e-5)
        close(got, ref_ln(xr, ww, bb, 1e-5), d, scale=4)


def test_norm_errors():
    with pytest.raises(TypeError):
        mx.fast.rms_norm(mx.ones((2, 4)), mx.ones((4,)))  # eps is required
    with pytest.raises(ValueError):
        mx.fast.rms_norm(mx.ones((2, 4)), mx.ones((3,)), 1e-5)
    with pytest.raises(ValueError):
        mx.fast.layer_norm(mx.ones((2, 4)), None, mx.ones((5,)), 1e-5)


# ---- rope ----

@pytest.mark.parametrize("d", FLOATS)
@pytest.mark.parametrize("traditional", [False, True])
def test_rope(d, traditional):
    x = rnd((2, 3, 5, 16))
    xr = rounded(x, d)
    for dims, base, scale, offset in [(16, 10000.0, 1.0, 0), (8, 500.0, 0.5, 3)]:
        got = mx.fast.rope(arr(x, d), dims, traditional=traditional, base=base, scale=scale,
                           offset=offset)
        close(got, ref_rope(xr, dims, traditional, base, scale, offset), d, scale=4)


@pytest.mark.parametrize("d", FLOATS)
def test_rope_freqs_and_array_offsets(d):
    x = rnd((3, 2, 4, 8))
    xr = rounded(x, d)
    freqs = np.array([1.0, 3.0, 10.0, 100.0], np.float32)
    got = mx.fast.rope(arr(x, d), 8, traditional=False, base=None, scale=1.0, offset=2,
                       freqs=mx.array(freqs))
    close(got, ref_rope(xr, 8, False, None, 1.0, 2, freqs), d, scale=4)
    got = mx.fast.rope(arr(x, d), 8, traditional=True, base=10000.0, scale=1.0,
                       offset=mx.array(5))
    close(got, ref_rope(xr, 8, True, 10000.0, 1.0, 5), d, scale=4)
    offs = np.array([0, 4, 9])
    got = mx.fast.rope(arr(x, d), 8, traditional=False, base=10000.0, scale=1.0,
                       offset=mx.array(offs))
    close(got, ref_rope(xr, 8, False, 10000.0, 1.0, offs), d, scale=4)


def test_rope_errors():
    x = mx.ones((1, 2, 4, 8))
    kw = dict(traditional=False, scale=1.0, offset=0)
    with pytest.raises(TypeError):
        mx.fast.rope(x, 8, False, 10000.0, 1.0, 0)  # keyword-only
    with pytest.raises(TypeError):
        mx.fast.rope(x, 8, traditional=False, base=10000.0, scale=1.0)  # offset required
    with pytest.raises(ValueError, match="Only one"):
        mx.fast.rope(x, 8, base=10000.0, freqs=mx.ones((4,)), **kw)
    with pytest.raises(ValueError, match="Neither"):
        mx.fast.rope(x, 8, base=None, **kw)
    with pytest.raises(ValueError):
        mx.fast.rope(x, 7, base=10000.0, **kw)
    with pytest.raises(ValueError):
        mx.fast.rope(mx.ones((4, 8)), 8, base=10000.0, **kw)
    with pytest.raises(ValueError):
        mx.fast.rope(x, 8, traditional=False, base=10000.0, scale=1.0, offset=mx.array(1.5))
    with pytest.raises(ValueError):
        mx.fast.rope(x, 8, traditional=False, base=10000.0, scale=1.0, offset=1.5)


# ---- attention ----

def qkv(B=2, Nq=4, Nkv=2, Tq=3, Tk=5, D=8, Dv=8):
    return rnd((B, Nq, Tq, D), 0), rnd((B, Nkv, Tk, D), 1), rnd((B, Nkv, Tk, Dv), 2)


MASKS = ["none", "causal", "bool", "additive"]


def make_mask(kind, Tq, Tk):
    if kind == "none":
        return None
    if kind == "causal":
        return "causal"
    rng = np.random.default_rng(3)
    if kind == "bool":
        m = rng.integers(0, 2, (Tq, Tk)).astype(bool)
        m[:, 0] = True  # no fully masked rows
        return m
    return rng.standard_normal((1, 1, Tq, Tk)).astype(np.float32)


@pytest.mark.parametrize("d", FLOATS)
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("heads", [(4, 4), (4, 2), (4, 1)])  # MHA, GQA, MQA
def test_sdpa(d, mask, heads):
    q, k, v = qkv(Nq=heads[0], Nkv=heads[1])
    qr, kr, vr = (rounded(t, d) for t in (q, k, v))
    m = make_mask(mask, 3, 5)
    mm = m if m is None or isinstance(m, str) else mx.array(m).astype(
        mx.bool_ if m.dtype == bool else getattr(mx, d))
    mref = m if m is None or isinstance(m, str) or m.dtype == bool else to_numpy(mm)
    got = mx.fast.scaled_dot_product_attention(arr(q, d), arr(k, d), arr(v, d), scale=0.35,
                                               mask=mm)
    close(got, ref_sdpa(qr, kr, vr, 0.35, mref), d, scale=2)


@pytest.mark.parametrize("d", FLOATS)
def test_sdpa_sinks_and_long_queries(d):
    q, k, v = qkv(Tq=6, Tk=4)  # more queries than keys: causal lower-right alignment
    qr, kr, vr = (rounded(t, d) for t in (q, k, v))
    sinks = rnd((4,), 7)
    got = mx.fast.scaled_dot_product_attention(arr(q, d), arr(k, d), arr(v, d), scale=0.5,
                                               sinks=arr(sinks, d))
    close(got, ref_sdpa(qr, kr, vr, 0.5, None, rounded(sinks, d)), d, scale=2)


def test_sdpa_errors():
    q, k, v = (mx.array(t) for t in qkv())
    f = mx.fast.scaled_dot_product_attention
    with pytest.raises(TypeError):
        f(q, k, v)  # scale is required
    with pytest.raises(TypeError):
        f(q, k, v, 0.3)  # and keyword-only
    with pytest.raises(ValueError, match="invalid mask option"):
        f(q, k, v, scale=0.3, mask="foo")
    with pytest.raises(TypeError):
        f(q, k, v, scale=0.3, mask=1)
    with pytest.raises(ValueError):
        f(q, k, v, scale=0.3, mask=mx.zeros((1, 1, 1, 3, 5)))
    with pytest.raises(ValueError):
        f(q.astype(mx.float16), k.astype(mx.float16), v.astype(mx.float16), scale=0.3,
          mask=mx.zeros((3, 5)))  # an additive mask must promote to the output type
    with pytest.raises(ValueError):
        f(mx.ones((4, 3, 8)), mx.ones((4, 3, 8)), mx.ones((4, 3, 8)), scale=0.3)


# ---- against real MLX ----

def both(fn, *arrays):
    """fn applied to our arrays and to MLX's (arrays: NumPy, or None/str)."""
    ours = [a if a is None or isinstance(a, str) else a[0] for a in arrays]
    theirs = [a if a is None or isinstance(a, str) else a[1] for a in arrays]
    return fn(mx, *ours), fn(mlx, *theirs)


def pair(x, d):
    return arr(x, d, mx), arr(x, d, mlx)


@needs_mlx
@pytest.mark.parametrize("d", FLOATS)
def test_against_mlx(d):
    x, w, b = rnd((2, 4, 6, 16)), rnd((16,), 1), rnd((16,), 2)
    cases = [
        lambda m, x, w: m.fast.rms_norm(x, w, 1e-5),
        lambda m, x, w: m.fast.layer_norm(x, w, w, 1e-5),
        lambda m, x, w: m.fast.rope(x, 16, traditional=False, base=10000.0, scale=1.0,
                                    offset=3),
        lambda m, x, w: m.fast.rope(x, 8, traditional=True, base=10000.0, scale=2.0,
                                    offset=m.array([1, 7])),
        lambda m, x, w: m.fast.rope(x, 16, traditional=False, base=None, scale=1.0, offset=0,
                                    freqs=m.array(np.arange(1, 9, dtype=np.float32))),
    ]
    for fn in cases:
        ours, theirs = both(fn, pair(x, d), pair(w, d))
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        close(ours, to_numpy(theirs), d, scale=4)
    q, k, v = qkv(Nq=4, Nkv=2, Tq=3, Tk=5)
    for mask in MASKS:
        m = make_mask(mask, 3, 5)
        mp = m if m is None or isinstance(m, str) else (
            pair(m, "float32") if m.dtype != bool else (mx.array(m), mlx.array(m)))
        if mp is not None and not isinstance(mp, str) and m.dtype != bool:
            mp = (mp[0].astype(getattr(mx, d)), mp[1].astype(getattr(mlx, d)))
        ours, theirs = both(
            lambda M, q, k, v, mk: M.fast.scaled_dot_product_attention(q, k, v, scale=0.3,
                                                                       mask=mk),
            pair(q, d), pair(k, d), pair(v, d), mp)
        close(ours, to_numpy(theirs), d, scale=2)


@needs_mlx
@pytest.mark.parametrize("name", ["rms_norm", "layer_norm", "rope",
                                  "scaled_dot_product_attention"])
def test_parameter_kinds_match_mlx(name):
    from helpers import param_kinds

    def params(m):
        x = m.ones((1, 2, 3, 8))
        return {
            "rms_norm": [("x", x), ("weight", None), ("eps", 1e-5)],
            "layer_norm": [("x", x), ("weight", None), ("bias", None), ("eps", 1e-5)],
            "rope": [("a", x), ("dims", 8), ("traditional", False), ("base", 1e4),
                     ("scale", 1.0), ("offset", 0), ("freqs", None)],
            "scaled_dot_product_attention": [("q", x), ("k", x), ("v", x), ("scale", 1.0),
                                             ("mask", None), ("sinks", None)],
        }[name]

    assert param_kinds(mx.fast, name, params(mx)) == param_kinds(mlx.fast, name, params(mlx))
