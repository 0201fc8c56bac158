"""Quantization beyond the plain ops: gradients of quantized_matmul and
gather_qmm against MLX's and against finite differences, the "nvfp4"
global scale bit for bit against MLX, and vmap of quantize, dequantize and
the fp8 conversions against a loop."""
import numpy as np
import pytest

import cmlx.core as mx


def rnd(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _np(a):
    m = __import__(type(a).__module__, fromlist=["float32"])
    return np.array(a.astype(m.float32)) if "bfloat16" in str(a.dtype) else np.array(a)


def same(ours, theirs):
    assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype), (ours, theirs)
    np.testing.assert_array_equal(_np(ours), _np(theirs), strict=True)


# ---- gradients ----

def _grads(m, x, w, idx, transpose, gather, bits, group, ref=False):
    """vjp of the product in x, scales and biases, with module m; ref: the
    gather as quantized_matmul of the gathered matrices (MLX's own test's
    reference)."""
    wq, s, b = m.quantize(m.array(w), group, bits)
    n_out = w.shape[-2] if transpose else w.shape[-1]
    cot = m.array(rnd((x.shape[0], x.shape[-2], n_out), 9))
    i = m.array(idx)

    def f(x, s, b):
        if gather and ref:
            return m.quantized_matmul(x, wq[i], s[i], b[i], transpose, group, bits)
        if gather:
            return m.gather_qmm(x, wq, s, b, rhs_indices=i, transpose=transpose,
                                group_size=group, bits=bits)
        return m.quantized_matmul(x, wq, s, b, transpose, group, bits)

    (o,), g = m.vjp(f, [m.array(x), s, b], [cot])
    return o, g


@pytest.mark.parametrize("gather", [False, True])
@pytest.mark.parametrize("transpose", [True, False])
def test_grads_like_mlx(mlx, gather, transpose):
    bits, group = 4, 32
    w = rnd((3, 32, 64) if transpose else (3, 64, 32), 1)
    if not gather:
        w = w[0]
    x = rnd((5, 2, 64), 2)
    idx = np.array([2, 0, 2, 1, 2], np.uint32)
    o1, g1 = _grads(mx, x, w, idx, transpose, gather, bits, group)
    o2, g2 = _grads(mlx, x, w, idx, transpose, gather, bits, group, ref=True)
    if gather:
        # MLX's own gather_qmm vjp agrees where it works (transposed)
        if transpose:
            o3, g3 = _grads(mlx, x, w, idx, transpose, gather, bits, group)
            for a, b in zip(g1, g3):
                np.testing.assert_allclose(_np(a), _np(b), rtol=1e-4, atol=1e-3)
        else:
            with pytest.raises(ValueError):
                _grads(mlx, x, w, idx, transpose, gather, bits, group)
    np.testing.assert_allclose(_np(o1), _np(o2), rtol=1e-4, atol=1e-4)
    for a, b in zip(g1, g2):
        assert a.shape == b.shape and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-4, atol=1e-3)


def test_gather_grads_finite_differences():
    """The sum is linear in each scale and bias: a central difference of one
    entry is its gradient up to rounding."""
    w = rnd((4, 32, 64), 3)
    wq, s, b = mx.quantize(mx.array(w), 32, 4)
    x = mx.array(rnd((6, 1, 64), 4))
    idx = mx.array([3, 3, 0, 1, 3, 2])

    def loss(s, b):
        y = mx.gather_qmm(x, wq, s, b, rhs_indices=idx, group_size=32, bits=4)
        return (y * y).sum() * 0.5 + y.sum()

    ds, db = mx.grad(loss, argnums=(0, 1))(s, b)
    eps = 1e-2
    for p, d in ((0, ds), (1, db)):
        for k in [(0, 0, 0), (3, 5, 1), (1, 31, 0), (2, 7, 1)]:
            def at(delta):
                arrs = [np.array(s), np.array(b)]
                arrs[p][k] += delta
                return float(loss(mx.array(arrs[0]), mx.array(arrs[1])))
            num = (at(eps) - at(-eps)) / (2 * eps)
            assert abs(float(d[k]) - num) <= 2e-2 * (1 + abs(num)), (p, k, float(d[k]), num)


@pytest.mark.parametrize("mode", ["mxfp4", "mxfp8", "nvfp4"])
def test_fp_scales_have_no_gradient(mlx, mode):
    w = rnd((64, 64), 5)
    x = rnd((2, 64), 6)
    for m in (mx, mlx):
        wq, s = m.quantize(m.array(w), mode=mode)
        g = m.grad(lambda x: m.quantized_matmul(x, wq, s, mode=mode).sum())(m.array(x))
        assert g.shape == (2, 64)
        with pytest.raises(ValueError, match="no gradient wrt scales"):
            m.grad(lambda s: m.quantized_matmul(m.array(x), wq, s, mode=mode).sum())(s)
        with pytest.raises(ValueError, match="no gradient wrt scales"):
            m.grad(lambda s: m.gather_qmm(m.array(x), wq[None], s[None], rhs_indices=m.array(0),
                                          mode=mode).sum())(s)
        with pytest.raises(RuntimeError, match="quantized weights"):
            m.grad(lambda q: m.quantized_matmul(m.array(x), q, s, mode=mode).sum())(wq)


def test_gather_jvp_scales():
    """Our jvp in the scales and biases (MLX has none) against the vjp:
    <jvp(t), c> = <t, vjp(c)>."""
    w = rnd((3, 32, 64), 7)
    wq, s, b = mx.quantize(mx.array(w), 32, 4)
    x = mx.array(rnd((4, 2, 64), 8))
    idx = mx.array([1, 2, 2, 0])

    def f(s, b):
        return mx.gather_qmm(x, wq, s, b, rhs_indices=idx, group_size=32, bits=4)

    ts, tb = mx.array(rnd(s.shape, 10)), mx.array(rnd(b.shape, 11))
    c = mx.array(rnd((4, 2, 32), 12))
    (_,), (j,) = mx.jvp(f, [s, b], [ts, tb])
    (_,), (vs, vb) = mx.vjp(f, [s, b], [c])
    lhs = float((j * c).sum())
    rhs = float((vs * ts).sum() + (vb * tb).sum())
    assert abs(lhs - rhs) <= 1e-3 * (1 + abs(rhs))


# ---- nvfp4 global scale ----

@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("gscale", [None, 1.0, 37.5, 0.01, 3.3])
def test_global_scale_like_mlx(mlx, dtype, gscale):
    w = rnd((16, 128), 20, 5.0) * np.exp(rnd((16, 1), 21) * 2)
    ours_w = mx.array(w).astype(getattr(mx, dtype))
    theirs_w = mlx.array(w).astype(getattr(mlx, dtype))
    if gscale is None:
        g1, g2 = ours_w.abs().max().astype(mx.float32), theirs_w.abs().max().astype(mlx.float32)
    else:
        g1, g2 = mx.array(gscale), mlx.array(gscale)
    ours = mx.quantize(ours_w, mode="nvfp4", global_scale=g1)
    theirs = mlx.quantize(theirs_w, mode="nvfp4", global_scale=g2)
    for o, t in zip(ours, theirs):
        same(o, t)
    for dt in [None, "bfloat16", "float32"]:
        d1 = mx.dequantize(*ours, mode="nvfp4", global_scale=g1,
                           dtype=getattr(mx, dt) if dt else None)
        d2 = mlx.dequantize(*theirs, mode="nvfp4", global_scale=g2,
                            dtype=getattr(mlx, dt) if dt else None)
        same(d1, d2)


def test_global_scale_round_trip_and_products():
    lut = np.array([0, .5, 1, 1.5, 2, 3, 4, 6, -0., -.5, -1, -1.5, -2, -3, -4, -6], np.float32)
    rng = np.random.default_rng(0)
    w = lut[rng.integers(0, 16, (8, 64))].reshape(-1, 16)
    w[:, 0] = 6
    w = mx.array(w.reshape(8, 64) * 3.0)
    g = w.abs().max().astype(mx.float32)
    wq, s = mx.quantize(w, mode="nvfp4", global_scale=g)
    d = mx.dequantize(wq, s, mode="nvfp4", global_scale=g)
    assert d.dtype == mx.float32
    np.testing.assert_allclose(np.array(d), np.array(w), rtol=1e-5, atol=1e-5)
    # qqmm with both global scales: the product of the round trips
    x = mx.array(rnd((3, 64), 30))
    gx = x.abs().max()
    y = mx.qqmm(x, wq, s, mode="nvfp4", global_scale_x=gx, global_scale_w=g)
    xd = mx.dequantize(*mx.quantize(x, mode="nvfp4", global_scale=gx), mode="nvfp4",
                       global_scale=gx)
    np.testing.assert_allclose(np.array(y), np.array(xd) @ np.array(d).T, rtol=1e-4, atol=1e-4)
    y2 = mx.qqmm(x, w, mode="nvfp4", global_scale_x=gx, global_scale_w=g)
    np.testing.assert_allclose(np.array(y2), np.array(y), rtol=1e-5, atol=1e-5)
    # gather_qmm with one global scale per matrix
    w3 = mx.array(rnd((3, 32, 64), 31))
    gs = w3.abs().max(axis=(1, 2))
    q3, s3 = zip(*[mx.quantize(w3[i], mode="nvfp4", global_scale=gs[i]) for i in range(3)])
    q3, s3 = mx.stack(q3), mx.stack(s3)
    idx = mx.array([2, 0, 2])
    x3 = mx.array(rnd((3, 2, 64), 32))
    r = mx.gather_qmm(x3, q3, s3, rhs_indices=idx, mode="nvfp4", global_scale=gs)
    for i, e in enumerate([2, 0, 2]):
        de = mx.dequantize(q3[e], s3[e], mode="nvfp4", global_scale=gs[e])
        np.testing.assert_allclose(np.array(r[i]), np.array(x3[i]) @ np.array(de).T,
                                   rtol=1e-4, atol=1e-4)


def test_global_scale_errors(mlx):
    w = rnd((4, 32), 40)
    for m in (mx, mlx):
        a = m.array(w)
        for mode, g, msg in [("mxfp4", m.array(1.0), "only supported for 'nvfp4'"),
                             ("nvfp4", m.array([1.0, 2.0]), "must be a scalar"),
                             ("nvfp4", m.array(1.0, m.float16), "dtype float32")]:
            with pytest.raises(ValueError, match=msg):
                m.quantize(a, mode=mode, global_scale=g)
        q, s = m.quantize(a, mode="nvfp4")
        with pytest.raises(ValueError, match="must be a scalar"):
            m.dequantize(q, s, mode="nvfp4", global_scale=m.array([1.0, 2.0]))
    q, s = mx.quantize(mx.array(rnd((3, 8, 32), 41)), mode="nvfp4")
    with pytest.raises(ValueError, match="one entry per expert"):
        mx.gather_qmm(mx.array(rnd((2, 32), 1)), q, s, rhs_indices=mx.array([0]), mode="nvfp4",
                      global_scale=mx.array(1.0))


# ---- vmap ----

def test_vmap_against_loop():
    w = mx.array(rnd((3, 4, 64), 50))
    for mode, gs, bits in [("affine", 32, 4), ("affine", 64, 3), ("mxfp4", 32, 4),
                           ("mxfp8", 32, 8), ("nvfp4", 16, 4)]:
        for axis in (0, 1):
            f = lambda a: mx.quantize(a, gs, bits, mode)  # noqa: E731
            got = mx.vmap(f, in_axes=axis)(w)
            slices = [w[i] if axis == 0 else w[:, i] for i in range(w.shape[axis])]
            loop = [f(sl) for sl in slices]
            for k, g in enumerate(got):
                same(g, mx.stack([l[k] for l in loop]))
            # dequantize mapped over all its inputs
            n = len(slices)
            if mode == "affine":
                mapped = mx.vmap(lambda q, s, b: mx.dequantize(q, s, b, gs, bits, mode))(*got)
                loop = [mx.dequantize(got[0][i], got[1][i], got[2][i], gs, bits, mode)
                        for i in range(n)]
            else:
                mapped = mx.vmap(lambda q, s: mx.dequantize(q, s, None, gs, bits, mode))(*got)
                loop = [mx.dequantize(got[0][i], got[1][i], None, gs, bits, mode)
                        for i in range(n)]
            same(mapped, mx.stack(loop))
    # global scale unmapped
    g = mx.array(3.0)
    got = mx.vmap(lambda a: mx.quantize(a, mode="nvfp4", global_scale=g))(w)
    for i in range(3):
        for a, b in zip(got, mx.quantize(w[i], mode="nvfp4", global_scale=g)):
            same(a[i], b)
    d = mx.vmap(lambda q, s: mx.dequantize(q, s, mode="nvfp4", global_scale=g))(*got)
    same(d, mx.stack([mx.dequantize(got[0][i], got[1][i], mode="nvfp4", global_scale=g)
                      for i in range(3)]))
    # unmapped scales broadcast to every batch entry
    q0, s0 = mx.quantize(w[0], mode="mxfp8")
    qs = mx.stack([q0, q0])
    d = mx.vmap(lambda q: mx.dequantize(q, s0, mode="mxfp8"))(qs)
    same(d, mx.stack([mx.dequantize(q0, s0, mode="mxfp8")] * 2))
    # the fp8 conversions, elementwise
    x = mx.array(rnd((5, 7), 51, 100.0))
    b = mx.vmap(mx.to_fp8, in_axes=1)(x)
    same(b, mx.to_fp8(x).T)
    same(mx.vmap(lambda a: mx.from_fp8(a, dtype=mx.float32))(b),
         mx.stack([mx.from_fp8(b[i], dtype=mx.float32) for i in range(7)]))


def test_dequantize_grads_like_mlx(mlx):
    w = rnd((2, 4, 128), 60)
    G = rnd((2, 4, 128), 61)
    out = []
    for m in (mx, mlx):
        q, s, b = m.quantize(m.array(w), 64, 3)
        g = m.array(G)
        ds, db = m.grad(lambda s, b: (m.dequantize(q, s, b, 64, 3) * g).sum(),
                        argnums=(0, 1))(s, b)
        (_,), (t,) = m.jvp(lambda s, b: m.dequantize(q, s, b, 64, 3), [s, b],
                           [m.array(rnd(s.shape, 62)), m.array(rnd(b.shape, 63))])
        out.append((ds, db, t))
        dq = m.grad(lambda q: m.dequantize(q, s, b, 64, 3).sum())(q)
        assert str(dq.dtype).endswith("uint32") and not np.array(dq).any()
    for a, b in zip(*out):
        assert a.shape == b.shape and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-4)
    q, s = mx.quantize(mx.array(w), mode="mxfp4")
    with pytest.raises(ValueError, match="no gradient wrt scales"):
        mx.grad(lambda s: mx.dequantize(q, s, mode="mxfp4", dtype=mx.float32).sum())(s)
