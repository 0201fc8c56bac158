"""Gaps found by running MLX's own test files on cmlx (scripts/mlx_suite.py):
mx.metal / mx.cuda, mx.asarray, and install_as_mlx exposing them."""
import subprocess
import sys

import numpy as np
import pytest

import cmlx.core as mx


def test_backend_modules_report_unavailable():
    assert mx.metal.is_available() is False
    assert mx.cuda.is_available() is False
    assert mx.metal.device_info() == {}
    with pytest.raises(RuntimeError):
        mx.metal.start_capture("x.gputrace")


def test_metal_keeps_the_memory_api():
    a = mx.zeros((1024,))
    mx.eval(a)
    assert mx.metal.get_active_memory() == mx.get_active_memory()
    assert mx.metal.get_peak_memory() >= 1024 * 4
    old = mx.metal.set_cache_limit(0)
    assert mx.metal.set_cache_limit(old) == 0
    mx.metal.clear_cache()
    assert mx.metal.get_cache_memory() == 0


def test_asarray_copies_and_converts():
    src = np.arange(6, dtype=np.int32).reshape(2, 3)
    x = mx.asarray(src)
    src[0, 0] = 100
    assert x.dtype == mx.int32 and x.shape == (2, 3)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert mx.asarray([1.5, 2.5], mx.float16).dtype == mx.float16
    assert mx.asarray(3).dtype == mx.int32
    y = mx.asarray(x, dtype=mx.float32)
    assert y.dtype == mx.float32 and y.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert mx.asarray(x, copy=True).tolist() == x.tolist()
    t = mx.asarray(np.ones((2, 2))[:, ::-1].T)
    assert t.tolist() == [[1, 1], [1, 1]]


def test_asarray_copy_false_raises():
    with pytest.raises(ValueError):
        mx.asarray(np.arange(4, dtype=np.int32), copy=False)
    with pytest.raises(ValueError):
        mx.asarray([1, 2], copy=False)


def test_install_as_mlx_registers_backend_modules():
    code = (
        "import cmlx; cmlx.install_as_mlx()\n"
        "import mlx.core as mx\n"
        "import mlx.core.metal as metal\n"
        "assert mx.__name__.startswith('cmlx')\n"
        "assert metal is mx.metal and not metal.is_available()\n"
        "assert mx.asarray([1, 2]).tolist() == [1, 2]\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_thread_local_stream_works_from_threads():
    import threading

    s = mx.new_thread_local_stream(mx.cpu)
    assert s.device == mx.cpu
    out = []

    def work():
        with mx.stream(s):
            out.append((2 * mx.arange(4)).tolist())
        mx.clear_streams()

    ts = [threading.Thread(target=work) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [[0, 2, 4, 6]] * 2
    assert mx.clear_streams() is None


def test_randint_dtype_none_is_int32():
    assert mx.random.randint(0, 10, (3,), dtype=None).dtype == mx.int32


def test_bernoulli_refuses_integer_probabilities():
    import pytest

    for p in (1, True, mx.array(1)):
        with pytest.raises(ValueError):
            mx.random.bernoulli(p)
    assert mx.random.bernoulli(0.5).dtype == mx.bool_


def test_export_to_dot_writes_text_streams():
    import io

    x = mx.array([1.0, 2.0])
    buf = io.StringIO()
    mx.export_to_dot(buf, mx.exp(x) + 1)
    text = buf.getvalue()
    assert text.startswith("digraph") and "Exp" in text
