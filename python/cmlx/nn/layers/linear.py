"""Identity, Linear and Bilinear layers, as mlx.nn."""

import math
from typing import Any, Optional

import cmlx.core as mx
from cmlx.nn.layers.base import Module


class Identity(Module):
    r"""Returns its input; accepts and ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def __call__(self, x: mx.array) -> mx.array:
        return x


class Linear(Module):
    r"""Affine map :math:`y = x W^\top + b`.

    ``weight`` has shape ``(output_dims, input_dims)``; weight and bias start
    uniform in :math:`[-k, k]` with :math:`k = 1/\sqrt{\text{input\_dims}}`.
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True) -> None:
        super().__init__()
        k = math.sqrt(1.0 / input_dims)
        self.weight = mx.random.uniform(low=-k, high=k, shape=(output_dims, input_dims))
        if bias:
            self.bias = mx.random.uniform(low=-k, high=k, shape=(output_dims,))

    def _extra_repr(self) -> str:
        out_d, in_d = self.weight.shape
        return f"input_dims={in_d}, output_dims={out_d}, bias={'bias' in self}"

    def __call__(self, x: mx.array) -> mx.array:
        if "bias" in self:
            return mx.addmm(self["bias"], x, self["weight"].T)
        return x @ self["weight"].T

    def to_quantized(
        self,
        group_size: Optional[int] = None,
        bits: Optional[int] = None,
        mode: str = "affine",
        quantize_input: bool = False,
    ):
        """The :class:`QuantizedLinear` (or QQLinear) of this layer."""
        from cmlx.nn.layers.quantized import QQLinear, QuantizedLinear

        if quantize_input:
            if mode not in ("nvfp4", "mxfp8"):
                raise ValueError(
                    "Quantized activations are only supported for 'nvfp4' and 'mxfp8' "
                    f"modes, got {mode}."
                )
            return QQLinear.from_linear(self, group_size, bits, mode)
        return QuantizedLinear.from_linear(self, group_size, bits, mode)


class Bilinear(Module):
    r""":math:`y_i = x_1^\top W_i x_2 + b_i`.

    ``weight`` has shape ``(output_dims, input2_dims, input1_dims)``, both
    parameters start uniform in :math:`[-k, k]`,
    :math:`k = 1/\sqrt{\text{input1\_dims}}`.
    """

    def __init__(self, input1_dims: int, input2_dims: int, output_dims: int, bias: bool = True) -> None:
        super().__init__()
        k = math.sqrt(1.0 / input1_dims)
        self.weight = mx.random.uniform(
            low=-k, high=k, shape=(output_dims, input2_dims, input1_dims)
        )
        if bias:
            self.bias = mx.random.uniform(low=-k, high=k, shape=(output_dims,))

    def _extra_repr(self) -> str:
        out_d, in2, in1 = self.weight.shape
        return f"input1_dims={in1}, input2_dims={in2}, output_dims={out_d}, bias={'bias' in self}"

    def __call__(self, x1: mx.array, x2: mx.array) -> mx.array:
        out_d, in2, in1 = self.weight.shape
        lead = x1.shape[:-1]
        a = x1.reshape(-1, in1)
        b = x2.reshape(-1, 1, in2)
        # (n, out*in2) -> (n, in2, out), then contract in2 with x2.
        t = (a @ self.weight.reshape(out_d * in2, in1).T).reshape(-1, out_d, in2)
        y = (b @ mx.swapaxes(t, -2, -1)).squeeze(1).reshape(*lead, out_d)
        if "bias" in self:
            y = y + self.bias
        return y
