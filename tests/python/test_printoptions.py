"""set_printoptions, get_printoptions, printoptions and how repr/str honour
the precision, compared string for string with real MLX."""
import threading

import numpy as np
import pytest

import cmlx.core as mx
from helpers import dt


@pytest.fixture(autouse=True)
def default_precision():
    yield
    mx.set_printoptions()
    try:
        import mlx.core
        mlx.core.set_printoptions()
    except ImportError:
        pass


VALUES = [1.123456789, -2.5, 100.0 / 3, 1e-5, 12345678.9, 0.0, -0.0, 0.5, 1.5, 2.5]
SPECIAL = [np.nan, np.inf, -np.inf, 3.0]
COMPLEX = [1 + 2j, -1.23456 - 0.5j, 3.14159j, 0j, 2.5 - 0j, -0.5 + 1e-7j]
PRECISIONS = [-1, 0, 1, 2, 3, 5, 8, 12, -5]


def both(mlx, build):
    return build(mx), build(mlx)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16", "float64"])
def test_floats_match_mlx(mlx, precision, name):
    mx.set_printoptions(precision=precision)
    mlx.set_printoptions(precision=precision)
    for vals in (VALUES, SPECIAL, VALUES[:3]):
        a, r = both(mlx, lambda m: m.array(vals, dtype=dt(name, m)))
        assert repr(a) == repr(r)
        assert str(a) == str(r)
    a, r = both(mlx, lambda m: (m.arange(12, dtype=m.float32).reshape(3, 4) / 7).astype(dt(name, m)))
    assert repr(a) == repr(r)
    a, r = both(mlx, lambda m: m.array(2.0 / 3, dtype=dt(name, m)))
    assert repr(a) == repr(r)
    a, r = both(mlx, lambda m: m.arange(20, dtype=dt(name, m)) / 3)
    assert repr(a) == repr(r)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_complex_matches_mlx(mlx, precision):
    mx.set_printoptions(precision=precision)
    mlx.set_printoptions(precision=precision)
    a, r = both(mlx, lambda m: m.array(COMPLEX))
    assert repr(a) == repr(r)
    a, r = both(mlx, lambda m: m.array(COMPLEX[:4]).reshape(2, 2))
    assert repr(a) == repr(r)


@pytest.mark.parametrize("precision", [-1, 0, 3])
def test_integers_and_bools_ignore_precision(mlx, precision):
    mx.set_printoptions(precision=precision)
    mlx.set_printoptions(precision=precision)
    for name in ["int32", "uint8", "int64", "bool_"]:
        a, r = both(mlx, lambda m: m.array([0, 1, 1, 0, 7], dtype=dt(name, m)))
        assert repr(a) == repr(r)


def test_large_precision_and_value(mlx):
    mx.set_printoptions(precision=40)
    mlx.set_printoptions(precision=40)
    a, r = both(mlx, lambda m: m.array([1e300, -1e-300, 1.0 / 3], dtype=m.float64))
    assert repr(a) == repr(r)


def test_print_options_object(mlx):
    po = mx.get_printoptions()
    assert isinstance(po, mx.PrintOptions)
    assert po.precision == -1 == mlx.get_printoptions().precision
    mx.set_printoptions(precision=3)
    assert mx.get_printoptions().precision == 3
    assert po.precision == -1  # a snapshot, not a live view
    po.precision = 7  # writable, as MLX's, without touching the setting
    assert po.precision == 7 and mx.get_printoptions().precision == 3
    assert mx.PrintOptions().precision == -1
    assert mx.PrintOptions(precision=4).precision == 4
    assert mx.PrintOptions(5).precision == 5
    mx.set_printoptions()
    assert mx.get_printoptions().precision == -1
    mx.set_printoptions(2)  # positional, as MLX
    assert mx.get_printoptions().precision == 2
    assert [n for n in dir(po) if not n.startswith("_")] == \
        [n for n in dir(mlx.get_printoptions()) if not n.startswith("_")]


def test_context_manager():
    x = mx.array([1.23456, 2.0])
    default = repr(x)
    with mx.printoptions(precision=2) as ctx:
        assert isinstance(ctx, mx._PrintOptionsContext)
        assert repr(x) == "array([1.23, 2.00], dtype=float32)"
        with mx.printoptions(precision=0):
            assert repr(x) == "array([1, 2], dtype=float32)"
        assert mx.get_printoptions().precision == 2
    assert repr(x) == default
    with pytest.raises(RuntimeError):
        with mx.printoptions(precision=4):
            raise RuntimeError
    assert mx.get_printoptions().precision == -1
    with mx.printoptions():
        assert repr(x) == default


def test_bad_arguments():
    with pytest.raises(TypeError):
        mx.set_printoptions(precision=2.5)
    with pytest.raises(TypeError):
        mx.set_printoptions(precision="3")
    with pytest.raises(TypeError):
        mx.set_printoptions(digits=3)
    with pytest.raises(TypeError):
        mx.printoptions(precision=1.0)
    with pytest.raises(TypeError):
        mx.get_printoptions().precision = 1.5
    with pytest.raises(OverflowError):
        mx.set_printoptions(precision=2**40)
    assert mx.get_printoptions().precision == -1


def test_setting_is_process_wide():
    mx.set_printoptions(precision=1)
    seen = []
    t = threading.Thread(target=lambda: seen.append(repr(mx.array([0.25]))))
    t.start()
    t.join()
    assert seen == ["array([0.2], dtype=float32)"]


def test_large_array_summary_with_precision(mlx):
    mx.set_printoptions(precision=2)
    mlx.set_printoptions(precision=2)
    a, r = both(mlx, lambda m: m.arange(10000, dtype=m.float32).reshape(100, 100) / 3)
    assert repr(a) == repr(r)
