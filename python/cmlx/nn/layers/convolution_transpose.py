"""Transposed convolution layers over channels-last inputs, as mlx.nn.
Weights are ``(out_channels, *kernel, in_channels)``."""

from typing import Union

import cmlx.core as mx
from cmlx.nn.layers.convolution import _ConvBase, _tuple


class _ConvTransposeBase(_ConvBase):
    _n = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias):
        super().__init__()
        n = self._n
        kernel_size, stride, padding, output_padding = (
            _tuple(v, n) if n > 1 else v for v in (kernel_size, stride, padding, output_padding)
        )
        self._init_weight(in_channels, out_channels, _tuple(kernel_size, 1) if n == 1 else kernel_size)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.stride = stride
        self.dilation = dilation
        self.output_padding = output_padding

    def _extra_repr(self):
        ks = self.weight.shape[1] if self._n == 1 else self.weight.shape[1 : 1 + self._n]
        return (
            f"{self.weight.shape[-1]}, {self.weight.shape[0]}, "
            f"kernel_size={ks}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, "
            f"output_padding={self.output_padding}, bias={'bias' in self}"
        )

    def __call__(self, x):
        op = getattr(mx, f"conv_transpose{self._n}d")
        y = op(x, self.weight, self.stride, self.padding, self.dilation, self.output_padding)
        return self._finish(y)


class ConvTranspose1d(_ConvTransposeBase):
    """1-D transposed convolution over ``(N, L, C_in)``."""

    _n = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, output_padding: int = 0, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias)


class ConvTranspose2d(_ConvTransposeBase):
    """2-D transposed convolution over ``(N, H, W, C_in)``."""

    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple], stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0, dilation: Union[int, tuple] = 1, output_padding: Union[int, tuple] = 0, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias)


class ConvTranspose3d(_ConvTransposeBase):
    """3-D transposed convolution over ``(N, D, H, W, C_in)``."""

    _n = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple], stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0, dilation: Union[int, tuple] = 1, output_padding: Union[int, tuple] = 0, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias)
