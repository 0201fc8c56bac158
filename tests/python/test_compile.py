"""mx.compile over Python callables: equal to eager over trees, traces once
per structure / constants / shapes / dtypes (counted with a side effect),
shapeless, captured state through inputs= / outputs= (a counter, a small
training step with cmlx.nn and cmlx.optimizers), composition with grad,
disable/enable, and wrong calls with mlx.core's exception types."""
import numpy as np
import pytest

import cmlx.core as mx
import cmlx.nn as nn
import cmlx.optimizers as optim


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=tol, atol=tol)


def test_tree_in_tree_out():
    def f(d, xs, scale=2.0):
        return {"sum": d["a"] + xs[0], "prod": [d["b"] * xs[1] * scale, (xs[0] - 1,)]}

    d = {"a": mx.array([1.0, 2.0]), "b": mx.array([3.0, 4.0])}
    xs = [mx.array([0.5, 0.5]), mx.array([2.0, -1.0])]
    cf = mx.compile(f)
    got, want = cf(d, xs, scale=3.0), f(d, xs, scale=3.0)
    assert set(got) == {"sum", "prod"} and isinstance(got["prod"][1], tuple)
    close(got["sum"], want["sum"])
    close(got["prod"][0], want["prod"][0])
    close(got["prod"][1][0], want["prod"][1][0])


def test_decorator_and_non_array_outputs():
    @mx.compile
    def f(x):
        return x.exp() * 2 + 1, 3, "s"

    x = mx.array([0.0, 1.0, -2.0])
    y, three, s = f(x)
    close(y, np.exp([0.0, 1.0, -2.0]) * 2 + 1)
    assert three == 3 and s == "s"


def test_retrace_rules():
    traces = []

    def f(x, k):
        traces.append(1)
        return x * k

    cf = mx.compile(f)
    x = mx.array([1.0, 2.0])
    close(cf(x, 2), [2, 4])
    close(cf(x, 2), [2, 4])
    assert len(traces) == 1
    close(cf(x, 3), [3, 6])  # a new scalar value: a new trace
    assert len(traces) == 2
    close(cf(x, 2.0), [2, 4])  # float 2.0 is a different constant from int 2
    assert len(traces) == 3
    close(cf(mx.array([1.0, 2.0, 3.0]), 2), [2, 4, 6])  # new shape
    assert len(traces) == 4
    r = cf(mx.array([1, 2]), 2)  # new dtype
    assert r.dtype == mx.int32 and len(traces) == 5
    cf(x, 3)
    cf(mx.array([5.0, 6.0]), 2)  # same shape, new values: replayed
    assert len(traces) == 5
    close(cf(mx.array([5.0, 6.0]), 2), [10, 12])
    close(cf(x, k=2), [2, 4])  # by keyword: another structure
    assert len(traces) == 6


def test_shapeless():
    traces = []

    def f(x, y):
        traces.append(1)
        return (x * y).abs() + x.exp()

    cf = mx.compile(f, shapeless=True)
    for n in (2, 5, 9):
        xn = np.arange(3 * n, dtype=np.float32).reshape(3, n) - 4
        got = cf(mx.array(xn), mx.array(xn * 0.5))
        close(got, np.abs(xn * xn * 0.5) + np.exp(xn), 1e-4)
    assert len(traces) == 1
    cf(mx.ones((2, 2), dtype=mx.float16), mx.ones((2, 2), dtype=mx.float16))
    assert len(traces) == 2  # a new dtype traces again
    cf(mx.ones((2, 2, 2)), mx.ones((2, 2, 2)))
    assert len(traces) == 3  # so does a new rank


def test_exception_propagates_unchanged():
    class Boom(Exception):
        pass

    def f(x):
        raise Boom("inside")

    with pytest.raises(Boom, match="inside"):
        mx.compile(f)(mx.array(1.0))

    def g(x):
        return x @ x  # a 0-d matmul: the op's own ValueError

    with pytest.raises(ValueError):
        mx.compile(g)(mx.array(1.0))


def test_captured_counter():
    state = [mx.array(0.0)]

    def step(x):
        state[0] = state[0] + x
        return state[0] * 2

    cf = mx.compile(step, inputs=state, outputs=state)
    for i in range(1, 4):
        r = cf(mx.array(1.0))
        assert state[0].item() == i
        assert r.item() == 2 * i


def test_captured_array_without_inputs_is_a_constant():
    c = mx.array(2.0)
    cf = mx.compile(lambda x: x * c)
    assert cf(mx.array(3.0)).item() == 6.0


def test_training_step_matches_eager():
    def make():
        mx.random.seed(3)
        m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        return m, optim.Adam(learning_rate=0.05)

    x = mx.array(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32))
    y = mx.array(np.random.default_rng(1).standard_normal((16, 1)).astype(np.float32))

    def run(compiled):
        model, opt = make()
        loss_fn = lambda m, a, b: nn.losses.mse_loss(m(a), b)  # noqa: E731
        lag = nn.value_and_grad(model, loss_fn)
        state = [model.state, opt.state]

        def step(a, b):
            loss, grads = lag(model, a, b)
            opt.update(model, grads)
            return loss

        if compiled:
            step = mx.compile(step, inputs=state, outputs=state)
        losses = []
        for _ in range(5):
            losses.append(step(x, y).item())
            mx.eval(state)
        return losses, model

    eager, m1 = run(False)
    comp, m2 = run(True)
    np.testing.assert_allclose(comp, eager, rtol=1e-4)
    assert comp[-1] < comp[0]
    close(m1.layers[0].weight, m2.layers[0].weight, 1e-4)


def test_grad_of_compile_and_compile_of_grad():
    def f(x):
        return (x.sin() * x).sum()

    x = mx.array([0.5, -1.0, 2.0])
    want = np.sin([0.5, -1.0, 2.0]) + np.array([0.5, -1.0, 2.0]) * np.cos([0.5, -1.0, 2.0])
    close(mx.grad(mx.compile(f))(x), want)
    close(mx.compile(mx.grad(f))(x), want)
    v, g = mx.compile(mx.value_and_grad(f))(x)
    close(v, f(x))
    close(g, want)


def test_disable_enable():
    traces = []

    def f(x):
        traces.append(1)
        return x + 1

    cf = mx.compile(f)
    mx.disable_compile()
    try:
        cf(mx.array(1.0))
        cf(mx.array(1.0))
        assert len(traces) == 2  # runs the function itself
    finally:
        mx.enable_compile()
    cf(mx.array(1.0))
    cf(mx.array(1.0))
    assert len(traces) == 3


def test_wrong_calls(mlx):
    for m in (mx, mlx):
        with pytest.raises(TypeError):
            m.compile(3)

        class O:
            pass

        with pytest.raises(ValueError):
            m.compile(lambda x, o: x)(m.array(1.0), O())

        def evals(x):
            y = x + 1
            m.eval(y)
            return y

        with pytest.raises(ValueError, match="eval"):
            m.compile(evals)(m.array(1.0))


def test_state_restored_after_exception():
    state = {"n": mx.array(1.0)}
    before = state["n"]

    def step(x, fail):
        state["n"] = state["n"] + x
        if fail:
            raise KeyError("stop")
        return x

    cf = mx.compile(step, inputs=state, outputs=state)
    with pytest.raises(KeyError):
        cf(mx.array(1.0), True)
    assert state["n"] is before and state["n"].item() == 1.0
    cf(mx.array(2.0), False)
    assert state["n"].item() == 3.0


def test_constants_of_each_kind():
    traces = []

    def f(x, opts):
        traces.append(1)
        return x * (opts["k"] if opts["on"] else 0) if opts["name"] is not None else x

    cf = mx.compile(f)
    x = mx.array([1.0, 2.0])
    close(cf(x, {"k": 2, "on": True, "name": "a"}), [2, 4])
    close(cf(x, {"k": 2, "on": False, "name": "a"}), [0, 0])
    close(cf(x, {"k": 2, "on": True, "name": None}), [1, 2])
    close(cf(x, {"k": 2, "on": True, "name": "a"}), [2, 4])
    assert len(traces) == 3


def test_cycle_through_the_cache_is_collected():
    import gc
    import weakref

    class Holder:
        pass

    h = Holder()

    def f(x):
        return x * len(h.__dict__)

    h.cf = mx.compile(f)
    h.cf(mx.array(1.0))
    ref = weakref.ref(h)
    del h
    gc.collect()
    assert ref() is None


# ---- shapeless compile re-derives shapes from the inputs ----


def _shapeless_matches(f, *calls):
    cf = mx.compile(f, shapeless=True)
    for args in calls:
        got, want = cf(*args), f(*args)
        got = got if isinstance(got, (list, tuple)) else [got]
        want = want if isinstance(want, (list, tuple)) else [want]
        for g, w in zip(got, want):
            assert g.shape == w.shape
            assert np.allclose(np.array(g), np.array(w), equal_nan=True)


def test_shapeless_broadcasting_elementwise():
    r = np.random.default_rng(0)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731
    _shapeless_matches(lambda x, y: x * y + 1.0, (a(2, 2), a(2)), (a(3, 5), a(5)), (a(4, 1), a(3)))
    _shapeless_matches(lambda x, y: mx.broadcast_arrays(x, y), (a(1, 3), a(2, 1)), (a(1, 5), a(4, 1)))


def test_shapeless_reshape_reduce_slice_transpose():
    r = np.random.default_rng(1)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731
    _shapeless_matches(lambda x: x * x.sum(-1, keepdims=False)[:, None], (a(3, 2),), (a(1, 2),), (a(4, 6),))
    # x.shape[0] is a number fixed at trace time (as in MLX); -1 follows the input
    cf = mx.compile(lambda x: x.reshape(x.shape[0], -1), shapeless=True)
    assert cf(a(2, 3, 4)).shape == (2, 12)
    assert cf(a(2, 5, 2)).shape == (2, 10)
    _shapeless_matches(lambda x: mx.flatten(x, 1).T, (a(2, 3, 4),), (a(3, 2, 5),))
    _shapeless_matches(lambda x: x[:, -1, :], (a(2, 3, 4),), (a(1, 3, 7),))
    _shapeless_matches(lambda x: (x.max(0), x.argmin(1), mx.logsumexp(x, 1)), (a(3, 4),), (a(5, 2),))
    _shapeless_matches(lambda x: mx.mean(x, keepdims=True), (a(2),), (a(7),))
    _shapeless_matches(lambda x: mx.var(x, 0) + mx.mean(x, axis=1)[None], (a(3, 3),), (a(5, 5),))
    _shapeless_matches(lambda x: (mx.zeros_like(x), mx.ones_like(x) * 2, mx.full_like(x, 3)), (a(1, 32),), (a(2, 16),))
    _shapeless_matches(lambda x: mx.concatenate([x, 2 * x], 0), (a(2, 3),), (a(4, 5),))


def test_shapeless_matmul_and_addmm():
    r = np.random.default_rng(2)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731
    _shapeless_matches(lambda x, y: x @ y, (a(2, 1, 4, 2), a(3, 2, 5)), (a(3, 1, 2, 6), a(2, 6, 3)))
    _shapeless_matches(lambda c, x, y: mx.addmm(c, x, y, alpha=2.0, beta=0.5),
                       (a(2, 4), a(2, 3), a(3, 4)), (a(5), a(3, 6), a(6, 5)))
    g = mx.grad(lambda x, y: (x @ y).sum(), argnums=(0, 1))
    _shapeless_matches(g, (a(2, 1, 4, 2), a(3, 2, 5)), (a(3, 1, 4, 2), a(2, 2, 5)))


def test_shapeless_gather_and_addmm_addend():
    r = np.random.default_rng(3)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731
    i = lambda *v: mx.array(np.array(v, np.int32))  # noqa: E731
    # the axis gathered whole follows the input, in the output and the kernel
    _shapeless_matches(lambda x, k: mx.take(x, k, axis=0), (a(4, 3), i(0, 2)), (a(6, 5), i(5, 0, 1)))
    _shapeless_matches(lambda x, k: x[:, k], (a(4, 3), i(0, 2)), (a(6, 5), i(4, 0, 1)))
    # an addend of the traced product's shape broadcast at another shape
    _shapeless_matches(lambda c, x, y: mx.addmm(c, x, y, alpha=2.0, beta=0.5),
                       (a(4, 2), a(4, 3), a(3, 2)), (a(1, 7), a(3, 5), a(5, 7)))
    f = mx.compile(lambda c, x, y: mx.addmm(c, x, y), shapeless=True)
    f(a(4, 2), a(4, 3), a(3, 2))
    with pytest.raises(ValueError):
        f(a(2, 2), a(6, 5), a(5, 7))
    # indices that no longer match the input off the axis
    f = mx.compile(lambda x, k: mx.take_along_axis(x, k, axis=1), shapeless=True)
    f(a(4, 3), mx.zeros((4, 1), mx.int32))
    _shapeless_matches(lambda x, k: mx.take_along_axis(x, k, axis=1), (a(4, 3), i([0], [1], [2], [0])),
                       (a(2, 5), i([4, 1], [0, 3])))
    with pytest.raises(ValueError):
        f(a(2, 3), mx.zeros((5, 1), mx.int32))


def test_shapeless_norms_keep_their_weights():
    r = np.random.default_rng(4)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731
    _shapeless_matches(lambda x, w: mx.fast.rms_norm(x, w, 1e-5), (a(4, 8), a(8)), (a(6, 8), a(8)))
    _shapeless_matches(lambda x, w, b: mx.fast.layer_norm(x, w, b, 1e-5), (a(4, 8), a(8), a(8)),
                       (a(1, 8), a(8), a(8)))


def test_shapeless_errors():
    f = mx.compile(lambda x: x.reshape(6, -1), shapeless=True)
    assert f(mx.zeros((2, 3, 4))).shape == (6, 4)
    assert f(mx.zeros((2, 3, 8))).shape == (6, 8)
    with pytest.raises(ValueError):
        f(mx.zeros((5, 5, 5)))
    b = mx.ones((2, 2))
    f = mx.compile(lambda x: mx.broadcast_to(x, b.shape), shapeless=True)
    assert f(mx.array([1.0, 2.0])).shape == (2, 2)
    with pytest.raises(ValueError):
        f(mx.array([1.0, 2.0, 3.0]))
    f = mx.compile(lambda x: x[1:3], shapeless=True)
    assert f(mx.arange(4)).tolist() == [1, 2]
    with pytest.raises(ValueError):
        f(mx.arange(2))


def test_outputs_keep_tuple_subclasses():
    from typing import NamedTuple

    class Pair(NamedTuple):
        a: mx.array
        b: mx.array

    class Vec(tuple):
        pass

    f = mx.compile(lambda p: Pair(p.a + 10, p.b * 10))
    out = f(Pair(mx.array([1, 2]), mx.array([3, 4])))
    assert isinstance(out, Pair)
    assert out.a.tolist() == [11, 12] and out.b.tolist() == [30, 40]
    g = mx.compile(lambda t: Vec([t[0] - 1, t[1] + 1]))
    out = g(Vec([mx.array(1), mx.array(2)]))
    assert isinstance(out, Vec) and out[0].item() == 0 and out[1].item() == 3


def test_compiled_function_reads_as_the_function():
    import inspect

    def inner(x, y: str = "a"):
        """Docs."""
        return x

    c = mx.compile(inner)
    assert c.__name__ == "inner" and c.__doc__ == "Docs."
    assert c.__qualname__ == inner.__qualname__ and c.__module__ == inner.__module__
    assert c.__wrapped__ is inner
    assert inspect.signature(c) == inspect.signature(inner)


def test_random_state_as_compiled_state():
    from functools import partial

    @partial(mx.compile, inputs=mx.random.state, outputs=mx.random.state)
    def draw():
        return mx.random.uniform(shape=(4,))

    mx.random.seed(7)
    got = [draw().tolist(), draw().tolist(), mx.random.uniform(shape=(4,)).tolist()]
    mx.random.seed(7)
    want = [mx.random.uniform(shape=(4,)).tolist() for _ in range(3)]
    assert got == want
    assert got[0] != got[1]


def test_captured_graph_of_the_argument_is_an_error():
    x = mx.array([1, 2, 3]) + 2
    with pytest.raises(ValueError):
        mx.compile(lambda a: a + (x + 1))(x)
    # an unevaluated capture that does not read the argument is fine
    w = mx.exp(mx.array([1.0]))
    assert np.allclose(mx.compile(lambda a: a + w)(mx.ones(3)), np.e + 1)


def test_scalar_broadcast_fuses_and_is_shared():
    from io import StringIO

    def fun(x, y, z):
        yy = mx.broadcast_to(y, z.shape)
        return x + yy * z, yy.sum()

    a, b, c = mx.random.normal((10, 10)), mx.array(0.1), mx.random.normal((10, 10))
    d = mx.compile(fun)(a, b, c)
    s = StringIO()
    mx.export_to_dot(s, d1=d[0], d2=d[1])
    assert "CompiledBroadcastMultiplyAdd" in s.getvalue()
    e = fun(a, b, c)
    assert np.allclose(d[0], e[0], atol=1e-6) and np.allclose(d[1], e[1], atol=1e-5)


def test_reshape_with_inferred_size_under_vmap_and_shapeless_compile():
    x = mx.arange(24, dtype=mx.float32).reshape(3, 2, 4)
    f = lambda a: a.reshape(-1, 2) * 2  # noqa: E731
    want = np.stack([np.array(f(x[i])) for i in range(3)])
    assert np.array_equal(mx.vmap(f)(x), want)
    cf = mx.compile(mx.vmap(f), shapeless=True)
    assert np.array_equal(cf(x), want)
    y = mx.arange(40, dtype=mx.float32).reshape(5, 2, 4)
    assert np.array_equal(cf(y), np.stack([np.array(f(y[i])) for i in range(5)]))


def test_shapeless_closures_over_weights():
    """Captured weights and biases spread to each call's batch (the traced
    one was 4), 1 included, as eager."""
    r = np.random.default_rng(1)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731
    w, b, s, col = a(3, 5), a(5), a(3), a(4, 1)
    _shapeless_matches(lambda x: x @ w + b, (a(4, 3),), (a(7, 3),), (a(1, 3),))
    _shapeless_matches(lambda x: x * s, (a(4, 3),), (a(7, 3),), (a(1, 3),))
    _shapeless_matches(lambda x: x + b, (a(4, 2, 5),), (a(7, 2, 5),), (a(1, 2, 5),))
    _shapeless_matches(lambda x: x + col, (a(4, 5),), (a(4, 9),), (a(4, 1),))
    mlp = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2), nn.LayerNorm(2))
    mx.eval(mlp.parameters())
    _shapeless_matches(mlp, (a(4, 3),), (a(7, 3),), (a(1, 3),), (a(2, 3),))
    _shapeless_matches(lambda x: x - x.mean(-1, keepdims=True), (a(4, 3),), (a(7, 3),), (a(1, 3),))
    _shapeless_matches(lambda x: x.var(-1, keepdims=True) * s, (a(4, 3),), (a(7, 3),), (a(1, 3),))
