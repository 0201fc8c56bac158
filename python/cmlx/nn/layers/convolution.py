"""Convolution layers over channels-last
inputs, as mlx.nn. Weights are ``(out_channels, *kernel, in_channels)``."""

import math
from typing import Union

import cmlx.core as mx
from cmlx.nn.layers.base import Module


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else v



class _ConvBase(Module):
    def _init_weight(self, in_channels, out_channels, kernel, groups=1):
        if in_channels % groups != 0:
            raise ValueError(
                f"The number of input channels ({in_channels}) must be "
                f"divisible by the number of groups ({groups})"
            )
        per_group = in_channels // groups
        k = math.sqrt(1 / (per_group * math.prod(kernel)))
        self.weight = mx.random.uniform(low=-k, high=k, shape=(out_channels, *kernel, per_group))

    def _finish(self, y):
        return y + self.bias if "bias" in self else y


class Conv1d(_ConvBase):
    """1-D convolution over ``(N, L, C_in)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1, bias: bool = True):
        super().__init__()
        self._init_weight(in_channels, out_channels, (kernel_size,), groups)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.dilation = dilation
        self.stride = stride
        self.groups = groups

    def _extra_repr(self):
        return (
            f"{self.weight.shape[-1] * self.groups}, {self.weight.shape[0]}, "
            f"kernel_size={self.weight.shape[1]}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, "
            f"bias={'bias' in self}"
        )

    def __call__(self, x):
        y = mx.conv1d(x, self.weight, self.stride, self.padding, self.dilation, self.groups)
        return self._finish(y)


class Conv2d(_ConvBase):
    """2-D convolution over ``(N, H, W, C_in)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple], stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0, dilation: Union[int, tuple] = 1, groups: int = 1, bias: bool = True):
        super().__init__()
        kernel_size, stride, padding = (_tuple(v, 2) for v in (kernel_size, stride, padding))
        self._init_weight(in_channels, out_channels, kernel_size, groups)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.stride = stride
        self.dilation = dilation
        self.groups = groups

    def _extra_repr(self):
        return (
            f"{self.weight.shape[-1] * self.groups}, {self.weight.shape[0]}, "
            f"kernel_size={self.weight.shape[1:3]}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, "
            f"bias={'bias' in self}"
        )

    def __call__(self, x):
        y = mx.conv2d(x, self.weight, self.stride, self.padding, self.dilation, self.groups)
        return self._finish(y)


class Conv3d(_ConvBase):
    """3-D convolution over ``(N, D, H, W, C_in)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple], stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0, dilation: Union[int, tuple] = 1, bias: bool = True):
        super().__init__()
        kernel_size, stride, padding = (_tuple(v, 3) for v in (kernel_size, stride, padding))
        self._init_weight(in_channels, out_channels, kernel_size)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.stride = stride
        self.dilation = dilation

    def _extra_repr(self):
        return (
            f"{self.weight.shape[-1]}, {self.weight.shape[0]}, "
            f"kernel_size={self.weight.shape[1:4]}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, bias={'bias' in self}"
        )

    def __call__(self, x):
        y = mx.conv3d(x, self.weight, self.stride, self.padding, self.dilation)
        return self._finish(y)
