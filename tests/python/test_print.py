"""repr/str in MLX's format, checked against fixed strings and, where real MLX
is installed, against its output for the same arrays."""
import numpy as np
import pytest

import cmlx.core as mx

ARRAYS = [
    "mx.array(1.5)",
    "mx.array([1.0, 2.5, -3.25])",
    "mx.array([1e-5, 1e5])",
    "mx.array([1e10, 1])",
    "mx.array([0.1, 0.2])",
    "mx.array([1 / 3])",
    "mx.array([123456789.0])",
    "mx.array(12345678.0)",
    "mx.array([1e-10, 1])",
    "mx.array(3.14159265, mx.bfloat16)",
    "mx.array([1e30], mx.bfloat16)",
    "mx.array([1.5, 2], mx.float16)",
    "mx.array([65504.0], mx.float16)",
    "mx.array([1.0, 2, 3], mx.float16) / 3",
    "mx.array([0.1, 1 / 3, 1e300], mx.float64)",
    "mx.array([1 + 2j, -3.5j])",
    "mx.array([complex(1, float('nan')), complex(1, -0.0), complex(0, 0)])",
    "mx.array([complex(float('nan'), float('inf')), complex(1e10, 1e-7)])",
    "mx.array([True, False])",
    "mx.array(True)",
    "mx.array([True] * 8)",
    "mx.array([-1, 127], mx.int8)",
    "mx.array([255], mx.uint8)",
    "mx.array([1, 2, 3], mx.uint64)",
    "mx.array([2**40])",
    "mx.array([2**62 + 1], mx.uint64) * 2",
    "mx.array([-2**62], mx.int64)",
    "mx.array([float('nan'), float('inf'), -float('inf'), -0.0])",
    "mx.array(-float('nan'))",
    "mx.arange(12).reshape(3, 4)",
    "mx.arange(24.0).reshape(2, 3, 4)",
    "mx.arange(6)",
    "mx.arange(7)",
    "mx.arange(2000)",
    "mx.arange(2000.0).reshape(40, 50)",
    "mx.arange(10).reshape(10, 1)",
    "mx.arange(3**5).reshape(3, 3, 3, 3, 3)",
    "mx.arange(8**3).reshape(8, 8, 8)",
    "mx.array([], mx.float32)",
    "mx.zeros((2, 0))",
    "mx.zeros((0, 3))",
    "mx.zeros((1, 1, 2, 0))",
    "mx.zeros((2, 0, 2))",
    "mx.arange(12).reshape(3, 4).T",
    "mx.arange(10)[::-3]",
    "mx.broadcast_to(mx.array([1.5, 2]), (3, 2))",
    "mx.ones((2, 2), mx.complex64) * 1j",
]


@pytest.mark.parametrize("expr", ARRAYS)
def test_repr_matches_mlx(expr, mlx):
    ours = eval(expr, {"mx": mx})
    theirs = eval(expr, {"mx": mlx})
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("expr,text", [
    ("mx.array([1, 2, 3])", "array([1, 2, 3], dtype=int32)"),
    ("mx.array(1.5)", "array(1.5, dtype=float32)"),
    ("mx.array([1.0, 2.5, -3.25])", "array([1, 2.5, -3.25], dtype=float32)"),
    ("mx.array([1 / 3])", "array([0.333333], dtype=float32)"),
    ("mx.array(3.14159265, mx.bfloat16)", "array(3.14062, dtype=bfloat16)"),
    ("mx.array([1 + 2j, -3.5j])", "array([1+2j, -0-3.5j], dtype=complex64)"),
    ("mx.array([complex(1, -0.0)])", "array([1+-0j], dtype=complex64)"),
    ("mx.array([True, False])", "array([True, False], dtype=bool)"),
    ("mx.array([float('nan'), float('inf'), -0.0])", "array([nan, inf, -0], dtype=float32)"),
    ("mx.arange(12).reshape(3, 4)",
     "array([[0, 1, 2, 3],\n       [4, 5, 6, 7],\n       [8, 9, 10, 11]], dtype=int32)"),
    ("mx.arange(2 * 2 * 2).reshape(2, 2, 2)",
     "array([[[0, 1],\n        [2, 3]],\n       [[4, 5],\n        [6, 7]]], dtype=int32)"),
    ("mx.arange(7)", "array([0, 1, 2, ..., 4, 5, 6], dtype=int32)"),
    ("mx.zeros((2, 0))", "array([[],\n       []], dtype=float32)"),
    ("mx.array([], mx.int8)", "array([], dtype=int8)"),
    ("mx.arange(10).reshape(10, 1)[::-4]", "array([[9],\n       [5],\n       [1]], dtype=int32)"),
])
def test_repr_text(expr, text):
    a = eval(expr, {"mx": mx})
    assert repr(a) == text
    assert str(a) == text


def test_repr_evaluates_lazy_graphs():
    x = mx.arange(5) * 2 + 1
    assert repr(x) == "array([1, 3, 5, 7, 9], dtype=int32)"


def test_repr_of_big_array_is_summarised():
    s = repr(mx.zeros((1000, 1000)))
    assert s.count("\n") == 6 and len(s) < 400


def test_dtype_device_reprs():
    assert repr(mx.float32) == "mlx.core.float32"
    assert repr(mx.bool_) == "mlx.core.bool"
    assert repr(mx.cpu) == "DeviceType.cpu"
    assert repr(mx.Device(mx.cpu)) == "Device(cpu, 0)"
    assert repr(mx.floating) == "DtypeCategory.floating"
    assert repr(mx.default_stream(mx.cpu)).startswith("Stream(Device(cpu, 0), ")
