"""File IO: load/save in every format, through paths and file objects,
against NumPy and real MLX."""
import io
import pathlib

import numpy as np
import pytest

import cmlx.core as mx
from helpers import DTYPES, dt, from_numpy, random, to_numpy

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover
    mlx = None

needs_mlx = pytest.mark.skipif(mlx is None, reason="real MLX not installed")

# MLX writes the first six; GGUF also has types for int64 and float64.
GGUF_DTYPES = ["float32", "float16", "bfloat16", "int8", "int16", "int32", "int64", "float64"]


def sample(d, shape=(2, 3), seed=0):
    return from_numpy(random(shape, d, seed), d)


def same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@pytest.mark.parametrize("d", DTYPES)
def test_npy_round_trip_path_and_bytesio(tmp_path, d):
    a = sample(d)
    mx.save(str(tmp_path / "a"), a)  # .npy is appended
    same(mx.load(str(tmp_path / "a.npy")), a)
    same(mx.load(tmp_path / "a.npy"), a)  # pathlib
    buf = io.BytesIO()
    mx.save(buf, a)
    buf.seek(0)
    same(mx.load(buf, format="npy"), a)


@pytest.mark.parametrize("d", DTYPES)
def test_npz_round_trip(tmp_path, d):
    a, b = sample(d), sample(d, (4,), 1)
    for save in (mx.savez, mx.savez_compressed):
        p = tmp_path / f"z_{save.__name__}"
        save(str(p), a, b=b)
        got = mx.load(str(p) + ".npz")
        assert set(got) == {"arr_0", "b"}
        same(got["arr_0"], a)
        same(got["b"], b)
        buf = io.BytesIO()
        save(buf, a, b=b)
        buf.seek(0)
        got = mx.load(buf, format="npz")
        same(got["b"], b)


@pytest.mark.parametrize("d", DTYPES)
def test_safetensors_round_trip(tmp_path, d):
    arrays = {"x": sample(d), "y": sample(d, (), 2)}
    mx.save_safetensors(str(tmp_path / "s"), arrays, {"k": "v", "name": "é"})
    got, meta = mx.load(str(tmp_path / "s.safetensors"), return_metadata=True)
    assert meta == {"k": "v", "name": "é"}
    for k in arrays:
        same(got[k], arrays[k])
    buf = io.BytesIO()
    mx.save_safetensors(buf, arrays)
    buf.seek(0)
    got, meta = mx.load(buf, format="safetensors", return_metadata=True)
    assert meta == {}
    same(got["x"], arrays["x"])


@pytest.mark.parametrize("d", GGUF_DTYPES)
def test_gguf_round_trip(tmp_path, d):
    arrays = {"w": sample(d, (3, 4)), "b": sample(d, (5,), 3)}
    mx.save_gguf(str(tmp_path / "g"), arrays, {})
    got = mx.load(str(tmp_path / "g.gguf"))
    for k in arrays:
        same(got[k], arrays[k])
    buf = io.BytesIO()
    mx.save_gguf(buf, arrays, None)
    buf.seek(0)
    same(mx.load(buf, format="gguf")["w"], arrays["w"])
    # strided input is written in row-major order
    t = mx.transpose(arrays["w"])
    mx.save_gguf(str(tmp_path / "t.gguf"), {"t": t})
    same(mx.load(str(tmp_path / "t.gguf"))["t"], t)


@pytest.mark.parametrize("d", ["uint8", "uint32", "bool_", "complex64"])
def test_gguf_refuses_types_it_has_no_tag_for(tmp_path, d):
    with pytest.raises(RuntimeError):  # MLX's exception type here
        mx.save_gguf(str(tmp_path / "g.gguf"), {"w": sample(d)})


def test_gguf_metadata_types(tmp_path):
    meta = {
        "s": "text",
        "l": ["a", "bc", ""],
        "i32": mx.array(3),
        "u8": mx.array(7, mx.uint8),
        "i64": mx.array(-5, mx.int64),
        "f32": mx.array(1.5),
        "b": mx.array(True),
        "u64": mx.array(5, mx.uint64),
        "vb": mx.array([True, False]),
        "empty": [],
        "v": mx.array([1.0, 2.0, 3.0]),
        "vi": mx.array([1, 2], mx.int16),
    }
    p = str(tmp_path / "m.gguf")
    mx.save_gguf(p, {"x": mx.ones((2,))}, meta)
    _, got = mx.load(p, return_metadata=True)
    assert got["s"] == "text" and got["l"] == ["a", "bc", ""] and got["empty"] == []
    for k in ("i32", "u8", "i64", "f32", "b", "u64", "vb", "v", "vi"):
        same(got[k], meta[k])
    with pytest.raises(ValueError):
        mx.save_gguf(p, {"x": mx.ones((2,))}, {"bad": mx.ones((2, 2))})
    with pytest.raises(ValueError):
        mx.save_gguf(p, {"x": mx.ones((2,))}, {"bad": ["a", 1]})
    with pytest.raises(ValueError):  # as MLX, whose reader cannot take them
        mx.save_gguf(p, {"x": mx.ones((2,))}, {"bad": mx.array(1.0, mx.float64)})


def test_numpy_written_files_load(tmp_path):
    data = {d: random((3, 2), d, 5) for d in DTYPES if d != "bfloat16"}
    for d, x in data.items():
        np.save(tmp_path / f"{d}.npy", x)
        np.testing.assert_array_equal(np.array(mx.load(str(tmp_path / f"{d}.npy"))), x)
    # Fortran order and a transposed view
    f = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.save(tmp_path / "f.npy", f)
    np.testing.assert_array_equal(np.array(mx.load(str(tmp_path / "f.npy"))), f)
    named = {f"a{i}": x for i, x in enumerate(data.values())}
    np.savez(tmp_path / "z.npz", *data.values())
    np.savez_compressed(tmp_path / "zc.npz", **named)
    z = mx.load(str(tmp_path / "z.npz"))
    for i, x in enumerate(data.values()):
        np.testing.assert_array_equal(np.array(z[f"arr_{i}"]), x)
    zc = mx.load(str(tmp_path / "zc.npz"))
    for k, x in named.items():
        np.testing.assert_array_equal(np.array(zc[k]), x)


def test_files_we_write_load_in_numpy(tmp_path):
    for d in DTYPES:
        if d == "bfloat16":
            continue
        a = sample(d)
        mx.save(str(tmp_path / f"{d}.npy"), a)
        np.testing.assert_array_equal(np.load(tmp_path / f"{d}.npy"), to_numpy(a))
    a, b = sample("float32"), sample("int64", (5,))
    mx.savez(str(tmp_path / "z.npz"), a, b=b)
    mx.savez_compressed(str(tmp_path / "zc.npz"), a, b=b)
    for name in ("z.npz", "zc.npz"):
        with np.load(tmp_path / name) as z:
            np.testing.assert_array_equal(z["arr_0"], to_numpy(a))
            np.testing.assert_array_equal(z["b"], to_numpy(b))


@needs_mlx
@pytest.mark.parametrize("d", DTYPES)
def test_interop_with_mlx(tmp_path, d):
    a = sample(d)
    m = mlx.array(np.array(a.astype(mx.float32)) if d == "bfloat16" else to_numpy(a))
    if d == "bfloat16":
        m = m.astype(mlx.bfloat16)
    # ours -> MLX
    mx.save(str(tmp_path / "o.npy"), a)
    mx.savez(str(tmp_path / "o.npz"), x=a)
    mx.save_safetensors(str(tmp_path / "o.safetensors"), {"x": a}, {"k": "v"})
    np.testing.assert_array_equal(to_numpy(mlx.load(str(tmp_path / "o.npy"))), to_numpy(a))
    np.testing.assert_array_equal(to_numpy(mlx.load(str(tmp_path / "o.npz"))["x"]), to_numpy(a))
    if d == "float64":  # MLX's safetensors reader has no F64
        return
    got, meta = mlx.load(str(tmp_path / "o.safetensors"), return_metadata=True)
    assert meta == {"k": "v"}
    assert str(got["x"].dtype).split(".")[-1] == d.rstrip("_")
    np.testing.assert_array_equal(to_numpy(got["x"]), to_numpy(a))
    # MLX -> ours
    mlx.save(str(tmp_path / "m.npy"), m)
    mlx.savez_compressed(str(tmp_path / "m.npz"), x=m)
    mlx.save_safetensors(str(tmp_path / "m.safetensors"), {"x": m}, {"k": "w"})
    same(mx.load(str(tmp_path / "m.npy")), a)
    same(mx.load(str(tmp_path / "m.npz"))["x"], a)
    got, meta = mx.load(str(tmp_path / "m.safetensors"), return_metadata=True)
    assert meta == {"k": "w"}
    same(got["x"], a)


@needs_mlx
def test_gguf_interop_with_mlx(tmp_path):
    a = sample("float32", (2, 8))
    meta = {"s": "t", "l": ["x", "y"], "n": mx.array(4), "v": mx.array([1.0, 2.5])}
    mx.save_gguf(str(tmp_path / "o.gguf"), {"w": a, "h": a.astype(mx.float16)}, meta)
    got, m = mlx.load(str(tmp_path / "o.gguf"), return_metadata=True)
    assert m["n"].dtype == mlx.int32
    np.testing.assert_array_equal(np.array(got["w"]), to_numpy(a))
    assert got["h"].dtype == mlx.float16
    assert m["s"] == "t" and m["l"] == ["x", "y"] and m["n"].item() == 4
    np.testing.assert_array_equal(np.array(m["v"]), [1.0, 2.5])
    mm = mlx.array(to_numpy(a))
    mlx.save_gguf(str(tmp_path / "m.gguf"), {"w": mm}, {"s": "u", "n": mlx.array(7)})
    got, m = mx.load(str(tmp_path / "m.gguf"), return_metadata=True)
    same(got["w"], a)
    assert m["s"] == "u" and m["n"].item() == 7 and m["n"].dtype == mx.int32


def test_load_format_and_argument_errors(tmp_path):
    a = mx.arange(4)
    mx.save(str(tmp_path / "x.npy"), a)
    same(mx.load(str(tmp_path / "x.npy"), "npy"), a)
    same(mx.load(str(tmp_path / "x.npy"), format="npy"), a)
    with pytest.raises(TypeError):
        mx.load(file=str(tmp_path / "x.npy"))  # positional-only, as MLX
    with pytest.raises(ValueError, match="metadata not supported"):
        mx.load(str(tmp_path / "x.npy"), return_metadata=True)
    with pytest.raises(ValueError, match="Could not infer"):
        mx.load(str(tmp_path / "noext"))
    with pytest.raises(ValueError, match="Unknown file format"):
        mx.load(str(tmp_path / "x.foo"))
    with pytest.raises(ValueError, match="Unknown file format"):
        mx.load(str(tmp_path / "x.npy"), format="foo")
    with pytest.raises(RuntimeError):
        mx.load(str(tmp_path / "missing.npy"))
    with pytest.raises(ValueError):
        mx.load(3)
    with pytest.raises(ValueError):
        mx.save(3, a)
    with pytest.raises(TypeError):
        mx.save(str(tmp_path / "l.npy"), "not an array")
    with pytest.raises(AttributeError):
        mx.load(io.BytesIO(b""))  # no name to infer the format from
    with pytest.raises(ValueError, match="un-named"):
        mx.savez(str(tmp_path / "z"), a, arr_0=a)
    with pytest.raises(ValueError, match="Metadata"):
        mx.save_safetensors(str(tmp_path / "s"), {"x": a}, {"k": 1})
    with pytest.raises(TypeError):
        mx.save_safetensors(str(tmp_path / "s"), [a])
    with pytest.raises(RuntimeError):
        mx.save_gguf(str(tmp_path / "g"), {"x": mx.ones((2,), mx.uint16)}, {})
    # a named file object infers the format from its name
    with open(tmp_path / "x.npy", "rb") as f:
        same(mx.load(f), a)


BAD = [b"garbage", b"x" * 200]


@pytest.mark.parametrize("fmt", ["npy", "npz", "safetensors", "gguf"])
@pytest.mark.parametrize("data", BAD)
def test_bad_files_raise_as_mlx(tmp_path, fmt, data):
    p = tmp_path / f"bad.{fmt}"
    p.write_bytes(data)
    expected = ValueError if fmt == "npz" else RuntimeError
    if mlx is not None:
        with pytest.raises(expected):
            mlx.eval(mlx.load(str(p)))
    with pytest.raises(expected):
        mx.eval(mx.load(str(p)))
    with pytest.raises(expected):
        mx.eval(mx.load(io.BytesIO(data), format=fmt))


def test_truncated_files_raise(tmp_path):
    np.save(tmp_path / "t.npy", np.arange(10.0))
    d = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(d[:-8])
    with pytest.raises(RuntimeError):
        mx.eval(mx.load(str(tmp_path / "t.npy")))
    with pytest.raises(RuntimeError):
        mx.eval(mx.load(io.BytesIO(d[:-8]), format="npy"))
    mx.save_safetensors(str(tmp_path / "t"), {"a": mx.arange(10)})
    d = (tmp_path / "t.safetensors").read_bytes()
    (tmp_path / "t.safetensors").write_bytes(d[:-8])
    with pytest.raises(RuntimeError):
        mx.eval(mx.load(str(tmp_path / "t.safetensors")))


def test_save_evaluates_lazy_and_strided(tmp_path):
    a = mx.arange(12).reshape(3, 4).T[::2] + 1
    mx.save(str(tmp_path / "s.npy"), a)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), (np.arange(12).reshape(3, 4).T[::2] + 1))


def test_export_to_dot(tmp_path):
    x = mx.array(1)
    y = mx.array(2)
    p = str(tmp_path / "g.dot")
    mx.export_to_dot(p, x + y, x=x, y=y)
    text = pathlib.Path(p).read_text()
    assert text.startswith("digraph") and "Add" in text and '"x"' in text
    buf = io.StringIO()
    with pytest.raises(Exception):
        mx.export_to_dot(p, 3)
    del buf


@needs_mlx
@pytest.mark.parametrize("name", ["load", "save", "save_safetensors", "save_gguf"])
def test_parameter_kinds_match_mlx(tmp_path, name):
    from helpers import param_kinds

    def params(m):
        a = m.ones((2,))
        p = str(tmp_path / f"{m.__name__}.{name}")
        if name == "load":
            m.save(p + ".npy", a)
            return [("file", p + ".npy"), ("format", None), ("return_metadata", False)]
        if name == "save":
            return [("file", p), ("arr", a)]
        if name == "save_safetensors":
            return [("file", p), ("arrays", {"a": a}), ("metadata", None)]
        return [("file", p), ("arrays", {"a": a}), ("metadata", {})]

    assert param_kinds(mx, name, params(mx)) == param_kinds(mlx, name, params(mlx))


def test_io_from_threads(tmp_path):
    """Loads and saves run with the GIL released; several threads at once
    each get their own data back."""
    import threading

    errors = []

    def work(i):
        try:
            a = mx.arange(1000 * (i + 1)).reshape(-1, 10) * i
            for k in range(5):
                p = str(tmp_path / f"t{i}_{k}")
                mx.savez_compressed(p, a=a)
                mx.save_safetensors(p, {"a": a})
                same(mx.load(p + ".npz")["a"], a)
                same(mx.load(p + ".safetensors")["a"], a)
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_file_by_keyword(tmp_path):
    a = mx.arange(3)
    p = str(tmp_path / "k")
    mx.savez(file=p, x=a)
    same(mx.load(p + ".npz")["x"], a)
    mx.savez_compressed(file=p + "c", x=a)
    same(mx.load(p + "c.npz")["x"], a)
    mx.export_to_dot(file=p + ".dot", y=a + 1)
    assert pathlib.Path(p + ".dot").read_text().startswith("digraph")
    with pytest.raises(TypeError):
        mx.savez(x=a)
