"""Weights saved by real MLX (tests/data/mlx_weights.*, written by
scripts/gen_mlx_weights.py) load into the same model built with cmlx.nn and
give MLX's recorded outputs; weights cmlx saves load into real MLX."""
import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import cmlx.core as mx
import cmlx.nn as nn

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

_spec = importlib.util.spec_from_file_location("gen_mlx_weights", ROOT / "scripts" / "gen_mlx_weights.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

IO = np.load(DATA / "mlx_weights_io.npz")


def params(model):
    from cmlx.utils import tree_flatten
    return {k: np.array(v) for k, v in tree_flatten(model.parameters())}


@pytest.mark.parametrize("ext", ["safetensors", "npz"])
def test_mlx_file_loads_into_cmlx(ext):
    model = gen.build(mx, nn)
    before = params(model)
    model.load_weights(str(DATA / f"mlx_weights.{ext}"), strict=True)
    after = params(model)
    assert after.keys() == before.keys()
    stored = dict(np.load(DATA / "mlx_weights.npz"))
    assert stored.keys() == after.keys()
    for k, v in after.items():
        np.testing.assert_array_equal(v, stored[k], err_msg=k)
    model.eval()
    out = model(mx.array(IO["input"]))
    assert out.shape == IO["output"].shape
    np.testing.assert_allclose(np.array(out), IO["output"], rtol=1e-5, atol=1e-5)


def test_strict_load_rejects_a_mismatched_model(tmp_path):
    stored = dict(np.load(DATA / "mlx_weights.npz"))
    del stored["conv.bias"]
    np.savez(tmp_path / "missing.npz", **stored)
    model = gen.build(mx, nn)
    with pytest.raises(ValueError, match="conv.bias"):
        model.load_weights(str(tmp_path / "missing.npz"), strict=True)
    # Non-strict loading takes what is there.
    model.load_weights(str(tmp_path / "missing.npz"), strict=False)
    np.testing.assert_array_equal(np.array(model.conv.weight), stored["conv.weight"])


@pytest.mark.parametrize("ext", ["safetensors", "npz"])
def test_cmlx_file_loads_into_mlx(ext, mlx, tmp_path):
    mlx_nn = importlib.import_module("mlx.nn")
    mx.random.seed(5)
    ours = gen.build(mx, nn)
    path = str(tmp_path / f"cmlx_weights.{ext}")
    ours.save_weights(path)
    theirs = gen.build(mlx, mlx_nn)
    theirs.load_weights(path, strict=True)
    from mlx.utils import tree_flatten
    got = {k: np.array(v) for k, v in tree_flatten(theirs.parameters())}
    want = params(ours)
    assert got.keys() == want.keys()
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    x = IO["input"]
    np.testing.assert_allclose(np.array(theirs(mlx.array(x))), np.array(ours(mx.array(x))),
                               rtol=1e-5, atol=1e-5)
