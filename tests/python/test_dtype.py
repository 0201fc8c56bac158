"""Dtype objects, DtypeCategory and issubdtype."""
import pytest

import cmlx.core as mx
from helpers import DTYPES, dt

CATEGORIES = ["complexfloating", "floating", "inexact", "signedinteger", "unsignedinteger",
              "integer", "number", "generic"]
SIZES = {"bool_": 1, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "int8": 1, "int16": 2,
         "int32": 4, "int64": 8, "float16": 2, "float32": 4, "float64": 8, "bfloat16": 2,
         "complex64": 8}


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_objects(name):
    t = dt(name)
    assert isinstance(t, mx.Dtype)
    assert t.size == SIZES[name]
    assert repr(t) == "mlx.core." + name.rstrip("_")
    assert t == dt(name) and t != (mx.int8 if name != "int8" else mx.uint8)
    assert t != name
    assert hash(t) == DTYPES.index(name)
    assert {t: 1}[dt(name)] == 1


def test_dtype_has_no_constructor():
    with pytest.raises(TypeError):
        mx.Dtype()


def test_categories():
    assert [c.name for c in mx.DtypeCategory] == CATEGORIES
    assert [c.value for c in mx.DtypeCategory] == list(range(8))
    for c in CATEGORIES:
        assert getattr(mx, c) is getattr(mx.DtypeCategory, c)


@pytest.mark.parametrize("a", DTYPES + CATEGORIES)
def test_issubdtype_vs_mlx(a, mlx):
    for b in DTYPES + CATEGORIES:
        assert mx.issubdtype(getattr(mx, a), getattr(mx, b)) == \
            mlx.issubdtype(getattr(mlx, a), getattr(mlx, b)), (a, b)


def test_issubdtype():
    assert mx.issubdtype(mx.float32, mx.floating)
    assert mx.issubdtype(mx.bfloat16, mx.floating)
    assert mx.issubdtype(mx.floating, mx.inexact)
    assert mx.issubdtype(mx.float32, mx.float32)
    assert not mx.issubdtype(mx.float32, mx.float16)
    assert not mx.issubdtype(mx.inexact, mx.float32)
    assert mx.issubdtype(mx.bool_, mx.generic) and not mx.issubdtype(mx.bool_, mx.number)
    assert mx.issubdtype(mx.uint8, mx.unsignedinteger)
    assert not mx.issubdtype(mx.uint8, mx.signedinteger)
    with pytest.raises(ValueError):
        mx.issubdtype(1, mx.integer)
    with pytest.raises(TypeError):
        mx.issubdtype(mx.int8)
