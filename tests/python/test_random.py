"""cmlx.core.random: the same key gives the same values as real MLX (bit
for bit where MLX's CPU kernels are reproduced exactly), the global key
state behaves as MLX's, and the samples have the right distribution."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import (check, close_outcome, param_kinds, same_outcome, to_numpy)

SAMPLERS = {
    "split": lambda m, k: m.random.split(k),
    "split3": lambda m, k: m.random.split(k, num=3),
    "uniform": lambda m, k: m.random.uniform(shape=(3, 5), key=k),
    "uniform_range": lambda m, k: m.random.uniform(-2, m.array([1.0, 5.0]), (4, 2), key=k),
    "uniform_f16": lambda m, k: m.random.uniform(0, 1, (7,), m.float16, key=k),
    "uniform_bf16": lambda m, k: m.random.uniform(shape=(7,), dtype=m.bfloat16, key=k),
    "uniform_scalar": lambda m, k: m.random.uniform(key=k),
    "normal": lambda m, k: m.random.normal((4, 3), key=k),
    "normal_f16": lambda m, k: m.random.normal((5,), m.float16, key=k),
    "normal_loc_scale": lambda m, k: m.random.normal((3,), loc=1.5, scale=2.0, key=k),
    "normal_array_loc": lambda m, k: m.random.normal((2, 3), loc=m.array([0.0, 1.0, 2.0]),
                                                     key=k),
    "randint": lambda m, k: m.random.randint(0, 10, (20,), key=k),
    "randint_neg": lambda m, k: m.random.randint(-5, m.array([3, 100]), (3, 2), key=k),
    "randint_u8": lambda m, k: m.random.randint(0, 200, (9,), m.uint8, key=k),
    "randint_i64": lambda m, k: m.random.randint(-3, 3, (9,), dtype=m.int64, key=k),
    "bernoulli": lambda m, k: m.random.bernoulli(0.3, (12,), key=k),
    "bernoulli_p": lambda m, k: m.random.bernoulli(m.array([0.1, 0.9]), key=k),
    "bernoulli_default": lambda m, k: m.random.bernoulli(key=k),
    "truncated_normal": lambda m, k: m.random.truncated_normal(-1, 1, (8,), key=k),
    "truncated_normal_arr": lambda m, k: m.random.truncated_normal(
        m.array([-2.0, 0.0]), 1.0, key=k),
    "gumbel": lambda m, k: m.random.gumbel((6,), key=k),
    "gumbel_f16": lambda m, k: m.random.gumbel((3, 2), m.float16, key=k),
    "laplace": lambda m, k: m.random.laplace((6,), key=k),
    "laplace_loc": lambda m, k: m.random.laplace((4,), loc=1.0, scale=0.5, key=k),
    "categorical": lambda m, k: m.random.categorical(m.array([[0.1, 2.0, -1.0], [1, 1, 1]]),
                                                     key=k),
    "categorical_axis0": lambda m, k: m.random.categorical(m.array([[0.1, 2.0], [1, -1]]), 0,
                                                           key=k),
    "categorical_num": lambda m, k: m.random.categorical(m.array([[0.1, 2.0, -1.0]] * 2),
                                                         num_samples=6, key=k),
    "categorical_shape": lambda m, k: m.random.categorical(m.array([[0.1, 2.0, -1.0]] * 2),
                                                           shape=(4, 2), key=k),
    "permutation": lambda m, k: m.random.permutation(10, key=k),
    "permutation_array": lambda m, k: m.random.permutation(m.arange(12).reshape(4, 3), key=k),
    "permutation_axis": lambda m, k: m.random.permutation(m.arange(12).reshape(4, 3), axis=1,
                                                          key=k),
    "multivariate_normal": lambda m, k: m.random.multivariate_normal(
        m.array([0.0, 1.0]), m.array([[1.0, 0.5], [0.5, 2.0]]), (3,), key=k),
}
BITWISE = set(SAMPLERS) - {"multivariate_normal"}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_same_key_same_values_as_mlx(name, seed, mlx):
    def fn(m):
        return SAMPLERS[name](m, m.random.key(seed))
    if name in BITWISE:
        same_outcome(fn, mlx)
    else:  # an SVD in between: float32 rounding
        close_outcome(fn, mlx, rtol=1e-5)


def test_key_and_split_layout(mlx):
    check(mx.random.key(5), [0, 5], mx.uint32)
    check(mx.random.key(2**33 + 1), [2, 1], mx.uint32)
    k = mx.random.key(1)
    assert mx.random.split(k).shape == (2, 2)
    assert mx.random.split(k, 0).shape == (0, 2)
    np.testing.assert_array_equal(to_numpy(mx.random.split(k, 3)),
                                  np.array(mlx.random.split(mlx.random.key(1), 3)))


def test_seed_drives_the_global_key_like_mlx(mlx):
    for m in (mx, mlx):
        m.random.seed(42)
    for draw in [lambda m: m.random.uniform(shape=(4,)), lambda m: m.random.normal((3,)),
                 lambda m: m.random.randint(0, 100, (5,)), lambda m: m.random.bernoulli(),
                 lambda m: m.random.permutation(6), lambda m: m.random.gumbel((2,))]:
        np.testing.assert_array_equal(to_numpy(draw(mx)), np.array(draw(mlx)))
    np.testing.assert_array_equal(to_numpy(mx.random.state[0]), np.array(mlx.random.state[0]))


def test_state_save_and_restore():
    mx.random.seed(3)
    assert len(mx.random.state) == 1
    saved = mx.random.state[0]
    assert saved.dtype == mx.uint32 and saved.shape == (2,)
    check(saved, [0, 3], mx.uint32)
    first = to_numpy(mx.random.uniform(shape=(5,)))
    assert not np.array_equal(to_numpy(mx.random.state[0]), to_numpy(saved))
    mx.random.state[0] = saved
    np.testing.assert_array_equal(to_numpy(mx.random.uniform(shape=(5,))), first)
    keys = list(mx.random.state)
    assert len(keys) == 1
    with pytest.raises(IndexError):
        mx.random.state[1]


def test_distributions_against_numpy_statistics():
    k = mx.random.key(11)
    n = 20000
    u = to_numpy(mx.random.uniform(2, 5, (n,), key=k))
    assert u.min() >= 2 and u.max() < 5 and abs(u.mean() - 3.5) < 0.05
    z = to_numpy(mx.random.normal((n,), key=k))
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    r = to_numpy(mx.random.randint(-3, 4, (n,), key=k))
    assert set(np.unique(r)) == set(range(-3, 4))
    b = to_numpy(mx.random.bernoulli(0.25, (n,), key=k))
    assert abs(b.mean() - 0.25) < 0.02
    t = to_numpy(mx.random.truncated_normal(-0.5, 1.0, (n,), key=k))
    assert t.min() >= -0.5 and t.max() <= 1.0
    g = to_numpy(mx.random.gumbel((n,), key=k))
    assert abs(g.mean() - np.euler_gamma) < 0.05
    lap = to_numpy(mx.random.laplace((n,), key=k))
    assert abs(np.median(lap)) < 0.05 and abs(np.mean(np.abs(lap)) - 1) < 0.05
    p = to_numpy(mx.random.permutation(50, key=k))
    np.testing.assert_array_equal(np.sort(p), np.arange(50))
    c = to_numpy(mx.random.categorical(mx.log(mx.array([0.2, 0.8])), shape=(n,), key=k))
    assert abs(c.mean() - 0.8) < 0.02
    mvn = to_numpy(mx.random.multivariate_normal(mx.zeros((2,)),
                                                 mx.array([[1.0, 0.8], [0.8, 1.0]]), (n,),
                                                 key=k))
    np.testing.assert_allclose(np.cov(mvn.T), [[1, 0.8], [0.8, 1]], atol=0.05)


def test_empty_shapes():
    k = mx.random.key(0)
    assert mx.random.uniform(shape=(0, 3), key=k).shape == (0, 3)
    assert mx.random.normal((2, 0), key=k).shape == (2, 0)
    assert mx.random.randint(0, 5, (0,), key=k).shape == (0,)
    assert mx.random.permutation(0, key=k).shape == (0,)


WRONG = [
    lambda m: m.random.uniform(shape=(2,), dtype=m.int32),
    lambda m: m.random.uniform(m.zeros(3), 1, (2,)),
    lambda m: m.random.normal((2,), m.int32), lambda m: m.random.normal((-1,)),
    lambda m: m.random.randint(0, 5, (2,), m.float32),
    lambda m: m.random.bernoulli(m.array([1, 0])),
    lambda m: m.random.bernoulli(0.5, (3,), key=m.array([1, 2, 3], m.uint32)),
    lambda m: m.random.split(m.array([1.0, 2.0])), lambda m: m.random.split(m.random.key(0), -1),
    lambda m: m.random.categorical(m.zeros((2, 3)), 2),
    lambda m: m.random.categorical(m.zeros((2, 3)), shape=(2,), num_samples=2),
    lambda m: m.random.categorical(m.zeros((2, 3)), shape=(3,)),
    lambda m: m.random.permutation(-1), lambda m: m.random.permutation(m.zeros((2,)), axis=1),
    lambda m: m.random.multivariate_normal(m.zeros(2), m.eye(3)),
    lambda m: m.random.multivariate_normal(m.zeros(2), m.eye(2), dtype=m.float16),
    lambda m: m.random.truncated_normal(m.zeros(3), 1, (2,)),
    lambda m: m.random.gumbel((2,), m.int8), lambda m: m.random.seed("a"),
    lambda m: m.random.key(1.5), lambda m: m.random.uniform(shape=3),
    lambda m: m.random.seed(-1), lambda m: m.random.key(2**64), lambda m: m.random.key(2**64 - 1),
    lambda m: m.random.key(True),
]


@pytest.mark.parametrize("case", range(len(WRONG)))
def test_wrong_calls_as_mlx(case, mlx):
    same_outcome(WRONG[case], mlx)


# ---- how each parameter may be passed, found by calling both libraries ----

Z = lambda m: m.zeros((2,))  # noqa: E731
Z2 = lambda m: m.zeros((2, 2))  # noqa: E731
K = lambda m: m.random.key(0)  # noqa: E731
SIGNATURES = {
    "random.split": [("key", K), ("num", 2)],
    "random.uniform": [
        ("low", 0), ("high", 1), ("shape", [2]), ("dtype", lambda m: m.float32), ("key", K),
    ],
    "random.normal": [
        ("shape", [2]), ("dtype", lambda m: m.float32), ("loc", 0.0), ("scale", 1.0), ("key", K),
    ],
    "random.multivariate_normal": [
        ("mean", lambda m: m.zeros(2)), ("cov", lambda m: m.eye(2)), ("shape", [2]),
        ("dtype", lambda m: m.float32), ("key", K),
    ],
    "random.randint": [
        ("low", 0), ("high", 3), ("shape", [2]), ("dtype", lambda m: m.int32), ("key", K),
    ],
    "random.bernoulli": [("p", 0.5), ("shape", [2]), ("key", K)],
    "random.truncated_normal": [
        ("lower", 0), ("upper", 1), ("shape", [2]), ("dtype", lambda m: m.float32), ("key", K),
    ],
    "random.gumbel": [("shape", [2]), ("dtype", lambda m: m.float32), ("key", K)],
    "random.categorical": [
        ("logits", Z2), ("axis", 0), ("shape", None), ("num_samples", 2), ("key", K),
    ],
    "random.laplace": [
        ("shape", [2]), ("dtype", lambda m: m.float32), ("loc", 0.0), ("scale", 1.0), ("key", K),
    ],
    "random.permutation": [("x", 3), ("axis", 0), ("key", K)],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_parameters_pass_as_in_mlx(name, mlx):
    assert param_kinds(mx, name, SIGNATURES[name]) == param_kinds(mlx, name, SIGNATURES[name])
