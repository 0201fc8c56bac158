"""Fallbacks for ops that cmlx.core may not bind yet (fused or fast
kernels). Each uses the bound op when it exists and an op composition
otherwise, so layers work either way."""

import math

import cmlx.core as mx


def _fast(name):
    fast = getattr(mx, "fast", None)
    return getattr(fast, name, None) if fast is not None else None


def addmm(c, a, b):
    """``c + a @ b``."""
    fn = getattr(mx, "addmm", None)
    if fn is not None:
        return fn(c, a, b)
    return (a @ b) + c


def layer_norm(x, weight, bias, eps):
    fn = _fast("layer_norm")
    if fn is not None:
        return fn(x, weight, bias, eps)
    dtype = x.dtype
    xf = x.astype(mx.float32)
    mean = mx.mean(xf, axis=-1, keepdims=True)
    var = mx.var(xf, axis=-1, keepdims=True)
    y = ((xf - mean) * mx.rsqrt(var + eps)).astype(dtype)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def rms_norm(x, weight, eps):
    fn = _fast("rms_norm")
    if fn is not None:
        return fn(x, weight, eps)
    dtype = x.dtype
    xf = x.astype(mx.float32)
    y = (xf * mx.rsqrt(mx.mean(mx.square(xf), axis=-1, keepdims=True) + eps)).astype(dtype)
    return y * weight if weight is not None else y


def rope(x, dims, *, traditional, base, scale, offset, freqs=None):
    fn = _fast("rope")
    if fn is not None:
        return fn(
            x, dims, traditional=traditional, base=base, scale=scale, offset=offset, freqs=freqs
        )
    shape = x.shape
    n = shape[-2] if x.ndim >= 2 else 1
    half = dims // 2
    if freqs is None:
        inv = mx.exp(-mx.arange(0, half, dtype=mx.float32) * (math.log(base) / half))
    else:
        inv = 1.0 / freqs.astype(mx.float32)
    pos = (mx.arange(n, dtype=mx.float32) + offset) * scale
    theta = pos[:, None] * inv[None, :]
    cos, sin = mx.cos(theta), mx.sin(theta)
    rot, rest = x[..., :dims], x[..., dims:]
    if traditional:
        r = rot.reshape(*shape[:-1], half, 2)
        x1, x2 = r[..., 0], r[..., 1]
        y1 = x1 * cos - x2 * sin
        y2 = x1 * sin + x2 * cos
        y = mx.stack([y1, y2], axis=-1).reshape(*shape[:-1], dims)
    else:
        x1, x2 = rot[..., :half], rot[..., half:]
        y = mx.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)
    y = y.astype(x.dtype)
    if dims < shape[-1]:
        y = mx.concatenate([y, rest], axis=-1)
    return y


def scaled_dot_product_attention(q, k, v, *, scale, mask=None):
    fn = _fast("scaled_dot_product_attention")
    if fn is not None:
        return fn(q, k, v, scale=scale, mask=mask)
    # Grouped-query attention: repeat key/value heads to match the queries.
    if k.shape[1] != q.shape[1]:
        rep = q.shape[1] // k.shape[1]
        k = mx.repeat(k, rep, axis=1)
        v = mx.repeat(v, rep, axis=1)
    scores = (q * scale) @ mx.swapaxes(k, -1, -2)
    if isinstance(mask, str):
        if mask != "causal":
            raise ValueError(f"Unsupported mask '{mask}'")
        L, S = scores.shape[-2], scores.shape[-1]
        qi = mx.arange(S - L, S)[:, None]
        ki = mx.arange(S)[None, :]
        mask = mx.greater_equal(qi, ki)
    if mask is not None:
        if mask.dtype == mx.bool_:
            scores = mx.where(mask, scores, mx.array(mx.finfo(scores.dtype).min, scores.dtype))
        else:
            scores = scores + mask.astype(scores.dtype)
    weights = mx.softmax(scores.astype(mx.float32), axis=-1).astype(scores.dtype)
    return weights @ v
