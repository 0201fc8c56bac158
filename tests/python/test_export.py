"""Function export: export_function / import_function / exporter round trips
(MLPs, attention, convolutions, indexing, sorting, quantized ops, several
traces, shapeless files), wrong calls and corrupted files."""
import struct

import numpy as np
import pytest

import cmlx.core as mx


def rnd(*shape, seed=0, dtype=np.float32):
    return mx.array(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def close(a, b, tol=1e-5):
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_allclose(np.array(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a),
                               np.array(b.astype(mx.float32) if b.dtype == mx.bfloat16 else b),
                               rtol=tol, atol=tol)


def round_trip(tmp_path, fun, *args, **kwargs):
    """Exports fun on the arguments, imports it and checks the imported
    function gives fun's outputs (as a tuple)."""
    path = tmp_path / "f.mlxfn"
    mx.export_function(str(path), fun, *args, **kwargs)
    g = mx.import_function(str(path))
    got = g(*args, **kwargs)
    want = fun(*args, **kwargs)
    if isinstance(want, mx.array):
        want = (want,)
    assert isinstance(got, tuple) and len(got) == len(want)
    for a, b in zip(got, want):
        close(a, b)
    return g


def test_mlp(tmp_path):
    w1, b1, w2, b2 = rnd(8, 16, seed=1), rnd(16, seed=2), rnd(16, 4, seed=3), rnd(4, seed=4)

    def mlp(x):
        h = mx.maximum(x @ w1 + b1, 0)
        return mx.softmax(h @ w2 + b2, axis=-1)

    g = round_trip(tmp_path, mlp, rnd(5, 8))
    close(g(rnd(5, 8, seed=9))[0], mlp(rnd(5, 8, seed=9)))


def test_attention_block(tmp_path):
    wq, wk, wv = (rnd(16, 16, seed=i) for i in range(3))
    wn = rnd(16, seed=7) + 1

    def block(x):
        B, L, D = x.shape
        h = mx.fast.rms_norm(x, wn, 1e-5)
        q, k, v = (mx.transpose((h @ w).reshape(B, L, 2, 8), (0, 2, 1, 3)) for w in (wq, wk, wv))
        q = mx.fast.rope(q, 8, traditional=False, base=10000.0, scale=1.0, offset=0)
        k = mx.fast.rope(k, 8, traditional=False, base=10000.0, scale=1.0, offset=0)
        o = mx.fast.scaled_dot_product_attention(q, k, v, scale=8 ** -0.5, mask="causal")
        o = mx.transpose(o, (0, 2, 1, 3)).reshape(B, L, D)
        return mx.fast.layer_norm(x + o, wn, None, 1e-5)

    round_trip(tmp_path, block, rnd(2, 6, 16))


def test_conv(tmp_path):
    w1, w2 = rnd(4, 3, 3, seed=1), rnd(5, 3, 3, 2, seed=2)
    round_trip(tmp_path, lambda x: mx.conv1d(x, w1, stride=2, padding=1), rnd(2, 9, 3))
    round_trip(tmp_path, lambda x: mx.conv2d(x, w2, padding=1, groups=1), rnd(1, 6, 6, 2))


def test_indexing_and_shape_kinds(tmp_path):
    idx = mx.array([2, 0, 1])

    def f(x, y):
        a = x[1:, ::2]
        b = mx.concatenate([x, y], axis=0)
        c = mx.take(x, idx, axis=1)
        d = mx.take_along_axis(x, mx.argsort(x, axis=1), axis=1)
        e = mx.pad(x, [(1, 0), (0, 2)], constant_values=3.0)
        u = x.at[idx].add(1.0)
        s = mx.slice_update(x, mx.zeros((2, 2)), mx.array([1, 1]), axes=(0, 1))
        return a, b, c, d, e, u, s, mx.put_along_axis(x, mx.zeros((4, 1), mx.int32), y[:, :1],
                                                          axis=1)

    round_trip(tmp_path, f, rnd(4, 5), rnd(4, 5, seed=1))


def test_reductions_sort_scan(tmp_path):
    def f(x):
        return (mx.argmax(x, axis=1), mx.logsumexp(x, axis=0), mx.sort(x, axis=0),
                mx.partition(x, 2, axis=1), mx.argpartition(x, 1, axis=0), mx.cumsum(x, axis=1),
                mx.cummax(x, axis=0, reverse=True), mx.logcumsumexp(x, axis=1),
                mx.softmax(x, axis=0, precise=True), x.astype(mx.float16), mx.where(x > 0, x, -x),
                mx.tril(x), mx.triu(x, 1))

    round_trip(tmp_path, f, rnd(4, 5))


def test_creation_random_quantized(tmp_path):
    w = rnd(32, 64)
    wq, scales, biases = mx.quantize(w, group_size=32, bits=4)

    def f(x):
        full = mx.full((2, 3), 1.5)
        ar = mx.arange(0, 6, 2, dtype=mx.float32)
        qm = mx.quantized_matmul(x, wq, scales, biases, transpose=True, group_size=32, bits=4)
        dq = mx.dequantize(wq, scales, biases, group_size=32, bits=4)
        am = mx.addmm(x[:, :3], x[:, :3], x[:3, :3], alpha=0.5, beta=2.0)
        return full, ar, qm, dq, am

    round_trip(tmp_path, f, rnd(3, 64))

    def q(x):
        return list(mx.quantize(x, group_size=32, bits=8))

    round_trip(tmp_path, q, rnd(4, 64))
    if not hasattr(mx.random, "bits"):
        return
    key = mx.random.key(3)
    g = round_trip(tmp_path, lambda k: mx.random.bits((3, 4), key=k), key)
    assert g(mx.random.key(4))[0].shape == (3, 4)


def test_kwargs_and_tree_forms(tmp_path):
    def f(x, y=None, z=None):
        return x * y - z

    x, y, z = rnd(3), rnd(3, seed=1), rnd(3, seed=2)
    path = tmp_path / "kw.mlxfn"
    mx.export_function(path, f, x, z=z, y=y)  # pathlib path, keywords in any order
    g = mx.import_function(path)
    close(g(x, y=y, z=z)[0], f(x, y=y, z=z))
    close(g((x,), {"z": z, "y": y})[0], f(x, y=y, z=z))
    with pytest.raises(ValueError):
        g(x, y=y, w=z)  # other keyword names
    with pytest.raises(ValueError):
        g(x, y, z)  # the keywords given by position
    with mx.exporter(tmp_path / "kw2.mlxfn", f) as ex:  # one trace per set of names
        ex(x, y=y, z=z)
        with pytest.raises((ValueError, RuntimeError)):
            ex(x, z=z, y=x)  # the same names, dtypes and shapes: already there
        ex(y, x, z=z)
    g = mx.import_function(tmp_path / "kw2.mlxfn")
    close(g(x, y=y, z=z)[0], f(x, y=y, z=z))
    close(g(y, x, z=z)[0], f(y, x, z=z))
    mx.export_function(tmp_path / "t.mlxfn", lambda a, b: [a + b, a - b], (x, y))
    r = mx.import_function(tmp_path / "t.mlxfn")(x, y)
    close(r[0], x + y)
    close(r[1], x - y)


def test_several_traces(tmp_path):
    path = tmp_path / "multi.mlxfn"

    def fun(*args):
        return sum(args[1:], args[0])

    with mx.exporter(str(path), fun) as ex:
        assert isinstance(ex, mx.FunctionExporter)
        ex(mx.array(1))
        ex(mx.array(1), mx.array(2))
        ex(mx.array([1.0, 2.0]), mx.array(2.0), mx.array(3.0))
        with pytest.raises((ValueError, RuntimeError)):
            ex(mx.array(5))  # the same signature again
    g = mx.import_function(path)
    assert g(mx.array(4))[0].item() == 4
    assert g(mx.array(4), mx.array(5))[0].item() == 9
    close(g(mx.array([1.0, 0.0]), mx.array(1.0), mx.array(1.0))[0], mx.array([3.0, 2.0]))
    with pytest.raises(ValueError):
        g(mx.array([1, 2]))  # no trace takes this shape
    with pytest.raises(RuntimeError):
        ex(mx.array(1))  # closed


def test_shapeless(tmp_path):
    path = tmp_path / "sl.mlxfn"
    fun = lambda x, y: mx.exp(x) * y + 1.0  # noqa: E731
    mx.export_function(path, fun, rnd(2, 3), rnd(2, 3, seed=1), shapeless=True)
    g = mx.import_function(path)
    for shape in [(4, 5), (1, 7), (0, 3)]:
        a, b = rnd(*shape, seed=3), rnd(*shape, seed=4)
        close(g(a, b)[0], fun(a, b))
    with pytest.raises(ValueError):
        g(rnd(4), rnd(4))  # another ndim
    with pytest.raises(ValueError):
        g(rnd(2, 3).astype(mx.float16), rnd(2, 3))  # another dtype


def shapeless_calls(tmp_path, fun, args, *calls, tol=1e-4):
    """Exports fun shapeless on args, imports it, and checks it against fun
    at args and at each other call's shapes (each called twice: the second
    finds the tape checked at those shapes)."""
    path = tmp_path / "shp.mlxfn"
    mx.export_function(str(path), fun, *args, shapeless=True)
    g = mx.import_function(str(path))
    for call in (args,) + calls + calls:
        got, want = g(*call), fun(*call)
        want = (want,) if isinstance(want, mx.array) else tuple(want)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            close(a, b, tol)
    return g


def test_shapeless_shape_kinds(tmp_path):
    a = rnd
    shapeless_calls(tmp_path, lambda x: x.reshape(-1, 2), (a(4, 3),), (a(6, 3),), (a(2, 5),))
    shapeless_calls(tmp_path, lambda x: x.reshape(x.shape[0], -1), (a(2, 3, 4),), (a(2, 5, 2),))
    shapeless_calls(tmp_path, lambda x, b: x * b + 1.0, (a(4, 3), a(3)), (a(5, 7), a(7)), (a(1, 2), a(2)))
    shapeless_calls(tmp_path, lambda x: mx.broadcast_to(x, (4, 3)), (a(1, 3),), (a(4, 1),), (a(4, 3),))
    shapeless_calls(tmp_path, lambda x: x[1:3], (a(4, 3),), (a(6, 5),), (a(3, 1),))
    shapeless_calls(tmp_path, lambda x: x[:, -1, :], (a(2, 3, 4),), (a(1, 3, 7),))
    shapeless_calls(tmp_path, lambda x: (x.T, mx.transpose(x, (1, 0, 2))[0]), (a(2, 3, 4),), (a(5, 1, 2),))
    shapeless_calls(tmp_path, lambda x: mx.concatenate([x, 2 * x], 0), (a(2, 3),), (a(4, 5),))
    shapeless_calls(tmp_path, lambda x, y: mx.concatenate([x, y], 1), (a(2, 3), a(2, 1)), (a(4, 5), a(4, 6)))
    shapeless_calls(tmp_path, lambda x: mx.pad(x, [(1, 2), (0, 1)]), (a(4, 3),), (a(6, 5),), (a(0, 2),))
    shapeless_calls(tmp_path, lambda x: (mx.diagonal(x), mx.diagonal(x, 1), mx.trace(x)), (a(4, 3),),
                    (a(6, 5),), (a(2, 7),))


def test_shapeless_reductions_and_products(tmp_path):
    a = rnd
    shapeless_calls(tmp_path, lambda x: (x.sum(1), x.mean(0), x.argmax(1), mx.logsumexp(x, 1),
                                         x.max(0, keepdims=True), mx.mean(x)),
                    (a(4, 3),), (a(6, 5),), (a(1, 9),))
    shapeless_calls(tmp_path, lambda x, y: x @ y, (a(4, 3), a(3, 2)), (a(6, 5), a(5, 7)), (a(1, 1), a(1, 3)))
    shapeless_calls(tmp_path, lambda x, y: x @ y, (a(2, 1, 4, 2), a(3, 2, 5)), (a(3, 1, 2, 6), a(2, 6, 3)))
    shapeless_calls(tmp_path, lambda c, x, y: mx.addmm(c, x, y, alpha=2.0, beta=0.5),
                    (a(4, 2), a(4, 3), a(3, 2)), (a(6, 7), a(6, 5), a(5, 7)), (a(1, 7), a(3, 5), a(5, 7)))

    def softmax(x):
        e = mx.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True), mx.softmax(x, -1)

    shapeless_calls(tmp_path, softmax, (a(4, 3),), (a(6, 5),), (a(1, 1),))


def test_shapeless_gathers(tmp_path):
    a = rnd
    idx = lambda *v: mx.array(np.array(v, np.int32))  # noqa: E731
    shapeless_calls(tmp_path, lambda x, i: mx.take(x, i), (a(4, 3), idx(0, 2)), (a(6, 5), idx(1, 29, 0)))
    shapeless_calls(tmp_path, lambda x, i: mx.take_along_axis(x, i, axis=1),
                    (a(4, 3), idx([0], [2], [1], [0])), (a(2, 5), idx([4, 0], [1, 3])))
    shapeless_calls(tmp_path, lambda x, i: x[i], (a(4, 3), idx(0, 3)), (a(6, 5), idx(5, 0, 1)))
    shapeless_calls(tmp_path, lambda x, i: mx.take(x, i, axis=1), (a(4, 3), idx(0, 2)), (a(6, 5), idx(4, 0, 1)))


def test_shapeless_first_input_shaped_kinds(tmp_path):
    a = rnd
    shapeless_calls(tmp_path, lambda x, w: mx.fast.rms_norm(x, w, 1e-5), (a(4, 8), a(8)), (a(6, 8), a(8)))
    shapeless_calls(tmp_path, lambda x, w, b: mx.fast.layer_norm(x, w, b, 1e-5), (a(4, 8), a(8), a(8)),
                    (a(1, 8), a(8), a(8)))
    shapeless_calls(tmp_path, lambda x: mx.fast.rope(x, 8, traditional=False, base=10000.0, scale=1.0,
                                                     offset=0), (a(1, 4, 8),), (a(2, 6, 8),))
    shapeless_calls(tmp_path, lambda x: (mx.cumsum(x, 1), mx.sort(x, 1), mx.softmax(x, 0)), (a(4, 8),),
                    (a(6, 3),))
    p = str(tmp_path / "n.mlxfn")
    mx.export_function(p, lambda x, w: mx.fast.rms_norm(x, w, 1e-5), a(4, 8), a(8), shapeless=True)
    with pytest.raises(ValueError, match="RMSNorm"):
        mx.import_function(p)(a(4, 6), a(8))  # a weight of 8 for 6 features


def test_shapeless_mlp(tmp_path):
    # the weights are captured (constants); the biases are arguments
    w1, b1, w2, b2 = rnd(8, 16, seed=1), rnd(16, seed=2), rnd(16, 4, seed=3), rnd(4, seed=4)

    def mlp(x, b1, b2):
        h = mx.maximum(x @ w1 + b1, 0)
        return mx.softmax(h @ w2 + b2, axis=-1)

    g = shapeless_calls(tmp_path, mlp, (rnd(5, 8), b1, b2), (rnd(1, 8, seed=5), b1, b2),
                        (rnd(33, 8, seed=6), b1, b2))
    with pytest.raises(ValueError, match="Matmul"):
        g(rnd(5, 7), b1, b2)  # 7 features for 8 rows of w1
    with pytest.raises(ValueError):
        g(rnd(5, 8), rnd(15), b2)  # a bias of 15 for 16 columns
    close(g(rnd(3, 8), b1, b2)[0], mlp(rnd(3, 8), b1, b2))


def test_shapeless_shapes_that_do_not_fit(tmp_path):
    p = str(tmp_path / "nf.mlxfn")
    mx.export_function(p, lambda x, y: x @ y, rnd(4, 3), rnd(3, 2), shapeless=True)
    g = mx.import_function(p)
    with pytest.raises(ValueError, match="Matmul"):
        g(rnd(6, 5), rnd(4, 7))
    close(g(rnd(6, 5), rnd(5, 7))[0], rnd(6, 5) @ rnd(5, 7))
    mx.export_function(p, lambda x: x[1:3], rnd(4, 3), shapeless=True)
    g = mx.import_function(p)
    with pytest.raises(ValueError, match="Slice"):
        g(rnd(2, 3))
    mx.export_function(p, lambda x: x.reshape(6, -1), rnd(2, 3, 4), shapeless=True)
    g = mx.import_function(p)
    assert g(rnd(2, 3, 8))[0].shape == (6, 8)
    with pytest.raises(ValueError, match="Reshape"):
        g(rnd(5, 5, 5))
    mx.export_function(p, lambda x: mx.broadcast_to(x, (4, 3)), rnd(1, 3), shapeless=True)
    g = mx.import_function(p)
    with pytest.raises(ValueError, match="Broadcast"):
        g(rnd(1, 5))
    mx.export_function(p, lambda x, i: mx.take_along_axis(x, i, axis=1), rnd(4, 3),
                       mx.zeros((4, 1), mx.int32), shapeless=True)
    g = mx.import_function(p)
    with pytest.raises(ValueError, match="GatherAxis"):
        g(rnd(2, 3), mx.zeros((5, 1), mx.int32))  # 5 rows of indices into 2
    mx.export_function(p, lambda c, x, y: mx.addmm(c, x, y), rnd(4, 2), rnd(4, 3), rnd(3, 2),
                       shapeless=True)
    g = mx.import_function(p)
    with pytest.raises(ValueError, match="AddMM"):
        g(rnd(2, 2), rnd(6, 5), rnd(5, 7))
    # the library keeps working
    close(g(rnd(6, 7), rnd(6, 5), rnd(5, 7))[0], mx.addmm(rnd(6, 7), rnd(6, 5), rnd(5, 7)))


def test_shapeless_forged(tmp_path):
    p = tmp_path / "f.mlxfn"
    x = rnd(4, 3)
    mx.export_function(p, lambda a: a[1:3], x, shapeless=True)
    data = p.read_bytes()
    _, ops = parse(data)
    (name, off, size), = ops
    assert name == "Slice" and size == 8 + 2 * 2 * 8  # ndim, then starts and steps
    b = bytearray(data)
    struct.pack_into("<q", b, off + 8, 2)  # a[2:4]: in bounds at the traced shape
    bad = tmp_path / "bad.mlxfn"
    bad.write_bytes(bytes(b))
    g = mx.import_function(bad)
    close(g(x)[0], x[2:4])
    y = rnd(6, 5)
    close(g(y)[0], y[2:4])
    for shape in [(3, 3), (2, 5)]:  # past the end of the new input: refused
        with pytest.raises(ValueError, match="Slice"):
            g(rnd(*shape))
    # an op that reads no input of the function (here: a constant twice)
    mx.export_function(p, lambda a: a * 2.0, x, shapeless=True)
    data = p.read_bytes()
    slots, ops = parse(data)
    (name, off, size), = ops
    assert name == "Multiply"
    b = bytearray(data)
    ins = off + size
    a0, a1 = struct.unpack_from("<II", b, ins)
    const = a1 if a0 == 0 else a0
    struct.pack_into("<II", b, ins, const, const)
    bad.write_bytes(bytes(b))
    with pytest.raises(ValueError, match="reads no input"):
        mx.import_function(bad)


def test_wrong_calls(tmp_path):
    p = str(tmp_path / "w.mlxfn")
    x = rnd(2)
    with pytest.raises(TypeError):
        mx.export_function(p, 5, x)
    with pytest.raises(TypeError):
        mx.export_function(3, lambda a: a, x)
    with pytest.raises(TypeError):
        mx.export_function(p, lambda a: a, x, shapeless=3)
    with pytest.raises(ValueError):
        mx.export_function(p, lambda a: a, 1)  # not an array
    with pytest.raises(ValueError):
        mx.export_function(p, lambda a: a, x, y=1)
    with pytest.raises((ValueError, TypeError)):
        mx.export_function(p, lambda a: "no", x)
    with pytest.raises(ZeroDivisionError):
        mx.export_function(p, lambda a: 1 / 0, x)
    with pytest.raises(TypeError):
        mx.import_function(5)
    with pytest.raises(RuntimeError):
        mx.import_function(str(tmp_path / "missing.mlxfn"))
    with pytest.raises(TypeError):
        mx.exporter(p, 5)
    with pytest.raises(TypeError):
        mx.exporter(p, lambda a: a, True)  # shapeless is keyword-only
    mx.export_function(p, lambda a: a * 2, x)
    g = mx.import_function(p)
    with pytest.raises(ValueError):
        g(x, x)
    with pytest.raises(ValueError):
        g(rnd(3))
    with pytest.raises(ValueError):
        g(1.0)


def test_corrupted_files(tmp_path):
    w = rnd(4, 4)
    p = tmp_path / "c.mlxfn"

    def f(x):
        return mx.softmax(mx.take(x @ w, mx.array([1, 0]), axis=0), axis=-1), mx.sort(x, axis=1)

    mx.export_function(p, f, rnd(3, 4))
    data = p.read_bytes()
    bad = tmp_path / "bad.mlxfn"
    rng = np.random.default_rng(0)
    for n in list(range(0, len(data), max(1, len(data) // 97))):
        bad.write_bytes(data[:n])  # every truncation raises
        with pytest.raises(ValueError):
            mx.import_function(bad)
    x = rnd(3, 4)
    for _ in range(300):  # flipped bytes raise or give a working function
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        bad.write_bytes(bytes(b))
        try:
            g = mx.import_function(bad)
        except ValueError:
            continue
        try:
            for a in g(x):
                mx.eval(a)
        except ValueError:
            pass
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError):
        mx.import_function(bad)


def parse(data):
    """Offsets in a function file (docs/function_format.md): for trace 0,
    each slot's dtype byte and each op's (kind name, params offset, size)."""
    off = 16
    (n_kinds,) = struct.unpack_from("<I", data, off)
    off += 4
    names = []
    for _ in range(n_kinds):
        (ln,) = struct.unpack_from("<H", data, off)
        names.append(data[off + 2:off + 2 + ln].decode())
        off += 2 + ln
    (n_consts,) = struct.unpack_from("<I", data, off)  # the constant pool
    off += 4
    for _ in range(n_consts):
        ndim = data[off + 1]
        (nb,) = struct.unpack_from("<Q", data, off + 2 + 4 * ndim)
        off += 10 + 4 * ndim + nb
    off += 4  # n_traces
    n_inputs, n_slots = struct.unpack_from("<II", data, off)
    off += 8
    slots = []
    for _ in range(n_slots):
        kind, _, ndim = data[off], data[off + 1], data[off + 2]
        slots.append(off + 1)
        off += 3 + 4 * ndim
        off += 5 if kind == 1 else 4  # constant: spread flag, pool index
    (n_ops,) = struct.unpack_from("<I", data, off)
    off += 4
    ops = []
    for _ in range(n_ops):
        k, n_in, _, _, psize = struct.unpack_from("<5I", data, off)
        ops.append((names[k], off + 20, psize))
        off += 20 + psize + 4 * n_in
    return slots, ops


def test_forged_dtypes_and_params(tmp_path):
    p = tmp_path / "f.mlxfn"
    x, y = rnd(2, 3), rnd(2, 3, seed=1)
    mx.export_function(p, lambda a, b: a + b, x, y)
    data = p.read_bytes()
    slots, ops = parse(data)
    bad = tmp_path / "bad.mlxfn"
    # an input of another dtype than the op's kernel reads: refused
    for dt in (1, 9, 11):
        b = bytearray(data)
        b[slots[1]] = dt
        bad.write_bytes(bytes(b))
        with pytest.raises(ValueError):
            mx.import_function(bad)
    # an output of another dtype
    b = bytearray(data)
    b[slots[2]] = 0
    bad.write_bytes(bytes(b))
    with pytest.raises(ValueError):
        mx.import_function(bad)

    def f(a):
        return (a[1:, ::-2], mx.softmax(a, axis=1), mx.take(a, mx.array([1, 0]), axis=0),
                mx.sort(a, axis=1), mx.cumsum(a, axis=0), mx.argmax(a, axis=1))

    mx.export_function(p, f, x)
    data = p.read_bytes()
    _, ops = parse(data)
    kinds = {name for name, _, _ in ops}
    assert {"Slice", "Softmax", "Gather", "Sort", "Scan", "ArgReduce"} <= kinds
    forged = 0
    for name, off, size in ops:
        for field in range(0, size, 4):  # every 32-bit field set to a wild value
            for v in (-1, 7, 1 << 30):
                b = bytearray(data)
                struct.pack_into("<i", b, off + field, v)
                bad.write_bytes(bytes(b))
                try:
                    g = mx.import_function(bad)
                except ValueError:
                    forged += 1
                    continue
                for a in g(x):  # accepted: the parameters are valid ones
                    mx.eval(a)
    assert forged > 0


def test_more_kinds(tmp_path):
    def f(x):
        return (mx.eye(3, 4, k=1), mx.tri(3, 2, k=0), mx.diagonal(x, 1), mx.diag(x),
                mx.hadamard_transform(x), mx.slice(x, mx.array([1]), axes=(0,), slice_size=(2, 4)),
                mx.searchsorted(mx.array([0.0, 0.5, 1.0]), x, side="right"),
                mx.from_fp8(mx.to_fp8(x), dtype=mx.float32), mx.isclose(x, x * 1.0000001),
                mx.array_equal(x, x, equal_nan=True), mx.clip(x, -0.5, 0.5),
                mx.nan_to_num(x / 0), mx.sqrt(mx.abs(x)), mx.rsqrt(mx.abs(x) + 1),
                mx.log2(mx.abs(x) + 1), mx.divmod(x, 0.3)[1], mx.trace(x, 1),
                mx.hanning(5), mx.blackman(4))

    round_trip(tmp_path, f, rnd(4, 4))

    def r(k):
        return (mx.random.uniform(-1, 2, (3, 4), key=k), mx.random.normal((5,), key=k),
                mx.random.gumbel((3,), key=k), mx.random.laplace((2,), scale=2.0, key=k),
                mx.random.bernoulli(0.3, (4,), key=k),
                mx.random.truncated_normal(-1.0, 1.0, (3,), key=k),
                mx.view(mx.random.uniform(shape=(2,), key=k), mx.int32))

    round_trip(tmp_path, r, mx.random.key(5))
    # normal with a scale draws unscaled samples (its sampler's own
    # constructor rebuilds them)
    round_trip(tmp_path, lambda k: mx.random.normal((2,), scale=2.0, key=k), mx.random.key(5))


def test_linalg_kinds(tmp_path):
    def f(a):
        spd = a @ a.T + 4 * mx.eye(4)
        q, r = mx.linalg.qr(a)
        u, s, vt = mx.linalg.svd(a)
        w, v = mx.linalg.eigh(spd)
        return (q @ r, u[:, :4] * s @ vt, mx.linalg.svd(a, compute_uv=False), mx.linalg.inv(spd),
                mx.linalg.tri_inv(mx.triu(spd), upper=True), mx.linalg.cholesky(spd),
                mx.linalg.eigvalsh(spd), w, mx.abs(v), mx.linalg.solve(spd, a))

    a = rnd(4, 4)
    path = tmp_path / "la.mlxfn"
    mx.export_function(path, f, a)
    got = mx.import_function(path)(a)
    want = f(a)
    for x, y in zip(got, want):
        close(x, y, tol=1e-4)


def test_fft_kinds(tmp_path):
    def f(x):
        c = mx.fft.fft(x.astype(mx.complex64), axis=1)
        return (c, mx.fft.ifft2(c, norm="ortho"), mx.fft.rfft(x, n=6, norm="forward"),
                mx.fft.irfft(mx.fft.rfft(x), n=4, axis=-1))

    a = rnd(3, 4)
    path = tmp_path / "fft.mlxfn"
    mx.export_function(path, f, a)
    for x, y in zip(mx.import_function(path)(a), f(a)):
        close(x, y, tol=1e-5)


def test_metadata(tmp_path):
    x = rnd(2)
    p = tmp_path / "m.mlxfn"
    mx.export_function(p, lambda a: a * 2, x)
    g, md = mx.import_function(p, return_metadata=True)
    assert md == "" and not isinstance(g, tuple)
    mx.export_function(p, lambda a: a * 2, x, metadata='{"a": 1}')
    g, md = mx.import_function(p, return_metadata=True)
    assert md == '{"a": 1}'
    close(g(x)[0], x * 2)
    with mx.exporter(p, lambda a: a + 1, metadata="hé") as ex:
        ex(x)
    assert mx.import_function(p, True)[1] == "hé"
    with pytest.raises(TypeError):
        mx.export_function(p, lambda a: a, x, metadata=3)
    with pytest.raises(TypeError):
        mx.exporter(p, lambda a: a, metadata=3)


def test_list_of_inputs_and_non_array_outputs(tmp_path):
    p = str(tmp_path / "f.mlxfn")
    x = mx.array([1.0, -2.0, 3.0])
    mx.export_function(p, lambda a: mx.abs(a), [x])  # a list stands for the args tuple
    f = mx.import_function(p)
    for call in (f([x]), f((x,)), f(x)):
        assert mx.array_equal(call[0], mx.abs(x))
    with pytest.raises(ValueError):
        mx.export_function(p, lambda: (mx.zeros((3, 3)), 1))
    with pytest.raises(ValueError):
        mx.export_function(p, lambda a: mx.abs(a[0][0]), [[mx.array(1.0)]])


def test_reshape_with_an_inferred_axis_round_trips(tmp_path):
    p = str(tmp_path / "r.mlxfn")
    x = mx.arange(12.0)
    mx.export_function(p, lambda a: a.reshape(-1, 3) * 2, x)
    got = mx.import_function(p)(x)[0]
    assert got.shape == (4, 3) and mx.array_equal(got, x.reshape(4, 3) * 2)
def pool_offset(data):
    """Offset of the constant pool of a file without metadata."""
    off = 20
    (n_kinds,) = struct.unpack_from("<I", data, 16)
    for _ in range(n_kinds):
        (ln,) = struct.unpack_from("<H", data, off)
        off += 2 + ln
    return off


def first_const_index(data):
    """Offset of the pool index of trace 0's first constant slot."""
    off = pool_offset(data)
    (n_consts,) = struct.unpack_from("<I", data, off)
    off += 4
    for _ in range(n_consts):
        ndim = data[off + 1]
        (nb,) = struct.unpack_from("<Q", data, off + 2 + 4 * ndim)
        off += 10 + 4 * ndim + nb
    off += 12  # n_traces, n_inputs, n_slots
    while True:
        kind, ndim = data[off], data[off + 2]
        off += 3 + 4 * ndim
        if kind == 1:
            return off + 1
        off += 4


def test_shared_constant(tmp_path):
    """As MLX: a constant captured by the 5 traces of one exporter is
    stored once."""
    path = tmp_path / "shared.mlxfn"
    constant = rnd(16, 2048)

    def fun(*args):
        return constant + sum(args)

    for first in (1, 0):
        with mx.exporter(str(path), fun) as ex:
            for i in range(first, 5):
                ex(*[mx.array(1.0)] * i)
        # with no argument, constant + 0 is computed from the captured array
        # alone and not evaluated: written as an op on the pooled constant,
        # so one copy in all (as MLX)
        assert path.stat().st_size < constant.nbytes + 8192
    g = mx.import_function(path)
    c = np.array(constant)
    for i in range(5):
        args = [mx.array(0.5 * j - 1.0) for j in range(i)]
        (out,) = g(*args)
        assert out.shape == (16, 2048) and out.dtype == mx.float32
        want = c + np.float32(sum(0.5 * j - 1.0 for j in range(i)))
        np.testing.assert_array_equal(np.array(out), want)
    # export_function with several arrays captured twice: once each
    mx.export_function(path, lambda x: (x + constant, x * constant), mx.array(2.0))
    assert path.stat().st_size < constant.nbytes + 8192
    a, b = mx.import_function(path)(mx.array(3.0))
    np.testing.assert_array_equal(np.array(a), c + 3)
    np.testing.assert_array_equal(np.array(b), c * 3)


def test_corrupted_pool(tmp_path):
    path = tmp_path / "p.mlxfn"
    w = mx.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    x = rnd(2, 3)
    mx.export_function(path, lambda a: a * w, x)
    data = path.read_bytes()
    po = pool_offset(data)
    assert struct.unpack_from("<IBB", data, po) == (1, 10, 2)
    ci = first_const_index(data)  # the constant slot's pool index
    assert data[ci - 1] == 0 and struct.unpack_from("<I", data, ci)[0] == 0
    good = mx.import_function(path)
    np.testing.assert_array_equal(np.array(good(x)[0]), np.array(x) * np.array(w))
    bad = tmp_path / "bad.mlxfn"

    def refused(patch):
        b = bytearray(data)
        patch(b)
        bad.write_bytes(bytes(b))
        with pytest.raises(ValueError):
            mx.import_function(bad)

    for n in (0, 2, 0x7FFFFFFF, 0xFFFFFFFF):  # pool counts
        refused(lambda b: struct.pack_into("<I", b, po, n))
    for i in (1, 1000, 0xFFFFFFFF):  # pool indices out of range
        refused(lambda b: struct.pack_into("<I", b, ci, i))
    refused(lambda b: b.__setitem__(po + 4, 7))  # int32 entry for a float32 slot
    refused(lambda b: struct.pack_into("<I", b, po + 6, 3))  # another shape
    refused(lambda b: struct.pack_into("<Q", b, po + 14, 20))  # byte counts
    refused(lambda b: struct.pack_into("<Q", b, po + 14, 1 << 62))
    refused(lambda b: b.__setitem__(ci - 1, 2))  # an unknown spread flag
    b = bytearray(data)
    b[ci - 1] = 1  # spread from an entry of the slot's own shape: itself
    bad.write_bytes(bytes(b))
    np.testing.assert_array_equal(np.array(mx.import_function(bad)(x)[0]), np.array(x) * np.array(w))
    for n in range(len(data)):  # every truncation
        bad.write_bytes(data[:n])
        with pytest.raises(ValueError):
            mx.import_function(bad)


def test_reads_version_1(tmp_path):
    """A version 1 file (constants inline in their slots) is still read."""
    path = tmp_path / "v2.mlxfn"
    w = mx.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    x = rnd(2, 3)
    mx.export_function(path, lambda a: (a * w + 0.5,), x)
    data = path.read_bytes()
    po = pool_offset(data)
    (n_consts,) = struct.unpack_from("<I", data, po)
    off, pool = po + 4, []
    for _ in range(n_consts):
        ndim = data[off + 1]
        (nb,) = struct.unpack_from("<Q", data, off + 2 + 4 * ndim)
        pool.append(data[off + 10 + 4 * ndim:off + 10 + 4 * ndim + nb])
        off += 10 + 4 * ndim + nb
    out = bytearray(data[:8]) + struct.pack("<I", 1) + data[12:po]
    out += data[off:off + 12]  # n_traces, n_inputs, n_slots
    (n_slots,) = struct.unpack_from("<I", data, off + 8)
    off += 12
    for _ in range(n_slots):
        kind, ndim = data[off], data[off + 2]
        out += data[off:off + 3 + 4 * ndim]
        off += 3 + 4 * ndim
        if kind == 1:
            spread, idx = struct.unpack_from("<BI", data, off)
            out += struct.pack("<BQ", spread, len(pool[idx])) + pool[idx]
            off += 5
        else:
            out += data[off:off + 4]
            off += 4
    out += data[off:]
    v1 = tmp_path / "v1.mlxfn"
    v1.write_bytes(bytes(out))
    want = mx.import_function(path)(x)[0]
    got = mx.import_function(v1)(x)[0]
    np.testing.assert_array_equal(np.array(got), np.array(want))
    np.testing.assert_allclose(np.array(got), np.array(x) * np.array(w) + 0.5, rtol=1e-6)


# ---- unevaluated captured values: written as ops, as MLX ----


def test_lazy_constant_every_arity(tmp_path):
    """The 0..4-argument exporter of MLX's test, with the captured constant
    evaluated (as there) and not: one copy of its data in all."""
    path = tmp_path / "lazy.mlxfn"
    for evaluated in (True, False):
        w = rnd(16, 2048, seed=3)
        constant = w * 2 if not evaluated else mx.zeros((16, 2048))
        if evaluated:
            mx.eval(constant)

        def fun(*args):
            return constant + sum(args)

        with mx.exporter(str(path), fun) as ex:
            for i in range(5):
                ex(*[mx.array(1)] * i)
        assert path.stat().st_size < constant.nbytes + 8192
        g = mx.import_function(path)
        want = np.array(constant)
        for i in range(5):
            args = [mx.array(j + 1) for j in range(i)]
            (out,) = g(*args)
            assert out.shape == (16, 2048) and out.dtype == mx.float32
            np.testing.assert_array_equal(np.array(out), want + sum(range(1, i + 1)))


def test_lazy_closure(tmp_path):
    path = tmp_path / "lazy.mlxfn"
    w, x = rnd(64, 64, seed=1), rnd(64, 64, seed=2)
    c = mx.exp(w) * 2 + w.T  # not evaluated
    mx.export_function(path, lambda a: a + c, x)
    assert path.stat().st_size < w.nbytes + 4096  # w, not c
    (got,) = mx.import_function(path)(x)
    np.testing.assert_array_equal(np.array(got), np.array(x + c))


def test_random_closure(tmp_path):
    """Samples drawn outside the function: the imported function gives the
    same values as the captured array."""
    path = tmp_path / "rand.mlxfn"
    x = rnd(64, 64)
    mx.random.seed(3)
    r = mx.random.normal((64, 64))
    u = mx.random.uniform(shape=(64, 64), key=mx.random.key(5))
    mx.export_function(path, lambda a: (a + r, a * u), x)
    assert path.stat().st_size < r.nbytes // 2  # their keys, not their values
    got = mx.import_function(path)(x)
    np.testing.assert_array_equal(np.array(got[0]), np.array(x + r))
    np.testing.assert_array_equal(np.array(got[1]), np.array(x * u))


def test_lazy_shared_across_traces(tmp_path):
    path = tmp_path / "shared.mlxfn"
    w = rnd(16, 2048, seed=4)
    c = w + 1  # not evaluated: its graph is written, w once for all traces
    with mx.exporter(str(path), lambda *a: c * sum(a, mx.array(1.0))) as ex:
        for i in range(4):
            ex(*[mx.array(2.0)] * i)
    assert path.stat().st_size < w.nbytes + 8192
    g = mx.import_function(path)
    for i in range(4):
        (out,) = g(*[mx.array(2.0)] * i)
        np.testing.assert_array_equal(np.array(out), np.array(c) * (1 + 2 * i))


def test_lazy_uncaptured_input(tmp_path):
    """A captured value computed from the argument itself is an error, as
    compile (and MLX's export) give; evaluated, it is a constant."""
    path = tmp_path / "u.mlxfn"
    x = rnd(4)
    y = x * 2
    with pytest.raises(ValueError, match="uncaptured"):
        mx.export_function(path, lambda a: a + y, x)
    mx.eval(y)
    mx.export_function(path, lambda a: a + y, x)
    np.testing.assert_array_equal(np.array(mx.import_function(path)(x)[0]), np.array(x * 3))


def test_export_under_grad(tmp_path):
    """A captured value computed from another transform's tracer stays one
    constant, as before."""
    path = tmp_path / "g.mlxfn"

    def outer(w):
        c = w * 2
        mx.export_function(path, lambda a: a + c, mx.array(1.0))
        return (w * w).sum()

    dw = mx.grad(outer)(mx.array([3.0]))
    np.testing.assert_array_equal(np.array(dw), [6.0])
    (got,) = mx.import_function(path)(mx.array(1.0))
    np.testing.assert_array_equal(np.array(got), [7.0])
def ops_of(data):
    """For trace 0: slots as (dtype offset, shape offset, ndim, kind) and ops
    as dicts (kind name, params offset, size, the size field's offset, out0,
    input slots)."""
    off = 16
    (n_kinds,) = struct.unpack_from("<I", data, off)
    off += 4
    names = []
    for _ in range(n_kinds):
        (ln,) = struct.unpack_from("<H", data, off)
        names.append(data[off + 2:off + 2 + ln].decode())
        off += 2 + ln
    (n_consts,) = struct.unpack_from("<I", data, off)
    off += 4
    for _ in range(n_consts):
        ndim = data[off + 1]
        (nb,) = struct.unpack_from("<Q", data, off + 2 + 4 * ndim)
        off += 10 + 4 * ndim + nb
    off += 4
    _, n_slots = struct.unpack_from("<II", data, off)
    off += 8
    slots = []
    for _ in range(n_slots):
        kind, ndim = data[off], data[off + 2]
        slots.append((off + 1, off + 3, ndim, kind))
        off += 3 + 4 * ndim + (5 if kind == 1 else 4)
    (n_ops,) = struct.unpack_from("<I", data, off)
    off += 4
    ops = []
    for _ in range(n_ops):
        k, n_in, _, out0, psize = struct.unpack_from("<5I", data, off)
        ins = struct.unpack_from("<%dI" % n_in, data, off + 20 + psize)
        ops.append(dict(kind=names[k], params=off + 20, size=psize, size_at=off + 16, out0=out0,
                        ins=ins))
        off += 20 + psize + 4 * n_in
    return slots, ops


def same_bits(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(np.array(a), np.array(b), equal_nan=True)


def refused(tmp_path, data):
    bad = tmp_path / "forged.mlxfn"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="import_function"):
        mx.import_function(bad)


def forge(tmp_path, fun, args, kind, fields=(), last=False):
    """Exports fun, checks the import gives the same bits, then forges the
    first (or last) op of `kind`: its output's dtype and shape, its blob one
    byte shorter and four longer, and (offset, int32 value) fields."""
    path = tmp_path / "k.mlxfn"
    mx.export_function(path, fun, *args)
    want = fun(*args)
    want = want if isinstance(want, tuple) else (want,)
    same_bits(mx.import_function(path)(*args), want)
    data = path.read_bytes()
    slots, ops = ops_of(data)
    mine = [op for op in ops if op["kind"] == kind]
    assert mine, (kind, [op["kind"] for op in ops])
    op = mine[-1] if last else mine[0]
    dt_at, shape_at, ndim, _ = slots[op["out0"]]
    b = bytearray(data)
    b[dt_at] = 9 if b[dt_at] == 10 else 10
    refused(tmp_path, b)
    if ndim:
        b = bytearray(data)
        struct.pack_into("<I", b, shape_at, struct.unpack_from("<I", b, shape_at)[0] + 1)
        refused(tmp_path, b)
    p, n = op["params"], op["size"]
    if n:
        b = bytearray(data[:p + n - 1] + data[p + n:])
        struct.pack_into("<I", b, op["size_at"], n - 1)
        refused(tmp_path, b)
    b = bytearray(data[:p + n] + bytes(4) + data[p + n:])
    struct.pack_into("<I", b, op["size_at"], n + 4)
    refused(tmp_path, b)
    for field, value in fields:
        b = bytearray(data)
        struct.pack_into("<i", b, p + field, value)
        refused(tmp_path, b)


def flat(vg):
    """value_and_grad's (value, grads) as one flat tuple."""
    def f(*a):
        v, g = vg(*a)
        return (v, *g) if isinstance(g, (tuple, list)) else (v, g)
    return f


def test_random_kinds_round_trip_bit_for_bit(tmp_path):
    k = mx.random.key(3)
    logits = rnd(4, 6)
    forge(tmp_path, lambda k: (mx.random.randint(-5, 1000, (3, 4), key=k),
                               mx.random.randint(0, 7, (5,), dtype=mx.uint8, key=k)),
          (k,), "RandomRandint")
    forge(tmp_path, lambda k, l: (mx.random.categorical(l, key=k),
                                  mx.random.categorical(l, num_samples=3, key=k),
                                  mx.random.categorical(l, axis=0, shape=(2, 6), key=k)),
          (k, logits), "CategoricalArgmax", [(0, 5), (0, -1)])
    forge(tmp_path, lambda k, x: (mx.random.permutation(x, axis=1, key=k),
                                  mx.random.permutation(9, key=k)),
          (k, logits), "RandomPermutation", [(0, 2), (0, -1)])
    forge(tmp_path, lambda k: (mx.random.normal((3, 2), loc=1.0, scale=2.0, key=k),
                               mx.random.normal((4,), dtype=mx.float16, scale=0.5, key=k)),
          (k,), "RandomNormal", [(0, 2), (0, -1)])
    cov = mx.array([[2.0, 0.5], [0.5, 1.0]])
    forge(tmp_path, lambda k, m, c: mx.random.multivariate_normal(m, c, (3,), key=k),
          (k, mx.array([1.0, -1.0]), cov), "CovSqrt")


def test_median_masked_scatter_views_round_trip(tmp_path):
    x = rnd(4, 5)
    forge(tmp_path, lambda a: (mx.median(a, axis=1), mx.median(a), mx.median(a.T, axis=(0, 1))),
          (x,), "Median", [(4, 2), (4, -1), (0, 3)])

    def ms(a, m, v):
        a = mx.array(a)
        a[m] = v
        return a

    mask = mx.array([True, False, True, True])
    forge(tmp_path, ms, (x, mask, rnd(3, 5, seed=2)), "MaskedScatter")

    def strided(a):
        return (mx.as_strided(a, (3, 3), (5, 1), 7), mx.as_strided(a.T, (2, 2, 4), (0, 4, 1), 3))

    # offsets and strides that reach outside the 20 elements are refused
    forge(tmp_path, strided, (x,), "AsStrided",
          [(0, 9), (0, -1), (16, 9), (16, -5), (20, -1), (8, 3), (12, 1)])

    def dep(a, b):
        (y,) = mx.depends([a * 2], [b])
        return y + b

    forge(tmp_path, dep, (x, rnd(4, 5, seed=1)), "Depends")


def test_gather_qmm_round_trip(tmp_path):
    w = rnd(3, 32, 64, seed=4)
    wq, s, b = mx.quantize(w, group_size=32, bits=4)
    x = rnd(2, 1, 64, seed=5)
    li, ri = mx.array([1, 0], dtype=mx.uint32), mx.array([2, 0], dtype=mx.uint32)

    def f(x, wq, s, b, li, ri):
        return mx.gather_qmm(x, wq, s, b, lhs_indices=li, rhs_indices=ri, transpose=True,
                             group_size=32, bits=4)

    fields = [(8, 3), (4, 48), (0, 9), (12, 0), (12, 2)]
    forge(tmp_path, f, (x, wq, s, b, li, ri), "GatherQMM", fields)
    # its x-gradient: a GatherQMM with transpose flipped
    vg = mx.value_and_grad(lambda x, *r: mx.square(f(x, *r)).sum())
    forge(tmp_path, lambda *a: vg(*a), (x, wq, s, b, li, ri), "GatherQMM",
          [(12, 1), (12, 2), (8, 5)], last=True)


def test_exported_gradients_round_trip(tmp_path):
    x = rnd(2, 12)
    c = rnd(2, 12, seed=1)
    # the vjp of the transform is the transposed one (12: a non-symmetric base)
    vg = mx.value_and_grad(lambda x, c: (mx.hadamard_transform(x) * c).sum())
    forge(tmp_path, lambda *a: vg(*a), (x, c), "Hadamard", [(4, 2)], last=True)

    xc, wc = rnd(2, 7, 7, 3, seed=2), rnd(4, 3, 3, 3, seed=3)
    vg = mx.value_and_grad(lambda x, w: mx.square(mx.conv2d(x, w, stride=2, padding=1)).sum(),
                           argnums=(0, 1))
    # pad_hi (offset 24) sets the output size: another value is refused
    forge(tmp_path, flat(vg), (xc, wc), "Convolution",
          [(24, 9), (12, 0), (4, 2), (56, 1)], last=True)
    vg = mx.value_and_grad(
        lambda x, w: mx.square(mx.conv_transpose1d(x, w, stride=2, padding=1)).sum(),
        argnums=(0, 1))
    forge(tmp_path, flat(vg), (rnd(2, 5, 4, seed=4), rnd(3, 3, 4, seed=5)),
          "Convolution", last=True)

    w = rnd(32, 64, seed=6)
    wq, s, b = mx.quantize(w, group_size=32, bits=4)
    vg = mx.value_and_grad(
        lambda x: mx.square(mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=32,
                                                bits=4)).sum())
    forge(tmp_path, lambda a: vg(a), (rnd(5, 64, seed=7),), "QuantizedMatmul", [(12, 1)],
          last=True)

    # gradients through the fast kinds (composed ops), attention, sorts, scans
    q = rnd(1, 2, 4, 8, seed=8)

    def loss(q):
        r = mx.fast.rope(q, 8, traditional=False, base=10000.0, scale=1.0, offset=2)
        n = mx.fast.layer_norm(r, mx.ones((8,)), mx.zeros((8,)), 1e-5)
        a = mx.fast.scaled_dot_product_attention(n, q, q, scale=0.3, mask="causal")
        return (mx.sort(a, axis=-1) * mx.cumprod(a, axis=2)).sum() + mx.logsumexp(a)

    vg = mx.value_and_grad(loss)
    path = tmp_path / "g.mlxfn"
    mx.export_function(path, vg, q)
    got = mx.import_function(path)(q)
    want = vg(q)
    close(got[0], want[0])
    close(got[1], want[1])


def test_gradients_with_python_scalars_round_trip(tmp_path):
    # weak Python scalars in the differentiated code become pooled constants
    x = mx.array([0.5, -1.0, 2.0])
    for f in (lambda x: (x * 2).sum(), lambda x: (x**2).sum(), lambda x: (3.0 - x / 4).sum()):
        vg = mx.value_and_grad(f)
        path = str(tmp_path / "g.mlxfn")
        mx.export_function(path, lambda x: vg(x), x)
        v, g = mx.import_function(path)(x)
        v0, g0 = vg(x)
        assert mx.array_equal(v, v0) and mx.array_equal(g, g0)


# ---- shapeless files of closures over weights ----

try:
    import mlx.core as mlx_core
    import mlx.nn as mlx_nn
except ImportError:  # the comparisons with MLX are skipped
    mlx_core = mlx_nn = None


def weight_calls(tmp_path, fun, make, batches=(4, 7, 1, 2, 7), mlx_fun=None, mlx_batches=()):
    """Exports fun (closing over its weights) shapeless at make(4), and
    checks the imported function and compile(shapeless) against eager fun
    at each batch size; with mlx_fun, MLX's export of the same function
    (same weights) gives the same values at mlx_batches."""
    path = tmp_path / "w.mlxfn"
    mx.export_function(str(path), fun, make(4), shapeless=True)
    g = mx.import_function(str(path))
    cf = mx.compile(fun, shapeless=True)
    for n in batches:
        x = make(n)
        want = fun(x)
        close(g(x)[0], want)
        close(cf(x), want)
    if mlx_fun is None or mlx_core is None:
        return g
    mpath = tmp_path / "w_mlx.mlxfn"
    mlx_core.export_function(str(mpath), mlx_fun, mlx_core.array(np.array(make(4))), shapeless=True)
    mg = mlx_core.import_function(str(mpath))
    for n in mlx_batches:
        x = make(n)
        got = mg(mlx_core.array(np.array(x)))[0]
        assert tuple(got.shape) == g(x)[0].shape
        np.testing.assert_allclose(np.array(got), np.array(g(x)[0]), rtol=1e-4, atol=1e-4)
    return g


def test_shapeless_captured_bias_scale_and_lower_rank(tmp_path):
    w, b, s = rnd(3, 5, seed=1), rnd(5, seed=2), rnd(3, seed=3)
    mw, mb, ms = (mlx_core.array(np.array(a)) for a in (w, b, s)) if mlx_core else (None,) * 3
    weight_calls(tmp_path, lambda x: x @ w + b, lambda n: rnd(n, 3, seed=n),
                 mlx_fun=lambda x: x @ mw + mb, mlx_batches=(4, 7, 1))
    weight_calls(tmp_path, lambda x: x * s, lambda n: rnd(n, 3, seed=n),
                 mlx_fun=lambda x: x * ms, mlx_batches=(4, 7, 1))
    weight_calls(tmp_path, lambda x: x + b, lambda n: rnd(n, 2, 5, seed=n),
                 mlx_fun=lambda x: x + mb, mlx_batches=(4, 7, 1))
    w2, b4 = rnd(5, 4, seed=5), rnd(4, seed=6)
    mw2, mb4 = (mlx_core.array(np.array(a)) for a in (w2, b4)) if mlx_core else (None,) * 2
    weight_calls(tmp_path, lambda x: x @ w2 + b4, lambda n: rnd(n, 3, 5, seed=n),
                 mlx_fun=lambda x: x @ mw2 + mb4, mlx_batches=(4, 7, 1))
    row = rnd(1, 5, seed=4)
    weight_calls(tmp_path, lambda x: (x - row) * 2.0, lambda n: rnd(n, 5, seed=n))


def test_shapeless_grad_inside_over_captured_weights(tmp_path):
    """A gradient taken inside the function: its constants (broadcasts of
    captured arrays among them) are written as the trace saw them before
    anything is evaluated, so the file reads back."""
    w, b = rnd(5, 4, seed=1), rnd(4, seed=2)
    f = lambda x: mx.grad(lambda y: ((y @ w + b) ** 2).sum())(x)  # noqa: E731
    path = tmp_path / "g.mlxfn"
    x = rnd(4, 5, seed=3)
    mx.export_function(str(path), f, x, shapeless=True)
    g, cf = mx.import_function(str(path)), mx.compile(f, shapeless=True)
    close(g(x)[0], f(x), 1e-4)
    # the power's `exponent - 1`, computed from spread constants alone, is
    # spread again too
    for n in (7, 9):
        x = rnd(n, 5, seed=n)
        close(g(x)[0], f(x), 1e-4)
        close(cf(x), f(x), 1e-4)


def test_shapeless_captured_column_follows_the_other_operand(tmp_path):
    col = rnd(4, 1, seed=1)
    path = tmp_path / "c.mlxfn"
    mx.export_function(str(path), lambda x: x + col, rnd(4, 5), shapeless=True)
    g = mx.import_function(str(path))
    for n in (9, 1, 5):
        x = rnd(4, n, seed=n)
        close(g(x)[0], x + col)
    with pytest.raises(ValueError):
        rnd(7, 5) + col
    with pytest.raises(ValueError, match="Add"):
        g(rnd(7, 5))


def _mlx_model(model, mlx_model):
    """mlx_model with model's parameters."""
    from cmlx.utils import tree_flatten
    mlx_model.load_weights([(k, mlx_core.array(np.array(v))) for k, v in tree_flatten(model.parameters())])
    return mlx_model


def test_shapeless_nn_modules_with_captured_parameters(tmp_path):
    import cmlx.nn as nn

    lin = nn.Linear(3, 5)
    mlp = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    ln = nn.LayerNorm(3)
    ln.weight = rnd(3, seed=7)
    ln.bias = rnd(3, seed=8)
    mx.eval(lin.parameters(), mlp.parameters(), ln.parameters())
    x3 = lambda n: rnd(n, 3, seed=n)  # noqa: E731
    # MLX's shapeless replay of addmm keeps the bias spread at the traced
    # batch (wrong values and heap corruption at any other batch): compared
    # with MLX at the traced batch only (docs/differences.md)
    m_lin = _mlx_model(lin, mlx_nn.Linear(3, 5)) if mlx_core else None
    m_mlp = (_mlx_model(mlp, mlx_nn.Sequential(mlx_nn.Linear(3, 8), mlx_nn.ReLU(), mlx_nn.Linear(8, 2)))
             if mlx_core else None)
    m_ln = _mlx_model(ln, mlx_nn.LayerNorm(3)) if mlx_core else None
    weight_calls(tmp_path, lin, x3, mlx_fun=m_lin, mlx_batches=(4,))
    weight_calls(tmp_path, mlp, x3, mlx_fun=m_mlp, mlx_batches=(4,))
    weight_calls(tmp_path, ln, x3, mlx_fun=m_ln, mlx_batches=(4, 7, 1))
    # a model whose parameters were never evaluated: written computed
    fresh = nn.Sequential(nn.Linear(3, 6), nn.GELU(), nn.Linear(6, 3), nn.LayerNorm(3))
    weight_calls(tmp_path, fresh, x3)


def test_shapeless_forged_spread_source(tmp_path):
    w, b = rnd(3, 5, seed=1), rnd(5, seed=2)
    path = tmp_path / "f.mlxfn"
    mx.export_function(str(path), lambda x: x @ w + b, rnd(4, 3), shapeless=True)
    data = path.read_bytes()
    po = pool_offset(data)
    # the pool: w (3, 5) as it is, b (5,) as the source of a spread slot
    entries, off = [], po + 4
    for _ in range(struct.unpack_from("<I", data, po)[0]):
        ndim = data[off + 1]
        entries.append(struct.unpack_from("<%dI" % ndim, data, off + 2))
        off += 10 + 4 * ndim + struct.unpack_from("<Q", data, off + 2 + 4 * ndim)[0]
    assert sorted(entries) == [(3, 5), (5,)]
    off += 12  # n_traces, n_inputs, n_slots
    spread_at = None
    while spread_at is None:
        kind, ndim = data[off], data[off + 2]
        off += 3 + 4 * ndim
        if kind == 1 and data[off] == 1:
            spread_at = off
        off += 5 if kind == 1 else 4
    assert entries[struct.unpack_from("<I", data, spread_at + 1)[0]] == (5,)
    bad = bytearray(data)
    struct.pack_into("<I", bad, spread_at + 1, entries.index((3, 5)))  # (3, 5) for (4, 5)
    (tmp_path / "bad.mlxfn").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="broadcast"):
        mx.import_function(tmp_path / "bad.mlxfn")
    g = mx.import_function(path)
    for n in (1, 4, 9):
        x = rnd(n, 3, seed=n)
        close(g(x)[0], x @ w + b)
