"""mx.distributed in one process (no backend configured): the API against
MLX's, the collectives' values against NumPy (a group of one process gives
its input back), their derivatives, vmap and compile, wrong calls, and the
nn layers built on them against real MLX."""
import numpy as np
import pytest

import cmlx.core as mx
import cmlx.nn as nn
from helpers import FAMILY_DTYPES, layout, param_kinds, same_outcome, to_numpy
from nn_helpers import close, copy_weights, needs_mlx, rmx, rnn, same_params

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover
    mlx = None

d = mx.distributed
COLLECTIVES = ["all_sum", "all_max", "all_min", "all_gather", "sum_scatter"]


@pytest.fixture(autouse=True)
def no_backend(monkeypatch):
    monkeypatch.delenv("MLX_RANK", raising=False)
    monkeypatch.delenv("MLX_HOSTFILE", raising=False)


# ---- the API ----


@needs_mlx
def test_names_match_mlx():
    public = lambda m: sorted(n for n in dir(m) if not n.startswith("_"))
    assert public(d) == public(mlx.distributed)
    assert public(d.Group) == public(mlx.distributed.Group)


@needs_mlx
@pytest.mark.parametrize(
    "name, params",
    [
        ("distributed.all_sum", [("x", lambda m: m.ones((2,))), ("group", None)]),
        ("distributed.all_gather", [("x", lambda m: m.ones((2,))), ("group", None)]),
        ("distributed.sum_scatter", [("x", lambda m: m.ones((2,))), ("group", None)]),
        ("distributed.send", [("x", lambda m: m.ones((2,))), ("dst", 0), ("group", None)]),
        ("distributed.recv", [("shape", (2,)), ("dtype", lambda m: m.float32), ("src", 0),
                              ("group", None)]),
        ("distributed.recv_like", [("x", lambda m: m.ones((2,))), ("src", 0), ("group", None)]),
    ],
)
def test_parameter_kinds_match_mlx(name, params):
    assert param_kinds(mx, name, params) == param_kinds(mlx, name, params)


def test_availability():
    assert d.is_available() is True
    assert d.is_available("ring") is True
    assert d.is_available(backend="any") is True
    for b in ["mpi", "nccl", "jaccl", "foo"]:
        assert d.is_available(b) is False
    with pytest.raises(TypeError):
        d.is_available(3)


def test_init_without_backend():
    g = d.init()
    assert (g.rank(), g.size()) == (0, 1)
    assert isinstance(g, d.Group)
    assert d.init(strict=False, backend="any").size() == 1
    assert d.init(False, "mpi").size() == 1
    with pytest.raises(RuntimeError, match=r"\[distributed\] Couldn't initialize any backend"):
        d.init(strict=True)
    with pytest.raises(RuntimeError, match="MLX_RANK"):
        d.init(True, "ring")
    with pytest.raises(RuntimeError, match="Cannot initialize MPI"):
        d.init(True, "mpi")
    with pytest.raises(ValueError, match="'foo'"):
        d.init(backend="foo")
    with pytest.raises(TypeError):
        d.init(False, "any", None)  # all_gather_factory is keyword-only
    assert d.init(all_gather_factory=lambda r, s: None).size() == 1
    with pytest.raises(RuntimeError, match="Cannot split the distributed group further."):
        g.split(0)
    with pytest.raises(RuntimeError):
        g.split(color=1, key=3)
    with pytest.raises(TypeError):
        g.split()
    with pytest.raises(TypeError):
        d.Group()


@needs_mlx
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.distributed.init(strict=True),
        lambda m: m.distributed.init(True, "ring"),
        lambda m: m.distributed.init(True, "nccl"),
        lambda m: m.distributed.init(backend="bad"),
        lambda m: m.distributed.init().split(0),
        lambda m: m.distributed.init().split(0, 1),
        lambda m: m.distributed.send(m.ones((2,)), 0),
        lambda m: m.distributed.send(m.ones((2,)), 1),
        lambda m: m.distributed.send(m.ones((2,)), 1.5),
        lambda m: m.distributed.recv((2, 3), m.float32, 0),
        lambda m: m.distributed.recv((2, 3), "float32", 0),
        lambda m: m.distributed.recv_like(m.ones((2,)), 0),
        lambda m: m.distributed.all_sum(m.ones((2,)), group=3),
        lambda m: m.distributed.all_gather(m.ones((2,)), group="g"),
        lambda m: m.distributed.all_sum(m.ones((5, 3)), stream=m.cpu),
        lambda m: m.distributed.sum_scatter(m.ones((5, 3))),
        lambda m: m.distributed.all_gather(m.array(3.0)),
        lambda m: m.distributed.is_available("ring"),
    ],
)
def test_outcomes_match_mlx(call):
    same_outcome(call, mlx)


# ---- values on a group of one process ----


@pytest.mark.parametrize("name", COLLECTIVES)
@pytest.mark.parametrize("dtype", FAMILY_DTYPES + ["float64"])
@pytest.mark.parametrize("how", ["contiguous", "transposed", "broadcast", "reversed"])
def test_collectives_give_the_input(name, dtype, how):
    x = np.random.default_rng(1).standard_normal((4, 3)) * 4
    a, _ = layout(x, dtype, how)
    expected = to_numpy(a)
    stream = mx.cpu if dtype == "float64" else None
    y = getattr(d, name)(a, stream=stream)
    assert y.dtype == a.dtype and y.shape == a.shape
    np.testing.assert_array_equal(to_numpy(y), expected)
    g = d.init()
    np.testing.assert_array_equal(to_numpy(getattr(d, name)(a, group=g)), expected)


@pytest.mark.parametrize("name", COLLECTIVES)
def test_edge_shapes_and_values(name):
    f = getattr(d, name)
    assert f(mx.array(2.5)).item() == 2.5
    e = f(mx.zeros((0, 3)))
    assert e.shape == (0, 3)
    v = np.array([np.nan, np.inf, -np.inf, -0.0], np.float32)
    np.testing.assert_array_equal(to_numpy(f(mx.array(v))), v)
    np.testing.assert_array_equal(to_numpy(f([1, 2, 3])), [1, 2, 3])


# ---- transforms ----


def test_gradients():
    x = mx.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    g = mx.grad(lambda x: (d.all_sum(x) * x).sum())(x)
    np.testing.assert_array_equal(to_numpy(g), 2 * to_numpy(x))
    g = mx.grad(lambda x: (d.all_gather(x) ** 2).sum())(x)
    np.testing.assert_array_equal(to_numpy(g), 2 * to_numpy(x))
    for name in ["all_max", "all_min", "sum_scatter"]:
        g = mx.grad(lambda x: getattr(d, name)(x).sum())(x)
        np.testing.assert_array_equal(to_numpy(g), np.ones((2, 3)))
    (out,), (t,) = mx.jvp(lambda x: d.all_sum(x), [x], [mx.ones_like(x)])
    np.testing.assert_array_equal(to_numpy(t), np.ones((2, 3)))
    _, (ct,) = mx.vjp(lambda x: d.all_gather(x), [x], [x + 1])
    np.testing.assert_array_equal(to_numpy(ct), to_numpy(x) + 1)


def test_vmap_and_compile():
    x = mx.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    for name in COLLECTIVES:
        f = getattr(d, name)
        for axis in [0, 1, 2]:
            np.testing.assert_array_equal(to_numpy(mx.vmap(f, in_axes=axis)(x)),
                                          np.moveaxis(to_numpy(x), axis, 0))
        np.testing.assert_array_equal(to_numpy(mx.compile(f)(x)), to_numpy(x))
        np.testing.assert_array_equal(
            to_numpy(mx.compile(lambda a: f(a) * 2, shapeless=True)(x)), 2 * to_numpy(x))

    @mx.compile
    def step(a):
        return d.all_sum(mx.grad(lambda b: (b * b).sum())(a))

    np.testing.assert_array_equal(to_numpy(step(x)), 2 * to_numpy(x))


# ---- nn ----


def test_nn_names():
    for n in ["AllToShardedLinear", "ShardedToAllLinear", "QuantizedAllToShardedLinear",
              "QuantizedShardedToAllLinear", "FullyShardedModule", "fully_shard",
              "average_gradients"]:
        assert hasattr(nn, n), n
    from cmlx.nn.layers.distributed import shard_inplace, shard_linear  # noqa: F401
    from cmlx.nn.utils import clip_grad_norm_sharded  # noqa: F401


@needs_mlx
def test_nn_names_match_mlx():
    import inspect

    import mlx.nn.layers.distributed as rd
    import cmlx.nn.layers.distributed as cd

    own = [n for n, v in vars(rd).items()
           if not n.startswith("__") and (inspect.isclass(v) or inspect.isfunction(v)
                                          or hasattr(v, "cache_info"))
           and getattr(v, "__module__", "") == rd.__name__]
    assert own and all(hasattr(cd, n) for n in own), [n for n in own if not hasattr(cd, n)]
    import mlx.nn as rnn_

    missing = [n for n in dir(rnn_) if not n.startswith("_") and not hasattr(nn, n)]
    assert missing == [], missing


@needs_mlx
@pytest.mark.parametrize("cls", ["AllToShardedLinear", "ShardedToAllLinear"])
@pytest.mark.parametrize("bias", [True, False])
def test_sharded_linear_matches_mlx(cls, bias):
    mx.random.seed(3)
    rmx.random.seed(3)
    a = getattr(nn, cls)(16, 8, bias=bias)
    b = getattr(rnn, cls)(16, 8, bias=bias)
    same_params(a, b)
    assert repr(a) == repr(b)
    x = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    close(a(mx.array(x)), b(rmx.array(x)))
    ga = nn.value_and_grad(a, lambda x: (a(x) ** 2).sum())(mx.array(x))[1]
    gb = rnn.value_and_grad(b, lambda x: (b(x) ** 2).sum())(rmx.array(x))[1]
    assert sorted(ga) == sorted(gb)
    for k in ga:
        close(ga[k], gb[k], 1e-4)
    gx = mx.grad(lambda x: (a(x) ** 2).sum())(mx.array(x))
    gxr = rmx.grad(lambda x: (b(x) ** 2).sum())(rmx.array(x))
    close(gx, gxr, 1e-4)


@needs_mlx
@pytest.mark.parametrize("cls", ["QuantizedAllToShardedLinear", "QuantizedShardedToAllLinear"])
def test_quantized_sharded_linear_matches_mlx(cls):
    mx.random.seed(5)
    rmx.random.seed(5)
    a = getattr(nn, cls)(64, 32, bias=True, group_size=32, bits=4)
    b = getattr(rnn, cls)(64, 32, bias=True, group_size=32, bits=4)
    same_params(a, b)
    assert repr(a) == repr(b)
    assert a.trainable_parameters() == {} and not rnn.utils.tree_flatten(b.trainable_parameters())
    a.unfreeze()
    assert a.trainable_parameters() == {}
    x = np.random.default_rng(1).standard_normal((2, 64)).astype(np.float32)
    close(a(mx.array(x)), b(rmx.array(x)), 1e-4)


@needs_mlx
@pytest.mark.parametrize("sharding", ["all-to-sharded", "sharded-to-all"])
@pytest.mark.parametrize("segments", [1, 2, [0.25]])
def test_shard_linear_matches_mlx(sharding, segments):
    import mlx.nn.layers.distributed as rd
    from cmlx.nn.layers.distributed import shard_inplace, shard_linear

    mx.random.seed(7)
    rmx.random.seed(7)
    a, b = nn.Linear(8, 12), rnn.Linear(8, 12)
    same_params(a, b)
    sa = shard_linear(a, sharding, segments=segments)
    sb = rd.shard_linear(b, sharding, segments=segments)
    assert type(sa).__name__ == type(sb).__name__
    same_params(sa, sb)
    x = np.random.default_rng(2).standard_normal((4, 8)).astype(np.float32)
    close(sa(mx.array(x)), sb(rmx.array(x)))
    mx.random.seed(8)
    rmx.random.seed(8)
    qa, qb = nn.QuantizedLinear(64, 32, group_size=32), rnn.QuantizedLinear(64, 32, group_size=32)
    same_params(qa, qb)
    qsegments = 1 if segments == [0.25] else segments
    q1 = shard_linear(qa, sharding, segments=qsegments)
    q2 = rd.shard_linear(qb, sharding, segments=qsegments)
    assert type(q1).__name__ == type(q2).__name__
    same_params(q1, q2)
    xq = np.random.default_rng(4).standard_normal((2, 64)).astype(np.float32)
    close(q1(mx.array(xq)), q2(rmx.array(xq)), 1e-4)
    shard_inplace(a, sharding, segments=segments)
    rd.shard_inplace(b, sharding, segments=segments)
    same_params(a, b)
    with pytest.raises(ValueError, match="not supported"):
        shard_linear(a, "rows")
    with pytest.raises(ValueError):
        shard_inplace(a, lambda p, w: "bad")


@needs_mlx
def test_fully_shard_and_averaging_match_mlx():
    import mlx.nn.layers.distributed as rd
    import mlx.nn.utils as ru
    import cmlx.nn.utils as cu

    mx.random.seed(9)
    rmx.random.seed(9)
    a, b = nn.Linear(4, 6), rnn.Linear(4, 6)
    assert nn.fully_shard(a) is a
    assert rnn.fully_shard(b) is b
    fa, fb = nn.FullyShardedModule(a), rd.FullyShardedModule(b)
    assert repr(fa) == repr(fb)
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    close(fa(mx.array(x)), fb(rmx.array(x)))
    ga = nn.value_and_grad(fa, lambda x: fa(x).sum())(mx.array(x))[1]
    gb = rnn.value_and_grad(fb, lambda x: fb(x).sum())(rmx.array(x))[1]
    assert sorted(ga["module"]) == sorted(gb["module"])
    for k in ga["module"]:
        close(ga["module"][k], gb["module"][k])
    grads = {"w": mx.ones((3,)), "b": [mx.zeros((2, 2))]}
    assert nn.average_gradients(grads) is grads
    assert nn.average_gradients(grads, all_reduce_size=0) is grads
    clipped, norm = cu.clip_grad_norm_sharded({"w": mx.array([3.0, 4.0])}, 1.0)
    rclipped, rnorm = ru.clip_grad_norm_sharded({"w": rmx.array([3.0, 4.0])}, 1.0)
    close(norm, rnorm)
    close(clipped["w"], rclipped["w"])
    with pytest.raises(ValueError, match="scalar"):
        nn.FullyShardedModule(_WithScalar())


class _WithScalar(nn.Module):
    def __init__(self):
        super().__init__()
        self.s = mx.array(1.0)
