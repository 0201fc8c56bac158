"""Quantized layers and nn.quantize, as mlx.nn. They need
cmlx.core.quantize / dequantize / quantized_matmul (and qqmm for
QQLinear)."""

import math
from typing import Callable, Optional, Union

import cmlx.core as mx
from cmlx.nn.layers.base import Module
from cmlx.utils import tree_map_with_path

_MODE_DEFAULTS = {"affine": (64, 4), "mxfp4": (32, 4), "nvfp4": (16, 4), "mxfp8": (32, 8)}



def _defaults_for_mode(mode, group_size, bits):
    if mode not in _MODE_DEFAULTS:
        raise ValueError(f"Invalid quantization mode '{mode}'. Valid modes are: {', '.join(_MODE_DEFAULTS)}.")
    g, b = _MODE_DEFAULTS[mode]
    return group_size or g, bits or b


def _quantize_into(layer, weight, group_size, bits, mode):
    """Sets ``weight``, ``scales`` and (affine mode) ``biases`` on layer."""
    layer.weight, layer.scales, *rest = mx.quantize(weight, group_size, bits, mode=mode)
    layer.biases = rest[0] if rest else None


def quantize(
    model: Module,
    group_size: int = None,
    bits: int = None,
    *,
    mode: str = "affine",
    quantize_input: bool = False,
    class_predicate: Optional[Callable[[str, Module], Union[bool, dict]]] = None,
):
    """Replaces, in place, every leaf module with ``to_quantized`` (or those
    for which ``class_predicate(path, module)`` is true or a dict of
    ``to_quantized`` arguments) by its quantized form."""
    pred = class_predicate or (lambda _, m: hasattr(m, "to_quantized"))

    def swap(path, m):
        choice = pred(path, m)
        if not choice:
            return m
        if not hasattr(m, "to_quantized"):
            raise ValueError(f"Unable to quantize model of type {type(m)}")
        if isinstance(choice, bool):
            kwargs = {"group_size": group_size, "bits": bits, "mode": mode}
            if quantize_input:
                kwargs["quantize_input"] = quantize_input
            return m.to_quantized(**kwargs)
        if isinstance(choice, dict):
            if "quantize_input" in choice and not choice["quantize_input"]:
                choice.pop("quantize_input")
            return m.to_quantized(**choice)
        raise ValueError("``class_predicate`` must return a bool or a dict of parameters to pass to ``to_quantized``")

    leaves = tree_map_with_path(swap, model.leaf_modules(), is_leaf=Module.is_module)
    model.update_modules(leaves)


class QuantizedEmbedding(Module):
    """An Embedding whose table is quantized (frozen)."""

    def __init__(self, num_embeddings: int, dims: int, group_size: int = None, bits: int = None, mode: str = "affine"):
        super().__init__()
        self.group_size, self.bits = _defaults_for_mode(mode, group_size, bits)
        self.mode = mode
        w = mx.random.normal(shape=(num_embeddings, dims), scale=math.sqrt(1 / dims))
        _quantize_into(self, w, group_size, bits, mode)
        self.num_embeddings = num_embeddings
        self.dims = dims
        self.freeze()

    def __call__(self, x):
        biases = self.get("biases")
        return mx.dequantize(
            self["weight"][x],
            scales=self["scales"][x],
            biases=biases[x] if biases is not None else None,
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )

    def as_linear(self, x):
        """``x @ dequantized(weight).T`` through quantized_matmul."""
        return mx.quantized_matmul(
            x,
            self["weight"],
            scales=self["scales"],
            biases=self.get("biases"),
            transpose=True,
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )

    def _extra_repr(self):
        return f"{self.num_embeddings}, {self.dims}, group_size={self.group_size}, bits={self.bits}, mode={self.mode}"

    @classmethod
    def from_embedding(cls, embedding_layer: Module, group_size: int = None, bits: int = None, mode: str = "affine"):
        n, dims = embedding_layer.weight.shape
        q = cls(n, dims, group_size, bits, mode=mode)
        _quantize_into(q, embedding_layer.weight, group_size, bits, mode)
        return q


class QuantizedLinear(Module):
    """A Linear whose weight is quantized (frozen); the bias stays dense."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group_size: int = None, bits: int = None, mode: str = "affine"):
        super().__init__()
        self.group_size, self.bits = _defaults_for_mode(mode, group_size, bits)
        self.mode = mode
        k = math.sqrt(1 / input_dims)
        w = mx.random.uniform(low=-k, high=k, shape=(output_dims, input_dims))
        _quantize_into(self, w, group_size, bits, mode)
        if bias:
            self.bias = mx.zeros((output_dims,))
        self.freeze()

    def _extra_repr(self):
        out_d, packed = self.weight.shape
        return (
            f"input_dims={(packed * 32) // self.bits}, output_dims={out_d}, bias={'bias' in self}, "
            f"group_size={self.group_size}, bits={self.bits}, mode={self.mode}"
        )

    def __call__(self, x):
        y = mx.quantized_matmul(
            x,
            self["weight"],
            scales=self["scales"],
            biases=self.get("biases"),
            transpose=True,
            group_size=self.group_size,
            bits=self.bits,
            mode=self.mode,
        )
        return y + self["bias"] if "bias" in self else y

    @classmethod
    def from_linear(cls, linear_layer: Module, group_size: int = None, bits: int = None, mode: str = "affine"):
        out_d, in_d = linear_layer.weight.shape
        q = cls(in_d, out_d, False, group_size, bits, mode=mode)
        _quantize_into(q, linear_layer.weight, group_size, bits, mode)
        if "bias" in linear_layer:
            q.bias = linear_layer.bias
        return q


class QQLinear(Module):
    """A Linear that quantizes both weights and inputs (``nvfp4``/``mxfp8``):
    dense weights in training mode, quantized in eval mode."""

    def __init__(self, input_dims: int, output_dims: int, group_size: int = None, bits: int = None, mode: str = "nvfp4"):
        super().__init__()
        self.group_size, self.bits = _defaults_for_mode(mode, group_size, bits)
        self.mode = mode
        k = math.sqrt(1 / input_dims)
        self.weight = mx.random.uniform(low=-k, high=k, shape=(output_dims, input_dims))
        self._quantized = False

    def _extra_repr(self):
        out_d, in_d = self.weight.shape
        if self.weight.dtype == mx.uint32:
            in_d = (in_d * 32) // self.bits
        return f"input_dims={in_d}, output_dims={out_d}, group_size={self.group_size}, bits={self.bits}, mode={self.mode}"

    def quantize(self):
        if not self._quantized:
            self.weight, self.scales = mx.quantize(self.weight, self.group_size, self.bits, mode=self.mode)
            self._quantized = True

    def dequantize(self):
        if self._quantized:
            self.weight = mx.dequantize(
                self.weight, scales=self.scales, group_size=self.group_size, bits=self.bits, mode=self.mode
            )
            del self["scales"]
            self._quantized = False

    def _set_training_mode(self, mode: bool):
        super()._set_training_mode(mode)
        if self._training:
            self.dequantize()
        else:
            self.quantize()

    def __call__(self, x):
        return mx.qqmm(
            x, self["weight"], scales=self.get("scales"), group_size=self.group_size, bits=self.bits, mode=self.mode
        )

    @classmethod
    def from_linear(cls, linear_layer: Module, group_size: int = None, bits: int = None, mode: str = "nvfp4"):
        out_d, in_d = linear_layer.weight.shape
        if linear_layer.get("bias") is not None:
            raise NotImplementedError("QQLinear does not support bias yet.")
        q = cls(in_d, out_d, group_size, bits, mode=mode)
        q.weight = linear_layer.weight
        q.train(linear_layer.training)
        return q
