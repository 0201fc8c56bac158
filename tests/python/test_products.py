"""Matrix products of cmlx.core (addmm, tensordot, inner, outer, kron, vecdot,
gather_mm, segmented_mm, block_masked_mm, hadamard_transform, einsum,
einsum_path): values against NumPy and MLX, several dtypes and layouts,
argument passing as mlx.core, errors of the same type as MLX's."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import param_kinds, to_numpy

TOL = {"float32": 1e-4, "float16": 3e-2, "bfloat16": 6e-2, "float64": 1e-10}


def rnd(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def arr(x, dtype="float32", how="contiguous"):
    """x as a cmlx array of dtype: contiguous or a transposed (strided) view."""
    t = getattr(mx, dtype)
    if how == "transposed" and x.ndim >= 2:
        return mx.swapaxes(mx.array(np.ascontiguousarray(np.swapaxes(x, -1, -2)), t), -1, -2)
    return mx.array(x, t)


def ref(x, dtype):
    """x rounded through dtype (what the cmlx inputs hold), as float64."""
    return to_numpy(mx.array(x, getattr(mx, dtype))).astype(np.float64)


def close(got, expected, dtype):
    e = np.asarray(expected)
    assert got.shape == e.shape, (got.shape, e.shape)
    scale = max(1.0, float(np.abs(e).max()) if e.size else 1.0)
    np.testing.assert_allclose(to_numpy(got).astype(np.float64), e, rtol=TOL[dtype],
                               atol=TOL[dtype] * scale)


CASES = [(d, h) for d in ("float32", "float16", "bfloat16", "float64")
         for h in ("contiguous", "transposed")]


@pytest.mark.parametrize("dtype,how", CASES)
def test_small_products(dtype, how):
    a, b, c = rnd((2, 3, 4), 1), rnd((2, 4, 5), 2), rnd((3, 5), 3)
    A, B, C = arr(a, dtype, how), arr(b, dtype, how), arr(c, dtype, how)
    ra, rb, rc = ref(a, dtype), ref(b, dtype), ref(c, dtype)
    close(mx.addmm(C, A, B), ra @ rb + rc, dtype)
    close(mx.addmm(C, A, B, alpha=0.5, beta=2.0), 0.5 * (ra @ rb) + 2 * rc, dtype)
    close(mx.addmm(C, A, B, 2.0, 0.0), 2 * (ra @ rb), dtype)
    d = rnd((4, 2, 5), 4)
    D, rd = arr(d, dtype, how), ref(d, dtype)
    close(mx.tensordot(A, D, 1), np.tensordot(ra, rd, 1), dtype)
    close(mx.tensordot(A, D, axes=0), np.tensordot(ra, rd, 0), dtype)
    close(mx.tensordot(A, D, axes=[[0, 2], [1, 0]]), np.tensordot(ra, rd, [[0, 2], [1, 0]]),
          dtype)
    close(mx.tensordot(A, D, ([2], [0])), np.tensordot(ra, rd, ([2], [0])), dtype)
    close(mx.tensordot(A, arr(a, dtype), 3), np.tensordot(ra, ra, 3), dtype)
    close(mx.inner(A, arr(a, dtype)), np.inner(ra, ra), dtype)
    close(mx.inner(A, C[..., :4]), np.inner(ra, rc[..., :4]), dtype)
    close(mx.outer(A, C), np.outer(ra, rc), dtype)
    close(mx.kron(A, C), np.kron(ra, rc), dtype)
    close(mx.kron(C, A), np.kron(rc, ra), dtype)
    close(mx.vecdot(A, arr(a, dtype)), np.sum(ra * ra, -1), dtype)
    close(mx.vecdot(A, arr(a, dtype), axis=1), np.sum(ra * ra, 1), dtype)


def test_integer_and_complex_products():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(4).reshape(2, 2) - 1
    np.testing.assert_array_equal(to_numpy(mx.outer(mx.array(a), mx.array(b))), np.outer(a, b))
    np.testing.assert_array_equal(to_numpy(mx.kron(mx.array(a), mx.array(b))), np.kron(a, b))
    z = (rnd((3, 4), 4) + 1j * rnd((3, 4), 5)).astype(np.complex64)
    w = (rnd((3, 4), 6) + 1j * rnd((3, 4), 7)).astype(np.complex64)
    np.testing.assert_allclose(to_numpy(mx.vecdot(mx.array(z), mx.array(w))),
                               np.vecdot(z, w) if hasattr(np, "vecdot")
                               else np.sum(np.conj(z) * w, -1), rtol=1e-5, atol=1e-5)


def test_gather_segmented_block_masked():
    a, b = rnd((3, 4, 5), 8), rnd((2, 5, 6), 9)
    lhs = np.array([[0, 2], [1, 1]], np.uint32)
    rhs = np.array([1, 0], np.int32)
    got = mx.gather_mm(mx.array(a), mx.array(b), mx.array(lhs), mx.array(rhs))
    exp = np.stack([np.stack([a[lhs[i, j]] @ b[rhs[j]] for j in range(2)]) for i in range(2)])
    close(got, exp, "float32")
    close(mx.gather_mm(mx.array(a[:2]), mx.array(b), sorted_indices=True), a[:2] @ b, "float32")
    close(mx.gather_mm(mx.array(a), mx.array(b[:1]), None, mx.array([0, 0, 0])),
          a @ b[0], "float32")

    x, y = rnd((4, 10), 10), rnd((10, 3), 11)
    seg = np.array([[0, 4], [4, 10], [2, 2], [3, 9]], np.int32)
    exp = np.stack([x[:, s:e] @ y[s:e] for s, e in seg])
    close(mx.segmented_mm(mx.array(x), mx.array(y), mx.array(seg)), exp, "float32")
    close(mx.segmented_mm(arr(x, how="transposed"), arr(y, how="transposed"),
                          segments=mx.array(seg)), exp, "float32")

    m, k, n, bs = 40, 70, 33, 32
    p, q = rnd((m, k), 12), rnd((k, n), 13)
    rng = np.random.default_rng(14)
    mo = rng.integers(0, 2, (2, 2)).astype(bool)
    ml = rng.integers(0, 2, (2, 3)).astype(bool)
    mr = rng.integers(0, 2, (3, 2)).astype(bool)
    up = lambda msk, r, c: np.kron(msk, np.ones((bs, bs)))[:r, :c]  # noqa: E731
    exp = ((p * up(ml, m, k)) @ (q * up(mr, k, n))) * up(mo, m, n)
    got = mx.block_masked_mm(mx.array(p), mx.array(q), bs, mx.array(mo), mx.array(ml),
                             mx.array(mr))
    close(got, exp, "float32")
    close(mx.block_masked_mm(mx.array(p), mx.array(q), 64), p @ q, "float32")


def test_gather_and_block_masked_like_mlx(mlx):
    p, q = rnd((2, 64, 96), 15), rnd((96, 64), 16)
    rng = np.random.default_rng(17)
    ml = rng.standard_normal((2, 2, 3)).astype(np.float32)
    mo = rng.integers(0, 2, (2, 2)).astype(bool)
    for m in (mx, mlx):
        r = m.block_masked_mm(m.array(p), m.array(q), 32, m.array(mo), m.array(ml))
        if m is mx:
            ours = to_numpy(r)
        else:
            theirs = np.array(r)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_hadamard_like_mlx(mlx, dtype):
    for n in (1, 2, 16, 12, 24, 20, 40, 28, 56, 256):
        x = rnd((3, n), n)
        for scale in (None, 0.25):
            ours = mx.hadamard_transform(mx.array(x, getattr(mx, dtype)), scale)
            theirs = mlx.hadamard_transform(mlx.array(x).astype(getattr(mlx, dtype)), scale)
            assert str(ours.dtype) == str(theirs.dtype)
            np.testing.assert_allclose(to_numpy(ours), np.array(theirs.astype(mlx.float32)),
                                       rtol=TOL[dtype], atol=TOL[dtype] * 4)
    # a one-element array is a scale, as MLX converts it
    for m in (mx, mlx):
        r = m.hadamard_transform(m.ones((4,)), m.array([2.0]))
        assert r.tolist() == [8.0, 0.0, 0.0, 0.0]
    # a strided input (transposed view) gives the same values
    x = rnd((16, 3), 1)
    np.testing.assert_allclose(to_numpy(mx.hadamard_transform(mx.array(x).T)),
                               np.array(mlx.hadamard_transform(mlx.array(x).T)), rtol=1e-5,
                               atol=1e-5)


def random_subscripts(rng):
    """A random einsum problem: (subscripts, shapes) with repeated letters
    (diagonals), ellipses, implicit and explicit outputs."""
    letters = "abcdef"
    size = {c: int(rng.integers(1, 4)) for c in letters}
    nops = int(rng.integers(1, 4))
    ell = rng.random() < 0.3
    ell_shape = tuple(int(s) for s in rng.integers(1, 3, int(rng.integers(0, 3))))
    terms, shapes = [], []
    for _ in range(nops):
        k = int(rng.integers(0 if ell else 1, 4))
        t = "".join(rng.choice(list(letters[:4]), k))
        shape = [size[c] for c in t]
        if ell and rng.random() < 0.7:
            # broadcast: some ellipsis axes of size 1, possibly fewer of them
            e = ell_shape[len(ell_shape) - int(rng.integers(0, len(ell_shape) + 1)):]
            e = tuple(1 if rng.random() < 0.3 else s for s in e)
            pos = int(rng.integers(0, len(t) + 1))
            t = t[:pos] + "..." + t[pos:]
            shape = shape[:pos] + list(e) + shape[pos:]
        terms.append(t)
        shapes.append(tuple(shape))
    used = sorted(set("".join(terms).replace(".", "")))
    sub = ",".join(terms)
    if rng.random() < 0.6:
        out = "".join(rng.permutation([c for c in used if rng.random() < 0.5]))
        if any("..." in t for t in terms) and rng.random() < 0.8:
            out = "..." + out if rng.random() < 0.5 else out + "..."
        sub += "->" + out
    return sub, shapes


def test_einsum_random_against_numpy():
    rng = np.random.default_rng(123)
    done = 0
    while done < 150:
        sub, shapes = random_subscripts(rng)
        xs = [rnd(s, i + done) for i, s in enumerate(shapes)]
        try:
            exp = np.einsum(sub, *[x.astype(np.float64) for x in xs])
        except ValueError:
            continue  # not a valid problem for NumPy either
        how = "transposed" if done % 3 == 0 else "contiguous"
        got = mx.einsum(sub, *[arr(x, how=how) for x in xs])
        close(got, exp, "float32")
        done += 1


def test_einsum_fixed():
    a, b, c = rnd((3, 4), 1), rnd((4, 5), 2), rnd((5, 3), 3)
    for sub, ops in [("ij,jk->ik", (a, b)), ("ij,jk,ki->", (a, b, c)), ("ii", (a[:, :3],)),
                     ("ii->i", (a[:, :3],)), ("ij->ji", (a,)), ("i,i", (a[0], a[1])),
                     ("...j,jk", (a, b)), ("ij...,jk...->ik...", (a[..., None], b[..., None])),
                     ("i,j", (a[0], b[0])), ("ba,cb->ac", (b.T, c.T))]:
        close(mx.einsum(sub, *[mx.array(x) for x in ops]), np.einsum(sub, *ops), "float32")
    close(mx.einsum("ij,jk", mx.array(a), mx.array(b), stream=mx.cpu), a @ b, "float32")


def test_einsum_path_like_mlx(mlx):
    rng = np.random.default_rng(7)
    problems = [("ij,jk,kl->il", [(2, 30), (30, 4), (4, 50)]),
                ("abc,cd,de,ea->b", [(3, 4, 5), (5, 6), (6, 7), (7, 3)]),
                ("ij,ij->i", [(5, 6), (5, 6)]),
                ("ii", [(4, 4)])]
    while len(problems) < 40:
        sub, shapes = random_subscripts(rng)
        xs = [np.zeros(s) for s in shapes]
        try:
            np.einsum(sub, *xs)
        except ValueError:
            continue
        problems.append((sub, shapes))
    compared = 0
    for sub, shapes in problems:
        ours = mx.einsum_path(sub, *[mx.zeros(s) for s in shapes])
        try:
            theirs = mlx.einsum_path(sub, *[mlx.zeros(s) for s in shapes])
        except Exception:
            continue  # MLX refuses some broadcast forms NumPy takes
        compared += 1
        assert type(ours) is tuple and ours == tuple(theirs), (sub, shapes, ours, theirs)
    assert compared >= 30


def test_results_like_mlx(mlx):
    a, b = rnd((3, 4), 1), rnd((4, 3), 2)
    for f in (lambda m: m.einsum("ij,jk->ik", m.array(a), m.array(b)),
              lambda m: m.tensordot(m.array(a), m.array(b), axes=[[0], [1]]),
              lambda m: m.kron(m.array(a), m.array(b)),
              lambda m: m.inner(m.array(a), m.array(b.T)),
              lambda m: m.addmm(m.array(a @ b), m.array(a), m.array(b), 0.5, 2.0)):
        ours, theirs = f(mx), f(mlx)
        assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_allclose(to_numpy(ours), np.array(theirs), rtol=1e-5, atol=1e-5)


def _m(m, shape=(4, 4), dtype="float32"):
    return m.ones(shape, getattr(m, dtype))


ERRORS = [
    lambda m: m.einsum("ij,jk", _m(m)),
    lambda m: m.einsum("ijk", _m(m)),
    lambda m: m.einsum(3, _m(m)),
    lambda m: m.einsum_path("ij,jk", _m(m)),
    lambda m: m.hadamard_transform(m.ones((6,))),
    lambda m: m.hadamard_transform(_m(m), "x"),
    lambda m: m.addmm(_m(m, dtype="int32"), _m(m, dtype="int32"), _m(m, dtype="int32")),
    lambda m: m.addmm(_m(m), _m(m), _m(m, (3, 4))),
    lambda m: m.vecdot(m.ones((3,)), m.ones((4,))),
    lambda m: m.gather_mm(_m(m), _m(m), m.array([0.5])),
    lambda m: m.tensordot(_m(m), _m(m), 3),
    lambda m: m.tensordot(_m(m), _m(m), [1, 0]),
    lambda m: m.tensordot(_m(m), _m(m), [[1, 0], [0]]),
    lambda m: m.tensordot(_m(m), _m(m), "x"),
    lambda m: m.inner(_m(m), _m(m, (3, 3))),
    lambda m: m.block_masked_mm(_m(m), _m(m, (3, 4))),
    lambda m: m.gather_mm(_m(m), _m(m), sorted_indices=1),
    lambda m: m.segmented_mm(_m(m), _m(m)),
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


M = ("a", lambda m: m.ones((4, 4)))
N = ("b", lambda m: m.ones((4, 4)))
SIGNATURES = {
    "addmm": [("c", lambda m: m.ones((4, 4))), M, N, ("alpha", 1.0), ("beta", 1.0)],
    "tensordot": [M, N, ("axes", 1)],
    "inner": [M, N],
    "outer": [M, N],
    "kron": [M, N],
    "vecdot": [M, N, ("axis", -1)],
    "gather_mm": [M, N, ("lhs_indices", None), ("rhs_indices", None),
                  ("sorted_indices", False)],
    "segmented_mm": [M, N, ("segments", lambda m: m.array([[0, 2]]))],
    "block_masked_mm": [("a", lambda m: m.ones((32, 32))), ("b", lambda m: m.ones((32, 32))),
                        ("block_size", 32), ("mask_out", None), ("mask_lhs", None),
                        ("mask_rhs", None)],
    "hadamard_transform": [M, ("scale", None)],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])


def test_einsum_parameters(mlx):
    for m in (mx, mlx):
        with pytest.raises(TypeError):
            m.einsum(subscripts="ij", operands=m.ones((2, 2)))
    assert mx.einsum("ij->", mx.ones((2, 2)), stream=None).item() == 4
    with pytest.raises(TypeError):
        mx.einsum_path("ij", mx.ones((2, 2)), stream=None)

