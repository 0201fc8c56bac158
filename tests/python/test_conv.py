"""Convolutions in cmlx.core (conv1d/2d/3d, conv_transpose1d/2d/3d,
conv_general, convolve): values against a NumPy reference loop and real
MLX over strides, paddings (int, per axis, low/high pairs), dilations,
groups, flip and dtypes; argument passing and errors as mlx.core."""
import itertools

import numpy as np
import pytest

import cmlx.core as mx
from helpers import param_kinds


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def ref_conv(x, w, stride, lo, hi, kdil, idil, groups, flip):
    """The general convolution by loops: x (N, *S, C), w (O, *K, C / groups)."""
    nd = x.ndim - 2
    if flip:
        w = w[(slice(None),) + (slice(None, None, -1),) * nd]
    # input dilation, then padding (negative crops)
    shp = [x.shape[0]] + [(s - 1) * d + 1 for s, d in zip(x.shape[1:-1], idil)] + [x.shape[-1]]
    xd = np.zeros(shp, np.float64)
    xd[(slice(None),) + tuple(slice(None, None, d) for d in idil)] = x
    for ax in range(nd):
        l, h = lo[ax], hi[ax]
        pad = [(0, 0)] * xd.ndim
        pad[ax + 1] = (max(l, 0), max(h, 0))
        xd = np.pad(xd, pad)
        sl = [slice(None)] * xd.ndim
        sl[ax + 1] = slice(max(-l, 0), xd.shape[ax + 1] - max(-h, 0))
        xd = xd[tuple(sl)]
    ks = w.shape[1:-1]
    ek = [(k - 1) * d + 1 for k, d in zip(ks, kdil)]
    outs = [(s - e) // st + 1 for s, e, st in zip(xd.shape[1:-1], ek, stride)]
    O, cg = w.shape[0], w.shape[-1]
    og = O // groups
    out = np.zeros([x.shape[0]] + outs + [O])
    for pos in itertools.product(*[range(o) for o in outs]):
        win = tuple(slice(p * st, p * st + e, d) for p, st, e, d in zip(pos, stride, ek, kdil))
        patch = xd[(slice(None),) + win]  # (N, *K, C)
        for g in range(groups):
            pg = patch[..., g * cg:(g + 1) * cg]
            wg = w[g * og:(g + 1) * og]
            out[(slice(None),) + pos + (slice(g * og, (g + 1) * og),)] = np.tensordot(
                pg, wg, axes=(list(range(1, nd + 2)), list(range(1, nd + 2))))
    return out


def per(v, nd):
    return [v] * nd if isinstance(v, int) else list(v)


CASES1 = [dict(stride=s, padding=p, dilation=d, groups=g)
          for s in (1, 2) for p in (0, 1, 2) for d in (1, 2) for g in (1, 2)]


@pytest.mark.parametrize("kw", CASES1)
def test_conv1d_values(kw, mlx):
    x, w = rnd((2, 9, 4), 1), rnd((6, 3, 4 // kw["groups"]), 2)
    got = mx.conv1d(mx.array(x), mx.array(w), **kw)
    p = kw["padding"]
    ref = ref_conv(x, w, [kw["stride"]], [p], [p], [kw["dilation"]], [1], kw["groups"], False)
    np.testing.assert_allclose(np.array(got), ref, rtol=1e-4, atol=1e-4)
    theirs = mlx.conv1d(mlx.array(x), mlx.array(w), **kw)
    np.testing.assert_allclose(np.array(got), np.array(theirs), rtol=1e-4, atol=1e-4)


CASES2 = [dict(stride=(1, 2), padding=(1, 0), dilation=1, groups=1),
          dict(stride=2, padding=1, dilation=(2, 1), groups=2),
          dict(stride=[2, 1], padding=[0, 2], dilation=[1, 2], groups=1),
          dict(stride=1, padding=0, dilation=1, groups=4)]


@pytest.mark.parametrize("kw", CASES2)
def test_conv2d_values(kw, mlx):
    x, w = rnd((2, 7, 6, 4), 3), rnd((4, 3, 2, 4 // kw["groups"]), 4)
    got = mx.conv2d(mx.array(x), mx.array(w), **kw)
    p = per(kw["padding"], 2)
    ref = ref_conv(x, w, per(kw["stride"], 2), p, p, per(kw["dilation"], 2), [1, 1],
                   kw["groups"], False)
    np.testing.assert_allclose(np.array(got), ref, rtol=1e-4, atol=1e-4)
    kwm = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
    theirs = mlx.conv2d(mlx.array(x), mlx.array(w), **kwm)
    np.testing.assert_allclose(np.array(got), np.array(theirs), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), ((1, 2, 1), (1, 0, 1), 1),
                                                     (2, 1, (1, 1, 2))])
def test_conv3d_values(stride, padding, dilation, mlx):
    x, w = rnd((1, 5, 6, 4, 3), 5), rnd((2, 2, 3, 2, 3), 6)
    got = mx.conv3d(mx.array(x), mx.array(w), stride, padding, dilation)
    p = per(padding, 3)
    ref = ref_conv(x, w, per(stride, 3), p, p, per(dilation, 3), [1] * 3, 1, False)
    np.testing.assert_allclose(np.array(got), ref, rtol=1e-4, atol=1e-4)
    theirs = mlx.conv3d(mlx.array(x), mlx.array(w), stride, padding, dilation)
    np.testing.assert_allclose(np.array(got), np.array(theirs), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [
    dict(stride=1, padding=0, kernel_dilation=1, input_dilation=1, groups=1, flip=False),
    dict(stride=[2, 1], padding=[1, 2], kernel_dilation=[1, 2], input_dilation=2, flip=True),
    dict(stride=1, padding=([1, 0], [0, 2]), input_dilation=[1, 3], groups=2),
    dict(padding=[(2, 1), (0, 1)], stride=(1, 2)),
    dict(padding=[-1, 1]),
])
def test_conv_general_values(kw, mlx):
    x, w = rnd((2, 6, 5, 4), 7), rnd((4, 3, 2, 4 // kw.get("groups", 1)), 8)
    got = mx.conv_general(mx.array(x), mx.array(w), **kw)
    pad = kw.get("padding", 0)
    if isinstance(pad, int):
        lo = hi = [pad] * 2
    elif isinstance(pad[0], (list, tuple)):
        lo, hi = list(pad[0]), list(pad[1])
    else:
        lo = hi = list(pad)
    ref = ref_conv(x, w, per(kw.get("stride", 1), 2), lo, hi, per(kw.get("kernel_dilation", 1), 2),
                   per(kw.get("input_dilation", 1), 2), kw.get("groups", 1), kw.get("flip", False))
    np.testing.assert_allclose(np.array(got), ref, rtol=1e-4, atol=1e-4)
    theirs = mlx.conv_general(mlx.array(x), mlx.array(w), **kw)
    assert got.shape == theirs.shape
    np.testing.assert_allclose(np.array(got), np.array(theirs), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("stride,padding,dilation,opad,groups", [
    (1, 0, 1, 0, 1), (2, 1, 1, 1, 1), (2, 0, 2, 0, 1), (3, 1, 1, 2, 1), (1, 1, 1, 0, 2)])
def test_conv_transpose_like_mlx(nd, stride, padding, dilation, opad, groups, mlx):
    if groups > 1 and nd == 3:
        pytest.skip("groups need 1 or 2 spatial dimensions")
    x, w = rnd((2,) + (4,) * nd + (4,), 9), rnd((4,) + (3,) * nd + (4 // groups,), 10)
    name = f"conv_transpose{nd}d"
    got = getattr(mx, name)(mx.array(x), mx.array(w), stride, padding, dilation, opad, groups)
    theirs = getattr(mlx, name)(mlx.array(x), mlx.array(w), stride, padding, dilation, opad,
                                groups)
    assert got.shape == theirs.shape
    np.testing.assert_allclose(np.array(got), np.array(theirs), rtol=1e-4, atol=1e-4)


def test_conv_transpose_per_axis(mlx):
    x, w = rnd((1, 4, 5, 2), 11), rnd((3, 2, 3, 2), 12)
    kw = dict(stride=(2, 1), padding=(0, 1), dilation=(1, 2), output_padding=(1, 0))
    got = mx.conv_transpose2d(mx.array(x), mx.array(w), **kw)
    theirs = mlx.conv_transpose2d(mlx.array(x), mlx.array(w), **kw)
    np.testing.assert_allclose(np.array(got), np.array(theirs), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_conv_dtypes(dtype, mlx):
    x, w = rnd((1, 8, 3), 13), rnd((2, 3, 3), 14)
    got = mx.conv1d(mx.array(x).astype(getattr(mx, dtype)), mx.array(w).astype(getattr(mx, dtype)),
                    padding=1)
    theirs = mlx.conv1d(mlx.array(x).astype(getattr(mlx, dtype)),
                        mlx.array(w).astype(getattr(mlx, dtype)), padding=1)
    assert str(got.dtype).split(".")[-1] == dtype
    np.testing.assert_allclose(np.array(got.astype(mx.float32)),
                               np.array(theirs.astype(mlx.float32)), rtol=2e-2, atol=5e-2)


def test_conv_strided_input():
    x = rnd((2, 3, 9), 15)  # (N, C, L) transposed to NLC: a strided view
    w = rnd((2, 3, 3), 16)
    got = mx.conv1d(mx.array(x).transpose(0, 2, 1), mx.array(w))
    ref = ref_conv(x.transpose(0, 2, 1), w, [1], [0], [0], [1], [1], 1, False)
    np.testing.assert_allclose(np.array(got), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", [(7, 3), (3, 7), (5, 5), (1, 4)])
def test_convolve(mode, n, m, mlx):
    a, v = rnd((n,), n), rnd((m,), m + 10)
    got = mx.convolve(mx.array(a), mx.array(v), mode)
    np.testing.assert_allclose(np.array(got), np.convolve(a, v, mode), rtol=1e-4, atol=1e-5)
    assert got.shape == mlx.convolve(mlx.array(a), mlx.array(v), mode=mode).shape


def test_convolve_default_full():
    got = mx.convolve(mx.array([1.0, 2.0, 3.0]), mx.array([0.0, 1.0, 0.5]))
    np.testing.assert_allclose(np.array(got), np.convolve([1, 2, 3], [0, 1, 0.5]))


def test_grad_through_conv(mlx):
    x, w = rnd((1, 6, 2), 17), rnd((3, 3, 2), 18)

    def f(m):
        return lambda a, b: m.conv1d(a, b, stride=2, padding=1).square().sum()

    g = mx.grad(f(mx), argnums=(0, 1))(mx.array(x), mx.array(w))
    gt = mlx.grad(f(mlx), argnums=(0, 1))(mlx.array(x), mlx.array(w))
    for a, b in zip(g, gt):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-4)


def test_param_kinds_like_mlx(mlx):
    x1, w1 = (lambda m: m.ones((1, 5, 2))), (lambda m: m.ones((3, 2, 2)))
    for name, params in [
        ("conv1d", [("input", x1), ("weight", w1), ("stride", 1), ("padding", 0),
                    ("dilation", 1), ("groups", 1)]),
        ("conv_transpose1d", [("input", x1), ("weight", w1), ("stride", 1), ("padding", 0),
                              ("dilation", 1), ("output_padding", 0), ("groups", 1)]),
        ("conv_general", [("input", x1), ("weight", w1), ("stride", 1), ("padding", 0),
                          ("kernel_dilation", 1), ("input_dilation", 1), ("groups", 1),
                          ("flip", False)]),
        ("convolve", [("a", lambda m: m.ones(4)), ("v", lambda m: m.ones(2)), ("mode", "full")]),
    ]:
        assert param_kinds(mx, name, params) == param_kinds(mlx, name, params), name


@pytest.mark.parametrize("call", [
    lambda m: m.conv2d(m.ones((1, 5, 5, 2)), m.ones((3, 2, 2, 2)), stride=(1, 2, 3)),
    lambda m: m.conv2d(m.ones((1, 5, 5, 2)), m.ones((3, 2, 2, 2)), stride="a"),
    lambda m: m.conv_general(m.ones((1, 5, 5, 2)), m.ones((3, 2, 2, 2)), stride=[1, 2, 3]),
    lambda m: m.conv2d(m.ones((1, 5, 5, 2)), m.ones((3, 2, 2))),
    lambda m: m.conv1d(m.ones((1, 5, 2)), m.ones((3, 2, 3))),
    lambda m: m.conv1d(m.ones((1, 5, 4)), m.ones((3, 2, 2)), groups=2),
    lambda m: m.convolve(m.ones(4), m.ones(2), mode="bad"),
    lambda m: m.convolve(m.ones((2, 2)), m.ones(2)),
    lambda m: m.conv1d(m.ones((1, 5, 2)), m.ones((3, 2, 2)), 1, 0, 1, 1, 1),
])
def test_errors_like_mlx(call, mlx):
    def kind(m):
        try:
            r = call(m)
            m.eval(r)
        except Exception as e:
            return type(e).__name__
        return "ok"

    assert kind(mx) == kind(mlx)
