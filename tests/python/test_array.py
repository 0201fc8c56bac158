"""mx.array construction (dtype inference as MLX), properties, Python scalars,
len/iteration, copies and hashing."""
import copy
import weakref

import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, check, dt, same_outcome

# (expression, expected dtype, expected values) as real MLX 0.32 gives them.
CONSTRUCTION = [
    ("mx.array(1.5)", "float32", 1.5),
    ("mx.array(True)", "bool_", True),
    ("mx.array(3)", "int32", 3),
    ("mx.array(2**31 - 1)", "int32", 2**31 - 1),
    ("mx.array(2**31)", "int64", 2**31),
    ("mx.array(-2**31)", "int32", -2**31),
    ("mx.array(-2**31 - 1)", "int64", -2**31 - 1),
    ("mx.array(1j)", "complex64", 1j),
    ("mx.array([1, 2.0])", "float32", [1, 2]),
    ("mx.array([True, 2])", "int32", [1, 2]),
    ("mx.array([True, 2.5])", "float32", [1, 2.5]),
    ("mx.array([1j, 2])", "complex64", [1j, 2]),
    ("mx.array([1, 2**40])", "int64", [1, 2**40]),
    ("mx.array([1, 2**40, 2.5])", "float32", [1, 2**40, 2.5]),
    ("mx.array([[1, 2], [3, 4.5]])", "float32", [[1, 2], [3, 4.5]]),
    ("mx.array([1 + 1j, True])", "complex64", [1 + 1j, 1]),
    ("mx.array([])", "float32", np.zeros((0,))),
    ("mx.array([[], []])", "float32", np.zeros((2, 0))),
    ("mx.array(())", "float32", np.zeros((0,))),
    ("mx.array(([1, 2], [3, 4]))", "int32", [[1, 2], [3, 4]]),
    ("mx.array([(1, 2), [3, 4]])", "int32", [[1, 2], [3, 4]]),
    ("mx.array([1, 2], dtype=mx.float16)", "float16", [1, 2]),
    ("mx.array(300, dtype=mx.int8)", "int8", 44),
    ("mx.array([300], dtype=mx.int8)", "int8", [44]),
    ("mx.array(1.7, dtype=mx.int32)", "int32", 1),
    ("mx.array([-1], dtype=mx.uint8)", "uint8", [255]),
    ("mx.array(1j, dtype=mx.float32)", "float32", 0),
    ("mx.array([1.5, 2], mx.int32)", "int32", [1, 2]),
    ("mx.array([True, 2], mx.float16)", "float16", [1, 2]),
    ("mx.array([1 + 2j], mx.float32)", "float32", [1]),
    ("mx.array(True, mx.int32)", "int32", 1),
    ("mx.array(5, mx.float16)", "float16", 5),
    ("mx.array(2.5, mx.bool_)", "bool_", True),
    ("mx.array([np.float64(1.5)])", "float32", [1.5]),
    ("mx.array(mx.array([1, 2]), mx.float32)", "float32", [1, 2]),
    ("mx.array([mx.array([1, 2]), mx.array([3, 4])])", "int32", [[1, 2], [3, 4]]),
    ("mx.array([mx.array([1, 2], mx.int8), [3, 4]])", "int32", [[1, 2], [3, 4]]),
    ("mx.array([mx.array([1.5, 2]), mx.array([3, 4])])", "float32", [[1.5, 2], [3, 4]]),
    ("mx.array([mx.array(1), mx.array(2.5)])", "float32", [1, 2.5]),
    ("mx.array([mx.array([1, 2])], mx.float16)", "float16", [[1, 2]]),
    ("mx.array([[mx.array(1), 2], [3, 4]])", "int32", [[1, 2], [3, 4]]),
    ("mx.array(np.arange(3, dtype=np.float64))", "float32", [0, 1, 2]),
    ("mx.array(np.arange(3, dtype=np.float64), mx.float64)", "float64", [0, 1, 2]),
    ("mx.array(np.arange(3, dtype=np.int64))", "int64", [0, 1, 2]),
    ("mx.array(np.arange(3, dtype=np.uint16))", "uint16", [0, 1, 2]),
    ("mx.array(np.array([1.5 + 1j]))", "complex64", [1.5 + 1j]),
    ("mx.array(np.array([1.5], np.float16))", "float16", [1.5]),
    ("mx.array(np.arange(6).reshape(2, 3).T)", "int64", np.arange(6).reshape(2, 3).T),
    ("mx.array(np.array([True, False]))", "bool_", [True, False]),
    ("mx.array(np.int64(1))", "int64", 1),
    ("mx.array(np.float64(1.5))", "float32", 1.5),
    ("mx.array(np.float32(1.5))", "float32", 1.5),
    ("mx.array(np.bool_(True))", "bool_", True),
    ("mx.array(b'ab')", "uint8", [97, 98]),
    ("mx.array(np.array([1.5, 2.5]), mx.int32)", "int32", [1, 2]),
    ("mx.array(np.array([1 + 2j], np.complex128), mx.float32)", "float32", [1]),
]


@pytest.mark.parametrize("expr,dtype,values", CONSTRUCTION)
def test_construction(expr, dtype, values):
    a = eval(expr, {"mx": mx, "np": np})
    check(a, values, dt(dtype))


@pytest.mark.parametrize("expr", [c[0] for c in CONSTRUCTION])
def test_construction_vs_mlx(expr, mlx):
    same_outcome(lambda m: eval(expr, {"mx": m, "np": np}), mlx)


# Extensions over MLX: inputs MLX refuses that cmlx converts.
def test_construction_extensions():
    check(mx.array(np.arange(6).reshape(2, 3)[:, ::-1]), [[2, 1, 0], [5, 4, 3]], mx.int64)
    check(mx.array([np.int64(1), np.int64(2)]), [1, 2], mx.int64)
    check(mx.array([np.arange(2), [3, 4]]), [[0, 1], [3, 4]], mx.int64)
    check(mx.array([2**64 - 1], mx.uint64), [2**64 - 1], mx.uint64)
    check(mx.array(2**63), 2**63, mx.uint64)


@pytest.mark.parametrize("expr,err", [
    ("mx.array([[1, 2], [3]])", ValueError),
    ("mx.array([[1, [2]], [3, 4]])", ValueError),
    ("mx.array([[1, 2], 3])", ValueError),
    ("mx.array([1, [2, 3]])", ValueError),
    ("mx.array('abc')", ValueError),
    ("mx.array([1, 'a'])", ValueError),
    ("mx.array(None)", TypeError),
    ("mx.array([mx.array([1.5, 2]), 3])", ValueError),
    ("mx.array([3, mx.array([1.5, 2])])", ValueError),
    ("mx.array(1, dtype='float32')", TypeError),
    ("mx.array(np.array([1.5], dtype='>f4'))", ValueError),
    ("mx.array(np.array(['a']))", ValueError),
    ("mx.array([2**64])", OverflowError),
])
def test_construction_errors(expr, err):
    with pytest.raises(err):
        eval(expr, {"mx": mx, "np": np})
    # the process keeps working
    assert mx.array([1, 2]).tolist() == [1, 2]


def test_float64_precision_kept():
    assert mx.array([0.1], dtype=mx.float64).item() == 0.1
    assert mx.array(0.1, dtype=mx.float64).item() == 0.1
    assert mx.array([2**40 + 1], dtype=mx.float64).item() == 2**40 + 1
    assert mx.array([2**40 + 1], dtype=mx.float32).item() == 2**40


@pytest.mark.parametrize("name", DTYPES)
def test_properties(name):
    a = mx.zeros((2, 3, 4), dt(name))
    assert a.shape == (2, 3, 4)
    assert isinstance(a.shape, tuple)
    assert a.ndim == 3
    assert a.size == 24
    assert a.dtype == dt(name)
    assert a.itemsize == dt(name).size
    assert a.nbytes == 24 * dt(name).size
    assert a.T.shape == (4, 3, 2)
    s = mx.array(1, dt(name))
    assert s.shape == () and s.ndim == 0 and s.size == 1


@pytest.mark.parametrize("name", DTYPES)
def test_item_and_tolist_types(name):
    a = mx.array([[1, 0], [0, 1]], dt(name))
    lst = a.tolist()
    kind = bool if name == "bool_" else complex if name == "complex64" else (
        float if name.startswith(("float", "bfloat")) else int)
    assert type(lst[0][0]) is kind
    assert lst == [[1, 0], [0, 1]]
    assert type(a[0, 0].item()) is kind
    assert mx.array(1, dt(name)).tolist() == 1


def test_item_values():
    assert mx.array(1.1).item() == pytest.approx(1.100000023841858, abs=0)
    assert mx.array(1.1, mx.float16).item() == 1.099609375
    assert mx.array(2**63 + 5, mx.uint64).item() == 2**63 + 5
    assert mx.array(-2**62, mx.int64).item() == -2**62
    assert mx.array(1 + 2j).item() == 1 + 2j
    assert mx.array([[7]]).item() == 7
    with pytest.raises(ValueError, match="Only length-1 arrays"):
        mx.array([1, 2]).item()


def test_scalar_conversions():
    assert int(mx.array([2.7])) == 2
    assert int(mx.array(-2.7)) == -2
    assert float(mx.array([[2]])) == 2.0
    assert complex(mx.array(1 + 2j)) == 1 + 2j
    assert complex(mx.array(2)) == 2
    assert bool(mx.array(0.5)) and not bool(mx.array([0]))
    assert mx.array(2).__index__() == 2
    assert [1, 2, 3][mx.array(1)] == 2
    assert range(10)[mx.array(3, mx.uint8)] == 3
    with pytest.raises(ValueError):
        bool(mx.array([1, 2]))
    with pytest.raises(ValueError):
        bool(mx.array([]))
    with pytest.raises(TypeError):
        int(mx.array(1 + 2j))
    with pytest.raises(TypeError):
        float(mx.array(1 + 2j))
    with pytest.raises(TypeError):
        mx.array(2.5).__index__()
    with pytest.raises(TypeError):
        mx.array([2]).__index__()


def test_len_and_iter():
    a = mx.arange(6).reshape(3, 2)
    assert len(a) == 3
    rows = list(a)
    assert len(rows) == 3 and all(isinstance(r, mx.array) for r in rows)
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    assert [r.tolist() for r in a.T] == [[0, 2, 4], [1, 3, 5]]
    assert [x.item() for x in mx.arange(5)[::-2]] == [4, 2, 0]
    assert list(mx.zeros((0, 3))) == []
    big = list(mx.arange(40).reshape(20, 2))
    assert big[19].tolist() == [38, 39]
    with pytest.raises(TypeError, match="0-dimensional"):
        len(mx.array(3))
    with pytest.raises(TypeError, match="0-dimensional"):
        iter(mx.array(3))


def test_iterator_keeps_array_alive():
    it = iter(mx.arange(3) * 2)
    assert [x.item() for x in it] == [0, 2, 4]


def test_copy_deepcopy_hash_weakref():
    a = mx.array([1, 2, 3])
    b = copy.copy(a)
    c = copy.deepcopy(a)
    assert b is not a and c is not a
    assert b.tolist() == c.tolist() == [1, 2, 3]
    a += 1  # in-place on a does not change the copies
    assert b.tolist() == [1, 2, 3] and a.tolist() == [2, 3, 4]
    # identity hashing, as in MLX
    assert hash(a) == hash(a) and hash(a) != hash(b)
    d = {a: 1, b: 2}
    assert d[a] == 1
    r = weakref.ref(a)
    assert r() is a


def test_subclass():
    class Sub(mx.array):
        pass

    s = Sub([1, 2])
    assert isinstance(s, mx.array) and (s + 1).tolist() == [2, 3]


def test_format():
    assert format(mx.array(1.5), ".3f") == "1.500"
    assert f"{mx.array(2)}" == "2"
    assert format(mx.zeros(2)) == repr(mx.zeros(2))
    with pytest.raises(TypeError):
        format(mx.zeros(2), ".3f")


def test_array_namespace():
    assert mx.array(1).__array_namespace__() is mx
