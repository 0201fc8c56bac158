"""finfo, iinfo, result_type, can_cast and isdtype against NumPy and real
MLX."""
import numpy as np
import pytest

import cmlx.core as mx
from helpers import (DTYPES, FLOATS, INTS, dt)

KINDS = ["bool", "signed integer", "unsigned integer", "integral", "real floating",
         "complex floating", "numeric"]


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_numpy(name):
    f, n = mx.finfo(dt(name)), np.finfo(name)
    assert f.min == float(n.min) and f.max == float(n.max)
    assert f.eps == float(n.eps)
    assert f.smallest_normal == float(n.smallest_normal)
    assert f.bits == n.bits
    assert f.dtype == dt(name)
    assert isinstance(f.min, float)


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_numpy(name):
    i, n = mx.iinfo(dt(name)), np.iinfo(name)
    assert (i.min, i.max) == (int(n.min), int(n.max))
    assert type(i.min) is int and type(i.max) is int
    assert i.dtype == dt(name)


@pytest.mark.parametrize("name", FLOATS + ["complex64"])
def test_finfo_as_mlx(name, mlx):
    f, g = mx.finfo(dt(name)), mlx.finfo(dt(name, mlx))
    for attr in ["min", "max", "eps", "smallest_normal", "bits"]:
        assert getattr(f, attr) == getattr(g, attr), attr
    assert str(f.dtype).split(".")[-1] == str(g.dtype).split(".")[-1]
    assert repr(f) == repr(g)


@pytest.mark.parametrize("name", INTS)
def test_iinfo_as_mlx(name, mlx):
    i, j = mx.iinfo(dt(name)), mlx.iinfo(dt(name, mlx))
    assert (i.min, i.max) == (j.min, j.max)
    assert repr(i) == repr(j)


@pytest.mark.parametrize("bad", [
    lambda m: m.finfo(m.int32), lambda m: m.finfo(m.bool_), lambda m: m.iinfo(m.float32),
    lambda m: m.iinfo(m.bool_), lambda m: m.iinfo(m.complex64), lambda m: m.finfo("float32"),
    lambda m: m.iinfo(), lambda m: m.result_type(), lambda m: m.result_type(1),
    lambda m: m.can_cast(1, m.int8), lambda m: m.can_cast(m.int8, "int8"),
    lambda m: m.isdtype(m.int8, "foo"), lambda m: m.isdtype(m.int8, 3),
    lambda m: m.isdtype(m.array(1), "bool"), lambda m: m.isdtype(m.int8, ("x", "integral")),
])
def test_errors_as_mlx(bad, mlx):
    def kind(m):
        try:
            bad(m)
        except Exception as e:
            return type(e).__name__
        return None
    assert kind(mx) == kind(mlx) is not None


def test_result_type_and_can_cast_as_mlx(mlx):
    for a in DTYPES:
        for b in DTYPES:
            ours = mx.result_type(dt(a), mx.zeros((1,), dt(b)))
            ref = mlx.result_type(dt(a, mlx), mlx.zeros((1,), dt(b, mlx)))
            assert str(ours).split(".")[-1] == str(ref).split(".")[-1], (a, b)
            assert mx.can_cast(dt(a), dt(b)) == mlx.can_cast(dt(a, mlx), dt(b, mlx)), (a, b)
    three = [mx.int8, mx.uint8, mx.float16]
    assert (str(mx.result_type(*three)).split(".")[-1]
            == str(mlx.result_type(mlx.int8, mlx.uint8, mlx.float16)).split(".")[-1])
    assert mx.result_type(mx.array([1, 2])) == mx.int32
    assert mx.can_cast(mx.array(1), mx.int8) == mlx.can_cast(mlx.array(1), mlx.int8)


def test_isdtype_as_mlx(mlx):
    for a in DTYPES:
        for k in KINDS:
            assert mx.isdtype(dt(a), k) == mlx.isdtype(dt(a, mlx), k), (a, k)
        assert mx.isdtype(dt(a), dt(a)) and mx.isdtype(dt(a), (mx.bool_, dt(a)))
        assert mx.isdtype(dt(a), ("bool", "numeric"))
    assert mx.isdtype(mx.float16, "real floating")
    assert not mx.isdtype(mx.float16, mx.float32)
