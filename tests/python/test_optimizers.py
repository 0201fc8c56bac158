"""cmlx.optimizers: updates against hand computations and against real
MLX optimizers given the same gradients; schedules; state trees."""
import math

import numpy as np
import pytest

import cmlx.core as mx
import cmlx.nn as nn
import cmlx.optimizers as optim
from cmlx.utils import tree_flatten, tree_map, tree_unflatten
from nn_helpers import close, needs_mlx, rmx, rnn, roptim, rutils

RNG = np.random.default_rng(2)
P0 = {"w": RNG.standard_normal((4, 3)).astype(np.float32), "b": [RNG.standard_normal(3).astype(np.float32)]}
GRADS = [tree_map(lambda p: RNG.standard_normal(p.shape).astype(np.float32), P0) for _ in range(4)]


def as_cmlx(tree):
    return tree_map(mx.array, tree)


def run(opt, steps=4):
    params = as_cmlx(P0)
    for g in GRADS[:steps]:
        params = opt.apply_gradients(as_cmlx(g), params)
    return params


def test_sgd_hand():
    p, g = P0["w"], GRADS[0]["w"]
    out = optim.SGD(0.1).apply_gradients({"w": mx.array(g)}, {"w": mx.array(p)})
    close(out["w"], p - 0.1 * g)
    # momentum, weight decay, dampening over two steps
    opt = optim.SGD(0.1, momentum=0.9, weight_decay=0.01, dampening=0.1)
    params, v = {"w": mx.array(p)}, np.zeros_like(p)
    ref = p.copy()
    for g in (GRADS[0]["w"], GRADS[1]["w"]):
        gg = g + 0.01 * ref
        v = 0.9 * v + 0.9 * gg
        ref = ref - 0.1 * v
        params = opt.apply_gradients({"w": mx.array(g)}, params)
    close(params["w"], ref, 1e-5)
    close(opt.state["w"]["v"], v, 1e-5)
    assert opt.step.item() == 2 and opt.state["step"].dtype == mx.uint64
    # nesterov
    opt = optim.SGD(0.1, momentum=0.5, nesterov=True)
    out = opt.apply_gradients({"w": mx.array(g)}, {"w": mx.array(p)})
    close(out["w"], p - 0.1 * (g + 0.5 * g))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(0.1, nesterov=True)


def test_adaptive_optimizers_hand():
    p, g = P0["w"], GRADS[0]["w"]

    def one(opt):
        return np.array(opt.apply_gradients({"w": mx.array(g)}, {"w": mx.array(p)})["w"])

    lr = 0.01
    v = 0.01 * g**2
    close(one(optim.RMSprop(lr)), p - lr * g / (np.sqrt(v) + 1e-8), 1e-5)
    close(one(optim.Adagrad(lr)), p - lr * g / (np.abs(g) + 1e-8), 1e-5)
    v = 0.1 * g**2
    d = np.sqrt(1e-6) / np.sqrt(v + 1e-6) * g
    close(one(optim.AdaDelta(lr)), p - lr * d, 1e-5)
    m, v = 0.1 * g, 0.001 * g**2
    close(one(optim.Adam(lr)), p - lr * m / (np.sqrt(v) + 1e-8), 1e-5)
    close(one(optim.Adam(lr, bias_correction=True)), p - lr * (m / 0.1) / (np.sqrt(v / 0.001) + 1e-8), 1e-4)
    close(one(optim.AdamW(lr, weight_decay=0.1)), p * (1 - lr * 0.1) - lr * m / (np.sqrt(v) + 1e-8), 1e-5)
    close(one(optim.Adamax(lr)), p - lr * m / (np.abs(g) + 1e-8), 1e-5)
    close(one(optim.Lion(lr, weight_decay=0.1)), p * (1 - lr * 0.1) - lr * np.sign(g), 1e-6)


def test_argument_errors():
    with pytest.raises(ValueError, match="beta1"):
        optim.Adam(0.1, betas=[1.0, 0.9])
    with pytest.raises(ValueError, match="epsilon"):
        optim.Adam(0.1, eps=-1)
    with pytest.raises(ValueError, match="RMSprop alpha"):
        optim.RMSprop(0.1, alpha=-0.1)
    with pytest.raises(ValueError, match="Adagrad epsilon"):
        optim.Adagrad(0.1, eps=0)
    with pytest.raises(ValueError, match="AdaDelta rho"):
        optim.AdaDelta(0.1, rho=-1)
    with pytest.raises(ValueError, match="Lion beta2"):
        optim.Lion(0.1, betas=[0.9, 1.5])
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm({}, -1)


def test_update_model_and_state_roundtrip():
    model = nn.Linear(3, 2)
    opt = optim.Adam(learning_rate=0.1)
    grads = tree_map(lambda p: mx.ones_like(p), model.parameters())
    before = np.array(model.weight)
    opt.update(model, grads)
    close(model.weight, before - 0.1 * 0.1 / (np.sqrt(0.001) + 1e-8), 1e-5)
    assert set(opt.state) == {"step", "learning_rate", "weight", "bias"}
    # state is a tree: flatten, rebuild, assign, continue identically
    saved = tree_unflatten(tree_flatten(opt.state))
    opt2 = optim.Adam(learning_rate=0.1)
    opt2.state = saved
    a = opt.apply_gradients(grads, model.parameters())
    b = opt2.apply_gradients(grads, model.parameters())
    close(a["weight"], b["weight"])
    opt.learning_rate = 0.5
    assert opt.learning_rate.item() == 0.5
    # new parameters get fresh state, existing entries stay
    opt.init({"weight": mx.zeros((2, 3)), "extra": mx.zeros(2)})
    assert "extra" in opt.state and "m" in opt.state["extra"]


def test_schedules():
    s = optim.exponential_decay(0.1, 0.9)
    assert s(2) == pytest.approx(0.081)
    close(s(mx.array(2)), 0.081)
    s = optim.step_decay(0.1, 0.5, 3)
    assert [round(float(s(i)), 6) for i in (0, 2, 3, 7)] == [0.1, 0.1, 0.05, 0.025]
    s = optim.cosine_decay(1.0, 10, end=0.1)
    close(s(mx.array(5)), 0.1 + 0.5 * (1 + math.cos(math.pi / 2)) * 0.9)
    close(s(mx.array(20)), 0.1)
    s = optim.linear_schedule(0.0, 1.0, 4)
    close(s(mx.array(2)), 0.5)
    close(s(mx.array(9)), 1.0)
    s = optim.join_schedules([optim.linear_schedule(0.0, 1.0, 4), optim.exponential_decay(1.0, 0.5)], [4])
    close(s(mx.array(2)), 0.5)
    close(s(mx.array(6)), 0.25)
    for bad in (lambda: optim.step_decay(1, 0.5, 0), lambda: optim.cosine_decay(1, 0),
                lambda: optim.linear_schedule(0, 1, 0), lambda: optim.join_schedules([], []),
                lambda: optim.join_schedules([s, s], [])):
        with pytest.raises(ValueError):
            bad()
    # a schedule drives learning_rate, evaluated before the step count increases
    opt = optim.SGD(optim.linear_schedule(0.0, 1.0, 10))
    for expected in (0.0, 0.1, 0.2):
        opt.apply_gradients({"w": mx.ones(1)}, {"w": mx.zeros(1)})
        assert opt.learning_rate.item() == pytest.approx(expected)


def test_clip_grad_norm():
    g = {"a": mx.array([3.0, 0.0]), "b": [mx.array([4.0])]}
    clipped, norm = optim.clip_grad_norm(g, 1.0)
    assert norm.item() == pytest.approx(5.0)
    close(clipped["a"], [3 / (5 + 1e-6), 0.0])
    close(clipped["b"][0], [4 / (5 + 1e-6)])
    same, _ = optim.clip_grad_norm(g, 10.0)
    close(same["a"], [3.0, 0.0])
    h, _ = optim.clip_grad_norm({"x": mx.array([1.0], dtype=mx.float16)}, 0.5)
    assert h["x"].dtype == mx.float16


def test_multi_optimizer():
    opt = optim.MultiOptimizer([optim.SGD(1.0), optim.SGD(0.1)], [lambda path, g: path.startswith("w")])
    params = {"w": mx.ones(2), "b": mx.ones(2)}
    out = opt.apply_gradients({"w": mx.ones(2), "b": mx.ones(2)}, params)
    close(out["w"], [0.0, 0.0])
    close(out["b"], [0.9, 0.9])
    assert len(opt.state["states"]) == 2
    opt.learning_rate = 0.5
    assert opt.learning_rate.item() == 0.5
    with pytest.raises(ValueError, match="filters"):
        optim.MultiOptimizer([optim.SGD(1.0), optim.SGD(1.0)])
    with pytest.raises(ValueError, match="Invalid state"):
        opt.state = {"states": []}


@needs_mlx
@pytest.mark.parametrize(
    "make",
    [
        lambda o: o.SGD(0.1),
        lambda o: o.SGD(0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
        lambda o: o.SGD(0.1, momentum=0.9, dampening=0.2),
        lambda o: o.RMSprop(0.01),
        lambda o: o.Adagrad(0.1),
        lambda o: o.AdaDelta(0.5),
        lambda o: o.Adam(0.01),
        lambda o: o.Adam(0.01, bias_correction=True),
        lambda o: o.AdamW(0.01, weight_decay=0.1, bias_correction=True),
        lambda o: o.Adamax(0.01),
        lambda o: o.Lion(0.01, weight_decay=0.1),
        lambda o: o.Adafactor(),
        lambda o: o.Adafactor(learning_rate=0.01, relative_step=False, beta_1=0.9, weight_decay=0.1),
        lambda o: o.Adafactor(warmup_init=True, scale_parameter=False),
        lambda o: o.Muon(0.02),
        lambda o: o.Muon(0.02, nesterov=False, weight_decay=0.0),
        lambda o: o.SGD(o.cosine_decay(0.1, 3)),
        lambda o: o.Adam(o.join_schedules([o.linear_schedule(0, 0.1, 2), o.step_decay(0.1, 0.5, 1)], [2])),
    ],
)
def test_against_mlx(make):
    got = run(make(optim))
    opt = make(roptim)
    params = rutils.tree_map(rmx.array, P0)
    for g in GRADS:
        params = opt.apply_gradients(rutils.tree_map(rmx.array, g), params)
    for (k, a), (_, b) in zip(tree_flatten(got), rutils.tree_flatten(params)):
        close(a, b, 2e-5)


@needs_mlx
def test_state_names_match_mlx():
    for name in ("SGD", "Adam", "AdaDelta", "Adafactor", "Lion", "Muon"):
        kw = {"momentum": 0.9} if name == "SGD" else {}
        a = getattr(optim, name)(learning_rate=0.1, **kw)
        b = getattr(roptim, name)(learning_rate=0.1, **kw)
        a.init(as_cmlx(P0))
        b.init(rutils.tree_map(rmx.array, P0))
        assert [k for k, _ in tree_flatten(a.state)] == [k for k, _ in rutils.tree_flatten(b.state)]


def test_training_loop_reduces_loss():
    mx.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    x = mx.array(RNG.standard_normal((64, 2)).astype(np.float32))
    y = mx.sum(x, axis=1, keepdims=True)
    opt = optim.Adam(0.01)

    def loss_fn(x, y):
        return nn.losses.mse_loss(model(x), y)

    step = nn.value_and_grad(model, loss_fn)
    first = None
    for _ in range(50):
        loss, grads = step(x, y)
        opt.update(model, grads)
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first


@needs_mlx
def test_training_curve_matches_mlx():
    """Same seed, same data: the initial weights are identical and the loss
    curve follows real MLX's over 20 Adam steps."""
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((32, 10)).astype(np.float32)
    ys = rng.integers(0, 3, 32)

    def curve(core, nn_, optim_):
        core.random.seed(42)
        model = nn_.Sequential(nn_.Linear(10, 16), nn_.ReLU(), nn_.Dropout(0.0), nn_.Linear(16, 3))
        opt = optim_.Adam(optim_.cosine_decay(0.05, 20))
        x, y = core.array(xs), core.array(ys)
        step = nn_.value_and_grad(model, lambda: nn_.losses.cross_entropy(model(x), y, reduction="mean"))
        out = []
        for _ in range(20):
            loss, grads = step()
            grads, _ = optim_.clip_grad_norm(grads, 1.0)
            opt.update(model, grads)
            out.append(loss.item())
        return np.array(out)

    ours = curve(mx, nn, optim)
    theirs = curve(rmx, rnn, roptim)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)
    assert ours[-1] < ours[0]
