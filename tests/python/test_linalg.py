"""cmlx.core.linalg: values against NumPy (identities where the result is not
unique), tuple returns and argument passing as mlx.core.linalg, errors of the
same type as MLX's."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import param_kinds, to_numpy

L = mx.linalg
RTOL = {"float32": 2e-4, "float64": 1e-10}


def rnd(shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def spd(n, batch=(), seed=0, dtype="float32"):
    x = rnd(batch + (n, n), seed, "float64")
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def layouts(x, dtype):
    """The same matrix values as a contiguous array and as a transposed view
    (strided), both of dtype."""
    t = getattr(mx, dtype)
    yield mx.array(x, t)
    yield mx.swapaxes(mx.array(np.ascontiguousarray(np.swapaxes(x, -1, -2)), t), -1, -2)


def close(got, expected, dtype):
    np.testing.assert_allclose(to_numpy(got), expected, rtol=RTOL[dtype], atol=RTOL[dtype])


DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_norm(dtype):
    x = rnd((3, 4, 5), 1, dtype)
    for a in layouts(x, dtype):
        close(L.norm(a), np.linalg.norm(x.ravel()), dtype)
        close(L.norm(a, axis=1), np.linalg.norm(x, axis=1), dtype)
        close(L.norm(a, axis=(1, 2), keepdims=True),
              np.linalg.norm(x, axis=(1, 2), keepdims=True), dtype)
        for ord_ in (0, 1, 2, 3.5, np.inf, -np.inf, -1):
            close(L.norm(a, ord_, axis=-1), np.linalg.norm(x, ord_, axis=-1), dtype)
        for ord_ in (1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"):
            close(L.norm(a, ord=ord_, axis=[1, 2]), np.linalg.norm(x, ord_, axis=(1, 2)), dtype)
    m = x[0]
    for ord_ in ("fro", "nuc", 2, 1, np.inf):
        close(L.norm(mx.array(m, getattr(mx, dtype)), ord_), np.linalg.norm(m, ord_), dtype)
    close(L.norm(mx.array(m[0], getattr(mx, dtype)), 1), np.linalg.norm(m[0], 1), dtype)
    assert L.norm(mx.array([3, 4])).dtype == mx.float32  # integers give float32


def test_qr_svd_inverses():
    for dtype in DTYPES:
        x = rnd((2, 5, 3), 2, dtype)
        for a in layouts(x, dtype):
            q, r = L.qr(a)
            close(q @ r, x, dtype)
            close(mx.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(3), (2, 3, 3)), dtype)
            assert np.allclose(np.tril(to_numpy(r), -1), 0)
            res = L.svd(a)
            assert isinstance(res, tuple) and len(res) == 3
            u, s, vt = res
            close(s, np.linalg.svd(x, compute_uv=False), dtype)
            close((u[..., :3] * s[..., None, :]) @ vt, x, dtype)
            s_only = L.svd(a, compute_uv=False)
            assert isinstance(s_only, mx.array)
            close(s_only, np.linalg.svd(x, compute_uv=False), dtype)
            close(L.pinv(a), np.linalg.pinv(x), dtype)
        m = spd(4, (2,), 3, dtype)
        for a in layouts(m, dtype):
            close(L.inv(a), np.linalg.inv(m), dtype)
            c = L.cholesky(a)
            close(c, np.linalg.cholesky(m), dtype)
            cu = L.cholesky(a, upper=True)
            close(cu, np.swapaxes(np.linalg.cholesky(m), -1, -2), dtype)
            close(L.cholesky_inv(c), np.linalg.inv(m), dtype)
            close(L.cholesky_inv(cu, True), np.linalg.inv(m), dtype)
            close(L.tri_inv(c), np.linalg.inv(np.linalg.cholesky(m)), dtype)
            close(L.tri_inv(a, upper=True), np.linalg.inv(np.triu(m)), dtype)
            close(L.det(a), np.linalg.det(m), dtype)
            sign, logdet = L.slogdet(a)
            esign, elog = np.linalg.slogdet(m)
            close(sign, esign, dtype)
            close(logdet, elog, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_eig(dtype):
    m = spd(4, (2,), 4, dtype)
    for a in layouts(m, dtype):
        close(L.eigvalsh(a), np.linalg.eigvalsh(m), dtype)
        close(L.eigvalsh(a, "U"), np.linalg.eigvalsh(m, "U"), dtype)
        w, v = L.eigh(a, UPLO="U")
        close(w, np.linalg.eigvalsh(m), dtype)
        close(v @ (w[..., None] * mx.swapaxes(v, -1, -2)), m, dtype)
    g = rnd((3, 3), 5, dtype)
    ev = L.eigvals(mx.array(g, getattr(mx, dtype)))
    assert ev.dtype == mx.complex64
    np.testing.assert_allclose(np.sort_complex(to_numpy(ev)), np.sort_complex(np.linalg.eigvals(g)),
                               rtol=1e-4, atol=1e-4)
    w, v = L.eig(mx.array(g, getattr(mx, dtype)))
    wn, vn = to_numpy(w), to_numpy(v)
    np.testing.assert_allclose(g @ vn, vn * wn[None, :], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lu_and_solve(dtype):
    x = rnd((2, 4, 4), 6, dtype)
    for a in layouts(x, dtype):
        p, lo, up = L.lu(a)
        assert p.dtype == mx.uint32
        lu_ = to_numpy(lo @ up)
        pn = to_numpy(p)
        for b in range(2):
            np.testing.assert_allclose(lu_[b][pn[b]], x[b], rtol=RTOL[dtype] * 10,
                                       atol=RTOL[dtype] * 10)
        packed, piv = L.lu_factor(a)
        assert piv.shape == (2, 4)
        pk = to_numpy(packed)
        np.testing.assert_allclose(np.tril(pk, -1) + np.eye(4), to_numpy(lo), rtol=1e-5, atol=1e-5)
    b = rnd((2, 4, 3), 7, dtype)
    t_ = getattr(mx, dtype)
    close(L.solve(mx.array(x, t_), mx.array(b, t_)), np.linalg.solve(x, b), dtype)
    close(L.solve(mx.array(x[0], t_), mx.array(b[0, :, 0], t_)),
          np.linalg.solve(x[0], b[0, :, 0]), dtype)
    t = np.triu(x[0]) + 4 * np.eye(4, dtype=dtype)
    close(L.solve_triangular(mx.array(t, t_), mx.array(b[0], t_), upper=True),
          np.linalg.solve(t, b[0]), dtype)
    close(L.solve_triangular(mx.array(t.T, t_), mx.array(b[0], t_)),
          np.linalg.solve(t.T, b[0]), dtype)


def test_cross():
    a, b = rnd((4, 3), 8), rnd((4, 3), 9)
    np.testing.assert_allclose(to_numpy(L.cross(mx.array(a), mx.array(b))), np.cross(a, b),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(L.cross(mx.array(a.T), mx.array(b.T), axis=0)),
                               np.cross(a.T, b.T, axis=0), rtol=1e-5, atol=1e-5)


def test_returns_like_mlx(mlx):
    x = spd(3)
    for name in ("qr", "eig", "eigh", "lu", "lu_factor", "slogdet", "svd"):
        ours = getattr(L, name)(mx.array(x))
        theirs = getattr(mlx.linalg, name)(mlx.array(x), stream=mlx.cpu)
        assert type(ours).__name__ == type(theirs).__name__, name
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert o.shape == t.shape and str(o.dtype) == str(t.dtype), name
    for name in ("inv", "pinv", "det", "eigvalsh", "cholesky"):
        o = getattr(L, name)(mx.array(x))
        t = getattr(mlx.linalg, name)(mlx.array(x), stream=mlx.cpu)
        np.testing.assert_allclose(to_numpy(o), np.array(t), rtol=1e-4, atol=1e-4)


def test_stream_argument():
    x = mx.array(spd(3))
    np.testing.assert_allclose(to_numpy(L.inv(x, stream=mx.cpu)), to_numpy(L.inv(x)), rtol=1e-6)


ERRORS = [
    lambda m: m.linalg.inv(m.array([[1, 2], [3, 4]])),
    lambda m: m.linalg.inv(m.ones((2, 3))),
    lambda m: m.linalg.qr(m.ones((3,))),
    lambda m: m.linalg.det(m.ones((2, 3))),
    lambda m: m.linalg.cholesky(m.ones((2, 3))),
    lambda m: m.linalg.svd(m.ones((3,))),
    lambda m: m.linalg.norm(m.ones((3, 3)), "bad"),
    lambda m: m.linalg.norm(m.ones((3, 3)), ord=[1]),
    lambda m: m.linalg.norm(m.ones((3, 3)), 3),
    lambda m: m.linalg.norm(m.ones((3, 3)), keepdims=1),
    lambda m: m.linalg.eigvalsh(m.ones((3, 3)), 3),
    lambda m: m.linalg.cross(m.ones((4,)), m.ones((4,))),
    lambda m: m.linalg.solve(m.ones((2, 3)), m.ones((2,))),
    lambda m: m.linalg.svd(m.ones((3, 3)), compute_uv=1),
    lambda m: m.linalg.qr(),
    lambda m: m.linalg.qr(m.ones((2, 2)), m.cpu),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_like_mlx(i, mlx):
    def kind(m):
        try:
            r = ERRORS[i](m)
            m.eval(r)
        except Exception as e:
            return type(e).__name__
        return None

    assert kind(mx) == kind(mlx) is not None


SIGNATURES = {
    "linalg.norm": [("a", lambda m: m.ones((2, 2))), ("ord", None), ("axis", None),
                    ("keepdims", False)],
    "linalg.qr": [("a", lambda m: m.eye(2))],
    "linalg.svd": [("a", lambda m: m.eye(2)), ("compute_uv", True)],
    "linalg.inv": [("a", lambda m: m.eye(2))],
    "linalg.tri_inv": [("a", lambda m: m.eye(2)), ("upper", False)],
    "linalg.cholesky": [("a", lambda m: m.eye(2)), ("upper", False)],
    "linalg.cholesky_inv": [("a", lambda m: m.eye(2)), ("upper", False)],
    "linalg.pinv": [("a", lambda m: m.eye(2))],
    "linalg.cross": [("a", lambda m: m.ones((3,))), ("b", lambda m: m.ones((3,))), ("axis", -1)],
    "linalg.eigvals": [("a", lambda m: m.eye(2))],
    "linalg.eig": [("a", lambda m: m.eye(2))],
    "linalg.eigvalsh": [("a", lambda m: m.eye(2)), ("UPLO", "L")],
    "linalg.eigh": [("a", lambda m: m.eye(2)), ("UPLO", "L")],
    "linalg.lu": [("a", lambda m: m.eye(2))],
    "linalg.lu_factor": [("a", lambda m: m.eye(2))],
    "linalg.solve": [("a", lambda m: m.eye(2)), ("b", lambda m: m.ones((2,)))],
    "linalg.solve_triangular": [("a", lambda m: m.eye(2)), ("b", lambda m: m.ones((2,))),
                                ("upper", False)],
    "linalg.det": [("a", lambda m: m.eye(2))],
    "linalg.slogdet": [("a", lambda m: m.eye(2))],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])


def test_array_properties_like_mlx(mlx):
    # real, imag and mT are properties, as in MLX
    z = (rnd((2, 3, 4), 10) + 1j * rnd((2, 3, 4), 11)).astype(np.complex64)
    for m in (mx, mlx):
        assert isinstance(m.array.real, property) or type(m.array.real).__name__ in (
            "getset_descriptor", "property")
    a, b = mx.array(z), mlx.array(z)
    for name in ("real", "imag", "mT"):
        o, t = getattr(a, name), getattr(b, name)
        assert o.shape == t.shape and str(o.dtype) == str(t.dtype)
        np.testing.assert_array_equal(to_numpy(o), np.array(t))
    np.testing.assert_array_equal(to_numpy(mx.array(z)[:, ::2].mT), np.swapaxes(z[:, ::2], -1, -2))
    assert mx.array(3).real.item() == 3 and mx.array(3.0).imag.item() == 0
    for m in (mx, mlx):
        with pytest.raises(ValueError):
            m.ones((3,)).mT
