"""Embedding, as mlx.nn."""

import math
from typing import Optional

import cmlx.core as mx
from cmlx.nn.layers.base import Module


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``dims``,
    initialised from :math:`\\mathcal{N}(0, 1/\\text{dims})`."""

    def __init__(self, num_embeddings: int, dims: int):
        super().__init__()
        self.weight = mx.random.normal(shape=(num_embeddings, dims), scale=math.sqrt(1 / dims))

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"

    def __call__(self, x):
        return self.weight[x]

    def as_linear(self, x):
        """Uses the table as a linear map (tied output projection):
        ``x @ weight.T``."""
        return x @ self.weight.T

    def to_quantized(
        self,
        group_size: Optional[int] = None,
        bits: Optional[int] = None,
        mode: str = "affine",
        quantize_input: bool = False,
    ):
        """The :class:`QuantizedEmbedding` of this layer."""
        from cmlx.nn.layers.quantized import QuantizedEmbedding

        if quantize_input:
            raise ValueError("Quantized input is not supported.")
        return QuantizedEmbedding.from_embedding(self, group_size, bits, mode)
