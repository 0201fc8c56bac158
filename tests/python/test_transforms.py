"""Function transforms over Python callables and trees: grad, value_and_grad,
vjp, jvp, vmap, custom_function, checkpoint. Values are checked against
finite differences, Python loops and (when installed) real MLX."""
import numpy as np
import pytest

import cmlx.core as mx


def npy(tree):
    """Arrays of a tree -> NumPy (float64), keeping the structure."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(npy(t) for t in tree)
    if isinstance(tree, dict):
        return {k: npy(v) for k, v in tree.items()}
    if hasattr(tree, "shape") and hasattr(tree, "dtype"):
        return np.array(tree).astype(np.float64)
    return tree


def assert_tree_close(a, b, rtol=1e-5, atol=1e-5):
    a, b = npy(a), npy(b)
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_tree_close(x, y, rtol, atol)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_tree_close(a[k], b[k], rtol, atol)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    else:
        assert a == b


def to_module(tree, m):
    """NumPy leaves -> arrays of module m."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(to_module(t, m) for t in tree)
    if isinstance(tree, dict):
        return {k: to_module(v, m) for k, v in tree.items()}
    if isinstance(tree, np.ndarray):
        return m.array(tree)
    return tree


def mlp_params(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "layers": [
            {"w": rng.normal(size=(4, 8)).astype(np.float32) * 0.5,
             "b": rng.normal(size=(8,)).astype(np.float32) * 0.1},
            {"w": rng.normal(size=(8, 3)).astype(np.float32) * 0.5,
             "b": rng.normal(size=(3,)).astype(np.float32) * 0.1},
        ],
    }


def mlp_loss(m, params, x, y):
    h = x
    for i, layer in enumerate(params["layers"]):
        h = h @ layer["w"] + layer["b"]
        if i + 1 < len(params["layers"]):
            h = m.tanh(h)
    logits = h - m.logsumexp(h, axis=-1, keepdims=True)
    return -(logits * y).sum(axis=-1).mean()


def mlp_data(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 5)]
    return x, y


def finite_diff(f, x, eps=1e-3):
    """Central differences of scalar f at float64 NumPy x."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


# ---- grad and value_and_grad ----


def test_grad_simple_functions_against_finite_differences():
    rng = np.random.default_rng(0)
    x0 = rng.uniform(0.5, 2.0, size=(3, 4))
    cases = [
        (lambda m, x: (m.sin(x) * m.exp(x)).sum(), lambda x: (np.sin(x) * np.exp(x)).sum()),
        (lambda m, x: (x * x).mean(), lambda x: (x * x).mean()),
        (lambda m, x: m.log(x).sum() + (x @ x.T).sum(), lambda x: np.log(x).sum() + (x @ x.T).sum()),
        (lambda m, x: m.sqrt(x).max(), lambda x: np.sqrt(x).max()),
    ]
    for f, fn in cases:
        g = mx.grad(lambda x: f(mx, x))(mx.array(x0.astype(np.float32)))
        np.testing.assert_allclose(np.array(g), finite_diff(fn, x0), rtol=2e-3, atol=2e-3)


def test_grad_mlp_tree_against_finite_differences():
    params = mlp_params()
    x, y = mlp_data()
    g = mx.grad(lambda p: mlp_loss(mx, p, mx.array(x), mx.array(y)))(to_module(params, mx))
    assert isinstance(g["layers"], list) and isinstance(g["layers"][0], dict)
    w = params["layers"][1]["w"].astype(np.float64)

    def f(wv):
        p = {"layers": [params["layers"][0], dict(params["layers"][1], w=wv.astype(np.float32))]}
        return float(mlp_loss(mx, to_module(p, mx), mx.array(x), mx.array(y)).item())

    np.testing.assert_allclose(np.array(g["layers"][1]["w"]), finite_diff(f, w, 1e-2),
                               rtol=2e-2, atol=2e-3)


def test_value_and_grad_mlp_against_mlx(mlx):
    params = mlp_params()
    x, y = mlp_data()
    results = []
    for m in (mx, mlx):
        fn = m.value_and_grad(lambda p, a, b: mlp_loss(m, p, a, b))
        results.append(fn(to_module(params, m), m.array(x), m.array(y)))
    assert_tree_close(results[0], results[1])


def test_grad_of_grad():
    x = mx.array([0.3, 1.1, -2.0])
    d2 = mx.grad(lambda x: mx.grad(lambda y: mx.sin(y).sum())(x).sum())(x)
    np.testing.assert_allclose(np.array(d2), -np.sin(np.array(x)), rtol=1e-5)
    d3 = mx.grad(lambda x: mx.grad(lambda x: mx.grad(lambda y: (y * y * y * y).sum())(x).sum())(x).sum())(x)
    np.testing.assert_allclose(np.array(d3), 24 * np.array(x), rtol=1e-5)


def argnum_cases(m):
    x, y, z = m.array([1.0, 2.0]), m.array([3.0, -1.0]), m.array(0.5)

    def f(a, b, c=None, d=None):
        r = (a * a * b).sum()
        if c is not None:
            r = r + (c * a).sum()
        if d is not None:
            r = r + (d["k"][0] * b).sum()
        return r

    return [
        m.grad(f)(x, y),
        m.grad(f, argnums=1)(x, y),
        m.grad(f, argnums=(1, 0))(x, y),
        m.grad(f, argnums=[0, 1])(x, y),
        m.grad(f, argnames="c")(x, y, c=z),
        m.grad(f, argnames=["c", "d"])(x, y, d={"k": [z]}, c=z),
        m.grad(f, argnames=["c"])(x, y, d={"k": [z, "s"]}, c=z),
        m.grad(f, argnums=0, argnames="d")(x, y, d={"k": [z]}),
        m.value_and_grad(f, argnums=(0, 1), argnames=("c",))(x, y, c=z),
        m.grad(f, argnums=True)(x, y),
        m.grad(f, argnums=1)(x, y, None),  # a non-array argument passes through
    ]


def test_argnums_argnames_against_mlx(mlx):
    assert_tree_close(argnum_cases(mx), argnum_cases(mlx))


def test_argnums_argnames_values():
    x, y = mx.array([1.0, 2.0]), mx.array([3.0, -1.0])
    gx, gy = mx.grad(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(np.array(gx), [6.0, -4.0])
    np.testing.assert_allclose(np.array(gy), [1.0, 4.0])
    pos, kw = mx.grad(lambda a, *, s: (a * s).sum(), argnames="s")(x, s=y)
    assert pos is None and list(kw) == ["s"]
    np.testing.assert_allclose(np.array(kw["s"]), [1.0, 2.0])


def aux_cases(m):
    x = m.array([1.0, 2.0, 3.0])

    def f(x):
        loss = (x * x).sum()
        return loss, x * 2, {"n": 3, "s": [x.sum(), None]}

    return [m.value_and_grad(f)(x), m.value_and_grad(lambda x: (x.sum(),))(x)]


def test_aux_outputs_against_mlx(mlx):
    assert_tree_close(aux_cases(mx), aux_cases(mlx))


def test_aux_outputs():
    (loss, twice, extra), g = aux_cases(mx)[0]
    assert loss.item() == 14.0
    np.testing.assert_allclose(np.array(twice), [2, 4, 6])
    assert extra["n"] == 3 and extra["s"][1] is None
    np.testing.assert_allclose(np.array(g), [2, 4, 6])


def test_grad_dtypes():
    g = mx.grad(lambda x: (x * x).sum())(mx.array([1.0, 2.0], dtype=mx.float16))
    assert g.dtype == mx.float16
    np.testing.assert_allclose(np.array(g), [2, 4])
    g = mx.grad(lambda x: x.sum() * 0 + mx.array(1.0))(mx.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(np.array(g), [[0], [0]])


# ---- vjp and jvp ----


def vjp_jvp_cases(m):
    x = m.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]])
    y = m.array([1.0, 2.0, 3.0])
    ct = m.array([[1.0, 2.0, -1.0], [0.5, 0.5, 0.5]])
    return [
        m.vjp(lambda a: m.sin(a) * a, [x], [ct]),
        m.vjp(lambda a, b: (a * b, a + b), (x, y), (ct, ct)),
        m.vjp(lambda a, b: [m.exp(a).sum(axis=0) * b], [x, y], [y]),
        m.jvp(lambda a: m.sin(a) * a, [x], [ct]),
        m.jvp(lambda a, b: (a @ b, (a * a).sum()), (x, y), (ct, y)),
    ]


def test_vjp_jvp_against_mlx(mlx):
    assert_tree_close(vjp_jvp_cases(mx), vjp_jvp_cases(mlx))


def test_vjp_jvp_values():
    x = mx.array([0.5, -1.0, 2.0])
    outs, vjps = mx.vjp(mx.sin, [x], [mx.ones(3)])
    assert isinstance(outs, list) and isinstance(vjps, list)
    np.testing.assert_allclose(np.array(vjps[0]), np.cos(np.array(x)), rtol=1e-6)
    outs, jvps = mx.jvp(lambda a: a * a, [x], [mx.array([1.0, 0.0, 2.0])])
    np.testing.assert_allclose(np.array(jvps[0]), [1.0, 0.0, 8.0])
    outs, vjps = mx.vjp(fun=lambda a: a * 3, primals=[x], cotangents=[x])
    np.testing.assert_allclose(np.array(vjps[0]), 3 * np.array(x))


# ---- vmap ----


def test_vmap_against_loops():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=(3, 4)).astype(np.float32)
    c = rng.normal(size=(3,)).astype(np.float32)

    # in_axes tree over (array, dict of arrays, unmapped)
    f = mx.vmap(lambda x, d, z: (x * d["u"] + z, {"s": (x * z).sum()}),
                in_axes=(0, {"u": 1}, None), out_axes=(1, {"s": 0}))
    out, extra = f(mx.array(a), {"u": mx.array(b)}, mx.array(c))
    for i in range(4):
        np.testing.assert_allclose(np.array(out)[:, i], a[i] * b[:, i] + c, rtol=1e-5)
        np.testing.assert_allclose(np.array(extra["s"])[i], (a[i] * c).sum(), rtol=1e-5)

    # one argument: the axes tree is that argument's tree
    g = mx.vmap(lambda l: l[0] @ l[1], in_axes=[0, 1])
    r = g([mx.array(a), mx.array(b)])
    np.testing.assert_allclose(np.array(r), [a[i] @ b[:, i] for i in range(4)], rtol=1e-5)

    # negative axes, and an output independent of the mapped input
    h = mx.vmap(lambda x, z: (x.sum(), z * 2), in_axes=(-1, None), out_axes=-1)
    s, z2 = h(mx.array(b), mx.array(c))
    np.testing.assert_allclose(np.array(s), b.sum(axis=0), rtol=1e-5)
    assert z2.shape == (3, 4)
    np.testing.assert_allclose(np.array(z2), np.repeat((2 * c)[:, None], 4, axis=1))


def test_nested_vmap():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4)).astype(np.float32)
    b = rng.normal(size=(5, 4)).astype(np.float32)
    dots = mx.vmap(mx.vmap(lambda x, y: (x * y).sum(), in_axes=(None, 0)), in_axes=(0, None))
    np.testing.assert_allclose(np.array(dots(mx.array(a), mx.array(b))), a @ b.T, rtol=1e-5)


def vmap_cases(m):
    x = m.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10)
    y = m.array(np.arange(12, dtype=np.float32).reshape(3, 4))
    return [
        m.vmap(lambda a: m.exp(a).sum(axis=0))(x),
        m.vmap(lambda a, b: a * b, in_axes=(1, 0))(x, y),
        m.vmap(lambda a: [a, {"t": a.T}], out_axes=[0, {"t": 2}])(x),
        m.vmap(lambda a: a * 2, in_axes=(2,), out_axes=(1,))(x),
        m.vmap(lambda a, b: a + b, in_axes=(0, 1))(y, y.T),
        m.vmap(lambda t: t[0] + t[1], in_axes=(0, 1))((y, y.T)),
    ]


def test_vmap_against_mlx(mlx):
    assert_tree_close(vmap_cases(mx), vmap_cases(mlx))


def test_vmap_of_grad_and_grad_of_vmap():
    rng = np.random.default_rng(2)
    xs = rng.uniform(-1, 1, size=(5, 3)).astype(np.float32)
    f = lambda x: (mx.sin(x) * x).sum()
    per = mx.vmap(mx.grad(f))(mx.array(xs))
    loop = np.stack([np.array(mx.grad(f)(mx.array(r))) for r in xs])
    np.testing.assert_allclose(np.array(per), loop, rtol=1e-5)
    g = mx.grad(lambda x: mx.vmap(lambda r: (r * r).sum() * r[0])(x).sum())(mx.array(xs))
    expected = 2 * xs * xs[:, :1]
    expected[:, 0] += (xs * xs).sum(axis=1)
    np.testing.assert_allclose(np.array(g), expected, rtol=1e-5)


# ---- custom_function and checkpoint ----


def test_custom_vjp_used_by_grad():
    calls = []

    @mx.custom_function
    def f(x, y):
        return mx.sin(x) * y

    @f.vjp
    def f_vjp(primals, cotangent, output):
        x, y = primals
        calls.append(output)
        # deliberately not the true derivative, to see it used
        return 2 * cotangent, 3 * cotangent

    x, y = mx.array([0.1, 0.2]), mx.array([1.0, 2.0])
    np.testing.assert_allclose(np.array(f(x, y)), np.sin([0.1, 0.2]) * [1, 2], rtol=1e-6)
    gx, gy = mx.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(np.array(gx), [2, 2])
    np.testing.assert_allclose(np.array(gy), [3, 3])
    assert len(calls) == 1 and isinstance(calls[0], mx.array)


def test_custom_vjp_trees_and_jvp():
    @mx.custom_function
    def f(d):
        return {"p": d["a"] * d["b"], "q": [d["a"] + 1]}

    @f.vjp
    def f_vjp(d, cot, out):
        assert set(cot) == {"p", "q"} and isinstance(cot["q"], list)
        assert isinstance(out["p"], mx.array)
        return {"a": cot["p"] * 10, "b": cot["q"][0] * 0}

    @f.jvp
    def f_jvp(d, t):
        return {"p": t["a"] * 100, "q": [t["b"]]}

    d = {"a": mx.array([1.0, 2.0]), "b": mx.array([3.0, 4.0])}
    g = mx.grad(lambda d: f(d)["p"].sum() + f(d)["q"][0].sum())(d)
    np.testing.assert_allclose(np.array(g["a"]), [10, 10])
    np.testing.assert_allclose(np.array(g["b"]), [0, 0])
    _, jv = mx.jvp(lambda a, b: f({"a": a, "b": b})["p"], [d["a"], d["b"]],
                   [mx.ones(2), mx.ones(2)])
    np.testing.assert_allclose(np.array(jv[0]), [100, 100])


def test_custom_function_without_rules_and_vmap():
    f = mx.custom_function(lambda x: x * 2)
    np.testing.assert_allclose(np.array(f(mx.array([1.0]))), [2.0])

    @mx.custom_function
    def g(x):
        return mx.exp(x)

    @g.vmap
    def g_vmap(x, ax):
        return mx.exp(x), ax

    xs = mx.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(np.array(mx.vmap(g)(xs)), np.exp(np.array(xs)), rtol=1e-6)
    np.testing.assert_allclose(np.array(mx.grad(lambda x: g(x).sum())(xs)),
                               np.exp(np.array(xs)), rtol=1e-6)


def test_checkpoint_gives_equal_gradients():
    params = mlp_params()
    x, y = mlp_data()
    p = to_module(params, mx)
    plain = mx.value_and_grad(lambda p: mlp_loss(mx, p, mx.array(x), mx.array(y)))(p)
    ck = mx.checkpoint(lambda p, a, b: mlp_loss(mx, p, a, b))
    cked = mx.value_and_grad(lambda p: ck(p, mx.array(x), b=mx.array(y)))(p)
    assert_tree_close(plain, cked)
    out = mx.checkpoint(lambda a, b=2: ({"o": a * b}, "tag"))(mx.array([1.0, 2.0]), b=mx.array(3.0))
    assert out[1] == "tag"
    np.testing.assert_allclose(np.array(out[0]["o"]), [3.0, 6.0])


# ---- exceptions ----


class Boom(Exception):
    pass


def raiser(*args, **kwargs):
    raise Boom("inside")


@pytest.mark.parametrize("call", [
    lambda x: mx.grad(raiser)(x),
    lambda x: mx.value_and_grad(raiser)(x),
    lambda x: mx.vjp(raiser, [x], [x]),
    lambda x: mx.jvp(raiser, [x], [x]),
    lambda x: mx.vmap(raiser)(x),
    lambda x: mx.checkpoint(raiser)(x),
    lambda x: mx.grad(lambda y: mx.grad(raiser)(y))(x),
    lambda x: mx.vmap(mx.grad(raiser))(x),
    lambda x: mx.grad(lambda y: mx.checkpoint(raiser)(y).sum())(x),
])
def test_exceptions_propagate_unchanged(call):
    with pytest.raises(Boom) as info:
        call(mx.array([1.0, 2.0]))
    assert str(info.value) == "inside"


def test_exception_object_is_the_same_and_custom_vjp_errors():
    err = Boom("same object")

    def f(x):
        raise err

    with pytest.raises(Boom) as info:
        mx.grad(f)(mx.array(1.0))
    assert info.value is err

    @mx.custom_function
    def g(x):
        return x * 2

    @g.vjp
    def g_vjp(x, c, o):
        raise ValueError("Abort!")

    assert g(mx.array(2.0)).item() == 4.0
    with pytest.raises(ValueError, match="Abort!"):
        mx.grad(lambda x: g(x))(mx.array(2.0))
    # the transforms still work afterwards
    assert mx.grad(lambda x: x * x)(mx.array(3.0)).item() == 6.0


# ---- wrong calls ----


def wrong_calls(m):
    x = m.array([1.0, 2.0, 3.0])
    s = lambda a: (a * a).sum()
    return [
        lambda: m.grad(lambda a: a * a)(x),
        lambda: m.grad(lambda a: a[:1] * 2)(x),
        lambda: m.grad(lambda a: 1.0)(x),
        lambda: m.grad(lambda a: (s(a), a))(x),
        lambda: m.value_and_grad(lambda a: [s(a)])(x),
        lambda: m.value_and_grad(lambda a: ())(x),
        lambda: m.value_and_grad(lambda a: (1, a))(x),
        lambda: m.grad(s, argnums=-1),
        lambda: m.grad(lambda a, b: s(a), argnums=(0, 1, 1)),
        lambda: m.grad(s, argnums=()),
        lambda: m.grad(s, argnums=1)(x),
        lambda: m.grad(lambda a, y=None: s(a), argnames=["w"])(x, y=x, z=1),
        lambda: m.grad(lambda p: s(p[0]))([x, 3]),
        lambda: m.grad(s)(2.0),
        lambda: m.vjp(lambda a, b: [a, b], (x, x), (x,)),
        lambda: m.vjp(lambda a: a * 2, [x], [m.ones(2)]),
        lambda: m.jvp(lambda a, b: a * b, [x, x], [x]),
        lambda: m.jvp(lambda a: a * 2, [x], [m.ones(2)]),
        lambda: m.vmap(lambda a: a, in_axes=2)(m.ones((2, 3))),
        lambda: m.vmap(lambda a: a, out_axes=2)(m.ones((2, 3))),
        lambda: m.vmap(lambda a: a)(m.array(1.0)),
        lambda: m.vmap(lambda a, b: a + b)(m.ones((2, 3)), m.ones((3, 3))),
        lambda: m.vmap(lambda a, b: a * b)(m.ones((2, 3)), 2),
        lambda: m.vmap(lambda a: 2)(m.ones((2, 3))),
        lambda: m.vmap(lambda a, b: a + b, in_axes=(0,))(x, x),
        lambda: m.vmap(lambda a: a, in_axes="a")(x),
        lambda: m.vmap(lambda a, b: a, in_axes=(None, None))(x, x),
        lambda: m.vmap(lambda a: a)(a=x),
        lambda: m.vmap(lambda: m.ones(3))(),
        lambda: m.vmap(lambda a, b: a["x"], in_axes=({"y": 0}, 0))({"x": x}, x),
        lambda: m.vmap(lambda a: (a, [a]), out_axes=(1,))(m.ones((2, 3))),
        lambda: m.value_and_grad(lambda p: m.array(1.0))([]),
        lambda: m.grad(3),
        lambda: m.grad(s, argnums="a"),
        lambda: m.grad(s, argnames=1),
        lambda: m.vjp(lambda a: a, [1.0], [x]),
        lambda: m.checkpoint(3),
        lambda: m.custom_function(3),
        lambda: m.vmap(s, in_axes=None),
    ]


def test_wrong_calls_raise_mlx_types_and_messages(mlx):
    ours, theirs = wrong_calls(mx), wrong_calls(mlx)
    # nanobind's argument-type errors print its own signature text; for those
    # the type is compared, elsewhere the message too
    type_only = {32, 33, 34, 35, 36, 37, 38}
    for i, (a, b) in enumerate(zip(ours, theirs)):
        with pytest.raises(Exception) as ea:
            a()
        with pytest.raises(Exception) as eb:
            b()
        assert type(ea.value) is type(eb.value), (i, ea.value, eb.value)
        if i not in type_only:
            assert str(ea.value) == str(eb.value), (i, str(ea.value), str(eb.value))


def test_vjp_output_must_be_arrays():
    # ValueError as MLX's export_function (MLX's vjp fails with bad_cast)
    with pytest.raises(ValueError):
        mx.vjp(lambda a: {"a": a}, [mx.array(1.0)], [mx.array(1.0)])
    with pytest.raises(ValueError):
        mx.vjp(lambda a: 1.0, [mx.array(1.0)], [mx.array(1.0)])


def test_vmap_out_axes_none_for_an_unmapped_output(mlx):
    # MLX puts the broadcast axis last for an unmapped output with out axis None
    def run(m):
        return m.vmap(lambda a, b: (a * 2, b * 2), in_axes=(0, None), out_axes=(0, None))(
            m.array([1.0, 2.0, 3.0]), m.ones((2,)))
    assert_tree_close(run(mx), run(mlx))


def test_transforms_in_threads():
    import threading
    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(30):
                x = rng.normal(size=(8,)).astype(np.float32)
                g = mx.grad(lambda a: (mx.sin(a) * a).sum())(mx.array(x))
                np.testing.assert_allclose(np.array(g), np.cos(x) * x + np.sin(x),
                                           rtol=1e-5, atol=1e-6)
                with pytest.raises(Boom):
                    mx.vmap(raiser)(mx.array(x))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_transformed_function_keeps_the_function():
    f = lambda x: x.sum()
    assert mx.grad(f).__wrapped__ is f
    assert mx.vmap(f).__wrapped__ is f


def custom_cases(m):
    @m.custom_function
    def f(x, y, scale=None):
        return m.sin(x) * y * scale, x + y

    @f.vjp
    def f_vjp(primals, cotangents, outputs, scale=None):
        x, y = primals
        cp, cs = cotangents
        return cp * m.cos(x) * y * scale + cs + outputs[1], cp * m.sin(x) * scale + cs

    x, y, s = m.array([0.1, 0.7]), m.array([2.0, -1.0]), m.array(3.0)
    loss = lambda x, y: (f(x, y, scale=s)[0] * f(x, y, scale=s)[1]).sum()
    return [f(x, y, scale=s), m.grad(loss, argnums=(0, 1))(x, y),
            m.vjp(lambda a, b: f(a, b, scale=s), [x, y], [m.ones(2), m.ones(2)])]


def test_custom_function_against_mlx(mlx):
    assert_tree_close(custom_cases(mx), custom_cases(mlx))


def test_undifferentiated_arguments_pass_through_untouched():
    class Box(dict):
        pass

    seen = []

    def f(x, box, *, tag):
        seen.append((type(box), tag))
        return mx.sum(x * box["w"])

    box = Box(w=mx.array([2.0, 3.0]))
    tag = object()
    v, g = mx.value_and_grad(f)(mx.array([1.0, 1.0]), box, tag=tag)
    assert seen[-1][0] is Box and seen[-1][1] is tag
    assert v.item() == 5.0
    assert g.tolist() == [2.0, 3.0]


def _loop(f, args, axes):
    """f applied slice by slice along axes (None: passed whole), stacked."""
    n = [a.shape[ax] for a, ax in zip(args, axes) if ax is not None][0]
    outs = []
    for i in range(n):
        sl = [a if ax is None else mx.take(a, i, axis=ax) for a, ax in zip(args, axes)]
        outs.append(f(*sl))
    if isinstance(outs[0], (list, tuple)):
        return tuple(mx.stack([o[k] for o in outs]) for k in range(len(outs[0])))
    return mx.stack(outs)


@pytest.mark.parametrize(
    "axes,shapes",
    [((0, None), ((2, 3), ())), ((1, None), ((2, 3), ())), ((0, 0), ((3, 4), (3,))),
     ((2, 0), ((2, 3, 4), (4,))), ((0, 0), ((2, 3, 4), (2,)))],
)
def test_vmap_gather_with_0d_indices_against_loop(axes, shapes):
    r = np.random.default_rng(3)
    a = mx.array(r.standard_normal(shapes[0]).astype(np.float32))
    hi = shapes[0][1] if axes[0] == 0 else shapes[0][0]
    idx = mx.array(r.integers(0, min(hi, 2), size=shapes[1]).astype(np.int32))
    f = lambda x, i: x[i]  # noqa: E731
    got = mx.vmap(f, axes)(a, idx)
    want = _loop(f, (a, idx), axes)
    assert got.shape == want.shape and np.allclose(got, want)


def test_vmap_scatter_against_loop():
    def put(a, idx, upd):
        a = a + 0  # the loop below must not write into the shared argument
        a[idx] = upd
        return a

    def add_at(a, idx):
        return a.at[idx].add(mx.array(1.0))

    a = mx.zeros((3, 4))
    idx = mx.array([0, 1, 2])
    upd = mx.array([1.0, 2.0, 3.0])
    for axes in [(0, 0, 0), (None, 0, 0), (None, 0, None), (0, None, 0), (1, None, None)]:
        args = (a if axes[0] != 1 else mx.zeros((4, 3)), idx if axes[1] == 0 else mx.array(1),
                upd if axes[2] == 0 else mx.array(5.0))
        got = mx.vmap(put, axes)(*args)
        assert np.array_equal(got, _loop(put, args, axes)), axes
    b = mx.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]])
    assert mx.vmap(add_at, (0, None))(b, mx.array(0)).tolist() == [[2, 2, 3], [3, 3, 4]]
    assert mx.vmap(add_at, (1, None), 1)(b, mx.array(0)).tolist() == [[2, 3, 4], [2, 3, 4]]


def _cumprod_jacobian(x, reverse, inclusive):
    """d y_i / d x_k of the cumulative product, by products (no division)."""
    n = len(x)
    J = np.zeros((n, n))
    for i in range(n):
        if reverse:
            idx = list(range(i if inclusive else i + 1, n))
        else:
            idx = list(range(0, i + 1 if inclusive else i))
        for k in idx:
            J[i, k] = np.prod([x[j] for j in idx if j != k])
    return J


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [True, False])
def test_cumprod_derivatives_with_zeros(reverse, inclusive):
    t = np.array([0.3, -1.0, 2.0, 0.5, 1.5], np.float32)
    for x in ([2.0, 1.0, 2.0, 2.0, 3.0], [2.0, 0.0, 2.0, 2.0, 3.0], [2.0, 0.0, 2.0, 0.0, 3.0],
              [0.0, 0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 0.0]):
        J = _cumprod_jacobian(x, reverse, inclusive)
        f = lambda y: mx.cumprod(y, reverse=reverse, inclusive=inclusive)  # noqa: E731
        xa = mx.array(np.array(x, np.float32))
        _, (jt,) = mx.jvp(f, [xa], [mx.array(t)])
        _, (gt,) = mx.vjp(f, [xa], [mx.array(t)])
        assert np.allclose(jt, J @ t, atol=1e-5), (x, np.array(jt), J @ t)
        assert np.allclose(gt, J.T @ t, atol=1e-5), (x, np.array(gt), J.T @ t)
    # along an axis of a matrix, against the same reference row by row
    x = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0]], np.float32)
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    g = mx.grad(lambda a: (mx.cumprod(a, axis=1, reverse=reverse, inclusive=inclusive) * mx.array(w)).sum())(mx.array(x))
    want = np.stack([_cumprod_jacobian(r, reverse, inclusive).T @ wr for r, wr in zip(x, w)])
    assert np.allclose(g, want)


def test_grad_function_sees_the_callers_containers():
    model = [mx.array(0.0), mx.array(1.0)]

    def f(m):
        assert m is model
        m[1] = mx.array(2.0)
        return m[0] * 3

    assert mx.grad(f)(model)[0].item() == 3.0
    assert model[0].item() == 0.0 and model[1].item() == 2.0  # tracer put back, store kept
    d = {"a": mx.array(1.0)}

    def g(x):
        x["b"] = 3
        return x["a"] * 2

    assert mx.grad(g)(d)["a"].item() == 2.0 and d["b"] == 3 and d["a"].item() == 1.0
    m = [mx.array(1.5)]

    def h(x):
        x[0] = x[0] * 2
        return x[0].sum()

    assert mx.grad(h)(m)[0].item() == 2.0 and m[0].item() == 3.0


def test_custom_function_vmap_rule():
    my_exp = mx.custom_function(mx.exp)
    assert np.allclose(mx.vmap(my_exp)(mx.ones(3)), np.exp(1.0))

    @my_exp.vmap
    def rule(x, axis):
        return mx.ones_like(x) * 3, axis

    assert mx.vmap(my_exp)(mx.ones(4)).tolist() == [3.0] * 4
    assert mx.vmap(my_exp, in_axes=1, out_axes=1)(mx.ones((2, 3))).tolist() == [[3.0] * 3] * 2
    seen = []
    f = mx.custom_function(lambda a, b: a * b)

    @f.vmap
    def rule2(inputs, axes):
        seen.append(axes)
        a, b = inputs
        return a * b + 1, 0

    out = mx.vmap(f, in_axes=(1, None))(mx.ones((2, 3)), mx.array(2.0))
    assert seen == [(1, None)]
    # the rule gets the batched input as is and says where the batch is
    assert out.shape == (2, 3)

    g = mx.custom_function(lambda d: {"y": d["x"] * 2, "s": d["x"].sum()})

    @g.vmap
    def rule3(inputs, axes):
        return {"y": inputs["x"] * 5, "s": inputs["x"].sum(axes["x"] + 1)}, {"y": axes["x"], "s": 0}

    r = mx.vmap(g)({"x": mx.ones((3, 2))})
    assert r["y"].tolist() == [[5.0, 5.0]] * 3 and r["s"].tolist() == [2.0] * 3

    bad = mx.custom_function(lambda x: x)

    @bad.vmap
    def rule4(x, axis):
        return x

    with pytest.raises(ValueError):
        mx.vmap(bad)(mx.ones(3))


def test_eval_inside_vmap_or_compile_is_an_error_but_not_inside_grad():
    def f(x):
        y = x * 2
        mx.eval(y)
        return y.sum()

    def g(x):
        return mx.array((x * 2).tolist()).sum() + x.sum() * 0

    for t in (mx.vmap, mx.compile):
        with pytest.raises(ValueError, match="eval"):
            t(f)(mx.ones((3, 2)))
    with pytest.raises(ValueError, match="eval"):
        mx.vmap(g)(mx.ones((3, 2)))
    assert np.array_equal(mx.grad(f)(mx.ones((3, 2))), np.full((3, 2), 2.0))


def test_vmap_out_axes_none_for_a_mapped_output_raises():
    x = mx.ones((3, 2))
    with pytest.raises(ValueError):
        mx.vmap(lambda a: (a * 2, a + 1), out_axes=(0, None))(x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a * 2, out_axes=(None,))(x)
    a, b = mx.vmap(lambda a: (a * 2, mx.ones(2)), out_axes=(0, None))(x)
    assert a.shape == (3, 2) and b.shape == (2, 3)  # as MLX: the batch last


def test_vmap_conv_quantize_view_searchsorted_against_loops():
    r = np.random.default_rng(5)
    a = lambda *s: mx.array(r.standard_normal(s).astype(np.float32))  # noqa: E731

    def check(f, args, axes):
        got = mx.vmap(f, in_axes=axes)(*args)
        want = _loop(f, args, axes)
        got = got if isinstance(got, (list, tuple)) else [got]
        want = want if isinstance(want, (list, tuple)) else [want]
        for g, w in zip(got, want):
            assert g.shape == w.shape and np.allclose(g, w, atol=1e-4)

    x, w = a(3, 2, 8, 4), a(3, 5, 3, 4)
    check(lambda x, w: mx.conv1d(x, w, stride=2, padding=1), (x, w), (0, 0))
    check(lambda x, w: mx.conv1d(x, w, padding=1), (x, w[0]), (0, None))
    check(lambda x, w: mx.conv1d(x, w), (x[0], w), (None, 0))
    check(lambda x, w: mx.conv1d(x, w, groups=2), (a(2, 2, 7, 4), a(2, 6, 3, 2)), (0, 0))
    check(lambda x, w: mx.conv2d(x, w, padding=1), (a(2, 1, 5, 5, 3), a(4, 3, 3, 3)), (0, None))
    check(lambda x, w: mx.conv2d(x, w), (a(1, 4, 4, 3), a(2, 4, 2, 2, 3)), (None, 0))
    # as a loop of single convolutions (batch over axis 1 of the input too)
    xs = a(2, 3, 6, 4)
    check(lambda x, w: mx.conv1d(x, w), (xs, w[0]), (1, None))
    check(lambda x: mx.quantize(x, group_size=32, bits=4), (a(3, 8, 64),), (0,))
    q = mx.quantize(a(3, 8, 64), group_size=32, bits=4)
    dq = lambda wq, s, b: mx.dequantize(wq, s, b, group_size=32, bits=4)  # noqa: E731
    check(dq, q, (0, 0, 0))
    check(dq, (q[0], q[1][0], q[2][0]), (0, None, None))
    check(lambda v: v.view(mx.int16), (a(3, 4),), (0,))
    check(lambda v: v.view(mx.uint8), (a(4, 3),), (1,))
    srt = mx.array([0.0, 1.0, 2.0, 5.0])
    check(lambda s, v: mx.searchsorted(s, v), (srt, a(3, 4) * 3), (None, 0))
    check(lambda s, v: mx.searchsorted(s, v, side="right"), (srt, mx.round(a(4, 3) * 3)), (None, 1))
    with pytest.raises(ValueError, match="sorted sequence"):
        mx.vmap(lambda s, v: mx.searchsorted(s, v))(mx.ones((3, 4)), mx.ones((3, 2)))


def test_vmap_of_primitives_without_a_batched_rule_loops():
    # samplers with mapped parameters or keys, and MaskedScatter, run once per
    # batch entry: the values a Python loop gives (and MLX's, bit for bit)
    k = mx.random.key(0)
    lo = mx.array([[0.0], [1.0], [-2.0]])
    got = mx.vmap(lambda l: mx.random.uniform(l, 2.0, shape=(2,), key=k))(lo)
    want = mx.stack([mx.random.uniform(lo[i], 2.0, shape=(2,), key=k) for i in range(3)])
    assert mx.array_equal(got, want)
    keys = mx.random.split(mx.random.key(1), 4)
    for f in (lambda kk: mx.random.normal((3,), key=kk),
              lambda kk: mx.random.randint(0, 10, (5,), key=kk),
              lambda kk: mx.random.gumbel((3,), key=kk),
              lambda kk: mx.random.bernoulli(mx.array([0.1, 0.5, 0.9]), key=kk)):
        got = mx.vmap(f)(keys)
        assert mx.array_equal(got, mx.stack([f(keys[i]) for i in range(4)]))

    def scatter(x, m, v):
        y = x + 0
        y[m] = v
        return y

    x = mx.zeros((3, 4))
    msk = mx.array([[True, False, True, False], [False, True, True, True], [False] * 4])
    v = mx.arange(12.0).reshape(3, 4)
    got = mx.vmap(scatter)(x, msk, v)
    assert mx.array_equal(got, mx.stack([scatter(x[i], msk[i], v[i]) for i in range(3)]))
    with pytest.raises((ValueError, IndexError)):  # an empty mapped axis
        mx.vmap(lambda kk: mx.random.normal((3,), key=kk))(mx.zeros((0, 2), mx.uint32))


def test_vmap_of_samplers_matches_mlx():
    mlx = pytest.importorskip("mlx.core")
    keys = np.array(mx.random.split(mx.random.key(1), 4))
    got = mx.vmap(lambda kk: mx.random.normal((3,), key=kk))(mx.array(keys))
    want = mlx.vmap(lambda kk: mlx.random.normal((3,), key=kk))(mlx.array(keys))
    assert np.array_equal(np.array(got), np.array(want))
    lo = np.array([[0.0], [1.0], [-2.0]], np.float32)
    got = mx.vmap(lambda l: mx.random.uniform(l, 2.0, (2,), key=mx.random.key(0)))(mx.array(lo))
    want = mlx.vmap(lambda l: mlx.random.uniform(l, 2.0, (2,), key=mlx.random.key(0)))(
        mlx.array(lo))
    assert np.array_equal(np.array(got), np.array(want))
    # ToFP8 maps (a rule MLX lacks): each row as the loop gives it
    x = mx.array([[0.5, -3.0, 100.0], [1e-3, 7.0, -0.25]])
    got = mx.vmap(lambda v: mx.to_fp8(v))(x)
    assert mx.array_equal(got, mx.stack([mx.to_fp8(x[0]), mx.to_fp8(x[1])]))
