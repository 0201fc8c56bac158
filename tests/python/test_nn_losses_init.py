"""cmlx.nn.losses and cmlx.nn.init against NumPy and real MLX."""
import math

import numpy as np
import pytest

import cmlx.core as mx
from cmlx.nn import init, losses
from nn_helpers import close, needs_mlx, rmx, rnn, to_cmlx, to_real

RNG = np.random.default_rng(1)
LOGITS = RNG.standard_normal((4, 5)).astype(np.float32)
TARGETS = np.array([0, 3, 4, 1])
A = RNG.standard_normal((4, 5)).astype(np.float32)
B = RNG.standard_normal((4, 5)).astype(np.float32)


def lse(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis, keepdims=True))).squeeze(axis)


def test_cross_entropy_numpy():
    ce = lse(LOGITS) - LOGITS[np.arange(4), TARGETS]
    close(losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS)), ce)
    close(losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS), reduction="mean"), ce.mean())
    probs = np.eye(5, dtype=np.float32)[TARGETS]
    close(losses.cross_entropy(mx.array(LOGITS), mx.array(probs)), ce)
    w = np.array([1, 2, 0, 1], np.float32)
    close(losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS), weights=mx.array(w), reduction="sum"), (ce * w).sum())
    ls = 0.1
    smooth = lse(LOGITS) - (1 - ls) * LOGITS[np.arange(4), TARGETS] - ls * LOGITS.mean(-1)
    close(losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS), label_smoothing=ls), smooth, 1e-5)
    close(losses.cross_entropy(mx.array(LOGITS.T), mx.array(TARGETS), axis=0), ce)
    with pytest.raises(ValueError, match="Label smoothing"):
        losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS), label_smoothing=1.0)
    with pytest.raises(ValueError, match="does not match logits shape"):
        losses.cross_entropy(mx.array(LOGITS), mx.array([0, 1]))
    with pytest.raises(ValueError, match="Weights with shape"):
        losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS), weights=mx.ones(3))
    with pytest.raises(ValueError, match="Invalid reduction"):
        losses.cross_entropy(mx.array(LOGITS), mx.array(TARGETS), reduction="avg")


def test_binary_cross_entropy_numpy():
    t = (B > 0).astype(np.float32)
    want = np.log1p(np.exp(A)) - A * t
    close(losses.binary_cross_entropy(mx.array(A), mx.array(t)), want.mean())
    p = 1 / (1 + np.exp(-A))
    want = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    close(losses.binary_cross_entropy(mx.array(p), mx.array(t), with_logits=False, reduction="none"), want, 1e-5)
    # log(0) is clipped at -100
    close(losses.binary_cross_entropy(mx.array([0.0]), mx.array([1.0]), with_logits=False), 100.0)
    with pytest.raises(ValueError, match="does not match targets shape"):
        losses.binary_cross_entropy(mx.array(A), mx.array(t[0]))


def test_regression_losses_numpy():
    a, b = mx.array(A), mx.array(B)
    d = A - B
    close(losses.l1_loss(a, b), np.abs(d).mean())
    close(losses.mse_loss(a, b, reduction="sum"), (d**2).sum(), 1e-5)
    ad = np.abs(d)
    close(losses.smooth_l1_loss(a, b, beta=0.5, reduction="none"), np.where(ad < 0.5, 0.5 * d**2 / 0.5, ad - 0.25))
    close(losses.huber_loss(a, b, delta=0.7), np.where(ad <= 0.7, 0.5 * d**2, 0.7 * (ad - 0.35)), 1e-5)
    close(losses.log_cosh_loss(a, b), np.log(np.cosh(d)), 1e-5)
    close(losses.hinge_loss(a, mx.array(np.sign(B))), np.maximum(1 - A * np.sign(B), 0))
    v = np.abs(B) + 0.1
    close(losses.gaussian_nll_loss(a, b, mx.array(v), full=True, reduction="none"),
          0.5 * (np.log(v) + (B - A) ** 2 / v) + 0.5 * math.log(2 * math.pi), 1e-5)
    for fn in (losses.l1_loss, losses.mse_loss, losses.smooth_l1_loss):
        with pytest.raises(ValueError, match="does not match"):
            fn(a, mx.array(B[0]))
    with pytest.raises(ValueError, match="vars shape"):
        losses.gaussian_nll_loss(a, b, mx.ones(2))


def test_distribution_and_ranking_losses_numpy():
    logp = A - lse(A)[:, None]
    logq = B - lse(B)[:, None]
    close(losses.nll_loss(mx.array(logp), mx.array(TARGETS)), -logp[np.arange(4), TARGETS])
    close(losses.kl_div_loss(mx.array(logp), mx.array(logq)), (np.exp(logq) * (logq - logp)).sum(-1), 1e-5)
    c = RNG.standard_normal((4, 5)).astype(np.float32)
    dp = (np.abs(A - B) ** 2).sum(-1) ** 0.5
    dn = (np.abs(A - c) ** 2).sum(-1) ** 0.5
    close(losses.triplet_loss(mx.array(A), mx.array(B), mx.array(c)), np.maximum(dp - dn + 1, 0), 1e-4)
    cos = (A * B).sum(1) / (np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1))
    close(losses.cosine_similarity_loss(mx.array(A), mx.array(B)), cos, 1e-5)
    y = np.sign(c)
    close(losses.margin_ranking_loss(mx.array(A), mx.array(B), mx.array(y), margin=0.1),
          np.maximum(0, -y * (A - B) + 0.1))
    with pytest.raises(ValueError, match="shapes of the arguments do not match"):
        losses.margin_ranking_loss(mx.array(A), mx.array(B), mx.ones(2))


@needs_mlx
def test_losses_against_mlx():
    t = (B > 0).astype(np.float32)
    v = np.abs(B) + 0.1
    c = RNG.standard_normal((4, 5)).astype(np.float32)
    cases = [
        ("cross_entropy", (LOGITS, TARGETS), {"label_smoothing": 0.2, "reduction": "mean"}),
        ("cross_entropy", (LOGITS, np.eye(5, dtype=np.float32)[TARGETS]), {}),
        ("binary_cross_entropy", (A, t), {"weights": np.abs(B)}),
        ("binary_cross_entropy", (1 / (1 + np.exp(-A)), t), {"with_logits": False, "reduction": "sum"}),
        ("l1_loss", (A, B), {}), ("mse_loss", (A, B), {"reduction": "none"}),
        ("nll_loss", (A, TARGETS), {"reduction": "mean"}),
        ("gaussian_nll_loss", (A, B, v), {"full": True}),
        ("kl_div_loss", (A, B), {"axis": 0}),
        ("smooth_l1_loss", (A, B), {"beta": 0.3}),
        ("triplet_loss", (A, B, c), {"p": 1, "margin": 0.5}),
        ("hinge_loss", (A, np.sign(B)), {}), ("huber_loss", (A, B), {"delta": 0.5}),
        ("log_cosh_loss", (A, B), {"reduction": "sum"}),
        ("cosine_similarity_loss", (A, B), {"axis": 0}),
        ("margin_ranking_loss", (A, B, np.sign(c)), {"margin": 0.2}),
    ]
    names = set()
    for name, args, kw in cases:
        names.add(name)
        kc = {k: to_cmlx(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kr = {k: to_real(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        got = getattr(losses, name)(*[to_cmlx(a) for a in args], **kc)
        want = getattr(rnn.losses, name)(*[to_real(a) for a in args], **kr)
        close(got, want, 1e-5)
    assert len(names) == 14


def test_init_values_and_shapes():
    a = mx.zeros((6, 4))
    close(init.constant(0.5)(a), np.full((6, 4), 0.5))
    assert init.constant(1, dtype=mx.float16)(a).dtype == mx.float16
    close(init.identity()(mx.zeros((3, 3))), np.eye(3))
    with pytest.raises(ValueError, match="square matrix"):
        init.identity()(a)
    u = np.array(init.uniform(-2, -1)(mx.zeros((50, 50))))
    assert u.min() >= -2 and u.max() < -1
    n = np.array(init.normal(3.0, 0.5)(mx.zeros((100, 100))))
    assert abs(n.mean() - 3.0) < 0.05 and abs(n.std() - 0.5) < 0.05
    lim = math.sqrt(6 / (4 + 6))
    g = np.array(init.glorot_uniform()(a))
    assert np.abs(g).max() <= lim
    h = np.array(init.he_uniform()(mx.zeros((6, 4, 3)), mode="fan_out", gain=2.0))
    assert np.abs(h).max() <= 2.0 * math.sqrt(3 / (6 * 4))
    with pytest.raises(ValueError, match="Invalid mode"):
        init.he_normal()(a, mode="fan")
    with pytest.raises(ValueError, match="at least 2 dimensional"):
        init.glorot_normal()(mx.zeros(3))
    s = np.array(init.sparse(0.5)(mx.zeros((8, 6))))
    assert ((s == 0).sum(axis=1) >= 3).all()
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse(0.5)(mx.zeros(3))


def test_init_orthogonal():
    q = np.array(init.orthogonal()(mx.zeros((4, 6))))
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="2D array"):
        init.orthogonal()(mx.zeros(3))


@needs_mlx
@pytest.mark.parametrize(
    "name,args,call",
    [
        ("normal", (0.5, 2.0), ()), ("uniform", (-1.0, 3.0), ()),
        ("glorot_normal", (), (1.5,)), ("glorot_uniform", (), ()),
        ("he_normal", (), ("fan_out",)), ("he_uniform", (), ("fan_in", 2.0)),
        ("sparse", (0.3,), ()), ("constant", (0.25,), ()), ("identity", (), ()),
    ],
)
def test_init_bit_identical_to_mlx(name, args, call):
    shape = (5, 5)
    mx.random.seed(7)
    rmx.random.seed(7)
    got = getattr(init, name)(*args)(mx.zeros(shape), *call)
    want = getattr(rnn.init, name)(*args)(rmx.zeros(shape), *call)
    np.testing.assert_array_equal(np.array(got), np.array(want))
