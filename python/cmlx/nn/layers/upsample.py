"""Upsample (nearest, linear, cubic; optional antialiasing) over
channels-last inputs ``(N, ..., C)``, as mlx.nn.

Interpolation is separable: each spatial axis is resampled in turn by
gathering a few taps along it and summing them with their weights.
"""

import math
from typing import Literal, Tuple, Union

import cmlx.core as mx
from cmlx.nn.layers.base import Module

_MODES = ["nearest", "linear", "cubic"]


def _source_coords(n, scale, align_corners):
    """Fractional source positions of the ``int(scale * n)`` outputs."""
    m = int(scale * n)
    pos = mx.arange(m, dtype=mx.float32)
    if align_corners:
        return pos * ((n - 1) / max(m - 1, 1))
    step = 1 / scale
    return pos * step - ((m - 1) * step - n + 1) / 2


def _nearest_index(n, scale):
    m = int(scale * n)
    pos = mx.arange(m, dtype=mx.float32)
    if m > n:
        pos = mx.round((pos + 0.5) * (n / m) - 0.5)
    else:
        pos = pos * (n / m)
    return pos.astype(mx.uint32)


def _linear_taps(n, scale, align_corners):
    c = mx.clip(_source_coords(n, scale, align_corners), 0, n - 1)
    lo = mx.floor(c)
    hi = mx.ceil(c)
    w = c - lo
    return [(lo, 1 - w), (hi, w)]


def _cubic_weight(d, a, near):
    if near:
        return ((a + 2.0) * d - (a + 3.0)) * d * d + 1
    return (((d - 5) * d + 8) * d - 4) * a


def _cubic_taps(n, scale, align_corners):
    c = _source_coords(n, scale, align_corners)
    l1 = mx.floor(c)
    r1 = mx.floor(c + 1)
    taps = []
    for idx, near in ((l1, True), (r1, True), (l1 - 1, False), (r1 + 1, False)):
        taps.append((mx.clip(idx, 0, n - 1), _cubic_weight(mx.abs(c - idx), -0.75, near)))
    return taps


def _triangle(d):
    return mx.maximum(1.0 - d, 0.0)


def _keys_cubic(d):
    near = _cubic_weight(d, -0.5, True)
    far = _cubic_weight(d, -0.5, False)
    return mx.where(mx.less_equal(d, 1.0), near, mx.where(mx.less_equal(d, 2.0), far, 0.0))


def _antialias_taps(n, scale, align_corners, kernel, radius):
    c = _source_coords(n, scale, align_corners)
    widen = 1.0 / scale if scale < 1 else 1.0
    reach = math.ceil(radius * widen) + 1
    raw = []
    for k in range(-reach + 1, reach):
        idx = mx.floor(c) + k
        w = kernel(mx.abs(c - idx) / widen)
        raw.append((idx, mx.where(mx.logical_and(mx.greater_equal(idx, 0), mx.less(idx, n)), w, 0.0)))
    total = sum(w for _, w in raw)
    total = mx.where(mx.greater(total, 0), total, 1.0)
    return [(mx.clip(idx, 0, n - 1), w / total) for idx, w in raw]


def _resample(x, scale_factor, taps_fn):
    out = x
    for axis0, s in enumerate(scale_factor):
        axis = axis0 + 1
        n = out.shape[axis]
        shape = [1] * out.ndim
        shape[axis] = -1
        acc = None
        for idx, w in taps_fn(n, s):
            # float32 weights promote half-precision inputs, as MLX does.
            term = mx.take(out, idx.astype(mx.uint32), axis=axis) * w.reshape(shape)
            acc = term if acc is None else acc + term
        out = acc
    return out


def _check_dims(x, scale_factor):
    if x.ndim - 2 != len(scale_factor):
        raise ValueError("A scale needs to be provided for each spatial dimension")


def _check_aa(align_corners, antialias):
    if antialias and align_corners:
        raise ValueError(
            "[Upsample] antialias=True with align_corners=True is not "
            "supported. Use align_corners=False for antialiased interpolation."
        )


def upsample_nearest(x: mx.array, scale_factor: Tuple):
    """Nearest-neighbour upsampling by one factor per spatial axis."""
    _check_dims(x, scale_factor)
    if all(float(s).is_integer() for s in scale_factor):
        # Integer factors: repeat each element along every spatial axis.
        for axis0, s in enumerate(scale_factor):
            x = mx.repeat(x, int(s), axis=axis0 + 1)
        return x
    for axis0, s in enumerate(scale_factor):
        x = mx.take(x, _nearest_index(x.shape[axis0 + 1], s), axis=axis0 + 1)
    return x


def upsample_linear(x: mx.array, scale_factor: Tuple, align_corners: bool = False, antialias: bool = False):
    """(Bi/tri)linear upsampling."""
    _check_aa(align_corners, antialias)
    _check_dims(x, scale_factor)
    if antialias:
        return _resample(x, scale_factor, lambda n, s: _antialias_taps(n, s, False, _triangle, 1.0))
    return _resample(x, scale_factor, lambda n, s: _linear_taps(n, s, align_corners))


def upsample_cubic(x: mx.array, scale_factor: Tuple, align_corners: bool = False, antialias: bool = False):
    """(Bi/tri)cubic upsampling."""
    _check_aa(align_corners, antialias)
    _check_dims(x, scale_factor)
    if antialias:
        return _resample(x, scale_factor, lambda n, s: _antialias_taps(n, s, False, _keys_cubic, 2.0))
    return _resample(x, scale_factor, lambda n, s: _cubic_taps(n, s, align_corners))


class Upsample(Module):
    """Upsamples the spatial axes by ``scale_factor`` (one number or one
    per axis) with ``mode`` ``'nearest'``, ``'linear'`` or ``'cubic'``."""

    def __init__(
        self,
        scale_factor: Union[float, Tuple],
        mode: Literal["nearest", "linear", "cubic"] = "nearest",
        align_corners: bool = False,
        antialias: bool = False,
    ):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"[Upsample] Got unsupported upsampling algorithm: {mode}")
        if antialias and mode == "nearest":
            raise ValueError("[Upsample] Antialiasing is not supported for nearest neighbor upsampling")
        _check_aa(align_corners, antialias)
        if isinstance(scale_factor, (list, tuple)):
            scale_factor = tuple(float(s) for s in scale_factor)
        else:
            scale_factor = float(scale_factor)
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.antialias = antialias

    def _extra_repr(self) -> str:
        text = f"scale_factor={self.scale_factor}, mode={self.mode!r}, align_corners={self.align_corners}"
        return text + (", antialias=True" if self.antialias else "")

    def __call__(self, x: mx.array) -> mx.array:
        dims = x.ndim - 2
        if dims <= 0:
            raise ValueError(
                "[Upsample] The input should have at least 1 spatial dimension which "
                f"means it should be at least 3D but {x.ndim}D was provided"
            )
        sf = self.scale_factor
        if isinstance(sf, tuple):
            if len(sf) != dims:
                raise ValueError(
                    f"[Upsample] One scale per spatial dimension is required but "
                    f"scale_factor={sf} and the number of spatial dimensions were {dims}"
                )
        else:
            sf = (sf,) * dims
        if self.mode == "nearest":
            return upsample_nearest(x, sf)
        if self.mode == "linear":
            return upsample_linear(x, sf, self.align_corners, self.antialias)
        return upsample_cubic(x, sf, self.align_corners, self.antialias)
