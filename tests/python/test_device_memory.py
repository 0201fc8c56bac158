"""Devices, streams, the stream context manager, and the memory API."""
import threading
import time

import pytest

import cmlx.core as mx
from helpers import check


def test_device_type_and_device():
    assert mx.cpu is mx.DeviceType.cpu and mx.gpu is mx.DeviceType.gpu
    d = mx.Device(mx.cpu)
    assert d.type == mx.cpu and d.index == 0
    assert mx.Device(mx.cpu, 0) == d == mx.cpu
    assert mx.Device(type=mx.gpu, index=0) != d
    assert d != 3
    assert hash(mx.Device(mx.cpu)) == hash(d)
    assert repr(mx.Device(mx.gpu, 1)) == "Device(gpu, 1)"
    with pytest.raises(TypeError):
        mx.Device("cpu")
    with pytest.raises(TypeError):
        mx.Device()


def test_default_device_and_availability():
    assert mx.default_device() == mx.cpu  # no GPU backend yet
    assert mx.is_available(mx.cpu)
    assert not mx.is_available(mx.gpu)
    assert mx.device_count(mx.cpu) == 1 and mx.device_count(mx.gpu) == 0
    with pytest.raises(ValueError):
        mx.set_default_device(mx.gpu)
    mx.set_default_device(mx.cpu)
    mx.set_default_device(mx.Device(mx.cpu))
    with pytest.raises(TypeError):
        mx.set_default_device(3)
    info = mx.device_info()
    assert set(info) >= {"device_name", "architecture"}
    assert mx.device_info(mx.gpu) == {}


def test_streams():
    s0 = mx.default_stream(mx.cpu)
    assert s0 == mx.default_stream(mx.default_device())
    assert s0.device == mx.cpu
    s1 = mx.new_stream(mx.cpu)
    assert s1 != s0 and s1.index != s0.index
    assert str(s1) == repr(s1) == f"Stream(Device(cpu, 0), {s1.index})"
    with pytest.raises(ValueError):
        mx.new_stream(mx.gpu)
    with pytest.raises(TypeError):
        mx.Stream(mx.cpu)
    mx.set_default_stream(s1)
    try:
        assert mx.default_stream(mx.cpu) == s1
        check(mx.ones(3) + 1, [2, 2, 2])
    finally:
        mx.set_default_stream(s0)
    assert mx.default_stream(mx.cpu) == s0
    with pytest.raises(TypeError):
        mx.set_default_stream(mx.cpu)


def test_stream_context():
    s0 = mx.default_stream(mx.cpu)
    s1 = mx.new_stream(mx.cpu)
    with mx.stream(s1) as ctx:
        assert ctx is None
        assert mx.default_stream(mx.cpu) == s1
        x = mx.arange(4) * 2
    assert mx.default_stream(mx.cpu) == s0
    check(x, [0, 2, 4, 6])
    with mx.stream(mx.cpu):
        assert mx.default_device() == mx.cpu
    with mx.StreamContext(mx.Device(mx.cpu)):
        check(mx.ones(2) * 3, [3, 3])
    with pytest.raises(TypeError):
        mx.stream(3)
    with pytest.raises(ValueError):
        with mx.stream(mx.gpu):
            pass
    assert mx.default_device() == mx.cpu and mx.default_stream(mx.cpu) == s0


def test_synchronize():
    s = mx.new_stream(mx.cpu)
    y = mx.add(mx.ones(1000), 1, stream=s)
    mx.async_eval(y)
    assert mx.synchronize(s) is None
    assert mx.synchronize() is None
    assert mx.synchronize(mx.cpu) is None
    assert mx.synchronize(stream=None) is None
    check(y.sum(), 2000)
    with pytest.raises(TypeError):
        mx.synchronize(3)


def test_streams_per_thread():
    main = mx.default_stream(mx.cpu)
    seen = []

    def work():
        seen.append(mx.default_stream(mx.cpu))
        seen.append((mx.arange(10) * 2).sum().item())

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen[0] != main and seen[1] == 90


def test_threads_evaluate_in_parallel():
    results = [None] * 4

    def work(i):
        x = mx.ones((256, 256)) * (i + 1)
        results[i] = (x @ x).sum().item()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [256.0 * 256 * 256 * (i + 1) ** 2 for i in range(4)]


def test_memory_api():
    mx.clear_cache()
    assert mx.get_cache_memory() == 0
    base = mx.get_active_memory()
    a = mx.ones((1024, 1024))
    mx.eval(a)
    mib4 = 4 * 1024 * 1024
    assert mx.get_active_memory() >= base + mib4 - 4096  # small temporaries may have gone
    assert mx.get_peak_memory() >= mx.get_active_memory()
    del a
    # the stream's worker may drop its last reference just after eval returned
    deadline = time.time() + 5
    while mx.get_active_memory() >= base + mib4 - 4096 and time.time() < deadline:
        time.sleep(0.001)
    assert mx.get_active_memory() < base + mib4 - 4096
    assert mx.get_cache_memory() > 0
    mx.clear_cache()
    assert mx.get_cache_memory() == 0
    mx.reset_peak_memory()
    assert mx.get_peak_memory() <= mx.get_active_memory() + 1024

    old = mx.set_cache_limit(0)
    assert isinstance(old, int) and mx.set_cache_limit(old) == 0
    old = mx.set_memory_limit(1 << 40)
    assert mx.get_memory_limit() == 1 << 40
    assert mx.set_memory_limit(old) == 1 << 40
    assert isinstance(mx.set_wired_limit(0), int)
    for bad in (-1, "a", 1.5):
        with pytest.raises(TypeError):
            mx.set_memory_limit(bad)


def test_out_of_memory_is_an_exception():
    old = mx.set_memory_limit(1 << 20)
    try:
        with pytest.raises(MemoryError):
            (mx.zeros((1 << 22,)) + 1).tolist()
    finally:
        mx.set_memory_limit(old)
    check(mx.ones(3).sum(), 3)


def test_constants():
    import math
    assert mx.pi == math.pi and mx.e == math.e
    assert mx.inf == math.inf and math.isnan(mx.nan)
    assert mx.newaxis is None
    assert abs(mx.euler_gamma - 0.5772156649015329) < 1e-15
