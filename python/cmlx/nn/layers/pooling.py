"""Max and average pooling over 1, 2 or 3 spatial axes of channels-last
inputs ``(N, ..., C)``, as mlx.nn."""

import itertools
from typing import Optional, Tuple, Union

import cmlx.core as mx
from cmlx.nn.layers.base import Module


def _per_axis(value, n, msg):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(msg)
        return list(value)
    if not isinstance(value, int):
        raise ValueError(msg)
    return [value] * n


def _windows_reduce(x, kernel, stride, reduce):
    """Reduces every window: the ``prod(kernel)`` strided slices of ``x``
    (one per window offset) are stacked on a new last axis and reduced."""
    if x.ndim < 3:
        raise ValueError(
            "To extract sliding windows at least 1 spatial dimension "
            f"(3 total) is needed but the input only has {x.ndim} dimensions."
        )
    spatial = x.shape[1:-1]
    if len(spatial) != len(kernel):
        raise ValueError(
            "To extract sliding windows the window shapes and strides must have "
            "the same number of spatial dimensions as the signal but the signal "
            f"has {len(spatial)} dims and the window shape has {len(kernel)} "
            f"and strides have {len(stride)}."
        )
    out = [(s - k) // st + 1 for s, k, st in zip(spatial, kernel, stride)]
    if any(o <= 0 for o in out):
        raise ValueError(f"Pooling window {tuple(kernel)} is larger than the input {tuple(spatial)}.")
    parts = []
    for offs in itertools.product(*(range(k) for k in kernel)):
        idx = [slice(None)]
        for o, n, st in zip(offs, out, stride):
            idx.append(slice(o, o + st * (n - 1) + 1, st))
        parts.append(x[tuple(idx)])
    return reduce(mx.stack(parts, axis=-1), axis=-1)


class _Pool(Module):
    _n = 0
    _reduce = None
    _pad_value = 0.0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        count = "1 integer" if self._n == 1 else f"{self._n} integers"
        msg = "[{}] '{}' must be an integer or a tuple containing " + count
        kernel = _per_axis(kernel_size, self._n, msg.format(name, "kernel_size"))
        stride = kernel if stride is None else _per_axis(stride, self._n, msg.format(name, "stride"))
        pad = _per_axis(padding, self._n, msg.format(name, "padding"))
        for what, vals in (("kernel_size", kernel), ("stride", stride)):
            if any(v <= 0 for v in vals):
                raise ValueError(f"[{name}] '{what}' must be positive but got {tuple(vals)}.")
        if any(p < 0 for p in pad):
            raise ValueError(f"[{name}] 'padding' must be non-negative but got {tuple(pad)}.")
        self._kernel_size = kernel
        self._stride = stride
        self._padding = [(p, p) for p in pad]

    def _extra_repr(self):
        pd = tuple(p[0] for p in self._padding)
        return f"kernel_size={tuple(self._kernel_size)}, stride={tuple(self._stride)}, padding={pd}"

    def __call__(self, x):
        if any(p[0] > 0 for p in self._padding):
            x = mx.pad(x, [(0, 0)] + self._padding + [(0, 0)], constant_values=self._pad_value)
        return _windows_reduce(x, self._kernel_size, self._stride, self._reduce)


def _max(x, axis):
    return mx.max(x, axis=axis)


def _mean(x, axis):
    return mx.mean(x, axis=axis)


class MaxPool1d(_Pool):
    """Max pooling over ``(N, L, C)``; padding uses -inf."""

    _n, _reduce, _pad_value = 1, staticmethod(_max), -float("inf")

    def __init__(self, kernel_size: Union[int, Tuple[int]], stride: Optional[Union[int, Tuple[int]]] = None, padding: Union[int, Tuple[int]] = 0):
        super().__init__(kernel_size, stride, padding)


class AvgPool1d(_Pool):
    """Average pooling over ``(N, L, C)``; padding (zeros) counts."""

    _n, _reduce, _pad_value = 1, staticmethod(_mean), 0

    def __init__(self, kernel_size: Union[int, Tuple[int]], stride: Optional[Union[int, Tuple[int]]] = None, padding: Union[int, Tuple[int]] = 0):
        super().__init__(kernel_size, stride, padding)


class MaxPool2d(_Pool):
    """Max pooling over ``(N, H, W, C)``."""

    _n, _reduce, _pad_value = 2, staticmethod(_max), -float("inf")

    def __init__(self, kernel_size: Union[int, Tuple[int, int]], stride: Optional[Union[int, Tuple[int, int]]] = None, padding: Optional[Union[int, Tuple[int, int]]] = 0):
        super().__init__(kernel_size, stride, padding)


class AvgPool2d(_Pool):
    """Average pooling over ``(N, H, W, C)``."""

    _n, _reduce, _pad_value = 2, staticmethod(_mean), 0

    def __init__(self, kernel_size: Union[int, Tuple[int, int]], stride: Optional[Union[int, Tuple[int, int]]] = None, padding: Optional[Union[int, Tuple[int, int]]] = 0):
        super().__init__(kernel_size, stride, padding)


class MaxPool3d(_Pool):
    """Max pooling over ``(N, D, H, W, C)``."""

    _n, _reduce, _pad_value = 3, staticmethod(_max), -float("inf")

    def __init__(self, kernel_size: Union[int, Tuple[int, int, int]], stride: Optional[Union[int, Tuple[int, int, int]]] = None, padding: Optional[Union[int, Tuple[int, int, int]]] = 0):
        super().__init__(kernel_size, stride, padding)


class AvgPool3d(_Pool):
    """Average pooling over ``(N, D, H, W, C)``."""

    _n, _reduce, _pad_value = 3, staticmethod(_mean), 0

    def __init__(self, kernel_size: Union[int, Tuple[int, int, int]], stride: Optional[Union[int, Tuple[int, int, int]]] = None, padding: Optional[Union[int, Tuple[int, int, int]]] = 0):
        super().__init__(kernel_size, stride, padding)
