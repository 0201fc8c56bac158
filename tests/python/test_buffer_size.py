"""get_array_buffer_size: unique buffers of trees of evaluated arrays, at
their allocated size."""
import numpy as np
import pytest

import cmlx.core as mx


def evaluated(*arrays):
    mx.eval(*arrays)
    return arrays if len(arrays) > 1 else arrays[0]


def test_counts_each_buffer_once():
    a = evaluated(mx.ones((1024,)))
    size = mx.get_array_buffer_size(a)
    assert size >= a.nbytes
    v = evaluated(a[3:500:2])
    assert mx.get_array_buffer_size(v) == size  # a view: the whole buffer
    assert mx.get_array_buffer_size(a, v, [a, (v, a)], {"k": a}) == size
    b = evaluated(mx.ones((10,)) * 3)
    assert mx.get_array_buffer_size(a, b) == size + mx.get_array_buffer_size(b)


def test_power_of_two_sizes_match_mlx(mlx):
    # cmlx's allocator rounds up to size classes; for these sizes the
    # class is exact, so the figure equals MLX's.
    for n, dtype in [(256, "float32"), (4096, "int8"), (65536, "float16"), (1 << 20, "uint8")]:
        a = evaluated(mx.zeros((n,), dtype=getattr(mx, dtype)) + 1)
        r = mlx.zeros((n,), dtype=getattr(mlx, dtype)) + 1
        mlx.eval(r)
        assert mx.get_array_buffer_size(a) == mlx.get_array_buffer_size(r)


def test_allocator_size_is_what_active_memory_counts():
    mx.clear_cache()
    before = mx.get_active_memory()
    a = mx.array(np.ones(1000, np.float32))  # a fresh buffer of 4000 bytes
    mx.eval(a)
    grown = mx.get_active_memory() - before
    assert mx.get_array_buffer_size(a) == grown
    assert grown >= 4000


def test_empty_arrays_count_nothing(mlx):
    assert mx.get_array_buffer_size(mx.array([])) == 0 == mlx.get_array_buffer_size(mlx.array([]))
    e = evaluated(mx.zeros((0, 3)))
    assert mx.get_array_buffer_size(e) == 0
    a = evaluated(mx.ones((8,)))
    v = evaluated(a[:0])  # an empty view still uses a's buffer
    assert mx.get_array_buffer_size(v) == mx.get_array_buffer_size(a) > 0


def test_non_array_leaves_ignored():
    a = evaluated(mx.ones((64,)))
    assert mx.get_array_buffer_size() == 0
    assert mx.get_array_buffer_size(3, "x", None, [1.5, {"q": None}]) == 0
    assert mx.get_array_buffer_size({"w": a, "n": 3}) == mx.get_array_buffer_size(a)


def test_borrowed_numpy_memory():
    n = np.arange(100, dtype=np.float64)
    a = mx.from_dlpack(n)
    assert mx.get_array_buffer_size(a) == n.nbytes
    assert mx.get_array_buffer_size(a, evaluated(a[10:])) == n.nbytes


def test_unevaluated_raises_like_mlx(mlx):
    with pytest.raises(ValueError) as e:
        mx.get_array_buffer_size(mx.ones((3,)) + 1)
    with pytest.raises(ValueError) as r:
        mlx.get_array_buffer_size(mlx.ones((3,)) + 1)
    assert str(e.value) == str(r.value)
    with pytest.raises(ValueError):
        mx.get_array_buffer_size([evaluated(mx.ones(2)), mx.ones(2) * 2])


def test_arrays_from_python_data_are_evaluated(mlx):
    # as in MLX, mx.array() of host data needs no eval before the query
    for make in (lambda m: m.array([5.0, 6.0]), lambda m: m.array([[1, 2]], dtype=m.int8),
                 lambda m: m.array(np.arange(4.0)), lambda m: m.array(1 + 2j, dtype=m.complex64)):
        assert mx.get_array_buffer_size(make(mx)) > 0
        assert mlx.get_array_buffer_size(make(mlx)) > 0
    assert mx.get_array_buffer_size(mx.array(2**63)) > 0  # uint64 (MLX cannot make it)
