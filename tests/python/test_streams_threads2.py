"""ThreadLocalStream, new_thread_local_stream, new_thread_unsafe_stream and
stream= arguments taking either kind of stream, compared with real MLX."""
import threading

import numpy as np
import pytest

import cmlx.core as mx


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_types_match_mlx(mlx):
    assert type(mx.default_stream(mx.cpu)) is mx.Stream
    assert type(mlx.default_stream(mlx.cpu)).__name__ == "Stream"
    t, r = mx.new_thread_local_stream(mx.cpu), mlx.new_thread_local_stream(mlx.cpu)
    assert type(t) is mx.ThreadLocalStream
    assert type(r).__name__ == type(t).__name__ == "ThreadLocalStream"
    u, ru = mx.new_thread_unsafe_stream(mx.cpu), mlx.new_thread_unsafe_stream(mlx.cpu)
    assert type(u) is mx.Stream and type(ru).__name__ == "Stream"
    public = lambda o: sorted(n for n in dir(o) if not n.startswith("_"))  # noqa: E731
    assert public(t) == public(r) == ["device"]
    assert t.device == mx.cpu


def test_no_constructor():
    with pytest.raises(TypeError):
        mx.ThreadLocalStream()


def test_repr():
    t = mx.new_thread_local_stream(mx.cpu)
    assert repr(t).startswith("ThreadLocalStream(Device(cpu, 0), ")
    assert str(t) == repr(t)
    a, b = mx.new_thread_local_stream(mx.cpu), mx.new_thread_local_stream(mx.cpu)
    assert repr(a) != repr(b)
    assert t == t and a != b and hash(t) == hash(t)


def test_unknown_device():
    with pytest.raises(ValueError):
        mx.new_thread_local_stream(mx.Device(mx.cpu, 3))
    with pytest.raises(TypeError):
        mx.new_thread_local_stream("cpu")
    with pytest.raises(TypeError):
        mx.new_thread_unsafe_stream(3)


def test_ops_accept_thread_local_stream():
    t = mx.new_thread_local_stream(mx.cpu)
    assert mx.add(1, 2, stream=t).item() == 3
    assert mx.zeros((2,), stream=t).tolist() == [0, 0]
    x = mx.arange(6, stream=t).reshape(2, 3, stream=t)
    assert mx.sum(x, axis=1, stream=t).tolist() == [3, 12]
    assert x.sum(stream=t).item() == 15
    assert mx.random.uniform(shape=(3,), stream=t).shape == (3,)
    assert mx.linalg.inv(mx.eye(2), stream=t).tolist() == [[1, 0], [0, 1]]
    mx.synchronize(t)
    mx.synchronize(mx.new_thread_unsafe_stream(mx.cpu))
    with pytest.raises(TypeError):
        mx.add(1, 2, stream="cpu")


def test_one_stream_per_thread():
    t = mx.new_thread_local_stream(mx.cpu)
    with mx.stream(t):
        here = mx.default_stream(mx.cpu)
        again = mx.default_stream(mx.cpu)
    assert here == again
    assert type(here) is mx.Stream

    def other():
        with mx.stream(t):
            return mx.default_stream(mx.cpu)

    there = in_thread(other)
    assert there != here
    # the same thread resolves to the same stream on later uses
    with mx.stream(t):
        assert mx.default_stream(mx.cpu) == here
    assert mx.default_stream(mx.cpu) != here  # the context restored the default


def test_set_default_stream_accepts_thread_local():
    before = mx.default_stream(mx.cpu)
    t = mx.new_thread_local_stream(mx.cpu)
    mx.set_default_stream(t)
    try:
        s = mx.default_stream(mx.cpu)
        assert s != before
        with mx.stream(t):
            assert mx.default_stream(mx.cpu) == s
    finally:
        mx.set_default_stream(before)
    assert mx.default_stream(mx.cpu) == before


def test_thread_unsafe_stream_used_across_threads():
    u = mx.new_thread_unsafe_stream(mx.cpu)
    x = mx.arange(100, dtype=mx.float32)
    y = mx.multiply(x, 2, stream=u)
    got = in_thread(lambda: np.array(mx.add(y, 1, stream=u)))
    np.testing.assert_array_equal(got, np.arange(100) * 2 + 1)


def test_many_threads_share_a_thread_local_stream():
    t = mx.new_thread_local_stream(mx.cpu)
    results, streams = {}, {}

    def work(i):
        with mx.stream(t):
            streams[i] = mx.default_stream(mx.cpu)
            results[i] = mx.sum(mx.arange(i + 10)).item()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == {i: sum(range(i + 10)) for i in range(4)}
    assert all(type(s) is mx.Stream for s in streams.values())
