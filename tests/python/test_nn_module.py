"""cmlx.nn.Module: the parameter tree, updates and their strictness,
freezing, modes, dtype casts, weight files."""
import numpy as np
import pytest

import cmlx.core as mx
import cmlx.nn as nn
from cmlx.utils import tree_flatten
from nn_helpers import copy_weights, needs_mlx, rmx, rnn, rutils, to_cmlx, to_real


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.layers = [nn.Linear(4, 4), nn.ReLU(), {"norm": nn.LayerNorm(4)}]
        self.scale = mx.array(2.0)
        self._private = mx.zeros(1)
        self.count = 3  # not an array: a plain attribute

    def __call__(self, x):
        x = self.lin(x)
        x = self.layers[1](self.layers[0](x))
        return self.layers[2]["norm"](x) * self.scale


def names(tree):
    return [k for k, _ in tree_flatten(tree)]


def test_parameters_children_leaf_modules():
    m = Block()
    assert names(m.parameters()) == [
        "lin.weight", "lin.bias", "layers.0.weight", "layers.0.bias",
        "layers.2.norm.weight", "layers.2.norm.bias", "scale",
    ]
    assert "count" not in m and m.count == 3
    assert "_private" in m and "_private" not in m.parameters()
    kids = m.children()
    assert set(kids) == {"lin", "layers"}
    assert isinstance(kids["lin"], nn.Linear) and isinstance(kids["layers"][1], nn.ReLU)
    assert [k for k, _ in tree_flatten(m.leaf_modules(), is_leaf=nn.Module.is_module)] == [
        "lin", "layers.0", "layers.1", "layers.2.norm"
    ]
    named = m.named_modules()
    assert named[0] == ("", m)
    assert {k for k, _ in named} == {"", "lin", "layers.0", "layers.1", "layers.2.norm"}
    assert len(m.modules()) == 5
    assert m.state is m


def test_getattr_setattr_delattr():
    m = nn.Module()
    m.w = mx.ones(2)
    assert "w" in m and m.w is m["w"]
    m.w = 5  # replacing an array member by a non-array moves it out of the dict
    assert "w" not in m and m.w == 5
    m.l = [mx.zeros(1)]
    assert "l" in m
    del m.l
    assert "l" not in m
    with pytest.raises(AttributeError):
        m.nothing
    m.flag = None
    assert m.flag is None


def test_update_strict_and_lenient():
    m = Block()
    m.update({"lin": {"bias": mx.zeros(4)}})
    assert np.array_equal(np.array(m.lin.bias), np.zeros(4))
    with pytest.raises(ValueError, match='does not have parameter named "nope"'):
        m.update({"nope": mx.zeros(1)})
    with pytest.raises(ValueError, match="Received invalid type: int"):
        m.update({"lin": {"bias": 3}})
    with pytest.raises(ValueError, match="out of bounds"):
        m.update({"layers": [{}, {}, {}, {}]})
    with pytest.raises(ValueError, match="Received invalid type: int"):
        m.update({"lin": 3})
    m.update({"nope": mx.zeros(1), "layers": [{}, {}, {}, {"x": 1}]}, strict=False)
    assert "nope" not in m
    assert m.update({}) is m


def test_update_modules():
    m = Block()
    new = nn.Linear(3, 4, bias=False)
    m.update_modules({"lin": new, "layers": [nn.Identity()]})
    assert m.lin is new and isinstance(m.layers[0], nn.Identity)
    with pytest.raises(ValueError, match='does not have sub-module named "zzz"'):
        m.update_modules({"zzz": nn.ReLU()})
    with pytest.raises(ValueError, match="out of bounds"):
        m.update_modules({"layers": [{}] * 4})
    with pytest.raises(ValueError, match="Received invalid type"):
        m.update_modules({"scale": nn.Linear(1, 1)})
    m.update_modules({"zzz": nn.ReLU()}, strict=False)


def test_apply_and_filter_and_map():
    m = Block()
    m.apply(lambda x: mx.zeros_like(x))
    for _, v in tree_flatten(m.parameters()):
        assert not np.any(np.array(v))
    m.apply(lambda x: x + 1, filter_fn=lambda mod, k, v: k == "bias" or isinstance(v, (dict, list)))
    assert np.all(np.array(m.lin.bias) == 1) and np.all(np.array(m.lin.weight) == 0)
    shapes = m.filter_and_map(m.valid_parameter_filter, map_fn=lambda x: x.shape)
    assert shapes["lin"]["weight"] == (4, 3)


def test_apply_to_modules_paths():
    seen = []
    Block().apply_to_modules(lambda p, mod: seen.append((p, type(mod).__name__)))
    assert ("layers.2.norm", "LayerNorm") in seen and ("", "Block") in seen


def test_freeze_unfreeze():
    m = Block()
    m.freeze()
    assert tree_flatten(m.trainable_parameters()) == []
    m.unfreeze()
    assert names(m.trainable_parameters()) == names(m.parameters())
    m.freeze(keys="bias")
    tn = names(m.trainable_parameters())
    assert "lin.weight" in tn and "lin.bias" not in tn and "layers.2.norm.bias" not in tn
    m.unfreeze(keys=["bias"])
    assert "lin.bias" in names(m.trainable_parameters())
    # recurse=False touches only the module's own members
    m.freeze(recurse=False)
    tn = names(m.trainable_parameters())
    assert "scale" not in tn and "lin.weight" in tn
    m.unfreeze()
    m.lin.freeze(keys=["weight"], strict=True)
    assert "lin.weight" not in names(m.trainable_parameters())
    with pytest.raises(KeyError, match="doesn't contain member nope"):
        m.freeze(keys="nope", strict=True)
    with pytest.raises(KeyError):
        m.lin.unfreeze(keys="nope", recurse=False, strict=True)
    m.freeze(keys="nope")  # not strict: ignored
    assert m.freeze() is m and m.unfreeze() is m


def test_batchnorm_running_stats_stay_frozen():
    bn = nn.BatchNorm(3)
    assert names(bn.trainable_parameters()) == ["weight", "bias"]
    bn.unfreeze()
    assert names(bn.trainable_parameters()) == ["weight", "bias"]
    assert set(names(bn.parameters())) == {"weight", "bias", "running_mean", "running_var"}


def test_train_eval():
    m = Block()
    assert m.training and m.lin.training
    assert m.eval() is m
    assert not m.training and not m.layers[2]["norm"].training
    m.train()
    assert m.layers[0].training


def test_set_dtype():
    m = Block()
    m.int_buf = mx.zeros(2, dtype=mx.int32)
    m.set_dtype(mx.float16)
    assert m.lin.weight.dtype == mx.float16 and m.int_buf.dtype == mx.int32
    m.set_dtype(mx.float32, predicate=None)
    assert m.int_buf.dtype == mx.float32


def test_load_weights_strict_errors():
    m = nn.Linear(2, 3)
    good = [("weight", mx.zeros((3, 2))), ("bias", mx.zeros(3))]
    assert m.load_weights(good) is m
    assert np.all(np.array(m.weight) == 0)
    with pytest.raises(ValueError, match="Missing 1 parameters"):
        m.load_weights(good[:1])
    with pytest.raises(ValueError, match="Received 1 parameters not in model"):
        m.load_weights(good + [("extra", mx.zeros(1))])
    with pytest.raises(ValueError, match=r"Expected shape \(3, 2\) but received shape \(2, 3\)"):
        m.load_weights([("weight", mx.zeros((2, 3))), ("bias", mx.zeros(3))])
    with pytest.raises(ValueError, match="Expected mx.array"):
        m.load_weights([("weight", np.zeros((3, 2))), ("bias", mx.zeros(3))])
    m.load_weights([("bias", mx.ones(3))], strict=False)
    assert np.all(np.array(m.bias) == 1)


def test_save_load_npz(tmp_path):
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = str(tmp_path / "w.npz")
    m.save_weights(path)
    with np.load(path) as f:
        assert sorted(f.files) == ["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"]
    m2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).load_weights(path)
    x = mx.ones((1, 3))
    assert np.array_equal(np.array(m(x)), np.array(m2(x)))
    with pytest.raises(ValueError, match="Unsupported file extension"):
        m.save_weights(str(tmp_path / "w.bin"))


@needs_mlx
def test_weights_saved_by_mlx_load(tmp_path):
    rmx.random.seed(0)
    ref = rnn.Sequential(rnn.Linear(5, 8), rnn.GELU(), rnn.LayerNorm(8), rnn.Linear(8, 3))
    path = str(tmp_path / "mlx.npz")
    ref.save_weights(path)
    m = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 3)).load_weights(path)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(np.array(m(to_cmlx(x))), np.array(ref(to_real(x))), rtol=1e-5, atol=1e-6)
    # and back: cmlx's file loads into MLX
    out = str(tmp_path / "cmlx.npz")
    m.save_weights(out)
    ref2 = rnn.Sequential(rnn.Linear(5, 8), rnn.GELU(), rnn.LayerNorm(8), rnn.Linear(8, 3)).load_weights(out)
    np.testing.assert_array_equal(np.array(ref2.layers[0].weight), np.array(m.layers[0].weight))


@needs_mlx
def test_module_api_matches_mlx():
    a, b = Block(), _real_block()
    copy_weights(a, b)
    assert names(a.parameters()) == [k for k, _ in rutils.tree_flatten(b.parameters())]
    a.freeze(keys="weight")
    b.freeze(keys="weight")
    assert names(a.trainable_parameters()) == [k for k, _ in rutils.tree_flatten(b.trainable_parameters())]
    assert repr(nn.Linear(2, 3)) == repr(rnn.Linear(2, 3))
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU())) == repr(rnn.Sequential(rnn.Linear(2, 3), rnn.ReLU()))


def _real_block():
    class RBlock(rnn.Module):
        def __init__(self):
            super().__init__()
            self.lin = rnn.Linear(3, 4)
            self.layers = [rnn.Linear(4, 4), rnn.ReLU(), {"norm": rnn.LayerNorm(4)}]
            self.scale = rmx.array(2.0)
            self._private = rmx.zeros(1)
            self.count = 3

    return RBlock()


def test_value_and_grad_over_trainable_parameters():
    m = nn.Linear(3, 1)
    m.freeze(keys="bias")
    x = mx.ones((2, 3))

    def loss(x):
        return mx.sum(m(x))

    val, grads = nn.value_and_grad(m, loss)(x)
    assert set(grads) == {"weight"}
    np.testing.assert_allclose(np.array(grads["weight"]), np.full((1, 3), 2.0))
    assert val.item() == pytest.approx(float(np.sum(np.array(m(x)))))


def test_checkpoint_same_values_and_grads():
    m = nn.Linear(3, 2)
    x = mx.ones((2, 3))
    ck = nn.checkpoint(m)
    np.testing.assert_allclose(np.array(ck(x)), np.array(m(x)))
    _, g1 = nn.value_and_grad(m, lambda x: mx.sum(ck(x)))(x)
    _, g2 = nn.value_and_grad(m, lambda x: mx.sum(m(x)))(x)
    np.testing.assert_allclose(np.array(g1["weight"]), np.array(g2["weight"]))


def test_average_gradients_single_process_is_identity():
    g = {"w": mx.ones(2)}
    assert nn.average_gradients(g) is g


def test_install_as_mlx_in_fresh_process():
    # A child process: this one already imported the real MLX.
    import subprocess
    import sys

    code = (
        "import cmlx; cmlx.install_as_mlx()\n"
        "import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim\n"
        "from mlx.utils import tree_flatten\n"
        "from mlx.nn.losses import mse_loss\n"
        "from mlx.nn.layers.base import Module\n"
        "from mlx.optimizers.schedulers import cosine_decay\n"
        "assert Module is cmlx.nn.Module\n"
        "import cmlx.core, cmlx.nn\n"
        "assert mx is cmlx.core and nn is cmlx.nn and optim.Adam is cmlx.optimizers.Adam\n"
        "assert mx.random is cmlx.core.random\n"
        "print(len(tree_flatten(nn.Linear(2, 3).parameters())))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"


@needs_mlx
@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda m: m.Sequential(m.Linear(6, 8), m.LayerNorm(8), m.GELU(), m.Linear(8, 4)), (3, 6)),
        (lambda m: m.Sequential(m.RMSNorm(6), m.Linear(6, 4, bias=False), m.SiLU()), (2, 5, 6)),
        (lambda m: m.Sequential(m.GroupNorm(2, 6), m.Linear(6, 4)), (2, 3, 6)),
        (lambda m: m.TransformerEncoder(1, 8, 2, mlp_dims=16), (2, 5, 8)),
    ],
)
def test_value_and_grad_matches_mlx(make, shape):
    """Gradients over a model's parameters equal real MLX's for the same
    weights and data."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    targets = rng.integers(0, 4, shape[:-1])
    ref = make(rnn)
    m = copy_weights(make(nn), ref)

    def loss_fn(lib, core, mod):
        if isinstance(mod, (nn.TransformerEncoder, rnn.TransformerEncoder)):
            return lambda x: core.sum(core.square(mod(x, None)))
        return lambda x: lib.losses.cross_entropy(mod(x), core.array(targets), reduction="mean")

    v1, g1 = nn.value_and_grad(m, loss_fn(nn, mx, m))(to_cmlx(x))
    v2, g2 = rnn.value_and_grad(ref, loss_fn(rnn, rmx, ref))(to_real(x))
    np.testing.assert_allclose(v1.item(), v2.item(), rtol=1e-5)
    f1, f2 = tree_flatten(g1), rutils.tree_flatten(g2)
    assert [k for k, _ in f1] == [k for k, _ in f2]
    for (k, a), (_, b) in zip(f1, f2):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-5, err_msg=k)


def test_transformer_checkpoint_flag_keeps_gradients():
    mx.random.seed(1)
    plain = nn.TransformerEncoder(2, 8, 2, mlp_dims=16)
    ck = nn.TransformerEncoder(2, 8, 2, mlp_dims=16, checkpoint=True)
    ck.update(plain.parameters())
    x = mx.array(np.random.default_rng(5).standard_normal((2, 4, 8)).astype(np.float32))
    v1, g1 = nn.value_and_grad(plain, lambda: mx.sum(mx.square(plain(x, None))))()
    v2, g2 = nn.value_and_grad(ck, lambda: mx.sum(mx.square(ck(x, None))))()
    np.testing.assert_allclose(v1.item(), v2.item(), rtol=1e-6)
    for (k, a), (_, b) in zip(tree_flatten(g1), tree_flatten(g2)):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6, err_msg=k)
