"""cmlx.core.fft: values against numpy.fft for several dtypes and layouts,
n/s/axes/norm handling, argument passing as mlx.core.fft, errors of the same
type as MLX's."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import param_kinds, to_numpy

F = mx.fft
TOL = 2e-4


def rnd(shape, seed=0, complex_=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if complex_:
        x = x + 1j * rng.standard_normal(shape)
    return x


def close(got, expected, dtype=None):
    if dtype is not None:
        assert got.dtype == dtype, (got.dtype, dtype)
    e = np.asarray(expected)
    assert got.shape == e.shape, (got.shape, e.shape)
    scale = max(1.0, float(np.abs(e).max()) if e.size else 1.0)
    np.testing.assert_allclose(to_numpy(got), e, rtol=TOL, atol=TOL * scale)


def inputs(x, complex_=False):
    """x as cmlx arrays: contiguous, a transposed view, a reversed view."""
    t = mx.complex64 if complex_ else mx.float32
    yield mx.array(x, t), x
    yield mx.swapaxes(mx.array(np.ascontiguousarray(np.swapaxes(x, 0, -1)), t), 0, -1), x
    yield mx.array(x[::-1].copy(), t)[::-1], x


@pytest.mark.parametrize("complex_", [False, True])
def test_one_axis(complex_):
    x = rnd((4, 6, 5), 1, complex_)
    for a, xn in inputs(x, complex_):
        for norm in ("backward", "ortho", "forward"):
            close(F.fft(a, norm=norm), np.fft.fft(xn, norm=norm), mx.complex64)
            close(F.ifft(a, 8, 1, norm), np.fft.ifft(xn, 8, 1, norm=norm), mx.complex64)
        close(F.fft(a, n=3, axis=0), np.fft.fft(xn, 3, 0))
        close(F.fft(a, None, -2), np.fft.fft(xn, None, -2))
        if not complex_:
            close(F.rfft(a), np.fft.rfft(xn), mx.complex64)
            close(F.rfft(a, 7, 1, "ortho"), np.fft.rfft(xn, 7, 1, norm="ortho"))
        h = np.fft.rfft(xn.real, axis=-1)
        ha = mx.array(h.astype(np.complex64))
        close(F.irfft(ha), np.fft.irfft(h), mx.float32)
        close(F.irfft(ha, n=5), np.fft.irfft(h, n=5))
        close(F.irfft(ha, 6, -1, "forward"), np.fft.irfft(h, 6, -1, norm="forward"))


def test_many_axes():
    x = rnd((3, 4, 6), 2)
    xc = rnd((3, 4, 6), 3, True)
    for a, xn in inputs(x):
        close(F.fft2(a), np.fft.fft2(xn))
        close(F.fftn(a), np.fft.fftn(xn))
        close(F.fft2(a, axes=None), np.fft.fftn(xn))  # None: every axis, as MLX
        close(F.fft2(a, s=(2, 8)), np.fft.fft2(xn, s=(2, 8)))
        close(F.fftn(a, s=[3, 5], axes=[0, 2], norm="ortho"),
              np.fft.fftn(xn, s=[3, 5], axes=[0, 2], norm="ortho"))
        close(F.rfft2(a), np.fft.rfft2(xn), mx.complex64)
        close(F.rfftn(a), np.fft.rfftn(xn))
        close(F.rfftn(a, axes=[1, 0]), np.fft.rfftn(xn, axes=[1, 0]))
        close(F.ifftn(a, axes=[1]), np.fft.ifftn(xn, axes=[1]))
    for a, xn in inputs(xc, True):
        close(F.ifft2(a), np.fft.ifft2(xn))
        close(F.ifftn(a, norm="forward"), np.fft.ifftn(xn, norm="forward"))
        close(F.irfft2(a), np.fft.irfft2(xn), mx.float32)
        close(F.irfftn(a), np.fft.irfftn(xn))
        close(F.irfftn(a, s=[4, 10], axes=[0, 2]), np.fft.irfftn(xn, s=[4, 10], axes=[0, 2]))
    # an empty axes list gives the input back
    close(F.fftn(mx.array(x, mx.float32), axes=[]), x.astype(np.complex64))


@pytest.mark.parametrize("dtype", ["bool_", "int32", "float16", "bfloat16", "float64"])
def test_dtypes(dtype):
    x = (np.arange(8) % 3).astype(np.float32)
    a = mx.array(x).astype(getattr(mx, dtype))
    close(F.fft(a), np.fft.fft(x if dtype != "bool_" else x != 0), mx.complex64)
    close(F.rfft(a), np.fft.rfft(x if dtype != "bool_" else x != 0), mx.complex64)


def test_helpers():
    for n, d in ((1, 1.0), (8, 0.5), (7, 2), (10, 1.0)):
        close(F.fftfreq(n, d), np.fft.fftfreq(n, d), mx.float32)
        close(F.rfftfreq(n, d=d), np.fft.rfftfreq(n, d))
    x = np.arange(24).reshape(2, 3, 4)
    a = mx.array(x)
    for axes in (None, 0, [1], [0, 2], (-1,)):
        np.testing.assert_array_equal(to_numpy(F.fftshift(a, axes)), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(to_numpy(F.ifftshift(a, axes=axes)),
                                      np.fft.ifftshift(x, axes))
    assert F.fftshift(a).dtype == mx.int64 or F.fftshift(a).dtype == a.dtype


def test_same_as_mlx(mlx):
    x = rnd((4, 6), 4).astype(np.float32)
    for f, kw in (("fft", {}), ("rfft", {"n": 5}), ("fft2", {}), ("fftn", {"axes": [0]}),
                  ("rfftn", {}), ("irfft", {}), ("ifft2", {"s": [3, 3]})):
        ours = getattr(F, f)(mx.array(x), **kw)
        theirs = getattr(mlx.fft, f)(mlx.array(x), **kw)
        assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype), f
        np.testing.assert_allclose(to_numpy(ours), np.array(theirs), rtol=1e-4, atol=1e-4)
    # ours are computed in double, so may differ from MLX's in the last bit
    np.testing.assert_allclose(to_numpy(F.fftfreq(9, 0.3)), np.array(mlx.fft.fftfreq(9, 0.3)),
                               rtol=2e-7)


ERRORS = [
    lambda m: m.fft.fft(m.ones((4,)), 0),
    lambda m: m.fft.fft(m.ones((4,)), 4.0),
    lambda m: m.fft.fft(m.ones((4,)), norm="bad"),
    lambda m: m.fft.fft(m.ones((4,)), norm=1),
    lambda m: m.fft.fftn(m.ones((4, 4)), s=[2, 2], axes=[0]),
    lambda m: m.fft.fftn(m.ones((4, 4)), axes=[0, 0]),
    lambda m: m.fft.fft2(m.ones((4, 4)), s=4),
    lambda m: m.fft.fftn(m.ones((4, 4)), axes="ab"),
    lambda m: m.fft.fftfreq(4, "x"),
    lambda m: m.fft.fftshift(m.ones((4,)), "x"),
    lambda m: m.fft.fft(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_like_mlx(i, mlx):
    def kind(m):
        try:
            m.eval(ERRORS[i](m))
        except Exception as e:
            return type(e).__name__
        return None

    assert kind(mx) == kind(mlx) is not None


A = ("a", lambda m: m.ones((4, 4)))
SIGNATURES = {
    **{f"fft.{f}": [A, ("n", None), ("axis", -1), ("norm", "backward")]
       for f in ("fft", "ifft", "rfft", "irfft")},
    **{f"fft.{f}": [A, ("s", None), ("axes", [0, 1]), ("norm", "backward")]
       for f in ("fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn")},
    "fft.fftfreq": [("n", 4), ("d", 1.0)],
    "fft.rfftfreq": [("n", 4), ("d", 1.0)],
    "fft.fftshift": [A, ("axes", None)],
    "fft.ifftshift": [A, ("axes", None)],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])
