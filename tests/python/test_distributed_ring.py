"""The ring backend across real processes: 2 and 3 local processes, launched
as mlx.launch does (MLX_RANK and a JSON MLX_HOSTFILE of 127.0.0.1 ports),
check every collective against NumPy; a peer that exits or stays silent
makes the survivor fail with a clear error instead of hanging."""
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

WORKER = textwrap.dedent(
    """
    import numpy as np
    import cmlx.core as mx
    import cmlx.nn as nn

    d = mx.distributed
    g = d.init(strict=True, backend="ring")
    r, n = g.rank(), g.size()
    assert d.init().size() == n and d.init(backend="ring").rank() == r

    def data(rank, shape, dt):
        v = np.random.default_rng(100 + rank).integers(-9, 10, shape)
        if dt in ("uint8", "uint64"):
            v = np.abs(v)
        if dt == "bool_":
            v = v > 3
        return np.asarray(v, dtype={"bool_": bool, "bfloat16": np.float32}.get(dt, dt))

    def as_np(a):
        return np.array(a.astype(mx.float32)) if a.dtype == mx.bfloat16 else np.array(a)

    for dt in ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int32", "int64",
               "uint64", "bool_", "complex64"]:
        for shape in [(), (1,), (5,), (7, 3), (300001,)]:
            xs = [data(k, shape, dt) for k in range(n)]
            if dt == "complex64":
                xs = [v * (1 + 2j) for v in xs]
            x = mx.array(xs[r]).astype(getattr(mx, dt))
            s = d.all_sum(x)
            assert s.dtype == x.dtype and s.shape == x.shape
            want = np.any(xs, axis=0) if dt == "bool_" else np.sum(xs, axis=0).astype(xs[0].dtype)
            np.testing.assert_array_equal(as_np(s), want)
            if dt != "complex64":
                np.testing.assert_array_equal(as_np(d.all_max(x)), np.max(xs, axis=0))
                np.testing.assert_array_equal(as_np(d.all_min(x)), np.min(xs, axis=0))
            a = d.all_gather(x)
            np.testing.assert_array_equal(as_np(a), np.concatenate([np.atleast_1d(v) for v in xs]))

    # strided input, NaN
    x = mx.arange(12, dtype=mx.float32).reshape(3, 4).T * (r + 1)
    np.testing.assert_array_equal(np.array(d.all_sum(x)),
                                  np.arange(12).reshape(3, 4).T * (n * (n + 1) // 2))
    v = mx.array([float("nan") if r == 0 else 1.0, 2.0 + r])
    assert np.isnan(np.array(d.all_max(v))[0]) and np.array(d.all_min(v))[1] == 2.0

    # sum_scatter: this rank's block of the sum
    full = np.arange(2 * n * 3, dtype=np.float32).reshape(2 * n, 3)
    got = d.sum_scatter(mx.array(full * (r + 1)))
    np.testing.assert_array_equal(np.array(got), (full * (n * (n + 1) // 2))[2 * r:2 * r + 2])
    big = np.ones((n * 100000,), np.float32) * (r + 1)
    np.testing.assert_array_equal(np.array(d.sum_scatter(mx.array(big))),
                                  np.full(100000, n * (n + 1) // 2, np.float32))

    # send and recv around the ring
    right, left = (r + 1) % n, (r - 1) % n
    mx.eval(d.send(mx.array([r, 10 * r], dtype=mx.int32), right))
    np.testing.assert_array_equal(np.array(d.recv((2,), mx.int32, left)), [left, 10 * left])
    mx.eval(d.send(mx.ones((3, 2)) * r, left))
    np.testing.assert_array_equal(np.array(d.recv_like(mx.zeros((3, 2)), right)),
                                  np.full((3, 2), right, np.float32))

    # transforms: all_gather's gradient is this rank's block; vmap; compile
    x = mx.ones((2, 2)) * r
    w = mx.arange(2 * n, dtype=mx.float32).reshape(-1, 1)
    gr = mx.grad(lambda x: (d.all_gather(x) * w).sum())(x)
    np.testing.assert_array_equal(np.array(gr), np.repeat([[2 * r], [2 * r + 1]], 2, axis=1))
    b = mx.array(np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * r)
    vg = mx.vmap(d.all_gather)(b)
    want = np.stack([np.concatenate([np.arange(3 * i, 3 * i + 3) + 10 * k for k in range(n)])
                     for i in range(2)])
    np.testing.assert_array_equal(np.array(vg), want)
    np.testing.assert_array_equal(np.array(mx.compile(lambda a: d.all_sum(a) + d.all_sum(a))(b)),
                                  2 * sum(np.array(b) - 10 * r + 10 * k for k in range(n)))

    # nn: averaged gradients, a linear layer sharded both ways equals the whole
    avg = nn.average_gradients({"a": mx.ones((3,)) * r, "b": [mx.ones((2, 2)) * 2 * r]})
    np.testing.assert_allclose(np.array(avg["a"]), np.full(3, (n - 1) / 2))
    np.testing.assert_allclose(np.array(avg["b"][0]), np.full((2, 2), n - 1))
    from cmlx.nn.layers.distributed import shard_linear
    mx.random.seed(0)
    lin = nn.Linear(6, 6)
    x = mx.random.normal((2, 6))
    whole = np.array(lin(x))
    s2a = shard_linear(lin, "sharded-to-all")
    np.testing.assert_allclose(np.array(s2a(x[:, r * 6 // n:(r + 1) * 6 // n])), whole,
                               rtol=1e-5, atol=1e-5)
    a2s = shard_linear(lin, "all-to-sharded")
    parts = d.all_gather(a2s(x).T).T
    np.testing.assert_allclose(np.array(parts), whole, rtol=1e-5, atol=1e-5)
    # a sharded stack differentiates like the whole one (this rank's blocks)
    def loss(m, x, y):
        return (m(x) * y).sum()

    mod = nn.Sequential(*[nn.Linear(12, 12) for _ in range(4)])
    smod = nn.Sequential(*[shard_linear(l, "all-to-sharded" if i % 2 == 0 else "sharded-to-all")
                           for i, l in enumerate(mod.layers)])
    x, y = mx.random.normal((4, 12)), mx.random.normal((4, 12))
    l1, g1 = nn.value_and_grad(mod, loss)(mod, x, y)
    l2, g2 = nn.value_and_grad(smod, loss)(smod, x, y)
    blk = slice(r * 12 // n, (r + 1) * 12 // n)
    np.testing.assert_allclose(np.array(l1), np.array(l2), rtol=1e-4, atol=1e-4)
    for i in range(4):
        w1, w2 = np.array(g1["layers"][i]["weight"]), np.array(g2["layers"][i]["weight"])
        np.testing.assert_allclose(w1[blk] if i % 2 == 0 else w1[:, blk], w2, rtol=1e-4,
                                   atol=1e-5)

    # average_gradients: one all_sum per ~all_reduce_size bytes of gradients
    calls = []
    real_all_sum = d.all_sum
    d.all_sum = lambda x, **kw: calls.append(1) or real_all_sum(x, **kw)
    try:
        grads = [mx.ones(10) * r for _ in range(10)]
        for size, count in [(32 * 1024**2, 1), (200, 2), (0, 10)]:
            calls.clear()
            out = nn.average_gradients(grads, all_reduce_size=size)
            assert len(calls) == count, (size, len(calls))
            for o in out:
                np.testing.assert_allclose(np.array(o), np.full(10, (n - 1) / 2))
    finally:
        d.all_sum = real_all_sum
    try:
        g.split(0)
        raise SystemExit("split should fail")
    except RuntimeError as e:
        assert "split" in str(e)
    print("OK", r, flush=True)
    """
)

# Compiled functions run their transfers on every call, also those that
# depend on no input of the function (a recv, the send of a constant, a
# collective of a constant): each call receives fresh data.
COMPILED = textwrap.dedent(
    """
    import numpy as np
    import cmlx.core as mx

    d = mx.distributed
    g = d.init(strict=True, backend="ring")
    r, n = g.rank(), g.size()
    right, left = (r + 1) % n, (r - 1) % n

    recv = mx.compile(lambda: d.recv((2,), mx.float32, left))
    recv_add = mx.compile(lambda x: x + 2 * d.recv_like(x, left))
    send = mx.compile(lambda: d.send(mx.arange(2, dtype=mx.float32) + 100 * r, right))
    plus_sum = mx.compile(lambda x: x + d.all_sum(mx.ones((2,))))
    x = mx.array([1.0, -1.0])
    for k in range(3):
        mx.eval(d.send(mx.array([r, k], dtype=mx.float32), right))
        np.testing.assert_array_equal(np.array(recv()), [left, k])
        mx.eval(d.send(mx.array([r, -k], dtype=mx.float32), right))
        np.testing.assert_array_equal(np.array(recv_add(x)), [1 + 2 * left, -1 - 2 * k])
        mx.eval(send())
        np.testing.assert_array_equal(np.array(d.recv((2,), mx.float32, left)),
                                      [100 * left, 100 * left + 1])
        # rank 0 sums ones in the compiled function, the others k eagerly
        if r == 0:
            got = plus_sum(x)
        else:
            got = d.all_sum(mx.full((2,), float(k)))
        want = np.full(2, 1.0 + (n - 1) * k) + (np.array(x) if r == 0 else 0)
        np.testing.assert_array_equal(np.array(got), want)
    print("OK", r, flush=True)
    """
)

# Rank 1 leaves (or goes silent) after init; rank 0's next collective must fail.
DEPARTING = textwrap.dedent(
    """
    import sys, time
    import cmlx.core as mx

    g = mx.distributed.init(strict=True)
    if g.rank() == 1:
        if sys.argv[1] == "silent":
            time.sleep(3)
        sys.exit(0)
    t = time.time()
    try:
        mx.eval(mx.distributed.all_sum(mx.ones((1000,))))
        print("NO ERROR", flush=True)
    except RuntimeError as e:
        print("ERROR", round(time.time() - t, 1), e, flush=True)
    """
)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def launch(tmp_path, n, code, args=(), env=None, timeout=60):
    hostfile = tmp_path / "hosts.json"
    hostfile.write_text(json.dumps([[f"127.0.0.1:{p}"] for p in free_ports(n)]))
    script = tmp_path / "worker.py"
    script.write_text(code)
    base = dict(os.environ, MLX_HOSTFILE=str(hostfile), **(env or {}))
    procs = [
        subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(base, MLX_RANK=str(k)))
        for k in range(n)
    ]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            outs.append((p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return outs


@pytest.mark.parametrize("n", [2, 3])
def test_collectives_across_processes(tmp_path, n):
    outs = launch(tmp_path, n, WORKER)
    for k, (rc, out, err) in enumerate(outs):
        assert rc == 0 and f"OK {k}" in out, err[-3000:]


@pytest.mark.parametrize("n", [2, 3])
def test_compiled_transfers_run_each_call(tmp_path, n):
    outs = launch(tmp_path, n, COMPILED, env={"CMLX_RING_TIMEOUT": "10"})
    for k, (rc, out, err) in enumerate(outs):
        assert rc == 0 and f"OK {k}" in out, err[-3000:]


@pytest.mark.parametrize("how, words", [("exit", "closed the connection"),
                                        ("silent", "Timed out")])
def test_lost_peer_is_an_error(tmp_path, how, words):
    t = time.time()
    outs = launch(tmp_path, 2, DEPARTING, [how], env={"CMLX_RING_TIMEOUT": "1.5"})
    rc, out, err = outs[0]
    assert rc == 0 and out.startswith("ERROR"), (out, err[-2000:])
    assert words in out
    assert time.time() - t < 30


def test_missing_peer_at_init_is_an_error(tmp_path):
    code = textwrap.dedent(
        """
        import cmlx.core as mx
        try:
            mx.distributed.init(strict=True, backend="ring")
            print("NO ERROR")
        except RuntimeError as e:
            print("ERROR", e)
        """
    )
    hostfile = tmp_path / "hosts.json"
    hostfile.write_text(json.dumps([[f"127.0.0.1:{p}"] for p in free_ports(2)]))
    script = tmp_path / "lonely.py"
    script.write_text(code)
    env = dict(os.environ, MLX_HOSTFILE=str(hostfile), MLX_RANK="0", CMLX_RING_TIMEOUT="1")
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=60).stdout
    assert out.startswith("ERROR [ring] Couldn't connect to rank 1"), out
    bad = tmp_path / "bad.json"
    for text, words in [("[]", "non-empty JSON list"), ("[[\"nocolon\"]]", "Can't parse address"),
                        ("{", "hostfile"), ("[[\"127.0.0.1:1\"]]", "")]:
        bad.write_text(text)
        env = dict(os.environ, MLX_HOSTFILE=str(bad), MLX_RANK="0")
        out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                             text=True, timeout=60).stdout
        if words:
            assert out.startswith("ERROR") and words in out, out
        else:  # a ring of one process
            assert out.startswith("NO ERROR"), out
    env = dict(os.environ, MLX_HOSTFILE=str(hostfile), MLX_RANK="5")
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=60).stdout
    assert "Rank cannot be larger than the size of the group" in out


def test_waiting_collective_releases_the_gil(tmp_path):
    code = textwrap.dedent(
        """
        import threading, time
        import cmlx.core as mx

        d = mx.distributed
        g = d.init(strict=True)
        if g.rank() == 1:
            time.sleep(0.6)
            mx.eval(d.all_sum(mx.ones((4,))))
        else:
            done, ticks = [], 0
            t = threading.Thread(target=lambda: done.append(mx.eval(d.all_sum(mx.ones((4,))))))
            t.start()
            while not done:
                ticks += 1
                time.sleep(0.01)
            t.join()
            print("TICKS", ticks, flush=True)
        """
    )
    outs = launch(tmp_path, 2, code)
    assert all(rc == 0 for rc, _, _ in outs), outs
    assert int(outs[0][1].split()[1]) > 10  # the main thread ran while rank 0 waited
