"""cmlx.nn layers: outputs against NumPy references and against real MLX
given the same weights; initial weights bit-identical to MLX for the same
seed; argument errors."""
import math

import numpy as np
import pytest

import cmlx.core as mx
import cmlx.nn as nn
from nn_helpers import close, copy_weights, needs_mlx, rmx, rnn, same_params, to_cmlx, to_real

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((2, 5, 8)).astype(np.float32)
X4 = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)


def run_both(make, *inputs, tol=1e-5, train=True, **call_kw):
    """Builds the layer with cmlx.nn and mlx.nn (``make(module)``), copies
    MLX's weights over and compares the outputs."""
    ref = make(rnn)
    m = copy_weights(make(nn), ref)
    if not train:
        ref.eval()
        m.eval()
    got = m(*[to_cmlx(x) for x in inputs], **call_kw)
    want = ref(*[to_real(x) for x in inputs], **call_kw)
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            close(g, w, tol)
    else:
        close(got, want, tol)
    return m, ref


# ------------------------------------------------------------ NumPy refs
def test_linear_numpy():
    m = nn.Linear(8, 4)
    w, b = np.array(m.weight), np.array(m.bias)
    close(m(mx.array(X3)), X3 @ w.T + b)
    m = nn.Linear(8, 4, bias=False)
    assert "bias" not in m
    close(m(mx.array(X3)), X3 @ np.array(m.weight).T)
    k = 1 / math.sqrt(8)
    assert np.abs(np.array(m.weight)).max() <= k


def test_bilinear_numpy():
    m = nn.Bilinear(3, 4, 2)
    a = RNG.standard_normal((5, 3)).astype(np.float32)
    b = RNG.standard_normal((5, 4)).astype(np.float32)
    w = np.array(m.weight)  # (out, in2, in1)
    want = np.einsum("ni,oji,nj->no", a, w, b) + np.array(m.bias)
    close(m(mx.array(a), mx.array(b)), want)


def test_embedding_and_as_linear():
    e = nn.Embedding(10, 4)
    idx = np.array([[1, 3], [9, 0]])
    close(e(mx.array(idx)), np.array(e.weight)[idx])
    close(e.as_linear(mx.array(X3[..., :4])), X3[..., :4] @ np.array(e.weight).T)


def test_identity_and_sequential():
    assert nn.Identity(1, 2, k=3)(mx.array(X3)) is not None
    s = nn.Sequential(nn.Linear(8, 3), nn.ReLU(), lambda x: x * 2)
    w, b = np.array(s.layers[0].weight), np.array(s.layers[0].bias)
    close(s(mx.array(X3)), 2 * np.maximum(X3 @ w.T + b, 0))


def test_layer_norm_numpy():
    m = nn.LayerNorm(8, eps=1e-5)
    m.weight = mx.array(np.arange(8, dtype=np.float32))
    m.bias = mx.ones(8)
    mu, var = X3.mean(-1, keepdims=True), X3.var(-1, keepdims=True)
    close(m(mx.array(X3)), (X3 - mu) / np.sqrt(var + 1e-5) * np.arange(8) + 1)
    assert "bias" not in nn.LayerNorm(4, bias=False) and "weight" not in nn.LayerNorm(4, affine=False)


def test_rms_norm_numpy():
    m = nn.RMSNorm(8)
    close(m(mx.array(X3)), X3 / np.sqrt((X3**2).mean(-1, keepdims=True) + 1e-5))


def test_group_norm_numpy():
    m = nn.GroupNorm(2, 8, pytorch_compatible=True)
    x = X3.reshape(2, 5, 2, 4)
    mu = x.mean(axis=(1, 3), keepdims=True)
    var = x.var(axis=(1, 3), keepdims=True)
    close(m(mx.array(X3)), ((x - mu) / np.sqrt(var + 1e-5)).reshape(X3.shape))


def test_batch_norm_train_and_eval():
    m = nn.BatchNorm(8, momentum=0.1)
    y = m(mx.array(X3))
    mu, var = X3.mean(axis=(0, 1)), X3.var(axis=(0, 1))
    close(y, (X3 - mu) / np.sqrt(var + 1e-5))
    close(m.running_mean, 0.1 * mu)
    close(m.running_var, 0.9 + 0.1 * X3.var(axis=(0, 1), ddof=1))
    m.eval()
    rm, rv = np.array(m.running_mean), np.array(m.running_var)
    close(m(mx.array(X3)), (X3 - rm) / np.sqrt(rv + 1e-5))
    with pytest.raises(ValueError, match="more than one value"):
        nn.BatchNorm(3)(mx.zeros((1, 3)))
    with pytest.raises(ValueError, match="2, 3 or 4 dimensions"):
        nn.BatchNorm(3)(mx.zeros((1, 1, 1, 1, 3)))


def test_instance_norm_numpy():
    m = nn.InstanceNorm(3)
    mu = X4.mean(axis=(1, 2), keepdims=True)
    var = X4.var(axis=(1, 2), keepdims=True)
    close(m(mx.array(X4)), (X4 - mu) / np.sqrt(var + 1e-5), 1e-4)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        m(mx.zeros((2, 3)))


@pytest.mark.parametrize("cls", ["LayerNorm", "RMSNorm", "InstanceNorm", "BatchNorm"])
def test_norm_eps_must_be_positive(cls):
    with pytest.raises(ValueError, match="'eps' must be positive"):
        getattr(nn, cls)(4, eps=0.0)


def test_group_norm_errors():
    with pytest.raises(ValueError, match="evenly divisible"):
        nn.GroupNorm(3, 8)
    with pytest.raises(ValueError, match="positive integer"):
        nn.GroupNorm(0, 8)


def test_dropout():
    x = mx.ones((200, 50))
    d = nn.Dropout(0.25)
    y = np.array(d(x))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (y == 0).mean() < 0.3
    d.eval()
    assert np.array_equal(np.array(d(x)), np.ones((200, 50)))
    assert np.array_equal(np.array(nn.Dropout(0.0)(x)), np.ones((200, 50)))
    with pytest.raises(ValueError, match=r"not in \[0, 1\)"):
        nn.Dropout(1.0)
    y2 = np.array(nn.Dropout2d(0.5)(mx.ones((4, 3, 3, 16))))
    # whole channels are dropped: every spatial position agrees
    assert (y2 == y2[:, :1, :1, :]).all()
    y3 = np.array(nn.Dropout3d(0.5)(mx.ones((2, 2, 3, 3, 8))))
    assert (y3 == y3[:, :1, :1, :1, :]).all()
    with pytest.raises(ValueError, match="Expected 3 or 4 dimensions"):
        nn.Dropout2d()(mx.ones((2, 2)))
    with pytest.raises(ValueError, match="Expected 4 or 5 dimensions"):
        nn.Dropout3d()(mx.ones((2, 2, 2)))


def test_rope_numpy():
    dims, L = 8, 5
    x = X3
    inv = 10000.0 ** (-np.arange(0, dims // 2) / (dims // 2))
    theta = (np.arange(L) + 2)[:, None] * inv[None]
    c, s = np.cos(theta), np.sin(theta)
    x1, x2 = x[..., : dims // 2], x[..., dims // 2 :]
    want = np.concatenate([x1 * c - x2 * s, x1 * s + x2 * c], -1)
    close(nn.RoPE(dims)(mx.array(x), offset=2), want, 1e-4)


def test_sinusoidal_and_alibi_numpy():
    pe = nn.SinusoidalPositionalEncoding(8, cos_first=True)
    t = np.arange(5, dtype=np.float32)
    sig = np.exp((1 - np.arange(4) / 3) * (0 - math.log(1e-4)) + math.log(1e-4))
    y = t[:, None] * sig
    close(pe(mx.array(t)), np.concatenate([np.cos(y), np.sin(y)], -1) * math.sqrt(2 / 8), 1e-5)
    with pytest.raises(ValueError, match="positive and even"):
        nn.SinusoidalPositionalEncoding(3)
    slopes = np.array(nn.ALiBi.create_alibi_slope(4)).reshape(-1)
    close(slopes, [2.0 ** -(2 * (i + 1)) for i in range(4)])
    scores = mx.zeros((1, 4, 3, 3))
    out = np.array(nn.ALiBi()(scores))
    dist = -np.abs(np.arange(3)[:, None] - np.arange(3)[None])
    close(out[0], slopes[:, None, None] * dist)


def test_mha_numpy_and_causal_mask():
    m = nn.MultiHeadAttention(8, 2, bias=True)
    q = X3
    mask = nn.MultiHeadAttention.create_additive_causal_mask(5)
    assert mask.shape == (5, 5) and np.array(mask)[0, 1] == np.finfo(np.float32).min and np.array(mask)[1, 0] == 0

    def proj(lin, v):
        return v @ np.array(lin.weight).T + np.array(lin.bias)

    def heads(v):
        return v.reshape(2, 5, 2, 4).transpose(0, 2, 1, 3)

    Q, K, V = heads(proj(m.query_proj, q)), heads(proj(m.key_proj, q)), heads(proj(m.value_proj, q))
    s = Q @ K.transpose(0, 1, 3, 2) / 2.0 + np.array(mask)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    o = (p @ V).transpose(0, 2, 1, 3).reshape(2, 5, 8)
    close(m(mx.array(q), mx.array(q), mx.array(q), mask), proj(m.out_proj, o), 1e-4)
    with pytest.raises(ValueError, match="divisible by the number of heads"):
        nn.MultiHeadAttention(6, 4)


def test_pooling_numpy():
    x = X4
    y = np.array(nn.MaxPool2d(2)(mx.array(x)))
    close(y, x.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4)))
    y = np.array(nn.AvgPool2d((2, 3), stride=(2, 3))(mx.array(x)))
    close(y, x.reshape(2, 3, 2, 2, 3, 3).mean(axis=(2, 4)))
    y = np.array(nn.MaxPool1d(3, stride=1, padding=1)(mx.array(X3)))
    p = np.pad(X3, ((0, 0), (1, 1), (0, 0)), constant_values=-np.inf)
    close(y, np.stack([p[:, i : i + 3].max(1) for i in range(5)], 1))
    assert nn.AvgPool3d(2)(mx.ones((1, 4, 4, 4, 2))).shape == (1, 2, 2, 2, 2)
    with pytest.raises(ValueError, match="must be positive"):
        nn.MaxPool2d(0)
    with pytest.raises(ValueError, match="tuple containing 2 integers"):
        nn.MaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match="non-negative"):
        nn.AvgPool1d(2, padding=-1)


def test_upsample_nearest_numpy_and_errors():
    x = X4[:, :3, :3]
    y = np.array(nn.Upsample(2)(mx.array(x)))
    close(y, x.repeat(2, axis=1).repeat(2, axis=2))
    y = np.array(nn.Upsample((1, 3))(mx.array(x)))
    close(y, x.repeat(3, axis=2))
    with pytest.raises(ValueError, match="unsupported upsampling"):
        nn.Upsample(2, mode="area")
    with pytest.raises(ValueError, match="Antialiasing is not supported"):
        nn.Upsample(2, antialias=True)
    with pytest.raises(ValueError, match="One scale per spatial"):
        nn.Upsample((2, 2))(mx.ones((1, 4, 2)))
    with pytest.raises(ValueError, match="at least 3D"):
        nn.Upsample(2)(mx.ones((4, 2)))


def test_recurrent_numpy():
    rnn_ = nn.RNN(8, 4)
    wx, wh, b = (np.array(rnn_[k]) for k in ("Wxh", "Whh", "bias"))
    h = np.zeros((2, 4), np.float32)
    outs = []
    for t in range(5):
        h = np.tanh(X3[:, t] @ wx.T + b + h @ wh.T)
        outs.append(h)
    close(rnn_(mx.array(X3)), np.stack(outs, 1))
    lstm = nn.LSTM(8, 4, bias=False)
    hs, cs = lstm(mx.array(X3))
    assert hs.shape == cs.shape == (2, 5, 4)
    assert nn.GRU(8, 4)(mx.array(X3[0])).shape == (5, 4)
    with pytest.raises(ValueError, match="must be callable"):
        nn.RNN(2, 2, nonlinearity=3)


def test_activation_functions_numpy():
    x = np.linspace(-4, 4, 33).astype(np.float32)
    a = mx.array(x)
    sig = 1 / (1 + np.exp(-x))
    sp = np.log1p(np.exp(x))
    erf = np.vectorize(math.erf)
    refs = {
        "relu": np.maximum(x, 0), "relu6": np.clip(x, 0, 6), "relu2": np.maximum(x, 0) ** 2,
        "sigmoid": sig, "silu": x * sig, "softplus": sp, "log_sigmoid": -np.log1p(np.exp(-x)),
        "softsign": x / (1 + np.abs(x)), "tanh": np.tanh(x), "mish": x * np.tanh(sp),
        "elu": np.where(x > 0, x, np.exp(x) - 1), "celu": np.maximum(x, 0) + np.minimum(0, np.exp(x) - 1),
        "selu": 1.0507 * np.where(x > 0, x, 1.67326 * (np.exp(x) - 1)),
        "gelu": 0.5 * x * (1 + erf(x / math.sqrt(2))),
        "gelu_approx": 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        "gelu_fast_approx": x * (1 / (1 + np.exp(-1.702 * x))),
        "hardswish": x * np.clip(x + 3, 0, 6) / 6, "hard_tanh": np.clip(x, -1, 1),
        "hard_shrink": np.where(np.abs(x) > 0.5, x, 0),
        "softshrink": np.where(np.abs(x) > 0.5, x - np.sign(x) * 0.5, 0),
        "leaky_relu": np.where(x > 0, x, 0.01 * x), "step": (x >= 0).astype(np.float32),
        "softmax": np.exp(x) / np.exp(x).sum(), "softmin": np.exp(-x) / np.exp(-x).sum(),
        "log_softmax": x - np.log(np.exp(x).sum()),
    }
    for name, want in refs.items():
        close(getattr(nn, name)(a), want, 1e-5)
    close(nn.glu(mx.array(x[:32])), x[:16] / (1 + np.exp(-x[16:32])))
    close(nn.prelu(a, mx.array([0.1])), np.where(x > 0, x, 0.1 * x))


def test_activation_modules():
    x = mx.array(np.linspace(-3, 3, 13).astype(np.float32))
    pairs = {
        "ReLU": "relu", "ReLU2": "relu2", "ReLU6": "relu6", "Sigmoid": "sigmoid", "SiLU": "silu",
        "Softplus": "softplus", "Softsign": "softsign", "Tanh": "tanh", "Mish": "mish",
        "SELU": "selu", "LogSigmoid": "log_sigmoid", "Hardswish": "hardswish",
        "HardTanh": "hard_tanh", "Softmax": "softmax", "Softmin": "softmin",
        "LogSoftmax": "log_softmax", "ELU": "elu", "CELU": "celu", "LeakyReLU": "leaky_relu",
        "Softshrink": "softshrink", "HardShrink": "hard_shrink", "Step": "step", "GELU": "gelu",
    }
    for cls, fn in pairs.items():
        close(getattr(nn, cls)()(x), getattr(nn, fn)(x))
    close(nn.GELU("tanh")(x), nn.gelu_approx(x))
    close(nn.GELU("fast")(x), nn.gelu_fast_approx(x))
    close(nn.GLU()(mx.ones((2, 4))), nn.glu(mx.ones((2, 4))))
    p = nn.PReLU(1, 0.2)
    assert list(p.parameters()) == ["weight"]
    close(p(x), nn.prelu(x, mx.array([0.2])))
    with pytest.raises(ValueError, match="approximation should be in"):
        nn.GELU("bad")


# ----------------------------------------------------------- against MLX
@needs_mlx
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Linear(8, 4),
        lambda m: m.LayerNorm(8),
        lambda m: m.LayerNorm(8, affine=False),
        lambda m: m.RMSNorm(8),
        lambda m: m.GroupNorm(4, 8),
        lambda m: m.GroupNorm(2, 8, pytorch_compatible=True),
        lambda m: m.BatchNorm(8),
        lambda m: m.InstanceNorm(8, affine=True),
        lambda m: m.RoPE(8),
        lambda m: m.RoPE(6, traditional=True, base=500, scale=0.5),
        lambda m: m.RNN(8, 4),
        lambda m: m.GRU(8, 4),
        lambda m: m.GRU(8, 4, bias=False),
        lambda m: m.LSTM(8, 4),
        lambda m: m.MaxPool1d(2, 1),
        lambda m: m.AvgPool1d(3, 2, 1),
        lambda m: m.PReLU(8),
    ],
)
def test_against_mlx_3d(make):
    run_both(make, X3)


@needs_mlx
def test_batchnorm_eval_against_mlx():
    ref = rnn.BatchNorm(3)
    m = copy_weights(nn.BatchNorm(3), ref)
    ref(to_real(X4))
    m(to_cmlx(X4))
    close(m.running_var, ref.running_var)
    ref.eval()
    m.eval()
    close(m(to_cmlx(X4)), ref(to_real(X4)))


@needs_mlx
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.MaxPool2d(2),
        lambda m: m.MaxPool2d(3, stride=2, padding=1),
        lambda m: m.AvgPool2d((2, 3), stride=1),
        lambda m: m.Upsample(2, "nearest"),
        lambda m: m.Upsample(1.5, "nearest"),
        lambda m: m.Upsample(0.5, "nearest"),
        lambda m: m.Upsample(2, "linear"),
        lambda m: m.Upsample((1.5, 2), "linear", align_corners=True),
        lambda m: m.Upsample(2, "cubic"),
        lambda m: m.Upsample(2.5, "cubic", align_corners=True),
        lambda m: m.Upsample(0.5, "linear", antialias=True),
        lambda m: m.Upsample(0.5, "cubic", antialias=True),
        lambda m: m.InstanceNorm(3),
        lambda m: m.GroupNorm(3, 3),
    ],
)
def test_against_mlx_4d(make):
    run_both(make, X4)


@needs_mlx
def test_attention_and_transformers_against_mlx():
    mask = nn.MultiHeadAttention.create_additive_causal_mask(5)
    np.testing.assert_array_equal(np.array(mask), np.array(rnn.MultiHeadAttention.create_additive_causal_mask(5)))
    mem = RNG.standard_normal((2, 3, 8)).astype(np.float32)
    run_both(lambda m: m.MultiHeadAttention(8, 2), X3, X3, X3, tol=1e-4)
    run_both(lambda m: m.MultiHeadAttention(8, 4, bias=True), X3, X3, X3, np.array(mask), tol=1e-4)
    run_both(lambda m: m.MultiHeadAttention(8, 2, key_input_dims=8, value_dims=4, value_output_dims=6), X3, mem, mem, tol=1e-4)
    run_both(lambda m: m.TransformerEncoder(2, 8, 2), X3, np.array(mask), tol=1e-4)
    run_both(lambda m: m.TransformerEncoder(1, 8, 2, norm_first=False, activation=m.gelu), X3, None, tol=1e-4)
    run_both(lambda m: m.TransformerDecoder(2, 8, 2, mlp_dims=16), X3, mem, np.array(mask), None, tol=1e-4)
    run_both(lambda m: m.TransformerDecoderLayer(8, 2, norm_first=False), X3, mem, None, None, tol=1e-4)
    run_both(lambda m: m.Transformer(8, 2, 1, 1, 16), mem, X3, None, np.array(mask), None, tol=1e-4)


@needs_mlx
def test_embedding_bilinear_alibi_sinusoidal_against_mlx():
    idx = np.array([[1, 2], [3, 0]])
    ref = rnn.Embedding(5, 4)
    m = copy_weights(nn.Embedding(5, 4), ref)
    close(m(mx.array(idx)), ref(rmx.array(idx)))
    close(m.as_linear(to_cmlx(X3[..., :4])), ref.as_linear(to_real(X3[..., :4])))
    run_both(lambda m: m.Bilinear(8, 8, 3), X3, X3 * 2)
    scores = RNG.standard_normal((2, 3, 4, 6)).astype(np.float32)
    run_both(lambda m: m.ALiBi(), scores, offset=2)
    for n in (3, 6, 8):
        close(nn.ALiBi.create_alibi_slope(n), rnn.ALiBi.create_alibi_slope(n))
    run_both(lambda m: m.SinusoidalPositionalEncoding(8, full_turns=True, scale=1.5), X3[0, :, 0])
    run_both(lambda m: m.SinusoidalPositionalEncoding(2), X3[0, :, 0])


@needs_mlx
def test_activations_against_mlx():
    x = RNG.standard_normal((4, 6)).astype(np.float32) * 3
    for name in [
        "celu", "elu", "gelu", "gelu_approx", "gelu_fast_approx", "glu", "hard_shrink", "hard_tanh",
        "hardswish", "leaky_relu", "log_sigmoid", "log_softmax", "mish", "relu", "relu2", "relu6",
        "selu", "sigmoid", "silu", "softmax", "softmin", "softplus", "softshrink", "softsign",
        "step", "tanh",
    ]:
        close(getattr(nn, name)(to_cmlx(x)), getattr(rnn, name)(to_real(x)), 1e-5)
    real_classes = {n for n in dir(rnn) if n[:1].isupper()}
    distributed = {"AllToShardedLinear", "ShardedToAllLinear", "QuantizedAllToShardedLinear",
                   "QuantizedShardedToAllLinear", "FullyShardedModule"}
    missing = sorted(real_classes - distributed - set(dir(nn)))
    assert missing == []


@needs_mlx
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Linear(5, 3),
        lambda m: m.Bilinear(2, 3, 4),
        lambda m: m.Embedding(7, 4),
        lambda m: m.RNN(3, 4),
        lambda m: m.GRU(3, 4),
        lambda m: m.LSTM(3, 4),
        lambda m: m.MultiHeadAttention(8, 2, bias=True),
        lambda m: m.TransformerEncoderLayer(8, 2),
        lambda m: m.Sequential(m.Linear(3, 3), m.ReLU(), m.Linear(3, 2)),
    ],
)
def test_initial_weights_bit_identical_to_mlx(make):
    mx.random.seed(11)
    rmx.random.seed(11)
    same_params(make(nn), make(rnn))


# ------------------------------------------- ops not bound in every build
def test_conv_numpy():
    c = nn.Conv1d(3, 4, 3, padding=1)
    x = RNG.standard_normal((2, 7, 3)).astype(np.float32)
    w = np.array(c.weight)
    p = np.pad(x, ((0, 0), (1, 1), (0, 0)))
    want = np.stack([np.einsum("nkc,okc->no", p[:, i : i + 3], w) for i in range(7)], 1)
    close(c(mx.array(x)), want, 1e-4)
    assert nn.Conv2d(3, 4, (2, 3), stride=2)(mx.ones((1, 6, 6, 3))).shape == (1, 3, 2, 4)
    assert nn.Conv3d(2, 4, 2)(mx.ones((1, 3, 3, 3, 2))).shape == (1, 2, 2, 2, 4)
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        nn.Conv2d(3, 4, 3, groups=2)


@needs_mlx
def test_conv_against_mlx():
    x1 = RNG.standard_normal((2, 7, 4)).astype(np.float32)
    run_both(lambda m: m.Conv1d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2), x1, tol=1e-4)
    run_both(lambda m: m.Conv2d(3, 4, 3, padding=1), X4, tol=1e-4)
    run_both(lambda m: m.ConvTranspose1d(4, 2, 3, stride=2), x1, tol=1e-4)
    run_both(lambda m: m.ConvTranspose2d(3, 2, 2, stride=2, output_padding=1), X4, tol=1e-4)
    x5 = RNG.standard_normal((1, 3, 3, 3, 2)).astype(np.float32)
    run_both(lambda m: m.Conv3d(2, 3, 2), x5, tol=1e-4)
    run_both(lambda m: m.ConvTranspose3d(2, 3, 2), x5, tol=1e-4)


@needs_mlx
def test_conv_initial_weights_match_mlx():
    for make in (lambda m: m.Conv1d(4, 6, 3, groups=2), lambda m: m.Conv2d(3, 4, (2, 3)),
                 lambda m: m.Conv3d(2, 3, 2), lambda m: m.ConvTranspose2d(3, 2, 2)):
        mx.random.seed(5)
        rmx.random.seed(5)
        same_params(make(nn), make(rnn))


@needs_mlx
def test_quantized_against_mlx():
    ref = rnn.Linear(64, 8)
    lin = copy_weights(nn.Linear(64, 8), ref)
    q, rq = lin.to_quantized(), ref.to_quantized()
    assert sorted(q.parameters()) == sorted(rq.parameters())
    x = RNG.standard_normal((3, 64)).astype(np.float32)
    close(q(to_cmlx(x)), rq(to_real(x)), 1e-4)
    assert [k for k in q.trainable_parameters()] == ["bias"]
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Embedding(10, 64))
    nn.quantize(model, group_size=32, bits=8)
    assert isinstance(model.layers[0], nn.QuantizedLinear) and isinstance(model.layers[2], nn.QuantizedEmbedding)
    model = nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 64))
    nn.quantize(model, class_predicate=lambda p, m: p == "layers.1")
    assert isinstance(model.layers[0], nn.Linear) and isinstance(model.layers[1], nn.QuantizedLinear)


def test_quantized_mode_errors():
    from cmlx.nn.layers.quantized import _defaults_for_mode

    assert _defaults_for_mode("affine", None, None) == (64, 4)
    assert _defaults_for_mode("mxfp8", None, None) == (32, 8)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        _defaults_for_mode("int3", None, None)
    with pytest.raises(ValueError, match="Quantized activations"):
        nn.Linear(4, 4).to_quantized(quantize_input=True)
    with pytest.raises(ValueError, match="Unable to quantize"):
        nn.quantize(nn.Sequential(nn.ReLU()), class_predicate=lambda p, m: True)


@needs_mlx
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize(
    "make,x",
    [
        (lambda m: m.Linear(8, 4), X3), (lambda m: m.LayerNorm(8), X3), (lambda m: m.RMSNorm(8), X3),
        (lambda m: m.GroupNorm(2, 8), X3), (lambda m: m.BatchNorm(8), X3), (lambda m: m.RoPE(8), X3),
        (lambda m: m.GRU(8, 4), X3), (lambda m: m.GELU("tanh"), X3), (lambda m: m.Softshrink(), X3),
        (lambda m: m.Upsample(2, "linear"), X4), (lambda m: m.Upsample(2, "cubic"), X4),
        (lambda m: m.Upsample(2), X4), (lambda m: m.AvgPool2d(2), X4), (lambda m: m.ALiBi(), X4),
        (lambda m: m.InstanceNorm(3, affine=True), X4),
    ],
)
def test_half_precision_dtypes_match_mlx(make, x, dtype):
    """Half-precision weights and inputs: same output dtype as MLX (some
    layers promote to float32) and values within half-precision error."""
    ref = make(rnn)
    ref.set_dtype(getattr(rmx, dtype))
    m = copy_weights(make(nn), ref)
    got = m(mx.array(x).astype(getattr(mx, dtype)))
    want = ref(rmx.array(x).astype(getattr(rmx, dtype)))
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(
        np.array(got.astype(mx.float32)), np.array(want.astype(rmx.float32)), rtol=0.05, atol=0.05
    )
